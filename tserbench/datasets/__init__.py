"""sktime dataset objects (RRabGaiaDG22, RRabSynthetic, ...), the dataset registry and fetching.

Exports are resolved lazily (PEP 562) so that importing a submodule, such as
the command line's ``tserbench.datasets._cli``, does not pull in sktime.
"""

from __future__ import annotations

from tserbench._lazy import lazy_exports

_EXPORTS = {
    "RRabGaiaDG22": "tserbench.datasets._rrab",
    "RRabSynthetic": "tserbench.datasets._rrab",
    "clear_cache": "tserbench.datasets._rrab",
    "Covid3Month": "tserbench.datasets._covid",
    "TSFileDataset": "tserbench.datasets._tsfile",
    "TSERArchiveDataset": "tserbench.datasets._tsfile",
    "DatasetInfo": "tserbench.datasets._registry",
    "get_dataset": "tserbench.datasets._registry",
    "list_datasets": "tserbench.datasets._registry",
    "dataset_info": "tserbench.datasets._registry",
    "clear_registry_cache": "tserbench.datasets._registry",
    "upgrade_params": "tserbench.datasets._registry",
    "ENTRY_POINT_GROUP": "tserbench.datasets._registry",
    "fetch_archive": "tserbench.datasets._tser_archive",
    "fetch": "tserbench.datasets._fetch",
    "file_status": "tserbench.datasets._fetch",
    "manifest_dir": "tserbench.datasets._fetch",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

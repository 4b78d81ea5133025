"""Light-curve readers (DG22 archive, Gaia DR3 epoch photometry), synthetic generator, validation.

Exports are resolved lazily (PEP 562) so that importing one submodule (e.g.
the manifests, for the command line) does not import pandas and scipy.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "LightCurves": "tserbench.data._lightcurves",
    "Rejection": "tserbench.data._lightcurves",
    "validate_light_curve": "tserbench.data._lightcurves",
    "validate_batch": "tserbench.data._lightcurves",
    "parse_source_id": "tserbench.data._lightcurves",
    "merge_duplicate_phases": "tserbench.data._lightcurves",
    "read_dg22": "tserbench.data.dg22",
    "read_gaia_epoch_photometry": "tserbench.data.gaia",
    "make_synthetic_rrab": "tserbench.data.synthetic",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'tserbench.data' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""Light-curve readers (DG22 archive, Gaia DR3 epoch photometry), synthetic generator, validation.

Exports are resolved lazily (PEP 562) so that importing one submodule (e.g.
the manifests, for the command line) does not import pandas and scipy.
"""

from __future__ import annotations

from tserbench._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

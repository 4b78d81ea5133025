"""sktime regressors for TSER: nine deep networks, DG22's BiLSTM, classical baselines.

Also the model registry (:func:`get_regressor`, :func:`list_models`) and the
saved-model directory format (:func:`save_model_dir`, :func:`load_model_dir`,
:func:`predict_light_curves`).

The estimator classes are imported lazily (PEP 562 ``__getattr__``): importing
this package is fast and does not import TensorFlow; ``from
tserbench.regressors import GRURegressor`` imports it when it is asked for.
"""

from __future__ import annotations

import importlib
import pkgutil

from tserbench.regressors._registry import (
    ENTRY_POINT_GROUP,
    ModelInfo,
    get_regressor,
    list_models,
    resolve_model_class,
)

_DEEP = (
    "FCNRegressor",
    "ResNetRegressor",
    "InceptionTimeRegressor",
    "LSTMRegressor",
    "BiLSTMRegressor",
    "GRURegressor",
    "BiGRURegressor",
    "ConvLSTMRegressor",
    "ConvGRURegressor",
    "DG22BiLSTMRegressor",
)

# name -> module that defines it.  The deep classes' modules are looked up by
# scanning this package's submodules the first time one is asked for, so the
# table does not have to track how the deep regressors are split into files.
_LAZY: dict[str, str | None] = {
    "FourierLinearRegressor": "tserbench.regressors.classical",
    "FourierGBRegressor": "tserbench.regressors.classical",
    "save_model_dir": "tserbench.regressors._saved",
    "load_model_dir": "tserbench.regressors._saved",
    "predict_light_curves": "tserbench.regressors._saved",
    **{name: None for name in _DEEP},
}

_NOT_ESTIMATOR_MODULES = {"_registry", "_saved", "_cli", "classical"}

__all__ = [
    "ENTRY_POINT_GROUP",
    "ModelInfo",
    "get_regressor",
    "list_models",
    "resolve_model_class",
    *_LAZY,
]


def _find_deep(name: str):
    for mod in pkgutil.iter_modules(__path__):
        if mod.name in _NOT_ESTIMATOR_MODULES:
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if name in vars(module):
            return getattr(module, name)
    return None


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name = _LAZY[name]
    obj = getattr(importlib.import_module(module_name), name) if module_name else _find_deep(name)
    if obj is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r} (no submodule defines it yet)")
    globals()[name] = obj  # cache: later look-ups skip __getattr__
    return obj


def __dir__():
    return sorted(set(globals()) | set(__all__))

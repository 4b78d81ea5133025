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

# class -> module that defines it; nothing is imported until a name is asked for.
_DEEP: dict[str, str] = {
    "FCNRegressor": "tserbench.regressors._fcn",
    "ResNetRegressor": "tserbench.regressors._resnet",
    "InceptionTimeRegressor": "tserbench.regressors._inception",
    "LSTMRegressor": "tserbench.regressors._recurrent",
    "BiLSTMRegressor": "tserbench.regressors._recurrent",
    "GRURegressor": "tserbench.regressors._recurrent",
    "BiGRURegressor": "tserbench.regressors._recurrent",
    "DG22BiLSTMRegressor": "tserbench.regressors._dg22_bilstm",
    "ConvLSTMRegressor": "tserbench.regressors._conv_recurrent",
    "ConvGRURegressor": "tserbench.regressors._conv_recurrent",
}
_LAZY: dict[str, str] = {
    **_DEEP,
    "FourierLinearRegressor": "tserbench.regressors.classical",
    "FourierGBRegressor": "tserbench.regressors.classical",
    "MeanRegressor": "tserbench.regressors.compose",
    "save_model_dir": "tserbench.regressors._saved",
    "load_model_dir": "tserbench.regressors._saved",
    "predict_light_curves": "tserbench.regressors._predict",
}

_NOT_ESTIMATOR_MODULES = {"_registry", "_builtin", "_saved", "_deep_format", "_predict", "_cli", "classical", "compose",
                          "_base", "_training_data", "_training_run", "_fit_modes", "_inference",
                          "_recurrent_base"}

__all__ = [
    "ENTRY_POINT_GROUP",
    "ModelInfo",
    "get_regressor",
    "list_models",
    "resolve_model_class",
    *_LAZY,
]


def _find(name: str):
    """Import ``name`` from its module; if a class moved, look through the submodules."""
    try:
        return getattr(importlib.import_module(_LAZY[name]), name)
    except (ModuleNotFoundError, AttributeError):
        if name not in _DEEP:
            raise
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
    obj = _find(name)
    if obj is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r} (no submodule defines it)")
    globals()[name] = obj  # cache: later look-ups skip __getattr__
    return obj


def __dir__():
    return sorted(set(globals()) | set(__all__))

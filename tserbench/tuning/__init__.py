"""Hyper-parameter search with Optuna: search spaces, the inner-CV objective, the study runner.

Importing this package does not import Optuna or TensorFlow.
"""

from __future__ import annotations

from tserbench._lazy import lazy_exports

__all__ = [
    "SEARCH_SPACES",
    "suggest_params",
    "validate_space",
    "CVObjective",
    "load_tuning_data",
    "tune",
    "make_storage",
    "best_params",
    "export_params",
    "load_params",
    "parse_params",
    "read_params_file",
]

_LAZY = {
    "SEARCH_SPACES": "tserbench.tuning.spaces",
    "suggest_params": "tserbench.tuning.spaces",
    "validate_space": "tserbench.tuning.spaces",
    "CVObjective": "tserbench.tuning.objective",
    "load_tuning_data": "tserbench.tuning.objective",
    "tune": "tserbench.tuning.study",
    "make_storage": "tserbench.tuning.storages",
    "best_params": "tserbench.tuning.params",
    "export_params": "tserbench.tuning.params",
    "load_params": "tserbench.tuning.params",
    "parse_params": "tserbench.tuning.params",
    "read_params_file": "tserbench.tuning.params",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)

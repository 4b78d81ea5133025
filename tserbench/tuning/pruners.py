"""Optuna pruners by name."""

from __future__ import annotations

from tserbench.exceptions import ConfigError
from tserbench.tuning.storages import _optuna

__all__ = ["make_pruner"]


def make_pruner(name: str = "median", *, n_steps: int = 3):
    """Optuna pruner by name: ``"median"``, ``"hyperband"`` or ``"none"``.

    ``n_steps`` is the number of intermediate values a trial reports (the
    inner folds), used as Hyperband's ``max_resource``.
    """
    optuna = _optuna()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, n_steps), reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ConfigError(f"unknown pruner {name!r}; choose median, hyperband or none")

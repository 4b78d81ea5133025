"""Optuna pruners by name, or an Optuna pruner object passed through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tserbench.exceptions import ConfigError
from tserbench.tuning.storages import _optuna

if TYPE_CHECKING:
    from optuna.pruners import BasePruner

__all__ = ["make_pruner"]


def make_pruner(name: str | BasePruner = "median", *, n_steps: int = 3) -> BasePruner:
    """Optuna pruner by name: ``"median"``, ``"hyperband"`` or ``"none"``.

    Parameters
    ----------
    name : str or optuna.pruners.BasePruner, default="median"
        A name, or a pruner object, which is returned as it is (as
        ``optuna.create_study(pruner=...)`` takes it).
    n_steps : int, default=3
        The number of intermediate values a trial reports (the inner folds),
        used as Hyperband's ``max_resource`` for ``"hyperband"``.

    Returns
    -------
    optuna.pruners.BasePruner
    """
    optuna = _optuna()
    if isinstance(name, optuna.pruners.BasePruner):
        return name
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, n_steps), reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ConfigError(f"unknown pruner {name!r}; choose median, hyperband or none")

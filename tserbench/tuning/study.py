"""Run an Optuna study that survives crashes and spreads over machines.

:func:`tune` checks its arguments, loads the tuning data (the outer holdout
fold removed, :func:`~tserbench.tuning.objective.load_tuning_data`), builds
the objective and the study's settings, and hands them to the worker loop
of :mod:`tserbench.tuning._worker`, which says how workers share a study,
survive crashes and stop at exactly ``n_trials``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tserbench._renamed import renamed_keyword
from tserbench.exceptions import ConfigError
from tserbench.tuning._worker import work
from tserbench.tuning.params import best_params, export_params, load_params
from tserbench.tuning.pruners import make_pruner
from tserbench.tuning.samplers import make_sampler
from tserbench.tuning.storages import DEFAULT_STORAGE, _optuna, make_storage

if TYPE_CHECKING:
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler
    from optuna.storages import BaseStorage

__all__ = [
    "DEFAULT_STORAGE",
    "make_storage",
    "make_pruner",
    "tune",
    "best_params",
    "export_params",
    "load_params",
]


def _jsonable(obj: Any) -> Any:
    """Round-trip through JSON so attributes compare equal after storage."""
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _strategy_name(obj: Any) -> str:
    """What a trial records of its sampler or pruner: the name given, or an object's class name."""
    return obj if isinstance(obj, str) else type(obj).__name__


@renamed_keyword("seed", "random_state")
def tune(
    dataset: str,
    model: str,
    *,
    n_trials: int,
    storage: str | BaseStorage | None = None,
    study_name: str | None = None,
    timeout: float | None = None,
    sampler: str | BaseSampler = "tpe",
    pruner: str | BasePruner = "median",
    random_state: int | None = 0,
    variant: str | None = "full",
    dataset_params: Mapping[str, Any] | None = None,
    fixed_params: Mapping[str, Any] | None = None,
    folds: str | None = None,
    holdout_fold: int = 0,
    inner_splits: int = 3,
    metric: str = "rmse",
    heartbeat_interval: int | None = 60,
    grace_period: int | None = None,
    max_retry: int | None = 3,
    poll_interval: float = 2.0,
    progress: bool = True,
):
    """Tune one model on one dataset; several workers may share the study.

    Parameters
    ----------
    dataset : str
        Dataset registry name.
    model : str
        Model short name (must have a search space, see :mod:`tserbench.tuning.spaces`).
    n_trials : int
        Trials the *study* must finish (COMPLETE or PRUNED), all workers together.
        Re-running after a crash continues up to the same total.
    storage : str or optuna.storages.BaseStorage, optional
        SQLAlchemy URL (default :data:`DEFAULT_STORAGE`: ``tserbench-optuna.db`` in the cwd),
        or a storage object (``optuna.storages.InMemoryStorage()``, an ``RDBStorage``
        or ``JournalStorage`` of your own), used as given: its heartbeat settings
        apply and ``heartbeat_interval``, ``grace_period``, ``max_retry`` are ignored.
    study_name : str, optional
        Default ``"<dataset>-<model>-h<holdout_fold>"``.  Must not contain ``':'``.
    timeout : float, optional
        Seconds after which this worker starts no new trial.
    sampler : str or optuna.samplers.BaseSampler, default="tpe"
        A name (see :func:`~tserbench.tuning.samplers.make_sampler`; seeded
        per trial from ``random_state``) or a sampler object, used as given with its
        own seed.
    pruner : str or optuna.pruners.BasePruner, default="median"
        A name (see :func:`make_pruner`) or a pruner object, used as given.
        Every trial records the sampler and pruner it ran under (the name, or
        an object's class name) in its user attributes ``sampler`` and ``pruner``.
    random_state : int or None, default=0
        Seeds the sampler (trial *k* samples from a stream seeded by
        ``(random_state, k)``: one worker is reproducible, concurrent or resumed
        workers never replay each other's samples), the
        inner split, the outer ``KxR`` split and the model's ``random_state``;
        recorded as the study's ``seed`` setting (``tserbench tune --seed``).
        ``seed=`` is its deprecated old name: still accepted, with a
        :class:`FutureWarning`.
    variant : {"full", "spline", "raw"} or None, default="full"
        Preprocessing variant (as ``tserbench run --variant``).
    dataset_params : dict, optional
        Further dataset keyword arguments (``n_stars``, ...).
    fixed_params : dict, optional
        Constructor parameters fixed for every trial (training budget such as
        ``n_epochs``); recorded in the study, not exported.
    folds : str, optional
        Outer protocol (``"predefined"`` or ``"KxR"``), as for ``tserbench run``.
    holdout_fold : int, default=0
        Outer fold never seen while tuning.
    inner_splits : int, default=3
        K of the inner stratified K-fold.
    metric : str, default="rmse"
        Metric to optimise (``r2`` is maximised, the others minimised).
    heartbeat_interval, grace_period, max_retry
        Crash recovery; see :func:`make_storage`.
    poll_interval : float, default=2.0
        Seconds between checks while other workers run the last trials.
    progress : bool, default=True
        Show a rich progress bar (trials of the whole study, best value).

    Returns
    -------
    optuna.Study

    Examples
    --------
    >>> study = tune("rrab-synthetic", "fourier-linear", n_trials=3,  # doctest: +SKIP
    ...              storage="sqlite:///demo.db", dataset_params={"n_stars": 200})
    """
    optuna = _optuna()
    from tserbench.tuning.objective import CVObjective, check_tuning_metric, load_tuning_data
    from tserbench.tuning.spaces import validate_space

    if int(n_trials) < 1:
        raise ConfigError(f"n_trials must be >= 1, got {n_trials}")
    n_trials = int(n_trials)
    study_name = study_name or f"{dataset}-{model}-h{holdout_fold}"
    if ":" in study_name:
        raise ConfigError(f"study name {study_name!r} must not contain ':' (it separates URL and study in specs)")
    fixed_params = _jsonable(dict(fixed_params or {}))
    from tserbench.datasets import upgrade_params

    # a renamed parameter's old name (rrab-synthetic's seed) is recorded under its new one
    dataset_params = _jsonable(upgrade_params(dataset, dataset_params or {}, warn=True))
    validate_space(model, fixed=list(fixed_params))
    make_sampler(sampler)  # fail on a bad sampler/pruner/metric before loading any data
    make_pruner(pruner)
    check_tuning_metric(metric)

    data = load_tuning_data(
        dataset,
        variant=variant,
        dataset_params=dataset_params,
        folds=folds,
        holdout_fold=holdout_fold,
        inner_splits=inner_splits,
        random_state=0 if random_state is None else random_state,
    )
    objective = CVObjective(model, data, metric=metric, fixed_params=fixed_params, random_state=random_state)
    verbosity = optuna.logging.get_verbosity()
    if progress:  # the progress bar replaces Optuna's per-trial log lines
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return work(
            objective,
            study_name=study_name,
            storage=make_storage(
                storage, heartbeat_interval=heartbeat_interval, grace_period=grace_period, max_retry=max_retry
            ),
            config={
                "dataset": dataset,
                "variant": variant,
                "dataset_params": dataset_params,
                "model": model,
                "folds": data.folds,  # resolved: None and "predefined" are the same study
                "holdout_fold": int(holdout_fold),
                "inner_splits": int(inner_splits),
                "metric": metric,
                "fixed_params": fixed_params,
                "seed": random_state,  # the stored settings' name: not renamed (old studies resume)
            },
            n_trials=n_trials,
            timeout=timeout,
            sampler=sampler,
            pruner=make_pruner(pruner, n_steps=inner_splits),
            used={"sampler": _strategy_name(sampler), "pruner": _strategy_name(pruner)},
            random_state=random_state,
            poll_interval=poll_interval,
            progress=progress,
        )
    finally:
        optuna.logging.set_verbosity(verbosity)

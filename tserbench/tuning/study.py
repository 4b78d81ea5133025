"""Run an Optuna study that survives crashes and spreads over machines.

Everything is kept in an Optuna RDB storage (SQLite file on a laptop, a
PostgreSQL URL for several machines).  Any number of workers may run
:func:`tune` on the same ``storage`` and ``study_name``; together they finish
exactly ``n_trials`` trials (COMPLETE or PRUNED) and stop.

Crash safety comes from Optuna's heartbeat: every running trial writes a
heartbeat every ``heartbeat_interval`` seconds; a trial whose heartbeat is
older than ``grace_period`` is marked FAIL by the next worker that looks
(``optuna.storages.fail_stale_trials``) and Optuna's retry callback enqueues
a copy with the same parameters (state WAITING), which the next ``ask`` picks
up.  So a worker killed with SIGKILL leaves nothing RUNNING for long, and its
trial is re-run, not lost.

Why not only ``MaxTrialsCallback``: it stops a worker *after* its trial
finishes, so two workers overshoot (both start the last trial), and a worker
that stops while another worker's last trial is RUNNING cannot take over if
that worker dies.  :func:`tune` therefore (a) lets a worker start a trial
only while fewer than ``n_trials`` trials are COMPLETE, PRUNED or RUNNING,
waiting (and failing stale trials) otherwise, and (b) re-checks inside the
objective that its trial is among the first ``n_trials`` live trials by
number, discarding it as FAIL (``user_attrs["surplus"]``) when a race let it
in.  ``MaxTrialsCallback`` is still passed, as Optuna's own guard.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tserbench._renamed import renamed_keyword
from tserbench.exceptions import ConfigError
from tserbench.tuning.params import CONFIG_ATTR as _ATTR
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

_FINISHED = ("COMPLETE", "PRUNED")


def _jsonable(obj: Any) -> Any:
    """Round-trip through JSON so attributes compare equal after storage."""
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _check_or_set_config(study, config: dict[str, Any]) -> None:
    stored = study.user_attrs.get(_ATTR)
    if stored is None:
        study.set_user_attr(_ATTR, config)
        return
    if isinstance(stored.get("dataset_params"), dict):
        # a study created before a dataset parameter was renamed (rrab-synthetic's seed -> random_state)
        # stored the old name; the stored settings are left as they are, the comparison maps the name
        from tserbench.datasets import upgrade_params

        stored = {**stored, "dataset_params": upgrade_params(stored.get("dataset"), stored["dataset_params"])}
    diff = [f"{k}: study has {stored.get(k)!r}, asked {v!r}" for k, v in config.items() if stored.get(k) != v]
    if diff:
        raise ConfigError(
            f"study {study.study_name!r} was created for other settings ({'; '.join(diff)}); "
            "use another --study-name"
        )


def _strategy_name(obj: Any) -> str:
    """What a trial records of its sampler or pruner: the name given, or an object's class name."""
    return obj if isinstance(obj, str) else type(obj).__name__


def _count(trials, states) -> int:
    return sum(1 for t in trials if t.state.name in states)


class _Surplus(Exception):
    """This trial would exceed the study's ``n_trials``; it is discarded as FAIL."""


def _gate(study, trial, n_trials: int) -> None:
    """Raise :class:`_Surplus` unless ``trial`` is among the first ``n_trials`` live trials."""
    live = sorted(
        t.number for t in study.get_trials(deepcopy=False) if t.state.name in (*_FINISHED, "RUNNING")
    )
    if trial.number in live and live.index(trial.number) >= n_trials:
        trial.set_user_attr("surplus", True)
        raise _Surplus(f"trial {trial.number}: study already has {n_trials} trials")


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
        return _work(
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


def _work(
    objective, *, study_name, storage, config, n_trials, timeout, sampler, pruner, used, random_state, poll_interval,
    progress
):
    """The worker loop of :func:`tune` (see the module docstring)."""
    optuna = _optuna()
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction=objective.direction,
        load_if_exists=True,
        sampler=make_sampler(sampler, random_state),
        pruner=pruner,
    )
    _check_or_set_config(study, config)
    current: list[int] = []  # number of the trial this worker runs now
    metric = f"{'highest' if objective.direction == 'maximize' else 'lowest'} {config['metric']}"
    if progress:
        _say_what_runs(study, n_trials, metric)

    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    from tserbench.environment import environment

    worker_environment = environment()  # each worker records its own (machines may differ)

    def gated(trial):
        current[:] = [trial.number]
        trial.set_user_attr("worker", worker_id)
        trial.set_user_attr("environment", worker_environment)
        for key, name in used.items():  # workers of one study may use different strategies
            trial.set_user_attr(key, name)
        _gate(study, trial, n_trials)
        value = objective(trial)
        _gate(study, trial, n_trials)  # a race at ask() time is caught before the result counts
        return value

    deadline = None if timeout is None else time.monotonic() + float(timeout)
    bar = _Progress(study_name, n_trials, metric) if progress else None
    failures_in_a_row = 0
    # Ctrl-C inside a trial: Optuna marks it FAIL and logs the interrupt with its traceback
    # before re-raising it; the CLI's one line says the rest, so that log record is dropped
    optimize_log = logging.getLogger("optuna.study._optimize")
    drop_interrupts = _DropInterrupts()
    optimize_log.addFilter(drop_interrupts)
    try:
        while True:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # fail_stale_trials is "experimental"
                optuna.storages.fail_stale_trials(study)
            trials = study.get_trials(deepcopy=False)
            done = _count(trials, _FINISHED)
            if bar is not None:
                bar.update(study, done)
            if done >= n_trials:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if done + _count(trials, ("RUNNING",)) >= n_trials:
                time.sleep(poll_interval)  # the last trials run elsewhere; take over if they die
                continue
            remaining = None if deadline is None else max(1.0, deadline - time.monotonic())
            study.optimize(
                gated,
                n_trials=1,
                timeout=remaining,
                catch=(_Surplus,),
                callbacks=[MaxTrialsCallback(n_trials, states=(TrialState.COMPLETE, TrialState.PRUNED))],
            )
            mine = next((t for t in study.get_trials(deepcopy=False) if current and t.number == current[0]), None)
            current.clear()
            if mine is not None and mine.state == TrialState.FAIL and not mine.user_attrs.get("surplus"):
                failures_in_a_row += 1
                if failures_in_a_row >= 5:
                    raise ConfigError(
                        f"study {study_name!r}: 5 trials in a row failed "
                        f"(last: {mine.user_attrs.get('failure', 'see log')}); stopping"
                    )
            else:
                failures_in_a_row = 0
    finally:
        optimize_log.removeFilter(drop_interrupts)
        if bar is not None:
            bar.close()
    return study


class _DropInterrupts(logging.Filter):
    """Logging filter: drops Optuna's two records of a trial ended by KeyboardInterrupt."""

    def __init__(self):
        super().__init__()
        self._after_interrupt = False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt):
            self._after_interrupt = True  # the next record is "Trial N failed with value None."
            return False
        if self._after_interrupt:
            self._after_interrupt = False
            return "failed with value" not in record.getMessage()
        return True


def _say_what_runs(study, n_trials: int, metric: str) -> None:
    """One line on stderr: a new study, or a resumed one with what it holds already."""
    import sys

    trials = study.get_trials(deepcopy=False)
    if not trials:
        print(f"tune: new study {study.study_name}: {n_trials} trials; best = {metric} of the inner CV",
              file=sys.stderr)
        return
    try:
        best = f"; best ({metric}) so far {study.best_value:.4g} (trial {study.best_trial.number})"
    except ValueError:  # no completed trial yet
        best = ""
    print(f"tune: resuming study {study.study_name}: {_count(trials, _FINISHED)} of {n_trials} trials "
          f"finished{best}", file=sys.stderr)


class _Progress:
    """rich progress bar: finished trials of the whole study and the best value."""

    def __init__(self, study_name: str, total: int, metric: str = "value"):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[best]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._metric = metric
        self._task = self._progress.add_task(f"tune {study_name}", total=total, best="")
        self._progress.start()

    def update(self, study, done: int) -> None:
        try:
            best = f"best ({self._metric}) {study.best_value:.4g} (trial {study.best_trial.number})"
        except ValueError:  # no completed trial yet
            best = ""
        self._progress.update(self._task, completed=done, best=best)

    def close(self) -> None:
        self._progress.stop()

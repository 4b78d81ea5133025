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
from pathlib import Path
from typing import Any


from tserbench._config import DEFAULT_STORAGE as _DEFAULT_STORAGE
from tserbench._secrets import mask_secrets
from tserbench.exceptions import ConfigError
from tserbench.tuning.samplers import make_sampler

__all__ = [
    "DEFAULT_STORAGE",
    "make_storage",
    "make_pruner",
    "tune",
    "best_params",
    "export_params",
    "load_params",
]

#: Default storage: an SQLite file in the current directory.
DEFAULT_STORAGE = _DEFAULT_STORAGE  # defined where `tserbench --help` can read it without Optuna

_FINISHED = ("COMPLETE", "PRUNED")
_ATTR = "tserbench"  # study user attribute holding what the study tunes


def _optuna():
    import optuna

    return optuna


def _check_sqlite_exists(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url[len("sqlite:///") :])
        if not path.exists():
            raise ConfigError(f"{path}: no such Optuna SQLite storage (from {url!r})")


def make_storage(
    url: str | None = None,
    *,
    heartbeat_interval: int | None = 60,
    grace_period: int | None = None,
    max_retry: int | None = 3,
    must_exist: bool = False,
):
    """Build an Optuna ``RDBStorage`` with heartbeats and retry of dead trials.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default :data:`DEFAULT_STORAGE`.
    heartbeat_interval : int or None, default=60
        Seconds between heartbeats of a running trial; None disables crash recovery.
    grace_period : int, optional
        Seconds without heartbeat after which a trial counts as dead
        (Optuna's default: ``2 * heartbeat_interval``).
    max_retry : int or None, default=3
        How many times a dead trial is re-enqueued with the same parameters.
    must_exist : bool, default=False
        For reading: refuse to create a new SQLite file.

    Returns
    -------
    optuna.storages.RDBStorage
    """
    optuna = _optuna()
    url = url or DEFAULT_STORAGE
    if must_exist:
        _check_sqlite_exists(url)
    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Several local workers share one file: wait for the write lock instead
        # of failing with "database is locked".
        engine_kwargs["connect_args"] = {"timeout": 120}
    else:
        engine_kwargs["pool_pre_ping"] = True
    kwargs: dict[str, Any] = {}
    if heartbeat_interval is not None:
        kwargs["heartbeat_interval"] = int(heartbeat_interval)
        kwargs["grace_period"] = None if grace_period is None else int(grace_period)
        retry_cls = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ExperimentalWarning
            if retry_cls is not None:  # optuna >= 4.9
                kwargs["heartbeat_stale_trial_callback"] = retry_cls(max_retry=max_retry)
            else:  # pragma: no cover - older optuna
                kwargs["failed_trial_callback"] = optuna.storages.RetryFailedTrialCallback(max_retry=max_retry)
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    for attempt in range(5):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # heartbeat_interval is "experimental"
                return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **kwargs)
        except (IntegrityError, ProgrammingError):
            # Workers started together on an empty PostgreSQL database race to
            # create Optuna's tables (duplicate type/table); the loser retries
            # and finds them made.
            if attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))
        except ImportError as exc:
            raise ConfigError(mask_secrets(f"storage {url!r}: database driver missing ({exc})")) from None
        except OperationalError as exc:
            if "already exists" in str(exc) and attempt < 4:  # the same race on SQLite
                time.sleep(0.5 * (attempt + 1))
                continue
            raise ConfigError(mask_secrets(f"storage {url!r}: cannot open ({type(exc).__name__}: {exc})")) from None
        except Exception as exc:  # sqlalchemy ArgumentError / OperationalError: bad URL, server down
            raise ConfigError(mask_secrets(f"storage {url!r}: cannot open ({type(exc).__name__}: {exc})")) from None
    raise AssertionError("unreachable")  # pragma: no cover


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


def _jsonable(obj: Any) -> Any:
    """Round-trip through JSON so attributes compare equal after storage."""
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _check_or_set_config(study, config: dict[str, Any]) -> None:
    stored = study.user_attrs.get(_ATTR)
    if stored is None:
        study.set_user_attr(_ATTR, config)
        return
    diff = [f"{k}: study has {stored.get(k)!r}, asked {v!r}" for k, v in config.items() if stored.get(k) != v]
    if diff:
        raise ConfigError(
            f"study {study.study_name!r} was created for other settings ({'; '.join(diff)}); "
            "use another --study-name"
        )


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


def tune(
    dataset: str,
    model: str,
    *,
    n_trials: int,
    storage: str | None = None,
    study_name: str | None = None,
    timeout: float | None = None,
    sampler: str = "tpe",
    pruner: str = "median",
    seed: int | None = 0,
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
    storage : str, optional
        SQLAlchemy URL (default :data:`DEFAULT_STORAGE`: ``tserbench-optuna.db`` in the cwd).
    study_name : str, optional
        Default ``"<dataset>-<model>-h<holdout_fold>"``.  Must not contain ``':'``.
    timeout : float, optional
        Seconds after which this worker starts no new trial.
    sampler, pruner : str
        See :func:`make_sampler` and :func:`make_pruner`.
    seed : int or None, default=0
        Seeds the sampler (trial *k* samples from a stream seeded by
        ``(seed, k)``: one worker is reproducible, concurrent or resumed
        workers never replay each other's samples), the
        inner split, the outer ``KxR`` split and the model's ``random_state``.
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
    from tserbench.tuning.objective import CVObjective, load_tuning_data
    from tserbench.tuning.spaces import validate_space

    if int(n_trials) < 1:
        raise ConfigError(f"n_trials must be >= 1, got {n_trials}")
    n_trials = int(n_trials)
    study_name = study_name or f"{dataset}-{model}-h{holdout_fold}"
    if ":" in study_name:
        raise ConfigError(f"study name {study_name!r} must not contain ':' (it separates URL and study in specs)")
    fixed_params = _jsonable(dict(fixed_params or {}))
    dataset_params = _jsonable(dict(dataset_params or {}))
    validate_space(model, fixed=list(fixed_params))
    make_sampler(sampler)  # fail on a bad sampler/pruner before loading any data
    make_pruner(pruner)

    data = load_tuning_data(
        dataset,
        variant=variant,
        dataset_params=dataset_params,
        folds=folds,
        holdout_fold=holdout_fold,
        inner_splits=inner_splits,
        seed=0 if seed is None else seed,
    )
    objective = CVObjective(model, data, metric=metric, fixed_params=fixed_params, random_state=seed)
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
                "seed": seed,
            },
            n_trials=n_trials,
            timeout=timeout,
            sampler=sampler,
            pruner=make_pruner(pruner, n_steps=inner_splits),
            seed=seed,
            poll_interval=poll_interval,
            progress=progress,
        )
    finally:
        optuna.logging.set_verbosity(verbosity)


def _work(objective, *, study_name, storage, config, n_trials, timeout, sampler, pruner, seed, poll_interval, progress):
    """The worker loop of :func:`tune` (see the module docstring)."""
    optuna = _optuna()
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction=objective.direction,
        load_if_exists=True,
        sampler=make_sampler(sampler, seed),
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


# -- export -------------------------------------------------------------------


def _load_study(storage: str, study_name: str):
    optuna = _optuna()
    store = make_storage(storage, heartbeat_interval=None, must_exist=True)
    try:
        return optuna.load_study(study_name=study_name, storage=store)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(store)]
        raise ConfigError(
            f"storage {storage!r} has no study {study_name!r}; studies: {', '.join(names) or '(none)'}"
        ) from None


def best_params(study) -> dict[str, dict[str, Any]]:
    """``{model: constructor params}`` of the study's best trial, as it was trained.

    The searched parameters of the trial plus the parameters the study fixed
    for every trial (``tune --set``, typically the training budget such as
    ``n_epochs`` or ``schedule``), so that ``tserbench run --params-from``
    trains the configuration that scored, not the class defaults.

    Raises
    ------
    ConfigError
        If the study was not made by :func:`tune` or has no completed trial.
    """
    config = study.user_attrs.get(_ATTR)
    if not config:
        raise ConfigError(f"study {study.study_name!r} was not created by tserbench tune")
    try:
        trial = study.best_trial
    except ValueError:
        raise ConfigError(f"study {study.study_name!r} has no completed trial yet") from None
    fixed = dict(config.get("fixed_params") or {})  # the budget every trial trained with
    return {config["model"]: {**fixed, **dict(trial.user_attrs["params"])}}


def export_params(storage: str, study_name: str, path: str | os.PathLike) -> Path:
    """Write the best parameters of a study as ``{model: params}`` JSON (atomically).

    The file is what ``tserbench run --params-from FILE`` reads (see :func:`load_params`).
    """
    from tserbench._io import atomic_write_json

    return atomic_write_json(path, best_params(_load_study(storage, study_name)))


def load_params(spec: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Read tuned parameters from a JSON file or a ``STORAGE_URL:STUDY`` spec.

    Parameters
    ----------
    spec : str or path-like
        Either a JSON file ``{model: {param: value}}`` (as written by
        :func:`export_params`), or a storage URL and a study name joined by
        the *last* ``':'``, e.g. ``sqlite:///tserbench-optuna.db:rrab-synthetic-gru-h0``
        or ``postgresql+psycopg2://u@host:5432/db:my-study``.

    Returns
    -------
    dict
        ``{model: params}``; list values (layer sizes) are given back as tuples.
    """
    spec = os.fspath(spec)
    path = Path(spec)
    if path.suffix == ".json" or (path.exists() and path.is_file()):
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such params file") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
            raise ConfigError(f"{path}: expected a JSON object {{model: {{param: value}}}}")
        params = raw
    else:
        url, sep, study_name = spec.rpartition(":")
        if not sep or "://" not in url or not study_name or "/" in study_name:
            raise ConfigError(
                f"params spec {mask_secrets(spec)!r}: expected a .json file or STORAGE_URL:STUDY "
                "(e.g. sqlite:///tserbench-optuna.db:rrab-synthetic-gru-h0)"
            )
        params = best_params(_load_study(url, study_name))
    return {
        model: {k: tuple(v) if isinstance(v, list) else v for k, v in p.items()} for model, p in params.items()
    }

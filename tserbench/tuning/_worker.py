"""The worker loop of :func:`~tserbench.tuning.study.tune`: any number of workers share one study.

Everything is kept in an Optuna RDB storage (SQLite file on a laptop, a
PostgreSQL URL for several machines).  Any number of workers may run
``tune`` on the same ``storage`` and ``study_name``; together they finish
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
that worker dies.  The loop therefore (a) lets a worker start a trial
only while fewer than ``n_trials`` trials are COMPLETE, PRUNED or RUNNING,
waiting (and failing stale trials) otherwise, and (b) re-checks inside the
objective that its trial is among the first ``n_trials`` live trials by
number, discarding it as FAIL (``user_attrs["surplus"]``) when a race let it
in.  ``MaxTrialsCallback`` is still passed, as Optuna's own guard.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from typing import Any

from tserbench.exceptions import ConfigError
from tserbench.tuning.params import CONFIG_ATTR as _ATTR
from tserbench.tuning.samplers import make_sampler
from tserbench.tuning.storages import _optuna

__all__ = ["work"]

_FINISHED = ("COMPLETE", "PRUNED")


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


def work(
    objective, *, study_name, storage, config, n_trials, timeout, sampler, pruner, used, random_state, poll_interval,
    progress
):
    """Run trials of ``study_name`` until the study has ``n_trials`` finished ones (see the module docstring)."""
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

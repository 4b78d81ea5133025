"""Execution engines of the runner: in this process, local joblib/loky workers, or a dask cluster.

Parallelism uses existing engines only: joblib's ``loky`` backend locally,
and joblib's ``dask`` backend on a ``dask.distributed`` cluster when a
scheduler address is given.  An engine knows nothing of what a job does: it
calls the job function it is given on each task and yields the results as
they finish.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator

from tserbench.exceptions import ConfigError

__all__ = ["execute", "watch_parent"]

_WATCHED: set[int] = set()


def watch_parent(pid: int, interval: float = 1.0) -> None:
    """In a worker process: exit at once when process ``pid`` no longer exists (once per worker).

    loky keeps its workers alive when the process that started them is
    killed with SIGKILL (no signal handler runs then); this daemon thread
    makes them follow it within ``interval`` seconds.
    """
    if pid in _WATCHED:
        return
    _WATCHED.add(pid)
    import threading

    def watch():
        while True:
            time.sleep(interval)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - the pid exists (another user's)
                pass

    threading.Thread(target=watch, name="tserbench-parent-watch", daemon=True).start()


def execute(job: Callable, tasks: list[tuple], data, *, random_state: int, n_jobs: int, scheduler, return_estimator: bool,
            also_held_out: bool = False, checkpoint: tuple | None = None,
            seed_by_repeat: bool = False) -> Iterator:
    """Run ``job`` on ``tasks`` = [(name, estimator, repeat, fold, train, test)], yield results as they finish.

    Parameters
    ----------
    job : callable
        ``job(estimator, data, train, test, *, model, repeat, fold, **options)``
        (the runner's :func:`~tserbench.evaluation._job.run_job`); must be
        picklable for the parallel engines.
    tasks : list of tuple
    data : BenchmarkData
        Sent once per worker (memory-mapped by loky, scattered by dask).
    random_state, return_estimator, also_held_out, checkpoint, seed_by_repeat
        Passed to ``job``.
    n_jobs : int
        Local worker processes (1: in this process).
    scheduler : str or dask.distributed.Client or None
        A dask scheduler: the jobs run on its workers.
    """
    if not tasks:
        return
    kwargs = {"random_state": random_state, "return_estimator": return_estimator, "also_held_out": also_held_out,
              "checkpoint": checkpoint, "seed_by_repeat": seed_by_repeat}
    if scheduler is None and (n_jobs == 1 or len(tasks) == 1):
        for name, est, r, f, train, test in tasks:
            yield job(est, data, train, test, model=name, repeat=r, fold=f, **kwargs)
        return
    from joblib import Parallel, delayed, parallel_config

    if scheduler is None:  # local workers follow this process if it is killed
        kwargs["parent_pid"] = os.getpid()

    calls = (
        delayed(job)(est, data, train, test, model=name, repeat=r, fold=f, **kwargs)
        for name, est, r, f, train, test in tasks
    )
    if scheduler is None:
        # loky replaces a worker whose memory grew during a job (TensorFlow's does)
        # and warns each time; the restart is harmless, the warning only noise
        warnings.filterwarnings("ignore", message="A worker stopped while some jobs", category=UserWarning)
        yield from Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")(calls)
        return
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ConfigError("--scheduler needs dask.distributed (pip install 'dask[distributed]')") from exc
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, set_as_default=False) if own else scheduler
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cannot connect to the dask scheduler {scheduler!r}: {exc}") from exc
    try:
        # scatter: the data is sent once to each worker, not once per job
        with parallel_config(backend="dask", client=client, scatter=[data]):
            yield from Parallel(n_jobs=-1, return_as="generator_unordered")(calls)
    finally:
        if own:
            client.close()



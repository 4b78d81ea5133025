"""The cross-validation runner: models x repeats x folds, resumable, parallel.

Each (model, repeat, fold) is an independent job (:func:`run_job`): clone the
estimator, give it a random state derived from ``(seed, model, repeat,
fold)``, fit it on the training part, predict both parts, score both.  Jobs
receive the data as arrays (sent once per worker: joblib memory-maps large
numpy arrays for loky, and the dask backend scatters them), so workers on
other machines need tserbench installed but no data home.  Results come back
to the calling process, which alone writes the result store
(:class:`~tserbench.evaluation.store.ResultStore`): workers need not share
its file system, and a job is written as soon as it finishes, so an
interrupted run resumes where it stopped.

Parallelism uses existing engines only: joblib's ``loky`` backend locally,
and joblib's ``dask`` backend on a ``dask.distributed`` cluster when a
scheduler address is given.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import platform
import sys
import time
import warnings
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tserbench import __version__
from tserbench._io import atomic_write_json
from tserbench._secrets import mask_secrets
from tserbench.environment import environment
from tserbench.evaluation._progress import Reporter
from tserbench.evaluation.data import TARGET_ERROR_COLUMNS, VARIANTS, BenchmarkData, load_benchmark_data, take_rows
from tserbench.evaluation.metrics import score
from tserbench.evaluation.splitters import make_splitter, parse_folds
from tserbench.evaluation.store import ResultStore
from tserbench.exceptions import ConfigError

__all__ = [
    "BenchmarkData",
    "JobResult",
    "load_benchmark_data",
    "job_seed",
    "run_job",
    "run_benchmark",
    "resolve_models",
    "TARGET_ERROR_COLUMNS",
    "VARIANTS",
]

# ---------------------------------------------------------------------------
# one job
# ---------------------------------------------------------------------------
def job_seed(seed: int, model: str, repeat: int, fold: int) -> int:
    """Random state of one job, a deterministic function of its coordinates.

    Uses :class:`numpy.random.SeedSequence` over ``(seed, crc32(model),
    repeat, fold)``: stable across processes and machines (unlike ``hash``),
    so serial, loky and dask runs train identical models.

    Returns
    -------
    int
        In ``[0, 2**31 - 1)``.
    """
    entropy = [int(seed) & 0xFFFFFFFF, zlib.crc32(model.encode("utf-8")), int(repeat), int(fold)]
    state = np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint32)[0]
    return int(state % (2**31 - 1))


def _set_random_state(estimator, random_state: int) -> None:
    """Set ``random_state`` (and nested ``*__random_state``) where the estimator has it."""
    try:
        names = estimator.get_params(deep=True)
    except TypeError:
        names = estimator.get_params()
    keys = {k: random_state for k in names if k == "random_state" or k.endswith("__random_state")}
    if keys:
        estimator.set_params(**keys)


def _history_of(estimator) -> dict[str, list[float]] | None:
    """Per-epoch history of a fitted deep regressor, as a dict of float lists."""
    hist = getattr(estimator, "history_", None)
    if hist is None:
        hist = getattr(estimator, "history", None)  # sktime's BaseDeepRegressor: a keras History
    if hist is not None and not isinstance(hist, Mapping):
        hist = getattr(hist, "history", None)
    if not isinstance(hist, Mapping):
        return None
    out = {}
    for key, values in hist.items():
        try:
            out[str(key)] = [float(v) for v in values]
        except (TypeError, ValueError):
            continue
    return out or None


def _epochs_of(estimator, history) -> int | None:
    n = getattr(estimator, "n_epochs_trained_", None)
    if isinstance(n, (int, np.integer)):
        return int(n)
    if history and history.get("loss"):
        return len(history["loss"])
    return None


def _metric_weights(data: BenchmarkData, y_train: np.ndarray, train, test):
    """Weights of the w-metrics for the training and validation parts, and their description.

    Inverse target variance where the dataset publishes target errors; else
    the density weights the dataset declares for training (the RRab sets:
    DG22's, cutoff 0.5, fitted on the training part); else none (the
    weighted metrics are then left out).
    """
    if data.y_err is not None:
        return 1.0 / data.y_err[train] ** 2, 1.0 / data.y_err[test] ** 2, "inverse target variance"
    cutoff = data.model_defaults.get("weight_cutoff")
    if cutoff is None:
        return None, None, None
    w_train, w_val, desc = _density_weights(y_train.tobytes(), data.y[test].tobytes(), float(cutoff))
    return np.frombuffer(w_train), np.frombuffer(w_val), desc


@functools.lru_cache(maxsize=8)
def _density_weights(y_train: bytes, y_val: bytes, cutoff: float) -> tuple[bytes, bytes, str]:
    """DG22 density weights fitted on the training targets (cached: every model of a fold shares them)."""
    from tserbench.preprocessing import DensityWeighter

    weighter = DensityWeighter(cutoff=cutoff)
    w_train = weighter.fit_transform(np.frombuffer(y_train))  # fitted on the training part only
    w_val = weighter.transform(np.frombuffer(y_val))
    desc = f"DG22 density weights fitted on the training part (cutoff={cutoff})"
    return np.asarray(w_train, dtype=float).tobytes(), np.asarray(w_val, dtype=float).tobytes(), desc


_WATCHED: set[int] = set()


def _watch_parent(pid: int, interval: float = 1.0) -> None:
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


#: Suffix of the row that the papers' selection picks from the same training
#: runs as an ``inner`` model (``run_benchmark(also_held_out=True)``).
HELD_OUT_SUFFIX = ".held-out"


def held_out_twin(model: str) -> str:
    """Name of the ``held-out`` row trained in the same runs as ``model`` (``gru`` -> ``gru.held-out``)."""
    return f"{model}{HELD_OUT_SUFFIX}"


def selection_of(estimator) -> str:
    """The selection protocol of an estimator: its ``selection`` parameter, else ``"inner"``.

    Estimators without the parameter select nothing on the test data (what
    they tune, they tune on their training part), which is the ``inner``
    protocol.
    """
    try:
        return str(estimator.get_params(deep=False).get("selection", "inner"))
    except (AttributeError, TypeError):
        return "inner"


@dataclass
class JobResult:
    """What one job sends back: its JSON record, its OOF frame, maybe the fitted model.

    ``twins`` holds the results of other rows produced by the same fit (the
    ``held-out`` pick of an ``inner`` model's run), written with it.
    """

    model: str
    repeat: int
    fold: int
    record: dict
    oof: pd.DataFrame
    estimator: Any = None
    twins: list = field(default_factory=list)


def _score(est, data: BenchmarkData, train, test, *, model: str, repeat: int, fold: int):
    """Predict both parts and score them: ``(metrics, predict_seconds, validation predictions, weights note)``."""
    X_train, y_train = take_rows(data.X, train), data.y[train]
    X_val, y_val = take_rows(data.X, test), data.y[test]
    t0 = time.perf_counter()
    pred_val = np.asarray(est.predict(X_val), dtype=float).reshape(-1)
    predict_seconds = time.perf_counter() - t0
    pred_train = np.asarray(est.predict(X_train), dtype=float).reshape(-1)
    w_train, w_val, weights = _metric_weights(data, y_train, train, test)
    where = f"model {model!r}, repeat {repeat}, fold {fold}"
    metrics = {
        "train": score(y_train, pred_train, w_train, where=f"{where}, training part"),
        "val": score(y_val, pred_val, w_val, where=f"{where}, validation part"),
    }
    return metrics, predict_seconds, pred_val, weights


def run_job(
    estimator,
    data: BenchmarkData,
    train: np.ndarray,
    test: np.ndarray,
    *,
    model: str,
    repeat: int,
    fold: int,
    seed: int = 0,
    return_estimator: bool = False,
    also_held_out: bool = False,
    checkpoint: tuple | None = None,
    parent_pid: int | None = None,
    seed_by_repeat: bool = False,
) -> JobResult:
    """Fit and score one (model, repeat, fold) job.

    The estimator is cloned (sklearn/sktime ``clone``), given the random
    state :func:`job_seed` ``(seed, model, repeat, fold)``, fitted on the
    training part and scored on both parts.  Nothing is written here (the
    caller owns the result store), so a job can run on any machine.

    An estimator with ``selection="held-out"`` (the papers' protocol) is
    fitted with the test part attached (``fit_with_held_out``) and picks its
    epoch on it.  With ``also_held_out``, a deep regressor with
    ``selection="inner"`` is fitted the same way, keeps its inner pick, and
    the held-out pick of the same run comes back as a twin result
    (:func:`held_out_twin` names it).

    Parameters
    ----------
    estimator : sktime or sklearn regressor
        Unfitted template.
    data : BenchmarkData
    train, test : numpy.ndarray of int
        Row indices of the two parts.
    model : str
        Model name (result folder, error messages, seed).
    repeat, fold : int
    seed : int
        Run seed.
    return_estimator : bool
        Send the fitted estimator back (for ``save_models``).
    also_held_out : bool
        Also return the held-out pick of the same run (deep regressors only).
    checkpoint : tuple (folder, every), optional
        Deep regressors checkpoint their fit to
        ``folder/<model>/r<repeat>_f<fold>.npz`` every ``every`` epochs and
        resume from it when the job is run again after a kill.
    seed_by_repeat : bool, default=False
        Give the estimator ``random_state=repeat`` instead (the archive's
        resamples: tsml-eval seeds resample ``r``'s estimator with ``r``).
    parent_pid : int, optional
        The process that runs the benchmark.  A local worker process (not
        that one) watches it and exits when it is gone, so that killing a run
        with SIGKILL leaves no worker training on as an orphan.

    Returns
    -------
    JobResult

    Raises
    ------
    PredictionError
        If the model predicts NaN or inf (the message names model, repeat, fold).
    ConfigError
        If ``selection="held-out"`` is asked of an estimator that cannot
        score the test data during its fit.
    """
    from sklearn.base import clone

    if parent_pid is not None and parent_pid != os.getpid():
        _watch_parent(parent_pid)
    train = np.asarray(train)
    test = np.asarray(test)
    est = clone(estimator)
    random_state = int(repeat) if seed_by_repeat else job_seed(seed, model, repeat, fold)
    _set_random_state(est, random_state)
    X_train, y_train = take_rows(data.X, train), data.y[train]
    selection = selection_of(est)
    can_score = hasattr(est, "fit_with_held_out")
    if selection == "held-out" and not can_score:
        raise ConfigError(f"model {model!r}: selection='held-out' needs a regressor that scores the test "
                          "fold during its fit (tserbench's deep regressors)")
    twin = also_held_out and can_score and selection == "inner"
    if checkpoint is not None and hasattr(est, "checkpoint_to"):
        folder, every = checkpoint
        est.checkpoint_to(Path(folder) / model / f"r{int(repeat)}_f{int(fold)}.npz", every)

    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    try:
        if selection == "held-out" or twin:
            est.fit_with_held_out(X_train, y_train, take_rows(data.X, test), data.y[test])
        else:
            est.fit(X_train, y_train)
    except Exception as exc:
        if type(exc).__name__ == "InvalidParameterError":  # scikit-learn's check of a parameter, at fit
            raise ConfigError(f"model {model!r}: {exc}") from None
        raise
    fit_seconds = time.perf_counter() - t0
    metrics, predict_seconds, pred_val, weights = _score(est, data, train, test, model=model, repeat=repeat,
                                                         fold=fold)
    history = _history_of(est)
    y_val = data.y[test]
    record = {
        "model": model,
        "repeat": int(repeat),
        "fold": int(fold),
        "estimator": f"{type(est).__module__}.{type(est).__qualname__}",
        "random_state": random_state,
        "selection": selection,
        "selection_detail": getattr(est, "selection_", None),
        # deep regressors: how the run ended ("converged" or "cap") and its budget in steps
        "stop_reason": getattr(est, "stop_reason_", None),
        "steps": getattr(est, "n_steps_trained_", None),
        "schedule": getattr(est, "schedule_", None),
        # the RMSE of predicting the training targets' mean for every validation star
        "mean_predictor_rmse": float(np.sqrt(np.mean((y_val - np.mean(y_train)) ** 2))),
        "n_train": int(len(train)),
        "n_val": int(len(test)),
        "metrics": metrics,
        "weights": weights,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "epochs": _epochs_of(est, history),
        "resumed_from_epoch": getattr(est, "resumed_from_epoch_", None),
        "history": history,
        "started": started.isoformat(timespec="seconds"),
        "host": platform.node(),
        "pid": os.getpid(),
        "tserbench_version": __version__,
        "environment": environment(),  # of the process that fitted the model (a dask worker, say)
    }

    def oof(pred):
        return pd.DataFrame({
            "source_id": data.source_id[test].astype(np.int64),
            "repeat": int(repeat),
            "fold": int(fold),
            "y_true": data.y[test],
            "y_pred": pred,
        })

    result = JobResult(model, int(repeat), int(fold), record, oof(pred_val), est if return_estimator else None)
    if twin:
        name = held_out_twin(model)
        picked = est.selected_by("held-out")
        t_metrics, t_predict, t_pred, _ = _score(picked, data, train, test, model=name, repeat=repeat, fold=fold)
        t_record = {
            **record,
            "model": name,
            "selection": "held-out",
            "trajectory_of": model,  # the same training run; its fit_seconds are that run's
            "stop_reason": "converged" if est.selection_["held-out"]["converged"] else "cap",
            "metrics": t_metrics,
            "predict_seconds": t_predict,
            "epochs": record["epochs"],
            "history": None,  # the run's learning curves are in the record of `model`
        }
        result.twins.append(JobResult(name, int(repeat), int(fold), t_record, oof(t_pred)))
    return result


# ---------------------------------------------------------------------------
# models and params
# ---------------------------------------------------------------------------
def resolve_models(models, params: Mapping[str, Mapping] | None = None) -> list[tuple[str, Any]]:
    """Turn ``models`` into ``[(name, unfitted estimator), ...]``.

    Parameters
    ----------
    models : str, sequence or mapping
        Registry names (a list, or one comma-separated string), ``(name,
        estimator)`` pairs, estimator objects (named after their class), or a
        mapping ``name -> estimator``.
    params : mapping, optional
        ``{model name: {param: value}}`` passed to the registry (or, for
        estimator objects, to ``set_params``).
    """
    params = dict(params or {})
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    if isinstance(models, Mapping):
        models = list(models.items())
    resolved: list[tuple[str, Any]] = []
    for item in models:
        if isinstance(item, str):
            from tserbench.regressors import get_regressor

            resolved.append((item, get_regressor(item, **dict(params.get(item, {})))))
            continue
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, est = item
        elif hasattr(item, "fit") and hasattr(item, "predict"):
            name, est = type(item).__name__.lower(), item
        else:
            raise ConfigError(f"not a model name or estimator: {item!r}")
        if params.get(name):
            from sklearn.base import clone

            est = clone(est).set_params(**dict(params[name]))
        resolved.append((name, est))
    names = [n for n, _ in resolved]
    if not names:
        raise ConfigError("no models to run")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"model(s) listed twice: {', '.join(dupes)}")
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ConfigError(f"params given for model(s) not in the run: {', '.join(unknown)}")
    return resolved


def _apply_dataset_defaults(resolved, defaults: Mapping, params: Mapping) -> list[tuple[str, Any]]:
    """Give each deep model the parameters its dataset declares (``BenchmarkData.model_defaults``).

    They describe how the papers train networks on the task (the RRab sets:
    DG22's density weights, no standardisation), so only tserbench's deep
    regressors get them; a classical model keeps its own defaults.  A deep
    model gets a declared value for a parameter it takes, unless the run
    sets that parameter (in ``params``) or the estimator was given with a
    value other than its class default: what a run asks for wins.
    """
    if not defaults:
        return resolved
    out = []
    for name, est in resolved:
        if not hasattr(est, "build_model"):  # not one of tserbench's deep regressors
            out.append((name, est))
            continue
        mine = est.get_params(deep=False)
        class_defaults = _class_defaults(est)
        given = dict(params.get(name) or {})
        update = {k: v for k, v in defaults.items()
                  if k in mine and k not in given and mine[k] == class_defaults.get(k, mine[k])}
        if update:
            from sklearn.base import clone

            est = clone(est).set_params(**update)
        out.append((name, est))
    return out


def _json_value(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _class_defaults(estimator) -> dict:
    """The class defaults of ``estimator``'s parameters, JSON-safe."""
    import inspect

    try:
        signature = inspect.signature(type(estimator).__init__)
    except (TypeError, ValueError):
        return {}
    return {name: _json_value(p.default) for name, p in signature.parameters.items()
            if p.default is not inspect.Parameter.empty}


def _params_record(estimator) -> dict:
    """``get_params(deep=False)`` made JSON-safe, without the per-job random state."""
    return {
        k: _json_value(v)
        for k, v in estimator.get_params(deep=False).items()
        if not (k == "random_state" or k.endswith("__random_state"))
    }


# ---------------------------------------------------------------------------
# execution engines
# ---------------------------------------------------------------------------
def _execute(tasks: list[tuple], data: BenchmarkData, *, seed: int, n_jobs: int, scheduler, return_estimator: bool,
             also_held_out: bool = False, checkpoint: tuple | None = None,
             seed_by_repeat: bool = False) -> Iterator[JobResult]:
    """Run ``tasks`` = [(name, estimator, repeat, fold, train, test)], yield results as they finish."""
    if not tasks:
        return
    kwargs = {"seed": seed, "return_estimator": return_estimator, "also_held_out": also_held_out,
              "checkpoint": checkpoint, "seed_by_repeat": seed_by_repeat}
    if scheduler is None and (n_jobs == 1 or len(tasks) == 1):
        for name, est, r, f, train, test in tasks:
            yield run_job(est, data, train, test, model=name, repeat=r, fold=f, **kwargs)
        return
    from joblib import Parallel, delayed, parallel_config

    if scheduler is None:  # local workers follow this process if it is killed
        kwargs["parent_pid"] = os.getpid()

    calls = (
        delayed(run_job)(est, data, train, test, model=name, repeat=r, fold=f, **kwargs)
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


# ---------------------------------------------------------------------------
# the benchmark
# ---------------------------------------------------------------------------
def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def run_benchmark(
    dataset,
    models,
    *,
    variant: str = "full",
    folds: str | None = "predefined",
    seed: int = 0,
    out: str | os.PathLike | None = None,
    n_jobs: int = 1,
    scheduler=None,
    params: Mapping[str, Mapping] | None = None,
    dataset_params: Mapping | None = None,
    save_models: bool = False,
    progress: bool = True,
    command: str | None = None,
    also_held_out: bool = False,
    checkpoint_every: int | None = 10,
) -> Path:
    """Cross-validate ``models`` on ``dataset`` and write the result store.

    Parameters
    ----------
    dataset : str or dataset object
        Registry name (``rrab-synthetic``, ``rrab-gaia-dg22``, ``tecator``,
        ``covid3month``) or an sktime dataset object.
    models : str, sequence or mapping
        See :func:`resolve_models`.
    variant : {"full", "spline", "raw"}, default="full"
        Preprocessing variant of the RRab datasets.
    folds : str or None, default="predefined"
        ``"predefined"`` (the dataset's own folds) or ``"KxR"`` (e.g.
        ``"5x2"``: :class:`RepeatedStratifiedRegressionKFold` with K folds,
        R repeats, strata of 20, shuffled with ``seed``), ``"fixed"`` (the
        dataset's own train/test split) or ``"resamples:N"`` (tsml-eval's
        resamples of it, :class:`~tserbench.evaluation.splitters.ArchiveResamples`;
        the estimator of resample ``r`` gets ``random_state=r``).  None: the
        dataset's folds if it has some, else ``"5x1"``.
    seed : int, default=0
        Seed of the fold shuffles and, through :func:`job_seed`, of every model.
    out : path, optional
        Result folder; default ``results/<dataset>``.
    n_jobs : int, default=1
        Local worker processes (joblib/loky; -1 = all cores).  Ignored with ``scheduler``.
    scheduler : str or dask.distributed.Client, optional
        Dask scheduler address (``"tcp://HOST:PORT"``): jobs run on its workers.
    params : mapping, optional
        ``{model: {param: value}}`` hyper-parameters.
    dataset_params : mapping, optional
        Extra dataset parameters (e.g. ``{"n_stars": 300}``).
    save_models : bool, default=False
        Keep each fitted fold model under ``OUT/<model>/models/r<R>_f<F>/``
        and, once all folds are done, the fold ensemble in ``OUT/<model>/models/``
        (model directories of :mod:`tserbench.regressors._saved`).
    progress : bool, default=True
        Report progress (rich bar on a terminal, plain lines otherwise).
    command : str, optional
        Command line to record in run.json.
    also_held_out : bool, default=False
        For each deep model with ``selection="inner"``, also record the
        papers' selection from the same training runs: the epoch with the
        lowest loss on the CV test fold itself, as a row named
        ``<model>.held-out`` (selection ``held-out``: optimistic, never
        ranked as honest).  The inner row is unchanged by it.
    checkpoint_every : int or None, default=10
        Deep regressors checkpoint each fold's fit every this many epochs
        under ``OUT/.checkpoints/``; a run killed mid-fold then loses at most
        that many epochs of the folds in progress (the resumed fold is the
        same protocol, not bit-identical: see
        :mod:`tserbench.regressors._checkpoint`).  None: no checkpoints.

    Returns
    -------
    pathlib.Path
        The result folder.
    """
    started = _now()
    t_start = time.perf_counter()
    if folds is not None:
        parse_folds(folds)  # fail on a bad spec before loading anything
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    if scheduler is None and (not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0):
        raise ConfigError(f"n_jobs must be a non-zero int, got {n_jobs!r}")
    if checkpoint_every is not None and (isinstance(checkpoint_every, bool)
                                         or not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1):
        raise ConfigError(f"checkpoint_every must be a positive number of epochs or None, got {checkpoint_every!r}")
    resolved = resolve_models(models, params)
    data = load_benchmark_data(dataset, variant=variant, dataset_params=dataset_params)
    resolved = _apply_dataset_defaults(resolved, data.model_defaults, params or {})
    splitter = make_splitter(folds, folds=data.folds, random_state=int(seed), dataset=repr(data.name),
                             test_mask=data.test_mask)
    seed_by_repeat = bool(getattr(splitter, "seeds_estimator_by_repeat", False))
    splits = list(splitter.split_with_repeat(data.X, data.y))

    out = _result_folder(out, data.name)
    store = ResultStore(out)
    run_info = {
        "dataset": data.name,
        "dataset_params": data.params,
        "variant": data.variant,
        "protocol": splitter.protocol,
        "seed": int(seed),
        "n_instances": len(data),
        "n_splits": len(splits),
        # recorded for publication: a storage URL's password never is
        "command": mask_secrets(command if command is not None else " ".join(sys.argv)),
        "started": started,
        "tserbench_version": __version__,
        "python": platform.python_version(),
        "host": platform.node(),
        "environment": environment(),
    }
    if hasattr(splitter, "bin_size"):
        run_info["bin_size"] = splitter.bin_size
    if seed_by_repeat:
        run_info["estimator_seed"] = "the resample number (tsml-eval's convention)"
    with store.writer():  # one writer per store: a second run is refused before it writes anything
        store.remove_stale_temp_files()  # half-written files of a killed run (never read: no valid name)
        # refuse a run that would mix results before anything is written (run.json, params.json)
        store.check_run(run_info)
        for name, est in resolved:
            store.check_params(name, _params_record(est), defaults=_class_defaults(est))
        run = store.init_run(run_info)
        model_names = list(run.get("models", []))
        twins = dict(run.get("held_out_twins") or {})  # twin row -> the model whose runs it comes from
        for name, est in resolved:
            params = _params_record(est)
            store.write_params(name, params, defaults=_class_defaults(est))
            names = [name]
            if also_held_out and hasattr(est, "fit_with_held_out") and selection_of(est) == "inner":
                twin = held_out_twin(name)
                store.write_params(twin, {**params, "selection": "held-out"}, defaults=_class_defaults(est))
                twins[twin] = name
                names.append(twin)
            for n in names:
                if n not in model_names:
                    model_names.append(n)
        run["models"] = model_names
        if twins:
            run["held_out_twins"] = twins
        atomic_write_json(store.run_path, run)

        # fold-major order: models alternate, so the ETA (mean job time so far) is
        # not fooled by a run of fast classical jobs before the slow deep ones
        tasks, skipped = [], 0
        twin_of = {base: twin for twin, base in twins.items()} if also_held_out else {}
        for repeat, fold, train, test in splits:
            for name, est in resolved:
                done = store.is_done(name, repeat, fold)
                if name in twin_of:  # both rows come from one run: done only when both are written
                    done = done and store.is_done(twin_of[name], repeat, fold)
                if done:
                    skipped += 1
                else:
                    tasks.append((name, est, repeat, fold, train, test))

        where = f"dask {mask_secrets(scheduler)}" if scheduler else f"n_jobs {n_jobs}"
        header = (f"run: {data.name} ({len(data)} instances, {splitter.protocol}), "
                  f"models {', '.join(n for n, _ in resolved)}, {len(splits)} split(s) each, {where}, out {out}")
        reporter = Reporter(len(tasks), skipped, progress, header=header, models=[t[0] for t in tasks])
        try:
            for result in _execute(
                tasks, data, seed=int(seed), n_jobs=int(n_jobs), scheduler=scheduler, return_estimator=save_models,
                also_held_out=also_held_out, seed_by_repeat=seed_by_repeat,
                checkpoint=None if checkpoint_every is None else (str(store.out.resolve() / ".checkpoints"), int(checkpoint_every)),
            ):
                if save_models:
                    _save_model(store, data, result)
                for twin in result.twins:  # written first: the base job's file marks the pair done
                    store.write_job(twin.model, twin.repeat, twin.fold, twin.record, twin.oof)
                store.write_job(result.model, result.repeat, result.fold, result.record, result.oof)
                reporter.job_done(result)
        finally:
            reporter.close()

        if save_models:
            for name, _ in resolved:
                _save_ensemble(store, data, name, [(r, f) for r, f, _, _ in splits])
        run = store.read_run() or run
        run["finished"] = _now()
        run["wall_seconds"] = float(run.get("wall_seconds") or 0.0) + (time.perf_counter() - t_start)
        atomic_write_json(store.run_path, run)
    return out


def _result_folder(out, dataset: str) -> Path:
    """The result folder, created: a given one needs an existing parent (no folders made at random places)."""
    if out is None:
        path = Path("results") / dataset  # the default: results/ is made here if need be
    else:
        path = Path(out)
        if not path.parent.is_dir():
            raise ConfigError(f"--out {path}: its parent folder {path.parent} does not exist (create it first)")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path}: a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {path}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"--out {path}: the folder is not writable")
    return path


def _save_ensemble(store: ResultStore, data: BenchmarkData, model: str, jobs: list[tuple[int, int]]) -> None:
    """Gather the fold models of ``model`` into one model directory ``OUT/<model>/models/``.

    ``tserbench predict OUT/<model>/models`` then averages the fold models.
    Written only when every job has its fold model (a resumed run fitted
    before ``--save-models`` was given has none for its old jobs).
    """
    from tserbench.regressors._saved import load_model_dir, save_model_dir

    folder = store.model_dir(model) / "models"
    dirs = [folder / f"r{r}_f{f}" for r, f in jobs]
    missing = [d.name for d in dirs if not (d / "manifest.json").exists()]
    if missing:  # said, not silent: the user asked for models and would find none
        warnings.warn(
            f"--save-models: {model}: {len(missing)} of {len(dirs)} job(s) ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}) were fitted by an earlier run without --save-models "
            f"and have no saved model, so {folder} holds no ensemble; finished jobs are not refitted: "
            "give --save-models to the first run, or run again into a new --out",
            stacklevel=2,
        )
        return
    estimators = [load_model_dir(d, trust_pickle=True)[0][0] for d in dirs]  # written by this run
    save_model_dir(
        folder,
        estimators,
        variant=data.variant or "full",
        n_grid=int(data.params.get("n_grid", 50)),
        max_len=int(data.params.get("max_len", 80)),
        model_name=model,
        dataset=data.name,
        extra={"jobs": [f"r{r}_f{f}" for r, f in jobs], "note": "one fitted model per CV fold; predictions are averaged"},
    )


def _save_model(store: ResultStore, data: BenchmarkData, result: JobResult) -> None:
    """Keep one fitted fold model via the registry's saved-model format (imported lazily)."""
    from tserbench.regressors._saved import save_model_dir

    save_model_dir(
        store.model_dir(result.model) / "models" / f"r{result.repeat}_f{result.fold}",
        [result.estimator],
        variant=data.variant or "full",
        n_grid=int(data.params.get("n_grid", 50)),
        max_len=int(data.params.get("max_len", 80)),
        model_name=result.model,
        dataset=data.name,
        extra={"repeat": result.repeat, "fold": result.fold, "val": result.record["metrics"]["val"]},
    )


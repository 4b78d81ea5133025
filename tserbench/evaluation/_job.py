"""One job of the runner: fit and score one (model, repeat, fold), return its record.

Each (model, repeat, fold) is an independent job (:func:`run_job`): clone the
estimator, give it a random state derived from ``(random_state, model,
repeat, fold)``, fit it on the training part, predict both parts, score both.
Nothing is written here (the caller owns the result store), so a job can run
on any machine that has tserbench installed.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tserbench import __version__
from tserbench._renamed import renamed_keyword
from tserbench.environment import environment
from tserbench.evaluation._engines import watch_parent
from tserbench.evaluation._history import epochs_of, history_of
from tserbench.evaluation._seeding import job_seed, set_random_state
from tserbench.evaluation._weights import metric_weights
from tserbench.evaluation.data import BenchmarkData, take_rows
from tserbench.evaluation.metrics import score
from tserbench.exceptions import ConfigError

__all__ = ["HELD_OUT_SUFFIX", "JobResult", "held_out_twin", "run_job", "selection_of"]


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
    w_train, w_val, weights = metric_weights(data, y_train, train, test)
    where = f"model {model!r}, repeat {repeat}, fold {fold}"
    metrics = {
        "train": score(y_train, pred_train, w_train, where=f"{where}, training part"),
        "val": score(y_val, pred_val, w_val, where=f"{where}, validation part"),
    }
    return metrics, predict_seconds, pred_val, weights


@renamed_keyword("seed", "random_state")
def run_job(
    estimator,
    data: BenchmarkData,
    train: np.ndarray,
    test: np.ndarray,
    *,
    model: str,
    repeat: int,
    fold: int,
    random_state: int = 0,
    return_estimator: bool = False,
    also_held_out: bool = False,
    checkpoint: tuple | None = None,
    parent_pid: int | None = None,
    seed_by_repeat: bool = False,
) -> JobResult:
    """Fit and score one (model, repeat, fold) job.

    The estimator is cloned (sklearn/sktime ``clone``), given the random
    state :func:`job_seed` ``(random_state, model, repeat, fold)``, fitted on the
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
    random_state : int
        The run's seed (``seed=`` is its deprecated old name).
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
        watch_parent(parent_pid)
    train = np.asarray(train)
    test = np.asarray(test)
    est = clone(estimator)
    estimator_seed = int(repeat) if seed_by_repeat else job_seed(random_state, model, repeat, fold)
    set_random_state(est, estimator_seed)
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

    started = _dt.datetime.now(_dt.UTC)
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
    history = history_of(est)
    y_val = data.y[test]
    record = {
        "model": model,
        "repeat": int(repeat),
        "fold": int(fold),
        "estimator": f"{type(est).__module__}.{type(est).__qualname__}",
        "random_state": estimator_seed,  # the estimator's, as the job file has always recorded it
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
        "epochs": epochs_of(est, history),
        "resumed_from_epoch": getattr(est, "resumed_from_epoch_", None),
        "checkpoint_ignored": getattr(est, "checkpoint_ignored_", None),
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

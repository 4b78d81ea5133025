"""`tserbench bench`: the speed figures a user waits on, measured, never asserted.

Four groups of figures, each from the public API a user calls:

- ``load``: seconds to parse the dataset's light curves (cold, cache cleared);
- ``preprocessing``: stars per second of :func:`tserbench.preprocessing.make_panel`
  for each variant (smoothing spline + resampling for ``full``/``spline``);
- ``training``: seconds per epoch of each deep model (the best of the timed
  epochs after one warm-up epoch, as many as fill two seconds), on the whole
  dataset at its batch size;
- ``inference``: series per second of a fitted model's ``predict``;
- ``cv``: wall seconds of a whole cross-validation of each model with the
  harness runner (:func:`tserbench.evaluation.run_benchmark`), and its
  out-of-fold RMSE, so speed is never reported without the accuracy it buys.

:func:`compare` checks a result against a committed baseline with a
multiplicative margin (times may grow, throughputs may shrink, by at most
that factor) — the regression check CI runs.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from tserbench import __version__
from tserbench.exceptions import ConfigError

__all__ = ["run_bench", "compare", "check_comparable", "FIGURE_DIRECTIONS"]

#: For each figure group: "lower" if smaller is better (seconds), "higher"
#: if larger is better (throughput).  Used by :func:`compare`.
FIGURE_DIRECTIONS: dict[str, str] = {
    "load_seconds": "lower",
    "preprocessing_stars_per_s": "higher",
    "epoch_seconds": "lower",
    "inference_series_per_s": "higher",
    "cv_wall_seconds": "lower",
}


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "tserbench": __version__,
    }


def _best_of(fn, repeats: int, min_seconds: float = 1.0) -> float:
    """Smallest wall time of one call of ``fn`` (seconds), over at least ``repeats`` calls.

    Calls continue until they add up to ``min_seconds`` too, so that a fast
    operation (such as building the ``raw`` panel) is timed over
    many calls: its best time then does not hinge on a few calls that another
    process happened to slow down.
    """
    times: list[float] = []
    while len(times) < max(1, repeats) or sum(times) < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_load(dataset: str, dataset_params: dict) -> float:
    """Cold load time of a dataset's light curves and targets (seconds)."""
    from tserbench.datasets import get_dataset
    from tserbench.datasets._rrab import clear_cache

    clear_cache()
    t0 = time.perf_counter()
    ds = get_dataset(dataset, **dataset_params)
    _ = ds.light_curves, ds.load("y")
    return time.perf_counter() - t0


def bench_preprocessing(curves, variants: Sequence[str], n_grid: int, repeats: int) -> dict[str, float]:
    """Stars per second of ``make_panel`` for each variant."""
    from tserbench.preprocessing import make_panel

    out = {}
    for variant in variants:
        seconds = _best_of(lambda v=variant: make_panel(curves, variant=v, n_grid=n_grid), repeats)
        out[variant] = len(curves) / seconds
    return out


def bench_epochs(model: str, X, y, *, n_epochs: int, params: dict,
                 min_seconds: float = 2.0) -> float:
    """Best seconds per training epoch of ``model`` on ``(X, y)``.

    The estimator's own ``build_model`` and input conversion are used, so the
    graph, optimiser and batch size are what ``fit`` trains; the first epoch
    (graph tracing) is not counted.  At least ``n_epochs`` epochs are timed,
    and more until they add up to ``min_seconds``; the fastest is kept, as
    :func:`_best_of` keeps the fastest call.  A median of three sub-second
    epochs was hostage to whatever else the machine did: CI once read 1.18 s
    for an epoch that takes 0.44-0.60 s on the same machine a minute later.
    """
    from tserbench._tf import import_keras
    from tserbench.regressors import get_regressor

    keras = import_keras()
    est = get_regressor(model, **params)
    if not hasattr(est, "build_model"):
        raise ConfigError(f"{model}: not a deep model, it has no training epochs")
    X3 = est._as_keras_input(X)
    est.masked_ = est._has_padding(X3)
    net = est.build_model((None if est._variable_length else X3.shape[1], X3.shape[2]))
    times: list[float] = []

    class _Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self._t0)

    w = est._sample_weights(np.asarray(y, dtype=np.float64))
    y32 = np.asarray(y, np.float32)
    fit_kw = dict(sample_weight=w, batch_size=int(est.batch_size), verbose=0, callbacks=[_Timer()])
    net.fit(X3, y32, epochs=n_epochs + 1, **fit_kw)
    timed = sum(times[1:])
    if timed < min_seconds:  # sub-second epochs: time as many more as fill min_seconds
        more = int(np.ceil((min_seconds - timed) / max(min(times[1:]), 1e-6)))
        net.fit(X3, y32, epochs=min(more, 200), **fit_kw)
    return min(times[1:])


def bench_inference(model: str, X, y, *, n_series: int, params: dict) -> float:
    """Series per second of ``predict`` of a briefly fitted ``model``."""
    from tserbench.regressors import get_regressor

    est = get_regressor(model, **params)
    if "n_epochs" in est.get_params():
        est.set_params(n_epochs=1, patience=None)
    est.fit(X, y)
    reps = int(np.ceil(n_series / len(y)))
    if isinstance(X, np.ndarray):
        X_big = np.concatenate([X] * reps)[:n_series]
    else:
        X_big = (list(X) * reps)[:n_series]
    est.predict(X_big[: min(len(y), 1000)])  # warm-up: tracing
    seconds = _best_of(lambda: est.predict(X_big), 2)
    return len(X_big) / seconds


def bench_cv(dataset: str, models: Sequence[str], *, variant: str, folds: str, dataset_params: dict,
             n_jobs: int, params: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Wall seconds and pooled out-of-fold RMSE of a whole CV per model."""
    from tserbench.evaluation import run_benchmark
    from tserbench.evaluation.store import ResultStore

    out = {}
    for model in models:
        with tempfile.TemporaryDirectory(prefix="tserbench-bench-") as tmp:
            t0 = time.perf_counter()
            run_benchmark(dataset, [model], variant=variant, folds=folds, out=tmp, n_jobs=n_jobs,
                          dataset_params=dataset_params, params={model: params.get(model, {})},
                          progress=False)
            wall = time.perf_counter() - t0
            oof = ResultStore(tmp).read_oof(model)
        err = oof["y_pred"].to_numpy() - oof["y_true"].to_numpy()
        out[model] = {"wall_seconds": wall, "oof_rmse": float(np.sqrt(np.mean(err**2))),
                      "n_jobs": n_jobs}
    return out


def _with_variant(dataset: str, dataset_params: dict, variant: str) -> dict:
    """Add ``variant`` to the dataset parameters when the dataset has variants."""
    import inspect

    from tserbench.datasets._registry import dataset_info

    cls = dataset_info(dataset).load_class()
    if "variant" in inspect.signature(cls).parameters:
        return {**dataset_params, "variant": variant}
    return dataset_params


def run_bench(
    *,
    dataset: str = "rrab-synthetic",
    dataset_params: dict | None = None,
    variants: Sequence[str] = ("full", "spline", "raw"),
    epoch_models: Sequence[str] = ("gru",),
    inference_models: Sequence[str] = ("gru",),
    cv_models: Sequence[str] = (),
    variant: str = "full",
    folds: str = "predefined",
    n_jobs: int = 1,
    n_epochs: int = 3,
    n_series: int = 100_000,
    params: dict[str, dict] | None = None,
    repeats: int = 3,
) -> dict[str, Any]:
    """Measure the benchmark figures and return them as a JSON-able dict.

    Parameters
    ----------
    dataset : str
        Registry name of the dataset (``rrab-gaia-dg22`` for the real figures).
    dataset_params : dict, optional
        Constructor parameters of the dataset (e.g. ``{"n_stars": 2000}``).
    variants : sequence of str
        Preprocessing variants to time.
    variant : str
        Input variant the models are trained and timed on.
    epoch_models, inference_models, cv_models : sequence of str
        Models whose epoch time, inference throughput and full CV are timed.
    folds : str
        ``predefined`` or ``KxR`` for the CV figures.
    n_jobs : int
        Parallel processes of the CV runner.
    n_epochs : int
        Timed epochs per model (after one warm-up epoch).
    n_series : int
        Series predicted in the inference figure.
    params : dict, optional
        Per-model constructor parameters.
    repeats : int
        Repeats of the preprocessing timing (best is kept).

    Returns
    -------
    dict
    """
    from tserbench.datasets import get_dataset

    dataset_params = dict(dataset_params or {})
    params = dict(params or {})
    from tserbench.environment import environment

    result: dict[str, Any] = {
        "machine": _machine(),
        "environment": environment(),
        "dataset": dataset,
        "dataset_params": dataset_params,
        "settings": {"n_epochs": n_epochs, "n_series": n_series, "folds": folds, "n_jobs": n_jobs},
    }
    if params:  # model parameters change what is timed; recorded, and compared by check_comparable
        result["params"] = params
    result["load_seconds"] = {dataset: bench_load(dataset, dataset_params)}
    ds = get_dataset(dataset, **_with_variant(dataset, dataset_params, variant))
    curves = ds.light_curves
    n_grid = int(dataset_params.get("n_grid", 50))
    result["n_instances"] = len(curves)
    result["preprocessing_stars_per_s"] = bench_preprocessing(curves, variants, n_grid, repeats)
    X, y = ds.load("X", "y")
    result["epoch_seconds"] = {
        m: bench_epochs(m, X, y, n_epochs=n_epochs, params=params.get(m, {})) for m in epoch_models
    }
    result["inference_series_per_s"] = {
        m: bench_inference(m, X, y, n_series=n_series, params=params.get(m, {})) for m in inference_models
    }
    if cv_models:
        cv = bench_cv(dataset, cv_models, variant=variant, folds=folds,
                      dataset_params=dataset_params, n_jobs=n_jobs, params=params)
        result["cv_wall_seconds"] = {m: v["wall_seconds"] for m, v in cv.items()}
        result["cv_oof_rmse"] = {m: v["oof_rmse"] for m, v in cv.items()}
    return result


def check_comparable(current: dict, baseline: dict) -> None:
    """Raise :class:`ConfigError` unless both were measured on the same data and settings.

    ``current`` needs only the keys ``dataset``, ``dataset_params``,
    ``settings`` and (if any) ``params`` (so a command can check before it
    measures anything).
    """
    for what in ("dataset", "dataset_params", "settings", "params"):
        empty = {} if what == "params" else None  # no "params" key = class defaults
        if what not in baseline and what != "params":
            continue
        theirs, ours = baseline.get(what, empty), current.get(what, empty)
        if theirs != ours:
            raise ConfigError(
                f"the baseline was measured with {what}={theirs!r}, this run with "
                f"{ours!r}: rerun with the baseline's settings (its command: "
                f"{baseline.get('command')!r}) or measure a new baseline"
            )


def compare(current: dict, baseline: dict, *, margin: float = 3.0) -> list[dict[str, Any]]:
    """Compare benchmark figures with a baseline.

    A figure regresses when a time is more than ``margin`` times the
    baseline's, or a throughput less than the baseline's divided by
    ``margin``.  Figures missing on either side are not compared.

    Returns
    -------
    list of dict
        One row per compared figure: ``figure``, ``key``, ``baseline``,
        ``current``, ``ratio`` (current / baseline) and ``ok``.

    Raises
    ------
    ConfigError
        If ``margin < 1``, or the two were measured on different datasets or
        settings (their figures are then not comparable).
    """
    if margin < 1:
        raise ConfigError(f"--margin must be >= 1 (a factor), got {margin}")
    check_comparable(current, baseline)
    rows = []
    for figure, direction in FIGURE_DIRECTIONS.items():
        base, cur = baseline.get(figure) or {}, current.get(figure) or {}
        for key in sorted(set(base) & set(cur)):
            b, c = float(base[key]), float(cur[key])
            ratio = c / b if b else float("inf")
            ok = c <= b * margin if direction == "lower" else c >= b / margin
            rows.append({"figure": figure, "key": key, "baseline": b, "current": c,
                         "ratio": ratio, "better": direction, "ok": bool(ok)})
    return rows

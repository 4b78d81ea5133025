"""Regression metrics of the benchmark, as plain scikit-learn-style functions.

Every metric is ``f(y_true, y_pred, sample_weight=None) -> float`` built on
:mod:`sklearn.metrics`.  ``r2``, ``rmse``, ``mae`` and ``medae`` are the
unweighted figures (they accept ``sample_weight`` only to keep the common
signature; :func:`score` never passes it to them).  ``wrmse`` and ``wmae``
are weighted *by definition* and refuse to run without weights rather than
silently equal their unweighted twins.

Which weights?  M24 and DG22 weight by the inverse variance of the target's
error.  Where a dataset publishes those errors (a ``y_err``/``feh_err``
column in its metadata) the runner uses ``1 / err**2``; otherwise (DG22's
published set and the synthetic set carry none) it uses the DG22 density
weights (:class:`tserbench.preprocessing.DensityWeighter`) fitted on the
training targets of the fold only, with DG22's density cutoff 0.5 for the
RRab [Fe/H] datasets and cutoff 0 (plain inverse density, no tail clipping)
for datasets on other target scales (tecator, covid3month), where an
absolute density cutoff in dex means nothing.  The runner records its
choice in each job's JSON (``"weights"``).

A non-finite prediction raises :class:`PredictionError` naming where it came
from; a NaN never reaches a metric table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from tserbench.exceptions import TserbenchError

__all__ = [
    "GREATER_IS_BETTER",
    "METRICS",
    "WEIGHTED_METRICS",
    "Metric",
    "PredictionError",
    "r2",
    "rmse",
    "mae",
    "medae",
    "wrmse",
    "wmae",
    "score",
    "summarise",
    "check_predictions",
]


class PredictionError(TserbenchError, ValueError):
    """A model returned NaN/inf predictions, or predictions of the wrong shape."""


def check_predictions(y_true, y_pred, *, where: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return ``(y_true, y_pred)`` as 1-D float arrays.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or (n, 1)
    where : str, optional
        What produced the predictions (e.g. ``"model 'gru', repeat 0, fold 3, val"``),
        prefixed to the error message.

    Raises
    ------
    PredictionError
        If the lengths differ or ``y_pred`` holds NaN or inf.
    ValueError
        If ``y_true`` holds NaN or inf (bad data, not a bad model).
    """
    prefix = f"{where}: " if where else ""
    yt = np.asarray(y_true, dtype=float).reshape(len(y_true), -1)
    yp = np.asarray(y_pred, dtype=float)
    yp = yp.reshape(len(yp), -1) if yp.ndim else yp.reshape(1, 1)
    if yt.shape[1] != 1 or yp.shape[1] != 1 or yt.shape[0] != yp.shape[0]:
        raise PredictionError(
            f"{prefix}expected {yt.shape[0]} scalar predictions, got an array of shape {np.shape(y_pred)}"
        )
    yt, yp = yt.ravel(), yp.ravel()
    bad = ~np.isfinite(yp)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise PredictionError(
            f"{prefix}{int(bad.sum())} of {len(yp)} predictions are NaN or inf "
            f"(first at position {first}: {yp[first]}); the model diverged or failed"
        )
    if not np.all(np.isfinite(yt)):
        raise ValueError(f"{prefix}y_true contains NaN or inf")
    return yt, yp


def _weights(sample_weight, n: int, name: str) -> np.ndarray:
    if sample_weight is None:
        raise ValueError(f"{name} is a weighted metric: pass sample_weight (see tserbench.evaluation.metrics)")
    w = np.asarray(sample_weight, dtype=float).ravel()
    if len(w) != n:
        raise ValueError(f"{name}: sample_weight has {len(w)} values for {n} predictions")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"{name}: sample_weight must be finite, non-negative and not all zero")
    return w


def r2(y_true, y_pred, sample_weight=None) -> float:
    """Coefficient of determination R² (:func:`sklearn.metrics.r2_score`)."""
    yt, yp = check_predictions(y_true, y_pred)
    return float(skm.r2_score(yt, yp, sample_weight=sample_weight))


def rmse(y_true, y_pred, sample_weight=None) -> float:
    """Root mean squared error (:func:`sklearn.metrics.root_mean_squared_error`)."""
    yt, yp = check_predictions(y_true, y_pred)
    return float(skm.root_mean_squared_error(yt, yp, sample_weight=sample_weight))


def mae(y_true, y_pred, sample_weight=None) -> float:
    """Mean absolute error (:func:`sklearn.metrics.mean_absolute_error`)."""
    yt, yp = check_predictions(y_true, y_pred)
    return float(skm.mean_absolute_error(yt, yp, sample_weight=sample_weight))


def medae(y_true, y_pred, sample_weight=None) -> float:
    """Median absolute error (:func:`sklearn.metrics.median_absolute_error`)."""
    yt, yp = check_predictions(y_true, y_pred)
    return float(skm.median_absolute_error(yt, yp, sample_weight=sample_weight))


def wrmse(y_true, y_pred, sample_weight=None) -> float:
    """Weighted RMSE: ``sqrt(sum w (y - ŷ)² / sum w)``; ``sample_weight`` is required."""
    yt, yp = check_predictions(y_true, y_pred)
    w = _weights(sample_weight, len(yt), "wrmse")
    return float(skm.root_mean_squared_error(yt, yp, sample_weight=w))


def wmae(y_true, y_pred, sample_weight=None) -> float:
    """Weighted MAE: ``sum w |y - ŷ| / sum w``; ``sample_weight`` is required."""
    yt, yp = check_predictions(y_true, y_pred)
    w = _weights(sample_weight, len(yt), "wmae")
    return float(skm.mean_absolute_error(yt, yp, sample_weight=w))


@dataclass(frozen=True)
class Metric:
    """One metric of the benchmark, as scikit-learn describes a scorer.

    Parameters
    ----------
    name : str
        Short name (a column of every result and leaderboard table).
    func : callable
        ``func(y_true, y_pred, sample_weight=None) -> float``.
    greater_is_better : bool
        True for a score (R²), False for an error: the leaderboard's ranking,
        ``tserbench check``'s notion of "worse" and the tuning direction all
        read it.
    weighted : bool
        True for a metric that needs the sample weights (``wrmse``, ``wmae``):
        it is computed only where the runner has weights.
    """

    name: str
    func: Callable[..., float]
    greater_is_better: bool = False
    weighted: bool = False

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        """Return ``func(y_true, y_pred, sample_weight)``."""
        return self.func(y_true, y_pred, sample_weight=sample_weight)


#: All metrics, in report order: the one table that the runner's scores, the
#: leaderboard's columns, ``tserbench check`` and the tuning direction come from.
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("r2", r2, greater_is_better=True),
        Metric("rmse", rmse),
        Metric("mae", mae),
        Metric("medae", medae),
        Metric("wrmse", wrmse, weighted=True),
        Metric("wmae", wmae, weighted=True),
    )
}

#: The metrics that take the sample weights; the others are computed unweighted.
WEIGHTED_METRICS: frozenset[str] = frozenset(name for name, m in METRICS.items() if m.weighted)

#: Metrics where larger is better (the others: smaller is better).
GREATER_IS_BETTER: frozenset[str] = frozenset(name for name, m in METRICS.items() if m.greater_is_better)


def score(y_true, y_pred, sample_weight=None, *, where: str | None = None) -> dict[str, float]:
    """Compute every metric of :data:`METRICS`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
    sample_weight : array-like of shape (n,), optional
        Weights of the w-metrics.  Without them ``wrmse``/``wmae`` are left
        out of the result (never reported as a copy of the unweighted ones).
    where : str, optional
        Context for error messages (model, repeat, fold, part).

    Returns
    -------
    dict of str to float
    """
    yt, yp = check_predictions(y_true, y_pred, where=where)
    out: dict[str, float] = {}
    for name, metric in METRICS.items():
        if metric.weighted:
            if sample_weight is None:
                continue
            out[name] = metric(yt, yp, sample_weight=sample_weight)
        else:
            out[name] = metric(yt, yp)
    return out


def summarise(records: Iterable[Mapping], parts: tuple[str, ...] = ("val", "train")) -> dict[str, dict[str, dict[str, float]]]:
    """Mean and standard deviation of each metric over folds and repeats.

    Parameters
    ----------
    records : iterable of mapping
        Per-job records as written by the runner (``record["metrics"][part][name]``),
        or flat mappings ``{part: {name: value}}``.
    parts : tuple of str
        Which parts to summarise.

    Returns
    -------
    dict
        ``{part: {metric: {"mean": m, "std": s, "n": n}}}``; ``std`` is the
        sample standard deviation (``ddof=1``; 0 for one job) over the ``n``
        jobs that report the metric -- the leaderboard's "±" (one statistic,
        one definition, in the terminal and in every leaderboard file).
    """
    collected: dict[str, dict[str, list[float]]] = {p: {} for p in parts}
    for rec in records:
        metrics = rec.get("metrics", rec)
        for part in parts:
            for name, value in (metrics.get(part) or {}).items():
                collected[part].setdefault(name, []).append(float(value))
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for part, by_name in collected.items():
        if not by_name:
            continue
        ordered = [m for m in METRICS if m in by_name] + sorted(set(by_name) - set(METRICS))
        summary[part] = {
            name: {
                "mean": float(np.mean(by_name[name])),
                "std": float(np.std(by_name[name], ddof=1)) if len(by_name[name]) > 1 else 0.0,
                "n": len(by_name[name]),
            }
            for name in ordered
        }
    return summary

"""Weights of the weighted metrics (``wrmse``, ``wmae``, ...) of one fold, as the dataset declares them."""

from __future__ import annotations

import functools

import numpy as np

from tserbench.evaluation.data import BenchmarkData

__all__ = ["metric_weights"]


def metric_weights(data: BenchmarkData, y_train: np.ndarray, train, test):
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

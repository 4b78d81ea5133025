"""What a fitted deep regressor says about its training: per-epoch history, epochs run."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["epochs_of", "history_of"]


def history_of(estimator) -> dict[str, list[float]] | None:
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


def epochs_of(estimator, history) -> int | None:
    n = getattr(estimator, "n_epochs_trained_", None)
    if isinstance(n, (int, np.integer)):
        return int(n)
    if history and history.get("loss"):
        return len(history["loss"])
    return None

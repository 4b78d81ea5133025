"""Phase folding of a time series with a known period and epoch (Eq. 1 of M24).

It lives with the readers because the Gaia reader folds what it reads (data
is the lowest layer); :mod:`tserbench.preprocessing.folding` gives it to the
preprocessing steps under its usual name.
"""

from __future__ import annotations

import numpy as np

from tserbench.exceptions import ConfigError

__all__ = ["phase_fold"]


def phase_fold(time, period: float, epoch: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Fold observation times on a period and sort them by phase.

    ``phase = (T - E) / P - floor((T - E) / P)`` (M24, section 3), so every
    phase lies in ``[0, 1)``.

    Parameters
    ----------
    time : array-like of float, shape (n,)
        Observation times ``T`` (same time system as ``epoch``).
    period : float
        Pulsation period ``P`` in the units of ``time`` (days); must be > 0.
    epoch : float, default=0.0
        Epoch of maximum light ``E_max``; it gets phase 0.

    Returns
    -------
    phase : np.ndarray of float64, shape (n,)
        Phases in ``[0, 1)``, sorted ascending (stable sort).
    order : np.ndarray of int, shape (n,)
        The permutation that sorts the input by phase: apply it to the
        magnitudes, ``mag[order]``.

    Examples
    --------
    >>> phase, order = phase_fold([0.0, 0.75, 1.25], period=0.5)
    >>> phase.tolist(), order.tolist()
    ([0.0, 0.5, 0.5], [0, 1, 2])
    """
    t = np.asarray(time, dtype=np.float64)
    if t.ndim != 1:
        raise ConfigError(f"phase_fold: time must be 1-D, got shape {t.shape}")
    period = float(period)
    epoch = float(epoch)
    if not np.isfinite(period) or period <= 0:
        raise ConfigError(f"phase_fold: period must be finite and > 0, got {period}")
    if not np.isfinite(epoch):
        raise ConfigError(f"phase_fold: epoch must be finite, got {epoch}")
    if not np.all(np.isfinite(t)):
        raise ConfigError("phase_fold: time contains NaN or inf")
    x = (t - epoch) / period
    phase = x - np.floor(x)
    # x - floor(x) can round up to exactly 1.0 for tiny negative x; 1.0 is phase 0.
    phase[phase >= 1.0] = 0.0
    order = np.argsort(phase, kind="stable")
    return phase[order], order

"""The three input variants of M24 (raw, spline, full) and end-padding for masking."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tserbench.exceptions import ConfigError
from tserbench.preprocessing._checks import check_light_curves, check_n_grid, phase_grid
from tserbench.preprocessing.spline import smooth_resample

__all__ = ["VARIANTS", "make_panel", "pad_panel"]

VARIANTS = ("raw", "spline", "full")
RAW_COLUMNS = ["mag", "phase_p"]


def _check_max_len(max_len, name="max_len"):
    if max_len is None:
        return None
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ConfigError(f"{name} must be a positive integer or None, got {max_len!r}")
    return int(max_len)


def make_panel(lcs, variant: str = "full", n_grid: int = 50, max_len: int | None = 80):
    """Build the network input panel of one variant.

    Channels, in this order (M24): 0 = magnitude (centred or not), 1 =
    ``phase * P`` in days.

    Parameters
    ----------
    lcs : LightCurves or duck-typed object with ``.phase``, ``.mag``, ``.period``
    variant : {"full", "spline", "raw"}, default="full"
        - ``"full"``: smoothing spline resampled on ``n_grid`` phases, channel 0 =
          ``m_smooth - mean(m_smooth)``; numpy3D ``(n, 2, n_grid)``.
        - ``"spline"``: as ``full`` without the mean removal.
        - ``"raw"``: the observed points, sktime ``df-list`` (one DataFrame per
          star, columns ``["mag", "phase_p"]``); ``mag`` minus the mean of the
          star's points, then cut to the first ``max_len`` points (the mean is
          taken before the cut, as DG22 did).
    n_grid : int, default=50
        Grid size of the spline variants.
    max_len : int or None, default=80
        Longest raw series kept (``None``: no cut). Ignored by the spline variants.

    Returns
    -------
    np.ndarray of shape (n, 2, n_grid), or list of pd.DataFrame
    """
    if variant not in VARIANTS:
        raise ConfigError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if variant == "raw":
        max_len = _check_max_len(max_len)
        phases, mags, period = check_light_curves(lcs, min_points=1)
        columns = pd.Index(RAW_COLUMNS)  # immutable, shared by the frames
        out = []
        for p, m, per in zip(phases, mags, period):
            k = m.size if max_len is None else min(m.size, max_len)
            arr = np.empty((k, 2))
            arr[:, 0] = m[:k] - m.mean()  # mean of all points, then the cut
            arr[:, 1] = p[:k] * per
            out.append(pd.DataFrame(arr, columns=columns, copy=False))
        return out
    n_grid = check_n_grid(n_grid)
    sm = smooth_resample(lcs, n_grid=n_grid)
    if variant == "full":
        sm = sm - sm.mean(axis=1, keepdims=True)
    period = np.asarray(lcs.period, dtype=np.float64).reshape(-1)
    X = np.empty((sm.shape[0], 2, n_grid))
    X[:, 0, :] = sm
    X[:, 1, :] = period[:, None] * phase_grid(n_grid)[None, :]
    return X


def pad_panel(X, max_len: int | None = None, value: float = -1.0) -> np.ndarray:
    """Pad a panel at the end with ``value`` to one length (for Keras ``Masking``).

    Parameters
    ----------
    X : list of pd.DataFrame / 2-D arrays (``df-list``, rows = time steps) or numpy3D
        A ``df-list`` holds one ``(length_i, channels)`` frame per series; a
        numpy3D array has shape ``(n, channels, length)``.
    max_len : int or None, default=None
        Output length; ``None``: the longest series. Longer series are cut
        to their first ``max_len`` steps.
    value : float, default=-1.0
        Padding value (the mask value of DG22 and M24).

    Returns
    -------
    np.ndarray of float64, shape (n, channels, max_len)
    """
    max_len = _check_max_len(max_len)
    if isinstance(X, np.ndarray):
        if X.ndim != 3:
            raise ConfigError(f"pad_panel: numpy input must be 3-D (n, channels, length), got {X.shape}")
        X = np.asarray(X, dtype=np.float64)
        if max_len is None or max_len == X.shape[2]:
            return X.copy()
        if max_len < X.shape[2]:
            return X[:, :, :max_len].copy()
        out = np.full((X.shape[0], X.shape[1], max_len), float(value))
        out[:, :, : X.shape[2]] = X
        return out
    if not isinstance(X, (list, tuple)):
        raise ConfigError(f"pad_panel: expected a df-list or a numpy3D array, got {type(X).__name__}")
    arrs = [np.asarray(x, dtype=np.float64) for x in X]
    if not arrs:
        raise ConfigError("pad_panel: empty panel")
    n_ch = {a.shape[1] if a.ndim == 2 else -1 for a in arrs}
    if len(n_ch) != 1 or -1 in n_ch:
        raise ConfigError("pad_panel: every series must be 2-D (length, channels) with the same channels")
    (n_ch,) = n_ch
    L = max(a.shape[0] for a in arrs) if max_len is None else max_len
    out = np.full((len(arrs), n_ch, L), float(value))
    for i, a in enumerate(arrs):
        k = min(a.shape[0], L)
        out[i, :, :k] = a[:k].T
    return out

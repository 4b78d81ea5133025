"""Fourier parameters of light curves, for the classical baselines.

Model (sine-series convention):
``m(phi) = A0 + sum_k A_k sin(2 pi k phi + phi_k)``, ``k = 1 .. order``,
fitted by linear least squares on ``[1, cos(2 pi k phi), sin(2 pi k phi)]``
(``A_k sin(x + phi_k) = A_k sin(phi_k) cos x + A_k cos(phi_k) sin x``).
Derived: ``R_k1 = A_k / A_1`` and ``phi_k1 = phi_k - k phi_1`` wrapped to
``[0, 2 pi)``. Phase 0 is the epoch of the light curves (for DG22's files,
maximum light). Sine-series ``phi_k1`` differ from cosine-series ones by
``(k - 1) pi / 2``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tserbench.exceptions import ConfigError
from tserbench.preprocessing._checks import check_light_curves

__all__ = ["fourier_features"]

TWO_PI = 2.0 * np.pi


def _design(phase: np.ndarray, order: int) -> np.ndarray:
    """Columns [1, cos(2 pi k phi), sin(2 pi k phi) for k = 1..order] on the last axis."""
    k = np.arange(1, order + 1)
    x = TWO_PI * phase[..., None] * k
    return np.concatenate([np.ones(phase.shape + (1,)), np.cos(x), np.sin(x)], axis=-1)


def _features(coef: np.ndarray, period: np.ndarray, order: int, mean_mag: np.ndarray | None) -> pd.DataFrame:
    a = coef[:, 1 : order + 1]  # cos coefficients = A_k sin(phi_k)
    b = coef[:, order + 1 :]  # sin coefficients = A_k cos(phi_k)
    amp = np.hypot(a, b)
    phi = np.arctan2(a, b)
    cols = {"P": period}
    for k in range(1, order + 1):
        cols[f"A{k}"] = amp[:, k - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(2, order + 1):
            cols[f"R{k}1"] = amp[:, k - 1] / amp[:, 0]
    for k in range(2, order + 1):
        cols[f"phi{k}1"] = np.mod(phi[:, k - 1] - k * phi[:, 0], TWO_PI)
    if mean_mag is not None:
        cols["mean_mag"] = mean_mag
    return pd.DataFrame(cols)


def _period_from_panel(X: np.ndarray) -> np.ndarray:
    L = X.shape[2]
    grid = np.arange(L) / L
    ratio = X[:, 1, 1:] / grid[1:]
    P = ratio.mean(axis=1)
    if not (np.all(np.isfinite(P)) and np.all(P > 0)) or np.any(
        np.abs(ratio - P[:, None]) > 1e-8 * np.maximum(1.0, P[:, None])
    ):
        raise ConfigError(
            "fourier_features: channel 1 is not phase * P on the grid i/n_grid; "
            "pass a full or spline panel (numpy3D) or light curves"
        )
    if np.any(np.abs(X[:, 1, 0]) > 1e-12):
        raise ConfigError("fourier_features: channel 1 must start at phase 0 (a full or spline panel)")
    return P


def fourier_features(X, *, order: int = 4, variant: str | None = None) -> pd.DataFrame:
    """Fourier parameters of each star (batched linear least squares).

    Parameters
    ----------
    X : numpy3D (n, 2, n_grid) full/spline panel, or light curves
        A panel from :func:`make_panel` (variant ``"full"`` or ``"spline"``):
        the period is recovered from channel 1 (``P = ch1[k] / grid[k]``).
        Or any object with ``.phase``, ``.mag``, ``.period`` (the observed
        points are fitted directly).
    order : int, default=4
        Number of harmonics (needs ``n_grid`` / points >= ``2 * order + 1``).
    variant : {"full", "spline", None}, default=None
        For a panel: ``"spline"`` adds ``mean_mag`` (the fitted ``A0``);
        ``None`` guesses it (``"full"`` if channel 0 has zero mean per star).

    Returns
    -------
    pd.DataFrame, one row per star in input order, columns ``P``,
    ``A1..A{order}``, ``R21..R{order}1``, ``phi21..phi{order}1`` (radians in
    ``[0, 2 pi)``, sine series) and ``mean_mag`` (spline panels and light
    curves).
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 2:
        raise ConfigError(f"fourier_features: order must be an integer >= 2, got {order!r}")
    order = int(order)
    n_par = 2 * order + 1
    if isinstance(X, np.ndarray):
        if X.ndim != 3 or X.shape[1] != 2:
            raise ConfigError(f"fourier_features: expected a (n, 2, n_grid) panel, got shape {X.shape}")
        if variant not in (None, "full", "spline"):
            raise ConfigError(f"fourier_features: variant must be 'full', 'spline' or None, got {variant!r}")
        X = np.asarray(X, dtype=np.float64)
        if not np.all(np.isfinite(X)):
            raise ConfigError("fourier_features: panel contains NaN or inf")
        L = X.shape[2]
        if L < n_par:
            raise ConfigError(f"fourier_features: n_grid={L} too small for order {order} (need >= {n_par})")
        P = _period_from_panel(X)
        A = _design(np.arange(L) / L, order)  # (L, n_par), same for every star
        coef = np.linalg.lstsq(A, X[:, 0, :].T, rcond=None)[0].T
        if variant is None:
            variant = "full" if np.all(np.abs(X[:, 0, :].mean(axis=1)) < 1e-9) else "spline"
        return _features(coef, P, order, coef[:, 0] if variant == "spline" else None)
    if not hasattr(X, "phase"):
        raise ConfigError(
            f"fourier_features: expected a numpy3D panel or light curves, got {type(X).__name__}"
        )
    phases, mags, period = check_light_curves(X, min_points=n_par)
    ns = np.array([p.size for p in phases])
    N = ns.max()
    ph = np.zeros((len(phases), N))
    mg = np.zeros((len(phases), N))
    w = np.zeros((len(phases), N))
    for i, (p, m) in enumerate(zip(phases, mags)):
        ph[i, : p.size], mg[i, : p.size], w[i, : p.size] = p, m, 1.0
    A = _design(ph, order) * w[..., None]  # padded rows are zero
    AtA = np.einsum("snp,snq->spq", A, A)
    Atb = np.einsum("snp,sn->sp", A, mg)
    try:
        coef = np.linalg.solve(AtA, Atb[..., None])[..., 0]
    except np.linalg.LinAlgError as exc:
        raise ConfigError(f"fourier_features: singular least-squares problem ({exc})") from exc
    return _features(coef, period, order, coef[:, 0])

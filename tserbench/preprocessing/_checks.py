"""Input checks shared by the preprocessing functions (duck-typed light curves)."""

from __future__ import annotations

import numpy as np

from tserbench.exceptions import ConfigError, LightCurveError

__all__ = ["check_light_curves", "check_n_grid", "phase_grid"]


def _star_label(lcs, i: int):
    sid = getattr(lcs, "source_id", None)
    if sid is None:
        return f"#{i}"
    try:
        return int(sid[i])
    except (TypeError, ValueError, IndexError):
        return f"#{i}"


def check_light_curves(lcs, *, min_points: int = 1):
    """Return ``(phase_list, mag_list, period)`` after checking ``lcs``.

    ``lcs`` is any object with attributes ``phase`` and ``mag`` (sequences of
    1-D arrays) and ``period`` (array of floats), e.g.
    :class:`tserbench.data.LightCurves`. Raises :class:`LightCurveError`
    naming the star for NaN/inf, phases outside ``[0, 1)``, unsorted phases,
    mismatched lengths, a bad period or fewer than ``min_points`` points.
    """
    for attr in ("phase", "mag", "period"):
        if not hasattr(lcs, attr):
            raise ConfigError(
                f"expected light curves with .phase, .mag and .period, got {type(lcs).__name__} "
                f"without .{attr}"
            )
    phases = [np.asarray(p, dtype=np.float64) for p in lcs.phase]
    mags = [np.asarray(m, dtype=np.float64) for m in lcs.mag]
    period = np.asarray(lcs.period, dtype=np.float64).reshape(-1)
    if not (len(phases) == len(mags) == len(period)):
        raise ConfigError(
            f"light curves: {len(phases)} phase arrays, {len(mags)} mag arrays, "
            f"{len(period)} periods (must be equal)"
        )
    if not phases:
        raise ConfigError("light curves: no stars")
    for i, (p, m) in enumerate(zip(phases, mags)):
        if p.ndim != 1 or p.shape != m.shape:
            raise LightCurveError(
                _star_label(lcs, i), f"phase shape {p.shape} and mag shape {m.shape} differ or are not 1-D"
            )
    # The remaining checks run on the concatenated points (fast for thousands of stars).
    ns = np.fromiter((p.size for p in phases), dtype=np.int64, count=len(phases))
    short = np.flatnonzero(ns < max(min_points, 1))
    if short.size:
        i = int(short[0])
        raise LightCurveError(_star_label(lcs, i), f"{ns[i]} points, need at least {max(min_points, 1)}")
    star_of = np.repeat(np.arange(ns.size), ns)
    flat_p = np.concatenate(phases)
    flat_m = np.concatenate(mags)
    bad = ~(np.isfinite(flat_p) & np.isfinite(flat_m))
    if bad.any():
        raise LightCurveError(_star_label(lcs, int(star_of[np.argmax(bad)])), "NaN or inf in phase or mag")
    bad = (flat_p < 0.0) | (flat_p >= 1.0)
    if bad.any():
        raise LightCurveError(_star_label(lcs, int(star_of[np.argmax(bad)])), "phases must lie in [0, 1)")
    bad = (np.diff(flat_p) < 0) & (star_of[1:] == star_of[:-1])
    if bad.any():
        raise LightCurveError(_star_label(lcs, int(star_of[np.argmax(bad)])), "phases are not sorted ascending")
    bad = ~(np.isfinite(period) & (period > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise LightCurveError(_star_label(lcs, i), f"period must be finite and > 0, got {period[i]}")
    return phases, mags, period


def check_n_grid(n_grid) -> int:
    """Check the number of phase-grid points (an int >= 4)."""
    if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 4:
        raise ConfigError(f"n_grid must be an integer >= 4, got {n_grid!r}")
    return int(n_grid)


def phase_grid(n_grid: int) -> np.ndarray:
    """The resampling grid ``i / n_grid``, ``i = 0 .. n_grid - 1``."""
    return np.arange(n_grid, dtype=np.float64) / n_grid

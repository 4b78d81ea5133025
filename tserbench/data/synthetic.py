"""A synthetic RRab [Fe/H] dataset with Gaia-like sparse light curves.

Embedded in tserbench so that the harness runs end to end without any
download, and so that tests have a learnable problem of any size.  The
generative model strings together published empirical relations (see
:func:`make_synthetic_rrab`); it is a plausible stand-in, not a simulation
of Gaia, and scores on it say nothing about real stars.
"""

from __future__ import annotations

import numpy as np

from tserbench._renamed import renamed_keyword
from tserbench.data._lightcurves import LightCurves

__all__ = ["make_synthetic_rrab"]

# [Fe/H]: skew-normal with the median and spread of the DG22 development set
# (median -1.47 dex, sd 0.476, skewed towards metal-rich stars).
_FEH_SKEW = 2.2
_FEH_MEDIAN = -1.47
_FEH_SD = 0.476
_FEH_RANGE = (-3.0, 0.3)
# Period: Sandage's Oosterhoff period shift d log P / d[Fe/H] = -0.122
# (Sandage 1993, AJ 106, 719); zero point so that the median star has the
# DG22 median period 0.557 d; scatter 0.05 dex in log P (the scatter of log P
# about a linear fit in [Fe/H] on the DG22 set is 0.050 dex).
_LOGP_SLOPE = -0.122
_LOGP_ZERO = np.log10(0.557) - _LOGP_SLOPE * _FEH_MEDIAN
_LOGP_SCATTER = 0.05
_P_RANGE = (0.30, 0.95)
# Jurcsik & Kovacs (1996, A&A 312, 111): [Fe/H] = -5.038 - 5.394 P + 1.345 phi31
# (V band, sine series, phi31 in radians; residual sd 0.14 dex).
_JK_C0, _JK_CP, _JK_CPHI = -5.038, -5.394, 1.345
_JK_SIGMA_FEH = 0.14
_N_HARMONICS = 5
_FINE = 1024  # grid used to put maximum light at phase 0


def _feh_distribution():
    from scipy import stats  # lazily: scipy.stats is slow to import

    shape = stats.skewnorm(_FEH_SKEW)
    scale = _FEH_SD / shape.std()
    loc = _FEH_MEDIAN - shape.median() * scale
    return stats.skewnorm(_FEH_SKEW, loc=loc, scale=scale)


def _sample_phases(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct irregular phases in [0, 1), on a 1e-6 grid like the DG22 files."""
    out = np.unique(np.floor(rng.random(n) * 1e6) / 1e6)
    while len(out) < n:
        extra = np.floor(rng.random(n - len(out)) * 1e6) / 1e6
        out = np.unique(np.concatenate([out, extra]))
    return out


@renamed_keyword("seed", "random_state")
def make_synthetic_rrab(n_stars: int = 1000, *, random_state: int = 0) -> tuple[LightCurves, np.ndarray]:
    """Generate ``n_stars`` synthetic RRab light curves and their [Fe/H].

    The generative model, star by star:

    1. [Fe/H] ~ skew-normal (shape 2.2) with median -1.47 dex and standard
       deviation 0.476 dex, the values of the Dékány & Grebel (2022, ApJS 261,
       33) development set; clipped to [-3.0, 0.3].
    2. Period: ``log10 P = a - 0.122 [Fe/H] + N(0, 0.05)``, the Oosterhoff
       period shift of Sandage (1993, AJ 106, 719); ``a`` puts the median
       star at 0.557 d (DG22's median period); clipped to [0.30, 0.95] d.
    3. Fourier phase φ31 (sine series) from the relation of Jurcsik & Kovács
       (1996, A&A 312, 111), ``[Fe/H] = -5.038 - 5.394 P + 1.345 φ31``,
       inverted, with the relation's scatter (0.14 dex in [Fe/H]) added. The
       relation is for V; the G band is assumed close enough.
    4. Light curve ``m(φ) = <m> + Σ_{k=1..5} A_k sin(2πkφ + φ_k)`` with
       ``A_1`` ≈ 0.30 mag, decreasing with period (a Bailey-diagram-like
       trend), ``R21`` ≈ 0.47, ``R31`` ≈ 0.31, ``R41`` ≈ 0.19, ``R51`` ≈ 0.12,
       ``φ21`` ≈ 2.4 rad loosely tied to φ31, and φ41, φ51 extrapolated from
       them (typical RRab values; only φ31 and P carry [Fe/H] by design).
       Phase 0 is put at maximum light, as for an epoch of maximum.
    5. Gaia-like sampling: 21–97 distinct irregular phases in [0, 1) (log-normal
       count, median ~34, as in the DG22 set), Gaussian noise of 0.01 mag at
       G = 14 rising to 0.02 mag at G = 19, mean magnitude uniform in [14, 19].

    Deterministic given ``random_state``.

    Parameters
    ----------
    n_stars : int, default=1000
        Number of stars (>= 1).
    random_state : int, default=0
        Seed of :func:`numpy.random.default_rng`.  (``seed=`` is its
        deprecated old name: still accepted, with a :class:`FutureWarning`.)

    Returns
    -------
    curves : LightCurves
        Sorted phases, magnitudes and periods; ``source_id`` are made-up
        int64 values above 2**53 (to exercise exact id handling).
    feh : np.ndarray of float64, shape (n_stars,)
        The [Fe/H] targets.

    Examples
    --------
    >>> from tserbench.data import make_synthetic_rrab
    >>> curves, feh = make_synthetic_rrab(20, random_state=1)
    >>> len(curves), feh.shape
    (20, (20,))
    """
    n_stars = int(n_stars)
    if n_stars < 1:
        raise ValueError(f"n_stars must be >= 1, got {n_stars}")
    rng = np.random.default_rng(random_state)

    feh = _feh_distribution().rvs(size=n_stars, random_state=rng)
    feh = np.clip(feh, *_FEH_RANGE)
    log_p = _LOGP_ZERO + _LOGP_SLOPE * feh + rng.normal(0.0, _LOGP_SCATTER, n_stars)
    period = np.clip(10.0**log_p, *_P_RANGE)
    phi31 = (feh + _JK_SIGMA_FEH * rng.standard_normal(n_stars) - _JK_C0 - _JK_CP * period) / _JK_CPHI
    phi21 = 2.40 + 0.45 * (phi31 - 5.10) + rng.normal(0.0, 0.08, n_stars)
    # higher phases: their offsets from a pure saw-tooth (phi_k1 = pi (1 - k))
    # grow roughly linearly with k in RRab; extrapolate from phi21 and phi31.
    d2, d3 = phi21 - np.pi, phi31 - 2 * np.pi
    step = d3 - d2
    phi41 = np.pi * (1 - 4) + d3 + step
    phi51 = np.pi * (1 - 5) + d3 + 2 * step

    a1 = np.clip(0.30 - 1.0 * (log_p - np.log10(0.557)) + rng.normal(0.0, 0.04, n_stars), 0.08, 0.50)
    ratios = np.column_stack(
        [
            np.ones(n_stars),
            np.clip(rng.normal(0.47, 0.04, n_stars), 0.2, 0.7),
            np.clip(rng.normal(0.31, 0.04, n_stars), 0.1, 0.5),
            np.clip(rng.normal(0.19, 0.04, n_stars), 0.05, 0.35),
            np.clip(rng.normal(0.12, 0.03, n_stars), 0.02, 0.25),
        ]
    )
    amp = a1[:, None] * ratios  # (n, 5)
    phi = np.column_stack([np.zeros(n_stars), phi21, phi31, phi41, phi51])  # phi_k with phi_1 = 0
    k = np.arange(1, _N_HARMONICS + 1)

    # shift each star so that maximum light (minimum magnitude) is at phase 0
    grid = np.arange(_FINE) / _FINE
    shape = np.einsum("nk,nkg->ng", amp, np.sin(2 * np.pi * k[None, :, None] * grid[None, None, :] + phi[:, :, None]))
    delta = grid[np.argmin(shape, axis=1)]
    phi = phi + 2 * np.pi * k[None, :] * delta[:, None]

    mean_mag = rng.uniform(14.0, 19.0, n_stars)
    sigma = 0.01 + 0.01 * (mean_mag - 14.0) / 5.0
    n_points = np.clip(np.rint(np.exp(rng.normal(np.log(34.0), 0.33, n_stars))), 21, 97).astype(int)

    phases, mags = [], []
    for i in range(n_stars):
        ph = _sample_phases(rng, n_points[i])
        clean = mean_mag[i] + np.sin(2 * np.pi * np.outer(ph, k) + phi[i]) @ amp[i]
        phases.append(ph)
        mags.append(clean + rng.normal(0.0, sigma[i], len(ph)))

    source_id = np.int64(6_000_000_000_000_000_000) + np.arange(n_stars, dtype=np.int64)
    curves = LightCurves(source_id=source_id, phase=phases, mag=mags, period=period)
    return curves, feh.astype(np.float64)

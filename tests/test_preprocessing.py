"""Tests of tserbench.preprocessing: folding, smoothing spline, variants, padding."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tserbench.exceptions import ConfigError, LightCurveError
from tserbench.preprocessing import make_panel, pad_panel, phase_fold, smooth_resample


def _curve(phase, amp=0.4, phi=0.3):
    """A smooth RRab-like periodic shape (sine series)."""
    x = 2 * np.pi * phase
    return 15.0 + amp * (np.sin(x + phi) + 0.45 * np.sin(2 * x + 2.1) + 0.2 * np.sin(3 * x + 4.0))


def make_lcs(n_stars=6, seed=0, n_min=21, n_max=60, noise=0.02):
    rng = np.random.default_rng(seed)
    phases, mags = [], []
    for _ in range(n_stars):
        n = int(rng.integers(n_min, n_max + 1))
        p = np.sort(rng.uniform(0, 1, n))
        phases.append(p)
        mags.append(_curve(p, amp=rng.uniform(0.2, 0.5), phi=rng.uniform(0, 2 * np.pi)) + rng.normal(0, noise, n))
    return SimpleNamespace(
        source_id=np.arange(n_stars, dtype=np.int64) + 4_000_000_000_000_000_000,
        phase=phases,
        mag=mags,
        period=rng.uniform(0.35, 0.9, n_stars),
    )


# --------------------------------------------------------------------------- folding
def test_phase_fold_matches_equation_and_sorts():
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 1000, 200)
    P, E = 0.5678, 12.3
    phase, order = phase_fold(t, P, E)
    expected = (t - E) / P - np.floor((t - E) / P)
    np.testing.assert_allclose(phase, expected[order], atol=1e-12)
    assert np.all(np.diff(phase) >= 0)
    assert phase.min() >= 0 and phase.max() < 1


def test_phase_fold_epoch_gets_phase_zero_and_negative_times():
    phase, order = phase_fold([-0.25, 10.0, 10.5], period=1.0, epoch=10.0)
    assert phase.tolist() == [0.0, 0.5, 0.75]
    assert order.tolist() == [1, 2, 0]


@pytest.mark.parametrize("period", [0.0, -1.0, np.nan])
def test_phase_fold_bad_period(period):
    with pytest.raises(ConfigError, match="period"):
        phase_fold([1.0, 2.0], period)


# --------------------------------------------------------------------------- variants
def test_full_variant_shape_and_channels():
    lcs = make_lcs()
    X = make_panel(lcs, "full", n_grid=40)
    assert X.shape == (6, 2, 40)
    np.testing.assert_allclose(X[:, 0].mean(axis=1), 0.0, atol=1e-12)
    grid = np.arange(40) / 40
    np.testing.assert_allclose(X[:, 1], lcs.period[:, None] * grid[None, :])


def test_spline_variant_is_full_plus_mean():
    lcs = make_lcs()
    Xs = make_panel(lcs, "spline", n_grid=40)
    Xf = make_panel(lcs, "full", n_grid=40)
    sm = smooth_resample(lcs, n_grid=40)
    np.testing.assert_allclose(Xs[:, 0], sm)
    np.testing.assert_allclose(Xf[:, 0], sm - sm.mean(axis=1, keepdims=True))
    assert abs(Xs[:, 0].mean() - 15.0) < 0.1


def test_raw_variant_df_list_mean_before_cut():
    lcs = make_lcs(n_stars=3, n_min=90, n_max=97)
    R = make_panel(lcs, "raw", max_len=80)
    assert isinstance(R, list) and len(R) == 3
    for df, p, m, P in zip(R, lcs.phase, lcs.mag, lcs.period):
        assert isinstance(df, pd.DataFrame)
        assert list(df.columns) == ["mag", "phase_p"]
        assert len(df) == 80
        # mean over ALL the star's points, then cut
        np.testing.assert_allclose(df["mag"].to_numpy(), (m - m.mean())[:80])
        # ... and not the mean of the kept points (cut before the mean)
        assert not np.allclose(df["mag"].to_numpy(), m[:80] - m[:80].mean(), atol=1e-6)
        np.testing.assert_allclose(df["phase_p"].to_numpy(), (p * P)[:80])
    # no cut: full length kept
    R2 = make_panel(lcs, "raw", max_len=None)
    assert [len(d) for d in R2] == [len(p) for p in lcs.phase]


def test_pad_panel_df_list_and_numpy():
    lcs = make_lcs(n_stars=4, n_min=21, n_max=40)
    R = make_panel(lcs, "raw")
    P = pad_panel(R, max_len=50)
    assert P.shape == (4, 2, 50)
    for i, df in enumerate(R):
        n = len(df)
        np.testing.assert_allclose(P[i, 0, :n], df["mag"])
        np.testing.assert_allclose(P[i, 1, :n], df["phase_p"])
        assert np.all(P[i, :, n:] == -1.0)
    P2 = pad_panel(R)
    assert P2.shape[2] == max(len(d) for d in R)
    X = make_panel(lcs, "full", n_grid=20)
    np.testing.assert_array_equal(pad_panel(X), X)
    Xp = pad_panel(X, max_len=25, value=-1.0)
    assert Xp.shape == (4, 2, 25) and np.all(Xp[:, :, 20:] == -1.0)


def test_bad_variant_and_grid():
    lcs = make_lcs(n_stars=2)
    with pytest.raises(ConfigError, match="variant"):
        make_panel(lcs, "smooth")
    for bad in (3, 0, 2.5, "50"):
        with pytest.raises(ConfigError, match="n_grid"):
            make_panel(lcs, "full", n_grid=bad)
    with pytest.raises(ConfigError, match="max_len"):
        make_panel(lcs, "raw", max_len=0)


def test_bad_light_curve_names_the_star():
    lcs = make_lcs(n_stars=3)
    lcs.mag[1] = lcs.mag[1].copy()
    lcs.mag[1][3] = np.nan
    with pytest.raises(LightCurveError, match=str(lcs.source_id[1])):
        make_panel(lcs, "full")
    lcs = make_lcs(n_stars=2)
    lcs.phase[0] = lcs.phase[0][::-1].copy()
    with pytest.raises(LightCurveError, match="sorted"):
        make_panel(lcs, "raw")


# --------------------------------------------------------------------------- spline vs scipy
def _tripled_scipy(p, m, grid, lam):
    from scipy.interpolate import make_smoothing_spline

    return make_smoothing_spline(np.r_[p - 1, p, p + 1], np.tile(m, 3), lam=lam)(grid)


def _dense_periodic_K(t):
    """Penalty matrix of the periodic cubic spline, written out densely (Green & Silverman 2.1)."""
    n = t.size
    h = np.diff(np.r_[t, t[0] + 1])
    hm = np.roll(h, 1)
    D = np.zeros((n, n))
    R = np.zeros((n, n))
    for i in range(n):
        D[i, (i + 1) % n] += 1 / h[i]
        D[i, i] -= 1 / h[i] + 1 / hm[i]
        D[i, (i - 1) % n] += 1 / hm[i]
        R[i, i] = (h[i] + hm[i]) / 3
        R[i, (i + 1) % n] += h[i] / 6
        R[i, (i - 1) % n] += hm[i] / 6
    return D @ np.linalg.solve(R, D)


@pytest.mark.parametrize("lam", [1e-6, 1e-5, 1e-4])
def test_fast_spline_equals_scipy_tripled_at_equal_penalty(lam):
    """For the same lam the periodic spline IS scipy's spline of the three copies on [0, 1).

    Tolerance 1e-5 mag: the only difference is the natural-spline ends at -1 and 2,
    whose influence on [0, 1) decays to < 1e-6 mag at these penalties (measured), plus
    rounding with phase gaps of 1e-6 (a near-duplicate is included on purpose).
    """
    from tserbench.preprocessing._periodic_spline import fit_periodic_gcv

    lcs = make_lcs(n_stars=8, seed=2, n_min=21, n_max=97)
    p0 = lcs.phase[0]
    lcs.phase[0] = np.sort(np.r_[p0[:-1], p0[5] + 2e-6])
    grid = np.arange(50) / 50
    fast, _ = fit_periodic_gcv(lcs.phase, lcs.mag, grid, lam=lam)
    for i, (p, m) in enumerate(zip(lcs.phase, lcs.mag)):
        np.testing.assert_allclose(fast[i], _tripled_scipy(p, m, grid, lam), rtol=0, atol=1e-5)


def test_fast_gcv_search_is_never_worse_than_scalar_brent_on_dense_gcv():
    """The vectorised search reaches a GCV no worse than scipy's bounded Brent on the periodic GCV.

    What matters is the quality of the minimum, not where on a flat stretch of
    the GCV curve a search stops: scipy's bounded Brent sometimes ends on the
    large-lam plateau (lam ~ 100, an almost constant curve) while the fast search
    finds a GCV many times smaller (seen with scipy 1.17 on star 2 of this set).
    Where both end in the same basin (the GCV between the two penalties never
    rises above the larger end value), they stop within scipy's ``xatol`` (1e-5
    absolute on lam) of each other and agree on the GCV value; rounding
    differences between the dense and the eigen GCV decide the last steps.
    """
    from scipy.optimize import minimize_scalar

    from tserbench.preprocessing.spline import _smooth

    lcs = make_lcs(n_stars=6, seed=4, n_min=21, n_max=70)
    _, lam_fast = _smooth(lcs, 50, "fast")
    same_basin = 0
    for i, (p, m) in enumerate(zip(lcs.phase, lcs.mag)):
        K = _dense_periodic_K(p)
        n = p.size

        def gcv(lam):
            A = np.linalg.inv(np.eye(n) + lam * K)
            r = m - A @ m
            return (r @ r / n) / (1 - np.trace(A) / n) ** 2

        res = minimize_scalar(gcv, bounds=(0, 3 * n), method="bounded")
        g_fast = gcv(lam_fast[i])
        assert g_fast <= res.fun * (1 + 1e-4), f"star {i}: fast GCV {g_fast} worse than scipy's {res.fun}"
        lo, hi = sorted((float(lam_fast[i]), float(res.x)))
        between = [gcv(lam) for lam in np.geomspace(max(lo, 1e-12), max(hi, 1e-12), 60)]
        if max(between) <= max(g_fast, res.fun) * (1 + 1e-6):
            same_basin += 1
            assert abs(lam_fast[i] - res.x) <= 1e-5
            assert g_fast == pytest.approx(res.fun, rel=1e-4)
    assert same_basin >= 1, "no star where both searches end in the same basin: the comparison ran on nothing"


def test_fast_vs_scipy_make_smoothing_spline_end_to_end():
    """Compare with the M24-style reference (scipy, GCV, three copies).

    scipy's bounded search often stops on the large-lam plateau and returns an
    almost flat curve (peak-to-peak < 20 % of the data's); the fast path finds the
    GCV minimum there. On the other stars both end at the same GCV minimum up to
    the search tolerance: median difference ~1e-10 mag, worst seen ~8 mmag where
    the GCV is flat and the two searches stop at neighbouring lam (data noise here
    is 10-20 mmag). Tolerance: 1e-2 mag max, 1e-4 mag median.
    """
    lcs = make_lcs(n_stars=16, seed=1, n_min=40, n_max=97, noise=0.02)
    fast = smooth_resample(lcs, method="fast")
    ref = smooth_resample(lcs, method="scipy")
    data_ptp = np.array([np.ptp(m) for m in lcs.mag])
    flat_ref = np.ptp(ref, axis=1) < 0.2 * data_ptp
    assert (~flat_ref).sum() >= len(flat_ref) // 2
    diff = np.abs(fast - ref).max(axis=1)[~flat_ref]
    assert diff.max() < 1e-2
    assert np.median(diff) < 1e-4
    # the fast path keeps the light-curve shape everywhere
    assert np.all(np.ptp(fast, axis=1) > 0.5 * data_ptp)


def test_smooth_resample_recovers_smooth_curve_and_is_periodic():
    rng = np.random.default_rng(7)
    phases = [np.sort(rng.uniform(0, 1, 60)) for _ in range(5)]
    mags = [_curve(p) + rng.normal(0, 0.01, p.size) for p in phases]
    lcs = SimpleNamespace(phase=phases, mag=mags, period=np.full(5, 0.5))
    grid = np.arange(100) / 100
    sm = smooth_resample(lcs, n_grid=100)
    assert np.abs(sm - _curve(grid)[None, :]).max() < 0.03
    # continuity across phase 0/1: the step from the last grid point to phase 1 is like any other step
    steps = np.abs(np.diff(np.c_[sm, sm[:, :1]], axis=1))
    assert steps[:, -1].max() < 3 * np.median(steps) + 0.02


def test_duplicate_phases_are_merged_and_scipy_method_agrees():
    lcs = make_lcs(n_stars=2, seed=5, n_min=40, n_max=50)
    p, m = lcs.phase[0], lcs.mag[0]
    lcs.phase[0] = np.sort(np.r_[p, p[10]])
    lcs.mag[0] = np.r_[m[:11], m[10] + 0.02, m[11:]]
    out = smooth_resample(lcs)
    assert out.shape == (2, 50) and np.all(np.isfinite(out))
    assert smooth_resample(lcs, method="scipy").shape == (2, 50)


def test_smooth_resample_bad_inputs():
    lcs = make_lcs(n_stars=2)
    with pytest.raises(ConfigError, match="method"):
        smooth_resample(lcs, method="splinefit")
    lcs.phase[1], lcs.mag[1] = lcs.phase[1][:4], lcs.mag[1][:4]
    with pytest.raises(LightCurveError, match="at least 5"):
        smooth_resample(lcs)
    with pytest.raises(ConfigError, match="phase"):
        smooth_resample(SimpleNamespace(mag=[], period=[]))


def test_panels_are_valid_sktime_mtypes():
    from sktime.datatypes import check_is_mtype

    lcs = make_lcs(n_stars=4)
    assert check_is_mtype(make_panel(lcs, "raw"), "df-list", return_metadata=False)
    assert check_is_mtype(make_panel(lcs, "full", n_grid=20), "numpy3D", return_metadata=False)

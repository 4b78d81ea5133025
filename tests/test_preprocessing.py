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
        assert abs(df["mag"].mean()) > 0 or m[80:].mean() == m.mean()
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

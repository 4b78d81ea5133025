"""Tests of the Fourier features (sine series, 4th order)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tserbench.exceptions import ConfigError
from tserbench.preprocessing import fourier_features, make_panel

AMPS = np.array([0.30, 0.14, 0.09, 0.05])
PHIS = np.array([1.1, 4.0, 2.2, 5.5])


def _sine_series(phase, a0=15.2, amps=AMPS, phis=PHIS):
    k = np.arange(1, len(amps) + 1)
    return a0 + np.sum(amps * np.sin(2 * np.pi * k * phase[:, None] + phis), axis=1)


def _expected():
    k = np.arange(1, 5)
    return {
        "R21": AMPS[1] / AMPS[0],
        "R31": AMPS[2] / AMPS[0],
        "R41": AMPS[3] / AMPS[0],
        **{f"phi{j}1": np.mod(PHIS[j - 1] - j * PHIS[0], 2 * np.pi) for j in k[1:]},
    }


def _panel(periods, n_grid=50, centred=True):
    grid = np.arange(n_grid) / n_grid
    m = _sine_series(grid)
    X = np.empty((len(periods), 2, n_grid))
    X[:, 0] = m - m.mean() if centred else m
    X[:, 1] = np.asarray(periods)[:, None] * grid
    return X


def test_recovers_known_parameters_from_a_full_panel():
    P = np.array([0.45, 0.62])
    F = fourier_features(_panel(P))
    assert isinstance(F, pd.DataFrame) and len(F) == 2
    assert list(F.columns) == ["P", "A1", "A2", "A3", "A4", "R21", "R31", "R41", "phi21", "phi31", "phi41"]
    np.testing.assert_allclose(F["P"], P, rtol=1e-12)
    for k in range(4):
        np.testing.assert_allclose(F[f"A{k + 1}"], AMPS[k], atol=1e-10)
    for name, value in _expected().items():
        np.testing.assert_allclose(F[name], value, atol=1e-9)
    assert F[["phi21", "phi31", "phi41"]].to_numpy().min() >= 0
    assert F[["phi21", "phi31", "phi41"]].to_numpy().max() < 2 * np.pi


def test_spline_panel_gets_mean_mag():
    F = fourier_features(_panel([0.5], centred=False))
    np.testing.assert_allclose(F["mean_mag"], 15.2, atol=1e-10)
    assert "mean_mag" not in fourier_features(_panel([0.5]), variant="full").columns


def test_light_curves_fit_on_points_matches():
    rng = np.random.default_rng(0)
    phases = [np.sort(rng.uniform(0, 1, n)) for n in (25, 40, 61)]
    lcs = SimpleNamespace(phase=phases, mag=[_sine_series(p) for p in phases], period=np.array([0.4, 0.5, 0.6]))
    F = fourier_features(lcs)
    np.testing.assert_allclose(F["P"], lcs.period)
    np.testing.assert_allclose(F["R21"], AMPS[1] / AMPS[0], atol=1e-9)
    np.testing.assert_allclose(F["phi31"], _expected()["phi31"], atol=1e-9)
    np.testing.assert_allclose(F["mean_mag"], 15.2, atol=1e-10)


def test_on_make_panel_output_close_to_points_fit():
    rng = np.random.default_rng(3)
    phases = [np.sort(rng.uniform(0, 1, 45)) for _ in range(3)]
    lcs = SimpleNamespace(
        phase=phases,
        mag=[_sine_series(p) + rng.normal(0, 0.005, p.size) for p in phases],
        period=np.array([0.4, 0.5, 0.6]),
    )
    F = fourier_features(make_panel(lcs, "full"))
    np.testing.assert_allclose(F["P"], lcs.period, rtol=1e-12)
    np.testing.assert_allclose(F["A1"], AMPS[0], atol=0.02)
    np.testing.assert_allclose(F["R21"], AMPS[1] / AMPS[0], atol=0.1)


def test_bad_inputs():
    with pytest.raises(ConfigError, match="channel 1"):
        X = _panel([0.5])
        X[:, 1, 10] += 0.3
        fourier_features(X)
    with pytest.raises(ConfigError, match="too small"):
        fourier_features(_panel([0.5], n_grid=8))
    with pytest.raises(ConfigError, match="panel"):
        fourier_features(np.zeros((2, 50)))
    with pytest.raises(ConfigError, match="order"):
        fourier_features(_panel([0.5]), order=1)

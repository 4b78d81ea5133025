"""Classical baselines: linear and gradient-boosted [Fe/H] on Fourier parameters."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from tserbench.regressors.classical import DEFAULT_FEATURES, FourierGBRegressor, FourierLinearRegressor


def _sinusoid_panel(n, n_grid=40, seed=0):
    """Two-harmonic light curves on the phase grid with known P, A1 (channel 1 = phase * P)."""
    rng = np.random.default_rng(seed)
    phase = np.arange(n_grid) / n_grid
    P = rng.uniform(0.35, 0.9, n)
    A1 = rng.uniform(0.2, 0.5, n)
    A2 = A1 * rng.uniform(0.3, 0.6, n)
    phi1 = rng.uniform(0, 2 * np.pi, n)
    phi2 = rng.uniform(0, 2 * np.pi, n)
    m = A1[:, None] * np.sin(2 * np.pi * phase + phi1[:, None]) + A2[:, None] * np.sin(
        4 * np.pi * phase + phi2[:, None]
    )
    X = np.stack([m, P[:, None] * phase[None, :]], axis=1)
    return X, P, A1


def test_linear_recovers_a_known_relation():
    """[Fe/H] = -1.0 + 2 P - 3 A1 exactly: least squares on (P, A1) finds the coefficients."""
    X, P, A1 = _sinusoid_panel(60)
    y = -1.0 + 2.0 * P - 3.0 * A1
    reg = FourierLinearRegressor(features=["P", "A1"]).fit(X, y)
    assert reg.feature_names_ == ["P", "A1"]
    np.testing.assert_allclose(reg.coef_, [2.0, -3.0], rtol=1e-3)
    X2, P2, A12 = _sinusoid_panel(10, seed=1)
    np.testing.assert_allclose(reg.predict(X2), -1.0 + 2.0 * P2 - 3.0 * A12, atol=1e-3)


def test_ridge_shrinks():
    X, P, A1 = _sinusoid_panel(60)
    y = -1.0 + 2.0 * P - 3.0 * A1
    ols = FourierLinearRegressor(features=["P", "A1"]).fit(X, y)
    ridge = FourierLinearRegressor(features=["P", "A1"], alpha=30.0).fit(X, y)
    assert np.linalg.norm(ridge.coef_) < np.linalg.norm(ols.coef_)


@pytest.fixture(scope="module")
def synthetic():
    from tserbench.data.synthetic import make_synthetic_rrab
    from tserbench.preprocessing import make_panel

    lcs, feh = make_synthetic_rrab(200, random_state=11)
    return make_panel(lcs, variant="full", n_grid=50), feh


@pytest.mark.parametrize(
    "reg",
    [FourierLinearRegressor(), FourierGBRegressor(max_iter=60, random_state=0)],
    ids=["linear", "gb"],
)
def test_fit_predict_synthetic_beats_the_mean(synthetic, reg):
    """On synthetic RRab (P and phi31 carry [Fe/H]) the held-out error is well below the spread."""
    X, y = synthetic
    train, test = np.arange(len(y)) % 4 != 0, np.arange(len(y)) % 4 == 0
    reg = clone(reg).fit(X[train], y[train])
    pred = reg.predict(X[test])
    assert pred.shape == (test.sum(),) and np.isfinite(pred).all()
    assert reg.feature_names_ == list(DEFAULT_FEATURES)
    rmse = np.sqrt(np.mean((pred - y[test]) ** 2))
    assert rmse < 0.8 * np.std(y[test])


def test_density_weights_change_the_fit(synthetic):
    X, y = synthetic
    plain = FourierLinearRegressor().fit(X, y)
    weighted = FourierLinearRegressor(weight_cutoff=0.5).fit(X, y)
    assert not np.allclose(plain.predict(X), weighted.predict(X))
    assert clone(weighted).get_params()["weight_cutoff"] == 0.5


def test_gb_is_deterministic_given_random_state(synthetic):
    X, y = synthetic
    a = FourierGBRegressor(max_iter=20, random_state=5).fit(X, y).predict(X[:20])
    b = FourierGBRegressor(max_iter=20, random_state=5).fit(X, y).predict(X[:20])
    np.testing.assert_array_equal(a, b)


def test_univariate_panel_drops_the_period():
    X, P, A1 = _sinusoid_panel(30)
    reg = FourierLinearRegressor().fit(X[:, :1, :], A1)
    assert "P" not in reg.feature_names_ and reg.feature_names_
    assert np.isfinite(reg.predict(X[:5, :1, :])).all()
    with pytest.raises(ValueError, match="no features left"):
        FourierLinearRegressor(features=["P"]).fit(X[:, :1, :], A1)


def test_unknown_feature_is_named():
    X, P, _ = _sinusoid_panel(20)
    with pytest.raises(ValueError, match="phi99"):
        FourierLinearRegressor(features=["P", "phi99"]).fit(X, P)


@pytest.mark.parametrize("cls", [FourierLinearRegressor, FourierGBRegressor])
def test_sktime_check_estimator(cls):
    from sktime.utils.estimator_checks import check_estimator

    results = check_estimator(cls, raise_exceptions=False, verbose=False)
    failed = {name: str(res)[:200] for name, res in results.items() if res != "PASSED"}
    assert len(results) > 50
    assert not failed, failed

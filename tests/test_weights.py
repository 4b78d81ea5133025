"""Tests of the DG22 KDE density weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import gaussian_kde

from tserbench.exceptions import ConfigError
from tserbench.preprocessing import DensityWeighter, density_weights


def _feh(n=800, seed=0):
    """Skewed [Fe/H]-like targets: a peak near -1.5 and a metal-rich tail."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(-1.5, 0.3, int(0.8 * n)), rng.normal(-0.6, 0.35, n - int(0.8 * n))])


def _dg22_reference(y, cutoff):
    """DG22's compute_sample_weights(by_density=cutoff, scaled=True), written out independently."""
    kde = gaussian_kde(y)
    dens = kde(y)
    inside = y[dens > cutoff]
    lo, hi = inside.min(), inside.max()
    w = 1.0 / dens
    w[y > hi] = 1.0 / kde(hi)[0]
    w[y < lo] = 1.0 / kde(lo)[0]
    return 0.01 + 0.99 * (w - w.min()) / (w.max() - w.min())


@pytest.mark.parametrize("cutoff", [0.3, 0.5])
def test_matches_dg22_recipe_and_range(cutoff):
    y = _feh()
    w = density_weights(y, cutoff=cutoff)
    np.testing.assert_allclose(w, _dg22_reference(y, cutoff), rtol=0, atol=1e-12)
    assert w.min() == pytest.approx(0.01) and w.max() == pytest.approx(1.0)


def test_weights_decrease_with_density_inside_the_cutoff_region():
    y = _feh()
    wt = DensityWeighter(cutoff=0.5).fit(y)
    w = wt.transform(y)
    dens = wt.kde_(y)
    inside = (y >= wt.y_low_) & (y <= wt.y_high_)
    order = np.argsort(dens[inside])
    assert np.all(np.diff(w[inside][order]) <= 1e-12)  # denser -> lighter
    # the tails are clipped: constant beyond the edges
    assert np.ptp(w[y > wt.y_high_]) < 1e-12
    assert np.ptp(w[y < wt.y_low_]) < 1e-12
    # the peak star is lighter than a tail star
    assert w[np.argmax(dens)] < w[np.argmin(y)]


def test_fit_on_train_transform_other_targets_no_leakage():
    y = _feh(1000, seed=1)
    train, test = y[:700], y[700:]
    wt = DensityWeighter(cutoff=0.5).fit(train)
    w_test = wt.transform(test)
    # depends on the training targets only: same weights whatever else is in the test set
    np.testing.assert_allclose(wt.transform(test[:50]), w_test[:50])
    refit = DensityWeighter(cutoff=0.5).fit(np.concatenate([train, test]))
    assert not np.allclose(refit.transform(test), w_test)
    assert w_test.min() >= 0.01 and w_test.max() <= 1.0
    # transform of the training targets is DG22's weights of the training set
    np.testing.assert_allclose(wt.transform(train), _dg22_reference(train, 0.5), atol=1e-12)


def test_normalize_and_off():
    y = _feh()
    w = density_weights(y, normalize=True)
    assert w.mean() == pytest.approx(1.0)
    np.testing.assert_array_equal(density_weights(y, cutoff=None), np.ones_like(y))


def test_bad_inputs():
    with pytest.raises(ConfigError, match="NaN"):
        density_weights(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ConfigError, match="distinct"):
        density_weights(np.ones(10))
    with pytest.raises(ConfigError, match="cutoff"):
        density_weights(_feh(), cutoff=50.0)
    with pytest.raises(ConfigError, match="not fitted"):
        DensityWeighter().transform([1.0])

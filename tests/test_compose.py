"""``MeanRegressor`` and the registry's ``mean-minirocket-fourier-gb``."""

from __future__ import annotations

import numpy as np
import pytest
from sktime.regression.dummy import DummyRegressor

from tserbench.regressors import get_regressor
from tserbench.regressors.classical import FourierGBRegressor, FourierLinearRegressor
from tserbench.regressors.compose import MeanRegressor


def _panel(n=60, length=32, seed=0):
    """Two-channel (m - <m>, phase * P) panels of sinusoids whose amplitude is the target."""
    rng = np.random.default_rng(seed)
    phase = np.arange(length) / length
    amp = rng.uniform(0.2, 1.0, n)
    period = rng.uniform(0.4, 0.8, n)
    m = amp[:, None] * np.sin(2 * np.pi * phase)[None, :] + 0.01 * rng.normal(size=(n, length))
    X = np.stack([m, phase[None, :] * period[:, None]], axis=1)
    return X, amp


def test_mean_of_the_members_fitted_alone():
    X, y = _panel()
    members = [("lin", FourierLinearRegressor()), ("gb", FourierGBRegressor(random_state=1))]
    ens = MeanRegressor(members).fit(X[:40], y[:40])
    alone = [est.clone().fit(X[:40], y[:40]).predict(X[40:]) for _, est in members]
    np.testing.assert_allclose(ens.predict(X[40:]), np.mean(alone, axis=0), rtol=1e-12)
    assert [name for name, _ in ens.estimators_] == ["lin", "gb"]
    # the blueprints stay unfitted
    assert not members[0][1].is_fitted


def test_nested_params_and_capability_tags():
    ens = MeanRegressor([("a", DummyRegressor()), ("lin", FourierLinearRegressor())])
    ens.set_params(a__strategy="median")
    assert ens.get_params()["a__strategy"] == "median"
    assert ens.get_tag("capability:unequal_length") is False  # FourierLinear needs equal length
    assert MeanRegressor([DummyRegressor(), DummyRegressor()]).get_tag("capability:unequal_length") is True


def test_registry_model_builds_fresh_members_and_is_seedable():
    a, b = get_regressor("mean-minirocket-fourier-gb"), get_regressor("mean-minirocket-fourier-gb")
    assert [n for n, _ in a.estimators] == ["minirocket", "fourier-gb"]
    assert a.estimators[0][1] is not b.estimators[0][1]
    a.set_params(minirocket__random_state=5)
    assert b.get_params()["minirocket__random_state"] == 0
    assert a.get_params()["minirocket__rocket_transform"] == "minirocket"


@pytest.mark.slow
def test_sktime_check_estimator():
    from sktime.utils.estimator_checks import check_estimator

    results = check_estimator(MeanRegressor, raise_exceptions=False, verbose=False)
    failed = {name: str(res)[:200] for name, res in results.items() if res != "PASSED"}
    assert len(results) > 50
    assert not failed, failed


def test_registry_takes_nested_member_parameters():
    from tserbench.exceptions import ConfigError

    reg = get_regressor("mean-minirocket-fourier-gb", **{"fourier-gb__max_iter": 77})
    assert reg.get_params()["fourier-gb__max_iter"] == 77
    with pytest.raises(ConfigError, match="nested parameter.*nope__x"):
        get_regressor("mean-minirocket-fourier-gb", nope__x=1)

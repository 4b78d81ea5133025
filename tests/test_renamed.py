"""One vocabulary: ``random_state`` in the Python API, ``seed=`` a deprecated alias for a while.

Each public function that took ``seed=`` takes ``random_state=``; the old
keyword still works with a :class:`FutureWarning` naming the new one, and
giving both is a :class:`TypeError`.  The dataset object ``RRabSynthetic``
renamed its parameter outright (sktime derives ``get_params`` from
``__init__``); the registry maps the old name where users give it and where
result stores recorded it.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

from tserbench._renamed import rename_keys, renamed_keyword
from tserbench.exceptions import ConfigError


def test_the_decorator_maps_the_old_keyword_warns_and_refuses_both():
    @renamed_keyword("seed", "random_state")
    def f(x, *, random_state=0):
        return x, random_state

    assert list(inspect.signature(f).parameters) == ["x", "random_state"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(1, random_state=2) == (1, 2)
    with pytest.warns(FutureWarning, match=r"seed= is deprecated .* use random_state=") as caught:
        assert f(1, seed=3) == (1, 3)
    assert caught[0].filename == __file__  # the warning names the caller's line
    with pytest.raises(TypeError, match="both random_state= and seed="):
        f(1, seed=3, random_state=3)


def test_rename_keys_keeps_the_order_and_warns_only_when_asked():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(rename_keys({"n": 1, "seed": 2, "v": 3}, {"seed": "rs"}, owner="x", warn=False)) == ["n", "rs", "v"]
        assert rename_keys({"n": 1}, {"seed": "rs"}, owner="x") == {"n": 1}


def _public_functions():
    from tserbench.data import make_synthetic_rrab
    from tserbench.evaluation import run_benchmark, run_job
    from tserbench.tuning import load_tuning_data, tune
    from tserbench.tuning.samplers import PerTrialSeedSampler, make_sampler

    return [make_synthetic_rrab, run_benchmark, run_job, tune, load_tuning_data, make_sampler,
            PerTrialSeedSampler.__init__]


@pytest.mark.parametrize("func", _public_functions(), ids=lambda f: f.__qualname__)
def test_every_public_function_takes_random_state_and_refuses_both_names(func):
    params = inspect.signature(func).parameters
    assert "random_state" in params and "seed" not in params
    with pytest.raises(TypeError, match="both random_state= and seed="):
        func(seed=1, random_state=1)


def test_the_old_keyword_still_works_with_a_warning():
    from tserbench.data import make_synthetic_rrab
    from tserbench.evaluation import run_benchmark
    from tserbench.tuning import load_tuning_data, tune
    from tserbench.tuning.samplers import make_sampler

    with pytest.warns(FutureWarning, match="make_synthetic_rrab"):
        old_curves, old_feh = make_synthetic_rrab(8, seed=5)
    np.testing.assert_array_equal(old_feh, make_synthetic_rrab(8, random_state=5)[1])
    with pytest.warns(FutureWarning, match="make_sampler"):
        assert make_sampler("random", seed=4).random_state == 4
    # the value reaches the function: each refuses it (or another argument) before any work
    with pytest.warns(FutureWarning, match="run_benchmark"), pytest.raises(ConfigError, match="random_state"):
        run_benchmark("rrab-synthetic", ["fourier-linear"], seed=-1, progress=False)
    with pytest.warns(FutureWarning, match="tune"), pytest.raises(ConfigError, match="n_trials"):
        tune("rrab-synthetic", "fourier-linear", n_trials=0, seed=1)
    with pytest.warns(FutureWarning, match="load_tuning_data"), pytest.raises(ConfigError, match="inner_splits"):
        load_tuning_data("rrab-synthetic", inner_splits=1, seed=1)


def test_rrab_synthetic_takes_random_state_and_the_registry_maps_the_old_name():
    from tserbench.datasets import RRabSynthetic, get_dataset, upgrade_params

    ds = RRabSynthetic(n_stars=20, random_state=3, n_grid=8)
    assert "random_state" in ds.get_params() and "seed" not in ds.get_params()
    with pytest.warns(FutureWarning, match=r"dataset 'rrab-synthetic': seed= is deprecated"):
        old = get_dataset("rrab-synthetic", n_stars=20, seed=3, n_grid=8)
    assert old.get_params() == ds.get_params()
    np.testing.assert_array_equal(old.folds, ds.folds)
    with pytest.raises(ConfigError, match="both random_state= and seed="):
        get_dataset("rrab-synthetic", seed=3, random_state=3)
    # reading a record: mapped silently; other datasets and unknown names pass through
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert upgrade_params("rrab-synthetic", {"n_stars": 20, "seed": 3}) == {"n_stars": 20, "random_state": 3}
        assert upgrade_params("tecator", {"seed": 3}) == {"seed": 3}
        assert upgrade_params("no-such-dataset", {"seed": 3}) == {"seed": 3}
        assert upgrade_params(ds, {"seed": 3}) == {"seed": 3}

"""Misspelled model and dataset names get a close-match suggestion wherever they are looked up."""

from __future__ import annotations

import pytest

from tserbench._names import did_you_mean
from tserbench.exceptions import ConfigError


def test_did_you_mean_ignores_case_and_stays_quiet_when_nothing_is_close():
    assert did_you_mean("Tecatr", ["tecator", "covid3month"]) == "did you mean 'tecator'?"
    assert did_you_mean("zzz", ["tecator"]) == ""


def test_a_misspelled_model_gets_a_suggestion():
    from tserbench.regressors import get_regressor

    with pytest.raises(ConfigError, match=r"unknown model 'fourier-lineer'; did you mean 'fourier-linear'"):
        get_regressor("fourier-lineer")


def test_a_misspelled_dataset_gets_a_suggestion_including_archive_names():
    from tserbench.datasets import get_dataset

    with pytest.raises(ConfigError, match=r"unknown dataset 'rrab-synthetc'; did you mean 'rrab-synthetic'"):
        get_dataset("rrab-synthetc")
    with pytest.raises(ConfigError, match=r"did you mean 'AppliancesEnergy'"):
        get_dataset("appliancesenergi")


def test_a_misspelled_model_to_tune_gets_a_suggestion():
    from tserbench.tuning.spaces import get_space

    with pytest.raises(ConfigError, match=r"no search space; did you mean 'minirocket'"):
        get_space("minirockett")

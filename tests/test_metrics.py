"""Tests of tserbench.evaluation.metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from tserbench.evaluation import METRICS, PredictionError, score, summarise
from tserbench.evaluation.metrics import mae, medae, r2, rmse, wmae, wrmse
from tserbench.exceptions import TserbenchError


def test_hand_values():
    y = [1.0, 2.0, 3.0]
    p = [1.0, 2.0, 5.0]
    assert rmse(y, p) == pytest.approx(math.sqrt(4 / 3))
    assert mae(y, p) == pytest.approx(2 / 3)
    assert medae(y, p) == pytest.approx(0.0)
    assert r2(y, p) == pytest.approx(1 - 4 / 2)
    w = [1.0, 1.0, 2.0]
    assert wrmse(y, p, sample_weight=w) == pytest.approx(math.sqrt(8 / 4))
    assert wmae(y, p, sample_weight=w) == pytest.approx(4 / 4)


def test_against_sklearn():
    rng = np.random.default_rng(0)
    y = rng.normal(-1.5, 0.5, 50)
    p = y + rng.normal(0, 0.2, 50)
    w = rng.uniform(0.01, 1, 50)
    s = score(y, p, w)
    assert list(s) == list(METRICS)
    assert s["r2"] == pytest.approx(skm.r2_score(y, p))
    assert s["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))
    assert s["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert s["medae"] == pytest.approx(skm.median_absolute_error(y, p))
    assert s["wrmse"] == pytest.approx(np.sqrt(np.sum(w * (y - p) ** 2) / np.sum(w)))
    assert s["wmae"] == pytest.approx(np.sum(w * np.abs(y - p)) / np.sum(w))
    assert s["wrmse"] != pytest.approx(s["rmse"])


def test_weighted_metrics_need_weights():
    s = score([1.0, 2.0, 3.0], [1.1, 2.0, 2.9])
    assert set(s) == {"r2", "rmse", "mae", "medae"}  # no silent copy of the unweighted ones
    with pytest.raises(ValueError, match="sample_weight"):
        wrmse([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="2 values for 3"):
        wmae([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], sample_weight=[1.0, 1.0])
    with pytest.raises(ValueError, match="non-negative"):
        wmae([1.0, 2.0], [1.0, 2.0], sample_weight=[1.0, -1.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_prediction_is_an_error(bad):
    with pytest.raises(PredictionError, match=r"model 'gru', repeat 0, fold 3.*1 of 3 predictions are NaN or inf"):
        score([1.0, 2.0, 3.0], [1.0, bad, 3.0], where="model 'gru', repeat 0, fold 3")
    with pytest.raises(PredictionError):
        rmse([1.0, 2.0], [bad, 1.0])
    assert issubclass(PredictionError, TserbenchError)


def test_shape_mismatch_is_an_error():
    with pytest.raises(PredictionError, match="expected 3 scalar predictions"):
        score([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(PredictionError, match="expected 2 scalar predictions"):
        score([1.0, 2.0], np.ones((2, 2)))
    assert score([1.0, 2.0, 3.0], np.array([[1.0], [2.0], [3.0]]))["rmse"] == 0.0


def test_summarise():
    records = [
        {"metrics": {"val": {"rmse": 1.0, "r2": 0.5}, "train": {"rmse": 0.5}}},
        {"metrics": {"val": {"rmse": 3.0, "r2": 0.7}, "train": {"rmse": 0.7}}},
    ]
    s = summarise(records)
    assert s["val"]["rmse"] == {"mean": 2.0, "std": pytest.approx(np.sqrt(2.0)), "n": 2}  # sample SD
    assert s["val"]["r2"]["mean"] == pytest.approx(0.6)
    assert list(s["val"]) == ["r2", "rmse"]  # METRICS order
    assert s["train"]["rmse"]["mean"] == pytest.approx(0.6)
    assert summarise([]) == {}


def test_one_metric_table_feeds_the_leaderboard_check_and_tuning(monkeypatch):
    """A metric added to METRICS is a leaderboard column, a metric `check` compares and a tuning target."""
    import types

    import pandas as pd

    from tserbench.evaluation.metrics import Metric
    from tserbench.leaderboard import _aggregate, _metrics, check
    from tserbench.tuning.objective import CVObjective, check_tuning_metric

    def max_err(y_true, y_pred, sample_weight=None):
        return float(skm.max_error(y_true, y_pred))

    def skill(y_true, y_pred, sample_weight=None):
        return -max_err(y_true, y_pred)

    monkeypatch.setitem(METRICS, "maxerr", Metric("maxerr", max_err))
    monkeypatch.setitem(METRICS, "skill", Metric("skill", skill, greater_is_better=True))
    rng = np.random.default_rng(0)
    y = rng.normal(size=40)
    oof = pd.DataFrame({"source_id": np.arange(40), "repeat": 0, "fold": np.arange(40) % 4, "y_true": y,
                        "y_pred": y + rng.normal(0, 0.1, 40)})
    assert "maxerr" in score(y, oof["y_pred"])
    val, per_fold = _aggregate.summarise_oof(oof)
    assert {"maxerr", "skill"} <= set(val) and {"maxerr", "skill"} <= set(per_fold.columns)
    assert _metrics.metric_names()[-2:] == ("maxerr", "skill")
    assert check.parse_tolerance("maxerr=0.1", ["maxerr"]) == {"maxerr": 0.1}
    assert not _metrics.greater_is_better("maxerr") and _metrics.greater_is_better("skill")
    check_tuning_metric("skill")  # accepted, and maximised
    assert CVObjective.direction.fget(types.SimpleNamespace(metric="skill")) == "maximize"
    assert CVObjective.direction.fget(types.SimpleNamespace(metric="maxerr")) == "minimize"


def test_every_metric_is_an_object_with_its_direction_and_weighting():
    for name, metric in METRICS.items():
        assert metric.name == name and callable(metric.func)
    assert {n for n, m in METRICS.items() if m.weighted} == {"wrmse", "wmae"}
    assert {n for n, m in METRICS.items() if m.greater_is_better} == {"r2"}

"""The deep regressors' training schedules (tserbench.regressors._schedule)."""

from __future__ import annotations

import numpy as np
import pytest

from tserbench.regressors._schedule import CONVERGE, check_schedule, resolve_schedule


class _Est:  # the attributes resolve_schedule reads
    def __init__(self, **kw):
        self.batch_size, self.n_epochs, self.learning_rate = 256, 100000, 0.01
        self.schedule, self.patience, self.reduce_lr_patience = "converge", 30, None
        self.__dict__.update(kw)


def test_windows_are_counted_in_steps():
    """140 series get one step per epoch, 4012 get 16: the same number of updates either way."""
    small, big = resolve_schedule(_Est(), 140), resolve_schedule(_Est(), 4012)
    assert (small.steps_per_epoch, big.steps_per_epoch) == (1, 16)
    assert small.patience_epochs * small.steps_per_epoch == CONVERGE["patience_steps"]
    assert big.patience_epochs == 50 and big.reduce_lr_epochs == 25  # ceil(800 / 16), ceil(400 / 16)
    assert big.max_epochs == 1875 and small.max_epochs == 30000
    assert big.min_learning_rate == pytest.approx(0.01 / 16) and big.patience_at_floor
    assert resolve_schedule(_Est(n_epochs=10), 4012).max_epochs == 10  # n_epochs still caps
    custom = resolve_schedule(_Est(schedule={"max_steps": 160}), 4012)
    assert custom.name == "custom" and custom.max_epochs == 10 and custom.patience_epochs == 50


def test_no_epoch_cap_by_default_so_a_small_set_gets_the_whole_step_budget():
    """n_epochs=None: 140 series (one step an epoch) may train the 30 000 steps 4012 series get, not 300."""
    from tserbench.regressors import resolve_model_class
    from tserbench.regressors._schedule import EPOCH_RULE_DEFAULT_EPOCHS

    for name in ("gru", "fcn", "resnet", "inceptiontime", "dg22-bilstm2p"):
        assert resolve_model_class(name)().n_epochs is None
    small, big = resolve_schedule(_Est(n_epochs=None), 140), resolve_schedule(_Est(n_epochs=None), 4012)
    assert small.max_epochs * small.steps_per_epoch == CONVERGE["max_steps"] == big.max_epochs * big.steps_per_epoch
    assert small.patience_epochs < small.max_epochs  # the convergence rule can stop it before the cap
    rule = resolve_schedule(_Est(schedule=None, n_epochs=None), 140)
    assert rule.max_epochs == EPOCH_RULE_DEFAULT_EPOCHS == 300  # the papers' epoch rule keeps an epoch budget


def test_the_papers_epoch_rule():
    s = resolve_schedule(_Est(schedule=None, patience=1000, n_epochs=50000), 4012)
    assert (s.name, s.patience_epochs, s.max_epochs, s.reduce_lr_epochs, s.patience_at_floor) == (
        "epochs", 1000, 50000, None, False)


@pytest.mark.parametrize("bad", ["fast", {"patience": 3}, {"max_steps": 0}, {"factor": 1.5}, {"max_steps": True}])
def test_bad_schedules_are_refused(bad):
    with pytest.raises(ValueError, match="schedule"):
        check_schedule(bad)


pytest.importorskip("tensorflow")


def _data(n=64, length=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2, length))
    return X, 0.5 * X[:, 0, :3].mean(axis=1) - 1.5


def test_training_stops_only_after_the_patience_at_the_learning_rate_floor():
    from tserbench.regressors._recurrent import GRURegressor

    X, y = _data()
    sched = {"reduce_lr_steps": 4, "patience_steps": 6, "lr_floor_ratio": 0.25, "max_steps": 4000}
    reg = GRURegressor(units=(3,), dropout=0.0, batch_size=32, n_epochs=5000, schedule=sched, random_state=0)
    reg.fit(X, y)  # 58 training series, batch 32: 2 steps per epoch
    assert reg.schedule_["steps_per_epoch"] == 2 and reg.n_steps_trained_ == 2 * reg.n_epochs_trained_
    assert reg.stop_reason_ == "converged"
    lr = np.array(reg.history_["learning_rate"])
    floor = 0.01 * 0.25
    assert lr[0] == pytest.approx(0.01) and lr.min() == pytest.approx(floor)
    first_floor = int(np.argmax(np.isclose(lr, floor)))  # the first epoch trained at the floor
    # the patience (3 epochs = 6 steps) ran at the floor, not before it
    assert reg.n_epochs_trained_ >= first_floor + 3
    val = np.array(reg.history_["val_loss"])
    assert val[reg.best_epoch_ - 1] == pytest.approx(val.min())


def test_a_run_that_hits_the_budget_says_so():
    from tserbench.regressors._recurrent import GRURegressor

    X, y = _data()
    reg = GRURegressor(units=(3,), dropout=0.0, batch_size=32, n_epochs=5000,
                       schedule={"max_steps": 6}, random_state=0).fit(X, y)
    assert reg.n_epochs_trained_ == 3 and reg.stop_reason_ == "cap"
    assert reg.selection_["inner"]["converged"] is False


def test_the_papers_budgets_are_named_presets():
    from tserbench.evaluation._cli import load_params_spec
    from tserbench.exceptions import ConfigError
    from tserbench.regressors import get_regressor

    params = load_params_spec("preset:paper", ["gru", "fourier-gb", "dg22-bilstm2p"])
    assert set(params) == {"gru", "dg22-bilstm2p"}  # deep models only
    assert params["gru"]["patience"] == 1000 and params["gru"]["schedule"] is None
    assert get_regressor("gru", **params["gru"]).get_params()["n_epochs"] == 50000
    held = load_params_spec("preset:paper-held-out", ["gru"])["gru"]
    assert held["selection"] == "held-out" and held["validation_split"] == 0.0
    with pytest.raises(ConfigError, match="unknown preset"):
        load_params_spec("preset:fast", ["gru"])
    with pytest.raises(ConfigError, match="none of"):
        load_params_spec("preset:paper", ["fourier-gb"])

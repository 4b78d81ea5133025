"""Behaviour of the deep regressors beyond sktime's generic checks.

Tiny networks and a few epochs on synthetic data: seeding, early stopping,
the density weights computed inside fit, unequal-length input with masking,
quietness, serialisation.  (sktime's own suite: tests/test_check_estimator.py.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

from tserbench.regressors._conv_recurrent import ConvGRURegressor, ConvLSTMRegressor  # noqa: E402
from tserbench.regressors._fcn import FCNRegressor  # noqa: E402
from tserbench.regressors._inception import InceptionTimeRegressor  # noqa: E402
from tserbench.regressors._recurrent import DG22BiLSTMRegressor, GRURegressor  # noqa: E402
from tserbench.regressors._resnet import ResNetRegressor  # noqa: E402
from tserbench.regressors import list_models, resolve_model_class  # noqa: E402

#: every deep regressor class of the registry (a new network is tested here without editing this file)
ALL = [resolve_model_class(info.name) for info in list_models(include_plugins=False) if info.kind == "deep"]
RECURRENT = [resolve_model_class(info.name) for info in list_models(include_plugins=False)
             if info.kind == "deep" and info.unequal_length]
TINY_GRU = {"units": (4,), "dropout": 0.0}


def _data(n=40, length=16, seed=0):
    """Two-channel series whose target is a smooth function of channel 0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2, length))
    y = 0.5 * X[:, 0, :4].mean(axis=1) - 1.5
    return X, y


def _ragged(n=30, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(6, 15, n)
    X = [pd.DataFrame(rng.normal(size=(k, 2)), columns=["m", "t"]) for k in lengths]
    y = np.array([x["m"].iloc[:3].mean() for x in X])
    return X, y


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_paper_protocol_defaults(cls):
    params = cls().get_params()
    assert params["learning_rate"] == 0.01
    assert params["batch_size"] == 256
    # a generic TSER regressor: unweighted, standardised; the RRab datasets declare the papers' protocol
    assert params["weight_cutoff"] is None and params["standardize"] is True
    from tserbench.datasets import RRabSynthetic

    assert RRabSynthetic.model_defaults == {"weight_cutoff": 0.5, "standardize": False}
    assert params["validation_split"] == 0.1
    assert cls.get_class_tag("property:randomness") == "derandomized"
    assert cls.get_class_tag("capability:unequal_length") is (cls in RECURRENT)


def test_same_seed_same_model_different_seed_different_model():
    X, y = _data()
    kw = dict(TINY_GRU, n_epochs=3, batch_size=8)
    p1 = GRURegressor(**kw, random_state=3).fit(X, y).predict(X)
    p2 = GRURegressor(**kw, random_state=3).fit(X, y).predict(X)
    p3 = GRURegressor(**kw, random_state=4).fit(X, y).predict(X)
    np.testing.assert_array_equal(p1, p2)
    assert not np.allclose(p1, p3)


def test_history_and_early_stopping():
    X, y = _data()
    # a learning rate of 1e-12: the validation loss never improves by min_delta, so training stops
    # after exactly `patience` epochs past the first and keeps epoch 1
    reg = GRURegressor(**TINY_GRU, n_epochs=50, patience=3, learning_rate=1e-12, schedule=None, random_state=0)
    reg.fit(X, y)
    assert set(reg.history_) >= {"loss", "val_loss"}
    assert reg.n_epochs_trained_ == 4
    assert len(reg.history_["loss"]) == len(reg.history_["val_loss"]) == 4
    assert reg.best_epoch_ == 1


def test_training_learns_and_keeps_best_epoch():
    X, y = _data(n=80)
    reg = GRURegressor(**TINY_GRU, n_epochs=40, patience=5, batch_size=16, schedule=None, standardize=False,
                       random_state=0)
    reg.fit(X, y)
    val = reg.history_["val_loss"]
    assert 1 <= reg.best_epoch_ <= reg.n_epochs_trained_ <= 40
    assert val[reg.best_epoch_ - 1] == pytest.approx(min(val))
    assert min(val) < val[0]


def test_no_validation_split_monitors_training_loss():
    X, y = _data()
    reg = GRURegressor(**TINY_GRU, n_epochs=2, validation_split=0.0, random_state=0).fit(X, y)
    assert "val_loss" not in reg.history_
    assert reg.n_epochs_trained_ == 2


def test_validation_split_is_seeded_and_disjoint():
    reg = GRURegressor(validation_split=0.1, random_state=7)
    train, val = reg._validation_indices(100)
    train2, val2 = reg._validation_indices(100)
    np.testing.assert_array_equal(val, val2)
    assert len(val) == 10 and len(train) == 90
    assert not set(train) & set(val)
    # tiny data: no split rather than an empty training set
    assert len(reg._validation_indices(3)[1]) == 0


def test_density_weights_come_from_the_training_targets(monkeypatch):
    from tserbench.preprocessing import DensityWeighter

    seen = []
    real = DensityWeighter.fit

    def spy(self, y):
        seen.append((np.array(y), self.cutoff))
        return real(self, y)

    monkeypatch.setattr(DensityWeighter, "fit", spy)
    X, y = _data()
    GRURegressor(**TINY_GRU, n_epochs=1, weight_cutoff=0.4, random_state=0).fit(X, y)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0][0], y)
    assert seen[0][1] == 0.4
    GRURegressor(**TINY_GRU, n_epochs=1, weight_cutoff=None, random_state=0).fit(X, y)
    assert len(seen) == 1  # unweighted: not called


def test_weights_change_the_fit():
    X, y = _data()
    y = np.where(np.arange(len(y)) < 5, y + 2.0, y)  # a skewed target distribution
    kw = dict(TINY_GRU, n_epochs=3, batch_size=8, random_state=0)
    p_w = GRURegressor(**kw, weight_cutoff=0.5).fit(X, y).predict(X)
    p_u = GRURegressor(**kw, weight_cutoff=None).fit(X, y).predict(X)
    assert not np.allclose(p_w, p_u)


@pytest.mark.parametrize("cls", RECURRENT, ids=lambda c: c.__name__)
def test_unequal_length_is_padded_and_masked(cls):
    X, y = _ragged()
    params = {"units": (3,), "dropout": 0.0} if cls is not DG22BiLSTMRegressor else {"units": (3, 2)}
    reg = cls(**params, n_epochs=2, random_state=0).fit(X, y)
    assert reg.masked_
    assert any(type(layer).__name__ == "Masking" for layer in reg.model_.layers)
    together = reg.predict(X)
    alone = np.array([reg.predict([x])[0] for x in X[:4]])
    np.testing.assert_allclose(alone, together[:4], rtol=1e-5, atol=1e-6)


def test_equal_length_input_gets_no_masking_and_refuses_padding():
    X, y = _data()
    reg = GRURegressor(**TINY_GRU, n_epochs=1, random_state=0).fit(X, y)
    assert not reg.masked_
    assert not any(type(layer).__name__ == "Masking" for layer in reg.model_.layers)
    X_pad = X.copy()
    X_pad[0, :, -3:] = -1.0
    with pytest.raises(ValueError, match="without masking"):
        reg.predict(X_pad)


def test_unequal_length_without_mask_value_raises():
    X, y = _ragged()
    with pytest.raises(ValueError, match="mask_value"):
        GRURegressor(**TINY_GRU, n_epochs=1, mask_value=None).fit(X, y)


@pytest.mark.parametrize("cls", [FCNRegressor, ConvGRURegressor], ids=lambda c: c.__name__)
def test_convolutional_regressors_refuse_unequal_length(cls):
    X, y = _ragged()
    with pytest.raises(ValueError, match="unequal"):
        cls(n_epochs=1).fit(X, y)


def test_quiet_unless_verbose(capfd):
    X, y = _data()
    reg = GRURegressor(**TINY_GRU, n_epochs=2, random_state=0).fit(X, y)
    reg.predict(X)
    reg.predict(np.concatenate([X] * 8))  # > 256 series: Keras' predict loop
    out, err = capfd.readouterr()
    assert out == ""
    GRURegressor(**TINY_GRU, n_epochs=1, verbose=True, random_state=0).fit(X, y)
    assert "val_loss" in capfd.readouterr().out  # one line per epoch


#: Stacked (two-block or two-layer) tiny architectures, one per class: with the
#: unweighted, no-validation, no-early-stopping branch they complement the one
#: parameter set of sktime's checks (tests/test_check_estimator.py).
STACKED = {
    FCNRegressor: {"filter_sizes": (2, 2), "kernel_sizes": (2, 3)},
    ResNetRegressor: {"n_filters": (2, 3), "kernel_sizes": (2, 3)},
    InceptionTimeRegressor: {"n_filters": 2, "bottleneck_size": 2, "depth": 2, "kernel_size": 4,
                             "use_residual": False, "use_bottleneck": False},
    ConvLSTMRegressor: {"filter_sizes": (2, 2), "kernel_sizes": (2, 3), "pool_size": 1, "units": (2, 2),
                        "dropout": 0.0},
    ConvGRURegressor: {"filter_sizes": (2, 2), "kernel_sizes": (2, 3), "pool_size": 1, "units": (2, 2),
                       "dropout": 0.0},
    **{cls: {"units": (2, 2), "dropout": 0.0} for cls in RECURRENT},
}


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_stacked_unweighted_full_budget_fit_predicts_and_pickles(cls):
    """No validation split, no early stopping (every epoch runs, the last is kept), no weights."""
    import pickle

    X, y = _data(n=12, length=12)
    # a network without an entry above runs with its own last test parameters
    arch = STACKED.get(cls) or {k: v for k, v in cls.get_test_params()[-1].items()
                                if k in cls._network_params}
    reg = cls(**arch, n_epochs=2, weight_cutoff=None, validation_split=0.0, patience=None,
              schedule=None, run_eagerly=True, random_state=1).fit(X, y)
    assert reg.n_epochs_trained_ == reg.best_epoch_ == 2
    assert "val_loss" not in reg.history_
    pred = reg.predict(X)
    assert pred.shape == (12,) and np.isfinite(pred).all()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X), pred)


def test_large_and_small_prediction_paths_agree():
    X, y = _data()
    reg = GRURegressor(**TINY_GRU, n_epochs=1, random_state=0).fit(X, y)
    big = np.concatenate([X] * 8)
    np.testing.assert_allclose(reg.predict(big)[: len(X)], reg.predict(X), rtol=1e-5, atol=1e-6)


def test_save_and_load_roundtrip(tmp_path):
    from sktime.base import load

    X, y = _ragged()
    reg = GRURegressor(**TINY_GRU, n_epochs=2, random_state=0).fit(X, y)
    expected = reg.predict(X)
    in_memory = load(reg.save())
    np.testing.assert_allclose(in_memory.predict(X), expected, rtol=1e-6)
    reg.save(tmp_path / "gru")
    on_disk = load(tmp_path / "gru.zip")
    np.testing.assert_allclose(on_disk.predict(X), expected, rtol=1e-6)
    assert on_disk.history_ == reg.history_
    assert "model_" not in vars(type(on_disk))  # no class attribute set by loading


def test_clone_is_unfitted_and_keeps_params():
    reg = GRURegressor(**TINY_GRU, n_epochs=1, random_state=0)
    X, y = _data()
    reg.fit(X, y)
    copy = reg.clone()
    assert copy.get_params() == reg.get_params()
    assert not hasattr(copy, "model_")


def test_jit_compile_trains_the_same_network():
    """XLA compiles the training step; the fit follows the default's closely.

    XLA reorders floating-point operations, so the weights are not bitwise
    equal to the default's: after 3 epochs at lr 0.01 the predictions differ
    by about 2 % of their size.
    """
    X, y = _data()
    kw = {"filter_sizes": (4, 4, 4), "kernel_sizes": (3, 3, 3), "n_epochs": 3,
          "patience": None, "schedule": None, "validation_split": 0.0, "random_state": 0}
    plain = FCNRegressor(**kw).fit(X, y)
    xla = FCNRegressor(jit_compile=True, **kw).fit(X, y)
    assert plain.model_.jit_compile is False
    assert xla.model_.jit_compile is True
    np.testing.assert_allclose(xla.predict(X), plain.predict(X), rtol=0.1, atol=0.01)
    # eager mode cannot be XLA-compiled: run_eagerly wins
    eager = FCNRegressor(jit_compile=True, run_eagerly=True, **kw).fit(X, y)
    assert eager.model_.jit_compile is False


def test_xla_inference_predicts_the_same():
    """predict_jit_compile runs only the inference pass under XLA; None follows jit_compile."""
    X, y = _data()
    big = np.concatenate([X] * 8)  # more than 256 series: the traced path
    kw = {**TINY_GRU, "n_epochs": 1, "random_state": 0}
    plain = GRURegressor(**kw).fit(X, y)
    xla = GRURegressor(predict_jit_compile=True, **kw).fit(X, y)
    assert not plain._predict_with_xla() and xla._predict_with_xla()
    assert xla.model_.jit_compile is False  # training stays off XLA
    np.testing.assert_allclose(xla.predict(big), plain.predict(big), rtol=1e-5, atol=1e-6)
    assert GRURegressor(jit_compile=True, **kw)._predict_with_xla()
    assert not GRURegressor(jit_compile=True, predict_jit_compile=False, **kw)._predict_with_xla()
    assert not GRURegressor(predict_jit_compile=True, run_eagerly=True, **kw)._predict_with_xla()


def test_traced_inference_follows_refit_and_pickling():
    """The cached inference function belongs to one fitted model: refit and pickle drop it."""
    import pickle

    X, y = _data()
    X2, y2 = _data(seed=1)
    big, big2 = np.concatenate([X] * 8), np.concatenate([X2] * 8)
    reg = GRURegressor(**TINY_GRU, n_epochs=1, random_state=0).fit(X, y)
    reg.predict(big)
    restored = pickle.loads(pickle.dumps(reg))
    assert "_forward" not in restored.__dict__
    np.testing.assert_allclose(restored.predict(big), reg.predict(big), rtol=1e-6)
    reg.fit(X2, y2)
    fresh = GRURegressor(**TINY_GRU, n_epochs=1, random_state=0).fit(X2, y2)
    np.testing.assert_allclose(reg.predict(big2), fresh.predict(big2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [{"n_epochs": -1}, {"n_epochs": "ten"}, {"batch_size": 0}, {"learning_rate": 0},
                                 {"learning_rate": float("nan")}, {"patience": -2}, {"min_delta": -1e-3},
                                 {"schedule": "fast"}, {"selection": "test"}])
def test_out_of_range_training_parameters_are_refused_by_name(bad):
    from tserbench.exceptions import ConfigError
    from tserbench.regressors import get_regressor

    (name,) = bad
    with pytest.raises(ConfigError, match=f"model 'gru': .*{name if name not in ('schedule', 'selection') else name}"):
        get_regressor("gru", **bad)


def test_defaults_fit_any_finite_targets_and_predict_on_their_scale():
    """Standardised inside fit: y ~ N(0, 1) or y in the thousands, no weights needed, predictions on y's scale."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2, 12))
    for y in (rng.normal(size=60), 5000 + 300 * X[:, 0, :3].mean(axis=1)):
        reg = GRURegressor(**TINY_GRU, n_epochs=3, random_state=0).fit(X, y)
        pred = reg.predict(X)
        assert np.isfinite(pred).all() and abs(pred.mean() - y.mean()) < 3 * y.std()
        assert reg.target_scale_[0] == pytest.approx(y.mean())


def test_standardised_padded_input_keeps_its_mask():
    X, y = _ragged()
    reg = GRURegressor(**TINY_GRU, n_epochs=1, random_state=0).fit(X, y)
    X3 = reg._as_keras_input(X)
    scaled = reg._scale_input(X3)
    pad = np.all(X3 == -1.0, axis=2)
    assert pad.any() and np.all(scaled[pad] == -1.0)
    assert not np.allclose(scaled[~pad], X3[~pad])

"""Mid-fit checkpoints: a killed fit of a deep regressor resumes from its last checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import tserbench.regressors._checkpoint as ckpt  # noqa: E402
from tserbench.regressors._recurrent import GRURegressor  # noqa: E402

KW = dict(units=(3,), dropout=0.0, batch_size=16, n_epochs=7, patience=None, schedule=None, random_state=0)


def _data(n=48, length=10):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2, length))
    return X, 0.5 * X[:, 0, :3].mean(axis=1) - 1.5


class Killed(Exception):
    pass


def test_a_killed_fit_resumes_from_its_last_checkpoint(tmp_path, monkeypatch):
    X, y = _data()
    path = tmp_path / "ckpt" / "r0_f0.npz"
    real = ckpt.save_checkpoint
    saves = []

    def save_then_die(*args, **kwargs):
        real(*args, **kwargs)
        saves.append(kwargs["epoch"])
        if len(saves) == 2:  # killed right after the checkpoint of epoch 4
            raise Killed

    monkeypatch.setattr(ckpt, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        GRURegressor(**KW).checkpoint_to(path, every=2).fit(X, y)
    assert saves == [2, 4] and path.is_file()
    assert ckpt.load_checkpoint(path, fp="not this fit") is None  # another fit's identity: ignored
    monkeypatch.setattr(ckpt, "save_checkpoint", real)

    resumed = GRURegressor(**KW).checkpoint_to(path, every=2).fit(X, y)
    assert resumed.resumed_from_epoch_ == 4 and resumed.checkpoint_ignored_ is None
    assert resumed.n_epochs_trained_ == 7 and len(resumed.history_["loss"]) == 7
    assert not path.exists()  # removed once the fit completed
    fresh = GRURegressor(**KW).fit(X, y)
    # the first four epochs are the killed run's, restored from the file, not retrained
    np.testing.assert_array_equal(resumed.history_["loss"][:4], fresh.history_["loss"][:4])
    assert fresh.resumed_from_epoch_ is None


def test_a_checkpoint_of_another_fit_is_ignored(tmp_path):
    X, y = _data()
    path = tmp_path / "c.npz"
    reg = GRURegressor(**{**KW, "n_epochs": 2}).checkpoint_to(path, every=1)
    reg.fit(X, y)
    assert not path.exists()
    # a stale file from other parameters: the fit starts from scratch
    ckpt.save_checkpoint(path, fp="another fit", epoch=1, model=reg.model_, criteria=[], reduce_lr=None,
                         history={"loss": [1.0]})
    other = GRURegressor(**{**KW, "n_epochs": 2, "learning_rate": 0.02}).checkpoint_to(path, every=5).fit(X, y)
    assert other.resumed_from_epoch_ is None and len(other.history_["loss"]) == 2
    # ... and says so (the runner records it as checkpoint_ignored, the progress line prints it)
    assert other.checkpoint_ignored_ == ("c.npz (epoch 1) is another fit's: its parameters, data or code differ; "
                                         "trained from epoch 0")
    assert ckpt.ignored_reason(tmp_path / "none.npz", fp="x") is None
    with pytest.raises(ValueError, match="positive number of epochs"):
        GRURegressor().checkpoint_to(path, every=0)


def test_the_runner_resumes_a_killed_fold_mid_fit(tmp_path, monkeypatch):
    from tserbench.evaluation import ResultStore, run_benchmark

    params = {"gru": {**{k: v for k, v in KW.items() if k != "random_state"}, "units": [3]}}
    kw = dict(folds="2x1", dataset_params={"n_stars": 40}, params=params, progress=False, checkpoint_every=2,
              out=tmp_path / "r")
    real = ckpt.save_checkpoint
    calls = []

    def die_on_the_fourth(*args, **kwargs):
        real(*args, **kwargs)
        calls.append(kwargs["epoch"])
        if len(calls) == 4:  # the first fold finished (3 saves of 7 epochs), killed in the second
            raise Killed

    monkeypatch.setattr(ckpt, "save_checkpoint", die_on_the_fourth)
    with pytest.raises(Killed):
        run_benchmark("rrab-synthetic", ["gru"], **kw)
    monkeypatch.setattr(ckpt, "save_checkpoint", real)
    store = ResultStore(tmp_path / "r")
    assert store.done_jobs("gru") == [(0, 0)]
    assert (tmp_path / "r" / ".checkpoints" / "gru" / "r0_f1.npz").is_file()
    run_benchmark("rrab-synthetic", ["gru"], **kw)
    jobs = store.read_jobs("gru")
    assert [j["resumed_from_epoch"] for j in jobs] == [None, 2]
    assert [j["epochs"] for j in jobs] == [7, 7]
    assert not list((tmp_path / "r" / ".checkpoints").rglob("*.npz"))

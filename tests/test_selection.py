"""Model selection of the deep regressors: ``inner`` (honest) and ``held-out`` (the papers' protocol).

Tiny GRUs on synthetic data.  What must hold: the test data never changes
the inner pick (one run with the test fold attached keeps exactly the model
an ordinary fit keeps), the held-out pick is the epoch with the lowest loss
on the test data, and ``selection="held-out"`` refuses to run without it.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from tserbench.regressors._recurrent import GRURegressor  # noqa: E402

KW = dict(units=(4,), dropout=0.0, n_epochs=25, batch_size=16, patience=4, min_delta=0.0, schedule=None,
          random_state=3)


def _data(seed=0, n=120, length=12):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2, length))
    y = 0.5 * X[:, 0, :4].mean(axis=1) - 1.5 + rng.normal(0, 0.05, n)
    return X[:90], y[:90], X[90:], y[90:]


def test_held_out_selection_needs_the_test_data():
    X, y, _, _ = _data()
    with pytest.raises(ValueError, match="fit_with_held_out"):
        GRURegressor(**KW, selection="held-out").fit(X, y)
    with pytest.raises(ValueError, match="selection must be one of"):
        GRURegressor(selection="test")


def test_scoring_the_test_fold_leaves_the_inner_pick_unchanged():
    X, y, Xt, yt = _data()
    plain = GRURegressor(**KW).fit(X, y)
    dual = GRURegressor(**KW).fit_with_held_out(X, y, Xt, yt)
    np.testing.assert_array_equal(dual.predict(Xt), plain.predict(Xt))
    assert dual.best_epoch_ == plain.best_epoch_
    assert set(dual.selection_) == {"inner", "held-out"}
    assert len(dual.history_["held_out_loss"]) == dual.n_epochs_trained_ >= plain.n_epochs_trained_
    # the common epochs of the two runs are the same trajectory
    n = plain.n_epochs_trained_
    np.testing.assert_array_equal(dual.history_["val_loss"][:n], plain.history_["val_loss"])


def test_held_out_pick_is_the_epoch_with_the_lowest_test_loss():
    X, y, Xt, yt = _data(seed=1)
    dual = GRURegressor(**KW).fit_with_held_out(X, y, Xt, yt)
    info = dual.selection_["held-out"]
    seen = dual.history_["held_out_loss"][: info["epochs_monitored"]]
    assert info["best_epoch"] == int(np.argmin(seen)) + 1
    assert info["best_loss"] == pytest.approx(min(seen))
    held = dual.selected_by("held-out")
    assert held.selection == "held-out" and held.best_epoch_ == info["best_epoch"]
    assert dual.selected_by("inner") is dual
    # the same trajectory selected on the test fold directly
    direct = GRURegressor(**KW, selection="held-out").fit_with_held_out(X, y, Xt, yt)
    np.testing.assert_array_equal(direct.predict(Xt), held.predict(Xt))


def test_held_out_loss_is_what_keras_reports():
    """The per-epoch test-fold loss: weighted MSE over the series plus the regularisation, as Keras' val_loss."""
    X, y, Xt, yt = _data(seed=2)
    reg = GRURegressor(**{**KW, "patience": None, "n_epochs": 3}).fit_with_held_out(X, y, Xt, yt)
    from tserbench.preprocessing import DensityWeighter

    w = DensityWeighter(cutoff=reg.weight_cutoff).fit(y).transform(yt)
    X3 = reg._scale_input(np.transpose(Xt, (0, 2, 1)).astype("float32"))  # the network sees scaled data
    keras_loss = reg.model_.evaluate(X3, reg._scale_target(yt).astype("float32"), sample_weight=w, verbose=0,
                                     return_dict=True)["loss"]
    assert reg.history_["held_out_loss"][-1] == pytest.approx(keras_loss, rel=1e-5)


def test_selected_by_needs_a_run_with_the_test_data():
    X, y, _, _ = _data()
    reg = GRURegressor(**KW).fit(X, y)
    with pytest.raises(ValueError, match="fit_with_held_out"):
        reg.selected_by("held-out")


def test_runner_records_both_picks_of_one_run_and_the_inner_row_is_unchanged(tmp_path):
    from tserbench.evaluation import ResultStore, run_benchmark

    params = {"gru": {"units": [3], "dropout": 0.0, "n_epochs": 6, "patience": 2, "batch_size": 16, "schedule": None}}
    kw = dict(folds="2x1", dataset_params={"n_stars": 40}, params=params, progress=False)
    both = run_benchmark("rrab-synthetic", ["gru", "fourier-linear"], out=tmp_path / "both", also_held_out=True, **kw)
    plain = run_benchmark("rrab-synthetic", ["gru", "fourier-linear"], out=tmp_path / "plain", **kw)
    store = ResultStore(both)
    assert store.read_run()["held_out_twins"] == {"gru.held-out": "gru"}
    assert store.models() == ["fourier-linear", "gru", "gru.held-out"]  # no twin for a classical model
    assert store.read_params("gru.held-out") == {**store.read_params("gru"), "selection": "held-out"}
    twin_jobs, inner_jobs = store.read_jobs("gru.held-out"), store.read_jobs("gru")
    assert [j["selection"] for j in twin_jobs] == ["held-out", "held-out"]
    assert all(j["trajectory_of"] == "gru" for j in twin_jobs)
    assert [j["selection"] for j in inner_jobs] == ["inner", "inner"]
    pd = pytest.importorskip("pandas")
    pd.testing.assert_frame_equal(store.read_oof("gru"), ResultStore(plain).read_oof("gru"))
    # resuming with the option set recomputes nothing
    before = [j["started"] for j in store.read_jobs("gru")]
    run_benchmark("rrab-synthetic", ["gru", "fourier-linear"], out=both, also_held_out=True, **kw)
    assert [j["started"] for j in store.read_jobs("gru")] == before


def test_runner_refuses_held_out_selection_for_a_model_that_cannot_score_the_test_fold():
    from sklearn.base import BaseEstimator, RegressorMixin

    from tserbench.evaluation.runner import load_benchmark_data, run_job
    from tserbench.exceptions import ConfigError

    class Claims(RegressorMixin, BaseEstimator):  # says held-out, has no way to see the test fold
        def __init__(self, selection="held-out"):
            self.selection = selection

    data = load_benchmark_data("rrab-synthetic", dataset_params={"n_stars": 40})
    with pytest.raises(ConfigError, match="selection='held-out'"):
        run_job(Claims(), data, np.arange(20), np.arange(20, 40), model="claims", repeat=0, fold=0)


def test_leaderboard_labels_ranks_and_measures_the_held_out_pick(tmp_path):
    from tserbench.evaluation import run_benchmark
    from tserbench.leaderboard import build_leaderboard

    params = {"gru": {"units": [3], "dropout": 0.0, "n_epochs": 6, "patience": 2, "batch_size": 16, "schedule": None}}
    out = run_benchmark("rrab-synthetic", ["gru", "fourier-linear"], folds="predefined",
                        dataset_params={"n_stars": 40}, params=params, progress=False, also_held_out=True,
                        out=tmp_path / "r")
    import json

    doc = json.loads(build_leaderboard(out, tmp_path / "lb").read_text())
    by = {r["model"]: r for r in doc["rows"]}
    assert by["gru"]["selection"] == "inner" and by["gru"]["rank"] in (1, 2)
    assert by["gru.held-out"]["selection"] == "held-out" and by["gru.held-out"]["rank"] is None
    assert by["gru.held-out"]["trajectory_of"] == "gru"
    assert [r["model"] for r in doc["rows"]][-1] == "gru.held-out"  # after the ranked rows
    (pair,) = doc["selection_optimism"]["pairs"]
    assert pair["held_out"] == "gru.held-out" and pair["inner"] == "gru"
    assert pair["comparison"]["comparable"] and pair["comparison"]["n_folds"] == 5
    md = (tmp_path / "lb" / "leaderboard.md").read_text()
    assert "## Selection on the test fold" in md and "held-out (test fold)" in md
    assert "(same runs as gru)" in md

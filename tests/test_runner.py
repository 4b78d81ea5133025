"""Tests of the CV runner and the result store (tserbench.evaluation.runner / .store)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from tserbench.evaluation import PredictionError, ResultStore, job_seed, run_benchmark, summarise
from tserbench.evaluation import runner as runner_mod
from tserbench.exceptions import ConfigError

BIG_ID = 6_000_000_000_000_000_001  # > 2**53: a float would corrupt it


class NoisyLinearRegressor(RegressorMixin, BaseEstimator):
    """Cheap panel regressor whose fit depends on ``random_state`` (to test seeding).

    Least squares on the per-channel means plus a random perturbation of the
    coefficients; ``fail_fold_size`` makes it predict NaN when fitted on that
    many instances (a model that "diverges" on one fold).
    """

    def __init__(self, noise=0.05, random_state=None, fail_fold_size=None):
        self.noise = noise
        self.random_state = random_state
        self.fail_fold_size = fail_fold_size

    @staticmethod
    def _features(X):
        X = np.asarray(X, dtype=float)
        return np.column_stack([X.mean(axis=2), X.std(axis=2), np.ones(len(X))])

    def fit(self, X, y):
        F = self._features(X)
        coef, *_ = np.linalg.lstsq(F, y, rcond=None)
        rng = np.random.default_rng(self.random_state)
        self.coef_ = coef + rng.normal(0, self.noise, coef.shape)
        self.nan_ = self.fail_fold_size is not None and len(y) == self.fail_fold_size
        self.history_ = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.6, 0.3]}
        return self

    def predict(self, X):
        pred = self._features(X) @ self.coef_
        return np.full(len(pred), np.nan) if self.nan_ else pred


class PanelDataset:
    """Minimal stand-in for an sktime dataset object of the registry."""

    def __init__(self, n=60, seed=0, folds=True, y_err=False):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(n, 2, 12))
        self.y = self.X[:, 0].mean(axis=1) * 2.0 - self.X[:, 1].std(axis=1) + rng.normal(0, 0.1, n)
        self.metadata = pd.DataFrame({"source_id": np.arange(n, dtype=np.int64) + BIG_ID})
        if y_err:
            self.metadata["y_err"] = rng.uniform(0.05, 0.3, n)
        self.folds = np.arange(n) % 3 if folds else None
        self.name = "panel-fake"

    def load(self, *keys):
        return tuple({"X": self.X, "y": self.y}[k] for k in keys)


def _metrics(out, model):
    return {(j["repeat"], j["fold"]): j["metrics"] for j in ResultStore(out).read_jobs(model)}


def test_run_writes_the_store(tmp_path):
    ds = PanelDataset()
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], folds="4x2", random_state=3, out=tmp_path / "o",
                        progress=False, command="tserbench run --test")
    store = ResultStore(out)
    run = store.read_run()
    assert (run["dataset"], run["variant"], run["protocol"], run["seed"]) == ("panel-fake", "full", "4x2", 3)
    assert run["command"] == "tserbench run --test"
    assert run["models"] == ["lin"] and run["wall_seconds"] > 0 and "finished" in run
    assert store.read_params("lin") == {"noise": 0.05, "fail_fold_size": None}
    jobs = store.read_jobs("lin")
    assert [(j["repeat"], j["fold"]) for j in jobs] == [(r, f) for r in range(2) for f in range(4)]
    for j in jobs:
        assert set(j["metrics"]) == {"train", "val"}
        assert {"r2", "rmse", "mae", "medae"} <= set(j["metrics"]["val"])
        assert j["epochs"] == 3 and j["history"]["val_loss"] == [1.1, 0.6, 0.3]
        assert j["fit_seconds"] >= 0 and j["random_state"] == job_seed(3, "lin", j["repeat"], j["fold"])
        assert j["n_train"] + j["n_val"] == 60
    oof = store.read_oof("lin")
    assert oof["source_id"].dtype == np.int64
    for r in range(2):  # every star validated exactly once per repeat
        ids = oof.loc[oof["repeat"] == r, "source_id"]
        assert sorted(ids) == sorted(ds.metadata["source_id"])
    truth = dict(zip(ds.metadata["source_id"], ds.y))
    assert np.allclose(oof["y_true"], oof["source_id"].map(truth))
    # the OOF file text holds the exact integer id
    assert str(BIG_ID) in (out / "lin" / "r0_f0.oof.csv").read_text() or str(BIG_ID) in "".join(
        p.read_text() for p in (out / "lin").glob("r0_f*.oof.csv"))
    # job metrics agree with the stored OOF predictions
    j0 = jobs[0]
    part = oof[(oof.repeat == 0) & (oof.fold == 0)]
    assert j0["metrics"]["val"]["rmse"] == pytest.approx(np.sqrt(np.mean((part.y_true - part.y_pred) ** 2)))
    summary = summarise(jobs)
    assert summary["val"]["rmse"]["n"] == 8


def test_predefined_folds_and_inverse_variance_weights(tmp_path):
    ds = PanelDataset(y_err=True)
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], out=tmp_path / "o", progress=False)
    store = ResultStore(out)
    assert store.read_run()["protocol"] == "predefined"
    jobs = store.read_jobs("lin")
    assert [j["fold"] for j in jobs] == [0, 1, 2]
    oof = store.read_oof("lin")
    assert np.array_equal(oof.loc[oof.fold == 1, "source_id"], ds.metadata["source_id"][ds.folds == 1])
    err = dict(zip(ds.metadata["source_id"], ds.metadata["y_err"]))
    part = oof[oof.fold == 1]
    w = 1 / part["source_id"].map(err) ** 2
    expected = np.sqrt(np.sum(w * (part.y_true - part.y_pred) ** 2) / np.sum(w))
    assert jobs[1]["weights"] == "inverse target variance"
    assert jobs[1]["metrics"]["val"]["wrmse"] == pytest.approx(expected)


def test_density_weights_when_the_dataset_declares_them(tmp_path):
    from tserbench.preprocessing import DensityWeighter

    ds = PanelDataset()
    ds.model_defaults = {"weight_cutoff": 0.5}  # as the RRab sets declare DG22's weights
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], out=tmp_path / "o", progress=False)
    job = ResultStore(out).read_jobs("lin")[2]
    assert job["weights"] == "DG22 density weights fitted on the training part (cutoff=0.5)"
    assert {"wrmse", "wmae"} <= set(job["metrics"]["val"]) and {"wrmse", "wmae"} <= set(job["metrics"]["train"])
    # the weights come from the training targets of the fold only
    oof = ResultStore(out).read_oof("lin")
    part = oof[oof.fold == 2]
    w = DensityWeighter(cutoff=0.5).fit(ds.y[ds.folds != 2]).transform(part["y_true"].to_numpy())
    expected = np.sum(w * np.abs(part.y_true - part.y_pred)) / np.sum(w)
    assert job["metrics"]["val"]["wmae"] == pytest.approx(expected)


def test_no_weighted_metrics_without_declared_weights(tmp_path):
    ds = PanelDataset()  # like tecator: no target errors, no declared weights (DG22's cutoff is meaningless there)
    ds.y = ds.y * 100.0
    ds.variant = None
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], out=tmp_path / "o", progress=False)
    assert ResultStore(out).read_run()["variant"] is None
    job = ResultStore(out).read_jobs("lin")[0]
    assert job["weights"] is None
    assert "wrmse" not in job["metrics"]["val"] and "rmse" in job["metrics"]["val"]


def test_resume_reruns_only_unfinished_jobs(tmp_path, monkeypatch, capsys):
    ds = PanelDataset()
    models = [("a", NoisyLinearRegressor()), ("b", NoisyLinearRegressor(noise=0.2))]
    out = run_benchmark(ds, models, folds="3x2", out=tmp_path / "o", progress=False)
    before = _metrics(out, "a")
    # simulate a run killed mid-way: two done-markers gone, an orphan OOF and a dangling tmp file left
    (out / "a" / "r1_f2.json").unlink()
    (out / "b" / "r0_f0.json").unlink()
    (out / "a" / ".r1_f2.json.abc123.tmp").write_text('{"half": ')
    (out / "b" / ".r0_f1.oof.csv.x.tmp").write_text("source_id,rep")
    store = ResultStore(out)
    assert not store.is_done("a", 1, 2) and store.is_done("a", 1, 1)
    assert len(store.read_jobs("a")) == 5  # tmp file ignored, not parsed
    assert len(store.read_oof("b")) == 5 * 20  # orphan OOF of an unfinished job ignored

    calls = []
    real = runner_mod.run_job

    def spy(*args, **kwargs):
        calls.append((kwargs["model"], kwargs["repeat"], kwargs["fold"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(runner_mod, "run_job", spy)
    run_benchmark(ds, models, folds="3x2", out=out, progress=True)
    assert sorted(calls) == [("a", 1, 2), ("b", 0, 0)]
    assert "resuming: 10 finished job(s) kept, 2 to run" in capsys.readouterr().out
    assert _metrics(out, "a") == before  # same seeds: the recomputed job is identical
    run = ResultStore(out).read_run()
    assert len(run["resumed_by"]) == 1
    calls.clear()
    run_benchmark(ds, models, folds="3x2", out=out, progress=False)
    assert calls == []


def test_a_different_run_in_the_same_folder_is_refused(tmp_path):
    ds = PanelDataset()
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], folds="3x1", out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="protocol: '3x1' there, '5x1' requested"):
        run_benchmark(ds, [("lin", NoisyLinearRegressor())], folds="5x1", out=out, progress=False)
    with pytest.raises(ConfigError, match="seed"):
        run_benchmark(ds, [("lin", NoisyLinearRegressor())], folds="3x1", random_state=1, out=out, progress=False)
    with pytest.raises(ConfigError, match="other parameters"):
        run_benchmark(ds, [("lin", NoisyLinearRegressor(noise=0.3))], folds="3x1", out=out, progress=False)


def _jobs(out, model="lin"):
    return {(j["repeat"], j["fold"]): j["n_val"] for j in ResultStore(out).read_jobs(model)}


def test_cv_takes_a_splitter_object_records_it_and_refuses_another_on_resume(tmp_path):
    from sklearn.model_selection import KFold, RepeatedKFold

    from tserbench.evaluation.splitters import RepeatedStratifiedRegressionKFold
    from tserbench.leaderboard import collect

    ds, lin = PanelDataset(), [("lin", NoisyLinearRegressor())]
    # our own splitter as an object makes the jobs of the matching folds string
    by_name = run_benchmark(ds, lin, folds="3x2", random_state=4, out=tmp_path / "name", progress=False)
    by_object = run_benchmark(ds, lin, cv=RepeatedStratifiedRegressionKFold(3, 2, random_state=4), random_state=4,
                              out=tmp_path / "object", progress=False)
    assert _metrics(by_object, "lin") == _metrics(by_name, "lin")

    kfold = KFold(5, shuffle=True, random_state=0)
    out = run_benchmark(ds, lin, cv=kfold, out=tmp_path / "kfold", progress=False)
    assert ResultStore(out).read_run()["protocol"] == "KFold(n_splits=5, random_state=0, shuffle=True)"
    assert _jobs(out) == {(0, f): 12 for f in range(5)}
    assert [r["model"] for r in collect(out).rows if r["kind"] == "harness"] == ["lin"]
    run_benchmark(ds, lin, cv=KFold(5, shuffle=True, random_state=0), out=out, progress=False)  # same: resumes
    with pytest.raises(ConfigError, match="protocol: 'KFold.*random_state=0.*there, 'KFold.*random_state=1"):
        run_benchmark(ds, lin, cv=KFold(5, shuffle=True, random_state=1), out=out, progress=False)
    with pytest.raises(ConfigError, match="protocol"):
        run_benchmark(ds, lin, folds="5x1", out=out, progress=False)

    repeated = run_benchmark(ds, lin, cv=RepeatedKFold(n_splits=3, n_repeats=2, random_state=0),
                             out=tmp_path / "repeated", progress=False)
    assert _jobs(repeated) == {(r, f): 20 for r in range(2) for f in range(3)}


def test_the_result_is_the_folder_with_its_table_and_leaderboard(tmp_path):
    import os
    from pathlib import Path

    from tserbench.evaluation import BenchmarkResult

    ds = PanelDataset()
    result = run_benchmark(ds, [("lin", NoisyLinearRegressor())], folds="3x1", out=tmp_path / "o", progress=False)
    # still the path it was: every use of the returned Path keeps working
    assert isinstance(result, BenchmarkResult) and isinstance(result, Path)
    assert result == tmp_path / "o" and os.fspath(result) == str(tmp_path / "o")
    assert (result / "run.json").is_file() and ResultStore(result).read_run()["models"] == ["lin"]
    assert result.store.read_run() == ResultStore(result).read_run()

    table = result.to_frame()
    lin = table[table["model"] == "lin"]
    assert len(lin) == 1 and lin["n_folds"].item() == 3 and lin["protocol"].item() == "3x1"
    assert np.isfinite(lin["val_rmse"].item()) and np.isfinite(lin["val_rmse_std"].item())

    lb = result.leaderboard()  # in memory: nothing written
    assert [r["model"] for r in lb.rows] == list(table["model"]) and not (result / "leaderboard").exists()
    lb = result.leaderboard(tmp_path / "board", name="demo")
    written = json.loads((tmp_path / "board" / "leaderboard.json").read_text())
    assert written["name"] == "demo" and [r["model"] for r in written["rows"]] == [r["model"] for r in lb.rows]
    assert (tmp_path / "board" / "leaderboard.csv").is_file()
    assert "tserbench leaderboard" in written["generated_by"]


def test_cv_refuses_folds_too_a_non_splitter_and_an_unseeded_shuffle(tmp_path):
    from sklearn.model_selection import GroupKFold, KFold, ShuffleSplit

    ds, lin = PanelDataset(), [("lin", NoisyLinearRegressor())]
    with pytest.raises(ConfigError, match="not both"):
        run_benchmark(ds, lin, folds="3x1", cv=KFold(3), out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="not both"):
        run_benchmark(ds, lin, folds="predefined", cv=KFold(3), out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="splitter object"):
        run_benchmark(ds, lin, cv="3x1", out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="integer random_state"):
        run_benchmark(ds, lin, cv=KFold(3, shuffle=True), out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="integer random_state"):
        run_benchmark(ds, lin, cv=ShuffleSplit(3), out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="cannot split"):
        run_benchmark(ds, lin, cv=GroupKFold(3), out=tmp_path / "o", progress=False)
    # KFold without shuffling is deterministic: no random_state needed
    out = run_benchmark(ds, lin, cv=KFold(3), out=tmp_path / "plain", progress=False)
    assert _jobs(out) == {(0, f): 20 for f in range(3)}


def test_a_parameter_added_by_a_newer_version_at_its_default_resumes(tmp_path):
    """A store written before a parameter existed resumes if it is requested at its default."""
    import json

    ds = PanelDataset()
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], folds="3x1", out=tmp_path / "o", progress=False)
    params_path = out / "lin" / "params.json"
    old = json.loads(params_path.read_text())
    default_noise = old.pop("noise")  # as if written by a version without `noise`
    params_path.write_text(json.dumps(old))
    run_benchmark(ds, [("lin", NoisyLinearRegressor())], folds="3x1", out=out, progress=False)
    assert json.loads(params_path.read_text())["noise"] == default_noise
    params_path.write_text(json.dumps(old))
    with pytest.raises(ConfigError, match=r"other parameters \(noise\)"):
        run_benchmark(ds, [("lin", NoisyLinearRegressor(noise=default_noise + 0.3))], folds="3x1", out=out,
                      progress=False)


def test_nan_predictions_name_the_model_and_fold(tmp_path):
    ds = PanelDataset(n=60)  # predefined folds of 20: training parts of 40
    bad = NoisyLinearRegressor(fail_fold_size=40)
    with pytest.raises(PredictionError, match=r"model 'bad', repeat 0, fold 0, training part: 40 of 40 predictions"):
        run_benchmark(ds, [("ok", NoisyLinearRegressor()), ("bad", bad)], out=tmp_path / "o", progress=False)
    store = ResultStore(tmp_path / "o")
    assert store.done_jobs("ok") == [(0, 0)]  # finished work is kept (jobs run fold by fold)
    assert store.read_jobs("bad") == []


def test_parallel_equals_serial(tmp_path):
    ds = PanelDataset(n=90)
    models = [("lin", NoisyLinearRegressor(noise=0.3))]
    serial = run_benchmark(ds, models, folds="3x2", random_state=5, out=tmp_path / "s", progress=False)
    parallel = run_benchmark(ds, models, folds="3x2", random_state=5, out=tmp_path / "p", n_jobs=2, progress=False)
    assert _metrics(serial, "lin") == _metrics(parallel, "lin")
    pids = {j["pid"] for j in ResultStore(parallel).read_jobs("lin")}
    assert len(pids) >= 1 and all(p != __import__("os").getpid() for p in pids)
    # a different seed gives different models (the seed reaches them)
    other = run_benchmark(ds, models, folds="3x2", random_state=6, out=tmp_path / "o", progress=False)
    assert _metrics(other, "lin") != _metrics(serial, "lin")


def test_job_seed_is_stable():
    assert job_seed(0, "gru", 0, 1) == job_seed(0, "gru", 0, 1)
    seeds = {job_seed(0, m, r, f) for m in ("gru", "fcn") for r in range(2) for f in range(5)}
    assert len(seeds) == 20
    assert 0 <= job_seed(-1, "x", 0, 0) < 2**31


def test_bad_arguments(tmp_path):
    ds = PanelDataset(folds=False)
    lin = [("lin", NoisyLinearRegressor())]
    with pytest.raises(ConfigError, match="no predefined folds"):
        run_benchmark(ds, lin, out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="KxR"):
        run_benchmark(ds, lin, folds="five", out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="listed twice"):
        run_benchmark(ds, lin + lin, folds="3x1", out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="cannot name a result folder"):
        run_benchmark(ds, [("../x", NoisyLinearRegressor())], folds="3x1", out=tmp_path / "o", progress=False)
    with pytest.raises(ConfigError, match="not in the run"):
        run_benchmark(ds, lin, folds="3x1", params={"gru": {"n_epochs": 1}}, out=tmp_path / "o", progress=False)
    # folds=None: the dataset's folds if any, else 5x1
    out = run_benchmark(ds, lin, folds=None, out=tmp_path / "auto", progress=False)
    assert ResultStore(out).read_run()["protocol"] == "5x1"


def test_params_reach_the_estimator(tmp_path):
    out = run_benchmark(PanelDataset(), [("lin", NoisyLinearRegressor())], params={"lin": {"noise": 0.9}},
                        out=tmp_path / "o", progress=False)
    assert json.loads((out / "lin" / "params.json").read_text())["noise"] == 0.9


def test_store_write_job_is_atomic_and_ordered(tmp_path):
    store = ResultStore(tmp_path)
    oof = pd.DataFrame({"source_id": [BIG_ID], "repeat": [0], "fold": [2], "y_true": [1.0], "y_pred": [1.5]})
    path = store.write_job("m", 0, 2, {"metrics": {"val": {"rmse": 0.5}}}, oof)
    assert path.name == "r0_f2.json" and store.is_done("m", 0, 2)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["r0_f2.json", "r0_f2.oof.csv"]
    back = store.read_oof("m")
    assert back["source_id"].tolist() == [BIG_ID] and back["source_id"].dtype == np.int64
    with pytest.raises(ValueError, match="lacks columns"):
        store.write_job("m", 0, 3, {}, oof.drop(columns="y_pred"))
    assert not store.is_done("m", 0, 3)


# ---------------------------------------------------------------------------
# the command line (tserbench run)
# ---------------------------------------------------------------------------
def test_params_spec(tmp_path):
    from tserbench.evaluation._cli import load_params_spec
    from tserbench.tuning import load_params

    assert load_params_spec(None, ["gru"]) == {}
    assert load_params_spec('{"gru": {"n_epochs": 2}, "fcn": {}}', ["gru"]) == {"gru": {"n_epochs": 2}}
    spec = tmp_path / "best.json"
    spec.write_text('{"gru": {"units": [8, 4, 2]}}')
    # one reader for every JSON source (as tuning.load_params reads it): lists come back as tuples
    assert load_params_spec(str(spec), ["gru", "lstm"]) == {"gru": {"units": (8, 4, 2)}}
    assert load_params_spec(str(spec), ["gru"]) == load_params(spec)
    assert load_params_spec('{"gru": {"units": [8, 4]}}', ["gru"]) == {"gru": {"units": (8, 4)}}
    (tmp_path / "run" / "gru").mkdir(parents=True)
    (tmp_path / "run" / "gru" / "params.json").write_text('{"n_epochs": 7, "units": [3]}')
    assert load_params_spec(str(tmp_path / "run"), ["gru"]) == {"gru": {"n_epochs": 7, "units": (3,)}}
    with pytest.raises(ConfigError, match="no such file"):
        load_params_spec(str(tmp_path / "nope.json"), ["gru"])
    spec.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="expected"):
        load_params_spec(str(spec), ["gru"])
    with pytest.raises(ConfigError, match="expected"):
        load_params(spec)
    spec.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not a text file"):
        load_params(spec)
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_params_spec('{"gru": ', ["gru"])
    (tmp_path / "run" / "gru" / "params.json").write_text("[7]")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        load_params_spec(str(tmp_path / "run"), ["gru"])
    (tmp_path / "run" / "gru" / "params.json").write_text('{"n_epochs": 7}')
    with pytest.raises(ConfigError, match="no <model>/params.json"):
        load_params_spec(str(tmp_path / "run"), ["fcn"])
    # a key that names no model is a typo, not another run's model: refused, with the likely name
    with pytest.raises(ConfigError, match="'GRU', which is no model; did you mean 'gru'"):
        load_params_spec('{"GRU": {"n_epochs": 2}}', ["gru"])
    with pytest.raises(ConfigError, match="'gur', which is no model; did you mean 'gru'"):
        load_params_spec('{"gur": {"n_epochs": 2}}', ["lstm"])


def test_params_spec_from_a_tuning_study(monkeypatch):
    import tserbench.tuning
    from tserbench.evaluation._cli import load_params_spec

    asked = []

    def fake_load_params(spec):
        asked.append(spec)
        return {"gru": {"units": (8, 4, 2)}, "fcn": {"n_epochs": 3}}

    monkeypatch.setattr(tserbench.tuning, "load_params", fake_load_params, raising=False)
    spec = "sqlite:///tserbench-optuna.db:rrab-synthetic-gru-h0"
    assert load_params_spec(spec, ["gru"]) == {"gru": {"units": (8, 4, 2)}}
    assert asked == [spec]


@pytest.fixture
def main(monkeypatch):
    """``tserbench.cli.main`` with only the ``run`` sub-command (independent of the other CLIs)."""
    from tserbench import cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", ("tserbench.evaluation._cli",))
    return cli.main


def test_cli_errors_are_one_line(main, capsys):
    assert main(["run", "--folds", "5y2", "--out", "/nonexistent/never-written"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tserbench: error: folds must be 'predefined', 'KxR' (e.g. '5x2'), 'fixed' or 'resamples:N'") and "Traceback" not in err
    assert main(["run", "--scheduler", "localhost:8786"]) == 2
    assert "tcp://HOST:PORT" in capsys.readouterr().err


def test_cli_run_records_command_and_resumes(main, tmp_path, capsys):
    out = tmp_path / "res"
    argv = ["run", "--dataset", "rrab-synthetic", "--dataset-param", "n_stars=60", "--models", "fourier-linear",
            "--folds", "3x1", "--out", str(out), "--n-jobs", "1", "--no-leaderboard"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "fourier-linear r0 f2" in text and "RMSE" in text
    run = ResultStore(out).read_run()
    assert run["command"] == (
        f"tserbench run --dataset rrab-synthetic --dataset-param n_stars=60 --models fourier-linear "
        f"--variant full --folds 3x1 --seed 0 --out {out} --n-jobs 1 --no-leaderboard"
    )
    assert run["dataset_params"] == {"n_stars": 60} and run["variant"] == "full"
    oof = ResultStore(out).read_oof("fourier-linear")
    assert len(oof) == 60 and oof["source_id"].dtype == np.int64
    assert main(argv) == 0  # resume: nothing left to do
    assert "resuming: 3 finished job(s) kept, 0 to run" in capsys.readouterr().out
    assert main(argv[:-1] + ["--variant", "spline"]) == 2  # another run in the same folder
    assert "belongs to another run" in capsys.readouterr().err


def test_save_models(tmp_path):
    from tserbench.regressors._saved import load_model_dir

    ds = PanelDataset()
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], out=tmp_path / "o", progress=False, save_models=True)
    fold_models, manifest = load_model_dir(out / "lin" / "models" / "r0_f1", trust_pickle=True)
    assert len(fold_models) == 1 and manifest["preprocessing"]["variant"] == "full"
    test = ds.folds == 1
    oof = ResultStore(out).read_oof("lin")
    assert np.allclose(fold_models[0].predict(ds.X[test]), oof.loc[oof.fold == 1, "y_pred"])
    ensemble, _ = load_model_dir(out / "lin" / "models", trust_pickle=True)
    assert len(ensemble) == 3
    assert len(ResultStore(out).read_jobs("lin")) == 3  # the models/ folder is not mistaken for jobs


def test_save_models_on_a_finished_run_says_it_saves_nothing(tmp_path):
    ds = PanelDataset()
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], out=tmp_path / "o", progress=False)
    with pytest.warns(UserWarning, match=r"lin: 3 of 3 job\(s\) \(r0_f0, r0_f1, r0_f2\) were fitted by an earlier run"):
        run_benchmark(ds, [("lin", NoisyLinearRegressor())], out=out, progress=False, save_models=True)
    assert not (out / "lin" / "models").exists()


def test_cli_no_arguments_is_the_quick_default_run(main, tmp_path, monkeypatch):
    from tserbench.evaluation import _cli, runner

    seen = {}

    def fake_run_benchmark(dataset, models, **kwargs):
        seen.update(kwargs, dataset=dataset, models=models)
        return tmp_path / "fake"

    monkeypatch.setattr(runner, "run_benchmark", fake_run_benchmark)
    import tserbench.leaderboard as lb_mod

    class FakeBoard:
        doc = {}

    def fake_collect(out):
        seen["collected"] = out
        return FakeBoard()

    monkeypatch.setattr(lb_mod, "collect", fake_collect)
    monkeypatch.setattr(lb_mod, "write_leaderboard", lambda lb, dest: seen.setdefault("leaderboard", dest))
    monkeypatch.setattr(_cli, "_print_summary", lambda out, models, doc: seen.setdefault("summary", out))
    assert main([]) == 0
    assert seen["dataset"] == "rrab-synthetic"
    assert seen["models"] == ["fourier-linear", "fourier-gb", "gru"]
    assert seen["params"] == {"gru": {"n_epochs": 100}}
    assert seen["folds"] is None and seen["n_jobs"] == -1 and seen["variant"] == "full"
    assert """--params-from '{"gru": {"n_epochs": 100}}'""" in seen["command"]
    assert seen["collected"] == seen["summary"] == tmp_path / "fake"
    assert seen["leaderboard"] == tmp_path / "fake" / "leaderboard"
    seen.clear()
    assert main(["run", "--models", "gru", "--quiet", "--no-leaderboard"]) == 0
    assert seen["params"] == {} and "leaderboard" not in seen and "summary" not in seen  # explicit models: registry defaults


@pytest.mark.realdata
def test_dg22_predefined_folds_end_to_end(tmp_path, dg22_home):
    oof_file = dg22_home / "dekany2022_gaia_g" / "dekany2022_bilstm_oof_val.dat"
    ref = pd.read_csv(oof_file, sep=r"\s+", header=None, names=["source_id", "fold", "y_true", "y_pred"],
                      dtype={"source_id": "int64", "fold": "int64"})
    out = run_benchmark("rrab-gaia-dg22", ["fourier-linear"], out=tmp_path / "dg22", progress=False)
    store = ResultStore(out)
    assert store.read_run()["protocol"] == "predefined"
    assert [j["fold"] for j in store.read_jobs("fourier-linear")] == list(range(10))
    oof = store.read_oof("fourier-linear").merge(ref, on="source_id", suffixes=("", "_dg22"), validate="1:1")
    assert len(oof) == len(ref) == 4458  # every DG22 star once, ids intact (int64, never float)
    assert (oof["fold"] == oof["fold_dg22"]).all()  # DG22's own folds
    assert np.allclose(oof["y_true"], oof["y_true_dg22"])


@pytest.mark.slow
def test_deep_model_serial_equals_parallel(tmp_path):
    """A real Keras regressor gives identical metrics in-process and in loky workers."""
    pytest.importorskip("tensorflow")
    kw = dict(folds="2x1", random_state=2, dataset_params={"n_stars": 40}, progress=False,
              params={"gru": {"n_epochs": 2, "units": [4, 4, 2], "patience": None, "schedule": None}})
    serial = run_benchmark("rrab-synthetic", ["gru"], out=tmp_path / "s", n_jobs=1, **kw)
    parallel = run_benchmark("rrab-synthetic", ["gru"], out=tmp_path / "p", n_jobs=2, **kw)
    assert _metrics(serial, "gru") == _metrics(parallel, "gru")
    jobs = ResultStore(serial).read_jobs("gru")
    assert [j["epochs"] for j in jobs] == [2, 2]
    assert len(jobs[0]["history"]["loss"]) == 2


def test_the_result_folder_is_checked_before_any_work(tmp_path):
    kw = dict(dataset_params={"n_stars": 40}, progress=False)
    with pytest.raises(ConfigError, match="parent folder .* does not exist"):
        run_benchmark("rrab-synthetic", ["fourier-linear"], out=tmp_path / "no" / "such" / "dir", **kw)
    assert not (tmp_path / "no").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="a file, not a folder"):
        run_benchmark("rrab-synthetic", ["fourier-linear"], out=tmp_path / "file", **kw)


def test_a_store_recorded_with_the_old_dataset_parameter_name_still_resumes(tmp_path):
    """rrab-synthetic's ``seed`` is ``random_state`` now; a store that recorded ``seed`` is the same run."""
    import json

    kw = {"folds": "2x1", "progress": False}
    out = run_benchmark("rrab-synthetic", ["fourier-linear"], out=tmp_path / "r",
                        dataset_params={"n_stars": 40, "random_state": 3}, **kw)
    store = ResultStore(out)
    run = store.read_run()
    assert run["dataset_params"] == {"n_stars": 40, "random_state": 3} and run["seed"] == 0
    run["dataset_params"] = {"n_stars": 40, "seed": 3}  # as tserbench recorded it before the rename
    store.run_path.write_text(json.dumps(run))
    def jobs():
        return {p.name: p.stat().st_mtime_ns for p in (out / "fourier-linear").glob("r*_f*.json")}

    before = jobs()
    run_benchmark("rrab-synthetic", ["fourier-linear"], out=out, dataset_params={"n_stars": 40, "random_state": 3},
                  **kw)
    with pytest.warns(FutureWarning, match="seed= is deprecated"):  # the old name, given again
        run_benchmark("rrab-synthetic", ["fourier-linear"], out=out, dataset_params={"n_stars": 40, "seed": 3}, **kw)
    resumed = store.read_run()
    assert len(resumed["resumed_by"]) == 2 and jobs() == before and len(before) == 2  # nothing re-run
    assert resumed["dataset_params"] == {"n_stars": 40, "seed": 3}  # the record is left as it was written
    with pytest.raises(ConfigError, match="dataset_params"):  # another value is still another run
        run_benchmark("rrab-synthetic", ["fourier-linear"], out=out, dataset_params={"n_stars": 40, "random_state": 4},
                      **kw)


def test_one_writer_per_store_and_a_refused_run_leaves_no_trace(tmp_path):
    kw = dict(dataset_params={"n_stars": 40}, folds="2x1", progress=False)
    out = run_benchmark("rrab-synthetic", ["fourier-linear"], out=tmp_path / "r", **kw)
    store = ResultStore(out)
    before = store.run_path.read_text()
    with store.writer():  # another run holds the store
        with pytest.raises(ConfigError, match="being written by another tserbench run"):
            run_benchmark("rrab-synthetic", ["fourier-linear"], out=out, **kw)
    assert store.run_path.read_text() == before
    # refused for other parameters: run.json is not credited with the refused command
    with pytest.raises(ConfigError, match="other parameters"):
        run_benchmark("rrab-synthetic", ["fourier-linear"], out=out, params={"fourier-linear": {"weight_cutoff": 0.3}}, **kw)
    assert store.run_path.read_text() == before
    run_benchmark("rrab-synthetic", ["fourier-linear"], out=out, **kw)  # the lock went with its holder
    assert len(store.read_run()["resumed_by"]) == 1


@pytest.mark.parametrize("argv, message", [
    (["--folds", "21x1"], "folds '21x1': bin_size=20 must be at least n_splits=21"),
    (["--dataset-param", "n_stars=abc"], "dataset 'rrab-synthetic': invalid literal"),
    (["--seed", "-1"], "random_state (--seed) must be an integer >= 0"),
    (["--models", "fourier-gb", "--params-from", '{"fourier-gb": {"max_iter": 0}}'], "model 'fourier-gb': The 'max_iter'"),
    (["--params-from", '{"fourier-linear": {"alpha": "lots"}}'], "The 'alpha' parameter of Ridge must be a float"),
    (["--params-from", "{tmp}/binary.json"], "binary.json: not a text file"),
    (["--out", "{tmp}/a-file"], "a-file: a file, not a folder"),
])
def test_bad_run_input_is_one_line_with_exit_2(tmp_path, capsys, argv, message):
    from tserbench.cli import main

    (tmp_path / "binary.json").write_bytes(bytes(range(256)))
    (tmp_path / "a-file").write_text("not a folder")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    base = ["run", "--dataset-param", "n_stars=40", "--quiet", "--no-leaderboard", "--out", str(tmp_path / "o")]
    if "--models" not in argv:
        base += ["--models", "fourier-linear"]
    assert main([*base, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_piped_run_prints_a_header_at_once_and_one_line_per_job(tmp_path, capsys):
    ds = PanelDataset()
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], out=tmp_path / "o", progress=True, n_jobs=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("run: ") and f"out {out}" in lines[0] and "models lin" in lines[0]
    assert lines[0].endswith("fresh: 3 job(s) to run")
    assert len([line for line in lines if line.startswith("[")]) == 3 and "ETA" in lines[-1]
    run_benchmark(ds, [("lin", NoisyLinearRegressor())], out=out, progress=True, n_jobs=1)
    assert capsys.readouterr().out.splitlines()[0].endswith("resuming: 3 finished job(s) kept, 0 to run")


def test_eta_uses_each_models_measured_duration(monkeypatch):
    import io
    from types import SimpleNamespace

    from tserbench.evaluation import _progress

    clock = [0.0]
    monkeypatch.setattr(_progress, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    models = ["deep", "fast", "deep", "fast", "deep", "fast"]
    rep = _progress.Reporter(len(models), 0, True, io.StringIO(), models=models)

    def done(model, seconds):
        clock[0] += seconds  # one worker: wall time = fit time
        record = {"metrics": {"val": {"rmse": 1.0, "mae": 1.0, "r2": 0.0}}, "fit_seconds": seconds}
        rep.job_done(SimpleNamespace(model=model, repeat=0, fold=0, record=record))
        return rep.finish_at - clock[0]

    assert done("deep", 10.0) == pytest.approx(50.0)  # 5 jobs left, only the deep model's time seen yet
    assert done("fast", 0.1) == pytest.approx(20.2)  # 2 deep x 10 s + 2 fast x 0.1 s, not 4 x the mean 5.05 s


def test_saved_models_record_the_datasets_own_preprocessing(tmp_path):
    # a dataset object's n_grid used to be lost: its models were saved with n_grid=50 in their manifest
    from tserbench.datasets import RRabSynthetic
    from tserbench.regressors._saved import load_model_dir

    ds = RRabSynthetic(n_stars=40, n_grid=20, variant="spline")
    out = run_benchmark(ds, [("lin", NoisyLinearRegressor())], folds="2x1", out=tmp_path / "o", progress=False,
                        save_models=True)
    for folder in (out / "lin" / "models" / "r0_f0", out / "lin" / "models"):
        _, manifest = load_model_dir(folder, trust_pickle=True)
        assert manifest["preprocessing"] == {"variant": "spline", "n_grid": 20, "max_len": 80}


def test_terminal_summary_shows_the_leaderboards_pooled_headline_and_sample_sd(main, tmp_path, capsys):
    """The run's closing table names and computes each statistic as leaderboard.json does."""
    out = tmp_path / "o"
    assert main(["run", "--models", "fourier-linear", "--dataset-param", "n_stars=60", "--folds", "3x2",
                 "--n-jobs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    row = next(r for r in json.loads((out / "leaderboard" / "leaderboard.json").read_text())["rows"]
               if r["model"] == "fourier-linear")
    rmse = row["val"]["rmse"]
    line = next(line for line in text.splitlines() if line.strip().startswith("fourier-linear"))
    header = text.splitlines()[text.splitlines().index(line) - 1]
    assert "val RMSE (pooled)" in header and "fold RMSE mean ± SD" in header and "3×2" in line
    assert f"{rmse['value']:.4f}" in line  # the pooled headline, not the fold mean
    folds = [f["rmse"] for f in row["per_fold"]]
    assert f"{np.mean(folds):.4f} ± {np.std(folds, ddof=1):.4f}" in line  # sample SD over the 6 folds
    assert f"{np.std(folds):.4f}" != f"{np.std(folds, ddof=1):.4f}"  # (the population SD would differ)
    assert f"{np.mean(folds):.4f}" != f"{rmse['value']:.4f}"  # (and so do the fold mean and the pooled value)
    assert "sample SD" in text

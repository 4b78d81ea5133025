"""Tuning: search spaces, the inner-CV objective, the study runner, export/load of params.

Small and fast: the synthetic set with 200 stars and the gradient-boosting
baseline (a trial is three HGB fits on ~110 stars).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import optuna
import pytest

from tserbench.exceptions import ConfigError
from tserbench.tuning import SEARCH_SPACES, export_params, load_params, suggest_params, tune, validate_space
from tserbench.tuning._worker import _gate, _Surplus
from tserbench.tuning.objective import load_tuning_data
from tserbench.tuning.spaces import Float

DATASET = "rrab-synthetic"
DS_PARAMS = {"n_stars": 200, "random_state": 3}
MODEL = "fourier-gb"
FAST = {"weight_cutoff": None}  # fixed for every trial (exercises the fixed-params path)


def _finished(study) -> int:
    return sum(t.state.name in ("COMPLETE", "PRUNED") for t in study.get_trials(deepcopy=False))


def _states(study) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        out[t.state.name] = out.get(t.state.name, 0) + 1
    return out


# -- spaces -----------------------------------------------------------------


def test_every_registered_model_has_an_honest_space():
    """Each built-in model has a space, and every searched name is a constructor parameter."""
    from tserbench.regressors import list_models

    builtin = {m.name for m in list_models(include_plugins=False)}
    assert builtin <= set(SEARCH_SPACES), f"models without a search space: {sorted(builtin - set(SEARCH_SPACES))}"
    for model in SEARCH_SPACES:
        validate_space(model)


def test_validate_space_names_the_wrong_parameter():
    with pytest.raises(ConfigError, match="units_typo"):
        validate_space(MODEL, {"units_typo": Float(0.0, 1.0)})
    with pytest.raises(ConfigError, match="both searched and fixed"):
        validate_space(MODEL, fixed=["learning_rate"])
    with pytest.raises(ConfigError, match="no search space"):
        suggest_params(optuna.trial.FixedTrial({}), "no-such-model")


@pytest.mark.parametrize("model", sorted(SEARCH_SPACES))
def test_suggested_params_build_the_model(model):
    """A sampled point is accepted by the registry's constructor (no fitting)."""
    from tserbench.regressors import get_regressor

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    trial = study.ask()
    params = suggest_params(trial, model)
    assert set(params) == set(SEARCH_SPACES[model])
    est = get_regressor(model, **params)
    got = est.get_params(deep=True)  # deep: a composite's nested member parameters
    for name, value in params.items():
        assert got[name] == value


# -- objective: the holdout is never seen ----------------------------------------


def test_tuning_data_excludes_the_holdout_fold():
    from tserbench.evaluation import make_splitter
    from tserbench.evaluation.runner import load_benchmark_data

    data = load_tuning_data(DATASET, dataset_params=DS_PARAMS, folds="5x1", holdout_fold=2, inner_splits=3, random_state=7)
    full = load_benchmark_data(DATASET, dataset_params=DS_PARAMS)
    outer = make_splitter("5x1", random_state=7)
    held = next(te for r, f, _tr, te in outer.split_with_repeat(full.X, full.y) if f == 2)
    assert set(data.index).isdisjoint(held)
    assert len(data.index) + len(held) == len(full.y)
    np.testing.assert_array_equal(data.y, full.y[data.index])
    # the inner folds partition the tuning stars, each star validated once
    val = np.concatenate([va for _tr, va in data.inner_splits])
    assert len(data.inner_splits) == 3
    assert sorted(val) == list(range(len(data.index)))
    with pytest.raises(ConfigError, match="holdout fold 9"):
        load_tuning_data(DATASET, dataset_params=DS_PARAMS, folds="5x1", holdout_fold=9)


# -- study: N trials in total, resume, export --------------------------------------


def _tune(storage, n, **kw):
    kw.setdefault("study_name", "t")
    return tune(
        DATASET,
        MODEL,
        n_trials=n,
        storage=storage,
        dataset_params=DS_PARAMS,
        fixed_params=FAST,
        folds="5x1",
        heartbeat_interval=1,
        progress=False,
        **kw,
    )


def test_tune_completes_n_trials_resumes_and_exports(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = _tune(storage, 3, sampler="random", pruner="none")
    assert _states(study) == {"COMPLETE": 3}
    # the study is a total, not a per-run budget: asking for 5 adds 2, asking for 5 again adds none
    study = _tune(storage, 5, sampler="random", pruner="none")
    assert _states(study) == {"COMPLETE": 5}
    study = _tune(storage, 5, sampler="random", pruner="none")
    assert _states(study) == {"COMPLETE": 5}
    # distinct samples: the resumed worker did not replay the first run's seeds
    seen = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(seen)) == len(seen)

    best = min(study.trials, key=lambda t: t.value)
    out = export_params(storage, "t", tmp_path / "params.json")
    on_disk = json.loads(out.read_text())
    assert on_disk == {MODEL: {**FAST, **best.user_attrs["params"]}}
    assert set(on_disk[MODEL]) == set(SEARCH_SPACES[MODEL]) | set(FAST)  # the fixed budget is exported too
    assert load_params(out) == load_params(f"{storage}:t") == on_disk


def test_tune_export_run_trains_the_trials_configuration(tmp_path):
    """tune -> export -> run: the run's model has the best trial's searched *and* fixed parameters."""
    from tserbench.evaluation import run_benchmark
    from tserbench.evaluation.store import ResultStore

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = tune(DATASET, "fourier-linear", n_trials=2, storage=storage, study_name="b",
                 dataset_params=DS_PARAMS, fixed_params={"weight_cutoff": 0.5}, folds="5x1",
                 heartbeat_interval=1, progress=False, sampler="random", pruner="none")
    params = load_params(export_params(storage, "b", tmp_path / "p.json"))
    assert params["fourier-linear"] == {"weight_cutoff": 0.5, **study.best_trial.user_attrs["params"]}
    out = run_benchmark(DATASET, ["fourier-linear"], params=params, dataset_params=DS_PARAMS, folds="5x1",
                        out=tmp_path / "run", progress=False, n_jobs=1)
    recorded = ResultStore(out).read_params("fourier-linear")
    assert {k: recorded[k] for k in params["fourier-linear"]} == params["fourier-linear"]


def test_worker_waits_for_a_silent_last_trial_then_reruns_it(tmp_path):
    """N-1 trials done and the last one RUNNING without heartbeat (its worker died):
    a new worker does not start an extra trial, it waits out the grace period and re-runs it."""
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = _tune(storage, 2, sampler="random", pruner="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "heartbeat is supposed to be used with Study.optimize"
        orphan = study.ask()
    suggest_params(orphan, MODEL)
    study._storage.record_heartbeat(orphan._trial_id)  # one heartbeat, then silence
    study = _tune(storage, 3, sampler="random", pruner="none", grace_period=2, poll_interval=0.2)
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE"]
    assert trials[2].number == orphan.number
    assert trials[3].system_attrs["failed_trial"] == orphan.number
    assert trials[3].params == trials[2].params


def test_tune_takes_optuna_sampler_pruner_and_storage_objects(tmp_path):
    """As ``optuna.create_study``: objects are used as given and each trial records what it ran under."""
    sampler = optuna.samplers.RandomSampler(seed=0)
    storage = optuna.storages.InMemoryStorage()
    study = _tune(storage, 2, sampler=sampler, pruner=optuna.pruners.NopPruner())
    assert study.sampler is sampler and isinstance(study.pruner, optuna.pruners.NopPruner)
    assert _states(study) == {"COMPLETE": 2}
    assert {(t.user_attrs["sampler"], t.user_attrs["pruner"]) for t in study.trials} == {
        ("RandomSampler", "NopPruner")
    }
    # the same in-memory storage resumes the study; best_params reads it from the object
    study = _tune(storage, 3, sampler=optuna.samplers.RandomSampler(seed=1), pruner=optuna.pruners.NopPruner())
    assert _states(study) == {"COMPLETE": 3}
    assert export_params(storage, "t", tmp_path / "p.json").exists()
    # an RDB storage object built by the caller; names are recorded as given
    rdb = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'rdb.db'}")
    study = _tune(rdb, 1, sampler="random", pruner="none")
    assert study.trials[0].user_attrs["sampler"] == "random" and study.trials[0].user_attrs["pruner"] == "none"


def test_tune_refuses_a_sampler_that_is_neither_name_nor_object(tmp_path):
    with pytest.raises(ConfigError, match="sampler must be a name"):
        _tune(optuna.storages.InMemoryStorage(), 1, sampler=3)
    with pytest.raises(ConfigError, match="unknown pruner"):
        _tune(optuna.storages.InMemoryStorage(), 1, pruner=object())
    with pytest.raises(ConfigError, match="storage must be"):
        _tune(3, 1)


def test_resuming_with_other_settings_is_refused(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _tune(storage, 1, pruner="none")
    with pytest.raises(ConfigError, match="holdout_fold"):
        _tune(storage, 2, holdout_fold=1, pruner="none")


def test_a_study_stored_with_the_old_dataset_parameter_name_is_the_same_study():
    """rrab-synthetic's ``seed`` is ``random_state`` now; a study that stored ``seed`` resumes."""
    from tserbench.tuning._worker import _check_or_set_config
    from tserbench.tuning.params import CONFIG_ATTR

    study = optuna.create_study()
    old = {"dataset": DATASET, "dataset_params": {"n_stars": 200, "seed": 3}, "seed": 0}
    study.set_user_attr(CONFIG_ATTR, old)
    _check_or_set_config(study, {**old, "dataset_params": {"n_stars": 200, "random_state": 3}})
    assert study.user_attrs[CONFIG_ATTR] == old  # the stored settings are left as they were written
    with pytest.raises(ConfigError, match="dataset_params"):
        _check_or_set_config(study, {**old, "dataset_params": {"n_stars": 200, "random_state": 4}})


def test_gate_discards_a_trial_beyond_the_budget():
    """Two workers racing for the last slot: the higher-numbered trial is surplus."""
    study = optuna.create_study()
    for x in (0.1, 0.2):
        study.add_trial(optuna.create_trial(value=x, params={}, distributions={}))
    first, second = study.ask(), study.ask()  # both RUNNING, budget 3
    _gate(study, first, 3)
    with pytest.raises(_Surplus):
        _gate(study, second, 3)
    assert study.trials[second.number].user_attrs["surplus"] is True


# -- params specs ----------------------------------------------------------------


def test_load_params_spec_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such Optuna SQLite storage"):
        load_params(f"sqlite:///{tmp_path / 'missing.db'}:study")
    with pytest.raises(ConfigError, match="expected a .json file or STORAGE_URL:STUDY"):
        load_params("just-a-name")
    bad = tmp_path / "bad.json"
    bad.write_text('["gru"]')
    with pytest.raises(ConfigError, match="bad.json"):
        load_params(bad)
    good = tmp_path / "p.json"
    good.write_text(json.dumps({"gru": {"units": [8, 4], "learning_rate": 0.01}}))
    assert load_params(good) == {"gru": {"units": (8, 4), "learning_rate": 0.01}}


def test_load_params_unknown_study_lists_the_studies(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.create_study(storage=storage, study_name="other")
    with pytest.raises(ConfigError, match="no study 'nope'; studies: other"):
        load_params(f"{storage}:nope")


def test_cli_tune_and_export(tmp_path, monkeypatch, capsys):
    from tserbench.cli import main

    monkeypatch.chdir(tmp_path)
    rc = main(
        [
            "tune", "--dataset", DATASET, "--model", "fourier-linear", "--n-trials", "2",
            "--dataset-param", "n_stars=200", "--folds", "5x1", "--pruner", "none", "--no-progress",
        ]
    )  # fmt: skip
    assert rc == 0
    assert (tmp_path / "tserbench-optuna.db").exists()  # default storage in the cwd
    out = capsys.readouterr().out
    assert "2 complete" in out
    rc = main(["tune", "export", "--study-name", "rrab-synthetic-fourier-linear-h0", "-o", "best.json"])
    assert rc == 0
    assert set(json.loads((tmp_path / "best.json").read_text())) == {"fourier-linear"}
    assert main(["tune", "--dataset", DATASET]) == 2  # missing --model/--n-trials: one-line error
    assert "needs --model, --n-trials" in capsys.readouterr().err


def test_cli_tune_says_new_or_resumed_and_names_the_metric(tmp_path, monkeypatch, capsys):
    from tserbench.cli import main

    monkeypatch.chdir(tmp_path)
    argv = ["tune", "--dataset", DATASET, "--model", "fourier-linear", "--dataset-param", "n_stars=200",
            "--folds", "5x1", "--pruner", "none", "--sampler", "random", "--n-trials"]
    assert main([*argv, "1"]) == 0
    captured = capsys.readouterr()
    assert "tune: new study rrab-synthetic-fourier-linear-h0: 1 trials; best = lowest rmse" in captured.err
    assert "best: rmse " in captured.out and "the lowest inner-CV mean, trial 0" in captured.out
    assert main([*argv, "2"]) == 0
    err = capsys.readouterr().err
    assert "tune: resuming study rrab-synthetic-fourier-linear-h0: 1 of 2 trials finished; best (lowest rmse)" in err


def test_ctrl_c_in_a_trial_is_one_line_without_optuna_traceback(tmp_path, monkeypatch, capsys, caplog):
    from tserbench.cli import main
    from tserbench.tuning import objective

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(objective, "_fit_predict", interrupted)
    caplog.set_level("WARNING")
    rc = main(["tune", "--dataset", DATASET, "--model", "fourier-linear", "--dataset-param", "n_stars=200",
               "--folds", "5x1", "--n-trials", "2", "--no-progress"])
    assert rc == 130
    err = capsys.readouterr().err
    assert err.count("tserbench: interrupted") == 1 and "Traceback" not in err
    assert not [r for r in caplog.records if r.name.startswith("optuna.study")]  # no traceback, no "failed" line


def test_a_weighted_metric_is_refused_before_any_data_or_trial(tmp_path):
    # the inner folds carry no sample weights: wrmse used to be accepted and then fail every trial
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    with pytest.raises(ConfigError, match="'wrmse' needs sample weights.*tune on one of r2, rmse, mae, medae"):
        tune("no-such-dataset", MODEL, n_trials=1, storage=storage, metric="wrmse", progress=False)
    assert not (tmp_path / "optuna.db").exists()  # refused before a storage was made
    with pytest.raises(ConfigError, match="unknown metric 'rsme'"):
        tune("no-such-dataset", MODEL, n_trials=1, storage=storage, metric="rsme", progress=False)

"""Tests of the regression check (tserbench check / check_against_reference)."""

from __future__ import annotations

import copy
import json

import pytest

import tserbench.cli
from tserbench.exceptions import ConfigError
from tserbench.leaderboard import check_against_reference, collect
from tserbench.leaderboard._testing import make_fake_results
from tserbench.leaderboard.check import DEFAULT_TOLERANCE, parse_tolerance


def main(argv, monkeypatch):
    """tserbench.cli.main with only the leaderboard commands registered."""
    monkeypatch.setattr(tserbench.cli, "COMMAND_MODULES", ("tserbench.leaderboard._cli",))
    return tserbench.cli.main(argv)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A reference leaderboard.json (aggregated without plots) and its result store."""
    root = tmp_path_factory.mktemp("check")
    res = make_fake_results(root / "res", models={"gru": 0.12, "fcn": 0.25}, n_stars=60, n_folds=3,
                            history=False)
    doc = collect(res).doc
    path = root / "leaderboard.json"
    path.write_text(json.dumps(doc))
    return path, res, doc


def _inject(doc, model, metric, delta):
    doc = copy.deepcopy(doc)
    row = next(r for r in doc["rows"] if r["model"] == model)
    row["val"][metric]["value"] += delta
    return doc


def test_reference_passes_against_itself(reference):
    path, res, doc = reference
    for current in (path, res, doc):  # a leaderboard.json, a result store, a loaded document
        result = check_against_reference(path, current)
        assert result.exit_code == 0 and result.passed
        assert {r.status for r in result.rows} == {"ok"}
        assert len(result.rows) == 2 * 3 and all(r.delta == pytest.approx(0, abs=1e-15) for r in result.rows)


def test_injected_regression_fails(reference):
    path, _, doc = reference
    result = check_against_reference(path, _inject(doc, "gru", "rmse", +0.05))
    assert result.exit_code == 1
    assert [(r.model, r.metric) for r in result.regressions] == [("gru", "rmse")]
    # within tolerance: passes; R² lower is worse, higher is better
    assert check_against_reference(path, _inject(doc, "gru", "rmse", +0.009)).exit_code == 0
    r2_worse = check_against_reference(path, _inject(doc, "fcn", "r2", -0.05))
    assert [(r.model, r.metric) for r in r2_worse.regressions] == [("fcn", "r2")]
    better = check_against_reference(path, _inject(doc, "fcn", "r2", +0.05))
    assert better.exit_code == 0 and {r.status for r in better.rows if r.model == "fcn" and r.metric == "r2"} == {"better"}
    lower_err = check_against_reference(path, _inject(doc, "fcn", "mae", -0.05))
    assert lower_err.exit_code == 0


def test_regressed_result_store_fails(reference, tmp_path):
    path, _, _ = reference
    worse = make_fake_results(tmp_path / "res", models={"gru": 0.4, "fcn": 0.25}, n_stars=60, n_folds=3,
                              history=False)
    result = check_against_reference(path, worse, metrics=["rmse"])
    assert result.exit_code == 1 and [r.model for r in result.regressions] == ["gru"]


def test_tolerance_parsing():
    assert parse_tolerance(None, ["rmse", "r2"]) == {"rmse": DEFAULT_TOLERANCE, "r2": DEFAULT_TOLERANCE}
    assert parse_tolerance("0.02", ["rmse", "mae"]) == {"rmse": 0.02, "mae": 0.02}
    assert parse_tolerance("rmse=0.001, mae=0.5", ["rmse", "mae", "r2"]) == {
        "rmse": 0.001, "mae": 0.5, "r2": DEFAULT_TOLERANCE}
    for bad in ("x", "rmse=abc", "foo=0.1", "rmse", "-0.1", "rmse=nan"):
        with pytest.raises(ConfigError):
            parse_tolerance(bad, ["rmse", "mae"])


def test_per_metric_tolerance_decides(reference):
    path, _, doc = reference
    cur = _inject(doc, "gru", "rmse", +0.03)
    assert check_against_reference(path, cur, tolerance="rmse=0.05").exit_code == 0
    assert check_against_reference(path, cur, tolerance="rmse=0.01,mae=0.05").exit_code == 1


def test_missing_model_fails_only_when_strict(reference):
    path, _, doc = reference
    cur = copy.deepcopy(doc)
    cur["rows"] = [r for r in cur["rows"] if r["model"] != "fcn"]
    loose = check_against_reference(path, cur)
    assert loose.missing == ["fcn"] and loose.exit_code == 0
    assert check_against_reference(path, cur, strict=True).exit_code == 1


def test_cli_check_exit_codes(reference, tmp_path, capsys, monkeypatch):
    path, res, doc = reference
    assert main(["check", "--reference", str(path), str(res)], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "gru" in out and "tolerance" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_inject(doc, "fcn", "mae", +0.1)))
    assert main(["check", "--reference", str(path), str(bad), "--metrics", "rmse,mae"], monkeypatch) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "FAILED" in out
    assert main(["check", "--reference", str(path), str(bad), "--tolerance", "0.2"], monkeypatch) == 0
    capsys.readouterr()
    assert main(["check", "--reference", str(path), str(res), "--tolerance", "rmse=x"], monkeypatch) == 2
    assert "tolerance" in capsys.readouterr().err
    assert main(["check", "--reference", str(tmp_path / "nope.json"), str(res)], monkeypatch) == 2


def test_check_refuses_a_store_of_other_data_and_warns_on_other_params(tmp_path, reference, monkeypatch, capsys):
    path, res, doc = reference
    other = make_fake_results(tmp_path / "other", models={"gru": 0.12}, n_stars=60, n_folds=3, history=False,
                              dataset="rrab-gaia-dg22")
    with pytest.raises(ConfigError, match="not comparable with the reference: dataset 'rrab-gaia-dg22' here"):
        check_against_reference(path, other)
    assert main(["check", "--reference", str(path), str(other)], monkeypatch) == 2
    assert "not comparable" in capsys.readouterr().err
    changed = copy.deepcopy(doc)
    next(r for r in changed["rows"] if r["model"] == "gru")["params"]["n_epochs"] = 7
    result = check_against_reference(changed, res)
    assert result.passed and result.params_differences == ["gru: n_epochs 7 -> 50"]


def test_a_reference_written_under_a_dataset_parameter_s_old_name_is_comparable(reference):
    # RRabSynthetic's seed became random_state: a leaderboard recorded before keeps {"seed": N}
    path, res, doc = reference
    old, new = copy.deepcopy(doc), copy.deepcopy(doc)
    old["dataset_params"] = {"n_stars": 60, "seed": 3}
    new["dataset_params"] = {"n_stars": 60, "random_state": 3}
    assert check_against_reference(old, new).passed
    new["dataset_params"] = {"n_stars": 60, "random_state": 4}
    with pytest.raises(ConfigError, match="not comparable"):
        check_against_reference(old, new)

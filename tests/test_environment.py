"""Every result records the environment that produced it (tserbench.environment)."""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import pytest

from tserbench.environment import PACKAGES, compare_environments, describe_environment, environment


def test_environment_names_versions_commit_machine_and_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    env = environment()
    assert set(env) == {"tserbench", "python", "packages", "machine", "threads"}
    assert set(env["packages"]) == set(PACKAGES)
    assert env["packages"]["numpy"] == np.__version__
    assert env["machine"]["cores"] >= 1 and env["machine"]["usable_cores"] >= 1
    assert env["threads"]["OMP_NUM_THREADS"] == "1"
    commit = env["tserbench"]["commit"]
    # tests run from a git checkout (editable install): the commit is known; else it is None
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
    assert env["tserbench"]["dirty"] in (None, True, False)
    json.dumps(env)  # JSON-ready


def test_compare_environments_lists_each_difference():
    ref = environment()
    cur = copy.deepcopy(ref)
    assert compare_environments(ref, cur) == []
    cur["packages"]["tensorflow"] = "9.9.9"
    cur["machine"]["cores"] = 64
    lines = compare_environments(ref, cur)
    assert len(lines) == 2
    assert any(line.startswith("packages.tensorflow:") and "9.9.9" in line for line in lines)
    assert compare_environments(None, cur) == ["no environment recorded in the reference"]
    assert compare_environments(None, None) == []


def test_describe_environment_says_when_nothing_was_recorded():
    assert "not recorded" in describe_environment(None)[0][1]
    labels = [label for label, _ in describe_environment(environment())]
    assert labels == ["tserbench", "python", "packages", "cpu", "platform", "threads"]


def test_run_store_jobs_and_leaderboard_carry_the_environment(tmp_path):
    from tserbench.evaluation import ResultStore, run_benchmark
    from tserbench.leaderboard import build_leaderboard

    out = run_benchmark("rrab-synthetic", ["fourier-linear"], dataset_params={"n_stars": 60}, out=tmp_path / "r",
                        progress=False)
    store = ResultStore(out)
    assert store.read_run()["environment"]["packages"]["sktime"]
    jobs = store.read_jobs("fourier-linear")
    assert jobs and all(j["environment"]["python"] == environment()["python"] for j in jobs)
    # a resumed run records the resuming process's environment too
    run_benchmark("rrab-synthetic", ["fourier-linear"], dataset_params={"n_stars": 60}, out=out, progress=False)
    assert store.read_run()["resumed_by"][-1]["environment"]["packages"]["numpy"] == np.__version__

    doc = json.loads(build_leaderboard(out, tmp_path / "lb").read_text())
    (group,) = doc["environments"]
    assert group["n_jobs"] == len(jobs) and group["models"] == ["fourier-linear"]
    md = (tmp_path / "lb" / "leaderboard.md").read_text()
    assert "## Environment" in md and f"numpy {np.__version__}" in md
    assert "<h2>Environment</h2>" in (tmp_path / "lb" / "leaderboard.html").read_text()


def test_check_warns_on_a_different_environment_but_passes(tmp_path, capsys):
    from tserbench.leaderboard import check_against_reference, collect
    from tserbench.leaderboard._testing import make_fake_results
    from tserbench.leaderboard.check import render_check

    res = make_fake_results(tmp_path / "res", n_stars=40, n_folds=2, history=False)
    ref = collect(res).doc
    assert check_against_reference(ref, res).environment_differences == []
    other = copy.deepcopy(ref)
    other["environments"][0]["environment"]["packages"]["numpy"] = "1.0.0"
    result = check_against_reference(other, res)
    assert result.passed and result.exit_code == 0
    assert any("packages.numpy" in line for line in result.environment_differences)
    render_check(result)
    out = capsys.readouterr().out
    assert "environment differs" in out and "packages.numpy" in out


@pytest.mark.parametrize("board", ["rrab-synthetic", "rrab-gaia-dg22"])
def test_committed_leaderboards_state_their_environment(board):
    """A committed leaderboard either carries an environment block or says it has none."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "leaderboard" / board
    doc = json.loads((root / "leaderboard.json").read_text())
    md = (root / "leaderboard.md").read_text()
    assert "## Environment" in md
    groups = doc.get("environments") or []
    if all(g.get("environment") is None for g in groups):
        assert "not recorded" in md
    else:
        assert all(g["environment"]["packages"]["tensorflow"] for g in groups if g.get("environment"))

"""The committed leaderboards under ``leaderboard/`` are honest and still reproduced.

- every harness row's validation metrics are recomputed from its committed
  ``oof/<model>.csv`` alone (sklearn, not our metric code);
- DG22's published-OOF row reproduces the published re-scored figures from
  the data home (DG22's predictions are real data and are not committed);
- the quick configuration (the deterministic classical models on the
  synthetic set) is re-run and passed through ``tserbench check`` against
  the committed synthetic leaderboard: the CI regression check of our own
  leaderboard.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

ROOT = Path(__file__).resolve().parents[1]
BOARDS = sorted(p.parent for p in (ROOT / "leaderboard").glob("*/leaderboard.json"))


def _doc(board: Path) -> dict:
    return json.loads((board / "leaderboard.json").read_text())


def test_committed_leaderboards_exist():
    names = {b.name for b in BOARDS}
    assert {"rrab-synthetic", "rrab-gaia-dg22"} <= names, names


@pytest.mark.parametrize("board", BOARDS, ids=lambda b: b.name)
def test_harness_rows_recompute_from_their_oof_files(board):
    doc = _doc(board)
    rows = [r for r in doc["rows"] if r["kind"] == "harness"]
    assert rows, f"{board}: no harness rows"
    for row in rows:
        oof = pd.read_csv(board / "oof" / f"{row['model']}.csv", dtype={"source_id": "int64"})
        assert list(oof.columns) == ["source_id", "repeat", "fold", "y_true", "y_pred"]
        assert np.isfinite(oof["y_pred"]).all()
        per_repeat = {"rmse": [], "mae": [], "r2": []}
        for _, part in oof.groupby("repeat"):
            assert part["source_id"].is_unique, f"{row['model']}: a star predicted twice in a repeat"
            per_repeat["rmse"].append(np.sqrt(mean_squared_error(part["y_true"], part["y_pred"])))
            per_repeat["mae"].append(mean_absolute_error(part["y_true"], part["y_pred"]))
            per_repeat["r2"].append(r2_score(part["y_true"], part["y_pred"]))
        for metric, values in per_repeat.items():
            assert row["val"][metric]["value"] == pytest.approx(np.mean(values), abs=1e-9), (row["model"], metric)
        assert row["command"], f"{row['model']}: no command recorded"


def test_dg22_published_oof_row_reproduces_the_published_figures(dg22_home):
    """The committed published-OOF row is DG22's file re-scored (needs the real data).

    DG22's predictions themselves are not committed (real data stays in the
    data home; ``leaderboard/.gitignore``): they are re-read from there.
    """
    from tserbench.leaderboard.baselines import dg22_published_row

    board = ROOT / "leaderboard" / "rrab-gaia-dg22"
    rows = {r["model"]: r for r in _doc(board)["rows"] if r["kind"] == "published-oof"}
    assert len(rows) == 1
    (row,) = rows.values()
    assert not _tracked(board / "oof" / f"{row['model']}.csv"), "DG22's predictions must not be committed"
    fresh, oof = dg22_published_row(dg22_home)
    assert len(oof) == 4458 and oof["source_id"].is_unique
    err = oof["y_pred"] - oof["y_true"]
    assert np.sqrt(np.mean(err**2)) == pytest.approx(0.1784, abs=5e-5)
    assert np.mean(np.abs(err)) == pytest.approx(0.1347, abs=5e-5)
    for metric in ("rmse", "mae", "r2"):
        assert row["val"][metric]["value"] == pytest.approx(fresh["val"][metric]["value"], abs=1e-12)
    assert row["val"]["rmse"]["value"] == pytest.approx(0.1784, abs=5e-5)
    assert row["val"]["r2"]["value"] == pytest.approx(0.8597, abs=5e-5)


def _tracked(path: Path) -> bool:
    """Whether git tracks ``path`` (False outside a git checkout)."""
    import subprocess

    try:
        out = subprocess.run(["git", "ls-files", "--error-unmatch", str(path)], cwd=ROOT,
                             capture_output=True, check=False)
    except FileNotFoundError:
        return False
    return out.returncode == 0


def test_quick_configuration_passes_check_against_committed_synthetic_leaderboard(tmp_path):
    """CI's regression check: re-run the classical models, compare with the committed board."""
    from tserbench.evaluation import run_benchmark
    from tserbench.leaderboard import check_against_reference

    reference = ROOT / "leaderboard" / "rrab-synthetic" / "leaderboard.json"
    doc = json.loads(reference.read_text())
    models = [r["model"] for r in doc["rows"] if r["kind"] == "harness" and r["model"].startswith("fourier-")]
    assert models, "the committed synthetic leaderboard has no classical rows"
    out = run_benchmark(
        "rrab-synthetic", models, variant=doc["variant"], random_state=doc["run"]["seed"],
        dataset_params=doc["dataset_params"] or None, out=tmp_path / "quick", progress=False,
    )
    result = check_against_reference(reference, out, tolerance=0.005)
    assert result.passed, result.regressions


def test_committed_archive_ranking_regenerates_from_the_published_files(tmp_path):
    """leaderboard/tser-archive-5B: every rank and p-value comes back from the published files (real data)."""
    import os

    env = os.environ.get("TSERBENCH_DATA")
    if not env or not (Path(env) / "tsml_eval_tser_results").is_dir():
        pytest.skip("real data: TSERBENCH_DATA with tsml_eval_tser_results not set (CI sets it)")
    from tserbench.leaderboard._rank import build_ranking

    committed = json.loads((ROOT / "leaderboard" / "tser-archive-5B" / "ranking.json").read_text())
    build_ranking([], tmp_path, experiment=committed["experiment"], alpha=committed["alpha"], data_home=env)
    fresh = json.loads((tmp_path / "ranking.json").read_text())
    for key in ("average_ranks", "friedman", "cliques", "datasets", "n_datasets"):
        assert fresh["published"][key] == committed["published"][key], key


def _board(name: str) -> Path:
    board = ROOT / "leaderboard" / name
    if not (board / "leaderboard.json").is_file():
        pytest.fail(f"committed leaderboard {name} missing")
    return board


def test_tecator_deep_rows_with_defaults_beat_the_training_mean():
    """leaderboard/tecator: gru, fcn and resnet at their defaults each beat predicting the training mean.

    Row by row (pooled over the 5 folds, each fold's test instances against its
    own training mean); a fold that does not is flagged on the leaderboard
    (ResNet diverged on one fold: the flag must say so).
    """
    board = _board("tecator")
    doc = _doc(board)
    rows = {r["model"]: r for r in doc["rows"]}
    assert doc["run"]["command"] and "--params-from" not in doc["run"]["command"]  # the class defaults
    for model in ("gru", "fcn", "resnet"):
        oof = pd.read_csv(board / "oof" / f"{model}.csv")
        assert oof["fold"].nunique() == 5 and oof["source_id"].is_unique
        train_mean = oof["fold"].map({f: oof.loc[oof["fold"] != f, "y_true"].mean() for f in oof["fold"].unique()})
        mean_rmse = np.sqrt(np.mean((oof["y_true"] - train_mean) ** 2))
        rmse = np.sqrt(np.mean((oof["y_true"] - oof["y_pred"]) ** 2))
        assert rmse < mean_rmse, (model, rmse, mean_rmse)
        worse = sum(
            np.sqrt(np.mean((p["y_true"] - p["y_pred"]) ** 2)) >= np.sqrt(np.mean((p["y_true"] - train_mean[p.index]) ** 2))
            for _, p in oof.groupby("fold"))
        assert rows[model]["folds_worse_than_mean"] == worse, model


def test_covid3month_rows_fall_within_the_published_spread_of_their_regressor():
    """leaderboard/covid3month: ROCKET, FCN and InceptionTime land inside the published mean ± 2 SD (real data)."""
    import os

    env = os.environ.get("TSERBENCH_DATA")
    if not env or not (Path(env) / "tsml_eval_tser_results").is_dir():
        pytest.skip("real data: TSERBENCH_DATA with tsml_eval_tser_results not set (CI sets it)")
    from tserbench.leaderboard import archive

    board = _board("covid3month")
    published = archive.read_published("covid3month", env)
    for model, theirs in (("rocket", "ROCKET"), ("fcn", "FCN"), ("inceptiontime", "Inception"), ("resnet", "ResNet")):
        oof = pd.read_csv(board / "oof" / f"{model}.csv")
        mine = archive.resample_rmse(oof)
        assert sorted(mine) == [0, 1, 2, 3, 4]
        spread = archive.within_spread([mine[r] for r in sorted(mine)], published[theirs]["rmse"][: len(mine)])
        assert spread["within"], (model, spread)

"""Ranking across datasets: average ranks, Friedman, Holm-corrected Wilcoxon, cliques, CD diagram, ``tserbench rank``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tserbench.cli import main
from tserbench.exceptions import ConfigError
from tserbench.leaderboard import ranking
from tserbench.leaderboard.ranking import cliques_from_decisions, holm, rank_table

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _table(columns: dict) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=[f"d{i}" for i in range(n)], dtype=float)


def test_ranks_are_averaged_over_ties_and_friedman_is_scipys():
    scores = _table({"A": [1, 1, 2, 1], "B": [2, 1, 1, 3], "C": [3, 2, 3, 2]})
    res = rank_table(scores)
    # by hand: d0 1,2,3; d1 A and B tie for 1-2 -> 1.5 each; d2 2,1,3; d3 1,3,2
    assert res["ranks"]["d1"] == {"A": 1.5, "B": 1.5, "C": 3.0}
    assert res["average_ranks"] == {"A": pytest.approx(5.5 / 4), "B": pytest.approx(7.5 / 4), "C": pytest.approx(11 / 4)}
    assert res["methods"] == ["A", "B", "C"]
    expected = stats.friedmanchisquare(scores["A"], scores["B"], scores["C"])
    assert res["friedman"]["statistic"] == pytest.approx(expected.statistic)
    assert res["friedman"]["p"] == pytest.approx(expected.pvalue)
    assert res["n_datasets"] == 4 and res["n_methods"] == 3 and res["dropped_datasets"] == []


def test_holm_step_down():
    adjusted, reject = holm([0.01, 0.04, 0.03], alpha=0.05)
    # sorted 0.01, 0.03, 0.04 -> 3 x 0.01, max(0.03, 2 x 0.03), max(0.06, 1 x 0.04)
    assert adjusted == pytest.approx([0.03, 0.06, 0.06])
    assert reject == [True, False, False]  # 0.04 and 0.03 are below alpha raw, not after Holm


def test_a_raw_wilcoxon_p_below_alpha_is_not_significant_after_holm():
    # A beats C and B beats C on all 6 datasets: exact two-sided p = 2 / 2**6 = 0.03125 < 0.05,
    # three pairs, Holm multiplies the smallest by 3 -> 0.09375 > 0.05
    scores = _table({"A": [1, 1, 1, 1, 1, 1], "B": [2, 0.5, 2, 0.5, 2, 2], "C": [3, 3, 3, 3, 3, 3]})
    res = rank_table(scores, alpha=0.05)
    pairs = {(p["a"], p["b"]): p for p in res["pairwise"]}
    ac = pairs[("A", "C")]
    assert ac["wilcoxon_p"] == pytest.approx(stats.wilcoxon(scores["A"], scores["C"]).pvalue)
    assert ac["wilcoxon_p"] == pytest.approx(0.03125) and ac["wilcoxon_p"] < 0.05
    assert ac["holm_p"] == pytest.approx(0.09375) and not ac["holm_reject"] and not ac["significant"]
    assert pairs[("A", "B")]["holm_p"] == pytest.approx(0.125)
    assert res["friedman"]["significant"]  # Friedman rejects, yet no pair survives Holm
    assert res["cliques"] == [["A", "B", "C"]]
    # at alpha = 0.1 the two pairs against C are rejected
    res = rank_table(scores, alpha=0.1)
    assert {(p["a"], p["b"]) for p in res["pairwise"] if p["significant"]} == {("A", "C"), ("B", "C")}
    assert res["cliques"] == [["A", "B"]]


def test_cliques_of_a_known_structure():
    methods = ["A", "B", "C", "D", "E"]
    differ = {("A", "C"), ("A", "D"), ("A", "E"), ("B", "E")}
    sig = {frozenset((a, b)): (a, b) in differ or (b, a) in differ
           for i, a in enumerate(methods) for b in methods[i + 1:]}
    assert cliques_from_decisions(methods, sig) == [["A", "B"], ["B", "C", "D"], ["C", "D", "E"]]
    # a bar never joins two methods that differ: A ~ B, A ~ C but B and C differ -> only [A, B]
    sig = {frozenset("AB"): False, frozenset("AC"): False, frozenset("BC"): True}
    assert cliques_from_decisions(["A", "B", "C"], sig) == [["A", "B"]]
    # everything differs -> no clique
    assert cliques_from_decisions(["A", "B", "C"], dict.fromkeys(sig, True)) == []


def test_two_groups_on_twelve_datasets():
    alt = np.arange(12) % 2 * 0.1
    scores = _table({"A": 1 + alt, "B": 1.1 - alt, "C": 5 + alt, "D": 5.1 - alt})
    res = rank_table(scores)
    assert res["cliques"] == [["A", "B"], ["C", "D"]]
    assert {(p["a"], p["b"]) for p in res["pairwise"] if p["significant"]} == {
        ("A", "C"), ("A", "D"), ("B", "C"), ("B", "D")}
    assert res["min_wilcoxon_p"] == pytest.approx(2 / 2 ** 12)


def test_no_difference_under_friedman_means_one_clique_and_a_missing_score_drops_the_dataset():
    # every method takes every rank once: equal average ranks, Friedman p = 1
    scores = _table({"A": [1, 2, 3, np.nan], "B": [2, 3, 1, 1], "C": [3, 1, 2, 2]})
    res = rank_table(scores)
    assert res["dropped_datasets"] == ["d3"] and res["n_datasets"] == 3
    assert res["friedman"]["p"] == pytest.approx(1.0) and not res["friedman"]["significant"]
    assert res["cliques"] == [["A", "B", "C"]] and not any(p["significant"] for p in res["pairwise"])
    with pytest.raises(ConfigError, match="two datasets or more"):
        rank_table(scores.iloc[[0, 3]])
    with pytest.raises(ConfigError, match="alpha"):
        rank_table(scores, alpha=1.5)


def test_the_cd_diagram_is_written_as_png_and_svg(tmp_path):
    scores = _table({"A": [1, 1, 2, 1, 1, 1], "B": [2, 1, 1, 3, 2, 2], "C": [3, 2, 3, 2, 3, 3]})
    png, svg = ranking.plot_critical_difference(rank_table(scores), tmp_path / "cd.png", title="toy", highlight={"B"})
    assert png.read_bytes()[:8] == PNG_MAGIC and svg.suffix == ".svg"
    text = svg.read_text()
    assert "toy" in text and "B (1.92)" in text  # labels carry the average rank: (2 + 1.5 + 1 + 3 + 2 + 2) / 6


# --- tserbench rank on the real published results --------------------------------------------

RESULTS = "tsml_eval_tser_results"


@pytest.fixture(scope="module")
def real_home() -> Path:
    env = os.environ.get("TSERBENCH_DATA")
    if not env:
        pytest.skip("real data: TSERBENCH_DATA not set (the archive's published results)")
    if not (Path(env) / RESULTS / "5.B").is_dir():
        pytest.skip(f"real data: {Path(env) / RESULTS / '5.B'} missing (tserbench datasets fetch tsml-eval-tser-results)")
    return Path(env)


def test_rank_the_published_5b_regressors(real_home, tmp_path, capsys):
    out = tmp_path / "rank"
    assert main(["rank", "-o", str(out), "--data-home", str(real_home)]) == 0
    doc = json.loads((out / "ranking.json").read_text())
    pub = doc["published"]
    # 5.B publishes 11 regressors on 62 datasets (5.A.2 has 63: AustraliaRainfall is not in 5.B)
    assert doc["experiment"] == "5.B" and pub["n_methods"] == 11 and pub["n_datasets"] == 62
    rows = {r for f in doc["source"]["files"] for r in [f["name"]]}
    assert len(rows) == 11 and all(len(f["sha256"]) == 64 for f in doc["source"]["files"])
    k = pub["n_methods"]
    for dataset, ranks in pub["ranks"].items():
        assert sum(ranks.values()) == pytest.approx(k * (k + 1) / 2), dataset
    for m in pub["methods"]:
        assert pub["average_ranks"][m] == pytest.approx(np.mean([r[m] for r in pub["ranks"].values()]))
    # the scores are the mean over the 30 published resamples
    rocket = pd.read_csv(real_home / RESULTS / "5.B" / "ROCKET_rmse.csv", index_col=0)
    assert pub["scores"]["Covid3Month"]["ROCKET"] == pytest.approx(rocket.loc["Covid3Month"].mean())
    assert doc["with_harness"] is None and pub["friedman"]["p"] < 0.05
    assert (out / "cd.png").read_bytes()[:8] == PNG_MAGIC and (out / "cd.svg").is_file()
    md = (out / "ranking.md").read_text()
    assert "![critical-difference diagram](cd.png)" in md and doc["generated_by"] in md
    assert "--experiment 5.B" in doc["generated_by"]
    assert "InceptionE" in capsys.readouterr().out


def test_rank_drops_datasets_missing_for_some_regressor(real_home, tmp_path):
    out = tmp_path / "rank"
    assert main(["rank", "-o", str(out), "--experiment", "5.A.1", "--data-home", str(real_home)]) == 0
    pub = json.loads((out / "ranking.json").read_text())["published"]
    union = set()
    for f in (real_home / RESULTS / "5.A.1").glob("*_rmse.csv"):
        union |= set(pd.read_csv(f, index_col=0).index)
    assert pub["dropped_datasets"] and pub["n_datasets"] + len(pub["dropped_datasets"]) == len(union)


def test_rank_user_errors_are_one_line(tmp_path, capsys):
    assert main(["rank", "-o", str(tmp_path / "o"), "--data-home", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tsml_eval_tser_results" in err and "Traceback" not in err
    assert main(["rank", "-o", str(tmp_path / "o"), "--experiment", "9.Z", "--data-home", str(tmp_path)]) == 2
    assert "unknown experiment '9.Z'" in capsys.readouterr().err
    assert main(["rank", "-o", str(tmp_path / "o"), "--alpha", "lots"]) == 2
    assert "--alpha" in capsys.readouterr().err


# --- harness rows: leaderboards of archive datasets, published results in a fake data home -------

def _fake_home(tmp_path: Path, monkeypatch) -> Path:
    """Three regressors of experiment 5.B on four datasets, 3 resamples, in a data home the manifest is patched to."""
    from tserbench.data._manifest import sha256_file
    from tserbench.leaderboard import archive

    home = tmp_path / "home"
    folder = home / RESULTS / "5.B"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    files = []
    for reg, level in (("Good", 0.2), ("Mid", 0.5), ("Bad", 3.0)):
        lines = ["folds:,0,1,2"] + [f"{d},{','.join(str(level + 0.01 * rng.random()) for _ in range(3))}"
                                   for d in ("Toy", "Toy2", "Toy3", "Toy4")]
        (folder / f"{reg}_rmse.csv").write_text("\n".join(lines) + "\n")
        files.append({"name": f"5.B/{reg}_rmse.csv", "sha256": sha256_file(folder / f"{reg}_rmse.csv")})
    manifest = {"directory": RESULTS, "archive_names": {}, "files": files, "citation": "Guijo-Rubio et al. 2024",
                "upstream": {"commit": "b7166541" * 5, "path": "results"}}
    monkeypatch.setattr(archive, "_manifest", lambda: manifest)
    return home


@pytest.fixture(scope="module")
def toy_board(tmp_path_factory) -> Path:
    """A real leaderboard: ``tserbench run`` of fourier-linear on a .ts pair named Toy, resamples:2."""
    from test_tsfile import (
        write_ts,  # tests/ is on sys.path (pytest rootdir-relative import)
    )

    tmp = tmp_path_factory.mktemp("toyrun")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(36, 24))
    y = 2.0 * X[:, :4].mean(axis=1) + 5.0 + 0.05 * rng.normal(size=36)
    write_ts(tmp / "Toy_TRAIN.ts", X[:24], y[:24], "Toy")
    write_ts(tmp / "Toy_TEST.ts", X[24:], y[24:], "Toy")
    out = tmp / "out"
    assert main(["run", "--dataset", str(tmp / "Toy_TRAIN.ts"), "--folds", "resamples:2", "--models",
                 "fourier-linear", "--out", str(out), "--n-jobs", "1", "--quiet"]) == 0
    return out / "leaderboard"


def _copy_board(board: Path, dest: Path, dataset: str, *, scale: float = 1.0, drop: tuple = ()) -> Path:
    """The board as if run on ``dataset``: predictions' errors scaled, rows in ``drop`` removed."""
    shutil.copytree(board, dest)
    doc = json.loads((dest / "leaderboard.json").read_text())
    doc["dataset"] = doc["run"]["dataset"] = dataset
    doc["rows"] = [r for r in doc["rows"] if r["model"] not in drop]
    for row in doc["rows"]:
        f = dest / "oof" / f"{row['model']}.csv"
        oof = pd.read_csv(f)
        oof["y_pred"] = oof["y_true"] + scale * (oof["y_pred"] - oof["y_true"])
        oof.to_csv(f, index=False)
    (dest / "leaderboard.json").write_text(json.dumps(doc))
    return dest


def test_a_harness_row_is_ranked_with_the_published_ones(toy_board, tmp_path, monkeypatch, capsys):
    from tserbench.leaderboard import archive

    doc = json.loads((toy_board / "leaderboard.json").read_text())
    assert doc["dataset"] == "Toy" and doc["protocol"] == "resamples:2"
    home = _fake_home(tmp_path, monkeypatch)
    second = _copy_board(toy_board, tmp_path / "toy2", "Toy2", scale=2.0)
    out = tmp_path / "rank"
    assert main(["rank", str(toy_board), str(second), "-o", str(out), "--data-home", str(home)]) == 0
    res = json.loads((out / "ranking.json").read_text())
    both = res["with_harness"]
    method = "fourier-linear (tserbench)"
    assert both["harness_methods"] == [method] and both["datasets"] == ["Toy", "Toy2"]
    assert sorted(both["methods"]) == sorted(["Good", "Mid", "Bad", method])
    # the harness score: mean over its resamples of each resample's RMSE, from its oof file
    oof = pd.read_csv(toy_board / "oof" / "fourier-linear.csv")
    per = archive.resample_rmse(oof)
    assert both["scores"]["Toy"][method] == pytest.approx(np.mean([per[0], per[1]]))
    # the published ones on the same two resamples of each dataset
    good = pd.read_csv(home / RESULTS / "5.B" / "Good_rmse.csv", index_col=0)
    assert both["scores"]["Toy2"]["Good"] == pytest.approx(good.loc["Toy2", ["0", "1"]].mean())
    assert both["resamples"] == {"Toy": [0, 1], "Toy2": [0, 1]}
    assert both["min_wilcoxon_p"] == 0.5 and not any(p["significant"] for p in both["pairwise"])
    # the published-only ranking is on all four datasets, over all three resamples
    assert res["published"]["n_datasets"] == 4 and method not in res["published"]["methods"]
    assert (out / "cd.png").is_file() and (out / "cd-published.png").is_file() and (out / "cd-published.svg").is_file()
    md = (out / "ranking.md").read_text()
    assert "**fourier-linear (tserbench)**" in md and "cd-published.png" in md
    assert method in capsys.readouterr().out


def test_a_harness_row_on_one_dataset_is_left_out(toy_board, tmp_path, monkeypatch, capsys):
    home = _fake_home(tmp_path, monkeypatch)
    out = tmp_path / "rank"
    assert main(["rank", str(toy_board), "-o", str(out), "--data-home", str(home)]) == 0
    res = json.loads((out / "ranking.json").read_text())
    assert res["with_harness"] is None and res["published"]["n_datasets"] == 4
    assert res["left_out"] == [{"method": "fourier-linear (tserbench)", "n_datasets": 1,
                                "reason": "a ranking needs two datasets or more; this row covers 1"}]
    assert "left out" in capsys.readouterr().out


def test_leaderboards_that_do_not_pair_with_the_archive_are_one_line_errors(toy_board, tmp_path, monkeypatch, capsys):
    home = _fake_home(tmp_path, monkeypatch)
    other = _copy_board(toy_board, tmp_path / "other", "NotInTheArchive")
    assert main(["rank", str(other), "-o", str(tmp_path / "r1"), "--data-home", str(home)]) == 2
    assert "not among the datasets" in capsys.readouterr().err
    kfold = _copy_board(toy_board, tmp_path / "kfold", "Toy2")
    doc = json.loads((kfold / "leaderboard.json").read_text())
    doc["protocol"] = "5x1"
    (kfold / "leaderboard.json").write_text(json.dumps(doc))
    assert main(["rank", str(kfold), "-o", str(tmp_path / "r2"), "--data-home", str(home)]) == 2
    assert "not the archive's" in capsys.readouterr().err
    assert main(["rank", str(tmp_path), "-o", str(tmp_path / "r3"), "--data-home", str(home)]) == 2
    assert "no leaderboard.json" in capsys.readouterr().err

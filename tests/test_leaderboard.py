"""Tests of tserbench.leaderboard: aggregation, files, Dékány baselines, CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import tserbench.cli
from tserbench.exceptions import DataError
from tserbench.leaderboard import build_leaderboard, collect
from tserbench.leaderboard import baselines
from tserbench.leaderboard._aggregate import paired_comparison
from tserbench.leaderboard._testing import make_fake_results

OOF_HEADER = "source_id,repeat,fold,y_true,y_pred"


def _sk_metrics(y, p) -> dict[str, float]:
    """Independent reference: scikit-learn directly."""
    return {
        "r2": skm.r2_score(y, p),
        "rmse": np.sqrt(skm.mean_squared_error(y, p)),
        "mae": skm.mean_absolute_error(y, p),
        "medae": skm.median_absolute_error(y, p),
    }


def _write_fake_dg22(folder: Path, n_per_fold: int = 12, n_folds: int = 4, seed: int = 1) -> pd.DataFrame:
    """Tiny DG22-format prediction files (ids above 2**53) in folder/dekany2022_gaia_g/."""
    rng = np.random.default_rng(seed)
    n = n_per_fold * n_folds
    ids = [str(5_900_000_000_000_000_001 + 7 * i) for i in range(n)]
    folds = np.repeat(np.arange(n_folds), n_per_fold)
    y = rng.normal(-1.5, 0.45, n)
    p = y + rng.normal(0, 0.15, n)
    d = folder / baselines.DG22_DIR
    d.mkdir(parents=True)
    (d / baselines.DG22_VAL_FILE).write_text(
        "".join(f"{i} {f} {a:.6f} {b:.6f}\n" for i, f, a, b in zip(ids, folds, y, p)))
    lines = []
    for k in range(n_folds):
        for i, f, a in zip(ids, folds, y):
            if f != k:
                lines.append(f"{i} {k} {a:.6f} {a + rng.normal(0, 0.1):.6f}\n")
    (d / baselines.DG22_TRAIN_FILE).write_text("".join(lines))
    return baselines.read_dg22_oof(d / baselines.DG22_VAL_FILE)


@pytest.fixture(scope="module")
def synthetic_lb(tmp_path_factory):
    root = tmp_path_factory.mktemp("lb")
    res = make_fake_results(root / "res", models={"gru": 0.12, "fcn": 0.3, "lstm": 0.2}, n_stars=60,
                            n_folds=2, n_repeats=2)
    out = build_leaderboard(res, root / "out", name="synthetic")
    return res, out


def test_build_writes_every_file(synthetic_lb):
    res, path = synthetic_lb
    out = path.parent
    for name in ("leaderboard.md", "leaderboard.csv", "leaderboard.json", "leaderboard.html"):
        assert (out / name).stat().st_size > 100, name
    doc = json.loads(path.read_text())
    assert {"dataset", "protocol", "variant", "generated_by", "rows"} <= set(doc)
    assert doc["dataset"] == "rrab-synthetic"
    assert doc["generated_by"].startswith("tserbench leaderboard ")
    models = [r["model"] for r in doc["rows"]]
    assert sorted(models) == ["fcn", "gru", "lstm"]
    # ranked by validation RMSE: noise 0.12 < 0.2 < 0.3
    assert models == ["gru", "lstm", "fcn"] and [r["rank"] for r in doc["rows"]] == [1, 2, 3]
    for row in doc["rows"]:
        assert {"model", "kind", "dataset", "protocol", "val", "train", "params", "wall_seconds",
                "n_folds", "command"} <= set(row)
        assert row["kind"] == "harness" and row["n_folds"] == 2 and row["n_repeats"] == 2
        assert row["params"]["learning_rate"] == 0.01
        assert row["command"].startswith("tserbench run")
        assert row["wall_seconds"] > 0 and row["run_wall_seconds"] == 12.5
        assert set(row["val"]) == {"r2", "rmse", "mae", "medae", "wrmse", "wmae"}
        assert row["val"]["wrmse"]["from"] == "jobs" and row["val"]["rmse"]["from"] == "oof"
        lines = (out / "oof" / f"{row['model']}.csv").read_text().splitlines()
        assert lines[0] == OOF_HEADER and len(lines) == 1 + 2 * 60
    csv = pd.read_csv(out / "leaderboard.csv")
    assert list(csv["model"]) == models and csv["rank"].tolist() == [1, 2, 3]
    md = (out / "leaderboard.md").read_text()
    assert md.index("| 1 | gru |") < md.index("| 2 | lstm |") < md.index("| 3 | fcn |")
    assert "M24" not in md  # no Dékány/M24 baselines off the DG22 dataset


def test_metrics_recomputable_from_oof_alone(synthetic_lb):
    _, path = synthetic_lb
    doc = json.loads(path.read_text())
    for row in doc["rows"]:
        oof = pd.read_csv(path.parent / "oof" / f"{row['model']}.csv", dtype={"source_id": "int64"})
        pooled = [_sk_metrics(g.y_true, g.y_pred) for _, g in oof.groupby("repeat")]
        folds = [_sk_metrics(g.y_true, g.y_pred) for _, g in oof.groupby(["repeat", "fold"])]
        checked = 0
        for name, m in row["val"].items():
            if m["from"] != "oof":
                continue
            assert m["value"] == pytest.approx(np.mean([p[name] for p in pooled]), abs=1e-12)
            assert m["pooled"] == m["value"]
            assert m["mean"] == pytest.approx(np.mean([f[name] for f in folds]), abs=1e-12)
            assert m["std"] == pytest.approx(np.std([f[name] for f in folds], ddof=1), abs=1e-12)
            checked += 1
        assert checked == 4


def test_oof_ids_are_exact_int64(synthetic_lb):
    res, path = synthetic_lb
    src = pd.read_csv(res / "gru" / "r0_f0.oof.csv", dtype=str)["source_id"]
    out = (path.parent / "oof" / "gru.csv").read_text()
    assert int(src.iloc[0]) > 2**53
    assert all(s in out for s in src)


def test_results_dir_without_run_json_is_a_clear_error(tmp_path):
    (tmp_path / "gru").mkdir()
    with pytest.raises(DataError, match="run.json"):
        build_leaderboard(tmp_path, tmp_path / "out")
    with pytest.raises(DataError, match="not found"):
        build_leaderboard(tmp_path / "nope", tmp_path / "out")


def test_paired_comparison_signs_and_fold_check():
    rng = np.random.default_rng(3)
    n, k = 200, 8
    ids = np.arange(n, dtype="int64") + 10**18
    folds = np.arange(n) % k
    y = rng.normal(-1.5, 0.4, n)
    ref = pd.DataFrame({"source_id": ids, "repeat": 0, "fold": folds, "y_true": y, "y_pred": y + rng.normal(0, .1, n)})
    worse = ref.assign(y_pred=ref.y_pred + rng.normal(0, 0.2, n))
    pc = paired_comparison(worse, ref, reference="ref")
    assert pc["comparable"] and pc["n_folds"] == k
    assert pc["rmse"]["mean_diff"] > 0 and pc["rmse"]["n_better"] <= 1
    assert pc["rmse"]["wilcoxon_p"] < 0.05 and pc["rmse"]["ttest_p"] < 0.05
    same = paired_comparison(ref, ref, reference="ref")
    assert same["rmse"]["mean_diff"] == 0 and same["rmse"]["wilcoxon_p"] is None
    shuffled = worse.assign(fold=rng.permutation(folds))
    assert not paired_comparison(shuffled, ref, reference="ref")["comparable"]
    partial = worse[~((worse.fold == 0) & (np.arange(n) < 50))]
    assert "incomplete" in paired_comparison(partial, ref, reference="ref")["reason"]


def test_dg22_baselines_with_fake_published_files(tmp_path):
    pub = _write_fake_dg22(tmp_path / "home")
    res = make_fake_results(tmp_path / "res", models={"dg22-bilstm2p": 0.05}, dataset="rrab-gaia-dg22",
                            source_id=pub.source_id, folds=pub.fold, y_true=pub.y_true, base_pred=pub.y_pred)
    path = build_leaderboard(res, tmp_path / "out", data_home=tmp_path / "home")
    doc = json.loads(path.read_text())
    by = {r["model"]: r for r in doc["rows"]}
    kinds = [r["kind"] for r in doc["rows"]]
    assert kinds.count("harness") == 1 and kinds.count("published-oof") == 1
    assert kinds.count("paper-reported") == 1 + 9
    h, p = by["dg22-bilstm2p"], by[baselines.PUBLISHED_MODEL]
    assert p["val"]["rmse"]["value"] == pytest.approx(_sk_metrics(pub.y_true, pub.y_pred)["rmse"], abs=1e-12)
    # DG22's predictions were selected on the test folds: listed, labelled, never ranked (although
    # here they are better: the harness row is the published predictions plus noise)
    assert h["rank"] == 1 and h["selection"] == "inner"
    assert p["rank"] is None and p["selection"] == "held-out"
    assert [r["model"] for r in doc["rows"]][:2] == ["dg22-bilstm2p", baselines.PUBLISHED_MODEL]
    assert all(r["selection"] == "held-out" for r in doc["rows"] if r["kind"] == "paper-reported")
    pc = h["paired_vs_published"]
    assert pc["comparable"] and pc["n_folds"] == 4 and pc["rmse"]["mean_diff"] > 0
    assert set(p["train"]) >= {"r2", "rmse", "mae"} and p["train"]["rmse"]["n"] == 4
    # published predictions are copied verbatim, ids exact
    txt = (path.parent / "oof" / "dg22-published.csv").read_text().splitlines()
    assert txt[0] == OOF_HEADER and txt[1].startswith("5900000000000000001,0,0,")
    m24 = [r for r in doc["rows"] if r["dataset"] == baselines.M24_DATASET]
    assert len(m24) == 9 and all(r["rank"] is None and r["note"] == "another data set, not comparable"
                                 for r in m24)
    quoted = {(q.model, q.split): q for q in baselines.QUOTED}
    for r in doc["rows"]:
        if r["kind"] == "paper-reported":
            for split in ("val", "train"):
                if r[split]:
                    assert r[split]["rmse"]["value"] == quoted[(r["model"], split)].rmse
    md = (path.parent / "leaderboard.md").read_text()
    ranking, rest = md.split("## M24 Table A1")
    assert "M24 GRU" not in ranking and "M24 GRU" in rest and "not comparable" in rest
    assert "Wilcoxon" in md
    html = (path.parent / "leaderboard.html").read_text()
    assert "M24 Table A1" in html and "dg22-published" in html
    # the published predictions are optimistic (selected on the test folds): both renderings say so,
    # in one wording, and never call beating them a low bar
    from tserbench.leaderboard._cells import PUBLISHED_SELECTION_NOTE

    assert "flatters them" in PUBLISHED_SELECTION_NOTE
    assert PUBLISHED_SELECTION_NOTE in md and PUBLISHED_SELECTION_NOTE.replace("'", "&#x27;") in html
    assert "low bar" not in md + html


def test_dg22_missing_files_leave_a_note(tmp_path):
    res = make_fake_results(tmp_path / "res", models={"gru": 0.1}, dataset="rrab-gaia-dg22", n_stars=40)
    with pytest.warns(UserWarning, match="published OOF row left out"):
        lb = collect(res, data_home=tmp_path / "empty")
    assert any("left out" in n for n in lb.doc["notes"])
    assert [r["kind"] for r in lb.rows].count("paper-reported") == 10


def main(argv, monkeypatch):
    """tserbench.cli.main with only this package's commands (the others are not ours to test)."""
    monkeypatch.setattr(tserbench.cli, "COMMAND_MODULES", ("tserbench.leaderboard._cli",))
    return tserbench.cli.main(argv)


def test_cli_leaderboard_prints_summary(tmp_path, capsys, monkeypatch):
    res = make_fake_results(tmp_path / "res", models={"gru": 0.1}, n_stars=40, n_folds=2, history=False)
    assert main(["leaderboard", str(res), "-o", str(tmp_path / "lb" / "demo")], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "gru" in out and "val RMSE" in out
    doc = json.loads((tmp_path / "lb" / "demo" / "leaderboard.json").read_text())
    assert doc["name"] == "demo"
    assert doc["generated_by"] == f"tserbench leaderboard {res} -o {tmp_path / 'lb' / 'demo'}"
    assert main(["leaderboard", str(tmp_path / "missing"), "-o", str(tmp_path / "x")], monkeypatch) == 2
    assert "results folder not found" in capsys.readouterr().err


# --------------------------------------------------------------------------- real data
DG22_PUBLISHED = {"rmse": 0.1784, "mae": 0.1347, "r2": 0.8597, "medae": 0.1049}


def _real_home() -> Path:
    home = os.environ.get("TSERBENCH_DATA")
    if not home:
        pytest.skip("TSERBENCH_DATA not set / DG22 files missing")
    folder = Path(home) / baselines.DG22_DIR
    if not (folder / baselines.DG22_VAL_FILE).exists() or not (folder / baselines.DG22_TRAIN_FILE).exists():
        pytest.skip("TSERBENCH_DATA not set / DG22 files missing")
    return Path(home)


@pytest.mark.realdata
def test_published_oof_reproduces_dg22_figures():
    home = _real_home()
    row, oof = baselines.dg22_published_row(home)
    assert len(oof) == 4458 and oof["source_id"].dtype == np.int64 and row["n_folds"] == 10
    # ids exactly as in the file's text (the file is read as strings, not via float)
    first = (home / baselines.DG22_DIR / baselines.DG22_VAL_FILE).read_text().split(None, 1)[0]
    assert oof["source_id"].iloc[0] == int(first)
    direct = _sk_metrics(oof.y_true, oof.y_pred)
    for name, published in DG22_PUBLISHED.items():
        assert row["val"][name]["value"] == pytest.approx(published, abs=5e-5), name
        assert direct[name] == pytest.approx(published, abs=5e-5), name
    per_fold = [_sk_metrics(g.y_true, g.y_pred)["rmse"] for _, g in oof.groupby("fold")]
    assert row["val"]["rmse"]["mean"] == pytest.approx(np.mean(per_fold), abs=1e-12)
    assert row["train"]["rmse"]["n"] == 10
    assert 0.1 < row["train"]["rmse"]["value"] < row["val"]["rmse"]["value"]


@pytest.mark.realdata
def test_harness_on_dg22_folds_is_paired_with_published(tmp_path):
    home = _real_home()
    _, pub = baselines.dg22_published_row(home)
    res = make_fake_results(tmp_path / "res", models={"dg22-bilstm2p": 0.03}, dataset="rrab-gaia-dg22",
                            source_id=pub.source_id, folds=pub.fold, y_true=pub.y_true, base_pred=pub.y_pred,
                            history=False)
    lb = collect(res, data_home=home)
    h = next(r for r in lb.rows if r["kind"] == "harness")
    pc = h["paired_vs_published"]
    assert pc["comparable"] and pc["n_folds"] == 10 and pc["folds"] == list(range(10))
    assert pc["rmse"]["mean_diff"] > 0 and 0 < pc["rmse"]["wilcoxon_p"] < 0.05


def test_reads_the_real_runners_store(tmp_path):
    """Contract check against tserbench.evaluation's runner (cheap dummy model, tiny data)."""
    from tserbench.evaluation import run_benchmark

    out = run_benchmark("rrab-synthetic", ["sktime.regression.dummy.DummyRegressor"], variant="full",
                        folds="2x1", random_state=0, out=tmp_path / "res", progress=False,
                        dataset_params={"n_stars": 40}, command="tserbench run (test)")
    lb = collect(out)
    (row,) = lb.rows
    assert row["kind"] == "harness" and row["n_folds"] == 2 and row["n_predictions"] == 40
    assert row["command"] == "tserbench run (test)" and row["run_wall_seconds"] > 0
    oof = lb.oof[row["model"]]
    assert row["val"]["rmse"]["value"] == pytest.approx(_sk_metrics(oof.y_true, oof.y_pred)["rmse"], abs=1e-12)
    assert {"r2", "rmse", "mae"} <= set(row["train"])
    assert lb.doc["dataset_params"] == {"n_stars": 40}


def test_row_command_is_the_latest_one_that_ran_the_model():
    """A store resumed with more --models: each row names a command that includes it."""
    from tserbench.leaderboard._rows import _command

    run = {
        "command": "tserbench run --dataset d --models a,b --out r",
        "resumed_by": [
            {"command": "tserbench run --dataset d --models a,b,c --out r", "started": "t1"},
            {"command": "tserbench run --dataset d --models=a,b,c,d --out r", "started": "t2"},
            {"command": "notebook", "started": "t3"},
        ],
    }
    assert _command(run, "c") == "tserbench run --dataset d --models=a,b,c,d --out r"
    assert _command(run, "d") == "tserbench run --dataset d --models=a,b,c,d --out r"
    assert _command(run, "zzz") == run["command"]  # not found: the command that started the run
    assert _command({"command": "-"}, "a") is None


def test_a_model_with_unfinished_folds_is_left_out_with_a_note(tmp_path):
    """A half-finished model would be ranked on a subset of the stars: it is not ranked."""
    res = make_fake_results(tmp_path / "res", models={"gru": 0.12, "fcn": 0.3}, n_stars=60, n_folds=3)
    run = json.loads((res / "run.json").read_text())
    run["n_splits"] = 3
    (res / "run.json").write_text(json.dumps(run))
    (res / "fcn" / "r0_f2.json").unlink()  # the done marker of one fcn job
    with pytest.warns(UserWarning, match="fcn left out: 2 of 3 folds"):
        out = build_leaderboard(res, tmp_path / "out")
    doc = json.loads(out.read_text())
    assert [r["model"] for r in doc["rows"] if r["kind"] == "harness"] == ["gru"]
    assert any("fcn left out" in n for n in doc["notes"])
    assert "fcn left out" in (out.parent / "leaderboard.md").read_text()


def test_stores_of_two_variants_share_one_leaderboard(tmp_path, monkeypatch):
    from tserbench.exceptions import ConfigError

    rng = np.random.default_rng(5)
    n = 80
    kw = dict(source_id=np.int64(5_900_000_000_000_000_000) + np.arange(n), folds=np.arange(n) % 4,
              y_true=rng.normal(-1.5, 0.45, n), history=False)
    full = make_fake_results(tmp_path / "full", models={"gru": 0.2, "fcn": 0.25}, **kw)
    raw = make_fake_results(tmp_path / "raw", models={"gru": 0.15, "dg22-bilstm2p": 0.1}, variant="raw", **kw)
    doc = collect([full, raw]).doc
    by = {r["model"]: r for r in doc["rows"]}
    assert set(by) == {"gru", "fcn", "gru@raw", "dg22-bilstm2p@raw"}
    assert by["gru@raw"]["variant"] == "raw" and by["gru@raw"]["base_model"] == "gru"
    assert doc["variants"] == ["full", "raw"] and len(doc["runs"]) == 2
    # the inner-selected DG22 retrain is the honest reference of every other row
    assert doc["honest_reference"] == "dg22-bilstm2p@raw"
    assert by["gru"]["paired_vs_honest"]["comparable"] and "paired_vs_honest" not in by["dg22-bilstm2p@raw"]
    out = tmp_path / "board"
    assert main(["leaderboard", str(full), str(raw), "-o", str(out)], monkeypatch) == 0
    assert (out / "oof" / "gru@raw.csv").is_file()
    assert "honest DG22 retrain (dg22-bilstm2p@raw)" in (out / "leaderboard.md").read_text()
    other = make_fake_results(tmp_path / "other", models={"gru": 0.2}, seed=3, **kw)
    with pytest.raises(ConfigError, match="cannot share a leaderboard"):
        collect([full, other])


def test_rows_are_flagged_for_budget_caps_and_for_losing_to_the_mean_predictor(tmp_path):
    from tserbench.evaluation import ResultStore

    res = make_fake_results(tmp_path / "res", models={"gru": 0.1, "broken": 2.0}, n_stars=80, n_folds=4,
                            history=False)
    store = ResultStore(res)
    job = store.read_jobs("gru")[0]
    oof = store.read_oof("gru")
    store.write_job("gru", job["repeat"], job["fold"], {**job, "stop_reason": "cap"},
                    oof[(oof["repeat"] == job["repeat"]) & (oof["fold"] == job["fold"])])
    doc = collect(res).doc
    by = {r["model"]: r for r in doc["rows"]}
    assert by["gru"]["folds_at_cap"] == 1 and by["gru"]["folds_worse_than_mean"] == 0
    assert by["gru"]["flags"] == ["1 of 4 folds stopped at the budget cap (not converged)"]
    assert by["broken"]["folds_worse_than_mean"] == 4 and by["broken"]["folds_at_cap"] == 0
    assert by["gru"]["folds_stop_unknown"] == 0
    from tserbench.leaderboard import _render
    from tserbench.leaderboard._build import Leaderboard

    md = _render.to_markdown(Leaderboard(doc=doc))
    assert "## Flags" in md and "cap 1/4" in md and "≤ mean 4/4" in md


def test_an_oof_file_that_lost_lines_is_refused_and_stale_temp_files_are_removed(tmp_path):
    from tserbench.evaluation import ResultStore, run_benchmark
    from tserbench.exceptions import DataError

    out = run_benchmark("rrab-synthetic", ["fourier-linear"], dataset_params={"n_stars": 40}, folds="2x1",
                        progress=False, out=tmp_path / "r")
    store = ResultStore(out)
    csv = store.job_path("fourier-linear", 0, 1, ".oof.csv")
    csv.write_text("\n".join(csv.read_text().splitlines()[:-3]) + "\n")
    with pytest.raises(DataError, match="17 out-of-fold predictions for 20 validation stars"):
        collect(out)
    stale = out / "fourier-linear" / ".r0_f1.json.abc.tmp"
    stale.write_text("{")
    run_benchmark("rrab-synthetic", ["fourier-linear"], dataset_params={"n_stars": 40}, folds="2x1",
                  progress=False, out=out)
    assert not stale.exists()


def test_a_committed_board_is_carried_onto_a_new_one(tmp_path, monkeypatch):
    """A board whose store is gone can be rebuilt beside a new store: its rows recomputed from their OOF files."""
    rng = np.random.default_rng(7)
    n = 80
    kw = dict(source_id=np.int64(5_900_000_000_000_000_000) + np.arange(n), folds=np.arange(n) % 4,
              y_true=rng.normal(-1.5, 0.45, n), history=False)
    full = make_fake_results(tmp_path / "full", models={"gru": 0.2, "fcn": 0.25}, **kw)
    old = build_leaderboard(full, tmp_path / "board")
    old_doc = json.loads(old.read_text())
    for row in old_doc["rows"]:  # a board written before rows recorded their selection
        row.pop("selection", None)
    old.write_text(json.dumps(old_doc))
    import shutil

    shutil.rmtree(full)  # the store behind the committed board is gone
    raw = make_fake_results(tmp_path / "raw", models={"dg22-bilstm2p": 0.1}, variant="raw", **kw)
    board = tmp_path / "board"
    committed = (board / "oof" / "gru.csv").read_bytes()
    assert main(["leaderboard", str(board), str(raw), "-o", str(board)], monkeypatch) == 0
    assert (board / "oof" / "gru.csv").read_bytes() == committed  # carried OOF files are rewritten byte for byte
    doc = json.loads((board / "leaderboard.json").read_text())
    by = {r["model"]: r for r in doc["rows"]}
    assert set(by) == {"gru", "fcn", "dg22-bilstm2p@raw"}
    before = {r["model"]: r for r in old_doc["rows"]}
    for name in ("gru", "fcn"):
        assert by[name]["val"]["rmse"]["value"] == pytest.approx(before[name]["val"]["rmse"]["value"])
        assert by[name]["selection"] == "inner" and by[name]["carried_from"] == str(board)
        assert by[name]["params"] == before[name]["params"] and by[name]["command"] == before[name]["command"]
        assert by[name]["paired_vs_honest"]["comparable"]
    assert doc["honest_reference"] == "dg22-bilstm2p@raw"
    assert any("carried from the committed leaderboard" in note for note in doc["notes"])
    # the same command again gives the same rows: the store replaces the board's copy of its own rows
    assert main(["leaderboard", str(board), str(raw), "-o", str(board)], monkeypatch) == 0
    again = {r["model"]: r for r in json.loads((board / "leaderboard.json").read_text())["rows"]}
    assert {m: r["val"]["rmse"]["value"] for m, r in again.items()} == {m: r["val"]["rmse"]["value"] for m, r in by.items()}
    assert again["dg22-bilstm2p@raw"].get("carried_from") is None
    # a damaged OOF file of a carried row is refused, naming the file
    (board / "oof" / "fcn.csv").write_text(OOF_HEADER + "\n")
    with pytest.raises(DataError, match="fcn"):
        collect([board, raw])


def test_a_job_file_that_is_not_a_record_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    res = make_fake_results(tmp_path / "res", models={"gru": 0.1}, n_stars=40, n_folds=2, history=False)
    (res / "gru" / "r0_f0.json").write_text("[]")
    assert main(["leaderboard", str(res), "-o", str(tmp_path / "lb")], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "r0_f0.json: not a job record" in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_folds_cell_shows_repeats():
    from tserbench.leaderboard._cells import splits_cell

    assert splits_cell({"n_folds": 5, "n_repeats": 2}) == "5×2"  # 10 jobs, not "5"
    assert splits_cell({"n_folds": 10, "n_repeats": 1}) == "10"
    assert splits_cell({"n_folds": 1, "n_repeats": 5}) == "5"  # resamples of one split


def test_a_fold_collapsed_to_a_near_constant_prediction_is_flagged(tmp_path):
    """A network stuck at the training mean can score a hair better than the mean predictor: flag it anyway."""
    from tserbench.evaluation import ResultStore

    res = make_fake_results(tmp_path / "res", models={"lstm": 0.1}, n_stars=80, n_folds=4, history=False)
    store = ResultStore(res)
    job = store.read_jobs("lstm")[0]
    oof = store.read_oof("lstm")
    part = oof[(oof["repeat"] == job["repeat"]) & (oof["fold"] == job["fold"])].copy()
    # almost the mean, with a sliver of the right trend: R² a little above 0, spread 5 % of the targets'
    part["y_pred"] = part["y_true"].mean() + 0.05 * (part["y_true"] - part["y_true"].mean())
    store.write_job("lstm", job["repeat"], job["fold"], job, part)
    row = next(r for r in collect(res).doc["rows"] if r["model"] == "lstm")
    assert row["folds_collapsed"] == 1 and row["folds_worse_than_mean"] == 0
    assert "1 of 4 folds collapsed to a near-constant prediction" in "; ".join(row["flags"])
    from tserbench.leaderboard import _cells

    assert "collapsed 1/4" in _cells.flag_cell(row)


def test_html_commands_wrap_between_names_not_inside_them(synthetic_lb):
    """A long --models list wraps after a comma, never mid-name ("resne / t" on a narrow page)."""
    import re

    html_text = (synthetic_lb[1].parent / "leaderboard.html").read_text()
    codes = re.findall(r"<li>[^<]*: <code>(.*?)</code></li>", html_text)
    assert codes, "no command listed under 'Commands to regenerate'"
    for code in codes:
        assert not re.search(r",(?!<wbr>)", code), code  # every comma is a break opportunity
        assert code.replace("<wbr>", "").startswith("tserbench ")


def test_folds_without_a_recorded_stop_reason_are_flagged_not_passed_as_converged(tmp_path):
    """A store (or a carried row) from before stop reasons were recorded: 'unknown', never a silent 'no cap'."""
    from tserbench.evaluation import ResultStore
    from tserbench.leaderboard._results import _carried_stop_unknown

    res = make_fake_results(tmp_path / "res", models={"gru": 0.1, "ridge": 0.2}, n_stars=60, n_folds=3)
    store = ResultStore(res)
    oof = store.read_oof("gru")
    for job in store.read_jobs("gru")[:2]:  # two folds written by the older code: epochs, no stop reason
        old = {k: v for k, v in job.items() if k not in ("stop_reason", "steps")}
        store.write_job("gru", job["repeat"], job["fold"], old,
                        oof[(oof["repeat"] == job["repeat"]) & (oof["fold"] == job["fold"])])
    for job in store.read_jobs("ridge"):  # a model trained without epochs has no stop to record
        store.write_job("ridge", job["repeat"], job["fold"], {**job, "epochs": None, "stop_reason": None},
                        store.read_oof("ridge").query(f"fold == {job['fold']} and repeat == {job['repeat']}"))
    by = {r["model"]: r for r in collect(res).doc["rows"]}
    assert by["gru"]["folds_stop_unknown"] == 2 and by["gru"]["folds_at_cap"] == 0
    assert any("2 of 3 folds have no recorded stop reason" in f for f in by["gru"]["flags"])
    assert by["ridge"]["folds_stop_unknown"] == 0 and by["ridge"]["flags"] == []
    # a committed row from before the count existed: epochs without steps means nothing was recorded
    assert _carried_stop_unknown({"epochs_mean": 93.3, "steps_mean": None, "n_jobs": 10, "folds_at_cap": 0}) == 10
    assert _carried_stop_unknown({"epochs_mean": 500.0, "steps_mean": 8000.0, "n_jobs": 10}) == 0
    assert _carried_stop_unknown({"epochs_mean": None, "n_jobs": 10}) == 0  # a classical model
    assert _carried_stop_unknown({"folds_stop_unknown": 3, "epochs_mean": 9.0, "n_jobs": 10}) == 3


def test_a_carried_boards_environments_name_each_row_once_by_variant(tmp_path, monkeypatch):
    """Two variants of one model ran in two environments: each row is listed under its own, once, on every rebuild."""
    from tserbench.environment import environment

    rng = np.random.default_rng(3)
    n = 80
    kw = dict(source_id=np.int64(5_900_000_000_000_000_000) + np.arange(n), folds=np.arange(n) % 4,
              y_true=rng.normal(-1.5, 0.45, n), history=False)
    here = environment()
    there = {**here, "python": "3.99.0"}
    full = make_fake_results(tmp_path / "full", models={"gru": 0.2, "dg22-bilstm2p": 0.25}, environment=here, **kw)
    raw = make_fake_results(tmp_path / "raw", models={"dg22-bilstm2p": 0.1}, variant="raw", environment=there, **kw)
    board = tmp_path / "board"
    build_leaderboard([full, raw], board)

    def groups():
        doc = json.loads((board / "leaderboard.json").read_text())
        return {m: g["environment"]["python"] for g in doc["environments"] for m in g["models"]}, doc

    by_row, doc = groups()
    assert by_row == {"gru": here["python"], "dg22-bilstm2p": here["python"], "dg22-bilstm2p@raw": "3.99.0"}
    # a board written before groups named variants: the raw store's group says 'dg22-bilstm2p'
    for g in doc["environments"]:
        g["models"] = [m.split("@", 1)[0] for m in g["models"]]
    (board / "leaderboard.json").write_text(json.dumps(doc))
    import shutil

    shutil.rmtree(full)  # the full store is gone: its rows are carried
    for _ in range(2):  # rebuilt from itself, twice: no group is duplicated or misattributed
        assert main(["leaderboard", str(board), str(raw), "-o", str(board)], monkeypatch) == 0
        by_row, doc = groups()
        assert by_row == {"gru": here["python"], "dg22-bilstm2p": here["python"], "dg22-bilstm2p@raw": "3.99.0"}
        names = [m for g in doc["environments"] for m in g["models"]]
        assert sorted(names) == sorted(set(names))
    md = (board / "leaderboard.md").read_text()
    assert "job(s) of dg22-bilstm2p@raw" in md and "None job" not in md

"""The TSER archive's protocol against its published results (Guijo-Rubio et al. 2024, via tsml-eval)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tserbench.evaluation import ResultStore, run_benchmark
from tserbench.regressors import get_regressor

RESULTS_DIR = "tsml_eval_tser_results"


def _published(dataset: str, regressor: str) -> list[float]:
    """Published test RMSE per resample of ``regressor`` on ``dataset`` (table 5.A.1 of the copy in the data home)."""
    env = os.environ.get("TSERBENCH_DATA")
    if not env:
        pytest.skip("real data: TSERBENCH_DATA not set (CI sets it)")
    f = Path(env) / RESULTS_DIR / "5.A.1" / f"{regressor}_rmse.csv"
    if not f.is_file():
        pytest.skip(f"real data: {f} missing")
    with open(f, newline="") as fh:
        rows = {r[0]: r[1:] for r in csv.reader(fh)}
    return [float(v) for v in rows[dataset]]


@pytest.mark.slow
def test_rocket_on_covid3month_reproduces_the_published_resamples(tmp_path):
    """ROCKET under --folds resamples:N is the archive's experiment: same splits, same seeds, same RMSE."""
    published = _published("Covid3Month", "ROCKET")
    out = run_benchmark("covid3month", [("rocket", get_regressor("rocket"))], folds="resamples:2",
                        out=tmp_path / "o", progress=False)
    store = ResultStore(out)
    assert store.read_run()["protocol"] == "resamples:2"
    jobs = store.read_jobs("rocket")
    assert [(j["repeat"], j["random_state"]) for j in jobs] == [(0, 0), (1, 1)]
    for job in jobs:
        assert job["metrics"]["val"]["rmse"] == pytest.approx(published[job["repeat"]], rel=1e-6)
        assert job["n_train"] == 140 and job["n_val"] == 61
    # the leaderboard shows the published rows beside it, paired resample by resample
    from tserbench.leaderboard import collect

    doc = collect(out, data_home=os.environ["TSERBENCH_DATA"]).doc
    by = {r["model"]: r for r in doc["rows"]}
    pub = by["ROCKET (published)"]
    assert pub["kind"] == "published-resamples" and pub["rank"] is None and pub["resample0"] == published[0]
    assert len([r for r in doc["rows"] if r["kind"] == "published-resamples"]) == 21  # the paper's 21 regressors
    pc = by["rocket"]["paired_vs_archive"]["ROCKET (published)"]
    assert pc["comparable"] and pc["n_folds"] == 2 and pc["rmse"]["mean_diff"] == 0.0
    assert pc["rmse"]["wilcoxon_p"] is None and pc["rmse"]["n_better"] == 0  # equal within 1e-6: no test on noise
    assert pc["spread"]["within"] is True and by["rocket"]["archive_same_regressor"] == "ROCKET (published)"
    from tserbench.leaderboard._cells import archive_cells

    shown = [c[1] for c in archive_cells(doc)]
    assert shown[0] == "ROCKET (published) — same regressor" and shown[1].endswith("— best published")


def test_published_rows_and_pairing_from_a_fake_data_home(tmp_path, monkeypatch):
    """Without the real files: rows from any file of the manifest, the longest experiment wins, pairing by resample."""
    from tserbench.data._manifest import sha256_file
    from tserbench.exceptions import DataError
    from tserbench.leaderboard import archive

    folder = tmp_path / "tsml_eval_tser_results"
    (folder / "5.A.1").mkdir(parents=True)
    (folder / "5.B").mkdir()
    (folder / "5.A.1" / "ROCKET_rmse.csv").write_text("folds:,0,1\nCovid3Month,0.5,0.6\nOther,9,9\n")
    (folder / "5.B" / "ROCKET_rmse.csv").write_text("folds:,0,1,2\nCovid3Month,0.5,0.6,0.7\n")
    (folder / "5.B" / "TSF_rmse.csv").write_text("folds:,0,1,2\nCovid3Month,0.4,0.4,0.4\n")
    files = [{"name": n, "sha256": sha256_file(folder / n)} for n in
             ("5.A.1/ROCKET_rmse.csv", "5.B/ROCKET_rmse.csv", "5.B/TSF_rmse.csv")]
    manifest = {"directory": folder.name, "archive_names": {"covid3month": "Covid3Month"}, "files": files,
                "citation": "Guijo-Rubio et al. 2024", "upstream": {"commit": "b7166541" * 5, "path": "results"}}
    monkeypatch.setattr(archive, "_manifest", lambda: manifest)
    pub = archive.read_published("covid3month", tmp_path)
    assert pub["ROCKET"]["experiment"] == "5.B" and pub["ROCKET"]["rmse"] == [0.5, 0.6, 0.7]
    assert archive.published_rows("rrab-synthetic", "resamples:2", tmp_path) == []
    assert archive.published_rows("covid3month", "5x1", tmp_path) == []
    rows = {r["model"]: r for r in archive.published_rows("covid3month", "resamples:2", tmp_path)}
    assert rows["ROCKET (published)"]["val"]["rmse"]["value"] == pytest.approx(0.55)
    assert rows["TSF (published)"]["resample0"] == 0.4
    oof = pd.DataFrame({"source_id": np.arange(4), "repeat": [0, 0, 1, 1], "fold": 0,
                        "y_true": [0.0, 0.0, 0.0, 0.0], "y_pred": [0.4, -0.4, 0.5, 0.5]})
    pc = archive.paired_by_resample(archive.resample_rmse(oof), pub["ROCKET"]["rmse"], reference="ROCKET")
    assert pc["comparable"] and pc["rmse"]["diff"] == pytest.approx([-0.1, -0.1]) and pc["rmse"]["n_better"] == 2
    # mean 0.45 against published 0.55 ± 2 x 0.0707: inside; a row at 0.8 is not
    assert pc["spread"]["within"] is True and pc["spread"]["published_sd"] == pytest.approx(0.0707107, abs=1e-6)
    far = archive.within_spread([0.8, 0.8], [0.5, 0.6])
    assert far["within"] is False and far["high"] == pytest.approx(0.55 + 2 * 0.0707107, abs=1e-6)
    assert archive.within_spread([0.5], [0.5])["within"] is None  # one resample: no spread
    # a published file that was changed is refused, naming it
    (folder / "5.B" / "TSF_rmse.csv").write_text("folds:,0,1,2\nCovid3Month,0.1,0.1,0.1\n")
    with pytest.raises(DataError, match="TSF_rmse.csv"):
        archive.read_published("covid3month", tmp_path)

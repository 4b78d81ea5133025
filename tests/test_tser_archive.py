"""The TSER archive's protocol against its published results (Guijo-Rubio et al. 2024, via tsml-eval)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

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

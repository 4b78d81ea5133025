"""The runner on a dask.distributed cluster gives the same results as a serial run."""

from __future__ import annotations

import os

import pytest

from tserbench.evaluation import ResultStore, run_benchmark
from tserbench.exceptions import ConfigError

distributed = pytest.importorskip("distributed")

# the fakes of test_runner: workers import them by module name (pytest puts tests/ on sys.path,
# and dask's worker processes inherit it)
from test_runner import NoisyLinearRegressor, PanelDataset  # noqa: E402


def _metrics(out, model):
    return {(j["repeat"], j["fold"]): j["metrics"] for j in ResultStore(out).read_jobs(model)}


def test_dask_cluster_matches_serial(tmp_path):
    # a real registry model on the synthetic set, plus a fake whose fit depends on its seed
    ds = "rrab-synthetic"
    dp = {"n_stars": 60}
    models = ["fourier-gb", ("lin", NoisyLinearRegressor(noise=0.3))]
    kw = dict(folds="3x2", random_state=11, dataset_params=dp, progress=False)
    serial = run_benchmark(ds, models, out=tmp_path / "serial", **kw)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster:
        out = run_benchmark(ds, models, out=tmp_path / "dask", scheduler=cluster.scheduler_address, **kw)
    for model in ("fourier-gb", "lin"):
        assert len(ResultStore(out).read_jobs(model)) == 6
        assert _metrics(out, model) == _metrics(serial, model)
        assert ResultStore(out).read_oof(model).equals(ResultStore(serial).read_oof(model))
    pids = {j["pid"] for m in ("fourier-gb", "lin") for j in ResultStore(out).read_jobs(m)}
    assert os.getpid() not in pids  # the jobs ran on the workers
    assert ResultStore(out).read_run()["protocol"] == "3x2"


def test_unreachable_scheduler_is_a_config_error(tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), pytest.raises(ConfigError, match="cannot connect to the dask scheduler"):
        run_benchmark(PanelDataset(), [("lin", NoisyLinearRegressor())], out=tmp_path / "o", progress=False,
                      scheduler="tcp://127.0.0.1:9")

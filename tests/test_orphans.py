"""SIGKILL of a parallel run leaves no worker process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

psutil = pytest.importorskip("psutil")

SLOW = '''
import time
import numpy as np
from sktime.regression.base import BaseRegressor


class SlowRegressor(BaseRegressor):
    """Sleeps in fit: a job that is still running when its run is killed."""

    _tags = {"X_inner_mtype": "numpy3D", "capability:multivariate": True}

    def __init__(self, seconds=60.0):
        self.seconds = seconds
        super().__init__()

    def _fit(self, X, y):
        time.sleep(self.seconds)
        return self

    def _predict(self, X):
        return np.zeros(len(X))
'''


@pytest.mark.slow
def test_sigkill_of_a_parallel_run_leaves_no_worker(tmp_path):
    (tmp_path / "slowmod.py").write_text(SLOW)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "tserbench.cli", "run", "--dataset", "rrab-synthetic", "--dataset-param",
           "n_stars=40", "--folds", "4x1", "--models", "slowmod.SlowRegressor", "--n-jobs", "2", "--quiet",
           "--no-leaderboard", "--out", str(tmp_path / "r")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    workers = []
    while time.monotonic() < deadline and len(workers) < 2:  # wait until both workers run a job
        time.sleep(0.5)
        workers = [c for c in parent.children(recursive=True) if "loky" in " ".join(c.cmdline())]
    assert len(workers) >= 2, "the workers never started"
    time.sleep(3)  # they have picked up their jobs (and started watching the run)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    gone, alive = psutil.wait_procs(workers, timeout=10)
    for p in alive:  # do not leave them to the next test
        p.kill()
    assert not alive, f"{len(alive)} worker(s) outlived the run by 10 s"

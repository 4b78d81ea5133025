"""Two workers sharing one PostgreSQL server finish exactly N trials between them.

Needs a real server: ``TSERBENCH_PG_URL`` (``.ci/postgres.sh start`` prints it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import optuna
import pytest

pytestmark = pytest.mark.postgres

PG_URL = os.environ.get("TSERBENCH_PG_URL")

# Each worker waits at its first fit until both workers hold a RUNNING trial,
# so the test proves that the two processes share the study (not that one of
# them happened to finish everything before the other started).
WORKER = r"""
import json, os, pathlib, sys, time
import tserbench.tuning.objective as objective

barrier = pathlib.Path(os.environ["TUNING_TEST_BARRIER"])
_orig = objective._fit_predict
waited = [False]

def _fit_predict(*args):
    if not waited[0]:
        waited[0] = True
        (barrier / str(os.getpid())).touch()
        deadline = time.monotonic() + 120
        while len(list(barrier.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    return _orig(*args)

objective._fit_predict = _fit_predict
from tserbench.tuning import tune
tune(**json.loads(sys.argv[1]))
"""

N_TRIALS = 6


@pytest.mark.skipif(not PG_URL, reason="TSERBENCH_PG_URL not set (start a server with `eval \"$(.ci/postgres.sh start)\"`)")
def test_two_workers_share_one_postgres_study(tmp_path):
    study_name = f"pg-{uuid.uuid4().hex[:12]}"
    config = {
        "dataset": "rrab-synthetic",
        "model": "fourier-gb",
        "n_trials": N_TRIALS,
        "storage": PG_URL,
        "study_name": study_name,
        "dataset_params": {"n_stars": 200, "random_state": 3},
        "folds": "5x1",
        "sampler": "tpe",
        "pruner": "median",
        "heartbeat_interval": 2,
        "poll_interval": 0.5,
        "progress": False,
    }
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "TUNING_TEST_BARRIER": str(barrier)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(config)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 540
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            if any(p.returncode not in (None, 0) for p in procs):
                break  # one worker failed: do not wait for the other at the barrier
            time.sleep(0.5)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc in procs:
        _out, err = proc.communicate()
        assert proc.returncode == 0, err[-3000:]

    study = optuna.load_study(study_name=study_name, storage=PG_URL)
    trials = study.get_trials()
    finished = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == N_TRIALS
    assert not [t for t in trials if t.state.name in ("RUNNING", "WAITING")]
    workers = {t.user_attrs["worker"] for t in finished}
    assert len(workers) == 2, workers
    assert {w.rsplit(":", 1)[1] for w in workers} == {str(p.pid) for p in procs}
    # surplus trials (a lost race for the last slot) are the only failures allowed
    assert all(t.user_attrs.get("surplus") for t in trials if t.state.name == "FAIL")
    assert len({json.dumps(t.params, sort_keys=True) for t in finished}) == N_TRIALS

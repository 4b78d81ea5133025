"""A worker killed with SIGKILL in the middle of a trial: the study still ends with exactly N trials.

The worker runs in a subprocess whose ``_fit_predict`` hangs at a chosen call
after writing a marker file, so the test kills it while a trial is RUNNING
(with one intermediate value already reported).  A second run of the same
study must fail the stale trial (heartbeat 1 s, grace 2 s), re-run it with the
same parameters and stop at exactly N finished trials.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna

from tserbench.tuning import tune

WORKER = r"""
import json, os, pathlib, sys, time
import tserbench.tuning.objective as objective

marker = pathlib.Path(os.environ["TUNING_TEST_MARKER"])
hang_at = int(os.environ["TUNING_TEST_HANG_AT_CALL"])
_orig = objective._fit_predict
calls = [0]

def _fit_predict(*args):
    calls[0] += 1
    if calls[0] == hang_at:
        marker.write_text(str(os.getpid()))
        time.sleep(3600)  # killed here
    return _orig(*args)

objective._fit_predict = _fit_predict
from tserbench.tuning import tune
tune(**json.loads(sys.argv[1]))
"""

N_TRIALS = 4


def _config(tmp_path) -> dict:
    return {
        "dataset": "rrab-synthetic",
        "model": "fourier-gb",
        "n_trials": N_TRIALS,
        "storage": f"sqlite:///{tmp_path / 'optuna.db'}",
        "study_name": "crash",
        "dataset_params": {"n_stars": 200, "random_state": 3},
        "folds": "5x1",
        "sampler": "random",
        "pruner": "none",
        "heartbeat_interval": 1,
        "grace_period": 2,
        "poll_interval": 0.5,
        "progress": False,
    }


def _wait_for(path, proc, timeout=300.0):
    start = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"worker exited ({proc.returncode}) before hanging:\n{err[-3000:]}")
        if time.monotonic() - start > timeout:
            proc.kill()
            raise AssertionError("worker never reached the hanging call")
        time.sleep(0.2)


def test_sigkill_mid_trial_then_resume_gives_exactly_n_trials(tmp_path):
    config = _config(tmp_path)
    marker = tmp_path / "hanging"
    env = {
        **os.environ,
        "TUNING_TEST_MARKER": str(marker),
        # 3 inner folds per trial: call 5 is the 2nd fold of the 2nd trial
        "TUNING_TEST_HANG_AT_CALL": "5",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, json.dumps(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(marker, proc)
        assert int(marker.read_text()) == proc.pid
        study = optuna.load_study(study_name="crash", storage=config["storage"])
        running = [t for t in study.get_trials() if t.state.name == "RUNNING"]
        assert len(running) == 1
        killed = running[0]
        assert killed.intermediate_values == {0: killed.intermediate_values[0]}  # mid-trial, after fold 0
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    study = tune(**config)  # resume in this process

    trials = study.get_trials()
    states = [t.state.name for t in trials]
    finished = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == N_TRIALS
    assert "RUNNING" not in states and "WAITING" not in states
    assert [t.number for t in trials if t.state.name == "FAIL"] == [killed.number]
    # the killed trial was re-run once, with its parameters; nothing else was retried
    retries = [t for t in finished if t.system_attrs.get("failed_trial") is not None]
    assert [t.system_attrs["failed_trial"] for t in retries] == [killed.number]
    assert retries[0].params == killed.params
    # a second resume finds the budget spent and adds nothing
    again = tune(**config)
    assert len(again.get_trials()) == len(trials)

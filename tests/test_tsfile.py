"""Any dataset by path: a ``Name_TRAIN.ts`` / ``Name_TEST.ts`` pair runs end to end from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tserbench.cli import main
from tserbench.datasets import TSFileDataset
from tserbench.evaluation import ResultStore
from tserbench.evaluation.data import load_benchmark_data


def write_ts(path: Path, X: np.ndarray, y: np.ndarray, name: str) -> Path:
    """Write a univariate equal-length regression ``.ts`` file (the archive's format)."""
    lines = [f"@problemName {name}", "@timeStamps false", "@missing false", "@univariate true",
             "@equalLength true", f"@seriesLength {X.shape[1]}", "@targetlabel true", "@data"]
    lines += [",".join(repr(float(v)) for v in x) + f":{float(t)!r}" for x, t in zip(X, y)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def toy_pair(tmp_path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(36, 24))
    y = 2.0 * X[:, :4].mean(axis=1) + 5.0 + 0.05 * rng.normal(size=36)
    write_ts(tmp_path / "Toy_TRAIN.ts", X[:24], y[:24], "Toy")
    write_ts(tmp_path / "Toy_TEST.ts", X[24:], y[24:], "Toy")
    return tmp_path / "Toy_TRAIN.ts", X, y


def test_a_ts_pair_is_a_dataset_with_its_fixed_split(toy_pair):
    path, X, y = toy_pair
    ds = TSFileDataset(path)
    assert ds.get_tag("name") == "Toy"
    X_train, y_test = ds.load("X_train", "y_test")
    assert X_train.shape == (24, 1, 24)
    np.testing.assert_allclose(y_test, y[24:])
    data = load_benchmark_data(str(path))
    assert data.name == "Toy" and data.variant is None
    np.testing.assert_allclose(data.X[:, 0, :], X)
    assert data.test_mask.tolist() == [False] * 24 + [True] * 12


def test_a_ts_pair_runs_end_to_end_from_the_cli(toy_pair, tmp_path, capsys):
    path, _, _ = toy_pair
    out = tmp_path / "out"
    argv = ["run", "--dataset", str(path), "--folds", "resamples:2", "--models", "fourier-linear",
            "--out", str(out), "--n-jobs", "1", "--quiet"]
    assert main(argv) == 0
    store = ResultStore(out)
    run = store.read_run()
    assert run["dataset"] == "Toy" and run["protocol"] == "resamples:2"
    jobs = store.read_jobs("fourier-linear")
    assert sorted(j["repeat"] for j in jobs) == [0, 1]
    assert all(j["n_val"] == 12 for j in jobs)
    board = json.loads((out / "leaderboard" / "leaderboard.json").read_text())
    assert [r["model"] for r in board["rows"] if r["kind"] == "harness"] == ["fourier-linear"]
    assert main(argv) == 0  # resumed: the same dataset by the same path


def test_a_missing_partner_or_a_bad_file_is_a_one_line_error(tmp_path, capsys):
    write_ts(tmp_path / "Lone_TRAIN.ts", np.zeros((3, 5)), np.ones(3), "Lone")
    assert main(["run", "--dataset", str(tmp_path / "Lone_TRAIN.ts"), "--models", "fourier-linear",
                 "--out", str(tmp_path / "o1"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Lone_TEST.ts" in err and "no such .ts file" in err and "Traceback" not in err
    (tmp_path / "Bad_TRAIN.ts").write_text("@problemName Bad\n@data\n1,2,x:y\n")
    (tmp_path / "Bad_TEST.ts").write_text("@problemName Bad\n@data\n1,2,3:4\n")
    assert main(["run", "--dataset", str(tmp_path / "Bad_TRAIN.ts"), "--models", "fourier-linear",
                 "--out", str(tmp_path / "o2"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Bad_TRAIN.ts" in err and "Traceback" not in err

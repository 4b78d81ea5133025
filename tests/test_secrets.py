"""Credentials never leave the process: storage passwords are masked in messages and records."""

from __future__ import annotations

import json

from tserbench._secrets import mask_secrets
from tserbench.cli import main

URL = "postgresql+psycopg2://ann:s3cret@127.0.0.1:1/optuna"


def test_mask_secrets_hides_only_the_password():
    assert mask_secrets(f"--storage '{URL}'") == "--storage 'postgresql+psycopg2://ann:***@127.0.0.1:1/optuna'"
    assert mask_secrets("sqlite:///x.db and https://host/path") == "sqlite:///x.db and https://host/path"
    assert mask_secrets(f"{URL}:study") == "postgresql+psycopg2://ann:***@127.0.0.1:1/optuna:study"


def test_errors_of_tune_and_run_never_print_the_password(capsys):
    assert main(["tune", "--dataset", "rrab-synthetic", "--model", "fourier-linear", "--n-trials", "1",
                 "--storage", URL]) == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err and "ann:***@" in err
    assert main(["run", "--models", "fourier-linear", "--params-from", f"{URL}:study", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err


def test_recorded_commands_and_leaderboards_never_hold_the_password(tmp_path):
    from tserbench.evaluation import run_benchmark
    from tserbench.leaderboard import build_leaderboard

    out = run_benchmark("rrab-synthetic", ["fourier-linear"], dataset_params={"n_stars": 40}, progress=False,
                        out=tmp_path / "r", command=f"tserbench run --params-from {URL}:study")
    assert "s3cret" not in (out / "run.json").read_text()
    build_leaderboard(out, tmp_path / "lb", generated_by=f"tserbench leaderboard --x {URL}")
    for name in ("leaderboard.json", "leaderboard.md", "leaderboard.html", "leaderboard.csv"):
        text = (tmp_path / "lb" / name).read_text()
        assert "s3cret" not in text and "ann:***@" in text, name
    assert "ann:***@" in json.loads((tmp_path / "lb" / "leaderboard.json").read_text())["run"]["command"]


def test_an_unexpected_error_is_one_line_unless_debug(monkeypatch, capsys):
    import pytest

    import tserbench.leaderboard._cli as lb_cli

    def boom(args):
        raise RuntimeError("something broke")

    monkeypatch.setattr(lb_cli, "_leaderboard", boom)
    assert main(["leaderboard", "x", "-o", "y"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: something broke" in err and "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(RuntimeError):
        main(["--debug", "leaderboard", "x", "-o", "y"])

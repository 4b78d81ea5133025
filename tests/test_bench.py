"""``tserbench bench``: the figures it reports and its baseline comparison.

Nothing here asserts a speed: the comparison logic is tested on made-up
figures, and the command on a tiny synthetic set only for what it reports.
"""

from __future__ import annotations

import json

import pytest

from tserbench.cli import main
from tserbench.exceptions import ConfigError
from tserbench.speed.bench import compare

BASE = {
    "dataset": "rrab-synthetic",
    "dataset_params": {"n_stars": 60},
    "settings": {"n_epochs": 1, "n_series": 500, "folds": "predefined", "n_jobs": 1},
    "load_seconds": {"rrab-synthetic": 1.0},
    "preprocessing_stars_per_s": {"full": 1000.0, "raw": 50000.0},
    "epoch_seconds": {"gru": 2.0},
    "inference_series_per_s": {"gru": 30000.0},
}


def _with(**figures):
    out = json.loads(json.dumps(BASE))
    for figure, values in figures.items():
        out[figure].update(values)
    return out


def test_compare_passes_within_the_margin_in_both_directions():
    cur = _with(epoch_seconds={"gru": 5.9}, inference_series_per_s={"gru": 10001.0})
    rows = compare(cur, BASE, margin=3)
    assert len(rows) == 5 and all(r["ok"] for r in rows)


@pytest.mark.parametrize(
    "figures, bad",
    [
        ({"epoch_seconds": {"gru": 6.1}}, ("epoch_seconds", "gru")),  # a time grew > 3x
        ({"preprocessing_stars_per_s": {"full": 330.0}}, ("preprocessing_stars_per_s", "full")),  # throughput fell
        ({"load_seconds": {"rrab-synthetic": 3.5}}, ("load_seconds", "rrab-synthetic")),
    ],
)
def test_compare_flags_exactly_the_regressed_figure(figures, bad):
    rows = compare(_with(**figures), BASE, margin=3)
    assert [(r["figure"], r["key"]) for r in rows if not r["ok"]] == [bad]


def test_compare_refuses_other_settings_and_bad_margins():
    with pytest.raises(ConfigError, match="dataset_params"):
        compare({**BASE, "dataset_params": {"n_stars": 1000}}, BASE)
    with pytest.raises(ConfigError, match="margin"):
        compare(BASE, BASE, margin=0.5)


#: A tiny real measurement: 60 synthetic stars, 1 timed epoch, a small GRU batch.
ARGS = ["bench", "--n-stars", "60", "--n-epochs", "1", "--n-series", "500",
        "--params-from", '{"gru": {"batch_size": 32}, "fcn": {"batch_size": 8}}']


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory):
    """One real (tiny) measurement, as JSON."""
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    rc = main([*ARGS, "--json", "-o", str(path)])
    assert rc == 0
    return json.loads(path.read_text())


def test_bench_reports_every_figure_group(bench_json):
    assert bench_json["settings"] == BASE["settings"]
    assert bench_json["n_instances"] == 60
    assert set(bench_json["preprocessing_stars_per_s"]) == {"full", "spline", "raw"}
    for figure in ("load_seconds", "preprocessing_stars_per_s", "epoch_seconds", "inference_series_per_s"):
        values = list(bench_json[figure].values())
        assert values and all(v > 0 for v in values), figure
    assert bench_json["command"].startswith("tserbench bench")
    assert bench_json["params"] == {"gru": {"batch_size": 32}}  # only the models measured


def test_bench_records_its_environment(bench_json):
    env = bench_json["environment"]
    assert env["packages"]["numpy"] and env["machine"]["cores"] >= 1
    assert env["tserbench"]["version"] == bench_json["machine"]["tserbench"]


def test_bench_compare_exit_codes_and_table(bench_json, tmp_path, capsys, monkeypatch):
    """The command's comparison (exit codes, table) on the fixture's figures, not measured again."""
    import tserbench.speed.bench as bench

    monkeypatch.setattr(bench, "run_bench", lambda *a, **kw: json.loads(json.dumps(bench_json)))
    args = ARGS
    same = tmp_path / "same.json"
    same.write_text(json.dumps(bench_json))
    assert main([*args, "--compare", str(same), "--margin", "1000"]) == 0
    # a baseline 10^6 x faster on every figure: everything regressed, exit 1, a readable table
    fast = json.loads(json.dumps(bench_json))
    for figure, direction in (("epoch_seconds", "lower"), ("inference_series_per_s", "higher"),
                              ("preprocessing_stars_per_s", "higher"), ("load_seconds", "lower")):
        fast[figure] = {k: v / 1e6 if direction == "lower" else v * 1e6 for k, v in fast[figure].items()}
    injected = tmp_path / "fast.json"
    injected.write_text(json.dumps(fast))
    capsys.readouterr()
    assert main([*args, "--compare", str(injected)]) == 1
    out = capsys.readouterr().out
    assert "REGRESSED" in out and "baseline" in out


def test_bench_compare_user_errors_exit_2_without_traceback(tmp_path, capsys):
    assert main(["bench", "--compare", str(tmp_path / "missing.json")]) != 0
    err = capsys.readouterr().err
    assert "missing.json" in err and "Traceback" not in err
    other = tmp_path / "other.json"
    other.write_text(json.dumps(BASE))  # measured with 60 stars; this run asks for 100
    assert main(["bench", "--n-stars", "100", "--compare", str(other)]) != 0
    err = capsys.readouterr().err
    assert "n_stars" in err and "Traceback" not in err


def test_compare_refuses_a_baseline_measured_with_other_model_parameters():
    tuned = {**BASE, "params": {"gru": {"batch_size": 64}}}
    with pytest.raises(ConfigError, match="params"):
        compare(BASE, tuned)
    with pytest.raises(ConfigError, match="params"):
        compare(tuned, BASE)
    assert all(r["ok"] for r in compare(tuned, tuned))


def test_figures_format_alike_in_value_and_baseline_columns():
    from tserbench.speed._cli import _format_figure

    assert _format_figure(52734.2) == "52,734"
    assert _format_figure(1.01834) == "1.018"
    assert _format_figure(0.0004567) == "0.0004567"


def test_bench_epochs_times_enough_epochs_to_fill_its_minimum_and_keeps_the_fastest(monkeypatch):
    """A sub-second epoch is timed many times (a clock that ticks 0.25 s per reading)."""
    import types

    import tserbench.speed.bench as bench
    from tserbench.datasets import get_dataset

    readings = []

    def clock():
        readings.append(None)
        return 0.25 * len(readings)

    monkeypatch.setattr(bench, "time", types.SimpleNamespace(perf_counter=clock))
    ds = get_dataset("rrab-synthetic", n_stars=20, n_grid=20)
    X, y = ds.load("X", "y")
    seconds = bench.bench_epochs("fcn", X, y, n_epochs=1, params={"batch_size": 8}, min_seconds=2.0)
    assert seconds == 0.25
    # a warm-up epoch, then 8 timed epochs of 0.25 s (2 s); the old median timed 1
    assert len(readings) == 2 * (1 + 8)

"""Datasets from installed packages: the entry-point group ``tserbench.datasets``.

Each test writes a real (if tiny) installed distribution into ``tmp_path`` --
a package plus a ``*.dist-info`` folder with ``METADATA`` and
``entry_points.txt`` -- and puts it on ``sys.path``, so that
``importlib.metadata`` finds it exactly as it would after ``pip install``.
The dataset class is the one printed in docs/plugins.md, so the documented
example is what is tested.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

from tserbench.cli import main
from tserbench.datasets import (
    DatasetInfo,
    clear_registry_cache,
    dataset_info,
    get_dataset,
    list_datasets,
)
from tserbench.evaluation import ResultStore
from tserbench.exceptions import ConfigError

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
PKG = "my_tser_datasets"


def _doc_block(first_line: str) -> str:
    """The fenced code block of docs/plugins.md that starts with ``first_line``."""
    for block in re.findall(r"```[a-z]*\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"no code block starting with {first_line!r} in {DOC}")


def _install(root: Path, entry_points: dict[str, str], modules: dict[str, str] | None = None) -> None:
    """Write package ``my_tser_datasets`` and its dist-info (``name = value`` entry points) into ``root``."""
    pkg = root / PKG
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "datasets.py").write_text(_doc_block("# my-tser-datasets/my_tser_datasets/datasets.py"))
    for name, src in (modules or {}).items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(src))
    dist = root / "my_tser_datasets-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-tser-datasets\nVersion: 0.1.0\n")
    lines = ["[tserbench.datasets]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch):
    """No plug-in (module or registry entry) survives from one test to the next."""
    clear_registry_cache()
    for mod in [m for m in sys.modules if m == PKG or m.startswith(PKG + ".")]:
        monkeypatch.delitem(sys.modules, mod)
    yield
    clear_registry_cache()
    for mod in [m for m in sys.modules if m == PKG or m.startswith(PKG + ".")]:
        del sys.modules[mod]


def test_the_documented_pyproject_declares_the_entry_point_used_here():
    toml = _doc_block("# my-tser-datasets/pyproject.toml")
    assert "[build-system]" in toml and 'packages = ["my_tser_datasets"]' in toml
    assert '[project.entry-points."tserbench.datasets"]' in toml
    assert 'noisy-sines = "my_tser_datasets.datasets:NoisySines"' in toml


def test_an_entry_point_dataset_is_listed_described_and_runs_from_the_cli(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    _install(site, {"noisy-sines": f"{PKG}.datasets:NoisySines"})
    monkeypatch.syspath_prepend(str(site))
    info = dataset_info("noisy-sines")
    assert info.kind == "plugin" and info.n_instances == 120
    assert info.description == "Amplitude of noisy sine waves: 120 univariate series of length 50."
    assert info.citation == "my-tser-datasets 0.1.0"
    assert "noisy-sines" in [i.name for i in list_datasets()]
    X, y = get_dataset("noisy-sines", random_state=1).load("X", "y")
    assert X.shape == (120, 1, 50) and len(y) == 120

    assert main(["datasets", "list"]) == 0
    assert "noisy-sines" in capsys.readouterr().out
    assert main(["datasets", "info", "noisy-sines"]) == 0
    assert "n_instances=120" in capsys.readouterr().out

    out = tmp_path / "out"
    assert main(["run", "--dataset", "noisy-sines", "--models", "fourier-linear", "--folds", "3x1",
                 "--out", str(out), "--quiet"]) == 0
    store = ResultStore(out)
    assert store.read_run()["dataset"] == "noisy-sines"
    jobs = store.read_jobs("fourier-linear")
    assert sorted(j["fold"] for j in jobs) == [0, 1, 2] and sum(j["n_val"] for j in jobs) == 120
    board = json.loads((out / "leaderboard" / "leaderboard.json").read_text())
    row = next(r for r in board["rows"] if r["model"] == "fourier-linear")
    assert row["val"]["r2"]["value"] > 0.5  # the amplitude is learnable from the series: the data did arrive


def test_a_datasetinfo_entry_point_and_names_that_cannot_be_shadowed(tmp_path, monkeypatch):
    site = tmp_path / "site"
    info_src = f"""
        from tserbench.datasets import DatasetInfo

        INFO = DatasetInfo(name="whatever", cls="{PKG}.datasets.NoisySines", n_instances=120, kind="plugin",
                           description="sines as a DatasetInfo", citation="me")
        NOT_A_DATASET = 42
    """
    _install(site, {
        "sines-info": f"{PKG}.infos:INFO",
        "tecator": f"{PKG}.datasets:NoisySines",  # a built-in name: ignored
        "appliancesenergy": f"{PKG}.datasets:NoisySines",  # an archive name (any case): ignored
        "not-a-dataset": f"{PKG}.infos:NOT_A_DATASET",
    }, modules={"infos": info_src})
    monkeypatch.syspath_prepend(str(site))
    info = dataset_info("sines-info")
    assert isinstance(info, DatasetInfo) and info.name == "sines-info" and info.description == "sines as a DatasetInfo"
    assert len(get_dataset("sines-info").load("y")) == 120
    assert dataset_info("tecator").kind == "real"
    assert dataset_info("appliancesenergy").kind == "archive"
    with pytest.raises(ConfigError, match=r"dataset 'not-a-dataset': entry point .* is 42, neither an sktime dataset"):
        dataset_info("not-a-dataset")


def test_a_broken_entry_point_is_a_one_line_error_naming_it(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    _install(site, {"broken-sines": "no_such_module_here:Thing"})
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ConfigError, match=r"dataset 'broken-sines': entry point 'no_such_module_here:Thing' "
                                          r"failed to load: ModuleNotFoundError"):
        get_dataset("broken-sines")
    assert main(["run", "--dataset", "broken-sines", "--models", "fourier-linear", "--folds", "3x1",
                 "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "broken-sines" in err and "failed to load" in err and "Traceback" not in err and "\n" not in err
    # the other names still resolve; an unknown one names the entry-point group and lists the plug-in
    assert dataset_info("tecator").kind == "real"
    with pytest.raises(ConfigError, match=r"unknown dataset 'nope'.*broken-sines.*group 'tserbench.datasets'"):
        dataset_info("nope")


def test_without_the_package_the_name_is_unknown(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown dataset 'noisy-sines'.*entry point in group 'tserbench.datasets'"):
        dataset_info("noisy-sines")

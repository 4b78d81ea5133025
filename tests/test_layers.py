"""Imports run one way: data -> preprocessing -> datasets -> networks -> regressors -> evaluation -> tuning
-> leaderboard -> CLI.

The test parses every module under ``tserbench/`` (module-level and
function-level imports alike, with :mod:`ast`; nothing is imported) and
fails on an import of a higher layer by a lower one.  The top-level helpers
(:data:`HELPERS` and the package ``__init__``) may be imported by anyone
and import no layer themselves.  The CLI layer (``cli.py``, every
``_cli.py`` and ``*_cli.py``, and ``speed/``, the ``bench`` command's
measurements, which sit beside it) may import anything.  Imports by dotted
string (the registry's class paths, ``importlib.import_module``) are not
checked: they name plug-in points, not dependencies of the code.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import tserbench

ROOT = Path(tserbench.__file__).parent

#: Rank of each library layer: a module may import its own layer and lower ones.
RANK = {
    "data": 0,
    "preprocessing": 1,
    "datasets": 2,
    "networks": 3,
    "regressors": 4,
    "evaluation": 5,
    "tuning": 6,
    "leaderboard": 7,
}
HELPERS = {"exceptions", "_config", "_io", "_tf", "environment", "_secrets", "_names", "_lazy", "_renamed"}

#: (importing module, imported module) pairs that run against the flow on purpose,
#: each with the reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("tserbench.evaluation.result", "tserbench.leaderboard"): (
        "run_benchmark's result object offers its leaderboard and table (as a notebook user asks of a run); "
        "imported when those methods are called, through the public package only; the leaderboard never "
        "imports the result object back"
    ),
}


def _layer(module: str) -> str | None:
    """``"helper"``, ``"cli"``, a key of :data:`RANK`, or None for a module outside tserbench."""
    parts = module.split(".")
    if parts[0] != "tserbench":
        return None
    if len(parts) == 1 or parts[1] in HELPERS:
        return "helper"
    if parts[-1].endswith("_cli") or parts[1] in ("cli", "__main__", "speed"):
        return "cli"
    if parts[1] not in RANK:
        raise AssertionError(f"{module}: a folder the layering does not know; add it to RANK in this test")
    return parts[1]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every module that ``path`` imports, with the line (relative imports resolved)."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            out.append((name, node.lineno))
    return out


def _violations() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        me = _module_name(path)
        mine = _layer(me)
        if mine == "cli":
            continue
        for target, line in _imports(path):
            theirs = _layer(target)
            if theirs is None or theirs == "helper" or (me, target) in ALLOWED:
                continue
            if theirs == "cli" or mine == "helper" or RANK[theirs] > RANK[mine]:
                found.append(f"{path.relative_to(ROOT.parent)}:{line}: {me} ({mine}) imports {target} ({theirs})")
    return found


def test_no_import_runs_against_the_flow():
    violations = _violations()
    assert not violations, "imports against data -> ... -> leaderboard -> CLI:\n" + "\n".join(violations)


def test_the_allow_list_holds_no_stale_entry():
    imported = {(_module_name(p), target) for p in ROOT.rglob("*.py") for target, _ in _imports(p)}
    assert not set(ALLOWED) - imported


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # a function-level import counts as much as a module-level one
        ("def f():\n    from tserbench.leaderboard import collect\n", "tserbench.leaderboard"),
        ("from . import runner\n", "tserbench.evaluation"),
        ("from .._io import atomic_write_json\n", "tserbench._io"),
    ],
)
def test_imports_are_found_wherever_they_stand(tmp_path, monkeypatch, source, expected):
    pkg = tmp_path / "tserbench" / "evaluation"
    pkg.mkdir(parents=True)
    (pkg / "probe.py").write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path / "tserbench")
    assert [name for name, _ in _imports(pkg / "probe.py")][0] == expected


def test_a_library_module_importing_upwards_is_reported(tmp_path, monkeypatch):
    pkg = tmp_path / "tserbench" / "data"
    pkg.mkdir(parents=True)
    (pkg / "reader.py").write_text("def read():\n    from tserbench.preprocessing import make_panel\n")
    (tmp_path / "tserbench" / "cli.py").write_text("from tserbench.leaderboard import collect\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path / "tserbench")
    assert _violations() == [
        "tserbench/data/reader.py:2: tserbench.data.reader (data) imports tserbench.preprocessing (preprocessing)"
    ]

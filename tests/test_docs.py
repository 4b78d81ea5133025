"""Executable docs: every shell and Python block of README.md and docs/*.md runs as written.

How a document is read
----------------------
- A fenced block tagged ``bash``, ``sh`` or ``shell`` is a script; a
  ``console`` block's commands are its lines starting with ``$ `` (the rest
  is output).  A block tagged ``python`` is a program, run as
  ``python -c BLOCK``.  Blocks of other languages are not run.
- A fenced block of any language whose first line is a comment naming a
  relative path (``# my_tser_plugin/models.py``) is a file the reader
  creates: it is written, in document order, before the blocks that follow
  it run.
- An HTML comment ``<!-- docs-test: skip (reason) -->`` on the line before a
  block marks it as an illustration that cannot run in CI (an install, a
  multi-hour run, a cluster, the reader's own files); the reason is required.
- A block that names the real DG22 set (``rrab-gaia-dg22``) or
  ``$TSERBENCH_DATA`` is skipped unless ``TSERBENCH_DATA`` holds the DG22
  files, as the other tests that need them.

All blocks of one document run in order, each in its own ``bash -euo
pipefail`` shell or its own fresh Python interpreter, in one temporary folder
(the reader's working directory).  A fresh interpreter per block, as a shell
per block: a block may use only what it imports and what earlier blocks left
on disk (files, installed packages), never an earlier block's variables, so
each block runs as written when pasted alone; ``python -c`` puts the working
directory first on ``sys.path``, as an interactive session does.
``tserbench``, ``pip`` and ``python`` on ``PATH`` are this checkout's, inside
a throw-away virtual environment layered over the test's one (``pip install
-e .`` of a doc's example package lands there, offline, without build
isolation); Python blocks run with that environment's ``python``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"bash", "sh", "shell", "console"}
PYTHON = {"python"}
RUN = SHELL | PYTHON
_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)\s*$")
_SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->")
_FILE = re.compile(r"^(?:#|//)\s*(?P<path>[\w.-]+(?:/[\w.-]+)*\.\w+)\s*$")
_NEEDS_DG22 = re.compile(r"rrab-gaia-dg22|\$\{?TSERBENCH_DATA")


@dataclass
class Block:
    """One fenced block of a document."""

    doc: str
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    skip: str | None  # the marker's reason, or None

    @property
    def file_path(self) -> str | None:
        """The relative path a file block names on its first line, else None."""
        first = self.text.split("\n", 1)[0]
        m = _FILE.match(first)
        return m.group("path") if m and self.lang not in SHELL else None

    @property
    def script(self) -> str:
        if self.lang != "console":
            return self.text
        return "\n".join(line[2:] for line in self.text.splitlines() if line.startswith("$ "))


def read_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with their skip markers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, indent = i, len(m.group("indent"))
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^ *```\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        before = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        skip = _SKIP.search(before)
        blocks.append(Block(path.name, start + 1, m.group("lang"), "\n".join(body) + "\n",
                            skip.group("reason") if skip else None))
        i += 1
    return blocks


def _dg22_home() -> str | None:
    home = os.environ.get("TSERBENCH_DATA")
    if home and (Path(home) / "dekany2022_gaia_g" / "lc_dev_g.tar.gz").is_file():
        return home
    return None


def _sandbox(tmp: Path) -> dict[str, str]:
    """A virtual environment over this one whose ``tserbench`` and ``pip`` are this checkout's."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # the checkout first, then the test's own environment (tserbench's dependencies, pip, setuptools)
    parent = sysconfig.get_paths()["purelib"]
    Path(site, "_tserbench_docs_test.pth").write_text(f"{ROOT}\nimport site; site.addsitedir({parent!r})\n")
    for name, line in (("tserbench", f'exec "{py}" -m tserbench.cli "$@"'), ("pip", f'exec "{py}" -m pip "$@"')):
        shim = venv / "bin" / name
        shim.write_text(f"#!/bin/sh\n{line}\n")
        shim.chmod(0o755)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        MPLBACKEND="Agg",
        PIP_NO_INDEX="1",  # offline: a doc's package depends on nothing pip would have to fetch
        PIP_NO_BUILD_ISOLATION="0",  # pip's inverted spelling: build with this environment's setuptools
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_QUIET="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _write_file(workdir: Path, block: Block) -> None:
    target = workdir / block.file_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(block.text, encoding="utf-8")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_block_has_a_reason_to_be_skipped(doc):
    """A skip marker names its reason; a shell block that is skipped says why."""
    text = doc.read_text(encoding="utf-8")
    for marker in re.findall(r"<!--\s*docs-test:[^>]*-->", text):
        assert _SKIP.fullmatch(marker.strip()), f"{doc.name}: malformed marker {marker!r} (want skip (reason))"


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_doc_runs_as_written(doc, tmp_path):
    """Run the document's shell and Python blocks in order; the first that fails is reported with its output."""
    blocks = read_blocks(doc)
    if not any(b.lang in RUN and not b.skip and not b.file_path for b in blocks):
        pytest.skip(f"{doc.name}: no runnable block (its code blocks are signatures or file layouts)")
    work = tmp_path / "work"
    work.mkdir()
    env = _sandbox(tmp_path)
    python = str(Path(env["VIRTUAL_ENV"], "bin", "python"))
    dg22 = _dg22_home()
    ran, skipped = [], []
    for block in blocks:
        if block.file_path and not block.skip:
            _write_file(work, block)
            continue
        if block.lang not in RUN:
            continue
        where = f"{doc.name}:{block.line}"
        if block.skip:
            skipped.append(f"{where} ({block.skip})")
            continue
        if _NEEDS_DG22.search(block.script) and dg22 is None:
            skipped.append(f"{where} (needs the DG22 files in TSERBENCH_DATA)")
            continue
        started = time.perf_counter()
        argv = [python, "-c", block.script] if block.lang in PYTHON else ["bash", "-euo", "pipefail", "-c", block.script]
        proc = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            tail = textwrap.indent((proc.stdout + proc.stderr)[-4000:], "    ")
            pytest.fail(f"{where}: exit {proc.returncode}\n{block.script}\n--- output (tail) ---\n{tail}")
        ran.append(f"{block.line} {block.lang} ({time.perf_counter() - started:.0f} s)")
    print(f"{doc.name}: ran blocks at lines {', '.join(ran)}; skipped: {'; '.join(skipped) or 'none'}")

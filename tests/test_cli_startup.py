"""``tserbench --help`` starts fast: building the parser imports none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras", "sktime", "sklearn", "pandas", "optuna", "matplotlib", "scipy")


def test_help_imports_no_heavy_library():
    code = ("import sys; from tserbench.cli import build_parser; build_parser(); "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_python_dash_m_tserbench_is_the_cli():
    out = subprocess.run([sys.executable, "-m", "tserbench", "--help"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.startswith("usage: tserbench")

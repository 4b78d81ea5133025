"""Load time of the DG22 dataset (pytest-benchmark; a plain run in CI with --benchmark-disable).

Run the timings with:
    TSERBENCH_DATA=/path/to/data pytest tests/speed/test_bench_load.py -p no:xdist --benchmark-enable
"""

from __future__ import annotations

import pytest

from tserbench.data import read_dg22
from tserbench.datasets import RRabGaiaDG22, clear_cache

pytestmark = pytest.mark.realdata


def test_bench_read_dg22(benchmark, dg22_home):
    """Parse the archive + tables (sha256 checks are cached after the first call)."""
    curves, table = benchmark(read_dg22, dg22_home)
    assert len(curves) == len(table) == 4458


def test_bench_dg22_load_cold_raw(benchmark, dg22_home):
    """``load("X", "y")`` of the raw variant from an empty cache (read + df-list panel)."""

    def load():
        return RRabGaiaDG22(variant="raw", data_home=dg22_home).load("X", "y")

    X, y = benchmark.pedantic(load, setup=clear_cache, rounds=3, iterations=1)
    assert len(X) == len(y) == 4458


@pytest.mark.slow
def test_bench_dg22_load_cold_full(benchmark, dg22_home):
    """``load("X", "y")`` of the default (full) variant from an empty cache: read + smoothing splines."""

    def load():
        return RRabGaiaDG22(data_home=dg22_home).load("X", "y")

    X, y = benchmark.pedantic(load, setup=clear_cache, rounds=1, iterations=1)
    assert X.shape == (4458, 2, 50) and len(y) == 4458


def test_bench_dg22_load_cached(benchmark, dg22_home):
    """``load("X", "y")`` of the default variant once the process cache holds it."""
    ds = RRabGaiaDG22(data_home=dg22_home)
    ds.load("X", "y")  # prime (shared with the cold test when run in the same process)
    X, y = benchmark(ds.load, "X", "y")
    assert X.shape == (4458, 2, 50) and len(y) == 4458

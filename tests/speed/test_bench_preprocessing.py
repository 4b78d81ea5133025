"""Speed of the preprocessing (pytest-benchmark).

Run the timings with::

    pytest tests/speed/test_bench_preprocessing.py -p no:xdist --benchmark-enable \
        --benchmark-columns=mean,min,rounds

stars/s = ``extra_info["n_stars"]`` / mean. In CI (``--benchmark-disable``)
each benchmark runs once as a plain test and its result is checked.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tserbench.preprocessing import make_panel, pad_panel, smooth_resample

N_STARS = 1000


def _synthetic_curves(n_stars: int, seed: int = 0) -> SimpleNamespace:
    """RRab-like curves with DG22-like sampling: 21-97 points, median ~34, 15 mmag noise."""
    rng = np.random.default_rng(seed)
    n_pts = np.clip(np.round(rng.lognormal(np.log(34), 0.3, n_stars)), 21, 97).astype(int)
    phases, mags = [], []
    k = np.arange(1, 5)
    for n in n_pts:
        p = np.sort(rng.uniform(0, 1, n))
        amps = rng.uniform(0.25, 0.45) * np.array([1.0, 0.48, 0.33, 0.2])
        phis = rng.uniform(0, 2 * np.pi, 4)
        m = 15 + np.sum(amps * np.sin(2 * np.pi * k * p[:, None] + phis), axis=1) + rng.normal(0, 0.015, n)
        phases.append(p)
        mags.append(m)
    return SimpleNamespace(
        source_id=np.arange(n_stars, dtype=np.int64),
        phase=phases,
        mag=mags,
        period=rng.uniform(0.35, 0.9, n_stars),
    )


@pytest.fixture(scope="module")
def curves():
    return _synthetic_curves(N_STARS)


def test_bench_smooth_resample_fast(benchmark, curves):
    benchmark.extra_info["n_stars"] = N_STARS
    out = benchmark(smooth_resample, curves, 50)
    assert out.shape == (N_STARS, 50) and np.all(np.isfinite(out))


def test_bench_smooth_resample_scipy_reference(benchmark, curves):
    sub = SimpleNamespace(phase=curves.phase[:20], mag=curves.mag[:20], period=curves.period[:20])
    benchmark.extra_info["n_stars"] = 20
    out = benchmark.pedantic(smooth_resample, args=(sub, 50), kwargs={"method": "scipy"}, rounds=1, iterations=1)
    assert out.shape == (20, 50)


@pytest.mark.parametrize("variant", ["full", "spline", "raw"])
def test_bench_make_panel(benchmark, curves, variant):
    benchmark.extra_info["n_stars"] = N_STARS
    X = benchmark(make_panel, curves, variant)
    if variant == "raw":
        assert len(X) == N_STARS and isinstance(X[0], pd.DataFrame)
    else:
        assert X.shape == (N_STARS, 2, 50)


def test_bench_pad_panel_raw(benchmark, curves):
    R = make_panel(curves, "raw")
    benchmark.extra_info["n_stars"] = N_STARS
    X = benchmark(pad_panel, R, 80)
    assert X.shape == (N_STARS, 2, 80)

"""Speed of the deep regressors: epochs and prediction (pytest-benchmark).

Run the timings with::

    pytest tests/speed/test_bench_training.py -p no:xdist --benchmark-enable \
        --benchmark-columns=mean,min,rounds

Synthetic DG22-sized input: 4458 series x 50 steps x 2 channels (the ``full``
variant's shape).  ``extra_info`` holds the per-epoch time and the series
predicted per second.  In CI (``--benchmark-disable``) each benchmark runs
once, on a smaller panel, as a plain test whose results are checked.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from tserbench.regressors._fcn import FCNRegressor  # noqa: E402
from tserbench.regressors._recurrent import DG22BiLSTMRegressor, GRURegressor  # noqa: E402

N_SERIES, LENGTH = 4458, 50


def _panel(n, length=LENGTH, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2, length))
    y = -1.5 + 0.4 * X[:, 0, :5].mean(axis=1)
    return X, y


def _size(benchmark) -> int:
    return N_SERIES if benchmark.enabled else 300


@pytest.mark.parametrize(
    "cls", [GRURegressor, DG22BiLSTMRegressor, FCNRegressor], ids=lambda c: c.__name__
)
def test_bench_epochs(benchmark, cls):
    """Fit for 3 epochs (includes ~2-3 s of graph tracing); epoch time in extra_info."""
    X, y = _panel(_size(benchmark))
    n_epochs = 3

    def fit():
        return cls(n_epochs=n_epochs, patience=None, random_state=0).fit(X, y)

    reg = benchmark.pedantic(fit, rounds=1, iterations=1)
    assert reg.n_epochs_trained_ == n_epochs
    assert np.all(np.isfinite(reg.history_["val_loss"]))
    if benchmark.stats is not None:
        benchmark.extra_info["seconds_per_epoch_incl_tracing"] = benchmark.stats.stats.mean / n_epochs


def test_bench_predict(benchmark):
    """GRU inference throughput on a large panel."""
    X, y = _panel(200)
    reg = GRURegressor(n_epochs=1, random_state=0).fit(X, y)
    X_big, _ = _panel(20_000 if benchmark.enabled else 600, seed=1)
    y_pred = benchmark(reg.predict, X_big)
    assert y_pred.shape == (len(X_big),)
    assert np.all(np.isfinite(y_pred))
    if benchmark.stats is not None:
        benchmark.extra_info["series_per_second"] = len(X_big) / benchmark.stats.stats.mean

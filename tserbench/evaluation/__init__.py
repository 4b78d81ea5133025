"""Evaluation: splitters, metrics, the result store and the cross-validation runner.

Importing this package does not import TensorFlow or dask.
"""

from tserbench._lazy import lazy_exports

__all__ = [
    "BenchmarkResult",
    "METRICS",
    "PredictionError",
    "PredefinedFolds",
    "RepeatedStratifiedRegressionKFold",
    "ResultStore",
    "job_seed",
    "make_splitter",
    "parse_folds",
    "run_benchmark",
    "run_job",
    "score",
    "summarise",
]

_LAZY = {
    "BenchmarkResult": "tserbench.evaluation.result",
    "METRICS": "tserbench.evaluation.metrics",
    "PredictionError": "tserbench.evaluation.metrics",
    "score": "tserbench.evaluation.metrics",
    "summarise": "tserbench.evaluation.metrics",
    "job_seed": "tserbench.evaluation.runner",
    "run_benchmark": "tserbench.evaluation.runner",
    "run_job": "tserbench.evaluation.runner",
    "PredefinedFolds": "tserbench.evaluation.splitters",
    "RepeatedStratifiedRegressionKFold": "tserbench.evaluation.splitters",
    "make_splitter": "tserbench.evaluation.splitters",
    "parse_folds": "tserbench.evaluation.splitters",
    "ResultStore": "tserbench.evaluation.store",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)

"""Evaluation: splitters, metrics, the result store and the cross-validation runner.

Importing this package does not import TensorFlow or dask.
"""

from tserbench.evaluation.metrics import METRICS, PredictionError, score, summarise
from tserbench.evaluation.runner import job_seed, run_benchmark, run_job
from tserbench.evaluation.splitters import (
    PredefinedFolds,
    RepeatedStratifiedRegressionKFold,
    make_splitter,
    parse_folds,
)
from tserbench.evaluation.store import ResultStore

__all__ = [
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

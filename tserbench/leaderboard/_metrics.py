"""The metrics the leaderboard scores predictions with: the harness's own.

The leaderboard must score exactly as the runner does, so it reads the one
metric table, :data:`tserbench.evaluation.metrics.METRICS`, at the time it
scores, and keeps no copy of its names, directions or definitions: a metric
added there is a column of every leaderboard and a metric ``tserbench
check`` compares.  Without sample weights :func:`score` leaves out the
weighted metrics (``wrmse``, ``wmae``) rather than copying the unweighted
ones.
"""

from __future__ import annotations

from tserbench.evaluation.metrics import METRICS, score

__all__ = ["greater_is_better", "metric_names", "score", "weighted_names"]


def metric_names() -> tuple[str, ...]:
    """Short metric names, in display order (the keys of the metric table)."""
    return tuple(METRICS)


def greater_is_better(name: str) -> bool:
    """Whether a larger ``name`` is better (R²), as the metric table says; False for the errors."""
    return METRICS[name].greater_is_better


def weighted_names() -> tuple[str, ...]:
    """The metrics that need the runner's sample weights (the OOF files do not carry them)."""
    return tuple(name for name, m in METRICS.items() if m.weighted)

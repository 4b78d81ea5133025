"""The metrics the leaderboard scores predictions with: the harness's own.

The leaderboard must score exactly as the runner does, so it calls
:func:`tserbench.evaluation.metrics.score` (imported lazily) and keeps no
copy of the metric definitions.  Without sample weights that function leaves
out the weighted metrics (``wrmse``, ``wmae``) rather than copying the
unweighted ones; the leaderboard does the same.
"""

from __future__ import annotations

__all__ = ["METRIC_NAMES", "ERROR_METRICS", "score"]

#: Short metric names, in display order.
METRIC_NAMES: tuple[str, ...] = ("r2", "rmse", "mae", "medae", "wrmse", "wmae")
#: Metrics where lower is better (all but R²).
ERROR_METRICS: frozenset[str] = frozenset({"rmse", "mae", "medae", "wrmse", "wmae"})


def score(y_true, y_pred, sample_weight=None, *, where: str | None = None) -> dict[str, float]:
    """Score predictions with :func:`tserbench.evaluation.metrics.score`.

    Returns
    -------
    dict
        ``{name: value}``; the weighted metrics only when ``sample_weight`` is given.
    """
    from tserbench.evaluation.metrics import score as _score

    return _score(y_true, y_pred, sample_weight, where=where)

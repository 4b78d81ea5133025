"""Leaderboards: aggregation of a result store, Dékány baselines, md/csv/json/html, regression check.

Public API
----------
build_leaderboard(results_dir, out_dir, *, name=None) -> Path
    Aggregate a result store and write ``leaderboard.{md,csv,json,html}`` and ``oof/<model>.csv``.
check_against_reference(reference, current, *, tolerance=0.01, metrics=("rmse", "mae", "r2"), strict=False)
    Compare the harness rows of a result store or leaderboard against a reference leaderboard.

Ranking across datasets (``tserbench rank``): :mod:`tserbench.leaderboard.ranking`
(``rank_table``, ``plot_critical_difference``) and ``_rank.build_ranking``.
"""

from tserbench.leaderboard._build import build_leaderboard, collect
from tserbench.leaderboard.check import CheckResult, check_against_reference

__all__ = ["build_leaderboard", "collect", "check_against_reference", "CheckResult"]

"""Leaderboards: aggregation of a result store, Dékány baselines, md/csv/json/html, regression check.

Public API
----------
build_leaderboard(results_dir, out_dir, *, name=None) -> Path
    Aggregate a result store and write ``leaderboard.{md,csv,json,html}`` and ``oof/<model>.csv``.
collect(results_dir, *, data_home=None) -> Leaderboard
    Aggregate without writing; ``write_leaderboard(lb, out_dir)`` writes its files.
to_frame(lb) -> pandas.DataFrame
    One flat row per leaderboard row (the table of ``leaderboard.csv``).
check_against_reference(reference, current, *, tolerance=0.01, metrics=("rmse", "mae", "r2"), strict=False)
    Compare the harness rows of a result store or leaderboard against a reference leaderboard.

Ranking across datasets (``tserbench rank``): :mod:`tserbench.leaderboard.ranking`
(``rank_table``, ``plot_critical_difference``) and ``_rank.build_ranking``.
"""

from tserbench._lazy import lazy_exports

__all__ = ["build_leaderboard", "collect", "write_leaderboard", "to_frame", "check_against_reference", "CheckResult"]

_LAZY = {
    "build_leaderboard": "tserbench.leaderboard._build",
    "collect": "tserbench.leaderboard._build",
    "write_leaderboard": "tserbench.leaderboard._build",
    "to_frame": "tserbench.leaderboard._render",
    "check_against_reference": "tserbench.leaderboard.check",
    "CheckResult": "tserbench.leaderboard.check",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)

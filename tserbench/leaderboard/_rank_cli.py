"""``tserbench rank``: a ranking across the TSER archive's datasets with a critical-difference diagram."""

from __future__ import annotations

import argparse
import shlex
import sys

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``rank`` sub-command."""
    p = subparsers.add_parser(
        "rank", help="rank regressors across the TSER archive's datasets, with a critical-difference diagram",
        description="Average ranks of the archive's published regressors (one experiment) across its datasets, "
                    "a Friedman test, pairwise two-sided Wilcoxon signed-rank tests with Holm's correction and "
                    "the critical-difference diagram; with LEADERBOARD_DIRs (leaderboards of archive datasets "
                    "under --folds fixed or resamples:N) their harness rows are ranked beside the published "
                    "regressors on the datasets they cover. Writes OUT_DIR/ranking.{json,md} and cd.{png,svg}.")
    p.add_argument("leaderboards", metavar="LEADERBOARD_DIR", nargs="*",
                   help="leaderboard folders (leaderboard.json and oof/) of archive datasets; none: the "
                        "published regressors alone")
    p.add_argument("-o", "--out", required=True, metavar="OUT_DIR", help="destination folder")
    p.add_argument("--experiment", default=None,
                   help="the archive's experiment whose published results are ranked (default 5.B; "
                        "5.A.1, 5.A.2, 5.B, 5.C)")
    p.add_argument("--alpha", default="0.05", help="significance level (default 0.05)")
    p.add_argument("--data-home", default=None,
                   help="where the published results are (default: $TSERBENCH_DATA; "
                        "tserbench datasets fetch tsml-eval-tser-results)")
    p.set_defaults(func=_rank)


def _alpha(text: str) -> float:
    from tserbench.exceptions import ConfigError

    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--alpha must be a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise ConfigError(f"--alpha must be a number in (0, 1), got {text!r}")
    return value


def _rank(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console
    from rich.table import Table

    from tserbench._secrets import mask_secrets
    from tserbench.leaderboard._rank import DEFAULT_EXPERIMENT, _letters, build_ranking

    alpha = _alpha(args.alpha)
    experiment = args.experiment or DEFAULT_EXPERIMENT
    # the command recorded is the one typed, with the experiment and alpha spelled out so that a change
    # of default does not change what it regenerates
    command = None
    if sys.argv[1:2] == ["rank"]:
        argv = list(sys.argv[1:])
        if args.experiment is None:
            argv += ["--experiment", experiment]
        if not any(a == "--alpha" or a.startswith("--alpha=") for a in argv):
            argv += ["--alpha", f"{alpha:g}"]
        command = mask_secrets(shlex.join(["tserbench", *argv]))
    path = build_ranking(args.leaderboards, args.out, experiment=experiment, alpha=alpha,
                         data_home=args.data_home, generated_by=command)
    doc = json.loads(path.read_text(encoding="utf-8"))
    console = Console()
    for key, heading in (("with_harness", "published regressors and tserbench rows"),
                         ("published", "published regressors")):
        result = doc[key]
        if result is None:
            continue
        fr = result["friedman"]
        fp = "n/a" if fr["p"] is None else f"{fr['p']:.3g}"
        table = Table(title=f"experiment {experiment}, {heading}: {result['n_datasets']} datasets, "
                            f"Friedman p = {fp}")
        for col in ("#", "method", "average rank", "cliques"):
            table.add_column(col, justify="left" if col in ("method", "cliques") else "right")
        letters = _letters(result)
        for i, m in enumerate(result["methods"], 1):
            table.add_row(str(i), m, f"{result['average_ranks'][m]:.3f}", letters[m] or "—")
        console.print(table)
    for note in doc["notes"]:
        console.print(f"note: {note}", highlight=False)
    for item in doc["left_out"]:
        console.print(f"note: {item['method']} left out: {item['reason']}", highlight=False)
    console.print(f"wrote {path.parent}/ranking.{{json,md}} and cd.{{png,svg}}", highlight=False)
    return 0

"""``tserbench leaderboard`` and ``tserbench check``."""

from __future__ import annotations

import argparse
import shlex
import sys

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``leaderboard`` and ``check`` sub-commands."""
    p = subparsers.add_parser(
        "leaderboard", help="aggregate a result store into leaderboard md/csv/json/html",
        description="Aggregate a result store (tserbench run --out) into leaderboard.{md,csv,json,html} "
                    "figures/<figure>.{png,pdf} (150 dpi PNG and vector PDF, for papers) and oof/<model>.csv; on rrab-gaia-dg22 adds the Dékány & Grebel (2022) baselines.")
    p.add_argument("results_dir", metavar="RESULTS_DIR", nargs="+",
                   help="the runner's output folder; several folders of one dataset and folds (e.g. its full "
                        "and raw variants) share one leaderboard, rows of another variant named MODEL@VARIANT; a committed leaderboard folder here carries its "
                        "harness rows (metrics recomputed from its oof/ files), a store given beside it replacing "
                        "its copy of that store's rows")
    p.add_argument("-o", "--out", required=True, metavar="OUT_DIR", help="destination, e.g. leaderboard/NAME/")
    p.add_argument("--name", default=None, help="title (default: the name of OUT_DIR)")
    p.add_argument("--data-home", default=None, help="where the DG22 files are (default: $TSERBENCH_DATA)")
    p.set_defaults(func=_leaderboard, on_interrupt="each leaderboard file is whole, the old or the new one; "
                   "re-run the command to regenerate them all")

    c = subparsers.add_parser(
        "check", help="fail when results regressed against a reference leaderboard",
        description="Compare each harness model present in both the reference and RESULTS on the "
                    "validation headline metrics (pooled OOF). Worse = higher error, lower R². "
                    "Exit 1 on any regression beyond tolerance, else 0.")
    c.add_argument("--reference", required=True, metavar="LEADERBOARD_JSON", help="reference leaderboard.json")
    c.add_argument("current", metavar="RESULTS_DIR_OR_LEADERBOARD_JSON", nargs="+",
                   help="a leaderboard.json, or the result store(s) to check (as given to tserbench leaderboard)")
    c.add_argument("--tolerance", default=None,
                   help="absolute tolerance: one number for all metrics (0.02) or per metric "
                        "(rmse=0.01,mae=0.01); default 0.01")
    c.add_argument("--metrics", default="rmse,mae,r2", help="comma-separated metrics (default rmse,mae,r2)")
    c.add_argument("--strict", action="store_true", help="also fail when a reference model is missing")
    c.add_argument("--data-home", default=None, help="where the DG22 files are (default: $TSERBENCH_DATA)")
    c.set_defaults(func=_check)


def _leaderboard(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from tserbench._secrets import mask_secrets
    from tserbench.leaderboard import _cells as C
    from tserbench.leaderboard._build import build_leaderboard

    command = mask_secrets(shlex.join(["tserbench", *sys.argv[1:]])) if sys.argv[1:2] == ["leaderboard"] else None
    path = build_leaderboard(args.results_dir, args.out, name=args.name, data_home=args.data_home,
                             generated_by=command)
    import json

    doc = json.loads(path.read_text(encoding="utf-8"))
    v = C.vocab(doc)
    table = Table(title=f"{doc['name']}: {doc['dataset']} ({doc['protocol']}), sorted by {C.pooled_label('rmse')}")
    columns = ("rank", "model", "kind", "selection", *(C.pooled_label(m) for m in ("rmse", "mae", "r2")),
               C.spread_label("rmse", v.split), v.splits)
    for col in columns:
        table.add_column(col, justify="left" if col in ("model", "kind", "selection") else "right", no_wrap=True)
    for r in C.main_rows(doc):
        table.add_row(C.fmt(r.get("rank")), r["model"], r["kind"], C.selection_label(r),
                      *(C.fmt(C.metric(r, "val", m)) for m in ("rmse", "mae", "r2")),
                      C.mean_std(r, "val", "rmse"), C.splits_cell(r))
    # piped output has no terminal width: give the table room instead of rich's 80 columns
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(table)
    console.print(f"wrote {path.parent}/leaderboard.{{md,csv,json,html}}, figures/ (PNG + PDF) and oof/")
    return 0


def _check(args: argparse.Namespace) -> int:
    from tserbench.leaderboard.check import check_against_reference, render_check

    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    current = args.current[0] if len(args.current) == 1 else args.current
    result = check_against_reference(args.reference, current, tolerance=args.tolerance,
                                     metrics=metrics, strict=args.strict, data_home=args.data_home)
    render_check(result)
    return result.exit_code

"""``tserbench bench``: print the speed figures as a table or JSON; compare with a baseline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tserbench.exceptions import ConfigError, DataError


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="measure load, preprocessing, epoch, inference and CV speed",
        description=(
            "Measure the speed figures of the harness on a dataset: cold load time, "
            "preprocessing throughput per variant, seconds per training epoch, "
            "inference throughput, and (with --cv-models) the wall time and "
            "out-of-fold RMSE of a whole cross-validation. Figures are measured, "
            "never asserted; --compare checks them against a baseline JSON."
        ),
    )
    p.add_argument("--dataset", default="rrab-synthetic", help="registry name (default: rrab-synthetic)")
    p.add_argument("--n-stars", type=int, default=None, help="size of the synthetic dataset")
    p.add_argument("--variant", default="full", choices=("full", "spline", "raw"),
                   help="input variant the models are timed on (default: full)")
    p.add_argument("--epoch-models", default="gru", help="models whose epoch time is measured (default: gru)")
    p.add_argument("--inference-models", default="gru", help="models whose inference is timed (default: gru)")
    p.add_argument("--cv-models", default="", help="models whose whole CV is timed (default: none)")
    p.add_argument("--folds", default="predefined", help="CV folds: predefined or KxR")
    p.add_argument("--n-jobs", type=int, default=1, help="parallel CV processes")
    p.add_argument("--n-epochs", type=int, default=3,
                   help="timed epochs per model, at least (more until they fill 2 s; the fastest is kept), "
                        "after a warm-up epoch")
    p.add_argument("--n-series", type=int, default=100_000, help="series predicted in the inference figure")
    p.add_argument("--params-from", metavar="SPEC",
                   help="model parameters, as for `tserbench run --params-from` (e.g. leaderboard/cpu-budget.json)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("-o", "--output", type=Path, help="also write the JSON to this file")
    p.add_argument("--compare", type=Path, metavar="BASELINE_JSON",
                   help="exit 1 if a figure is worse than this baseline by more than --margin")
    p.add_argument("--margin", type=float, default=3.0,
                   help="allowed factor before a figure counts as a regression (default: 3)")
    p.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from tserbench._io import atomic_write_json
    from tserbench.evaluation._cli import load_params_spec
    from tserbench.speed.bench import check_comparable, compare, run_bench

    baseline = None
    if args.compare is not None:
        try:
            baseline = json.loads(args.compare.read_text())
        except FileNotFoundError:
            raise DataError("baseline file not found", path=args.compare) from None
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON ({exc})", path=args.compare) from None
    if args.n_epochs < 1 or args.n_series < 1:
        raise ConfigError("--n-epochs and --n-series must be positive")
    dataset_params = {} if args.n_stars is None else {"n_stars": args.n_stars}
    models = list(dict.fromkeys(_csv(args.epoch_models) + _csv(args.inference_models) + _csv(args.cv_models)))
    params = load_params_spec(args.params_from, models)
    if baseline is not None:  # refuse a meaningless comparison before measuring anything
        check_comparable({"dataset": args.dataset, "dataset_params": dataset_params, "params": params,
                          "settings": {"n_epochs": args.n_epochs, "n_series": args.n_series,
                                       "folds": args.folds, "n_jobs": args.n_jobs}}, baseline)
        if args.margin < 1:
            raise ConfigError(f"--margin must be >= 1 (a factor), got {args.margin}")
    result = run_bench(
        dataset=args.dataset,
        dataset_params=dataset_params,
        variant=args.variant,
        epoch_models=_csv(args.epoch_models),
        inference_models=_csv(args.inference_models),
        cv_models=_csv(args.cv_models),
        folds=args.folds,
        n_jobs=args.n_jobs,
        n_epochs=args.n_epochs,
        n_series=args.n_series,
        params=params,
    )
    from tserbench._secrets import mask_secrets

    result["command"] = mask_secrets(_command_line(args))
    if args.output:
        atomic_write_json(args.output, result)
    rows = compare(result, baseline, margin=args.margin) if baseline is not None else None
    if args.json:
        if rows is not None:
            result = {**result, "comparison": rows}
        print(json.dumps(result, indent=2))
    else:
        _print_table(result, rows)
    return 1 if rows and not all(r["ok"] for r in rows) else 0


def _command_line(args: argparse.Namespace) -> str:
    """The measurement as one explicit command line (what regenerates a baseline)."""
    import shlex

    cmd = ["tserbench", "bench", "--dataset", args.dataset]
    if args.n_stars is not None:
        cmd += ["--n-stars", str(args.n_stars)]
    cmd += ["--variant", args.variant, "--epoch-models", args.epoch_models,
            "--inference-models", args.inference_models]
    if args.cv_models:
        cmd += ["--cv-models", args.cv_models, "--folds", args.folds, "--n-jobs", str(args.n_jobs)]
    cmd += ["--n-epochs", str(args.n_epochs), "--n-series", str(args.n_series)]
    if args.params_from:
        cmd += ["--params-from", args.params_from]
    return shlex.join(cmd)


_UNITS = {
    "load_seconds": ("load", "s"),
    "preprocessing_stars_per_s": ("preprocessing", "stars/s"),
    "epoch_seconds": ("training epoch", "s"),
    "inference_series_per_s": ("inference", "series/s"),
    "cv_wall_seconds": ("cross-validation wall", "s"),
    "cv_oof_rmse": ("cross-validation OOF RMSE", "dex"),
}


def _format_figure(value: float) -> str:
    """4 significant digits below 100 (``1.018``), whole numbers with separators above (``31,286``)."""
    return f"{value:,.4g}" if abs(value) < 100 else f"{value:,.0f}"


def _print_table(result: dict, rows: list[dict] | None) -> None:
    from rich.console import Console
    from rich.table import Table

    checked = {(r["figure"], r["key"]): r for r in rows or []}
    table = Table(title=f"tserbench bench — {result['dataset']} ({result['n_instances']} instances, "
                        f"{result['machine']['cpus']} CPUs)")
    for col in ("figure", "what", "value", "unit"):
        table.add_column(col, justify="right" if col == "value" else "left")
    if rows is not None:
        table.add_column("baseline", justify="right")
        table.add_column("status")
    for figure, (label, unit) in _UNITS.items():
        for key, value in (result.get(figure) or {}).items():
            cells = [label, key, _format_figure(value), unit]
            if rows is not None:
                r = checked.get((figure, key))
                cells += ["" if r is None else _format_figure(r["baseline"]),
                          "" if r is None else ("[green]ok[/]" if r["ok"] else "[red]REGRESSED[/]")]
            table.add_row(*cells)
    Console().print(table)

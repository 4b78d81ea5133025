"""``tserbench tune``: search hyper-parameters; ``tserbench tune export``: write the best ones.

::

    tserbench tune --dataset rrab-synthetic --model gru --n-trials 50 \\
        [--storage URL] [--study-name S] [--timeout SEC] [--sampler tpe|random|cmaes] \\
        [--pruner median|hyperband|none] [--seed S] [--holdout-fold K] [--set n_epochs=30 ...]
    tserbench tune export --storage URL --study-name S -o params.json

Start the first command on several machines with one PostgreSQL ``--storage``
URL and the same ``--study-name``: they share the ``--n-trials`` budget.
"""

from __future__ import annotations

import argparse
import json

from tserbench._secrets import mask_secrets
from tserbench.exceptions import ConfigError

__all__ = ["register"]


def _key_value(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value  # a bare string


def register(subparsers) -> None:
    """Add ``tune`` (and ``tune export``) to the top-level sub-parsers."""
    from tserbench._config import DEFAULT_STORAGE

    p = subparsers.add_parser(
        "tune",
        help="Optuna hyper-parameter search (crash-safe, several workers may share a study)",
        description=(
            "Tune one model by inner cross-validation on the training stars of one outer fold "
            "(the --holdout-fold is never seen). Several workers on the same --storage and "
            "--study-name finish --n-trials trials between them; a killed worker's trial is retried."
        ),
    )
    p.add_argument("--dataset", help="dataset name (e.g. rrab-synthetic, rrab-gaia-dg22)")
    p.add_argument("--model", help="model name (see `tserbench models`)")
    p.add_argument("--n-trials", type=int, help="trials the whole study must finish (all workers together)")
    p.add_argument("--storage", default=None, help=f"SQLAlchemy URL of the Optuna storage (default {DEFAULT_STORAGE})")
    p.add_argument("--study-name", default=None, help="default <dataset>-<model>-h<holdout-fold>")
    p.add_argument("--timeout", type=float, default=None, help="seconds after which this worker starts no new trial")
    p.add_argument("--sampler", choices=("tpe", "random", "cmaes"), default="tpe")
    p.add_argument("--pruner", choices=("median", "hyperband", "none"), default="median")
    p.add_argument("--seed", type=int, default=0, help="sampler, split and model seed (default 0)")
    p.add_argument("--holdout-fold", type=int, default=0, help="outer fold never used while tuning (default 0)")
    p.add_argument("--folds", default=None, help="outer protocol as for `tserbench run` (predefined or KxR)")
    p.add_argument("--variant", default="full", help="preprocessing variant: full, spline or raw (default full)")
    p.add_argument("--inner-splits", type=int, default=3, help="K of the inner stratified K-fold (default 3)")
    p.add_argument("--metric", default="rmse", help="metric to optimise (default rmse; r2 is maximised)")
    p.add_argument(
        "--dataset-param",
        dest="dataset_params",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="dataset parameter (JSON value), e.g. n_stars=300; repeatable",
    )
    p.add_argument(
        "--set",
        dest="fixed_params",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="model parameter fixed for every trial (not searched), e.g. n_epochs=30; repeatable",
    )
    p.add_argument("--heartbeat", type=int, default=60, help="seconds between trial heartbeats (default 60)")
    p.add_argument("--grace", type=int, default=None, help="seconds without heartbeat before a trial is retried (default 2x heartbeat)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(func=_tune, on_interrupt="finished trials are kept in the study; re-run the same command to resume "
                   "it (the interrupted trial is marked failed and not counted)")

    sub = p.add_subparsers(dest="tune_command", metavar="{export}")
    e = sub.add_parser("export", help="write a study's best parameters as {model: params} JSON")
    e.add_argument("--storage", default=DEFAULT_STORAGE, help=f"storage URL (default {DEFAULT_STORAGE})")
    e.add_argument("--study-name", required=True)
    e.add_argument("-o", "--output", default="params.json", help="JSON file (default params.json)")
    e.set_defaults(func=_export, on_interrupt="the parameters file is written whole or not at all; re-run the command")


def _tune(args) -> int:
    from tserbench.tuning.study import DEFAULT_STORAGE, tune

    missing = [flag for flag, v in (("--dataset", args.dataset), ("--model", args.model), ("--n-trials", args.n_trials)) if v is None]
    if missing:
        raise ConfigError(f"tune needs {', '.join(missing)}")
    study = tune(
        args.dataset,
        args.model,
        n_trials=args.n_trials,
        storage=args.storage,
        study_name=args.study_name,
        timeout=args.timeout,
        sampler=args.sampler,
        pruner=args.pruner,
        random_state=args.seed,  # --seed is the CLI's name of random_state
        variant=args.variant,
        dataset_params=dict(args.dataset_params),
        fixed_params=dict(args.fixed_params),
        folds=args.folds,
        holdout_fold=args.holdout_fold,
        inner_splits=args.inner_splits,
        metric=args.metric,
        heartbeat_interval=args.heartbeat,
        grace_period=args.grace,
        progress=args.progress,
    )
    states: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        states[t.state.name] = states.get(t.state.name, 0) + 1
    print(f"study {study.study_name}: " + ", ".join(f"{v} {k.lower()}" for k, v in sorted(states.items())))
    try:
        best = study.best_trial
        extreme = "highest" if study.direction.name == "MAXIMIZE" else "lowest"
        print(
            f"best: {args.metric} {best.value:.6g} (the {extreme} inner-CV mean, trial {best.number}): "
            f"{json.dumps(best.user_attrs.get('params', {}))}"
        )
    except ValueError:
        print("no completed trial yet")
    storage = args.storage or DEFAULT_STORAGE
    print(
        f"export: tserbench tune export --storage '{mask_secrets(storage)}' --study-name {study.study_name} "
        "-o params.json\n"
        "then:   tserbench run ... --params-from params.json"
    )
    return 0


def _export(args) -> int:
    from tserbench.tuning.study import export_params

    path = export_params(args.storage, args.study_name, args.output)
    print(f"wrote {path}")
    return 0

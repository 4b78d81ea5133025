"""``tserbench run``: cross-validate models on a dataset, then build the leaderboard."""

from __future__ import annotations

import argparse
import json
import os
import shlex
from pathlib import Path

from tserbench.exceptions import ConfigError

__all__ = ["register", "DEFAULT_DATASET", "DEFAULT_MODELS", "DEFAULT_PARAMS", "load_params_spec"]

DEFAULT_DATASET = "rrab-synthetic"
#: The quick default set: two classical baselines and the M24 winner (GRU).
DEFAULT_MODELS = "fourier-linear,fourier-gb,gru"
#: Hyper-parameters of the default run when neither --models nor --params-from
#: is given: the GRU gets a 100-epoch budget (the registry default is 300 with
#: early stopping) so that plain ``tserbench`` finishes in a few minutes on 2
#: cores.  They appear in the recorded command line and in params.json.
DEFAULT_PARAMS = {"gru": {"n_epochs": 100}}


def register(subparsers) -> None:
    """Add the ``run`` sub-command."""
    p = subparsers.add_parser(
        "run",
        help="cross-validate models on a dataset and build the leaderboard (the default command)",
        description=(
            "Cross-validate models on a dataset and write a resumable result store "
            "(OUT/run.json, OUT/<model>/r<R>_f<F>.json + .oof.csv), then the leaderboard "
            "(OUT/leaderboard). Re-running the same command resumes: finished jobs are kept."
        ),
    )
    p.add_argument("--dataset", default=DEFAULT_DATASET, help=f"dataset name (default {DEFAULT_DATASET})")
    p.add_argument(
        "--dataset-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="dataset parameter, repeatable (e.g. --dataset-param n_stars=300); VALUE is parsed as JSON if it can be",
    )
    p.add_argument(
        "--models",
        default=None,
        help=f"comma-separated model names (default {DEFAULT_MODELS}, with {json.dumps(DEFAULT_PARAMS)} "
        "unless --params-from is given)",
    )
    p.add_argument("--variant", default="full", choices=("full", "spline", "raw"), help="preprocessing variant")
    p.add_argument(
        "--folds",
        default=None,
        help="'predefined' (the dataset's folds), KxR (e.g. 5x2: stratified K-fold, R repeats), 'fixed' (the "
             "dataset's own train/test split, e.g. an archive dataset's) or 'resamples:N' (tsml-eval's resamples "
             "of that split, resample 0 the split itself); default: predefined if the dataset has folds, else 5x1",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the fold shuffles and the models (default 0)")
    p.add_argument("--out", default=None, help="result folder (default results/<dataset>)")
    p.add_argument("--n-jobs", type=int, default=-1, help="local worker processes, -1 = all cores (default -1)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="run the jobs on a dask.distributed cluster")
    p.add_argument(
        "--params-from",
        default=None,
        metavar="SPEC",
        help=(
            "hyper-parameters: a JSON file {model: {param: value}} (e.g. from 'tserbench tune export'), "
            "inline JSON of the same form, an earlier result folder (its <model>/params.json), "
            "preset:paper or preset:paper-held-out (the papers' budgets for every deep model), "
            "or STORAGE_URL:STUDY of a tune study"
        ),
    )
    p.add_argument("--save-models", action="store_true", help="keep every fitted fold model under OUT/<model>/models/")
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=10,
        metavar="EPOCHS",
        help="deep models checkpoint each fold's fit every EPOCHS epochs (OUT/.checkpoints/), so a killed run "
        "resumes mid-fold (default 10; 0: no checkpoints)",
    )
    p.add_argument(
        "--also-held-out",
        action="store_true",
        help="for each deep model, also record the papers' selection from the same training runs: the epoch "
        "with the lowest loss on the CV test fold itself (DG22's and M24's protocol), as the row "
        "MODEL.held-out, labelled held-out and never ranked as honest; the inner rows are unchanged",
    )
    p.add_argument("--no-leaderboard", action="store_true", help="do not build OUT/leaderboard after the run")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_run, on_interrupt="finished folds are kept, and folds in flight resume from their last "
                   "checkpoint; re-run the same command to resume")


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _dataset_params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--dataset-param expects KEY=VALUE, got {pair!r}")
        params[key.strip()] = _parse_value(value)
    if "variant" in params:
        raise ConfigError("give the variant with --variant, not --dataset-param")
    return params


def load_params_spec(spec: str | None, models: list[str]) -> dict[str, dict]:
    """Read ``--params-from``: ``{model: {param: value}}`` for the models of the run.

    Parameters
    ----------
    spec : str or None
        A JSON file, inline JSON (starting with ``{``), an earlier result
        folder, ``preset:NAME`` (:mod:`tserbench.regressors.presets`, e.g.
        ``preset:paper``), or ``STORAGE_URL:STUDY`` of a ``tserbench tune``
        study (read with :func:`tserbench.tuning.load_params`).  Every
        JSON source is read by :func:`tserbench.tuning.parse_params`:
        list values are given back as tuples.
    models : list of str
        Models of the run; entries for other models are ignored (a file may
        hold the tuned parameters of many models).

    Returns
    -------
    dict
    """
    if not spec:
        return {}
    if spec.startswith("preset:"):  # named training settings, e.g. preset:paper
        from tserbench.regressors.presets import preset_params

        return preset_params(spec.split(":", 1)[1], models)
    from tserbench.tuning import load_params, parse_params, read_params_file

    path = Path(spec)
    if spec.lstrip().startswith("{"):
        source, obj = "--params-from", parse_params(spec, "--params-from")
    elif path.is_dir():
        found = {}
        for model in models:
            pfile = path / model / "params.json"
            if pfile.exists():
                found.update(read_params_file(pfile, model=model))
        if not found:
            raise ConfigError(f"{path}: no <model>/params.json for any of {', '.join(models)}")
        return found
    elif path.is_file():
        source, obj = str(path), read_params_file(path)
    elif "://" in spec:  # STORAGE_URL:STUDY, the best trial of a `tserbench tune` study
        return {m: p for m, p in load_params(spec).items() if m in models}
    else:
        raise ConfigError(f"--params-from {spec!r}: no such file or folder")
    _check_params_keys(obj, models, source)
    return {m: obj[m] for m in models if m in obj}


def _check_params_keys(obj: dict, models: list[str], source: str) -> None:
    """A key that names no model at all is a typo, not the parameters of another run's model."""
    import difflib

    from tserbench.regressors._registry import list_models

    known = {info.name for info in list_models()} | set(models)
    for key in obj:
        if key in known or "." in key or ":" in key:  # dotted paths name plug-in classes
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1) or [
            m for m in sorted(known) if m.lower() == key.lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{source}: parameters for {key!r}, which is no model{hint}")


def _command_line(args: argparse.Namespace, models: list[str]) -> str:
    """The run as one explicit command line (every option spelled out)."""
    parts = ["tserbench", "run", "--dataset", args.dataset]
    for pair in args.dataset_param:
        parts += ["--dataset-param", pair]
    parts += ["--models", ",".join(models), "--variant", args.variant]
    if args.folds:
        parts += ["--folds", args.folds]
    parts += ["--seed", str(args.seed)]
    if args.out:
        parts += ["--out", args.out]
    parts += ["--n-jobs", str(args.n_jobs)]
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    if args.params_from:
        parts += ["--params-from", args.params_from]
    if args.save_models:
        parts.append("--save-models")
    if args.also_held_out:
        parts.append("--also-held-out")
    if args.checkpoint_every != 10:
        parts += ["--checkpoint-every", str(args.checkpoint_every)]
    if args.no_leaderboard:
        parts.append("--no-leaderboard")
    return shlex.join(parts)


def _run(args: argparse.Namespace) -> int:
    from tserbench.evaluation.runner import run_benchmark

    if args.models is None:
        args.models = DEFAULT_MODELS
        if args.params_from is None:
            args.params_from = json.dumps(DEFAULT_PARAMS)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models:
        raise ConfigError("--models is empty")
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise ConfigError(f"--scheduler expects an address like tcp://HOST:PORT, got {args.scheduler!r}")
    params = load_params_spec(args.params_from, models)
    out = run_benchmark(
        args.dataset,
        models,
        variant=args.variant,
        folds=args.folds,
        random_state=args.seed,  # --seed is the CLI's name of random_state
        out=args.out,
        n_jobs=args.n_jobs,
        scheduler=args.scheduler,
        params=params,
        dataset_params=_dataset_params(args.dataset_param),
        save_models=args.save_models,
        progress=not args.quiet,
        command=_command_line(args, models),
        also_held_out=args.also_held_out,
        checkpoint_every=args.checkpoint_every or None,
    )
    from tserbench.leaderboard import collect, write_leaderboard

    lb = collect(out)  # the run's own rows, scored as the leaderboard scores them
    if not args.no_leaderboard:
        write_leaderboard(lb, Path(out) / "leaderboard")
    if not args.quiet:
        _print_summary(out, models, lb.doc)
        if not args.no_leaderboard:
            print(f"leaderboard: {os.fspath(Path(out) / 'leaderboard')}")
    return 0


def _print_summary(out, models: list[str], doc: dict) -> None:
    """The run's rows with the leaderboard's statistics and names (one definition everywhere)."""
    from tserbench.leaderboard import _cells as C

    v = C.vocab(doc)
    rows = [r for r in C.main_rows(doc) if r["kind"] == "harness"
            and (r["model"] in models or r["model"].removesuffix(".held-out") in models)]
    metrics = ("rmse", "mae", "r2")
    header = ["model", "selection", *(C.pooled_label(m) for m in metrics), C.spread_label("rmse", v.split),
              v.splits]
    cells = [[r["model"], C.selection_label(r), *(C.fmt(C.metric(r, "val", m)) for m in metrics),
              C.mean_std(r, "val", "rmse"), C.splits_cell(r)] for r in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *cells)]
    print(f"\nresults: {out}  (pooled = over every out-of-fold prediction at once, the leaderboard's "
          f"headline; mean ± SD = over the {v.splits}, sample SD)")
    for line in [header, *cells]:
        print("  " + "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))

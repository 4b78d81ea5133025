"""The leaderboard row of one model of a result store, and what the store says about its runs."""

from __future__ import annotations

import json

import pandas as pd

from tserbench.leaderboard._aggregate import row_flags, summarise_jobs, summarise_oof
from tserbench.leaderboard._metrics import weighted_names
from tserbench.leaderboard._vocabulary import vocabulary

__all__ = ["environments_of", "harness_row", "variant_suffix"]


def _selection(model) -> str:
    """The selection protocol of a model's rows: as its jobs recorded it, else its parameter, else ``inner``."""
    recorded = {j.record.get("selection") for j in model.jobs} - {None}
    if len(recorded) == 1:
        return recorded.pop()
    return str(model.params.get("selection", "inner"))


def harness_row(res, model, run: dict, protocol: str) -> tuple[dict, pd.DataFrame]:
    oof = model.oof
    twin_of = (run.get("held_out_twins") or {}).get(model.name)
    val, per_fold = summarise_oof(oof)
    # weighted metrics need the runner's weights, which the OOF files do not carry
    val.update(summarise_jobs([j.val_metrics for j in model.jobs], names=weighted_names()))
    train = summarise_jobs([j.train_metrics for j in model.jobs if j.train_metrics])
    weights = sorted({str(j.record.get("weights")) for j in model.jobs if j.record.get("weights")})
    fits = [j.fit_seconds for j in model.jobs if j.fit_seconds is not None]
    epochs = [j.epochs for j in model.jobs if j.epochs is not None]
    steps = [j.record["steps"] for j in model.jobs if isinstance(j.record.get("steps"), int)]
    flags, counts = row_flags(model.jobs, oof, per_fold, splits=vocabulary(run.get("dataset"), protocol).splits)
    row = {
        "model": model.name,
        "kind": "harness",
        "selection": _selection(model),
        "trajectory_of": twin_of,  # the inner row whose training runs this held-out pick comes from
        "dataset": run.get("dataset", "unknown"),
        "protocol": protocol,
        "variant": model.params.get("variant", run.get("variant")),
        "rank": None,
        "val": val,
        "train": train,
        "params": model.params,
        "wall_seconds": float(sum(fits)) if fits else None,
        "run_wall_seconds": res.run_wall_seconds,
        "n_folds": int(per_fold["fold"].nunique()),
        "n_repeats": int(per_fold["repeat"].nunique()),
        "n_jobs": len(model.jobs),
        "n_predictions": len(oof),
        "epochs_mean": float(sum(epochs) / len(epochs)) if epochs else None,
        "steps_mean": float(sum(steps) / len(steps)) if steps else None,
        "flags": flags,
        **counts,
        "per_fold": per_fold.to_dict(orient="records"),
        "command": _command(run, twin_of or model.name),
        "source": str(res.path),
        "weights": weights[0] if len(weights) == 1 else (weights or None),
        "note": None,
    }
    return row, oof


def _command(run: dict, model: str | None = None) -> str | None:
    """The command that produced ``model``'s results.

    A result store can be resumed with more ``--models`` than it was started
    with (``run.json`` keeps every command in ``resumed_by``): the latest
    recorded command whose ``--models`` includes ``model`` is returned,
    else the command that started the run.
    """
    entries = [run, *(run.get("resumed_by") or [])]
    commands = [e.get("command") for e in entries]
    commands = [c for c in commands if isinstance(c, str) and c.strip() not in ("", "-")]
    if model is not None:
        for cmd in reversed(commands):
            if model in _models_of(cmd):
                return cmd
    first = run.get("command")
    return first if isinstance(first, str) and first.strip() not in ("", "-") else None


def _models_of(command: str) -> list[str]:
    """The ``--models`` of a ``tserbench run`` command line (empty if it has none)."""
    import shlex

    try:
        tokens = shlex.split(command)
    except ValueError:
        return []
    for i, tok in enumerate(tokens):
        if tok == "--models" and i + 1 < len(tokens):
            return [m.strip() for m in tokens[i + 1].split(",")]
        if tok.startswith("--models="):
            return [m.strip() for m in tok.split("=", 1)[1].split(",")]
    return []


def variant_suffix(variant, first_variant) -> str:
    """``""`` for the leaderboard's first variant, else ``"@<variant>"``: a row's name is ``<model><suffix>``."""
    return "" if variant == first_variant else f"@{variant}"


def environments_of(stores, first_variant=None) -> list[dict]:
    """The distinct environments the store's jobs ran in, each with the rows and job count it covers.

    A job records the environment of the process that fitted it (a dask
    worker's, say); a store written before environments were recorded gives
    one group with ``environment`` None.  A group names the leaderboard's
    rows (``<model>@<variant>`` for a store of another variant than
    ``first_variant``), so that a board carried into a later one says which
    of two variants of a model ran where.
    """
    groups: dict[str, dict] = {}
    for res in stores:
        suffix = variant_suffix(res.run.get("variant"), first_variant)
        for model in res.models.values():
            name = model.name + suffix
            for job in model.jobs:
                env = job.record.get("environment")
                group = groups.setdefault(json.dumps(env, sort_keys=True),
                                          {"environment": env, "models": [], "n_jobs": 0})
                group["n_jobs"] += 1
                if name not in group["models"]:
                    group["models"].append(name)
    return list(groups.values())

"""Aggregate a result store into a leaderboard and write it to disk."""

from __future__ import annotations

import json
import math
import shlex
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tserbench import _io
from tserbench.exceptions import DataError
from tserbench.leaderboard import baselines
from tserbench.leaderboard._aggregate import HEADLINE, paired_comparison, summarise_jobs, summarise_oof
from tserbench.leaderboard._results import OOF_COLUMNS, read_results

__all__ = ["Leaderboard", "collect", "build_leaderboard"]


@dataclass
class Leaderboard:
    """An aggregated leaderboard, before rendering.

    Attributes
    ----------
    doc : dict
        The content of ``leaderboard.json``.
    oof : dict of str to pandas.DataFrame
        Out-of-fold predictions per model (harness and published-oof rows).
    histories : dict of str to list of (str, dict)
        Per model, ``(job label, history)`` for the learning curves.
    """

    doc: dict
    oof: dict[str, pd.DataFrame] = field(default_factory=dict)
    histories: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict]:
        return self.doc["rows"]


def _protocol(run: dict) -> str:
    proto = run.get("protocol", run.get("folds"))
    return str(proto) if proto is not None else "unknown"


def _harness_row(res, model, run: dict, protocol: str) -> tuple[dict, pd.DataFrame]:
    oof = model.oof
    val, per_fold = summarise_oof(oof)
    # weighted metrics need the runner's weights, which the OOF files do not carry
    val.update(summarise_jobs([j.val_metrics for j in model.jobs], names=("wrmse", "wmae")))
    train = summarise_jobs([j.train_metrics for j in model.jobs if j.train_metrics])
    weights = sorted({str(j.record.get("weights")) for j in model.jobs if j.record.get("weights")})
    fits = [j.fit_seconds for j in model.jobs if j.fit_seconds is not None]
    epochs = [j.epochs for j in model.jobs if j.epochs is not None]
    row = {
        "model": model.name,
        "kind": "harness",
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
        "per_fold": per_fold.to_dict(orient="records"),
        "command": _command(run, model.name),
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


def _environments(res) -> list[dict]:
    """The distinct environments the store's jobs ran in, each with the models and job count it covers.

    A job records the environment of the process that fitted it (a dask
    worker's, say); a store written before environments were recorded gives
    one group with ``environment`` None.
    """
    groups: dict[str, dict] = {}
    for model in res.models.values():
        for job in model.jobs:
            env = job.record.get("environment")
            group = groups.setdefault(json.dumps(env, sort_keys=True), {"environment": env, "models": [], "n_jobs": 0})
            group["n_jobs"] += 1
            if model.name not in group["models"]:
                group["models"].append(model.name)
    return list(groups.values())


def _sort_key(row: dict):
    rmse = row.get("val", {}).get("rmse", {}).get("value")
    return (rmse is None, rmse if rmse is not None else 0.0, row["model"])


def collect(results_dir: str | Path, *, data_home=None, generated_by: str | None = None) -> Leaderboard:
    """Aggregate a result store (and the Dékány baselines) without writing anything.

    Parameters
    ----------
    results_dir : str or Path
        The runner's output folder.
    data_home : path-like, optional
        Where the DG22 files are (default: :func:`tserbench._config.data_home`).
    generated_by : str, optional
        The command recorded as having produced the leaderboard.

    Returns
    -------
    Leaderboard
    """
    res = read_results(results_dir)
    run = res.run
    dataset = run.get("dataset", "unknown")
    protocol = _protocol(run)
    lb = Leaderboard(doc={
        "dataset": dataset,
        "protocol": protocol,
        "variant": run.get("variant"),
        "dataset_params": run.get("dataset_params") or {},
        "generated_by": generated_by,
        "headline": HEADLINE,
        "run": run,
        "environments": _environments(res),
        "notes": [],
        "rows": [],
    })
    rows = []
    expected = run.get("n_splits")
    for model in res.models.values():
        if isinstance(expected, int) and len(model.jobs) < expected:
            # a half-finished model would be ranked on a subset of the stars
            msg = (f"{model.name} left out: {len(model.jobs)} of {expected} folds finished "
                   "(re-run the same `tserbench run` command to finish it)")
            warnings.warn(msg, stacklevel=2)
            lb.doc["notes"].append(msg)
            continue
        row, oof = _harness_row(res, model, run, protocol)
        rows.append(row)
        lb.oof[model.name] = oof
        lb.histories[model.name] = [(f"r{j.repeat} f{j.fold}", j.history) for j in model.jobs if j.history]
    if dataset == baselines.DG22_DATASET:
        try:
            pub, pub_oof = baselines.dg22_published_row(data_home, command=generated_by)
        except DataError as exc:
            msg = f"DG22 published OOF row left out: {exc}"
            warnings.warn(msg, stacklevel=2)
            lb.doc["notes"].append(msg)
        else:
            for row in rows:
                row["paired_vs_published"] = paired_comparison(
                    lb.oof[row["model"]], pub_oof, reference=baselines.PUBLISHED_MODEL)
            rows.append(pub)
            lb.oof[baselines.PUBLISHED_MODEL] = pub_oof
        rows.extend(baselines.paper_rows(dataset))
    ranked = sorted((r for r in rows if r["kind"] != "paper-reported"), key=_sort_key)
    for i, row in enumerate(ranked, 1):
        row["rank"] = i
    # ours (ranked), then paper figures on this dataset, then other data sets
    others = [r for r in rows if r["kind"] == "paper-reported"]
    lb.doc["rows"] = ranked + [r for r in others if r["dataset"] == dataset] + [
        r for r in others if r["dataset"] != dataset]
    return lb


def _equivalent_command(results_dir, out_dir, name) -> str:
    cmd = ["tserbench", "leaderboard", str(results_dir), "-o", str(out_dir)]
    if name:
        cmd += ["--name", name]
    return shlex.join(cmd)


def build_leaderboard(results_dir: str | Path, out_dir: str | Path, *, name: str | None = None,
                      data_home=None, generated_by: str | None = None) -> Path:
    """Aggregate a result store and write the leaderboard files.

    Writes, atomically, into ``out_dir``: ``leaderboard.md``,
    ``leaderboard.csv``, ``leaderboard.json``, ``leaderboard.html`` and
    ``oof/<model>.csv`` (columns ``source_id,repeat,fold,y_true,y_pred``) for
    every harness model and for DG22's published predictions
    (``oof/dg22-published.csv``).

    Parameters
    ----------
    results_dir : str or Path
        The runner's output folder (``run.json``, ``<model>/r*_f*.json`` ...).
    out_dir : str or Path
        Destination folder, created if needed.
    name : str, optional
        Title of the leaderboard (default: the name of ``out_dir``).
    data_home : path-like, optional
        Where the DG22 files are (default: ``$TSERBENCH_DATA``).
    generated_by : str, optional
        The command to record; default: the equivalent ``tserbench
        leaderboard`` command line.

    Returns
    -------
    pathlib.Path
        The path of ``leaderboard.json``.
    """
    from tserbench.leaderboard import _render

    out_dir = Path(out_dir)
    generated_by = generated_by or _equivalent_command(results_dir, out_dir, name)
    lb = collect(results_dir, data_home=data_home, generated_by=generated_by)
    # default name: the folder (leaderboard/<name>/), or the dataset when the
    # folder is the runner's generic OUT/leaderboard
    folder = out_dir.resolve().name
    lb.doc["name"] = name or (lb.doc.get("dataset") if folder == "leaderboard" else None) or folder
    for model, oof in lb.oof.items():
        _io.atomic_write_csv(out_dir / "oof" / f"{model}.csv", oof[list(OOF_COLUMNS)])
    _io.atomic_write_text(out_dir / "leaderboard.md", _render.to_markdown(lb))
    _io.atomic_write_csv(out_dir / "leaderboard.csv", _render.to_frame(lb))
    from tserbench.leaderboard import _html

    _io.atomic_write_text(out_dir / "leaderboard.html", _html.to_html(lb))
    return _io.atomic_write_json(out_dir / "leaderboard.json", _finite(lb.doc))


def _finite(obj):
    """Replace NaN/inf by None so that leaderboard.json is strict JSON."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj

"""Aggregate a result store into a leaderboard and write it to disk."""

from __future__ import annotations

import json
import math
import shlex
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tserbench import _io
from tserbench.exceptions import ConfigError, DataError
from tserbench.leaderboard import baselines
from tserbench.leaderboard._aggregate import (
    paired_comparison,
    summarise_jobs,
    summarise_oof,
)
from tserbench.leaderboard._results import (
    OOF_COLUMNS,
    CarriedBoard,
    is_board,
    read_board,
    read_results,
)
from tserbench.leaderboard._vocabulary import headline, vocabulary

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
    histories : dict of str to list of (str, dict, dict)
        Per model, ``(job label, history, detail)`` for the learning curves
        (``detail``: the job's selected ``best_epoch`` and ``stop_reason``).
    """

    doc: dict
    oof: dict[str, pd.DataFrame] = field(default_factory=dict)
    histories: dict[str, list[tuple[str, dict, dict]]] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict]:
        return self.doc["rows"]


def _protocol(run: dict) -> str:
    proto = run.get("protocol", run.get("folds"))
    return str(proto) if proto is not None else "unknown"


def _selection(model) -> str:
    """The selection protocol of a model's rows: as its jobs recorded it, else its parameter, else ``inner``."""
    recorded = {j.record.get("selection") for j in model.jobs} - {None}
    if len(recorded) == 1:
        return recorded.pop()
    return str(model.params.get("selection", "inner"))


def _mean_predictor_rmse(oof: pd.DataFrame) -> dict[tuple[int, int], float]:
    """Per (repeat, fold): the RMSE of predicting the mean target of the rest of that repeat.

    With k-fold protocols the rest of a repeat is the fold's training set, so
    this is what predicting the training mean scores (for stores whose job
    records predate ``mean_predictor_rmse``).
    """
    out = {}
    for rep, part in oof.groupby("repeat"):
        for fold, grp in part.groupby("fold"):
            rest = part.loc[part["fold"] != fold, "y_true"]
            out[(int(rep), int(fold))] = float(np.sqrt(np.mean((grp["y_true"] - rest.mean()) ** 2)))
    return out


def _flags(jobs, oof: pd.DataFrame, per_fold: pd.DataFrame, cap: int | None = None,
           splits: str = "folds") -> tuple[list[str], dict]:
    """Warnings on a row: folds whose training hit the budget cap, folds no better than the mean predictor.

    ``splits`` names the splits in the text ("folds", or "resamples" under the archive's protocols).
    """
    n = len(per_fold)
    if cap is None:
        cap = sum(1 for j in jobs if j.record.get("stop_reason") == "cap")
    baseline = _mean_predictor_rmse(oof)
    recorded = {(j.repeat, j.fold): j.record.get("mean_predictor_rmse") for j in jobs}
    worse = 0
    for rec in per_fold.to_dict(orient="records"):
        key = (int(rec["repeat"]), int(rec["fold"]))
        ref = recorded.get(key) if recorded.get(key) is not None else baseline.get(key)
        if ref is not None and rec["rmse"] >= ref:
            worse += 1
    flags = []
    if cap:
        flags.append(f"{cap} of {n} {splits} stopped at the budget cap (not converged)")
    if worse:
        flags.append(f"{worse} of {n} {splits} no better than predicting the training mean")
    return flags, {"folds_at_cap": cap, "folds_worse_than_mean": worse}


def _harness_row(res, model, run: dict, protocol: str) -> tuple[dict, pd.DataFrame]:
    oof = model.oof
    twin_of = (run.get("held_out_twins") or {}).get(model.name)
    val, per_fold = summarise_oof(oof)
    # weighted metrics need the runner's weights, which the OOF files do not carry
    val.update(summarise_jobs([j.val_metrics for j in model.jobs], names=("wrmse", "wmae")))
    train = summarise_jobs([j.train_metrics for j in model.jobs if j.train_metrics])
    weights = sorted({str(j.record.get("weights")) for j in model.jobs if j.record.get("weights")})
    fits = [j.fit_seconds for j in model.jobs if j.fit_seconds is not None]
    epochs = [j.epochs for j in model.jobs if j.epochs is not None]
    steps = [j.record["steps"] for j in model.jobs if isinstance(j.record.get("steps"), int)]
    flags, counts = _flags(model.jobs, oof, per_fold, splits=vocabulary(run.get("dataset"), protocol).splits)
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


def _carried_row(row: dict, oof: pd.DataFrame, board: CarriedBoard, row_id: str) -> dict:
    """A committed harness row on a new leaderboard: metrics recomputed from its OOF file, the rest as committed."""
    val, per_fold = summarise_oof(oof)
    for name in ("wrmse", "wmae"):  # the OOF files do not carry the runner's weights
        if name in (row.get("val") or {}):
            val[name] = row["val"][name]
    splits = vocabulary(row.get("dataset"), row.get("protocol")).splits
    flags, counts = _flags([], oof, per_fold, cap=int(row.get("folds_at_cap") or 0), splits=splits)
    new = {k: v for k, v in row.items() if not k.startswith("paired_vs_")}
    base = row.get("base_model") or row["model"].split("@", 1)[0]
    new.update(
        model=row_id, base_model=base, rank=None, val=val, per_fold=per_fold.to_dict(orient="records"),
        # before selection was recorded, every harness row selected on an inner split (or not at all)
        selection=row.get("selection") or "inner", flags=flags, **counts, carried_from=str(board.path),
        n_predictions=len(oof), n_folds=int(per_fold["fold"].nunique()), n_repeats=int(per_fold["repeat"].nunique()),
    )
    return new


def _add_archive_rows(lb: Leaderboard, rows: list[dict], dataset: str, protocol: str, data_home) -> None:
    """The archive's published rows for an archive dataset run under its protocol, each harness row paired with them."""
    from tserbench.leaderboard import archive

    try:
        published = archive.published_rows(dataset, protocol, data_home)
    except DataError as exc:
        msg = f"the archive's published rows left out: {exc}"
        warnings.warn(msg, stacklevel=3)
        lb.doc["notes"].append(msg)
        return
    for row in rows:
        if row["kind"] == "harness" and published:
            mine = archive.resample_rmse(lb.oof[row["model"]])
            row["paired_vs_archive"] = {
                pub["model"]: archive.paired_by_resample(mine, pub["published_rmse"], reference=pub["model"])
                for pub in published}
            same = _archive_name_of(row.get("base_model") or row["model"])
            row["archive_same_regressor"] = f"{same} (published)" if same and any(
                pub["model"] == f"{same} (published)" for pub in published) else None
    rows.extend(published)


def _archive_name_of(model: str) -> str | None:
    """The archive's name for a registry model (``fcn`` -> ``FCN``), None for any other model."""
    from tserbench.regressors._registry import _BY_NAME

    info = _BY_NAME.get(model.split("@", 1)[0])
    return info.archive_name if info is not None else None


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


def _environments(stores) -> list[dict]:
    """The distinct environments the store's jobs ran in, each with the models and job count it covers.

    A job records the environment of the process that fitted it (a dask
    worker's, say); a store written before environments were recorded gives
    one group with ``environment`` None.
    """
    groups: dict[str, dict] = {}
    for model in (m for res in stores for m in res.models.values()):
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


#: The honest reference of the DG22 task: DG22's architecture retrained by
#: tserbench on DG22's own ``raw`` input, selected on an inner split.
HONEST_DG22 = "dg22-bilstm2p"


def _as_dirs(results_dirs) -> list[Path]:
    if isinstance(results_dirs, (str, Path)):
        return [Path(results_dirs)]
    dirs = [Path(d) for d in results_dirs]
    if not dirs:
        raise ConfigError("no result store given")
    return dirs


def _check_combinable(stores) -> None:
    """Stores on one leaderboard must be runs of the same dataset on the same folds."""
    first = stores[0].run
    for res in stores[1:]:
        for key in ("dataset", "protocol", "seed", "n_instances"):
            if res.run.get(key) != first.get(key):
                raise ConfigError(
                    f"{res.path} cannot share a leaderboard with {stores[0].path}: {key} "
                    f"{res.run.get(key)!r} there, {first.get(key)!r} here (one leaderboard, one dataset and folds)"
                )


def _curve_detail(record: dict) -> dict:
    """What a learning curve marks: the epoch whose weights the job's selection kept, and why it stopped."""
    pick = ((record.get("selection_detail") or {}).get(record.get("selection") or "inner") or {})
    return {"best_epoch": pick.get("best_epoch"), "stop_reason": record.get("stop_reason")}


def _honest_reference(rows: list[dict]) -> dict | None:
    """DG22's architecture retrained with inner selection, preferably on DG22's raw input."""
    cands = [r for r in rows if r["kind"] == "harness" and r.get("base_model") == HONEST_DG22
             and r.get("selection") == "inner"]
    cands.sort(key=lambda r: r.get("variant") != "raw")
    return cands[0] if cands else None


def _optimism(lb: Leaderboard, rows: list[dict]) -> dict | None:
    """The section "Selection on the test fold": each held-out pick against the inner pick of the same runs."""
    by_id = {r["model"]: r for r in rows}
    pairs = []
    for row in rows:
        inner = by_id.get(row.get("trajectory_of") or "")
        if row["kind"] != "harness" or row.get("selection") != "held-out" or inner is None:
            continue
        pc = paired_comparison(lb.oof[row["model"]], lb.oof[inner["model"]], reference=inner["model"])
        pairs.append({
            "held_out": row["model"], "inner": inner["model"], "variant": row.get("variant"),
            "rmse_held_out": row["val"]["rmse"]["value"], "rmse_inner": inner["val"]["rmse"]["value"],
            "comparison": pc,
        })
    if not pairs:
        return None
    return {"pairs": pairs}


def collect(results_dir, *, data_home=None, generated_by: str | None = None) -> Leaderboard:
    """Aggregate one or more result stores (and the Dékány baselines) without writing anything.

    Parameters
    ----------
    results_dir : str, Path or sequence of them
        The runner's output folder(s).  Several stores (e.g. the ``full`` and
        the ``raw`` variant of one dataset) share a leaderboard when they hold
        the same dataset, protocol, seed and number of instances; rows of a
        store whose variant differs from the first store's are named
        ``<model>@<variant>``.  A committed leaderboard folder (its
        ``leaderboard.json`` and ``oof/``, no ``run.json``) may stand in for
        a store that is gone: its harness rows are carried, their metrics
        recomputed from their OOF files (see
        :class:`~tserbench.leaderboard._results.CarriedBoard`); a row that a
        store also provides comes from the store.
    data_home : path-like, optional
        Where the DG22 files are (default: :func:`tserbench._config.data_home`).
    generated_by : str, optional
        The command recorded as having produced the leaderboard.

    Returns
    -------
    Leaderboard
    """
    inputs = [read_board(d) if is_board(d) else read_results(d) for d in _as_dirs(results_dir)]
    _check_combinable(inputs)
    stores = [s for s in inputs if not isinstance(s, CarriedBoard)]
    boards = [s for s in inputs if isinstance(s, CarriedBoard)]
    run = inputs[0].run
    first_variant = run.get("variant")
    dataset = run.get("dataset", "unknown")
    protocol = _protocol(run)
    vocab = vocabulary(dataset, protocol)
    lb = Leaderboard(doc={
        "dataset": dataset,
        "protocol": protocol,
        "variant": first_variant,
        "variants": list(dict.fromkeys(res.run.get("variant") for res in inputs)),
        "dataset_params": run.get("dataset_params") or {},
        "generated_by": generated_by,
        "headline": headline(vocab, protocol),
        "vocabulary": vocab.to_dict(),
        "run": run,
        "runs": [res.run for res in inputs] if len(inputs) > 1 else None,
        "environments": _environments(stores),
        "notes": [],
        "rows": [],
    })
    rows = []
    for res in stores:
        suffix = "" if res.run.get("variant") == first_variant else f"@{res.run.get('variant')}"
        expected = res.run.get("n_splits")
        for model in res.models.values():
            row_id = model.name + suffix
            if isinstance(expected, int) and len(model.jobs) < expected:
                # a half-finished model would be ranked on a subset of the stars
                msg = (f"{row_id} left out: {len(model.jobs)} of {expected} folds finished "
                       "(re-run the same `tserbench run` command to finish it)")
                warnings.warn(msg, stacklevel=2)
                lb.doc["notes"].append(msg)
                continue
            if row_id in lb.oof:
                raise ConfigError(f"model {row_id!r} appears in two result stores of the same variant")
            row, oof = _harness_row(res, model, res.run, protocol)
            row.update(model=row_id, base_model=model.name)
            if row.get("trajectory_of"):
                row["trajectory_of"] += suffix
            rows.append(row)
            lb.oof[row_id] = oof
            lb.histories[row_id] = [(f"r{j.repeat} f{j.fold}", j.history, _curve_detail(j.record))
                                    for j in model.jobs if j.history]
    for board in boards:  # a result store given beside a board replaces the board's copy of its rows
        carried = []
        for old in board.rows:
            variant = old.get("variant")
            row_id = (old.get("base_model") or old["model"].split("@", 1)[0]) + (
                "" if variant == first_variant else f"@{variant}")
            if row_id in lb.oof:
                continue
            row = _carried_row(old, board.oof[old["model"]], board, row_id)
            if row.get("trajectory_of"):
                row["trajectory_of"] = row["trajectory_of"].split("@", 1)[0] + row_id[len(row["base_model"]):]
            rows.append(row)
            carried.append(row_id)
            lb.oof[row_id] = board.oof[old["model"]]
        if carried:
            lb.doc["environments"] += [
                {**env, "models": [m for m in carried if m.split("@", 1)[0] in env.get("models", [])],
                 "carried_from": str(board.path)} for env in board.environments]
            lb.doc["notes"].append(
                f"{len(carried)} row(s) carried from the committed leaderboard {board.path}: metrics recomputed "
                "from their OOF files, everything else (parameters, commands, wall times, train metrics) as "
                "committed; their learning curves are not carried")
    honest = _honest_reference(rows)
    if honest is not None:
        lb.doc["honest_reference"] = honest["model"]
        for row in rows:
            if row is not honest:
                row["paired_vs_honest"] = paired_comparison(lb.oof[row["model"]], lb.oof[honest["model"]],
                                                            reference=honest["model"])
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
            if honest is not None:
                pub["paired_vs_honest"] = paired_comparison(pub_oof, lb.oof[honest["model"]],
                                                            reference=honest["model"])
            rows.append(pub)
            lb.oof[baselines.PUBLISHED_MODEL] = pub_oof
        rows.extend(baselines.paper_rows(dataset))
    _add_archive_rows(lb, rows, dataset, protocol, data_home)
    optimism = _optimism(lb, rows)
    if optimism is not None:
        lb.doc["selection_optimism"] = optimism
    # only honest rows are ranked: a row selected on the test fold is listed after them, unranked
    competing = [r for r in rows if r["kind"] != "paper-reported"]
    ranked = sorted((r for r in competing if r.get("selection", "inner") == "inner"), key=_sort_key)
    held_out = sorted((r for r in competing if r.get("selection", "inner") != "inner"), key=_sort_key)
    for i, row in enumerate(ranked, 1):
        row["rank"] = i
    # ours (ranked), held-out picks, then paper figures on this dataset, then other data sets
    others = [r for r in rows if r["kind"] == "paper-reported"]
    lb.doc["rows"] = ranked + held_out + [r for r in others if r["dataset"] == dataset] + [
        r for r in others if r["dataset"] != dataset]
    return lb


def _equivalent_command(results_dir, out_dir, name) -> str:
    cmd = ["tserbench", "leaderboard", *(str(d) for d in _as_dirs(results_dir)), "-o", str(out_dir)]
    if name:
        cmd += ["--name", name]
    return shlex.join(cmd)


def build_leaderboard(results_dir, out_dir: str | Path, *, name: str | None = None,
                      data_home=None, generated_by: str | None = None) -> Path:
    """Aggregate one or more result stores and write the leaderboard files.

    Writes, atomically, into ``out_dir``: ``leaderboard.md``,
    ``leaderboard.csv``, ``leaderboard.json``, ``leaderboard.html``, its
    figures as ``figures/<name>.png`` (150 dpi) and ``.pdf`` (see
    :mod:`tserbench.leaderboard.figures`) and ``oof/<model>.csv`` (columns ``source_id,repeat,fold,y_true,y_pred``) for
    every harness model and for DG22's published predictions
    (``oof/dg22-published.csv``).

    Parameters
    ----------
    results_dir : str, Path or sequence of them
        The runner's output folder(s) (``run.json``, ``<model>/r*_f*.json``
        ...); several stores of one dataset and folds share one leaderboard
        (see :func:`collect`).
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
    from tserbench._secrets import mask_secrets
    from tserbench.leaderboard import _render

    out_dir = Path(out_dir)
    generated_by = mask_secrets(generated_by or _equivalent_command(results_dir, out_dir, name))
    lb = collect(results_dir, data_home=data_home, generated_by=generated_by)
    # default name: the folder (leaderboard/<name>/), or the dataset when the
    # folder is the runner's generic OUT/leaderboard
    folder = out_dir.resolve().name
    lb.doc["name"] = name or (lb.doc.get("dataset") if folder == "leaderboard" else None) or folder
    for model, oof in lb.oof.items():
        _io.atomic_write_csv(out_dir / "oof" / f"{model}.csv", oof[list(OOF_COLUMNS)])
    _io.atomic_write_text(out_dir / "leaderboard.md", _render.to_markdown(lb))
    _io.atomic_write_csv(out_dir / "leaderboard.csv", _render.to_frame(lb))
    from tserbench.leaderboard import _html, figures

    figs = figures.leaderboard_figures(lb)
    figures.save_figures(figs, out_dir / "figures")
    _io.atomic_write_text(out_dir / "leaderboard.html", _html.to_html(lb, figs))
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

"""Aggregate a result store into a leaderboard and write it to disk."""

from __future__ import annotations

import math
import shlex
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tserbench import _io
from tserbench.exceptions import ConfigError, DataError
from tserbench.leaderboard import baselines
from tserbench.leaderboard._aggregate import paired_comparison
from tserbench.leaderboard._results import (
    OOF_COLUMNS,
    CarriedBoard,
    carried_rows,
    is_board,
    read_board,
    read_results,
)
from tserbench.leaderboard._rows import environments_of, harness_row, variant_suffix
from tserbench.leaderboard._vocabulary import headline, vocabulary

__all__ = ["Leaderboard", "build_leaderboard", "collect", "write_leaderboard"]


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
        "environments": environments_of(stores, first_variant),
        "notes": [],
        "rows": [],
    })
    rows = []
    for res in stores:
        suffix = variant_suffix(res.run.get("variant"), first_variant)
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
            row, oof = harness_row(res, model, res.run, protocol)
            row.update(model=row_id, base_model=model.name)
            if row.get("trajectory_of"):
                row["trajectory_of"] += suffix
            rows.append(row)
            lb.oof[row_id] = oof
            lb.histories[row_id] = [(f"r{j.repeat} f{j.fold}", j.history, _curve_detail(j.record))
                                    for j in model.jobs if j.history]
    for board in boards:  # a result store given beside a board replaces the board's copy of its rows
        carried, oofs, envs, note = carried_rows(board, first_variant, taken=set(lb.oof),
                                                  fresh=lb.doc["environments"])
        rows.extend(carried)
        lb.oof.update(oofs)
        lb.doc["environments"] += envs
        if note:
            lb.doc["notes"].append(note)
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

    out_dir = Path(out_dir)
    generated_by = mask_secrets(generated_by or _equivalent_command(results_dir, out_dir, name))
    return write_leaderboard(collect(results_dir, data_home=data_home, generated_by=generated_by), out_dir, name=name)


def write_leaderboard(lb: Leaderboard, out_dir: str | Path, *, name: str | None = None) -> Path:
    """Write the files of :func:`build_leaderboard` for a leaderboard :func:`collect` made.

    Parameters
    ----------
    lb : Leaderboard
        As :func:`collect` returns it; its ``doc["name"]`` is set here.
    out_dir : str or Path
        Destination folder, created if needed.
    name : str, optional
        Title of the leaderboard (default: the name of ``out_dir``, or the
        dataset when the folder is the runner's ``OUT/leaderboard``).

    Returns
    -------
    pathlib.Path
        The path of ``leaderboard.json``.
    """
    from tserbench.leaderboard import _render

    out_dir = Path(out_dir)
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

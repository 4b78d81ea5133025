"""Read a result store for the leaderboard, through :class:`~tserbench.evaluation.store.ResultStore`.

Layout (docs/architecture.md)::

    OUT/run.json                           dataset, variant, protocol, seed, command, version
    OUT/<model>/params.json                hyper-parameters used
    OUT/<model>/r<repeat>_f<fold>.json     metrics (train + val), fit seconds, epochs, history
    OUT/<model>/r<repeat>_f<fold>.oof.csv  source_id,repeat,fold,y_true,y_pred

A job counts as done iff its ``.json`` exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from tserbench.evaluation.store import OOF_COLUMNS  # one definition: the store's
from tserbench.exceptions import DataError
from tserbench.leaderboard._aggregate import row_flags, summarise_oof
from tserbench.leaderboard._metrics import weighted_names
from tserbench.leaderboard._rows import variant_suffix
from tserbench.leaderboard._vocabulary import vocabulary

__all__ = [
    "OOF_COLUMNS", "CarriedBoard", "Job", "ModelResults", "RunResults",
    "carried_rows", "is_board", "read_board", "read_results",
]


@dataclass
class Job:
    """One finished (repeat, fold) job of one model (its JSON record)."""

    repeat: int
    fold: int
    record: dict

    @property
    def train_metrics(self) -> dict[str, float]:
        return dict((self.record.get("metrics") or {}).get("train") or {})

    @property
    def val_metrics(self) -> dict[str, float]:
        return dict((self.record.get("metrics") or {}).get("val") or {})

    @property
    def fit_seconds(self) -> float | None:
        v = self.record.get("fit_seconds")
        return float(v) if isinstance(v, (int, float)) else None

    @property
    def epochs(self) -> int | None:
        v = self.record.get("epochs")
        return int(v) if isinstance(v, (int, float)) else None

    @property
    def history(self) -> dict | None:
        h = self.record.get("history")
        return h if isinstance(h, dict) and h else None


@dataclass
class ModelResults:
    """All finished jobs of one model and their out-of-fold predictions."""

    name: str
    params: dict
    jobs: list[Job] = field(default_factory=list)
    oof: pd.DataFrame | None = None


@dataclass
class RunResults:
    """A whole result store."""

    path: Path
    run: dict
    models: dict[str, ModelResults]

    @property
    def run_wall_seconds(self) -> float | None:
        """Wall time of the run as recorded in run.json (None if not recorded)."""
        v = self.run.get("wall_seconds")
        if isinstance(v, (int, float)):
            return float(v)
        start, end = self.run.get("started"), self.run.get("finished")
        if start and end:
            try:
                return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
            except (TypeError, ValueError):
                return None
        return None


def read_results(results_dir: str | Path) -> RunResults:
    """Read every finished job of a result store.

    Raises
    ------
    DataError
        If the folder or its ``run.json`` is missing, or a file is malformed.
    """
    from tserbench.evaluation.store import ResultStore

    root = Path(results_dir)
    if not root.is_dir():
        raise DataError("results folder not found", root)
    store = ResultStore(root)
    run = store.read_run()
    if run is None:
        raise DataError("no run.json: not a tserbench result store", root)
    models: dict[str, ModelResults] = {}
    for name in store.models():
        records = store.read_jobs(name)
        if not records:
            continue
        jobs = [Job(repeat, fold, rec) for (repeat, fold), rec in zip(store.done_jobs(name), records)]
        oof = store.read_oof(name)
        counts = oof.groupby(["repeat", "fold"]).size()
        for job in jobs:  # a file that lost lines must not be ranked on fewer stars
            n_val = job.record.get("n_val")
            have = int(counts.get((job.repeat, job.fold), 0))
            if isinstance(n_val, int) and have != n_val:
                raise DataError(f"model {name}, repeat {job.repeat}, fold {job.fold}: {have} out-of-fold "
                                f"predictions for {n_val} validation stars (file damaged?)",
                                store.job_path(name, job.repeat, job.fold, ".oof.csv"))
        bad = oof[["y_true", "y_pred"]].isna().any(axis=1)
        if bad.any():
            raise DataError(f"model {name}: star {oof.loc[bad, 'source_id'].iloc[0]} has no y_true/y_pred "
                            f"in its out-of-fold predictions", store.model_dir(name))
        models[name] = ModelResults(name=name, params=store.read_params(name) or {}, jobs=jobs,
                                    oof=oof[list(OOF_COLUMNS)])
    return RunResults(path=root, run=run, models=models)


@dataclass
class CarriedBoard:
    """The harness rows of a committed leaderboard, to be carried onto a new one.

    A committed leaderboard keeps each harness row's record and its
    out-of-fold predictions (``oof/<model>.csv``) but not the result store
    behind it.  Carrying lets a leaderboard be rebuilt (a new row added, a new
    section) without re-running models whose store is gone: each carried
    row's metrics are recomputed from its OOF file, the rest of its record
    (parameters, command, wall times, train metrics) is kept as committed.
    """

    path: Path
    run: dict
    rows: list[dict]
    oof: dict[str, pd.DataFrame]
    environments: list[dict]


def is_board(path: str | Path) -> bool:
    """True for a leaderboard folder (``leaderboard.json``, no ``run.json``)."""
    p = Path(path)
    return (p / "leaderboard.json").is_file() and not (p / "run.json").exists()


def read_board(path: str | Path) -> CarriedBoard:
    """Read the harness rows of a committed leaderboard folder and their OOF files.

    Raises
    ------
    DataError
        If ``leaderboard.json`` is malformed, has no recorded run, or a row's
        OOF file is missing or incomplete.
    """
    import json

    root = Path(path)
    try:
        doc = json.loads((root / "leaderboard.json").read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"not a readable leaderboard ({exc})", root / "leaderboard.json") from exc
    if not isinstance(doc.get("run"), dict):
        raise DataError("leaderboard.json records no run: cannot carry its rows", root / "leaderboard.json")
    rows, oof = [], {}
    for row in doc.get("rows") or []:
        if row.get("kind") != "harness":
            continue  # baselines and paper rows are rebuilt, not carried
        f = root / "oof" / f"{row['model']}.csv"
        if not f.is_file():
            raise DataError(f"row {row['model']}: its out-of-fold predictions are missing", f)
        frame = pd.read_csv(f, dtype={"source_id": "int64", "repeat": "int64", "fold": "int64"},  # ids > 2**53: never float
                            float_precision="round_trip")  # rewritten byte for byte
        if list(frame.columns[: len(OOF_COLUMNS)]) != list(OOF_COLUMNS) or frame[["y_true", "y_pred"]].isna().any().any():
            raise DataError(f"row {row['model']}: malformed out-of-fold predictions", f)
        if row.get("n_predictions") is not None and len(frame) != row["n_predictions"]:
            raise DataError(f"row {row['model']}: {len(frame)} out-of-fold predictions, the row records "
                            f"{row['n_predictions']} (file damaged?)", f)
        rows.append(row)
        oof[row["model"]] = frame[list(OOF_COLUMNS)]
    return CarriedBoard(path=root, run=doc["run"], rows=rows, oof=oof, environments=list(doc.get("environments") or []))


def carried_rows(board: CarriedBoard, first_variant, *, taken: set[str],
                 fresh: Sequence[dict] = ()) -> tuple[list[dict], dict, list[dict], str | None]:
    """The harness rows of a committed board on a new leaderboard, except those a result store provides.

    Parameters
    ----------
    board : CarriedBoard
    first_variant : str or None
        The variant of the leaderboard's first input: rows of another variant
        are named ``<model>@<variant>``.
    taken : set of str
        Row names already on the leaderboard (from result stores): those rows
        are not carried.
    fresh : sequence of dict
        The environments of the leaderboard's result stores: a board written
        before its environments named rows by variant (``model`` for
        ``model@raw``) may list a store's environment under a model name that
        a carried row of another variant also has; such a group is the
        store's, not the carried row's.

    Returns
    -------
    rows : list of dict
    oof : dict
        ``{row name: OOF frame}``.
    environments : list of dict
        The board's environments, each with the carried rows it covers.
    note : str or None
        The leaderboard note that says what was carried.
    """
    rows, oof, kept = [], {}, []
    for old in board.rows:
        variant = old.get("variant")
        row_id = (old.get("base_model") or old["model"].split("@", 1)[0]) + variant_suffix(variant, first_variant)
        if row_id in taken or row_id in oof:
            continue
        row = _carried_row(old, board.oof[old["model"]], board, row_id)
        if row.get("trajectory_of"):
            row["trajectory_of"] = row["trajectory_of"].split("@", 1)[0] + row_id[len(row["base_model"]):]
        rows.append(row)
        kept.append(old)
        oof[row_id] = board.oof[old["model"]]
    if not rows:
        return [], {}, [], None
    carried = list(oof)
    environments = []
    for env in board.environments:
        if _is_a_fresh_environment(env, fresh):
            continue
        names = env.get("models", [])
        legacy = not any("@" in m for m in names)  # written before groups named variants
        matched = {old["model"]: row_id for row_id, old in zip(carried, kept)
                   if old["model"] in names or (legacy and old["model"].split("@", 1)[0] in names)}
        if matched:  # a group none of whose rows is carried went with its rows
            # the job count holds only while the group keeps all its rows (a row's jobs may span groups)
            whole = len(matched) >= len(set(names))
            environments.append({**env, "models": list(matched.values()),
                                 "n_jobs": env.get("n_jobs") if whole else None,
                                 "carried_from": str(board.path)})
    note = (f"{len(carried)} row(s) carried from the committed leaderboard {board.path}: metrics recomputed "
            "from their OOF files, everything else (parameters, commands, wall times, train metrics) as "
            "committed; their learning curves are not carried")
    return rows, oof, environments, note


def _is_a_fresh_environment(env: dict, fresh: Sequence[dict]) -> bool:
    """Whether a carried board's environment group is one of the stores' (same environment, same models)."""
    if env.get("environment") is None:
        return False
    names = {m.split("@", 1)[0] for m in env.get("models", [])}
    return any(f.get("environment") == env["environment"]
               and names <= {m.split("@", 1)[0] for m in f.get("models", [])} for f in fresh)


def _carried_stop_unknown(row: dict) -> int:
    """How many of a carried row's folds have no recorded stop reason.

    A row that records the count keeps it.  An older row trained by epochs
    (``epochs_mean``) without ``steps_mean`` comes from job records that had
    neither steps nor a stop reason (the two were recorded together): its
    ``folds_at_cap`` of 0 was never measured, so every fold counts as unknown.
    """
    if row.get("folds_stop_unknown") is not None:
        return int(row["folds_stop_unknown"])
    if row.get("epochs_mean") is not None and row.get("steps_mean") is None:
        return int(row.get("n_jobs") or len(row.get("per_fold") or []))
    return 0


def _carried_row(row: dict, oof: pd.DataFrame, board: CarriedBoard, row_id: str) -> dict:
    """A committed harness row on a new leaderboard: metrics recomputed from its OOF file, the rest as committed."""
    val, per_fold = summarise_oof(oof)
    for name in weighted_names():  # the OOF files do not carry the runner's weights
        if name in (row.get("val") or {}):
            val[name] = row["val"][name]
    splits = vocabulary(row.get("dataset"), row.get("protocol")).splits
    flags, counts = row_flags([], oof, per_fold, cap=int(row.get("folds_at_cap") or 0), splits=splits,
                              stop_unknown=_carried_stop_unknown(row))
    new = {k: v for k, v in row.items() if not k.startswith("paired_vs_")}
    base = row.get("base_model") or row["model"].split("@", 1)[0]
    new.update(
        model=row_id, base_model=base, rank=None, val=val, per_fold=per_fold.to_dict(orient="records"),
        # before selection was recorded, every harness row selected on an inner split (or not at all)
        selection=row.get("selection") or "inner", flags=flags, **counts, carried_from=str(board.path),
        n_predictions=len(oof), n_folds=int(per_fold["fold"].nunique()), n_repeats=int(per_fold["repeat"].nunique()),
    )
    return new

"""Dékány & Grebel (2022) and Monti et al. (2024) baselines for the leaderboard.

Three kinds of rows, for the ``rrab-gaia-dg22`` dataset only:

``paper-reported`` (DG22)
    DG22's best G-band model as quoted by M24 Table 3.  DG22's R² and
    weighted metrics are weighted by inverse target variance (the target
    errors are not published), so they are not directly comparable with our
    unweighted figures.
``published-oof`` (``dg22-published``)
    DG22's own out-of-fold predictions for the 4458 stars, re-scored by our
    metric code, per fold and pooled — the bar to beat on identical folds.
``paper-reported`` (M24 Table A1)
    Nine networks on M24's own data set (6002 Gaia DR3 RRab, not public):
    another data set, never ranked with ours.

Every quoted number lives in :data:`QUOTED`, with its source.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

from tserbench._config import data_home as _data_home
from tserbench.exceptions import DataError
from tserbench.leaderboard._aggregate import summarise_jobs, summarise_oof
from tserbench.leaderboard._metrics import score

__all__ = [
    "DG22_DATASET",
    "DG22_DIR",
    "DG22_VAL_FILE",
    "DG22_TRAIN_FILE",
    "PUBLISHED_MODEL",
    "M24_DATASET",
    "QUOTED",
    "Quoted",
    "read_dg22_oof",
    "dg22_published_row",
    "paper_rows",
]

DG22_DATASET = "rrab-gaia-dg22"
DG22_DIR = "dekany2022_gaia_g"
DG22_VAL_FILE = "dekany2022_bilstm_oof_val.dat"
DG22_TRAIN_FILE = "dekany2022_bilstm_oof_train.dat"
PUBLISHED_MODEL = "dg22-published"
M24_DATASET = "M24 (6002 Gaia DR3 RRab, not public)"

_M24 = ("Monti, Muraveva, Clementini & Garofalo 2024, Sensors 24(16) 5203, Table A1 "
        "(full preprocessing, validation folds)")
_M24_T3 = "Monti et al. 2024, Sensors 24(16) 5203, Table 3, quoting Dékány & Grebel 2022, ApJS 261, 33"
_DG22_NOTE = ("as published: R² and the weighted metrics are weighted by the inverse variance of the "
              "targets' errors (not published), so only RMSE/MAE are loosely comparable; rounded to 2 decimals")
_M24_NOTE = "another data set, not comparable"


class Quoted(NamedTuple):
    """One row of figures quoted from a paper."""

    model: str
    dataset: str
    split: str  # "val" or "train"
    r2: float
    wrmse: float
    wmae: float
    rmse: float
    mae: float
    source: str
    note: str


#: Every number the leaderboard quotes from the literature (not computed).
QUOTED: tuple[Quoted, ...] = (
    Quoted("dg22-bilstm2p (paper)", DG22_DATASET, "val", 0.93, 0.13, 0.10, 0.18, 0.13, _M24_T3, _DG22_NOTE),
    Quoted("dg22-bilstm2p (paper)", DG22_DATASET, "train", 0.96, 0.10, 0.07, 0.15, 0.12, _M24_T3, _DG22_NOTE),
    Quoted("M24 FCN", M24_DATASET, "val", 0.9317, 0.0815, 0.0585, 0.0815, 0.0587, _M24, _M24_NOTE),
    Quoted("M24 ResNet", M24_DATASET, "val", 0.9303, 0.0823, 0.0601, 0.0823, 0.0603, _M24, _M24_NOTE),
    Quoted("M24 InceptionTime", M24_DATASET, "val", 0.9392, 0.0769, 0.0564, 0.0769, 0.0567, _M24, _M24_NOTE),
    Quoted("M24 LSTM", M24_DATASET, "val", 0.9301, 0.0824, 0.0612, 0.0825, 0.0615, _M24, _M24_NOTE),
    Quoted("M24 BiLSTM", M24_DATASET, "val", 0.9333, 0.0805, 0.0594, 0.0807, 0.0597, _M24, _M24_NOTE),
    Quoted("M24 GRU", M24_DATASET, "val", 0.9401, 0.0763, 0.0563, 0.0765, 0.0565, _M24, _M24_NOTE),
    Quoted("M24 BiGRU", M24_DATASET, "val", 0.9368, 0.0784, 0.0575, 0.0785, 0.0578, _M24, _M24_NOTE),
    Quoted("M24 ConvLSTM", M24_DATASET, "val", 0.9271, 0.0842, 0.0630, 0.0844, 0.0633, _M24, _M24_NOTE),
    Quoted("M24 ConvGRU", M24_DATASET, "val", 0.9325, 0.0810, 0.0597, 0.0811, 0.0599, _M24, _M24_NOTE),
)


def read_dg22_oof(path: str | Path, *, repeat: int = 0) -> pd.DataFrame:
    """Read one of DG22's prediction files (``source_id fold FeH_true FeH_pred``).

    ``source_id`` is parsed from its text to int64 (never through float).

    Returns
    -------
    pandas.DataFrame
        Columns ``source_id, repeat, fold, y_true, y_pred``.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("DG22 prediction file not found (set TSERBENCH_DATA or fetch rrab-gaia-dg22)", path)
    raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, comment=None)
    if raw.shape[1] != 4:
        raise DataError(f"expected 4 whitespace-separated columns, found {raw.shape[1]}", path)
    raw.columns = ["source_id", "fold", "y_true", "y_pred"]
    if raw.isna().any().any():
        bad = raw[raw.isna().any(axis=1)].iloc[0]
        raise DataError(f"star {bad['source_id']}: missing value", path)
    try:
        ids = raw["source_id"].map(int).astype("int64")
        frame = pd.DataFrame({
            "source_id": ids,
            "repeat": repeat,
            "fold": raw["fold"].map(int).astype("int64"),
            "y_true": raw["y_true"].astype(float),
            "y_pred": raw["y_pred"].astype(float),
        })
    except (ValueError, OverflowError) as exc:
        raise DataError(f"malformed value ({exc})", path) from None
    return frame


def _paper_metrics(q: Quoted) -> dict:
    return {name: {"value": getattr(q, name), "reported": getattr(q, name), "pooled": None,
                   "mean": None, "std": None, "n": None}
            for name in ("r2", "rmse", "mae", "wrmse", "wmae")}


def paper_rows(dataset: str) -> list[dict]:
    """The ``paper-reported`` rows shown with a leaderboard of ``dataset``.

    DG22's figures only accompany ``rrab-gaia-dg22``; M24's Table A1 rows
    (another data set) accompany it too, in their own section.
    """
    if dataset != DG22_DATASET:
        return []
    rows: dict[str, dict] = {}
    for q in QUOTED:
        row = rows.setdefault(q.model, {
            # both papers early-stop each CV fold on its own test stars
            "model": q.model, "kind": "paper-reported", "selection": "held-out", "dataset": q.dataset,
            "protocol": "as published", "variant": None, "rank": None,
            "val": {}, "train": {}, "params": {}, "wall_seconds": None, "run_wall_seconds": None,
            "n_folds": 10 if q.dataset == DG22_DATASET else None, "n_repeats": None,
            "command": None, "source": q.source, "note": q.note,
        })
        row[q.split] = _paper_metrics(q)
    return list(rows.values())


def dg22_published_row(data_home=None, *, command: str | None = None) -> tuple[dict, pd.DataFrame]:
    """DG22's published OOF predictions, re-scored: the ``published-oof`` row.

    Parameters
    ----------
    data_home : path-like, optional
        Where ``dekany2022_gaia_g/`` lives (default :func:`tserbench._config.data_home`).
    command : str, optional
        The command that produced the leaderboard (recorded in the row).

    Returns
    -------
    row : dict
    oof : pandas.DataFrame
        The validation OOF predictions, columns ``source_id,repeat,fold,y_true,y_pred``.
    """
    folder = _data_home(data_home) / DG22_DIR
    oof = read_dg22_oof(folder / DG22_VAL_FILE)
    val, per_fold = summarise_oof(oof)
    train_path = folder / DG22_TRAIN_FILE
    train = {}
    if train_path.exists():
        tr = read_dg22_oof(train_path)  # "fold" = index of the fold model that predicted
        jobs = [score(g["y_true"], g["y_pred"]) for _, g in tr.groupby("fold", sort=True)]
        train = summarise_jobs(jobs, pooled=score(tr["y_true"], tr["y_pred"]))
    row = {
        # each published fold model is the epoch with the lowest loss on its own test fold
        "model": PUBLISHED_MODEL, "kind": "published-oof", "selection": "held-out", "dataset": DG22_DATASET,
        "protocol": "predefined (DG22 10 folds)", "variant": "raw (DG22 input)", "rank": None,
        "val": val, "train": train,
        "params": {"model": "bilstm2p", "units": [16, 16], "recurrent_l1": 5e-6, "kernel_l1": 0.0,
                   "dropout": [0.1, 0.1], "patience": 1000, "selection": "held-out"},
        "wall_seconds": None, "run_wall_seconds": None,
        "n_folds": int(per_fold["fold"].nunique()), "n_repeats": 1, "n_predictions": len(oof),
        "per_fold": per_fold.to_dict(orient="records"),
        "command": command,
        "source": ("Dékány & Grebel 2022, ApJS 261, 33; predictions from github.com/idekany/rrl_feh_nn "
                   f"@3141888c, files {DG22_VAL_FILE} / {DG22_TRAIN_FILE}"),
        "note": ("DG22's own out-of-fold predictions re-scored by tserbench, unweighted; each fold's model was "
                 "early-stopped on that fold's test stars (held-out selection)"),
    }
    return row, oof

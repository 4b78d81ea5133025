"""Reader of the Dékány & Grebel (2022) Gaia G-band RRab development set.

Files (in ``<data home>/dekany2022_gaia_g/``; see the manifest
``datasets/dekany2022_gaia_g.json`` for URLs and checksums):

``lc_dev_g.tar.gz``
    Members ``lc_dev_g/<source_id>_bin.dat``, two columns ``phase mag``,
    phases in [0, 2) (the second cycle repeats the first shifted by +1);
    only phase < 1 is kept.  Twenty stars repeat a phase (the file rounds
    phases to 1e-6; the two magnitudes differ by at most ~0.01 mag).  By
    default such points are kept as they are, in file order, because DG22's
    network saw them so (its published fold models reproduce the published
    predictions only with them); the smoothing spline merges them at their
    mean magnitude.  ``duplicate_phases="merge"`` merges them on reading
    (column ``n_duplicate_phases`` counts them either way).
    The archive is read whole and verified (gzip CRC and length, every tar
    header; :mod:`tserbench.data._archive`), without unpacking it to disk;
    only the members of the stars in the target table are parsed.
``dekany2022_bilstm_oof_val.dat``
    ``source_id fold FeH_true FeH_pred``, whitespace separated, no header:
    the 4458 stars of the task, DG22's folds and out-of-fold predictions.
``periods_recovered.csv``
    ``source_id,period,...``: the periods (not available upstream; a copy is
    bundled with tserbench and used when the data home has none).

Reference: Dékány, I. & Grebel, E. K. 2022, ApJS 261, 33.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from tserbench._config import data_home as _data_home
from tserbench.data._lightcurves import (
    LightCurves,
    merge_duplicate_phases,
    parse_source_id,
    validate_light_curve,
)
from tserbench.data._manifest import bundled_path, load_manifest, verify_sha256
from tserbench.exceptions import DataError, LightCurveError

__all__ = ["read_dg22", "read_period_table", "parse_dg22_member", "dg22_dir", "DG22_DATASET", "DG22_MANIFEST"]

DG22_DATASET = "rrab-gaia-dg22"
DG22_MANIFEST = "dekany2022_gaia_g.json"
DG22_SUBDIR = "dekany2022_gaia_g"
ARCHIVE = "lc_dev_g.tar.gz"
TARGETS = "dekany2022_bilstm_oof_val.dat"
PERIODS = "periods_recovered.csv"
_MEMBER_SUFFIX = "_bin.dat"

_FETCH_HINT = f"run `tserbench datasets fetch {DG22_DATASET}` (or set TSERBENCH_DATA to a folder holding it)"


def dg22_dir(data_home: str | os.PathLike | None = None) -> Path:
    """Folder of the DG22 files inside the data home."""
    return _data_home(data_home) / DG22_SUBDIR


def _expected_sha256() -> dict[str, str]:
    return {f["name"]: f["sha256"] for f in load_manifest(DG22_MANIFEST)["files"]}


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DataError(f"file not found; {_FETCH_HINT}", path=path)
    return path


def _periods_path(folder: Path) -> Path:
    local = folder / PERIODS
    if local.is_file():
        return local
    bundled = bundled_path(f"{DG22_SUBDIR}/{PERIODS}")
    if bundled.is_file():
        return bundled
    raise DataError(f"file not found (and no bundled copy at {bundled}); {_FETCH_HINT}", path=local)


def _read_targets(path: Path) -> pd.DataFrame:
    """The target table: source_id (int64), fold, feh, feh_pred_dg22."""
    try:
        raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot parse target table: {exc}", path=path) from None
    if raw.shape[1] != 4:
        raise DataError(f"expected 4 columns (source_id fold FeH_true FeH_pred), found {raw.shape[1]}", path=path)
    if raw.isna().any().any():
        line = int(np.flatnonzero(raw.isna().any(axis=1).to_numpy())[0]) + 1
        raise DataError(f"line {line}: missing value(s)", path=path)
    ids = np.empty(len(raw), dtype=np.int64)
    for i, s in enumerate(raw[0].to_numpy()):
        try:
            ids[i] = parse_source_id(s)
        except LightCurveError:
            raise DataError(f"line {i + 1}: source_id {s!r} is not an integer", path=path) from None
    try:
        fold = raw[1].astype(np.int64).to_numpy()
        feh = raw[2].astype(np.float64).to_numpy()
        pred = raw[3].astype(np.float64).to_numpy()
    except ValueError as exc:
        raise DataError(f"non-numeric fold/[Fe/H] value: {exc}", path=path) from None
    for name, col in (("FeH_true", feh), ("FeH_pred", pred)):
        bad = ~np.isfinite(col)
        if bad.any():
            raise DataError(f"line {int(np.flatnonzero(bad)[0]) + 1}: non-finite {name}", path=path)
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise DataError(f"source_id {ids[dup.to_numpy()][0]} appears more than once", path=path)
    return pd.DataFrame({"source_id": ids, "fold": fold, "feh": feh, "feh_pred_dg22": pred})


def read_period_table(path: str | os.PathLike) -> pd.Series:
    """Read a ``source_id,period`` CSV into a Series of periods indexed by int64 source_id.

    Used for DG22's ``periods_recovered.csv`` and for user-given period
    tables (``tserbench predict --periods``).  Ids are parsed as text, never
    through a float; a missing file, a missing column, a non-integer id or a
    duplicated id is a :class:`~tserbench.exceptions.DataError` naming the file.
    """
    try:
        raw = pd.read_csv(path, dtype={"source_id": str})
    except FileNotFoundError:
        raise DataError("period table not found", path=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot parse period table: {exc}", path=path) from None
    missing = {"source_id", "period"} - set(raw.columns)
    if missing:
        raise DataError(f"period table needs columns source_id,period; missing {sorted(missing)}", path=path)
    ids = []
    for i, s in enumerate(raw["source_id"].to_numpy()):
        try:
            ids.append(parse_source_id(s))
        except LightCurveError:
            raise DataError(f"line {i + 2}: source_id {s!r} is not an integer", path=path) from None
    period = pd.to_numeric(raw["period"], errors="coerce").to_numpy(dtype=np.float64)
    out = pd.Series(period, index=pd.Index(np.array(ids, dtype=np.int64), name="source_id"), name="period")
    if out.index.duplicated().any():
        raise DataError(f"source_id {out.index[out.index.duplicated()][0]} appears more than once", path=path)
    return out


def parse_dg22_member(data: bytes, sid: np.int64, where: str, *, merge: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """Parse one ``<source_id>_bin.dat`` member: ``(phase, mag, n_duplicate_phases)`` of the first cycle.

    The points with phase < 1 (the second cycle repeats the first, +1),
    sorted by phase with a stable sort (the files are sorted: their order is
    kept).  ``merge``: points sharing a phase become one at their mean
    magnitude.  The count is of points whose phase repeats an earlier one.
    Also used by ``tserbench predict`` for user files of this format.
    """
    try:
        values = np.array(data.split(), dtype=np.float64)
    except ValueError:
        raise LightCurveError(sid, "light curve holds a non-numeric value", path=where) from None
    if values.size % 2:
        raise LightCurveError(sid, "light curve does not have two columns (phase mag)", path=where)
    values = values.reshape(-1, 2)
    keep = values[:, 0] < 1.0  # the second cycle repeats the first (+1)
    phase, mag = values[keep, 0], values[keep, 1]
    if merge:
        return merge_duplicate_phases(phase, mag)
    order = np.argsort(phase, kind="stable")
    phase, mag = phase[order], mag[order]
    return phase, mag, int(np.count_nonzero(phase[1:] == phase[:-1]))


def _read_archive(path: Path, wanted: set[str]) -> dict[str, bytes]:
    """Raw bytes of members ``*/<source_id>_bin.dat`` for the ids in ``wanted`` (the archive verified whole)."""
    from tserbench.data._archive import read_tar_members

    return {key: data for key, _, data in read_tar_members(path, suffix=_MEMBER_SUFFIX, wanted=wanted)}


def read_dg22(
    data_home: str | os.PathLike | None = None, *, verify: bool = True, duplicate_phases: str = "keep"
) -> tuple[LightCurves, pd.DataFrame]:
    """Read the DG22 Gaia G-band RRab development set (4458 stars).

    Parameters
    ----------
    data_home : str or path-like, optional
        Data home (default: :func:`tserbench._config.data_home`); the files
        are read from its ``dekany2022_gaia_g/`` folder.
    verify : bool, default=True
        Check each file's sha256 against the manifest (hashed once per
        process per unchanged file).
    duplicate_phases : {"keep", "merge"}, default="keep"
        What to do with points that repeat a phase (20 stars): ``"keep"``
        them in file order, as DG22's network saw them; ``"merge"`` each
        group into one point at its mean magnitude (what the smoothing
        spline does anyway).

    Returns
    -------
    curves : LightCurves
        One light curve per star (points with phase < 1, sorted), in the
        row order of the target table.
    table : pd.DataFrame
        Columns ``source_id`` (int64), ``fold`` (int, 0–9), ``feh`` (target,
        dex), ``feh_pred_dg22`` (DG22's out-of-fold prediction), ``period``
        (days), ``n_points`` (as read), ``n_duplicate_phases`` (points whose
        phase repeats an earlier point's); row ``i`` describes ``curves[i]``.

    Raises
    ------
    DataError
        A file is missing (the message says how to fetch it), truncated or
        malformed; a star of the target table has no light curve or period.
    ChecksumError
        A file does not have the sha256 of the manifest.
    LightCurveError
        A star's light curve is unusable (see ``validate_light_curve``).
    """
    if duplicate_phases not in ("keep", "merge"):
        raise ValueError(f"duplicate_phases must be 'keep' or 'merge', got {duplicate_phases!r}")
    folder = dg22_dir(data_home)
    archive = _require(folder / ARCHIVE)
    targets_path = _require(folder / TARGETS)
    periods_path = _periods_path(folder)
    if verify:
        expected = _expected_sha256()
        for p in (targets_path, periods_path, archive):
            verify_sha256(p, expected[p.name])

    table = _read_targets(targets_path)
    periods = read_period_table(periods_path)
    ids = table["source_id"].to_numpy()
    missing = ~pd.Index(ids).isin(periods.index)
    if missing.any():
        raise DataError(
            f"{int(missing.sum())} star(s) of {targets_path.name} have no period, e.g. {ids[missing][0]}",
            path=periods_path,
        )
    table["period"] = periods.reindex(ids).to_numpy()

    keys = [str(int(s)) for s in ids]
    raw = _read_archive(archive, set(keys))
    absent = [k for k in keys if k not in raw]
    if absent:
        raise DataError(
            f"{len(absent)} star(s) of {targets_path.name} have no light curve "
            f"(member */<source_id>{_MEMBER_SUFFIX}), e.g. {absent[0]}",
            path=archive,
        )
    merge = duplicate_phases == "merge"
    phases, mags, repeated = [], [], np.zeros(len(ids), dtype=np.int64)
    for i, (sid, key, per) in enumerate(zip(ids, keys, table["period"].to_numpy(), strict=True)):
        where = f"{archive}:{key}{_MEMBER_SUFFIX}"
        ph, mg, repeated[i] = parse_dg22_member(raw[key], sid, where, merge=merge)
        validate_light_curve(sid, ph, mg, per, path=where, allow_duplicate_phases=not merge)
        phases.append(ph)
        mags.append(mg)
    curves = LightCurves(source_id=ids.copy(), phase=phases, mag=mags, period=table["period"].to_numpy().copy())
    table["n_points"] = curves.n_points
    table["n_duplicate_phases"] = repeated
    return curves, table


"""Reader of Gaia DR3 epoch photometry of RR Lyrae stars.

Input: the epoch photometry of some stars as a CSV with one row per transit
and band (the row form of Gaia DR3 ``epoch_photometry`` that the archive's
DataLink service gives: ``source_id, transit_id, band, time, mag, flux,
flux_error, rejected_by_photometry, rejected_by_variability, ...``, ``time``
in BJD - 2455197.5 d), and a CSV of the same stars from
``gaiadr3.vari_rrlyrae`` (``source_id, pf, epoch_g, ...``, ``epoch_g`` in the
same time system).  Output: G-band light curves folded with
``phase = (T - E)/P - floor((T - E)/P)`` (Monti et al. 2024, Eq. 1), with
``P = pf`` and ``E = epoch_g`` (the epoch of maximum light in G).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from tserbench.data._folding import phase_fold
from tserbench.data._lightcurves import (
    MIN_POINTS,
    LightCurves,
    Rejection,
    parse_source_id,
    validate_light_curve,
)
from tserbench.exceptions import ConfigError, DataError, LightCurveError

__all__ = ["read_gaia_epoch_photometry", "fold_phase"]

_EPOCH_COLUMNS = ("source_id", "band", "time", "mag", "rejected_by_photometry", "rejected_by_variability")
_RRL_COLUMNS = ("source_id", "pf", "epoch_g")
_TRUE = {"true", "t", "1", "yes"}
_FALSE = {"false", "f", "0", "no"}


def fold_phase(time, period: float, epoch: float) -> tuple[np.ndarray, np.ndarray]:
    """Phase-fold times on ``period`` around ``epoch``; return ``(phase, order)``.

    Delegates to :func:`tserbench.data._folding.phase_fold` (one
    implementation of Eq. 1 in the project, also
    ``tserbench.preprocessing.phase_fold``).
    """
    return phase_fold(time, period=period, epoch=epoch)


def _read_csv(path: Path, required: tuple[str, ...], str_columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise DataError("file not found", path=path)
    try:
        frame = pd.read_csv(path, comment="#", dtype={c: str for c in str_columns}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot parse CSV: {exc}", path=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; found {list(frame.columns)}", path=path)
    return frame


def _parse_flags(values: pd.Series) -> np.ndarray:
    """Gaia booleans as bool array; unreadable entries become -1 (int8)."""
    text = values.astype(str).str.strip().str.lower()
    out = np.full(len(text), -1, dtype=np.int8)
    out[text.isin(_TRUE).to_numpy()] = 1
    out[text.isin(_FALSE).to_numpy()] = 0
    return out


def read_gaia_epoch_photometry(
    epoch_csv: str | os.PathLike,
    rrlyrae_csv: str | os.PathLike,
    *,
    errors: str = "skip",
    band: str = "G",
    min_points: int = MIN_POINTS,
) -> tuple[LightCurves, list[Rejection]]:
    """Read Gaia DR3 epoch photometry and fold it with the ``vari_rrlyrae`` ephemerides.

    Only ``band`` (default G) transits are kept, and only those with both
    ``rejected_by_photometry`` and ``rejected_by_variability`` false (Gaia
    writes them as ``true``/``false`` or ``True``/``False``).  Every star of
    the epoch file ends up either in the returned light curves or in the
    rejections, never silently dropped; stars only in ``rrlyrae_csv`` are
    ignored.

    Parameters
    ----------
    epoch_csv : path
        Epoch photometry, one row per transit and band.
    rrlyrae_csv : path
        ``vari_rrlyrae`` rows (``source_id, pf, epoch_g``); ``pf`` is empty
        for stars without a fundamental-mode period (e.g. RRc).
    errors : {"skip", "raise"}, default="skip"
        ``"skip"``: leave bad stars out and list them; ``"raise"``: raise a
        :class:`LightCurveError` at the first bad star.
    band : str, default="G"
        Photometric band to keep.
    min_points : int, default=10
        Fewest usable transits a kept star has.

    Returns
    -------
    curves : LightCurves
        Folded light curves (sorted by phase) in order of first appearance
        in ``epoch_csv``.
    rejections : list of Rejection
        The stars left out and why.

    Raises
    ------
    DataError
        A file is missing, unparseable or lacks a required column, or
        ``rrlyrae_csv`` lists a star twice.
    LightCurveError
        With ``errors="raise"``, the first unusable star.
    """
    if errors not in ("skip", "raise"):
        raise ConfigError(f"errors must be 'skip' or 'raise', got {errors!r}")
    epoch_csv, rrlyrae_csv = Path(epoch_csv), Path(rrlyrae_csv)
    ep = _read_csv(epoch_csv, _EPOCH_COLUMNS, ("source_id", "band", "rejected_by_photometry", "rejected_by_variability"))
    rr = _read_csv(rrlyrae_csv, _RRL_COLUMNS, ("source_id",))

    # ephemerides, keyed by the exact integer id
    ephem: dict[int, tuple[float, float]] = {}
    for raw_id, pf, e0 in zip(rr["source_id"], rr["pf"], rr["epoch_g"], strict=True):
        try:
            sid = int(parse_source_id(raw_id if isinstance(raw_id, str) else str(raw_id)))
        except LightCurveError:
            continue  # a star we cannot name cannot be matched; its epoch rows report it
        if sid in ephem:
            raise DataError(f"source_id {sid} appears more than once", path=rrlyrae_csv)
        ephem[sid] = (pd.to_numeric(pf, errors="coerce"), pd.to_numeric(e0, errors="coerce"))

    ep["source_id"] = ep["source_id"].fillna("").astype(str).str.strip()
    in_band = (ep["band"].fillna("").astype(str).str.strip() == band).to_numpy()
    rej_phot = _parse_flags(ep["rejected_by_photometry"])
    rej_var = _parse_flags(ep["rejected_by_variability"])
    time = pd.to_numeric(ep["time"], errors="coerce").to_numpy(dtype=np.float64)
    mag = pd.to_numeric(ep["mag"], errors="coerce").to_numpy(dtype=np.float64)

    ids, phases, mags, periods = [], [], [], []
    rejections: list[Rejection] = []
    path = str(epoch_csv)

    def reject(raw_id: str, reason: str) -> None:
        if errors == "raise":
            raise LightCurveError(raw_id, reason, path=path)
        rejections.append(Rejection(source_id=raw_id, reason=reason, path=path))

    groups = ep.groupby("source_id", sort=False).indices
    for raw_id, rows in groups.items():
        try:
            sid = parse_source_id(raw_id, path=path)
        except LightCurveError as exc:
            reject(raw_id, exc.reason)
            continue
        rows = rows[in_band[rows]]
        if len(rows) == 0:
            reject(raw_id, f"no {band}-band transits")
            continue
        bad_flag = (rej_phot[rows] < 0) | (rej_var[rows] < 0)
        if bad_flag.any():
            reject(raw_id, f"{int(bad_flag.sum())} transit(s) with an unreadable rejected_by_* flag")
            continue
        rows = rows[(rej_phot[rows] == 0) & (rej_var[rows] == 0)]
        if int(sid) not in ephem:
            reject(raw_id, f"not in {rrlyrae_csv.name} (no period / epoch)")
            continue
        pf, e0 = ephem[int(sid)]
        if not (np.isfinite(pf) and pf > 0):
            reject(raw_id, f"no usable fundamental-mode period pf ({pf!r}) in {rrlyrae_csv.name}")
            continue
        if not np.isfinite(e0):
            reject(raw_id, f"no usable epoch_g in {rrlyrae_csv.name}")
            continue
        t, m = time[rows], mag[rows]
        if not np.isfinite(t).all():
            reject(raw_id, f"{int((~np.isfinite(t)).sum())} transit time(s) missing or not finite")
            continue
        phase, order = fold_phase(t, pf, e0)
        m = m[order]
        try:
            validate_light_curve(sid, phase, m, pf, min_points=min_points, path=path)
        except LightCurveError as exc:
            reject(raw_id, exc.reason)
            continue
        ids.append(sid)
        phases.append(phase)
        mags.append(m)
        periods.append(float(pf))

    curves = LightCurves(
        source_id=np.array(ids, dtype=np.int64),
        phase=phases,
        mag=mags,
        period=np.array(periods, dtype=np.float64),
    )
    return curves, rejections

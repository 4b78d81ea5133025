"""Light-curve containers and their validation.

:class:`LightCurves` is the one object that every reader in
:mod:`tserbench.data` returns and every preprocessing step consumes: a batch
of phase-folded light curves of variable length plus one period per star.
Validation lives here too, so that every reader applies the same rules.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tserbench.exceptions import LightCurveError

__all__ = [
    "LightCurves",
    "Rejection",
    "validate_light_curve",
    "validate_batch",
    "parse_source_id",
    "merge_duplicate_phases",
]

MIN_POINTS = 10


#: Longest period accepted, in days: far above any pulsating variable's, it
#: only keeps absurd values (1e308) from reaching the arithmetic.
MAX_PERIOD_DAYS = 1.0e4
#: Largest absolute magnitude accepted: real ones lie within about -30 .. 30.
MAX_ABS_MAG = 100.0


@dataclass
class LightCurves:
    """A batch of phase-folded light curves (one star per entry).

    Parameters
    ----------
    source_id : np.ndarray of int64, shape (n,)
        Gaia ``source_id`` of each star.
    phase : list of np.ndarray
        Phases of each star, float64 in [0, 1), sorted ascending.  Distinct,
        except in DG22's published files read as published (a few stars
        repeat a phase rounded to 1e-6; see :func:`tserbench.data.read_dg22`).
    mag : list of np.ndarray
        Magnitudes of each star, float64, same length as its ``phase``.
    period : np.ndarray of float64, shape (n,)
        Pulsation period of each star in days, > 0.
    """

    source_id: np.ndarray
    phase: list[np.ndarray]
    mag: list[np.ndarray]
    period: np.ndarray
    # not part of the comparison/repr: how many points each star has, computed once
    _n_points: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.source_id = np.asarray(self.source_id)
        if self.source_id.dtype != np.int64:
            if self.source_id.size and not np.issubdtype(self.source_id.dtype, np.integer):
                raise TypeError(
                    f"source_id must be int64, got {self.source_id.dtype} "
                    "(parse ids from text with int(), never through float)"
                )
            self.source_id = self.source_id.astype(np.int64)
        self.period = np.asarray(self.period, dtype=np.float64)
        self.phase = list(self.phase)
        self.mag = list(self.mag)
        n = len(self.source_id)
        if not (len(self.phase) == len(self.mag) == len(self.period) == n):
            raise ValueError(
                f"LightCurves: lengths differ (source_id {n}, phase {len(self.phase)}, "
                f"mag {len(self.mag)}, period {len(self.period)})"
            )

    def __len__(self) -> int:
        return len(self.source_id)

    @property
    def n_points(self) -> np.ndarray:
        """Number of points of each light curve, int array of shape (n,)."""
        if self._n_points is None:
            self._n_points = np.fromiter((len(p) for p in self.phase), dtype=np.int64, count=len(self))
        return self._n_points

    def subset(self, idx) -> LightCurves:
        """Return the stars at positions ``idx`` (integer indices or boolean mask)."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.intp, copy=False)
        return LightCurves(
            source_id=self.source_id[idx],
            phase=[self.phase[i] for i in idx],
            mag=[self.mag[i] for i in idx],
            period=self.period[idx],
        )

    def validate(self, *, min_points: int = MIN_POINTS) -> None:
        """Check every star with :func:`validate_light_curve`; raise on the first bad one."""
        for i in range(len(self)):
            validate_light_curve(
                self.source_id[i], self.phase[i], self.mag[i], self.period[i], min_points=min_points
            )


@dataclass
class Rejection:
    """One star dropped during batch ingestion, and why.

    Parameters
    ----------
    source_id : str
        The id as read (it may not be an integer: that can be the reason).
    reason : str
        What is wrong with the star.
    path : str or None
        The file the star came from, if any.
    """

    source_id: str
    reason: str
    path: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}star {self.source_id}: {self.reason}"


def parse_source_id(value, *, path=None) -> np.int64:
    """Parse a Gaia ``source_id`` exactly (never through a float).

    Accepts Python/numpy integers and decimal integer strings; rejects
    floats, empty values and anything else with a :class:`LightCurveError`.
    """
    if isinstance(value, (bool, np.bool_)):
        raise LightCurveError(value, "source_id is not an integer", path=path)
    if isinstance(value, (int, np.integer)):
        iv = int(value)
    elif isinstance(value, (str, bytes)):
        s = value.decode() if isinstance(value, bytes) else value
        s = s.strip()
        try:
            iv = int(s, 10)
        except ValueError:
            raise LightCurveError(repr(s), "source_id is not an integer", path=path) from None
    else:
        raise LightCurveError(value, "source_id is not an integer", path=path)
    if not (0 <= iv <= np.iinfo(np.int64).max):
        raise LightCurveError(iv, "source_id is outside the int64 range of Gaia ids", path=path)
    return np.int64(iv)


def merge_duplicate_phases(phase: np.ndarray, mag: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Sort by phase and replace points sharing a phase by their mean magnitude.

    Returns the sorted, de-duplicated ``(phase, mag)`` and how many points
    were merged away.  A smoothing spline needs distinct abscissae: DG22's
    files repeat a few rounded phases, and the spline variants merge them
    this way (:func:`tserbench.preprocessing.smooth_resample`); readers of raw
    Gaia photometry reject duplicates instead.
    """
    order = np.argsort(phase, kind="stable")
    phase, mag = phase[order], mag[order]
    if len(phase) < 2 or not (phase[1:] == phase[:-1]).any():
        return phase, mag, 0
    uniq, inverse, counts = np.unique(phase, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=mag, minlength=len(uniq))
    return uniq, sums / counts, len(phase) - len(uniq)


def validate_light_curve(
    source_id,
    phase,
    mag,
    period,
    *,
    min_points: int = MIN_POINTS,
    path: str | os.PathLike | None = None,
    allow_duplicate_phases: bool = False,
) -> None:
    """Check one phase-folded light curve; raise :class:`LightCurveError` if unusable.

    Rules: ``source_id`` is an integer; ``period`` is a finite number > 0
    and at most :data:`MAX_PERIOD_DAYS`; ``phase`` and ``mag`` are 1-D,
    equally long, finite (no NaN or inf), magnitudes within
    ±:data:`MAX_ABS_MAG`;
    at least ``min_points`` points; phases in [0, 1), without duplicates
    (unless ``allow_duplicate_phases``).  Sortedness is not required here
    (readers sort).

    Parameters
    ----------
    source_id : int or str
        Gaia ``source_id``.
    phase, mag : array-like of float
        The folded light curve.
    period : float
        Period in days.
    min_points : int, default=10
        Fewest points a usable light curve has.
    path : str or path-like, optional
        File the star was read from, named in the error.
    allow_duplicate_phases : bool, default=False
        Accept points that share a phase (DG22's files round phases to 1e-6
        and repeat a few; the smoothing spline merges them, the ``raw`` input
        keeps them as DG22 did).

    Raises
    ------
    LightCurveError
        Naming the star (and file) and what is wrong.
    """
    path = None if path is None else str(path)
    sid = parse_source_id(source_id, path=path)
    try:
        p = float(period)
    except (TypeError, ValueError):
        raise LightCurveError(sid, f"period is missing or not a number ({period!r})", path=path) from None
    if not np.isfinite(p):
        raise LightCurveError(sid, f"period is missing or not finite ({period!r})", path=path)
    if p <= 0:
        raise LightCurveError(sid, f"period must be > 0 days, got {p!r}", path=path)
    if p > MAX_PERIOD_DAYS:
        raise LightCurveError(sid, f"period {p!r} days is not a pulsation period (> {MAX_PERIOD_DAYS:g} d)", path=path)
    phase = np.asarray(phase, dtype=np.float64)
    mag = np.asarray(mag, dtype=np.float64)
    if phase.ndim != 1 or mag.ndim != 1:
        raise LightCurveError(sid, "phase and mag must be 1-D", path=path)
    if len(phase) != len(mag):
        raise LightCurveError(sid, f"{len(phase)} phases but {len(mag)} magnitudes", path=path)
    for name, arr in (("phase", phase), ("mag", mag)):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise LightCurveError(sid, f"{int(bad.sum())} non-finite {name} value(s) (NaN or inf)", path=path)
    absurd = np.abs(mag) > MAX_ABS_MAG
    if absurd.any():
        raise LightCurveError(sid, f"{int(absurd.sum())} magnitude(s) beyond ±{MAX_ABS_MAG:g}, e.g. {mag[absurd][0]!r}",
                              path=path)
    if len(phase) < min_points:
        raise LightCurveError(sid, f"only {len(phase)} points, at least {min_points} needed", path=path)
    out = (phase < 0.0) | (phase >= 1.0)
    if out.any():
        raise LightCurveError(
            sid, f"{int(out.sum())} phase(s) outside [0, 1), e.g. {phase[out][0]!r}", path=path
        )
    if allow_duplicate_phases:
        return
    srt = np.sort(phase)
    dup = srt[1:] == srt[:-1]
    if dup.any():
        raise LightCurveError(sid, f"duplicate phase {srt[1:][dup][0]!r}", path=path)


def validate_batch(
    source_ids: Sequence,
    phases: Iterable,
    mags: Iterable,
    periods: Iterable,
    *,
    paths: Sequence | None = None,
    min_points: int = MIN_POINTS,
    errors: str = "skip",
    allow_duplicate_phases: bool = False,
) -> tuple[LightCurves, list[Rejection]]:
    """Validate many stars; keep the good ones, report the bad ones.

    Each kept light curve is sorted by phase.  A bad star is never silently
    kept: with ``errors="skip"`` it is left out and listed in the returned
    rejections; with ``errors="raise"`` the first bad star raises.

    Parameters
    ----------
    source_ids : sequence of int or str
    phases, mags : iterables of array-like
    periods : iterable of float
    paths : sequence of str, optional
        The file of each star, for messages.
    min_points : int, default=10
    errors : {"skip", "raise"}, default="skip"
    allow_duplicate_phases : bool, default=False
        See :func:`validate_light_curve`.

    Returns
    -------
    curves : LightCurves
        The stars that passed, in input order.
    rejections : list of Rejection
        The stars that did not.
    """
    if errors not in ("skip", "raise"):
        raise ValueError(f"errors must be 'skip' or 'raise', got {errors!r}")
    ids, ph_out, mag_out, per_out, rejected = [], [], [], [], []
    for k, (sid, ph, mg, per) in enumerate(zip(source_ids, phases, mags, periods, strict=True)):
        path = None if paths is None else paths[k]
        try:
            validate_light_curve(sid, ph, mg, per, min_points=min_points, path=path,
                                 allow_duplicate_phases=allow_duplicate_phases)
        except LightCurveError as exc:
            if errors == "raise":
                raise
            rejected.append(Rejection(source_id=str(sid), reason=exc.reason, path=path))
            continue
        ph = np.asarray(ph, dtype=np.float64)
        mg = np.asarray(mg, dtype=np.float64)
        order = np.argsort(ph, kind="stable")
        ids.append(parse_source_id(sid))
        ph_out.append(ph[order])
        mag_out.append(mg[order])
        per_out.append(float(per))
    curves = LightCurves(
        source_id=np.array(ids, dtype=np.int64),
        phase=ph_out,
        mag=mag_out,
        period=np.array(per_out, dtype=np.float64),
    )
    return curves, rejected

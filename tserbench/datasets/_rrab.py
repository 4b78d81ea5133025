"""sktime dataset objects of the RRab [Fe/H] task: DG22 (real) and synthetic.

Both present the same problem shape: ``X`` from
:func:`tserbench.preprocessing.make_panel` (channels ``m - <m>`` or ``m``,
and ``phase * P``), ``y`` the [Fe/H] targets, plus predefined folds that
``load("cv")`` iterates over.  Parsed light curves are cached per process
(keyed by the files' identity or by the generator's parameters), and so are
the panels built from them, so repeated loads are cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from sktime.datasets.regression._base import BaseRegressionDataset

from tserbench._config import data_home as _data_home
from tserbench.data._lightcurves import LightCurves
from tserbench.exceptions import ConfigError

__all__ = ["RRabGaiaDG22", "RRabSynthetic", "clear_cache"]

_CACHE: dict[tuple, object] = {}
_CACHE_LOCK = threading.Lock()
_MAX_CACHED = 16


def clear_cache() -> None:
    """Forget the light curves and panels cached by the dataset objects."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _cached(key: tuple, build):
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    value = build()
    with _CACHE_LOCK:
        if len(_CACHE) >= _MAX_CACHED:  # drop the oldest entry; keeps memory bounded
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = value
    return value


def _check_variant(variant) -> str:
    from tserbench.preprocessing.variants import VARIANTS

    if variant not in VARIANTS:
        raise ConfigError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return variant


def _take(X, idx: np.ndarray):
    if isinstance(X, np.ndarray):
        return X[idx]
    return [X[i] for i in idx]


def _copy(X):
    if isinstance(X, np.ndarray):
        return X.copy()
    return [frame.copy() for frame in X]


def stratified_folds(y: np.ndarray, n_splits: int, random_state: int) -> np.ndarray:
    """Fold of each instance: sort by target, cut into bins of ``n_splits``, shuffle within bins.

    Every fold then spans the whole target range (the strata of M24 use bins
    of the sorted targets too); deterministic given ``random_state``.
    """
    y = np.asarray(y, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    order = np.argsort(y, kind="stable")
    folds = np.empty(len(y), dtype=np.int64)
    for start in range(0, len(y), n_splits):
        block = order[start : start + n_splits]
        folds[block] = rng.permutation(n_splits)[: len(block)]
    return folds


class _RRabDataset(BaseRegressionDataset):
    """Shared machinery: X/y/cv loading, metadata and folds from a light-curve table."""

    #: How the papers train deep models on this task, applied by the runner to
    #: every deep model unless a run sets these parameters: DG22's
    #: density weights (KDE of [Fe/H] clipped below 0.5 dex^-1) and the inputs
    #: and targets fed as they are.
    model_defaults: ClassVar[dict] = {"weight_cutoff": 0.5, "standardize": False}

    _tags = {
        "object_type": ["dataset_regression", "dataset"],
        "task_type": ["regressor"],
        "is_univariate": False,  # two channels: magnitude and phase * period
        "is_equal_length": True,
        "has_nans": False,
        # the folds are exposed through "cv" only; no single train/test split
        "n_instances_train": 0,
        "n_instances_test": 0,
    }

    def _curves_and_table(self) -> tuple[LightCurves, pd.DataFrame]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _cache_key(self) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- data ----------------------------------------------------------------
    def _panel(self):
        from tserbench.preprocessing import make_panel

        curves, _ = self._curves_and_table()
        key = (*self._cache_key(), "panel", self.variant, self.n_grid)
        return _cached(key, lambda: make_panel(curves, variant=self.variant, n_grid=self.n_grid))

    def _target(self) -> np.ndarray:
        _, table = self._curves_and_table()
        return table["feh"].to_numpy(dtype=np.float64, copy=True)

    @property
    def light_curves(self) -> LightCurves:
        """The parsed light curves, in instance order (shared cache: do not modify)."""
        return self._curves_and_table()[0]

    @property
    def metadata(self) -> pd.DataFrame:
        """One row per instance, in ``X`` order: ``source_id`` (int64), ``period``, ``fold``, ..."""
        _, table = self._curves_and_table()
        return table.drop(columns=["feh"]).reset_index(drop=True).copy()

    @property
    def folds(self) -> np.ndarray:
        """Predefined fold of each instance (int array)."""
        _, table = self._curves_and_table()
        return table["fold"].to_numpy(dtype=np.int64, copy=True)

    def _cv(self) -> Iterator[tuple]:
        # one copy per generator, so that callers cannot alter the cached panel
        X, y, folds = _copy(self._panel()), self._target(), self.folds
        for k in np.unique(folds):
            test = np.flatnonzero(folds == k)
            train = np.flatnonzero(folds != k)
            yield _take(X, train), y[train], _take(X, test), y[test]

    def _load(self, *args):
        """Load ``"X"`` (panel), ``"y"`` ([Fe/H], float) and/or ``"cv"`` (fold generator)."""
        out = []
        for key in args:
            if key == "X":
                out.append(_copy(self._panel()))
            elif key == "y":
                out.append(self._target())
            elif key == "cv":
                out.append(self._cv())
            else:  # pragma: no cover - base class checks keys first
                raise ConfigError(f"unknown set {key!r}")
        return out[0] if len(out) == 1 else tuple(out)


class RRabGaiaDG22(_RRabDataset):
    """Dékány & Grebel (2022) Gaia DR2 G-band RRab development set, as an sktime dataset.

    4458 fundamental-mode RR Lyrae stars; target: photometric [Fe/H] on the
    high-resolution spectroscopic scale; input: phase-folded G light curves
    and the periods recovered from DG22's published models.  The 10 folds are
    DG22's own, so scores are comparable with DG22's out-of-fold predictions
    (``metadata["feh_pred_dg22"]``).  Files come from the data home
    (``tserbench datasets fetch rrab-gaia-dg22``).

    Parameters
    ----------
    variant : {"full", "spline", "raw"}, default="full"
        Input variant (:func:`tserbench.preprocessing.make_panel`): ``full`` and
        ``spline`` give numpy3D ``(n, 2, n_grid)``, ``raw`` an unequal-length
        ``df-list``.
    n_grid : int, default=50
        Phase-grid size of the spline variants.
    data_home : str or path-like, optional
        Where the files are (default: ``$TSERBENCH_DATA`` or the user cache).

    Examples
    --------
    >>> from tserbench.datasets import RRabGaiaDG22
    >>> ds = RRabGaiaDG22()                      # doctest: +SKIP
    >>> X, y = ds.load("X", "y")                 # doctest: +SKIP
    >>> X.shape                                  # doctest: +SKIP
    (4458, 2, 50)

    References
    ----------
    Dékány, I. & Grebel, E. K. 2022, ApJS 261, 33.
    """

    _tags = {
        "name": "rrab_gaia_dg22",
        "n_splits": 10,
        "n_instances": 4458,
        "python_dependencies": None,
    }

    def __init__(self, variant: str = "full", n_grid: int = 50, data_home=None):
        self.variant = variant
        self.n_grid = n_grid
        self.data_home = data_home
        super().__init__()
        _check_variant(variant)
        self.set_tags(is_equal_length=variant != "raw")

    def _folder(self) -> Path:
        from tserbench.data.dg22 import dg22_dir

        return dg22_dir(self.data_home)

    def _cache_key(self) -> tuple:
        # identity of the files: a changed or re-fetched file is re-read
        folder = self._folder()
        stats = []
        for name in ("lc_dev_g.tar.gz", "dekany2022_bilstm_oof_val.dat", "periods_recovered.csv"):
            p = folder / name
            if p.exists():
                st = p.stat()
                stats.append((name, st.st_size, st.st_mtime_ns))
        return ("dg22", str(folder.resolve()), tuple(stats))

    def _curves_and_table(self) -> tuple[LightCurves, pd.DataFrame]:
        from tserbench.data.dg22 import read_dg22

        return _cached(self._cache_key(), lambda: read_dg22(self.data_home))

    def cache_files_directory(self) -> Path:
        """Folder of the DG22 files in the data home."""
        return self._folder()

    @classmethod
    def get_test_params(cls, parameter_set: str = "default"):
        """Test parameters (needs the DG22 files in the data home)."""
        return [{}, {"variant": "spline", "n_grid": 20}]


class RRabSynthetic(_RRabDataset):
    """Synthetic RRab [Fe/H] dataset with Gaia-like sparse light curves.

    Generated by :func:`tserbench.data.make_synthetic_rrab` (published
    period–metallicity and φ31–P–[Fe/H] relations, Gaia-like sampling and
    noise); nothing to download.  Five folds, stratified on the target and
    deterministic given ``random_state``.

    Parameters
    ----------
    n_stars : int, default=1000
        Number of stars.
    random_state : int, default=0
        Seed of the generator and of the fold assignment.  Its old name
        ``seed`` is still taken by :func:`~tserbench.datasets.get_dataset`
        (and so by ``--dataset-param seed=N``), with a :class:`FutureWarning`,
        and read in result stores recorded before the rename.
    variant : {"full", "spline", "raw"}, default="full"
        Input variant (see :class:`RRabGaiaDG22`).
    n_grid : int, default=50
        Phase-grid size of the spline variants.

    Examples
    --------
    >>> from tserbench.datasets import RRabSynthetic
    >>> ds = RRabSynthetic(n_stars=50, n_grid=20)
    >>> X, y = ds.load("X", "y")
    >>> X.shape, y.shape
    ((50, 2, 20), (50,))
    >>> len(list(ds.load("cv")))
    5
    """

    _tags = {
        "name": "rrab_synthetic",
        "n_splits": 5,
        "n_instances": 1000,
        "python_dependencies": None,
        "capability:random_state": True,  # sktime's tag of an object with a random_state parameter
    }

    #: Constructor parameters renamed since a result store could record them (old -> new):
    #: :func:`tserbench.datasets.upgrade_params` maps them, where parameters are given or read.
    _renamed_params: ClassVar[dict[str, str]] = {"seed": "random_state"}

    def __init__(self, n_stars: int = 1000, random_state: int = 0, variant: str = "full", n_grid: int = 50):
        self.n_stars = n_stars
        self.random_state = random_state
        self.variant = variant
        self.n_grid = n_grid
        super().__init__()
        _check_variant(variant)
        n_splits = self.get_tag("n_splits")
        if int(n_stars) < 2 * n_splits:
            raise ConfigError(f"n_stars must be at least {2 * n_splits} for {n_splits} folds, got {n_stars}")
        self.set_tags(n_instances=int(n_stars), is_equal_length=variant != "raw")

    def _cache_key(self) -> tuple:
        return ("synthetic", int(self.n_stars), int(self.random_state))

    def _curves_and_table(self) -> tuple[LightCurves, pd.DataFrame]:
        def build():
            from tserbench.data.synthetic import make_synthetic_rrab

            curves, feh = make_synthetic_rrab(self.n_stars, random_state=self.random_state)
            table = pd.DataFrame(
                {
                    "source_id": curves.source_id,
                    "fold": stratified_folds(feh, self.get_tag("n_splits"), self.random_state),
                    "feh": feh,
                    "period": curves.period,
                    "n_points": curves.n_points,
                }
            )
            return curves, table

        return _cached(self._cache_key(), build)

    def cache_files_directory(self) -> Path:
        """Nothing is written for this dataset; a folder in the data home is named for API completeness."""
        return _data_home() / "rrab_synthetic"

    @classmethod
    def get_test_params(cls, parameter_set: str = "default"):
        """Small instances for sktime's dataset checks."""
        # the raw variant returns a df-list, which sktime's generic dataset
        # checks do not accept (they expect a DataFrame or array); it is
        # tested in tserbench's own tests
        return [
            {"n_stars": 40, "random_state": 0, "n_grid": 16},
            {"n_stars": 30, "random_state": 1, "variant": "spline", "n_grid": 12},
        ]

"""The data of a benchmark run: a dataset loaded once into plain arrays.

:class:`BenchmarkData` is what every CV job receives (it pickles, and the
dask backend scatters it to each worker once), so workers on other machines
need no data home.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tserbench.exceptions import ConfigError, DataError
from tserbench.preprocessing.variants import (
    VARIANTS,  # the one definition of the input variants
)

__all__ = ["TARGET_ERROR_COLUMNS", "VARIANTS", "BenchmarkData", "load_benchmark_data", "panel_settings", "take_rows"]

#: Metadata columns holding the 1-sigma error of the target; when present the
#: w-metrics use inverse-variance weights ``1 / err**2`` (M24, DG22).
TARGET_ERROR_COLUMNS: tuple[str, ...] = ("y_err", "feh_err", "target_err")



@dataclass
class BenchmarkData:
    """Everything a job needs, as plain arrays (picklable, scatterable).

    Parameters
    ----------
    name : str
        Dataset name.
    X : numpy.ndarray or list
        Panel: numpy3D ``(n, channels, length)`` or a df-list (unequal length).
    y : numpy.ndarray
        Float targets, shape ``(n,)``.
    source_id : numpy.ndarray
        int64 identifiers, shape ``(n,)`` (row numbers if the dataset has none).
    folds : numpy.ndarray or None
        Predefined fold of each instance.
    y_err : numpy.ndarray or None
        Target errors (1 sigma), if the dataset publishes them.
    variant : str or None
        Preprocessing variant, or None for datasets without variants.
    params : dict
        Dataset parameters (without ``variant``).
    model_defaults : dict
        Parameters the dataset declares for the models trained on it (e.g.
        the RRab sets' DG22 density weights), applied by the runner unless a
        run sets them.
    test_mask : numpy.ndarray of bool or None
        The dataset's own fixed split (True: a test instance), for
        ``folds="fixed"`` and ``"resamples:N"``; the instances are in the
        archive's order, training ones first.
    preprocessing : dict
        How the panel was made (``variant``, ``n_grid``, ``max_len``), as a
        saved model's manifest records it: see :func:`panel_settings`.
    """

    name: str
    X: Any
    y: np.ndarray
    source_id: np.ndarray
    folds: np.ndarray | None = None
    y_err: np.ndarray | None = None
    variant: str | None = "full"
    params: dict = field(default_factory=dict)
    model_defaults: dict = field(default_factory=dict)
    test_mask: np.ndarray | None = None
    preprocessing: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)


def _dataset_name(ds) -> str:
    for getter in (lambda: ds.get_tag("name"), lambda: ds.name):
        try:
            name = getter()
        except Exception:  # noqa: BLE001 - a missing tag/attribute, any kind
            continue
        if isinstance(name, str) and name:
            return name
    return type(ds).__name__


def load_benchmark_data(dataset, *, variant: str | None = "full", dataset_params: Mapping | None = None) -> BenchmarkData:
    """Load a dataset (registry name or dataset object) into :class:`BenchmarkData`.

    Parameters
    ----------
    dataset : str, path or sktime dataset object
        A name for :func:`tserbench.datasets.get_dataset`, the path of a
        ``Name_TRAIN.ts`` file (read with its ``Name_TEST.ts``, see
        :class:`~tserbench.datasets.TSFileDataset`), or an object with
        ``load("X", "y")`` and optionally ``metadata`` and ``folds``.
    variant : {"full", "spline", "raw"} or None
        Preprocessing variant, passed to the registry as ``variant=``.
        Datasets without variants (tecator, covid3month) accept only the
        default ``"full"``, which is then recorded as None.
    dataset_params : mapping, optional
        Further parameters of the dataset (e.g. ``n_stars`` of the synthetic set).

    Returns
    -------
    BenchmarkData
    """
    dataset_params = dict(dataset_params or {})
    if variant is not None and variant not in VARIANTS:
        raise ConfigError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    from tserbench.datasets._tsfile import TSFileDataset, is_ts_path

    if is_ts_path(dataset):  # a Name_TRAIN.ts file (and its _TEST.ts partner)
        if variant not in (None, "full"):
            raise ConfigError(f"a .ts dataset has no preprocessing variants; drop variant={variant!r}")
        dataset, variant = TSFileDataset(dataset, **dataset_params), None
    if isinstance(dataset, str):
        from tserbench.datasets import dataset_info, get_dataset, upgrade_params

        info = dataset_info(dataset)
        name = info.name  # the registry's spelling: an archive name in any case, Covid3Month -> covid3month
        if "variant" in dataset_params:
            raise ConfigError("give the variant as variant=, not inside dataset_params")
        # a renamed parameter's old name (rrab-synthetic's seed) is recorded under its new one
        dataset_params = upgrade_params(name, dataset_params, warn=True)
        cls = info.load_class()
        if "variant" not in inspect.signature(cls).parameters:  # tecator, covid3month
            if variant not in (None, "full"):
                raise ConfigError(f"dataset {name!r} has no preprocessing variants; drop variant={variant!r}")
            variant = None
        ds = get_dataset(name, variant=variant, **dataset_params) if variant else get_dataset(name, **dataset_params)
    else:
        ds = dataset
        name = _dataset_name(ds)
        variant = getattr(ds, "variant", variant)
    X, y = ds.load("X", "y")
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    if y.shape[1] != 1:
        raise DataError(f"dataset {name!r}: expected one target per instance, got {y.shape[1]}")
    y = y.ravel()
    if not np.all(np.isfinite(y)):
        raise DataError(f"dataset {name!r}: {int((~np.isfinite(y)).sum())} targets are NaN or inf")
    try:
        meta = ds.metadata
    except Exception:  # noqa: BLE001 - datasets without metadata (tecator)
        meta = None
    n = len(y)
    source_id = np.arange(n, dtype=np.int64)
    y_err = None
    if isinstance(meta, pd.DataFrame):
        if len(meta) != n:
            raise DataError(f"dataset {name!r}: metadata has {len(meta)} rows for {n} instances")
        if "source_id" in meta.columns:
            source_id = meta["source_id"].to_numpy()
            if not np.issubdtype(source_id.dtype, np.integer):
                raise DataError(f"dataset {name!r}: metadata source_id is {source_id.dtype}, expected int64")
            source_id = source_id.astype(np.int64)
        for col in TARGET_ERROR_COLUMNS:
            if col in meta.columns:
                y_err = meta[col].to_numpy(dtype=float)
                if not np.all(np.isfinite(y_err) & (y_err > 0)):
                    raise DataError(f"dataset {name!r}: column {col} must be finite and > 0")
                break
    folds = getattr(ds, "folds", None)
    if folds is not None:
        folds = np.asarray(folds)
        if len(folds) != n:
            raise DataError(f"dataset {name!r}: {len(folds)} fold labels for {n} instances")
    return BenchmarkData(
        name=name, X=X, y=y, source_id=source_id, folds=folds, y_err=y_err, variant=variant, params=dataset_params,
        model_defaults=dict(getattr(ds, "model_defaults", None) or {}), test_mask=_test_mask(ds, y, name),
        preprocessing=panel_settings(ds, variant),
    )


def panel_settings(dataset, variant: str | None) -> dict:
    """The preprocessing settings of a dataset's panel: ``{"variant", "n_grid", "max_len"}``.

    Each setting is the dataset's own parameter where it has one (an
    ``RRabSynthetic(n_grid=20)`` object, or ``dataset_params``), else the
    default of :func:`tserbench.preprocessing.make_panel`, which builds the
    panels; ``dataset`` None gives those defaults.
    """
    from tserbench.preprocessing.variants import make_panel

    own = {}
    if dataset is not None and hasattr(dataset, "get_params"):
        try:
            own = dataset.get_params(deep=False)
        except Exception:  # noqa: BLE001 - a plug-in dataset without sklearn-style parameters
            own = {}
    defaults = {name: p.default for name, p in inspect.signature(make_panel).parameters.items()
                if name in ("n_grid", "max_len")}
    return {"variant": variant or "full", **{name: own.get(name, value) for name, value in defaults.items()}}


def _test_mask(ds, y: np.ndarray, name: str) -> np.ndarray | None:
    """The dataset's own train/test split, if it has one (sktime's ``X_train``/``X_test`` keys)."""
    try:
        keys = set(ds.keys())
    except Exception:  # noqa: BLE001 - datasets without keys()
        return None
    if not {"y_train", "y_test"} <= keys:
        return None
    y_train, y_test = (np.asarray(v, dtype=float).ravel() for v in ds.load("y_train", "y_test"))
    if len(y_train) + len(y_test) != len(y) or not np.array_equal(np.r_[y_train, y_test], y):
        raise DataError(f"dataset {name!r}: X, y are not its train then its test instances; cannot use its split")
    return np.r_[np.zeros(len(y_train), dtype=bool), np.ones(len(y_test), dtype=bool)]


def take_rows(X, idx: np.ndarray):
    """Rows ``idx`` of a panel (numpy3D, df-list, or anything sktime can slice)."""
    if isinstance(X, np.ndarray):
        return X[idx]
    if isinstance(X, list):
        return [X[i] for i in idx]
    if isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex):  # pd-multiindex
        keys = X.index.get_level_values(0).unique()[idx]
        return X.loc[keys]
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[idx]
    raise TypeError(f"cannot take rows of a panel of type {type(X).__name__}")

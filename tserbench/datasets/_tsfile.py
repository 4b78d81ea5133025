"""A regression dataset read from ``.ts`` files (the TSER archive's format).

``TSFileDataset("path/Name_TRAIN.ts")`` reads the pair ``Name_TRAIN.ts`` /
``Name_TEST.ts`` with sktime's :func:`~sktime.datasets.load_from_tsfile` and
serves it as an sktime regression dataset whose fixed split is the pair
(``X_train``/``X_test``), so ``--folds fixed`` and ``--folds resamples:N``
run the archive's protocols on it.  A single ``.ts`` file without the
``_TRAIN`` suffix is a dataset without a split.

sktime 1.2 has dataset classes for bundled sets only (its loaders take a
name, not a path), hence this small class.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sktime.datasets.regression._base import BaseRegressionDataset

from tserbench.exceptions import DataError

__all__ = ["TSFileDataset", "TSERArchiveDataset", "is_ts_path"]

_TRAIN, _TEST = "_TRAIN.ts", "_TEST.ts"


def is_ts_path(dataset) -> bool:
    """Whether ``dataset`` (a ``--dataset`` value) names a ``.ts`` file rather than a registry name."""
    return isinstance(dataset, (str, os.PathLike)) and str(dataset).lower().endswith(".ts")


def _split_paths(path: Path) -> tuple[Path, Path | None]:
    """``(train, test)`` of a ``Name_TRAIN.ts`` or ``Name_TEST.ts`` path; ``(path, None)`` for a lone file."""
    name = path.name
    for suffix in (_TRAIN, _TEST):
        if name.upper().endswith(suffix.upper()):
            stem = name[: -len(suffix)]
            return path.with_name(stem + _TRAIN), path.with_name(stem + _TEST)
    return path, None


def _read(path: Path) -> tuple[object, np.ndarray]:
    from sktime.datasets import load_from_tsfile

    if not path.is_file():
        raise DataError("no such .ts file", path)
    try:
        X, y = load_from_tsfile(str(path), return_data_type="nested_univ", y_dtype="float")
    except Exception as exc:  # noqa: BLE001 - sktime's parser raises several kinds for a bad file
        raise DataError(f"not a readable .ts regression file: {exc}", path) from None
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        raise DataError("the file holds no series", path)
    if not np.all(np.isfinite(y)):
        raise DataError(f"{int((~np.isfinite(y)).sum())} target values are NaN or inf", path)
    return X, y


def _to_numpy3d(X: pd.DataFrame):
    """numpy3D ``(n, channels, length)`` when every series has one length, else the nested frame."""
    lengths = {len(cell) for col in X.columns for cell in X[col]}
    if len(lengths) != 1:
        return X
    return np.stack([np.stack([np.asarray(cell, dtype=float) for cell in row]) for row in X.itertuples(index=False)])


class TSFileDataset(BaseRegressionDataset):
    """A regression dataset read from a ``Name_TRAIN.ts`` / ``Name_TEST.ts`` pair.

    Parameters
    ----------
    path : str or os.PathLike
        ``Name_TRAIN.ts`` (or ``Name_TEST.ts``) of a pair, read together with
        its partner; or a single ``.ts`` file, a dataset without a split.
    name : str or None, default=None
        Dataset name; None: ``Name`` from the file name.

    Examples
    --------
    >>> import os, sktime.datasets as sd
    >>> from tserbench.datasets import TSFileDataset
    >>> folder = os.path.join(os.path.dirname(sd.__file__), "data", "Covid3Month")
    >>> ds = TSFileDataset(os.path.join(folder, "Covid3Month_TRAIN.ts"))
    >>> X_train, y_test = ds.load("X_train", "y_test")
    >>> X_train.shape, len(y_test)
    ((140, 1, 84), 61)
    """

    _tags = {
        "name": None,
        "n_splits": 1,
        "is_univariate": True,
        "n_instances": None,
        "n_instances_train": None,
        "n_instances_test": None,
    }

    def __init__(self, path: str | os.PathLike, name: str | None = None):
        self.path = path
        self.name = name
        super().__init__()
        train, test = _split_paths(Path(path))
        stem = train.name[: -len(_TRAIN)] if test is not None else Path(path).stem
        self.set_tags(name=name or stem, n_splits=1 if test is not None else 0)
        self._cache: dict | None = None

    def _read_all(self) -> dict:
        if self._cache is None:
            train, test = _split_paths(Path(self.path))
            X_train, y_train = _read(train)
            parts = {"X_train": X_train, "y_train": y_train}
            if test is not None:
                X_test, y_test = _read(test)
                if list(X_test.columns) != list(X_train.columns):
                    raise DataError(f"{X_test.shape[1]} channel(s) where {train.name} has {X_train.shape[1]}", test)
                parts.update(X_test=X_test, y_test=y_test)
                X = pd.concat([X_train, X_test], ignore_index=True)
                y = np.r_[y_train, y_test]
            else:
                X, y = X_train, y_train
            X3 = _to_numpy3d(X)
            n_train = len(y_train)
            cache = {"X": X3, "y": y}
            if test is not None:
                cache.update(X_train=X3[:n_train] if isinstance(X3, np.ndarray) else X.iloc[:n_train],
                             X_test=X3[n_train:] if isinstance(X3, np.ndarray) else X.iloc[n_train:].reset_index(drop=True),
                             y_train=y_train, y_test=y[n_train:])
            self.set_tags(n_instances=len(y), n_instances_train=n_train if test is not None else 0,
                          n_instances_test=len(y) - n_train if test is not None else 0,
                          is_univariate=X.shape[1] == 1, is_equal_length=isinstance(X3, np.ndarray))
            self._cache = cache
        return self._cache

    def _load(self, *args):
        parts = self._read_all()
        out = tuple(parts[a] for a in args)
        return out[0] if len(out) == 1 else out

    @classmethod
    def get_test_params(cls, parameter_set: str = "default"):
        """The Covid3Month pair bundled with sktime."""
        import sktime.datasets as sd

        folder = Path(sd.__file__).parent / "data" / "Covid3Month"
        return [{"path": str(folder / "Covid3Month_TRAIN.ts")}, {"path": str(folder / "Covid3Month_TEST.ts"), "name": "c3m"}]


class TSERArchiveDataset(TSFileDataset):
    """A TSER archive dataset fetched into the data home, by its archive name.

    Reads ``<data home>/tser_archive/<Name>/<Name>_TRAIN.ts`` and its
    ``_TEST.ts`` partner (put there by ``tserbench datasets fetch <Name>``),
    after checking both against the folder's ``SHA256SUMS``.

    Parameters
    ----------
    name : str
        Archive name, case-insensitive (``"AppliancesEnergy"``); the
        dataset's name tag is the archive's spelling.
    data_home : str, os.PathLike or None, default=None
        Data home (default: ``$TSERBENCH_DATA`` or the user cache).

    Raises
    ------
    DataError
        The dataset is not in the data home (``tserbench datasets fetch <Name>``).
    ChecksumError
        A file differs from its recorded sha256.
    """

    def __init__(self, name: str, data_home: str | os.PathLike | None = None):
        from tserbench.datasets._tser_archive import archive_entry, verify_local

        self.data_home = data_home
        entry = archive_entry(name)
        if entry is None:
            from tserbench.exceptions import ConfigError

            raise ConfigError(f"unknown TSER archive dataset {name!r}; `tserbench datasets list --all` lists them")
        train, _ = verify_local(entry["name"], data_home)
        super().__init__(train, name=entry["name"])
        self.name = name  # as given (sktime's get_params/clone contract)

    @classmethod
    def get_test_params(cls, parameter_set: str = "default"):
        """No archive dataset is in a fresh data home: sktime's generic checks are not run on this class."""
        return [{"name": "AppliancesEnergy"}]

"""Cross-validation splitters for continuous targets.

:class:`RepeatedStratifiedRegressionKFold` reproduces the protocol of M24's
code: the targets are sorted, cut into consecutive bins of ``bin_size``
instances, and scikit-learn's :class:`~sklearn.model_selection.RepeatedStratifiedKFold`
is run on those bin labels, so every fold sees the whole target range.
:class:`PredefinedFolds` turns a fold array (e.g. DG22's 10 folds) into a
splitter.  Both are scikit-learn splitters (``split``/``get_n_splits``) and
also offer :meth:`split_with_repeat`, which the runner uses to name its
jobs ``r<repeat>_f<fold>``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.model_selection._split import BaseCrossValidator
from sklearn.utils import check_random_state

from tserbench.evaluation._fold_specs import parse_archive_folds, parse_folds
from tserbench.exceptions import ConfigError

__all__ = [
    "RepeatedStratifiedRegressionKFold",
    "PredefinedFolds",
    "ArchiveResamples",
    "parse_folds",
    "parse_archive_folds",
    "make_splitter",
    "regression_strata",
]


def regression_strata(y, bin_size: int = 20, min_count: int = 1) -> np.ndarray:
    """Stratum label of each target: rank of ``y`` cut into bins of ``bin_size``.

    Ties are broken by position (stable sort), so the labels are
    deterministic.  A last bin with fewer than ``min_count`` members is
    merged into the previous one; that keeps scikit-learn's stratified
    splitters from warning ("least populated class has only ... members")
    when ``n_instances`` is not a multiple of ``bin_size``.

    Parameters
    ----------
    y : array-like of shape (n_instances,)
        Continuous targets.
    bin_size : int, default=20
        Instances per stratum (M24: 20).
    min_count : int, default=1
        Smallest allowed size of the last bin.

    Returns
    -------
    np.ndarray of int, shape (n_instances,)
    """
    y = np.asarray(y, dtype=float).ravel()
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or inf; cannot stratify")
    order = np.argsort(y, kind="stable")
    rank = np.empty(len(y), dtype=np.int64)
    rank[order] = np.arange(len(y))
    labels = rank // bin_size
    n_bins = int(labels.max()) + 1 if len(y) else 0
    if n_bins > 1 and np.sum(labels == n_bins - 1) < min_count:
        labels[labels == n_bins - 1] = n_bins - 2
    return labels


class _RepeatSplitter(BaseCrossValidator):
    """A splitter defined by ``split_with_repeat`` (``(repeat, fold, train, test)`` tuples).

    ``split`` and sklearn's ``_iter_test_indices`` are derived from it, once
    for the three splitters here.
    """

    def split_with_repeat(self, X=None, y=None, groups=None) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        raise NotImplementedError

    def _iter_test_indices(self, X=None, y=None, groups=None):  # BaseCrossValidator API
        for _, _, _, test in self.split_with_repeat(X, y, groups):
            yield test

    def split(self, X=None, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate ``(train_index, test_index)`` in the order of :meth:`split_with_repeat`."""
        for _, _, train, test in self.split_with_repeat(X, y, groups):
            yield train, test


class RepeatedStratifiedRegressionKFold(_RepeatSplitter):
    """Repeated K-fold stratified on a continuous target (M24's protocol).

    The targets are sorted and cut into bins of ``bin_size`` instances
    (see :func:`regression_strata`); scikit-learn's
    :class:`~sklearn.model_selection.RepeatedStratifiedKFold` then splits on
    those bin labels, so each fold receives about ``bin_size / n_splits``
    instances from every part of the target distribution.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds per repeat (at least 2).
    n_repeats : int, default=1
        Number of repeats, each with a different shuffle.
    bin_size : int, default=20
        Instances per stratum; must be at least ``n_splits``.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffles; pass an int for reproducible splits.

    Examples
    --------
    >>> import numpy as np
    >>> from tserbench.evaluation import RepeatedStratifiedRegressionKFold
    >>> y = np.linspace(-2.5, 0.0, 100)
    >>> cv = RepeatedStratifiedRegressionKFold(n_splits=5, n_repeats=2, random_state=0)
    >>> cv.get_n_splits()
    10
    >>> [len(test) for _, test in cv.split(np.zeros((100, 1)), y)][:5]
    [20, 20, 20, 20, 20]
    """

    def __init__(self, n_splits: int = 5, n_repeats: int = 1, bin_size: int = 20, random_state=None):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.bin_size = bin_size
        self.random_state = random_state

    def _check_params(self) -> None:
        for name in ("n_splits", "n_repeats", "bin_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise ValueError(f"{name} must be an int, got {value!r}")
        if self.n_splits < 2:
            raise ValueError(f"n_splits must be at least 2, got {self.n_splits}")
        if self.n_repeats < 1:
            raise ValueError(f"n_repeats must be at least 1, got {self.n_repeats}")
        if self.bin_size < self.n_splits:
            raise ValueError(
                f"bin_size={self.bin_size} must be at least n_splits={self.n_splits}, "
                "otherwise a stratum cannot reach every fold"
            )

    def split_with_repeat(self, X, y, groups=None) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """Generate ``(repeat, fold, train_index, test_index)``.

        Parameters
        ----------
        X : array-like or list, length n_instances
            Only its length is used.
        y : array-like of shape (n_instances,)
            Continuous targets to stratify on.
        groups : ignored

        Yields
        ------
        repeat : int
        fold : int
        train : np.ndarray of int
        test : np.ndarray of int
        """
        self._check_params()
        if y is None:
            raise ValueError("RepeatedStratifiedRegressionKFold needs y to stratify on")
        y = np.asarray(y, dtype=float).ravel()
        n = len(y)
        if X is not None and _n_instances(X) != n:
            raise ValueError(f"X has {_n_instances(X)} instances but y has {n}")
        if n < self.n_splits:
            raise ValueError(f"cannot split {n} instances into n_splits={self.n_splits} folds")
        strata = regression_strata(y, self.bin_size, min_count=self.n_splits)
        rng = check_random_state(self.random_state)
        inner = RepeatedStratifiedKFold(n_splits=self.n_splits, n_repeats=self.n_repeats, random_state=rng)
        for i, (train, test) in enumerate(inner.split(np.zeros(n), strata)):
            yield i // self.n_splits, i % self.n_splits, train, test

    def split(self, X, y, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate ``(train_index, test_index)``, repeat after repeat.

        Parameters
        ----------
        X : array-like or list, length n_instances
        y : array-like of shape (n_instances,)
        groups : ignored

        Yields
        ------
        train, test : np.ndarray of int
        """
        for _, _, train, test in self.split_with_repeat(X, y, groups):
            yield train, test

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Return ``n_splits * n_repeats``."""
        return int(self.n_splits * self.n_repeats)

    @property
    def protocol(self) -> str:
        """The ``KxR`` string of this splitter (e.g. ``"5x2"``)."""
        return f"{self.n_splits}x{self.n_repeats}"


class PredefinedFolds(_RepeatSplitter):
    """Splitter from a fold array: instance ``i`` is validated in fold ``folds[i]``.

    Like :class:`sklearn.model_selection.PredefinedSplit`, but the fold
    label (not its position among the sorted labels) is what
    :meth:`split_with_repeat` reports, so DG22's fold 3 is stored as
    ``r0_f3``.  Instances labelled ``-1`` are always in the training part.

    Parameters
    ----------
    folds : array-like of int, shape (n_instances,)
        Fold label of each instance (non-negative, or -1 for "never tested").

    Examples
    --------
    >>> from tserbench.evaluation import PredefinedFolds
    >>> cv = PredefinedFolds([0, 1, 0, 1, -1])
    >>> [(tr.tolist(), te.tolist()) for tr, te in cv.split([0] * 5)]
    [([1, 3, 4], [0, 2]), ([0, 2, 4], [1, 3])]
    """

    def __init__(self, folds):
        self.folds = folds

    def _labels(self) -> np.ndarray:
        folds = np.asarray(self.folds)
        if folds.ndim != 1 or folds.size == 0:
            raise ValueError("folds must be a non-empty 1-D array of fold labels")
        if not np.issubdtype(folds.dtype, np.integer):
            as_int = folds.astype(np.int64)
            if not np.array_equal(as_int, folds):
                raise ValueError("fold labels must be integers")
            folds = as_int
        if np.any(folds < -1):
            raise ValueError("fold labels must be >= -1 (-1 = never in a test fold)")
        labels = np.unique(folds[folds >= 0])
        if len(labels) < 2:
            raise ValueError(f"need at least 2 folds, got {len(labels)}")
        return folds.astype(np.int64)

    def split_with_repeat(self, X=None, y=None, groups=None) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """Generate ``(0, fold_label, train_index, test_index)`` for each fold label."""
        folds = self._labels()
        if X is not None and _n_instances(X) != len(folds):
            raise ValueError(f"X has {_n_instances(X)} instances but folds has {len(folds)}")
        idx = np.arange(len(folds))
        for label in np.unique(folds[folds >= 0]):
            test = folds == label
            yield 0, int(label), idx[~test], idx[test]

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Return the number of distinct non-negative fold labels."""
        folds = self._labels()
        return int(len(np.unique(folds[folds >= 0])))

    @property
    def protocol(self) -> str:
        """Always ``"predefined"``."""
        return "predefined"


class ArchiveResamples(_RepeatSplitter):
    """The TSER archive's protocol: its fixed train/test split, then tsml-eval's resamples.

    Resample 0 is the dataset's own split.  Resample ``r > 0`` pools the
    training and test instances (training ones first, as the archive's files
    list them), shuffles their indices with ``numpy.random.RandomState(r)``
    and cuts them at the original training size: exactly
    ``tsml_eval.utils.resampling.resample_data_indices(y_train, y_test, r)``
    as ``tsml_eval.experiments.load_experiment_data`` uses it, so a row is
    paired resample by resample with the archive's published results.  The
    runner seeds the estimator of resample ``r`` with ``r``, as tsml-eval
    does.  Written here, not imported: tsml-eval is not a dependency, and its
    ten lines are pinned by a test against the permutation they produce.

    Parameters
    ----------
    test_mask : array-like of bool, shape (n_instances,)
        True for the instances of the dataset's test split.
    n_resamples : int, default=1
        1 is the fixed split alone (``--folds fixed``).

    Examples
    --------
    >>> from tserbench.evaluation.splitters import ArchiveResamples
    >>> cv = ArchiveResamples([False, False, False, True, True], n_resamples=2)
    >>> [(r, tr.tolist(), te.tolist()) for r, _, tr, te in cv.split_with_repeat()]
    [(0, [0, 1, 2], [3, 4]), (1, [2, 1, 4], [0, 3])]
    """

    #: the runner seeds each job's estimator with its resample number (tsml-eval's convention)
    seeds_estimator_by_repeat = True

    def __init__(self, test_mask, n_resamples: int = 1):
        self.test_mask = test_mask
        self.n_resamples = n_resamples

    def _mask(self) -> np.ndarray:
        mask = np.asarray(self.test_mask, dtype=bool)
        if mask.ndim != 1 or not mask.any() or mask.all():
            raise ValueError("test_mask must be 1-D with both training and test instances")
        if not isinstance(self.n_resamples, (int, np.integer)) or self.n_resamples < 1:
            raise ValueError(f"n_resamples must be a positive integer, got {self.n_resamples!r}")
        return mask

    def split_with_repeat(self, X=None, y=None, groups=None) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """Generate ``(resample, 0, train_index, test_index)`` for each resample."""
        mask = self._mask()
        if X is not None and _n_instances(X) != len(mask):
            raise ValueError(f"X has {_n_instances(X)} instances but test_mask has {len(mask)}")
        # the archive's order: training instances first, then test ones
        order = np.r_[np.flatnonzero(~mask), np.flatnonzero(mask)]
        n_train = int((~mask).sum())
        yield 0, 0, order[:n_train], order[n_train:]
        for r in range(1, int(self.n_resamples)):
            indices = np.arange(len(mask), dtype=int)
            np.random.RandomState(r).shuffle(indices)
            yield r, 0, order[indices[:n_train]], order[indices[n_train:]]

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Return the number of resamples."""
        return int(self.n_resamples)

    @property
    def protocol(self) -> str:
        """``"fixed"`` or ``"resamples:N"``."""
        return "fixed" if int(self.n_resamples) == 1 else f"resamples:{int(self.n_resamples)}"


def make_splitter(spec: str | None, *, folds=None, random_state=None, bin_size: int = 20, dataset: str = "the dataset",
                  test_mask=None):
    """Build the splitter of a ``--folds`` value.

    Parameters
    ----------
    spec : str or None
        ``"predefined"`` or ``"KxR"``; None picks ``"predefined"`` when
        ``folds`` is given, else ``"5x1"``.
    folds : array-like of int or None
        The dataset's predefined folds (needed for ``"predefined"``).
    random_state : int or None
        Seed of the ``KxR`` shuffles.
    bin_size : int, default=20
        Strata size of the ``KxR`` splitter.
    dataset : str
        Dataset name, for the error message.
    test_mask : array-like of bool or None
        The dataset's own train/test split (needed for ``"fixed"`` and
        ``"resamples:N"``).

    Returns
    -------
    PredefinedFolds, RepeatedStratifiedRegressionKFold or ArchiveResamples
    """
    if spec is None:
        spec = "predefined" if folds is not None else "5x1"
    n_resamples = parse_archive_folds(spec)
    if n_resamples is not None:
        if test_mask is None:
            raise ConfigError(f"{dataset} has no train/test split of its own; use folds='5x1' (KxR) instead")
        return ArchiveResamples(np.asarray(test_mask, dtype=bool), n_resamples=n_resamples)
    parsed = parse_folds(spec)
    if parsed is None:
        if folds is None:
            raise ConfigError(f"{dataset} has no predefined folds; use folds='5x1' (KxR) instead")
        return PredefinedFolds(np.asarray(folds))
    k, r = parsed
    try:
        splitter = RepeatedStratifiedRegressionKFold(n_splits=k, n_repeats=r, bin_size=bin_size,
                                                     random_state=random_state)
        splitter._check_params()  # as sklearn, the splitter checks at split time: here, before any work
        return splitter
    except ValueError as exc:  # e.g. more folds than a stratum has stars
        raise ConfigError(f"folds {spec!r}: {exc}") from None


def _n_instances(X) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1 and not hasattr(X, "index"):
        return int(shape[0])
    if hasattr(X, "index") and getattr(X.index, "nlevels", 1) > 1:  # pd-multiindex
        return int(X.index.get_level_values(0).nunique())
    return len(X)

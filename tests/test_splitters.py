"""Tests of tserbench.evaluation.splitters."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, check_cv, cross_val_score

from tserbench.evaluation import PredefinedFolds, RepeatedStratifiedRegressionKFold, make_splitter, parse_folds
from tserbench.evaluation.splitters import regression_strata
from tserbench.exceptions import ConfigError


def _skewed_targets(n, seed=0):
    rng = np.random.default_rng(seed)
    # skewed like [Fe/H]: a main peak and a long metal-rich tail
    return np.concatenate([rng.normal(-1.5, 0.3, n - n // 4), rng.exponential(0.5, n // 4) - 1.0])


@pytest.mark.parametrize("n", [200, 103, 57])
def test_every_index_once_per_repeat(n):
    y = _skewed_targets(n)
    cv = RepeatedStratifiedRegressionKFold(n_splits=5, n_repeats=3, random_state=1)
    seen = {}
    splits = list(cv.split_with_repeat(np.zeros((n, 2, 4)), y))
    assert len(splits) == cv.get_n_splits() == 15
    for repeat, fold, train, test in splits:
        assert 0 <= fold < 5
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == n
        seen.setdefault(repeat, []).append(test)
    assert sorted(seen) == [0, 1, 2]
    for tests in seen.values():
        assert np.array_equal(np.sort(np.concatenate(tests)), np.arange(n))


def test_fold_means_are_close():
    n = 200  # 10 full strata of 20: every fold gets 4 stars of each stratum
    y = _skewed_targets(n)
    cv = RepeatedStratifiedRegressionKFold(n_splits=5, n_repeats=2, bin_size=20, random_state=0)
    strata = regression_strata(y, 20)
    # each fold mean is an average of per-stratum averages: it cannot leave the
    # overall mean by more than the mean width of a stratum
    bound = np.mean([np.ptp(y[strata == s]) for s in np.unique(strata)])
    for _, test in cv.split(None, y):
        assert abs(y[test].mean() - y.mean()) <= bound
        assert np.array_equal(np.bincount(strata[test]), np.full(10, 4))

    def worst(splitter):
        return max(abs(y[te].mean() - y.mean()) for _, te in splitter.split(np.zeros(n), y))

    shuffled = [worst(KFold(5, shuffle=True, random_state=s)) for s in range(5)]
    stratified = [worst(RepeatedStratifiedRegressionKFold(5, random_state=s)) for s in range(5)]
    assert np.mean(stratified) < np.mean(shuffled)


def test_deterministic_with_seed():
    y = _skewed_targets(120)

    def tests(seed):
        return [te.tolist() for _, te in RepeatedStratifiedRegressionKFold(4, 2, random_state=seed).split(None, y)]

    assert tests(3) == tests(3)
    assert tests(3) != tests(4)


def test_small_last_bin_gives_no_sklearn_warning():
    y = _skewed_targets(101)  # last stratum would hold 1 star
    strata = regression_strata(y, 20, min_count=5)
    assert np.bincount(strata).min() >= 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(RepeatedStratifiedRegressionKFold(5, random_state=0).split(None, y))) == 5


def test_bad_parameters():
    y = np.arange(30.0)
    with pytest.raises(ValueError, match="bin_size"):
        list(RepeatedStratifiedRegressionKFold(n_splits=5, bin_size=3).split(None, y))
    with pytest.raises(ValueError, match="n_splits"):
        list(RepeatedStratifiedRegressionKFold(n_splits=1).split(None, y))
    with pytest.raises(ValueError, match="cannot split"):
        list(RepeatedStratifiedRegressionKFold(n_splits=5).split(None, y[:3]))
    with pytest.raises(ValueError, match="needs y"):
        list(RepeatedStratifiedRegressionKFold().split(None, None))
    with pytest.raises(ValueError, match="NaN"):
        list(RepeatedStratifiedRegressionKFold().split(None, np.r_[y, np.nan]))


def test_sklearn_compatibility():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 80)
    cv = RepeatedStratifiedRegressionKFold(n_splits=4, n_repeats=2, random_state=0)
    assert check_cv(cv) is cv
    scores = cross_val_score(Ridge(), X, y, cv=cv)
    assert scores.shape == (8,)
    assert "n_splits=4" in repr(cv)
    assert cv.protocol == "4x2"


def test_predefined_folds():
    folds = np.array([2, 0, 1, 0, -1, 2, 1, 1])
    cv = PredefinedFolds(folds)
    assert cv.get_n_splits() == 3
    out = list(cv.split_with_repeat(np.zeros(8)))
    assert [(r, f) for r, f, _, _ in out] == [(0, 0), (0, 1), (0, 2)]
    for _, f, train, test in out:
        assert np.all(folds[test] == f)
        assert 4 in train  # -1: always trained on, never tested
        assert len(train) + len(test) == 8
    assert check_cv(cv) is cv
    with pytest.raises(ValueError, match="at least 2 folds"):
        PredefinedFolds([0, 0, -1]).get_n_splits()
    with pytest.raises(ValueError, match="integers"):
        PredefinedFolds([0.5, 1.0]).get_n_splits()
    with pytest.raises(ValueError, match="instances"):
        list(PredefinedFolds([0, 1]).split(np.zeros(3)))


def test_parse_folds_and_make_splitter():
    assert parse_folds("predefined") is None
    assert parse_folds("5x2") == (5, 2)
    assert parse_folds(" 10X1 ") == (10, 1)
    for bad in ("5", "x2", "1x1", "5x0", "five", "5x2x1"):
        with pytest.raises(ConfigError):
            parse_folds(bad)
    cv = make_splitter("3x2", random_state=7)
    assert isinstance(cv, RepeatedStratifiedRegressionKFold)
    assert (cv.n_splits, cv.n_repeats, cv.random_state) == (3, 2, 7)
    assert isinstance(make_splitter("predefined", folds=[0, 1, 0, 1]), PredefinedFolds)
    assert isinstance(make_splitter(None, folds=[0, 1, 0, 1]), PredefinedFolds)
    assert make_splitter(None).protocol == "5x1"
    with pytest.raises(ConfigError, match="no predefined folds"):
        make_splitter("predefined", folds=None, dataset="tecator")


def _tsml_eval_resample_data_indices(y_train, y_test, random_state):
    """tsml_eval.utils.resampling.resample_data_indices (tsml-eval @ b7166541, BSD-3), verbatim in effect."""
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    indices = np.arange(len(y_train) + len(y_test), dtype=int)
    rng.shuffle(indices)
    return indices[: len(y_train)], indices[len(y_train):]


def test_archive_resamples_are_tsml_evals():
    from tserbench.evaluation.splitters import ArchiveResamples

    n_train, n_test = 140, 61  # Covid3Month's split
    mask = np.r_[np.zeros(n_train, bool), np.ones(n_test, bool)]
    cv = ArchiveResamples(mask, n_resamples=30)
    splits = list(cv.split_with_repeat(np.zeros((n_train + n_test, 1, 3))))
    assert cv.protocol == "resamples:30" and cv.get_n_splits() == 30 and len(splits) == 30
    r0 = splits[0]
    assert r0[:2] == (0, 0) and np.array_equal(r0[2], np.arange(n_train)) and np.array_equal(r0[3], np.arange(n_train, 201))
    for r, fold, train, test in splits[1:]:
        ref_train, ref_test = _tsml_eval_resample_data_indices(np.zeros(n_train), np.zeros(n_test), r)
        assert fold == 0 and np.array_equal(train, ref_train) and np.array_equal(test, ref_test)
    # numpy's legacy stream is frozen (NEP 19): the permutation itself is pinned too
    assert splits[1][3][:5].tolist() == _tsml_eval_resample_data_indices(np.zeros(n_train), np.zeros(n_test), 1)[1][:5].tolist()
    assert ArchiveResamples([False, False, False, True, True], 2).protocol == "resamples:2"
    assert [te.tolist() for _, te in ArchiveResamples([False, False, False, True, True], 2).split()] == [[3, 4], [0, 3]]
    # a mask not in the archive's order (test instances first) keeps the archive's roles
    flipped = list(ArchiveResamples([True, True, False, False, False], 1).split())
    assert flipped[0][0].tolist() == [2, 3, 4] and flipped[0][1].tolist() == [0, 1]


def test_fixed_and_resamples_specs():
    from tserbench.evaluation.splitters import ArchiveResamples, parse_archive_folds

    assert parse_archive_folds("fixed") == 1 and parse_archive_folds("resamples:30") == 30
    assert parse_archive_folds("5x2") is None and parse_folds("fixed") is None and parse_folds("resamples:3") is None
    mask = np.r_[np.zeros(8, bool), np.ones(4, bool)]
    cv = make_splitter("fixed", test_mask=mask)
    assert isinstance(cv, ArchiveResamples) and cv.protocol == "fixed" and cv.get_n_splits() == 1
    with pytest.raises(ConfigError, match="no train/test split of its own"):
        make_splitter("resamples:5", dataset="'rrab-synthetic'")
    with pytest.raises(ConfigError, match="at least 1 resample"):
        make_splitter("resamples:0", test_mask=mask)
    with pytest.raises(ConfigError, match="'fixed' or 'resamples:N'"):
        parse_folds("resample:3")

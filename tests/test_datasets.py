"""sktime dataset objects, the registry and the ``datasets`` command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tserbench.data import make_synthetic_rrab
from tserbench.datasets import (
    Covid3Month,
    RRabGaiaDG22,
    RRabSynthetic,
    clear_cache,
    get_dataset,
    list_datasets,
)
from tserbench.exceptions import ConfigError


def test_synthetic_load_x_y_matches_generator():
    ds = RRabSynthetic(n_stars=40, random_state=2, n_grid=16)
    X, y = ds.load("X", "y")
    curves, feh = make_synthetic_rrab(40, random_state=2)
    assert isinstance(X, np.ndarray) and X.shape == (40, 2, 16)
    np.testing.assert_array_equal(y, feh)
    assert y.dtype == np.float64
    # channel 1 = phase * P on the grid i / n_grid (M24 channel order)
    np.testing.assert_allclose(X[:, 1, :], curves.period[:, None] * np.arange(16)[None, :] / 16)
    np.testing.assert_allclose(X[:, 0, :].mean(axis=1), 0.0, atol=1e-9)  # "full": mean removed
    meta = ds.metadata
    assert list(meta.columns[:3]) == ["source_id", "fold", "period"]
    assert meta["source_id"].dtype == np.int64
    np.testing.assert_array_equal(meta["source_id"].to_numpy(), curves.source_id)
    assert "feh" not in meta.columns
    # returned data are copies: changing them does not change the next load
    X[:] = 0.0
    assert np.abs(ds.load("X")).sum() > 0


def test_synthetic_folds_are_stratified_and_deterministic():
    ds = RRabSynthetic(n_stars=60, random_state=4, n_grid=8)
    folds, y = ds.folds, ds.load("y")
    assert sorted(np.unique(folds)) == [0, 1, 2, 3, 4]
    assert np.bincount(folds).tolist() == [12] * 5
    # each fold spans the target range: one star of every block of 5 sorted targets
    blocks = np.argsort(y, kind="stable").reshape(-1, 5)
    assert all(sorted(folds[b]) == [0, 1, 2, 3, 4] for b in blocks)
    clear_cache()
    np.testing.assert_array_equal(RRabSynthetic(n_stars=60, random_state=4, n_grid=8).folds, folds)
    assert not np.array_equal(RRabSynthetic(n_stars=60, random_state=5, n_grid=8).folds, folds)


def test_synthetic_cv_generator_partitions_the_data():
    ds = RRabSynthetic(n_stars=30, random_state=0, n_grid=8)
    X, y = ds.load("X", "y")
    cv = ds.load("cv")
    assert not isinstance(cv, (list, tuple))
    splits = list(cv)
    assert len(splits) == ds.get_tag("n_splits") == 5
    seen = []
    for k, (X_tr, y_tr, X_te, y_te) in enumerate(splits):
        test = np.flatnonzero(ds.folds == k)
        np.testing.assert_array_equal(y_te, y[test])
        np.testing.assert_array_equal(X_te, X[test])
        assert len(y_tr) + len(y_te) == 30 and X_tr.shape[0] == len(y_tr)
        seen.extend(test)
    assert sorted(seen) == list(range(30))


def test_synthetic_raw_variant_is_unequal_length_df_list():
    ds = RRabSynthetic(n_stars=20, random_state=0, variant="raw")
    assert ds.get_tag("is_equal_length") is False
    X, y = ds.load("X", "y")
    curves, _ = make_synthetic_rrab(20, random_state=0)
    assert isinstance(X, list) and len(X) == 20
    assert [len(x) for x in X] == np.minimum(curves.n_points, 80).tolist()
    assert all(isinstance(x, pd.DataFrame) and x.shape[1] == 2 for x in X)
    X_tr, y_tr, X_te, y_te = next(ds.load("cv"))
    assert isinstance(X_te, list) and len(X_te) == len(y_te)


def test_tags_are_honest():
    ds = RRabSynthetic(n_stars=25)
    assert ds.get_tag("n_instances") == 25
    assert ds.get_tag("is_univariate") is False
    assert ds.get_tag("n_instances_train") == 0 and ds.get_tag("n_instances_test") == 0
    assert ds.keys() == ["X", "y", "cv"]
    assert RRabGaiaDG22.get_class_tag("n_splits") == 10
    assert RRabGaiaDG22.get_class_tag("n_instances") == 4458
    assert RRabGaiaDG22(variant="raw").get_tag("is_equal_length") is False
    with pytest.raises(ConfigError, match="unknown variant"):
        RRabSynthetic(variant="smooth")
    with pytest.raises(ConfigError, match="n_stars"):
        RRabSynthetic(n_stars=4)


def test_sktime_dataset_checks_on_synthetic():
    from sktime.datasets.tests.test_all_datasets import TestAllDatasets
    from sktime.datasets.tests.test_all_regression_datasets import (
        TestAllRegressionDatasets,
    )
    from sktime.utils.estimator_checks import check_estimator

    results = check_estimator(RRabSynthetic, raise_exceptions=False)
    assert results and not {k: v for k, v in results.items() if v != "PASSED"}
    for suite in (TestAllDatasets(), TestAllRegressionDatasets()):
        results = suite.run_tests(obj=RRabSynthetic, raise_exceptions=False)
        failed = {k: v for k, v in results.items() if v != "PASSED"}
        assert results and not failed


def test_registry():
    names = [info.name for info in list_datasets()]
    assert names == ["rrab-gaia-dg22", "rrab-synthetic", "tecator", "covid3month"]
    ds = get_dataset("rrab-synthetic", n_stars=20, n_grid=8)
    assert isinstance(ds, RRabSynthetic) and ds.get_params()["n_stars"] == 20
    assert isinstance(get_dataset("rrab-gaia-dg22", variant="spline"), RRabGaiaDG22)
    with pytest.raises(ConfigError, match="unknown dataset 'nope'.*rrab-gaia-dg22"):
        get_dataset("nope")
    with pytest.raises(ConfigError, match="rrab-synthetic"):
        get_dataset("rrab-synthetic", n_star=3)


def test_sktime_bundled_datasets():
    X, y = get_dataset("covid3month").load("X", "y")
    assert len(y) == Covid3Month.get_class_tag("n_instances") == 201
    X, y = get_dataset("tecator").load("X", "y")
    assert len(y) == 215


def test_dg22_missing_data_error(tmp_path):
    from tserbench.exceptions import DataError

    with pytest.raises(DataError, match="tserbench datasets fetch rrab-gaia-dg22"):
        RRabGaiaDG22(data_home=tmp_path).load("y")


def test_dg22_on_fake_home(fake_dg22_home, tmp_path, monkeypatch):
    import tserbench.data.dg22 as dg22

    written = fake_dg22_home(n_stars=15)
    real = dg22.read_dg22
    monkeypatch.setattr(dg22, "read_dg22", lambda home=None: real(home, verify=False))
    ds = RRabGaiaDG22(data_home=tmp_path, n_grid=10)
    X, y = ds.load("X", "y")
    assert X.shape == (15, 2, 10)
    np.testing.assert_allclose(y, written["feh"], atol=1e-6)
    np.testing.assert_array_equal(ds.folds, written["folds"])
    meta = ds.metadata
    assert {"source_id", "period", "fold", "feh_pred_dg22"} <= set(meta.columns)
    assert len(list(ds.load("cv"))) == 3  # folds present in the (fake) table


# --------------------------------------------------------------------------- real DG22
@pytest.mark.realdata
def test_dg22_real_cv_uses_dg22_folds(dg22_home):
    ds = RRabGaiaDG22(data_home=dg22_home, variant="raw")
    raw = pd.read_csv(
        dg22_home / "dekany2022_gaia_g" / "dekany2022_bilstm_oof_val.dat", sep=r"\s+", header=None, dtype=str
    )
    y = ds.load("y")
    assert len(y) == ds.get_tag("n_instances") == 4458
    np.testing.assert_array_equal(y, raw[2].astype(float).to_numpy())
    meta = ds.metadata
    assert [str(s) for s in meta["source_id"]] == raw[0].tolist()
    np.testing.assert_array_equal(ds.folds, raw[1].astype(int).to_numpy())
    splits = list(ds.load("cv"))
    assert len(splits) == 10
    for k, (X_tr, y_tr, X_te, y_te) in enumerate(splits):
        in_fold = raw[1].astype(int).to_numpy() == k
        np.testing.assert_array_equal(y_te, raw[2].astype(float).to_numpy()[in_fold])
        assert len(X_te) == in_fold.sum() and len(X_tr) == (~in_fold).sum()
    X = ds.load("X")
    assert max(len(x) for x in X) == 80 and min(len(x) for x in X) == 21


@pytest.mark.realdata
@pytest.mark.slow
def test_sktime_dataset_checks_on_dg22(dg22_home):
    from sktime.datasets.tests.test_all_datasets import TestAllDatasets
    from sktime.datasets.tests.test_all_regression_datasets import (
        TestAllRegressionDatasets,
    )

    # the default instance: its panel (the costly part: 4458 smoothing splines) is built
    # once per process and shared with the load timings of tests/speed/
    ds = RRabGaiaDG22(data_home=dg22_home)
    for suite in (TestAllDatasets(), TestAllRegressionDatasets()):
        results = suite.run_tests(obj=ds, raise_exceptions=False)
        failed = {k: v for k, v in results.items() if v != "PASSED"}
        assert results and not failed


# --------------------------------------------------------------------------- CLI
def _run_cli(argv):
    """Parse with only the ``datasets`` command (other commands belong to other modules)."""
    import argparse

    from tserbench.datasets import _cli

    parser = argparse.ArgumentParser(prog="tserbench")
    _cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_list_and_info(capsys, tmp_path):
    assert _run_cli(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert "rrab-gaia-dg22" in out and "covid3month" in out
    assert _run_cli(["datasets", "info", "rrab-gaia-dg22", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "lc_dev_g.tar.gz" in out and "MIT" in out and "tserbench datasets fetch rrab-gaia-dg22" in out
    assert _run_cli(["datasets", "info", "rrab-synthetic"]) == 0
    assert "none to fetch" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="unknown dataset 'nope'"):
        _run_cli(["datasets", "info", "nope"])


def test_datasets_info_shows_split_counts_only_for_a_single_split(capsys):
    """A dataset with folds has no train/test counts to show (sktime's tags carry 0 there)."""
    from tserbench.cli import main

    assert main(["datasets", "info", "rrab-synthetic"]) == 0
    out = capsys.readouterr().out
    assert "n_instances_train" not in out and "predefined folds" in out
    assert main(["datasets", "info", "covid3month"]) == 0
    out = capsys.readouterr().out
    assert "n_instances_train=140" in out.replace("\n", "") or "n_instances_train=140" in out

"""A new network costs its network class, its regressor class and one registry line.

A toy network (global average pooling and one small Dense layer) and its
regressor are defined here; one :class:`~tserbench.regressors.ModelInfo`
line is added to the registry for the test (monkeypatched), and nothing
else is edited.  The model then shows in :func:`list_models`, passes
sktime's estimator checks (a few, on tiny data: the full suite runs on the
real networks in ``tests/test_check_estimator.py``) and runs through
:func:`run_benchmark` by its short name.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from sktime.networks.base import BaseDeepNetwork  # noqa: E402

from tserbench.evaluation import ResultStore, run_benchmark  # noqa: E402
from tserbench.regressors import (  # noqa: E402
    ModelInfo,
    _registry,
    get_regressor,
    list_models,
    resolve_model_class,
)
from tserbench.regressors._base import BaseTserbenchDeepRegressor  # noqa: E402


class ToyNetwork(BaseDeepNetwork):
    """Global average pooling over time, then ``Dense(units)``: the smallest network the base class takes.

    Parameters
    ----------
    units : int, default=2
    random_state : int or None, default=None
    """

    def __init__(self, units: int = 2, random_state=None):
        self.units = units
        self.random_state = random_state
        super().__init__()

    def build_network(self, input_shape, **kwargs):
        """Return the input layer and the features before the regressor's head."""
        from tserbench._tf import import_keras

        keras = import_keras()
        input_layer = keras.layers.Input(shape=input_shape)
        pooled = keras.layers.GlobalAveragePooling1D()(input_layer)
        return input_layer, keras.layers.Dense(int(self.units), activation="relu")(pooled)


class ToyRegressor(BaseTserbenchDeepRegressor):
    """The toy network as an sktime regressor: network parameters first, then the training ones.

    Parameters
    ----------
    units : int, default=2
    n_epochs, batch_size, patience, validation_split, weight_cutoff, standardize, run_eagerly, random_state
        See :class:`~tserbench.regressors._base.BaseTserbenchDeepRegressor`.
    """

    _network_class = ToyNetwork
    _network_params = ("units",)

    def __init__(self, units: int = 2, n_epochs: int = 300, batch_size: int = 256, patience: int | None = 30,
                 validation_split: float = 0.1, weight_cutoff: float | None = None, standardize: bool = True,
                 run_eagerly: bool = False, random_state: int | None = None):
        self.units = units
        super().__init__(n_epochs=n_epochs, batch_size=batch_size, patience=patience,
                         validation_split=validation_split, weight_cutoff=weight_cutoff, standardize=standardize,
                         run_eagerly=run_eagerly, random_state=random_state)

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """One tiny configuration for sktime's checks."""
        return {"units": 2, "n_epochs": 1, "batch_size": 16, "patience": 1, "validation_split": 0.0,
                "run_eagerly": True, "random_state": 0}


#: the one registry line a new network needs
TOY = ModelInfo(name="toy", cls_path=f"{__name__}.ToyRegressor", kind="deep",
                description="toy network of the tests: GAP + Dense(2)", unequal_length=False,
                params={"n_epochs": 2})


@pytest.fixture
def toy_registered(monkeypatch):
    """The registry with the toy line added (the table and its index by name, as the registry reads them)."""
    monkeypatch.setattr(_registry, "_BUILTIN", (*_registry._BUILTIN, TOY))
    monkeypatch.setattr(_registry, "_BY_NAME", {**_registry._BY_NAME, TOY.name: TOY})


def test_the_toy_network_is_listed_and_resolved(toy_registered):
    deep = [info.name for info in list_models(include_plugins=False) if info.kind == "deep"]
    assert "toy" in deep
    assert resolve_model_class("toy") is ToyRegressor
    est = get_regressor("toy", units=3)
    assert est.get_params()["n_epochs"] == 2 and est.units == 3  # registry default, then the caller's


def test_the_toy_network_passes_sktime_checks(toy_registered):
    from sktime.utils.estimator_checks import check_estimator

    cls = resolve_model_class("toy")
    checks = ["test_constructor", "test_get_params", "test_set_params", "test_clone", "test_fit_returns_self",
              "test_fit_idempotent", "test_fit_does_not_overwrite_hyper_params", "test_methods_have_no_side_effects",
              "test_persistence_via_pickle", "test_save_estimators_to_file"]
    results = check_estimator(cls, tests_to_run=checks, raise_exceptions=False, verbose=False)
    assert {test.split("[")[0] for test in results} == set(checks)  # every named check ran
    failures = {test: str(outcome)[:500] for test, outcome in results.items() if outcome != "PASSED"}
    assert failures == {}


def test_the_toy_network_runs_in_a_benchmark(toy_registered, tmp_path):
    out = run_benchmark("rrab-synthetic", ["toy"], dataset_params={"n_stars": 40}, folds="2x1", out=tmp_path / "run",
                        progress=False, checkpoint_every=None)
    store = ResultStore(out)
    jobs = store.read_jobs("toy")
    assert len(jobs) == 2
    assert all(job["estimator"].endswith("ToyRegressor") and job["epochs"] <= 2 for job in jobs)
    oof = store.read_oof("toy")
    assert len(oof) == 40 and np.isfinite(oof["y_pred"]).all()

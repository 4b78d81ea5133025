"""Composite regressors: the unweighted mean of several sktime regressors.

sktime 1.2 has pipelines and a multiplexer for regressors but no averaging
ensemble (its ``ComposableTimeSeriesForestRegressor`` averages copies of one
tree type), so :class:`MeanRegressor` is written here on sktime's
``_HeterogenousMetaEstimator``: nested parameters
(``minirocket__random_state``) work with ``get_params``/``set_params``, which
is how the CV runner seeds every member of a fold.
"""

from __future__ import annotations

import numpy as np
from sktime.base import _HeterogenousMetaEstimator
from sktime.datatypes import MTYPE_LIST_PANEL
from sktime.regression.base import BaseRegressor

__all__ = ["MeanRegressor"]

#: Capability tags that hold for the mean only if they hold for every member.
_SHARED_CAPABILITIES = (
    "capability:multivariate",
    "capability:unequal_length",
    "capability:missing_values",
)


class MeanRegressor(_HeterogenousMetaEstimator, BaseRegressor):
    """Unweighted mean of the predictions of several sktime regressors.

    Every member is cloned and fitted on the same training data; ``predict``
    averages the members' predictions with equal weights.  No weight is
    learned, so no data beyond the training part of a fold is used.

    Parameters
    ----------
    estimators : list of sktime regressors, or list of (str, regressor) tuples
        The members.  Names are generated from the class names if not given;
        nested parameters are addressed as ``<name>__<param>``.

    Attributes
    ----------
    estimators_ : list of (str, regressor) tuples
        The fitted clones of the members.

    Examples
    --------
    >>> import numpy as np
    >>> from sktime.regression.dummy import DummyRegressor
    >>> from tserbench.regressors.compose import MeanRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(20, 1, 12)), rng.normal(size=20)
    >>> reg = MeanRegressor([("mean", DummyRegressor()),
    ...                      ("median", DummyRegressor(strategy="median"))])
    >>> reg = reg.fit(X, y)
    >>> bool(np.isclose(reg.predict(X[:1])[0], (y.mean() + np.median(y)) / 2))
    True
    """

    _tags = {
        "authors": ["tserbench developers"],
        "maintainers": ["tserbench developers"],
        "X_inner_mtype": MTYPE_LIST_PANEL,  # each member converts X itself
        "y_inner_mtype": "numpy1D",
        "capability:multivariate": True,
        "capability:unequal_length": True,
        "capability:missing_values": True,
        "fit_is_empty": False,
    }

    _steps_attr = "_estimators"
    _steps_fitted_attr = "estimators_"

    def __init__(self, estimators: list):
        self.estimators = estimators
        super().__init__()
        self._check_estimators(estimators, attr_name="estimators", cls_type=BaseRegressor,
                               clone_ests=False)
        members = [est for _, est in self._estimators]
        self.set_tags(**{tag: all(bool(est.get_tag(tag, False)) for est in members)
                         for tag in _SHARED_CAPABILITIES})

    @property
    def _estimators(self):
        """The members as unique (name, estimator) tuples."""
        return self._get_estimator_tuples(self.estimators, clone_ests=False)

    @_estimators.setter
    def _estimators(self, value):
        self.estimators = value

    def _fit(self, X, y):
        self.estimators_ = [(name, est.clone().fit(X, y)) for name, est in self._estimators]
        return self

    def _predict(self, X) -> np.ndarray:
        preds = [np.asarray(est.predict(X), dtype=float).reshape(-1) for _, est in self.estimators_]
        return np.mean(preds, axis=0)

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Return two small parameter sets for sktime's tests."""
        from sktime.regression.dummy import DummyRegressor

        from tserbench.regressors.classical import FourierLinearRegressor

        return [
            {"estimators": [("mean", DummyRegressor()), ("median", DummyRegressor(strategy="median"))]},
            {"estimators": [FourierLinearRegressor(), DummyRegressor()]},
        ]

"""Classical baselines: [Fe/H] from the period and Fourier parameters of the light curve.

The traditional photometric-metallicity method (Jurcsik & Kovacs 1996 and
its Gaia-band successors) is a linear relation between [Fe/H] and the
period and Fourier parameters of the light curve (``P``, ``phi31``, ``A2``,
...).  :class:`FourierLinearRegressor` is that method;
:class:`FourierGBRegressor` fits gradient-boosted trees on the same
features.  Both take the same panels as the deep models (``full`` or
``spline`` variant, numpy3D ``(n, 2, n_grid)``) and compute the features with
:func:`tserbench.preprocessing.fourier_features`, so a leaderboard compares
them on identical stars and folds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sktime.regression.base import BaseRegressor

__all__ = ["FourierLinearRegressor", "FourierGBRegressor", "DEFAULT_FEATURES"]

#: Features used unless ``features`` is given: the set that the traditional
#: method relies on (the period carries most of the signal).
DEFAULT_FEATURES: tuple[str, ...] = ("P", "A1", "R21", "R31", "R41", "phi21", "phi31")


class _BaseFourierRegressor(BaseRegressor):
    """Shared part: features from the panel, optional density sample weights."""

    _tags = {
        "authors": "tserbench developers",
        "X_inner_mtype": "numpy3D",
        "y_inner_mtype": "numpy1D",
        "capability:multivariate": True,
        "capability:unequal_length": False,
        "capability:missing_values": False,
    }

    def __init__(self, features: Sequence[str] | None = None, weight_cutoff: float | None = None):
        self.features = features
        self.weight_cutoff = weight_cutoff
        super().__init__()

    # -- helpers ---------------------------------------------------------------
    def _feature_names(self, n_channels: int) -> list[str]:
        names = list(DEFAULT_FEATURES if self.features is None else self.features)
        if n_channels < 2:
            # magnitudes only: no phase * P channel, hence no period feature
            names = [name for name in names if name != "P"]
        return names

    def _features(self, X: np.ndarray) -> np.ndarray:
        """Feature matrix ``(n, n_features)`` of the panel; raises on non-finite values."""
        from tserbench.preprocessing import fourier_features

        X = np.asarray(X, dtype=float)
        n, n_channels, length = X.shape
        grid = np.arange(length, dtype=float) / length
        # fourier_features gets channel 0 with a unit-period channel 1, so it never
        # refuses a panel whose channel 1 is not an exact phase * P ramp (sktime's
        # checks pass random panels); P is set here instead.
        panel = np.stack([X[:, 0, :], np.broadcast_to(grid, (n, length))], axis=1)
        table = fourier_features(panel)
        if n_channels >= 2:
            # least-squares slope of channel 1 on the phase grid: exactly P for a
            # full/spline panel (channel 1 = P * grid), finite for any panel
            table["P"] = X[:, 1, :] @ grid / (grid @ grid)
        else:
            table = table.drop(columns="P")  # magnitudes only: no period (see _feature_names)
        names = self.feature_names_
        missing = [name for name in names if name not in table.columns]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: unknown feature(s) {missing}; "
                f"fourier_features gives {list(table.columns)}"
            )
        F = table[names].to_numpy(dtype=float)
        F = self._unwrap_phases(F, names)
        bad = ~np.isfinite(F)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"{type(self).__name__}: feature {names[col]} of series {row} is not finite "
                f"({int(bad.any(axis=1).sum())} series affected)"
            )
        return F

    def _unwrap_phases(self, F: np.ndarray, names: list[str]) -> np.ndarray:
        """Put each phase difference (``phi*``) within pi of its training circular mean.

        ``fourier_features`` wraps phase differences to ``[0, 2 pi)``; RRab
        ``phi31`` (sine series) sits near 5 rad, so a noisy star can wrap to
        ~0.3 and become a wild outlier for a linear fit.  The centres are
        learnt from the training panel in ``fit`` (``phase_centers_``).
        """
        cols = [j for j, name in enumerate(names) if name.startswith("phi")]
        if not cols:
            return F
        if not hasattr(self, "phase_centers_"):
            self.phase_centers_ = {names[j]: float(np.angle(np.mean(np.exp(1j * F[:, j])))) for j in cols}
        F = F.copy()
        for j in cols:
            c = self.phase_centers_[names[j]]
            F[:, j] = c + np.mod(F[:, j] - c + np.pi, 2 * np.pi) - np.pi
        return F

    def _sample_weight(self, y: np.ndarray) -> np.ndarray | None:
        """DG22 density weights of the training targets, or None (unweighted)."""
        if self.weight_cutoff is None:
            return None
        from tserbench.preprocessing import density_weights

        return np.asarray(density_weights(y, cutoff=self.weight_cutoff), dtype=float)

    def _make_estimator(self):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- sktime interface --------------------------------------------------------
    def _fit(self, X, y):
        self.feature_names_ = self._feature_names(X.shape[1])
        if hasattr(self, "phase_centers_"):  # refit: learn the centres again
            del self.phase_centers_
        if not self.feature_names_:
            raise ValueError(f"{type(self).__name__}: no features left to fit (P needs the phase * P channel)")
        F = self._features(X)
        self.estimator_ = self._make_estimator()
        weight = self._sample_weight(y)
        if weight is None:
            self.estimator_.fit(F, y)
        else:
            self.estimator_.fit(F, y, **{self._weight_param(): weight})
        return self

    def _weight_param(self) -> str:
        return "sample_weight"

    def _predict(self, X) -> np.ndarray:
        return np.asarray(self.estimator_.predict(self._features(X)), dtype=float)


class FourierLinearRegressor(_BaseFourierRegressor):
    """Linear [Fe/H] on period and Fourier parameters: the traditional method.

    Each series is reduced to its Fourier parameters by
    :func:`tserbench.preprocessing.fourier_features` (period ``P`` from the
    ``phase * P`` channel, amplitudes ``A1..A4``, ratios ``R21, R31, R41``,
    phase differences ``phi21, phi31, phi41``); [Fe/H] is then a linear
    function of the chosen features, fitted by least squares (``alpha=0``)
    or ridge regression on standardised features (``alpha>0``).

    Parameters
    ----------
    features : sequence of str, optional
        Columns of ``fourier_features`` to use; default
        ``("P", "A1", "R21", "R31", "R41", "phi21", "phi31")``.
    alpha : float, default=0.0
        Ridge penalty on standardised features; 0 means ordinary least squares.
    weight_cutoff : float or None, default=None
        If set, weight the training stars by DG22's inverse KDE density of the
        training targets with this density cutoff (0.5 in DG22), as the deep
        models do; None fits unweighted.

    Attributes
    ----------
    estimator_ : sklearn.pipeline.Pipeline
        The fitted scaler + linear model.
    feature_names_ : list of str
        The features used, in column order.
    phase_centers_ : dict
        Circular mean of each phase-difference feature on the training set;
        phases are taken within pi of it (``fourier_features`` wraps them to
        ``[0, 2 pi)``, which splits the RRab ``phi31`` cluster).

    Examples
    --------
    >>> import numpy as np
    >>> from tserbench.regressors.classical import FourierLinearRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 2, 30))
    >>> y = rng.normal(size=20)
    >>> reg = FourierLinearRegressor(features=["A1", "R21"]).fit(X, y)
    >>> reg.predict(X).shape
    (20,)
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        alpha: float = 0.0,
        weight_cutoff: float | None = None,
    ):
        self.alpha = alpha
        super().__init__(features=features, weight_cutoff=weight_cutoff)

    def _make_estimator(self):
        from sklearn.linear_model import LinearRegression, Ridge
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        model = LinearRegression() if self.alpha == 0 else Ridge(alpha=self.alpha)
        return Pipeline([("scale", StandardScaler()), ("model", model)])

    def _weight_param(self) -> str:
        return "model__sample_weight"

    @property
    def coef_(self) -> np.ndarray:
        """Coefficients per *unscaled* feature (after ``fit``), in ``feature_names_`` order."""
        scale = self.estimator_.named_steps["scale"].scale_
        return self.estimator_.named_steps["model"].coef_ / scale

    @classmethod
    def get_test_params(cls, parameter_set: str = "default"):
        """Small parameter sets for sktime's ``check_estimator``."""
        return [{}, {"alpha": 1.0, "features": ["P", "A1", "A2", "phi31"], "weight_cutoff": 0.0}]


class FourierGBRegressor(_BaseFourierRegressor):
    """Gradient-boosted trees on period and Fourier parameters.

    The same features as :class:`FourierLinearRegressor`, fitted with
    :class:`sklearn.ensemble.HistGradientBoostingRegressor` (least squares
    loss, no early stopping, so a fit is deterministic given
    ``random_state``).

    Parameters
    ----------
    features : sequence of str, optional
        Columns of ``fourier_features`` to use; default
        ``("P", "A1", "R21", "R31", "R41", "phi21", "phi31")``.
    learning_rate : float, default=0.1
    max_iter : int, default=200
        Number of boosting iterations.
    max_leaf_nodes : int, default=31
    min_samples_leaf : int, default=20
    l2_regularization : float, default=0.0
    weight_cutoff : float or None, default=None
        DG22 density weights of the training targets (see
        :class:`FourierLinearRegressor`); None fits unweighted.
    random_state : int or None, default=None
        Seed of the gradient-boosting estimator.
    n_jobs : int or None, default=1
        OpenMP threads of the gradient boosting during ``fit`` and ``predict``
        (through :mod:`threadpoolctl`); None leaves sklearn's default (all
        cores).  The default is 1 because the runner fits folds in parallel
        processes, and on a loaded machine OpenMP's spinning threads make small
        fits many times slower (docs/performance.md).

    Attributes
    ----------
    estimator_ : sklearn.ensemble.HistGradientBoostingRegressor
    feature_names_ : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from tserbench.regressors.classical import FourierGBRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 2, 30))
    >>> y = rng.normal(size=40)
    >>> reg = FourierGBRegressor(max_iter=10, random_state=0).fit(X, y)
    >>> reg.predict(X).shape
    (40,)
    """

    _tags = {
        "capability:multithreading": True,
        "capability:random_state": True,
        "property:randomness": "derandomized",
    }

    def __init__(
        self,
        features: Sequence[str] | None = None,
        learning_rate: float = 0.1,
        max_iter: int = 200,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 20,
        l2_regularization: float = 0.0,
        weight_cutoff: float | None = None,
        random_state: int | None = None,
        n_jobs: int | None = 1,
    ):
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.n_jobs = n_jobs
        super().__init__(features=features, weight_cutoff=weight_cutoff)

    def _threads(self):
        from contextlib import nullcontext

        from threadpoolctl import threadpool_limits

        return nullcontext() if self.n_jobs is None else threadpool_limits(limits=self.n_jobs, user_api="openmp")

    def _fit(self, X, y):
        with self._threads():
            return super()._fit(X, y)

    def _predict(self, X) -> np.ndarray:
        with self._threads():
            return super()._predict(X)

    def _make_estimator(self):
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )

    @classmethod
    def get_test_params(cls, parameter_set: str = "default"):
        """Small parameter sets for sktime's ``check_estimator``."""
        return [
            {"max_iter": 5, "min_samples_leaf": 2, "random_state": 0},
            {"max_iter": 3, "max_leaf_nodes": 4, "weight_cutoff": 0.0, "random_state": 1},
        ]

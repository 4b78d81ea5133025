"""Sample weights against the skewed [Fe/H] distribution (Dekany & Grebel 2022).

Follows DG22's ``compute_sample_weights(..., by_density=cutoff, scaled=True)``
in ``rrlfeh_nn_utils.py`` of github.com/idekany/rrl_feh_nn (the density part;
DG22's variance weights are left out because the targets' errors are not
published):

1. ``kde = scipy.stats.gaussian_kde(y)`` (Scott's bandwidth), ``dens = kde(y)``;
2. ``y_lo``, ``y_hi`` = the smallest and largest targets whose density is
   above ``cutoff`` (0.5 for the G band);
3. weight = ``1 / dens``; targets below ``y_lo`` get ``1 / kde(y_lo)``, those
   above ``y_hi`` get ``1 / kde(y_hi)`` (the tails are clipped to the density
   at the cutoff's edge);
4. min-max scaling to ``[0.01, 1]`` (sklearn ``MinMaxScaler(feature_range=(0.01, 1))``).

:class:`DensityWeighter` splits this into ``fit`` (KDE, edges and min/max of
the training weights) and ``transform`` (weights of any targets from the
fitted KDE), so a cross-validation fold computes its weights from its own
training targets only. ``transform(y_train)`` after ``fit(y_train)`` equals
DG22's weights exactly; for other targets the scaled weights are clipped to
``[0.01, 1]``.

Note on scale: Keras 3 divides a weighted loss by the batch size, not by the
sum of the weights, so weights in ``[0.01, 1]`` also shrink the effective
learning rate (DG22 trained with them as they are). ``normalize=True``
divides by the mean training weight (mean 1 on the training set).
"""

from __future__ import annotations

import numpy as np

from tserbench.exceptions import ConfigError

__all__ = ["DensityWeighter", "density_weights"]

_LOW, _HIGH = 0.01, 1.0


def _as_targets(y, name="y") -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        y = y.reshape(-1) if y.ndim == 2 and 1 in y.shape else y
    if y.ndim != 1:
        raise ConfigError(f"{name} must be 1-D, got shape {y.shape}")
    if y.size == 0:
        raise ConfigError(f"{name} is empty")
    if not np.all(np.isfinite(y)):
        raise ConfigError(f"{name} contains NaN or inf")
    return y


class DensityWeighter:
    """DG22 KDE density weights, fitted on training targets.

    Parameters
    ----------
    cutoff : float or None, default=0.5
        Density below which the tails are clipped (DG22: 0.5 for Gaia G).
        ``None`` switches weighting off: every weight is 1.
    normalize : bool, default=False
        Divide the weights by the mean training weight (mean 1 on the
        training set); useful because Keras divides the weighted loss by the
        batch size.
    bw_method : str, float or callable, optional
        Passed to :class:`scipy.stats.gaussian_kde` (``None``: Scott, as DG22).

    Attributes
    ----------
    kde_ : scipy.stats.gaussian_kde
    y_low_, y_high_ : float
        Edges of the region where the training density exceeds ``cutoff``.
    w_min_, w_max_ : float
        Range of the unscaled training weights (for the min-max scaling).
    mean_weight_ : float
        Mean scaled training weight (used by ``normalize``).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).normal(-1.5, 0.45, 500)
    >>> w = DensityWeighter(cutoff=0.5).fit(y).transform(y)
    >>> bool(w.min() >= 0.01 and w.max() <= 1.0)
    True
    """

    def __init__(self, cutoff: float | None = 0.5, normalize: bool = False, bw_method=None):
        self.cutoff = cutoff
        self.normalize = normalize
        self.bw_method = bw_method

    def fit(self, y) -> "DensityWeighter":
        """Fit the KDE and the clipping edges on training targets ``y``."""
        y = _as_targets(y)
        if self.cutoff is None:
            self.kde_ = None
            self.mean_weight_ = 1.0
            return self
        cutoff = float(self.cutoff)
        if not np.isfinite(cutoff) or cutoff < 0:
            raise ConfigError(f"density cutoff must be a finite number >= 0 or None, got {self.cutoff!r}")
        if np.unique(y).size < 2:
            raise ConfigError("density weights need at least two distinct target values")
        from scipy.stats import gaussian_kde

        self.kde_ = gaussian_kde(y, bw_method=self.bw_method)
        dens = self.kde_(y)
        above = y[dens > cutoff]
        if above.size == 0:
            raise ConfigError(
                f"no target has a KDE density above the cutoff {cutoff} (max density {dens.max():.3g}); "
                "lower the cutoff"
            )
        self.y_low_ = float(above.min())
        self.y_high_ = float(above.max())
        raw = self._raw(y)
        self.w_min_ = float(raw.min())
        self.w_max_ = float(raw.max())
        self.mean_weight_ = 1.0
        self.mean_weight_ = float(self._scaled(raw).mean())
        return self

    def _raw(self, y: np.ndarray) -> np.ndarray:
        w = 1.0 / self.kde_(y)
        w[y > self.y_high_] = 1.0 / self.kde_(self.y_high_)[0]
        w[y < self.y_low_] = 1.0 / self.kde_(self.y_low_)[0]
        return w

    def _scaled(self, raw: np.ndarray) -> np.ndarray:
        span = self.w_max_ - self.w_min_
        if span <= 0:
            w = np.full(raw.shape, _HIGH)
        else:
            w = _LOW + (_HIGH - _LOW) * (raw - self.w_min_) / span
            w = np.clip(w, _LOW, _HIGH)
        return w / self.mean_weight_ if self.normalize else w

    def transform(self, y) -> np.ndarray:
        """Weights of targets ``y`` from the fitted KDE (in ``[0.01, 1]`` unless ``normalize``)."""
        if not hasattr(self, "mean_weight_"):
            raise ConfigError("DensityWeighter is not fitted; call fit(y_train) first")
        y = _as_targets(y)
        if self.kde_ is None:
            return np.ones_like(y)
        return self._scaled(self._raw(y))

    def fit_transform(self, y) -> np.ndarray:
        """``fit(y).transform(y)``: DG22's weights of the training targets."""
        return self.fit(y).transform(y)


def density_weights(y, *, cutoff: float | None = 0.5, normalize: bool = False, bw_method=None) -> np.ndarray:
    """DG22 KDE density weights of targets ``y`` (fitted on ``y`` itself).

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Training targets ([Fe/H]).
    cutoff : float or None, default=0.5
        See :class:`DensityWeighter`.
    normalize : bool, default=False
        Divide by the mean weight (mean 1).
    bw_method : optional
        KDE bandwidth, see :class:`scipy.stats.gaussian_kde`.

    Returns
    -------
    np.ndarray of float64, shape (n,)
        Weights in ``[0.01, 1]`` (min-max scaled) unless ``normalize``.
    """
    return DensityWeighter(cutoff=cutoff, normalize=normalize, bw_method=bw_method).fit_transform(y)

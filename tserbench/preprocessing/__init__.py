"""tserbench.preprocessing: phase folding, smoothing spline + resampling, variants, weights, Fourier features."""

from tserbench.preprocessing.folding import phase_fold
from tserbench.preprocessing.fourier import fourier_features
from tserbench.preprocessing.spline import smooth_resample
from tserbench.preprocessing.variants import VARIANTS, make_panel, pad_panel
from tserbench.preprocessing.weights import DensityWeighter, density_weights

__all__ = [
    "VARIANTS",
    "DensityWeighter",
    "density_weights",
    "fourier_features",
    "make_panel",
    "pad_panel",
    "phase_fold",
    "smooth_resample",
]

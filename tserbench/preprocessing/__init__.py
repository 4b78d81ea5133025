"""tserbench.preprocessing: phase folding, smoothing spline + resampling, variants, weights, Fourier features."""

from tserbench.preprocessing.folding import phase_fold
from tserbench.preprocessing.spline import smooth_resample
from tserbench.preprocessing.variants import VARIANTS, make_panel, pad_panel

__all__ = ["VARIANTS", "make_panel", "pad_panel", "phase_fold", "smooth_resample"]

"""Phase folding (Eq. 1 of M24): :func:`phase_fold`, defined with the readers in :mod:`tserbench.data._folding`."""

from tserbench.data._folding import phase_fold

__all__ = ["phase_fold"]

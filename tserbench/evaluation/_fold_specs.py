"""The ``--folds`` vocabulary: ``"predefined"``, ``"KxR"``, ``"fixed"``, ``"resamples:N"``.

Parsing only; :func:`tserbench.evaluation.splitters.make_splitter` builds the
splitter a spec names.
"""

from __future__ import annotations

import re

from tserbench.exceptions import ConfigError

__all__ = ["parse_archive_folds", "parse_folds"]

_KXR = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")
_RESAMPLES = re.compile(r"^\s*resamples:(\d+)\s*$", re.IGNORECASE)


def parse_archive_folds(spec) -> int | None:
    """The number of resamples of ``"fixed"`` (1) or ``"resamples:N"`` (N); None for other specs."""
    if not isinstance(spec, str):
        return None
    if spec.strip().lower() == "fixed":
        return 1
    match = _RESAMPLES.match(spec)
    if not match:
        return None
    n = int(match.group(1))
    if n < 1:
        raise ConfigError(f"folds {spec!r}: need at least 1 resample")
    return n


def parse_folds(spec: str) -> tuple[int, int] | None:
    """Parse a ``--folds`` value: ``"predefined"`` -> ``None``, ``"KxR"`` -> ``(K, R)``.

    Parameters
    ----------
    spec : str
        ``"predefined"`` or ``"KxR"`` such as ``"5x2"`` (K folds, R repeats).

    Returns
    -------
    tuple of (int, int) or None

    Raises
    ------
    ConfigError
        On anything else, or K < 2, or R < 1.
    """
    if not isinstance(spec, str):
        raise ConfigError(f"folds must be {_SPECS}, got {spec!r}")
    if spec.strip().lower() == "predefined" or parse_archive_folds(spec) is not None:
        return None
    match = _KXR.match(spec)
    if not match:
        raise ConfigError(f"folds must be {_SPECS}, got {spec!r}")
    k, r = int(match.group(1)), int(match.group(2))
    if k < 2 or r < 1:
        raise ConfigError(f"folds {spec!r}: need at least 2 folds and 1 repeat")
    return k, r


_SPECS = "'predefined', 'KxR' (e.g. '5x2'), 'fixed' or 'resamples:N' (e.g. 'resamples:30')"

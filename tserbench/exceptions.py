"""Exceptions raised by tserbench.

Every error caused by *user input* (a bad file, a bad light curve, a bad
command-line value) derives from :class:`TserbenchError`.  The command-line
interface prints such errors as one line, without a traceback, and exits
with status 2.  Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "TserbenchError",
    "DataError",
    "ChecksumError",
    "LightCurveError",
    "ConfigError",
]


class TserbenchError(Exception):
    """Base class of all user-facing errors (bad input, bad configuration)."""


class DataError(TserbenchError):
    """A data file is missing, truncated or malformed.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str or path-like, optional
        The file concerned; it is prefixed to the message.
    """

    def __init__(self, message: str, path=None):
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if path is not None else message)


class ChecksumError(DataError):
    """A downloaded or local file does not have the expected sha256."""


class LightCurveError(DataError):
    """One star's light curve is unusable (NaN, too few points, bad period, ...).

    Parameters
    ----------
    source_id : int or str
        The star (Gaia ``source_id``).
    reason : str
        What is wrong with it.
    path : str or path-like, optional
        The file the star was read from.
    """

    def __init__(self, source_id, reason: str, path=None):
        self.source_id = source_id
        self.reason = reason
        msg = f"star {source_id}: {reason}"
        super().__init__(msg, path=path)


class ConfigError(TserbenchError):
    """An invalid option, model name, dataset name or parameter value."""

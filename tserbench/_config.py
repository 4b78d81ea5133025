"""Where tserbench keeps its data, and other process-wide settings."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_STORAGE", "data_home"]

ENV_DATA_HOME = "TSERBENCH_DATA"
#: Default Optuna storage of ``tserbench tune``: an SQLite file in the current directory.
DEFAULT_STORAGE = "sqlite:///tserbench-optuna.db"


def data_home(path: str | os.PathLike | None = None) -> Path:
    """Return the data home: where real datasets are read from and fetched to.

    Resolution order: the ``path`` argument, the ``TSERBENCH_DATA``
    environment variable, then ``$XDG_CACHE_HOME/tserbench`` (default
    ``~/.cache/tserbench``).  The folder is not created here; fetching
    creates it.

    Parameters
    ----------
    path : str or path-like, optional
        Explicit location, overriding the environment.

    Returns
    -------
    pathlib.Path
    """
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(ENV_DATA_HOME)
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "tserbench"

"""Atomic file writes: a reader never sees a half-written file.

Each function writes to a temporary file in the destination folder, flushes
and fsyncs it, then renames it over the destination with :func:`os.replace`
(atomic on POSIX and Windows within one file system).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_csv", "atomic_write_json", "atomic_write_text", "atomic_write_with"]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; create parent folders; return the path."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    return atomic_write_with(path, write)


def atomic_write_with(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Let ``write(tmp)`` write a temporary file, then move it to ``path`` atomically.

    For writers that insist on a file name of their own (e.g. Keras'
    ``model.save``, which needs a ``.keras`` suffix): the temporary file lies
    in ``path``'s folder and ends with ``path``'s suffix.

    Parameters
    ----------
    path : str or path-like
        The destination; parent folders are created.
    write : callable
        Called with the temporary path (an existing empty file it may overwrite).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp creates 0600; give the file the permissions of an ordinary
        # new file (0666 minus the umask) so published results stay readable.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, *, indent: int = 2) -> Path:
    """Write ``obj`` as JSON (sorted keys off, trailing newline) atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=indent, default=_json_default) + "\n")


def atomic_write_csv(path: str | os.PathLike, frame) -> Path:
    """Write a pandas DataFrame as CSV (no index) atomically."""
    return atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

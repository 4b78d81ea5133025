"""Dataset manifests (file names, upstream URLs, checksums) and sha256 checks.

Manifests are JSON files in the top-level ``datasets/`` folder of the
repository, installed as the package ``tserbench.manifests``.  They live
beside (not inside) :mod:`tserbench.data` so that the readers here and the
downloader in :mod:`tserbench.datasets` share one source of truth; this
module is in ``data`` because readers may only import from above them.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from tserbench.exceptions import ChecksumError, DataError

__all__ = ["manifest_dir", "load_manifest", "sha256_file", "verify_sha256", "bundled_path"]

_CHUNK = 1 << 20


def manifest_dir() -> Path:
    """Folder holding the dataset manifests.

    ``<repo>/datasets`` when this code runs from a source checkout (a
    ``pyproject.toml`` beside it), so that a second checkout (a git worktree)
    reads its own manifests rather than those of the checkout installed in
    editable mode; else ``tserbench.manifests`` when the package is installed
    with it (pyproject maps the top-level ``datasets/`` folder there).
    """
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file() and (repo / "datasets" / "dekany2022_gaia_g.json").is_file():
        return repo / "datasets"
    try:
        from importlib.resources import files

        root = files("tserbench.manifests")
        path = Path(str(root))
        if path.is_dir() and any(path.glob("*.json")):
            return path
    except (ModuleNotFoundError, TypeError, ValueError):
        pass
    return Path(__file__).resolve().parents[2] / "datasets"


@lru_cache(maxsize=None)
def _load_manifest_cached(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_manifest(filename: str) -> dict[str, Any]:
    """Read a manifest JSON (e.g. ``"dekany2022_gaia_g.json"``) from :func:`manifest_dir`."""
    path = manifest_dir() / filename
    if not path.is_file():
        raise DataError("dataset manifest not found (broken installation?)", path=path)
    try:
        return _load_manifest_cached(str(path))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid manifest JSON: {exc}", path=path) from None


def bundled_path(relpath: str) -> Path:
    """Path of a file shipped with tserbench next to the manifests."""
    return manifest_dir() / relpath


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


# (resolved path, size, mtime_ns) -> sha256; a file is hashed once per process
# unless it changes on disk.
_VERIFIED: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def verify_sha256(path: str | os.PathLike, expected: str) -> None:
    """Raise :class:`ChecksumError` unless ``path`` has sha256 ``expected``.

    The digest of an unchanged file (same size and mtime) is cached for the
    life of the process, so repeated reads cost a ``stat`` only.
    """
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _LOCK:
        actual = _VERIFIED.get(key)
    if actual is None:
        actual = sha256_file(path)
        with _LOCK:
            _VERIFIED[key] = actual
    if actual != expected.lower():
        raise ChecksumError(f"sha256 mismatch: expected {expected}, got {actual}", path=path)

"""Download a dataset's files into the data home and verify their checksums.

Each upstream file of a manifest is downloaded with :mod:`urllib` to a
temporary file beside its destination, its sha256 is checked, and only then
is it renamed into place (:func:`os.replace`), so an interrupted or corrupt
download never leaves a file that looks valid.  Files shipped with tserbench
(``"source": "bundled"``) are copied the same way.  Files already present
with the right checksum are skipped (unless ``force``).

A TSER archive dataset (``AppliancesEnergy``, ...) is one zip, fetched by
:func:`tserbench.datasets._tser_archive.fetch_archive` (trust on first use
where the manifest pins no sha256).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tserbench._config import data_home as _data_home

# manifest_dir is re-exported here: the dataset layer is where callers look for it
from tserbench.data._manifest import (
    bundled_path,
    load_manifest,
    manifest_dir,
    sha256_file,
)
from tserbench.exceptions import ChecksumError, ConfigError, DataError

__all__ = ["fetch", "manifest_dir", "dataset_manifest", "file_status"]

_CHUNK = 1 << 20
_TIMEOUT_S = 60

# the opener used for downloads; tests replace it (no network in CI)
_urlopen: Callable[..., Any] = urllib.request.urlopen


#: Public files that are not datasets but are fetched like them: published
#: results the leaderboard shows as reference rows.
REFERENCE_FILES: dict[str, str] = {"tsml-eval-tser-results": "tsml_eval_tser_results.json"}


def dataset_manifest(name: str) -> dict[str, Any] | None:
    """The manifest of a registered dataset (or of a set of :data:`REFERENCE_FILES`), or None if it has no files.

    None too for a TSER archive dataset: its files are described by
    ``tser_archive.json`` (see :mod:`tserbench.datasets._tser_archive`).
    """
    from tserbench.datasets._registry import dataset_info

    if name in REFERENCE_FILES:
        return load_manifest(REFERENCE_FILES[name])
    info = dataset_info(name)
    return None if info.manifest is None else load_manifest(info.manifest)


def file_status(name: str, data_home: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Each manifest file of ``name`` with its path in the data home and whether it is there.

    A file with another checksum than the manifest's is not there: it is
    reported ``present=False, corrupt=True`` (``fetch`` replaces it).
    """
    manifest = dataset_manifest(name)
    if manifest is None:
        return []
    folder = _data_home(data_home) / manifest["directory"]
    rows = []
    for entry in manifest["files"]:
        path = folder / entry["name"]
        present = path.is_file()
        if present and sha256_file(path) != entry["sha256"].lower():
            rows.append({**entry, "path": str(path), "present": False, "corrupt": True})
            continue
        if not present and entry.get("source") == "bundled":
            bundled = bundled_path(entry["bundled_path"])
            rows.append({**entry, "path": str(path), "present": False, "bundled_copy": str(bundled)})
            continue
        rows.append({**entry, "path": str(path), "present": present})
    return rows


def _download_to_temp(url: str, folder: Path, label: Path, timeout: float = _TIMEOUT_S) -> tuple[str, str]:
    """Stream ``url`` into a ``.part`` temp file in ``folder``; return ``(temp path, sha256)``.

    The caller verifies the digest and moves or removes the file; a failed
    download removes it and raises :class:`DataError` naming ``label``.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{label.name}.", suffix=".part", dir=folder)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=timeout) as resp:
            while chunk := resp.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        os.unlink(tmp)
        raise DataError(f"download failed from {url}: {exc}", path=label) from None
    return tmp, h.hexdigest()


def _download(url: str, dest: Path, expected: str) -> None:
    """Download ``url`` to a temp file in ``dest``'s folder, verify, rename into place."""
    tmp, actual = _download_to_temp(url, dest.parent, dest)
    try:
        if actual != expected:
            raise ChecksumError(
                f"sha256 mismatch after download from {url}: expected {expected}, got {actual}", path=dest
            )
        _readable(tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _readable(path: str) -> None:
    """Give a temp file (0600 from mkstemp) the mode of an ordinary new file (0666 minus the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _remove_partial_downloads(folder: Path) -> None:
    """Delete ``.part`` files that a killed download left behind (they never look valid)."""
    for part in folder.rglob(".*.part"):
        part.unlink(missing_ok=True)


def _copy_bundled(src: Path, dest: Path, expected: str) -> None:
    if not src.is_file():
        raise DataError("bundled file missing from the installation", path=src)
    actual = sha256_file(src)
    if actual != expected:
        raise ChecksumError(f"sha256 mismatch: expected {expected}, got {actual}", path=src)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        _readable(tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch(
    name: str,
    data_home: str | os.PathLike | None = None,
    force: bool = False,
    *,
    trust_unpinned: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Download (or copy) the files of dataset ``name`` into the data home.

    Parameters
    ----------
    name : str
        Registered dataset name, e.g. ``"rrab-gaia-dg22"``, or a TSER archive
        name (case-insensitive), e.g. ``"AppliancesEnergy"``.
    data_home : str or path-like, optional
        Target data home (default: ``$TSERBENCH_DATA`` or the user cache).
    force : bool, default=False
        Download again even if a file with the right checksum is present.
    trust_unpinned : bool, default=False
        For a TSER archive dataset whose sha256 is not pinned: accept the
        download and record its sha256 (see
        :func:`~tserbench.datasets._tser_archive.fetch_archive`).
    progress : callable, optional
        Called with one line of text per file (for the CLI).

    Returns
    -------
    pathlib.Path
        The dataset's folder in the data home (the data home itself for
        datasets without files).

    Raises
    ------
    ConfigError
        Unknown dataset name; an unpinned archive dataset without ``trust_unpinned``.
    DataError
        A download failed (nothing is left in place).
    ChecksumError
        A downloaded file does not match the manifest (nothing is left in place).
    """
    say = progress or (lambda _msg: None)
    if name not in REFERENCE_FILES:
        from tserbench.datasets._registry import dataset_info

        info = dataset_info(name)
        if info.kind == "archive":
            from tserbench.datasets._tser_archive import fetch_archive

            return fetch_archive(info.name, data_home, force, trust_unpinned=trust_unpinned, progress=progress)
    manifest = dataset_manifest(name)
    home = _data_home(data_home)
    if manifest is None:
        say(f"{name}: nothing to fetch (generated or bundled with sktime)")
        return home
    folder = home / manifest["directory"]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the data folder: {exc}", path=folder) from None
    _remove_partial_downloads(folder)
    for entry in manifest["files"]:
        dest = folder / entry["name"]
        if ".." in Path(entry["name"]).parts or Path(entry["name"]).is_absolute():  # pragma: no cover - manifest error
            raise ConfigError(f"manifest entry {entry['name']!r} points outside the dataset folder")
        dest.parent.mkdir(parents=True, exist_ok=True)  # e.g. best_model_g/
        expected = entry["sha256"].lower()
        if dest.is_file() and not force:
            if sha256_file(dest) == expected:
                say(f"{entry['name']}: present, checksum ok")
                continue
            say(f"{entry['name']}: present but checksum differs; fetching again")
        if entry.get("source") == "bundled":
            _copy_bundled(bundled_path(entry["bundled_path"]), dest, expected)
            say(f"{entry['name']}: copied from the bundled copy")
        elif entry.get("url"):
            say(f"{entry['name']}: downloading {entry.get('size', '?')} bytes")
            _download(entry["url"], dest, expected)
            say(f"{entry['name']}: done, checksum ok")
        else:  # pragma: no cover - manifest error
            raise ConfigError(f"manifest entry {entry['name']!r} has neither a URL nor a bundled copy")
    return folder

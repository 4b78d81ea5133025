"""The TSER archive's datasets by name: manifest look-up, trust-on-first-use fetching, local verification.

``datasets/tser_archive.json`` lists the archive's 63 datasets (those with
published results in tsml-eval), each a zip of ``<Name>_TRAIN.ts`` and
``<Name>_TEST.ts`` at a public URL.  :func:`fetch_archive` downloads the zip
to a temporary file, verifies its sha256 (the manifest's, else the one
recorded on first use), checks and extracts the two ``.ts`` files
(:func:`tserbench.data._archive.extract_zip_members`) and moves them into
``<data home>/tser_archive/<Name>/`` with a ``SHA256SUMS`` file naming the
zip's and the two files' digests.  :class:`~tserbench.datasets.TSERArchiveDataset`
verifies the files against ``SHA256SUMS`` before reading them.

Names match case-insensitively.  An entry with ``"builtin"`` (Covid3Month)
is the registry's built-in dataset of that name (sktime's bundled copy).

Nothing here imports sktime.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tserbench._config import data_home as _data_home
from tserbench.data._manifest import load_manifest, sha256_file, verify_sha256
from tserbench.datasets import (
    _fetch,  # one download routine, one file-mode rule (_fetch._urlopen is what tests replace)
)
from tserbench.exceptions import ChecksumError, ConfigError, DataError

__all__ = [
    "MANIFEST",
    "SUMS",
    "archive_entries",
    "archive_entry",
    "archive_folder",
    "archive_manifest",
    "archive_status",
    "fetch_archive",
    "read_sums",
    "verify_local",
]

#: The manifest of the archive's datasets (in :func:`tserbench.data._manifest.manifest_dir`).
MANIFEST = "tser_archive.json"
#: Digests recorded next to a fetched dataset (``sha256sum`` format).
SUMS = "SHA256SUMS"
_TIMEOUT_S = 120


def archive_manifest() -> dict[str, Any]:
    """The parsed ``tser_archive.json``."""
    return load_manifest(MANIFEST)


def archive_entries() -> list[dict[str, Any]]:
    """The manifest's dataset entries (``name``, ``url``, ``sha256``, optionally ``builtin``)."""
    return list(archive_manifest()["datasets"])


def archive_entry(name: str) -> dict[str, Any] | None:
    """The entry of archive dataset ``name`` (exact, else case-insensitive match), or None."""
    if not isinstance(name, str):
        return None
    entries = archive_entries()
    for entry in entries:
        if entry["name"] == name:
            return entry
    folded = name.casefold()
    for entry in entries:
        if entry["name"].casefold() == folded:
            return entry
    return None


def _entry_or_error(name: str) -> dict[str, Any]:
    entry = archive_entry(name)
    if entry is None:
        raise ConfigError(f"unknown TSER archive dataset {name!r}; `tserbench datasets list --all` lists them")
    return entry


def archive_folder(name: str, data_home: str | os.PathLike | None = None) -> Path:
    """``<data home>/tser_archive/<Name>`` of archive dataset ``name``."""
    entry = _entry_or_error(name)
    return _data_home(data_home) / archive_manifest()["directory"] / entry["name"]


def _pair(folder: Path, name: str) -> tuple[Path, Path]:
    return folder / f"{name}_TRAIN.ts", folder / f"{name}_TEST.ts"


def read_sums(folder: str | os.PathLike) -> dict[str, str]:
    """``{file name: sha256}`` from ``folder/SHA256SUMS``; empty if there is none.

    Raises
    ------
    DataError
        A line that is not ``<64 hex digits>  <file name>``.
    """
    path = Path(folder) / SUMS
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, _, fname = line.partition(" ")
        fname = fname.lstrip(" *")
        if len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest) or not fname:
            raise DataError(f"line {n} is not '<sha256>  <file name>'", path=path)
        out[fname] = digest.lower()
    return out


def verify_local(name: str, data_home: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """The ``_TRAIN.ts`` path of a fetched archive dataset, checked against its ``SHA256SUMS``.

    Returns
    -------
    (pathlib.Path, bool)
        The ``<Name>_TRAIN.ts`` path, and whether it was verified (False
        when the folder has no ``SHA256SUMS``: files put there by hand).

    Raises
    ------
    DataError
        The pair is not in the data home.
    ChecksumError
        A file differs from its recorded sha256.
    """
    entry = _entry_or_error(name)
    folder = archive_folder(name, data_home)
    train, test = _pair(folder, entry["name"])
    if not (train.is_file() and test.is_file()):
        raise DataError(f"TSER archive dataset {entry['name']} ({folder}) is not in the data home; "
                        f"tserbench datasets fetch {entry['name']}")
    sums = read_sums(folder)
    if not sums:
        return train, False
    for path in (train, test):
        if path.name not in sums:
            raise DataError(f"{path.name} is not listed in {SUMS}; tserbench datasets fetch {entry['name']} --force",
                            path=folder / SUMS)
        try:
            verify_sha256(path, sums[path.name])
        except ChecksumError as exc:
            raise ChecksumError(f"{exc} (recorded in {SUMS}); tserbench datasets fetch {entry['name']} --force "
                                "fetches it again") from None
    return train, True


def archive_status(name: str, data_home: str | os.PathLike | None = None) -> dict[str, Any]:
    """Where archive dataset ``name`` stands in the data home.

    Returns
    -------
    dict
        ``name``, ``folder``, ``url``, ``pinned`` (the manifest has its
        sha256), ``present`` (both ``.ts`` files there and matching
        ``SHA256SUMS`` if any), ``verified`` and ``error`` (why not present,
        or None).
    """
    entry = _entry_or_error(name)
    folder = archive_folder(name, data_home)
    row = {"name": entry["name"], "folder": str(folder), "url": entry["url"], "pinned": bool(entry.get("sha256")),
           "present": False, "verified": False, "error": None}
    try:
        _, verified = verify_local(name, data_home)
    except DataError as exc:
        row["error"] = str(exc)
        return row
    row.update(present=True, verified=verified)
    return row


def _clean_leftovers(folder: Path) -> None:
    """Remove what a killed fetch left: ``.part`` downloads and ``.staging.*`` folders."""
    for part in folder.glob(".*.part"):
        part.unlink(missing_ok=True)
    for staging in folder.glob(".staging.*"):
        shutil.rmtree(staging, ignore_errors=True)


def fetch_archive(
    name: str,
    data_home: str | os.PathLike | None = None,
    force: bool = False,
    *,
    trust_unpinned: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Download archive dataset ``name`` and install its ``.ts`` pair in the data home.

    Parameters
    ----------
    name : str
        Archive name (case-insensitive), e.g. ``"AppliancesEnergy"``.
    data_home : str or path-like, optional
        Target data home (default: ``$TSERBENCH_DATA`` or the user cache).
    force : bool, default=False
        Download again even if the pair is present and verifies.
    trust_unpinned : bool, default=False
        Accept a download whose sha256 neither the manifest nor an earlier
        fetch (``SHA256SUMS``) pins, and record its sha256 (trust on first use).
    progress : callable, optional
        Called with one line of text per step (for the CLI).

    Returns
    -------
    pathlib.Path
        ``<data home>/tser_archive/<Name>``.

    Raises
    ------
    ConfigError
        Unknown name, or an unpinned entry without ``trust_unpinned``.
    DataError
        Download failed, unsafe or corrupt zip, or the pair missing from it.
    ChecksumError
        The zip's sha256 differs from the pinned or recorded one.
    """
    say = progress or (lambda _msg: None)
    entry = _entry_or_error(name)
    arch = entry["name"]
    folder = archive_folder(arch, data_home)
    zip_label = folder / f"{arch}.zip"
    pinned = (entry.get("sha256") or "").lower() or None
    sums = read_sums(folder) if folder.is_dir() else {}
    recorded = sums.get(zip_label.name)
    expected = pinned or recorded
    if expected is None and not trust_unpinned:
        raise ConfigError(f"TSER archive dataset {arch}: no sha256 pinned in {MANIFEST} for {entry['url']}; "
                          f"rerun with --trust-unpinned to accept the download's sha256 and record it "
                          f"in {folder / SUMS} (trust on first use)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the data folder: {exc}", path=folder) from None
    _clean_leftovers(folder)
    if not force:
        try:
            _, verified = verify_local(arch, data_home)
        except DataError:
            pass  # absent or damaged: fetched again below
        else:
            if verified:
                say(f"{arch}: present, checksums ok ({folder / SUMS})")
                return folder
    train, test = _pair(folder, arch)
    say(f"{arch}: downloading {entry['url']}")
    tmp, actual = _fetch._download_to_temp(entry["url"], folder, zip_label, timeout=_TIMEOUT_S)
    staging = None
    try:
        if expected is not None and actual != expected:
            where = f"pinned in {MANIFEST}" if pinned else f"recorded in {folder / SUMS} on first use"
            raise ChecksumError(f"sha256 mismatch after download from {entry['url']}: expected {expected} ({where}), "
                                f"got {actual}", path=zip_label)
        if expected is None:
            say(f"{arch}.zip: sha256 {actual} (not pinned: trusted on first use, recorded in {folder / SUMS})")
        else:
            say(f"{arch}.zip: checksum ok")
        from tserbench.data._archive import extract_zip_members

        staging = Path(tempfile.mkdtemp(prefix=".staging.", dir=folder))
        got = extract_zip_members(tmp, [train.name, test.name], staging)
        missing = [p.name for p in (train, test) if p.name not in got]
        if missing:
            raise DataError(f"the archive from {entry['url']} holds no {' or '.join(missing)}", path=zip_label)
        lines = [f"{actual}  {zip_label.name}"] + [f"{sha256_file(got[p.name])}  {p.name}" for p in (train, test)]
        sums_tmp = staging / SUMS
        sums_tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for src in (got[train.name], got[test.name], sums_tmp):
            _fetch._readable(str(src))
            with open(src, "rb") as fh:
                os.fsync(fh.fileno())
        # the pair first, SHA256SUMS last: a crash in between leaves files that do not verify, fetched again
        os.replace(got[train.name], train)
        os.replace(got[test.name], test)
        os.replace(sums_tmp, folder / SUMS)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    say(f"{arch}: {train.name}, {test.name} in {folder}")
    return folder

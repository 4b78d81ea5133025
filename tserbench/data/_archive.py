"""Read a tar archive (optionally gzip-compressed) whole, verified, within size caps; extract zip members safely.

Python's streaming tar reader takes a damaged header for the end of the
archive and never reaches the gzip trailer, so a corrupted file can be
half-read without an error.  Here the compressed stream is read to its end
first, which checks gzip's CRC and length, the tar headers are then parsed
from memory (a bad header is an error, not an end), and each member's size
and the total are capped, so that a small file cannot expand into
gigabytes.  Any failure is a :class:`~tserbench.exceptions.DataError`
naming the file.

Zip archives (the TSER archive's datasets) are checked the same way before
anything is written: every member name must stay inside the archive (no
absolute path, drive letter or ``..``), no member may be a symbolic link or
encrypted, and the declared sizes are capped; the wanted members are then
streamed to disk (zipfile checks each one's CRC) with the caps enforced on
the bytes actually written.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Collection
from pathlib import Path

from tserbench.exceptions import DataError

__all__ = ["MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES", "MAX_ZIP_MEMBER_BYTES", "MAX_ZIP_TOTAL_BYTES", "read_tar_members",
           "extract_zip_members"]

#: Largest member read (a light-curve file is a few kB).
MAX_MEMBER_BYTES = 16 * 2**20
#: Largest archive read, uncompressed.
MAX_TOTAL_BYTES = 1 * 2**30
#: Largest zip member extracted (the TSER archive's largest .ts files are a few hundred MB).
MAX_ZIP_MEMBER_BYTES = 4 * 2**30
#: Largest zip archive read, uncompressed (sum of the declared member sizes).
MAX_ZIP_TOTAL_BYTES = 8 * 2**30
_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


def _decompressed(path: Path, max_total: int) -> bytes:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic != b"\x1f\x8b":  # a plain tar
        if path.stat().st_size > max_total:
            raise DataError(f"archive larger than {max_total} bytes", path=path)
        return path.read_bytes()
    out = io.BytesIO()
    try:
        with gzip.open(path, "rb") as gz:
            while chunk := gz.read(_CHUNK):
                out.write(chunk)
                if out.tell() > max_total:
                    raise DataError(f"archive expands to more than {max_total} bytes", path=path)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"corrupt or truncated archive ({type(exc).__name__}: {exc})", path=path) from None
    return out.getvalue()


def read_tar_members(
    path: str | os.PathLike,
    *,
    suffix: str,
    wanted: set[str] | None = None,
    max_member_bytes: int = MAX_MEMBER_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> list[tuple[str, str, bytes]]:
    """Every regular member ``*/<key><suffix>`` of an archive: ``(key, member name, bytes)``.

    Parameters
    ----------
    path : str or path-like
        A ``.tar``, ``.tar.gz`` or ``.tgz`` file.
    suffix : str
        File-name ending of the members to read (e.g. ``"_bin.dat"``); the
        key is the base name without it.
    wanted : set of str, optional
        Read only these keys (the others are skipped, but the whole archive
        is still verified).
    max_member_bytes, max_total_bytes : int
        Caps on one member and on the uncompressed archive.

    Raises
    ------
    DataError
        Unreadable, corrupt (CRC, length, header) or oversized archive.
    """
    path = Path(path)
    data = _decompressed(path, max_total_bytes)
    found = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
            for member in tf.getmembers():  # all headers parsed: a bad one raises
                if not member.isfile():
                    continue
                base = member.name.rsplit("/", 1)[-1]
                if not base.endswith(suffix):
                    continue
                key = base[: -len(suffix)]
                if wanted is not None and key not in wanted:
                    continue
                if member.size > max_member_bytes:
                    raise DataError(f"member {member.name} is {member.size} bytes, more than {max_member_bytes}",
                                    path=path)
                fh = tf.extractfile(member)
                found.append((key, member.name, fh.read() if fh is not None else b""))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"corrupt or truncated archive ({type(exc).__name__}: {exc})", path=path) from None
    return found


def _unsafe_member(name: str) -> bool:
    """Whether a zip member name could land outside the extraction folder."""
    if not name or "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in re.split(r"[/\\]", name)


def extract_zip_members(
    path: str | os.PathLike,
    wanted: Collection[str],
    dest: str | os.PathLike,
    *,
    max_member_bytes: int = MAX_ZIP_MEMBER_BYTES,
    max_total_bytes: int = MAX_ZIP_TOTAL_BYTES,
) -> dict[str, Path]:
    """Check every member of a zip archive, then extract the wanted ones (by base name) into ``dest``.

    Parameters
    ----------
    path : str or path-like
        The ``.zip`` file.
    wanted : collection of str
        Base names of the members to extract (matched case-insensitively,
        at any depth in the archive); each is written as ``dest/<name>``
        with the spelling given here.  Other members are checked, not written.
    dest : str or path-like
        Existing folder to write into.
    max_member_bytes, max_total_bytes : int
        Caps on one member and on the sum of all members, uncompressed.

    Returns
    -------
    dict
        ``{wanted name: written path}`` for the wanted names found (a
        missing one is absent).

    Raises
    ------
    DataError
        Not a zip, a member outside the archive (absolute or ``..``), a
        symbolic link, an encrypted or corrupt (CRC) member, two members with
        one wanted name, or a size over a cap.
    """
    path, dest = Path(path), Path(dest)
    by_key = {w.lower(): w for w in wanted}
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DataError(f"not a readable zip archive ({type(exc).__name__}: {exc})", path=path) from None
    with zf:
        infos = zf.infolist()
        total = 0
        for info in infos:
            name = info.filename
            if _unsafe_member(name):
                raise DataError(f"refused: member {name!r} points outside the archive (absolute path or '..')",
                                path=path)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DataError(f"refused: member {name!r} is a symbolic link", path=path)
            if info.flag_bits & 0x1:
                raise DataError(f"refused: member {name!r} is encrypted", path=path)
            if info.file_size > max_member_bytes:
                raise DataError(f"member {name} is {info.file_size} bytes, more than {max_member_bytes}", path=path)
            total += info.file_size
        if total > max_total_bytes:
            raise DataError(f"archive expands to {total} bytes, more than {max_total_bytes}", path=path)
        chosen: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.is_dir():
                continue
            key = re.split(r"[/\\]", info.filename)[-1].lower()
            if key in by_key:
                if by_key[key] in chosen:
                    raise DataError(f"two members named {by_key[key]} ({chosen[by_key[key]].filename}, "
                                    f"{info.filename})", path=path)
                chosen[by_key[key]] = info
        out: dict[str, Path] = {}
        for target_name, info in chosen.items():
            target = dest / target_name
            written = 0
            try:
                with zf.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > max_member_bytes:
                            raise DataError(f"member {info.filename} expands to more than {max_member_bytes} bytes",
                                            path=path)
                        dst.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
                raise DataError(f"corrupt member {info.filename} ({type(exc).__name__}: {exc})", path=path) from None
            out[target_name] = target
    return out

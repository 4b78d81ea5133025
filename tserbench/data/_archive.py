"""Read a tar archive (optionally gzip-compressed) whole, verified, within size caps.

Python's streaming tar reader takes a damaged header for the end of the
archive and never reaches the gzip trailer, so a corrupted file can be
half-read without an error.  Here the compressed stream is read to its end
first, which checks gzip's CRC and length, the tar headers are then parsed
from memory (a bad header is an error, not an end), and each member's size
and the total are capped, so that a small file cannot expand into
gigabytes.  Any failure is a :class:`~tserbench.exceptions.DataError`
naming the file.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zlib
from pathlib import Path

from tserbench.exceptions import DataError

__all__ = ["MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES", "read_tar_members"]

#: Largest member read (a light-curve file is a few kB).
MAX_MEMBER_BYTES = 16 * 2**20
#: Largest archive read, uncompressed.
MAX_TOTAL_BYTES = 1 * 2**30
_CHUNK = 1 << 20


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

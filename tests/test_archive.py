"""Archives are read whole and verified: a damaged one is an error, never half a result."""

from __future__ import annotations

import io
import tarfile

import pytest

from tserbench.data import read_dg22
from tserbench.data._archive import read_tar_members
from tserbench.exceptions import DataError


def _flip_a_bit(path, at):
    data = bytearray(path.read_bytes())
    data[at] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_the_compressed_stream_is_an_error(fake_dg22_home, tmp_path):
    folder = fake_dg22_home(60)["folder"]
    archive = folder / "lc_dev_g.tar.gz"
    assert len(read_tar_members(archive, suffix="_bin.dat")) == 60
    _flip_a_bit(archive, archive.stat().st_size // 2)
    with pytest.raises(DataError, match="corrupt"):
        read_tar_members(archive, suffix="_bin.dat")
    # the dataset reader says so too (not "stars have no light curve")
    with pytest.raises(DataError, match="corrupt"):
        read_dg22(tmp_path, verify=False)


def test_predict_reads_no_half_archive(fake_dg22_home):
    from tserbench.regressors._cli import _read_dg22_inputs

    folder = fake_dg22_home(60)["folder"]
    archive = folder / "lc_dev_g.tar.gz"
    lcs, rejected = _read_dg22_inputs([str(archive)], str(folder / "periods_recovered.csv"))
    assert len(lcs) == 60 and not rejected
    _flip_a_bit(archive, archive.stat().st_size // 2)
    with pytest.raises(DataError, match="corrupt or truncated archive"):
        _read_dg22_inputs([str(archive)], str(folder / "periods_recovered.csv"))


def test_a_member_too_large_is_refused(tmp_path):
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        data = b"0 1\n" * 300_000  # 1.2 MB of repeated text: a few kB compressed
        info = tarfile.TarInfo("x/123_bin.dat")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    assert path.stat().st_size < 20_000
    with pytest.raises(DataError, match="more than 1000000"):
        read_tar_members(path, suffix="_bin.dat", max_member_bytes=1_000_000)
    with pytest.raises(DataError, match="expands to more than"):
        read_tar_members(path, suffix="_bin.dat", max_total_bytes=500_000)

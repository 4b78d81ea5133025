"""Atomic writes (:mod:`tserbench._io`)."""

from __future__ import annotations

import pytest

from tserbench._io import atomic_write_bytes, atomic_write_with


def test_atomic_write_with_names_the_temporary_file_like_the_destination(tmp_path):
    seen = []

    def write(tmp):
        seen.append(tmp)
        tmp.write_bytes(b"new")

    dest = tmp_path / "sub" / "model.keras"
    assert atomic_write_with(dest, write) == dest
    assert dest.read_bytes() == b"new"
    assert seen[0].parent == dest.parent and seen[0].name.endswith(".keras") and seen[0] != dest
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.keras"]


def test_atomic_write_with_a_failing_writer_leaves_the_old_file(tmp_path):
    dest = atomic_write_bytes(tmp_path / "model.keras", b"old")

    def write(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("writer died")

    with pytest.raises(RuntimeError, match="writer died"):
        atomic_write_with(dest, write)
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]

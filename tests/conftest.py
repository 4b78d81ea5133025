"""Shared test fixtures.

- ``dg22_home``: the data home holding the real DG22 files (``$TSERBENCH_DATA``);
  the test is skipped when it is not set or the files are missing.
- ``fake_dg22_home``: a factory writing a tiny DG22-shaped data home (synthetic
  stars, same file names and formats) into a temporary folder; its checksums
  do not match the manifest, so read it with ``read_dg22(..., verify=False)``.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

DG22_FILES = ("lc_dev_g.tar.gz", "dekany2022_bilstm_oof_val.dat", "periods_recovered.csv")


@pytest.fixture(scope="session")
def dg22_home() -> Path:
    """Data home with the real DG22 files, or skip."""
    env = os.environ.get("TSERBENCH_DATA")
    if not env:
        pytest.skip("real DG22 data: TSERBENCH_DATA not set")
    home = Path(env)
    missing = [f for f in DG22_FILES if not (home / "dekany2022_gaia_g" / f).is_file()]
    if missing:
        pytest.skip(f"real DG22 data: DG22 files missing in {home}: {missing}")
    return home


def write_fake_dg22(home: Path, n_stars: int = 12, *, seed: int = 0) -> dict:
    """Write a DG22-shaped data home with ``n_stars`` synthetic stars; return what was written."""
    from tserbench.data import make_synthetic_rrab

    curves, feh = make_synthetic_rrab(n_stars, random_state=seed)
    folder = home / "dekany2022_gaia_g"
    folder.mkdir(parents=True, exist_ok=True)
    folds = np.arange(n_stars) % 3
    with tarfile.open(folder / "lc_dev_g.tar.gz", "w:gz") as tf:
        info = tarfile.TarInfo("lc_dev_g")
        info.type = tarfile.DIRTYPE
        tf.addfile(info)
        for sid, ph, mg in zip(curves.source_id, curves.phase, curves.mag):
            # two cycles, as in the real files (the second is the first + 1)
            lines = [f"{p:.6f} {m:.6f}" for p, m in zip(np.r_[ph, ph + 1], np.r_[mg, mg])]
            data = ("\n".join(lines) + "\n").encode()
            member = tarfile.TarInfo(f"lc_dev_g/{sid}_bin.dat")
            member.size = len(data)
            tf.addfile(member, io.BytesIO(data))
    with open(folder / "dekany2022_bilstm_oof_val.dat", "w") as fh:
        for sid, f, y in zip(curves.source_id, folds, feh):
            fh.write(f"{sid} {f} {y:.6f} {y + 0.1:.6f}\n")
    with open(folder / "periods_recovered.csv", "w") as fh:
        fh.write("source_id,period,rms_residual,n_models,flag\n")
        for sid, p in zip(curves.source_id, curves.period):
            fh.write(f"{sid},{p:.6f},3e-07,10,ok\n")
    return {"folder": folder, "curves": curves, "feh": feh, "folds": folds}


@pytest.fixture
def fake_dg22_home(tmp_path):
    """Factory: ``fake_dg22_home(n_stars=12, seed=0, home=tmp_path)`` -> dict(folder, curves, feh, folds)."""

    def make(n_stars: int = 12, seed: int = 0, home: Path | None = None) -> dict:
        return write_fake_dg22(tmp_path if home is None else Path(home), n_stars, seed=seed)

    return make


def pytest_collection_modifyitems(config, items):
    """Run the ``slow`` tests first.

    With pytest-xdist the long ones (sktime's checks of the deep regressors)
    then overlap the many short tests on the other worker instead of forming
    a tail at the end of the run.  The order within each group is kept.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)

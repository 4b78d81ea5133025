"""Fetching datasets into the data home (no network: file:// URLs and fake openers)."""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.parse
from pathlib import Path

import pytest

import tserbench.data._manifest as manifest_mod
import tserbench.datasets._fetch as fetch_mod
from tserbench.data import read_dg22
from tserbench.datasets import fetch, manifest_dir
from tserbench.exceptions import ChecksumError, ConfigError, DataError

REAL_SHA256 = {  # /work/shared/datasets/README.md
    "lc_dev_g.tar.gz": "73bdea622e27d89a571a5029d8622cdaea21773a32ffffe7439c5e32760f9c0b",
    "dekany2022_bilstm_oof_val.dat": "6c7940159051a0bb69a6bd7603014680ad52bbd8c6a48048196146f1cec82f9e",
    "dekany2022_bilstm_oof_train.dat": "eb3542e6e2223aba7ea7f800e9323637ebf9c8f78a5c79a07ac4d55eae985b0f",
    "periods_recovered.csv": "91a1e8542a222dd5f39f061288797fb22d802280b84bf48223201c549fd08af8",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def local_upstream(tmp_path, monkeypatch, fake_dg22_home):
    """A fake upstream (file:// URLs) and a manifest folder describing it, swapped in."""
    written = fake_dg22_home(8, home=tmp_path / "upstream")
    src = written["folder"]
    (src / "dekany2022_bilstm_oof_train.dat").write_text("1 2 3 4\n")
    mdir = tmp_path / "manifests"
    (mdir / "dekany2022_gaia_g").mkdir(parents=True)
    shutil.move(src / "periods_recovered.csv", mdir / "dekany2022_gaia_g" / "periods_recovered.csv")
    files = []
    for name in ("lc_dev_g.tar.gz", "dekany2022_bilstm_oof_val.dat", "dekany2022_bilstm_oof_train.dat"):
        files.append({"name": name, "source": "upstream", "url": (src / name).as_uri(), "sha256": _sha(src / name)})
    bundled = mdir / "dekany2022_gaia_g" / "periods_recovered.csv"
    files.append({"name": "periods_recovered.csv", "source": "bundled",
                  "bundled_path": "dekany2022_gaia_g/periods_recovered.csv", "url": None, "sha256": _sha(bundled)})
    manifest = {"name": "rrab-gaia-dg22", "directory": "dekany2022_gaia_g", "licence": "MIT", "files": files}
    (mdir / "dekany2022_gaia_g.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(manifest_mod, "manifest_dir", lambda: mdir)
    return {"src": src, "manifest_dir": mdir, "home": tmp_path / "home", "bundled": bundled}


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_fetch_downloads_verifies_and_skips(local_upstream):
    home = local_upstream["home"]
    lines = []
    folder = fetch("rrab-gaia-dg22", data_home=home, progress=lines.append)
    assert folder == home / "dekany2022_gaia_g"
    for name in ("lc_dev_g.tar.gz", "dekany2022_bilstm_oof_val.dat", "dekany2022_bilstm_oof_train.dat"):
        assert (folder / name).read_bytes() == (local_upstream["src"] / name).read_bytes()
    assert (folder / "periods_recovered.csv").read_bytes() == local_upstream["bundled"].read_bytes()
    assert _no_temp_files(folder)
    curves, _ = read_dg22(home, verify=True)  # checksums of the (swapped-in) manifest
    assert len(curves) == 8

    calls = []
    real_open = fetch_mod._urlopen

    def counting(url, **kw):
        calls.append(url)
        return real_open(url, **kw)

    fetch_mod._urlopen = counting
    try:
        lines.clear()
        fetch("rrab-gaia-dg22", data_home=home, progress=lines.append)
        assert calls == [] and all("checksum ok" in line for line in lines)
        fetch("rrab-gaia-dg22", data_home=home, force=True)
        assert len(calls) == 3
    finally:
        fetch_mod._urlopen = real_open


def test_fetch_checksum_mismatch_leaves_nothing(local_upstream):
    src = local_upstream["src"] / "dekany2022_bilstm_oof_val.dat"
    src.write_text(src.read_text() + "1 0 -1.0 -1.0\n")  # upstream changed
    home = local_upstream["home"]
    with pytest.raises(ChecksumError, match="dekany2022_bilstm_oof_val.dat.*expected [0-9a-f]{64}, got [0-9a-f]{64}"):
        fetch("rrab-gaia-dg22", data_home=home)
    folder = home / "dekany2022_gaia_g"
    assert not (folder / "dekany2022_bilstm_oof_val.dat").exists()
    assert _no_temp_files(folder)


def test_fetch_truncated_download(local_upstream, monkeypatch):
    class Truncated:
        def __init__(self, data):
            self.data = data

        def read(self, n=-1):
            out, self.data = self.data[:n], self.data[n:]
            return out

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def opener(url, **kw):
        path = Path(urllib.parse.urlparse(url).path)
        data = path.read_bytes()
        return Truncated(data[: len(data) // 2] if path.name.endswith(".tar.gz") else data)

    monkeypatch.setattr(fetch_mod, "_urlopen", opener)
    home = local_upstream["home"]
    with pytest.raises(DataError, match="lc_dev_g.tar.gz"):
        fetch("rrab-gaia-dg22", data_home=home)
    assert not (home / "dekany2022_gaia_g" / "lc_dev_g.tar.gz").exists()


def test_fetch_replaces_corrupt_local_file_and_reports_network_errors(local_upstream, monkeypatch):
    home = local_upstream["home"]
    folder = home / "dekany2022_gaia_g"
    folder.mkdir(parents=True)
    (folder / "lc_dev_g.tar.gz").write_bytes(b"half a file")
    fetch("rrab-gaia-dg22", data_home=home)
    assert _sha(folder / "lc_dev_g.tar.gz") == _sha(local_upstream["src"] / "lc_dev_g.tar.gz")

    def offline(url, **kw):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(fetch_mod, "_urlopen", offline)
    with pytest.raises(DataError, match="download failed.*no network"):
        fetch("rrab-gaia-dg22", data_home=home, force=True)
    assert _sha(folder / "lc_dev_g.tar.gz") == _sha(local_upstream["src"] / "lc_dev_g.tar.gz")  # kept


def test_fetch_other_datasets(tmp_path):
    assert fetch("rrab-synthetic", data_home=tmp_path / "h") == tmp_path / "h"
    assert not (tmp_path / "h").exists()
    with pytest.raises(ConfigError, match="unknown dataset"):
        fetch("nope", data_home=tmp_path)


def test_cli_fetch(local_upstream, capsys):
    import argparse

    from tserbench.datasets import _cli

    parser = argparse.ArgumentParser(prog="tserbench")
    _cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["datasets", "fetch", "rrab-gaia-dg22", "--data-home", str(local_upstream["home"])])
    assert args.func(args) == 0
    assert "ready in" in capsys.readouterr().out
    assert (local_upstream["home"] / "dekany2022_gaia_g" / "lc_dev_g.tar.gz").is_file()


# --------------------------------------------------------------------------- the shipped manifest
def test_shipped_manifest_matches_the_data_definition():
    mdir = manifest_dir()
    assert (mdir / "__init__.py").exists() or (mdir.name == "manifests")
    m = json.loads((mdir / "dekany2022_gaia_g.json").read_text())
    assert m["name"] == "rrab-gaia-dg22" and m["licence"] == "MIT"
    assert {f["name"]: f["sha256"] for f in m["files"]} == REAL_SHA256
    base = "https://github.com/idekany/rrl_feh_nn/raw/3141888c0c56e2b8f595eda14af31af9f1f24307/"
    for f in m["files"]:
        if f["source"] == "bundled":
            path = mdir / f["bundled_path"]
            assert _sha(path) == f["sha256"] and path.stat().st_size == f["size"]
            continue
        assert f["url"].startswith(base)
        encoded = f["url"][len(base):]
        assert " " not in encoded and "'" not in encoded and "[" not in encoded
        assert urllib.parse.unquote(encoded) == f["upstream_path"]


@pytest.mark.realdata
def test_shipped_manifest_sizes_match_real_files(dg22_home):
    m = json.loads((manifest_dir() / "dekany2022_gaia_g.json").read_text())
    for f in m["files"]:
        path = dg22_home / "dekany2022_gaia_g" / f["name"]
        if path.exists():
            assert path.stat().st_size == f["size"]

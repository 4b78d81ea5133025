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
    # DG22's published fold models (results_g/best_model_g/ upstream)
    "best_model_g/model.json": "975510d66d5ab34088f900155ad2c84615efc1fd7e7ba0147e42f29003d3d6ff",
    "best_model_g/weights_0.h5": "98e66c9c2be1ab393d0beadddfe3e52e0414920e06bd37a09a4a029a6bff6487",
    "best_model_g/weights_1.h5": "bb24d4d7d0e80207e5bd57f580e86fda96fa6351fbdae73448055e88355fc3a9",
    "best_model_g/weights_2.h5": "f3aa9a39b9daaf81d08ee706158cd06835e2fa5e0b24d7aa5cc3d5c7c2dda1bc",
    "best_model_g/weights_3.h5": "99114864c9110d668ee706ca750a33d17b1bf015541a822017c50f16f9c79ad0",
    "best_model_g/weights_4.h5": "a89f999e70965dbabbb6fc7d7c07b74424a9ec93649d4418ebc0389f6b2847ae",
    "best_model_g/weights_5.h5": "7b7c6611509a6e76608bd7c3e9149cf12bf21b4f4b265480a9c8c8b3a002c3e1",
    "best_model_g/weights_6.h5": "35bfd0381666d318397cf765e7aec20fc709d065e2e20c9893ce634d3ece9562",
    "best_model_g/weights_7.h5": "6084a5fc4bc6796fb6dfbb4a89bdce4833d8f3b1e7a5cdd298f32e782f605598",
    "best_model_g/weights_8.h5": "8a83df8eaa4e0afeeac25014921bcb974922c1bfe12f30886486a054da9bdb45",
    "best_model_g/weights_9.h5": "09afeab09f5e4c4814a24b8a4e42c946768d7bf41143777e516eac0c92f71475",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def local_upstream(tmp_path, monkeypatch, fake_dg22_home):
    """A fake upstream (file:// URLs) and a manifest folder describing it, swapped in."""
    written = fake_dg22_home(8, home=tmp_path / "upstream")
    src = written["folder"]
    (src / "dekany2022_bilstm_oof_train.dat").write_text("1 2 3 4\n")
    (src / "best_model_g").mkdir()
    (src / "best_model_g" / "model.json").write_text('{"class_name": "Functional"}')
    mdir = tmp_path / "manifests"
    (mdir / "dekany2022_gaia_g").mkdir(parents=True)
    shutil.move(src / "periods_recovered.csv", mdir / "dekany2022_gaia_g" / "periods_recovered.csv")
    files = []
    for name in ("lc_dev_g.tar.gz", "dekany2022_bilstm_oof_val.dat", "dekany2022_bilstm_oof_train.dat",
                 "best_model_g/model.json"):
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
    for name in ("lc_dev_g.tar.gz", "dekany2022_bilstm_oof_val.dat", "dekany2022_bilstm_oof_train.dat",
                 "best_model_g/model.json"):  # a file in a sub-folder too
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
        assert len(calls) == 4
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


def test_fetched_files_are_readable_partial_downloads_cleaned_and_corrupt_files_not_present(local_upstream):
    import os
    import stat

    from tserbench.datasets._fetch import file_status

    home = local_upstream["home"]
    folder = home / "dekany2022_gaia_g"
    folder.mkdir(parents=True)
    (folder / ".lc_dev_g.tar.gz.abc123.part").write_bytes(b"half")  # a killed download
    fetch("rrab-gaia-dg22", data_home=home)
    assert _no_temp_files(folder)
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE((folder / "lc_dev_g.tar.gz").stat().st_mode)
    assert mode == 0o666 & ~umask  # not mkstemp's 0600
    assert all(r["present"] for r in file_status("rrab-gaia-dg22", home))
    (folder / "dekany2022_bilstm_oof_val.dat").write_text("damaged\n")
    by_name = {r["name"]: r for r in file_status("rrab-gaia-dg22", home)}
    assert by_name["dekany2022_bilstm_oof_val.dat"]["present"] is False
    assert by_name["dekany2022_bilstm_oof_val.dat"]["corrupt"] is True


def test_fetch_the_archive_published_results(tmp_path, monkeypatch):
    """`tserbench datasets fetch tsml-eval-tser-results`: every file from its pinned URL, verified (offline: served
    from the copy in $TSERBENCH_DATA)."""
    import os

    from tserbench.leaderboard import archive

    env = os.environ.get("TSERBENCH_DATA")
    copy = Path(env or "/nonexistent") / "tsml_eval_tser_results"
    if not copy.is_dir():
        pytest.skip("real data: TSERBENCH_DATA with tsml_eval_tser_results not set (CI sets it)")
    served = []

    def opener(url, **kw):
        assert url.startswith("https://raw.githubusercontent.com/time-series-machine-learning/tsml-eval/b7166541")
        served.append(url)
        return open(copy / url.split("/results/", 1)[1], "rb")

    monkeypatch.setattr(fetch_mod, "_urlopen", opener)
    folder = fetch("tsml-eval-tser-results", data_home=tmp_path)
    assert len(served) == 45 and folder == tmp_path / "tsml_eval_tser_results"
    assert archive.read_published("covid3month", tmp_path)["ROCKET"]["rmse"][0] == pytest.approx(0.0388925990)

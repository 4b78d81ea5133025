"""The TSER archive's 63 datasets by name: the manifest, trust-on-first-use fetching, safe extraction, loading.

No network: each test zips a tiny ``.ts`` pair in ``tmp_path`` and points a
test manifest's entry at it with a ``file://`` URL (the manifest folder is
swapped as in test_fetch.py).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tserbench.data._manifest as manifest_mod
from tserbench.cli import main
from tserbench.data._archive import extract_zip_members
from tserbench.datasets import dataset_info, fetch, list_datasets
from tserbench.datasets._tser_archive import SUMS, read_sums
from tserbench.evaluation import ResultStore
from tserbench.exceptions import ChecksumError, ConfigError, DataError

NAME = "ToyRegression"
REAL_MANIFESTS = Path(__file__).resolve().parents[1] / "datasets"


def _ts_text(X: np.ndarray, y: np.ndarray) -> str:
    lines = [f"@problemName {NAME}", "@timeStamps false", "@missing false", "@univariate true",
             "@equalLength true", f"@seriesLength {X.shape[1]}", "@targetlabel true", "@data"]
    lines += [",".join(repr(float(v)) for v in x) + f":{float(t)!r}" for x, t in zip(X, y)]
    return "\n".join(lines) + "\n"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def toy_zip(tmp_path) -> Path:
    """``ToyRegression.zip`` holding ``ToyRegression/ToyRegression_{TRAIN,TEST}.ts`` (30 + 12 series)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(42, 20))
    y = 3.0 * X[:, :5].mean(axis=1) + 1.0
    path = tmp_path / "upstream" / f"{NAME}.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{NAME}/{NAME}_TRAIN.ts", _ts_text(X[:30], y[:30]))
        zf.writestr(f"{NAME}/{NAME}_TEST.ts", _ts_text(X[30:], y[30:]))
        zf.writestr(f"{NAME}/README.txt", "not extracted")
    return path


@pytest.fixture
def archive_env(tmp_path, monkeypatch):
    """``make(url, sha256)``: a manifest folder whose tser_archive.json lists ToyRegression only; returns the home."""
    mdir = tmp_path / "manifests"
    mdir.mkdir()
    for name in ("tsml_eval_tser_results.json", "dekany2022_gaia_g.json"):
        shutil.copy(REAL_MANIFESTS / name, mdir / name)
    monkeypatch.setattr(manifest_mod, "manifest_dir", lambda: mdir)
    home = tmp_path / "home"
    monkeypatch.setenv("TSERBENCH_DATA", str(home))

    def make(url: str, sha256: str | None) -> Path:
        manifest = {"name": "tser-archive", "directory": "tser_archive", "citation": "test", "licence": "test",
                    "datasets": [{"name": NAME, "url": url, "sha256": sha256},
                                 {"name": "Covid3Month", "url": "https://example.invalid/Covid3Month.zip",
                                  "sha256": None, "builtin": "covid3month"}]}
        (mdir / "tser_archive.json").write_text(json.dumps(manifest))
        manifest_mod._load_manifest_cached.cache_clear()
        return home

    yield make
    manifest_mod._load_manifest_cached.cache_clear()


def _folder(home: Path) -> Path:
    return home / "tser_archive" / NAME


def _run(tmp_path: Path, dataset: str, out: str = "out") -> int:
    return main(["run", "--dataset", dataset, "--models", "fourier-linear", "--folds", "fixed",
                 "--out", str(tmp_path / out), "--n-jobs", "1", "--quiet"])


def _left_over(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --------------------------------------------------------------------------- fetching
def test_pinned_sha256_fetched_verified_and_runnable_by_name_in_any_case(archive_env, toy_zip, tmp_path, capsys):
    home = archive_env(toy_zip.as_uri(), _sha(toy_zip))
    assert main(["datasets", "fetch", NAME.lower(), "--data-home", str(home)]) == 0
    folder = _folder(home)
    assert _left_over(folder) == [SUMS, f"{NAME}_TEST.ts", f"{NAME}_TRAIN.ts"]  # no zip, README, .part or staging
    sums = read_sums(folder)
    assert sums[f"{NAME}.zip"] == _sha(toy_zip) and sums[f"{NAME}_TRAIN.ts"] == _sha(folder / f"{NAME}_TRAIN.ts")
    assert dataset_info(NAME.upper()).name == NAME and dataset_info(NAME).kind == "archive"

    assert _run(tmp_path, NAME.upper()) == 0
    store = ResultStore(tmp_path / "out")
    assert store.read_run()["dataset"] == NAME and store.read_run()["protocol"] == "fixed"
    (job,) = store.read_jobs("fourier-linear")
    assert job["n_train"] == 30 and job["n_val"] == 12

    toy_zip.unlink()  # present and verified: nothing is downloaded again
    capsys.readouterr()
    assert main(["datasets", "fetch", NAME, "--data-home", str(home)]) == 0
    assert "present, checksums ok" in capsys.readouterr().out


def test_mismatching_sha256_is_an_error_naming_the_file_and_leaves_nothing(archive_env, toy_zip):
    home = archive_env(toy_zip.as_uri(), "0" * 64)
    with pytest.raises(ChecksumError, match=rf"{NAME}\.zip: sha256 mismatch .*expected 0{{64}} \(pinned in "
                                            rf"tser_archive\.json\), got {_sha(toy_zip)}"):
        fetch(NAME, data_home=home)
    assert _left_over(_folder(home)) == []


def test_unpinned_is_refused_without_the_flag(archive_env, toy_zip, tmp_path, capsys):
    home = archive_env(toy_zip.as_uri(), None)
    with pytest.raises(ConfigError, match="no sha256 pinned.*--trust-unpinned"):
        fetch(NAME, data_home=home)
    assert main(["datasets", "fetch", NAME, "--data-home", str(home)]) == 2
    err = capsys.readouterr().err
    assert "--trust-unpinned" in err and "Traceback" not in err and err.count("\n") == 1
    assert not _folder(home).exists()
    # not fetched: running it says how to fetch it
    assert _run(tmp_path, NAME) == 2
    assert f"not in the data home; tserbench datasets fetch {NAME}" in capsys.readouterr().err


def test_trust_on_first_use_records_the_sha256_and_later_tampering_is_detected(archive_env, toy_zip, tmp_path,
                                                                               capsys):
    home = archive_env(toy_zip.as_uri(), None)
    assert main(["datasets", "fetch", NAME, "--data-home", str(home), "--trust-unpinned"]) == 0
    out = capsys.readouterr().out
    assert _sha(toy_zip) in out and "trusted on first use" in out
    folder = _folder(home)
    assert read_sums(folder) == {f"{NAME}.zip": _sha(toy_zip), f"{NAME}_TRAIN.ts": _sha(folder / f"{NAME}_TRAIN.ts"),
                                 f"{NAME}_TEST.ts": _sha(folder / f"{NAME}_TEST.ts")}
    assert _run(tmp_path, NAME, "o1") == 0

    # a later fetch needs no flag: it verifies against the recorded sha256 -- and refuses a changed upstream
    with zipfile.ZipFile(toy_zip, "a") as zf:
        zf.writestr("extra.txt", "upstream changed")
    with pytest.raises(ChecksumError, match=rf"{NAME}\.zip: sha256 mismatch.*recorded in .*{SUMS} on first use"):
        fetch(NAME, data_home=home, force=True)
    assert _left_over(folder) == [SUMS, f"{NAME}_TEST.ts", f"{NAME}_TRAIN.ts"]  # the verified pair is kept

    # a tampered file in the data home is detected when loaded
    train = folder / f"{NAME}_TRAIN.ts"
    train.write_text(train.read_text().replace(":", ":1", 1))
    capsys.readouterr()
    assert _run(tmp_path, NAME, "o2") == 2
    err = capsys.readouterr().err
    assert f"{NAME}_TRAIN.ts" in err and "sha256 mismatch" in err and "Traceback" not in err


def test_a_zip_with_a_member_outside_the_archive_is_refused(archive_env, tmp_path):
    evil = tmp_path / "upstream" / f"{NAME}.zip"
    evil.parent.mkdir()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr(f"{NAME}_TRAIN.ts", "@data\n1,2:3\n")
        zf.writestr(f"{NAME}_TEST.ts", "@data\n1,2:3\n")
        zf.writestr("../evil", "escaped")
    home = archive_env(evil.as_uri(), _sha(evil))
    with pytest.raises(DataError, match=r"member '\.\./evil' points outside the archive"):
        fetch(NAME, data_home=home)
    assert _left_over(_folder(home)) == []
    assert not (home / "tser_archive" / "evil").exists() and not (_folder(home).parent.parent / "evil").exists()


def test_a_zip_without_the_pair_is_refused(archive_env, tmp_path):
    bad = tmp_path / "upstream" / f"{NAME}.zip"
    bad.parent.mkdir()
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr(f"{NAME}_TRAIN.ts", "@data\n1,2:3\n")
    home = archive_env(bad.as_uri(), _sha(bad))
    with pytest.raises(DataError, match=rf"holds no {NAME}_TEST\.ts"):
        fetch(NAME, data_home=home)
    assert _left_over(_folder(home)) == []


@pytest.mark.parametrize("member", ["/etc/evil", "C:/evil", "a/../../evil", "..\\evil"])
def test_extract_zip_members_refuses_unsafe_names(tmp_path, member):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo(member), "x")
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DataError, match="points outside the archive"):
        extract_zip_members(path, ["evil"], dest)
    assert list(dest.iterdir()) == []


def test_extract_zip_members_caps_sizes_and_rejects_non_zips(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.ts", "0" * 10_000)  # compresses to a few bytes
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DataError, match="10000 bytes, more than 1000"):
        extract_zip_members(path, ["big.ts"], dest, max_member_bytes=1000)
    with pytest.raises(DataError, match="expands to 10000 bytes, more than 5000"):
        extract_zip_members(path, ["big.ts"], dest, max_total_bytes=5000)
    assert extract_zip_members(path, ["BIG.ts"], dest) == {"BIG.ts": dest / "BIG.ts"}  # case-insensitive match
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataError, match="not a readable zip archive"):
        extract_zip_members(tmp_path / "not.zip", ["x"], dest)


def test_list_is_compact_unless_all_and_marks_fetched_ones(archive_env, toy_zip, capsys):
    home = archive_env(toy_zip.as_uri(), _sha(toy_zip))
    assert main(["datasets", "list", "--data-home", str(home)]) == 0
    out = capsys.readouterr().out
    assert "2 TSER archive datasets" in out and "fetched: none" in out and "Covid3Month (= covid3month)" in out
    assert f"│ {NAME}" not in out  # no row per archive dataset
    fetch(NAME, data_home=home)
    assert main(["datasets", "list", "--data-home", str(home)]) == 0
    out = capsys.readouterr().out
    assert f"fetched: {NAME}" in out and f"│ {NAME}" not in out
    assert main(["datasets", "list", "--all", "--data-home", str(home)]) == 0
    out = capsys.readouterr().out
    assert f"│ {NAME}" in out and "TSER archive datasets" not in out
    assert main(["datasets", "info", NAME.lower(), "--data-home", str(home)]) == 0
    assert f"verified against {SUMS}" in capsys.readouterr().out


# --------------------------------------------------------------------------- the shipped manifest
def _manifest() -> dict:
    return json.loads((REAL_MANIFESTS / "tser_archive.json").read_text(encoding="utf-8"))


def test_the_manifest_lists_63_archive_datasets_with_their_public_urls():
    m = _manifest()
    names = [e["name"] for e in m["datasets"]]
    assert len(names) == 63 and len({n.casefold() for n in names}) == 63
    for e in m["datasets"]:
        assert e["url"] == f"https://timeseriesclassification.com/aeon-toolkit/{e['name']}.zip"
        assert e["sha256"] is None or re.fullmatch(r"[0-9a-f]{64}", e["sha256"])
    assert "sha256" in m["checksums"] and "--trust-unpinned" in m["checksums"]
    assert [e for e in m["datasets"] if e.get("builtin")] == [
        {"name": "Covid3Month", "url": "https://timeseriesclassification.com/aeon-toolkit/Covid3Month.zip",
         "sha256": None, "builtin": "covid3month"}]


def test_every_archive_name_is_a_dataset_and_has_its_published_rows():
    from tserbench.leaderboard.archive import archive_name

    for e in _manifest()["datasets"]:
        info = dataset_info(e["name"].lower())
        if e["name"] == "Covid3Month":
            assert info.name == "covid3month" and info.kind == "real"  # sktime's bundled copy
        else:
            assert info.name == e["name"] and info.kind == "archive" and info.params == {"name": e["name"]}
        assert archive_name(e["name"]) == archive_name(e["name"].upper()) == e["name"]
    assert archive_name("covid3month") == "Covid3Month" and archive_name("Toy") is None
    assert len(list_datasets(include_archive=True)) == len(list_datasets()) + 62


def test_the_manifest_names_are_the_published_results_names():
    env = os.environ.get("TSERBENCH_DATA")
    folder = Path(env or "/nonexistent") / "tsml_eval_tser_results"
    if not folder.is_dir():
        pytest.skip("real data: TSERBENCH_DATA with tsml_eval_tser_results not set (CI sets it)")
    published: set[str] = set()
    for f in folder.glob("*/*_rmse.csv"):
        with open(f, newline="") as fh:
            published |= {row[0].replace("-", "_") for row in list(csv.reader(fh))[1:] if row}
    bc = set()
    for f in [*folder.glob("5.B/*_rmse.csv"), *folder.glob("5.C/*_rmse.csv")]:
        with open(f, newline="") as fh:
            bc |= {row[0] for row in list(csv.reader(fh))[1:] if row}
    names = {e["name"] for e in _manifest()["datasets"]}
    assert names == published
    assert names - bc == {"AustraliaRainfall"}  # in 5.A only; 5.B and 5.C hold the other 62


def test_covid3month_by_its_archive_name_is_the_builtin():
    from tserbench.evaluation.data import load_benchmark_data

    data = load_benchmark_data("Covid3Month", variant=None)
    assert data.name == "covid3month" and len(data.y) == 201 and int(data.test_mask.sum()) == 61

"""Saved-model directories and ``tserbench predict`` end to end (classical model: fast)."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pandas as pd
import pytest

import tserbench.cli
from tserbench.cli import main
from tserbench.data.synthetic import make_synthetic_rrab
from tserbench.exceptions import DataError, LightCurveError
from tserbench.preprocessing import make_panel
from tserbench.regressors import get_regressor, load_model_dir, predict_light_curves, save_model_dir

# ids above 2**53: a float round trip would corrupt them
BIG_ID = 6_000_000_000_000_000_001


@pytest.fixture(autouse=True)
def only_our_commands(monkeypatch):
    """Dispatch through the real ``tserbench.cli.main``, loading only this folder's commands."""
    monkeypatch.setattr(tserbench.cli, "COMMAND_MODULES", ("tserbench.regressors._cli",))


@pytest.fixture(scope="module")
def stars():
    lcs, feh = make_synthetic_rrab(160, seed=3)
    lcs.source_id = np.arange(len(lcs), dtype=np.int64) + BIG_ID
    return lcs, feh


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, stars):
    """Two fold models (an ensemble) of the linear Fourier baseline, saved."""
    lcs, feh = stars
    X = make_panel(lcs, variant="full", n_grid=32)
    ests = []
    for k in range(2):
        train = np.arange(len(lcs)) % 2 != k
        ests.append(get_regressor("fourier-linear").fit(X[train], feh[train]))
    path = tmp_path_factory.mktemp("model")
    save_model_dir(
        path, ests, variant="full", n_grid=32, max_len=80, model_name="fourier-linear",
        dataset="rrab-synthetic", extra={"seed": 3},
    )
    return path


def test_save_load_roundtrip(model_dir, stars):
    lcs, _ = stars
    ests, manifest = load_model_dir(model_dir, trust_pickle=True)
    assert len(ests) == 2 and manifest["n_models"] == 2
    assert manifest["model_name"] == "fourier-linear"
    assert manifest["dataset"] == "rrab-synthetic"
    assert manifest["preprocessing"] == {"variant": "full", "n_grid": 32, "max_len": 80}
    assert manifest["extra"] == {"seed": 3}
    X = make_panel(lcs.subset(np.arange(10)), variant="full", n_grid=32)
    p0, p1 = (e.predict(X) for e in ests)
    assert not np.allclose(p0, p1)  # two different fold models
    assert sorted(p.name for p in model_dir.iterdir()) == ["manifest.json", "model_000.pkl", "model_001.pkl"]


def test_resave_removes_stale_models(tmp_path, model_dir):
    ests, _ = load_model_dir(model_dir, trust_pickle=True)
    save_model_dir(tmp_path, ests, variant="full", n_grid=32, max_len=80, model_name="m", dataset="d")
    save_model_dir(tmp_path, ests[:1], variant="full", n_grid=32, max_len=80, model_name="m", dataset="d")
    loaded, manifest = load_model_dir(tmp_path, trust_pickle=True)
    assert len(loaded) == 1 and not (tmp_path / "model_001.pkl").exists()


def test_save_refuses_unfitted(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        save_model_dir(tmp_path, [get_regressor("fourier-linear")], variant="full", n_grid=32,
                       max_len=80, model_name="m", dataset="d")


def test_load_bad_dirs(tmp_path, model_dir):
    with pytest.raises(DataError, match="model directory not found") as err:
        load_model_dir(tmp_path / "nope", trust_pickle=True)
    assert str(tmp_path / "nope") in str(err.value)
    with pytest.raises(DataError, match="no manifest.json"):
        load_model_dir(tmp_path, trust_pickle=True)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(DataError, match="unreadable manifest"):
        load_model_dir(tmp_path, trust_pickle=True)
    # a tampered pickle is caught by its checksum, and named
    bad = tmp_path / "copy"
    bad.mkdir()
    for f in model_dir.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    with open(bad / "model_001.pkl", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(DataError, match="model_001.pkl: sha256 does not match"):
        load_model_dir(bad, trust_pickle=True)
    (bad / "model_001.pkl").unlink()
    with pytest.raises(DataError, match="model_001.pkl: cannot read"):
        load_model_dir(bad, trust_pickle=True)


def test_predict_light_curves_ensemble(model_dir, stars):
    lcs, _ = stars
    sub = lcs.subset(np.arange(5))
    out = predict_light_curves(model_dir, sub, trust_pickle=True)
    assert list(out.columns) == ["source_id", "feh_pred", "feh_std", "n_models"]
    assert out["source_id"].dtype == np.int64
    assert out["source_id"].tolist() == sub.source_id.tolist()
    ests, manifest = load_model_dir(model_dir, trust_pickle=True)
    X = make_panel(sub, variant="full", n_grid=32)
    preds = np.vstack([e.predict(X) for e in ests])
    np.testing.assert_allclose(out["feh_pred"], preds.mean(axis=0))
    np.testing.assert_allclose(out["feh_std"], preds.std(axis=0))
    assert (out["feh_std"] > 0).all() and (out["n_models"] == 2).all()
    # the already-loaded form gives the same result; one model gives no spread columns
    pd.testing.assert_frame_equal(predict_light_curves((ests, manifest), sub), out)
    single = predict_light_curves((ests[:1], manifest), sub)
    assert list(single.columns) == ["source_id", "feh_pred"]
    np.testing.assert_allclose(single["feh_pred"], preds[0])


def test_predict_light_curves_rejects_bad_star(model_dir, stars):
    lcs, _ = stars
    sub = lcs.subset(np.arange(4))
    sub.mag[1] = sub.mag[1].copy()
    sub.mag[1][3] = np.nan
    out = predict_light_curves(model_dir, sub, trust_pickle=True)
    assert out["source_id"].tolist() == [sub.source_id[i] for i in (0, 2, 3)]
    (rej,) = out.attrs["rejections"]
    assert rej.source_id == str(sub.source_id[1]) and "non-finite" in rej.reason
    with pytest.raises(LightCurveError, match=str(sub.source_id[1])):
        predict_light_curves(model_dir, sub, errors="raise", trust_pickle=True)


def _write_dg22(folder, lcs, idx):
    """DG22 format: <source_id>_bin.dat, 'phase mag', the cycle repeated at phase + 1."""
    paths = []
    for i in idx:
        p = folder / f"{lcs.source_id[i]}_bin.dat"
        ph, mg = lcs.phase[i], lcs.mag[i]
        rows = np.column_stack([np.r_[ph, ph + 1], np.r_[mg, mg]])
        p.write_text("".join(f"{a:.6f} {b:.5f}\n" for a, b in rows))
        paths.append(p)
    return paths


def test_cli_predict_dg22_end_to_end(tmp_path, model_dir, stars, capsys):
    lcs, _ = stars
    files = _write_dg22(tmp_path, lcs, range(4))
    # a bad star: only 5 points
    bad_id = BIG_ID + 999
    (tmp_path / f"{bad_id}_bin.dat").write_text("".join(f"{k / 5:.3f} 15.0\n" for k in range(5)))
    files.append(tmp_path / f"{bad_id}_bin.dat")
    # two more good stars inside a tarball
    tar_dir = tmp_path / "tar"
    tar_dir.mkdir()
    members = _write_dg22(tar_dir, lcs, [4, 5])
    tarball = tmp_path / "more.tar.gz"
    with tarfile.open(tarball, "w:gz") as tf:
        for m in members:
            tf.add(m, arcname=f"lc/{m.name}")
    periods = pd.DataFrame({"source_id": [str(s) for s in lcs.source_id[:6]] + [str(bad_id)],
                            "period": list(lcs.period[:6]) + [0.55]})
    (tmp_path / "periods.csv").write_text(periods.to_csv(index=False))
    out = tmp_path / "pred.csv"
    rc = main(["predict", "--trust-pickle", "--model", str(model_dir), "--input", *map(str, files), str(tarball),
               "--periods", str(tmp_path / "periods.csv"), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 0
    assert err.count("skipped") == 1 and str(bad_id) in err and "only 5 points" in err
    text = out.read_text()
    assert text.splitlines()[0] == "source_id,feh_pred,feh_std,n_models"
    assert str(BIG_ID) in text  # written as the exact integer, not 6e18
    got = pd.read_csv(out, dtype={"source_id": "int64"})
    assert got["source_id"].tolist() == lcs.source_id[:6].tolist()
    # the CLI gives what the API gives on the same stars (file rounding aside)
    api = predict_light_curves(model_dir, lcs.subset(np.arange(6)), trust_pickle=True)
    np.testing.assert_allclose(got["feh_pred"], api["feh_pred"], atol=2e-3)


def test_cli_predict_errors(tmp_path, model_dir, stars, capsys):
    lcs, _ = stars
    files = _write_dg22(tmp_path, lcs, [0])
    (tmp_path / "periods.csv").write_text("source_id,period\n1,0.5\n")  # no period for the star
    out = tmp_path / "pred.csv"
    rc = main(["predict", "--trust-pickle", "--model", str(model_dir), "--input", str(files[0]),
               "--periods", str(tmp_path / "periods.csv"), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "no period for this star" in err and "no valid light curve" in err
    rc = main(["predict", "--model", str(tmp_path / "missing"), "--input", str(files[0]),
               "--periods", str(tmp_path / "periods.csv"), "-o", str(out)])
    assert rc == 2 and "model directory not found" in capsys.readouterr().err
    rc = main(["predict", "--trust-pickle", "--model", str(model_dir), "--input", str(files[0]), "-o", str(out)])
    assert rc == 2 and "--periods" in capsys.readouterr().err


def test_cli_predict_gaia(tmp_path, model_dir, stars, capsys):
    """Gaia DR3 epoch photometry: times folded with pf and epoch_g; an RRc star (no pf) is skipped."""
    lcs, _ = stars
    rows, rr = [], []
    for i in range(3):
        sid, per = lcs.source_id[i], lcs.period[i]
        epoch = 1700.0 + i
        for ph, mg in zip(lcs.phase[i], lcs.mag[i]):
            rows.append((str(sid), "G", epoch + (ph + 7) * per, mg, "false", "false"))
        rr.append((str(sid), repr(float(per)), repr(epoch)))
    rrc = str(BIG_ID + 500)
    rows += [(rrc, "G", 1700.0 + 0.1 * k, 15.0 + 0.01 * k, "false", "false") for k in range(30)]
    rr.append((rrc, "", "1700.0"))
    ep = pd.DataFrame(rows, columns=["source_id", "band", "time", "mag", "rejected_by_photometry",
                                     "rejected_by_variability"])
    (tmp_path / "epoch.csv").write_text(ep.to_csv(index=False))
    (tmp_path / "rr.csv").write_text(pd.DataFrame(rr, columns=["source_id", "pf", "epoch_g"]).to_csv(index=False))
    out = tmp_path / "pred.csv"
    rc = main(["predict", "--trust-pickle", "--model", str(model_dir), "--input", str(tmp_path / "epoch.csv"),
               "--rrlyrae", str(tmp_path / "rr.csv"), "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 0
    assert err.count("skipped") == 1 and rrc in err
    got = pd.read_csv(out, dtype={"source_id": "int64"})
    assert got["source_id"].tolist() == lcs.source_id[:3].tolist()
    api = predict_light_curves(model_dir, lcs.subset(np.arange(3)), trust_pickle=True)
    np.testing.assert_allclose(got["feh_pred"], api["feh_pred"], atol=1e-3)


def test_cli_models_table(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in ("dg22-bilstm2p", "fourier-gb", "minirocket", "inceptiontime"):
        assert name in out


def test_manifest_is_json_with_checksums(model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["format"] == "tserbench-model-dir"
    assert [e["file"] for e in manifest["estimators"]] == ["model_000.pkl", "model_001.pkl"]
    assert all(len(e["sha256"]) == 64 for e in manifest["estimators"])
    assert manifest["estimators"][0]["class"].endswith("FourierLinearRegressor")


def test_cli_output_in_memory_format(tmp_path, model_dir, stars):
    """One model: two columns only."""
    lcs, _ = stars
    ests, _ = load_model_dir(model_dir, trust_pickle=True)
    single = tmp_path / "single"
    save_model_dir(single, ests[:1], variant="full", n_grid=32, max_len=80, model_name="m", dataset="d")
    files = _write_dg22(tmp_path, lcs, [0, 1])
    buf = io.StringIO()
    pd.DataFrame({"source_id": lcs.source_id[:2], "period": lcs.period[:2]}).to_csv(buf, index=False)
    (tmp_path / "p.csv").write_text(buf.getvalue())
    out = tmp_path / "o.csv"
    assert main(["predict", "--trust-pickle", "--model", str(single), "--input", *map(str, files),
                 "--periods", str(tmp_path / "p.csv"), "-o", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "source_id,feh_pred"


def test_folder_of_model_dirs_is_one_ensemble(tmp_path, model_dir, stars):
    """``OUT/<model>/models/r0_f<k>/`` as written by ``run --save-models``: loaded as one ensemble."""
    lcs, _ = stars
    ests, _ = load_model_dir(model_dir, trust_pickle=True)
    for k, est in enumerate(ests):
        save_model_dir(tmp_path / f"r0_f{k}", [est], variant="full", n_grid=32, max_len=80,
                       model_name="fourier-linear", dataset="rrab-synthetic")
    loaded, manifest = load_model_dir(tmp_path, trust_pickle=True)
    assert len(loaded) == 2 and manifest["n_models"] == 2 and manifest["members"] == ["r0_f0", "r0_f1"]
    sub = lcs.subset(np.arange(3))
    pd.testing.assert_frame_equal(predict_light_curves(tmp_path, sub, trust_pickle=True),
                                  predict_light_curves(model_dir, sub, trust_pickle=True))
    save_model_dir(tmp_path / "r0_f2", [ests[0]], variant="full", n_grid=50, max_len=80,
                   model_name="fourier-linear", dataset="rrab-synthetic")
    with pytest.raises(DataError, match="r0_f2: preprocessing differs"):
        load_model_dir(tmp_path, trust_pickle=True)


def test_deep_raw_variant_model_roundtrip(tmp_path, stars):
    """A (tiny) deep model on the raw masked variant survives save/load and predicts the same."""
    pytest.importorskip("tensorflow")
    lcs, feh = stars
    train = lcs.subset(np.arange(40))
    reg = get_regressor("gru", units=(3,), dropout=(0.1,), n_epochs=2, batch_size=16, patience=None, schedule=None,
                        validation_split=0.0, random_state=0)
    reg.fit(make_panel(train, variant="raw", max_len=80), feh[:40])
    save_model_dir(tmp_path, [reg], variant="raw", n_grid=50, max_len=80, model_name="gru", dataset="syn")
    sub = lcs.subset(np.arange(40, 46))
    out = predict_light_curves(tmp_path, sub, trust_pickle=True)
    assert out["source_id"].tolist() == sub.source_id.tolist()
    np.testing.assert_allclose(out["feh_pred"], reg.predict(make_panel(sub, variant="raw", max_len=80)), rtol=1e-6)


def test_pickles_are_only_loaded_when_trusted(model_dir, tmp_path, capsys):
    """A crafted pickle with a matching checksum would run its code: nothing is unpickled without trust."""
    import hashlib
    import json
    import os
    import pickle

    from tserbench.cli import main
    from tserbench.exceptions import ConfigError

    with pytest.raises(ConfigError, match="trust_pickle=True"):
        load_model_dir(model_dir)
    crafted = tmp_path / "crafted"
    crafted.mkdir()
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    data = pickle.dumps(Evil())
    (crafted / "model_000.pkl").write_bytes(data)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["estimators"] = [{"file": "model_000.pkl", "sha256": hashlib.sha256(data).hexdigest(), "class": "x"}]
    manifest["n_models"] = 1
    (crafted / "manifest.json").write_text(json.dumps(manifest))
    rc = main(["predict", "--model", str(crafted), "--input", "x_bin.dat", "-o", str(tmp_path / "o.csv")])
    assert rc == 2 and not marker.exists()
    assert "--trust-pickle" in capsys.readouterr().err

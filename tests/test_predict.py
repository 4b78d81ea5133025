"""Saved-model directories and ``tserbench predict`` end to end (classical model: fast)."""

from __future__ import annotations

import io
import json
import re
import tarfile

import numpy as np
import pandas as pd
import pytest

import tserbench.cli
from tserbench.cli import main
from tserbench.data.synthetic import make_synthetic_rrab
from tserbench.exceptions import DataError, LightCurveError
from tserbench.preprocessing import make_panel
from tserbench.regressors import (
    get_regressor,
    load_model_dir,
    predict_light_curves,
    save_model_dir,
)

# ids above 2**53: a float round trip would corrupt them
BIG_ID = 6_000_000_000_000_000_001


@pytest.fixture(autouse=True)
def only_our_commands(monkeypatch):
    """Dispatch through the real ``tserbench.cli.main``, loading only this folder's commands."""
    monkeypatch.setattr(tserbench.cli, "COMMAND_MODULES", ("tserbench.regressors._cli",))


@pytest.fixture(scope="module")
def stars():
    lcs, feh = make_synthetic_rrab(160, random_state=3)
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
    out = predict_light_curves(tmp_path, sub)  # a deep model: JSON + .keras, no pickle to trust
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
    entry = {"file": "model_000.pkl", "sha256": hashlib.sha256(data).hexdigest(), "class": "x"}
    # as the current format writes a pickle entry, and as format version 1 did (no per-file format)
    for version, extra in [(2, {"format": "pickle"}), (1, {})]:
        manifest.update(format_version=version, estimators=[{**entry, **extra}], n_models=1)
        (crafted / "manifest.json").write_text(json.dumps(manifest))
        rc = main(["predict", "--model", str(crafted), "--input", "x_bin.dat", "-o", str(tmp_path / "o.csv")])
        assert rc == 2 and not marker.exists()
        assert "--trust-pickle" in capsys.readouterr().err


# ------------------------------------------------ deep models: no pickle, no trust needed
def _deep_names():
    from tserbench.regressors import list_models

    return [info.name for info in list_models(include_plugins=False) if info.kind == "deep"]


def _rewrite(model_dir, name: str, data: bytes) -> None:
    """Replace ``name`` in a model directory and give the manifest its matching sha256 (a careful attacker)."""
    import hashlib

    (model_dir / name).write_bytes(data)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    for entry in manifest["estimators"]:
        for e in (entry, entry.get("keras", {})):
            if e.get("file") == name:
                e["sha256"] = hashlib.sha256(data).hexdigest()
    (model_dir / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def deep_dir(tmp_path_factory):
    """A tiny GRU on padded (masked) input, saved; returns (folder, estimator, X)."""
    pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2, 10))
    X[::3, :, 7:] = -1.0  # padded steps: the network gets a Masking layer
    reg = get_regressor("gru", units=(2,), dropout=0.0, n_epochs=1, validation_split=0.0, run_eagerly=True,
                        random_state=0).fit(X, rng.normal(size=12))
    assert reg.masked_
    path = tmp_path_factory.mktemp("deep")
    save_model_dir(path, [reg], variant="raw", n_grid=50, max_len=10, model_name="gru", dataset="syn")
    return path, reg, X


@pytest.mark.parametrize("name", _deep_names())
def test_every_deep_model_of_the_registry_loads_under_safe_mode(tmp_path, name):
    """Each deep network saves as JSON + .keras and loads with safe_mode=True, without trust, predicting the same."""
    pytest.importorskip("tensorflow")
    from tserbench.regressors import list_models, resolve_model_class

    info = {i.name: i for i in list_models(include_plugins=False)}[name]
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 2, 16))
    if info.unequal_length:
        X[::4, :, 12:] = -1.0  # padded: exercises the Masking layer
    params = {**resolve_model_class(name).get_test_params()[0], "validation_split": 0.0}
    reg = get_regressor(name, **params).fit(X, rng.normal(size=12))
    save_model_dir(tmp_path, [reg], variant="full", n_grid=16, max_len=16, model_name=name, dataset="syn")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "model_000.json", "model_000.keras"]
    (loaded,), manifest = load_model_dir(tmp_path)  # trust_pickle=False
    assert manifest["format_version"] == 2 and manifest["estimators"][0]["format"] == "tserbench-deep-json"
    assert type(loaded) is type(reg) and loaded.get_params() == reg.get_params()
    assert loaded.masked_ == reg.masked_ and loaded.input_shape_ == reg.input_shape_
    np.testing.assert_allclose(loaded.predict(X), reg.predict(X), rtol=1e-6, atol=1e-6)


def test_deep_model_saved_by_run_predicts_without_trust_pickle(tmp_path, monkeypatch, stars, capsys):
    """``tserbench run --save-models`` then ``tserbench predict`` on a deep model: no --trust-pickle needed."""
    pytest.importorskip("tensorflow")
    monkeypatch.setattr(tserbench.cli, "COMMAND_MODULES", ("tserbench.evaluation._cli", "tserbench.regressors._cli"))
    out = tmp_path / "res"
    tiny = {"gru": {"units": [2], "dropout": 0.0, "n_epochs": 1, "validation_split": 0.0, "run_eagerly": True}}
    assert main(["run", "--dataset", "rrab-synthetic", "--dataset-param", "n_stars=40", "--models", "gru",
                 "--folds", "2x1", "--out", str(out), "--n-jobs", "1", "--no-leaderboard", "--quiet",
                 "--save-models", "--params-from", json.dumps(tiny)]) == 0
    models = out / "gru" / "models"
    assert not list(models.rglob("*.pkl")) and len(list(models.rglob("*.keras"))) == 4  # 2 folds + the ensemble
    lcs, _ = stars
    files = _write_dg22(tmp_path, lcs, range(3))
    pd.DataFrame({"source_id": lcs.source_id[:3], "period": lcs.period[:3]}).to_csv(tmp_path / "p.csv", index=False)
    capsys.readouterr()
    pred = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(models), "--input", *map(str, files), "--periods",
                 str(tmp_path / "p.csv"), "-o", str(pred)]) == 0, capsys.readouterr().err
    got = pd.read_csv(pred, dtype={"source_id": "int64"})
    assert got.columns.tolist() == ["source_id", "feh_pred", "feh_std", "n_models"]
    assert got["source_id"].tolist() == lcs.source_id[:3].tolist() and (got["n_models"] == 2).all()
    api = predict_light_curves(models, lcs.subset(np.arange(3)))
    np.testing.assert_allclose(got["feh_pred"], api["feh_pred"], atol=2e-3)  # the files round the light curves


@pytest.mark.parametrize("cls_path", ["os.system", "subprocess.Popen", "tserbench.regressors.classical.FourierGBRegressor"])
def test_deep_json_naming_a_class_outside_the_registry_is_refused(deep_dir, tmp_path, cls_path, capsys):
    import shutil

    src, _, _ = deep_dir
    bad = tmp_path / "bad"
    shutil.copytree(src, bad)
    doc = json.loads((bad / "model_000.json").read_text())
    doc["class"] = cls_path
    _rewrite(bad, "model_000.json", json.dumps(doc).encode())
    with pytest.raises(DataError, match=f"model_000.json: class '{cls_path}' is not a deep regressor of the "
                                        "tserbench registry"):
        load_model_dir(bad)
    rc = main(["predict", "--model", str(bad), "--input", "x_bin.dat", "-o", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "model_000.json" in err and "Traceback" not in err


def test_deep_json_with_other_attributes_or_parameters_is_refused(deep_dir, tmp_path):
    import shutil

    src, _, _ = deep_dir
    for key, extra, what in [("fitted", {"_network": 1}, "attribute(s) _network"),
                             ("fitted", {"model_": 1}, "attribute(s) model_"),
                             ("params", {"cls": "os.system"}, "parameter(s) cls")]:
        bad = tmp_path / f"bad_{key}_{what.split()[-1]}"
        shutil.copytree(src, bad)
        doc = json.loads((bad / "model_000.json").read_text())
        doc[key].update(extra)
        _rewrite(bad, "model_000.json", json.dumps(doc).encode())
        with pytest.raises(DataError, match=re.escape(f"model_000.json: unexpected {what} for GRURegressor")):
            load_model_dir(bad)


def test_keras_file_with_a_python_lambda_is_refused_by_safe_mode(deep_dir, tmp_path, capsys):
    import shutil

    import keras

    src, reg, _ = deep_dir
    bad = tmp_path / "lambda"
    shutil.copytree(src, bad)
    inp = keras.Input(shape=reg.input_shape_)  # the shape the JSON expects: only safe_mode can refuse it
    x = keras.layers.Lambda(lambda t: t)(inp)
    out = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    keras.Model(inp, out).save(tmp_path / "evil.keras")
    _rewrite(bad, "model_000.keras", (tmp_path / "evil.keras").read_bytes())
    with pytest.raises(DataError, match=r"model_000.keras: Keras refused to load the network \(safe_mode=True\).*"
                                        "Lambda"):
        load_model_dir(bad)
    rc = main(["predict", "--model", str(bad), "--input", "x_bin.dat", "-o", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "model_000.keras" in err and "safe_mode" in err


def test_tampered_keras_file_fails_its_checksum(deep_dir, tmp_path):
    import shutil

    src, _, _ = deep_dir
    bad = tmp_path / "bad"
    shutil.copytree(src, bad)
    with open(bad / "model_000.keras", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(DataError, match="model_000.keras: sha256 does not match"):
        load_model_dir(bad)


def test_deep_model_with_non_data_parameter_falls_back_to_a_pickle(deep_dir, tmp_path):
    """A parameter that is no JSON data (here a range) cannot go into the safe format: pickled, with a warning."""
    from tserbench.exceptions import ConfigError

    _, _, X = deep_dir
    reg = get_regressor("gru", units=range(2, 3), dropout=0.0, n_epochs=1, validation_split=0.0, run_eagerly=True,
                        random_state=0).fit(X, np.arange(12.0))
    with pytest.warns(UserWarning, match="saved as a pickle.*units: a builtins.range"):
        save_model_dir(tmp_path, [reg], variant="raw", n_grid=50, max_len=10, model_name="gru", dataset="syn")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "model_000.pkl"]
    with pytest.raises(ConfigError, match="trust_pickle=True"):
        load_model_dir(tmp_path)


def test_format_version_1_directories_are_read_behind_trust(model_dir, tmp_path):
    """Directories of the first format (every estimator pickled, no per-file format) still load, with trust."""
    import shutil

    from tserbench.exceptions import ConfigError

    old = tmp_path / "v1"
    shutil.copytree(model_dir, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["format_version"] = 1
    for entry in manifest["estimators"]:
        del entry["format"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match="trust_pickle=True"):
        load_model_dir(old)
    ests, _ = load_model_dir(old, trust_pickle=True)
    assert [type(e).__name__ for e in ests] == ["FourierLinearRegressor"] * 2
    manifest["format_version"] = 2  # version 2 names every file's format
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="unknown estimator format None"):
        load_model_dir(old, trust_pickle=True)


def test_predict_help_states_the_pickle_risk(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Deep models are saved in a format that cannot run code" in text and "safe_mode" in text
    assert "Classical models are pickles, which can run any code: they load only with --trust-pickle" in text
    assert "RISK: unpickling runs whatever code" in text


def test_held_out_picks_are_not_saved(deep_dir, tmp_path):
    """Every criterion's best weights (fit_with_held_out) stay out of the JSON: the .keras holds the model's own pick."""
    _, _, X = deep_dir
    y = np.arange(12.0)
    reg = get_regressor("gru", units=(2,), dropout=0.0, n_epochs=1, validation_split=0.0, run_eagerly=True,
                        random_state=0).fit_with_held_out(X[:8], y[:8], X[8:], y[8:])
    assert set(reg.selected_weights_) == {"inner", "held-out"}
    save_model_dir(tmp_path, [reg], variant="raw", n_grid=50, max_len=10, model_name="gru", dataset="syn")
    doc = json.loads((tmp_path / "model_000.json").read_text())
    assert doc["fitted"]["selected_weights_"] is None
    (loaded,), _ = load_model_dir(tmp_path)
    assert loaded.selected_weights_ is None and loaded.selection_ == reg.selection_
    np.testing.assert_allclose(loaded.predict(X), reg.predict(X), rtol=1e-6, atol=1e-6)


def test_skipped_stars_are_reported_one_line_per_reason():
    from tserbench.data._lightcurves import Rejection
    from tserbench.regressors._cli import group_rejections

    rejections = [Rejection(str(i), "no period for this star in p.csv", f"lc.tar.gz:lc/{i}_bin.dat") for i in range(500)]
    rejections += [Rejection("7", "only 5 points, at least 20 needed", "a_bin.dat"),
                   Rejection("8", "only 9 points, at least 20 needed", "b_bin.dat"),
                   Rejection("x", "source_id is not an integer", "x_bin.dat")]
    lines = group_rejections(rejections)
    assert lines == [
        "500 stars: no period for this star in p.csv (e.g. 0, 1, 2, ...; in lc.tar.gz)",
        "2 stars: only 5 points, at least 20 needed (numbers vary) (e.g. 7, 8; in a_bin.dat, b_bin.dat)",
        "x_bin.dat: star x: source_id is not an integer",
    ]

"""DG22's published fold models inside tserbench (tserbench.regressors.dg22_published).

The real-data tests need the DG22 files in the data home (CI points
``TSERBENCH_DATA`` at them): fold model k applied to fold k's stars through
tserbench's own ``raw`` pipeline reproduces DG22's published out-of-fold
predictions (6 decimals) to 1e-5 dex, for every one of the 4458 stars.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("tensorflow")

from tserbench.exceptions import DataError  # noqa: E402
from tserbench.regressors.dg22_published import (  # noqa: E402
    DG22_RECIPE,
    load_dg22_published,
    published_dir,
    read_published_architecture,
)


@pytest.fixture(scope="module")
def published(dg22_home):
    """The ten published fold models (loaded once)."""
    if not (published_dir(dg22_home) / "weights_9.h5").is_file():
        pytest.skip(f"DG22's published models not in {dg22_home} (tserbench datasets fetch rrab-gaia-dg22)")
    return load_dg22_published(dg22_home)


@pytest.mark.realdata
def test_published_weights_reproduce_dg22_oof_predictions(dg22_home, published):
    from tserbench.datasets import RRabGaiaDG22

    ds = RRabGaiaDG22(variant="raw", data_home=dg22_home)
    X, meta = ds.load("X"), ds.metadata
    folds = meta["fold"].to_numpy()
    pred = np.full(len(folds), np.nan)
    for k, model in enumerate(published):
        assert model.published_fold_ == k
        idx = np.flatnonzero(folds == k)
        pred[idx] = model.predict([X[i] for i in idx])
    err = np.abs(pred - meta["feh_pred_dg22"].to_numpy())
    assert np.isfinite(pred).all()
    worst = int(np.argmax(err))
    assert err.max() <= 1e-5, f"star {meta['source_id'].iloc[worst]}: |Δ| = {err.max():.2e} dex"
    # the stars that repeat a phase (kept, as DG22 read them) are among those reproduced
    assert (meta["n_duplicate_phases"] > 0).sum() == 20


@pytest.mark.realdata
def test_published_models_record_dg22s_recipe_and_architecture(published):
    params = published[0].get_params()
    assert {k: params[k] for k in DG22_RECIPE} == DG22_RECIPE
    assert params["units"] == (16, 16) and params["dropout"] == (0.1, 0.1)
    assert params["recurrent_l1"] == 5e-6 and params["kernel_l1"] == 0.0
    assert published[0].masked_ and published[0].n_epochs_trained_ == 0


@pytest.mark.realdata
def test_predict_dg22_cli_on_the_data_home_and_on_a_fetched_copy(dg22_home, tmp_path, capsys, monkeypatch):
    """``tserbench predict --model dg22``: the ensemble's mean and spread, offline, from any data home."""
    import tarfile

    from tserbench.cli import main

    archive = dg22_home / "dekany2022_gaia_g" / "lc_dev_g.tar.gz"
    table = pd.read_csv(dg22_home / "dekany2022_gaia_g" / "dekany2022_bilstm_oof_val.dat", sep=r"\s+",
                        header=None, dtype=str)
    ids = table[0].tolist()[:5]
    folder = tmp_path / "lc"
    folder.mkdir()
    with tarfile.open(archive, "r:gz") as tf:
        for sid in ids:
            member = tf.getmember(f"lc_dev_g/{sid}_bin.dat")
            (folder / f"{sid}_bin.dat").write_bytes(tf.extractfile(member).read())
    periods = dg22_home / "dekany2022_gaia_g" / "periods_recovered.csv"
    inputs = [str(folder / f"{sid}_bin.dat") for sid in ids]

    # a copy of the data home, as `tserbench datasets fetch` leaves it, elsewhere
    copy = tmp_path / "home" / "dekany2022_gaia_g"
    shutil.copytree(dg22_home / "dekany2022_gaia_g" / "best_model_g", copy / "best_model_g")
    outputs = {}
    for label, home in (("data home", dg22_home), ("copy", tmp_path / "home")):
        monkeypatch.setenv("TSERBENCH_DATA", str(home))
        out = tmp_path / f"pred-{label.replace(' ', '_')}.csv"
        assert main(["predict", "--model", "dg22", "--input", *inputs, "--periods", str(periods), "-o", str(out)]) == 0
        outputs[label] = pd.read_csv(out, dtype={"source_id": str})
    pd.testing.assert_frame_equal(outputs["data home"], outputs["copy"])
    frame = outputs["copy"]
    assert frame["source_id"].tolist() == ids and (frame["n_models"] == 10).all()
    assert frame["feh_std"].gt(0).all() and frame["feh_pred"].between(-3.5, 0.5).all()
    # without -o the CSV goes to standard output
    capsys.readouterr()
    assert main(["predict", "--model", "dg22", "--input", inputs[0], "--periods", str(periods)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "source_id,feh_pred,feh_std,n_models"


def test_missing_published_files_say_how_to_fetch(tmp_path):
    with pytest.raises(DataError, match="datasets fetch rrab-gaia-dg22"):
        load_dg22_published(tmp_path)


def test_a_changed_graph_is_refused(tmp_path):
    graph = {"class_name": "Functional", "config": {"name": "bilstm2p", "layers": [
        {"class_name": "Bidirectional", "config": {"layer": {"class_name": "GRU", "config": {}}}},
    ]}}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(graph))
    with pytest.raises(DataError, match="not DG22's published bilstm2p graph"):
        read_published_architecture(path)
    path.write_text("not json")
    with pytest.raises(DataError, match="not a Keras model graph"):
        read_published_architecture(path)

"""DG22's published G-band fold models, loaded into tserbench's own ``dg22-bilstm2p`` network.

Dékány & Grebel (2022) published the ten fold models of their best G-band
model (github.com/idekany/rrl_feh_nn @3141888c, ``results_g/best_model_g/``:
``model.json``, the Keras 2.5 graph, and ``weights_<k>.h5``, Keras
``save_weights`` HDF5; MIT licence, cite DG22).  Fold model ``k`` was trained
on every fold but ``k`` and early-stopped on fold ``k`` itself (the papers'
``held-out`` selection), so applied to fold ``k``'s stars it gives DG22's
out-of-fold prediction for them.  ``tserbench datasets fetch rrab-gaia-dg22``
puts the files in ``<data home>/dekany2022_gaia_g/best_model_g/``.

The weights are read with h5py (no Keras-2-era loader) into fitted
:class:`~tserbench.regressors.DG22BiLSTMRegressor` estimators, which predict
from tserbench's own ``raw`` panel.  Two details map DG22's graph onto
tserbench's:

* **Channel order.**  DG22 feeds ``(phase * P, m - <m>)``; tserbench's panels
  are ``(m - <m>, phase * P)``.  The rows of the first layer's input kernels
  are swapped, which leaves every product unchanged (a sum of two terms is
  the same in either order in floating point).
* **The mask.**  DG22 masks a time step where every channel equals -1
  (``not_equal`` then ``reduce_any``) and passes the mask to the first
  BiLSTM, from which Keras carries it through the Dropout to the second:
  exactly tserbench's ``Masking(-1)`` at the start of the network.

The graph in ``model.json`` is checked against the network these weights are
loaded into (layers, units, regularisation, dropout, mask value), so a
changed upstream file fails loudly instead of predicting nonsense.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from tserbench.exceptions import DataError

__all__ = [
    "N_FOLDS",
    "PUBLISHED_SUBDIR",
    "PUBLISHED_MODEL_NAME",
    "DG22_RECIPE",
    "published_dir",
    "read_published_architecture",
    "read_fold_weights",
    "load_dg22_published",
    "published_model",
]

N_FOLDS = 10
PUBLISHED_SUBDIR = "best_model_g"
#: name of the published ensemble in ``tserbench predict --model`` and in the manifests it writes
PUBLISHED_MODEL_NAME = "dg22"
_FETCH_HINT = "run `tserbench datasets fetch rrab-gaia-dg22` (or set TSERBENCH_DATA to a folder holding it)"

#: How DG22 trained the published models (``gfeh.par`` and ``rrlfeh_nn_utils.cross_validate``):
#: recorded as the loaded estimators' parameters.  ``validation_split=0``:
#: every training star was trained on, and the CV test fold was the
#: validation data (``selection="held-out"``).
DG22_RECIPE = {
    "n_epochs": 50000,
    "batch_size": 256,
    "learning_rate": 0.01,
    "patience": 1000,
    "min_delta": 1e-5,
    "validation_split": 0.0,
    "weight_cutoff": 0.5,
    "standardize": False,
    "selection": "held-out",
}


def published_dir(data_home: str | os.PathLike | None = None) -> Path:
    """``<data home>/dekany2022_gaia_g/best_model_g``."""
    from tserbench.data.dg22 import dg22_dir

    return dg22_dir(data_home) / PUBLISHED_SUBDIR


def _expected_sha256() -> dict[str, str]:
    from tserbench.data._manifest import load_manifest
    from tserbench.data.dg22 import DG22_MANIFEST

    return {f["name"]: f["sha256"] for f in load_manifest(DG22_MANIFEST)["files"]}


def _require(path: Path, verify: bool) -> Path:
    from tserbench.data._manifest import verify_sha256

    if not path.is_file():
        raise DataError(f"DG22's published model file not found; {_FETCH_HINT}", path=path)
    if verify:
        verify_sha256(path, _expected_sha256()[f"{PUBLISHED_SUBDIR}/{path.name}"])
    return path


def read_published_architecture(path: str | os.PathLike) -> dict:
    """Check DG22's ``model.json`` and return the network parameters it encodes.

    Returns
    -------
    dict
        ``units``, ``dropout``, ``kernel_l1``, ``kernel_l2``, ``recurrent_l1``,
        ``recurrent_l2`` and ``mask_value`` for
        :class:`~tserbench.regressors.DG22BiLSTMRegressor`.

    Raises
    ------
    DataError
        If the graph is not the published ``bilstm2p`` (two bidirectional
        LSTMs with dropout, a linear ``Dense(1)`` head, a -1 mask).
    """
    path = Path(path)
    try:
        graph = json.loads(path.read_text(encoding="utf-8"))
        layers = graph["config"]["layers"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f"not a Keras model graph ({exc!r})", path=path) from None

    def fail(what: str):
        raise DataError(f"not DG22's published bilstm2p graph: {what}", path=path)

    by_class: dict[str, list[dict]] = {}
    for layer in layers:
        by_class.setdefault(layer.get("class_name"), []).append(layer.get("config", {}))
    bidir, dropout, dense = by_class.get("Bidirectional", []), by_class.get("Dropout", []), by_class.get("Dense", [])
    if graph["config"].get("name") != "bilstm2p" or len(bidir) != 2 or len(dropout) != 2 or len(dense) != 1:
        fail("expected 2 Bidirectional, 2 Dropout and 1 Dense layer in a model named bilstm2p")
    # the mask: not_equal(x, y=-1) on the input, inbound node ["seq_input", 0, 0, {"y": -1}]
    mask_values = [layer["inbound_nodes"][0][3].get("y") for layer in layers
                   if layer.get("class_name") == "TFOpLambda" and layer["config"].get("function") == "math.not_equal"]
    if mask_values != [-1]:
        fail(f"expected one not_equal(-1) mask, found {mask_values}")
    cells = [b["layer"]["config"] for b in bidir]
    if [b["layer"]["class_name"] for b in bidir] != ["LSTM", "LSTM"] or [c["return_sequences"] for c in cells] != [True, False]:
        fail("expected LSTM(return_sequences=True) then LSTM(return_sequences=False)")
    for c in cells:
        if (c.get("activation"), c.get("recurrent_activation"), c.get("use_bias"), c.get("dropout"),
                c.get("recurrent_dropout")) != ("tanh", "sigmoid", True, 0.0, 0.0):
            fail(f"unexpected LSTM settings in {c.get('name')}")
    if dense[0].get("units") != 1 or dense[0].get("activation") not in (None, "linear"):
        fail("expected a linear Dense(1) head")

    def reg(cfg, key):
        r = (cfg.get(key) or {}).get("config") or {}
        return float(r.get("l1", 0.0)), float(r.get("l2", 0.0))

    kernel = {reg(c, "kernel_regularizer") for c in cells}
    recurrent = {reg(c, "recurrent_regularizer") for c in cells}
    if len(kernel) != 1 or len(recurrent) != 1:
        fail("the two layers are regularised differently")
    (k1, k2), (r1, r2) = kernel.pop(), recurrent.pop()

    def f32(x: float) -> float:  # Keras 2 stored float32 values (5e-6 reads 4.99999987e-06)
        return float(f"{x:.6g}")

    return {
        "units": tuple(int(c["units"]) for c in cells),
        "dropout": tuple(float(d["rate"]) for d in dropout),
        "kernel_l1": f32(k1), "kernel_l2": f32(k2),
        "recurrent_l1": f32(r1), "recurrent_l2": f32(r2),
        "mask_value": -1.0,
    }


def read_fold_weights(path: str | os.PathLike) -> list[np.ndarray]:
    """Read one ``weights_<k>.h5`` (Keras ``save_weights``) in tserbench's channel order.

    Returns
    -------
    list of numpy.ndarray
        The 14 arrays in the order of ``DG22BiLSTMRegressor().model_.get_weights()``
        (per BiLSTM: forward kernel, recurrent kernel, bias, then backward;
        then the head's kernel and bias), with the input rows of the first
        layer's two kernels swapped (DG22's channel 0 is ``phase * P``,
        tserbench's is the magnitude).
    """
    import h5py

    path = Path(path)
    try:
        with h5py.File(path, "r") as fh:
            arrays = []
            for layer in fh.attrs["layer_names"]:
                group = fh[layer]
                names = list(group.attrs.get("weight_names", []))
                arrays += [np.asarray(group[name], dtype=np.float32) for name in names]
    except (OSError, KeyError) as exc:
        raise DataError(f"not a Keras weights file ({exc})", path=path) from None
    if len(arrays) != 14 or arrays[0].shape[0] != 2 or arrays[3].shape[0] != 2:
        raise DataError(f"expected the 14 arrays of bilstm2p on 2 channels, found {[a.shape for a in arrays]}",
                        path=path)
    for i in (0, 3):  # first layer, forward and backward input kernels
        arrays[i] = arrays[i][::-1].copy()
    return arrays


def _stub_panel():
    """Two padded series and targets: enough for sktime's fit bookkeeping and to switch masking on."""
    import pandas as pd

    X = [pd.DataFrame(np.zeros((3, 2)), columns=["mag", "phase_p"]),
         pd.DataFrame(np.zeros((2, 2)), columns=["mag", "phase_p"])]
    return X, np.array([-1.5, -1.0])


def load_dg22_published(data_home: str | os.PathLike | None = None, *, verify: bool = True) -> list:
    """DG22's ten published fold models as fitted ``DG22BiLSTMRegressor`` estimators.

    Parameters
    ----------
    data_home : str or path-like, optional
        Data home holding ``dekany2022_gaia_g/best_model_g/`` (default
        :func:`tserbench._config.data_home`).
    verify : bool, default=True
        Check each file's sha256 against the manifest.

    Returns
    -------
    list of DG22BiLSTMRegressor
        Element ``k`` is fold model ``k`` (trained by DG22 on all folds but
        ``k``); it predicts tserbench's ``raw`` panel (``make_panel(...,
        variant="raw")``, repeated phases kept).  Its parameters record DG22's
        recipe (:data:`DG22_RECIPE`); ``published_fold_`` is ``k``.

    Raises
    ------
    DataError
        A file is missing (the message says how to fetch it), does not match
        its checksum, or is not the published graph or weights.

    Examples
    --------
    >>> from tserbench.regressors.dg22_published import load_dg22_published
    >>> models = load_dg22_published()  # doctest: +SKIP
    >>> len(models), models[0].published_fold_  # doctest: +SKIP
    (10, 0)
    """
    from tserbench.regressors._dg22_bilstm import DG22BiLSTMRegressor

    folder = published_dir(data_home)
    network = read_published_architecture(_require(folder / "model.json", verify))
    X, y = _stub_panel()
    models = []
    for k in range(N_FOLDS):
        weights = read_fold_weights(_require(folder / f"weights_{k}.h5", verify))
        try:
            est = DG22BiLSTMRegressor.from_weights(weights, X, y, **network, **DG22_RECIPE, random_state=0)
        except ValueError as exc:  # Keras: weight shapes do not fit the network
            raise DataError(f"weights do not fit tserbench's bilstm2p network: {exc}",
                            path=folder / f"weights_{k}.h5") from None
        est.published_fold_ = k
        models.append(est)
    return models


def published_model(data_home: str | os.PathLike | None = None) -> tuple[list, dict]:
    """The published ensemble in the form :func:`tserbench.regressors._saved.load_model_dir` returns.

    ``(estimators, manifest)``: :func:`~tserbench.regressors._saved.predict_light_curves`
    and ``tserbench predict --model dg22`` average the ten fold models
    (mean and spread) on the ``raw`` input DG22 used (at most 80 points).
    """
    models = load_dg22_published(data_home)
    folder = published_dir(data_home)
    sha = _expected_sha256()
    manifest = {
        "format": "tserbench-published-model",
        "model_name": PUBLISHED_MODEL_NAME,
        "dataset": "rrab-gaia-dg22",
        "preprocessing": {"variant": "raw", "n_grid": 50, "max_len": 80},
        "n_models": len(models),
        "estimators": [{"file": f"{PUBLISHED_SUBDIR}/weights_{k}.h5", "sha256": sha[f"{PUBLISHED_SUBDIR}/weights_{k}.h5"]}
                       for k in range(N_FOLDS)],
        "source": ("Dékány & Grebel 2022, ApJS 261, 33; github.com/idekany/rrl_feh_nn @3141888c, "
                   "results_g/best_model_g (MIT licence)"),
        "path": str(folder),
    }
    return models, manifest

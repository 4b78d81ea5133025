"""Saved-model directories: fitted estimators plus what is needed to use them.

Layout of a model directory::

    DIR/manifest.json     format, tserbench/sktime versions, model name, class,
                          dataset, preprocessing (variant, n_grid, max_len),
                          one entry per estimator with its files, their
                          format and sha256
    DIR/model_000.json    a deep regressor (one per file, e.g. one per CV fold):
    DIR/model_000.keras   its class, parameters and fitted attributes as JSON
                          data, and its network in Keras' native format
    DIR/model_001.pkl     any other estimator (classical models), pickled

Every file is written atomically (:mod:`tserbench._io`); the manifest is
written last, so a directory with a manifest is complete.  Every file is
checked against the manifest's sha256 before it is read, but a checksum
proves nothing about who wrote it.  Hence the two formats:

- **deep regressors** (the registry's ``kind="deep"`` classes) are saved in a
  format that cannot run code: the JSON holds only numbers, strings and lists;
  its class must be one of the registry's deep regressors (the dotted path in
  the file is looked up in the registry, never imported); the network is read
  with ``keras.saving.load_model(..., safe_mode=True)``, which refuses Python
  code in a model file (``Lambda`` layers holding a Python function).  No
  network of :mod:`tserbench.networks` uses such a layer.
- **other estimators** (sktime/sklearn classical models, plug-ins) are pickles,
  and unpickling can run any code its author put in the file, so
  :func:`load_model_dir` refuses to unpickle unless told ``trust_pickle=True``
  (``tserbench predict --trust-pickle``).

Directories of format version 1 (everything pickled) are still read, behind
``trust_pickle``.  DG22's published model (``--model dg22``) is read from
weights, not pickles.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import pickle
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tserbench._io import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    atomic_write_with,
)
from tserbench.exceptions import ConfigError, DataError, LightCurveError
from tserbench.preprocessing.variants import VARIANTS

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model_dir", "load_model_dir", "predict_light_curves"]

FORMAT = "tserbench-model-dir"
#: 1: every estimator pickled; 2: deep regressors as JSON + ``.keras``, the rest pickled
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
#: per-estimator formats of a manifest entry (version 1 entries are all pickles)
PICKLE, DEEP = "pickle", "tserbench-deep-json"
#: the format of one deep regressor's JSON file
DEEP_FORMAT = "tserbench-deep-regressor"
DEEP_FORMAT_VERSION = 1


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ JSON data
# A small tagged JSON encoding of the values deep regressors hold (parameters,
# fitted statistics, sktime's fit metadata).  Decoding builds only numbers,
# strings, lists, tuples, dicts, numpy arrays of numeric dtypes and sktime's
# DtypeKind enum: nothing in a file can name a class, module or function.
_TAGS = ("__tuple__", "__ndarray__", "__float__", "__dtypekind__")
_ARRAY_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"]
)


class _NotData(TypeError):
    """A value that the JSON data encoding cannot hold."""


def _encode(obj: Any, where: str = "value") -> Any:
    """Return ``obj`` as JSON-safe data (raise :class:`_NotData` for anything else)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, where) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, where) for v in obj]
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj) or any(k in _TAGS for k in obj):
            raise _NotData(f"{where}: a dict with keys other than plain strings")
        return {k: _encode(v, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        if obj.dtype.name not in _ARRAY_DTYPES:
            raise _NotData(f"{where}: a numpy array of dtype {obj.dtype}")
        flat = [_encode(v, where) for v in obj.reshape(-1).tolist()]
        return {"__ndarray__": flat, "dtype": obj.dtype.name, "shape": list(obj.shape)}
    from sktime.datatypes._dtypekind import DtypeKind

    if isinstance(obj, DtypeKind):
        return {"__dtypekind__": obj.name}
    raise _NotData(f"{where}: a {type(obj).__module__}.{type(obj).__qualname__}")


def _decode(obj: Any) -> Any:
    """Invert :func:`_encode`; raise ValueError for anything it does not write."""
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        raise TypeError(f"unexpected JSON value {obj!r}")
    tags = [t for t in _TAGS if t in obj]
    if not tags:
        return {k: _decode(v) for k, v in obj.items()}
    tag = tags[0]
    if tag == "__tuple__":
        return tuple(_decode(v) for v in obj[tag])
    if tag == "__float__":
        if obj[tag] not in ("nan", "inf", "-inf"):
            raise ValueError(f"bad non-finite float {obj[tag]!r}")
        return float(obj[tag])
    if tag == "__dtypekind__":
        from sktime.datatypes._dtypekind import DtypeKind

        return DtypeKind[str(obj[tag])]
    dtype = obj.get("dtype")
    if dtype not in _ARRAY_DTYPES:
        raise ValueError(f"array dtype {dtype!r} is not one of {sorted(_ARRAY_DTYPES)}")
    values = [_decode(v) for v in obj[tag]]
    if not all(isinstance(v, (bool, int, float)) for v in values):
        raise ValueError("array values must be numbers")
    return np.asarray(values, dtype=dtype).reshape([int(n) for n in obj["shape"]])


# ----------------------------------------------------------- deep regressors
#: sktime's fitted state that ``predict`` reads (besides the ``*_`` attributes)
_SKTIME_STATE = (
    "_is_fitted",
    "_is_vectorized",
    "_X_metadata",
    "_y_metadata",
    "_y_inner_mtype",
    "_class_dictionary",
    "_converter_store_y",
)


#: fitted attributes left out of the JSON: every criterion's best network weights
#: (``fit_with_held_out``), as large as the network and needed only by
#: ``selected_by``; a loaded model has None there (its own pick is in the .keras)
_NOT_SAVED = frozenset({"selected_weights_"})


def _deep_registry() -> dict[str, str]:
    """Dotted class path -> short name of every deep regressor of the registry."""
    from tserbench.regressors._registry import list_models

    return {info.cls_path: info.name for info in list_models(include_plugins=False) if info.kind == "deep"}


def _registry_path(est) -> str | None:
    """The registry's dotted path of ``est``'s class if it is one of the deep regressors, else None."""
    from tserbench.regressors._base import BaseTserbenchDeepRegressor

    if not isinstance(est, BaseTserbenchDeepRegressor):
        return None
    from tserbench.regressors._registry import resolve_model_class

    for cls_path, name in _deep_registry().items():
        if resolve_model_class(name) is type(est):
            return cls_path
    return None


def _deep_document(est, cls_path: str) -> dict:
    """Class, parameters and fitted attributes of a deep regressor as JSON data."""
    if getattr(est, "_is_vectorized", False):
        raise _NotData("fitted per target column (sktime vectorisation)")
    params = est.get_params(deep=False)
    fitted = {
        k: v for k, v in vars(est).items()
        if k.endswith("_") and not k.startswith("_") and k not in params and k != "model_" and k not in _NOT_SAVED
    }
    fitted.update(dict.fromkeys(_NOT_SAVED & vars(est).keys()))
    fitted.update({k: vars(est)[k] for k in _SKTIME_STATE if k in vars(est)})
    return {
        "format": DEEP_FORMAT,
        "format_version": DEEP_FORMAT_VERSION,
        "class": cls_path,
        "params": _encode(params, "params"),
        "fitted": _encode(fitted, "fitted"),
    }


def _save_deep(path: Path, i: int, est, cls_path: str) -> dict:
    """Write ``model_<i>.json`` and ``model_<i>.keras``; return the manifest entry (raise _NotData if impossible)."""
    doc = json.dumps(_deep_document(est, cls_path), indent=1, allow_nan=False) + "\n"
    stem = f"model_{i:03d}"
    keras_path = atomic_write_with(path / f"{stem}.keras", lambda tmp: est.model_.save(tmp, overwrite=True))
    atomic_write_text(path / f"{stem}.json", doc)
    return {
        "file": f"{stem}.json",
        "sha256": _sha256(doc.encode("utf-8")),
        "format": DEEP,
        "class": cls_path,
        "keras": {"file": keras_path.name, "sha256": _sha256(keras_path.read_bytes()), "format": "keras"},
    }


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}{'...' if len(text) > 300 else ''}"


def _load_deep(jpath: Path, doc_bytes: bytes, kpath: Path, keras_bytes: bytes):
    """Build a fitted deep regressor from its verified JSON and ``.keras`` bytes, running no code from either."""
    try:
        doc = json.loads(doc_bytes.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != DEEP_FORMAT:
            raise ValueError(f"not of format {DEEP_FORMAT!r}")
        if doc.get("format_version", 0) > DEEP_FORMAT_VERSION:
            raise ValueError(f"format version {doc.get('format_version')} is newer than this tserbench reads")
        cls_path = doc["class"]
        params, fitted = _decode(doc["params"]), _decode(doc["fitted"])
        if not isinstance(params, dict) or not isinstance(fitted, dict):
            raise TypeError("params and fitted must be JSON objects")
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"malformed deep-model file: {_one_line(exc)}", path=jpath) from None
    registry = _deep_registry()
    if not isinstance(cls_path, str) or cls_path not in registry:
        raise DataError(
            f"class {cls_path!r} is not a deep regressor of the tserbench registry; refusing to build it "
            f"(known: {', '.join(sorted(registry))})",
            path=jpath,
        )
    from tserbench.regressors._registry import resolve_model_class

    cls = resolve_model_class(registry[cls_path])
    unknown = sorted(set(params) - set(cls.get_param_names()))
    bad = sorted(k for k in fitted if k == "model_" or k not in _SKTIME_STATE
                 and not (k.endswith("_") and k.isidentifier() and not k.startswith("_")))
    if unknown or bad:
        raise DataError(f"unexpected {'parameter(s) ' + ', '.join(unknown) if unknown else ''}"
                        f"{' and ' if unknown and bad else ''}{'attribute(s) ' + ', '.join(bad) if bad else ''} "
                        f"for {cls.__name__}", path=jpath)
    try:
        est = cls(**params)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{cls.__name__}: {_one_line(exc)}", path=jpath) from None
    vars(est).update(fitted)

    from tserbench._tf import import_keras

    keras = import_keras()
    # load the bytes whose sha256 was checked, not whatever the path holds now
    with tempfile.TemporaryDirectory(prefix="tserbench-keras-") as tmp:
        local = Path(tmp) / "model.keras"
        local.write_bytes(keras_bytes)
        try:
            model = keras.saving.load_model(local, safe_mode=True, compile=False)
        except Exception as exc:  # noqa: BLE001  safe_mode refusal (a Lambda's Python code), bad archive, ...
            raise DataError(f"Keras refused to load the network (safe_mode=True): {_one_line(exc)}",
                            path=kpath) from None
    expected = (None, *tuple(fitted.get("input_shape_", ())))
    if tuple(model.input_shape) != expected:
        raise DataError(f"network input shape {tuple(model.input_shape)} does not match the fitted "
                        f"input_shape_ {expected} of {jpath.name}", path=kpath)
    est.model_ = model
    return est


def save_model_dir(
    path: str | os.PathLike,
    estimators: list,
    *,
    variant: str,
    n_grid: int,
    max_len: int,
    model_name: str,
    dataset: str,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write fitted estimators and their preprocessing settings to a directory.

    Parameters
    ----------
    path : str or path-like
        The directory; created if needed.  An existing manifest is replaced,
        stale ``model_*`` files of a previous save are removed.
    estimators : list
        Fitted sktime regressors (e.g. the fold models of a CV run); their
        predictions are averaged by :func:`predict_light_curves`.  The
        registry's deep regressors are saved as JSON + ``.keras`` (loaded
        without trust), any other estimator as a pickle (loaded only with
        ``trust_pickle=True``); a deep regressor whose parameters are not
        plain data (numbers, strings, lists, dicts) falls back to a pickle,
        with a warning.  A deep regressor's ``selected_weights_`` (every
        criterion's pick of :meth:`fit_with_held_out`) is not saved: the
        loaded model holds its own pick and None there.
    variant : {"raw", "spline", "full"}
        Preprocessing variant the estimators were trained on.
    n_grid : int
        Phase-grid size of the spline variants.
    max_len : int
        Maximum length of the raw variant.
    model_name : str
        Registry name of the model (e.g. ``"gru"``).
    dataset : str
        Name of the training dataset.
    extra : dict, optional
        Anything else JSON-serialisable to keep in the manifest (scores, seed, ...).

    Returns
    -------
    pathlib.Path
        The directory.
    """
    path = Path(path)
    if not estimators:
        raise ValueError("save_model_dir: no estimators to save")
    if variant not in VARIANTS:
        raise ValueError(f"save_model_dir: variant must be one of {VARIANTS}, got {variant!r}")
    for i, est in enumerate(estimators):
        if not getattr(est, "is_fitted", True):
            raise ValueError(f"save_model_dir: estimator {i} ({type(est).__name__}) is not fitted")
    path.mkdir(parents=True, exist_ok=True)
    files = []
    for i, est in enumerate(estimators):
        cls_path = _registry_path(est)
        if cls_path is not None:
            try:
                files.append(_save_deep(path, i, est, cls_path))
                continue
            except _NotData as exc:  # e.g. a parameter value that is no JSON data
                warnings.warn(
                    f"save_model_dir: estimator {i} ({type(est).__name__}) is saved as a pickle, which "
                    f"needs trust_pickle to load: its state is not plain data ({exc})",
                    stacklevel=2,
                )
        data = pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL)
        name = f"model_{i:03d}.pkl"
        atomic_write_bytes(path / name, data)
        cls = type(est)
        files.append({"file": name, "sha256": _sha256(data), "format": PICKLE,
                      "class": f"{cls.__module__}.{cls.__qualname__}"})
    keep = {f["file"] for f in files} | {f["keras"]["file"] for f in files if "keras" in f}
    for pattern in ("model_*.pkl", "model_*.json", "model_*.keras"):
        for stale in path.glob(pattern):
            if stale.name not in keep:
                stale.unlink()
    import sktime

    from tserbench import __version__

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tserbench_version": __version__,
        "sktime_version": sktime.__version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model_name": model_name,
        "dataset": dataset,
        "preprocessing": {"variant": variant, "n_grid": int(n_grid), "max_len": int(max_len)},
        "n_models": len(files),
        "estimators": files,
        "extra": extra or {},
    }
    atomic_write_json(path / MANIFEST, manifest)
    return path


def _read_manifest(path: Path) -> dict:
    if not path.is_dir():
        raise DataError("model directory not found", path=path)
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise DataError(f"not a tserbench model directory (no {MANIFEST})", path=path)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"unreadable manifest: {exc}", path=mpath) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DataError(f"manifest is not of format {FORMAT!r}", path=mpath)
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise DataError(
            f"model format version {manifest.get('format_version')} is newer than this tserbench "
            f"reads ({FORMAT_VERSION}); upgrade tserbench",
            path=mpath,
        )
    try:
        pre = manifest["preprocessing"]
        if pre["variant"] not in VARIANTS:
            raise ValueError(f"unknown variant {pre['variant']!r}")
        int(pre["n_grid"]), int(pre["max_len"])
        entries = manifest["estimators"]
        if not entries:
            raise ValueError("no estimators listed")
        version = manifest.get("format_version", 1)
        for entry in entries:
            entry["file"], entry["sha256"]
            if version < 2:
                entry.setdefault("format", PICKLE)  # version 1: every estimator pickled
            if entry.get("format") not in (PICKLE, DEEP):
                raise ValueError(f"unknown estimator format {entry.get('format')!r} of {entry['file']}")
            if entry["format"] == DEEP:
                entry["keras"]["file"], entry["keras"]["sha256"]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"malformed manifest: {exc!r}", path=mpath) from None
    return manifest


_UNTRUSTED = (
    "holds pickled estimators (classical models are saved as pickles), and loading a pickle runs whatever code "
    "its author put in it: load only a model directory you made or trust, with trust_pickle=True "
    "(tserbench predict --trust-pickle)"
)


def load_model_dir(path: str | os.PathLike, *, trust_pickle: bool = False) -> tuple[list, dict]:
    """Load the estimators of a model directory written by :func:`save_model_dir`.

    ``path`` may also be a folder whose sub-folders are model directories
    (e.g. ``OUT/<model>/models/`` of ``tserbench run --save-models``, one
    sub-folder per fold): their estimators are loaded together as one
    ensemble, provided they share the model name and preprocessing.

    Parameters
    ----------
    path : str or path-like
    trust_pickle : bool, default=False
        Unpickle the pickled estimators.  Without it the manifest and
        checksums are checked and loading stops with a :class:`ConfigError`
        at the first pickle: a pickle can run code, and only its author knows
        what it does.  Deep regressors saved as JSON + ``.keras`` load
        without it (their files hold data only; see the module docstring).

    Returns
    -------
    estimators : list
        The fitted estimators, in saved order (sub-folders in sorted order).
    manifest : dict
        The parsed ``manifest.json``; for a folder of model directories, the
        first one's with ``n_models`` and ``estimators`` covering all of them
        and ``members`` listing the sub-folders.

    Raises
    ------
    DataError
        Missing directory, missing or malformed manifest, a missing file or
        one whose sha256 does not match the manifest, a deep-model JSON naming
        a class outside the registry's deep regressors, a ``.keras`` file
        that Keras' safe mode refuses, or sub-folders that disagree (the
        message names the file or folder).
    ConfigError
        A pickled estimator without ``trust_pickle=True``.
    """
    path = Path(path)
    if path.is_dir() and not (path / MANIFEST).exists():
        members = sorted(p for p in path.iterdir() if (p / MANIFEST).is_file())
        if members:
            return _load_ensemble(path, members, trust_pickle)
    return _load_one(path, trust_pickle)


def _load_ensemble(path: Path, members: list[Path], trust_pickle: bool) -> tuple[list, dict]:
    estimators, entries = [], []
    first = None
    for member in members:
        ests, manifest = _load_one(member, trust_pickle)
        if first is None:
            first = manifest
        for key in ("model_name", "preprocessing"):
            if manifest.get(key) != first.get(key):
                raise DataError(
                    f"{key} differs from {members[0].name}'s ({manifest.get(key)!r} vs {first.get(key)!r}); "
                    "cannot average these models",
                    path=member,
                )
        estimators.extend(ests)
        for e in manifest["estimators"]:
            e = {**e, "file": f"{member.name}/{e['file']}"}
            if "keras" in e:
                e["keras"] = {**e["keras"], "file": f"{member.name}/{e['keras']['file']}"}
            entries.append(e)
    combined = {**first, "n_models": len(estimators), "estimators": entries, "members": [m.name for m in members]}
    return estimators, combined


def _read_verified(path: Path, name: str, sha256: str) -> tuple[Path, bytes]:
    """Read ``path / name`` and check it against the manifest's sha256."""
    fpath = path / name
    if Path(name).name != name:
        raise DataError("estimator file must be a plain name inside the model directory", path=fpath)
    try:
        data = fpath.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read estimator file: {exc.strerror or exc}", path=fpath) from exc
    if _sha256(data) != sha256:
        raise DataError("sha256 does not match the manifest (file changed or truncated)", path=fpath)
    return fpath, data


def _load_one(path: Path, trust_pickle: bool) -> tuple[list, dict]:
    manifest = _read_manifest(path)
    estimators = []
    for entry in manifest["estimators"]:
        fpath, data = _read_verified(path, entry["file"], entry["sha256"])
        if entry["format"] == DEEP:
            kpath, keras_bytes = _read_verified(path, entry["keras"]["file"], entry["keras"]["sha256"])
            estimators.append(_load_deep(fpath, data, kpath, keras_bytes))
            continue
        if not trust_pickle:
            raise ConfigError(f"{path} {_UNTRUSTED}")
        try:
            estimators.append(pickle.loads(data))
        except Exception as exc:  # unpicklable: missing class, version clash
            raise DataError(f"cannot unpickle estimator: {type(exc).__name__}: {exc}", path=fpath) from exc
    return estimators, manifest


def _panel(lcs, pre: dict):
    from tserbench.preprocessing import make_panel

    return make_panel(lcs, variant=pre["variant"], n_grid=int(pre["n_grid"]), max_len=int(pre["max_len"]))


def _rejection(source_id, reason: str, path=None):
    from tserbench.data._lightcurves import Rejection

    return Rejection(source_id=str(source_id), reason=reason, path=path)


def predict_light_curves(model_dir, lcs, *, errors: str = "skip", trust_pickle: bool = False) -> pd.DataFrame:
    """Predict [Fe/H] for light curves with a saved model (ensemble mean and spread).

    Each star is validated (:func:`tserbench.data.validate_light_curve`) and
    preprocessed exactly as the model's training data (variant, ``n_grid``,
    ``max_len`` from the manifest); every estimator in the directory
    predicts it.

    Parameters
    ----------
    model_dir : str, path-like, or tuple (estimators, manifest)
        A model directory, or what :func:`load_model_dir` returned (to load once
        and predict many times).
    lcs : tserbench.data.LightCurves
        The stars.
    errors : {"skip", "raise"}, default="skip"
        ``"skip"``: a star that fails validation or preprocessing, or gets a
        non-finite prediction, is left out of the result and recorded in
        ``result.attrs["rejections"]`` (list of :class:`tserbench.data.Rejection`).
        ``"raise"``: raise :class:`LightCurveError` for the first such star.
    trust_pickle : bool, default=False
        Passed to :func:`load_model_dir` when ``model_dir`` is a path.

    Returns
    -------
    pandas.DataFrame
        One row per predicted star, in input order: ``source_id`` (int64) and
        ``feh_pred``; with more than one estimator also ``feh_std`` (standard
        deviation across estimators, ddof=0) and ``n_models``.
    """
    if errors not in ("skip", "raise"):
        raise ValueError(f"errors must be 'skip' or 'raise', got {errors!r}")
    from tserbench.data._lightcurves import validate_light_curve

    if isinstance(model_dir, tuple):
        estimators, manifest = model_dir
    else:
        estimators, manifest = load_model_dir(model_dir, trust_pickle=trust_pickle)
    pre = manifest["preprocessing"]
    rejections: list = []

    def reject(sid, reason):
        if errors == "raise":
            raise LightCurveError(sid, reason)
        rejections.append(_rejection(sid, reason))

    n = len(lcs)
    ok = []
    for i in range(n):
        sid = lcs.source_id[i]
        try:
            # repeated phases (DG22's files) are the preprocessing's business:
            # the spline variants merge them, the raw variant keeps them
            validate_light_curve(sid, lcs.phase[i], lcs.mag[i], lcs.period[i], allow_duplicate_phases=True)
        except LightCurveError as exc:
            reject(sid, exc.reason)
            continue
        ok.append(i)

    good = lcs.subset(np.asarray(ok, dtype=int)) if ok else None
    X = None
    if good is not None:
        try:
            X = _panel(good, pre)
        except LightCurveError:
            # one bad star spoils a batch: find it (and any other) star by star
            keep, parts = [], []
            for j in range(len(good)):
                try:
                    parts.append(_panel(good.subset(np.array([j])), pre))
                except LightCurveError as exc:
                    reject(good.source_id[j], exc.reason)
                    continue
                keep.append(j)
            if keep:
                good = good.subset(np.asarray(keep, dtype=int))
                X = _panel(good, pre)
            else:
                good = None

    columns = ["source_id", "feh_pred"] + (["feh_std", "n_models"] if len(estimators) > 1 else [])
    if good is None or len(good) == 0:
        out = pd.DataFrame({c: pd.Series(dtype="int64" if c in ("source_id", "n_models") else float) for c in columns})
        out.attrs["rejections"] = rejections
        return out

    preds = np.vstack([np.asarray(est.predict(X), dtype=float).reshape(-1) for est in estimators])
    finite = np.isfinite(preds).all(axis=0)
    for j in np.flatnonzero(~finite):
        reject(good.source_id[j], "model returned a non-finite prediction")
    preds = preds[:, finite]
    out = pd.DataFrame(
        {
            "source_id": np.asarray(good.source_id, dtype=np.int64)[finite],
            "feh_pred": preds.mean(axis=0),
        }
    )
    if len(estimators) > 1:
        out["feh_std"] = preds.std(axis=0)
        out["n_models"] = np.int64(len(estimators))
    out.attrs["rejections"] = rejections
    return out

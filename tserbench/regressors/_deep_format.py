"""The code-free format of one fitted deep regressor: tagged JSON data plus a ``.keras`` network.

:func:`~tserbench.regressors._saved.save_model_dir` writes each of the
registry's deep regressors as ``model_<i>.json`` (class, parameters, fitted
attributes, in a small tagged JSON encoding that can name no class, module
or function) and ``model_<i>.keras`` (read back with Keras' ``safe_mode``).
The class is looked up in the registry, never imported from the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tserbench._io import atomic_write_text, atomic_write_with
from tserbench.exceptions import DataError

__all__ = ["DEEP", "DEEP_FORMAT", "DEEP_FORMAT_VERSION", "NotData", "load_deep", "registry_path", "save_deep"]

#: the per-estimator format of a deep regressor's manifest entry
DEEP = "tserbench-deep-json"
#: the format of one deep regressor's JSON file
DEEP_FORMAT = "tserbench-deep-regressor"
DEEP_FORMAT_VERSION = 1


def sha256(data: bytes) -> str:
    """Hex sha256 of ``data`` (the manifest's checksum of every file)."""
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


class NotData(TypeError):
    """A value that the JSON data encoding cannot hold."""


def _encode(obj: Any, where: str = "value") -> Any:
    """Return ``obj`` as JSON-safe data (raise :class:`NotData` for anything else)."""
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
            raise NotData(f"{where}: a dict with keys other than plain strings")
        return {k: _encode(v, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        if obj.dtype.name not in _ARRAY_DTYPES:
            raise NotData(f"{where}: a numpy array of dtype {obj.dtype}")
        flat = [_encode(v, where) for v in obj.reshape(-1).tolist()]
        return {"__ndarray__": flat, "dtype": obj.dtype.name, "shape": list(obj.shape)}
    from sktime.datatypes._dtypekind import DtypeKind

    if isinstance(obj, DtypeKind):
        return {"__dtypekind__": obj.name}
    raise NotData(f"{where}: a {type(obj).__module__}.{type(obj).__qualname__}")


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


def registry_path(est) -> str | None:
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
        raise NotData("fitted per target column (sktime vectorisation)")
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


def save_deep(path: Path, i: int, est, cls_path: str) -> dict:
    """Write ``model_<i>.json`` and ``model_<i>.keras``; return the manifest entry (raise NotData if impossible)."""
    doc = json.dumps(_deep_document(est, cls_path), indent=1, allow_nan=False) + "\n"
    stem = f"model_{i:03d}"
    keras_path = atomic_write_with(path / f"{stem}.keras", lambda tmp: est.model_.save(tmp, overwrite=True))
    atomic_write_text(path / f"{stem}.json", doc)
    return {
        "file": f"{stem}.json",
        "sha256": sha256(doc.encode("utf-8")),
        "format": DEEP,
        "class": cls_path,
        "keras": {"file": keras_path.name, "sha256": sha256(keras_path.read_bytes()), "format": "keras"},
    }


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}{'...' if len(text) > 300 else ''}"


def load_deep(jpath: Path, doc_bytes: bytes, kpath: Path, keras_bytes: bytes):
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


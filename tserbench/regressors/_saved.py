"""Saved-model directories: fitted estimators plus what is needed to use them.

Layout of a model directory::

    DIR/manifest.json     format, tserbench/sktime versions, model name, class,
                          dataset, preprocessing (variant, n_grid, max_len),
                          one entry per estimator file with its sha256
    DIR/model_000.pkl     one pickled fitted estimator per file (e.g. one per CV fold)

Every file is written atomically (:mod:`tserbench._io`); the manifest is
written last, so a directory with a manifest is complete.  Pickles are
checked against the manifest's sha256 before loading, but a checksum proves
nothing about who wrote them: unpickling can run any code its author put in
the file, so :func:`load_model_dir` refuses to unpickle unless told
``trust_pickle=True`` (``tserbench predict --trust-pickle``).  DG22's
published model (``--model dg22``) is read from weights, not pickles.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tserbench._io import atomic_write_bytes, atomic_write_json
from tserbench.exceptions import ConfigError, DataError, LightCurveError
from tserbench.preprocessing.variants import VARIANTS

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model_dir", "load_model_dir", "predict_light_curves"]

FORMAT = "tserbench-model-dir"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        stale ``model_*.pkl`` files of a previous save are removed.
    estimators : list
        Fitted sktime regressors (e.g. the fold models of a CV run); their
        predictions are averaged by :func:`predict_light_curves`.
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
        data = pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL)
        name = f"model_{i:03d}.pkl"
        atomic_write_bytes(path / name, data)
        cls = type(est)
        files.append({"file": name, "sha256": _sha256(data), "class": f"{cls.__module__}.{cls.__qualname__}"})
    keep = {f["file"] for f in files}
    for stale in path.glob("model_*.pkl"):
        if stale.name not in keep:
            stale.unlink()
    import sktime

    from tserbench import __version__

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tserbench_version": __version__,
        "sktime_version": sktime.__version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
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
        for entry in entries:
            entry["file"], entry["sha256"]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"malformed manifest: {exc!r}", path=mpath) from None
    return manifest


_UNTRUSTED = (
    "holds pickled estimators, and loading a pickle runs whatever code its author put in it: "
    "load only a model directory you made or trust, with trust_pickle=True (tserbench predict --trust-pickle)"
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
        Unpickle the estimators.  Without it the manifest and checksums are
        checked and loading then stops with a :class:`ConfigError`: a
        pickle can run code, and only its author knows what it does.

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
        Missing directory, missing or malformed manifest, missing pickle, a
        pickle whose sha256 does not match the manifest, or sub-folders that
        disagree (the message names the file or folder).
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
        entries.extend({**e, "file": f"{member.name}/{e['file']}"} for e in manifest["estimators"])
    combined = {**first, "n_models": len(estimators), "estimators": entries, "members": [m.name for m in members]}
    return estimators, combined


def _load_one(path: Path, trust_pickle: bool) -> tuple[list, dict]:
    manifest = _read_manifest(path)
    estimators = []
    for entry in manifest["estimators"]:
        fpath = path / entry["file"]
        if Path(entry["file"]).name != entry["file"]:
            raise DataError("estimator file must be a plain name inside the model directory", path=fpath)
        try:
            data = fpath.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read estimator file: {exc.strerror or exc}", path=fpath) from exc
        if _sha256(data) != entry["sha256"]:
            raise DataError("sha256 does not match the manifest (file changed or truncated)", path=fpath)
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

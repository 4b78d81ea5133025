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
import json
import os
import pickle
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tserbench._io import atomic_write_bytes, atomic_write_json
from tserbench.exceptions import ConfigError, DataError
from tserbench.preprocessing.variants import VARIANTS
from tserbench.regressors._deep_format import (
    DEEP,
    NotData,
    load_deep,
    registry_path,
    save_deep,
)
from tserbench.regressors._deep_format import sha256 as _sha256

__all__ = ["FORMAT", "FORMAT_VERSION", "save_fold_ensemble", "save_model_dir", "load_model_dir"]

FORMAT = "tserbench-model-dir"
#: 1: every estimator pickled; 2: deep regressors as JSON + ``.keras``, the rest pickled
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
#: per-estimator format of a pickled manifest entry (version 1 entries are all pickles;
#: a deep regressor's is :data:`~tserbench.regressors._deep_format.DEEP`)
PICKLE = "pickle"


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
        cls_path = registry_path(est)
        if cls_path is not None:
            try:
                files.append(save_deep(path, i, est, cls_path))
                continue
            except NotData as exc:  # e.g. a parameter value that is no JSON data
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
            estimators.append(load_deep(fpath, data, kpath, keras_bytes))
            continue
        if not trust_pickle:
            raise ConfigError(f"{path} {_UNTRUSTED}")
        try:
            estimators.append(pickle.loads(data))
        except Exception as exc:  # unpicklable: missing class, version clash
            raise DataError(f"cannot unpickle estimator: {type(exc).__name__}: {exc}", path=fpath) from exc
    return estimators, manifest


def save_fold_ensemble(folder: str | os.PathLike, jobs: Sequence[str], *, variant: str, n_grid: int, max_len: int,
                       model_name: str, dataset: str) -> Path | None:
    """Gather the fold models ``folder/<job>/`` of a CV run into one model directory ``folder``.

    ``tserbench predict folder`` then averages the fold models.  Written only
    when every job has its fold model (a resumed run fitted before
    ``--save-models`` was given has none for its old jobs).

    Parameters
    ----------
    folder : path
        ``OUT/<model>/models/`` of a run: one model directory per job inside.
    jobs : sequence of str
        The jobs' folder names (``r<R>_f<F>``), in order.
    variant, n_grid, max_len, model_name, dataset
        As for :func:`save_model_dir`.

    Returns
    -------
    pathlib.Path or None
        ``folder``, or None when a fold model is missing (nothing written).
    """
    folder = Path(folder)
    dirs = [folder / job for job in jobs]
    missing = [d.name for d in dirs if not (d / MANIFEST).exists()]
    if missing:  # said, not silent: the user asked for models and would find none
        warnings.warn(
            f"--save-models: {model_name}: {len(missing)} of {len(dirs)} job(s) ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}) were fitted by an earlier run without --save-models "
            f"and have no saved model, so {folder} holds no ensemble; finished jobs are not refitted: "
            "give --save-models to the first run, or run again into a new --out",
            stacklevel=2,
        )
        return None
    estimators = [load_model_dir(d, trust_pickle=True)[0][0] for d in dirs]  # written by the same run
    return save_model_dir(
        folder,
        estimators,
        variant=variant,
        n_grid=n_grid,
        max_len=max_len,
        model_name=model_name,
        dataset=dataset,
        extra={"jobs": list(jobs), "note": "one fitted model per CV fold; predictions are averaged"},
    )


def __getattr__(name: str):
    # predict_light_curves lives in ._predict (which imports this module); its old address still works
    if name == "predict_light_curves":
        from tserbench.regressors._predict import predict_light_curves

        return predict_light_curves
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

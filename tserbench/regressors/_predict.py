"""Predicting with a saved model directory: light curves in, [Fe/H] with its ensemble spread out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tserbench.exceptions import LightCurveError
from tserbench.regressors._saved import load_model_dir

__all__ = ["predict_light_curves"]


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

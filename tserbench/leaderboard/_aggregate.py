"""Turn out-of-fold predictions and job records into leaderboard rows.

Definitions used throughout the leaderboard
-------------------------------------------
For validation metrics (computed from the OOF predictions only, so every
number can be recomputed from ``oof/<model>.csv``):

``pooled``
    The metric over all out-of-fold predictions of one repeat at once (every
    star once), averaged over repeats.  With DG22's predefined folds (one
    repeat) this is the figure DG22's predictions give: RMSE 0.1784,
    MAE 0.1347, R² 0.8597.  **This is the headline** (``value``).
``mean`` / ``std``
    Mean and sample standard deviation (ddof=1) of the per-fold metrics over
    all (repeat, fold) jobs.

For training metrics (only the runner saw the training predictions) the
headline is the mean over jobs; ``pooled`` is given where the predictions
are available (DG22's published training predictions).

The OOF CSVs carry no weights, so the weighted metrics (``wrmse``, ``wmae``)
cannot be pooled; for harness rows they are the mean/std over the job
records (weights chosen by the runner, recorded in each job's ``weights``)
and are marked ``"from": "jobs"``; every other validation figure is marked
``"from": "oof"`` and is recomputable from the OOF predictions alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tserbench.leaderboard._metrics import metric_names, score

__all__ = ["per_fold_metrics", "summarise_oof", "summarise_jobs", "paired_comparison"]



def _clean(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _summary(values: list[float], pooled: float | None, source: str) -> dict:
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean()) if arr.size else None
    std = float(arr.std(ddof=1)) if arr.size > 1 else None
    return {
        "value": _clean(pooled) if pooled is not None else mean,
        "pooled": _clean(pooled),
        "mean": mean,
        "std": std,
        "n": int(arr.size),
        "from": source,
    }


def per_fold_metrics(oof: pd.DataFrame) -> pd.DataFrame:
    """Metrics of each (repeat, fold) group of an OOF frame.

    Returns
    -------
    pandas.DataFrame
        Columns ``repeat, fold, n`` and one column per metric.
    """
    rows = []
    for (rep, fold), grp in oof.groupby(["repeat", "fold"], sort=True):
        rows.append({"repeat": int(rep), "fold": int(fold), "n": len(grp),
                     **score(grp["y_true"].to_numpy(), grp["y_pred"].to_numpy())})
    frame = pd.DataFrame(rows)
    return frame[["repeat", "fold", "n", *(m for m in metric_names() if m in frame.columns)]]


def summarise_oof(oof: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Summarise OOF predictions: pooled, per-fold mean and std of each metric.

    Parameters
    ----------
    oof : pandas.DataFrame
        Columns ``source_id, repeat, fold, y_true, y_pred``.

    Returns
    -------
    metrics : dict
        ``{metric: {"value", "pooled", "mean", "std", "n"}}``; ``value`` is the
        pooled figure (see module docstring).
    per_fold : pandas.DataFrame
        As :func:`per_fold_metrics`.
    """
    folds = per_fold_metrics(oof)
    pooled_by_repeat = [
        score(g["y_true"].to_numpy(), g["y_pred"].to_numpy()) for _, g in oof.groupby("repeat", sort=True)
    ]
    out = {}
    for name in metric_names():
        if name not in folds.columns or folds[name].isna().all():
            continue
        pooled = float(np.mean([p[name] for p in pooled_by_repeat]))
        out[name] = _summary(folds[name].tolist(), pooled, "oof")
    return out, folds


def summarise_jobs(job_metrics: list[dict[str, float]], pooled: dict[str, float] | None = None,
                   names: tuple[str, ...] | None = None) -> dict:
    """Summarise per-job metric dicts (headline: the mean over jobs, or ``pooled`` if given).

    ``names``: the metrics to summarise; default every metric of the table, in its order.
    """
    out = {}
    for name in metric_names() if names is None else names:
        vals = [m[name] for m in job_metrics if m.get(name) is not None]
        if not vals:
            continue
        s = _summary(vals, None, "jobs")
        s["pooled"] = None if pooled is None else _clean(pooled.get(name))
        out[name] = s
    return out


def _fold_map(oof: pd.DataFrame) -> pd.Series | None:
    """star -> fold, or None when a star sits in different folds across repeats."""
    pairs = oof[["source_id", "fold"]].drop_duplicates()
    if pairs["source_id"].duplicated().any():
        return None
    return pairs.set_index("source_id")["fold"]


def paired_comparison(oof: pd.DataFrame, reference_oof: pd.DataFrame, *, reference: str,
                      metrics: tuple[str, ...] = ("rmse", "mae")) -> dict:
    """Fold-wise paired comparison of a model against a reference on identical folds.

    The folds are identical when every star of the model's OOF predictions
    sits in the same fold as in the reference and each compared fold holds
    exactly the same stars.  Per-fold metrics of several repeats are averaged
    per fold before pairing.  Tests: two-sided Wilcoxon signed-rank
    (:func:`scipy.stats.wilcoxon`) and paired t-test
    (:func:`scipy.stats.ttest_rel`) over folds.

    Returns
    -------
    dict
        ``{"reference", "comparable", "reason", "n_folds", "folds", "test",
        <metric>: {"model", "reference", "diff", "mean_diff", "n_better",
        "wilcoxon_p", "ttest_p"}}``.  ``comparable`` is False (with a
        ``reason``) when the folds differ.
    """
    from scipy import stats

    out: dict = {"reference": reference, "comparable": False, "reason": None}
    mine, theirs = _fold_map(oof), _fold_map(reference_oof)
    if mine is None or theirs is None:
        out["reason"] = "stars change fold between repeats: not a predefined-fold protocol"
        return out
    unknown = mine.index.difference(theirs.index)
    if len(unknown):
        out["reason"] = f"{len(unknown)} star(s) not in the reference (e.g. {unknown[0]})"
        return out
    if not (theirs.loc[mine.index].to_numpy() == mine.to_numpy()).all():
        out["reason"] = "fold assignment differs from the reference"
        return out
    folds = sorted(mine.unique().tolist())
    for f in folds:
        if (mine == f).sum() != (theirs == f).sum():
            out["reason"] = f"fold {f} is incomplete (not all of the reference's stars predicted)"
            return out
    a = per_fold_metrics(oof).groupby("fold")[list(metrics)].mean().loc[folds]
    b = per_fold_metrics(reference_oof).groupby("fold")[list(metrics)].mean().loc[folds]
    out.update(comparable=True, n_folds=len(folds), folds=[int(f) for f in folds],
               test="two-sided Wilcoxon signed-rank and paired t-test over folds (scipy.stats)")
    for name in metrics:
        x, y = a[name].to_numpy(), b[name].to_numpy()
        d = x - y
        w_p = t_p = None
        if len(d) >= 2 and np.any(d != 0):
            w_p = _clean(stats.wilcoxon(x, y).pvalue)
            t_p = _clean(stats.ttest_rel(x, y).pvalue)
        out[name] = {
            "model": x.tolist(),
            "reference": y.tolist(),
            "diff": d.tolist(),
            "mean_diff": float(d.mean()),
            "n_better": int((d < 0).sum()),
            "wilcoxon_p": w_p,
            "ttest_p": t_p,
        }
    return out


def _mean_predictor_rmse(oof: pd.DataFrame) -> dict[tuple[int, int], float]:
    """Per (repeat, fold): the RMSE of predicting the mean target of the rest of that repeat.

    With k-fold protocols the rest of a repeat is the fold's training set, so
    this is what predicting the training mean scores (for stores whose job
    records predate ``mean_predictor_rmse``).
    """
    out = {}
    for rep, part in oof.groupby("repeat"):
        for fold, grp in part.groupby("fold"):
            rest = part.loc[part["fold"] != fold, "y_true"]
            out[(int(rep), int(fold))] = float(np.sqrt(np.mean((grp["y_true"] - rest.mean()) ** 2)))
    return out


def row_flags(jobs, oof: pd.DataFrame, per_fold: pd.DataFrame, cap: int | None = None,
              splits: str = "folds", stop_unknown: int | None = None) -> tuple[list[str], dict]:
    """Warnings on a row: folds whose training hit the budget cap, no better than the mean predictor, or collapsed.

    A fold trained by epochs whose record has no ``stop_reason`` (a store
    written before the stop reason was recorded) counts as ``stop_unknown``:
    whether it converged cannot be told, which the row says rather than show
    no cap flag.  ``cap`` and ``stop_unknown`` given (a carried row) replace
    the counts from ``jobs``.  ``splits`` names the splits in the text
    ("folds", or "resamples" under the archive's protocols).
    """
    n = len(per_fold)
    if cap is None:
        cap = sum(1 for j in jobs if j.record.get("stop_reason") == "cap")
    if stop_unknown is None:
        stop_unknown = sum(1 for j in jobs if j.record.get("epochs") is not None and not j.record.get("stop_reason"))
    baseline = _mean_predictor_rmse(oof)
    recorded = {(j.repeat, j.fold): j.record.get("mean_predictor_rmse") for j in jobs}
    worse = 0
    for rec in per_fold.to_dict(orient="records"):
        key = (int(rec["repeat"]), int(rec["fold"]))
        ref = recorded.get(key) if recorded.get(key) is not None else baseline.get(key)
        if ref is not None and rec["rmse"] >= ref:
            worse += 1
    collapsed = _collapsed_folds(oof)
    flags = []
    if cap:
        flags.append(f"{cap} of {n} {splits} stopped at the budget cap (not converged)")
    if stop_unknown:
        flags.append(f"{stop_unknown} of {n} {splits} have no recorded stop reason (trained before it was "
                     "recorded): whether they converged or stopped at the budget cap is unknown")
    if worse:
        flags.append(f"{worse} of {n} {splits} no better than predicting the training mean")
    if collapsed:
        flags.append(f"{collapsed} of {n} {splits} collapsed to a near-constant prediction (the predictions' "
                     f"spread below {COLLAPSE_RATIO:.0%} of the targets')")
    return flags, {"folds_at_cap": cap, "folds_stop_unknown": stop_unknown, "folds_worse_than_mean": worse,
                   "folds_collapsed": collapsed}


#: A fold whose out-of-fold predictions vary by less than this fraction of its targets' standard
#: deviation has collapsed to (nearly) one value, whatever its RMSE says.
COLLAPSE_RATIO = 0.1


def _collapsed_folds(oof: pd.DataFrame) -> int:
    """How many (repeat, fold) splits of ``oof`` predict nearly one value (see :data:`COLLAPSE_RATIO`).

    A network that has collapsed onto the training mean can still score just
    above the mean predictor (R² of a few per cent), so the comparison with
    the mean predictor alone misses it.
    """
    if oof is None or not len(oof) or not {"repeat", "fold", "y_true", "y_pred"} <= set(oof.columns):
        return 0
    n = 0
    for _, part in oof.groupby(["repeat", "fold"]):
        spread_true = float(np.std(part["y_true"].to_numpy()))
        if len(part) > 1 and spread_true > 0 and float(np.std(part["y_pred"].to_numpy())) < COLLAPSE_RATIO * spread_true:
            n += 1
    return n

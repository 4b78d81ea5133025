"""The TSER archive's published results as reference rows (Guijo-Rubio et al. 2024, through tsml-eval).

tsml-eval publishes, per experiment, one file per regressor
(``<experiment>/<Regressor>_rmse.csv``): a header ``folds:,0,1,...`` and one
row per archive dataset with its test RMSE on each resample.  Resample 0 is
the archive's TRAIN/TEST split and resample ``r`` tsml-eval's reshuffle with
``random_state=r``: exactly tserbench's ``--folds fixed`` and
``--folds resamples:N`` (:class:`~tserbench.evaluation.splitters.ArchiveResamples`),
so a harness row is paired with a published one resample by resample.

The files are public data, read from the data home (``tserbench datasets
fetch tsml-eval-tser-results``) and verified against the manifest
``datasets/tsml_eval_tser_results.json`` before use.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from tserbench.data._manifest import load_manifest, verify_sha256
from tserbench.exceptions import DataError

__all__ = ["MANIFEST", "archive_name", "experiments", "read_experiment", "read_published", "resample_rmse",
           "published_rows", "paired_by_resample", "within_spread"]

MANIFEST = "tsml_eval_tser_results.json"
KIND = "published-resamples"


def _manifest() -> dict:
    return load_manifest(MANIFEST)


ARCHIVE_MANIFEST = "tser_archive.json"


def archive_name(dataset: str) -> str | None:
    """The archive's name of a tserbench dataset, or None.

    The mapping ``archive_names`` of the results manifest first
    (``covid3month`` -> ``Covid3Month``), then an exact or case-insensitive
    match against the TSER archive's datasets (``datasets/tser_archive.json``),
    so an archive dataset run by name (``--dataset appliancesenergy``) or by
    path (``--dataset path/AppliancesEnergy_TRAIN.ts``, named after the file)
    gets its published rows.
    """
    if not isinstance(dataset, str):
        return None
    mapped = (_manifest().get("archive_names") or {}).get(dataset)
    if mapped is not None:
        return mapped
    names = [e["name"] for e in load_manifest(ARCHIVE_MANIFEST)["datasets"]]
    if dataset in names:
        return dataset
    folded = {n.casefold(): n for n in names}
    return folded.get(dataset.casefold())


def n_resamples_of(protocol: str) -> int | None:
    """1 for ``fixed``, N for ``resamples:N``, None for any other protocol."""
    if protocol == "fixed":
        return 1
    if isinstance(protocol, str) and protocol.startswith("resamples:"):
        return int(protocol.split(":", 1)[1])
    return None


def experiments() -> list[str]:
    """The experiments the manifest publishes (``5.A.1``, ``5.A.2``, ``5.B``, ``5.C``), in manifest order."""
    return list(dict.fromkeys(entry["name"].split("/", 1)[0] for entry in _manifest()["files"]))


def _folder(data_home) -> Path:
    from tserbench._config import data_home as default_home

    folder = Path(data_home if data_home is not None else default_home()) / _manifest()["directory"]
    if not folder.is_dir():
        raise DataError("the archive's published results are not in the data home "
                        "(tserbench datasets fetch tsml-eval-tser-results)", folder)
    return folder


def read_experiment(experiment: str, data_home: str | os.PathLike | None = None) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Every regressor's published test RMSE per dataset and resample in one experiment.

    Parameters
    ----------
    experiment : str
        One of :func:`experiments` (e.g. ``"5.B"``).
    data_home : path-like, optional
        Where the files are (default: :func:`tserbench._config.data_home`).

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        ``{regressor: frame}``, the frame indexed by the archive's dataset
        name, one float column per resample (``0, 1, ...``); a blank cell is NaN.
    files : list of dict
        The manifest entries (``name``, ``sha256``, ...) of the files read.

    Raises
    ------
    ConfigError
        If ``experiment`` is not one the manifest publishes.
    DataError
        If the data home lacks the files, one does not match its checksum,
        or one holds a value that is not a number.
    """
    from tserbench.exceptions import ConfigError

    known = experiments()
    if experiment not in known:
        raise ConfigError(f"unknown experiment {experiment!r}: the archive publishes {', '.join(known)}")
    folder = _folder(data_home)
    entries = [e for e in _manifest()["files"] if e["name"].split("/", 1)[0] == experiment]
    tables: dict[str, pd.DataFrame] = {}
    for entry in entries:
        path = folder / entry["name"]
        if not path.is_file():
            raise DataError("a published file is missing (tserbench datasets fetch tsml-eval-tser-results)", path)
        verify_sha256(path, entry["sha256"])
        with open(path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r]
        index, values = [], []
        for row in rows[1:]:
            try:
                values.append([float(v) if v.strip() else math.nan for v in row[1:]])
            except ValueError:
                raise DataError(f"{row[0]}: a value that is not a number", path) from None
            index.append(row[0])
        width = max((len(v) for v in values), default=0)
        frame = pd.DataFrame([v + [math.nan] * (width - len(v)) for v in values], index=index,
                             columns=list(range(width)), dtype=float)
        frame[~np.isfinite(frame)] = np.nan
        tables[entry["name"].split("/", 1)[1].rsplit("_rmse.csv", 1)[0]] = frame
    return tables, entries


def read_published(dataset: str, data_home: str | os.PathLike | None = None) -> dict[str, dict]:
    """Each published regressor's RMSE per resample on ``dataset``.

    A regressor published in several experiments (the same runs, e.g. ROCKET
    in 5.A.1 with 5 resamples and in 5.A.2 with 30) is taken from the file
    with the most resamples.

    Returns
    -------
    dict
        ``{regressor: {"experiment": str, "file": str, "rmse": [float, ...]}}``;
        empty when the dataset is not an archive dataset.

    Raises
    ------
    DataError
        If the files are not in the data home, or one does not match its checksum.
    """
    name = archive_name(dataset)
    if name is None:
        return {}
    manifest = _manifest()
    folder = _folder(data_home)
    out: dict[str, dict] = {}
    for entry in manifest["files"]:
        path = folder / entry["name"]
        if not path.is_file():
            continue
        verify_sha256(path, entry["sha256"])
        experiment, stem = entry["name"].split("/", 1)
        regressor = stem.rsplit("_rmse.csv", 1)[0]
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
        for row in rows[1:]:
            # some 5.A files spell PPGDalia_eq as PPGDalia-eq
            if row and row[0].replace("-", "_") == name:
                try:
                    values = [float(v) for v in row[1:] if v.strip()]
                except ValueError:
                    raise DataError(f"{name}: a value that is not a number", path) from None
                if not values or not all(math.isfinite(v) for v in values):
                    raise DataError(f"{name}: no finite RMSE", path)
                if regressor not in out or len(values) > len(out[regressor]["rmse"]):
                    out[regressor] = {"experiment": experiment, "file": entry["name"], "rmse": values}
    if not out:
        raise DataError(f"no published result for {name} in the data home", folder)
    return out


def resample_rmse(oof: pd.DataFrame) -> dict[int, float]:
    """Test RMSE of each resample (``repeat``) of an archive-protocol OOF frame."""
    return {int(r): float(np.sqrt(np.mean((g["y_true"] - g["y_pred"]) ** 2))) for r, g in oof.groupby("repeat")}


def paired_by_resample(mine: dict[int, float], theirs: list[float], *, reference: str) -> dict:
    """Resample-by-resample comparison of a harness row's RMSE with a published one.

    Tests as :func:`~tserbench.leaderboard._aggregate.paired_comparison`:
    two-sided Wilcoxon signed-rank and paired t-test over the resamples both
    have (none for a single resample).
    """
    from scipy import stats

    common = [r for r in sorted(mine) if r < len(theirs)]
    out: dict = {"reference": reference, "comparable": bool(common), "reason": None if common else
                 "no resample in common", "n_folds": len(common), "folds": common,
                 "test": "two-sided Wilcoxon signed-rank and paired t-test over resamples (scipy.stats)"}
    if not common:
        return out
    x = np.array([mine[r] for r in common])
    y = np.array([theirs[r] for r in common])
    d = x - y
    # differences below 1e-6 of the RMSE are floating-point noise (the same model on the same
    # split, e.g. ROCKET against its published runs): no test is run on them
    d[np.abs(d) <= 1e-6 * np.abs(y)] = 0.0
    w_p = t_p = None
    if len(d) >= 2 and np.any(d != 0):
        w_p = float(stats.wilcoxon(d).pvalue)
        if np.std(d) > 1e-6 * np.abs(y).max():  # a constant difference has no t statistic
            t_p = float(stats.ttest_1samp(d, 0.0).pvalue)
    out["rmse"] = {"model": x.tolist(), "reference": y.tolist(), "diff": d.tolist(), "mean_diff": float(d.mean()),
                   "n_better": int((d < 0).sum()), "wilcoxon_p": w_p, "ttest_p": t_p}
    out["spread"] = within_spread(x, y)
    return out


def within_spread(mine, theirs, k: float = 2.0) -> dict:
    """Whether a harness row's mean RMSE lies within the published resamples' spread.

    The spread is the published mean ± ``k`` sample standard deviations over
    the resamples both have (for one resample, no spread: ``within`` is None).
    This is the comparison an archive leaderboard states for "tserbench's FCN
    lands where the published FCN does": a different training run of the same
    architecture on the same splits should fall inside the scatter the
    published runs show from resample to resample.
    """
    mine, theirs = np.asarray(mine, dtype=float), np.asarray(theirs, dtype=float)
    out = {"rule": f"model mean within published mean ± {k:g} sample SD over the common resamples", "k": k,
           "model_mean": float(mine.mean()), "published_mean": float(theirs.mean()), "published_sd": None,
           "low": None, "high": None, "within": None}
    if len(theirs) >= 2:
        sd = float(np.std(theirs, ddof=1))
        out.update(published_sd=sd, low=out["published_mean"] - k * sd, high=out["published_mean"] + k * sd)
        out["within"] = bool(out["low"] <= out["model_mean"] <= out["high"])
    return out


def published_rows(dataset: str, protocol: str, data_home=None) -> list[dict]:
    """The archive's published rows for a leaderboard of ``dataset`` under ``protocol``.

    Each row's figure is the mean ± sample SD over the resamples the leaderboard's
    protocol runs (all the published ones when there are fewer), and
    ``resample0`` is the fixed split's value.  Empty for a dataset outside
    the archive or a protocol that is not the archive's.
    """
    n = n_resamples_of(protocol)
    if n is None or archive_name(dataset) is None:
        return []
    manifest = _manifest()
    rows = []
    for regressor, pub in sorted(read_published(dataset, data_home).items()):
        values = pub["rmse"][:n]
        rows.append({
            "model": f"{regressor} (published)",
            "kind": KIND,
            "selection": None,
            "dataset": dataset,
            "protocol": protocol,
            "rank": None,
            # mean and std over the resamples as for a harness row (std: sample SD, ddof=1)
            "val": {"rmse": {"value": float(np.mean(values)), "mean": float(np.mean(values)),
                             "std": float(np.std(values, ddof=1)) if len(values) > 1 else None, "n": len(values)}},
            "resample0": pub["rmse"][0],
            "per_resample": values,
            "n_folds": len(values),
            "published_resamples": len(pub["rmse"]),
            "source": f"{manifest['citation']}; tsml-eval @ {manifest['upstream']['commit'][:8]}, "
                      f"{manifest['upstream']['path']}/{pub['file']}",
            "note": f"test RMSE per resample as published ({len(pub['rmse'])} resamples; "
                    f"mean ± SD over the first {len(values)}; resample 0: {pub['rmse'][0]:.4f})",
            "published_rmse": pub["rmse"],
        })
    return rows

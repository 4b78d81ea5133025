"""Scores tables for :mod:`tserbench.leaderboard.ranking` and the files ``tserbench rank`` writes.

Two sources of scores (test RMSE, lower is better), one row per archive
dataset, one column per method:

* the archive's published results (:func:`published_scores`): per dataset
  and regressor of one experiment, the mean test RMSE over its resamples;
* tserbench leaderboards of archive datasets run under the archive's
  protocol, ``fixed`` or ``resamples:N`` (:func:`leaderboard_scores`): per
  harness row, the mean over its resamples of the test RMSE of each resample,
  recomputed from the row's ``oof/<model>.csv``; joined to the published
  regressors on the same resamples (resample ``r`` is the same split in both,
  see :mod:`tserbench.leaderboard.archive`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tserbench import _io
from tserbench.exceptions import ConfigError, DataError
from tserbench.leaderboard import archive, ranking

__all__ = ["DEFAULT_EXPERIMENT", "HARNESS_SUFFIX", "Harness", "published_scores", "leaderboard_scores",
           "build_ranking", "to_markdown"]

DEFAULT_EXPERIMENT = "5.B"
#: appended to a harness row's model name in a ranking, beside the published regressors
HARNESS_SUFFIX = " (tserbench)"


def published_scores(experiment: str = DEFAULT_EXPERIMENT, data_home=None) -> tuple[pd.DataFrame, dict, list[dict]]:
    """The published regressors' mean test RMSE over the resamples of one experiment.

    Returns
    -------
    scores : pandas.DataFrame
        Datasets (the archive's names, in the files' order) x regressors.
    per_resample : dict of str to pandas.DataFrame
        ``{regressor: datasets x resamples}``, as published.
    files : list of dict
        The manifest entries of the files read (name, sha256, ...).
    """
    tables, files = archive.read_experiment(experiment, data_home)
    index = list(dict.fromkeys(d for t in tables.values() for d in t.index))
    # a dataset with a blank resample has no mean: NaN, dropped by the ranking
    scores = pd.DataFrame({r: t.mean(axis=1, skipna=False) for r, t in tables.items()}).reindex(index)
    return scores, tables, files


@dataclass
class Harness:
    """Harness rows of archive leaderboards, as a scores table beside the published one."""

    scores: pd.DataFrame  # archive datasets x harness methods (mean RMSE over their resamples)
    resamples: dict[str, list[int]]  # per archive dataset: the resamples its leaderboard ran
    boards: list[dict] = field(default_factory=list)  # what was read from each leaderboard
    notes: list[str] = field(default_factory=list)


def _read_doc(folder: Path) -> dict:
    path = folder / "leaderboard.json"
    if not path.is_file():
        raise DataError("not a leaderboard folder (no leaderboard.json)", folder)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"not a readable leaderboard ({exc})", path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise DataError("not a leaderboard (no rows)", path)
    return doc


def leaderboard_scores(folders, published_datasets) -> Harness:
    """The harness rows of leaderboards of archive datasets, one column per row.

    Parameters
    ----------
    folders : sequence of path-like
        Leaderboard folders (``leaderboard.json`` and ``oof/``), each of an
        archive dataset under ``fixed`` or ``resamples:N``.
    published_datasets : collection of str
        The archive's dataset names in the chosen experiment.

    Returns
    -------
    Harness

    Raises
    ------
    ConfigError
        A leaderboard of another protocol or of a dataset the experiment does
        not publish; two leaderboards of one dataset under different
        protocols; one model twice on one dataset.
    DataError
        A folder that is not a readable leaderboard, or a missing or damaged
        OOF file.
    """
    from tserbench.leaderboard._results import read_board

    published_datasets = set(published_datasets)
    values: dict[str, dict[str, float]] = {}  # method -> dataset -> score
    resamples: dict[str, list[int]] = {}
    protocols: dict[str, tuple[str, Path]] = {}
    boards, notes = [], []
    for folder in map(Path, folders):
        doc = _read_doc(folder)
        dataset, protocol = str(doc.get("dataset")), str(doc.get("protocol"))
        n = archive.n_resamples_of(protocol)
        if n is None:
            raise ConfigError(f"{folder}: protocol {protocol!r} is not the archive's (fixed or resamples:N), "
                              "so its rows do not pair with the published results")
        # a .ts pair from the archive keeps the archive's name; a registry dataset is mapped by the manifest
        name = archive.archive_name(dataset) or dataset
        if name not in published_datasets:
            raise ConfigError(f"{folder}: dataset {dataset!r} is not among the datasets of the chosen experiment")
        if name in protocols and protocols[name][0] != protocol:
            raise ConfigError(f"{folder} ({protocol}) and {protocols[name][1]} ({protocols[name][0]}) rank {name} "
                              "on different resamples: give leaderboards of one protocol per dataset")
        protocols[name] = (protocol, folder)
        resamples[name] = list(range(n))
        board = read_board(folder)
        used, skipped = [], []
        for row in board.rows:
            if (row.get("selection") or "inner") != "inner":
                skipped.append(row["model"])  # selected on the test resample: optimistic, unranked
                continue
            per = archive.resample_rmse(board.oof[row["model"]])
            if sorted(per) != list(range(n)):
                raise DataError(f"row {row['model']}: resamples {sorted(per)} for protocol {protocol}",
                                folder / "oof" / f"{row['model']}.csv")
            method = row["model"] + HARNESS_SUFFIX
            if name in values.setdefault(method, {}):
                raise ConfigError(f"{folder}: model {row['model']} on {name} is in two leaderboards")
            values[method][name] = float(np.mean([per[r] for r in range(n)]))
            used.append({"model": row["model"], "method": method, "per_resample_rmse": [per[r] for r in range(n)],
                         "mean_rmse": values[method][name]})
        if skipped:
            notes.append(f"{folder}: {', '.join(skipped)} left out: selected on the test resample (the leaderboard "
                         "does not rank them either)")
        boards.append({"path": str(folder), "dataset": dataset, "archive_name": name, "protocol": protocol,
                       "generated_by": doc.get("generated_by"), "rows": used})
    scores = pd.DataFrame(values, dtype=float).reindex(sorted({d for v in values.values() for d in v}))
    return Harness(scores=scores, resamples=resamples, boards=boards, notes=notes)


def _with_harness(harness: Harness, tables: dict[str, pd.DataFrame], alpha: float) -> tuple[dict | None, dict]:
    """The ranking of the published regressors and the harness rows on the datasets the harness rows cover."""
    info: dict = {"left_out": [], "notes": list(harness.notes)}
    counts = harness.scores.notna().sum(axis=0)
    keep = [m for m in harness.scores.columns if counts[m] >= 2]
    for m in harness.scores.columns:
        if counts[m] < 2:
            info["left_out"].append({"method": m, "n_datasets": int(counts[m]),
                                     "reason": "a ranking needs two datasets or more; this row covers "
                                               f"{int(counts[m])}"})
    if not keep:
        info["notes"].append("no harness row covers two archive datasets: only the published ranking is given")
        return None, info
    datasets = [d for d in harness.scores.index if harness.scores.loc[d, keep].notna().any()]
    width = min(t.shape[1] for t in tables.values())
    for d in datasets:
        if len(harness.resamples[d]) > width:
            raise ConfigError(f"{d}: the leaderboard ran {len(harness.resamples[d])} resamples, the experiment "
                              f"publishes {width}: no published score on the same resamples")
    # the published regressors on the resamples each dataset's leaderboard ran (the first N of the experiment)
    published = pd.DataFrame({r: [float(t.loc[d, harness.resamples[d]].mean(skipna=False)) for d in datasets]
                              for r, t in tables.items()}, index=datasets)
    table = pd.concat([published, harness.scores.loc[datasets, keep]], axis=1)
    try:
        result = ranking.rank_table(table, alpha=alpha)
    except ConfigError as exc:
        info["notes"].append(f"no ranking with the harness rows: {exc}")
        return None, info
    result["harness_methods"] = keep
    result["resamples"] = {d: harness.resamples[d] for d in result["datasets"]}
    n = result["n_datasets"]
    info["notes"].append(
        f"harness rows ranked with the published regressors on the {n} dataset(s) they all cover; each published "
        f"score there is the mean over the same resamples as the leaderboard's. On {n} datasets the smallest "
        f"two-sided Wilcoxon p-value possible is {result['min_wilcoxon_p']:.3g} (2 / 2^{n})"
        + (f", so no pair can differ at α = {alpha:g}" if result["min_wilcoxon_p"] > alpha else ""))
    return result, info


def build_ranking(leaderboards, out_dir: str | os.PathLike, *, experiment: str = DEFAULT_EXPERIMENT,
                  alpha: float = 0.05, data_home=None, generated_by: str | None = None) -> Path:
    """Rank the published regressors (and harness rows of archive leaderboards) and write the files.

    Writes, atomically, into ``out_dir``: ``ranking.json`` (every number:
    scores, per-dataset ranks, average ranks, the Friedman test, the pairwise
    tests, cliques, the command, the published files' sha256),
    ``ranking.md``, ``cd.png`` and ``cd.svg``; with harness rows, ``cd.*`` is
    the ranking with them and ``cd-published.*`` the published regressors'
    on all datasets of the experiment.

    Parameters
    ----------
    leaderboards : sequence of path-like
        Leaderboard folders of archive datasets; empty: the published regressors alone.
    out_dir : path-like
        Destination folder, created if needed.
    experiment : str, default="5.B"
        The archive's experiment whose published results are used.
    alpha : float, default=0.05
        Significance level.
    data_home : path-like, optional
        Where the published files are (default: ``$TSERBENCH_DATA``).
    generated_by : str, optional
        The command recorded; default: the equivalent ``tserbench rank`` command.

    Returns
    -------
    pathlib.Path
        The path of ``ranking.json``.
    """
    import shlex

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: not a folder")
    if generated_by is None:
        generated_by = shlex.join(["tserbench", "rank", *map(str, leaderboards), "-o", str(out_dir),
                                   "--experiment", experiment, "--alpha", f"{alpha:g}"])
    scores, tables, files = published_scores(experiment, data_home)
    n_resamples = sorted({t.shape[1] for t in tables.values()})
    published = ranking.rank_table(scores, alpha=alpha)
    harness_result, info = None, {"left_out": [], "notes": []}
    harness = None
    if leaderboards:
        harness = leaderboard_scores(leaderboards, set(scores.index))
        harness_result, info = _with_harness(harness, tables, alpha)
    manifest = archive._manifest()
    doc = {
        "generated_by": generated_by,
        "experiment": experiment,
        "alpha": alpha,
        "score": (f"test RMSE; a published regressor's score on a dataset is the mean over the experiment's "
                  f"{'/'.join(map(str, n_resamples))} resamples; a harness row's, the mean over its resamples of "
                  "each resample's RMSE (from its oof/ file)"),
        "tests": ranking.TESTS,
        "source": {"citation": manifest["citation"], "upstream": manifest["upstream"],
                   "files": [{"name": f["name"], "sha256": f["sha256"]} for f in files]},
        "published": published,
        "with_harness": harness_result,
        "leaderboards": harness.boards if harness else [],
        "left_out": info["left_out"],
        "notes": info["notes"] + ([f"{len(published['dropped_datasets'])} dataset(s) dropped from the published "
                                   f"ranking for a missing score: {', '.join(published['dropped_datasets'])}"]
                                  if published["dropped_datasets"] else []),
        "figures": {"cd.png": "with_harness" if harness_result else "published"},
    }
    main = harness_result or published
    title = f"TSER archive, experiment {experiment}" + (" with tserbench rows" if harness_result else "")
    ranking.plot_critical_difference(main, out_dir / "cd.png", title=title,
                                     highlight=set(main.get("harness_methods", [])))
    if harness_result:
        ranking.plot_critical_difference(published, out_dir / "cd-published.png",
                                         title=f"TSER archive, experiment {experiment}: published regressors")
        doc["figures"]["cd-published.png"] = "published"
    _io.atomic_write_text(out_dir / "ranking.md", to_markdown(doc))
    return _io.atomic_write_json(out_dir / "ranking.json", doc)


def _letters(result: dict) -> dict[str, str]:
    """Each method's cliques as letters (a for the first clique, ...), for tables."""
    out = {m: "" for m in result["methods"]}
    for i, clique in enumerate(result["cliques"]):
        letter = chr(ord("a") + i) if i < 26 else f"[{i + 1}]"
        for m in clique:
            out[m] += letter
    return out


def _section(result: dict, heading: str, figure: str) -> list[str]:
    fr = result["friedman"]
    letters = _letters(result)
    harness = set(result.get("harness_methods", []))
    lines = [f"## {heading}", "",
             f"{result['n_datasets']} datasets, {result['n_methods']} methods. "
             + ("Friedman test: " + (f"χ² = {fr['statistic']:.4g}, p = {fr['p']:.3g}" if fr["p"] is not None
                                     else fr.get("note", "not run")) + f" (α = {result['alpha']:g})."),
             ""]
    if result["dropped_datasets"]:
        lines += [f"{len(result['dropped_datasets'])} dataset(s) dropped for a missing score: "
                  f"{', '.join(result['dropped_datasets'])}.", ""]
    lines += [f"![critical-difference diagram]({figure})", "",
              "| # | method | average rank | cliques |", "|---:|---|---:|---|"]
    for i, m in enumerate(result["methods"], 1):
        name = f"**{m}**" if m in harness else m
        lines.append(f"| {i} | {name} | {result['average_ranks'][m]:.3f} | {letters[m] or '—'} |")
    lines += ["", f"Cliques (no significant difference within; {result['post_hoc']}):", ""]
    for i, clique in enumerate(result["cliques"]):
        lines.append(f"- {chr(ord('a') + i) if i < 26 else i + 1}: {', '.join(clique)}")
    if not result["cliques"]:
        lines.append("- none: every method differs from its neighbours in rank")
    sig = [p for p in result["pairwise"] if p["significant"]]
    lines += ["", f"{len(sig)} of {len(result['pairwise'])} pairs differ significantly.", "",
              "<details><summary>pairwise tests</summary>", "",
              "| a | b | a better on | b better on | Wilcoxon p | Holm p | significant |",
              "|---|---|---:|---:|---:|---:|---|"]
    for p in result["pairwise"]:
        lines.append(f"| {p['a']} | {p['b']} | {p['n_a_better']} | {p['n_b_better']} | {p['wilcoxon_p']:.3g} | "
                     f"{p['holm_p']:.3g} | {'yes' if p['significant'] else 'no'} |")
    lines += ["", "</details>", ""]
    return lines


def to_markdown(doc: dict) -> str:
    """``ranking.md``: average ranks, Friedman p, cliques, the CD figures and the command."""
    lines = [f"# Ranking across the TSER archive's datasets (experiment {doc['experiment']})", "",
             f"Generated by `{doc['generated_by']}`.", "",
             f"Score: {doc['score']}. Tests: {doc['tests']}; cliques are the runs of methods, adjacent in average "
             "rank, within which no pair differs (aeon's convention; tserbench/leaderboard/ranking.py says where "
             "it departs from aeon).", "",
             f"Published results: {doc['source']['citation']}; tsml-eval @ {doc['source']['upstream']['commit'][:8]} "
             f"({len(doc['source']['files'])} files, sha256 in ranking.json).", ""]
    for note in doc["notes"]:
        lines += [f"- {note}"]
    for item in doc["left_out"]:
        lines += [f"- {item['method']} left out: {item['reason']}"]
    if doc["notes"] or doc["left_out"]:
        lines.append("")
    if doc["with_harness"]:
        lines += _section(doc["with_harness"], "Published regressors and tserbench rows", "cd.png")
        lines += _section(doc["published"], "Published regressors, all datasets", "cd-published.png")
    else:
        lines += _section(doc["published"], "Published regressors", "cd.png")
    return "\n".join(lines).rstrip() + "\n"

"""The cells every rendering of a leaderboard shares: numbers, labels, table rows.

Markdown (:mod:`~tserbench.leaderboard._render`), HTML
(:mod:`~tserbench.leaderboard._html`), the terminal (``tserbench run`` and
``tserbench leaderboard``) and the figures take their column names and cells
from here, so a statistic is named the same everywhere: ``val <metric>
(pooled)`` is the headline (the metric over every out-of-fold prediction of
a repeat at once, ``value``/``pooled`` in ``leaderboard.json``) and
``fold <metric> mean ± SD`` the mean and *sample* standard deviation
(ddof=1) of the per-fold values (``mean``/``std``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["KIND_LABELS", "MAIN_HEADER", "fmt", "main_rows", "main_table_cells", "mean_sd_cell", "metric", "other_rows",
           "pooled_label", "spread_label"]

KIND_LABELS = {
    "harness": "harness",  # any model tserbench trained and scored, a plug-in included
    "published-oof": "published OOF (DG22, re-scored)",
    "paper-reported": "paper-reported (quoted)",
    "published-resamples": "published resamples (archive)",
}


def fmt(x, digits: int = 4) -> str:
    """Format a number for a table ('—' for missing)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}f}"


def fmt_p(p) -> str:
    """Format a p-value."""
    if p is None:
        return "—"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def metric(row: dict, part: str, name: str, key: str = "value"):
    """One number of a row (None if absent)."""
    return (row.get(part) or {}).get(name, {}).get(key)


def main_rows(doc: dict) -> list[dict]:
    """Rows on the leaderboard's own dataset (ranked ones first)."""
    return [r for r in doc["rows"] if r["dataset"] == doc["dataset"]]


def other_rows(doc: dict) -> list[dict]:
    """Rows on other data sets (M24), never ranked with ours."""
    return [r for r in doc["rows"] if r["dataset"] != doc["dataset"]]


def mean_std(row: dict, part: str, name: str) -> str:
    """A row's per-split mean ± sample SD of one metric (:func:`mean_sd_cell`)."""
    return mean_sd_cell(metric(row, part, name, "mean"), metric(row, part, name, "std"))


#: Short names of the metrics in column labels.
METRIC_LABELS = {"rmse": "RMSE", "mae": "MAE", "r2": "R²", "medae": "MedAE", "wrmse": "wRMSE", "wmae": "wMAE"}


def pooled_label(name: str) -> str:
    """Column label of a metric's headline: ``val RMSE (pooled)`` (``value`` in leaderboard.json)."""
    return f"val {METRIC_LABELS.get(name, name)} (pooled)"


def spread_label(name: str, split: str = "fold") -> str:
    """Column label of a metric's per-split mean ± sample SD: ``fold RMSE mean ± SD`` (``mean``/``std``)."""
    return f"{split} {METRIC_LABELS.get(name, name)} mean ± SD"


def mean_sd_cell(mean: float | None, sd: float | None) -> str:
    """``0.1846 ± 0.0146`` (the mean alone when there is one split, '—' when there is none)."""
    if mean is None:
        return "—"
    return fmt(mean) if sd is None else f"{fmt(mean)} ± {fmt(sd)}"


MAIN_HEADER = ["rank", "model", "selection", "kind", *(pooled_label(m) for m in ("rmse", "mae", "r2", "medae")),
               spread_label("rmse"), "train RMSE", "folds", "fit s (sum)", "flags"]


def vocab(doc: dict):
    """The leaderboard's nouns (:mod:`~tserbench.leaderboard._vocabulary`), recorded or derived."""
    from tserbench.leaderboard._vocabulary import Vocabulary, vocabulary

    words = doc.get("vocabulary")
    return Vocabulary(**words) if words else vocabulary(doc.get("dataset"), doc.get("protocol"))


def main_header(doc: dict) -> list[str]:
    """:data:`MAIN_HEADER` in the leaderboard's words ("resample RMSE", "resamples" under the archive's protocols)."""
    v = vocab(doc)
    return [{spread_label("rmse"): spread_label("rmse", v.split), "folds": v.splits}.get(h, h) for h in MAIN_HEADER]


def n_splits(row: dict) -> int | None:
    """The number of splits a row was scored on: folds, or resamples (repeats of one split)."""
    if row.get("n_folds") == 1 and (row.get("n_repeats") or 0) > 1:
        return row["n_repeats"]
    return row.get("n_folds")


def splits_cell(row: dict) -> str:
    """The "folds" cell: ``5×2`` for 5 folds repeated twice (10 jobs), else the number of splits."""
    folds, repeats = row.get("n_folds"), row.get("n_repeats") or 0
    if folds and folds > 1 and repeats > 1:
        return f"{folds}×{repeats}"
    return fmt(n_splits(row))

#: How each selection protocol is shown next to a model's name.
SELECTION_LABELS = {
    "inner": "inner",
    "held-out": "held-out (test fold)",
}


def selection_label(row: dict) -> str:
    return SELECTION_LABELS.get(row.get("selection") or "", row.get("selection") or "—")


def main_table_cells(row: dict) -> list[str]:
    """Cells of the main table for one row."""
    fit = row.get("wall_seconds")
    fit_cell = f"(same runs as {row['trajectory_of']})" if row.get("trajectory_of") else fmt(fit, 1)
    return [
        fmt(row.get("rank")), row["model"], selection_label(row), KIND_LABELS[row["kind"]],
        fmt(metric(row, "val", "rmse")), fmt(metric(row, "val", "mae")), fmt(metric(row, "val", "r2")),
        fmt(metric(row, "val", "medae")), mean_std(row, "val", "rmse"), fmt(metric(row, "train", "rmse")),
        splits_cell(row), fit_cell, flag_cell(row),
    ]


def flag_cell(row: dict) -> str:
    """Short form of a row's warnings (the Flags section spells them out)."""
    n = row.get("n_jobs")
    parts = []
    if row.get("folds_at_cap"):
        parts.append(f"cap {row['folds_at_cap']}/{n}")
    if row.get("folds_stop_unknown"):
        parts.append(f"stop unrecorded {row['folds_stop_unknown']}/{n}")
    if row.get("folds_worse_than_mean"):
        parts.append(f"≤ mean {row['folds_worse_than_mean']}/{n}")
    if row.get("folds_collapsed"):
        parts.append(f"collapsed {row['folds_collapsed']}/{n}")
    return "; ".join(parts)


def paired_cells(doc: dict, key: str = "paired_vs_published") -> list[list[str]]:
    """Rows of a paired-test table: every row with a comparison under ``key``."""
    out = []
    for row in doc["rows"]:
        pc = row.get(key)
        if not pc:
            continue
        if not pc.get("comparable"):
            out.append([row["model"], pc["reference"], "—", f"not comparable: {pc['reason']}", "", "", "", "", "", ""])
            continue
        r, a = pc["rmse"], pc["mae"]
        out.append([row["model"], pc["reference"], str(pc["n_folds"]),
                    f"{r['mean_diff']:+.4f}", f"{r['n_better']}/{pc['n_folds']}", fmt_p(r["wilcoxon_p"]),
                    fmt_p(r["ttest_p"]), f"{a['mean_diff']:+.4f}", fmt_p(a["wilcoxon_p"]), fmt_p(a["ttest_p"])])
    return out


#: What each kind of row is (the notes under the ranking list the kinds present).
KIND_NOTES = {
    "harness": "**harness** = trained and scored by tserbench",
    "published-oof": "**published OOF** = DG22's own out-of-fold predictions re-scored by tserbench",
    "paper-reported": "**paper-reported** = figures quoted from the paper, not recomputed (unranked)",
    "published-resamples": "**published resamples** = the archive's published test RMSE per resample "
                           "(Guijo-Rubio et al. 2024, via tsml-eval), mean ± SD over the resamples this "
                           "leaderboard runs (unranked; only RMSE is published)",
}


def kinds_note(doc: dict, bold=lambda s: s) -> str:
    """One sentence naming the kinds of row the leaderboard shows."""
    present = list(dict.fromkeys(r["kind"] for r in doc["rows"] if r["kind"] in KIND_NOTES))
    return "Kinds: " + "; ".join(bold(KIND_NOTES[k]) for k in present) + "."


# Said under the paired comparison with DG22's published predictions, in Markdown and HTML.
PUBLISHED_SELECTION_NOTE = ("DG22's predictions were selected on the test folds (held-out), which flatters them: "
                            "a row selected on an inner split that beats them beats an optimistic number.")

PAIRED_HEADER = ["model", "reference", "folds", "Δ RMSE (mean)", "folds better", "Wilcoxon p",
                 "t-test p", "Δ MAE (mean)", "Wilcoxon p (MAE)", "t-test p (MAE)"]

ARCHIVE_HEADER = ["model", "published", "resamples", "model RMSE (mean)", "published RMSE (mean)",
                  "published mean ± 2 SD", "within", "Δ RMSE (mean)", "resamples better", "Wilcoxon p", "t-test p"]


def _archive_pairs_shown(row: dict) -> list[str]:
    """The published rows a harness row is shown against: the same regressor, then the best published one."""
    pcs = row.get("paired_vs_archive") or {}
    shown = [row["archive_same_regressor"]] if row.get("archive_same_regressor") in pcs else []
    comparable = {ref: pc for ref, pc in pcs.items() if pc.get("comparable")}
    if comparable:
        best = min(comparable, key=lambda ref: np.mean(comparable[ref]["rmse"]["reference"]))
        if best not in shown:
            shown.append(best)
    return shown or sorted(pcs)[:1]


def archive_cells(doc: dict) -> list[list[str]]:
    """Rows of the resample-by-resample table: each harness row against its own regressor's published row
    (``fcn`` against ``FCN``) and against the best published row; every other pairing is in
    ``leaderboard.json`` (``paired_vs_archive``)."""
    out = []
    for row in doc["rows"]:
        pcs = row.get("paired_vs_archive") or {}
        for ref in _archive_pairs_shown(row) if pcs else []:
            pc = pcs[ref]
            label = ref + (" — same regressor" if ref == row.get("archive_same_regressor") else " — best published")
            if not pc.get("comparable"):
                out.append([row["model"], label, "—", f"not comparable: {pc['reason']}", *[""] * 7])
                continue
            r, sp = pc["rmse"], pc.get("spread") or {}
            band = "—" if sp.get("low") is None else f"{fmt(sp['low'])} – {fmt(sp['high'])}"
            within = {True: "yes", False: "NO", None: "—"}[sp.get("within")]
            out.append([row["model"], label, str(pc["n_folds"]), fmt(float(np.mean(r["model"]))),
                        fmt(float(np.mean(r["reference"]))), band, within, f"{r['mean_diff']:+.4f}",
                        f"{r['n_better']}/{pc['n_folds']}", fmt_p(r["wilcoxon_p"]), fmt_p(r["ttest_p"])])
    return out


OPTIMISM_HEADER = ["fold", "RMSE, epoch picked on the test fold", "RMSE, epoch picked on the inner split",
                   "Δ (test − inner)"]


def optimism_tables(doc: dict) -> list[tuple[str, list[list[str]], str]]:
    """Per held-out/inner pair of one set of runs: ``(title, fold rows, summary)``."""
    section = doc.get("selection_optimism") or {}
    out = []
    for pair in section.get("pairs", []):
        pc = pair["comparison"]
        title = f"{pair['inner']} (variant {pair.get('variant')}): the same training runs, two selections"
        if not pc.get("comparable"):
            out.append((title, [], f"not comparable: {pc.get('reason')}"))
            continue
        r = pc["rmse"]
        rows = [[str(f), f"{a:.4f}", f"{b:.4f}", f"{d:+.4f}"]
                for f, a, b, d in zip(pc["folds"], r["model"], r["reference"], r["diff"])]
        summary = (f"pooled out-of-fold RMSE {pair['rmse_held_out']:.4f} (test-fold pick) against "
                   f"{pair['rmse_inner']:.4f} (inner pick); mean per-fold Δ {r['mean_diff']:+.4f} dex, "
                   f"the test-fold pick looks better on {r['n_better']} of {pc['n_folds']} folds "
                   f"(Wilcoxon p = {fmt_p(r['wilcoxon_p'])}, paired t-test p = {fmt_p(r['ttest_p'])})")
        out.append((title, rows, summary))
    return out


def optimism_sentence(doc: dict) -> str | None:
    """One sentence a referee can quote, from the measured figures (None without a held-out pair)."""
    pairs = [p for p in (doc.get("selection_optimism") or {}).get("pairs", []) if p["comparison"].get("comparable")]
    if not pairs:
        return None
    pairs.sort(key=lambda p: (not p["inner"].startswith("dg22-bilstm2p"), p.get("variant") != "raw"))
    pair = pairs[0]
    r, n = pair["comparison"]["rmse"], pair["comparison"]["n_folds"]
    pub = next((row for row in doc["rows"] if row["kind"] == "published-oof"), None)
    honest = next((row for row in doc["rows"] if row["model"] == doc.get("honest_reference")), None)
    verb = "lowers" if pair["rmse_held_out"] < pair["rmse_inner"] else "does not lower"
    text = (f"Picking each fold's epoch on that fold's own test stars, as DG22 and M24 do, {verb} the "
            f"out-of-fold RMSE of {pair['inner']} ({pair['rmse_inner']:.4f} dex with the epoch picked on an inner "
            f"split, {pair['rmse_held_out']:.4f} on the test fold; "
            f"the same training runs, better on {r['n_better']} of {n} folds, Wilcoxon p = {fmt_p(r['wilcoxon_p'])})")
    if pub is not None and honest is not None:
        text += (f"; DG22's published {metric(pub, 'val', 'rmse'):.4f} was selected that way, and the honest "
                 f"yardstick on these stars and folds is the inner-selected retrain of its architecture, "
                 f"{honest['model']}, at {metric(honest, 'val', 'rmse'):.4f}")
    return text + "."


# M24 Table A1 quotes one figure per metric (not pooled by us: quoted)
OTHER_HEADER = ["model", "dataset", "val R²", "val wRMSE", "val wMAE", "val RMSE", "val MAE", "note"]


def other_cells(row: dict) -> list[str]:
    return [row["model"], row["dataset"], *(fmt(metric(row, "val", m)) for m in ("r2", "wrmse", "wmae", "rmse", "mae")),
            row.get("note") or ""]


def commands(doc: dict) -> list[tuple[str, str]]:
    """(what, command) pairs to regenerate the leaderboard.

    Harness rows are grouped by the command that produced them (a resumed
    run may have added models); one command for every row is shown as the
    CV run, else each command with the models it produced.
    """
    out = []
    run_cmd = (doc.get("run") or {}).get("command")
    if run_cmd in ("", "-"):
        run_cmd = None
    by_command: dict[str, list[str]] = {}
    for row in doc["rows"]:
        if row["kind"] == "harness" and row.get("command"):
            by_command.setdefault(row["command"], []).append(row["model"])
    if len(by_command) == 1:
        out.append(("results (CV run)", next(iter(by_command))))
    elif by_command:
        out += [(f"results of {', '.join(models)}", cmd) for cmd, models in by_command.items()]
    elif run_cmd:
        out.append(("results (CV run)", run_cmd))
    if doc.get("generated_by"):
        out.append(("this leaderboard", doc["generated_by"]))
    return out


def environment_groups(doc: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(heading, [(label, value), ...])`` per distinct environment of the leaderboard's jobs."""
    from tserbench.environment import describe_environment

    groups = doc.get("environments") or [{"environment": None, "models": [], "n_jobs": None}]
    out = []
    for group in groups:
        n = group.get("n_jobs")
        if len(groups) == 1:
            heading = f"All {n} jobs ran in this environment" if n else "Environment"
        else:
            models = ", ".join(group.get("models") or [])
            heading = f"{n} job(s) of {models}" if n else f"Jobs of {models}"
        out.append((heading, describe_environment(group.get("environment"))))
    return out


def dataset_params_cell(doc: dict) -> str:
    """`` (n_stars=200, ...)`` after the dataset's name, or nothing for the default dataset."""
    p = doc.get("dataset_params") or {}
    return " (" + ", ".join(f"{k}={v}" for k, v in p.items()) + ")" if p else ""

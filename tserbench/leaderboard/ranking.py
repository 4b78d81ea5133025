"""Ranking of methods across datasets and the critical-difference (CD) diagram.

The convention is the one of tsml-eval and aeon (after Demšar 2006, García &
Herrera 2008, and the cd-diagram of Ismail Fawaz et al. that aeon's plot is
adapted from):

1. on each dataset the methods are ranked, rank 1 the lowest score (RMSE),
   ties sharing their average rank; the average over datasets orders them;
2. a Friedman test (:func:`scipy.stats.friedmanchisquare`, tie-corrected,
   the statistic aeon's ``check_friedman`` computes) asks whether any
   method differs;
3. every pair of methods gets a Wilcoxon signed-rank test
   (:func:`scipy.stats.wilcoxon`, ``zero_method="wilcox"``: datasets on
   which the two scores are equal are left out, as aeon does; a pair equal on
   every dataset gets p = 1, as aeon gives it);
4. the pairwise p-values are Holm-corrected at ``alpha``;
5. cliques are the groups of methods, adjacent in average rank, within which
   no pair differs significantly; a CD diagram draws each as a bar.  As in
   aeon, when the Friedman test does not reject, no pairwise difference is
   declared and all methods form one clique.

Deviations from aeon 1.x (``aeon.visualisation.plot_critical_difference``
with ``test="wilcoxon", correction="holm"``, at commit a101ddc8):

* aeon's Wilcoxon test is one-sided (the better-ranked method against the
  worse) and its "holm" correction divides alpha by ``n_methods - 1`` for
  every pair; here the tests are two-sided and corrected with Holm's
  step-down procedure over all ``n(n-1)/2`` pairs, the procedure of García &
  Herrera and of the original cd-diagram;
* aeon forms a clique from each method as a control (a method and the
  following ones that do not differ *from it*); here every pair inside a
  clique is non-significant, so a bar never joins two methods that differ;
* aeon's default alpha is 0.1; tserbench's is 0.05.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from tserbench.exceptions import ConfigError

__all__ = ["TESTS", "rank_table", "holm", "cliques_from_decisions", "plot_critical_difference"]

TESTS = ("Friedman test, then pairwise two-sided Wilcoxon signed-rank tests with Holm's correction "
         "(scipy.stats.friedmanchisquare, scipy.stats.wilcoxon)")


def holm(p_values: list[float] | np.ndarray, alpha: float = 0.05) -> tuple[list[float], list[bool]]:
    """Holm's step-down correction of a family of p-values.

    scipy has no Holm correction (``scipy.stats.false_discovery_control`` is
    Benjamini-Hochberg) and statsmodels is not a dependency, hence this.

    Parameters
    ----------
    p_values : sequence of float
        The raw p-values of the family, in any order.
    alpha : float, default=0.05
        The family-wise error rate.

    Returns
    -------
    adjusted : list of float
        Holm-adjusted p-values, in the input order:
        ``max over j <= i of min(1, (m - j + 1) p_(j))`` for the i-th smallest.
    reject : list of bool
        Whether each hypothesis is rejected: ``adjusted <= alpha``, i.e. the
        step-down rule ``p_(i) <= alpha / (m - i + 1)`` for it and every
        smaller p-value.
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        adjusted[idx] = running
    return adjusted.tolist(), [bool(a <= alpha) for a in adjusted]


def cliques_from_decisions(methods: list[str], significant: dict[frozenset, bool]) -> list[list[str]]:
    """Maximal runs of methods, adjacent in ``methods``' order, with no significant pair inside.

    Parameters
    ----------
    methods : list of str
        The methods ordered by average rank (best first).
    significant : dict of frozenset to bool
        For each pair ``frozenset({a, b})``: whether the two differ significantly.

    Returns
    -------
    list of list of str
        Each clique (two methods or more) in rank order, the cliques ordered
        by their first method; a method in no clique differs from both its
        neighbours.
    """
    k = len(methods)
    ends = []
    for i in range(k):
        j = i
        while j + 1 < k and not any(significant[frozenset((methods[m], methods[j + 1]))] for m in range(i, j + 1)):
            j += 1
        ends.append(j)
    # a run starting later ends no earlier (a sub-run of a clique is one), so
    # the run from i is maximal iff it reaches further than the run from i - 1
    return [methods[i:ends[i] + 1] for i in range(k)
            if ends[i] > i and (i == 0 or ends[i] > ends[i - 1])]


def rank_table(scores: pd.DataFrame, *, alpha: float = 0.05) -> dict:
    """Average ranks, Friedman test, Holm-corrected pairwise Wilcoxon tests and cliques.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per dataset, one column per method; lower is better (RMSE).
        A dataset missing a value (NaN) for some method is dropped from the
        comparison of all methods (listed in ``dropped_datasets``).
    alpha : float, default=0.05
        Significance level of the Friedman test and family-wise error rate
        of the pairwise tests.

    Returns
    -------
    dict
        ``methods`` (ordered by average rank, best first), ``average_ranks``,
        ``n_datasets``, ``n_methods``, ``datasets``, ``dropped_datasets``,
        ``scores`` and ``ranks`` (``{dataset: {method: value}}``),
        ``friedman`` (``statistic``, ``p``, ``significant``), ``pairwise``
        (one record per pair: raw and Holm-adjusted p, decisions, datasets
        on which each is better), ``cliques`` (list of lists of methods),
        ``alpha`` and ``tests``; JSON-serialisable.

    Raises
    ------
    ConfigError
        If fewer than two methods, or fewer than two datasets with a score
        for every method, remain; or alpha is not in (0, 1).
    """
    from scipy import stats

    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ConfigError(f"alpha must be a number in (0, 1), got {alpha!r}")
    scores = scores.astype(float)
    scores = scores.where(np.isfinite(scores))
    methods_in = [str(c) for c in scores.columns]
    if len(set(methods_in)) != len(methods_in):
        raise ConfigError(f"a method appears twice among {methods_in}")
    complete = scores.notna().all(axis=1)
    dropped = [str(d) for d in scores.index[~complete]]
    table = scores.loc[complete]
    table.columns = methods_in
    n, k = table.shape
    if k < 2:
        raise ConfigError(f"a ranking needs two methods or more, got {k}")
    if n < 2:
        raise ConfigError(f"a ranking needs two datasets or more with a score for every method, got {n}"
                          + (f" ({len(dropped)} dropped for a missing score)" if dropped else ""))
    ranks = table.rank(axis=1, method="average", ascending=True)
    average = ranks.mean(axis=0)
    methods = sorted(methods_in, key=lambda m: (average[m], m))

    friedman: dict = {"test": "scipy.stats.friedmanchisquare", "statistic": None, "p": None, "significant": None}
    if k >= 3:
        if np.all(ranks.to_numpy() == ranks.to_numpy()[:, :1]):  # every method tied on every dataset
            friedman.update(statistic=0.0, p=1.0, significant=False)
        else:
            res = stats.friedmanchisquare(*(table[m].to_numpy() for m in methods))
            friedman.update(statistic=float(res.statistic), p=float(res.pvalue), significant=bool(res.pvalue <= alpha))
    else:
        friedman["note"] = "the Friedman test needs three methods or more: the single pairwise test decides"

    pairs = []
    for i, a in enumerate(methods):
        for b in methods[i + 1:]:
            d = table[a].to_numpy() - table[b].to_numpy()
            rec = {"a": a, "b": b, "n_datasets": int(n), "n_a_better": int((d < 0).sum()),
                   "n_b_better": int((d > 0).sum()), "n_ties": int((d == 0).sum())}
            if np.all(d == 0):
                rec["wilcoxon_p"] = 1.0  # as aeon: equal on every dataset, no difference
            else:
                rec["wilcoxon_p"] = float(stats.wilcoxon(table[a], table[b], zero_method="wilcox",
                                                         alternative="two-sided").pvalue)
            pairs.append(rec)
    adjusted, reject = holm([p["wilcoxon_p"] for p in pairs], alpha)
    post_hoc = friedman["significant"] is not False  # with two methods there is no Friedman test to pass
    for rec, adj, rej in zip(pairs, adjusted, reject):
        rec["holm_p"] = adj
        rec["holm_reject"] = rej
        rec["significant"] = bool(rej and post_hoc)
    significant = {frozenset((p["a"], p["b"])): p["significant"] for p in pairs}
    cliques = cliques_from_decisions(methods, significant) if post_hoc else [list(methods)]
    return {
        "methods": methods,
        "average_ranks": {m: float(average[m]) for m in methods},
        "n_datasets": int(n),
        "n_methods": int(k),
        "datasets": [str(d) for d in table.index],
        "dropped_datasets": dropped,
        "alpha": float(alpha),
        "tests": TESTS,
        "friedman": friedman,
        "post_hoc": ("pairwise differences declared where Holm rejects" if post_hoc else
                     "the Friedman test does not reject: no pairwise difference is declared, all methods form "
                     "one clique (pairwise p-values given for information)"),
        "pairwise": pairs,
        "cliques": cliques,
        # the smallest two-sided p-value an exact Wilcoxon test can give on n datasets: 2 / 2**n
        "min_wilcoxon_p": float(2.0 / 2.0 ** n),
        "scores": {str(d): {m: float(table.at[d, m]) for m in methods} for d in table.index},
        "ranks": {str(d): {m: float(ranks.at[d, m]) for m in methods} for d in table.index},
    }


def plot_critical_difference(result: dict, path: str | os.PathLike, *, title: str | None = None,
                             highlight: set[str] | frozenset[str] = frozenset()) -> list[Path]:
    """Draw the critical-difference diagram of a :func:`rank_table` result.

    The axis is the average rank, best (1) on the right as in aeon's
    diagrams; the better half of the methods is labelled on the right, the
    rest on the left, each label joined to its average rank by an elbow line;
    each clique is a thick bar under the axis.

    Parameters
    ----------
    result : dict
        What :func:`rank_table` returns.
    path : str or path-like
        The PNG to write (150 dpi); an SVG is written beside it (same stem).
    title : str, optional
        The title's first line; default ``"Critical difference diagram"``.
        A second line names the number of datasets, the tests and alpha.
    highlight : set of str, optional
        Methods drawn in colour (the harness rows).

    Returns
    -------
    list of pathlib.Path
        The PNG and SVG paths.
    """
    # a bare Figure renders with the Agg canvas whatever pyplot's backend is, and leaves pyplot alone
    import matplotlib
    from matplotlib.figure import Figure

    from tserbench import _io

    methods = list(result["methods"])
    avg = result["average_ranks"]
    k = len(methods)
    labels = {m: f"{m} ({avg[m]:.2f})" for m in methods}
    n_right = math.ceil(k / 2)
    right, left = methods[:n_right], methods[n_right:]
    font = 10.0
    char_w = 0.58 * font / 72  # inches per character of a proportional font, a little generous
    text_l = max([len(labels[m]) for m in left] or [0]) * char_w + 0.35
    text_r = max(len(labels[m]) for m in right) * char_w + 0.35
    scale_w = max(5.0, 0.55 * (k - 1))
    width = text_l + scale_w + text_r
    cliques = result["cliques"]
    axis_y = 0.7
    clique_gap = 0.14
    first_row = axis_y + 0.3 + clique_gap * max(len(cliques), 1)
    row_h = 0.28
    height = first_row + row_h * (max(len(right), len(left)) - 1) + 0.35

    def x_of(rank: float) -> float:
        return text_l + scale_w * (k - rank) / (k - 1)  # rank 1 on the right

    fig = Figure(figsize=(width, height))
    fig.set_facecolor("white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)

    ax.plot([x_of(k), x_of(1)], [axis_y, axis_y], color="k", lw=1.5, solid_capstyle="butt")
    for r in range(1, k + 1):
        ax.plot([x_of(r)] * 2, [axis_y - 0.12, axis_y], color="k", lw=1.2)
        ax.text(x_of(r), axis_y - 0.16, str(r), ha="center", va="bottom", fontsize=font)
        if r < k:
            ax.plot([x_of(r + 0.5)] * 2, [axis_y - 0.06, axis_y], color="k", lw=0.8)
    ax.text(x_of((k + 1) / 2), axis_y - 0.45, "average rank (1 = lowest RMSE)", ha="center", va="bottom",
            fontsize=font - 1, color="0.3")

    palette = matplotlib.colormaps["tab10"]
    for side, group in (("right", right), ("left", left)):
        for i, m in enumerate(group if side == "right" else reversed(group)):
            y = first_row + row_h * i
            x = x_of(avg[m])
            end = width - text_r + 0.1 if side == "right" else text_l - 0.1
            colour = palette(0) if m in highlight else "k"
            ax.plot([x, x, end], [axis_y, y, y], color=colour, lw=0.9)
            ax.text(end + (0.06 if side == "right" else -0.06), y, labels[m], ha="left" if side == "right" else "right",
                    va="center", fontsize=font, color=colour, fontweight="bold" if m in highlight else "normal")

    for i, clique in enumerate(cliques):
        y = axis_y + 0.22 + clique_gap * i
        xs = [x_of(avg[m]) for m in clique]
        ax.plot([min(xs) - 0.04, max(xs) + 0.04], [y, y], color="k", lw=3.0, solid_capstyle="round")

    fr = result["friedman"]
    fp = "n/a (two methods)" if fr["p"] is None else f"{fr['p']:.3g}"
    subtitle = (f"{result['n_datasets']} datasets, {k} methods; Friedman p = {fp}\n"
                f"bars: no significant difference (two-sided Wilcoxon signed-rank, Holm, α = {result['alpha']:g})")
    fig.suptitle(f"{title or 'Critical difference diagram'}\n{subtitle}", fontsize=font, y=1.0, va="bottom")

    png = Path(path)
    svg = png.with_suffix(".svg")
    out = []
    for target, fmt, meta in ((png, "png", {"Software": None}), (svg, "svg", {"Date": None})):
        buf = io.BytesIO()
        with matplotlib.rc_context({"svg.hashsalt": "tserbench", "svg.fonttype": "none"}):
            fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight", pad_inches=0.15, metadata=meta)
        out.append(_io.atomic_write_bytes(target, buf.getvalue()))
    return out

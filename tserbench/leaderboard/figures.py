"""The leaderboard's figures, as matplotlib ``Figure`` objects a notebook can show or a paper can use.

Each function takes what a :class:`~tserbench.leaderboard._build.Leaderboard`
holds and returns a :class:`matplotlib.figure.Figure` (Agg, never ``pyplot``:
no global backend state is touched).  :func:`leaderboard_figures` builds all
of them for one leaderboard; :func:`save_figures` writes each as a PNG
(150 dpi) and a PDF, atomically and byte-reproducibly (no timestamps in the
files), which ``tserbench leaderboard`` does into ``OUT/figures/``.

Conventions, kept in every figure:

- one model, one look: :func:`model_styles` gives each model a colour *and* a
  marker (14 models would otherwise share 10 colours), the same in every figure;
- legends sit outside the axes, never over the data;
- a colour scale has a colour bar with its unit;
- nothing is clipped silently: residuals beyond the plotted range are counted
  in an overflow bar at each edge and named in the panel;
- learning curves show the unweighted RMSE on each fold's inner validation
  split in the target's unit (the table's metric, not the training loss),
  where the run recorded it, with the selected epoch marked.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tserbench.leaderboard._vocabulary import Vocabulary

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "DPI",
    "fold_spread",
    "leaderboard_figures",
    "learning_curves",
    "model_styles",
    "paired_differences",
    "predicted_vs_true",
    "residuals",
    "save_figures",
]

#: resolution of every raster export (and of the HTML's embedded PNGs)
DPI = 150
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
_PNG_METADATA = {"Software": None}
_PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}


def model_styles(models: list[str]) -> dict[str, dict]:
    """A distinct ``{"color", "marker"}`` per model, stable for a given list.

    Colours come from ``tab10`` (``tab20`` beyond ten models) and markers
    cycle independently, so no two of up to 60 models look alike.
    """
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(models) <= 10 else "tab20"]
    n_colors = 10 if len(models) <= 10 else 20
    return {m: {"color": cmap(i % n_colors), "marker": _MARKERS[i % len(_MARKERS)]} for i, m in enumerate(models)}


def _grid(n: int, ncols: int = 3, size=(4.2, 3.6)):
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def predicted_vs_true(oofs: dict[str, pd.DataFrame], vocab: Vocabulary | None = None) -> Figure:
    """One panel per model: out-of-fold prediction against the true target, with the 1:1 line.

    Above 1 500 points a panel is a log-scaled hexbin with a colour bar
    (``<instances> per bin``); below, a scatter plot.
    """
    v = vocab or Vocabulary()
    fig, axes = _grid(len(oofs), size=(4.6, 3.8))
    lo = min(min(o["y_true"].min(), o["y_pred"].min()) for o in oofs.values())
    hi = max(max(o["y_true"].max(), o["y_pred"].max()) for o in oofs.values())
    pad = 0.05 * (hi - lo or 1.0)
    lim = (lo - pad, hi + pad)
    for ax, (model, oof) in zip(axes, oofs.items()):
        x, y = oof["y_true"].to_numpy(), oof["y_pred"].to_numpy()
        if len(x) > 1500:
            hb = ax.hexbin(x, y, gridsize=45, extent=(*lim, *lim), mincnt=1, bins="log", cmap="viridis")
            fig.colorbar(hb, ax=ax, label=f"{v.instances} per bin", shrink=0.85)
        else:
            ax.scatter(x, y, s=6, alpha=0.5, color="#1f5fa8", edgecolors="none")
        ax.plot(lim, lim, color="#d62728", lw=1)
        ax.set(xlim=lim, ylim=lim, xlabel=v.axis(f"true {v.target}"), ylabel=v.axis(f"predicted {v.target}"),
               title=model, aspect="equal")
        rmse = float(np.sqrt(np.mean((y - x) ** 2)))
        ax.text(0.03, 0.97, f"RMSE {rmse:.4f}\nn = {len(x)}\nred: 1:1", transform=ax.transAxes, va="top",
                fontsize=8, bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    return fig


def residuals(oofs: dict[str, pd.DataFrame], vocab: Vocabulary | None = None) -> Figure:
    """One histogram of out-of-fold residuals (predicted − true) per model, on a common range.

    The range is ± the largest 99.5 % quantile of ``|residual|`` over the
    models; residuals beyond it are not dropped but counted in an overflow
    bar (hatched) at each edge, and each panel names how many there are and
    the largest ``|residual|``.
    """
    v = vocab or Vocabulary()
    fig, axes = _grid(len(oofs), size=(4.4, 3.0))
    res = {m: (o["y_pred"] - o["y_true"]).to_numpy() for m, o in oofs.items()}
    q = max(float(np.quantile(np.abs(r), 0.995)) for r in res.values()) or 1.0
    bins = np.linspace(-q, q, 51)
    width = bins[1] - bins[0]
    for ax, (model, r) in zip(axes, res.items()):
        inside = r[np.abs(r) <= q]
        ax.hist(inside, bins=bins, color="#1f5fa8", alpha=0.85)
        below, above = int(np.sum(r < -q)), int(np.sum(r > q))
        for n, x in ((below, -q - width), (above, q + width)):
            if n:
                ax.bar(x, n, width=width * 1.6, color="#f0a020", hatch="///", edgecolor="#7a4d00", lw=0.5)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlim(-q - 2.5 * width, q + 2.5 * width)
        sd = float(np.std(r, ddof=1)) if len(r) > 1 else float("nan")
        text = f"mean {r.mean():+.3f}, SD {sd:.3f}"
        if below or above:
            text += f"; {below + above} beyond ±{q:.2f} (orange, max |r| {np.abs(r).max():.2f})"
        # the figures go in the title, above the data, not over the histogram's peak
        ax.set(xlabel=v.axis("predicted − true"), ylabel=v.instances)
        ax.set_title(f"{model}\n{text}", fontsize=8)
    return fig


def fold_spread(rows: list[dict], styles: dict[str, dict] | None = None, vocab: Vocabulary | None = None) -> Figure:
    """Box plots of the per-fold validation RMSE, MAE and R² of each row, every fold drawn as a point."""
    from matplotlib.figure import Figure

    metrics = ("rmse", "mae", "r2")
    names = [r["model"] for r in rows]
    styles = styles or model_styles(names)
    width = min(3.0 + 0.55 * len(rows), 11.0)
    fig = Figure(figsize=(width, 2.6 * len(metrics) + 1.2), layout="constrained")
    axes = fig.subplots(len(metrics), 1, squeeze=False, sharex=True).ravel()
    rng = np.random.default_rng(0)  # jitter only
    for ax, name in zip(axes, metrics):
        data = [[f[name] for f in r.get("per_fold", [])] for r in rows]
        ax.boxplot(data, widths=0.5, showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=35, ha="right", fontsize=8)
        ax.tick_params(axis="x", labelbottom=ax is axes[-1])
        for i, (model, vals) in enumerate(zip(names, data), 1):
            st = styles[model]
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(vals)), vals, s=16, color=st["color"],
                       marker=st["marker"], zorder=3, edgecolors="none")
        label = "R²" if name == "r2" else name.upper()
        ax.set_title(f"validation {label} per {(vocab or Vocabulary()).split}", fontsize=10)
        ax.set_ylabel(label if name == "r2" else (vocab or Vocabulary()).axis(label))
        ax.grid(axis="y", alpha=0.3)
    return fig


_CURVE_KEYS = ("val_rmse", "rmse", "val_loss", "loss")  # in order of preference


def _usable(hist: dict, key: str) -> list[float] | None:
    """``hist[key]`` if it can be drawn against the epochs.

    An RMSE series shorter than the loss (a fit resumed from a checkpoint
    written before the RMSE was recorded) is not used: it would be drawn
    against the wrong epochs.
    """
    vals = hist.get(key)
    if vals and (len(vals) == len(hist.get("loss") or ()) or key in ("val_loss", "loss")):
        return vals
    return None


def _curve(hist: dict, keys: tuple[str, ...] = _CURVE_KEYS) -> tuple[str, list[float] | None]:
    """The series to plot and what it is: the inner split's RMSE if recorded, else its loss."""
    for key in keys:
        vals = _usable(hist, key)
        if vals is not None:
            return key, vals
    return "", None


def _panel_keys(hists: list[dict]) -> tuple[str, ...]:
    """The one series every job of a panel recorded (the most preferred), so that its lines are comparable;
    every key in order when no series is common to all (the axis then says "mixed")."""
    common = [k for k in _CURVE_KEYS if all(_usable(h, k) is not None for h in hists)]
    return tuple(common[:1]) or _CURVE_KEYS


_CURVE_LABELS = {  # short enough for the axis; the HTML's caption says what each is
    "val_rmse": "inner-split RMSE",
    "rmse": "training RMSE (no inner split)",
    "val_loss": "inner-split loss (weighted MSE + reg.)",
    "loss": "training loss (weighted MSE + reg.)",
}


def learning_curves(histories: dict[str, list], vocab: Vocabulary | None = None) -> Figure | None:
    """One panel per model, one line per fold: the inner-split RMSE by epoch, the selected epoch marked.

    ``histories`` maps a model to ``(label, history[, detail])`` per job;
    ``detail`` (optional) holds the job's ``best_epoch`` (1-based, the epoch
    whose weights were kept) and ``stop_reason`` (``converged`` or ``cap``).
    Runs recorded before the RMSE was tracked show their loss instead, and
    the axis says so.
    """
    v = vocab or Vocabulary()
    hs = {m: runs for m, runs in histories.items() if runs}
    if not hs:
        return None
    from matplotlib import colormaps
    from matplotlib.lines import Line2D

    fig, axes = _grid(len(hs), size=(4.6, 3.3))
    cmap = colormaps["tab10"]
    for ax, (model, runs) in zip(axes, hs.items()):
        kinds, reasons = set(), []
        keys = _panel_keys([run[1] for run in runs])
        for i, run in enumerate(runs):
            hist, detail = run[1], (run[2] if len(run) > 2 else {}) or {}
            what, vals = _curve(hist, keys)
            if vals is None:
                continue
            kinds.add(what)
            vals = np.asarray(vals, dtype=float)
            c = cmap(i % 10)
            ax.plot(np.arange(1, len(vals) + 1), vals, "-", color=c, lw=0.9)
            best = detail.get("best_epoch")
            if best and 1 <= best <= len(vals):
                ax.plot([best], [vals[best - 1]], marker="o", ms=4, color=c, markeredgecolor="k", mew=0.5)
            if detail.get("stop_reason"):
                reasons.append(detail["stop_reason"])
        what = next(iter(kinds)) if len(kinds) == 1 else "mixed"
        losses = kinds <= {"val_loss", "loss"}
        if kinds and losses and all(np.all(line.get_ydata() > 0) for line in ax.lines):
            ax.set_yscale("log")
        label = _CURVE_LABELS.get(what, "recorded metric (mixed: see each job's history)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label if losses else v.axis(label), fontsize=8)
        stops = ""
        if reasons:
            n_cap = reasons.count("cap")
            stops = f"\n{len(reasons) - n_cap} converged, {n_cap} at the cap"
        ax.set_title(f"{model}{stops}", fontsize=9)
        ax.grid(alpha=0.3)
    longest = max(hs.values(), key=len)[:10]
    handles = [Line2D([], [], color=cmap(i), lw=1.2) for i in range(len(longest))]
    labels = [run[0] for run in longest]
    handles.append(Line2D([], [], ls="", marker="o", color="grey", markeredgecolor="k", mew=0.5))
    labels.append("selected epoch")
    fig.legend(handles, labels, loc="outside right upper", fontsize=7, title="job", title_fontsize=7)
    return fig


def paired_differences(rows: list[dict], styles: dict[str, dict] | None = None,
                       key: str = "paired_vs_published", reference: str = "DG22") -> Figure | None:
    """Per-fold Δ RMSE and Δ MAE (model − reference) of every comparable row, the legend outside."""
    comps = [(r["model"], r[key]) for r in rows if (r.get(key) or {}).get("comparable")]
    if not comps:
        return None
    styles = styles or model_styles([m for m, _ in comps])
    fig, axes = _grid(2, ncols=2, size=(5.2, 3.6))
    for ax, name in zip(axes, ("rmse", "mae")):
        for model, pc in comps:
            st = styles.get(model) or {"color": "grey", "marker": "o"}
            ax.plot(pc["folds"], pc[name]["diff"], "-", marker=st["marker"], color=st["color"], label=model,
                    ms=4, lw=0.9)
        ax.axhline(0, color="k", lw=0.8)
        ax.set(xlabel="fold", ylabel=f"Δ {name.upper()} (model − {reference})", title=f"fold-wise Δ {name.upper()}")
        ax.set_xticks(comps[0][1]["folds"])
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", fontsize=7)
    return fig


def leaderboard_figures(lb) -> dict[str, Figure]:
    """Every figure of one leaderboard, by file stem, in the order the HTML shows them."""
    from tserbench.leaderboard import _cells as R

    doc = lb.doc
    main = R.main_rows(doc)
    v = R.vocab(doc)
    styles = model_styles([r["model"] for r in main])
    figs: dict[str, Figure] = {}
    fig = paired_differences(doc["rows"], styles)
    if fig is not None:
        figs["paired-vs-published"] = fig
    oofs = {r["model"]: lb.oof[r["model"]] for r in main if len(lb.oof.get(r["model"], ()))}
    if oofs:
        figs["predicted-vs-true"] = predicted_vs_true(oofs, v)
        figs["residuals"] = residuals(oofs, v)
    fold_rows = [r for r in main if r.get("per_fold")]
    if fold_rows:
        figs["fold-spread"] = fold_spread(fold_rows, styles, v)
    curves = learning_curves({r["model"]: lb.histories[r["model"]] for r in main if r["model"] in lb.histories}, v)
    if curves is not None:
        figs["learning-curves"] = curves
    return figs


def png_bytes(fig: Figure) -> bytes:
    """The figure as a PNG at :data:`DPI`, with no timestamp or software tag."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata=_PNG_METADATA)
    return buf.getvalue()


def pdf_bytes(fig: Figure) -> bytes:
    """The figure as a vector PDF, with no creation date (byte-reproducible)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", metadata=_PDF_METADATA)
    return buf.getvalue()


def save_figures(figs: dict[str, Figure], out_dir: str | Path) -> list[Path]:
    """Write ``<stem>.png`` and ``<stem>.pdf`` for each figure into ``out_dir``, atomically.

    Figures of an earlier write that are no longer produced are removed, so
    the folder always matches its leaderboard.
    """
    from tserbench import _io

    out_dir = Path(out_dir)
    written = []
    for stem, fig in figs.items():
        written.append(_io.atomic_write_bytes(out_dir / f"{stem}.png", png_bytes(fig)))
        written.append(_io.atomic_write_bytes(out_dir / f"{stem}.pdf", pdf_bytes(fig)))
    keep = {p.name for p in written}
    if out_dir.is_dir():
        for old in out_dir.iterdir():
            if old.suffix in (".png", ".pdf") and old.name not in keep:
                old.unlink()
    return written

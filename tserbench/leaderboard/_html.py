"""Self-contained HTML rendering of a leaderboard (inline CSS, base64 PNG plots).

No external URL is referenced: the file can be mailed or archived as is.
Plots use matplotlib's Agg backend through an explicit ``Figure`` (never
``pyplot``), so rendering does not touch any global backend state.
"""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np
import pandas as pd

from tserbench.leaderboard import _render as R

__all__ = ["to_html"]

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1300px;
color:#222;line-height:1.45;padding:0 16px}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd;
padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #d0d0d0;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#f2f2f2}td.l,th.l{text-align:left}
tr.harness td{background:#fff}tr.published-oof td{background:#eef5ff}tr.paper-reported td{background:#fbf6e9;
color:#555}
.kind{font-size:.8em;padding:1px 6px;border-radius:8px;color:#fff}
.k-harness{background:#2a7d2e}.k-published-oof{background:#1f5fa8}.k-paper-reported{background:#9a6b00}.k-published-resamples{background:#6a3d9a}
.meta{color:#555;font-size:.9em}code{background:#f4f4f4;padding:1px 4px;border-radius:3px;
font-size:.92em;white-space:pre-wrap;word-break:break-all}
img{max-width:100%;height:auto;border:1px solid #eee;margin:6px 0}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:6px 10px}
ul.cmds li{margin:.3em 0}
"""


def _esc(x) -> str:
    return html.escape("" if x is None else str(x))


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig, alt: str) -> str:
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{_png(fig)}">'


def _grid(n: int, ncols: int = 3, size=(4.2, 3.6)):
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _pred_vs_true(oofs: dict[str, pd.DataFrame], v) -> str:
    fig, axes = _grid(len(oofs))
    lo = min(min(o["y_true"].min(), o["y_pred"].min()) for o in oofs.values())
    hi = max(max(o["y_true"].max(), o["y_pred"].max()) for o in oofs.values())
    pad = 0.05 * (hi - lo or 1.0)
    lim = (lo - pad, hi + pad)
    for ax, (model, oof) in zip(axes, oofs.items()):
        x, y = oof["y_true"].to_numpy(), oof["y_pred"].to_numpy()
        if len(x) > 1500:
            ax.hexbin(x, y, gridsize=45, extent=(*lim, *lim), mincnt=1, bins="log", cmap="viridis")
        else:
            ax.scatter(x, y, s=6, alpha=0.5, color="#1f5fa8", edgecolors="none")
        ax.plot(lim, lim, color="#d62728", lw=1, label="1:1")
        ax.set(xlim=lim, ylim=lim, xlabel=v.axis(f"true {v.target}"), ylabel=v.axis(f"predicted {v.target}"), title=model, aspect="equal")
        rmse = float(np.sqrt(np.mean((y - x) ** 2)))
        ax.text(0.03, 0.97, f"RMSE {rmse:.4f}\nn = {len(x)}", transform=ax.transAxes, va="top", fontsize=9,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
        ax.legend(loc="lower right", fontsize=8)
    return _img(fig, "predicted vs true")


def _residuals(oofs: dict[str, pd.DataFrame], v) -> str:
    fig, axes = _grid(len(oofs), size=(4.2, 2.8))
    res = {m: (o["y_pred"] - o["y_true"]).to_numpy() for m, o in oofs.items()}
    q = max(np.quantile(np.abs(r), 0.995) for r in res.values()) or 1.0
    bins = np.linspace(-q, q, 51)
    for ax, (model, r) in zip(axes, res.items()):
        ax.hist(np.clip(r, -q, q), bins=bins, color="#1f5fa8", alpha=0.8)
        ax.axvline(0, color="k", lw=0.8)
        ax.set(title=f"{model}  (mean {r.mean():+.3f}, sd {r.std():.3f})", xlabel=v.axis("predicted − true"),
               ylabel=v.instances)
        ax.title.set_fontsize(9)
    return _img(fig, "residual histograms")


def _fold_spread(rows: list[dict]) -> str:
    from matplotlib.figure import Figure

    metrics = ("rmse", "mae", "r2")
    width = min(2.0 + 0.9 * len(rows), 6.0)
    fig = Figure(figsize=(width * len(metrics), 3.8), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False).ravel()
    rng = np.random.default_rng(0)  # jitter only
    names = [r["model"] for r in rows]
    for ax, name in zip(axes, metrics):
        data = [[f[name] for f in r.get("per_fold", [])] for r in rows]
        ax.boxplot(data, widths=0.5, showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=25, ha="right", fontsize=8)
        for i, vals in enumerate(data, 1):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(vals)), vals, s=14, color="#d62728", zorder=3)
        label = "R²" if name == "r2" else name.upper()
        ax.set_title(f"validation {label} per fold", fontsize=10)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    return _img(fig, "per-fold metric spread")


def _learning_curves(histories: dict[str, list[tuple[str, dict]]]) -> str | None:
    hs = {m: h for m, h in histories.items() if h}
    if not hs:
        return None
    fig, axes = _grid(len(hs), size=(4.4, 3.2))
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    for ax, (model, runs) in zip(axes, hs.items()):
        positive = True
        for i, (label, hist) in enumerate(runs):
            c = cmap(i % 10)
            for key, style in (("loss", "-"), ("val_loss", "--")):
                vals = hist.get(key)
                if vals:
                    ax.plot(np.arange(1, len(vals) + 1), vals, style, color=c, lw=1,
                            label=label if key == "loss" else None)
                    positive &= bool(np.all(np.asarray(vals, dtype=float) > 0))
        if positive:
            ax.set_yscale("log")
        ax.set(title=f"{model} (— loss, -- val_loss)", xlabel="epoch", ylabel="loss")
        ax.title.set_fontsize(9)
        if len(runs) <= 10:
            ax.legend(fontsize=7, ncols=2)
    return _img(fig, "learning curves")


def _paired_plot(rows: list[dict]) -> str | None:
    comps = [(r["model"], r["paired_vs_published"]) for r in rows
             if (r.get("paired_vs_published") or {}).get("comparable")]
    if not comps:
        return None
    fig, axes = _grid(2, ncols=2, size=(5.5, 3.4))
    for ax, name in zip(axes, ("rmse", "mae")):
        for model, pc in comps:
            ax.plot(pc["folds"], pc[name]["diff"], "o-", label=model, ms=4)
        ax.axhline(0, color="k", lw=0.8)
        ax.set(xlabel="fold", ylabel=f"Δ {name.upper()} (model − DG22)", title=f"fold-wise Δ {name.upper()}")
        ax.set_xticks(comps[0][1]["folds"])
        ax.legend(fontsize=7)
    return _img(fig, "paired fold-wise differences")


def _table(header: list[str], rows: list[list[str]], row_classes: list[str] | None = None,
           left: int = 3) -> str:
    th = "".join(f'<th class="{"l" if i < left else ""}">{_esc(h)}</th>' for i, h in enumerate(header))
    body = []
    for j, cells in enumerate(rows):
        cls = f' class="{row_classes[j]}"' if row_classes else ""
        tds = "".join(f'<td class="{"l" if i < left else ""}">{c}</td>' for i, c in enumerate(cells))
        body.append(f"<tr{cls}>{tds}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kind_badge(kind: str) -> str:
    return f'<span class="kind k-{kind}">{_esc(R.KIND_LABELS[kind])}</span>'


def to_html(lb) -> str:
    """Render a :class:`~tserbench.leaderboard._build.Leaderboard` as one HTML page."""
    doc = lb.doc
    main = R.main_rows(doc)
    body = [f"<h1>Leaderboard: {_esc(doc.get('name') or doc['dataset'])}</h1>",
            '<p class="meta">dataset <code>' + _esc(doc["dataset"] + R._params(doc)) + "</code> · protocol <code>"
            + _esc(doc["protocol"]) + "</code> · variant <code>" + _esc(doc.get("variant")) + "</code></p>",
            f'<p class="meta"><b>Headline metrics.</b> {_esc(doc["headline"])}</p>']
    for n in doc.get("notes") or []:
        body.append(f'<p class="warn">{_esc(n)}</p>')

    body.append("<h2>Ranking (sorted by validation RMSE)</h2>")
    cells = []
    for r in main:
        c = [_esc(x) for x in R.main_table_cells(r)]
        c[3] = _kind_badge(r["kind"])
        c[1] = f"<b>{c[1]}</b>" if r["kind"] == "harness" else c[1]
        cells.append(c)
    body.append(_table(R.main_header(doc), cells, [r["kind"] for r in main], left=4))
    note = ("Selection: <b>inner</b> = each fold's epoch picked on an inner split of its training folds "
            "(ranked); <b>held-out (test fold)</b> = picked on the test fold itself, the papers' protocol: "
            f"optimistic, never ranked. ± is the sample standard deviation over {R.vocab(doc).splits}.")
    if any(r["kind"] == "paper-reported" for r in main):
        note = "Paper-reported rows are quoted, not recomputed, and not ranked. " + note
    body.append(f'<p class="meta">{note}</p>')
    flagged = [r for r in main if r.get("flags")]
    if flagged:
        body.append('<p class="warn"><b>Flags.</b> A flagged row is not a converged, working model on every '
                    "fold: read its figures as a lower bound of what the model can do.</p><ul>")
        body += [f"<li><b>{_esc(r['model'])}</b>: {_esc('; '.join(r['flags']))}</li>" for r in flagged]
        body.append("</ul>")

    optimism = R.optimism_tables(doc)
    if optimism:
        body.append("<h2>Selection on the test fold</h2>")
        body.append('<p class="meta">DG22 and M24 early-stop every CV fold on that fold\'s own test stars. Each '
                    "pair below comes from one set of training runs, scored on the test fold after every epoch: "
                    "the only difference is which epoch's weights are kept.</p>")
        for title, rows, summary in optimism:
            body.append(f"<h3>{_esc(title)}</h3>")
            if rows:
                body.append(_table(R.OPTIMISM_HEADER, [[_esc(c) for c in row] for row in rows], left=1))
            body.append(f'<p class="meta">{_esc(summary)}.</p>')
        sentence = R.optimism_sentence(doc)
        if sentence:
            body.append(f'<p class="warn">{_esc(sentence)}</p>')

    paired = R.paired_cells(doc)
    if paired:
        body.append("<h2>Paired fold-wise comparison against DG22's published predictions</h2>")
        body.append('<p class="meta">Same stars, same folds. Δ = model − DG22 per fold '
                    "(negative: the model is better); two-sided Wilcoxon signed-rank and paired t-test "
                    "over folds. DG22's predictions were selected on the test folds (held-out).</p>")
        body.append(_table(R.PAIRED_HEADER, [[_esc(c) for c in row] for row in paired], left=2))
        img = _paired_plot(doc["rows"])
        if img:
            body.append(img)
    honest = R.paired_cells(doc, "paired_vs_honest")
    if honest:
        body.append(f"<h2>Paired fold-wise comparison against the honest DG22 retrain "
                    f"({_esc(doc.get('honest_reference'))})</h2>")
        body.append('<p class="meta">Δ = model − the inner-selected retrain of DG22\'s architecture per fold '
                    "(negative: the model is better).</p>")
        body.append(_table(R.PAIRED_HEADER, [[_esc(c) for c in row] for row in honest], left=2))

    archive_rows = R.archive_cells(doc)
    if archive_rows:
        body.append("<h2>Paired resample-by-resample comparison against the archive's published results</h2>")
        body.append('<p class="meta">The same splits (tsml-eval\'s resampling): Δ = model − published test RMSE '
                    "per resample (negative: the model is better). Each row is shown against the same regressor\'s "
                    "published runs and the best published regressor; <i>within</i> = its mean RMSE inside the "
                    "published mean ± 2 sample SD over the same resamples; every pairing is in leaderboard.json.</p>")
        body.append(_table(R.ARCHIVE_HEADER, [[_esc(c) for c in row] for row in archive_rows], left=2))

    oofs = {m: o for m, o in lb.oof.items() if len(o)}
    if oofs:
        order = [r["model"] for r in main if r["model"] in oofs]
        oofs = {m: oofs[m] for m in order}
        body.append("<h2>Predicted vs true (out-of-fold)</h2>")
        body.append(_pred_vs_true(oofs, R.vocab(doc)))
        body.append("<h2>Residuals (out-of-fold)</h2>")
        body.append(_residuals(oofs, R.vocab(doc)))
    fold_rows = [r for r in main if r.get("per_fold")]
    if fold_rows:
        body.append("<h2>Per-fold metric spread</h2>")
        body.append(_fold_spread(fold_rows))
    order = [r["model"] for r in main]
    curves = _learning_curves({m: lb.histories[m] for m in order if m in lb.histories})
    body.append("<h2>Learning curves</h2>")
    body.append(curves or '<p class="meta">No training history recorded in the result store.</p>')

    notes = [r for r in main if r["kind"] != "harness"]
    if notes:
        body.append("<h2>Baselines: sources and notes</h2><ul>")
        body += [f"<li>{_kind_badge(r['kind'])} <b>{_esc(r['model'])}</b>: {_esc(r.get('note'))}. "
                 f"Source: {_esc(r.get('source'))}</li>" for r in notes]
        body.append("</ul>")
        pr = [r for r in notes if r["kind"] == "paper-reported"]
        if pr:
            hdr = ["model", "split", "R²", "wRMSE", "wMAE", "RMSE", "MAE"]
            rows = [[_esc(r["model"]), part, *(_esc(R.fmt(R.metric(r, part, m)))
                                               for m in ("r2", "wrmse", "wmae", "rmse", "mae"))]
                    for r in pr for part in ("val", "train") if r.get(part)]
            body.append(_table(hdr, rows, left=2))

    others = R.other_rows(doc)
    if others:
        body.append("<h2>M24 Table A1 — another data set, not comparable</h2>")
        body.append('<p class="warn">Monti et al. (2024) trained on their own 6002 Gaia DR3 RRab stars with '
                    "targets of a much narrower spread (not public). These figures are quoted for reference "
                    "only and are never ranked with the rows above.</p>")
        body.append(_table(R.OTHER_HEADER, [[_esc(c) for c in R.other_cells(r)] for r in others], left=2))
        for s in sorted({r.get("source") for r in others if r.get("source")}):
            body.append(f'<p class="meta">Source: {_esc(s)}</p>')

    cmds = R.commands(doc)
    if cmds:
        body.append('<h2>Commands to regenerate</h2><ul class="cmds">')
        body += [f"<li>{_esc(w)}: <code>{_esc(c)}</code></li>" for w, c in cmds]
        body.append("</ul>")
    body.append("<h2>Environment</h2>")
    for heading, pairs in R.environment_groups(doc):
        body.append(f'<p class="meta">{_esc(heading)}:</p>')
        body.append(_table(["", ""], [[_esc(k), _esc(v)] for k, v in pairs], left=2))
    title = _esc(f"tserbench leaderboard: {doc.get('name') or doc['dataset']}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body)
            + "\n</body></html>\n")

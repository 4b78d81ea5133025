"""Self-contained HTML rendering of a leaderboard (inline CSS, base64 PNG plots).

No external URL is referenced: the file can be mailed or archived as is.
The figures are :mod:`tserbench.leaderboard.figures`' (the same ones
``tserbench leaderboard`` exports as PNG and PDF), embedded at 150 dpi.
"""

from __future__ import annotations

import base64
import html

from tserbench.leaderboard import _cells as R
from tserbench.leaderboard.figures import DPI as _DPI

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
font-size:.92em;white-space:pre-wrap;overflow-wrap:anywhere}
img{max-width:100%;height:auto;border:1px solid #eee;margin:6px 0}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:6px 10px}
ul.cmds li{margin:.3em 0}
"""


def _esc(x) -> str:
    return html.escape("" if x is None else str(x))


def _command_html(command: str) -> str:
    """A shell command, escaped, that a narrow page wraps after a comma or a slash, not inside a name.

    ``--models a,b,c`` is one long word; without a break opportunity the CSS
    ``overflow-wrap:anywhere`` breaks it mid-name ("resne / t").
    """
    return _esc(command).replace(",", ",<wbr>").replace("/", "/<wbr>")


def _img(fig, alt: str) -> str:
    from tserbench.leaderboard.figures import png_bytes

    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    # shown at 100 px per inch of the figure: the 150-dpi PNG stays sharp on a high-density screen
    width = round(fig.get_figwidth() * 100)
    return f'<img alt="{_esc(alt)}" style="width:{width}px" src="data:image/png;base64,{data}">'


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


def to_html(lb, figs: dict | None = None) -> str:
    """Render a :class:`~tserbench.leaderboard._build.Leaderboard` as one HTML page.

    ``figs``: the leaderboard's figures by name (default: made here with
    :func:`tserbench.leaderboard.figures.leaderboard_figures`).
    """
    from tserbench.leaderboard.figures import leaderboard_figures

    figs = leaderboard_figures(lb) if figs is None else figs
    doc = lb.doc
    main = R.main_rows(doc)
    body = [f"<h1>Leaderboard: {_esc(doc.get('name') or doc['dataset'])}</h1>",
            '<p class="meta">dataset <code>' + _esc(doc["dataset"] + R.dataset_params_cell(doc)) + "</code> · protocol <code>"
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
                    "over folds. " + _esc(R.PUBLISHED_SELECTION_NOTE) + "</p>")
        body.append(_table(R.PAIRED_HEADER, [[_esc(c) for c in row] for row in paired], left=2))
        if "paired-vs-published" in figs:
            body.append(_img(figs["paired-vs-published"], "paired fold-wise differences"))
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

    for key, title, alt in (("predicted-vs-true", "Predicted vs true (out-of-fold)", "predicted vs true"),
                            ("residuals", "Residuals (out-of-fold)", "residual histograms"),
                            ("fold-spread", "Per-fold metric spread", "per-fold metric spread")):
        if key in figs:
            body.append(f"<h2>{title}</h2>")
            body.append(_img(figs[key], alt))
    body.append("<h2>Learning curves</h2>")
    if "learning-curves" in figs:
        body.append('<p class="meta">Each line is one job; the dot marks the epoch whose weights were kept. '
                    "Runs that recorded it show the unweighted RMSE on the fold's inner validation split, in the "
                    "table's unit; older runs show the loss on that split instead (the weighted MSE plus the "
                    "regularisation that training minimises, not the table's metric), and the axis says which."
                    "</p>")
        body.append(_img(figs["learning-curves"], "learning curves"))
    else:
        body.append('<p class="meta">No training history recorded in the result store'
                    " (a carried row keeps its metrics and out-of-fold predictions, not its curves).</p>")
    body.append('<p class="meta">Every figure is also in <code>figures/</code> beside this page, as PNG '
                f"({_DPI} dpi) and PDF.</p>")

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
        body += [f"<li>{_esc(w)}: <code>{_command_html(c)}</code></li>" for w, c in cmds]
        body.append("</ul>")
    body.append("<h2>Environment</h2>")
    for heading, pairs in R.environment_groups(doc):
        body.append(f'<p class="meta">{_esc(heading)}:</p>')
        body.append(_table(["", ""], [[_esc(k), _esc(v)] for k, v in pairs], left=2))
    title = _esc(f"tserbench leaderboard: {doc.get('name') or doc['dataset']}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body)
            + "\n</body></html>\n")

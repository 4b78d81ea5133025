"""The leaderboard's figures: one look per model, legends outside, nothing clipped silently, exported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tserbench.leaderboard import build_leaderboard, collect, figures
from tserbench.leaderboard._testing import make_fake_results
from tserbench.leaderboard._vocabulary import Vocabulary


def _oof(resid: np.ndarray) -> pd.DataFrame:
    y = np.linspace(-2.5, 0.0, len(resid))
    return pd.DataFrame({"y_true": y, "y_pred": y + resid})


def test_fourteen_models_get_fourteen_distinct_looks():
    names = [f"m{i}" for i in range(14)]
    styles = figures.model_styles(names)
    looks = {(tuple(s["color"]), s["marker"]) for s in styles.values()}
    assert len(looks) == 14
    assert len({tuple(s["color"]) for s in styles.values()}) == 14  # tab20 beyond ten models: no colour repeats
    assert figures.model_styles(names) == styles  # stable


def test_residual_outliers_are_counted_not_clipped_silently():
    rng = np.random.default_rng(0)
    resid = rng.normal(0, 0.1, 2000)
    resid[:3] = [2.0, 3.0, -2.5]  # far beyond the 99.5 % quantile
    fig = figures.residuals({"noisy": _oof(resid)}, Vocabulary(target="[Fe/H]", unit="dex", instances="stars"))
    ax = fig.axes[0]
    q = np.quantile(np.abs(resid), 0.995)  # the plotted range
    beyond = int(np.sum(np.abs(resid) > q))
    assert beyond >= 3 and f"; {beyond} beyond ±{q:.2f}" in ax.get_title() and "max |r| 3.00" in ax.get_title()
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == 2000  # every residual is in a bar: the histogram's or an overflow bar
    assert ax.get_xlabel() == "predicted − true [dex]" and ax.get_ylabel() == "stars"


def test_hexbin_panels_have_a_colour_bar_with_its_unit():
    rng = np.random.default_rng(1)
    fig = figures.predicted_vs_true({"big": _oof(rng.normal(0, 0.2, 2000))}, Vocabulary(instances="stars"))
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "stars per bin" in labels


def test_learning_curves_show_the_inner_rmse_and_mark_the_selected_epoch():
    hist = {"loss": [0.5, 0.3, 0.2, 0.19], "val_loss": [0.6, 0.4, 0.41, 0.45],
            "rmse": [0.9, 0.7, 0.6, 0.55], "val_rmse": [0.8, 0.6, 0.62, 0.66]}
    fig = figures.learning_curves({"gru": [("r0 f0", hist, {"best_epoch": 2, "stop_reason": "converged"})]},
                                  Vocabulary(unit="dex"))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "inner-split RMSE [dex]"
    assert "1 converged, 0 at the cap" in ax.get_title()
    marker = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(marker) == 1 and list(marker[0].get_xdata()) == [2] and list(marker[0].get_ydata()) == [0.6]
    assert fig.legends and not ax.get_legend()  # the legend is the figure's, outside the axes


def test_learning_curves_of_old_runs_say_they_show_the_loss():
    fig = figures.learning_curves({"gru": [("r0 f0", {"loss": [0.5, 0.3], "val_loss": [0.6, 0.4]})]})
    assert fig.axes[0].get_ylabel() == "inner-split loss (weighted MSE + reg.)"


def test_a_panel_draws_one_series_for_all_its_folds_when_some_lack_the_rmse():
    # a store finished partly by older code (loss only) and partly by newer (RMSE too): both folds show the loss
    old = {"loss": [0.5, 0.3], "val_loss": [0.6, 0.4]}
    new = {**old, "rmse": [0.9, 0.7], "val_rmse": [0.8, 0.6]}
    fig = figures.learning_curves({"gru": [("r0 f0", old), ("r0 f1", new)]})
    ax = fig.axes[0]
    assert ax.get_ylabel() == "inner-split loss (weighted MSE + reg.)"
    assert [list(line.get_ydata()) for line in ax.lines] == [[0.6, 0.4], [0.6, 0.4]]


def test_save_figures_writes_png_and_pdf_reproducibly_and_drops_stale_files(tmp_path):
    res = make_fake_results(tmp_path / "res", models={"gru": 0.12, "fcn": 0.25}, n_stars=60, n_folds=3)
    lb = collect(res)
    figs = figures.leaderboard_figures(lb)
    assert {"predicted-vs-true", "residuals", "fold-spread", "learning-curves"} <= set(figs)
    out = tmp_path / "figs"
    (out).mkdir()
    (out / "old-figure.png").write_bytes(b"stale")
    figures.save_figures(figs, out)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "old-figure.png" not in first
    assert set(first) == {f"{stem}.{ext}" for stem in figs for ext in ("png", "pdf")}
    figures.save_figures(figures.leaderboard_figures(collect(res)), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # byte-reproducible: no timestamps
    from matplotlib.image import imread

    img = imread(out / "residuals.png")
    w_in, h_in = figs["residuals"].get_size_inches()
    assert img.shape[1] == pytest.approx(w_in * figures.DPI, abs=2)  # 150 dpi


def test_build_leaderboard_exports_the_figures_beside_the_html(tmp_path):
    res = make_fake_results(tmp_path / "res", models={"gru": 0.12}, n_stars=40, n_folds=2)
    path = build_leaderboard(res, tmp_path / "out")
    folder = path.parent / "figures"
    assert (folder / "predicted-vs-true.pdf").read_bytes()[:5] == b"%PDF-"
    assert (folder / "learning-curves.png").is_file()
    assert "figures/" in (path.parent / "leaderboard.html").read_text()


def test_an_rmse_series_shorter_than_the_loss_is_not_drawn_against_the_wrong_epochs():
    hist = {"loss": [0.5, 0.3, 0.2], "val_loss": [0.6, 0.4, 0.3], "val_rmse": [0.5]}  # resumed mid-fit
    fig = figures.learning_curves({"gru": [("r0 f0", hist)]})
    assert fig.axes[0].get_ylabel().startswith("inner-split loss")

"""The leaderboard HTML renders in a real browser: images present, no console errors, not blank.

Needs headless Chromium (CI: ``apt-get install -y chromium``); skipped when absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from tserbench.leaderboard import build_leaderboard
from tserbench.leaderboard._testing import make_fake_results

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="headless Chromium not installed (apt-get install -y chromium)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-extensions",
         "--no-first-run", "--disable-dev-shm-usage"]


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, *FLAGS, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("html")
    res = make_fake_results(root / "res", models={"gru": 0.12, "fcn": 0.25}, n_stars=60, n_folds=3)
    path = build_leaderboard(res, root / "out", name="screenshot")
    return path.parent / "leaderboard.html"


def test_html_is_self_contained(page):
    html = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "external resource referenced"
    assert "<style>" in html and "<script" not in html


def test_dom_has_the_plots(page):
    proc = _chromium("--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    imgs = re.findall(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"', proc.stdout)
    # predicted-vs-true, residuals, per-fold spread, learning curves
    assert len(imgs) >= 4 and all(len(b) > 2000 for b in imgs)
    assert "<table>" in proc.stdout and "gru" in proc.stdout


def test_screenshot_not_blank_and_no_console_errors(page, tmp_path):
    import matplotlib.image as mpimg

    shot = tmp_path / "shot.png"
    proc = _chromium("--enable-logging=stderr", "--v=0", f"--screenshot={shot}", "--window-size=1400,3000",
                     page.as_uri())
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines()
               if "CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line]
    assert not console, "\n".join(console)
    assert shot.stat().st_size > 50_000
    img = mpimg.imread(shot)
    assert img.shape[0] == 3000 and img.shape[1] == 1400
    rgb = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(rgb[:: 7], axis=0)  # subsample: plenty for the count
    assert len(colours) > 200, f"only {len(colours)} distinct colours: page looks blank"
    # the plots are rendered, not only white background: a good share of non-white pixels
    assert (rgb.min(axis=1) < 200).mean() > 0.01

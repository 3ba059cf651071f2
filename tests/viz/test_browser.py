"""The compare report rendered in headless Debian chromium: sections, decoded images, screenshot."""

import io
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at "
                       "/usr/bin/chromium (make test installs it: apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from reglab.compare import compare
    from reglab.data import load_dataset, prepare
    from reglab.viz.compare_report import write_compare_report

    data = prepare(load_dataset("line", n_samples=60), "y", task="continuous")
    comp = compare(data, folds=2, models=["linear", "polynomial"], fast=True)
    return write_compare_report(comp, data, tmp_path_factory.mktemp("rep"), "builtin:line")


def test_report_renders_with_sections_and_images(report, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from PIL import Image

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report.as_uri())
        headings = page.locator("section > h2").all_inner_texts()
        images = page.evaluate("""() => Array.from(document.images).map(i => ({
            ok: i.complete && i.naturalWidth > 0, alt: i.alt,
            box: (r => [r.x + scrollX, r.y + scrollY, r.width, r.height])(
                i.getBoundingClientRect())}))""")
        leader = page.locator("#leaderboard tr.best td").all_inner_texts()
        shot = page.screenshot(full_page=True)
        browser.close()
    assert headings[:6] == ["Data", "Leaderboard", "Model fits", "Residual diagnostics",
                            "Partial effects", "Model summaries"]
    assert len(images) >= 4 and all(i["ok"] for i in images), images
    assert leader[1] in ("linear", "polynomial (degree 2)")
    img = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=float)
    assert img.shape[1] == 1200 and img.shape[0] > 1500
    assert np.allclose(img[10, 600], [0x0B, 0x3D, 0x5C], atol=3)  # the header band
    for i in images:  # every figure actually painted: plenty of distinct colours in its box
        x, y, w, h = (int(v) for v in i["box"])
        patch = img[y:y + h, x:x + w].reshape(-1, 3)
        assert w > 100 and h > 100 and len(np.unique(patch, axis=0)) > 20, i["alt"]

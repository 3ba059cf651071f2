"""The page in real headless Chromium (Debian's ``chromium``) driven by Playwright.

Needs ``/usr/bin/chromium`` (``make browser`` installs it as root: ``apt-get install chromium``);
without it these tests skip and say so. The server runs in a thread of the test process on a
free loopback port. Screenshots go to ``docs/playground*.png`` with REGLAB_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# Screenshots are written to docs/ only when asked (REGLAB_UPDATE_SCREENSHOTS=1), so that a test
# run leaves the work tree as it was; otherwise they go to a temporary folder and are still taken.
DOCS = (Path(__file__).resolve().parents[2] / "docs" if os.environ.get("REGLAB_UPDATE_SCREENSHOTS")
        else Path(tempfile.mkdtemp(prefix="reglab-shots-")))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium "
                       "(make browser, or apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def server():
    uvicorn = pytest.importorskip("uvicorn")
    from reglab.playground import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "playground server did not start"
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = ctx.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.base = server
    yield pg
    ctx.close()
    assert not problems, f"JavaScript errors on the page: {problems}"


def _open(page, hash_: str = "", applied: bool = True) -> None:
    """Load the page; wait until the config from the URL has been applied (generation 1) and
    its first frame drawn, so later clicks act on that set-up and not on the server default."""
    page.goto(page.base + hash_)
    ready = "s.generation >= 1 && s.lastFrame !== null && s.lastFrame.generation >= 1" if applied \
        else "s.lastFrame !== null"
    page.wait_for_function("(() => { const s = window.playground && window.playground.state(); "
                           f"return s && {ready}; }})()")


def _state(page, expr: str):
    return page.evaluate(f"(() => {{ const s = window.playground.state(); return {expr}; }})()")


def _wait_config(page, expr: str, timeout=15000) -> None:
    js = f"(() => {{ const c = window.playground.state().cfg; return {expr}; }})()"
    page.wait_for_function(js, timeout=timeout)


def test_spiral_add_layer_play_learns(page):
    """Spiral, 8-8 tanh network with sin features and Adam (set through the URL), add a third
    layer with the + button and widen it, press play: the test loss must fall below 0.15
    (log loss; 0.693 is a coin flip) within 60 s of play."""
    _open(page, "#layers=8,8&activations=tanh,tanh&features=x1,x2,sinx1,sinx2&optimizer=adam"
                "&learning_rate=0.03")
    page.click("#datasets button[data-dataset='spiral']")
    _wait_config(page, "c.dataset === 'spiral'")
    page.click("#add-layer")
    _wait_config(page, "c.layers.length === 3")
    page.click(".layer-col[data-layer='2'] .layer-head button[title='Add a neuron']")
    _wait_config(page, "c.layers[2] === 3")
    start_loss = _state(page, "s.lastFrame.test_loss")
    page.click("#play")
    t0 = time.monotonic()
    # Returns the frame that met the bound (training goes on, and Adam's loss wobbles).
    hit = page.wait_for_function(
        "(() => { const f = window.playground.state().lastFrame;"
        " return f.test_loss < 0.15 ? [f.test_loss, f.epoch] : false; })()",
        timeout=60000, polling=200).json_value()
    elapsed = time.monotonic() - t0
    page.click("#play")  # pause
    page.wait_for_function("document.getElementById('play').dataset.playing === '0'")
    loss, epoch = hit
    print(f"spiral 8-8-3: test loss {start_loss:.3f} -> {loss:.3f} in {elapsed:.1f} s "
          f"({epoch} epochs)")
    assert loss < 0.15 and start_loss > 0.5
    assert "dataset=spiral" in page.url and "layers=8%2C8%2C3" in page.url
    page.click("#show-test")
    page.screenshot(path=str(DOCS / "playground.png"))


def test_frame_rate_spiral_2x8(page):
    """Frames drawn per second in the page for the spiral with a 2x8 network while playing.
    Target 20/s (measured by benchmarks/playground_load.py); the bound asserted here is a modest
    5/s because the test machine is a shared 2-core box (load averages of 10 seen)."""
    _open(page, "#dataset=spiral&layers=8,8&activations=tanh,tanh&optimizer=adam")
    page.click("#play")
    page.wait_for_function("window.playground.stats.framesDrawn > 3")
    n0, t0 = page.evaluate("window.playground.stats.framesDrawn"), time.monotonic()
    page.wait_for_timeout(3000)
    n1, t1 = page.evaluate("window.playground.stats.framesDrawn"), time.monotonic()
    fps = (n1 - n0) / (t1 - t0)
    draw_ms = page.evaluate("window.playground.stats.drawMs")
    print(f"browser frame rate, spiral 2x8: {fps:.1f} frames/s (drawing {draw_ms:.1f} ms/frame)")
    page.click("#play")
    assert fps >= 5


def test_change_activation_per_layer(page):
    _open(page, "#dataset=xor&layers=4,3&activations=tanh,tanh")
    page.select_option(".layer-col[data-layer='0'] select", "relu")
    _wait_config(page, "c.activations[0] === 'relu' && c.activations[1] === 'tanh'")
    page.select_option(".layer-col[data-layer='1'] select", "selu")
    _wait_config(page, "c.activations.join() === 'relu,selu'")
    page.wait_for_function("location.hash.includes('activations=relu%2Cselu')")
    page.click("#step")
    page.wait_for_function("window.playground.state().lastFrame.epoch === 1")
    assert page.locator(".layer-col[data-layer='1'] .node").count() == 3
    # Hovering a neuron shows its (20 x 20) map in the output panel; leaving restores (50 x 50).
    page.hover(".layer-col[data-layer='1'] .node")
    page.wait_for_function("document.getElementById('heatmap').width === 20")
    page.mouse.move(5, 5)
    page.wait_for_function("document.getElementById('heatmap').width === 50")


def test_upload_csv_and_a_bad_one(page, tmp_path):
    # Logistic regression on x1^2 and x2^2 (GLM mode) can draw a disc: it learns these quickly.
    _open(page, "#features=x1sq,x2sq&layers=&activations=&optimizer=adam&learning_rate=0.1")
    good = tmp_path / "mine.csv"
    rows = [f"{x},{y},{'in' if x * x + y * y < 20 else 'out'}"
            for x in range(-6, 7, 2) for y in range(-6, 7, 2)]
    good.write_text("width,height,where\n" + "\n".join(rows) + "\n")
    page.set_input_files("#upload", str(good))
    _wait_config(page, "c.dataset === 'custom'")
    assert page.locator("#custom-btn").is_visible()
    assert page.locator("#legend").inner_text().split() == ["in", "out"]
    page.click("#play")
    page.wait_for_function("window.playground.state().lastFrame.epoch >= 40", timeout=30000)
    page.click("#play")
    assert _state(page, "s.lastFrame.train_accuracy") >= 0.9
    page.screenshot(path=str(DOCS / "playground-upload.png"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,0\n3,oops,1\n4,5,0\n6,7,1\n")
    page.set_input_files("#upload", str(bad))
    page.wait_for_selector("#error:not([hidden])")
    assert "line 3, column 'b': 'oops'" in page.inner_text("#error-text")
    assert _state(page, "s.cfg.dataset") == "custom"  # the good upload is kept


def test_bad_url_state_shows_an_error_and_the_page_still_works(page):
    _open(page, "#dataset=spiral&layers=9&activations=tanh", applied=False)
    page.wait_for_selector("#error:not([hidden])")
    assert "layers[0]=9" in page.inner_text("#error-text")
    # Only the bad field falls back to its default (layers with their activations, URL
    # included); the rest of the link, the spiral, is kept.
    page.wait_for_function("location.hash.includes('layers=4%2C2')")
    assert _state(page, "s.cfg.layers") == [4, 2]
    assert _state(page, "s.cfg.dataset") == "spiral"
    assert page.locator("#error").is_visible()  # the banner stays until dismissed
    page.click("#datasets button[data-dataset='gauss']")
    _wait_config(page, "c.dataset === 'gauss'")


def test_url_text_is_quoted_as_typed_and_hash_edits_are_followed(page):
    _open(page, "#layers=4,x&activations=tanh,tanh", applied=False)
    page.wait_for_selector("#error:not([hidden])")
    assert "layers[1]='x': a layer has 1 to 8 neurons" in page.inner_text("#error-text")
    _wait_config(page, "c.layers.join() === '4,2'")
    gen = _state(page, "s.generation")
    # Editing the address bar (here: setting the hash) applies the new set-up to the page.
    page.evaluate("location.hash = 'dataset=xor&layers=3&activations=relu'")
    page.wait_for_function(f"window.playground.state().generation > {gen} && "
                           "window.playground.state().cfg.dataset === 'xor'")
    assert _state(page, "s.cfg.layers") == [3] and _state(page, "s.cfg.activations") == ["relu"]
    assert page.locator("#n-layers").text_content() + " " + \
        page.locator("#layers-word").text_content() == "1 hidden layer"
    assert page.locator('[data-neuron="0-2"]').get_attribute("title").startswith(
        "hidden layer 1, neuron 3 (relu)")
    for epoch in (1, 2):  # the loss chart draws (and prints its scale) from two points on
        page.click("#step")
        page.wait_for_function(f"window.playground.state().lastFrame.epoch >= {epoch}")
    page.wait_for_function("document.querySelector('#loss-scale').textContent.startsWith('0 ')",
                           timeout=5000)
    assert page.locator("#edges line title").count() > 0


def test_uploaded_regression_target_legend_and_notice(page, tmp_path):
    _open(page)
    f = tmp_path / "prices.csv"
    f.write_text("x,y,price\n" + "\n".join(f"{i},{(i * 7) % 11},{10.5 + 8.9 * i:.1f}"
                                             for i in range(11)) + "\n")
    page.set_input_files("#upload", str(f))
    _wait_config(page, "c.dataset === 'custom'")
    legend = page.inner_text("#legend")
    assert "10.5 (-1)" in legend and "99.5 (+1)" in legend and "price, rescaled" in legend
    assert page.locator("#notice").is_hidden()
    nine = tmp_path / "digits.csv"
    nine.write_text("a,b,digit\n" + "\n".join(f"{i},{i * i % 13},{i % 10}"
                                               for i in range(30)) + "\n")
    page.set_input_files("#upload", str(nine))
    page.wait_for_selector("#notice:not([hidden])")
    assert page.inner_text("#notice-text").startswith(
        "column 'digit' has 10 distinct integers: read as a numeric target")


def test_draw_points_and_glm_mode_multiclass(page):
    _open(page, "#dataset=blobs4&layers=&activations=&optimizer=adam&learning_rate=0.1")
    assert page.locator("#glm-note").is_visible()
    assert "softmax" in page.inner_text("#glm-note")
    assert page.locator("#output-units .out-unit").count() == 4
    page.click("#play")
    page.wait_for_function("window.playground.state().lastFrame.epoch >= 5")
    page.click("#play")
    page.screenshot(path=str(DOCS / "playground-multiclass.png"))
    page.click("#draw")
    box = page.locator("#points").bounding_box()
    for (fx, fy), cls in zip([(0.2, 0.2), (0.8, 0.8), (0.25, 0.7), (0.7, 0.3), (0.5, 0.5)],
                             ["0", "1", "0", "1", "1"]):
        page.select_option("#draw-class", cls)
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    _wait_config(page, "c.dataset === 'custom'")
    assert _state(page, "s.problem") == "binary"

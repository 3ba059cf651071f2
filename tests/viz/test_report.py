"""The HTML report container and the figure helpers (checked through their data, not pixels)."""

import base64
import re

import numpy as np
import pandas as pd
import pytest

from reglab.viz import plots
from reglab.viz.report import Report
from reglab.viz.style import to_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_report_is_self_contained_with_sections_tables_and_images(tmp_path):
    from reglab.viz.style import subplots

    rep = Report("T <1>", "sub")
    a, b = rep.section("Leader board"), rep.section("Leader board")
    assert (a.id, b.id) == ("leader-board", "leader-board-2")
    rep.table(a, pd.DataFrame({"model": ["x<y", "z"], "score": [1.23456, float("nan")]}),
              highlight_first=True)
    fig, ax = subplots()
    ax.plot([0, 1], [0, 1])
    rep.figure(b, fig, 'a "fit"')
    html = rep.write(tmp_path / "r" / "index.html").read_text()
    assert "<title>T &lt;1&gt;</title>" in html and "x&lt;y" in html
    assert '<tr class="best"><td class="t">x&lt;y</td><td>1.235</td>' in html
    assert re.search(r'<section id="leader-board-2"><h2>Leader board</h2>', html)
    assert "http://" not in html and "https://" not in html  # nothing to fetch
    src = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(src).startswith(PNG_MAGIC)
    assert 'alt="a &quot;fit&quot;"' in html


def test_gd_snapshots_draw_one_line_per_selected_epoch():
    x = np.linspace(0, 10, 20)
    path = np.column_stack([np.linspace(0, 2, 101), np.linspace(-1, 0.5, 101)])
    fig = plots.gd_snapshots(x, 2 + 0.5 * x, path, ranges=((1, 10), (51, 100)), max_lines=30)
    start, early, late = fig.axes
    assert len(start.lines) == 1 and len(early.lines) == 10 + 1  # epochs 1..10 + the last, bold
    assert len(late.lines) == 30 + 1
    # the bold line of the last panel is exactly the final (intercept, slope)
    xs, ys = late.lines[-1].get_data()
    np.testing.assert_allclose(ys, path[100, 0] + path[100, 1] * np.asarray(xs))
    assert to_png(fig).startswith(PNG_MAGIC)
    assert [ax.get_title() for ax in fig.axes] == ["Starting point", "Epochs 1-10", "Epochs 51-100"]
    steps = plots.gd_snapshots(x, 2 + 0.5 * x, path, ranges=((1, 10),), unit="step")
    assert [ax.get_title() for ax in steps.axes] == ["Starting point", "Steps 1-10"]


def test_gd_animation_writes_a_gif(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    x = np.linspace(0, 1, 5)
    path = np.column_stack([np.zeros(50), np.linspace(0, 1, 50)])
    (gif,) = plots.gd_animation(x, x, path, tmp_path / "a.gif", n_frames=6)
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames >= 5


def test_animation_frame_holds_a_start_line_far_from_the_data():
    """The tour's random start (y = -0.13 x + 0.15 under data in 1..9) was drawn outside the
    frame: the first GIF frame showed no line."""
    y = np.array([1.0, 9.0])
    lines = np.array([[0.15, -0.13], [1.8, 0.5]])
    lo, hi = plots.frame_ylim(y, lines, np.array([0.0, 10.0]))
    assert lo < 0.15 - 1.3 and hi > 9.0  # the start's end at x = 10 is -1.15
    assert (lo, hi) == pytest.approx((-1.15 - 1.015, 9 + 1.015))


def test_square_error_titles_carry_the_sum_of_squares():
    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 4.0])
    fig = plots.square_error(x, y, {"flat": (2.0, 0.0)})
    assert fig.axes[0].get_title().endswith(f"Error = {1 + 0 + 4:.2f}")
    assert len(fig.axes[0].patches) == 3


def test_partial_dependence_of_an_additive_function_is_its_component():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))

    def f(A):
        return A[:, 0] ** 2 + 3 * A[:, 1]

    grid, pd_ = plots.partial_dependence(f, X, 0, grid_size=15)
    # PD_0(g) = g^2 + 3 mean(x2): exact for an additive model
    np.testing.assert_allclose(pd_, grid**2 + 3 * X[:, 1].mean(), rtol=1e-12)


def test_residual_diagnostics_qq_line_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(1)
    y, yh = rng.normal(size=100), np.zeros(100)
    fig = plots.residual_diagnostics(y, yh)
    qq = fig.axes[1]
    (osm, osr), _ = stats.probplot(y, dist="norm")
    np.testing.assert_allclose(qq.collections[0].get_offsets()[:, 1], osr)

"""reglab demo: the worked examples against closed forms, and the tour machinery."""

import math

import numpy as np
import pytest

from reglab.viz import tour
from reglab.viz.worked import worked_examples


def _row(name):
    return next(r for r in worked_examples() if r[0] == name)


def _floats(text):
    return [float(v) for v in text.strip("[]").split(",")]


def test_worked_softmax_values_match_closed_form():
    for name, z in (("softmax([6, -2, 3])", [6, -2, 3]), ("softmax([2, 3, 5, 1])", [2, 3, 5, 1])):
        e = np.exp(z)
        np.testing.assert_allclose(_floats(_row(name)[1]), e / e.sum(), rtol=1e-3)
    # the lecture's own published values, to its printed precision
    np.testing.assert_allclose(_floats(_row("softmax([2, 3, 5, 1])")[1]),
                               [0.041, 0.1124, 0.831, 0.0152], atol=6e-4)


def test_worked_network_and_cross_entropy():
    def sig(v):
        return 1 / (1 + math.exp(-v))

    h = [sig(0.2 * 1.2 + 0.5 * 0.9 - 0.9 * 0.3 + 0.1), sig(0.2 * 0.2 + 0.5 * 0.3 - 0.9 * 0.1 + 0.1),
         sig(0.2 * 1.3 + 0.5 * 1.9 - 0.9 * 0.1 + 0.1)]
    out = sig(0.2 * h[0] + 0.6 * h[1] + 0.2 * h[2] + 0.1)
    assert float(_row("sigmoid network: output")[1]) == pytest.approx(out, abs=5e-5)
    lecture_h = float(_row("sigmoid network: output from [0.62, 0.63, 0.77]")[1])
    assert round(lecture_h, 2) == 0.68  # the lecture's 0.756 -> 0.68
    assert float(_row("cross-entropy, true class 3 (log10)")[1]) == pytest.approx(
        -math.log10(0.048), abs=5e-5)
    assert float(_row("cross-entropy, true class 1 (nats)")[1]) == pytest.approx(
        -math.log(0.952), abs=5e-5)


def test_tour_writes_sections_and_reports_failures(tmp_path, monkeypatch):
    from reglab.viz import tour_steps as ts

    def broken(rep, sec, quick, out):
        raise ZeroDivisionError("boom")

    def missing(rep, sec, quick, out):
        raise ImportError("reglab.models.future is not available")

    monkeypatch.setattr(tour, "STEPS", [("Worked examples", tour._worked),
                                        ("Square error", ts.square_errors),
                                        ("Surface", ts.surface_terms),
                                        ("Missing", missing), ("Broken", broken)])
    logs = []
    with pytest.raises(RuntimeError, match="demo steps failed: Broken"):
        tour.run_tour(tmp_path, quick=True, progress=False, log=logs.append)
    html = (tmp_path / "index.html").read_text()
    for sid in ("worked-examples", "square-error", "surface", "missing", "broken"):
        assert f'<section id="{sid}">' in html
    assert "skipped: reglab.models.future is not available" in html
    assert "failed: ZeroDivisionError: boom" in html
    assert any("Broken: FAILED" in line for line in logs)


def test_demo_command_prints_the_worked_examples(run, monkeypatch, tmp_path):
    monkeypatch.setattr(tour, "STEPS", [("Worked examples", tour._worked)])
    code, out, err = run("demo", "--quick", "-q", "-o", tmp_path)
    assert code == 0, err
    assert "softmax([6, -2, 3])" in out and "0.952" in out
    assert (tmp_path / "index.html").exists()

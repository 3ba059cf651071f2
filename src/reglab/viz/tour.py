"""``reglab demo``: the lecture's path on built-in data, written as one HTML report.

The tour is a list of steps; each adds a section to the report. A step whose model has not been
built (or whose optional extra is missing) adds a note saying so instead of failing the tour.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from reglab.viz import tour_steps as ts
from reglab.viz.report import Report, Section

__all__ = ["run_tour", "STEPS"]


def _worked(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    from reglab.viz.worked import worked_examples

    rows = worked_examples()
    rep.text(sec, "The lecture's worked examples recomputed with reglab.core. Cross-entropy is "
                  "reported in nats (natural log); the lecture's printed values used log10.")
    rep.table(sec, pd.DataFrame(rows, columns=["example", "reglab", "lecture", "comment"]))


def _activations(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    from reglab.viz.nnplots import activation_gallery

    rep.text(sec, "Every registered activation f (solid) with its derivative f' (dashed), the "
                  "derivative taken from the activation's own vector-Jacobian product.")
    rep.figure(sec, activation_gallery(), "activation functions and their derivatives")


def _comparison(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    from reglab.compare import compare
    from reglab.data import load_dataset, prepare
    from reglab.viz.compare_report import add_comparison

    data = prepare(load_dataset("surface", n_samples=250 if quick else 400), "y",
                   task="continuous")
    comp = compare(data, folds=3 if quick else 5, fast=quick)
    rep.text(sec, "The whole ladder on the nonlinear surface, as 'reglab compare "
                  "builtin:surface' runs it; the sections below are that command's report.")
    add_comparison(rep, comp, data, "builtin:surface")


Step = Callable[[Report, Section, bool, Path], None]
STEPS: list[tuple[str, Step]] = [
    ("Worked examples", _worked),
    ("Gradient descent moves the line", ts.gradient_descent_line),
    ("Square error", ts.square_errors),
    ("Polynomial fits", ts.polynomial_fits),
    ("The nonlinear surface", ts.surface_terms),
    ("Logistic and softmax regression", ts.decision_regions),
    ("Universal approximation", ts.universal_approximation),
    ("Activation functions", _activations),
    ("Classifier comparison", ts.classifier_grid),
    ("Poisson vs negative binomial", ts.counts),
    ("Errors in variables", ts.errors_in_variables),
    ("Model comparison", _comparison),
]


def run_tour(output: str | Path = "reglab-report", *, quick: bool = False,
             progress: bool = True, log: Callable[[str], None] = print) -> Path:
    """Run every tour step, write ``output/index.html`` and return its path."""
    from rich.progress import Progress

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    rep = Report("reglab demo: from the least-squares line to neural networks",
                 "the lecture's tour on built-in data")
    failures: list[str] = []
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("demo", total=len(STEPS))
        for title, step in STEPS:
            bar.update(task, description=title)
            sec = rep.section(title)
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # convergence chatter; the text says enough
                    step(rep, sec, quick, out)
            except ImportError as exc:  # a model or extra that is not installed yet
                rep.text(sec, f"skipped: {exc}", "note")
                log(f"{title}: skipped ({exc})")
            except Exception as exc:  # one broken step must not hide the rest of the tour
                rep.text(sec, f"failed: {type(exc).__name__}: {exc}", "note")
                log(f"{title}: FAILED ({type(exc).__name__}: {exc})")
                failures.append(title)
            log(f"{title}: done ({time.perf_counter() - t0:.1f} s)")
            bar.advance(task)
    path = rep.write(out / "index.html")
    if failures:
        raise RuntimeError(f"demo steps failed: {', '.join(failures)} (report written to "
                           f"{path})")
    return path

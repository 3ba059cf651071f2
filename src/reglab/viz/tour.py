"""``reglab demo``: the lecture's path on built-in data, written as one HTML report.

The tour is a list of steps; each adds a section to the report. A step whose model has not been
built (or whose optional extra is missing) adds a note saying so instead of failing the tour.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

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


Step = Callable[[Report, Section, bool, Path], None]
STEPS: list[tuple[str, Step]] = [
    ("Worked examples", _worked),
    ("Activation functions", _activations),
]


def run_tour(output: str | Path = "reglab-report", *, quick: bool = False,
             progress: bool = True, log: Callable[[str], None] = print) -> Path:
    """Run every tour step, write ``output/index.html`` and return its path."""
    from rich.progress import Progress

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    rep = Report("reglab demo: from the least-squares line to neural networks",
                 "the lecture's tour on built-in data")
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("demo", total=len(STEPS))
        for title, step in STEPS:
            bar.update(task, description=title)
            sec = rep.section(title)
            try:
                step(rep, sec, quick, out)
            except ImportError as exc:  # a model or extra that is not installed yet
                rep.text(sec, f"skipped: {exc}", "note")
                log(f"{title}: skipped ({exc})")
            bar.advance(task)
    return rep.write(out / "index.html")

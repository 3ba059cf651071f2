"""The ``reglab`` command line: parses, calls the library, prints. No math here.

Exit codes: 0 success, 1 user error (bad data, bad file, bad option value), 2 usage error (unknown
option, missing argument). Errors are one line on stderr, never a traceback (set
``REGLAB_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="reglab: regression and neural networks on tabular data.")
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
STATE = {"quiet": False}

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or notes.")]


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line, exit code 1."""


@app.callback()
def _root() -> None:
    """reglab: regression and neural networks on tabular data."""


def note(text: str) -> None:
    if not STATE["quiet"]:
        out.print(f"[dim]{text}[/dim]")


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*r)
    return t


@app.command()
def demo(output: Annotated[Path, typer.Option("--output", "-o", help="Report directory.")]
         = Path("reglab-report"),
         quick: Annotated[bool, typer.Option(help="Smaller data and fewer iterations.")] = False,
         quiet: Quiet = False) -> None:
    """The lecture's tour on built-in data: worked examples, plots and the HTML report."""
    STATE["quiet"] = quiet
    from reglab.viz.worked import worked_examples

    rows = [list(r) for r in worked_examples()]
    out.print(_table("Worked examples (lecture vs reglab)",
                     ["example", "reglab", "lecture", "comment"], rows))
    from reglab.viz.tour import run_tour

    path = run_tour(output, quick=quick, progress=not quiet, log=note)
    out.print(f"report written to {path}")


def _run(argv: list[str]) -> int:
    # Click's standalone mode prints usage errors (exit 2) and help (exit 0) and exits; any
    # other exception propagates to main(), which prints it as one line.
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="reglab", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``reglab`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(argv)
    except (UserError, ValueError, KeyError, OSError) as exc:
        if os.environ.get("REGLAB_DEBUG"):
            raise
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err.print(f"error: {msg}", markup=False)
        return 1
    except Exception as exc:  # the promise is one line, never a traceback
        if os.environ.get("REGLAB_DEBUG"):
            raise
        err.print(f"internal error ({type(exc).__name__}): {exc}; rerun with REGLAB_DEBUG=1 "
                  "for a traceback", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The self-contained HTML report: sections of text, tables and figures, images as base64.

The file needs no network and no other files to open: CSS is inline and every image is a
``data:image/png;base64,...`` (or GIF) URI. Each section is an ``<section id=...>`` with an
``<h2>``, and each figure an ``<img alt=...>`` inside a ``<figure>`` with a caption, so tests can
find them in the DOM.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reglab.viz.style import to_png

__all__ = ["Report", "Section"]

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
header{background:#0b3d5c;color:#fff;padding:18px 32px}header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;opacity:.85}
nav{padding:8px 32px;background:#e8eef2;font-size:13px}nav a{margin-right:14px;color:#0b3d5c}
main{padding:8px 32px 40px}section{background:#fff;border:1px solid #ddd;border-radius:6px;
margin:16px 0;padding:12px 20px}h2{color:#0b3d5c;font-size:19px;margin:6px 0 10px}
figure{display:inline-block;margin:6px 12px 10px 0;vertical-align:top}
figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eef3f6}
td:first-child,th:first-child,td.t{text-align:left}tr.best td{background:#e6f4ea;font-weight:600}
pre{background:#f4f4f4;padding:8px;font-size:12px;overflow-x:auto}.note{color:#666;font-size:13px}
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


@dataclass
class Section:
    title: str
    id: str
    parts: list[str] = field(default_factory=list)


class Report:
    """Collects sections and writes one HTML file.

    >>> rep = Report("reglab report"); sec = rep.section("Leaderboard")
    >>> rep.table(sec, df); rep.figure(sec, fig, "fit"); rep.write("out/report.html")
    """

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title, self.subtitle = title, subtitle
        self.sections: list[Section] = []

    def section(self, title: str) -> Section:
        sid, k = _slug(title), 2
        while any(s.id == sid for s in self.sections):
            sid, k = f"{_slug(title)}-{k}", k + 1
        sec = Section(title, sid)
        self.sections.append(sec)
        return sec

    def text(self, sec: Section, text: str, cls: str = "") -> None:
        attr = f' class="{cls}"' if cls else ""
        sec.parts.append(f"<p{attr}>{html.escape(text)}</p>")

    def pre(self, sec: Section, text: str) -> None:
        sec.parts.append(f"<pre>{html.escape(text)}</pre>")

    def table(self, sec: Section, df: pd.DataFrame, highlight_first: bool = False,
              float_format: str = "{:.4g}") -> None:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
        rows = []
        for i, (_, row) in enumerate(df.iterrows()):
            cells = "".join(f"<td{_align(v)}>{html.escape(_fmt(v, float_format))}</td>"
                            for v in row)
            cls = ' class="best"' if highlight_first and i == 0 else ""
            rows.append(f"<tr{cls}>{cells}</tr>")
        sec.parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
                         "</tbody></table>")

    def figure(self, sec: Section, fig: Any, caption: str) -> None:
        """Embed a matplotlib figure (closed afterwards) as a base64 PNG."""
        self.image(sec, to_png(fig), caption, "png")

    def image(self, sec: Section, data: bytes, caption: str, fmt: str = "png") -> None:
        b64 = base64.b64encode(data).decode("ascii")
        cap = html.escape(caption)
        sec.parts.append(f'<figure><img alt="{cap}" src="data:image/{fmt};base64,{b64}">'
                         f"<figcaption>{cap}</figcaption></figure>")

    def html(self) -> str:
        nav = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in self.sections)
        body = "".join(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>{"".join(s.parts)}'
                       "</section>" for s in self.sections)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        sub = html.escape(self.subtitle + (" · " if self.subtitle else "") + f"generated {stamp}")
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                f"<title>{html.escape(self.title)}</title><style>{CSS}</style></head><body>"
                f"<header><h1>{html.escape(self.title)}</h1><p>{sub}</p></header>"
                f"<nav>{nav}</nav><main>{body}</main></body></html>")

    def write(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.html(), encoding="utf-8")
        return p


def _align(v: Any) -> str:
    """Numbers right-aligned (the CSS default), text left-aligned."""
    return "" if isinstance(v, int | float | np.number) else ' class="t"'


def _fmt(v: Any, float_format: str) -> str:
    if isinstance(v, float):
        return "" if pd.isna(v) else float_format.format(v)
    return str(v)

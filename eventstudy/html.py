"""``report.html``: one self-contained page rendered with Jinja2 (autoescaped).

The CSS and the few lines of JavaScript (click a header to sort a table; on load, record how
many images decoded in ``data-images-ok`` on the root element) are inline, and every figure is
embedded as a base64 ``data:`` URI, so the page references no other file and can be mailed or
moved on its own. The template is ``eventstudy/templates/report.html.j2``.
"""

from __future__ import annotations

import base64
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

if TYPE_CHECKING:
    from eventstudy.report import FigureFile, Report, Table

_ENVIRONMENT = Environment(
    loader=PackageLoader("eventstudy", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=False,
)


@dataclass(frozen=True)
class _FigureView:
    name: str
    title: str
    caption: str
    uri: str
    width: int
    height: int


@dataclass(frozen=True)
class _CellView:
    html: Markup
    sort: str | None
    cls: str


@dataclass(frozen=True)
class _TableView:
    key: str
    columns: tuple[str, ...]
    align: str
    rows: tuple[tuple[_CellView, ...], ...]
    caption: str
    collapsed: bool


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG file's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def data_uri(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure(figure: FigureFile) -> _FigureView:
    width, height = png_size(figure.png)
    return _FigureView(figure.name, figure.title, figure.caption, data_uri(figure.png), width, height)


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def inline(text: str) -> Markup:
    """Escape ``text`` and render markdown ```code``` and ``**bold**`` spans."""
    escaped = str(escape(text))
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return Markup(_BOLD.sub(r"<strong>\1</strong>", escaped))


def _cell(text: str, sort: float | None, numeric: bool, align: str) -> _CellView:
    cls = align
    if numeric and sort is not None and sort != 0 and text[:1] in "+-" and " " not in text:
        cls += " pos" if sort > 0 else " neg"
    if not numeric and len(text) > 40:
        cls += " wrap"  # long text wraps; everything else stays on one line
    sort_attr = ("" if sort is None else repr(float(sort))) if numeric else None
    return _CellView(inline(text), sort_attr, cls)


def _table(table: Table) -> _TableView:
    rows = tuple(
        tuple(_cell(c.text, c.sort, c.numeric, table.align[i]) for i, c in enumerate(row))
        for row in table.rows
    )
    return _TableView(table.key, table.columns, table.align, rows, table.caption, table.collapsed)


_NUMBER = re.compile(r"^([+-]?)\$?(\d[\d,]*\.?\d*)\s*(%|[KMBT])?")
_SCALE = {"%": 0.01, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def _sort_value(text: str) -> float | None:
    """Best-effort number behind a formatted cell (``+35.38%``, ``-$1.2B``) for sorting."""
    match = _NUMBER.match(text.strip().replace("−", "-"))
    if not match:
        return None
    value = float(match.group(2).replace(",", "")) * _SCALE.get(match.group(3) or "", 1.0)
    return -value if match.group(1) == "-" else value


def markdown_blocks(markdown: str, figures: dict[str, _FigureView], key: str) -> list[dict[str, Any]]:
    """Blocks of a simple markdown text (headings, paragraphs, lists, pipe tables, images).

    Enough for the pre-rendered sections other modules write (the backtest's); images whose
    path is in ``figures`` are embedded, others are dropped (they could be broken references).
    """
    from eventstudy.report import Cell, Table

    blocks: list[dict[str, Any]] = []
    lines = markdown.splitlines()
    i = 0
    n_tables = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        image = re.match(r"^!\[([^\]]*)\]\(([^)]+)\)$", line.strip())
        if heading:
            blocks.append(
                {"kind": "heading", "level": min(6, len(heading.group(1))), "html": inline(heading.group(2))}
            )
            i += 1
        elif image:
            if image.group(2) in figures:
                blocks.append({"kind": "figure", "figure": figures[image.group(2)]})
            i += 1
        elif line.startswith("|"):
            chunk = []
            while i < len(lines) and lines[i].startswith("|"):
                chunk.append(lines[i].strip())
                i += 1
            cells = [_split_row(r) for r in chunk]
            header, marks, body = cells[0], cells[1] if len(cells) > 1 else [], cells[2:]
            align = "".join("r" if m.endswith(":") else "l" for m in marks) or "l" * len(header)
            rows = []
            for r in body:
                row = []
                for j, text in enumerate(r):
                    value = _sort_value(text) if align[j : j + 1] == "r" else None
                    row.append(Cell(text, value, numeric=align[j : j + 1] == "r"))
                rows.append(tuple(row))
            n_tables += 1
            table = Table(f"{key}-{n_tables}", tuple(header), align, tuple(rows))
            blocks.append({"kind": "table", "table": _table(table)})
        elif re.match(r"^\s*[-*]\s+", line):
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                items.append(inline(re.sub(r"^\s*[-*]\s+", "", lines[i])))
                i += 1
            blocks.append({"kind": "list", "entries": items})
        else:
            text = []
            while i < len(lines) and lines[i].strip() and not re.match(r"^(#|\||!\[|\s*[-*]\s)", lines[i]):
                text.append(lines[i].strip())
                i += 1
            blocks.append({"kind": "paragraph", "html": inline(" ".join(text))})
    return blocks


def _split_row(row: str) -> list[str]:
    inner = row.strip().removeprefix("|").removesuffix("|")
    parts = re.split(r"(?<!\\)\|", inner)
    return [p.strip().replace("\\|", "|") for p in parts]


def render_html(report: Report) -> str:
    """The self-contained ``report.html`` of ``report``."""
    sections = []
    n_figures = 0
    for section in report.sections:
        figures = [_figure(f) for f in section.figures]
        n_figures += len(figures)
        blocks = []
        if section.markdown:
            blocks = markdown_blocks(section.markdown, {f.name: f for f in figures}, section.key)
            embedded = {b["figure"].name for b in blocks if b["kind"] == "figure"}
            n_figures -= len(figures) - len(embedded)
            figures = []
        sections.append(
            {
                "key": section.key,
                "title": section.title,
                "paragraphs": section.paragraphs,
                "figures": figures,
                "tables": [_table(t) for t in section.tables],
                "bullets": [inline(b) for b in section.bullets],
                "blocks": blocks,
            }
        )
    template = _ENVIRONMENT.get_template("report.html.j2")
    return template.render(report=report, sections=sections, n_figures=n_figures)

"""``report.html``: one self-contained page rendered with Jinja2 (autoescaped).

The CSS and the few lines of JavaScript (click a header to sort a table; on load, record how
many images decoded in ``data-images-ok`` on the root element) are inline, and every figure is
embedded as a base64 ``data:`` URI, so the page references no other file and can be mailed or
moved on its own. The template is ``eventstudy/report/templates/report.html.j2``.

Everything is escaped: plain text (titles, table cells, column headers) by Jinja2's
autoescaping, and the report's markdown text (paragraphs, bullets, the summary, captions) by
:func:`inline`, which escapes first and only then renders ```code```, ``**bold**`` and
backslash escapes. No text of the user's can become markup.
"""

from __future__ import annotations

import base64
import math
import re
import struct
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from eventstudy.report import fmt
from eventstudy.report.document import Cell, FigureFile, Report, Table

_ENVIRONMENT = Environment(
    loader=PackageLoader("eventstudy.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=False,
)


@dataclass(frozen=True)
class _FigureView:
    name: str
    title: str
    caption: Markup
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
    caption: Markup
    collapsed: bool
    footnote: Markup


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
    """The page shows a figure at 100 pixels per inch whatever the PNG's print resolution."""
    width, height = png_size(figure.png)
    width, height = round(width * 100 / figure.dpi), round(height * 100 / figure.dpi)
    return _FigureView(
        figure.name, fmt.plain(figure.title), inline(figure.caption), data_uri(figure.png), width, height
    )


_SPAN = re.compile(r"\\([!-/:-@\[-`{-~])|(`+)(?!`)(.+?)(?<!`)\2(?!`)")
"""A backslash escape, or a code span (a run of backticks, its text, the same run)."""
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_HELD = re.compile(r"\x00(\d+)\x00")


def inline(text: str) -> Markup:
    """HTML of a line of the report's markdown: everything escaped, then code spans, ``**bold**``
    and backslash escapes rendered as CommonMark would, from left to right: ``\\|`` is ``|`` and
    an escaped backtick starts no span; a span's text is literal (no escapes: the published
    command line read back in bash from report.md lost to them), between runs of one length
    (``` `` a`b `` ```), one space taken from each end when both have one."""
    held: list[str] = []

    def hold(match: re.Match[str]) -> str:
        escaped, code = match.group(1), match.group(3)
        if escaped is not None:
            held.append(str(escape(escaped)))
        else:
            if code.startswith(" ") and code.endswith(" ") and code.strip():
                code = code[1:-1]
            held.append(f"<code>{escape(code)}</code>")
        return f"\x00{len(held) - 1}\x00"

    text = _SPAN.sub(hold, str(text).replace("\x00", ""))
    escaped = _BOLD.sub(r"<strong>\1</strong>", str(escape(text)))
    return Markup(_HELD.sub(lambda m: held[int(m.group(1))], escaped))


SORT_DIGITS = 6
"""Significant digits of a table cell's sort key (``data-sort``).

The cells show at most four or five; six order them as finely as a reader sees them (and every
count below a million exactly). A full-precision key would carry the last bits of the
arithmetic, which differ between CPUs, BLAS builds and a Dask run, so the same study's page
would differ from machine to machine while its tables agree to rounding; six digits change only
for a value that close to a rounding boundary (about 1e-16 of it across CPUs, 1e-15 between a
Dask and an in-memory run as measured, 1e-12 as promised), which a few thousand cells almost
never meet.
"""


def sort_key(value: float) -> str:
    """A cell's sort key: ``value`` to :data:`SORT_DIGITS` significant digits, as Python writes
    that float (``0.1234``, ``1234000000.0``, ``1.23457e-05``), which JavaScript's
    ``parseFloat`` reads; infinities as JavaScript writes them (``parseFloat("inf")`` is NaN)."""
    value = float(value)
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(f"{value:.{SORT_DIGITS}g}"))


def _cell(text: str, sort: float | None, numeric: bool, align: str, *, markdown: bool) -> _CellView:
    cls = align
    if numeric and sort is not None and sort != 0 and text[:1] in "+-" and " " not in text and "$" in text:
        cls += " pos" if sort > 0 else " neg"  # dollars gained or lost; never a test statistic
    if not numeric and len(text) > 24:
        cls += " wrap"  # long text wraps; numbers and short labels stay on one line
    sort_attr = ("" if sort is None else sort_key(sort)) if numeric else None
    html = inline(text) if markdown else escape(fmt.plain(text))
    return _CellView(Markup(html), sort_attr, cls)


def _table(table: Table, *, markdown: bool = False) -> _TableView:
    """A table's view; ``markdown`` when its cells are markdown (the backtest's pre-rendered
    tables) rather than plain text (the report's own)."""
    rows = tuple(
        tuple(_cell(c.text, c.sort, c.numeric, table.align[i], markdown=markdown) for i, c in enumerate(row))
        for row in table.rows
    )
    columns = tuple(fmt.plain(c) for c in table.columns)
    return _TableView(
        table.key, columns, table.align, rows, inline(table.caption), table.collapsed, inline(table.footnote)
    )


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
            blocks.append({"kind": "table", "table": _table(table, markdown=True)})
        elif re.match(r"^\s*[-*]\s+", line):
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                items.append(inline(re.sub(r"^\s*[-*]\s+", "", lines[i])))
                i += 1
            blocks.append({"kind": "list", "entries": items})
        else:
            paragraph = []
            while i < len(lines) and lines[i].strip() and not re.match(r"^(#|\||!\[|\s*[-*]\s)", lines[i]):
                paragraph.append(lines[i].strip())
                i += 1
            blocks.append({"kind": "paragraph", "html": inline(" ".join(paragraph))})
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
                "title": fmt.plain(section.title),
                "paragraphs": [inline(p) for p in section.paragraphs],
                "figures": figures,
                "tables": [_table(t) for t in section.tables],
                "bullets": [inline(b) for b in section.bullets],
                "blocks": blocks,
            }
        )
    template = _ENVIRONMENT.get_template("report.html.j2")
    return template.render(
        title=fmt.plain(report.title),
        summary=[inline(s) for s in report.summary],
        sections=sections,
        n_figures=n_figures,
    )

"""The report's content model, shared by the markdown and the HTML renderers.

A :class:`Report` is a title, a short summary and :class:`Section` objects in reading order;
a section holds paragraphs, :class:`FigureFile` images, :class:`Table` objects and bullets.
Two kinds of text: table cells, column headers and titles are plain text (each renderer
escapes them); paragraphs, bullets, the summary, captions and footnotes are a small markdown
subset (```code```, ``**bold**``, backslash escapes) into which user text enters only through
:func:`eventstudy.report.fmt.md`.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from eventstudy.report import fmt


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and, for numbers, the value a reader's sort uses.

    ``numeric`` cells sort by ``sort`` (missing values last); other cells by their text.
    """

    text: str
    sort: float | None = None
    numeric: bool = False


def cell(text: str, *sort: Any) -> Cell:
    """A text cell, or with a sort value a numeric cell."""
    if not sort:
        return Cell(text)
    value = sort[0]
    return Cell(text, None if fmt.is_missing(value) else float(value), numeric=True)


@dataclass(frozen=True)
class Table:
    """A table; ``align`` has one ``l`` or ``r`` per column.

    ``caption`` (markdown) is shown above it, ``footnote`` (markdown) below; a ``collapsed``
    table starts folded in the HTML page.
    """

    key: str
    columns: tuple[str, ...]
    align: str
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    collapsed: bool = False
    footnote: str = ""


@dataclass(frozen=True)
class FigureFile:
    """A figure: ``name`` is its path relative to the output folder (``figures/x.png``).

    ``encoded`` is the PNG file, or the Future of one being compressed in the background
    (:func:`eventstudy.report.figures.png_future`); :attr:`png` waits for it. ``owned`` is False
    for a figure another command wrote (the backtest's equity curve): the report embeds it but
    never rewrites it. ``dpi`` is the PNG's resolution: the page shows it at 100 pixels per inch
    of the figure, whatever its print resolution.
    """

    name: str
    title: str
    caption: str
    encoded: bytes | Future[bytes]
    owned: bool = True
    dpi: int = 100

    @property
    def png(self) -> bytes:
        """The PNG file's bytes."""
        return self.encoded if isinstance(self.encoded, bytes) else self.encoded.result()


@dataclass(frozen=True)
class Section:
    """A report section: paragraphs, then figures, tables and bullet points."""

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[FigureFile, ...] = ()
    tables: tuple[Table, ...] = ()
    bullets: tuple[str, ...] = ()
    markdown: str = ""  # a pre-rendered markdown block (the backtest's section), shown last


@dataclass(frozen=True)
class Report:
    """Everything the report shows and writes.

    Attributes
    ----------
    title
        The report's title.
    summary
        One or two sentences under the title (what was studied).
    sections
        The sections in reading order.
    files
        Other files written with the report (``tables.md``, ``tables.tex``): name -> bytes.
    """

    title: str
    summary: tuple[str, ...]
    sections: tuple[Section, ...]
    files: tuple[tuple[str, bytes], ...] = ()

    def figures(self) -> dict[str, bytes]:
        """Figure path (relative to the output folder) -> PNG bytes, in report order."""
        return {f.name: f.png for s in self.sections for f in s.figures}

    def section(self, key: str) -> Section:
        """The section with ``key`` (KeyError when there is none)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def to_markdown(self) -> str:
        """``report.md``."""
        from eventstudy.report.markdown import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        """``report.html`` (self-contained)."""
        from eventstudy.report.html import render_html

        return render_html(self)

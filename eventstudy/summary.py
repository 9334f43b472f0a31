"""A results summary that renders as text, HTML and LaTeX (the statsmodels ``Summary`` idiom).

A :class:`Summary` holds a title, a few ``label: value`` lines, captioned tables of already
formatted cells and notes. ``as_text()`` lays them out in fixed width, ``as_html()`` and
``as_latex()`` escape every cell (pandas' ``to_html`` and ``Styler.to_latex``), and
``_repr_html_`` makes a notebook show the HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from eventstudy.text import latex, plain


@dataclass(frozen=True)
class Summary:
    """A titled summary: ``label: value`` lines, captioned tables and notes.

    Attributes
    ----------
    title
        One line.
    info
        ``(label, value)`` pairs shown under the title.
    tables
        ``(caption, frame)`` pairs; the frames hold text cells (already formatted).
    notes
        Lines shown at the end.
    """

    title: str
    info: tuple[tuple[str, str], ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = field(default=())
    notes: tuple[str, ...] = ()

    def as_text(self) -> str:
        """Fixed-width text."""
        widths = [len(t.to_string(index=False).splitlines()[0]) for _, t in self.tables]
        width = max([len(self.title), *widths])
        rule = "=" * width
        lines = [self.title.center(width).rstrip(), rule]
        pad = max((len(label) for label, _ in self.info), default=0)
        lines += [f"{label + ':':<{pad + 1}} {plain(value)}" for label, value in self.info]
        for caption, table in self.tables:
            lines += ["", caption, "-" * width]
            lines += table.to_string(index=False).splitlines() if len(table) else ["(no rows)"]
        if self.notes:
            lines += ["", *self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        """An HTML fragment (every cell escaped)."""
        parts = [f"<h4>{html.escape(self.title)}</h4>"]
        if self.info:
            cells = [(html.escape(label), html.escape(text)) for label, text in self.info]
            rows = "".join(f"<tr><th>{label}</th><td>{text}</td></tr>" for label, text in cells)
            parts.append(f"<table class='eventstudy-info'>{rows}</table>")
        for caption, table in self.tables:
            parts.append(f"<p><b>{html.escape(caption)}</b></p>")
            parts.append(table.to_html(index=False, escape=True, border=0))
        parts += [f"<p>{html.escape(note)}</p>" for note in self.notes]
        return "\n".join(parts)

    def as_latex(self) -> str:
        """LaTeX (booktabs tables; every cell escaped)."""
        lines = [f"\\textbf{{{latex(self.title)}}}", ""]
        for label, value in self.info:
            lines.append(f"{latex(label)}: {latex(value)}\\\\")
        for caption, table in self.tables:
            escaped = table.rename(columns=latex).map(latex)
            body = escaped.style.hide(axis="index").to_latex(hrules=True, column_format="l" * table.shape[1])
            head = ["", "\\begin{table}[htbp]", "\\centering", f"\\caption{{{latex(caption)}}}"]
            lines += [*head, body.rstrip(), "\\end{table}"]
        lines += ["", *(f"{latex(note)}\\\\" for note in self.notes)]
        return "\n".join(lines).rstrip("\\\n") + "\n"

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()


@dataclass(frozen=True)
class LaidOutSummary(Summary):
    """A :class:`Summary` whose text its results object lays out itself (the console table a
    command prints, kept as it was), its HTML and LaTeX rendered from the same tables."""

    text: str = ""

    def as_text(self) -> str:
        """The results object's own fixed-width text."""
        return self.text

"""The study's report, rendered from its exported files alone (no recomputation).

:func:`read_exports` reads an output folder; :func:`build_report` turns it into a
:class:`Report` (sections of paragraphs, figures and tables, every number formatted with its
unit); :func:`render_markdown` and :func:`render_html` print it; :func:`render_report` writes
``report.md``, ``report.html``, ``tables.md``, ``tables.tex`` and ``figures/*.png`` into an
output folder as ``eventstudy report DIR`` does: checked, staged and published in one step,
never leaving a partial file or touching one of the user's.

Modules, one concept each: :mod:`~eventstudy.report.exports` (reading a folder),
:mod:`~eventstudy.report.document` (the content model), :mod:`~eventstudy.report.build` (the
report's order), :mod:`~eventstudy.report.findings` (the first screen),
:mod:`~eventstudy.report.tables` (paper tables, ``tables.md``/``tables.tex``),
:mod:`~eventstudy.report.parties` and :mod:`~eventstudy.report.sections` (the other sections),
:mod:`~eventstudy.report.about` (data, methods, reproducibility),
:mod:`~eventstudy.report.figures` and :mod:`~eventstudy.report.flows` (matplotlib Figures),
:mod:`~eventstudy.report.markdown`, :mod:`~eventstudy.report.html`, :mod:`~eventstudy.report.fmt`,
:mod:`~eventstudy.report.write`.
"""

from eventstudy.report.build import build_report
from eventstudy.report.document import Cell, FigureFile, Report, Section, Table
from eventstudy.report.exports import Exports, read_exports
from eventstudy.report.html import render_html
from eventstudy.report.markdown import render_markdown
from eventstudy.report.windows import report_windows
from eventstudy.report.write import REPORT_OUTPUTS, is_report_file, render_report

__all__ = [
    "REPORT_OUTPUTS",
    "Cell",
    "Exports",
    "FigureFile",
    "Report",
    "Section",
    "Table",
    "build_report",
    "is_report_file",
    "read_exports",
    "render_html",
    "render_markdown",
    "render_report",
    "report_windows",
]

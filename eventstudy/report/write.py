"""Writing the report into an output folder, never leaving a partial file.

:func:`write_report` renders everything in memory, then writes each file to a temporary name
in its folder and renames it into place: ``figures/*.png``, ``report.md``, ``report.html``,
``tables.md`` and ``tables.tex`` (:data:`REPORT_OUTPUTS`). :func:`is_report_file` tells the
report's files from the study's, e.g. for ``eventstudy report`` and ``eventstudy backtest``,
which re-render the report of an existing folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from eventstudy.errors import InputError
from eventstudy.output.folder import usual_file_mode
from eventstudy.report.build import TABLE_FILES, build_report
from eventstudy.report.document import Report
from eventstudy.report.exports import read_exports
from eventstudy.report.markdown import render_markdown

FIGURES_DIR = "figures"
REPORT_OUTPUTS: tuple[str, ...] = ("report.md", "report.html", *TABLE_FILES)
"""The report's files besides its figures."""
FOREIGN_FIGURES: tuple[str, ...] = ("figures/equity_curve.png",)
"""Figures in ``figures/`` that the report embeds but another command writes (the backtest's)."""


def is_report_file(name: str) -> bool:
    """Whether ``name`` (relative to the output folder) is written by the report."""
    return name in REPORT_OUTPUTS or (name.startswith(f"{FIGURES_DIR}/") and name not in FOREIGN_FIGURES)


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        usual_file_mode(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(folder: str | Path, report: Report) -> list[Path]:
    """Write the report's figures, ``report.md``, ``report.html`` and its other files into ``folder``.

    Everything is rendered in memory first; each file is then written to a temporary name in
    its folder and renamed into place (``figures/`` exists afterwards even when a study with
    nothing estimated has no figure), so a failure leaves the previous files (never a partial
    one). Other files in ``figures/`` (e.g. the backtest's) are left alone.

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    (folder / FIGURES_DIR).mkdir(exist_ok=True)  # an output even when no figure could be drawn
    payload = {f.name: f.png for s in report.sections for f in s.figures if f.owned}
    payload["report.md"] = render_markdown(report).encode("utf-8")
    payload["report.html"] = report.to_html().encode("utf-8")
    payload.update(dict(report.files))
    for name in payload:  # a name made of the folder's data stays in it, or nothing is written
        parts = PurePosixPath(name).parts
        inside = len(parts) == 1 or (len(parts) == 2 and parts[0] == FIGURES_DIR)
        if not inside or ".." in parts:
            raise InputError(name, "a report file named outside the output folder; nothing was written")
    written = []
    for name, data in payload.items():
        path = folder / name
        _write_bytes_atomic(path, data)
        written.append(path)
    return written


def render_report(folder: str | Path) -> Report:
    """Read ``folder``'s exports, build the report and write it there (``eventstudy report``)."""
    report = build_report(read_exports(folder))
    write_report(folder, report)
    return report

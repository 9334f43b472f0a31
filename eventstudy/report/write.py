"""Writing the report into an output folder, never leaving a partial file, never touching a
file the tool did not write.

:func:`render_report` is ``eventstudy report DIR`` from Python: it checks the folder as the
command does (edited, unsealed or missing recorded files are refused), renders into a staging
copy and publishes it (:func:`eventstudy.output.folder.publish`): the user's files beside the
folder's and links inside it are refused, never written through. :func:`write_into` and
:func:`render_into` write in place and are only for a folder this process is building (a
staging folder). :func:`is_report_file` tells the report's files from the study's, e.g. for
``eventstudy report`` and ``eventstudy backtest``, which re-render the report of an existing
folder.
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


def write_into(folder: str | Path, report: Report) -> list[Path]:
    """Write the report's figures, ``report.md``, ``report.html`` and its other files into
    ``folder``, a folder this process is building (a staging folder that
    :func:`~eventstudy.output.folder.publish` then puts in place): written in place, it would
    write through a link in ``figures/`` and over a file of the user's (:func:`render_report`
    checks and publishes).

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


def render_into(folder: str | Path) -> Report:
    """Read ``folder``'s exports, build the report and write it there (:func:`write_into`: a
    folder this process is building)."""
    report = build_report(read_exports(folder))
    write_into(folder, report)
    return report


def render_report(folder: str | Path, *, csv: bool = False) -> Report:
    """Render the report of the output folder ``folder`` from its files alone and publish it:
    ``eventstudy report DIR`` (``csv``: ``--format csv``, ``ar.csv`` and ``car.csv`` too, as
    they are for a folder whose run wrote them).

    The folder is checked first as the command checks it: a file edited since the run, a
    manifest without its seal, a recorded file missing, a file or link of the user's inside
    it are refused (:class:`~eventstudy.errors.InputError`, nothing written). The report is
    written into a staging copy of the folder, which then replaces it in one step
    (:func:`~eventstudy.output.folder.publish`): an interrupted call leaves the folder as it was.

    Returns
    -------
    Report
        The report written.
    """
    from eventstudy.output.export import CSV_TABLES, csv_writers, write_files, write_json
    from eventstudy.output.folder import (
        IN_PLACE,
        Guard,
        check_recorded_present,
        check_replaceable,
        check_sealed,
        publish,
        read_manifest,
        restore_retired,
        standing_in,
    )

    folder = Path(folder)
    restore_retired(folder)
    manifest = read_manifest(folder)
    # In the formats the run wrote: ar.csv moved away is written again (a re-attack: "restore it")
    csv = csv or "csv" in (manifest or {}).get("formats", [])
    csv_files = {f"{name}.csv" for name in CSV_TABLES} if csv else set()
    way_out = IN_PLACE.rewriting(lambda name: is_report_file(name) or name in csv_files)
    # a link or folder in its place too (an unreadable manifest: read_exports below says why)
    if manifest is not None or standing_in(folder / "manifest.json") is not None:
        check_replaceable(folder, way_out)  # in place: "another folder" is no way out
        check_sealed(folder)
        check_recorded_present(folder, lambda name: is_report_file(name) or name in csv_files)
    read_exports(folder)  # fail on a bad folder before writing anything
    rendered: list[Report] = []

    def build(staging: Path) -> None:
        rendered.append(render_into(staging))
        manifest = read_manifest(staging)
        # A folder saved without its report (save_study(report=False)) has one now: verify renders it.
        changed = manifest is not None and manifest.pop("report", True) is False
        if csv:
            write_files(staging, csv_writers(staging))
            manifest = manifest or {}
            manifest["formats"] = sorted({*manifest.get("formats", []), "csv"})  # verify re-writes them
            changed = True
        if changed:
            write_json(manifest or {}, staging / "manifest.json")

    guard = Guard.for_cache(None)
    publish(folder, build, guard=guard, carry=lambda name: not is_report_file(name), way_out=way_out)
    return rendered[0]

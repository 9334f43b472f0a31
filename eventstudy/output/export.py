"""Write a study's outputs: the parquet tables, ``manifest.json``, the backtest and the report.

Every file of a run (the study's tables, the backtest's, the report rendered from those files
alone by :mod:`eventstudy.report`) is written into a staging folder that then replaces the
output folder in one atomic exchange (:func:`eventstudy.output.folder.publish`): the folder is always
the previous complete output or the new one, never a mix, and a folder holding anything the
tool did not write is refused, never replaced. Parquet files carry no timestamps and the figures no
software or date metadata, so the same inputs give byte-identical files. Each parquet file
documents its columns (type, unit, meaning) in its schema metadata under
``eventstudy.schema`` (:mod:`eventstudy.output.schema`); ``--format csv`` adds ``ar.csv`` and
``car.csv`` (:func:`write_csv`).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.errors import InputError
from eventstudy.hashing import file_sha256
from eventstudy.inference.bootstrap import CAAR_BAND
from eventstudy.multiple_testing import P_FAMILY
from eventstudy.output.folder import (
    Guard,
    blocked_at,
    check_apart,
    checkpoint,
    json_value,
    publish,
    usual_file_mode,
)
from eventstudy.output.manifest import DATA_SUFFIXES, build_manifest
from eventstudy.output.schema import SCHEMA_KEY, SCHEMAS, ColumnDoc, schema_json
from eventstudy.results import StudyResults

FORMATS: tuple[str, ...] = ("csv",)
"""Extra export formats besides parquet (``--format``)."""
CSV_TABLES: tuple[str, ...] = ("ar", "car")


def write_parquet(
    frame: pd.DataFrame,
    path: Path,
    metadata: Mapping[str, str] | None = None,
    docs: Mapping[str, ColumnDoc] | None = None,
) -> None:
    """Write a frame without the index, adding string ``metadata`` to the schema.

    With ``docs`` (column -> :class:`~eventstudy.output.schema.ColumnDoc`) the file also carries the
    documented schema (each column's type, unit and meaning) under ``eventstudy.schema``.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    merged = dict(table.schema.metadata or {})
    for key, value in (metadata or {}).items():
        merged[key.encode("utf-8")] = value.encode("utf-8")
    if docs is not None:
        merged[SCHEMA_KEY.encode("utf-8")] = schema_json(table, docs).encode("utf-8")
    # Absolute: pyarrow expands a leading '~' that the system (and pathlib) take literally.
    pq.write_table(table.replace_schema_metadata(merged), Path(path).absolute())


FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection")."""


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts with a formula trigger prefixed by ``'``.

    OWASP's rule for CSV files opened in a spreadsheet: a cell starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so Excel,
    LibreOffice and Google Sheets show it as text instead of evaluating it (``=HYPERLINK(...)``
    in a share-count filing, an event id ``-2-3``). Only text columns change: numbers, dates and
    missing values stay as they are. The parquet files always keep the values unchanged.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype("object")
        risky = text.str.startswith(FORMULA_TRIGGERS, na=False).to_numpy(bool)
        if risky.any():
            out[column] = text.where(~risky, "'" + text.astype(str))
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as an Excel-friendly CSV, safe to open in a spreadsheet.

    UTF-8 with a byte-order mark (so Excel detects the encoding of headlines and notes),
    comma-separated with a header row, ``.`` as the decimal point, numbers at full precision
    (shortest round-trip), dates as ``YYYY-MM-DD``, missing values as empty fields, CRLF line
    ends (RFC 4180: a field holding a line break or carriage return is quoted); text cells that
    a spreadsheet would evaluate as a formula are neutralised (:func:`neutralise_formulas`).
    """
    neutralise_formulas(frame).to_csv(
        Path(path).absolute(),  # pandas expands a leading '~' that the system takes literally
        index=False, encoding="utf-8-sig", date_format="%Y-%m-%d", lineterminator="\r\n"
    )


NEW_FILE_SUFFIXES: tuple[str, ...] = (".parquet", ".pq", ".csv")


def check_new_file(path: Path) -> None:
    """Refuse a table file that exists (nothing is ever replaced), an unknown suffix, a missing
    folder, or a folder of the tool's own (:func:`~eventstudy.output.folder.check_apart`) --
    before anything is computed.

    Raises
    ------
    InputError
        Naming the path.
    """
    path = check_apart(path)
    if path.suffix.lower() not in NEW_FILE_SUFFIXES:
        kinds = ", ".join(NEW_FILE_SUFFIXES)
        raise InputError(str(path), f"the table is written as {kinds}; name the file so")
    if path.exists() or path.is_symlink():
        raise InputError(str(path), "exists; give a new file name (an existing file is never replaced)")
    if not path.parent.is_dir():
        blocking = blocked_at(path.parent)  # ok.csv/new.csv: was "its folder does not exist"
        if blocking is not None:
            raise InputError(str(blocking[0]), blocking[1])
        raise InputError(str(path), "its folder does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(str(path), "its folder is not writable")


def write_new_file(
    frame: pd.DataFrame, path: Path, docs: Mapping[str, ColumnDoc] | None = None
) -> None:
    """Write ``frame`` to the new file ``path`` (parquet, or CSV as :func:`write_csv`), all or nothing.
    A parquet file carries ``docs``, each column's unit and meaning (:func:`write_parquet`).

    The table is written to a temporary file beside it and then hard-linked to ``path``, which
    fails if ``path`` appeared meanwhile: an existing file is never replaced, and a failure
    leaves nothing behind.
    """
    path = Path(path)
    check_new_file(path)
    if path.suffix.lower() == ".csv":
        _write_new(path, partial(write_csv, frame))
    else:
        _write_new(path, partial(write_parquet, frame, docs=docs))


def _write_new(path: Path, write: Callable[[Path], object]) -> None:
    """``write(temporary)`` a temporary file beside ``path`` (checked by :func:`check_new_file`),
    then hard-link it to ``path``, which fails if ``path`` appeared meanwhile: an existing file
    is never replaced, and a failure (a full disk, a folder that refuses links) leaves nothing
    behind but the one line naming ``path``."""
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(str(path), f"cannot write it ({exc.strerror or exc})") from None
    os.close(descriptor)
    try:
        write(Path(temporary))
        usual_file_mode(temporary)
        os.link(temporary, path)
    except FileExistsError:
        message = "appeared while the file was written; nothing was replaced"
        raise InputError(str(path), message) from None
    except OSError as exc:  # a full disk, a folder that refuses links
        raise InputError(str(path), f"cannot write it ({exc.strerror or exc})") from None
    except UnicodeEncodeError as exc:  # a lone surrogate of an undecodable file name, in a text
        raise InputError(str(path), f"cannot write {exc.object[exc.start : exc.end]!r} as UTF-8") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def write_events(events: pd.DataFrame, path: str | Path) -> Path:
    """Write an events frame as the events file it stands for: what ``eventstudy verify DIR
    --events FILE`` re-runs a study run from the frame on.

    The frame is checked as :func:`~eventstudy.study.run_study` checks it
    (:func:`~eventstudy.data.events.events_from_frame`, the same errors) and its validated rows
    are written as CSV: the columns of :data:`~eventstudy.data.events.COLUMNS` (and ``market``
    when it has one), ``announced`` as the New York date (``YYYY-MM-DD``), numbers as the
    shortest text of their float64 value, missing values blank, every field quoted, UTF-8, text
    as given (no spreadsheet escaping: the file is an input). So
    :func:`~eventstudy.data.events.read_events` of it gives the frame's events whatever their
    types: ``to_csv`` of the frame itself wrote a timestamp's time and zone, which the reader
    refuses, and a Chicago 23:00 (a New York midnight, the next day) as the day before.

    Parameters
    ----------
    events
        One row per (event, party), as :func:`~eventstudy.study.run_study` takes them.
    path
        A new ``.csv`` file, outside the tool's output and cache folders: one that exists is
        never replaced.

    Returns
    -------
    pathlib.Path
        ``path``, written whole (a temporary file beside it, linked into place; a kill -9 can
        leave the temporary ``.NAME.*.tmp``).

    Raises
    ------
    InputError
        For a frame the study refuses, a ``path`` that exists, is not ``.csv``, lies in an output
        or cache folder or in a folder that does not exist, or cannot be written.
    """
    import csv

    from eventstudy.data.events import COLUMNS, OPTIONAL_COLUMNS, events_from_frame

    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise InputError(str(path), "an events file is written as .csv; name the file so")
    check_new_file(path)
    validated = events_from_frame(events)
    columns = [column for column in (*COLUMNS, *OPTIONAL_COLUMNS) if column in validated.columns]
    text = validated[columns].to_csv(
        index=False, date_format="%Y-%m-%d", lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    _write_new(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    return path


def write_json(payload: Mapping[str, Any], path: Path) -> None:
    """Pretty, key-sorted JSON with a trailing newline."""
    text = json.dumps(payload, indent=2, sort_keys=True, default=json_value)
    path.write_text(text + "\n", encoding="utf-8")


def note_changed_files(folder: Path) -> None:
    """In ``folder``'s manifest just written, add to ``loaded_from.changed_in_python`` each data
    file (:data:`~eventstudy.output.manifest.DATA_SUFFIXES`) whose SHA-256 differs from the
    loaded folder's, or that only one of them has, by name without its suffix; drop the loaded
    record (:func:`~eventstudy.output.manifest.build_manifest` put it there). An unchanged table
    is written to the same bytes, so only a change shows."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    record = manifest.get("loaded_from")
    if not isinstance(record, dict) or "loaded_files" not in record:
        return
    loaded = record.pop("loaded_files")
    written = {p.name: file_sha256(p) for p in folder.iterdir() if p.name.endswith(DATA_SUFFIXES)}
    changed = set(record.get("changed_in_python", ()))
    names = set(loaded) | set(written)
    changed |= {Path(name).stem for name in names if loaded.get(name) != written.get(name)}
    if changed:
        record["changed_in_python"] = sorted(changed)
    write_json(manifest, path)


def save_study(
    results: StudyResults,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = (),
    report: bool = True,
    guard: Guard | None = None,
    presentation: Mapping[str, Any] | None = None,
) -> Path:
    """Write every output of ``results`` to ``out_dir``, all or nothing (nothing is computed here).

    Parameters
    ----------
    results
        The study's complete results (:func:`eventstudy.study.run_study`).
    out_dir
        Output folder: created, or replaced when it is empty or an unchanged earlier output
        of this tool; anything else is refused (:class:`~eventstudy.output.folder.OutputFolderError`).
    formats
        Extra formats from :data:`FORMATS`, a list (``["csv"]`` writes ``ar.csv`` and ``car.csv``;
        a str is refused with :class:`TypeError`).
    report
        Render ``report.md``, ``report.html`` and ``figures/`` from the written files.
    guard
        Folders the output must keep away from; default: the cache, the project checkout and
        the working directory (:meth:`eventstudy.output.folder.Guard.for_cache`).
    presentation
        See :func:`eventstudy.output.manifest.build_manifest` (``eventstudy verify``).

    Raises
    ------
    TypeError, ValueError
        Before anything is written: ``results``, ``out_dir`` or ``formats`` of the wrong kind,
        an unknown format, or a ``results.caar_band`` this version does not know.
    """
    if not isinstance(results, StudyResults):
        raise TypeError(f"save_study saves the StudyResults of run_study, not a {type(results).__name__}")
    if not isinstance(out_dir, str | os.PathLike):
        raise TypeError(f"out_dir must be a folder (a path), not {type(out_dir).__name__}")
    if isinstance(formats, str):  # "csv" would be the formats c, s and v
        raise TypeError(
            f"formats must be a list of format names, not a str ({formats!r}): write formats=[{formats!r}]"
        )
    if not isinstance(formats, Sequence | set | frozenset):  # None: "'NoneType' object is not iterable"
        raise TypeError(f"formats must be a list of format names, not {type(formats).__name__}")
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown export format {unknown[0]!r} (expected one of {', '.join(FORMATS)})")
    if results.caar_band not in (None, CAAR_BAND):
        raise ValueError(
            f"caar_band must be {CAAR_BAND!r} (this version's band) or None (a folder written before it was "
            f"recorded, its band the plain percentile one), not {results.caar_band!r}"
        )
    if results.p_family not in (None, P_FAMILY):
        raise ValueError(
            f"p_family must be {P_FAMILY!r} (this version's family) or None (a folder written before it was "
            f"recorded, adjusted over a group's every test), not {results.p_family!r}"
        )
    manifest = build_manifest(results, formats=formats, report=report, presentation=presentation)
    note = {"eventstudy.study": results.config.name, "eventstudy.model": str(results.model.get("name"))}
    tables = {
        "ar.parquet": results.ar,
        "car.parquet": results.car,
        "events.parquet": results.events,
        "stats.parquet": results.stats,
        "caar.parquet": results.caar,
        **results.optional_tables(),
    }
    writers: dict[str, Callable[[Path], None]] = {
        name: partial(write_parquet, frame, metadata=note, docs=SCHEMAS[name])
        for name, frame in tables.items()
    }
    writers["manifest.json"] = lambda p: write_json(manifest, p)
    if "csv" in formats:
        writers["ar.csv"] = lambda p: write_csv(results.ar, p)
        writers["car.csv"] = lambda p: write_csv(results.car, p)
    if results.backtest is not None:
        from eventstudy.backtest.export import backtest_writers

        writers.update(backtest_writers(results.backtest))

    def build(staging: Path) -> None:
        write_files(staging, writers)
        note_changed_files(staging)  # results loaded and saved again: what changed since the load
        if report:
            _render_report(staging)

    cache = results.provenance.get("cache")
    return publish(out_dir, build, guard=guard or Guard.for_cache(cache))


def _render_report(folder: Path) -> None:
    """The report of the files just written to ``folder`` (a staging folder that is removed when
    this fails): a refusal names the results' table, not the removed folder's file."""
    from eventstudy.report.write import render_into

    try:
        render_into(folder)
    except InputError as exc:
        path = Path(exc.path)
        if not path.is_relative_to(folder):
            raise
        where = f"{path.relative_to(folder).as_posix()} of the results to save"
        raise InputError(where, exc.message, row=exc.row, field=exc.field) from None


def write_files(folder: Path, writers: Mapping[str, Callable[[Path], None]]) -> None:
    """Call each writer on its path under ``folder`` (sub-folders created as needed)."""
    for name, write in writers.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write(target)
        checkpoint(f"wrote {name}")


def csv_writers(folder: Path) -> dict[str, Callable[[Path], None]]:
    """Writers of ``ar.csv`` and ``car.csv`` from ``folder``'s parquet files."""
    return {f"{name}.csv": partial(_csv_of_parquet, Path(folder) / f"{name}.parquet") for name in CSV_TABLES}


def _csv_of_parquet(source: Path, path: Path) -> None:
    write_csv(pd.read_parquet(source), path)

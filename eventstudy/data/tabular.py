"""Reading a user's panel file (CSV or parquet) as text cells, with errors naming file, row, field.

Every user table is read the same way — returns panels (:mod:`eventstudy.data.returns_import`),
abnormal-return panels (:mod:`eventstudy.data.abnormal_panel`), and the CSV files of ``eventstudy
cache import`` and of the config (Yahoo prices and share counts, :mod:`eventstudy.data.importer`;
earnings calendars, :mod:`eventstudy.data.earnings`; news, :mod:`eventstudy.data.news`): every
cell as text (so nothing is converted before it is checked), column names as written
(duplicates kept, so a column given twice is an error rather than a silent ``.1`` suffix), and
a row number for every record:

* CSV: UTF-8 (a byte-order mark is accepted), the first line is the header; a record's row is
  its line number in the file (header = row 1), as in ``events.csv`` errors;
* parquet (``.parquet`` or ``.pq``): the column names are the header; a record's row is its
  position counted from 2, so that row numbers mean the same as in the CSV written from it
  (header = row 1). Date and timestamp columns are written as ``YYYY-MM-DD`` (a time of day
  other than midnight, or a time zone, is an error); numbers as their shortest ``repr``.

Parsers for the cells (:func:`parse_dates`, :func:`parse_numbers`, :func:`check_symbols`) report
the first bad cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.config import FIRST_DATE, LAST_DATE
from eventstudy.data.events import (
    available_memory,
    count_lines,
    is_parquet,
    read_csv_text,
    separator_problem,
)
from eventstudy.errors import InputError
from eventstudy.packed import not_text, packed
from eventstudy.symbols import collision_message, first_collision, symbol_problem

MISSING_TEXT = frozenset({"", "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "None", "."})
"""Cells read as a missing value: blank, R's ``NA``, pandas' ``NaN``, SQL's ``NULL``, SAS's ``.``."""
PARQUET_SUFFIXES = (".parquet", ".pq")
MAX_FILE_BYTES = 4 << 30
"""Largest panel file read (4 GiB)."""
MEMORY_PER_CELL = 200
"""Bytes of memory reading a long table needs per cell (measured: a long returns file of 3
columns peaks at about 135 bytes a cell in ``cache import``, an abnormal-return panel at about
153 in ``infer``, beside the interpreter; a margin on that)."""
MEMORY_PER_WIDE_CELL = 400
"""The same for a table of more than :data:`WIDE_COLUMNS` columns, a wide panel turned into a
long one (measured: 363 bytes a cell for 101 rows of 20,001 columns in ``infer``)."""
WIDE_COLUMNS = 8
"""Columns above which a table is costed as a wide panel."""


@dataclass(frozen=True)
class TextTable:
    """A panel file as text cells.

    Attributes
    ----------
    path
        The file, named in errors.
    header
        The column names as written (stripped of surrounding blanks), duplicates kept.
    cells
        (R, C) object array of stripped text cells.
    first_row
        The row number of ``cells[0]`` (2: the header is row 1).
    lines
        The row number of every record, where they are not consecutive (a CSV file with blank
        lines or quoted line breaks), else None.
    unreadable
        The error of each column (by position) whose values cannot be read as text (a parquet
        column of lists), raised when the column is read (:meth:`cells_at`): a column no reader
        asks for is no reason to refuse the file. Its cells are blank.
    """

    path: Path
    header: tuple[str, ...]
    cells: np.ndarray
    first_row: int = 2
    lines: np.ndarray | None = None
    unreadable: Mapping[int, InputError] = field(default_factory=dict)

    def row_of(self, index: int) -> int:
        """The row number of record ``index`` (0-based)."""
        if self.lines is not None:
            return int(self.lines[int(index)])
        return self.first_row + int(index)

    def column(self, name: str) -> np.ndarray:
        """The cells of the (only) column called ``name`` (case-insensitive)."""
        return self.cells_at(self.position(name))

    def cells_at(self, position: int) -> np.ndarray:
        """The cells of the column at ``position``; its error when they cannot be read."""
        if position in self.unreadable:
            raise self.unreadable[position]
        return self.cells[:, position]

    def position(self, name: str) -> int:
        folded = [h.lower() for h in self.header]
        return folded.index(name.lower())

    def has(self, name: str) -> bool:
        return name.lower() in (h.lower() for h in self.header)

    def spelled(self, name: str) -> str:
        """The column ``name`` as the header spells it (``Date`` for ``date``): the field an
        error names."""
        return self.header[self.position(name)]

    def fail(self, message: str, *, index: int | None = None, field: str | None = None) -> InputError:
        """An :class:`InputError` naming this file, the record ``index`` and ``field``."""
        return InputError(
            str(self.path), message, row=None if index is None else self.row_of(index), field=field
        )


def other_columns(header: Sequence[str], known: Iterable[str]) -> tuple[str, ...]:
    """The names of ``header`` that are none of ``known``, compared ignoring case as
    :meth:`TextTable.has` does: columns a reader does not store."""
    folded = {name.lower() for name in known}
    return tuple(name for name in header if name.lower() not in folded)


def header_of(path: Path) -> tuple[str, ...]:
    """The column names of a CSV file's first line (stripped; empty for an empty file), read
    without the rest of the file (how ``cache import`` recognises a file's kind)."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(8)
        with Path(path).open("r", encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline(4096).strip()
    except OSError as exc:
        raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None
    packed = not_text(head)  # its binary "header" was quoted back to the user (a finder)
    if packed is not None:
        raise InputError(str(path), packed, row=1)
    if not first:
        return ()
    try:  # quoted names ("Date","Open", as R's write.csv writes them) are read as the table reads them
        names = next(csv.reader([first], strict=True))
    except csv.Error:
        names = first.split(",")
    return tuple(name.strip() for name in names)


def require_columns(table: TextTable, required: tuple[str, ...]) -> None:
    """Raise naming (row 1) the first column of ``required`` that the header lacks."""
    for name in required:
        if not table.has(name):
            raise InputError(str(table.path), f"expected the header {','.join(required)}", row=1, field=name)


def parquet_named_csv(path: Path, *, csv_only: bool) -> InputError:
    """The error of a parquet file (:func:`~eventstudy.data.events.is_parquet`) given where CSV
    text is read: export it as CSV where only CSV is taken (``csv_only``), else give it a parquet
    suffix, by which it is read as parquet."""
    advice = "export it as CSV" if csv_only else f"name it {' or '.join(PARQUET_SUFFIXES)}"
    return InputError(str(path), f"a parquet file (it begins PAR1), not CSV text: {advice}")


def read_text_table(path: Path, *, csv_only: bool = False) -> TextTable:
    """Read ``path`` (CSV, or parquet by its suffix) as text cells; ``csv_only``: the caller
    takes CSV files alone (Yahoo prices, share counts, earnings dates), so a parquet file is not
    told to take a parquet suffix.

    Raises
    ------
    InputError
        Unreadable, not UTF-8, not CSV or parquet, empty, a header without rows, a ragged row, a
        blank or repeated column name.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None
    if not path.is_file():
        raise InputError(str(path), "not a file")
    if size > MAX_FILE_BYTES:
        raise InputError(str(path), f"larger than {MAX_FILE_BYTES >> 30} GiB: split the panel")
    _check_memory(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        table = _read_parquet(path)
    elif is_parquet(path):  # was "not UTF-8 text (byte 0x80 ...)": a parquet file named .csv
        raise parquet_named_csv(path, csv_only=csv_only)
    else:
        table = _read_csv(path)
    check_header(table.header, str(path))
    if len(table.cells) == 0:
        raise InputError(str(path), "the file has a header but no rows")
    return table


def _per_cell(columns: int) -> int:
    """Bytes of memory a cell of a table of ``columns`` columns costs to read."""
    return MEMORY_PER_WIDE_CELL if columns > WIDE_COLUMNS else MEMORY_PER_CELL


def _check_memory(path: Path) -> None:
    """Refuse a table whose cells would not fit in the memory available (:data:`MEMORY_PER_CELL`
    each, :data:`MEMORY_PER_WIDE_CELL` in a wide one), in one line, before it is read: a CRSP
    export of 50 million rows was killed by the system after minutes instead. A parquet file's
    size is in its footer; a CSV file's columns are the header's and its lines are counted (in
    blocks, stopping past the limit) only when its size, one line a byte at most, does not already
    show that it fits: the file is not read twice for nothing."""
    available = available_memory()
    if available is None:
        return
    # the interpreter and libraries are in memory already: the cells alone are costed
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            metadata = pq.read_metadata(path)
            rows, columns, exact = metadata.num_rows, metadata.num_columns, True
        else:
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
                columns = len(next(csv.reader([handle.readline(1 << 20)]), [])) or 1
            if (path.stat().st_size + 1) * columns * _per_cell(columns) <= available:
                return
            lines, exact = count_lines(path, stop_after=available // _per_cell(columns) // columns + 2)
            rows = max(lines - 1, 0)
    except Exception:  # pyarrow raises several kinds on a file that is not parquet: read to say which
        return
    per_cell = _per_cell(columns)
    needed = rows * columns * per_cell
    if needed > available:
        counted = f"{rows:,} rows" if exact else f"about {rows:,} rows (estimated from the file's size)"
        raise InputError(
            str(path),
            f"{counted} of {columns} columns would need about {needed / 1e9:.1f} GB of memory to read "
            f"({per_cell} bytes a cell), but {available / 1e9:.1f} GB is available; split the file by id",
        )


def check_header(header: Sequence[str], source: str) -> None:
    """Refuse a header (of a file, or of a frame handed to the API) with a column without a name
    or a name given twice, ignoring case (the columns are looked up ignoring case)."""
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        if not name:
            raise InputError(source, f"column {position + 1} has no name", row=1)
        folded = name.lower()
        if folded in seen:
            earlier = header[seen[folded]]
            message = (
                "column appears twice"
                if earlier == name
                else f"{name!r} and {earlier!r} differ only in case: column names are compared ignoring case"
            )
            raise InputError(source, message, row=1, field=name)
        seen[folded] = position


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")
"""A line and its end (``\n``, ``\r\n`` or ``\r``), as ``io.StringIO(text, newline="")`` splits."""
_strip = np.frompyfunc(str.strip, 1, 1)  # an unchanged cell stays the same object: no copy


def _read_csv(path: Path) -> TextTable:
    """The text cells of a CSV file, built a column at a time from the lines of its text (no
    copy of the text in a line buffer, no list per row, no fixed-width array of the cells: a
    100 MB file once took 3 GB here)."""
    text = read_csv_text(path, "cannot read it")
    reader = csv.reader((m.group() for m in _LINE.finditer(text)), strict=True)
    lines: list[int] = []
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(str(path), "the file is empty; expected a header line")
        header = [name.strip() for name in header]
        if not any(header):
            raise InputError(str(path), "the header (the first line) has no column names", row=1)
        separated = separator_problem(header)
        if separated:
            raise InputError(str(path), separated, row=1)
        columns: list[list[str]] = [[] for _ in header]
        appends = [column.append for column in columns]
        width = len(header)
        last_line = reader.line_num
        for fields in reader:
            # A record's line is its first: a quoted field may hold line breaks.
            first_line, last_line = last_line + 1, reader.line_num
            if not fields or all(not value.strip() for value in fields):
                continue
            if len(fields) != width:
                found = f"expected {width} fields, found {len(fields)}"
                raise InputError(str(path), found, row=first_line)
            for append, value in zip(appends, fields):  # noqa: B905 - the widths are equal
                append(value)
            lines.append(first_line)
    except csv.Error as exc:
        raise InputError(str(path), f"malformed CSV ({exc})", row=reader.line_num) from None
    del reader, text  # the text, once split into cells
    cells = np.empty((len(lines), width), dtype=object)
    for position in range(width):
        cells[:, position] = columns[position]
        columns[position] = []  # each column's list freed once copied
        cells[:, position] = _strip(cells[:, position])
    if lines and lines[-1] != len(lines) + 1:  # blank or multi-line records: keep the true line numbers
        return TextTable(path, tuple(header), cells, 2, np.asarray(lines))
    return TextTable(path, tuple(header), cells)


def _read_parquet(path: Path) -> TextTable:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises many kinds on a file that is not parquet
        with open(path, "rb") as handle:
            compressed = packed(handle.read(8))  # a gzipped parquet file
        said = f"not a readable parquet file ({type(exc).__name__})"
        if compressed is not None:
            said = f"not a readable parquet file: {compressed[0]}; {compressed[1]}"
        raise InputError(str(path), said) from None
    header = tuple(str(name).strip() for name in table.column_names)
    columns = []
    unreadable: dict[int, InputError] = {}
    for index, column in enumerate(table.columns):
        kind = column.type
        if pa.types.is_dictionary(kind):  # pandas writes a categorical column so: its values
            column = pc.cast(column, kind.value_type)
            kind = column.type
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            text = calendar_date_text(pd.Series(column.to_pandas()), str(path), header[index])
        elif (
            pa.types.is_floating(kind)
            or pa.types.is_integer(kind)
            or pa.types.is_decimal(kind)  # its exact digits, read as a CSV file's are
            or pa.types.is_boolean(kind)  # "true"/"false": a flag column (car.parquet's confounded)
            or pa.types.is_string(kind)
            or (pa.types.is_large_string(kind) or pa.types.is_null(kind))
        ):
            text = _arrow_text(column)
            if pa.types.is_floating(kind):  # a NaN; the text "nan" of a string column stays
                text[text == "nan"] = ""
            if pa.types.is_string(kind) or pa.types.is_large_string(kind):
                text = np.char.strip(text.astype(str)).astype(object) if len(text) else text
        else:  # a whole column of the wrong type: named at its first value, if it is read
            unreadable[index] = InputError(
                str(path),
                f"column type {kind} is not a date, number or text",
                row=_first_value_row(column),
                field=header[index],
            )
            text = np.full(len(column), "", dtype=object)
        columns.append(np.asarray(text, dtype=object))
    cells = np.column_stack(columns) if columns else np.empty((0, 0), dtype=object)
    return TextTable(path, header, cells.astype(object), unreadable=unreadable)


def _arrow_text(column: Any) -> np.ndarray:
    """(N,) text of an arrow column, blank where null. Arrow writes floats in their shortest
    round-trip form ("0.30000000000000004"), a whole number without a fraction ("10107")."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(column, pa.string()).to_numpy(zero_copy_only=False).astype(object)
    text[pd.isna(text)] = ""
    return text


def float_text(values: np.ndarray) -> np.ndarray:
    """(N,) text of floats as a parquet file's float column is read (:func:`_arrow_text`): a
    PERMNO 10107.0 of a DataFrame is "10107", as in its parquet file, where Python's repr gave
    "10107.0" and the pair matched no residuals of integer ids. Blank where NaN."""
    import pyarrow as pa

    text = _arrow_text(pa.array(values, type=pa.float64()))
    text[text == "nan"] = ""
    return text


def calendar_date_text(values: pd.Series, where: str, field: str) -> np.ndarray:
    """(N,) ``YYYY-MM-DD`` text of a column of dates or timestamps (blank where missing), as a
    table's cells hold its dates: a timestamp with a time zone or with a time of day is refused,
    naming ``where``, the row (header = 1) and ``field`` -- its calendar date depends on a zone
    the table does not say (2025-01-02 00:00 UTC is 2025-01-01 in New York).

    Raises
    ------
    InputError
        At the first zoned value, or the first with a time of day.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        present = np.flatnonzero(values.notna().to_numpy())
        raise InputError(
            where,
            f"dates must be calendar dates, not times in a time zone ({values.dtype.tz})",
            row=int(present[0]) + 2 if present.size else 2,
            field=field,
        )
    stamps = pd.DatetimeIndex(pd.to_datetime(values))
    timed = np.flatnonzero(pd.notna(stamps) & (stamps != stamps.normalize()))
    if timed.size:
        raise InputError(
            where,
            f"{stamps[timed[0]]} is not a calendar date (it has a time of day)",
            row=int(timed[0]) + 2,
            field=field,
        )
    return np.where(stamps.isna(), "", stamps.strftime("%Y-%m-%d").to_numpy(object))


def _first_value_row(column: Any) -> int:
    """The row number (header = 1) of a parquet column's first non-null value (2 if none)."""
    import pyarrow.compute as pc

    valid = np.flatnonzero(pc.is_valid(column).to_numpy(zero_copy_only=False))
    return int(valid[0]) + 2 if valid.size else 2


DATE_FORMS: dict[str, tuple[str, str]] = {
    "YYYY-MM-DD": (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "%Y-%m-%d"),  # ASCII digits, not ２０２５
    "YYYYMMDD": (r"[0-9]{8}", "%Y%m%d"),
}
"""Date spellings of the input tables: pattern and ``strptime`` format."""
FIRST_YEAR, LAST_YEAR = FIRST_DATE.year, LAST_DATE.year
"""Years of the dates the tables may hold: the supported range of :mod:`eventstudy.config`
(inside a nanosecond timestamp's 1677..2262)."""


def date_cells(text: pd.Series, forms: Sequence[str] = tuple(DATE_FORMS)) -> tuple[np.ndarray, np.ndarray]:
    """(N,) ``datetime64[ns]`` of the cells ``text`` written in one of ``forms`` (keys of
    :data:`DATE_FORMS`), NaT for the others, and (N,) bool: the cells of a form whose year is
    outside :data:`FIRST_YEAR`..:data:`LAST_YEAR` (NaT too). The year is read from the text
    before a timestamp is made: a nanosecond timestamp cannot hold 9999-12-31, and pandas then
    raises or, converting a coarser unit, wraps it round to another date."""
    text = text.astype(str).reset_index(drop=True)
    dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    outside = np.zeros(len(text), dtype=bool)
    for form in forms:
        pattern, strptime = DATE_FORMS[form]
        shaped = text.str.fullmatch(pattern).to_numpy(dtype=bool)
        year = pd.to_numeric(text.str[:4].where(shaped), errors="coerce").to_numpy()
        far = shaped & ((year < FIRST_YEAR) | (year > LAST_YEAR))
        outside |= far
        if (shaped & ~far).any():
            keep = shaped & ~far
            dates[keep] = pd.to_datetime(text[keep], format=strptime, errors="coerce")
    return dates.to_numpy("datetime64[ns]"), outside


def date_problem(outside: bool, expected: str) -> str:
    """What is wrong with a cell :func:`date_cells` gave no date: its year is outside the range,
    or it is not a date written as ``expected`` (e.g. ``"date YYYY-MM-DD"``)."""
    return f"is outside {FIRST_YEAR}..{LAST_YEAR}" if outside else f"is not a {expected}"


def first_future(dates: np.ndarray) -> int | None:
    """Position of the first date after today, or None. Today is the UTC date plus one day: the
    exchanges east of UTC are a day ahead of it in their evening. A price, a share count or a
    return dated later cannot have been observed (a typo such as 2052 for 2025)."""
    last = np.datetime64(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1), "ns")
    late = np.flatnonzero(np.asarray(dates, dtype="datetime64[ns]") > last)
    return int(late[0]) if late.size else None


FUTURE_PROBLEM = "is after today: an observation cannot be dated in the future"
"""What is wrong with a date :func:`first_future` finds."""


def parse_dates(
    table: TextTable,
    cells: np.ndarray,
    field: str,
    *,
    observed: bool = False,
    blank_allowed: np.ndarray | None = None,
) -> np.ndarray:
    """``datetime64[ns]`` of ``YYYY-MM-DD`` or ``YYYYMMDD`` cells (CRSP's integer dates) of the
    years 1900..2199 (:func:`date_cells`); with ``observed`` (prices, share counts, returns), none
    after today (:func:`first_future`). ``blank_allowed`` ((N,) bool): rows whose blank cell is
    no date (NaT) rather than an error, e.g. a day of an event window past the data, whose value
    is missing too.

    Raises
    ------
    InputError
        Naming the row of the first cell that is neither (a blank date and a day that does not
        exist, such as 2024-02-30, included), whose year is outside 1900..2199, or, with
        ``observed``, that is after today.
    """
    # Each distinct text is read once (a long panel repeats each of a few thousand dates).
    codes, distinct = pd.factorize(pd.Series(cells, dtype=object).astype(str), sort=False)
    distinct_dates, distinct_outside = date_cells(pd.Series(np.asarray(distinct, dtype=object), dtype=object))
    dates, outside = distinct_dates[codes], distinct_outside[codes]
    checked = dates
    if blank_allowed is not None:
        blank = blank_allowed & (np.asarray(distinct, dtype=object) == "")[codes]
        checked = np.where(blank, np.datetime64("2000-01-01", "ns"), dates)  # a date, for the checks
    bad = first_bad_date(checked, outside, "date YYYY-MM-DD (or YYYYMMDD)", observed=observed)
    if bad is not None:
        raise table.fail(f"{str(cells[bad[0]])!r} {bad[1]}", index=bad[0], field=field)
    return dates


def first_bad_date(
    dates: np.ndarray, outside: np.ndarray, expected: str, *, observed: bool = True
) -> tuple[int, str] | None:
    """Position and problem (:func:`date_problem`, :data:`FUTURE_PROBLEM`) of the first of
    ``dates`` (of :func:`date_cells`) that is no date or, with ``observed``, after today; None
    when all are good. The first in file order is named, whichever check finds it."""
    bad = np.flatnonzero(np.isnat(dates))
    late = first_future(dates) if observed else None
    if bad.size and (late is None or bad[0] < late):
        return int(bad[0]), date_problem(bool(outside[bad[0]]), expected)
    return None if late is None else (late, FUTURE_PROBLEM)


def parse_numbers(
    table: TextTable, cells: np.ndarray, field: str, *, missing: frozenset[str] = MISSING_TEXT
) -> np.ndarray:
    """float64 of the cells; the texts of ``missing`` give NaN, anything else not a number is an
    error naming its row. Infinite values are errors too (``inf``, ``1e400``), and so is a number
    too small for a float (``1e-400``, which would be read as 0: a price of 0, a return of 0)."""
    text = pd.Series(cells, dtype=object).astype(str)
    is_missing = text.isin(missing).to_numpy()
    numbers = pd.to_numeric(text.where(~is_missing), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero((np.isnan(numbers) & ~is_missing) | np.isinf(numbers))
    if bad.size:
        raise table.fail(f"{text.iloc[bad[0]]!r} is not a finite number", index=int(bad[0]), field=field)
    index = first_underflow(text, numbers)
    if index is not None:
        raise table.fail(underflow_problem(text.iloc[index]), index=index, field=field)
    return numbers


def first_underflow(text: pd.Series, numbers: np.ndarray) -> int | None:
    """The position of the first number too small for a float: read as 0 from a text whose digits
    before any exponent are not all 0 (``1e-400``); None when there is none."""
    zeros = np.flatnonzero(numbers == 0.0)
    if not zeros.size:
        return None
    underflow = text.iloc[zeros].astype(str).str.contains(r"^[^eE]*[1-9]", regex=True).to_numpy()
    return int(zeros[np.flatnonzero(underflow)[0]]) if underflow.any() else None


def underflow_problem(cell: object) -> str:
    """What an error says of a number too small for a float (:func:`first_underflow`)."""
    return f"{cell!r} is too small for a float (it would be read as 0)"


def check_symbols(table: TextTable, cells: np.ndarray, field: str) -> None:
    """Raise for the first record whose ``field`` is not a symbol (:mod:`eventstudy.symbols`),
    or is the second spelling of one that differs only in case (``nvda`` after ``NVDA``: the
    two would share one cache file on a case-insensitive file system); one check per
    distinct value."""
    distinct = dict.fromkeys(cells.tolist())
    for value in distinct:
        problem = symbol_problem(value)
        if problem:
            raise table.fail(problem, index=int(np.flatnonzero(cells == value)[0]), field=field)
    twins = first_collision(distinct)
    if twins:
        earlier, later = twins
        first = table.row_of(int(np.flatnonzero(cells == earlier)[0]))
        message = f"{collision_message(earlier, later)}; {earlier!r} is on row {first}"
        raise table.fail(message, index=int(np.flatnonzero(cells == later)[0]), field=field)

"""The announcement calendar: reading and validating ``events.csv``.

One row per (event, listed party). Columns, all required except ``market``, no others:

============  =================================================================
event_id      identifier of the announcement, ``[A-Za-z0-9._-]+``, at most 100 characters,
              unique once case is folded (it names a figure file)
announced     announcement date ``YYYY-MM-DD`` (US/Eastern calendar date, 1900..2199)
timing        ``pre`` | ``intraday`` | ``post`` | ``unknown`` (relative to the session)
ticker        listed party's identifier as its data spell it (the grammar of
              :mod:`eventstudy.symbols`: ``NVDA``, ``BRK-B``, ``^GSPC``, ``HDFC.Bank``,
              ``10107``)
role          the party's role in the deal (``supplier``, ``investor``, ...)
deal_usd      deal size in US dollars (:data:`MIN_DEAL_USD` to :data:`MAX_DEAL_USD`),
              blank where undisclosed
group         label used to aggregate events (``openai-compute``, ``shock``, ...)
headline      free text
market        optional: this row's market benchmark (an identifier; blank: the study's
              market), as eventstudy2's ``idmarket``
============  =================================================================

Every problem is raised as :class:`~eventstudy.errors.InputError` naming the file, the row
(the line number in the file; the header is line 1) and the field. Nothing is coerced silently:
tickers outside the identifier grammar (``NV DA``, ``../x``), zero or negative deal
sizes and rows of one event that disagree on its date or timing are errors, not corrections.
The file must be UTF-8 (a byte-order mark is accepted); a Latin-1 or Windows-1252 file is an
error naming the row and field of the first non-UTF-8 byte.

``deal_usd`` is a plain decimal number (``500e9``, ``1.5e9``, ``2000000000``) or one whose
integer digits are grouped by three with commas or underscores, one kind per number
(``2,000,000,000``, ``2_000_000_000``). Anything else is an error, in particular ``1,5`` (a
decimal comma or a slip: neither 1.5 nor 15 is guessed), and so is a size outside
[:data:`MIN_DEAL_USD`, :data:`MAX_DEAL_USD`] = [1, 1e14] US dollars: a deal of less than one
dollar is a unit error (it would make ``value_to_deal`` astronomically large), and $100
trillion is about world GDP. ``-`` and ``—`` mean undisclosed, like a blank.

Size. The whole calendar is held in memory, and so is every array of the study run on it:
about :data:`MEMORY_PER_ROW` bytes per row with the default windows (measured: a 40,000-row
calendar peaks at 1.8 GB, a 100,000-row one at 4.3 GB). Before anything is parsed, the rows
are counted (reading the file in blocks, stopping at the limit) and a calendar whose estimate
exceeds the memory available (``MemAvailable`` of ``/proc/meminfo``, or the cgroup limit if
lower) is refused with one line giving both figures, instead of failing minutes later in a
numpy allocation. Larger calendars can be split, or run on Dask (``eventstudy run --scheduler``,
:mod:`eventstudy.distributed`), whose driver keeps far less per row (its caller passes its own
``memory_per_row``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.config import FIRST_DATE, LAST_DATE
from eventstudy.errors import InputError, as_path
from eventstudy.hashing import content_sha256, file_sha256
from eventstudy.packed import not_text
from eventstudy.symbols import is_symbol, shown, symbol_problem

COLUMNS: tuple[str, ...] = (
    "event_id",
    "announced",
    "timing",
    "ticker",
    "role",
    "deal_usd",
    "group",
    "headline",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("market",)
"""Columns an events file may have besides :data:`COLUMNS`."""
_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate: Python's stand-in for a byte that was not UTF-8 (no text to write)."""
TIMINGS: tuple[str, ...] = ("pre", "intraday", "post", "unknown")
"""Announcement dates outside this range are errors (pandas' nanosecond timestamps end in 2262)."""

MIN_DEAL_USD = 1.0
"""Smallest deal size accepted, in US dollars."""
MAX_DEAL_USD = 1e14
"""Largest deal size accepted, in US dollars ($100 trillion, about world GDP)."""
_MAX_DEAL_TEXT = f"{MAX_DEAL_USD:.0e}".replace("e+", "e")
MEMORY_PER_ROW = 48_000
"""Bytes of memory an in-memory study needs per calendar row (measured ~40 KB, plus a margin)."""
MEMORY_BASE = 400_000_000
"""Bytes an in-memory study needs besides the rows (interpreter, libraries, prices)."""

_EVENT_ID = re.compile(r"[A-Za-z0-9._-]+")
MAX_EVENT_ID_LENGTH = 100
"""Longest event id: it names the event's figure (``figures/car_<event_id>.png``), and a file
name has at most 255 bytes (with the writer's temporary suffix, an id of about 233 once failed
only when the report was written, after the whole study)."""
_DEAL = re.compile(
    r"(?P<sign>[+-])?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:_\d{3})+(?:\.\d+)?)",
    re.ASCII,
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)  # not the digits of other scripts (２０２５)
_LABEL = re.compile(r"[A-Za-z0-9._-]+")
MAX_LABEL_LENGTH = 100
"""Longest role or group label: each heads a row of the report's tables."""

FRAME_PEERS_NOTE = (
    "; a run's own events hold the peer rows it added: run them again as "
    "events[events['role'] != 'peer'], with peers=... to add peers again"
)
"""What an events frame's error about the peers' role adds (``StudyResults.events``)."""

RESERVED_LABELS: dict[str, dict[str, str]] = {
    "group": {
        "all": "'all' is the group of every listed party, which the study adds; name the group otherwise",
        "peers": "'peers' is the group of the ecosystem peers, which the study adds; "
        "name the group otherwise",
    },
    "role": {
        "peer": "'peer' is the role of the ecosystem peers the study adds ([study] peers or --peers); "
        "give a listed party its role in the deal",
    },
}
"""Labels the study gives its own rows and groups: in events.csv they would merge a listed
party's rows into the built-in ``all`` or ``peers`` group (or make a party a peer) silently."""
FRAME_RESERVED_LABELS: dict[str, dict[str, str]] = {
    **RESERVED_LABELS,
    "role": {role: text + FRAME_PEERS_NOTE for role, text in RESERVED_LABELS["role"].items()},
}
"""The same labels for an events frame, whose error about the peers' role says how to run a
run's own events again."""

# Same-event fields: every row of one event_id must agree on these.
_EVENT_FIELDS: tuple[str, ...] = ("announced", "timing", "group", "headline")


def read_events(path: str | Path, *, memory_per_row: int = MEMORY_PER_ROW) -> pd.DataFrame:
    """Read and validate an announcement calendar.

    Parameters
    ----------
    path
        CSV file with the columns in :data:`COLUMNS` (UTF-8, a byte-order mark is accepted).
    memory_per_row
        Bytes per row the study run on the calendar needs in this process (the size check of
        the module docstring); default: an in-memory study's.

    Returns
    -------
    pandas.DataFrame
        One row per (event, party) in file order, with ``announced`` as ``datetime64[ns]``,
        ``deal_usd`` as float (NaN where undisclosed), ``market`` ("" where blank) when the
        file has that column, and ``source_row``, the line number of the row in the file.

    Raises
    ------
    InputError
        For the first problem found, naming file, row and field.
    """
    if not isinstance(path, str | os.PathLike):
        kind = type(path).__name__
        raise TypeError(f"read_events reads an events file (a path), not a {kind}; run_study takes frames")
    path = as_path(path, "path")
    if path.is_fifo():  # open() would wait for a writer forever
        raise InputError(str(path), "is a named pipe, not an events file")
    _check_size(path, memory_per_row)
    if is_parquet(path):  # was "not UTF-8 text (byte 0xb0 ...)": a run's events.parquet, say
        raise InputError(
            str(path),
            "is a parquet file (or begins as one); an events file is CSV (columns event_id, announced, "
            "timing, ticker, role, deal_usd, group, headline)",
        )
    return _parse_events(read_csv_text(path, "cannot read the events file"), path, RESERVED_LABELS)


def is_parquet(path: Path) -> bool:
    """Whether ``path`` begins as a parquet file does: ``PAR1`` then a byte no text holds (a
    control character; a parquet page header begins 0x15). A CSV whose first column is PAR1_ref
    is text; a parquet file cut short is still one."""
    try:
        with open(path, "rb") as file:
            head = file.read(5)
    except OSError:  # said by the CSV reader, which names it
        return False
    return head[:4] == b"PAR1" and len(head) == 5 and head[4] < 0x20 and head[4] not in b"\t\n\r"


def events_from_frame(frame: pd.DataFrame, name: str | Path = "events") -> pd.DataFrame:
    """Check an events frame built in Python exactly as :func:`read_events` checks a file.

    The frame's columns of :data:`COLUMNS` and :data:`OPTIONAL_COLUMNS` are written as the CSV
    file ``frame.to_csv(index=False)`` would hold them (``announced`` as ``YYYY-MM-DD``, a
    moment with a time zone taken in New York time and one with a time of day refused; numbers
    as their shortest exact text, missing values blank) and read back by the file's parser, so a
    frame passes or fails as that file would (rows of role ``peer`` too: peers are added by
    ``peers``, never given, so a run's own ``StudyResults.events`` runs again without its peer
    rows, which the error says how to drop); other columns (``source_row`` of a frame :func:`read_events`
    returned, a notebook's own) are not read.

    Parameters
    ----------
    frame
        One row per (event, party).
    name
        How errors name the frame (a file it came from, or ``"events"``); their rows are those
        of the CSV file above (the header is row 1, the frame's first row row 2).

    Returns
    -------
    pandas.DataFrame
        As :func:`read_events` returns, ``source_row`` being those CSV rows.

    Raises
    ------
    InputError
        For the first problem found, naming ``name``, row and field.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(str(name), f"events must be a file or a DataFrame, not {type(frame).__name__}")
    if frame.columns.nlevels > 1:
        raise InputError(
            str(name),
            f"the frame has {frame.columns.nlevels} column levels; an events frame has one column per field "
            "(flatten them, e.g. frame.columns = frame.columns.get_level_values(-1))",
        )
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        raise InputError(str(name), "the column is in the frame twice", row=1, field=str(repeated[0]))
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(str(name), "required column is missing", row=1, field=missing[0])
    columns = [*COLUMNS, *(column for column in OPTIONAL_COLUMNS if column in frame.columns)]
    rows = frame.loc[:, columns]
    for column in columns:  # a lone surrogate (a file name's undecodable byte) is no text to write
        for position, cell in enumerate(rows[column].tolist()):
            if isinstance(cell, str) and _SURROGATE.search(cell):
                said = f"{shown(cell)} is not UTF-8 text (a lone surrogate, from bytes that were not UTF-8)"
                raise InputError(str(name), said, row=position + 2, field=column)
    rows = rows.assign(announced=_calendar_dates(rows["announced"], str(name)))
    if pd.api.types.is_float_dtype(rows["deal_usd"]):
        rows = rows.assign(deal_usd=_float64_deals(rows["deal_usd"], str(name)))
    # Every field quoted: a bare carriage return in a headline is text, not the end of a row.
    text = rows.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n", quoting=csv.QUOTE_ALL)
    return _parse_events(text, Path(name), FRAME_RESERVED_LABELS, by_record=True)



def _float64_deals(deals: pd.Series, name: str) -> pd.Series:
    """``deals`` (of any float type) as float64; a value of a float narrower than 64 bits
    (numpy's, pandas' nullable ``Float32``, pyarrow's, sparse) that is not the number its
    shortest text shows is refused: 3e11 in float32 is 299,999,985,664, and 3.14 in float16 is
    3.140625 (taken as its value, the deal changed without a word, and ``to_csv`` wrote numpy's
    as ``3e+11``: the file of the frame was other events than the run's)."""
    values = deals.to_numpy(dtype="float64", na_value=np.nan)
    kind = deals.dtype
    narrow = np.dtype(getattr(kind, "numpy_dtype", None) or getattr(kind, "subtype", kind))  # its numbers
    if narrow.itemsize < 8:
        for position, value in enumerate(values.tolist()):
            text = str(narrow.type(value))
            if np.isfinite(value) and float(text) != value:
                held = f"{value:,.0f}" if value == int(value) else repr(value)
                raise InputError(
                    name,
                    f"{text} in {deals.dtype} is {held} (a float narrower than 64 bits holds fewer digits "
                    "than it shows): give deal_usd as float64",
                    row=position + 2,
                    field="deal_usd",
                )
    return pd.Series(values, index=deals.index, name=deals.name)


def events_sha256(events: pd.DataFrame) -> str:
    """The content hash of validated events (:func:`read_events`, :func:`events_from_frame`): what
    ``manifest.json`` records of a study run from a frame, which no file holds.

    :func:`~eventstudy.hashing.content_sha256` of every column but ``source_row`` (the line that
    errors name, never written to an output), so a frame and the file ``frame.to_csv`` writes of
    it hash the same, and so do two files of the same rows with other blank lines or line breaks.
    """
    return content_sha256(events.drop(columns=["source_row"], errors="ignore").reset_index(drop=True))


def events_record(events: pd.DataFrame, path: str | Path | None) -> dict[str, str]:
    """What ``manifest.json`` records of a study's events (``inputs.events``): the content hash
    of the validated events (:func:`events_sha256`, before any peers are added) and, for events
    read from a file, its path and the SHA-256 of its bytes.

    ``eventstudy verify`` compares the content hash: the same events saved with other line
    endings, a byte-order mark, other quoting or blank lines are the same study (their bytes'
    hash differs, and verify says so in a note)."""
    record = {"content_sha256": events_sha256(events)}
    if path is not None:
        record = {"path": str(path), "sha256": file_sha256(Path(path)), **record}
    return record

NEW_YORK = "America/New_York"


def _calendar_dates(announced: pd.Series, name: str) -> pd.Series:
    """A frame's ``announced`` as the file holds it: a moment with a time zone is taken in New
    York time (the column is a US/Eastern date), and a time of day is refused, naming the row:
    2025-09-10 00:00 in Tokyo is 2025-09-09 11:00 in New York, which no date can stand for (its
    clock date gave a day 0 a session early or late, without a word)."""
    if isinstance(announced.dtype, pd.DatetimeTZDtype) or (
        isinstance(announced.dtype, np.dtype) and announced.dtype.kind == "M"
    ):
        zoned = isinstance(announced.dtype, pd.DatetimeTZDtype)
        local = announced.dt.tz_convert(NEW_YORK).dt.tz_localize(None) if zoned else announced
        timed = (local.notna() & (local != local.dt.normalize())).to_numpy().nonzero()[0]
        if timed.size:
            raise _moment_error(local.iloc[int(timed[0])], zoned, name, int(timed[0]))
        return local
    values = announced.astype(object).tolist()  # pyarrow or object columns: value by value
    out = []
    for row, value in enumerate(values):
        if value is pd.NaT:  # blank, as the file would hold it: refused as no date
            value = None
        elif isinstance(value, dt.datetime):  # a pandas Timestamp too; a plain date passes as it is
            moment = pd.Timestamp(value)
            zoned = moment.tzinfo is not None
            local = moment.tz_convert(NEW_YORK).tz_localize(None) if zoned else moment
            if local != local.normalize():
                raise _moment_error(local, zoned, name, row)
            value = local.date()
        out.append(value)
    return pd.Series(out, index=announced.index, dtype=object)


def _moment_error(local: pd.Timestamp, zoned: bool, name: str, row: int) -> InputError:
    """The error of a frame's ``announced`` at 0-based ``row``, a moment (``local``: its New York
    time when ``zoned``) rather than a date."""
    zone = " in New York time" if zoned else ""
    return InputError(
        name,
        f"{local}{zone} is a moment, not a date: give the US/Eastern calendar date (the session is "
        "the timing column's)",
        row=row + 2,
        field="announced",
    )


def _parse_events(
    text: str, path: Path, reserved: Mapping[str, Mapping[str, str]], *, by_record: bool = False
) -> pd.DataFrame:
    """The events of the CSV text of the events file ``path`` (:func:`read_events`). Rows are
    numbered by line, or with ``by_record`` by record (a frame's first row is row 2, whatever
    line breaks its text holds)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(str(path), "the file is empty; expected a header: " + ",".join(COLUMNS))
        _check_header(path, [name.strip() for name in header])
        records = []
        last_line = reader.line_num
        for number, fields in enumerate(reader, start=2):
            # A record's line is its first: a quoted field may hold line breaks.
            first_line, last_line = last_line + 1, reader.line_num
            if not fields or all(not value.strip() for value in fields):
                continue
            row = number if by_record else first_line
            records.append(_parse_row(path, row, header, fields, reserved))
    except csv.Error as exc:
        raise InputError(str(path), f"malformed CSV ({exc})", row=reader.line_num) from None

    if not records:
        raise InputError(str(path), "no events: a header but no rows")
    _check_consistency(path, records)
    optional = [name for name in OPTIONAL_COLUMNS if name in (h.strip() for h in header)]
    frame = pd.DataFrame.from_records(records, columns=[*COLUMNS, *optional, "source_row"])
    frame["announced"] = pd.to_datetime(frame["announced"]).astype("datetime64[ns]")
    frame["deal_usd"] = frame["deal_usd"].astype("float64")
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


_READ_CHUNK = 1 << 20
"""Bytes read at a time, each checked before the next is read (a device or a binary file
given by mistake fails at its first chunk instead of being read to the end, or forever)."""


def read_csv_text(path: Path, unreadable: str) -> str:
    """The text of the CSV file ``path``: UTF-8, a byte-order mark dropped, no NUL byte.

    The file is read in chunks of :data:`_READ_CHUNK` bytes, each decoded and checked before
    the next is read: ``/dev/zero`` or ``/dev/urandom`` given as an events file is refused at
    its first chunk.

    Raises
    ------
    InputError
        ``unreadable`` and the system's reason when the file cannot be read; the row and the
        column of the first byte that is not UTF-8 (:func:`locate_byte`); the row of a NUL byte.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    raw: list[bytes] = []
    parts: list[str] = []
    try:
        with path.open("rb") as handle:
            while True:
                chunk = handle.read(_READ_CHUNK)
                raw.append(chunk)
                try:
                    parts.append(decoder.decode(chunk, final=not chunk))
                except UnicodeDecodeError:
                    _not_utf8(path, b"".join(raw))
                if "\x00" in parts[-1]:
                    text = "".join(parts)
                    row = text[: text.index("\x00")].count("\n") + 1
                    raise InputError(str(path), "contains a NUL byte; is this a CSV file?", row=row)
                if not chunk:
                    return "".join(parts)
    except OSError as exc:
        raise InputError(str(path), f"{unreadable} ({exc.strerror or exc})") from None


def _not_utf8(path: Path, raw: bytes) -> None:
    """Raise the InputError naming the first byte of ``raw`` (the file so far) that is not UTF-8."""
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16's byte-order mark
            raise InputError(str(path), "UTF-16 text, not UTF-8; re-save the file as UTF-8", row=1) from None
        packed = not_text(raw)
        if packed is not None:  # was "byte 0x8b: Latin-1 or Windows-1252?" for a .csv.gz (a finder)
            raise InputError(str(path), packed, row=1) from None
        row, field = locate_byte(raw, exc.start)
        raise InputError(
            str(path),
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}: Latin-1 or Windows-1252?); "
            "re-save the file as UTF-8",
            row=row,
            field=field,
        ) from None
    raise AssertionError("the incremental decoder refused bytes that decode")  # pragma: no cover


def locate_byte(raw: bytes, offset: int) -> tuple[int, str | None]:
    """Line number (header = 1) of byte ``offset``, and the header name of its column."""
    line = raw[:offset].count(b"\n") + 1
    if line == 1:
        return line, None
    start = raw.rfind(b"\n", 0, offset) + 1
    try:
        header = next(csv.reader([raw.split(b"\n", 1)[0].decode("utf-8-sig", "replace")]), [])
        before = next(csv.reader([raw[start:offset].decode("utf-8", "replace")]), [])
    except csv.Error:
        return line, None
    index = max(len(before) - 1, 0)
    return line, header[index].strip() if index < len(header) else None


SEPARATORS: dict[str, str] = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
"""Separators of other CSV dialects (Excel's in a comma-decimal locale, TSV), named when a
file's header is one column holding one of them."""


def separator_problem(header: Sequence[str]) -> str | None:
    """Why a header of one column that holds :data:`SEPARATORS` is not read (None when it has
    more columns or none of them): every file read is comma-separated. Excel's ``sep=,`` line
    before the header is named (its rows were said to have the wrong number of fields)."""
    if header and header[0].strip().lower().startswith("sep="):
        hint = ",".join(header).strip()
        return f"its first line {hint!r} is Excel's separator hint, not the header: delete that line"
    if len(header) != 1:
        return None
    found = next((name for separator, name in SEPARATORS.items() if separator in header[0]), None)
    if found is None:
        return None
    return f"its columns are separated by {found}, not commas: save it as comma-separated CSV (UTF-8)"


def _check_header(path: Path, header: list[str]) -> None:
    separated = separator_problem(header)
    if separated:
        raise InputError(str(path), separated, row=1)
    unknown = [name for name in header if name not in COLUMNS and name not in OPTIONAL_COLUMNS]
    if unknown:
        raise InputError(
            str(path),
            f"unknown column (expected {', '.join(COLUMNS)}, optionally {', '.join(OPTIONAL_COLUMNS)})",
            row=1,
            field=unknown[0],
        )
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise InputError(str(path), "required column is missing", row=1, field=missing[0])
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputError(str(path), "column appears twice", row=1, field=duplicated[0])


def event_id_problem(event_id: object) -> str | None:
    """What is wrong with ``event_id`` as an event id (letters, digits, ``. _ -``, at most
    :data:`MAX_EVENT_ID_LENGTH` characters: it names a file of the report), or None."""
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        return f"{shown(event_id)} is not an identifier (letters, digits, . _ -)"
    if len(event_id) > MAX_EVENT_ID_LENGTH:
        return (
            f"{shown(event_id)} has {len(event_id)} characters, more than {MAX_EVENT_ID_LENGTH} "
            "(it names the event's figure file)"
        )
    return None


def _parse_row(
    path: Path, line: int, header: list[str], fields: list[str], reserved: Mapping[str, Mapping[str, str]]
) -> dict[str, object]:
    if len(fields) != len(header):
        raise InputError(str(path), f"expected {len(header)} fields, found {len(fields)}", row=line)
    values = {name.strip(): value.strip() for name, value in zip(header, fields, strict=True)}

    def fail(field: str, message: str) -> InputError:
        return InputError(str(path), message, row=line, field=field)

    event_id = values["event_id"]
    problem = event_id_problem(event_id)
    if problem:
        raise fail("event_id", problem)

    announced = values["announced"]
    if not _DATE.fullmatch(announced):
        raise fail("announced", f"{shown(announced)} is not a date in the form YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(announced)
    except ValueError:
        raise fail("announced", f"{shown(announced)} is not a valid calendar date") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise fail("announced", f"{announced!r} is outside the supported range {FIRST_DATE}..{LAST_DATE}")

    timing = values["timing"]
    if timing not in TIMINGS:
        raise fail("timing", f"{shown(timing)} is not one of {', '.join(TIMINGS)}")

    ticker = values["ticker"]
    if not is_symbol(ticker):
        raise fail("ticker", symbol_problem(ticker) or "")

    for field in ("role", "group"):
        if not _LABEL.fullmatch(values[field]):
            raise fail(field, f"{shown(values[field])} must be a non-empty label (letters, digits, . _ -)")
        if values[field].casefold() in reserved[field]:  # 'ALL' beside the study's 'all' too
            raise fail(field, reserved[field][values[field].casefold()])
        if len(values[field]) > MAX_LABEL_LENGTH:
            raise fail(field, f"{shown(values[field])} is longer than {MAX_LABEL_LENGTH} characters")

    deal_usd = _parse_deal(values["deal_usd"], fail)
    optional = {}
    if "market" in values:
        market = values["market"]
        if market and not is_symbol(market):
            raise fail("market", symbol_problem(market) or "")
        optional["market"] = market
    return {
        "event_id": event_id,
        "announced": announced,
        "timing": timing,
        "ticker": ticker,
        "role": values["role"],
        "deal_usd": deal_usd,
        "group": values["group"],
        "headline": values["headline"],
        **optional,
        "source_row": line,
    }


def _parse_deal(text: str, fail: Callable[[str, str], InputError]) -> float:
    """``deal_usd`` as float dollars (NaN when undisclosed); see the module docstring."""
    if text in ("", "—", "-"):
        return math.nan
    match = _DEAL.fullmatch(text)
    if match is None:
        raise fail(
            "deal_usd",
            f"{shown(text)} is not a number of US dollars: write e.g. 1500000000, 1.5e9 or "
            "1,500,000,000 (commas only between groups of three digits)",
        )
    value = float(text.replace("_", "").replace(",", ""))
    if value <= 0:
        raise fail("deal_usd", f"{shown(text)} must be positive (leave blank if undisclosed)")
    if not MIN_DEAL_USD <= value <= MAX_DEAL_USD:
        raise fail(
            "deal_usd",
            f"{shown(text)} is outside the accepted deal sizes, {MIN_DEAL_USD:g} to {_MAX_DEAL_TEXT} "
            "US dollars (give the size in dollars, not thousands or millions)",
        )
    return value


def _check_size(path: Path, memory_per_row: int = MEMORY_PER_ROW) -> None:
    """Refuse a calendar whose study would not fit in the memory available."""
    available = available_memory()
    if available is None:
        return
    limit = max((available - MEMORY_BASE) // memory_per_row, 0)
    lines, exact = count_lines(path, stop_after=limit + 2)
    rows = lines - 1  # the header is not a row
    if rows > limit:
        needed = MEMORY_BASE + rows * memory_per_row
        counted = f"{rows:,} rows" if exact else f"about {rows:,} rows (estimated from the file's size)"
        study = "an in-memory study" if memory_per_row == MEMORY_PER_ROW else "this study's driver"
        raise InputError(
            str(path),
            f"{counted} would need about {needed / 1e9:.1f} GB of memory for {study} "
            f"({memory_per_row // 1000} KB per row), but {available / 1e9:.1f} GB is available; "
            "split the calendar, or run it on a Dask cluster (eventstudy run --scheduler)",
        )


def count_lines(path: Path, *, stop_after: int) -> tuple[int, bool]:
    """Lines of the file, and whether that is a count (True) or an estimate (False).

    The file is read in blocks of :data:`_READ_CHUNK` (1 MiB) until ``stop_after`` line breaks
    are seen; a larger file is not read further, and its line count is extrapolated from its
    size. A block with a NUL byte ends the count (0 lines): the file is not text, which reading
    it then reports.
    """
    count = read = 0
    last = b"\n"
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            while count < stop_after:
                block = handle.read(_READ_CHUNK)
                if not block:
                    return count + (last != b"\n"), True
                if b"\0" in block:  # not text (/dev/zero, a binary file): read_events reports it
                    return 0, True
                count += block.count(b"\n")
                read += len(block)
                last = block[-1:]
    except OSError:
        return 0, True  # unreadable: read_events reports it
    if read >= size:
        return count + (last != b"\n"), True
    return max(count, int(count * size / read)), False


def available_memory(
    meminfo: Path = Path("/proc/meminfo"),
    cgroup: Path = Path("/sys/fs/cgroup"),
    membership: Path = Path("/proc/self/cgroup"),
) -> int | None:
    """Bytes of memory this process can still use: ``MemAvailable`` of ``/proc/meminfo``, or
    less when a cgroup memory limit is set (:func:`_cgroup_available`); ``None`` where neither
    can be read."""
    candidates = []
    try:
        with open(meminfo, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    limited = _cgroup_available(cgroup, membership)
    if limited is not None:
        candidates.append(limited)
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError):
            return None
    return min(candidates)


_NO_LIMIT = 1 << 60
"""A cgroup v1 limit at or above this is none (the kernel writes 2^63 rounded to a page)."""


def _cgroup_available(root: Path, membership: Path = Path("/proc/self/cgroup")) -> int | None:
    """What the process's cgroups leave it: of its own cgroup (``membership``, the
    ``/proc/self/cgroup`` lines) and of each one above it up to ``root``, the smallest limit less
    what the cgroup uses, plus the file cache it holds that the kernel reclaims before it fails an
    allocation (``inactive_file`` and ``active_file``: the usage counts the page cache, so a
    container or a SLURM step that had just read its data showed no memory left). Only the root's
    limit was read, which a SLURM step's or a systemd scope's own cgroup is not. cgroup v2
    (``memory.max``, ``memory.current``), and v1 (``memory/<path>/memory.limit_in_bytes``,
    ``memory.usage_in_bytes``, ``total_inactive_file``, ``total_active_file``); None without a
    limit."""
    own = {"v2": "/", "v1": "/"}
    try:
        for line in membership.read_text().splitlines():
            number, _, rest = line.partition(":")
            controllers, _, path = rest.partition(":")
            if number == "0" and not controllers:
                own["v2"] = path or "/"
            elif "memory" in controllers.split(","):
                own["v1"] = path or "/"
    except OSError:
        pass
    found = []
    for version, base, (limit_file, used_file, stat_file, prefix) in (
        ("v2", root, ("memory.max", "memory.current", "memory.stat", "")),
        ("v1", root / "memory", ("memory.limit_in_bytes", "memory.usage_in_bytes", "memory.stat", "total_")),
    ):
        keys = (f"{prefix}inactive_file", f"{prefix}active_file")
        relative = Path(own[version].lstrip("/"))
        for folder in [base / relative, *(base / parent for parent in relative.parents)]:
            left = _cgroup_left(folder, limit_file, used_file, stat_file, keys)
            if left is not None:
                found.append(left)
    return min(found) if found else None


def _cgroup_left(
    folder: Path, limit_file: str, used_file: str, stat_file: str, keys: tuple[str, ...]
) -> int | None:
    """One cgroup's limit less its usage plus its file cache (the ``keys`` of its memory.stat);
    None without a limit."""
    try:
        limit = (folder / limit_file).read_text().strip()
        used = int((folder / used_file).read_text().strip())
    except (OSError, ValueError):
        return None
    if limit == "max" or not limit.isdigit() or int(limit) >= _NO_LIMIT:
        return None
    reclaimable = 0
    try:
        for line in (folder / stat_file).read_text().splitlines():
            name, _, value = line.partition(" ")
            if name in keys:
                reclaimable += int(value)
    except (OSError, ValueError):
        pass
    return max(int(limit) - used + reclaimable, 0)


def _check_consistency(path: Path, records: list[dict[str, object]]) -> None:
    seen_pairs: dict[tuple[object, object], int] = {}
    first_of_event: dict[object, dict[str, object]] = {}
    first_deal: dict[object, dict[str, object]] = {}  # an event's first row of a listed party
    folded: dict[str, dict[str, object]] = {}  # an event's first row by its id in upper case
    spelt: dict[tuple[str, str], dict[str, object]] = {}  # a role's, a group's first row by (field, casefold)
    for record in records:
        row = record["source_row"]
        assert isinstance(row, int)  # the line number (_parse_row)
        key = (record["event_id"], record["ticker"])
        if key in seen_pairs:
            raise InputError(
                str(path),
                f"duplicate (event_id, ticker) {_cut(key[0])}/{key[1]!s}, first on row {seen_pairs[key]}",
                row=row,
                field="ticker",
            )
        seen_pairs[key] = row
        if record["event_id"] not in first_of_event:
            twin = folded.setdefault(str(record["event_id"]).upper(), record)
            if twin is not record:  # one figure file on a case-insensitive file system
                raise InputError(
                    str(path),
                    f"event ids {_cut(record['event_id'])} and {_cut(twin['event_id'])} (row "
                    f"{twin['source_row']}) differ only in case: their figures, figures/car_<event_id>.png, "
                    "would be one file on macOS or Windows; rename one",
                    row=row,
                    field="event_id",
                )
        first = first_of_event.setdefault(record["event_id"], record)
        for field in _EVENT_FIELDS:
            if record[field] != first[field]:
                raise InputError(
                    str(path),
                    f"event {_cut(record['event_id'])} has {field} {shown(record[field])} here but "
                    f"{shown(first[field])} on row {first['source_row']}",
                    row=row,
                    field=field,
                )
        for field in ("role", "group"):
            label = str(record[field])
            seen = spelt.setdefault((field, label.casefold()), record)
            if seen[field] != label:  # a backtest traded 'Rival' long beside a short 'rival'
                raise InputError(
                    str(path),
                    f"{field} {shown(label)} and {shown(seen[field])} (row {seen['source_row']}) "
                    f"differ only in case: the study would take them as two {field}s; spell them alike",
                    row=row,
                    field=field,
                )
        if record["role"] != "peer":  # peer rows (a frame from eventstudy.peers.add_peers) have none
            _check_deal(path, record, first_deal.setdefault(record["event_id"], record), row)


def _check_deal(path: Path, record: dict[str, object], first: dict[str, object], row: int) -> None:
    """An event's ``deal_usd`` is one figure, the same on every row of a listed party (blank on
    each where undisclosed): the group's value per deal dollar counts each event's deal once, so
    rows giving two sizes would make it depend on the rows' order."""
    deal, other = record["deal_usd"], first["deal_usd"]
    assert isinstance(deal, float) and isinstance(other, float)  # _parse_deal
    if deal == other or (math.isnan(deal) and math.isnan(other)):
        return

    def text(value: float) -> str:
        if math.isnan(value):
            return "blank"
        short = f"{value:.15g}"
        return short if float(short) == value else repr(value)

    raise InputError(
        str(path),
        f"event {_cut(record['event_id'])} has deal_usd {text(deal)} here but {text(other)} on row "
        f"{first['source_row']} (one deal size per event, on each of its rows; blank on each where "
        "undisclosed)",
        row=row,
        field="deal_usd",
    )


def _cut(event_id: object) -> str:
    """An event id as errors name it: as written, or cut (:func:`~eventstudy.symbols.shown`) when long."""
    text = str(event_id)
    return text if len(text) <= 40 else shown(text)

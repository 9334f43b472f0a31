"""The announcement calendar: reading and validating ``events.csv``.

One row per (event, listed party). Columns, all required, no others:

============  =================================================================
event_id      identifier of the announcement, ``[A-Za-z0-9._-]+``
announced     announcement date ``YYYY-MM-DD`` (US/Eastern calendar date, 1900..2199)
timing        ``pre`` | ``intraday`` | ``post`` | ``unknown`` (relative to the session)
ticker        listed party's symbol, upper case as the price source spells it
role          the party's role in the deal (``supplier``, ``investor``, ...)
deal_usd      deal size in US dollars, blank where undisclosed
group         label used to aggregate events (``openai-compute``, ``shock``, ...)
headline      free text
============  =================================================================

Every problem is raised as :class:`~eventstudy.errors.InputError` naming the file, the row
(the line number in the file; the header is line 1) and the field. Nothing is coerced silently:
lower-case tickers, zero or negative deal sizes and rows of one event that disagree on its date
or timing are errors, not corrections. The file must be UTF-8 (a byte-order mark is accepted);
a Latin-1 or Windows-1252 file is an error naming the row and field of the first non-UTF-8 byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from pathlib import Path

import pandas as pd

from eventstudy.errors import InputError

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
TIMINGS: tuple[str, ...] = ("pre", "intraday", "post", "unknown")
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
"""Announcement dates outside this range are errors (pandas' nanosecond timestamps end in 2262)."""

_EVENT_ID = re.compile(r"[A-Za-z0-9._-]+")
_TICKER = re.compile(r"\^?[A-Z0-9][A-Z0-9.=-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LABEL = re.compile(r"[A-Za-z0-9._-]+")
# Same-event fields: every row of one event_id must agree on these.
_EVENT_FIELDS: tuple[str, ...] = ("announced", "timing", "group", "headline")


def read_events(path: str | Path) -> pd.DataFrame:
    """Read and validate an announcement calendar.

    Parameters
    ----------
    path
        CSV file with the columns in :data:`COLUMNS` (UTF-8, a byte-order mark is accepted).

    Returns
    -------
    pandas.DataFrame
        One row per (event, party) in file order, with ``announced`` as ``datetime64[ns]``,
        ``deal_usd`` as float (NaN where undisclosed) and ``source_row``, the line number of
        the row in the file.

    Raises
    ------
    InputError
        For the first problem found, naming file, row and field.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read the events file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, field = _locate_byte(raw, exc.start)
        raise InputError(
            str(path),
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}: Latin-1 or Windows-1252?); "
            "re-save the file as UTF-8",
            row=line,
            field=field,
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(str(path), "contains a NUL byte; is this a CSV file?", row=line)

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(str(path), "the file is empty; expected a header: " + ",".join(COLUMNS))
        _check_header(path, [name.strip() for name in header])
        records = []
        for fields in reader:
            if not fields or all(not value.strip() for value in fields):
                continue
            records.append(_parse_row(path, reader.line_num, header, fields))
    except csv.Error as exc:
        raise InputError(str(path), f"malformed CSV ({exc})", row=reader.line_num) from None

    if not records:
        raise InputError(str(path), "no events: the file has a header but no rows")
    _check_consistency(path, records)
    frame = pd.DataFrame.from_records(records, columns=[*COLUMNS, "source_row"])
    frame["announced"] = pd.to_datetime(frame["announced"]).astype("datetime64[ns]")
    frame["deal_usd"] = frame["deal_usd"].astype("float64")
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


def _locate_byte(raw: bytes, offset: int) -> tuple[int, str | None]:
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


def _check_header(path: Path, header: list[str]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise InputError(
            str(path), f"unknown column (expected {', '.join(COLUMNS)})", row=1, field=unknown[0]
        )
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise InputError(str(path), "required column is missing", row=1, field=missing[0])
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputError(str(path), "column appears twice", row=1, field=duplicated[0])


def _parse_row(path: Path, line: int, header: list[str], fields: list[str]) -> dict[str, object]:
    if len(fields) != len(header):
        raise InputError(str(path), f"expected {len(header)} fields, found {len(fields)}", row=line)
    values = {name.strip(): value.strip() for name, value in zip(header, fields, strict=True)}

    def fail(field: str, message: str) -> InputError:
        return InputError(str(path), message, row=line, field=field)

    event_id = values["event_id"]
    if not _EVENT_ID.fullmatch(event_id):
        raise fail("event_id", f"{event_id!r} is not an identifier (letters, digits, . _ -)")

    announced = values["announced"]
    if not _DATE.fullmatch(announced):
        raise fail("announced", f"{announced!r} is not a date in the form YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(announced)
    except ValueError:
        raise fail("announced", f"{announced!r} is not a valid calendar date") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise fail("announced", f"{announced!r} is outside the supported range {FIRST_DATE}..{LAST_DATE}")

    timing = values["timing"]
    if timing not in TIMINGS:
        raise fail("timing", f"{timing!r} is not one of {', '.join(TIMINGS)}")

    ticker = values["ticker"]
    if not _TICKER.fullmatch(ticker):
        hint = f" (did you mean {ticker.upper()!r}?)" if _TICKER.fullmatch(ticker.upper()) else ""
        raise fail("ticker", f"{ticker!r} is not a ticker symbol in upper case{hint}")

    for field in ("role", "group"):
        if not _LABEL.fullmatch(values[field]):
            raise fail(field, f"{values[field]!r} must be a non-empty label (letters, digits, . _ -)")

    deal_usd = _parse_deal(values["deal_usd"], fail)
    return {
        "event_id": event_id,
        "announced": announced,
        "timing": timing,
        "ticker": ticker,
        "role": values["role"],
        "deal_usd": deal_usd,
        "group": values["group"],
        "headline": values["headline"],
        "source_row": line,
    }


def _parse_deal(text: str, fail) -> float:
    if text in ("", "—", "-"):
        return math.nan
    try:
        value = float(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise fail("deal_usd", f"{text!r} is not a number of US dollars (e.g. 300e9)") from None
    if not math.isfinite(value):
        raise fail("deal_usd", f"{text!r} is not a finite number")
    if value <= 0:
        raise fail("deal_usd", f"{text!r} must be positive (leave blank if undisclosed)")
    return value


def _check_consistency(path: Path, records: list[dict[str, object]]) -> None:
    seen_pairs: dict[tuple[object, object], int] = {}
    first_of_event: dict[object, dict[str, object]] = {}
    for record in records:
        key = (record["event_id"], record["ticker"])
        if key in seen_pairs:
            raise InputError(
                str(path),
                f"duplicate (event_id, ticker) {key[0]!s}/{key[1]!s}, first on row {seen_pairs[key]}",
                row=int(record["source_row"]),  # type: ignore[arg-type]
                field="ticker",
            )
        seen_pairs[key] = int(record["source_row"])  # type: ignore[arg-type]
        first = first_of_event.setdefault(record["event_id"], record)
        for field in _EVENT_FIELDS:
            if record[field] != first[field]:
                raise InputError(
                    str(path),
                    f"event {record['event_id']!s} has {field} {record[field]!r} here but "
                    f"{first[field]!r} on row {first['source_row']}",
                    row=int(record["source_row"]),  # type: ignore[arg-type]
                    field=field,
                )

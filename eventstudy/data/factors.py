"""Daily factor returns: Ken French's data library files and user factor tables.

Ken French files (https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/data_library.html)
have a text preamble ("This file was created by using the 202604 CRSP database. ..."), a
header line starting with ``,`` (``,Mkt-RF,SMB,HML,RF``), rows ``YYYYMMDD, value, ...`` in
**percent per day**, a blank line and a copyright line. :func:`parse_french_text` skips the
preamble up to the header, stops at the first blank line (a row after it, of any date format, is
an error: a blank line inside the table or a second table), parses the dates as ``%Y%m%d`` and
divides every value by 100, so the tables here are in **decimal** units (0.0164 = +1.64 %); a file
already in decimals, or whose dates are a week apart, is refused. French's missing-value codes
-99.99 and -999 are errors naming the file and row, never NaN.

The files are cached like prices (``cache/factors/<name>.parquet``, provenance in the parquet
metadata) by ``eventstudy cache import`` or, online, by :func:`fetch_french`, which downloads
``<name>_CSV.zip`` from the data library.

A user factor table (:func:`read_user_factors`) is a CSV or parquet file with a ``date``
column (``YYYY-MM-DD`` in a CSV) and one column per factor, **in decimal units**; an optional
``RF`` column is the risk-free rate, used as the offset of the regression (the firm's excess
return is regressed on the other columns) rather than as a regressor.

Factor values are never filled: a trading day without a factor value is a missing row of the
regression (the pair's M drops) and an event day without one has no abnormal return.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import http.client
import io
import re
import time
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.data.acquire import RetryPolicy, is_transient
from eventstudy.data.events import is_parquet
from eventstudy.data.store import PriceStore, cached
from eventstudy.data.tabular import (
    FIRST_YEAR,
    LAST_YEAR,
    MISSING_TEXT,
    PARQUET_SUFFIXES,
    date_cells,
    first_bad_date,
    first_underflow,
    parquet_named_csv,
    read_text_table,
    underflow_problem,
)
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.factors import FactorTable
from eventstudy.hashing import file_sha256
from eventstudy.packed import not_text

if TYPE_CHECKING:
    from eventstudy.data.remote import CacheReader

FRENCH_URL = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/{name}_CSV.zip"
FRENCH_PREAMBLE = "This file was created by using the"
FRENCH_MISSING_CODES: tuple[float, ...] = (-99.99, -999.0)


USER_RF_COLUMN = "RF"
_RESERVED_NAMES = frozenset({"alpha", "date"})

LARGE_MEDIAN_FACTOR = 0.08
"""A median |value| (decimal per day) of a user factor column at or above which the file is refused
as percent: the daily factors of the French library have a median |value| of 0.10-1.09 in
percent in every year since 1926 (RMW's of 1977 and 1989 is 0.10), so 0.001-0.011 in decimals; a
volatility factor (the daily change of log VIX) about 0.05."""
LARGE_MEDIAN_RF = 0.005
"""A median |RF| (decimal per day) at or above which, when it also exceeds the other columns'
median |value|, the file is refused as one whose RF is in percent: the US bill rate of 2025 (4.3%
a year) is 0.017 a day in percent, 0.00017 in decimals, well below the factors' 0.001-0.011. A
high-inflation currency's RF (Zimbabwe's 200% a year: 0.0074 a day) stays below its factors'."""
SMALL_MEDIAN_FRENCH = 0.03
"""A median |value| (in the file's own numbers) below which, in every factor column but RF, a
Ken French file is refused as one already in decimals: French's daily factors are in percent, with
a median |value| of 0.10-1.09 in every year since 1926 (:data:`LARGE_MEDIAN_FACTOR`), so
0.001-0.011 once divided by 100; divided again they would be 100 times too small (a finder's
file was imported so, with no word)."""
JUDGED_VALUES = 20
"""The nonzero values from which a column's median |value| is judged, and the dates from which
their median gap is (fewer say nothing)."""
DAILY_MEDIAN_GAP_DAYS = 3.0
"""The median calendar days between a French table's dates above which it is not daily: a daily
table's median is 1 (a weekend or holiday is the exception), a weekly one's 7."""
_VINTAGE = re.compile(r"created by using the (\d{6}) CRSP database")


# -- Ken French files -----------------------------------------------------------------------------
def french_name(path: str | Path) -> str:
    """The table name of a French file: its file name without ``.csv``/``.CSV`` or ``_CSV.zip``."""
    name = Path(path).name
    for suffix in ("_CSV.zip", "_csv.zip", ".zip", ".CSV", ".csv"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_french_file(path: Path) -> bool:
    """True for a file named ``F-F_...`` or whose first line is French's preamble."""
    if path.name.startswith("F-F_"):
        return True
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline()
    except OSError:
        return False
    return first.lstrip().startswith(FRENCH_PREAMBLE)


def parse_french_text(text: str, source: str) -> tuple[pd.DataFrame, str]:
    """Parse the daily table of a Ken French CSV file.

    Parameters
    ----------
    text
        The file's text.
    source
        The file name used in errors.

    Returns
    -------
    frame, vintage
        ``date`` plus one column per factor in **decimal** units (French's percent / 100),
        and the CRSP vintage named in the preamble (``""`` if none).

    Raises
    ------
    InputError
        Naming the file and the line (1-based) and column: no header line starting with
        ``,``, a row with the wrong number of fields, a date that is not ``YYYYMMDD``, a
        non-numeric value, a missing-value code (-99.99 or -999), dates out of order or a week
        apart (:func:`_refuse_not_daily`), a row after the blank line that ends the table
        (a blank line inside it, a second table; :func:`_looks_like_a_row`), a file already in
        decimals (:func:`_refuse_decimal`).
    """
    lines = _LINES.split(text)  # not str.splitlines: a Latin-1 0x85 or a form feed moved every row number
    header_at = next((i for i, line in enumerate(lines) if line.startswith(",")), None)
    if header_at is None:
        raise InputError(source, "no header line starting with ',' (not a Ken French daily factor file?)")
    columns = [name.strip() for name in lines[header_at].split(",")[1:]]
    if not columns or any(not name for name in columns):
        raise InputError(source, "empty column name in the header", row=header_at + 1)
    if len(set(columns)) != len(columns):
        raise InputError(source, "a column name appears twice", row=header_at + 1)
    named_date = next((name for name in columns if name.lower() == "date"), None)
    if named_date is not None:  # the first, unnamed column is the date: a second crashed the parse
        problem = "a factor column is named like the date (the first column, unnamed, holds the dates)"
        raise InputError(source, problem, row=header_at + 1, field=named_date)
    end = next((i for i in range(header_at + 1, len(lines)) if not lines[i].strip()), len(lines))
    after = next((i for i in range(end, len(lines)) if _looks_like_a_row(lines[i], len(columns))), None)
    if after is not None:  # the rows after a blank line inside the table were left out (a finder)
        raise InputError(
            source,
            f"a row after the blank line {end + 1} that ends the table: a blank line inside the table "
            "(remove it) or a second table (keep one a file); the rows after it would be left out",
            row=after + 1,
        )
    body = lines[header_at + 1 : end]
    if not body:
        raise InputError(source, "the header is followed by no data rows", row=header_at + 1)
    first_row = header_at + 2  # line number of body[0]
    cells = [line.split(",") for line in body]
    for offset, fields in enumerate(cells):
        if len(fields) != len(columns) + 1:
            raise InputError(
                source,
                f"{len(fields)} fields, expected {len(columns) + 1} (date and {', '.join(columns)})",
                row=first_row + offset,
            )
    table = pd.DataFrame([[c.strip() for c in fields] for fields in cells], columns=["date", *columns])
    stamps, outside = date_cells(table["date"], ["YYYYMMDD"])
    bad_date = first_bad_date(stamps, outside, "daily date YYYYMMDD")
    if bad_date is not None:
        shown = table["date"].iloc[bad_date[0]]
        raise InputError(source, f"{shown!r} {bad_date[1]}", row=first_row + bad_date[0], field="date")
    order = np.flatnonzero(stamps[1:] <= stamps[:-1])
    if order.size:
        kind = "duplicate date" if stamps[order[0] + 1] == stamps[order[0]] else "date out of order"
        raise InputError(
            source,
            f"{kind} {table['date'].iloc[order[0] + 1]}",
            row=first_row + int(order[0]) + 1,
            field="date",
        )
    _refuse_not_daily(source, stamps, row=first_row)
    out = pd.DataFrame({"date": stamps})
    for name in columns:
        percent = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(percent))
        if bad.size:
            raise InputError(
                source,
                f"{table[name].iloc[bad[0]]!r} is not a number",
                row=first_row + int(bad[0]),
                field=name,
            )
        tiny = first_underflow(table[name], percent)
        if tiny is not None:
            cell = table[name].iloc[tiny]
            raise InputError(source, underflow_problem(cell), row=first_row + tiny, field=name)
        coded = np.flatnonzero(np.isin(percent, FRENCH_MISSING_CODES))
        if coded.size:
            raise InputError(
                source,
                f"{table[name].iloc[coded[0]]} is French's missing-value code; the factor is missing "
                "that day (use a file or period without missing values)",
                row=first_row + int(coded[0]),
                field=name,
            )
        out[name] = percent / 100.0
    _refuse_decimal(source, out, row=header_at + 1)
    match = _VINTAGE.search("\n".join(lines[:header_at]))
    return out, match.group(1) if match else ""


_LINES = re.compile(r"\r\n|\r|\n")
"""A line break of a CSV file: the lines an editor numbers."""


def _looks_like_a_row(line: str, n_factors: int) -> bool:
    """Whether ``line``, after the blank line that ends a French table, is a row of a table rather
    than French's closing prose (``Copyright ...``, which may hold a comma): it starts with a
    digit (a date of any format, comma- or tab-separated) or a comma (a header), or has a comma
    per factor and a number after the last (a row dated otherwise). A finder: a daily row after
    a blank line was refused, a tab-separated or ISO-dated one was left out with no word."""
    text = line.strip()
    if text[:1].isdigit() or text.startswith(","):
        return True
    fields = text.split(",")
    try:
        float(fields[-1])
    except ValueError:
        return False
    return len(fields) > n_factors


def _refuse_not_daily(source: str, stamps: np.ndarray, *, row: int) -> None:
    """Refuse a factor table whose dates are more than :data:`DAILY_MEDIAN_GAP_DAYS` apart in the
    median (of :data:`JUDGED_VALUES` dates or more: a few rows around a market closure say
    nothing): a weekly or monthly table, which a daily model joined to the days it dates and
    fitted with no word (a finder)."""
    if len(stamps) < JUDGED_VALUES:
        return
    gap = float(np.median(np.diff(stamps)) / np.timedelta64(1, "D"))
    if gap > DAILY_MEDIAN_GAP_DAYS:
        raise InputError(
            source,
            f"its dates are {gap:g} days apart in the median: a weekly or monthly table, and the "
            "factors of a daily model are daily",
            row=row,
            field="date",
        )


def _refuse_decimal(source: str, table: pd.DataFrame, *, row: int) -> None:
    """Refuse a French table (decimal, after the division by 100) whose every factor column but RF
    that can be judged (:data:`JUDGED_VALUES` nonzero values) has a median |value| below
    :data:`SMALL_MEDIAN_FRENCH` / 100: the file was in decimals."""
    sizes = {
        name: _median_size(table[name].to_numpy(dtype=float)) * 100.0
        for name in table.columns
        if name not in ("date", USER_RF_COLUMN)
    }
    judged = {name: size for name, size in sizes.items() if size > 0.0}  # a column of zeros says nothing
    largest = max(judged, key=judged.__getitem__, default=None)
    if largest is None or judged[largest] >= SMALL_MEDIAN_FRENCH:
        return
    raise InputError(
        source,
        f"the median |value| of {largest} is {judged[largest]:.4g}, of every factor "
        f"below {SMALL_MEDIAN_FRENCH:g}: Ken French's files are in percent (0.46 = 0.46% a day), and this "
        "one looks decimal already (divided by 100 again, it would be 100 times too small)",
        row=row,
    )


def parse_french_csv(path: str | Path) -> FactorTable:
    """Read a Ken French daily CSV file (see :func:`parse_french_text`) with its provenance."""
    path = Path(path)
    if is_parquet(path):  # was "row 351: 1 fields, expected 2": its bytes read as Latin-1 (a finder)
        raise parquet_named_csv(path, csv_only=True)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read the file ({exc.strerror})") from None
    packed = not_text(raw)  # a gzipped file read as Latin-1 was "a row after the blank line" (a finder)
    if packed is not None:
        raise InputError(str(path), packed, row=1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    frame, vintage = parse_french_text(text, str(path))
    provenance = {
        "source": "ken-french-csv-import",
        "source_file": str(path),  # as given: a relative path publishes none of the folders above it
        "source_sha256": file_sha256(path),
        "crsp_vintage": vintage,
        "units": "decimal per day (the file's percent divided by 100)",
        "library": f"eventstudy {version('eventstudy-backtester')}",
    }
    return FactorTable(french_name(path), frame, provenance)


def _download(url: str) -> bytes:  # pragma: no cover - network
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


DEFAULT_RETRY = RetryPolicy()
"""Downloads retry as Yahoo's requests do (4 attempts, 2, 4 and 8 s apart)."""


def fetch_french(
    name: str,
    *,
    download: Callable[[str], bytes] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> FactorTable:
    """Download ``<name>_CSV.zip`` from the Ken French data library and parse its CSV.

    Parameters
    ----------
    name
        File name without extension, e.g. ``F-F_Research_Data_Factors_daily``.
    download
        ``url -> bytes``; defaults to :func:`urllib.request.urlopen` (tests inject a fake).
    retry, sleep
        A transient failure (a timeout, a connection reset or cut mid-body:
        :func:`~eventstudy.data.acquire.is_transient`) is retried as Yahoo's requests are.

    Raises
    ------
    DataUnavailableError
        When the download fails or the zip holds no single CSV file.
    InputError
        When the CSV inside does not parse (naming ``url!member`` and the row).
    """
    url = FRENCH_URL.format(name=name)
    fetch = download or _download
    for delay in [*retry.delays(), None]:
        try:
            payload = fetch(url)
            break
        except (OSError, http.client.HTTPException) as exc:  # a connection cut mid-body is the latter
            if delay is None or not is_transient(exc):
                raise DataUnavailableError(
                    f"cannot download {url} ({exc}); import Ken French's files with: eventstudy cache import "
                    "PATH, and work offline (run --offline)"
                ) from None
            sleep(delay)
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise DataUnavailableError(f"{url} holds {len(members)} CSV files, expected one")
            text = archive.read(members[0]).decode("utf-8-sig", errors="replace")
    except zipfile.BadZipFile:
        raise DataUnavailableError(f"{url} is not a zip file") from None
    frame, vintage = parse_french_text(text, f"{url}!{members[0]}")
    provenance = {
        "source": "ken-french-data-library",
        "url": url,
        "member": members[0],
        "zip_sha256": hashlib.sha256(payload).hexdigest(),
        "fetched_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "crsp_vintage": vintage,
        "units": "decimal per day (the file's percent divided by 100)",
        "library": f"eventstudy {version('eventstudy-backtester')}",
    }
    return FactorTable(name, frame, provenance)


def read_cached_french(store: CacheReader, names: Sequence[str]) -> tuple[FactorTable, ...]:
    """The cached French tables ``names`` (decimal units), with their provenance.

    Raises
    ------
    DataUnavailableError
        When a table is not cached, saying how to import it.
    """
    tables = [store.read_factors_table(name) for name in names]  # each file read (and hashed) once
    return tuple(
        FactorTable(name, table.frame, table.provenance, table.content_sha256)
        for name, table in zip(names, tables, strict=True)
    )


def fetch_missing_french(
    store: PriceStore, names: Sequence[str], *, download: Callable[[str], bytes] | None = None
) -> list[str]:
    """Download and cache every French table of ``names`` that the cache lacks; returns those fetched."""
    fetched = []
    for name in names:
        if cached(store.factors_path(name)):  # a folder or link there: refused, not replaced
            continue
        table = fetch_french(name, download=download)
        store.write_factors(name, table.frame, table.provenance)
        fetched.append(name)
    return fetched


# -- user factor tables ---------------------------------------------------------------------------
def _parquet_row(index: int) -> int:
    """The row number of record ``index`` of a parquet table, counted as a CSV's (header row 1)."""
    return int(index) + 2


def _median_size(values: np.ndarray) -> float:
    """The median |value| of the nonzero finite ``values``, 0 with fewer than :data:`JUDGED_VALUES`."""
    sizes = np.abs(values[np.isfinite(values) & (values != 0)])
    return float(np.median(sizes)) if sizes.size >= JUDGED_VALUES else 0.0


def _refuse_percent(source: str, table: pd.DataFrame) -> None:
    """Refuse a factor table whose typical value is a percent one: a calm factor and RF stay below
    the 100% bound, and RF read as decimal (0.017 for 0.017% a day) moved every CAR silently."""
    factors = [name for name in table.columns[1:] if name != USER_RF_COLUMN]
    for name in factors:
        median = _median_size(table[name].to_numpy(dtype=float))
        if median >= LARGE_MEDIAN_FACTOR:
            raise InputError(
                source,
                f"the median |value| of {name} is {median:.4g} ({median:.2%} a day, at or above "
                f"{LARGE_MEDIAN_FACTOR:.0%}): factor values must be decimal (0.0164 = 1.64%), not percent; "
                "divide the file's values by 100",
                field=name,
            )
    if USER_RF_COLUMN in table.columns:
        rf = _median_size(table[USER_RF_COLUMN].to_numpy(dtype=float))
        others = _median_size(table[factors].to_numpy(dtype=float).ravel())
        if rf >= LARGE_MEDIAN_RF and rf > others:
            raise InputError(
                source,
                f"the median |value| of {USER_RF_COLUMN} is {rf:.4g} ({rf:.2%} a day), above the other "
                f"columns' ({others:.4g}): is {USER_RF_COLUMN} in percent? Factor values must be decimal "
                f"(0.0164 = 1.64%); divide {USER_RF_COLUMN} by 100",
                field=USER_RF_COLUMN,
            )


def read_user_factors(path: str | Path) -> FactorTable:
    """Read a user factor table (CSV or parquet) of daily factor returns in decimal units.

    Layout: a ``date`` column (any case; ``YYYY-MM-DD`` text in a CSV; in parquet a date column,
    a timestamp column of midnights, or ``YYYY-MM-DD`` text) and one numeric column per factor;
    an optional ``RF`` column is the risk-free rate (the models use it as the offset, not as a
    regressor; ``rf`` or ``Rf`` is refused, not fitted as a factor). Empty cells, and those a
    returns panel takes as missing (``NA``, ``N/A``, ``null``, ``None``, ``.``, ...:
    :data:`~eventstudy.data.tabular.MISSING_TEXT`), are missing values (that day is a missing
    regression row). Dates must be unique and increasing.

    Raises
    ------
    InputError
        Naming the file, row (the CSV line; the header is row 1) and column: unreadable file,
        no ``date`` column or no factor column, a bad date, a non-numeric value, dates out of
        order or a week apart (:func:`_refuse_not_daily`), a reserved column name (``alpha``),
        a value of magnitude 1 or more (a daily return of 100 %: the file is probably in
        percent, not decimal units), or a column whose
        median nonzero |value| (of 20 or more) is at least :data:`LARGE_MEDIAN_FACTOR` (8% a
        day), or an ``RF`` whose median is at least :data:`LARGE_MEDIAN_RF` (0.5% a day) and above
        the other columns': percent units too.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InputError(source, "no such factor file")
    suffix = path.suffix.lower()
    line: Callable[[int], int] = _parquet_row  # the row number of a record (0-based index)
    if suffix == ".csv":
        if is_parquet(path):  # was "not a readable CSV file (UnicodeDecodeError)" (a finder)
            raise parquet_named_csv(path, csv_only=False)
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                header = [name.strip() for name in next(csv.reader(handle), [])]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(source, f"not a readable CSV file ({type(exc).__name__})") from None
        if len(set(header)) != len(header) or "" in header:
            twin = next((n for i, n in enumerate(header) if n in header[:i] or not n), "")
            problem = f"the column name {twin!r} appears twice" if twin else "a column has no name"
            raise InputError(source, problem, row=1, field=twin or None)
        # The project's CSV reader keeps every record's line number (blank lines, quoted line
        # breaks), which pandas' reader loses: an error names the line the user sees.
        table = read_text_table(path)
        raw = pd.DataFrame(table.cells, columns=list(table.header))
        line = table.row_of
    elif suffix in PARQUET_SUFFIXES:
        try:
            raw = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputError(source, f"not a readable parquet file ({type(exc).__name__})") from None
        raw.columns = [str(c) for c in raw.columns]
    else:
        raise InputError(source, "factor file must be .csv or .parquet")
    dated = [c for c in raw.columns if c.lower() == "date"]
    if len(dated) > 1:
        problem = f"{dated[1]!r} and {dated[0]!r} differ only in case: which is the date?"
        raise InputError(source, problem, row=1, field=dated[1])
    if dated:  # 'Date' as a returns panel's, whose columns are looked up ignoring case
        raw = raw.rename(columns={dated[0]: "date"})
    if "date" not in raw.columns:
        raise InputError(source, "no 'date' column", row=1, field="date")
    if len(set(raw.columns)) != len(raw.columns):
        raise InputError(source, "a column name appears twice", row=1)
    factors = [c for c in raw.columns if c != "date"]
    for name in factors:
        if name.lower() == USER_RF_COLUMN.lower() and name != USER_RF_COLUMN:
            problem = (
                f"a column {name!r} would be fitted as a factor: the risk-free rate, which the models take "
                f"as the offset and do not fit, is the column {USER_RF_COLUMN!r}; rename it"
            )
            raise InputError(source, problem, row=1, field=name)
    if not [c for c in factors if c != USER_RF_COLUMN]:
        raise InputError(source, "no factor column besides date and RF", row=1)
    for name in factors:
        if name.lower() in _RESERVED_NAMES or not name:
            raise InputError(source, "reserved or empty column name", row=1, field=name)
        if ";" in name:  # a note names the column; its parts are apart by '; '
            problem = "a column name with a semicolon, which separates a row's notes: rename it"
            raise InputError(source, problem, row=1, field=name)
    if raw.empty:
        raise InputError(source, "the file has a header but no rows")
    if suffix == ".csv":
        text = raw["date"].str.strip()
        stamps, outside = date_cells(text, ["YYYY-MM-DD"])
    else:  # a date, timestamp or text column; its years checked before nanoseconds are made
        if pd.api.types.is_numeric_dtype(raw["date"]) or pd.api.types.is_bool_dtype(raw["date"]):
            shown = raw["date"].iloc[0]  # 20250102 would be read as nanoseconds after 1970
            raise InputError(source, f"{shown!r} is a number, not a date", row=2, field="date")
        if isinstance(raw["date"].dtype, pd.DatetimeTZDtype):
            problem = "dates must be calendar dates, not times in a time zone"
            raise InputError(source, problem, row=2, field="date")
        text = raw["date"].astype(str)
        if pd.api.types.is_datetime64_dtype(raw["date"]):
            dates = pd.to_datetime(raw["date"], errors="coerce")
            timed = (dates.notna() & (dates != dates.dt.normalize())).to_numpy().nonzero()[0]
            if timed.size:  # 16:00 stamps matched no session: every factor value was missing
                problem = f"{dates.iloc[timed[0]]} is not a calendar date (it has a time of day)"
                raise InputError(source, problem, row=line(int(timed[0])), field="date")
            year = dates.dt.year.to_numpy(dtype=float)
            outside = (year < FIRST_YEAR) | (year > LAST_YEAR)
            stamps = dates.where(~outside).to_numpy(dtype="datetime64[ns]")
        else:  # text (or dates as objects) read as a CSV's: '05/01/2024' was May, meant January
            text = text.str.strip()
            stamps, outside = date_cells(text, ["YYYY-MM-DD"])
    bad_date = first_bad_date(stamps, outside, "date YYYY-MM-DD")
    if bad_date is not None:
        shown = text.iloc[bad_date[0]]
        raise InputError(source, f"{shown!r} {bad_date[1]}", row=line(bad_date[0]), field="date")
    order = np.flatnonzero(stamps[1:] <= stamps[:-1])
    if order.size:
        kind = "duplicate date" if stamps[order[0] + 1] == stamps[order[0]] else "date out of order"
        raise InputError(source, f"{kind} {text.iloc[order[0] + 1]}", row=line(order[0] + 1), field="date")
    _refuse_not_daily(source, stamps, row=line(0))
    out = pd.DataFrame({"date": stamps})
    for name in factors:
        column = raw[name]
        if suffix == ".csv":
            stripped = column.str.strip()
            missing = stripped.isin(MISSING_TEXT).to_numpy()  # as a returns panel's cells
            values = pd.to_numeric(stripped.where(~missing), errors="coerce").to_numpy(dtype=float)
        else:
            missing = column.isna().to_numpy()
            values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~missing & ~np.isfinite(values))
        if bad.size:
            raise InputError(
                source, f"{column.iloc[bad[0]]!r} is not a number", row=line(bad[0]), field=name
            )
        tiny = first_underflow(column, np.where(missing, np.nan, values))
        if tiny is not None:
            raise InputError(source, underflow_problem(column.iloc[tiny]), row=line(tiny), field=name)
        large = np.flatnonzero(np.abs(np.nan_to_num(values)) >= 1.0)
        if large.size:
            cell = str(column.iloc[large[0]]).strip()  # the file's text (a numpy scalar's repr is not)
            raise InputError(
                source,
                f"{cell!r} is a daily return of 100% or more: factor values must be decimal "
                "(0.0164 = 1.64%), not percent",
                row=line(large[0]),
                field=name,
            )
        out[name] = values
    _refuse_percent(source, out)
    provenance = {
        "source": "user-factor-file",
        "source_file": str(path),  # as given: a relative path publishes none of the folders above it
        "source_sha256": file_sha256(path),
        "units": "decimal per day, as given",
    }
    return FactorTable(path.name, out, provenance)

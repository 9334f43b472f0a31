"""Earnings announcement dates: offline import of a CSV, and Yahoo's calendar through yfinance.

An earnings calendar lists, per ticker, the dates a company released its quarterly results
and when (relative to the regular US session). The confounder screen
(:mod:`eventstudy.timeline.confounders`) flags every event window that contains the reaction
session of such a release: the study's own announcement is then not the only news in the
window (McWilliams & Siegel 1997).

Offline
-------
``eventstudy cache import FILE`` recognises an earnings file by its header: its first three
columns are ``ticker,announced,timing`` (:data:`EARNINGS_HEADER`)::

    ticker,announced,timing,fiscal_period,source,volume_ratio
    AMZN,2025-10-30,post,FY2025 Q3,https://...,3.70

============== =========================================================================
ticker         the company's symbol (the grammar of :mod:`eventstudy.symbols`)
announced      release date ``YYYY-MM-DD``, US/Eastern calendar date (1900..2199)
timing         ``pre`` | ``intraday`` | ``post`` | ``unknown`` relative to the regular session
fiscal_period  optional text (``FY2025 Q3``)
source         optional text (a URL or a citation)
============== =========================================================================

Other columns (``volume_ratio`` in ``../shared/data/earnings``) are read past and not stored;
:func:`parse_earnings_csv` names them (``ignored_columns``). Every row is checked before
anything is written; a bad ticker, date or timing, or the same (ticker, date) twice, is an
:class:`~eventstudy.errors.InputError` naming file, row and field. Rows are stored in file
order, one cache file per ticker (``earnings/<TICKER>.parquet``), replacing that ticker's
earlier file.

Online
------
:func:`fetch_earnings` calls ``yfinance.Ticker(symbol).get_earnings_dates(limit=...)``.
yfinance 1.x scrapes Yahoo's earnings calendar page
(``finance.yahoo.com/calendar/earnings?symbol=...``) and returns a frame indexed by
``Earnings Date``, a tz-aware timestamp built from the page's text (``October 30, 2025 at 4 PM
EDT``; ``EDT``/``EST`` are localised to ``America/New_York``), with columns ``EPS Estimate``,
``Reported EPS`` and ``Surprise(%)`` (its older screener path adds ``Event Type``: ``Earnings``,
``Call``, ``Meeting``). Here:

* the timestamp is converted to ``America/New_York``; its wall-clock date is ``announced``
  (a tz-naive index is taken as New York time already);
* ``timing`` follows from the New York time of day: before 09:30 ``pre``, from 16:00 ``post``,
  in between ``intraday``; exactly 00:00 is ``unknown`` (a date without a time of day). For a
  listing abroad (an exchange suffix other than Canada's, :mod:`eventstudy.exchanges`) it is
  always ``unknown``: a New York hour says nothing of that exchange's session (Toyota's 15:30
  release after Tokyo's close reads 1 AM, ``pre``, a session early), and the confounder screen
  takes an unknown time as its date's session or the next;
* a row with a missing timestamp makes the whole answer malformed, and nothing is stored (the
  next run asks again): yfinance drops a row whose date cell is ``-`` and then assigns the
  remaining dates by position, so every later row gets the next row's date and one real
  release is lost (``base.py``, ``get_earnings_dates``);
* with an ``Event Type`` column the rows of another type (``Meeting``, ``Call``) are left out,
  and a row whose type is missing is kept: a release taken for none would screen its windows as
  clean, while a date that is none only flags a window (the whole column missing, as the
  ``Earnings`` rows, kept every date);
* only dates within ``[start, end]`` are kept; two rows on one date keep the one with a time of
  day over one at 00:00, then the earliest, and a date given at times of two timings (08:00 and
  16:00) is ``unknown``.

Yahoo's historical earnings times are vendor data and have been wrong by a day (yfinance
issues #1932, #2365, #2371); the provenance record says so, and the README recommends
importing verified dates for a paper.

References
----------
McWilliams, A., & Siegel, D. (1997). Event studies in management research: theoretical and
empirical issues. *Academy of Management Journal*, 40(3), 626-657.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.events import TIMINGS
from eventstudy.data.store import EARNINGS_COLUMNS
from eventstudy.data.tabular import (
    TextTable,
    check_symbols,
    header_of,
    other_columns,
    parse_dates,
    read_text_table,
    require_columns,
)
from eventstudy.errors import DataUnavailableError
from eventstudy.exchanges import trades_on_new_york_hours
from eventstudy.symbols import shown

EARNINGS_HEADER: tuple[str, ...] = ("ticker", "announced", "timing")
"""The first three columns of an earnings file (how ``cache import`` recognises one)."""
OPTIONAL_COLUMNS: tuple[str, ...] = ("fiscal_period", "source")
MARKET_ZONE = "America/New_York"
OPEN, CLOSE = dt.time(9, 30), dt.time(16, 0)
TIMING_RULE = (
    "New York time of day: before 09:30 pre, from 16:00 post, else intraday; 00:00 unknown; a day "
    "given at times of two timings unknown"
)
YAHOO_CAVEAT = (
    "Yahoo earnings calendar (vendor dates and scheduled times; past dates have been reported off "
    "by a day: yfinance issues #1932, #2365, #2371)"
)


def is_earnings_file(path: Path) -> bool:
    """Whether ``path`` is an earnings CSV: its header starts with :data:`EARNINGS_HEADER`."""
    return header_of(path)[: len(EARNINGS_HEADER)] == EARNINGS_HEADER


@dataclass(frozen=True)
class EarningsFile:
    """A parsed earnings CSV.

    Attributes
    ----------
    frame
        :data:`EARNINGS_COLUMNS`, rows in file order indexed by their row numbers in the file
        (``announced`` ``datetime64[ns]``, missing optional text as ``""``).
    ignored_columns
        Columns of the file that are not stored.
    """

    frame: pd.DataFrame
    ignored_columns: tuple[str, ...]


def parse_earnings_csv(path: Path) -> EarningsFile:
    """Read and check an earnings CSV (see the module docstring).

    Raises
    ------
    InputError
        Naming the file, row and field of the first bad value: a ticker that is not a symbol, a
        date that is not ``YYYY-MM-DD`` or lies outside 1900..2199, a timing that is not one of
        :data:`~eventstudy.data.events.TIMINGS`, or a (ticker, announced) given twice.
    """
    table = read_text_table(path, csv_only=True)
    require_columns(table, EARNINGS_HEADER)
    tickers = table.column("ticker")
    check_symbols(table, tickers, "ticker")
    announced = parse_dates(table, table.column("announced"), "announced")  # 1900..2199 checked
    timing = check_timings(table, TIMINGS, "")
    out = pd.DataFrame({"ticker": tickers, "announced": announced, "timing": timing})
    for name in OPTIONAL_COLUMNS:
        out[name] = table.column(name) if table.has(name) else ""
    repeated = np.flatnonzero(out.duplicated(["ticker", "announced"]).to_numpy())
    if repeated.size:
        row = int(repeated[0])
        shown = table.column("announced")[row]
        raise table.fail(f"{tickers[row]} has a second release on {shown}", index=row, field="announced")
    out = out.set_axis([table.row_of(i) for i in range(len(out))], axis=0)  # each release's row in the file
    return EarningsFile(out.loc[:, list(EARNINGS_COLUMNS)], other_columns(table.header, EARNINGS_COLUMNS))


def check_timings(table: TextTable, allowed: tuple[str, ...], blank: str) -> np.ndarray:
    """The ``timing`` cells of ``table`` (``blank`` for an empty cell, or for every record
    when the column is absent); the first one not in ``allowed`` is an error naming its row."""
    timing = table.column("timing") if table.has("timing") else np.full(len(table.cells), "", dtype=object)
    if blank:
        timing = np.where(timing == "", blank, timing).astype(object)
    bad = np.flatnonzero(~np.isin(timing, allowed))
    if bad.size:
        message = f"{shown(timing[bad[0]])} is not one of {', '.join(allowed)}"
        message += " (or blank)" if blank else ""
        raise table.fail(message, index=int(bad[0]), field="timing")
    return timing


def timing_of(stamps: pd.DatetimeIndex) -> np.ndarray:
    """The session timing of New York wall-clock times (see the module docstring).

    Parameters
    ----------
    stamps
        tz-naive times in New York.

    Returns
    -------
    numpy.ndarray
        ``pre`` before 09:30, ``post`` from 16:00, ``intraday`` in between and ``unknown`` at
        exactly midnight (a date without a time of day).
    """
    minutes = (stamps.hour * 60 + stamps.minute).to_numpy() + stamps.second.to_numpy() / 60.0
    midnight = minutes == 0
    opens, closes = OPEN.hour * 60 + OPEN.minute, CLOSE.hour * 60 + CLOSE.minute
    return np.select(
        [midnight, minutes < opens, minutes >= closes], ["unknown", "pre", "post"], default="intraday"
    ).astype(object)


def normalise_earnings(
    raw: pd.DataFrame, symbol: str, start: dt.date, end: dt.date, *, source: str
) -> pd.DataFrame:
    """The cache's earnings frame from what ``Ticker.get_earnings_dates`` returns.

    Parameters
    ----------
    raw
        yfinance's frame (not empty; see :func:`eventstudy.data.yahoo.fetch_earnings`).
    symbol
        The symbol asked for.
    start, end
        Dates kept, both inclusive.
    source
        Text for the ``source`` column (the library and method).

    Raises
    ------
    DataUnavailableError
        When ``raw`` is not indexed by time or has no earnings date within ``[start, end]``.
    """
    where = f"{symbol!r} between {start:%Y-%m-%d} and {end:%Y-%m-%d}"
    if not isinstance(raw.index, pd.DatetimeIndex):
        kind = type(raw.index).__name__
        raise DataUnavailableError(f"Yahoo earnings dates for {where} are not indexed by time (index {kind})")
    if pd.isna(raw.index).any():
        raise DataUnavailableError(
            f"Yahoo earnings dates for {where} have a row without a date: yfinance then pairs the rows "
            "after it with the next row's date and loses one (its index assignment), so none is stored"
        )
    keep = np.ones(len(raw), dtype=bool)
    if "Event Type" in raw.columns:  # a missing type is kept (module docstring; a finder)
        kinds = raw["Event Type"]
        text = kinds.astype(str)
        missing = kinds.isna().to_numpy() | (text.str.strip() == "").to_numpy()
        keep &= missing | (text == "Earnings").to_numpy()
    stamps = raw.index[keep]
    local = stamps.tz_convert(MARKET_ZONE).tz_localize(None) if stamps.tz is not None else stamps
    # One release a day: a row with a time of day before one at exactly 00:00 (no time), then
    # the earliest time.
    untimed = np.asarray(local == local.normalize())
    order = np.lexsort((local.to_numpy(), untimed, local.normalize().to_numpy()))
    local = local[order]
    days = local.normalize()
    inside = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
    first = ~pd.Index(days).duplicated(keep="first")
    chosen = np.asarray(inside & first)
    if not chosen.any():
        raise DataUnavailableError(f"Yahoo returned no earnings date for {where}")
    n = int(chosen.sum())
    timing = timing_of(local[chosen])
    # Two timed rows of one day at times of other timings (8 AM and 4 PM): which session reacted
    # is unknown, and the earliest's "pre" was stored without a word (a finder).
    timed = pd.Series(timing_of(local), index=days)[~untimed[order]]
    torn = timed.groupby(level=0).nunique()
    timing[np.isin(days[chosen], torn.index[torn > 1])] = "unknown"
    if not trades_on_new_york_hours(symbol):
        timing[:] = "unknown"
    return pd.DataFrame(
        {
            "ticker": np.full(n, symbol, dtype=object),
            "announced": days[chosen].to_numpy("datetime64[ns]"),
            "timing": timing,
            "fiscal_period": np.full(n, "", dtype=object),
            "source": np.full(n, source, dtype=object),
        }
    )

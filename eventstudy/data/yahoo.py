"""Daily prices and share counts from Yahoo Finance, through yfinance.

These are the only functions that reach the network. Each takes an injectable fetcher so
that tests can hand in frames shaped like yfinance's output without a connection.

By default yfinance (1.x) reports most failures -- unknown or delisted symbols, ranges
without data, and also network failures -- by logging an error ("possibly delisted; no
timezone found") and returning an empty frame; a missing network then looks like a missing
symbol. So every call here runs inside :func:`quiet_yfinance`: yfinance's
``config.debug.hide_exceptions`` is set to False, so it *raises* (``YFTzMissingError``,
``YFPricesMissingError`` with Yahoo's reason, ``YFRateLimitError``, or the HTTP library's own
``DNSError``/``ConnectionError``/``Timeout``), and its logger and any Python warnings raised
inside it are silenced, so none of its lines reach the terminal. Every exception becomes a
:class:`~eventstudy.errors.DataUnavailableError` naming the symbol and the range, raised
``from`` the original, which :mod:`eventstudy.data.acquire` classifies (no network, not found,
transient) by walking that chain.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata
from types import ModuleType

import numpy as np
import pandas as pd

from eventstudy.data.shares import CONFLICTING_COUNTS, MAX_EXACT_SHARE_COUNT, TOO_MANY_SHARES
from eventstudy.data.store import NEGATIVE_VOLUME, PRICE_COLUMNS, not_numbers
from eventstudy.errors import DataUnavailableError, ImplausibleDataError
from eventstudy.logs import quieted

__all__ = [
    "EmptyAnswerError",
    "earnings_provenance",
    "fetch_earnings",
    "fetch_prices",
    "fetch_shares",
    "price_provenance",
    "quiet_yfinance",
    "yfinance_version",
]

QUIET_LOGGERS: tuple[str, ...] = ("yfinance", "curl_cffi", "peewee")
"""Loggers silenced while yfinance runs (yfinance's own, its HTTP backend, its cache's)."""


class EmptyAnswerError(DataUnavailableError):
    """Yahoo answered without a single usable row (not retried: see :mod:`eventstudy.data.acquire`)."""


@contextlib.contextmanager
def quiet_yfinance(*, load: bool = False) -> Iterator[None]:
    """Run yfinance with its errors raised, and its logging and warnings silenced.

    Sets ``yfinance.config.debug.hide_exceptions = False`` (yfinance >= 1.0; older versions
    have no such switch), raises the level of the :data:`QUIET_LOGGERS` above CRITICAL and
    ignores Python warnings; everything is restored on exit. yfinance is imported first with
    ``load`` (a fetch through the real library: the switch must be set before its first request,
    or a failed request comes back as an empty answer, "not found", without a retry), otherwise
    only if it already was (the injected fetchers of the tests never import it). With ``load``,
    yfinance's memo of its answers (``YfData.cache_get``, an lru_cache of past ranges' answers,
    error answers too) is cleared first: a retry got the memoised 503 again, and a refresh in a
    notebook the answer from before Yahoo restated the prices.
    """
    import sys

    if load:
        memo = getattr(getattr(getattr(_yfinance(), "data", None), "YfData", None), "cache_get", None)
        getattr(memo, "cache_clear", lambda: None)()
    config = getattr(sys.modules.get("yfinance"), "config", None)
    debug = getattr(config, "debug", None)
    hidden = getattr(debug, "hide_exceptions", None) if debug is not None else None
    if debug is not None:
        debug.hide_exceptions = False
    try:
        with quieted(logging.getLogger(name) for name in QUIET_LOGGERS), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if debug is not None:
            debug.hide_exceptions = hidden if hidden is not None else True


def _yfinance() -> ModuleType:  # pragma: no cover - imports the real library
    """``import yfinance`` with its import-time warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import yfinance

    return yfinance


SHARES_FILING = "Yahoo get_shares_full (vendor figure, NOT cover)"
ADJUSTMENT = "auto_adjust=False: close split-adjusted, adj_close split- and dividend-adjusted"

_YAHOO_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}
_PRICE_FIELDS = ["open", "high", "low", "close", "adj_close"]


def fetch_prices(
    symbol: str,
    start: dt.date,
    end: dt.date,
    *,
    history: Callable[..., pd.DataFrame] | None = None,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """Daily prices of one symbol from Yahoo, normalised for the price cache.

    Parameters
    ----------
    symbol
        Yahoo ticker symbol, e.g. ``"ORCL"``.
    start, end
        First and last trading date wanted, both inclusive.
    history
        Callable that takes the keyword arguments ``start``, ``end`` (``YYYY-MM-DD``
        strings, ``end`` exclusive), ``interval="1d"``, ``auto_adjust=False`` and
        ``actions=True`` and returns the frame yfinance returns. ``None`` (default) uses
        ``yfinance.Ticker(symbol).history``, importing yfinance only when called.
    now
        The time of the request (tz-aware; default: the clock). A row dated on or after its
        date in the exchange's time zone is dropped (see Notes).

    Returns
    -------
    DataFrame
        Columns ``date, open, high, low, close, adj_close, volume`` with a default
        RangeIndex, sorted by ``date`` with unique dates. ``date`` is ``datetime64[ns]``,
        tz-naive, the exchange-local trading date at midnight; the other columns are
        float64. ``close`` is split-adjusted, ``adj_close`` split- and dividend-adjusted.

    Raises
    ------
    DataUnavailableError
        If yfinance raises, returns nothing, returns only empty rows, lacks one of the
        required columns, or returns a frame not indexed by date, with stamps that are not a
        day's midnight at the exchange (a download moved to another zone), or with duplicate dates, or a
        price or volume column that does not hold numbers (booleans, complex numbers, text or
        dates are refused, not converted).
    ValueError
        If ``start`` is after ``end``.

    Notes
    -----
    ``Ticker.history`` is used rather than ``yf.download``: ``download`` is a threaded
    multi-ticker wrapper that calls ``Ticker.history`` for each symbol, returns MultiIndex
    ``(Price, Ticker)`` columns even for one symbol and drops the time zone of daily data
    (yfinance issue #2193); the maintainers point single-symbol users to
    ``Ticker.history`` (yfinance PR #2102). Frames from ``download`` are still accepted:
    MultiIndex columns in either level order are reduced to the requested symbol and a
    tz-naive index is taken as the local trading date.

    ``auto_adjust`` defaults to True in yfinance, which folds dividends into OHLC and drops
    ``Adj Close`` (yfinance docs, "Price adjustment"), so it is passed as False. ``actions`` is
    True: an answer holding a dividend whose ``Adj Close`` equals ``Close`` on every day before
    it is refused (:func:`_check_dividend_adjustment`: yfinance copies the close when Yahoo sends
    no adjusted close); a dividend on a day without prices comes as a row of NaN prices, dropped
    below. yfinance's
    ``end`` is exclusive (``PriceHistory.history`` reference), so ``end + 1 day`` is
    passed.

    The row of the exchange's current day is dropped: during the session Yahoo sends the live
    price as that day's bar (yfinance merges its separate live row into the day,
    ``fix_Yahoo_returning_live_separate``), and a price from 11:00 stored as the day's close
    would stay in the cache as one. The exchange's date comes from the index's time zone
    (``Ticker.history`` gives the exchange's); a tz-naive index is compared with the UTC date,
    which is on or after every American and European exchange's date while it trades. The day
    is fetched once it is over (the next calendar day there).

    Rows are kept as returned, without filling; a row whose five price fields are all NaN
    is dropped. yfinance itself already drops rows whose fields are all NaN or zero (its
    default ``keepna=False``) and repeated timestamps (keeping the first); rows with some
    NaN fields are kept here with NaN.
    """
    _check_range(start, end)
    where = _where(symbol, start, end)
    kwargs = {
        "start": f"{start:%Y-%m-%d}",
        "end": f"{end + dt.timedelta(days=1):%Y-%m-%d}",
        "interval": "1d",
        "auto_adjust": False,
        "actions": True,  # the dividends, to tell an adjusted close from a copied close
    }
    try:
        with quiet_yfinance(load=history is None):  # building a Ticker may request and log
            if history is None:
                history = _yfinance().Ticker(symbol).history
            raw = history(**kwargs)
    except Exception as exc:
        raise DataUnavailableError(f"Yahoo request for {where} failed: {_one_line(exc)}") from exc
    return _normalise_prices(raw, symbol, where, now or dt.datetime.now(dt.UTC))


def fetch_shares(
    symbol: str,
    start: dt.date,
    end: dt.date,
    *,
    get_shares_full: Callable[..., pd.Series | None] | None = None,
) -> pd.DataFrame:
    """Shares outstanding of one symbol as reported by Yahoo, normalised for the cache.

    Parameters
    ----------
    symbol
        Yahoo ticker symbol, e.g. ``"ORCL"``.
    start, end
        First and last date wanted, both inclusive.
    get_shares_full
        Callable that takes the keyword arguments ``start`` and ``end`` (``YYYY-MM-DD``
        strings, ``end`` = last date + 1 day) and returns what
        ``yfinance.Ticker.get_shares_full`` returns: a Series of share counts indexed by
        timestamps, or ``None``. ``None`` (default) uses the real method, importing
        yfinance only when called.

    Returns
    -------
    DataFrame
        Columns ``ticker, as_of, shares_outstanding, filing, source``, sorted by ``as_of``
        (``datetime64[ns]``, tz-naive date) with one row per date; ``shares_outstanding``
        is float64. ``filing`` marks the figure as a vendor number rather than a
        cover-page count; ``source`` names the yfinance version.

    Raises
    ------
    DataUnavailableError
        If yfinance raises, or no positive share count dated within the range comes back.
    ImplausibleDataError
        If a count is infinite (an import refuses it: no count at all), not a whole number or
        2^53 or more (an import refuses those too), or the counts are not numbers (booleans,
        complex numbers or text: refused, not converted or dropped).
    ValueError
        If ``start`` is after ``end``.

    Notes
    -----
    yfinance builds the index from Yahoo's timestamps and localises it to the exchange's
    zone, so its wall-clock date is the date used here. Counts that are missing or not
    positive are dropped, as are dates outside ``[start, end]`` (the exclusive ``end``
    passed to yahoo can let one later date through).

    Yahoo can report two different counts for the same date (yfinance issue #1954: MSFT
    on 2024-05-31, 7,432,309,760 and 7,698,290,176). The yfinance maintainers replied that
    they cannot tell which is correct and did not fix it, so neither yfinance's docs nor
    its issues prescribe a rule. Here the LAST count reported for a date (in the order
    yfinance returns them, after a stable sort by timestamp) is kept: a convention for
    reproducibility, not a correction; the frame's ``attrs`` list such dates
    (:data:`~eventstudy.data.shares.CONFLICTING_COUNTS`), which a fetch warns of and records.
    """
    _check_range(start, end)
    where = _where(symbol, start, end)
    kwargs = {"start": f"{start:%Y-%m-%d}", "end": f"{end + dt.timedelta(days=1):%Y-%m-%d}"}
    try:
        with quiet_yfinance(load=get_shares_full is None):  # building a Ticker may request and log
            if get_shares_full is None:
                get_shares_full = _yfinance().Ticker(symbol).get_shares_full
            raw = get_shares_full(**kwargs)
    except IndexError as exc:  # yfinance reads the first of Yahoo's results: none (its base.py)
        raise EmptyAnswerError(f"Yahoo returned no share counts for {where} ({_one_line(exc)})") from exc
    except Exception as exc:
        raise DataUnavailableError(f"Yahoo request for {where} failed: {_one_line(exc)}") from exc
    if raw is None or len(raw) == 0:
        raise EmptyAnswerError(f"Yahoo returned no share counts for {where}")
    if not isinstance(raw.index, pd.DatetimeIndex):
        raise DataUnavailableError(
            f"Yahoo share counts for {where} are not indexed by date "
            f"(index type {type(raw.index).__name__})"
        )
    stamps = raw.index.tz_localize(None) if raw.index.tz is not None else raw.index
    kind = not_numbers(pd.Series(raw))
    if kind:
        raise ImplausibleDataError(f"Yahoo share counts for {where} hold {kind}, not numbers")
    counts = pd.Series(pd.Series(raw).astype("float64").to_numpy(), stamps)
    counts = counts.sort_index(kind="stable")
    infinite = np.isinf(counts.to_numpy())
    if infinite.any():  # an import refuses it: not a count
        day = counts.index[infinite][0]
        when = f"of {day:%Y-%m-%d}" if pd.notna(day) else "without a date"
        raise ImplausibleDataError(f"Yahoo share count {when} for {where} is not a finite number")
    counts = counts[counts.notna() & (counts > 0)]
    dates = pd.DatetimeIndex(counts.index).normalize()
    inside = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    keep = ~dates.duplicated(keep="last") & inside
    if not keep.any():
        raise DataUnavailableError(f"Yahoo returned no positive share count for {where}")
    kept = counts.to_numpy()[keep]
    odd = (kept != np.floor(kept)) | (kept > MAX_EXACT_SHARE_COUNT)
    if odd.any():  # an import refuses them; with no volume to compare, 2.5 shares valued a firm at $161
        value, day = float(kept[odd][0]), dates[keep][odd][0]
        what = TOO_MANY_SHARES if value > MAX_EXACT_SHARE_COUNT else "is not a whole number of shares"
        raise ImplausibleDataError(f"Yahoo's share count of {symbol!r} on {day:%Y-%m-%d}: {value!r} {what}")
    n = int(keep.sum())
    frame = pd.DataFrame(
        {
            "ticker": np.full(n, symbol, dtype=object),
            "as_of": dates[keep].astype("datetime64[ns]"),
            "shares_outstanding": kept,
            "filing": np.full(n, SHARES_FILING, dtype=object),
            "source": np.full(
                n, f"yfinance {yfinance_version()} Ticker.get_shares_full", dtype=object
            ),
        }
    )
    told = pd.Series(counts.to_numpy()[inside], index=dates[inside])
    by_day = told.groupby(level=0, sort=True)
    frame.attrs[CONFLICTING_COUNTS] = [  # the rule kept one; the others are said, not dropped unsaid
        {"as_of": f"{day:%Y-%m-%d}", "counts": [float(c) for c in values], "kept": float(kept_count)}
        for (day, values), kept_count in zip(by_day.unique().items(), by_day.last(), strict=True)
        if len(values) > 1
    ]
    return frame


MAX_EARNINGS_LIMIT = 100
"""yfinance refuses ``limit`` above 100 (Yahoo's page size)."""


def earnings_limit(start: dt.date, today: dt.date | None = None) -> int:
    """Rows to ask Yahoo for: one per quarter from ``start`` to today, plus four scheduled ones
    (Yahoo's calendar is newest first), at most :data:`MAX_EARNINGS_LIMIT`."""
    today = today or dt.date.today()
    quarters = max(0, (today - start).days) // 91 + 1
    return int(min(MAX_EARNINGS_LIMIT, quarters + 4))


def fetch_earnings(
    symbol: str,
    start: dt.date,
    end: dt.date,
    *,
    get_earnings_dates: Callable[..., pd.DataFrame | None] | None = None,
) -> pd.DataFrame:
    """Earnings dates of one symbol from Yahoo's calendar, normalised for the cache.

    Parameters
    ----------
    symbol
        Yahoo ticker symbol, e.g. ``"AMZN"``.
    start, end
        First and last announcement date wanted, both inclusive.
    get_earnings_dates
        Callable taking the keyword argument ``limit`` (:func:`earnings_limit`) and returning
        what ``yfinance.Ticker(symbol).get_earnings_dates`` returns: a frame indexed by a
        tz-aware ``Earnings Date``, or None. ``None`` (default) uses the real method,
        importing yfinance only when called.

    Returns
    -------
    pandas.DataFrame
        :data:`eventstudy.data.earnings.EARNINGS_COLUMNS`, sorted by ``announced``, one row per
        date, ``timing`` from the New York time of day
        (:func:`eventstudy.data.earnings.normalise_earnings`).

    Raises
    ------
    DataUnavailableError
        When yfinance raises (chained, for :mod:`eventstudy.data.acquire` to classify), returns
        nothing (:class:`EmptyAnswerError`), or no earnings date in the range.
    ValueError
        If ``start`` is after ``end``.
    """
    from eventstudy.data.earnings import normalise_earnings

    _check_range(start, end)
    where = _where(symbol, start, end)
    try:
        with quiet_yfinance(load=get_earnings_dates is None):  # building a Ticker may request and log
            if get_earnings_dates is None:
                get_earnings_dates = _yfinance().Ticker(symbol).get_earnings_dates
            raw = get_earnings_dates(limit=earnings_limit(start))
    except Exception as exc:
        raise DataUnavailableError(f"Yahoo earnings request for {where} failed: {_one_line(exc)}") from exc
    if raw is None or len(raw) == 0:
        raise EmptyAnswerError(f"Yahoo returned no earnings dates for {where}")
    source = f"yfinance {yfinance_version()} Ticker.get_earnings_dates"
    return normalise_earnings(raw, symbol, start, end, source=source)


def earnings_provenance(symbol: str) -> dict[str, str]:
    """Provenance record of earnings dates fetched by :func:`fetch_earnings`."""
    from eventstudy.data.earnings import TIMING_RULE, YAHOO_CAVEAT

    return {
        "source": "yahoo",
        "library": f"yfinance {yfinance_version()}",
        "method": "Ticker.get_earnings_dates",
        "timing_rule": TIMING_RULE,
        "caveat": YAHOO_CAVEAT,
        "symbol": symbol,
    }


def price_provenance(symbol: str) -> dict[str, str]:
    """Provenance record for prices fetched by :func:`fetch_prices`.

    Parameters
    ----------
    symbol
        Yahoo ticker symbol.

    Returns
    -------
    dict
        ``source`` ("yahoo"), ``library`` ("yfinance <version>", version "unknown" if
        yfinance is not installed), ``adjustment`` and ``symbol``.
    """
    return {
        "source": "yahoo",
        "library": f"yfinance {yfinance_version()}",
        "adjustment": ADJUSTMENT,
        "symbol": symbol,
    }


def _normalise_prices(raw: pd.DataFrame | None, symbol: str, where: str, now: dt.datetime) -> pd.DataFrame:
    """Turn a yfinance price frame into the cache's price frame (see fetch_prices), without the
    rows dated on or after ``now``'s date at the exchange."""
    if raw is None or raw.empty:
        raise EmptyAnswerError(f"Yahoo returned no rows for {where}")
    frame = _one_ticker(raw, symbol, where)
    missing = [name for name in _YAHOO_COLUMNS if name not in frame.columns]
    if missing:
        hint = " (was auto_adjust on?)" if "Adj Close" in missing else ""
        raise DataUnavailableError(
            f"Yahoo frame for {where} lacks column(s) {', '.join(map(repr, missing))}{hint}"
        )
    twice = [name for name in _YAHOO_COLUMNS if list(frame.columns).count(name) > 1]
    if twice:  # which of the two is the price? (it was an AttributeError of pandas)
        raise DataUnavailableError(f"Yahoo frame for {where} has the column {twice[0]!r} twice")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataUnavailableError(
            f"Yahoo frame for {where} is not indexed by date "
            f"(index type {type(frame.index).__name__})"
        )
    # A tz-aware index is midnight in the exchange's zone: its wall-clock date is the
    # trading date. Converting to UTC first would shift Asian listings to the day before.
    dates = frame.index.tz_localize(None) if frame.index.tz is not None else frame.index
    undated = np.flatnonzero(np.asarray(dates.isna()))
    if undated.size:
        raise DataUnavailableError(f"Yahoo frame for {where}: row {int(undated[0]) + 1} has no date (NaT)")
    _check_midnights(frame.index, dates, where)
    today = pd.Timestamp(now).tz_convert(frame.index.tz or "UTC").tz_localize(None).normalize()
    live = np.asarray(dates.normalize() >= today)
    if live.all():
        raise EmptyAnswerError(
            f"Yahoo returned only the exchange's current day ({today:%Y-%m-%d}) for {where}; it is "
            "fetched once the day is over"
        )
    frame, dates = frame.loc[~live], dates[~live]
    for yahoo in _YAHOO_COLUMNS:
        kind = not_numbers(frame[yahoo])
        if kind:
            raise DataUnavailableError(f"Yahoo frame for {where}: column {yahoo!r} holds {kind}, not numbers")
    values = {ours: frame[yahoo].astype("float64").to_numpy() for yahoo, ours in _YAHOO_COLUMNS.items()}
    _check_dividend_adjustment(frame, dates, values, where)
    out = pd.DataFrame({"date": dates.normalize().astype("datetime64[ns]"), **values})
    negative = np.flatnonzero(out["volume"].to_numpy() < 0)
    if negative.size:
        row = int(negative[0])
        raise DataUnavailableError(
            f"Yahoo frame for {where}: the Volume {out['volume'].iloc[row]:g} of "
            f"{out['date'].iloc[row]:%Y-%m-%d} {NEGATIVE_VOLUME}"
        )
    blank = out[_PRICE_FIELDS].isna().all(axis=1)
    if blank.all():
        raise EmptyAnswerError(f"Yahoo returned only empty (all-NaN) rows for {where}")
    out = out.loc[~blank].sort_values("date", kind="stable").reset_index(drop=True)
    repeated = out["date"].duplicated()
    if repeated.any():
        first = out.loc[repeated, "date"].iloc[0]
        raise DataUnavailableError(f"Yahoo returned duplicate rows for {where}: {first:%Y-%m-%d}")
    return out.loc[:, list(PRICE_COLUMNS)]


def _check_dividend_adjustment(
    frame: pd.DataFrame, dates: pd.DatetimeIndex, values: dict[str, np.ndarray], where: str
) -> None:
    """Refuse an answer whose ``Adj Close`` is its ``Close`` although it holds a dividend.

    When Yahoo's chart answer lacks its adjusted-close block, yfinance fills ``Adj Close`` with
    the close (``yfinance.utils.parse_quotes``: ``adjclose = closes``) without a word, and the
    cache would hold returns across every ex-date off by the dividend's yield. A distribution of
    the answer (``Dividends``, or a fund's ``Capital Gains``, on its ex-date's row) makes every
    close before it larger than its adjusted close, so an ``Adj Close`` equal to ``Close`` on
    every day before the last one is a copy (the last: a first one on the answer's first day
    leaves no day before it, a re-attack). A distribution after the answer's last day leaves no
    trace in it: a copy then goes unseen.
    """
    paid_rows = np.zeros(len(frame), dtype=bool)
    amounts = np.zeros(len(frame))
    for column in DISTRIBUTIONS:  # a frame from yf.download, or actions=False, has neither
        if column in frame.columns:
            paid = np.nan_to_num(pd.to_numeric(frame[column], errors="coerce").to_numpy(float))
            paid_rows |= paid > 0
            amounts += np.where(paid > 0, paid, 0.0)
    if not paid_rows.any():
        return
    last = int(np.flatnonzero(paid_rows)[np.argmax(np.asarray(dates[paid_rows]))])
    ex_date = dates[last]
    before = np.asarray(dates < ex_date)
    close, adjusted = values["close"][before], values["adj_close"][before]
    both = np.isfinite(close) & np.isfinite(adjusted)
    if both.any() and bool(np.all(close[both] == adjusted[both])):
        raise DataUnavailableError(
            f"Yahoo's answer for {where} holds a distribution of {amounts[last]:g} on {ex_date:%Y-%m-%d} "
            f"but an 'Adj Close' equal to 'Close' on all {int(both.sum())} days before it: Yahoo sent no "
            "adjusted close and yfinance filled it with the close (returns across the distribution would be "
            "off by its yield); nothing was stored: fetch again later, or import a CSV with an adjusted close"
        )


DISTRIBUTIONS = ("Dividends", "Capital Gains")
"""yfinance's columns of a distribution (``actions=True``), each on its ex-date's row."""


MIDNIGHT_SHIFT = pd.Timedelta(hours=1)
"""Latest time of day of a daily bar's stamp: yfinance stamps a day at midnight in the exchange's
zone, shifted forward an hour where a clock change skips midnight."""


def _check_midnights(index: pd.DatetimeIndex, dates: pd.DatetimeIndex, where: str) -> None:
    """Refuse stamps that are not a day's midnight at the exchange: ``yf.download`` with
    ``ignore_tz=False`` converts every ticker of a download to the most common zone, so Tokyo's
    midnights became 10:00 New York time of the day before, and their dates a day early."""
    late = np.flatnonzero(np.asarray(dates - dates.normalize() > MIDNIGHT_SHIFT))
    if late.size:
        raise DataUnavailableError(
            f"Yahoo frame for {where}: {index[int(late[0])]} is not a day's midnight at the exchange, so its "
            "date cannot be read (yf.download(ignore_tz=False) moves a download's every ticker to one time "
            "zone): use Ticker.history, or yf.download with ignore_tz=True"
        )


def _one_ticker(raw: pd.DataFrame, symbol: str, where: str) -> pd.DataFrame:
    """Reduce ``yf.download``'s MultiIndex columns to those of ``symbol``."""
    columns = raw.columns
    if not isinstance(columns, pd.MultiIndex):
        return raw
    if columns.nlevels != 2:
        raise DataUnavailableError(f"Yahoo frame for {where} has {columns.nlevels} column levels")
    price_level = 0 if "Close" in columns.get_level_values(0) else 1
    ticker_level = 1 - price_level
    tickers = list(columns.unique(level=ticker_level))
    matches = [name for name in tickers if str(name).upper() == symbol.upper()]
    if not matches:
        raise DataUnavailableError(
            f"Yahoo frame for {where} holds tickers {tickers}, not {symbol!r}"
        )
    frame = raw.xs(matches[0], axis=1, level=ticker_level)
    assert isinstance(frame, pd.DataFrame)  # a cross-section of two column levels is a frame
    return frame


def _check_range(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValueError(f"start {start:%Y-%m-%d} is after end {end:%Y-%m-%d}")


def _where(symbol: str, start: dt.date, end: dt.date) -> str:
    return f"{symbol!r} between {start:%Y-%m-%d} and {end:%Y-%m-%d}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    if type(exc).__name__ == "JSONDecodeError":  # json's, or requests' subclass of it
        return (
            "Yahoo answered with a page that is not data (an error page: Yahoo may be down or refusing "
            f"requests; try later) ({text})"
        )
    return text


def yfinance_version() -> str:
    """The installed yfinance version, or ``"unknown"``."""
    try:
        return metadata.version("yfinance")
    except metadata.PackageNotFoundError:
        return "unknown"

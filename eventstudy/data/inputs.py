"""Everything a study reads, read once: prices (screened), returns series, share counts, factor
tables, earnings dates, the news file, hashes.

:func:`load_inputs` reads each cache file once (each read checks the file's integrity and
hashes its values once, :meth:`~eventstudy.data.store.PriceStore.read_price_table`), applies
the price policy of :mod:`eventstudy.data.screening`, and keeps what ``manifest.json``
records: the events file's SHA-256, each input's content hash and provenance, and the price
checks' findings. The computation then runs on these frames without touching the cache again.

Each series is read where it is cached: ``prices/`` or, for an identifier imported as a
returns series, ``returns/`` (:meth:`~eventstudy.data.store.PriceStore.read_series_table`).
The market proxy's dates are the calendar either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.data.factors import read_cached_french, read_user_factors
from eventstudy.data.news import read_news
from eventstudy.data.screening import (
    PriceIssue,
    annotate_extreme,
    annotate_withheld,
    history_starts,
    import_questions,
    market_calendar,
    screen_prices,
    screen_returns,
    validation_record,
    weekend_sessions,
    withheld_return_days,
)
from eventstudy.data.store import CachedTable, empty_earnings
from eventstudy.errors import DataUnavailableError, InputError, PeerDataError
from eventstudy.factors import FactorTable
from eventstudy.hashing import file_sha256

if TYPE_CHECKING:
    from eventstudy.data.remote import CacheReader


@dataclass(frozen=True)
class Needs:
    """What a study needs from the cache besides its events' tickers.

    Attributes
    ----------
    market
        The market proxy (its dates are the calendar).
    symbols
        Further series (the model's proxies), in order.
    french
        Ken French daily files by name.
    factors_file
        A user factor file, or None.
    news_file
        The user's news file (``ticker,date[,timing],headline``), or None.
    """

    market: str
    symbols: tuple[str, ...] = ()
    french: tuple[str, ...] = ()
    factors_file: str | None = None
    news_file: str | None = None


@dataclass
class StudyInputs:
    """The inputs of one study as read from the cache, and their record for the manifest.

    Attributes
    ----------
    prices
        Price frames by symbol after the price policy (market first, then the tickers in events
        order, the events' own markets, then the model's other symbols).
    returns
        Returns series by symbol (``date, ret, market_cap``), for identifiers cached as returns.
    definitions
        The return definition (``simple``, ``log``) of each returns series.
    shares
        Shares-outstanding observations by ticker (empty frames where none are cached).
    factors
        Factor tables by name (French files, the user's file).
    findings
        The price checks' findings by symbol (symbols without findings left out).
    record
        ``{"events": {"path", "sha256", "content_sha256"}, "prices": {...}, "shares": {...},
        "earnings": {...}}`` (``"events": {"content_sha256"}`` for events given as a frame)
        and ``"news"`` with a news file: the content hash and provenance of every input
        (``manifest.json``'s ``inputs``).
    market
        The market proxy.
    earnings
        The cached earnings releases of every ticker (:data:`~eventstudy.data.store.EARNINGS_COLUMNS`;
        tickers without a cached calendar have no rows: ``record["earnings"]`` lists those with one).
    news
        The news file's lines (:func:`eventstudy.data.news.read_news`), or None.
    """

    prices: dict[str, pd.DataFrame]
    shares: dict[str, pd.DataFrame]
    factors: dict[str, FactorTable]
    findings: dict[str, list[PriceIssue]]
    record: dict[str, Any]
    market: str
    screened_symbols: tuple[str, ...] = field(default=())
    returns: dict[str, pd.DataFrame] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    earnings: pd.DataFrame | None = None
    news: pd.DataFrame | None = None

    @property
    def restatements(self) -> dict[str, list[dict[str, Any]]]:
        """The ``restatements`` records of each cached price file's provenance, by symbol (symbols
        without any left out): what a study needs to withhold the market values of share counts
        dated before a split that restated the closes
        (:func:`eventstudy.data.restatements.compare_histories`)."""
        prices = self.record.get("prices", {})
        return {
            symbol: list(entry["provenance"]["restatements"])
            for symbol, entry in prices.items()
            if entry.get("provenance", {}).get("restatements")
        }

    def validation(self) -> dict[str, Any]:
        """The ``validation`` entry of ``manifest.json`` for the screened symbols."""
        return validation_record(self.findings, self.screened_symbols, self.market)

    def annotate_withheld(
        self, car: pd.DataFrame, calendar: pd.DatetimeIndex, estimation_window: tuple[int, int]
    ) -> pd.DataFrame:
        """``car`` with the outcomes and notes of the windows that lost returns to the prices or
        returns the checks withheld as absurd (:func:`~eventstudy.data.screening.annotate_withheld`)
        and the notes of those holding a return kept though beyond the bound
        (:func:`~eventstudy.data.screening.annotate_extreme`); ``car`` itself when neither is."""
        car = annotate_extreme(car, calendar, self.findings, estimation_window)
        withheld = withheld_return_days(self.findings)
        if not withheld:
            return car
        starts, series = history_starts(self.findings), self.returns
        return annotate_withheld(car, calendar, withheld, estimation_window, starts, returns_series=series)


def load_inputs(
    store: CacheReader,
    events: pd.DataFrame,
    needs: Needs,
    *,
    events_path: str | Path | None = None,
    events_record: dict[str, str] | None = None,
) -> StudyInputs:
    """Read the market, every ticker of ``events`` and what ``needs`` lists, once each.

    Parameters
    ----------
    store
        The cache.
    events
        Validated events (parties and peers); their tickers' prices and share counts are read.
    needs
        The market proxy and the model's further data.
    events_path
        The events file, named in errors.
    events_record
        What the record holds of the events (:func:`~eventstudy.data.events.events_record`;
        None: nothing).

    Raises
    ------
    InputError
        Naming the events row of a ticker (or of a per-event ``market``) with no cached series,
        or the cache file and date of prices the policy refuses (duplicate or unsorted dates); a
        bad user factor file.
    DataUnavailableError
        When the market proxy, a model symbol or a factor file is not cached.
    """
    # Every file from before an import's batch or every one from after it, never some of each.
    with store.consistent_reads():
        return _read_inputs(store, events, needs, events_path, events_record)


def _read_inputs(
    store: CacheReader,
    events: pd.DataFrame,
    needs: Needs,
    events_path: str | Path | None,
    events_record: dict[str, str] | None,
) -> StudyInputs:
    """:func:`load_inputs`' reads."""
    where = str(events_path) if events_path is not None else "events"
    tables: dict[str, CachedTable] = {}
    kinds: dict[str, str] = {}

    def read(symbol: str) -> None:
        kinds[symbol], tables[symbol] = store.read_series_table(symbol)

    read(needs.market)
    has_market = "market" in events.columns
    fields = ("ticker", "market") if has_market else ("ticker",)
    columns = [events[name].tolist() for name in fields]
    for position, source_row in enumerate(events["source_row"].tolist()):
        for field_name, column in zip(fields, columns, strict=True):
            symbol = column[position]
            if not symbol or symbol in tables:
                continue
            try:
                read(symbol)
            except DataUnavailableError as exc:
                if not source_row:  # a peer row (eventstudy.peers.add_peers): on no line of the file
                    raise PeerDataError(symbol, str(exc)) from None
                raise InputError(where, str(exc), row=source_row, field=field_name) from None
    screened_symbols = tuple(tables)
    for symbol in needs.symbols:
        if symbol not in tables:
            read(symbol)
    paths = {symbol: store.path(symbol, kinds[symbol]) for symbol in tables}
    price_frames = {s: t.frame for s, t in tables.items() if kinds[s] == "prices"}
    returns = {s: t.frame for s, t in tables.items() if kinds[s] == "returns"}
    calendar = market_calendar(tables[needs.market].frame)
    prices, findings = screen_prices(price_frames, needs.market, paths, calendar=calendar)
    definitions = {s: str(tables[s].provenance.get("definition", "simple")) for s in returns}
    returns, returns_findings = screen_returns(
        returns, calendar, paths, market_kind=kinds[needs.market], definitions=definitions
    )
    findings.update(returns_findings)
    for symbol in returns:
        asked = import_questions(symbol, tables[symbol].provenance)
        if asked:
            findings[symbol] = [*findings.get(symbol, []), *asked]
    weekend = weekend_sessions(calendar, needs.market)
    if weekend:
        findings[needs.market] = [*findings.get(needs.market, []), *weekend]

    tickers = list(dict.fromkeys(events["ticker"].tolist()))
    shares: dict[str, pd.DataFrame] = {}
    share_record: dict[str, Any] = {}
    for ticker in tickers:
        table = store.read_shares_table(ticker)
        if table is None:
            shares[ticker] = store.read_shares(ticker)  # the empty frame with the right columns
            continue
        shares[ticker] = table.frame
        share_record[ticker] = {"content_sha256": table.content_sha256, "provenance": table.provenance}

    earnings, earnings_record = _earnings(store, tickers)
    news, news_record = None, {}
    if needs.news_file is not None:
        news = read_news(needs.news_file, tickers)
        news_record = {"path": str(needs.news_file), "sha256": file_sha256(Path(needs.news_file))}

    factors = {table.name: table for table in read_cached_french(store, needs.french)}
    if needs.factors_file is not None:
        user_factors = read_user_factors(needs.factors_file)
        factors[user_factors.name] = user_factors

    def recorded(kind: str) -> dict[str, Any]:
        return {
            symbol: {"content_sha256": tables[symbol].content_sha256, "provenance": tables[symbol].provenance}
            for symbol in sorted(tables)
            if kinds[symbol] == kind
        }

    record = {
        "events": dict(events_record or {}),
        "prices": recorded("prices"),
        "shares": {ticker: share_record[ticker] for ticker in sorted(share_record)},
        "earnings": earnings_record,
    }
    if returns:
        record["returns"] = recorded("returns")
    if news is not None:
        record["news"] = news_record
    if factors:  # the model's and the calendar-time regressions' (a restated factor is an input change)
        record["factors"] = factors_record(factors)
    return StudyInputs(
        prices,
        shares,
        factors,
        findings,
        record,
        needs.market,
        screened_symbols,
        returns,
        definitions,
        earnings=earnings,
        news=news,
    )


def factors_record(factors: Mapping[str, FactorTable]) -> dict[str, Any]:
    """What ``manifest.json`` records of the factor tables a study read (``inputs.factors``):
    each table's content hash and provenance, by name."""
    return {
        name: {"content_sha256": table.content_sha256(), "provenance": dict(table.provenance)}
        for name, table in sorted(factors.items())
    }


def _earnings(store: CacheReader, tickers: list[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every ticker's cached earnings releases in one frame, and their record for the manifest."""
    frames, record = [], {}
    for ticker in tickers:
        table = store.read_earnings_table(ticker)
        if table is None:
            continue
        frames.append(table.frame)
        record[ticker] = {"content_sha256": table.content_sha256, "provenance": table.provenance}
    frame = pd.concat(frames, ignore_index=True) if frames else empty_earnings()
    return frame, {ticker: record[ticker] for ticker in sorted(record)}

"""Everything a study reads, read once: prices (screened), share counts, factor tables, hashes.

:func:`load_inputs` reads each cache file once (each read checks the file's integrity and
hashes its values once, :meth:`~eventstudy.data.store.PriceStore.read_price_table`), applies
the price policy of :mod:`eventstudy.data.screening`, and keeps what ``manifest.json``
records: the events file's SHA-256, each input's content hash and provenance, and the price
checks' findings. The computation then runs on these frames without touching the cache again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.data.factors import read_cached_french, read_user_factors
from eventstudy.data.screening import PriceIssue, screen_prices, validation_record
from eventstudy.errors import DataUnavailableError, InputError
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
        Further price series (the model's proxies), in order.
    french
        Ken French daily files by name.
    factors_file
        A user factor file, or None.
    """

    market: str
    symbols: tuple[str, ...] = ()
    french: tuple[str, ...] = ()
    factors_file: str | None = None


@dataclass
class StudyInputs:
    """The inputs of one study as read from the cache, and their record for the manifest.

    Attributes
    ----------
    prices
        Price frames by symbol after the price policy (market first, then the tickers in events
        order, then the model's other symbols).
    shares
        Shares-outstanding observations by ticker (empty frames where none are cached).
    factors
        Factor tables by name (French files, the user's file).
    findings
        The price checks' findings by symbol (symbols without findings left out).
    record
        ``{"events": {"path", "sha256"}, "prices": {...}, "shares": {...}}``: the content hash
        and provenance of every input (``manifest.json``'s ``inputs``).
    market
        The market proxy.
    """

    prices: dict[str, pd.DataFrame]
    shares: dict[str, pd.DataFrame]
    factors: dict[str, FactorTable]
    findings: dict[str, list[PriceIssue]]
    record: dict[str, Any]
    market: str
    screened_symbols: tuple[str, ...] = field(default=())

    def validation(self) -> dict[str, Any]:
        """The ``validation`` entry of ``manifest.json`` for the screened symbols."""
        return validation_record(self.findings, self.screened_symbols, self.market)


def load_inputs(
    store: CacheReader,
    events: pd.DataFrame,
    needs: Needs,
    *,
    events_path: str | Path | None = None,
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
        The events file, named in errors and hashed into the record (None: not hashed).

    Raises
    ------
    InputError
        Naming the events row of a ticker with no cached prices, or the cache file and date of
        prices the policy refuses (duplicate or unsorted dates); a bad user factor file.
    DataUnavailableError
        When the market proxy, a model symbol or a factor file is not cached.
    """
    where = str(events_path) if events_path is not None else "events"
    tables = {needs.market: store.read_price_table(needs.market)}
    for row in events.itertuples(index=False):
        if row.ticker in tables:
            continue
        try:
            tables[row.ticker] = store.read_price_table(row.ticker)
        except DataUnavailableError as exc:
            raise InputError(where, str(exc), row=row.source_row, field="ticker") from None
    screened_symbols = tuple(tables)
    for symbol in needs.symbols:
        if symbol not in tables:
            tables[symbol] = store.read_price_table(symbol)
    paths = {symbol: store.price_path(symbol) for symbol in tables}
    prices, findings = screen_prices({s: t.frame for s, t in tables.items()}, needs.market, paths)

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

    factors = {table.name: table for table in read_cached_french(store, needs.french)}
    if needs.factors_file is not None:
        table = read_user_factors(needs.factors_file)
        factors[table.name] = table

    hashed = {}
    if events_path is not None:
        hashed = {"path": str(events_path), "sha256": file_sha256(Path(events_path))}
    record = {
        "events": hashed,
        "prices": {
            symbol: {"content_sha256": tables[symbol].content_sha256, "provenance": tables[symbol].provenance}
            for symbol in sorted(tables)
        },
        "shares": {ticker: share_record[ticker] for ticker in sorted(share_record)},
    }
    return StudyInputs(prices, shares, factors, findings, record, needs.market, screened_symbols)

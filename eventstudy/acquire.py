"""Bring missing prices and share counts into the cache from the online source.

Only symbols absent from the cache are fetched; what the cache holds is never overwritten
here. The fetchers are injectable so tests never touch the network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import pandas as pd

from eventstudy.errors import DataUnavailableError
from eventstudy.sources import yahoo
from eventstudy.store import PriceStore

PriceFetcher = Callable[[str, dt.date, dt.date], pd.DataFrame]
SharesFetcher = Callable[[str, dt.date, dt.date], pd.DataFrame]


def fetch_missing(
    store: PriceStore,
    symbols: Iterable[str],
    start: dt.date,
    end: dt.date,
    *,
    fetch_prices: PriceFetcher = yahoo.fetch_prices,
    fetch_shares: SharesFetcher | None = yahoo.fetch_shares,
    tickers_with_shares: Iterable[str] = (),
) -> list[str]:
    """Fetch every symbol without a cached price file, and share counts where none are cached.

    Returns
    -------
    list of str
        The symbols whose prices were fetched.

    Raises
    ------
    DataUnavailableError
        When the source has no usable prices for a symbol (the cache keeps what it had).
    """
    fetched = []
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    for symbol in symbols:
        if store.has_prices(symbol):
            continue
        frame = fetch_prices(symbol, start, end)
        store.write_prices(
            symbol,
            frame,
            {**yahoo.price_provenance(symbol), "fetched_at": now, "requested": f"{start}..{end}"},
        )
        fetched.append(symbol)
    for ticker in tickers_with_shares if fetch_shares else ():
        if store.shares_path(ticker).is_file():
            continue
        try:
            shares = fetch_shares(ticker, start, end)
        except DataUnavailableError:
            continue  # market values stay empty, with a note saying no figure was found
        store.write_shares(
            ticker,
            shares,
            {
                **yahoo.price_provenance(ticker),
                "fetched_at": now,
                "adjustment": "none: shares outstanding as reported",
            },
        )
    return fetched

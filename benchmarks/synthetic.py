"""Synthetic market-model data for the benchmarks (not part of the package).

Returns follow the market model :math:`R_{it} = \\alpha_i + \\beta_i R_{mt} + \\sigma_i u_{it}`
with :math:`R_{mt} \\sim N(0.0004, 0.01^2)`, :math:`\\alpha_i \\sim N(0, 0.0005^2)`,
:math:`\\beta_i \\sim U(0.5, 1.5)`, :math:`\\sigma_i \\sim U(1\\%, 3\\%)` and standard normal
:math:`u`; a small share of firm returns is missing (NaN), as in real data. Everything is drawn
from ``numpy.random.default_rng(seed)``, so a seed gives the same data on every machine.

Events are random (ticker, day 0) pairs with every day 0 far enough from both ends of the
calendar for the whole estimation and event windows, one event id per pair (like earnings
announcements: each ticker has about ``n_pairs / n_tickers`` events over the sample, so their
windows overlap as they do in practice).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.data.store import PRICE_COLUMNS, PROVENANCE_KEY, PriceStore
from eventstudy.timeline.returns import ReturnsPanel, simple_returns

MARKET = "MKT"
# The workload both W1 and W2 run (issue 6): four windows within [-10, +10], 250 estimation days.
WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (-5, 5), (-10, 10))
ESTIMATION = (-260, -11)
START = "2000-01-03"


def tickers(n_tickers: int) -> list[str]:
    """``["T0000", "T0001", ...]``."""
    width = max(4, len(str(n_tickers - 1)))
    return [f"T{i:0{width}d}" for i in range(n_tickers)]


def adjusted_closes(n_tickers: int, n_days: int, *, seed: int, missing: float = 0.001) -> np.ndarray:
    """(T, S + 1) adjusted closes; column 0 is the market, the others follow the market model."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.01, n_days)
    alpha = rng.normal(0.0, 0.0005, n_tickers)
    beta = rng.uniform(0.5, 1.5, n_tickers)
    sigma = rng.uniform(0.01, 0.03, n_tickers)
    prices = np.empty((n_days, n_tickers + 1))
    prices[:, 0] = 100.0 * np.cumprod(1.0 + market)
    block = 500  # columns at a time keeps the temporaries small for 5,000 x 5,000
    for start in range(0, n_tickers, block):
        stop = min(start + block, n_tickers)
        noise = rng.standard_normal((n_days, stop - start)).astype(float)
        firm = alpha[start:stop] + market[:, None] * beta[start:stop] + noise * sigma[start:stop]
        np.clip(firm, -0.9, None, out=firm)
        prices[:, start + 1 : stop + 1] = 50.0 * np.cumprod(1.0 + firm, axis=0)
    if missing > 0:
        gaps = rng.random((n_days, n_tickers)) < missing
        prices[:, 1:][gaps] = np.nan
    return prices


def calendar(n_days: int) -> pd.DatetimeIndex:
    """``n_days`` business days from 2000-01-03."""
    return pd.bdate_range(START, periods=n_days, name="date")


def make_panel(n_tickers: int, n_days: int, *, seed: int = 1) -> ReturnsPanel:
    """An in-memory :class:`ReturnsPanel` of the market (``MKT``) and ``n_tickers`` firms."""
    prices = adjusted_closes(n_tickers, n_days, seed=seed)
    symbols = (MARKET, *tickers(n_tickers))
    return ReturnsPanel(calendar(n_days), symbols, simple_returns(prices), prices)


def make_events(
    n_pairs: int,
    n_tickers: int,
    n_days: int,
    *,
    before: int = 260,
    after: int = 10,
    seed: int = 2,
) -> pd.DataFrame:
    """``n_pairs`` events in the validated-events layout (:func:`eventstudy.data.events.read_events`).

    Day 0 is a random session in ``[before, n_days - 1 - after]``; timing ``pre``; deal sizes
    are drawn for 9 of 10 events (the rest undisclosed); group ``g0``..``g3``.
    """
    rng = np.random.default_rng(seed)
    names = np.array(tickers(n_tickers), dtype=object)
    days = calendar(n_days)
    day0 = rng.integers(before, n_days - after, n_pairs)
    deal = np.where(rng.random(n_pairs) < 0.9, np.round(rng.uniform(1e8, 1e10, n_pairs), -6), np.nan)
    return pd.DataFrame(
        {
            "event_id": [f"e{i:07d}" for i in range(n_pairs)],
            "announced": days[day0].to_numpy("datetime64[ns]"),
            "timing": "pre",
            "ticker": names[rng.integers(0, n_tickers, n_pairs)],
            "role": "party",
            "deal_usd": deal,
            "group": np.array(["g0", "g1", "g2", "g3"], dtype=object)[rng.integers(0, 4, n_pairs)],
            "headline": "synthetic",
            "source_row": np.arange(2, n_pairs + 2, dtype=np.int64),
        }
    )


def make_shares(names: list[str], n_days: int, *, seed: int = 3) -> dict[str, pd.DataFrame]:
    """Two share counts per ticker: one dated on the first day, one in the middle of the sample."""
    rng = np.random.default_rng(seed)
    days = calendar(n_days)
    as_of = np.array([days[0], days[n_days // 2]], dtype="datetime64[ns]")
    out = {}
    for name in names:
        count = float(rng.integers(100, 5000)) * 1e6
        out[name] = pd.DataFrame(
            {
                "ticker": [name, name],
                "as_of": as_of,
                "shares_outstanding": [count, count * 1.02],
                "filing": ["10-K cover", "10-Q cover"],
                "source": ["synthetic", "synthetic"],
            }
        )
    return out


def _price_table(symbol: str, dates: pd.DatetimeIndex, adj_close: np.ndarray) -> pa.Table:
    keep = np.isfinite(adj_close)
    frame = pd.DataFrame(
        {
            "date": dates[keep],
            "open": adj_close[keep],
            "high": adj_close[keep],
            "low": adj_close[keep],
            "close": adj_close[keep],
            "adj_close": adj_close[keep],
            "volume": np.full(int(keep.sum()), 1e6),
        }
    ).loc[:, list(PRICE_COLUMNS)]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    provenance = f'{{"source": "synthetic", "symbol": "{symbol}"}}'.encode()
    return table.replace_schema_metadata({**(table.schema.metadata or {}), PROVENANCE_KEY: provenance})


def _write_block(args: tuple[str, list[str], int, np.ndarray]) -> int:
    root, names, n_days, prices = args
    store = PriceStore(root)
    dates = calendar(n_days)
    for column, symbol in enumerate(names):
        path = store.price_path(symbol)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(_price_table(symbol, dates, prices[:, column]), path, write_page_checksum=True)
    return len(names)


def write_price_cache(root: Path, n_tickers: int, n_days: int, *, seed: int = 1, workers: int = 2) -> None:
    """Write a synthetic cache in :class:`~eventstudy.data.store.PriceStore` layout.

    ``prices/<SYMBOL>.parquet`` with the cache schema, page checksums and a provenance record.
    The files carry no ``eventstudy.content_sha256`` key (computing it renders every value as
    text, ~60 ms a file), which the store treats like a file written before that key existed.
    """
    from concurrent.futures import ProcessPoolExecutor

    prices = adjusted_closes(n_tickers, n_days, seed=seed)
    names = [MARKET, *tickers(n_tickers)]
    step = 250
    jobs = [
        (str(root), names[i : i + step], n_days, np.ascontiguousarray(prices[:, i : i + step]))
        for i in range(0, len(names), step)
    ]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_block, jobs))
    else:
        for job in jobs:
            _write_block(job)


def write_shares_cache(root: Path, shares: dict[str, pd.DataFrame]) -> None:
    """Shares files in :class:`~eventstudy.data.store.PriceStore` layout (plain pyarrow writes)."""
    store = PriceStore(root)
    for name, frame in shares.items():
        path = store.shares_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        provenance = f'{{"source": "synthetic", "symbol": "{name}"}}'.encode()
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), PROVENANCE_KEY: provenance})
        pq.write_table(table, path, write_page_checksum=True)


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (``ru_maxrss``, kilobytes on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_count() -> int:
    return os.cpu_count() or 1

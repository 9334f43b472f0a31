"""A small synthetic study (a few tickers, ~2 years of days) that runs end to end in well under a
second in-process: for tests of whole runs (output folders, kills, concurrency, verify).

Prices follow a market model with known parameters; share counts make market values; the config
has a ``[backtest]`` table so a run writes every kind of output file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.store import PriceStore

TICKERS = ("AAA", "BBB", "CCC")
MARKET = "SPY"
N_DAYS = 420

EVENTS_CSV = """\
event_id,announced,timing,ticker,role,deal_usd,group,headline
alpha,2025-01-15,pre,AAA,supplier,2e9,deals,"Alpha: AAA supplies BBB"
alpha,2025-01-15,pre,BBB,buyer,2e9,deals,"Alpha: AAA supplies BBB"
beta,2025-02-20,post,CCC,rival,,shock,"Beta: CCC is shocked"
"""

CONFIG_TOML = """\
[study]
name = "{name}"
market = "SPY"
model = "market"
estimation_window = [-150, -11]
min_estimation_obs = 60
event_windows = [[0, 0], [-1, 1], [-3, 3]]

[backtest]
entry = "close_day0"
holding_days = [1, 5]
weighting = "equal"
cost_bps = 10
drift_days = [1, 5]

[backtest.positions]
rival = "short"
default = "long"
"""


def prices(symbol: str, market: np.ndarray | None, seed: int) -> pd.DataFrame:
    """Daily prices of one symbol: market returns, or alpha + beta x market + noise."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2024-03-01", periods=N_DAYS).astype("datetime64[ns]")
    noise = rng.normal(0.0, 0.01, N_DAYS)
    returns = noise if market is None else 0.0002 + 1.2 * market + noise
    close = 50.0 * np.cumprod(1.0 + returns)
    return pd.DataFrame(
        {
            "date": dates,
            "open": close * 0.995,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "adj_close": close,
            "volume": np.full(N_DAYS, 1e6),
        }
    )


def make_cache(root: Path) -> PriceStore:
    """A cache with SPY and :data:`TICKERS` (prices and share counts)."""
    store = PriceStore(root)
    market = prices(MARKET, None, 0)
    store.write_prices(MARKET, market, {"source": "synthetic", "symbol": MARKET})
    market_returns = market["adj_close"].pct_change().fillna(0.0).to_numpy()
    for k, ticker in enumerate(TICKERS, start=1):
        provenance = {"source": "synthetic", "symbol": ticker}
        store.write_prices(ticker, prices(ticker, market_returns, k), provenance)
        shares = pd.DataFrame(
            {
                "ticker": [ticker],
                "as_of": pd.to_datetime(["2024-01-31"]).astype("datetime64[ns]"),
                "shares_outstanding": [1e9 * k],
                "filing": ["10-Q cover"],
                "source": ["synthetic"],
            }
        )
        store.write_shares(ticker, shares, provenance)
    return store


def make_study(folder: Path, name: str = "small") -> tuple[Path, Path]:
    """``events.csv`` and ``study.toml`` of the small study in ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    events = folder / "events.csv"
    events.write_text(EVENTS_CSV, encoding="utf-8")
    config = folder / f"{name}.toml"
    config.write_text(CONFIG_TOML.format(name=name), encoding="utf-8")
    return events, config


def run_args(events: Path, config: Path, cache: Path, out: Path) -> list[str]:
    """``eventstudy run`` arguments of the small study."""
    return [
        "run",
        "--events",
        str(events),
        "--config",
        str(config),
        "--offline",
        "--cache",
        str(cache),
        "--out",
        str(out),
    ]

"""Small synthetic data for whole-CLI tests: Yahoo-format price files, a shares file and Ken
French-format factor files over a few hundred business days, written as a user would have them.

The prices follow a one-factor market model with known betas (seeded), so every model can be
estimated on them; the tickers cover the awkward cases of real data:

========  ============================================================================
``SPY``   the market proxy (every business day of :data:`CALENDAR`)
``SMH``   a sector proxy
``AAA``   full history; share counts from the first day
``BBB``   full history; its only share count is dated mid-sample (earlier events have none)
``CCC``   full history; no share counts at all (like an ETF)
``DDD``   lists late (from day :data:`LATE_START`) and has a two-week gap of missing rows
``EEE``   full history; share counts from the first day; a falling stock (losses)
``FFF``   a constant price (every return zero: a singular estimation)
``GGG``   lists :data:`SHORT_ROWS` sessions before the end of the data
========  ============================================================================
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

N_DAYS = 320
CALENDAR = pd.bdate_range("2021-01-04", periods=N_DAYS)
MARKET, SECTOR = "SPY", "SMH"
TICKERS: tuple[str, ...] = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG")
LATE_START = 120
SHORT_ROWS = 30
GAP = (200, 210)
BETAS = {"SMH": 1.3, "AAA": 1.1, "BBB": 0.8, "CCC": 1.0, "DDD": 1.6, "EEE": 0.9}
DRIFT = {"EEE": -0.004}
SHARES: dict[str, list[tuple[int, float]]] = {
    "AAA": [(0, 2.0e9), (150, 2.1e9)],
    "BBB": [(160, 5.0e8)],
    "DDD": [(LATE_START, 3.0e8)],
    "EEE": [(0, 1.0e9)],
    "FFF": [(0, 1.0e8)],
    "GGG": [(N_DAYS - SHORT_ROWS, 4.0e8)],
}
FRENCH = {
    "F-F_Research_Data_Factors_daily": ("Mkt-RF", "SMB", "HML", "RF"),
    "F-F_Momentum_Factor_daily": ("Mom",),
    "F-F_Research_Data_5_Factors_2x3_daily": ("Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"),
}


def _price_rows(close: np.ndarray, days: pd.DatetimeIndex) -> str:
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for day, price in zip(days, close, strict=True):
        lines.append(
            f"{day.date().isoformat()},{price:.6f},{price * 1.01:.6f},{price * 0.99:.6f},"
            f"{price:.6f},{price * 0.98:.6f},1000000"
        )
    return "\n".join(lines) + "\n"


def market_returns(seed: int = 11) -> np.ndarray:
    """The market proxy's daily returns (the first is 0)."""
    rng = np.random.default_rng(seed)
    out = rng.normal(0.0004, 0.011, N_DAYS)
    out[0] = 0.0
    return out


def write_inputs(folder: Path, seed: int = 11) -> dict[str, Path]:
    """Write ``prices/*.csv``, ``shares/shares_outstanding.csv``, ``factors/*.csv`` and
    ``user_factors.csv`` under ``folder``; returns those paths by kind."""
    rng = np.random.default_rng(seed + 1)
    market = market_returns(seed)
    prices = folder / "prices"
    prices.mkdir(parents=True)
    closes = {MARKET: 400.0 * np.cumprod(1 + market)}
    for symbol, beta in BETAS.items():
        returns = DRIFT.get(symbol, 0.0) + beta * market + rng.normal(0, 0.015, N_DAYS)
        returns[0] = 0.0
        closes[symbol] = 50.0 * np.cumprod(1 + returns)
    closes["FFF"] = np.full(N_DAYS, 20.0)
    closes["GGG"] = 30.0 * np.cumprod(1 + market + rng.normal(0, 0.02, N_DAYS))
    for symbol, close in closes.items():
        keep = np.ones(N_DAYS, dtype=bool)
        if symbol == "DDD":
            keep[:LATE_START] = False
            keep[GAP[0] : GAP[1]] = False
        if symbol == "GGG":
            keep[: N_DAYS - SHORT_ROWS] = False
        (prices / f"{symbol}.csv").write_text(_price_rows(close[keep], CALENDAR[keep]), encoding="utf-8")

    shares = folder / "shares"
    shares.mkdir()
    lines = ["ticker,as_of,shares_outstanding,filing,source"]
    for ticker, counts in SHARES.items():
        for day, count in counts:
            lines.append(f"{ticker},{CALENDAR[day].date().isoformat()},{count:.0f},10-Q cover,synthetic")
    (shares / "shares_outstanding.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    factors = folder / "factors"
    factors.mkdir()
    noise = {name: rng.normal(0, 0.4, N_DAYS) for name in ("SMB", "HML", "RMW", "CMA", "Mom")}
    for name, columns in FRENCH.items():
        rows = [
            "This file was created by using the 202101 CRSP database.",
            "Synthetic factors for tests.",
            "",
            "," + ",".join(columns),
        ]
        for i, day in enumerate(CALENDAR):
            values = [
                100 * market[i] - 0.01 if c == "Mkt-RF" else 0.01 if c == "RF" else noise[c][i]
                for c in columns
            ]
            rows.append(day.strftime("%Y%m%d") + "," + ",".join(f"{v:8.2f}" for v in values))
        rows += ["", "Copyright synthetic"]
        (factors / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    user = folder / "user_factors.csv"
    user_lines = ["date,MKT,SIZE,RF"]
    for i, day in enumerate(CALENDAR):
        user_lines.append(f"{day.date().isoformat()},{market[i]:.8f},{noise['SMB'][i] / 100:.8f},0.0001")
    user.write_text("\n".join(user_lines) + "\n", encoding="utf-8")
    return {"prices": prices, "shares": shares, "factors": factors, "user_factors": user}


def day(index: int) -> dt.date:
    """The calendar date of business day ``index`` (may be outside the data)."""
    return (CALENDAR[0] + pd.offsets.BDay(index)).date()

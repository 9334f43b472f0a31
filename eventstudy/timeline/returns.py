"""The returns panel: daily simple returns of every symbol on the market's trading calendar.

``R_t = AdjClose_t / AdjClose_{t-1} - 1`` between consecutive sessions of the calendar. A
missing price on either day gives a missing return: a gap is never bridged by a multi-day
return, and nothing is filled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ReturnsPanel:
    """Returns and closes of several symbols on one trading calendar.

    Attributes
    ----------
    calendar
        Trading dates (the market proxy's dates), sorted and unique.
    symbols
        Column labels of ``returns`` and ``close``.
    returns
        (T, S) simple returns from ``adj_close``; NaN where unavailable.
    close
        (T, S) closing prices (split-adjusted, not dividend-adjusted), for market values.
    off_calendar
        Per symbol, the number of its price rows on dates outside the calendar (not used).
    """

    calendar: pd.DatetimeIndex
    symbols: tuple[str, ...]
    returns: np.ndarray
    close: np.ndarray
    off_calendar: Mapping[str, int] = field(default_factory=dict)

    def column(self, symbol: str) -> int:
        """Column position of ``symbol``."""
        return self.symbols.index(symbol)

    def returns_of(self, symbol: str) -> np.ndarray:
        return self.returns[:, self.column(symbol)]


def simple_returns(adj_close: np.ndarray) -> np.ndarray:
    """Simple returns ``P_t / P_{t-1} - 1`` along axis 0; the first row is NaN.

    Non-positive prices give NaN rather than an infinite or negative gross return.
    """
    prices = np.where(adj_close > 0, adj_close, np.nan)
    out = np.full(prices.shape, np.nan)
    out[1:] = prices[1:] / prices[:-1] - 1.0
    return out


def build_panel(prices: Mapping[str, pd.DataFrame], market: str) -> ReturnsPanel:
    """Align cached price frames on the market proxy's calendar and compute returns.

    Parameters
    ----------
    prices
        Price frames (cache schema) by symbol; must include ``market``.
    market
        Symbol whose trading dates define the calendar.
    """
    calendar = pd.DatetimeIndex(prices[market]["date"]).rename("date")
    symbols = tuple(prices)
    adj_close = np.full((len(calendar), len(symbols)), np.nan)
    close = np.full_like(adj_close, np.nan)
    off_calendar: dict[str, int] = {}
    for column, symbol in enumerate(symbols):
        frame = prices[symbol]
        dates = pd.DatetimeIndex(frame["date"])
        position = calendar.get_indexer(dates)
        on = position >= 0
        off_calendar[symbol] = int((~on).sum())
        adj_close[position[on], column] = frame["adj_close"].to_numpy(dtype=float)[on]
        close[position[on], column] = frame["close"].to_numpy(dtype=float)[on]
    return ReturnsPanel(calendar, symbols, simple_returns(adj_close), close, off_calendar)

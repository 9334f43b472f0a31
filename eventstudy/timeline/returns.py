"""The returns panel: daily returns of every series on the market's trading calendar.

From prices, ``R_t = AdjClose_t / AdjClose_{t-1} - 1`` between consecutive sessions of the
calendar (``log(AdjClose_t / AdjClose_{t-1})`` for log returns). A missing price on either day
gives a missing return: a gap is never bridged by a multi-day return, and nothing is filled.

From a returns series (imported with ``eventstudy cache import --returns``, see
:mod:`eventstudy.data.returns_import`), each return is placed on its date. A missing return
(a blank, or a session without a row) removes that day only -- the next day's return is the
file's own. A return dated on a day that is not a session of the calendar is compounded into
the return of the next session, :math:`(1 + R_{off})(1 + R_{next}) - 1` (summed for log
returns): exactly what the prices of those days would give, since a price row off the calendar
is ignored and the next session's return then spans both days. Returns dated before the first
or after the last session are not used.

When the market itself is a returns series, its calendar is the dates of its rows, and a
weekday without a row is a holiday of its exchange (its next return spans both days, as a
price's would) or a gap in its file (its next return covers one session). A series of the same
exchange (the same Yahoo suffix, :func:`eventstudy.exchanges.same_exchange`; not an index,
currency pair, future or crypto-currency) with an observation
on such a weekday shows that the exchange traded then: a gap, so that series has no return on
the next session (withheld, not compounded: a two-day return against the market's one-day
return would be an abnormal return of neither). A series of another exchange, or an
observation on a weekend, is compounded as above (its own exchange traded on the market's
holiday), and so is every series when the market is an index (``^N225``: its symbol names no
exchange, so its gaps cannot be told from its holidays). With a price series as the market, a
day without its price is no session, its next return spans both days, and the rule above
holds. Simple returns are converted to log returns, or back, when the study's definition
differs from the series' (:func:`convert`).

Either way the panel holds the same columns: returns, and market values -- ``close`` (times a
share count, :mod:`eventstudy.valuation`) for a price series, the file's own ``market_cap`` for
a returns series -- so everything downstream uses a returns series exactly like returns computed
from prices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from eventstudy.exchanges import same_exchange
from eventstudy.sessions import onto_sessions

DEFINITIONS: tuple[str, ...] = ("simple", "log")
"""Return definitions: simple :math:`P_t/P_{t-1} - 1` or log :math:`\\ln(P_t/P_{t-1})`."""


@dataclass(frozen=True)
class ReturnsPanel:
    """Returns and market values of several series on one trading calendar.

    Attributes
    ----------
    calendar
        Trading dates (the market proxy's dates), sorted and unique.
    symbols
        Column labels of ``returns`` and ``close``.
    returns
        (T, S) returns (simple unless the study asks for log returns); NaN where unavailable.
    close
        (T, S) closing prices (split-adjusted, not dividend-adjusted), for market values; NaN
        for a returns series.
    off_calendar
        Per symbol, the number of its rows on dates outside the calendar (prices: not used;
        returns: compounded into the next session).
    market_cap
        (T, S) market values given by returns series (NaN for price series), or None when the
        panel has no returns series.
    traded_off_calendar
        Per series of the market proxy's exchange (:func:`~eventstudy.exchanges.same_exchange`),
        the weekdays inside the calendar's span that are no session but on which it has a price
        with a volume other than 0, or a return (``datetime64[ns]``, sorted; only series that
        have one): its exchange traded,
        so the proxy's rows lack that session (a gap in its data), whose return the next session's
        then spans (a price market) or that withholds the next one (a returns market).
    returns_only
        The symbols whose series is a returns series (no prices): their market value is
        ``market_cap``, never close x shares.
    definition
        ``simple`` or ``log``.
    """

    calendar: pd.DatetimeIndex
    symbols: tuple[str, ...]
    returns: np.ndarray
    close: np.ndarray
    off_calendar: Mapping[str, int] = field(default_factory=dict)
    market_cap: np.ndarray | None = None
    returns_only: frozenset[str] = frozenset()
    definition: str = "simple"
    traded_off_calendar: Mapping[str, np.ndarray] = field(default_factory=dict)

    def column(self, symbol: str) -> int:
        """Column position of ``symbol``.

        Raises
        ------
        ValueError
            When the panel holds no such series (a model's design reads only the symbols it
            declares in ``symbols``, which the study loads).
        """
        try:
            return self.symbols.index(symbol)
        except ValueError:
            raise ValueError(
                f"{symbol!r} is not a series of the returns panel, which holds the study's tickers and "
                "the symbols its model declares in `symbols`"
            ) from None

    def returns_of(self, symbol: str) -> np.ndarray:
        return self.returns[:, self.column(symbol)]

    def market_values(self, shares_by_day: np.ndarray) -> np.ndarray:
        """(T, S) market value on each session: ``close x shares_by_day`` for a price series,
        the given ``market_cap`` for a returns series (NaN where unknown).

        ``shares_by_day`` is (T, S) the share count in force on each day (NaN where none).
        """
        values = self.close * shares_by_day
        if self.market_cap is not None:
            values = np.where(self.returns_only_columns()[None, :], self.market_cap, values)
        return values

    def returns_only_columns(self) -> np.ndarray:
        """(S,) True for the columns of returns series."""
        return np.array([symbol in self.returns_only for symbol in self.symbols], dtype=bool)


@dataclass(frozen=True)
class ReturnSeries:
    """A returns series as cached: ``date, ret, market_cap`` (decimal returns) and its definition."""

    frame: pd.DataFrame
    definition: str = "simple"


def simple_returns(adj_close: np.ndarray) -> np.ndarray:
    """Simple returns ``P_t / P_{t-1} - 1`` along axis 0; the first row is NaN.

    Non-positive prices give NaN rather than an infinite or negative gross return.
    """
    prices = np.where(adj_close > 0, adj_close, np.nan)
    out = np.full(prices.shape, np.nan)
    out[1:] = prices[1:] / prices[:-1] - 1.0
    return out


def log_returns(adj_close: np.ndarray) -> np.ndarray:
    """Log returns ``ln(P_t / P_{t-1})`` along axis 0; the first row is NaN (as :func:`simple_returns`)."""
    prices = np.where(adj_close > 0, adj_close, np.nan)
    out = np.full(prices.shape, np.nan)
    out[1:] = np.log(prices[1:] / prices[:-1])
    return out


def convert(values: np.ndarray, source: str, target: str) -> np.ndarray:
    """Returns of definition ``source`` as ``target``: ``log1p(R)`` or ``expm1(r)``.

    A simple return of exactly -100% has no log return (:math:`-\\infty`): it becomes missing.
    """
    if source == target:
        return values
    if target == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log1p(values)
        return np.where(np.isfinite(out), out, np.nan)
    return np.expm1(values)


def returns_on_calendar(
    series: ReturnSeries, calendar: pd.DatetimeIndex, definition: str, *, compound: bool = True
) -> tuple[np.ndarray, np.ndarray, int]:
    """(T,) returns and market values of a returns series on ``calendar``, and its off-calendar rows.

    Rules of the module docstring: each return on its session; a return dated between two
    sessions compounded into the next session's (NaN when that session has none), or, with
    ``compound`` False (a series of the exchange of a returns-series market) and dated on a
    weekday, that session's return withheld; rows before the first or after the last session
    dropped; market values on their own sessions only.
    """
    frame = series.frame
    dates = pd.DatetimeIndex(frame["date"]).to_numpy("datetime64[ns]")
    values = convert(frame["ret"].to_numpy(float), series.definition, definition)
    sessions = calendar.to_numpy("datetime64[ns]")
    out, position, exact = onto_sessions(sessions, dates, values, log=definition == "log")
    if not compound:
        out[_sessions_after(sessions, dates[~exact])] = np.nan
    cap_out = np.full(len(calendar), np.nan)
    cap_out[position[exact]] = frame["market_cap"].to_numpy(float)[exact]
    return out, cap_out, int((~exact).sum())


def _sessions_after(sessions: np.ndarray, off_dates: np.ndarray) -> np.ndarray:
    """Positions of the sessions whose interval :math:`(s_{t-1}, s_t]` holds one of the weekdays
    of ``off_dates`` (dates that are no session: a weekday there is a gap in a returns-series
    market's file); dates before the first or after the last session belong to none."""
    weekday = (off_dates.astype("datetime64[D]").view("int64") + 3) % 7 < 5  # 1970-01-01: Thursday
    position = np.searchsorted(sessions, off_dates[weekday], side="left")
    return np.unique(position[(position > 0) & (position < len(sessions))])


def build_panel(
    prices: Mapping[str, pd.DataFrame],
    market: str,
    *,
    returns: Mapping[str, ReturnSeries] | None = None,
    definition: str = "simple",
) -> ReturnsPanel:
    """Align cached price frames and returns series on the market proxy's calendar.

    Parameters
    ----------
    prices
        Price frames (cache schema) by symbol.
    market
        Symbol whose dates define the calendar; in ``prices`` or ``returns``.
    returns
        Returns series by symbol (symbols without prices).
    definition
        ``simple`` (default) or ``log`` returns.
    """
    returns = returns or {}
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {DEFINITIONS}, got {definition!r}")
    source = prices[market] if market in prices else returns[market].frame
    calendar = pd.DatetimeIndex(source["date"]).rename("date")
    sessions = calendar.to_numpy("datetime64[ns]")

    def compound(symbol: str) -> bool:
        """False for a series that shows a returns-series market's gaps (module docstring). An
        index market (``^N225``) names no exchange: its gaps cannot be told from its holidays."""
        return market in prices or not same_exchange(symbol, market)

    symbols = (*prices, *(s for s in returns if s not in prices))
    n_days = len(calendar)
    adj_close = np.full((n_days, len(prices)), np.nan)
    close = np.full((n_days, len(symbols)), np.nan)
    off_calendar: dict[str, int] = {}
    for column, symbol in enumerate(prices):
        frame = prices[symbol]
        dates = pd.DatetimeIndex(frame["date"])
        position = calendar.get_indexer(dates)
        on = position >= 0
        off_calendar[symbol] = int((~on).sum())
        adj_close[position[on], column] = frame["adj_close"].to_numpy(dtype=float)[on]
        close[position[on], column] = frame["close"].to_numpy(dtype=float)[on]
    from_prices = log_returns(adj_close) if definition == "log" else simple_returns(adj_close)
    traded: dict[str, np.ndarray] = {}
    for symbol in symbols:
        if symbol != market and same_exchange(symbol, market) and len(sessions):
            frame = prices[symbol] if symbol in prices else returns[symbol].frame
            valid = np.isfinite(frame["adj_close" if symbol in prices else "ret"].to_numpy(dtype=float))
            if "volume" in frame:  # a row of no trade (a vendor's stale holiday row) shows no session
                valid &= frame["volume"].to_numpy(dtype=float) != 0
            stamps = pd.DatetimeIndex(frame["date"])[valid]
            off = stamps[~stamps.isin(calendar) & (stamps.day_of_week < 5)]
            off = off[(off > calendar[0]) & (off < calendar[-1])].to_numpy("datetime64[ns]")
            if off.size:
                traded[symbol] = np.unique(off)
    for column, symbol in enumerate(prices):
        if not compound(symbol):  # a price between two sessions: the next session's return spans both
            stamps = pd.DatetimeIndex(prices[symbol]["date"]).to_numpy("datetime64[ns]")
            between = stamps[~np.isin(stamps, sessions)]
            from_prices[_sessions_after(sessions, between), column] = np.nan
    if len(symbols) == len(prices):
        return ReturnsPanel(
            calendar, symbols, from_prices, close, off_calendar, None, frozenset(), definition, traded
        )
    panel_returns = np.full((n_days, len(symbols)), np.nan)
    panel_returns[:, : len(prices)] = from_prices
    market_cap = np.full((n_days, len(symbols)), np.nan)
    for column in range(len(prices), len(symbols)):
        symbol = symbols[column]
        values, caps, off = returns_on_calendar(
            returns[symbol], calendar, definition, compound=compound(symbol)
        )
        panel_returns[:, column] = values
        market_cap[:, column] = caps
        off_calendar[symbol] = off
    only = frozenset(symbols[len(prices) :])
    return ReturnsPanel(
        calendar, symbols, panel_returns, close, off_calendar, market_cap, only, definition, traded
    )

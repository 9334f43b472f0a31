"""Daily trading volume of every symbol on the market's trading calendar.

The price cache keeps Yahoo's ``Volume`` (shares traded; for an ETF, units) beside the prices;
:func:`volume_panel` puts it on the calendar of :func:`eventstudy.timeline.returns.build_panel`.
:func:`traded` makes a missing or negative volume missing (NaN), and a volume of 0 too (the panel
itself keeps the cache's figures: ``volume.parquet`` shows Yahoo's 0). A price series cannot
tell a day without trades from a gap in the data: Yahoo writes 0 on its gap rows, with the close
empty or the previous close repeated (a 0 on NVDA's event day read as an abnormal log volume of
-19.9, patell_z -33.5), and no rule on the series (an unchanged close, a ticker's median volume)
separates the two without depending on the history cached, the price of a share or rows off the
calendar (each was tried). A study of thinly traded stocks loses their days without trades,
which ln(1 + n) was made for (Campbell & Wasley 1996), as missing days (the windows they fall in
count fewer pairs) rather than count gaps as no trades, a departure from Campbell & Wasley, who
keep such days (their constant 0.000255 keeps the log of a zero turnover finite); an index, whose
volume Yahoo reports as 0 every day, has none. A day outside the calendar is not used. Nothing is
filled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def volume_panel(
    prices: Mapping[str, pd.DataFrame], calendar: pd.DatetimeIndex, symbols: Sequence[str]
) -> np.ndarray:
    """(T, S) shares traded of ``symbols`` on ``calendar`` as cached (NaN where none; a 0 or a
    negative figure kept: :func:`traded` makes them missing).

    Parameters
    ----------
    prices
        Price frames (cache schema, with a ``volume`` column) by symbol; a symbol without one
        (a returns series) has no volume.
    calendar
        The trading calendar (the returns panel's).
    symbols
        The columns, in order (the returns panel's symbols).
    """
    out = np.full((len(calendar), len(symbols)), np.nan)
    for column, symbol in enumerate(symbols):
        frame = prices.get(symbol)
        if frame is None or "volume" not in frame.columns:  # a returns series: no volume
            continue
        position = calendar.get_indexer(pd.DatetimeIndex(frame["date"]))
        on = position >= 0
        out[position[on], column] = frame["volume"].to_numpy(dtype=float)[on]
    return out


def traded(volume: np.ndarray) -> np.ndarray:
    """``volume`` with NaN where it is not above 0 or missing (the module docstring: a 0 may be a
    gap in the data)."""
    return np.where(volume > 0, volume, np.nan)

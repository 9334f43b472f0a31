"""Daily trading volume of every symbol on the market's trading calendar.

The price cache keeps Yahoo's ``Volume`` (shares traded; for an ETF, units) beside the prices;
:func:`volume_panel` puts it on the calendar of :func:`eventstudy.timeline.returns.build_panel`.
A missing or negative volume is missing (NaN), and so is a volume of 0. A price series cannot
tell a day without trades from a gap in the data: Yahoo writes 0 on its gap rows, with the close
empty or the previous close repeated (a 0 on NVDA's event day read as an abnormal log volume of
-19.9, patell_z -33.5), and no rule on the series (an unchanged close, a ticker's median volume)
separates the two without depending on the history cached, the price of a share or rows off the
calendar (each was tried). A study of thinly traded stocks loses their days without trades,
which ln(1 + n) was made for (Campbell & Wasley 1996), as missing days (the windows they fall in
count fewer pairs) rather than count gaps as no trades; an index, whose volume Yahoo reports as 0
every day, has none. A day outside the calendar is not used. Nothing is filled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def volume_panel(
    prices: Mapping[str, pd.DataFrame], calendar: pd.DatetimeIndex, symbols: Sequence[str]
) -> np.ndarray:
    """(T, S) shares traded of ``symbols`` on ``calendar`` (NaN where none, negative or 0: the
    module docstring).

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
        out[position[on], column] = traded_volume(frame)[on]
    return out


def traded_volume(frame: pd.DataFrame) -> np.ndarray:
    """The ``volume`` of a price frame, NaN where it is not above 0 or missing (the module
    docstring: a 0 may be a gap in the data)."""
    volume = frame["volume"].to_numpy(dtype=float)
    return np.where(volume > 0, volume, np.nan)

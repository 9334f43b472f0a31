"""Daily trading volume of every symbol on the market's trading calendar.

The price cache keeps Yahoo's ``Volume`` (shares traded; for an ETF, units) beside the prices;
:func:`volume_panel` puts it on the calendar of :func:`eventstudy.timeline.returns.build_panel`.
A missing or negative volume is missing (NaN), and so is a volume of 0 on a day whose close
differs from the previous row's: a price does not move without a trade, so such a 0 is a gap in
Yahoo's data, not a day without trading (an index, whose volume Yahoo reports as 0 every day,
has none). A 0 with an unchanged close is kept: a day without trades. A 0 on a series' first
row, whose close has no previous one to compare with, is missing too: nothing shows that no
trade took place. A day outside the calendar is not used. Nothing is filled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def volume_panel(
    prices: Mapping[str, pd.DataFrame], calendar: pd.DatetimeIndex, symbols: Sequence[str]
) -> np.ndarray:
    """(T, S) shares traded of ``symbols`` on ``calendar`` (NaN where none, negative, or 0 on a
    day the close moved: the module docstring).

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
    """The ``volume`` of a price frame (rows in date order), NaN where it is negative or missing,
    or 0 unless the ``close`` is that of the previous row, both known (a 0 while the close moved
    is a gap in the data, not a day without trades; a 0 beside a missing close, as on Yahoo's gap
    rows, is not known to be one either; the first row has no previous close to compare with)."""
    volume = frame["volume"].to_numpy(dtype=float)
    close = frame["close"].to_numpy(dtype=float) if "close" in frame.columns else np.full(len(volume), np.nan)
    unchanged = np.zeros(len(volume), dtype=bool)
    # a 0 beside a missing close was kept ("no evidence either way"): ln(1 + 0) in an event window
    # read as a -19.5 abnormal log volume with outcome ok, patell_z -25 (a finder)
    unchanged[1:] = close[1:] == close[:-1]  # False where either is NaN
    return np.where((volume > 0) | ((volume == 0) & unchanged), volume, np.nan)

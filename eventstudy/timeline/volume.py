"""Daily trading volume of every symbol on the market's trading calendar.

The price cache keeps Yahoo's ``Volume`` (shares traded; for an ETF, units) beside the prices;
:func:`volume_panel` puts it on the calendar of :func:`eventstudy.timeline.returns.build_panel`.
A missing or negative volume is missing (NaN); a day outside the calendar is not used. Nothing
is filled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def volume_panel(
    prices: Mapping[str, pd.DataFrame], calendar: pd.DatetimeIndex, symbols: Sequence[str]
) -> np.ndarray:
    """(T, S) shares traded of ``symbols`` on ``calendar`` (NaN where none, or negative).

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
        values = frame["volume"].to_numpy(dtype=float)[on]
        out[position[on], column] = np.where(values >= 0, values, np.nan)
    return out

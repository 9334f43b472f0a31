"""Daily trading volume of every symbol on the market's trading calendar.

The price cache keeps Yahoo's ``Volume`` (shares traded; for an ETF, units) beside the prices;
:func:`volume_panel` puts it on the calendar of :func:`eventstudy.timeline.returns.build_panel`.
A missing or negative volume is missing (NaN), and so is a volume of 0 on a day whose close
differs from the previous row's: a price does not move without a trade, so such a 0 is a gap in
Yahoo's data, not a day without trading (an index, whose volume Yahoo reports as 0 every day,
has none). A 0 with an unchanged close is kept, a day without trades, only for a thinly traded
ticker, whose median volume above 0 is below :data:`THIN_VOLUME` shares: Yahoo's stale gap rows
repeat the previous close with a volume of 0, which on NVDA read as an abnormal log volume of
-19.9 (patell_z -33.5); a ticker trading millions of shares a day has no day without a trade. A 0
beside a missing close, or on a series' first row, whose close has no previous one to compare
with, is missing too: nothing shows that no trade took place. A day outside the calendar is not
used. Nothing is filled.
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


THIN_VOLUME = 10_000
"""Shares a day: a ticker whose median volume above 0 is below this can have a day without a
trade (a volume of 0 with an unchanged close, which ln(1 + n) exists for: Campbell & Wasley 1996);
on a ticker trading more, a 0 is a gap in the data."""


def traded_volume(frame: pd.DataFrame) -> np.ndarray:
    """The ``volume`` of a price frame (rows in date order), NaN where it is negative or missing,
    or 0 unless the ``close`` is that of the previous row, both known, on a thinly traded ticker
    (:data:`THIN_VOLUME`; the module docstring): a 0 while the close moved is a gap in the data,
    not a day without trades, and so is one beside a missing close or on a liquid ticker; the
    first row has no previous close to compare with."""
    volume = frame["volume"].to_numpy(dtype=float)
    close = frame["close"].to_numpy(dtype=float) if "close" in frame.columns else np.full(len(volume), np.nan)
    unchanged = np.zeros(len(volume), dtype=bool)
    # a 0 beside a missing close was kept ("no evidence either way"): ln(1 + 0) in an event window
    # read as a -19.5 abnormal log volume with outcome ok, patell_z -25 (a finder)
    unchanged[1:] = close[1:] == close[:-1]  # False where either is NaN
    traded = volume[volume > 0]
    thin = traded.size > 0 and float(np.median(traded)) < THIN_VOLUME  # a 0 on NVDA: a stale gap row
    return np.where((volume > 0) | ((volume == 0) & unchanged & thin), volume, np.nan)

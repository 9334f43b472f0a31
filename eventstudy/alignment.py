"""Trading-day alignment: from an announcement date and its timing to event day 0.

Rule (recorded per row in the outputs):

* day 0 is the announcement date when that date is a trading session and the timing is
  ``pre``, ``intraday`` or ``unknown``;
* otherwise -- timing ``post`` (after the close), a weekend or a market holiday -- day 0 is
  the next trading session, and ``day0_shift`` says why it moved.

The trading calendar is the set of dates on which the market proxy has a price (SPY trades on
every NYSE session), so a weekday missing from it is a market holiday.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SAME_DAY_TIMINGS = frozenset({"pre", "intraday", "unknown"})


@dataclass(frozen=True)
class DayZero:
    """Where one announcement lands on the trading calendar.

    Attributes
    ----------
    index
        Position of day 0 in the trading calendar, or -1 when there is none.
    date
        Day 0, or ``NaT``.
    shift
        Why day 0 is not the announcement date (empty when it is).
    outcome
        ``"ok"`` or, when day 0 falls outside the calendar, ``"announced_before_data"`` /
        ``"announced_after_data"``.
    """

    index: int
    date: pd.Timestamp
    shift: str
    outcome: str


def align_day_zero(calendar: pd.DatetimeIndex, announced: pd.Timestamp, timing: str) -> DayZero:
    """Apply the day-0 rule to one announcement.

    Parameters
    ----------
    calendar
        Sorted, unique trading dates.
    announced
        Announcement date (calendar date, US/Eastern).
    timing
        ``pre``, ``intraday``, ``post`` or ``unknown``.
    """
    announced = pd.Timestamp(announced).normalize()
    if len(calendar) == 0 or announced < calendar[0]:
        return DayZero(-1, pd.NaT, "", "announced_before_data")
    position = int(calendar.searchsorted(announced, side="left"))
    is_session = position < len(calendar) and calendar[position] == announced
    if is_session and timing in SAME_DAY_TIMINGS:
        return DayZero(position, calendar[position], "", "ok")
    if is_session:
        reason = "post-close announcement: next session"
        position += 1
    elif announced.day_of_week >= 5:
        reason = f"announced on a {announced.day_name()}: next session"
    elif announced > calendar[-1]:
        reason = ""
    else:
        reason = "market holiday: next session"
    if position >= len(calendar):
        return DayZero(-1, pd.NaT, reason, "announced_after_data")
    return DayZero(position, calendar[position], reason, "ok")


def relative_day_index(day_zero_index: np.ndarray, taus: np.ndarray, n_days: int) -> np.ndarray:
    """Calendar positions ``day0 + tau`` for every pair and tau, ``-1`` where outside the calendar.

    Parameters
    ----------
    day_zero_index
        (P,) positions of day 0 (``-1`` for pairs without a day 0).
    taus
        (L,) relative days.
    n_days
        Length of the calendar.

    Returns
    -------
    numpy.ndarray
        (P, L) integer positions.
    """
    positions = day_zero_index[:, None] + taus[None, :]
    outside = (positions < 0) | (positions >= n_days) | (day_zero_index[:, None] < 0)
    return np.where(outside, -1, positions)

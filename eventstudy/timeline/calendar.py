"""Trading-day alignment: from an announcement date and its timing to event day 0.

Rule (recorded per row in the outputs):

* day 0 is the announcement date when that date is a trading session and the timing is
  ``pre``, ``intraday`` or ``unknown``;
* timing ``post`` (after the close) on a session: the next trading session, whatever the rule
  below (the news reaches prices then);
* a date that is not a session (a weekend, a market holiday), by the study's ``day0_rule``:
  ``next`` (default) the next session; ``previous`` the last session on or before the date (the
  R package eventstudies' rule); ``skip`` no day 0 (outcome ``day0_not_a_session``); ``error``
  the same outcome, which the study turns into an error naming the events row;
* with ``day0_max_shift`` = k, a day 0 more than k calendar days from the announcement date is
  not used (outcome ``day0_shift_too_large``).

``day0_shift`` says why day 0 moved. The trading calendar is the set of dates on which the market
proxy has a price (SPY trades on every NYSE session), so a weekday missing from it is a market
holiday.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SAME_DAY_TIMINGS = frozenset({"pre", "intraday", "unknown"})
NOT_A_SESSION = "day0_not_a_session"
"""Outcome of a row whose date is not a session under ``day0_rule = "skip"`` (or ``"error"``)."""
SHIFT_TOO_LARGE = "day0_shift_too_large"
"""Outcome of a row whose day 0 lies more than ``day0_max_shift`` calendar days from its date."""


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
        ``"announced_after_data"``, or :data:`NOT_A_SESSION` / :data:`SHIFT_TOO_LARGE`.
    """

    index: int
    date: pd.Timestamp
    shift: str
    outcome: str


def align_day_zero(
    calendar: pd.DatetimeIndex,
    announced: pd.Timestamp,
    timing: str,
    *,
    rule: str = "next",
    max_shift: int | None = None,
) -> DayZero:
    """Apply the day-0 rule to one announcement (:func:`align_days_zero` of one row).

    Parameters
    ----------
    calendar
        Sorted, unique trading dates.
    announced
        Announcement date (calendar date, US/Eastern).
    timing
        ``pre``, ``intraday``, ``post`` or ``unknown``.
    rule, max_shift
        ``day0_rule`` and ``day0_max_shift`` of the study (see the module docstring).
    """
    one = align_days_zero(
        calendar, pd.Series([pd.Timestamp(announced)]), pd.Series([timing]), rule=rule, max_shift=max_shift
    )
    return DayZero(int(one.index[0]), pd.Timestamp(one.date[0]), str(one.shift[0]), str(one.outcome[0]))


@dataclass(frozen=True)
class DayZeros:
    """:class:`DayZero` of many announcements, as arrays (see :func:`align_days_zero`).

    Attributes
    ----------
    index
        (P,) positions of day 0 in the calendar, -1 where none.
    date
        (P,) ``datetime64[ns]`` day 0, NaT where none.
    shift
        (P,) object: why day 0 is not the announcement date ("" when it is).
    outcome
        (P,) object: ``"ok"``, ``"announced_before_data"`` or ``"announced_after_data"``.
    """

    index: np.ndarray
    date: np.ndarray
    shift: np.ndarray
    outcome: np.ndarray


HOLIDAY = "market holiday"
"""What a day 0 shift calls a weekday that is no session (:func:`align_days_zero`)."""


def proxy_gap_shift(shift: str, market: str, ticker: str) -> str:
    """A day 0 ``shift`` of an announcement on a weekday the market proxy's rows lack but
    ``ticker`` traded on: the day is a gap in the proxy's data, not the :data:`HOLIDAY` the rule
    calls it (the study's and the backtest's day 0 alike)."""
    label = f"not a session of {market}'s rows, though {ticker} traded that day (a gap in {market}'s data?)"
    return shift.replace(HOLIDAY, label, 1)


def proxy_gap_note(market: str, ticker: str, missing: str, what: str) -> str:
    """The note of a return or a trade that such days (``missing``, ISO dates) touch, saying
    ``what`` they did to it (the study's windows and the backtest's trades alike)."""
    return f"{market} has no row on {missing}, on which {ticker} traded (a gap in {market}'s data?): {what}"


def align_days_zero(
    calendar: pd.DatetimeIndex,
    announced: pd.Series,
    timing: pd.Series | np.ndarray,
    *,
    rule: str = "next",
    max_shift: int | None = None,
) -> DayZeros:
    """The day-0 rule of the module docstring for every announcement at once.

    Parameters
    ----------
    calendar
        Sorted, unique trading dates.
    announced
        (P,) announcement dates.
    timing
        (P,) timings.
    rule
        Where a date that is not a session lands: ``next``, ``previous``, ``skip`` or ``error``
        (both give :data:`NOT_A_SESSION`).
    max_shift
        The most calendar days between the date and day 0 (None: no bound).

    Raises
    ------
    ValueError
        When an announcement date is missing (validated events never have one).

    Notes
    -----
    One ``searchsorted`` for all announcements: O(P log T).
    """
    days = pd.DatetimeIndex(announced).normalize()
    timing = np.asarray(timing, dtype=object)
    n_pairs, n_days = len(days), len(calendar)
    index = np.full(n_pairs, -1, dtype=np.int64)
    shift = np.full(n_pairs, "", dtype=object)
    outcome = np.full(n_pairs, "announced_before_data", dtype=object)
    if days.isna().any():
        raise ValueError("an announcement date is missing")
    if n_days:
        sessions = calendar.to_numpy("datetime64[ns]")
        values = days.to_numpy("datetime64[ns]")
        position = np.searchsorted(sessions, values, side="left")
        before = values < sessions[0]
        is_session = (position < n_days) & (sessions[np.minimum(position, n_days - 1)] == values)
        same_day = np.isin(timing, list(SAME_DAY_TIMINGS))
        post = is_session & ~same_day
        weekend = ~is_session & (days.day_of_week >= 5)
        holiday = ~is_session & ~weekend & (values <= sessions[-1])
        where = {"next": "next session", "previous": "previous session"}.get(rule, f"no day 0 ({rule})")
        shift[post] = "post-close announcement: next session"
        if weekend.any():
            shift[weekend] = "announced on a " + days[weekend].day_name().to_numpy(object) + ": " + where
        shift[holiday] = f"{HOLIDAY}: {where}"
        position = position + post
        # A weekend right after the data's last session (its Friday) is known not to be a session
        # and to follow it -- on a calendar without weekend sessions (a crypto series has them);
        # a later date may have sessions the data do not hold yet.
        gap = (values - sessions[-1]).astype("timedelta64[D]").astype(np.int64)
        weekdays_only = not (calendar.day_of_week >= 5).any()
        adjacent = weekend & (gap > 0) & (gap <= days.day_of_week.to_numpy() - 4) & weekdays_only
        moved = (weekend | holiday) & ~before & ((values <= sessions[-1]) | adjacent)
        if rule == "previous":
            position = position - moved  # the last session before the date (on it: not moved)
        found = ~before & (position < n_days) & (position >= 0)
        if rule in ("skip", "error"):
            found &= ~moved
        index[found] = position[found]
        outcome[~before] = np.where(found[~before], "ok", "announced_after_data")
        if rule in ("skip", "error"):
            outcome[moved] = NOT_A_SESSION
        if rule != "next":  # a non-session moves by the rule, past the data; a post-close one by none
            shift[(outcome == "announced_after_data") & ~post] = ""
        shift[before] = ""
    date = np.full(n_pairs, np.datetime64("NaT"), dtype="datetime64[ns]")
    date[index >= 0] = calendar.to_numpy("datetime64[ns]")[index[index >= 0]]
    if max_shift is not None and n_pairs:
        distance = np.abs((date - days.to_numpy("datetime64[ns]")).astype("timedelta64[D]").astype(np.int64))
        too_far = (index >= 0) & (distance > max_shift)
        if too_far.any():
            outcome[too_far] = SHIFT_TOO_LARGE
            shift[too_far] = shift[too_far] + f" (more than day0_max_shift = {max_shift} calendar day(s))"
            index[too_far] = -1
            date[too_far] = np.datetime64("NaT")
    return DayZeros(index, date, shift, outcome)

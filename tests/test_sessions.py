"""Dated returns on a trading calendar: a day between sessions belongs to the next session."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _hostile import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.factors import FactorTable
from eventstudy.sessions import onto_sessions

DAYS = pd.date_range("2025-01-01", periods=40).to_numpy("datetime64[ns]")


def brute_force(sessions: np.ndarray, dates: np.ndarray, values: np.ndarray, log: bool) -> np.ndarray:
    """Each session's return over (previous session, session], by a loop over the sessions."""
    out = np.full(len(sessions), np.nan)
    for t, session in enumerate(sessions):
        if session not in dates:
            continue
        after = sessions[t - 1] if t else session - np.timedelta64(1, "ns")
        days = values[(dates > after) & (dates <= session)]
        out[t] = days.sum() if log else np.prod(1.0 + days) - 1.0
    return out


@settings(max_examples=fuzz_examples(200, 200), deadline=None)
@given(
    in_sessions=st.lists(st.booleans(), min_size=40, max_size=40),
    in_dates=st.lists(st.booleans(), min_size=40, max_size=40),
    values=st.lists(
        st.one_of(st.floats(-0.5, 0.5), st.just(float("nan"))), min_size=40, max_size=40
    ),
    log=st.booleans(),
)
def test_each_session_gets_the_days_since_the_previous_one(in_sessions, in_dates, values, log) -> None:
    sessions = DAYS[np.array(in_sessions)]
    dates = DAYS[np.array(in_dates)]
    given_values = np.array(values)[np.array(in_dates)]
    placed, _, exact = onto_sessions(sessions, dates, given_values, log=log)
    expected = brute_force(sessions, dates, given_values, log)
    np.testing.assert_allclose(placed, expected, rtol=1e-12, atol=1e-15)
    on_a_session = np.isin(dates, sessions)
    assert (exact == on_a_session).all()
    # A session with only its own date keeps the value bit for bit.
    alone = np.isin(sessions, dates)
    for t in np.flatnonzero(alone):
        before = sessions[t - 1] if t else sessions[t] - np.timedelta64(1, "D")
        if ((dates > before) & (dates < sessions[t])).any():
            continue
        own = given_values[dates == sessions[t]][0]
        assert placed[t] == own or (np.isnan(placed[t]) and np.isnan(own))


def test_a_factor_table_compounds_a_day_the_calendar_skips_into_the_next_session() -> None:
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2025-03-10", "2025-03-11", "2025-03-12", "2025-03-13"]),
         "Mkt-RF": [0.01, 0.02, -0.03, 0.005], "RF": [0.0002, 0.0002, 0.0002, 0.0002]}
    )  # fmt: skip
    calendar = pd.DatetimeIndex(["2025-03-10", "2025-03-12", "2025-03-13", "2025-03-14"])
    got = FactorTable("t", frame).on_calendar(calendar, ["Mkt-RF", "RF"])
    expected = [
        [0.01, 0.0002],
        [1.02 * 0.97 - 1.0, 1.0002**2 - 1.0],  # 03-11 (no session) and 03-12
        [0.005, 0.0002],
        [np.nan, np.nan],  # the table ends before this session: missing, never filled
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-14)

"""The dates an online run fetches cover the config's windows: a cached symbol is never fetched
again, so a range cut for the default windows would leave a longer estimation window or event
window short of data in this run and every later one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.backtest.rules import BacktestConfig
from eventstudy.config import StudyConfig, load_config
from eventstudy.study import AFTER_DAYS, HISTORY_DAYS, calendar_days, fetch_range

ROOT = Path(__file__).resolve().parents[1]
EVENTS = pd.DataFrame({"announced": pd.to_datetime(["2020-03-02", "2020-06-01"])})


def span(config: StudyConfig) -> tuple[int, int]:
    first, last = fetch_range(EVENTS, config)
    return (dt.date(2020, 3, 2) - first).days, (last - dt.date(2020, 6, 1)).days


def test_the_defaults_fetch_two_years_before_and_45_days_after() -> None:
    assert (HISTORY_DAYS, AFTER_DAYS) == (732, 45)
    assert span(StudyConfig()) == (732, 45)
    assert calendar_days(260) == 385 < HISTORY_DAYS  # the default window fits in two years


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"estimation_window": (-600, -11)}, (600 * 7 // 5 + 21, 45)),  # 861 days of history
        ({"event_windows": ((-10, 60),)}, (732, 60 * 7 // 5 + 21)),  # 105 days after
        ({"event_windows": ((-700, 0),), "estimation_window": (-900, -701)}, (900 * 7 // 5 + 21, 45)),
        ({"estimation_window": "all"}, (732, 45)),  # all the data there is: the least history
        (
            {"backtest": BacktestConfig(holding_days=(1, 60), drift_days=(1,))},
            (732, 60 * 7 // 5 + 21),
        ),
    ],
)
def test_longer_windows_fetch_longer_ranges(changes, expected) -> None:
    assert span(dataclasses.replace(StudyConfig(), **changes)) == expected


def test_never_after_today() -> None:
    events = pd.DataFrame({"announced": [pd.Timestamp.today().normalize()]})
    assert fetch_range(events, load_config(ROOT / "launch.toml"))[1] == dt.date.today()

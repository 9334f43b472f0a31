"""Where an earnings calendar screens a window: the 60-day rule in closed form and against a
brute-force loop, and whole studies whose calendar does not reach an event (NVDA's May 2024
results inside a window of a study whose calendar starts in 2025)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _studies import run_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.timeline.confounders import EARNINGS_REACH_DAYS, earnings_screened, unconfounded_group


def screened(releases: dict[str, list[str]], spans: list[tuple[str, str, str]]) -> list[bool]:
    earnings = pd.DataFrame(
        [(t, pd.Timestamp(d)) for t, days in releases.items() for d in days], columns=["ticker", "announced"]
    )
    tickers = np.array([t for t, _, _ in spans], dtype=object)
    first = np.array([a for _, a, _ in spans], dtype="datetime64[D]")
    last = np.array([b for _, _, b in spans], dtype="datetime64[D]")
    return earnings_screened(tickers, first, last, earnings).tolist()


def test_sixty_days_either_side_of_each_release_in_closed_form() -> None:
    quarterly = {"T": ["2025-01-30", "2025-04-30", "2025-07-30"]}
    assert EARNINGS_REACH_DAYS == 60
    spans = [
        ("T", "2025-02-10", "2025-02-20"),  # between two releases
        ("T", "2024-12-01", "2024-12-05"),  # 2025-01-30 - 60 days = 2024-12-01
        ("T", "2024-11-30", "2024-12-05"),  # one day earlier: not screened
        ("T", "2025-09-20", "2025-09-28"),  # 2025-07-30 + 60 days = 2025-09-28
        ("T", "2025-09-20", "2025-09-29"),  # one day later: not screened
        ("U", "2025-02-10", "2025-02-20"),  # a ticker without a calendar
    ]
    assert screened(quarterly, spans) == [True, True, False, True, False, False]
    # A skipped quarter (181 days between listed releases) leaves the dates more than 60 days from
    # both unscreened: 2025-03-31 is the last date after the first, 2025-05-31 the first before the next.
    skipped = {"T": ["2025-01-30", "2025-07-30"]}
    spans = [
        ("T", "2025-03-25", "2025-03-31"),
        ("T", "2025-03-25", "2025-04-01"),
        ("T", "2025-05-31", "2025-06-05"),
    ]
    assert screened(skipped, spans) == [True, False, True]
    # Exactly 120 days apart: the two reaches meet, every date between is screened.
    assert screened({"T": ["2025-01-01", "2025-05-01"]}, [("T", "2024-11-02", "2025-06-30")]) == [True]
    # 121 days apart: the first reaches 2025-03-02, the second from 2025-03-03, no date between.
    assert screened({"T": ["2025-01-01", "2025-05-02"]}, [("T", "2025-02-20", "2025-03-10")]) == [True]
    assert screened({}, [("T", "2025-01-01", "2025-01-02")]) == [False]


@settings(max_examples=200, deadline=None)
@given(
    releases=st.lists(st.tuples(st.sampled_from("AB"), st.integers(0, 700)), max_size=12),
    spans=st.lists(
        st.tuples(st.sampled_from("ABC"), st.integers(-100, 800), st.integers(0, 40)), min_size=1, max_size=20
    ),
)
def test_the_rule_equals_a_loop_over_every_date(releases, spans) -> None:
    origin = np.datetime64("2024-01-01")
    earnings = pd.DataFrame(
        {
            "ticker": [t for t, _ in releases],
            "announced": pd.to_datetime([origin + np.timedelta64(d, "D") for _, d in releases]),
        }
    )
    tickers = np.array([t for t, _, _ in spans], dtype=object)
    first = np.array([origin + np.timedelta64(a, "D") for _, a, _ in spans])
    last = np.array([origin + np.timedelta64(a + n, "D") for _, a, n in spans])
    got = earnings_screened(tickers, first, last, earnings)
    for i, (ticker, a, n) in enumerate(spans):
        days = [d for t, d in releases if t == ticker]
        expected = all(any(abs(x - d) <= EARNINGS_REACH_DAYS for d in days) for x in range(a, a + n + 1))
        assert got[i] == expected, (ticker, a, n, days)


@pytest.fixture(scope="module")
def short_calendar_cache(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prices and shares of ../shared, and NVDA's 2025 earnings dates only."""
    root = tmp_path_factory.mktemp("short-calendar")
    lines = (shared_data / "earnings" / "earnings_dates.csv").read_text().splitlines()
    folder = tmp_path_factory.mktemp("earnings")
    kept = [lines[0], *[line for line in lines[1:] if line.startswith("NVDA,2025")]]
    (folder / "nvda_2025.csv").write_text("\n".join(kept) + "\n")
    import_paths(PriceStore(root), [shared_data / "prices", shared_data / "shares", folder])
    return root


def stat(stats: pd.DataFrame, group: str, window: str, name: str) -> pd.Series:
    return stats[(stats.group == group) & (stats.window == window) & (stats.statistic == name)].iloc[0]


def test_a_flagged_row_without_a_car_makes_no_unconfounded_twin(short_calendar_cache, tmp_path) -> None:
    """An event without an estimation window (no CAR) is unscreened: its group got an "(unconfounded)" twin
    equal to itself, printed as if rows had been left out, and a count of rows "kept in the
    statistics" that were in none (a finder)."""
    results = run_rows(
        short_calendar_cache,
        tmp_path,
        ["nvda-2025b,2025-06-20,pre,NVDA,announcer,,g,y", "nvda-2023,2023-03-01,pre,NVDA,announcer,,g,x"],
    )
    car = results.car.set_index(["event_id", "window"])
    assert car.loc["nvda-2023", "confounded"].isna().all() and (car.loc["nvda-2023", "outcome"] != "ok").all()
    assert car.loc["nvda-2025b", "confounded"].eq(False).all()  # clean: its window holds no release
    assert not results.stats["group"].str.endswith("(unconfounded)").any()
    assert stat(results.stats, "g", "[-1,+1]", "unscreened_rows").n == 0
    assert stat(results.stats, "g", "[-1,+1]", "caar").n == 1


def test_a_window_before_the_calendar_is_not_called_clean(short_calendar_cache, tmp_path) -> None:
    """NVDA reported on 2024-05-22 after the close; a calendar starting 2025-02-26 cannot see it, so
    the window of an NVDA event on 2024-05-23 (its +11% day) is not screened: ``confounded`` is
    missing, and the row leaves the unconfounded group; the 2025 event's window holds the
    2025-05-28 release the calendar lists."""
    results = run_rows(
        short_calendar_cache,
        tmp_path,
        [
            "nvda-2024,2024-05-23,pre,NVDA,announcer,,g,x",
            "nvda-2025,2025-05-29,pre,NVDA,announcer,,g,y",
            "amd-2025,2025-03-10,pre,AMD,announcer,,g,z",
        ],
    )
    car = results.car.set_index(["event_id", "window"])
    assert car["confounded"].dtype == "boolean"
    assert car.loc["nvda-2024", "confounded"].isna().all()
    assert car.loc["nvda-2024", "car"].loc["[0,0]"] > 0.10  # the earnings reaction itself
    assert car.loc["nvda-2025", "confounded"].all()
    assert car.loc["amd-2025", "confounded"].isna().all()  # AMD has no calendar in this cache
    window = "[-1,+1]"
    assert stat(results.stats, "g", window, "unscreened_rows").n == 2
    assert stat(results.stats, "g", window, "confounded_rows").n == 1
    assert stat(results.stats, "g", window, "caar").n == 3
    assert stat(results.stats, unconfounded_group("g"), window, "caar").n == 0

    excluded = run_rows(
        short_calendar_cache,
        tmp_path,
        ["nvda-2024,2024-05-23,pre,NVDA,announcer,,g,x", "nvda-2025b,2025-06-20,pre,NVDA,announcer,,g,y"],
        exclude_confounded=True,
    )
    # 2025-06-20 is within 60 days of the 2025-05-28 release and clear of it: screened and clean.
    assert not excluded.car.loc[excluded.car.event_id == "nvda-2025b", "confounded"].any()
    kept = stat(excluded.stats, "g", window, "caar")
    clean = excluded.car[(excluded.car.event_id == "nvda-2025b") & (excluded.car.window == window)]
    assert kept.n == 1 and kept.value == pytest.approx(float(clean["car"].iloc[0]), rel=1e-12)


def test_the_report_says_which_windows_were_not_screened(short_calendar_cache, tmp_path) -> None:
    from eventstudy import save_study

    results = run_rows(short_calendar_cache, tmp_path, ["nvda-may22,2024-05-22,pre,NVDA,announcer,,g,y"])
    out = tmp_path / "out"
    save_study(results, out)
    report = (out / "report.md").read_text()
    assert "1 of 1 window [-1,+1] was not screened for earnings" in report
    left_out = "1 (event, party) window [-1,+1] was not screened for earnings (left out of the (unconfounded)"
    assert left_out in report
    assert "would be missed: NVDA nvda-may22." in report
    # a failed fetch of the releases leaves no file either: the report does not say there are none
    assert "or the cache has none for it (the ticker has no releases, or an online run could not" in report
    # The day after day 0 is the earnings reaction: the dominant-day warning must not say that no
    # calendar explains it, since no calendar covered it.
    assert (
        "NVDA nvda-may22 [-1,+1]: τ+1 (2024-05-23) carries most of the CAR and the window was not "
        "screened for earnings: check the ticker's earnings dates."
    ) in report
    again = pd.read_parquet(out / "car.parquet")
    assert len(again) == 4
    assert again["confounded"].isna().all() and str(again["confounded"].dtype) == "boolean"


def test_without_any_calendar_the_screen_is_the_events_and_news_only(shared_data, tmp_path) -> None:
    root = tmp_path / "cache"
    import_paths(PriceStore(root), [shared_data / "prices", shared_data / "shares"])
    results = run_rows(root, tmp_path, ["nvda-2024,2024-05-23,pre,NVDA,announcer,,g,x"])
    assert results.car["confounded"].notna().all() and not results.car["confounded"].any()
    assert not results.stats.group.str.endswith("(unconfounded)").any()

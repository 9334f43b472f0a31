"""Overlapping events of one ticker: flags in car.parquet and the exclusion option."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _panels import panel_returns

from eventstudy.config import load_config
from eventstudy.data.events import read_events
from eventstudy.data.store import PriceStore
from eventstudy.output.manifest import build_manifest
from eventstudy.results import StudyResults
from eventstudy.study import run_study
from eventstudy.timeline.overlap import other_event_days, overlap_notes, span_cover

ROOT = Path(__file__).resolve().parents[1]

# Day 0 of NVDA's events in events.csv (oracle-gb200-order: announced Friday 2025-05-23 after the
# close; Monday 2025-05-26 was Memorial Day, so the next session is Tuesday 2025-05-27).
NVDA_DAY0 = {
    "stargate-launch": "2025-01-21",
    "deepseek-r1": "2025-01-27",
    "oracle-gb200-order": "2025-05-27",
    "nvidia-intel-5b": "2025-09-18",
    "nvidia-openai-100b": "2025-09-22",
    "amd-openai-6gw": "2025-10-06",
    "anthropic-msft-nvda": "2025-11-18",
}


@pytest.fixture(scope="module")
def runs(launch_cache: Path) -> dict[bool, StudyResults]:
    events = read_events(ROOT / "events.csv")
    config = load_config(ROOT / "launch.toml")
    return {
        flag: run_study(
            events, PriceStore(launch_cache), dataclasses.replace(config, exclude_overlapping_windows=flag)
        )
        for flag in (False, True)
    }


@pytest.fixture(scope="module")
def calendar(shared_data: Path) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.read_csv(shared_data / "prices" / "SPY.csv", parse_dates=["Date"])["Date"])


def row(results: StudyResults, event_id: str, ticker: str, window: str = "[0,0]") -> pd.Series:
    car = results.car
    return car[(car.event_id == event_id) & (car.ticker == ticker) & (car.window == window)].iloc[0]


def test_nvda_intel_and_openai_events_are_flagged_as_overlapping(runs) -> None:
    results = runs[False]
    intel = row(results, "nvidia-intel-5b", "NVDA")
    openai = row(results, "nvidia-openai-100b", "NVDA")
    assert "event window overlaps nvidia-openai-100b (2025-09-22)" in intel.overlap
    assert openai.overlap == (
        "estimation window contains stargate-launch (2025-01-21), deepseek-r1 (2025-01-27), "
        "oracle-gb200-order (2025-05-27); event window overlaps nvidia-intel-5b (2025-09-18), "
        "amd-openai-6gw (2025-10-06)"
    )
    assert row(results, "nvidia-intel-5b", "INTC").overlap == ""  # Intel has one event
    assert row(results, "amazon-openai-38b", "AMZN").overlap == ""
    # The flag is per pair, the same in every window.
    car = results.car
    flags = car[(car.event_id == "nvidia-openai-100b") & (car.ticker == "NVDA")]["overlap"]
    assert flags.nunique() == 1 and len(flags) == 4


def excluded_days(calendar: pd.DatetimeIndex, event_id: str, day0: dict[str, str]) -> int:
    """Estimation days of ``event_id`` inside the [-5,+5] spans of the other events, from the calendar."""
    position = calendar.get_loc(pd.Timestamp(day0[event_id]))
    estimation = set(range(position - 260, position - 10))  # tau in [-260, -11]
    spans: set[int] = set()
    for other, date in day0.items():
        if other != event_id:
            p = calendar.get_loc(pd.Timestamp(date))
            spans |= set(range(p - 5, p + 6))
    return len(estimation & spans)


def test_exclusion_drops_exactly_the_overlapping_estimation_days(runs, calendar) -> None:
    count = excluded_days(calendar, "nvidia-openai-100b", NVDA_DAY0)
    # stargate-launch and deepseek-r1 spans overlap each other (union 2025-01-13..2025-02-03, 15
    # sessions) plus oracle-gb200-order's 11 sessions; none of them is a day without an NVDA return.
    assert count == 26
    before = row(runs[False], "nvidia-openai-100b", "NVDA")
    after = row(runs[True], "nvidia-openai-100b", "NVDA")
    assert before.n_est - after.n_est == count
    assert after.overlap.endswith("; 26 estimation days in their windows excluded")
    for event_id in ("deepseek-r1", "amd-openai-6gw", "anthropic-msft-nvda"):
        drop = row(runs[False], event_id, "NVDA").n_est - row(runs[True], event_id, "NVDA").n_est
        assert drop == excluded_days(calendar, event_id, NVDA_DAY0)


def test_pairs_without_other_events_in_their_estimation_window_are_unchanged(runs) -> None:
    for event_id, ticker in [
        ("nvidia-intel-5b", "INTC"),
        ("stargate-launch", "NVDA"),
        ("amazon-openai-38b", "AMZN"),
    ]:
        before, after = row(runs[False], event_id, ticker), row(runs[True], event_id, ticker)
        assert (after.n_est, after.alpha, after.beta, after.car) == (
            before.n_est,
            before.alpha,
            before.beta,
            before.car,
        )


def test_excluded_fit_matches_statsmodels_on_the_remaining_days(runs, calendar) -> None:
    results = runs[True]
    returns = panel_returns(results.estimates.panel)
    position = calendar.get_loc(pd.Timestamp(NVDA_DAY0["nvidia-openai-100b"]))
    spans = set()
    for other, date in NVDA_DAY0.items():
        if other != "nvidia-openai-100b":
            p = calendar.get_loc(pd.Timestamp(date))
            spans |= set(range(p - 5, p + 6))
    keep = [p for p in range(position - 260, position - 10) if p not in spans]
    sample = returns.iloc[keep][["NVDA", "SPY"]].dropna()
    ols = sm.OLS(sample["NVDA"], sm.add_constant(sample["SPY"])).fit()
    fitted = row(results, "nvidia-openai-100b", "NVDA")
    assert fitted.n_est == len(sample)
    assert list(json.loads(fitted.params).values()) == pytest.approx(ols.params.tolist(), rel=1e-10)
    assert fitted.sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-10)


def test_manifest_records_the_option(runs, launch_cache) -> None:
    manifest = build_manifest(runs[True])
    assert manifest["model"]["exclude_overlapping_windows"] is True
    assert manifest["config"]["exclude_overlapping_windows"] is True


def test_peer_rows_are_flagged_but_are_not_events_of_the_ticker(runs, launch_cache) -> None:
    # A peer row measures another company's announcement on NVDA: it does not contaminate NVDA's
    # own windows, but its own estimation window is cleaned of NVDA's events like any pair.
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), exclude_overlapping_windows=True)
    results = run_study(ROOT / "events.csv", PriceStore(launch_cache), config, peers=("NVDA",))
    for event_id in NVDA_DAY0:
        assert row(results, event_id, "NVDA").n_est == row(runs[True], event_id, "NVDA").n_est
        assert row(results, event_id, "NVDA").overlap == row(runs[True], event_id, "NVDA").overlap
    peer = row(results, "oracle-openai-300b", "NVDA")
    assert peer.role == "peer"
    assert (
        "event window overlaps nvidia-intel-5b (2025-09-18), nvidia-openai-100b (2025-09-22)" in peer.overlap
    )
    assert "oracle-openai-300b" not in row(results, "nvidia-intel-5b", "NVDA").overlap


# -- the pure functions ---------------------------------------------------------------------------
def test_span_cover_counts_and_clips_at_the_calendar_ends() -> None:
    codes = np.array([0, 0, 1, 0])
    day0 = np.array([1, 4, 5, -1])  # the last pair has no day 0
    cover = span_cover(codes, day0, (-2, 2), n_days=8)
    assert cover.shape == (2, 9)
    assert cover[0].tolist() == [1, 1, 2, 2, 1, 1, 1, 0, 0]  # [0,3] (clipped) and [2,6]; column 8 is the pad
    assert cover[1].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 0]  # [3,7] clipped at day 7


def test_other_event_days_marks_only_same_ticker_spans() -> None:
    codes = np.array([0, 0, 1])
    day0 = np.array([30, 12, 14])
    estimation = np.stack([np.arange(0, 20), np.arange(-18, 2), np.arange(-16, 4)])
    estimation = np.where(estimation < 0, -1, estimation)
    inside = other_event_days(codes, day0, estimation, (-1, 1), n_days=40)
    assert np.flatnonzero(inside[0]).tolist() == [11, 12, 13]  # pair 1's span [11, 13]
    assert not inside[1].any() and not inside[2].any()  # pair 2 is another ticker


def test_overlap_notes_text() -> None:
    notes = overlap_notes(
        ["a", "b", "c", "d"],
        ["X", "X", "X", "Y"],
        np.array([100, 103, 300, 101]),
        [
            pd.Timestamp("2025-01-10"),
            pd.Timestamp("2025-01-15"),
            pd.Timestamp("2025-11-03"),
            pd.Timestamp("2025-01-13"),
        ],
        (-260, -11),
        (-5, 5),
        excluded_days=np.array([0, 0, 11, 0]),
    )
    only_a = overlap_notes(
        ["a", "b", "c"], ["X", "X", "X"], np.array([100, 103, 300]), [pd.Timestamp("2025-01-10")] * 3,
        (-260, -11), (-5, 5), is_event=np.array([True, False, False]),
    )  # fmt: skip
    assert only_a == ["", "event window overlaps a (2025-01-10)", "estimation window contains a (2025-01-10)"]
    assert notes == [
        "event window overlaps b (2025-01-15)",
        "event window overlaps a (2025-01-10)",
        "estimation window contains a (2025-01-10), b (2025-01-15); "
        "11 estimation days in their windows excluded",
        "",
    ]


def test_dense_calendar_names_at_most_five_events_per_window() -> None:
    from eventstudy.timeline.overlap import overlap_notes
    from eventstudy.timeline.ranges import MAX_LISTED

    # One ticker with an event every day for 300 days: pair 299's estimation window [-260,-11]
    # relative to day 0 meets the event spans [-5,+5] of the days 299-265 .. 299-6, 260 events.
    n = 300
    days = np.arange(n)
    notes = overlap_notes(
        [f"e{i}" for i in range(n)],
        ["NVDA"] * n,
        days,
        pd.bdate_range("2024-01-01", periods=n),
        (-260, -11),
        (-5, 5),
    )
    estimation, event = notes[-1].split("; ")
    assert estimation.count("(20") == MAX_LISTED == 5
    assert estimation.endswith(f"and {260 - 5} more (260 in all)")
    assert event.startswith("event window overlaps e289") and event.endswith("and 5 more (10 in all)")

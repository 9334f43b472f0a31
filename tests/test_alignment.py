"""The day-0 rule on the real NYSE calendar (SPY's trading dates in ../shared/data)."""

from __future__ import annotations

import pandas as pd
import pytest

from eventstudy.data.store import PriceStore
from eventstudy.timeline.calendar import NOT_A_SESSION, align_day_zero


@pytest.fixture(scope="module")
def calendar(launch_cache) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(PriceStore(launch_cache).read_prices("SPY")["date"])


@pytest.mark.parametrize(
    ("announced", "timing", "day0", "shift"),
    [
        # A trading day, before the open or during the session: day 0 is that day.
        ("2025-09-18", "pre", "2025-09-18", ""),
        ("2025-09-22", "intraday", "2025-09-22", ""),
        ("2025-09-22", "unknown", "2025-09-22", ""),
        # After the close: the next session (Oracle's FQ1 results, 2025-09-09).
        ("2025-09-09", "post", "2025-09-10", "post-close announcement"),
        # Friday evening before Memorial Day (Monday 2025-05-26, market closed): Tuesday.
        ("2025-05-23", "post", "2025-05-27", "post-close announcement"),
        # Weekend: the next session.
        ("2025-05-24", "pre", "2025-05-27", "announced on a Saturday"),
        ("2025-10-12", "intraday", "2025-10-13", "announced on a Sunday"),
        # Holidays: Memorial Day, and the national day of mourning for President Carter.
        ("2025-05-26", "pre", "2025-05-27", "market holiday"),
        ("2025-01-09", "intraday", "2025-01-10", "market holiday"),
        # Christmas Day falls on a Wednesday in 2024.
        ("2024-12-25", "unknown", "2024-12-26", "market holiday"),
    ],
)
def test_day_zero_rule(calendar, announced, timing, day0, shift) -> None:
    result = align_day_zero(calendar, pd.Timestamp(announced), timing)
    assert result.outcome == "ok"
    assert result.date == pd.Timestamp(day0)
    assert calendar[result.index] == pd.Timestamp(day0)
    assert result.shift.startswith(shift) if shift else result.shift == ""


def test_outside_the_data(calendar) -> None:
    before = align_day_zero(calendar, pd.Timestamp("2022-06-01"), "pre")
    assert (before.outcome, before.index) == ("announced_before_data", -1)
    after = align_day_zero(calendar, pd.Timestamp("2026-03-02"), "pre")
    assert (after.outcome, after.index) == ("announced_after_data", -1)
    # The last session with a post-close announcement has no next session in the data.
    last = align_day_zero(calendar, calendar[-1], "post")
    assert last.outcome == "announced_after_data"
    # ... and says why under every rule (it was blank under "previous", "skip" and "error"): a
    # post-close announcement moves to the next session whatever the rule for non-sessions.
    for rule in ("next", "previous", "skip", "error"):
        moved = align_day_zero(calendar, calendar[-1], "post", rule=rule)
        assert moved.outcome == "announced_after_data"
        assert moved.shift == "post-close announcement: next session"
        assert align_day_zero(calendar, calendar[-1], "pre", rule=rule).shift == ""


def test_weekend_just_after_the_data() -> None:
    # The data end on Friday 2025-12-12: the Saturday and Sunday after it are no sessions whatever
    # the data to come, so "previous" gives Friday (it said announced_after_data), "skip" says
    # not a session, and "next" has no next session in the data and says so.
    calendar = pd.bdate_range("2025-12-01", "2025-12-12")
    for day in ("2025-12-13", "2025-12-14"):
        previous = align_day_zero(calendar, pd.Timestamp(day), "pre", rule="previous")
        assert (previous.outcome, previous.date) == ("ok", pd.Timestamp("2025-12-12"))
        assert previous.shift.endswith(": previous session")
        assert align_day_zero(calendar, pd.Timestamp(day), "pre", rule="skip").outcome == NOT_A_SESSION
        following = align_day_zero(calendar, pd.Timestamp(day), "pre", rule="next")
        assert (following.outcome, following.index) == ("announced_after_data", -1)
        # A post-close announcement on a weekend is a weekend's: Friday under "previous".
        assert align_day_zero(calendar, pd.Timestamp(day), "post", rule="previous").index == 9
    # Monday after the data may be a session the data do not hold yet: after the data, every rule.
    for rule in ("next", "previous", "skip"):
        monday = align_day_zero(calendar, pd.Timestamp("2025-12-15"), "pre", rule=rule)
        assert (monday.outcome, monday.shift) == ("announced_after_data", "")
    # A calendar with weekend sessions (a crypto series as the market): a Sunday after data ending
    # on Saturday may be a session the data do not hold yet (it gave day 0 = Saturday).
    every_day = pd.date_range("2025-12-01", "2025-12-27", freq="D")
    for rule in ("next", "previous", "skip", "error"):
        sunday = align_day_zero(every_day, pd.Timestamp("2025-12-28"), "pre", rule=rule)
        assert (sunday.outcome, sunday.index) == ("announced_after_data", -1)
    # A weekend a week past the data: a Friday session may lie between, unknown.
    later = align_day_zero(calendar, pd.Timestamp("2025-12-20"), "pre", rule="previous")
    assert later.outcome == "announced_after_data"


def test_a_session_the_market_proxy_lacks_is_not_called_a_holiday(shared_data, tmp_path, monkeypatch) -> None:
    """SPY's file without Thursday 2025-09-18 (a gap in its data): INTC's announcement that day
    was labelled "market holiday: next session", its day 0 a return over two sessions, exit 0
    (a finder). The ticker's own price that day shows its exchange traded: the label says so and
    the pair's note gives the day, so the two-session return is not taken for a holiday's."""
    from _studies import run_rows

    from eventstudy.data.importer import import_paths

    prices = tmp_path / "prices"
    prices.mkdir()
    for symbol in ("SPY", "INTC", "NVDA", "QQQ"):
        lines = (shared_data / "prices" / f"{symbol}.csv").read_text().splitlines(keepends=True)
        kept = [line for line in lines if not (symbol == "SPY" and line.startswith("2025-09-18,"))]
        assert len(kept) == len(lines) - (symbol == "SPY")
        (prices / f"{symbol}.csv").write_text("".join(kept))
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [prices])
    rows = [
        "gap,2025-09-18,pre,INTC,investee,5e9,g,x",
        "holiday,2025-09-01,pre,NVDA,investor,5e9,g,x",
        # day 0 the session after: its return spans the gap too (a finder), and so does [-5,+5]'s
        "before,2025-09-17,post,INTC,investee,5e9,g,x",
        "after,2025-09-24,pre,INTC,investee,5e9,g,x",
        "later,2025-10-15,pre,INTC,investee,5e9,g,x",
    ]
    car = run_rows(cache, tmp_path, rows, market="SPY", volume=None).car
    day0 = car[car["window"] == "[0,0]"].set_index("event_id")
    assert day0.loc["holiday", "day0_shift"] == "market holiday: next session"  # Labor Day
    assert day0.loc["gap", "day0_shift"] == (
        "not a session of SPY's rows, though INTC traded that day (a gap in SPY's data?): next session"
    )
    said = (
        "SPY has no row on 2025-09-18, on which INTC traded (a gap in SPY's data?): the return of 2025-09-19 "
        "spans 2025-09-18 and 2025-09-19"
    )
    assert day0.loc["gap", "note"].startswith(said)
    assert "has no row" not in day0.loc["holiday", "note"]
    assert said in day0.loc["before", "note"]
    wide = car[car["window"] == "[-5,+5]"].set_index("event_id")
    assert said in wide.loc["after", "note"]  # [-5,+5] of 2025-09-24 holds 2025-09-19
    assert "has no row" not in day0.loc["after", "note"]  # its [0,0] does not (a finder)
    assert day0.loc["before", "day0_shift"] == "post-close announcement: next session"
    assert "has no row" not in day0.loc["later", "note"]  # its span starts after the gap
    # the backtest entered a session late without a word (a finder)
    from eventstudy.backtest.rules import BacktestConfig

    rule = BacktestConfig(holding_days=(1,), drift_days=(1,))
    trades = run_rows(cache, tmp_path, rows, market="SPY", volume=None, backtest=rule).backtest.trades
    trades = trades.set_index("event_id")
    assert trades.loc["gap", "entry_date"] == pd.Timestamp("2025-09-19")
    entered = "SPY has no row on 2025-09-18, on which INTC traded (a gap in SPY's data?): the trade enters "
    assert entered + "on 2025-09-19 instead of 2025-09-18" in trades.loc["gap", "note"]
    assert entered + "on 2025-09-19 instead of 2025-09-18" in trades.loc["before", "note"]  # post, 09-17
    assert "has no row" not in trades.loc["after", "note"]
    assert "has no row" not in trades.loc["holiday", "note"]
    # only where the entry moved: a post-close announcement, or an entry at the next open after a
    # previous-session day 0, enters when it would have (a finder); skip names the gap, not a holiday
    post = [*rows[:1], "post,2025-09-18,post,INTC,investee,5e9,g,y"]
    for changes, event, moved in (
        ({}, "gap", True),
        ({}, "post", False),
        ({"day0_rule": "previous"}, "gap", False),
        ({"day0_rule": "skip"}, "gap", None),
    ):
        rule = BacktestConfig(holding_days=(1,), drift_days=(1,), entry="open_day1")
        result = run_rows(cache, tmp_path, post, market="SPY", volume=None, backtest=rule, **changes)
        note = result.backtest.trades.set_index("event_id").loc[event, "note"]
        if moved is None:
            assert note.startswith("not a session of SPY's rows, though INTC traded that day (a gap in"), note
        else:
            assert ("has no row" in note) is moved, (changes, event, note)
    # a thin-trading note (every pair's, here) replaced the gap note (a finder): both are said
    from eventstudy import estimate

    monkeypatch.setattr(estimate, "THIN_TRADING_SHARE", 0.0)
    thin = run_rows(cache, tmp_path, rows[:1], market="SPY", volume=None).car
    (note,) = thin.loc[thin["window"] == "[0,0]", "note"]
    assert note.startswith("thin trading: ") and said in note
    # a row of no trade on the day (a vendor's stale holiday row) shows no session
    stale = (prices / "INTC.csv").read_text().replace("\n2025-09-18,", "\nSTALE,")
    head, _, rest = stale.partition("\nSTALE,")
    row, _, tail = rest.partition("\n")
    (prices / "INTC.csv").write_text(f"{head}\n2025-09-18,{row.rsplit(',', 1)[0]},0\n{tail}")
    other = tmp_path / "other"
    import_paths(PriceStore(other), [prices])
    car = run_rows(other, tmp_path, rows[:1], market="SPY", volume=None).car
    assert car.loc[car["window"] == "[0,0]", "day0_shift"].tolist() == ["market holiday: next session"]

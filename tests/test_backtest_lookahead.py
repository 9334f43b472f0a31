"""No look-ahead: changing any price after a trade's entry never changes the trade's decision.

"After the entry" means, for an entry at the close of day e, every field of every symbol on the
days after e (Open, High and Low of day e come before its close; the Close of day e is the
entry price itself). For an entry at the open of day e, it also includes High, Low, Close and
Adj Close of day e. The decision is the entry date, entry price, side, market value at the
decision and the weight basis; exits and returns may (and do) change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.backtest.engine import backtest, daily_weights, plan_trades, price_grid
from eventstudy.backtest.rules import BacktestConfig
from eventstudy.data.events import read_events

N_DAYS = 80
DATES = pd.bdate_range("2024-03-01", periods=N_DAYS).astype("datetime64[ns]")
SYMBOLS = ("SPY", "AAA", "BBB", "CCC")
DECISION = [
    "event_id",
    "ticker",
    "side",
    "day0",
    "entry_date",
    "entry_price",
    "mcap_prev_usd",
    "weight_basis",
]
EVENTS = """\
event_id,announced,timing,ticker,role,deal_usd,group,headline
a,2024-03-11,pre,AAA,supplier,1e9,g,x
a,2024-03-11,pre,BBB,rival,1e9,g,x
b,2024-03-20,post,CCC,supplier,,g,x
c,2024-03-23,pre,AAA,buyer,,h,weekend: day 0 is Monday
d,2024-04-02,intraday,BBB,supplier,,h,x
d,2024-04-02,intraday,CCC,rival,,h,x
e,2024-04-16,post,AAA,supplier,,h,x
"""


def random_prices(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frames = {}
    for symbol in SYMBOLS:
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, N_DAYS)))
        open_ = close * np.exp(rng.normal(0, 0.01, N_DAYS))
        factor = np.where(np.arange(N_DAYS) < 30, 0.97, 1.0)  # a dividend on day 30
        frames[symbol] = pd.DataFrame(
            {
                "date": DATES,
                "open": open_,
                "high": np.maximum(open_, close) * 1.01,
                "low": np.minimum(open_, close) * 0.99,
                "close": close,
                "adj_close": close * factor,
                "volume": 1e6,
            }
        )
    return frames


def perturb_after(
    prices: dict[str, pd.DataFrame], day: int, entry: str, seed: int
) -> dict[str, pd.DataFrame]:
    """Multiply every price strictly after the entry at ``day`` by a random factor in [0.5, 1.5]."""
    rng = np.random.default_rng(seed)
    out = {}
    for symbol, frame in prices.items():
        frame = frame.copy()
        later = np.arange(len(frame)) > day
        for column in ("open", "high", "low", "close", "adj_close", "volume"):
            after = later.copy()
            if entry == "open_day1" and column != "open":
                after[day] = True  # the rest of the entry day comes after its open
            frame.loc[after, column] = frame.loc[after, column] * rng.uniform(0.5, 1.5, after.sum())
        out[symbol] = frame
    return out


def shares() -> dict[str, pd.DataFrame]:
    return {
        symbol: pd.DataFrame(
            {
                "as_of": pd.to_datetime(["2024-01-02", "2024-03-21", "2024-04-10"]),
                "shares_outstanding": [1e6, 2e6, 3e6],  # a 2-for-1 split, then a rise by 3/2
                "filing": ["q4", "q1", "q2"],
            }
        )
        for symbol in SYMBOLS[1:]
    }


@pytest.fixture
def events(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "events.csv"
    path.write_text(EVENTS, encoding="utf-8")
    return read_events(path)


@pytest.mark.parametrize("entry", ["close_day0", "open_day1"])
@pytest.mark.parametrize("weighting", ["equal", "value"])
def test_perturbing_prices_after_each_entry_leaves_earlier_decisions_unchanged(
    events: pd.DataFrame, entry: str, weighting: str
) -> None:
    config = BacktestConfig(
        entry=entry,
        holding_days=(1, 5),
        weighting=weighting,
        positions=(("rival", "short"),),
        default_side="long",
    )
    prices = random_prices(1)
    base = backtest(events, prices, config, shares=shares())
    trades = base.trades
    assert (trades.outcome == "ok").all() and len(trades) == 14
    assert set(trades.side) == {"long", "short"}
    for n, entry_date in enumerate(sorted(trades.entry_date.unique())):
        day = int(DATES.get_loc(entry_date))
        moved = backtest(events, perturb_after(prices, day, entry, seed=n), config, shares=shares())
        decided = (trades.entry_date <= entry_date).to_numpy()
        pd.testing.assert_frame_equal(
            trades.loc[decided, DECISION].reset_index(drop=True),
            moved.trades.loc[decided, DECISION].reset_index(drop=True),
        )
        # The perturbation bites: the returns of the trades entered right then are different.
        now = (trades.entry_date == entry_date).to_numpy()
        assert not np.allclose(trades.loc[now, "ret"], moved.trades.loc[now, "ret"])
        # The equity curves agree on every day whose close is before the perturbed prices.
        for k in config.holding_days:
            before = base.curve[(base.curve.holding_days == k) & (base.curve.date < entry_date)]
            again = moved.curve[(moved.curve.holding_days == k) & (moved.curve.date < entry_date)]
            pd.testing.assert_frame_equal(before.reset_index(drop=True), again.reset_index(drop=True))


@pytest.mark.parametrize("entry", ["close_day0", "open_day1"])
def test_daily_weights_use_nothing_after_the_previous_close(events: pd.DataFrame, entry: str) -> None:
    """The weights of day t are set at the close of t-1: prices from day t on cannot move them."""
    config = BacktestConfig(entry=entry, holding_days=(5,), weighting="value")
    prices = random_prices(2)
    grid = price_grid(prices, "SPY")
    plan = plan_trades(events, grid, config, shares())
    weights, _ = daily_weights(plan.day0_index, plan.frame.weight_basis.to_numpy(float), 5, N_DAYS)
    for day in range(5, N_DAYS, 4):
        moved_prices = perturb_after(prices, day - 1, "close_day0", seed=day)
        moved = plan_trades(events, price_grid(moved_prices, "SPY"), config, shares())
        moved_weights, _ = daily_weights(
            moved.day0_index, moved.frame.weight_basis.to_numpy(float), 5, N_DAYS
        )
        np.testing.assert_array_equal(weights[day], moved_weights[day])
    assert weights.sum(axis=1).max() == pytest.approx(1.0)


def test_truncating_the_future_leaves_earlier_decisions_unchanged(events: pd.DataFrame) -> None:
    """Prices that do not exist yet cannot matter: cut every file after the entry day."""
    config = BacktestConfig(holding_days=(1,), weighting="value")
    prices = random_prices(3)
    full = backtest(events, prices, config, shares=shares()).trades
    entry_date = pd.Timestamp("2024-03-21")  # event b's entry (post-close on 03-20)
    cut = {s: f[f.date <= entry_date].reset_index(drop=True) for s, f in prices.items()}
    short = backtest(events, cut, config, shares=shares()).trades
    decided = (full.entry_date <= entry_date).to_numpy()
    assert decided.sum() == 3
    pd.testing.assert_frame_equal(
        full.loc[decided, DECISION].reset_index(drop=True),
        short.loc[decided, DECISION].reset_index(drop=True),
    )
    # Entered at the last close in the data: no exit yet.
    assert short.loc[full.entry_date == entry_date, "outcome"].tolist() == ["exit_after_data"]


@pytest.mark.parametrize("entry", ["close_day0", "open_day1"])
@pytest.mark.parametrize("weighting", ["equal", "value"])
def test_the_curve_of_a_day_is_the_same_whatever_prices_come_after_it(
    events: pd.DataFrame, entry: str, weighting: str
) -> None:
    """A trade without an exit price (past the end of the data, a delisting) was left out of the
    whole equity curve, so a day's return depended on whether prices existed after it: cutting
    the data after 2024-03-25 changed the curve of 03-13. Positions are now held up to their
    last price, and every cut leaves the days before it as they were."""
    config = BacktestConfig(
        entry=entry,
        holding_days=(1, 5, 10),
        weighting=weighting,
        positions=(("rival", "short"),),
        default_side="long",
    )
    prices = random_prices(5)
    full = backtest(events, prices, config, shares=shares())
    cuts = [DATES[i] for i in range(9, 50, 3)]
    changed = 0
    for cut in cuts:
        short = backtest(events, {s: f[f.date <= cut] for s, f in prices.items()}, config, shares=shares())
        changed += int((short.trades.outcome == "exit_after_data").any())
        for k in config.holding_days:
            again = short.curve[short.curve.holding_days == k]  # to the last day a position is held
            before = full.curve[(full.curve.holding_days == k) & full.curve.date.isin(again.date)]
            assert len(again) > 1 and again.date.max() <= cut
            pd.testing.assert_frame_equal(before.reset_index(drop=True), again.reset_index(drop=True))
            idle = full.curve[(full.curve.holding_days == k) & full.curve.date.between(again.date.max(), cut)]
            assert (idle.n_open.iloc[1:] == 0).all()  # the full curve holds nothing more until the cut
    assert changed >= 10  # most cuts leave a position open at the end of their data


def test_a_position_whose_prices_end_is_held_to_its_last_price(events: pd.DataFrame) -> None:
    """AAA's prices stop three sessions after event a's entry (a delisting): the trade has no
    5-day return, so it leaves the statistics, but the curve held it: it earns its returns up
    to its last price and 0 on the day with none (closed at the price before, where the exit
    cost falls), and is held no more after it."""
    config = BacktestConfig(holding_days=(5,), positions=(("rival", "short"),), default_side="long")
    prices = random_prices(6)
    last = DATES.get_loc(pd.Timestamp("2024-03-14"))  # entry 03-11 (day 0), held 03-12..03-18
    gone = {**prices, "AAA": prices["AAA"].iloc[: last + 1]}
    result = backtest(events, gone, config, shares=shares())
    trades = result.trades.set_index(["event_id", "ticker"])
    assert trades.loc[("a", "AAA"), "outcome"] == "no_exit_price"
    assert "held in the equity curve and the calendar-time portfolio up to its last price" in trades.loc[
        ("a", "AAA"), "note"
    ]
    assert np.isnan(trades.loc[("a", "AAA"), "net_ret"])
    curve = result.curve.set_index("date")
    adj = prices["AAA"].set_index("date")["adj_close"]
    bbb = prices["BBB"].set_index("date")["adj_close"]
    cost = config.cost
    day = pd.Timestamp("2024-03-13")  # AAA long and BBB short, half each
    expected = 0.5 * (adj[day] / adj[pd.Timestamp("2024-03-12")] - 1) - 0.5 * (
        bbb[day] / bbb[pd.Timestamp("2024-03-12")] - 1
    )
    assert curve.loc[day, "strategy_ret"] == pytest.approx(expected, abs=1e-14)
    missing = pd.Timestamp("2024-03-15")  # AAA's first day without a price: 0, and its exit cost
    expected = 0.5 * (0.0 - cost) - 0.5 * (bbb[missing] / bbb[pd.Timestamp("2024-03-14")] - 1)
    assert curve.loc[missing, "strategy_ret"] == pytest.approx(expected, abs=1e-14)
    assert curve.loc[missing, "n_open"] == 2 and curve.loc[pd.Timestamp("2024-03-18"), "n_open"] == 1


@pytest.mark.parametrize("entry", ["close_day0", "open_day1"])
@pytest.mark.parametrize("rule", ["next", "previous"])
def test_no_trade_enters_before_its_announcement_whatever_the_day0_rule(
    events: pd.DataFrame, entry: str, rule: str
) -> None:
    """Under day0_rule = previous the study's day 0 of a weekend announcement is the Friday
    before it; a trade bought at that close would come before the news with its reaction in the
    return. Close entries and the drift take the next session, with a note; an open entry,
    Monday's open, comes after the news and keeps the study's Friday."""
    config = BacktestConfig(entry=entry, holding_days=(1, 5))
    prices = random_prices(4)
    result = backtest(events, prices, config, day0_rule=rule)
    trades = result.trades
    assert (trades.outcome == "ok").all()
    announced = events.set_index(["event_id", "ticker"])
    for t in trades.itertuples(index=False):
        row = announced.loc[(t.event_id, t.ticker)]
        # The close of the entry day (or its open, the morning after) comes after the news.
        assert t.entry_date >= row.announced + pd.Timedelta(days=1 if row.timing == "post" else 0)
    weekend = trades[trades.event_id == "c"]  # Saturday 2024-03-23
    study_day = rule == "previous" and entry == "open_day1"  # Friday 03-22, bought Monday's open
    assert (weekend.day0 == pd.Timestamp("2024-03-22" if study_day else "2024-03-25")).all()
    bought = "2024-03-25" if entry == "close_day0" or study_day else "2024-03-26"
    assert (weekend.entry_date == pd.Timestamp(bought)).all()
    moved = rule == "previous" and entry == "close_day0"
    assert weekend.note.str.contains("day0_rule = previous").all() == moved
    assert not trades[trades.event_id != "c"].note.str.contains("previous").any()
    same = backtest(events, prices, config, day0_rule="next")
    pd.testing.assert_frame_equal(result.drift, same.drift)  # bought at the close of day 0
    if not study_day:
        pd.testing.assert_frame_equal(trades.drop(columns="note"), same.trades.drop(columns="note"))
        pd.testing.assert_frame_equal(result.curve, same.curve)


def test_each_moved_entry_is_noted_with_its_own_reason() -> None:
    """An announcement of unknown time on a Saturday under day0_rule = "previous" entered on the
    Monday, right, but its note blamed the unknown timing, not the previous-session rule."""
    from eventstudy.backtest.engine import PREVIOUS_SESSION_NOTE, UNKNOWN_TIMING_NOTE, trade_days_zero

    calendar = pd.bdate_range("2025-01-02", "2025-01-31")
    events = pd.DataFrame(
        {
            "announced": pd.to_datetime(["2025-01-11", "2025-01-15", "2025-01-11", "2025-01-15"]),
            "timing": ["unknown", "unknown", "pre", "pre"],
        }
    )
    zeros, notes = trade_days_zero(calendar, events, "previous", None)
    assert [z.date.strftime("%m-%d") for z in zeros] == ["01-13", "01-16", "01-13", "01-15"]
    assert notes == [PREVIOUS_SESSION_NOTE, UNKNOWN_TIMING_NOTE, PREVIOUS_SESSION_NOTE, ""]
    zeros, notes = trade_days_zero(calendar, events, "next", None)
    assert [z.date.strftime("%m-%d") for z in zeros] == ["01-13", "01-16", "01-13", "01-15"]
    assert notes == ["", UNKNOWN_TIMING_NOTE, "", ""]

"""The backtest engine on simulated prices with known drifts: every number is computed by hand.

Calendar: 30 business days from Monday 2024-01-01 (index 10 = 2024-01-15, 11 = 2024-01-16).
SPY rises 0.1% a day and opens at the previous close. From day 10 on, AAA rises 1% a day
(close 50 at day 10) and BBB falls 2% a day (close 80 at day 10); CCC stays at 20. AAA opens
2% above the previous close on day 11 (then falls back to +1% at the close).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from eventstudy.backtest.engine import backtest, daily_weights, post_announcement_bhar, price_grid
from eventstudy.backtest.rules import BacktestConfig
from eventstudy.backtest.statistics import holding_clusters
from eventstudy.backtest.tables import drift_table
from eventstudy.data.events import read_events

DATES = pd.bdate_range("2024-01-01", periods=30).astype("datetime64[ns]")
T = np.arange(30)
HEADER = "event_id,announced,timing,ticker,role,deal_usd,group,headline"


def price_frame(
    close: np.ndarray, open_: np.ndarray | None = None, adj: np.ndarray | None = None
) -> pd.DataFrame:
    close = np.asarray(close, dtype=float)
    if open_ is None:
        open_ = np.concatenate([[close[0]], close[:-1]])  # opens at the previous close
    return pd.DataFrame(
        {
            "date": DATES[: len(close)],
            "open": open_,
            "high": np.maximum(open_, close),
            "low": np.minimum(open_, close),
            "close": close,
            "adj_close": close if adj is None else adj,
            "volume": 1e6,
        }
    )


def simulated_prices() -> dict[str, pd.DataFrame]:
    spy = 100.0 * 1.001**T
    aaa = np.where(T <= 10, 50.0, 50.0 * 1.01 ** (T - 10))
    aaa_open = np.concatenate([[50.0], aaa[:-1]])
    aaa_open[11] = 51.0  # a 2% gap up at the open of day +1
    bbb = np.where(T <= 10, 80.0, 80.0 * 0.98 ** (T - 10))
    return {
        "SPY": price_frame(spy),
        "AAA": price_frame(aaa, aaa_open),
        "BBB": price_frame(bbb),
        "CCC": price_frame(np.full(30, 20.0)),
    }


def write_events(tmp_path: Path, rows: list[str]) -> pd.DataFrame:
    path = tmp_path / "events.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return read_events(path)


EVENT_ROWS = [
    "e1,2024-01-15,pre,AAA,supplier,1e9,g1,deal",
    "e1,2024-01-15,pre,BBB,rival,1e9,g1,deal",
    "e2,2024-01-15,pre,CCC,partner,,g2,other news",
]
LONG_SUPPLIER_SHORT_RIVAL = (("supplier", "long"), ("rival", "short"))


@pytest.fixture
def events(tmp_path: Path) -> pd.DataFrame:
    return write_events(tmp_path, EVENT_ROWS)


def trade(results, ticker: str, k: int) -> pd.Series:
    rows = results.trades[(results.trades.ticker == ticker) & (results.trades.holding_days == k)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_close_entry_known_drift_gives_hand_computed_bhar(events: pd.DataFrame) -> None:
    config = BacktestConfig(
        holding_days=(1, 5), cost_bps=10, positions=LONG_SUPPLIER_SHORT_RIVAL, default_side="none"
    )
    results = backtest(events, simulated_prices(), config)
    # CCC (partner) is not listed and there is no default: not traded.
    assert set(results.trades.ticker) == {"AAA", "BBB"}
    one = trade(results, "AAA", 1)
    assert one.entry_date == pd.Timestamp("2024-01-15") and one.entry_price == 50.0
    assert one.exit_date == pd.Timestamp("2024-01-16") and one.exit_price == pytest.approx(50.5)
    assert one.ret == pytest.approx(0.01, abs=1e-14)
    assert one.market_ret == pytest.approx(0.001, abs=1e-14)
    assert one.bhar == pytest.approx(0.009, abs=1e-14)
    assert one.net_ret == pytest.approx(0.01 - 0.002, abs=1e-14)  # 10 bps in, 10 bps out
    assert one.net_abnormal_ret == pytest.approx(0.007, abs=1e-14)
    five = trade(results, "AAA", 5)
    # 1.01^5 = 1.0510100501, 1.001^5 = 1.005010010005001
    assert five.ret == pytest.approx(0.0510100501, abs=1e-12)
    assert five.market_ret == pytest.approx(0.005010010005001, abs=1e-14)
    assert five.bhar == pytest.approx(0.0510100501 - 0.005010010005001, abs=1e-12)
    assert five.exit_date == pd.Timestamp("2024-01-22")


def test_short_by_role_earns_the_fall(events: pd.DataFrame) -> None:
    config = BacktestConfig(holding_days=(1,), positions=LONG_SUPPLIER_SHORT_RIVAL, default_side="none")
    short = trade(backtest(events, simulated_prices(), config), "BBB", 1)
    assert short.side == "short"
    assert short.ret == pytest.approx(-0.02, abs=1e-14)  # the stock fell 2%
    assert short.bhar == pytest.approx(-0.021, abs=1e-14)  # -2% against +0.1%
    assert short.net_ret == pytest.approx(0.02 - 0.002, abs=1e-14)
    assert short.net_abnormal_ret == pytest.approx(0.021 - 0.002, abs=1e-14)


def test_default_side_trades_every_other_role(events: pd.DataFrame) -> None:
    config = BacktestConfig(holding_days=(1,), positions=(("rival", "short"),), default_side="long")
    trades = backtest(events, simulated_prices(), config).trades.set_index("ticker")
    assert trades.side.to_dict() == {"AAA": "long", "BBB": "short", "CCC": "long"}
    # CCC is flat: raw 0, BHAR -0.1%, net -20 bps.
    assert trades.loc["CCC", "net_ret"] == pytest.approx(-0.002, abs=1e-15)


def test_costs_subtract_exactly_two_times_bps(events: pd.DataFrame) -> None:
    base = {"holding_days": (1, 3, 7), "positions": LONG_SUPPLIER_SHORT_RIVAL, "default_side": "long"}
    free = backtest(events, simulated_prices(), BacktestConfig(**base, cost_bps=0)).trades
    costly = backtest(events, simulated_prices(), BacktestConfig(**base, cost_bps=37)).trades
    np.testing.assert_allclose(free.net_ret - costly.net_ret, 2 * 0.0037, rtol=0, atol=1e-15)
    np.testing.assert_allclose(
        free.net_abnormal_ret - costly.net_abnormal_ret, 2 * 0.0037, rtol=0, atol=1e-15
    )
    np.testing.assert_allclose(costly.cost, 0.0074, rtol=0, atol=0)
    np.testing.assert_array_equal(free.ret, costly.ret)


def test_open_entry_buys_at_the_open_of_day_one(events: pd.DataFrame) -> None:
    config = BacktestConfig(entry="open_day1", holding_days=(1, 5), cost_bps=0)
    results = backtest(events, simulated_prices(), config)
    one = trade(results, "AAA", 1)
    assert one.entry_date == pd.Timestamp("2024-01-16") and one.entry_price == 51.0
    assert one.exit_date == pd.Timestamp("2024-01-16")
    assert one.ret == pytest.approx(50.5 / 51 - 1, abs=1e-14)  # the 2% gap is missed
    assert one.market_ret == pytest.approx(0.001, abs=1e-14)  # SPY opened at the previous close
    five = trade(results, "AAA", 5)
    assert five.ret == pytest.approx(1.0510100501 / 1.02 - 1, abs=1e-12)
    # Close entry over the same exit gets the gap.
    close = backtest(events, simulated_prices(), BacktestConfig(holding_days=(1,), cost_bps=0))
    assert trade(close, "AAA", 1).ret == pytest.approx(0.01, abs=1e-14)


def test_open_entry_scales_the_open_by_that_days_adjustment_factor(events: pd.DataFrame) -> None:
    """A 2% dividend goes ex on day 12: Close drops, Adj Close (total return) does not.

    Yahoo's Adj Close multiplies every close before the ex-date by 0.98. The open of day 11 is
    on the unadjusted scale, so it must be multiplied by Adj Close / Close of day 11 (= 0.98)
    before dividing into an adjusted exit: total return 50·1.01^k / 51 - 1, as without the
    dividend. Using the raw open would show the dividend as a 2% loss.
    """
    prices = simulated_prices()
    total = np.where(T <= 10, 50.0, 50.0 * 1.01 ** (T - 10))
    close = np.where(T >= 12, total * 0.98, total)  # the price drops by the dividend
    adj = total * 0.98  # closes before day 12 x 0.98, from day 12 on the close itself
    opens = prices["AAA"]["open"].to_numpy()
    prices["AAA"] = price_frame(close, opens, adj)
    config = BacktestConfig(entry="open_day1", holding_days=(1, 3), cost_bps=0)
    results = backtest(events, prices, config)
    assert trade(results, "AAA", 3).ret == pytest.approx(50 * 1.01**3 / 51 - 1, abs=1e-12)
    assert trade(results, "AAA", 3).exit_price == pytest.approx(50 * 1.01**3 * 0.98)  # raw close
    close_entry = backtest(events, prices, BacktestConfig(holding_days=(3,), cost_bps=0))
    assert trade(close_entry, "AAA", 3).ret == pytest.approx(1.01**3 - 1, abs=1e-12)
    assert trade(close_entry, "AAA", 3).entry_price == 50.0  # reported on the raw scale


def test_equity_curve_equal_weights(events: pd.DataFrame) -> None:
    config = BacktestConfig(
        holding_days=(1, 5), cost_bps=10, positions=LONG_SUPPLIER_SHORT_RIVAL, default_side="none"
    )
    curve = backtest(events, simulated_prices(), config).curve
    one = curve[curve.holding_days == 1].set_index("date")
    assert list(one.index) == [pd.Timestamp("2024-01-15"), pd.Timestamp("2024-01-16")]  # base, day +1
    assert np.isnan(one.strategy_ret.iloc[0]) and one.strategy_equity.iloc[0] == 1.0
    # Half AAA (+1% - 20 bps), half short BBB (+2% - 20 bps).
    assert one.strategy_ret.iloc[1] == pytest.approx(0.5 * 0.008 + 0.5 * 0.018, abs=1e-15)
    assert one.n_open.tolist() == [0, 2]
    assert one.market_equity.iloc[1] == pytest.approx(1.001, abs=1e-14)
    five = curve[curve.holding_days == 5]
    # Days +1..+5: AAA 1%, short BBB: 1 - 0.98^j/0.98^(j-1) = 2%; 10 bps off on days +1 and +5.
    expected = (
        0.5 * np.array([0.01, 0.01, 0.01, 0.01, 0.01]) + 0.5 * np.array([0.02] * 5) - [0.001, 0, 0, 0, 0.001]
    )
    np.testing.assert_allclose(five.strategy_ret.to_numpy()[1:], expected, rtol=0, atol=1e-14)
    assert five.strategy_equity.iloc[-1] == pytest.approx(np.prod(1 + expected), abs=1e-14)
    assert five.market_equity.iloc[-1] == pytest.approx(1.001**5, abs=1e-14)
    assert five.strategy_drawdown.max() == 0.0


def test_value_weights_use_market_value_before_the_entry(tmp_path: Path, events: pd.DataFrame) -> None:
    """AAA: 50 x 3M = $150M, BBB: 80 x 1M = $80M at the close of day -1 (2024-01-12).

    A share count dated after that close (AAA's 1B on 2024-01-16) must not be used.
    """
    shares = {
        "AAA": pd.DataFrame(
            {
                "as_of": pd.to_datetime(["2024-01-12", "2024-01-16"]),
                "shares_outstanding": [3e6, 1e9],
                "filing": ["q", "later"],
            }
        ),
        "BBB": pd.DataFrame(
            {"as_of": pd.to_datetime(["2024-01-02"]), "shares_outstanding": [1e6], "filing": ["q"]}
        ),
    }
    config = BacktestConfig(
        holding_days=(1,), weighting="value", positions=LONG_SUPPLIER_SHORT_RIVAL, default_side="none"
    )
    results = backtest(events, simulated_prices(), config, shares=shares)
    trades = results.trades.set_index("ticker")
    assert trades.loc["AAA", "weight_basis"] == pytest.approx(150e6)
    assert trades.loc["BBB", "weight_basis"] == pytest.approx(80e6)
    day1 = results.curve.strategy_ret.iloc[1]
    assert day1 == pytest.approx((150 * 0.008 + 80 * 0.018) / 230, abs=1e-15)  # 0.011478...
    # Open entry: the close before the entry session is day 0's (AAA 50, BBB 80 again).
    opened = backtest(
        events, simulated_prices(), dataclasses.replace(config, entry="open_day1"), shares=shares
    )
    assert opened.trades.set_index("ticker").loc["AAA", "mcap_prev_usd"] == pytest.approx(150e6)
    # Without a share count a value-weighted trade cannot be sized.
    missing = backtest(events, simulated_prices(), config, shares={"AAA": shares["AAA"]})
    assert missing.trades.set_index("ticker").loc["BBB", "outcome"] == "no_market_value"
    assert missing.curve.strategy_ret.iloc[1] == pytest.approx(0.008, abs=1e-15)


def test_overlapping_positions_are_averaged_day_by_day(tmp_path: Path) -> None:
    # AAA on day 0 = 10; BBB announced after the close of day 11 -> day 0 = 12.
    events = write_events(
        tmp_path,
        ["a,2024-01-15,pre,AAA,supplier,,g,x", "b,2024-01-16,post,BBB,supplier,,g,x"],
    )
    curve = backtest(events, simulated_prices(), BacktestConfig(holding_days=(3,), cost_bps=0)).curve
    by_date = curve.set_index("date")
    # Day 11, 12: AAA alone (+1%); day 13: AAA and BBB (1% and -2%); 14, 15: BBB alone.
    assert by_date.n_open.tolist() == [0, 1, 1, 2, 1, 1]
    np.testing.assert_allclose(
        by_date.strategy_ret.to_numpy()[1:], [0.01, 0.01, (0.01 - 0.02) / 2, -0.02, -0.02], rtol=0, atol=1e-14
    )
    weights, held = daily_weights(np.array([10, 12]), np.array([1.0, 1.0]), 3, 30)
    assert held[13].all() and weights[13].tolist() == [0.5, 0.5] and weights[11].tolist() == [1.0, 0.0]


def test_trades_that_run_past_the_data_are_reported_not_made(tmp_path: Path) -> None:
    events = write_events(
        tmp_path, ["late,2024-02-07,pre,AAA,supplier,,g,x", "never,2024-03-01,pre,BBB,rival,,g,x"]
    )
    trades = backtest(events, simulated_prices(), BacktestConfig(holding_days=(1, 5))).trades
    outcome = trades.set_index(["event_id", "holding_days"]).outcome
    assert outcome[("late", 1)] == "ok"  # day 27 + 1 is in the data
    assert outcome[("late", 5)] == "exit_after_data"
    assert outcome[("never", 1)] == "announced_after_data"
    assert trades.loc[trades.outcome != "ok", "net_ret"].isna().all()
    # The summary's row says how many were planned: its statistics are the survivors' alone (an
    # audit: '10 (10/0)' and p < 0.001 rested on the 10 earliest of 25 events)
    from eventstudy.backtest.report import _trades_cells
    from eventstudy.backtest.tables import summary_table

    result = backtest(events, simulated_prices(), BacktestConfig(holding_days=(1, 5)))
    summary = summary_table(result.trades, result.curve, draws=10, seed=0)
    assert _trades_cells(summary) == ["1 (1/0) of 2 planned", "0 (0/0) of 2 planned"]


def test_a_trade_without_an_entry_price_says_when_the_tickers_prices_start(tmp_path: Path) -> None:
    """A party not yet listed on the entry day read "no Open on the entry day", as a missing
    day's price does (a finder): the note says when its prices start, or that there are none."""
    prices = simulated_prices()
    late = prices["CCC"].copy()
    late.loc[:19, ["open", "high", "low", "close", "adj_close"]] = np.nan  # listed on day 20
    gap = prices["BBB"].copy()
    gap.loc[11, "open"] = np.nan  # one Open missing: announced on day 10 (pre), entered at day 11's open
    never = prices["AAA"].assign(open=np.nan)
    events = write_events(
        tmp_path,
        [
            "e1,2024-01-15,pre,AAA,supplier,,g,x",
            "e1,2024-01-15,pre,BBB,rival,,g,x",
            "e2,2024-01-15,pre,CCC,partner,,g,x",
        ],
    )
    prices = {**prices, "AAA": never, "BBB": gap, "CCC": late}
    config = BacktestConfig(holding_days=(1,), entry="open_day1")
    trades = backtest(events, prices, config).trades.set_index("ticker")
    assert (trades["outcome"] == "no_entry_price").all()
    first = DATES[20].strftime("%Y-%m-%d")
    assert trades["note"].to_dict() == {
        "AAA": "no Open on the entry day: the data hold no Open of AAA",
        "BBB": "no Open on the entry day (missing, or withheld as a data error: eventstudy validate says)",
        "CCC": f"no Open on the entry day: CCC's first Open in the data is on {first}",
    }
    # closes withheld before a jump (a split left out of close: screening) while the ticker has its
    # Adj Close: "CCC's first Close in the data is on" a day after prices it has (a re-attack)
    withheld = simulated_prices()["CCC"].copy()
    withheld.loc[:19, "close"] = np.nan
    at_close = backtest(events, {**simulated_prices(), "CCC": withheld}, BacktestConfig(holding_days=(1,)))
    ccc = at_close.trades.set_index("ticker").loc["CCC"]
    assert ccc["outcome"] == "no_entry_price"
    said = "no Close on the entry day (missing, or withheld as a data error: eventstudy validate says)"
    assert ccc["note"] == said
    exit_withheld = simulated_prices()["CCC"].copy()
    exit_withheld.loc[11:, "close"] = np.nan  # the exit's close withheld: the note said "no Close" alone
    one_day = BacktestConfig(holding_days=(1,))
    at_exit = backtest(events, {**simulated_prices(), "CCC": exit_withheld}, one_day)
    ccc = at_exit.trades.set_index("ticker").loc["CCC"]
    assert ccc["outcome"] == "no_exit_price"
    assert ccc["note"].startswith("no Close on day +1 (missing, or withheld as a data error: eventstudy")
    # an Open or a Close without the adjusted price its return starts from: the note said there was
    # no Open (or no Close) on a day that had one (a finder)
    closed = simulated_prices()["BBB"].copy()
    closed.loc[11, "close"] = np.nan  # the Open is there; Open x Adj Close / Close is not
    unadjusted = simulated_prices()["AAA"].copy()
    unadjusted.loc[10, "adj_close"] = np.nan  # day 0's Close is there, its Adj Close is not
    prices = {**simulated_prices(), "BBB": closed, "AAA": unadjusted}
    opened = backtest(events, prices, config).trades.set_index("ticker")
    assert opened.loc["BBB", "note"] == (
        "no Open on the adjusted scale on the entry day: its Adj Close or Close is missing (or withheld "
        "as a data error: eventstudy validate says)"
    )
    at_close = backtest(events, prices, BacktestConfig(holding_days=(1,))).trades.set_index("ticker")
    assert at_close.loc["AAA", "outcome"] == "no_entry_price"
    assert at_close.loc["AAA", "note"].startswith(
        "no Close on the adjusted scale on the entry day: its Adj Close is missing"
    )


def test_drift_table_matches_hand_computed_bhar(events: pd.DataFrame) -> None:
    grid = price_grid(simulated_prices(), "SPY")
    observations = post_announcement_bhar(events, grid, "SPY", (1, 5))
    one = observations[observations.k == 1].set_index("ticker").bhar
    assert one.to_dict() == pytest.approx({"AAA": 0.009, "BBB": -0.021, "CCC": -0.001}, abs=1e-14)
    table = drift_table(observations).set_index(["group", "k"])
    assert table.loc[("all", 1), "n"] == 3
    assert table.loc[("all", 1), "mean_bhar"] == pytest.approx((0.009 - 0.021 - 0.001) / 3, abs=1e-14)
    assert table.loc[("g1", 1), "mean_bhar"] == pytest.approx((0.009 - 0.021) / 2, abs=1e-14)
    assert table.loc[("g2", 1), "n"] == 1 and np.isnan(table.loc[("g2", 1), "t"])
    assert table.loc[("g1", 5), "window"] == "[+1,+5]"
    # The drift is the BHAR of a costless long close entry.
    costless = backtest(events, simulated_prices(), BacktestConfig(holding_days=(1, 5), cost_bps=0))
    np.testing.assert_allclose(
        costless.trades.sort_values(["holding_days", "ticker"]).bhar,
        observations.sort_values(["k", "ticker"]).bhar,
        rtol=0,
        atol=1e-15,
    )


def test_a_drift_group_of_one_day_has_no_test_and_one_of_two_days_the_textbook_t(tmp_path: Path) -> None:
    """The five parties of one shock day had a drift p of 0.031 (a referee): their BHARs share the
    day's news, so the group's t took one day's cross-section for independent draws."""
    grid = price_grid(simulated_prices(), "SPY")
    one_day = drift_table(post_announcement_bhar(write_events(tmp_path, EVENT_ROWS), grid, "SPY", (1,)))
    g1 = one_day.set_index("group").loc["g1"]
    assert (g1["n"], g1["n_days"]) == (2, 1)
    assert g1["mean_bhar"] == pytest.approx((0.009 - 0.021) / 2, abs=1e-14)
    assert np.isnan(g1[["t", "p", "t_sa", "p_sa", "p_boot"]].to_numpy(float)).all()
    later = [*EVENT_ROWS, "e3,2024-01-17,pre,CCC,partner,,g2,later news"]
    observations = post_announcement_bhar(write_events(tmp_path, later), grid, "SPY", (1,))
    table = drift_table(observations).set_index("group")
    assert (table.loc["all", "n"], table.loc["all", "n_days"]) == (4, 2)
    expected = stats.ttest_1samp(observations["bhar"].to_numpy(float), 0.0)
    assert table.loc["all", "t"] == pytest.approx(expected.statistic, rel=1e-12)
    assert table.loc["all", "p"] == pytest.approx(expected.pvalue, rel=1e-12)
    assert np.isnan(table.loc["g1", "t"])  # still one day


def test_trades_all_bought_at_one_session_get_no_test(tmp_path: Path) -> None:
    """The five DeepSeek trades of a study of that day alone had t_sa = +4.17, p = 0.014 in the
    trade summary, while the drift table gave the same five rows no test (a finder)."""
    from eventstudy.backtest.report import render_backtest_section

    config = BacktestConfig(holding_days=(1,), cost_bps=0)
    one_day = backtest(write_events(tmp_path, EVENT_ROWS), simulated_prices(), config)
    row = one_day.summary_table.iloc[0]
    assert row.n_trades == 3 and np.isfinite(row.mean_net_abnormal_ret)
    assert np.isnan([row.t, row.p, row.t_sa, row.p_sa, row.p_boot]).all()
    section = render_backtest_section(one_day.trades, one_day.curve, one_day.drift, one_day.metadata())
    assert "Holding 1 days: the trades' holds form one cluster (bought at one session, or holding" in section
    later = [*EVENT_ROWS, "e3,2024-01-17,pre,CCC,partner,,g2,later news"]
    two_days = backtest(write_events(tmp_path, later), simulated_prices(), config)
    row = two_days.summary_table.iloc[0]
    ok = two_days.trades[two_days.trades.outcome == "ok"]
    expected = stats.ttest_1samp(ok["net_abnormal_ret"].to_numpy(float), 0.0)
    assert row.t == pytest.approx(expected.statistic, rel=1e-12)
    assert row.p == pytest.approx(expected.pvalue, rel=1e-12)


def _chains(start: np.ndarray, end: np.ndarray, *, entry_day_held: bool = False) -> np.ndarray:
    """Connected components of the graph of holds that share a day of returns ((start, end] for
    a close entry, [start, end] for an open one), by scipy: the clusters by their definition."""
    from scipy.sparse.csgraph import connected_components

    first, last = np.asarray(start)[:, None], np.asarray(end)[:, None]
    before = (first <= last.T) if entry_day_held else (first < last.T)  # i starts before j ends
    shared = before & before.T
    return connected_components(shared, directed=False)[1]


def _clustered_by_oracle(values: np.ndarray, clusters: np.ndarray) -> tuple[float, float]:
    """statsmodels' OLS on a constant with a cluster-robust s.e., its p from t(G - 1)."""
    import statsmodels.api as sm

    fit = sm.OLS(values, np.ones_like(values)).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    t = float(fit.tvalues[0])
    return t, float(2 * stats.t.sf(abs(t), len(set(clusters)) - 1))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), min_size=1, max_size=30),
    st.booleans(),
)
def test_holding_clusters_are_the_chains_of_holds_sharing_a_day(holds, entry_day_held) -> None:
    start = np.array([a for a, _ in holds], dtype="datetime64[D]")
    end = start + np.array([length + (0 if entry_day_held else 1) for _, length in holds])
    codes = holding_clusters(start, end, entry_day_held=entry_day_held)
    expected = _chains(start, end, entry_day_held=entry_day_held)
    assert sorted(set(codes)) == list(range(len(set(expected))))  # codes 0..G-1
    assert pd.crosstab(codes, expected).gt(0).sum().eq(1).all()  # the same partition
    assert pd.crosstab(codes, expected).gt(0).sum(axis=1).eq(1).all()


def test_the_drift_and_the_trades_are_tested_with_errors_clustered_by_shared_days(tmp_path: Path) -> None:
    """The drift's and the trades' t take the parties of one session, and holds whose days
    overlap, for independent draws (a referee: at k = 20 a t clustered by session alone rejected
    a true null 14% of the time at 5%): the clustered t lets chains of holds sharing a day be
    correlated. statsmodels' cluster-robust OLS on a constant is the oracle, with t(G - 1)."""
    rng = np.random.default_rng(7)
    sessions = np.repeat(pd.bdate_range("2024-03-01", periods=5).to_numpy(), [4, 1, 3, 2, 5])
    shock = rng.normal(0, 0.03, 5)[pd.factorize(sessions)[0]]  # one session's rows share its news
    observations = pd.DataFrame(
        {"k": 1, "group": np.where(np.arange(15) < 6, "a", "b"), "day0": sessions}
    ).assign(bhar=0.004 + shock + rng.normal(0, 0.01, 15), exit_date=sessions + np.timedelta64(1, "D"))
    observations.loc[3, ["bhar", "exit_date"]] = np.nan, pd.NaT  # left out
    table = drift_table(observations).set_index("group")
    for name, rows in (("all", observations), ("a", observations[observations.group == "a"])):
        kept = rows[rows["bhar"].notna()]
        oracle = _clustered_by_oracle(kept["bhar"].to_numpy(float), pd.factorize(kept["day0"])[0])
        assert tuple(table.loc[name, ["t_cluster", "p_cluster"]]) == pytest.approx(oracle, rel=1e-10)
    assert table.loc["all", "n_clusters"] == table.loc["all", "n_days"] == 5  # one day's holds: apart
    assert abs(table.loc["all", "t"]) > 1.3 * abs(table.loc["all", "t_cluster"])  # the shared news
    one = drift_table(observations[observations["day0"] == sessions[0]])
    assert np.isnan(one[["t_cluster", "p_cluster"]].to_numpy(float)).all()
    longer = observations.assign(exit_date=sessions + np.timedelta64(4, "D"))  # (03-01, 03-05] overlaps 03-04
    table = drift_table(longer).set_index("group")
    assert (table.loc["all", "n_days"], table.loc["all", "n_clusters"]) == (5, 1)
    # one chain of five sessions' rows sharing days: no test at all (a referee: two sessions three
    # days apart held 20 days, t rejected a true null 29% of the time at 5%)
    assert np.isnan(table.loc["all", ["t", "p", "t_sa", "p_sa", "p_boot", "t_cluster", "p_cluster"]]).all()

    later = [*EVENT_ROWS, "e3,2024-01-17,pre,CCC,partner,,g2,news", "e4,2024-01-19,pre,AAA,supplier,,g1,x"]
    for entry in ("close_day0", "open_day1"):
        config = BacktestConfig(holding_days=(2, 3), entry=entry)
        results = backtest(write_events(tmp_path, later), simulated_prices(), config)
        summary = results.summary_table.set_index("holding_days")
        ok = results.trades[(results.trades.outcome == "ok") & (results.trades.holding_days == 2)]
        held = entry == "open_day1"
        chains = _chains(ok["entry_date"].to_numpy(), ok["exit_date"].to_numpy(), entry_day_held=held)
        assert len(set(chains)) == summary.loc[2, "n_clusters"] == ok["entry_date"].nunique() == 3
        oracle = _clustered_by_oracle(ok["net_abnormal_ret"].to_numpy(float), chains)
        assert tuple(summary.loc[2, ["t_cluster", "p_cluster"]]) == pytest.approx(oracle, rel=1e-10)
        assert f"{summary.loc[2, 'p_cluster']:.3f}" in str(results.summary())
        # held three days, each session's holds overlap the next's: one chain, no test at all
        assert summary.loc[3, "n_clusters"] == 1 and summary.loc[3, "n_sessions"] == 3
        assert np.isnan(summary.loc[3, ["t", "p", "t_sa", "p_sa", "p_boot", "t_cluster", "p_cluster"]]).all()


def test_a_drift_table_without_the_clustered_t_says_it_has_none(tmp_path: Path) -> None:
    """An older version's drift.parquet (n_days, no clustered t; or neither) renders with dashes
    in their place and says what it lacks (a referee: a dash alone read as one session)."""
    from eventstudy.backtest.report import _drift_lines

    later = [*EVENT_ROWS, "e3,2024-01-17,pre,CCC,partner,,g2,later news"]
    grid = price_grid(simulated_prices(), "SPY")
    drift = drift_table(post_announcement_bhar(write_events(tmp_path, later), grid, "SPY", (1,)))
    now = "\n".join(_drift_lines(drift, "SPY"))
    assert "t (clustered) clusters the standard error by chains of rows that share a day" in now
    clustered = ["n_clusters", "t_cluster", "p_cluster"]
    older = "\n".join(_drift_lines(drift.drop(columns=clustered), "SPY"))
    assert "an older version's, has no clustered test)" in older
    row = next(line for line in older.splitlines() if line.startswith("| all |"))
    assert row.endswith("| 0.583 | — | — | — | — | 25% |") and "| 4 | 2 |" in row  # no bootstrap below 12
    n, t, p = drift.set_index("group").loc["all", clustered]
    assert n == 2 and f"| 0.583 | — | 2 | {t:+.2f} | {p:.3f} | 25% |" in now
    oldest = "\n".join(_drift_lines(drift.drop(columns=["n_days", *clustered]), "SPY"))
    assert "does not count the sessions and has no clustered test)" in oldest


def test_the_rule_sentence_escapes_a_role_for_markdown(tmp_path: Path) -> None:
    """A role '_buyer_' (the role grammar allows it) read in the markdown as emphasis: 'short buyer'
    where the Trades table beside it showed \\_buyer\\_ (a finder)."""
    from eventstudy.backtest.report import render_backtest_section

    rows = [row.replace(",rival,", ",_buyer_,") for row in EVENT_ROWS]
    config = BacktestConfig(holding_days=(1,), positions=(("_buyer_", "short"),), default_side="long")
    results = backtest(write_events(tmp_path, rows), simulated_prices(), config, study_name="sim")
    section = render_backtest_section(results.trades, results.curve, results.drift, results.metadata())
    assert "Rule: enter at the close of day 0; short \\_buyer\\_ / long every other role;" in section
    assert "short _buyer_ / long every other role" in config.describe()  # plain text elsewhere
    # and the method's market symbol (A._B_.C read as emphasis; a re-attack)
    metadata = {**results.metadata(), "market": "A._B_.C"}
    method = render_backtest_section(results.trades, results.curve, results.drift, metadata)
    assert "A.\\_B\\_.C is bought and held" in method and "A._B_.C" not in method


def test_summary_and_text(events: pd.DataFrame) -> None:
    config = BacktestConfig(holding_days=(1,), positions=LONG_SUPPLIER_SHORT_RIVAL, default_side="none")
    results = backtest(events, simulated_prices(), config, study_name="sim")
    row = results.summary_table.iloc[0]
    assert (row.n_trades, row.n_long, row.n_short) == (2, 1, 1)
    assert row.mean_net_abnormal_ret == pytest.approx((0.007 + 0.019) / 2, abs=1e-14)
    assert row.hit_rate == 1.0
    assert row.total_return == pytest.approx(0.013, abs=1e-14)
    assert row.market_total_return == pytest.approx(0.001, abs=1e-14)
    text = str(results.summary())
    assert "short rival" in text and "sim" in text
    # one holding period of one day is a day, not "1 trading days"; several are days
    assert "hold 1 trading day;" in text
    assert "hold 1, 5 trading days;" in dataclasses.replace(config, holding_days=(1, 5)).describe()
    assert "Calendar-time" not in text  # no regressions asked for: no section
    # the share of sessions invested and the market held on them only, printed and published
    assert row.share_days_invested == 1.0  # one trading day, held
    head, cells = text.splitlines()[-2:]
    assert head.split()[-4:] == ["inv", "SPY*", "Sh", "SPY*"]
    assert cells.split()[-3:] == ["100%", "—", "+0.1%"]  # no Sharpe of one day; SPY's +0.1% that day
    assert row.matched_market_total_return == pytest.approx(0.001, abs=1e-14)
    from eventstudy.backtest.report import render_backtest_section

    section = render_backtest_section(results.trades, results.curve, results.drift, results.metadata())
    header = "| hold (days) | portfolio | days invested | Sharpe | max drawdown | total return | period |"
    assert header in section
    assert "| 1 | strategy | 100% | — | 0.0% | +1.3% | 2024-01-15 – 2024-01-16 |" in section
    assert "| 1 | SPY on the strategy's days | 100% | — | 0.0% | +0.1% | 2024-01-15 – 2024-01-16 |" in section
    assert "| 1 | SPY held | 100% | — | 0.0% | +0.1% | 2024-01-15 – 2024-01-16 |" in section
    # a results object as the study's is (a finder's notebook got a 4,148-character repr and no
    # HTML or LaTeX): a short repr, and the summary's table in each format
    shown = f"<BacktestResults 'sim': {config.describe()}; 2 trades a holding period, market SPY>"
    assert repr(results) == shown
    summary = results.summary()
    (caption, table), = summary.tables
    assert caption == "Holding periods" and table.iloc[0, :2].tolist() == ["1", "2"]
    assert table.iloc[0]["mean abn"] == f"{row.mean_net_abnormal_ret:+.2%}"
    assert f"<td>{row.mean_net_abnormal_ret:+.2%}</td>" in summary._repr_html_()
    # the columns' legend in every format, not the text's alone (a finder's notebook)
    assert "<tr><th>SPY*</th><td>SPY on those sessions</td></tr>" in summary._repr_html_()
    assert "share of sessions with a position" in summary.as_latex()
    latex = summary.as_latex()
    assert "\\begin{table}" in latex and f"{row.mean_net_abnormal_ret:+.2%}".replace("%", "\\%") in latex


def test_the_summary_sets_the_strategy_beside_the_market_held_on_its_own_days() -> None:
    """A referee: the strategy, invested on 6% of the launch's sessions, was compared with SPY held
    on every one (Sharpe, drawdown, total return of unlike exposures). The summary adds the share
    of sessions invested and the market held on those sessions only, in cash on the others."""
    from eventstudy.backtest.tables import summary_table

    market = [np.nan, 0.01, 0.02, -0.03, 0.005, 0.04]  # the base row first: no return
    curve = pd.DataFrame(
        {
            "holding_days": 1,
            "date": pd.bdate_range("2025-01-02", periods=6),
            "n_open": [0, 1, 0, 2, 0, 1],
            "strategy_ret": [np.nan, 0.02, 0.0, -0.01, 0.0, 0.01],
            "strategy_equity": np.cumprod([1.0, 1.02, 1.0, 0.99, 1.0, 1.01]),
            "market_ret": market,
            "market_equity": np.cumprod([1.0, *(1.0 + np.array(market[1:]))]),
        }
    )
    trades = pd.DataFrame(
        {"holding_days": 1, "outcome": "ok", "side": "long", "ret": [0.02, -0.01, 0.01]}
    ).assign(net_ret=lambda f: f.ret, bhar=[0.01, 0.02, -0.03], net_abnormal_ret=[0.01, 0.02, -0.03])
    trades["entry_date"] = pd.bdate_range("2025-01-02", periods=6)[[0, 2, 4]]
    trades["exit_date"] = pd.bdate_range("2025-01-02", periods=6)[[1, 3, 5]]
    trades["entry"] = "close"
    row = summary_table(trades, curve, draws=10).iloc[0]
    assert row.share_days_invested == 3 / 5
    matched = np.array([0.01, 0.0, -0.03, 0.0, 0.04])  # the market on the days invested, else cash
    assert row.matched_market_total_return == pytest.approx(1.01 * 0.97 * 1.04 - 1.0, abs=1e-15)
    sharpe = np.sqrt(252) * matched.mean() / matched.std(ddof=1)
    assert row.matched_market_sharpe == pytest.approx(sharpe, abs=1e-12)
    assert row.matched_market_max_drawdown == pytest.approx(0.97 - 1.0, abs=1e-15)  # 1.01 to 1.01 x 0.97
    # the market held every day, as before
    assert row.market_total_return == pytest.approx(1.01 * 1.02 * 0.97 * 1.005 * 1.04 - 1.0, abs=1e-15)
    # a ruined strategy holds nothing from the day after its ruin, whatever n_open says (a referee)
    ruined = curve.assign(n_open=[0, 1, 1, 1, 1, 1], strategy_equity=[1.0, 1.02, 0.0, 0.0, 0.0, 0.0])
    row = summary_table(trades, ruined, draws=10).iloc[0]
    assert row.share_days_invested == 2 / 5  # the day of the ruin is invested, the three after it not
    assert row.matched_market_total_return == pytest.approx(1.01 * 1.02 - 1.0, abs=1e-15)
    # the method says what it matches: the night before an open entry only where there is one, and
    # why the mean trade and the curve can differ in sign (a referee)
    from eventstudy.backtest.report import _method

    night = "an open entry's first session included, whose night the strategy did not hold"
    for entry in ("close_day0", "open_day1"):
        said = " ".join(_method(BacktestConfig(entry=entry), "SPY", {}, "SPY"))
        assert (night in said) is (entry == "open_day1")
        assert "so the mean trade and the curve's total return can differ in sign" in said
        assert "matched in days invested, not in beta or volatility" in said


def test_a_row_with_its_own_market_is_measured_and_labelled_against_it(tmp_path: Path) -> None:
    """events.csv's `market` is the row's benchmark in the trades and the drift, and the text
    names it (it used to say SPY for every trade)."""
    from eventstudy.backtest.report import render_backtest_section

    path = tmp_path / "events.csv"
    path.write_text(
        f"{HEADER},market\ne1,2024-01-15,pre,AAA,supplier,1e9,g1,deal,CCC\ne1,2024-01-15,pre,BBB,rival,1e9,g1,deal,\n"
    )
    results = backtest(read_events(path), simulated_prices(), BacktestConfig(holding_days=(1,)))
    trades = results.trades.set_index("ticker")
    assert trades.benchmark.to_dict() == {"AAA": "CCC", "BBB": "SPY"}
    assert trades.loc["AAA", "bhar"] == pytest.approx(0.01, abs=1e-14)  # CCC is flat
    assert trades.loc["BBB", "bhar"] == pytest.approx(-0.021, abs=1e-14)
    drift = results.drift.set_index(["group", "k"])
    assert drift.loc[("all", 1), "mean_bhar"] == pytest.approx((0.01 - 0.021) / 2, abs=1e-14)
    text = render_backtest_section(results.trades, results.curve, results.drift, results.metadata())
    assert "Benchmark: SPY, or the row's own `market` in the events file (CCC for 1 row)" in text
    assert "R_m the return of the benchmark, SPY, or the row's own `market`" in text
    # the console said "market proxy SPY" alone beside the net abnormal returns (a referee)
    said = "side x BHAR - costs, BHAR against SPY, or the row's own market (CCC for 1 row)"
    text = str(results.summary())
    assert said in text
    # both trades bought at one session: the console says why its row has no test, as backtest.md
    assert "Holding 1 days: the trades' holds form one cluster (bought at one session" in text
    assert dict(results.summary().info)["Net abnormal return"] == said


def test_the_market_proxy_as_a_party_is_neither_traded_nor_in_the_drift(tmp_path: Path) -> None:
    """Its BHAR against itself is 0 by construction: the study leaves it out of every statistic,
    and so do the trades' summary and the drift (n was 3 here, with a mean pulled toward 0)."""
    events = write_events(tmp_path, [*EVENT_ROWS[:2], "e1,2024-01-15,pre,SPY,supplier,1e9,g1,deal"])
    results = backtest(events, simulated_prices(), BacktestConfig(holding_days=(1,)))
    spy = results.trades[results.trades.ticker == "SPY"].iloc[0]
    assert spy.outcome == "market_proxy" and np.isnan(spy.net_ret) and "its own benchmark" in spy.note
    assert results.summary_table.iloc[0].n_trades == 2
    assert results.summary_table.iloc[0].n_not_traded == 0  # nor planned: backtest.md said "2 of 3 planned"
    drift = results.drift.set_index(["group", "k"])
    assert drift.loc[("all", 1), "n"] == 2
    assert drift.loc[("all", 1), "mean_bhar"] == pytest.approx((0.009 - 0.021) / 2, abs=1e-14)


def test_compound_stops_at_ruin() -> None:
    from eventstudy.backtest.statistics import compound

    equity, earned = compound(np.array([np.nan, 0.1, -1.5, -2.0, np.nan, 0.3]))
    np.testing.assert_array_equal(equity, [1.0, 1.1, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(earned, [np.nan, 0.1, -1.5, 0.0, np.nan, 0.0])
    equity, earned = compound(np.array([np.nan, 0.1, -0.5]))
    np.testing.assert_allclose(equity, [1.0, 1.1, 0.55], rtol=1e-15)


def test_costs_beyond_the_capital_ruin_the_curve_once_and_for_all(events: pd.DataFrame) -> None:
    """10,000 bps a side takes a day's return below -100%: the bare product went negative, then
    positive again after the next losing day (a loss reported as a gain)."""
    from eventstudy.backtest.report import render_backtest_section

    config = BacktestConfig(holding_days=(1, 3), cost_bps=10_000, default_side="long")
    results = backtest(events, simulated_prices(), config)
    for k, path in results.curve.groupby("holding_days"):
        equity = path.strategy_equity.to_numpy()
        assert (equity >= 0).all()
        assert (equity[np.argmax(equity == 0) :] == 0).all() and equity[-1] == 0, k
    summary = results.summary_table.set_index("holding_days")
    assert (summary.total_return == -1.0).all() and (summary.max_drawdown == -1.0).all()
    text = render_backtest_section(results.trades, results.curve, results.drift, results.metadata())
    assert "Holding 3 days, the strategy lost all its capital on 2024-01-16" in text


def test_the_drift_names_the_benchmarks_of_parties_the_rule_does_not_trade(tmp_path: Path) -> None:
    """The drift covers every party; its text took the benchmarks from the trades alone."""
    from eventstudy.backtest.report import render_backtest_section

    path = tmp_path / "events.csv"
    path.write_text(
        f"{HEADER},market\ne1,2024-01-15,pre,AAA,supplier,1e9,g1,deal,\n"
        "e1,2024-01-15,pre,CCC,partner,1e9,g1,deal,BBB\n"
    )
    rule = BacktestConfig(holding_days=(1,), positions=(("supplier", "long"),), default_side="none")
    results = backtest(read_events(path), simulated_prices(), rule)
    assert results.trades.ticker.tolist() == ["AAA"]
    drift = results.drift_observations
    one = drift[drift.k == 1].set_index("ticker")
    assert one.loc["CCC", "benchmark"] == "BBB" and one.loc["CCC", "bhar"] == pytest.approx(0.02, abs=1e-14)
    text = render_backtest_section(results.trades, results.curve, results.drift, results.metadata())
    assert "Benchmark: SPY bought and held" in text  # the one trade's
    assert "of day 0, against SPY, or the row's own `market` in the events file (BBB for 1 row)" in text


def test_previous_rule_with_a_bound_trades_what_the_study_keeps(tmp_path: Path) -> None:
    """Under day0_rule = previous and day0_max_shift = 1, Sunday 01-14 has no day 0 in the study
    (Friday is two days away): it used to be traded on Monday with a note about the study's day
    0. Saturday 01-13 has Friday in the study and trades on Monday, two days on."""
    events = write_events(
        tmp_path, ["sun,2024-01-14,pre,AAA,supplier,,g,x", "sat,2024-01-13,pre,BBB,supplier,,g,x"]
    )
    rule = BacktestConfig(holding_days=(1,))
    results = backtest(events, simulated_prices(), rule, day0_rule="previous", day0_max_shift=1)
    trades = results.trades.set_index("event_id")
    assert trades.loc["sun", "outcome"] == "day0_shift_too_large"
    assert "day0_rule = previous" not in trades.loc["sun", "note"]
    assert trades.loc["sat", "outcome"] == "ok"
    assert trades.loc["sat", "day0"] == pd.Timestamp("2024-01-15")
    assert "day0_rule = previous" in trades.loc["sat", "note"]


@pytest.mark.parametrize("entry", ["close_day0", "open_day1"])
def test_a_trade_of_unknown_timing_enters_after_the_announcement_day(tmp_path: Path, entry: str) -> None:
    """The study's day 0 of an unknown timing on a session is that session (its AR holds the
    reaction whenever the news came); the trade bought at its close, before news that came after
    the close, and held the reaction (an audit: +35.75% against -6.43% as post). A close entry
    now trades as a post announcement would, with a note; an open entry, the morning after,
    comes after the news anyway and keeps day 0; a pre announcement keeps it too."""
    events = write_events(
        tmp_path,
        [
            "u,2024-01-15,unknown,AAA,supplier,,g,x",
            "p,2024-01-15,pre,BBB,supplier,,g,x",
            "last,2024-02-09,unknown,CCC,supplier,,g,x",  # the last session of the data
        ],
    )
    rule = BacktestConfig(holding_days=(1,), entry=entry)
    trades = backtest(events, simulated_prices(), rule).trades.set_index("event_id")
    close = entry == "close_day0"
    assert trades.loc["u", "day0"] == pd.Timestamp("2024-01-16" if close else "2024-01-15")
    assert trades.loc["p", "day0"] == pd.Timestamp("2024-01-15")
    assert trades.loc["u", "outcome"] == "ok"
    moved = "its timing is unknown, so the news may have come after" in trades.loc["u", "note"]
    assert moved == close and "unknown" not in trades.loc["p", "note"]
    # AAA closes 50 * 1.01**(t - 10): bought at the close of day 11 (close entry) or at the open
    # of day 11, 2% above day 10's close (open entry), sold at the close of the next day.
    assert trades.loc["u", "ret"] == pytest.approx(0.01 if close else 50 * 1.01 / 51 - 1, abs=1e-12)
    assert trades.loc["u", "entry_date"] == pd.Timestamp("2024-01-16")
    # Unknown on the last session: no later session to buy at the close of; the next open is
    # after the data either way.
    assert trades.loc["last", "outcome"] == "entry_after_data"
    if close:
        assert trades.loc["last", "note"].startswith("the trade would enter at the session after the")


def test_the_console_summary_shows_a_dash_where_there_is_no_number(tmp_path: Path) -> None:
    """One trade has no t, no skewness-adjusted t and no Sharpe of a one-day curve: the console
    printed them as +nan (backtest.md shows a dash)."""
    events = write_events(tmp_path, ["e1,2024-01-15,pre,AAA,supplier,1e9,g1,deal"])
    summary = str(backtest(events, simulated_prices(), BacktestConfig(holding_days=(1,))).summary())
    row = summary.splitlines()[-1].split()
    assert "nan" not in summary.lower()
    assert row[:2] == ["1", "1"] and row[4:11] == ["—", "—", "—", "1", "—", "100%", "100%"]
    assert row[13] == "0.0%"  # the winning trade's curve never fell: its drawdown read "+0.0%"
    assert float(row[2].rstrip("%")) == pytest.approx(100 * (0.01 - 0.002), abs=0.005)  # +1% less 20 bps


def test_the_console_summary_says_why_it_has_no_trade(events: pd.DataFrame, tmp_path: Path) -> None:
    """A rule trading no role printed a header without rows (backtest.md said why); a rule whose
    trades all fail printed rows of 0 trades: the summary says which, as backtest.md does."""
    nothing = BacktestConfig(holding_days=(1,), positions=(("supplier", "none"),), default_side="none")
    summary = str(backtest(events, simulated_prices(), nothing).summary())
    assert "The rule plans no trade (no (event, party) has a role it trades)" in summary
    assert "mean net" not in summary  # no header over no row
    late = write_events(tmp_path, ["e1,2031-01-15,pre,AAA,supplier,1e9,g1,deal"])
    failed = str(backtest(late, simulated_prices(), BacktestConfig(holding_days=(1,))).summary())
    assert "No trade could be made" in failed and "plans no trade" not in failed
    why = "(the planned trades' outcomes: {}; the trades table's notes say why)"
    assert why.format("announced_after_data 1") in failed
    # a party that is its own benchmark is never planned ("no entry and exit price", then "the
    # planned trades' outcomes: market_proxy 8", were the wrong whys: a finder's re-attack)
    proxy = write_events(tmp_path, ["e1,2024-01-15,pre,SPY,supplier,1e9,g1,deal"])
    own = str(backtest(proxy, simulated_prices(), BacktestConfig(holding_days=(1,))).summary())
    assert "The rule plans no trade (each (event, party) it would trade is its own benchmark" in own
    assert "market_proxy" not in own
    assert failed.splitlines()[-1].split()[:2] == ["1", "0"]  # the row of the holding period stays


def test_the_printed_summary_cells_fit_and_show_no_sign_of_zero() -> None:
    """A finder: a total of -1e-5 printed "-0.0%", and a holding period of 1000 days pushed its
    row one character right of the header (the k column was 3 wide)."""
    from eventstudy.backtest.engine import _aligned, _cell

    assert [_cell(v, "+.1%") for v in (-1e-5, 1e-5, 0.0, -0.0004, -0.0006, np.nan)] == [
        "0.0%", "0.0%", "0.0%", "0.0%", "-0.1%", "—"
    ]
    assert _cell(-0.004, "+.2f") == "0.00" and _cell(0.2, "+.2f") == "+0.20"
    lines = _aligned(["k", "total", "model"], [["1000", "+1.0%", "capm"], ["5", "0.0%", "ff3"]], [3, 6, -4])
    assert lines == ["   k  total model", "1000  +1.0% capm ", "   5   0.0% ff3  "]


def test_a_holding_period_without_a_completed_trade_says_why_beside_one_with_trades() -> None:
    """Announced two days before the data end: k = 1 had its trades, k = 5 none, yet its row
    showed a drawdown and total return of the open positions without the note that only a study
    with no trade in any period got (a finder)."""
    from eventstudy.backtest.tables import no_trade_notes

    summary = pd.DataFrame({"holding_days": [1, 5, 10], "n_trades": [3, 0, 0]})
    outcomes = ["ok", "exit_after_data", "exit_after_data"]
    trades = pd.DataFrame({"holding_days": [1, 5, 10], "outcome": outcomes})
    curve = pd.DataFrame({"holding_days": [1, 5, 10], "strategy_ret": [0.01, -0.01, 0.0]})
    notes = no_trade_notes(summary, trades, curve)
    assert notes[0].startswith("Holding 5 days: no trade was completed (no planned trade has both an entry ")
    assert "positions entered and still open at the end of the data" in notes[0]
    assert notes[1].startswith("Holding 10 days: no trade could be made (the planned trades' outcomes: ")
    assert len(notes) == 2
    assert no_trade_notes(summary.assign(n_trades=[3, 1, 2]), trades, curve) == ()
    every = no_trade_notes(summary.assign(n_trades=0), trades, curve)
    assert len(every) == 1 and every[0].startswith("No trade was completed")

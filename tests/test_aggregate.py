"""Cross-event statistics of the launch study, checked against the per-pair results."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.aggregate import cross_event_statistics, event_panel, groups, value_per_deal_rows
from eventstudy.config import StudyConfig, load_config, window_label
from eventstudy.data.events import read_events
from eventstudy.data.store import PriceStore
from eventstudy.estimate import PairEstimates, estimate
from eventstudy.inference.bootstrap import bootstrap_t_test
from eventstudy.models import MarketModel
from eventstudy.peers import add_peers
from eventstudy.study import run_study
from eventstudy.timeline.returns import ReturnsPanel, simple_returns

ROOT = Path(__file__).resolve().parents[1]
WINDOWS = StudyConfig().event_windows  # launch.toml's windows are the defaults


@pytest.fixture(scope="module")
def launch(launch_cache: Path):
    store = PriceStore(launch_cache)
    events = read_events(ROOT / "events.csv")
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None)
    results = run_study(events, store, config, peers=()).estimates
    shares = {t: store.read_shares(t) for t in events["ticker"].unique()}
    return (
        results,
        shares,
        cross_event_statistics(results, event_panel(results), WINDOWS, bootstrap_draws=199, seed=3),
    )


def stat(table: pd.DataFrame, group: str, window: str, name: str) -> pd.Series:
    return table[(table.group == group) & (table.window == window) & (table.statistic == name)].iloc[0]


def test_panel_matches_the_study(launch) -> None:
    results, _shares, _ = launch
    panel = event_panel(results)
    assert panel.n_pairs == 25
    np.testing.assert_allclose(
        panel.car(-1, 1), results.car[results.car.window == "[-1,+1]"]["car"], rtol=1e-12
    )
    np.testing.assert_allclose(
        np.sqrt(panel.car_variance(-1, 1)), results.car[results.car.window == "[-1,+1]"]["car_se"], rtol=1e-12
    )


def test_caar_and_cross_sectional_t_from_car_table(launch) -> None:
    results, _, table = launch
    for group in ("all", "openai-compute", "shock"):
        car = results.car[
            (results.car.window == "[0,0]") & ((results.car.group == group) | (group == "all"))
        ]["car"]
        n = len(car)
        t = car.mean() / (car.std(ddof=1) / np.sqrt(n))
        assert stat(table, group, "[0,0]", "caar").value == pytest.approx(car.mean(), rel=1e-12)
        row = stat(table, group, "[0,0]", "cross_sectional_t")
        assert (row.value, row.n) == (pytest.approx(t, rel=1e-12), n)
        assert row.p == pytest.approx(2 * stats.t.sf(abs(t), n - 1), rel=1e-9)
    assert stat(table, "shock", "[0,0]", "cross_sectional_t").n == 5


def test_value_per_deal_dollar_counts_each_deal_once(launch) -> None:
    results, _, table = launch
    car = results.car[(results.car.window == "[0,0]") & (results.car.group == "openai-compute")]
    deals = (
        car.dropna(subset=["deal_usd"])
        .groupby("event_id")
        .agg(value=("abnormal_value_usd", "sum"), deal=("deal_usd", "first"))
    )
    # Stargate has three listed parties and one $500B deal: the deal is counted once.
    assert deals.loc["stargate-launch", "deal"] == 500e9
    expected = deals["value"].sum() / deals["deal"].sum()
    assert stat(table, "openai-compute", "[0,0]", "value_per_deal_dollar").value == pytest.approx(expected)
    assert stat(table, "openai-compute", "[0,0]", "total_deal_usd").value == pytest.approx(1194.5e9)
    assert np.isnan(stat(table, "shock", "[0,0]", "value_per_deal_dollar").value)


def test_value_per_deal_counts_complete_deals_once_and_drops_peers() -> None:
    car = pd.DataFrame(
        {
            "window": "[0,0]",
            "event_id": ["a", "a", "b", "b", "c", "d", "a"],
            "role": ["x", "y", "x", "y", "x", "x", "peer"],
            "abnormal_value_usd": [1e9, 2e9, 4e9, np.nan, 8e9, 16e9, 32e9],
            "deal_usd": [np.nan, 10e9, 20e9, 20e9, np.nan, 40e9, 99e9],
        }
    )
    # a: 3e9 on its 10e9 deal (the first size given); b: a party without a value; c: no deal
    # size; d: 16e9 on 40e9; the peer's 32e9 is no party's value.
    rows = {row["statistic"]: row for row in value_per_deal_rows(car, "g")}
    assert rows["total_abnormal_value_usd"]["value"] == 19e9 and rows["total_deal_usd"]["value"] == 50e9
    assert rows["value_per_deal_dollar"]["value"] == 19e9 / 50e9 and rows["value_per_deal_dollar"]["n"] == 2


def test_every_window_gets_its_value_per_deal_rows_even_without_events() -> None:
    """A window all of whose rows left as confounded had no value-per-deal rows at all, while a
    window with no qualifying event had NaN rows with n = 0: one schema for both."""
    car = pd.DataFrame(
        {
            "window": ["[0,0]"],
            "event_id": ["a"],
            "role": ["supplier"],
            "abnormal_value_usd": [3e9],
            "deal_usd": [1e10],
        }
    )
    rows = value_per_deal_rows(car, "g", ["[0,0]", "[-1,+1]"])
    by = {(r["window"], r["statistic"]): r for r in rows}
    assert by[("[0,0]", "value_per_deal_dollar")]["value"] == 0.3
    empty = by[("[-1,+1]", "value_per_deal_dollar")]
    assert empty["n"] == 0 and np.isnan(empty["value"])
    for total in ("total_abnormal_value_usd", "total_deal_usd"):  # no event: no measured zero
        assert by[("[-1,+1]", total)]["n"] == 0 and np.isnan(by[("[-1,+1]", total)]["value"])
    assert len(value_per_deal_rows(car, "g")) == 3  # the windows of car by default


def test_value_per_deal_equals_the_pandas_groupby_to_the_bit() -> None:
    """The oracle is the groupby the function replaced: sum with min_count (NaN when a party has
    no value), the first non-missing deal size, complete events only, totals in event order."""
    rng = np.random.default_rng(16)
    for _ in range(25):  # the pandas oracle is slow (its cost is why the function has its own code)
        n = int(rng.integers(0, 30))
        car = pd.DataFrame(
            {
                "window": rng.choice(["[0,0]", "[-1,+1]"], n),
                "event_id": rng.choice(["e1", "e2", "e3", "e4", "e5"], n),
                "role": rng.choice(["peer", "supplier", "buyer"], n),
                "abnormal_value_usd": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0.0, 1e9, n)),
                "deal_usd": np.where(rng.random(n) < 0.4, np.nan, rng.choice([1e9, 2.5e9, 3.3e9], n)),
            }
        )
        rows = value_per_deal_rows(car, "g")
        for window, part in car.groupby("window", sort=False):
            part = part[part["role"] != "peer"]
            complete = (
                part.groupby("event_id", sort=False)
                .agg(
                    value=("abnormal_value_usd", lambda v: v.sum(min_count=len(v))),
                    deal=("deal_usd", "first"),
                )
                .dropna()
            )
            mine = {r["statistic"]: r for r in rows if r["window"] == window}
            empty = np.nan if complete.empty else 0.0  # a sum over no event is not computable
            for total, column in (("total_abnormal_value_usd", "value"), ("total_deal_usd", "deal")):
                np.testing.assert_equal(mine[total]["value"], float(complete[column].sum()) + empty)
            assert mine["total_deal_usd"]["n"] == len(complete)


def test_statistics_are_reproducible(launch) -> None:
    results, _shares, table = launch
    again = cross_event_statistics(results, event_panel(results), WINDOWS, bootstrap_draws=199, seed=3)
    pd.testing.assert_frame_equal(table, again)
    assert list(table.columns) == [
        "group", "window", "statistic", "value", "p", "n", "reference", "p_bh", "p_holm"
    ]
    assert table["reference"].str.len().min() > 5


def test_twins_keep_their_value_per_deal_rows_whatever_statistics_are_chosen(launch) -> None:
    """With statistics = ["patell_z"] (none of the twins' paper-table tests) the twin groups lost
    their value-per-deal rows too."""
    results, _, _ = launch
    panel = event_panel(results)
    table = cross_event_statistics(results, panel, WINDOWS, statistics=["patell_z"], bootstrap_draws=9)
    twins = table[table["group"].str.endswith("(unconfounded)")]
    assert set(twins["statistic"]) == {"value_per_deal_dollar", "total_abnormal_value_usd", "total_deal_usd"}
    assert set(twins["group"]) >= {"openai-compute (unconfounded)", "all (unconfounded)"}


def test_caar_band_brackets_the_mean_path_and_is_reproducible(launch) -> None:
    from eventstudy.aggregate import caar_bands

    results, _shares, _ = launch
    bands = caar_bands(results, event_panel(results), draws=199, seed=5)
    shock = bands[bands.group == "shock"].set_index("tau")
    car = results.ar[results.ar.event_id == "deepseek-r1"].pivot(index="tau", columns="ticker", values="car")
    np.testing.assert_allclose(shock["caar"], car.mean(axis=1), rtol=1e-12)
    assert (shock["n"] == 5).all() and (shock["draws"] == 199).all()
    # The five DeepSeek CARs at tau=0 range from -13.9% to -10.9%: resampled means stay inside,
    # so a band of five covers at most 1 - 2^-4 < 95%: there is none (it covered 84%: a finder).
    assert shock["lower"].isna().all() and shock["upper"].isna().all()
    for _, group in bands[bands.group != "shock"].groupby("group"):
        assert ((group["lower"] <= group["caar"]) & (group["caar"] <= group["upper"])).all()
        assert (group["n"] >= 6).all()
    pd.testing.assert_frame_equal(bands, caar_bands(results, event_panel(results), draws=199, seed=5))
    assert set(bands.group) == {"openai-compute", "shock", "other", "all"}
    # The shock group's Wilcoxon interval of 5 CARs is their range: 1 - 2/2^5 = 93.75%, not 95%.
    assert (shock["wilcoxon_coverage"] == 0.9375).all() and (shock["level"] == 0.95).all()
    assert (shock["wilcoxon_lower"] == car.min(axis=1)).all()
    assert (shock["wilcoxon_upper"] == car.max(axis=1)).all()
    assert (bands.loc[bands.group == "all", "wilcoxon_coverage"] >= 0.95).all()


# --------------------------------------------------------------------------- simulated studies
SIM_TICKERS = ("T0", "T1", "T2", "T3", "T4", "T5", "FLAT", "CLONE")
SIM_WINDOWS = ((0, 0), (-1, 1), (-3, 3))
SIM_CONFIG = StudyConfig(
    market="MKT", estimation_window=(-200, -11), event_windows=SIM_WINDOWS, min_estimation_obs=120
)


def simulated_study(seed: int, n_events: int = 30):
    """A market-model study with every dollar case: share counts from the first day (Saha &
    Ferrell variance), from day 300 (σ × market value where the estimation window starts
    earlier), none (no dollar value); a constant price and a clone of the market (degenerate
    fits); the market proxy listed as a party; one firm with two event ids on one date; peers;
    deals disclosed or not; two groups."""
    rng = np.random.default_rng(seed)
    n_days = 460
    calendar = pd.bdate_range("2021-01-04", periods=n_days, name="date")
    market = rng.normal(0.0004, 0.01, n_days)
    firms = 0.0002 + market[:, None] * rng.uniform(0.5, 1.5, 6) + rng.normal(0, 0.02, (n_days, 6))
    prices = np.column_stack(
        [
            100 * np.cumprod(1 + market),
            40 * np.cumprod(1 + firms, axis=0),
            np.full(n_days, 25.0),  # FLAT: a constant price
            100 * np.cumprod(1 + market),  # CLONE: the market itself
        ]
    )
    prices[:, 1:7][rng.random((n_days, 6)) < 0.01] = np.nan
    panel = ReturnsPanel(calendar, ("MKT", *SIM_TICKERS), simple_returns(prices), prices)
    start = {"T0": 0, "T1": 0, "FLAT": 0, "CLONE": 0, "MKT": 0, "T2": 300, "T3": 300, "T5": 150}
    shares = {
        t: pd.DataFrame(
            {
                "ticker": [t, t],
                "as_of": [calendar[day], calendar[min(day + 80, n_days - 1)]],
                "shares_outstanding": [1e9, 1.05e9],
                "filing": ["10-K cover", "10-Q cover"],
                "source": ["test", "test"],
            }
        )
        for t, day in start.items()
    }
    day0 = rng.integers(215, n_days - 4, n_events)
    tickers = rng.choice(["T0", "T1", "T2", "T3", "T4", "T5"], n_events)
    day0 = np.append(day0, [260, 300, 320, 330, 330])
    tickers = np.append(tickers, ["FLAT", "CLONE", "MKT", "T1", "T1"])  # T1 twice on one date
    n = day0.size
    events = pd.DataFrame(
        {
            "event_id": [f"e{i:03d}" for i in range(n)],
            "announced": calendar[day0].to_numpy("datetime64[ns]"),
            "timing": "pre",
            "ticker": tickers,
            "role": "party",
            "deal_usd": np.where(rng.random(n) < 0.7, rng.uniform(1e8, 1e10, n), np.nan),
            "group": np.where(rng.random(n) < 0.5, "a", "b"),
            "headline": "h",
            "source_row": np.arange(2, n + 2),
        }
    )
    events = add_peers(events, ("T0", "T4", "FLAT"))
    results = estimate(events, panel, MarketModel("MKT"), SIM_CONFIG, shares=shares)
    return results, shares


def _estimation_market_values(results: PairEstimates) -> np.ndarray:
    """(P, L1) close of the session before each estimation day x the share count in force then,
    by hand (the panel keeps only the dollar residuals' variance and count)."""
    tickers = results.events["ticker"].to_numpy(object)
    panel = results.panel
    before = np.where(results.estimation_days >= 1, results.estimation_days - 1, -1)
    close = np.vstack([panel.close, np.full((1, panel.close.shape[1]), np.nan)])
    columns = np.array([panel.column(t) for t in tickers])
    return close[before, columns[:, None]] * results.share_table.counts(tickers, before)


def _check_dollar_totals(results: PairEstimates, windows, table: pd.DataFrame, panel) -> int:
    """For every group and window: the stats total and what it leaves out as counted twice add up
    to the sum of car.parquet's abnormal_value_usd over the group's rows, n counts those rows, the
    fallback count matches dollar_sd_basis, and the total and Z are, by hand, the sums over the
    distinct (ticker, day)s of the mean of the rows' dollar ARs and variances of that day.
    Returns the rows checked."""
    car = results.car
    checked = 0
    shared_days: dict[tuple[str, str], int] = {}
    rows_of_pair = np.repeat(np.arange(len(results.events)), len(windows))
    market_value_estimation = _estimation_market_values(results)
    for label, mask in groups(results.events):
        for window in windows:
            name = window_label(window)
            part = car[mask[rows_of_pair] & (car.window == name).to_numpy()]
            valued = part[part.abnormal_value_usd.notna()]
            total = stat(table, label, name, "dollar_abnormal_value")
            assert total.n == len(valued), (label, name)
            expected = valued.abnormal_value_usd.sum()
            shared = stat(table, label, name, "dollar_shared_days_usd")
            assert total.value + shared.value == pytest.approx(expected, rel=1e-12, abs=1e-3), (label, name)
            fallback = stat(table, label, name, "dollar_fallback_sd_rows")
            assert fallback.n == (valued.dollar_sd_basis == "sigma_x_mcap_prev").sum()
            assert set(valued.dollar_sd_basis) <= {"sigma_x_mcap_prev", "estimation_dollar_residuals"}
            assert (part.loc[part.abnormal_value_usd.isna(), "dollar_sd_basis"] == "").all()
            # Z by hand from the panel's arrays.
            pairs = np.flatnonzero(mask)[
                np.isfinite(panel.dollar_car(*window)[mask])
                & (results.pair_outcome[mask] == "ok")
                & np.isfinite(panel.car(*window)[mask])
            ]
            length = window[1] - window[0] + 1
            in_window = panel.window_mask(*window)
            cells = []
            for i in pairs:
                dollars = panel.ar_estimation[i] * market_value_estimation[i]
                residual_days = np.isfinite(panel.ar_estimation[i]).sum()
                market_value = panel.market_value_event[i, in_window]
                if np.isfinite(dollars).sum() == residual_days >= 2:
                    variance = np.full(length, np.var(dollars[np.isfinite(dollars)], ddof=1))
                else:
                    variance = panel.sigma[i] ** 2 * market_value**2
                for day, dollar, var in zip(
                    panel.event_day[i, in_window], panel.ar_event[i, in_window] * market_value, variance,
                    strict=True,
                ):
                    cells.append((panel.firm[i], day, dollar, var))
            if pairs.size:
                days = pd.DataFrame(cells, columns=["firm", "day", "dollar", "var"]).groupby(["firm", "day"])
                means, counts = days.mean(), days.size()
                assert total.value == pytest.approx(means["dollar"].sum(), rel=1e-10, abs=1e-3), (label, name)
                z = means["dollar"].sum() / np.sqrt(means["var"].sum())
                assert stat(table, label, name, "dollar_z").value == pytest.approx(z, rel=1e-10)
                assert shared.n == int((counts > 1).sum()), (label, name)
            shared_days[label, name] = shared.n
            checked += len(valued)
    return checked, shared_days


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dollar_totals_reconcile_with_car_on_simulated_studies(seed: int) -> None:
    results, _shares = simulated_study(seed)
    panel = event_panel(results)
    table = cross_event_statistics(results, panel, SIM_CONFIG.event_windows, bootstrap_draws=19, seed=1)
    checked, _ = _check_dollar_totals(results, SIM_CONFIG.event_windows, table, panel)
    assert checked > 0
    basis = results.car.dollar_sd_basis
    assert (basis == "sigma_x_mcap_prev").any() and (basis == "estimation_dollar_residuals").any()
    # Peers never enter deal-value statistics.
    assert not table[(table.group == "peers") & table.statistic.str.startswith(("total_", "value_per"))].size
    for label in ("a", "b", "all"):
        assert stat(table, label, "[0,0]", "total_deal_usd").reference.startswith("sum of deal_usd")


def test_a_study_panel_keeps_the_dollar_summary_and_tests_as_with_the_market_values() -> None:
    """event_panel keeps per pair the dollar residuals' variance and count instead of (pairs x
    estimation days) market values: the battery's rows are exactly those of the same panel
    given the market values (by hand), and the panel refuses inconsistent inputs."""
    results, _shares = simulated_study(2)
    summary = event_panel(results)
    assert summary.market_value_estimation is None and summary.dollar_variance is not None
    market_values = _estimation_market_values(results)
    given = dataclasses.replace(
        summary, market_value_estimation=market_values, dollar_variance=None, dollar_days=None
    )
    windows = SIM_CONFIG.event_windows
    ours = cross_event_statistics(results, summary, windows, bootstrap_draws=19, seed=1)
    theirs = cross_event_statistics(results, given, windows, bootstrap_draws=19, seed=1)
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    dollar = ours[ours.statistic == "dollar_z"]
    assert dollar["value"].notna().sum() >= 3
    with pytest.raises(ValueError, match="not both"):
        dataclasses.replace(summary, market_value_estimation=given.market_value_estimation)
    with pytest.raises(ValueError, match="or neither"):
        dataclasses.replace(summary, dollar_days=None)
    with pytest.raises(ValueError, match="or none of them"):
        dataclasses.replace(summary, market_value_event=None)
    with pytest.raises(ValueError, match="dollar_variance has shape"):
        dataclasses.replace(summary, dollar_variance=summary.dollar_variance[:-1])


def test_dollar_totals_reconcile_with_car_on_the_launch(launch) -> None:
    """The issue's case: all at [0,0] was +$114.9B from 19 rows while the rows sum to -$254.3B;
    shock was NVDA alone. Every row with a dollar value now counts. A re-derivation then found
    NVDA's 2025-09-19 in the [-1,+1] windows of two events (nvidia-intel-5b at τ+1,
    nvidia-openai-100b at τ-1), counted twice: it now counts once."""
    results, _shares, table = launch
    panel = event_panel(results)
    valued = int(results.car.abnormal_value_usd.notna().sum())  # the launch has no peers here
    checked, shared_days = _check_dollar_totals(results, WINDOWS, table, panel)
    assert checked == 2 * valued  # groups, then "all"
    assert shared_days["all", "[0,0]"] == 0 and shared_days["all", "[-1,+1]"] >= 1
    # The twin without the confounded rows reconciles the same way with the rows it keeps.
    for name in ("[-1,+1]", "[-5,+5]"):
        rows = results.car[(results.car.window == name) & (results.car.role != "peer")]
        kept = rows[rows.confounded.eq(False) & rows.abnormal_value_usd.notna()]
        twin = stat(table, "all (unconfounded)", name, "dollar_abnormal_value")
        shared = stat(table, "all (unconfounded)", name, "dollar_shared_days_usd")
        assert twin.n == len(kept) < len(rows)
        assert twin.value + shared.value == pytest.approx(kept.abnormal_value_usd.sum(), rel=1e-12)
    # The value per deal dollar's total counts a shared ticker-day once too, among the rows of the
    # events it covers (complete deals): by hand from the panel's cells.
    car = results.car.reset_index(drop=True)
    for group in ("all", "openai-compute"):
        for window in WINDOWS:
            name = window_label(window)
            in_group = (car.group == group) | (group == "all")
            rows = car[(car.window == name) & (car.role != "peer") & in_group]
            by_event = rows.groupby("event_id", sort=False)
            valued = by_event.abnormal_value_usd.transform(lambda v: v.notna().all())
            complete = valued & by_event.deal_usd.transform(lambda d: d.notna().any())
            pairs = rows.index[complete.to_numpy()] // len(WINDOWS)
            columns = panel.window_mask(*window)
            dollars = panel.ar_event[pairs][:, columns] * panel.market_value_event[pairs][:, columns]
            cells = pd.DataFrame(
                {
                    "ticker": np.repeat(panel.firm[pairs], columns.sum()),
                    "day": panel.event_day[pairs][:, columns].ravel(),
                    "dollar": dollars.ravel(),
                }
            )
            expected = cells.groupby(["ticker", "day"]).dollar.mean().sum()
            total = stat(table, group, name, "total_abnormal_value_usd")
            assert total.value == pytest.approx(expected, rel=1e-12), (group, name)
            deals = stat(table, group, name, "total_deal_usd").value
            ratio = stat(table, group, name, "value_per_deal_dollar").value
            assert ratio == pytest.approx(expected / deals, rel=1e-12)
    assert stat(table, "all", "[0,0]", "dollar_abnormal_value").value == pytest.approx(-254.26e9, rel=1e-4)
    assert stat(table, "shock", "[0,0]", "dollar_abnormal_value").n == 5
    assert stat(table, "shock", "[0,0]", "dollar_abnormal_value").value == pytest.approx(-825.42e9, rel=1e-4)
    for total in ("total_abnormal_value_usd", "total_deal_usd"):  # the sell-off is no deal: not $0
        row = stat(table, "shock", "[0,0]", total)
        assert row.n == 0 and np.isnan(row.value)
    # Share counts begin inside every estimation window of the launch: all 25 use the fallback.
    assert stat(table, "all", "[0,0]", "dollar_fallback_sd_rows").value == 25
    # The twin without the confounded row (ORCL's earnings day) counts its own: its dollar_z's
    # reference names the count, which the twin lacked.
    twin = stat(table, "all (unconfounded)", "[0,0]", "dollar_fallback_sd_rows")
    assert (twin.value, twin.n) == (24, stat(table, "all (unconfounded)", "[0,0]", "dollar_z").n)
    assert "(dollar_fallback_sd_rows)" in stat(table, "all (unconfounded)", "[0,0]", "dollar_z").reference


def test_a_share_count_that_changes_in_the_window_is_noted_only_when_it_changes(launch) -> None:
    """The note said the figure changes inside the window for 8 of the launch's 25 pairs; for 4 of
    them only the count's as-of date changed (NVDA's 24.49B dated 2025-01-14 after the same count
    before: a finder). It is noted where the count itself changes."""
    results, shares, _ = launch
    car = results.car.set_index(["event_id", "ticker", "window"])
    noted = car["note"].str.contains("shares: the count changes inside the window")
    assert not car["note"].str.contains("the figure changes inside the window").any()
    valued = car[(car.outcome == "ok") & car.abnormal_value_usd.notna()]  # a count on every day
    for event, ticker, window in valued.index:
        frame = shares[ticker].sort_values("as_of")
        days = results.ar[(results.ar.event_id == event) & (results.ar.ticker == ticker)]
        start, end = (int(t) for t in window.strip("[]").split(","))
        inside = days[(days.tau >= start) & (days.tau <= end)]
        # the count on the session before each day of the window (as the market values use)
        prev = results.panel.calendar.searchsorted(inside["date"]) - 1
        on = frame["as_of"].searchsorted(results.panel.calendar[prev], side="right") - 1
        counts = frame["shares_outstanding"].to_numpy()[on]
        assert bool(noted[(event, ticker, window)]) == (counts.min() != counts.max()), (event, ticker, window)
    assert noted.groupby(level=[0, 1]).any().sum() == 4


def test_degenerate_fits_and_the_market_proxy_are_excluded_everywhere() -> None:
    results, _shares = simulated_study(4)
    car, ar = results.car, results.ar
    outcome = car.groupby("ticker").outcome.agg(set)
    assert outcome["FLAT"] == {"degenerate_estimation"} and outcome["CLONE"] == {"degenerate_estimation"}
    assert outcome["MKT"] == {"market_proxy"}
    flat = car[car.ticker == "FLAT"]
    assert flat.note.str.contains("vanish").all() and flat.car.isna().all() and flat.t.isna().all()
    assert car.loc[car.ticker == "MKT", "note"].str.contains("proxy").all()
    # The clone's sigma is rounding noise; the constant price's is 0: both shown, neither used.
    assert car.loc[car.ticker == "CLONE", "sigma"].max() < 1e-12
    tests = ar.loc[ar.ticker.isin(["FLAT", "CLONE", "MKT"]), ["ar_t", "ar_p", "ar_se", "car_se"]]
    assert tests.isna().all().all()
    panel = event_panel(results)
    table = cross_event_statistics(results, panel, SIM_CONFIG.event_windows, bootstrap_draws=19, seed=1)
    excluded = results.pair_outcome != "ok"
    assert np.isnan(panel.sigma[excluded]).all()
    parties = results.events.role != "peer"
    for window in ("[0,0]", "[-3,+3]"):
        assert stat(table, "all", window, "degenerate_estimation_rows").value == 2
        assert stat(table, "all", window, "market_proxy_rows").value == 1
        assert stat(table, "peers", window, "degenerate_estimation_rows").value == (
            (results.events.ticker == "FLAT") & ~parties
        ).sum()
        ok = car[(car.window == window) & (car.role != "peer") & (car.outcome == "ok")]
        assert stat(table, "all", window, "caar").n == len(ok)
        # The bootstrap resamples the ok pairs alone: the excluded rows were drawn too (its p moved).
        alone = bootstrap_t_test(ok.car.to_numpy(), draws=19, seed=1)
        assert stat(table, "all", window, "bootstrap_t").p == alone.p
        assert stat(table, "all", window, "bootstrap_t").value == pytest.approx(alone.value, rel=1e-12)


def test_the_market_proxy_as_a_party_neither_counts_as_unscreened_nor_drops_its_deal(
    launch_cache: Path, tmp_path: Path
) -> None:
    """ORCL and SPY (the proxy) in one $1B deal: SPY's row was 'not screened for earnings' (an ETF
    has no releases to import) and, having no dollar value, kept the deal, ORCL's +$242.8B with
    it, out of value per deal dollar, though its abnormal return against itself is zero."""
    from _studies import run_rows

    rows = ["e1,2025-09-10,pre,ORCL,buyer,1e9,g1,h", "e1,2025-09-10,pre,SPY,buyer,1e9,g1,h"]
    rows.append("e2,2025-09-22,pre,NVDA,buyer,1e10,g1,h")
    results = run_rows(launch_cache, tmp_path, rows, event_windows=((0, 0),))
    car = results.car.set_index("ticker")
    assert car.loc["SPY", "outcome"] == "market_proxy" and not car.loc["SPY", "confounded"]
    assert car.loc["ORCL", "abnormal_value_usd"] == pytest.approx(242.8e9, rel=1e-3)
    stats_ = results.stats
    for group in ("g1", "all"):
        assert stat(stats_, group, "[0,0]", "unscreened_rows").value == 0
        total = stat(stats_, group, "[0,0]", "total_abnormal_value_usd")
        assert total.n == 2
        assert total.value == pytest.approx(car.loc[["ORCL", "NVDA"], "abnormal_value_usd"].sum(), rel=1e-12)
        ratio = stat(stats_, group, "[0,0]", "value_per_deal_dollar").value
        assert ratio == pytest.approx(total.value / 11e9, rel=1e-12)

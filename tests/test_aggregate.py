"""Cross-event statistics of the launch study, checked against the per-pair results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy.aggregate import cross_event_statistics, event_panel
from eventstudy.config import load_config
from eventstudy.events import read_events
from eventstudy.store import PriceStore
from eventstudy.study import run_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def launch(launch_cache: Path):
    store = PriceStore(launch_cache)
    events = read_events(ROOT / "events.csv")
    results = run_study(events, store, load_config(ROOT / "launch.toml"))
    shares = {t: store.read_shares(t) for t in events["ticker"].unique()}
    return (
        results,
        shares,
        cross_event_statistics(results, event_panel(results, shares), bootstrap_draws=199, seed=3),
    )


def stat(table: pd.DataFrame, group: str, window: str, name: str) -> pd.Series:
    return table[(table.group == group) & (table.window == window) & (table.statistic == name)].iloc[0]


def test_panel_matches_the_study(launch) -> None:
    results, shares, _ = launch
    panel = event_panel(results, shares)
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


def test_statistics_are_reproducible(launch) -> None:
    results, shares, table = launch
    again = cross_event_statistics(results, event_panel(results, shares), bootstrap_draws=199, seed=3)
    pd.testing.assert_frame_equal(table, again)
    assert list(table.columns) == ["group", "window", "statistic", "value", "p", "n", "reference"]
    assert table["reference"].str.len().min() > 5


def test_caar_band_brackets_the_mean_path_and_is_reproducible(launch) -> None:
    from eventstudy.aggregate import caar_bands

    results, shares, _ = launch
    bands = caar_bands(results, event_panel(results, shares), draws=199, seed=5)
    shock = bands[bands.group == "shock"].set_index("tau")
    car = results.ar[results.ar.event_id == "deepseek-r1"].pivot(index="tau", columns="ticker", values="car")
    np.testing.assert_allclose(shock["caar"], car.mean(axis=1), rtol=1e-12)
    assert (shock["n"] == 5).all() and (shock["draws"] == 199).all()
    assert ((shock["lower"] <= shock["caar"]) & (shock["caar"] <= shock["upper"])).all()
    # The five DeepSeek CARs at tau=0 range from -13.9% to -10.9%: resampled means stay inside.
    assert car.loc[0].min() <= shock.loc[0, "lower"] and shock.loc[0, "upper"] <= car.loc[0].max()
    pd.testing.assert_frame_equal(bands, caar_bands(results, event_panel(results, shares), draws=199, seed=5))
    assert set(bands.group) == {"openai-compute", "shock", "other", "all"}

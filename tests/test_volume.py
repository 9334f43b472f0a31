"""Abnormal trading volume (Campbell & Wasley 1996) and abnormal volatility: closed forms,
statsmodels OLS of the log-volume market model on the real data (1e-10), a simulated volume
spike found, a constant volume handled, and the variance-ratio test."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _small_study import MARKET, TICKERS, make_cache, make_study
from scipy import stats

from eventstudy import load_config, run_study
from eventstudy.config import StudyConfig
from eventstudy.data.store import PriceStore
from eventstudy.inference import EventPanel, run_battery
from eventstudy.inference.volatility import variance_ratios, volatility_t
from eventstudy.output.schema import SCHEMAS
from eventstudy.timeline.volume import traded, volume_panel
from eventstudy.volume import VOLUME_COLUMNS, log_turnover, log_volume

ROOT = Path(__file__).resolve().parents[1]


def launch_config(**changes: object) -> StudyConfig:
    """launch.toml without its regressions and backtest, with ``changes``."""
    return dataclasses.replace(load_config(ROOT / "launch.toml"), crosssection=(), backtest=None, **changes)


def test_measures_in_closed_form() -> None:
    volume = np.array([0.0, 1e6, np.nan, 5e7])
    shares = np.array([1e9, 1e9, 1e9, np.nan])
    np.testing.assert_allclose(log_volume(volume)[[0, 1, 3]], [0.0, np.log(1e6 + 1), np.log(5e7 + 1)])
    turnover = log_turnover(volume, shares)
    assert turnover[0] == pytest.approx(np.log(0.000255))
    assert turnover[1] == pytest.approx(np.log(100 * 1e6 / 1e9 + 0.000255))
    assert np.isnan(turnover[2]) and np.isnan(turnover[3])


@pytest.fixture(scope="module")
def launch_volume(launch_cache: Path):
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), volume="log_volume", crosssection=())
    return run_study(ROOT / "events.csv", PriceStore(launch_cache), config, peers=())


def test_volume_model_is_statsmodels_ols_on_the_real_data(launch_volume, shared_data: Path) -> None:
    """ORCL on oracle-openai-300b: OLS of ln(1 + volume) on ln(1 + SPY volume) over the 250
    estimation sessions; the event-window abnormal log volume is the prediction error."""
    table = launch_volume.volume
    assert list(table.columns) == list(VOLUME_COLUMNS) == list(SCHEMAS["volume.parquet"])
    rows = table[(table.event_id == "oracle-openai-300b") & (table.ticker == "ORCL")].set_index("tau")
    orcl = pd.read_csv(shared_data / "prices" / "ORCL.csv", parse_dates=["Date"]).set_index("Date")["Volume"]
    spy = pd.read_csv(shared_data / "prices" / "SPY.csv", parse_dates=["Date"]).set_index("Date")["Volume"]
    day0 = rows.at[0, "date"]
    position = spy.index.get_loc(day0)
    window = spy.index[position - 260 : position - 10]  # relative days -260..-11
    y = np.log1p(orcl.reindex(window).to_numpy(float))
    x = sm.add_constant(np.log1p(spy.reindex(window).to_numpy(float)))
    fit = sm.OLS(y, x).fit()
    for tau in (-1, 0, 1):
        date = rows.at[tau, "date"]
        v, vm = np.log1p(orcl[date]), np.log1p(spy[date])
        assert rows.at[tau, "log_volume"] == pytest.approx(v, rel=1e-12)
        expected = fit.params[0] + fit.params[1] * vm
        assert rows.at[tau, "abnormal_volume"] == pytest.approx(v - expected, abs=1e-10)
        se = fit.get_prediction(np.array([[1.0, vm]])).se_obs[0]
        assert rows.at[tau, "abnormal_volume_se"] == pytest.approx(se, rel=1e-10)
    assert rows.at[0, "abnormal_volume"] > 1.0  # the $300B contract day traded ~4x normal volume


def test_the_volume_model_leaves_out_the_days_the_return_model_leaves_out(
    launch_cache: Path, shared_data: Path
) -> None:
    """With exclude_overlapping_windows the return model drops the estimation days inside other
    events' spans of the ticker; the volume model was fitted on them all (day-0 Patell z of all
    parties 8.35 against 8.48; found by an independent re-derivation). NVDA on
    nvidia-openai-100b: statsmodels OLS over the estimation days outside NVDA's other spans, and
    the same number of days as the return model's n_est."""
    config = launch_config(volume="log_volume", exclude_overlapping_windows=True)
    results = run_study(ROOT / "events.csv", PriceStore(launch_cache), config, peers=())
    nvda = pd.read_csv(shared_data / "prices" / "NVDA.csv", parse_dates=["Date"]).set_index("Date")["Volume"]
    spy = pd.read_csv(shared_data / "prices" / "SPY.csv", parse_dates=["Date"]).set_index("Date")["Volume"]
    car = results.car[(results.car.ticker == "NVDA") & (results.car.window == "[0,0]")]
    start, end = config.event_span
    spans = {
        day
        for day0 in car[car.event_id != "nvidia-openai-100b"]["day0"]
        for day in spy.index[spy.index.get_loc(day0) + start : spy.index.get_loc(day0) + end + 1]
    }
    own = car.set_index("event_id").loc["nvidia-openai-100b"]
    position = spy.index.get_loc(own["day0"])
    window = [day for day in spy.index[position - 260 : position - 10] if day not in spans]
    assert len(window) == own["n_est"] < 250  # 26 days of other events' spans left out
    fit = sm.OLS(np.log1p(nvda.reindex(window).to_numpy(float)), sm.add_constant(np.log1p(spy[window]))).fit()
    volume = results.volume
    day0 = volume[(volume.event_id == "nvidia-openai-100b") & (volume.ticker == "NVDA") & (volume.tau == 0)]
    vm = np.log1p(spy[own["day0"]])
    expected = np.log1p(nvda[own["day0"]]) - fit.params.iloc[0] - fit.params.iloc[1] * vm
    assert day0["abnormal_volume"].item() == pytest.approx(expected, abs=1e-10)
    se = fit.get_prediction(np.array([[1.0, vm]])).se_obs[0]
    assert day0["abnormal_volume_se"].item() == pytest.approx(se, rel=1e-10)


def test_a_listing_day_with_a_volume_and_no_return_is_not_a_volume_estimation_day(
    launch_cache: Path, shared_data: Path
) -> None:
    """CRWV listed on 2025-03-28: that day has a volume but no return, so the return model never
    used it and the volume model did (its M one above the return model's n_est). CoreWeave's
    OpenAI contract: statsmodels OLS over the estimation days with a return."""
    config = launch_config(volume="log_volume")
    results = run_study(ROOT / "events.csv", PriceStore(launch_cache), config, peers=())
    crwv = pd.read_csv(shared_data / "prices" / "CRWV.csv", parse_dates=["Date"]).set_index("Date")
    spy = pd.read_csv(shared_data / "prices" / "SPY.csv", parse_dates=["Date"]).set_index("Date")["Volume"]
    car = results.car[(results.car.ticker == "CRWV") & (results.car.window == "[0,0]")].iloc[0]
    position = spy.index.get_loc(car["day0"])
    listed = crwv.index[0]
    window = [day for day in spy.index[position - 260 : position - 10] if day > listed]
    assert len(window) == car["n_est"] and spy.index[position - 260] < listed
    y = np.log1p(crwv["Volume"][window].to_numpy(float))
    fit = sm.OLS(y, sm.add_constant(np.log1p(spy[window]))).fit()
    volume = results.volume
    day0 = volume[(volume.event_id == car["event_id"]) & (volume.ticker == "CRWV") & (volume.tau == 0)]
    vm = np.log1p(spy[car["day0"]])
    expected = np.log1p(crwv["Volume"][car["day0"]]) - fit.params.iloc[0] - fit.params.iloc[1] * vm
    assert day0["abnormal_volume"].item() == pytest.approx(expected, abs=1e-10)


def test_volume_statistics_are_the_battery_on_the_volume_panel(launch_volume) -> None:
    stats = launch_volume.volume_stats
    assert list(stats.columns) == list(SCHEMAS["volume_stats.parquet"])
    all_day0 = stats[(stats.group == "all") & (stats.window == "[0,0]")].set_index("statistic")
    cav = launch_volume.volume[(launch_volume.volume.tau == 0) & (launch_volume.volume.outcome == "ok")]
    assert all_day0.at["caar", "value"] == pytest.approx(cav["abnormal_volume"].mean(), rel=1e-12)
    t = stats_t = cav["abnormal_volume"].mean() / cav["abnormal_volume"].std(ddof=1) * np.sqrt(len(cav))
    assert all_day0.at["cross_sectional_t", "value"] == pytest.approx(stats_t, rel=1e-10)
    assert t > 3 and all_day0.at["cross_sectional_t", "p_holm"] < 0.05
    assert "bootstrap_t" not in set(stats.statistic)


def volume_cache(root: Path, spike: float) -> PriceStore:
    """The small study's cache with log-normal volumes following a volume market model, and
    ``spike`` added to the log volume of each party on its day 0 (2025-01-15 and 2025-02-20
    sessions)."""
    store = make_cache(root)
    rng = np.random.default_rng(0)
    market = store.read_prices(MARKET)
    log_market = 17 + rng.normal(0, 0.3, len(market))
    market["volume"] = np.exp(log_market)
    store.write_prices(MARKET, market, {"source": "synthetic", "symbol": MARKET})
    for ticker in TICKERS:
        frame = store.read_prices(ticker)
        log_v = 2.0 + 0.8 * log_market + rng.normal(0, 0.25, len(frame))
        for day in ("2025-01-15", "2025-02-21"):  # day 0 of alpha (pre) and beta (post)
            log_v[(frame["date"] == pd.Timestamp(day)).to_numpy()] += spike
        frame["volume"] = np.exp(log_v)
        store.write_prices(ticker, frame, {"source": "synthetic", "symbol": ticker})
    return store


def test_a_simulated_volume_spike_is_found_and_none_is_not(tmp_path: Path) -> None:
    events, config_path = make_study(tmp_path)
    config = dataclasses.replace(load_config(config_path), volume="log_volume")
    for spike, found in ((1.5, True), (0.0, False)):
        volume_cache(tmp_path / f"cache{spike}", spike)
        results = run_study(events, tmp_path / f"cache{spike}", config)
        day0 = results.volume[results.volume.tau == 0]
        assert (day0.outcome == "ok").all()
        assert day0["abnormal_volume"].mean() == pytest.approx(spike, abs=0.45)
        row = results.volume_stats.query("group == 'all' and window == '[0,0]' and statistic == 'patell_z'")
        assert bool(row["p"].iloc[0] < 0.01) == found


def test_a_day_without_a_volume_says_so_on_its_row(tmp_path: Path) -> None:
    """A Yahoo gap (volume 0) on AAA's day +1 left that row's abnormal volume empty under outcome
    ok: the row says missing_volume, the pair's other days stay ok, and the windows holding the
    day lose the pair (a window's CAV needs every day), the others keep it."""
    events, config_path = make_study(tmp_path)
    config = dataclasses.replace(load_config(config_path), volume="log_volume")
    store = volume_cache(tmp_path / "cache", 1.0)
    frame = store.read_prices("AAA")
    frame.loc[frame["date"] == pd.Timestamp("2025-01-16"), "volume"] = 0.0
    store.write_prices("AAA", frame, {"source": "synthetic", "symbol": "AAA"})
    results = run_study(events, tmp_path / "cache", config)
    aaa = results.volume[results.volume.ticker == "AAA"].set_index("tau")
    assert aaa.at[1, "outcome"] == "missing_volume" and np.isnan(aaa.at[1, "abnormal_volume"])
    assert aaa.at[1, "volume"] == 0.0 and np.isnan(aaa.at[1, "log_volume"])  # Yahoo's 0 shown, not used
    assert (aaa.drop(1)["outcome"] == "ok").all() and np.isfinite(aaa.loc[[-1, 0], "abnormal_volume"]).all()
    stats = results.volume_stats.set_index(["group", "window", "statistic"])
    assert stats.loc[("all", "[0,0]", "caar"), "n"] == 3
    assert stats.loc[("all", "[-1,+1]", "caar"), "n"] == 2


def test_the_studys_choice_of_statistics_applies_to_the_volume_statistics(tmp_path: Path) -> None:
    """A finder's statistics = ["caar", "patell_z"] narrowed stats.parquet while
    volume_stats.parquet kept the whole battery; both follow the choice, with the same values."""
    events, config_path = make_study(tmp_path)
    config = dataclasses.replace(load_config(config_path), volume="log_volume")
    volume_cache(tmp_path / "cache", 1.0)
    every = run_study(events, tmp_path / "cache", config).volume_stats
    chosen = dataclasses.replace(config, statistics=("caar", "patell_z", "bootstrap_t"))
    some = run_study(events, tmp_path / "cache", chosen).volume_stats
    tested = some[~some.statistic.str.endswith("_rows")]  # the counts of pairs left out
    assert set(tested.statistic) == {"caar", "patell_z"}  # bootstrap_t is no volume statistic
    assert len(set(every.statistic)) > 10
    merged = tested.merge(every, on=["group", "window", "statistic"], suffixes=("", "_every"))
    assert len(merged) == len(tested)
    assert np.array_equal(merged["value"], merged["value_every"], equal_nan=True)


def test_constant_volumes_have_no_volume_model(tmp_path: Path) -> None:
    """The small study's volumes are a constant 1e6 shares, the market's too: the regressor is
    collinear with the intercept (singular_estimation). With a varying market and one firm's
    constant volume, that firm's model vanishes (degenerate_estimation), counted in the stats.
    No statistic, no warning (the tests fail on warnings); the outcome says why."""
    make_cache(tmp_path / "cache")
    events, config_path = make_study(tmp_path)
    config = dataclasses.replace(load_config(config_path), volume="log_volume")
    results = run_study(events, tmp_path / "cache", config)
    assert set(results.volume["outcome"]) == {"singular_estimation"}
    assert results.volume["abnormal_volume"].isna().all()
    stats = results.volume_stats.set_index(["group", "window", "statistic"])
    assert np.isnan(stats.loc[("all", "[0,0]", "cross_sectional_t"), "value"])
    store = volume_cache(tmp_path / "varying", 0.0)
    frame = store.read_prices("CCC")
    frame["volume"] = 3e6
    store.write_prices("CCC", frame, {"source": "synthetic", "symbol": "CCC"})
    results = run_study(events, tmp_path / "varying", config)
    outcome = results.volume.drop_duplicates(["event_id", "ticker"]).set_index("ticker")["outcome"]
    assert outcome.to_dict() == {"AAA": "ok", "BBB": "ok", "CCC": "degenerate_estimation"}
    stats = results.volume_stats.set_index(["group", "window", "statistic"])
    assert stats.loc[("all", "[0,0]", "degenerate_estimation_rows"), "value"] == 1
    assert stats.loc[("all", "[0,0]", "cross_sectional_t"), "n"] == 2


def test_turnover_needs_share_counts_over_the_estimation_window(tmp_path: Path) -> None:
    """The small study's share counts start 2024-01-31, before every estimation window: turnover
    is defined and equals log volume minus log(shares) up to the 0.000255 (same abnormal volume
    to ~1e-3 with the constant share count and ~0.6% daily turnover)."""
    store = volume_cache(tmp_path / "cache", 1.0)
    del store
    events, config_path = make_study(tmp_path)
    base = load_config(config_path)
    turnover = run_study(events, tmp_path / "cache", dataclasses.replace(base, volume="log_turnover")).volume
    plain = run_study(events, tmp_path / "cache", dataclasses.replace(base, volume="log_volume")).volume
    assert (turnover["outcome"] == "ok").all()
    np.testing.assert_allclose(turnover["abnormal_volume"], plain["abnormal_volume"], atol=2e-3)


def test_turnover_without_share_counts_says_so_and_the_report_names_turnover(
    launch_cache: Path, shared_data: Path
) -> None:
    """Turnover of a pair whose estimation window has volumes but too few share counts was
    insufficient_estimation, with nothing saying why (11 launch pairs: every shock row), and the
    report called the turnover a log volume. On the launch data the pairs with fewer than 100
    estimation days after their ticker's first share count (from the shares file) are
    no_share_counts, the others ok; the figure's footnote names turnover."""
    from eventstudy.cli.run import outcome_line
    from eventstudy.report.figures import volume_figure
    from eventstudy.report.sections import _volume_sample

    config = launch_config(volume="log_turnover")
    results = run_study(ROOT / "events.csv", PriceStore(launch_cache), config, peers=())
    pairs = results.volume.drop_duplicates(["event_id", "ticker"])
    outcome = pairs.set_index(["event_id", "ticker"])["outcome"]
    shares = pd.read_csv(shared_data / "shares" / "shares_outstanding.csv", parse_dates=["as_of"])
    first = shares.groupby("ticker")["as_of"].min()
    calendar = pd.read_csv(shared_data / "prices" / "SPY.csv", parse_dates=["Date"])["Date"]
    car = results.car[results.car.window == "[0,0]"].set_index(["event_id", "ticker"])
    traded = {
        symbol: pd.read_csv(shared_data / "prices" / f"{symbol}.csv", parse_dates=["Date"])
        .set_index("Date")["Volume"]
        .gt(0)
        for symbol in {"SPY", *car.index.get_level_values("ticker")}
    }
    expected, days = {}, {}
    for (event, ticker), day0 in car["day0"].items():
        position = int(calendar.searchsorted(day0))
        window = calendar.iloc[position - 260 : position - 10]
        counted = int((window >= first.get(ticker, pd.Timestamp.max)).sum())
        expected[(event, ticker)] = "ok" if counted >= config.min_estimation_obs else "no_share_counts"
        dates = pd.DatetimeIndex(window)
        mine = traded[ticker]
        both = mine.reindex(dates, fill_value=False) & traded["SPY"].reindex(dates, fill_value=False)
        with_return = dates > mine.index.min()  # a listing day has a volume and no return
        counts = dates >= first.get(ticker, pd.Timestamp.max)
        days[(event, ticker)] = int((both.to_numpy() & with_return & counts).sum())
    assert outcome.to_dict() == expected
    assert (outcome == "no_share_counts").sum() == 11
    # each pair's volume model on the return model's days that have a share count, said in n_est
    # (a referee: nothing said the turnover models of the ok pairs used 119-190 of 250 days)
    n_est = pairs.set_index(["event_id", "ticker"])["n_est"]
    assert n_est.to_dict() == days
    ok = outcome == "ok"
    assert (n_est[ok] < car.loc[ok[ok].index, "n_est"]).all() and n_est[ok].min() >= 100
    fewer = n_est[ok]
    said = _volume_sample(results.volume, results.car, "log_turnover")
    assert said == (
        "11 of 25 pairs have no abnormal volume (no_share_counts 11); the volume model of 14 of the 14 pairs "
        f"with one is fitted on fewer estimation days than their return model (median {fewer.median():g} of "
        "250: days without both volumes above 0, or a share count; volume.parquet's n_est). "
    )
    assert outcome_line(results, Path("out")).endswith(
        "; pairs without abnormal volume: no_share_counts 11)"
    )
    counted = results.volume_stats.query("statistic == 'no_share_counts_rows' and group == 'all'")
    assert counted["n"].tolist() == [11] * len(config.event_windows)
    assert set(outcome.xs("deepseek-r1", level="event_id")) == {"no_share_counts"}
    figure = volume_figure(results.volume, measure="log_turnover")
    footnotes = " ".join(text.get_text() for text in figure.texts)
    assert "abnormal log turnover" in footnotes and "log volume" not in footnotes


def test_pairs_short_of_volume_days_are_counted_in_the_caption_and_the_run_line(
    launch_cache: Path, shared_data: Path, tmp_path: Path
) -> None:
    """A pair whose every event day lacks a volume (missing_volume on each row) was counted nowhere;
    a log-volume study's caption said "or a share count" of days it never needs one (a reviewer).
    ZZY is AMD with no volume from 2025-09-20 to 2025-10-31 (its whole window around 2025-10-06),
    ZZX AMD with none on March 2025's 21 sessions, inside its estimation window."""
    from eventstudy.cli.run import outcome_line
    from eventstudy.data.importer import import_paths
    from eventstudy.report.sections import _volume_sample

    cache = tmp_path / "cache"
    shutil.copytree(launch_cache, cache)
    amd = pd.read_csv(shared_data / "prices" / "AMD.csv", parse_dates=["Date"])
    for symbol, start, end in (("ZZY", "2025-09-20", "2025-10-31"), ("ZZX", "2025-03-01", "2025-03-31")):
        quiet = amd["Date"].between(start, end)
        amd.assign(Volume=amd["Volume"].where(~quiet, 0)).to_csv(tmp_path / f"{symbol}.csv", index=False)
        import_paths(PriceStore(cache), [tmp_path / f"{symbol}.csv"])
    march = int(amd["Date"].between("2025-03-01", "2025-03-31").sum())
    assert march == 21
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "e1,2025-10-06,pre,ZZY,supplier,,g,quiet\n"
        "e1,2025-10-06,pre,ZZX,supplier,,g,quiet\n"
    )
    config = launch_config(volume="log_volume")
    results = run_study(events, PriceStore(cache), config, peers=())
    by_pair = results.volume.groupby("ticker")
    assert set(by_pair.get_group("ZZY")["outcome"]) == {"missing_volume"}
    n_est = by_pair.get_group("ZZX")["n_est"].iloc[0]
    return_days = int(results.car.loc[results.car.ticker == "ZZX", "n_est"].iloc[0])
    assert (return_days, n_est) == (250, 250 - march)
    assert _volume_sample(results.volume, results.car, "log_volume") == (
        "1 of 2 pairs have no abnormal volume (missing_volume 1); the volume model of 1 of the 1 pairs with "
        "one is fitted on fewer estimation days than their return model (median 229 of 250: days without "
        "both volumes above 0; volume.parquet's n_est). "
    )
    line = outcome_line(results, tmp_path / "out")
    assert line.endswith("; pairs without abnormal volume: missing_volume 1)")


# -- abnormal volatility ---------------------------------------------------------------------


def test_variance_ratio_in_closed_form() -> None:
    sar = np.array([[1.0, 2.0], [0.5, 0.5], [np.nan, 1.0]])
    dof = np.array([10, 4, 20])
    ratios = variance_ratios(sar, dof)
    np.testing.assert_allclose(ratios[:2], [2.5 / (10 / 8), 0.25 / 2.0])
    assert np.isnan(ratios[2]) and np.isnan(variance_ratios(sar[:1], np.array([2]))[0])
    r = np.array([2.0, 1.5, 0.5, np.nan])
    t = volatility_t(r)
    finite = r[:3]
    assert t.value == pytest.approx((finite.mean() - 1) * np.sqrt(3) / finite.std(ddof=1))
    assert t.p == pytest.approx(2 * stats.t.sf(abs(t.value), 2))


def _panel(rng: np.random.Generator, scale: float, n: int = 400) -> EventPanel:
    """Constant-mean panels with unit-variance residuals; the event day's disturbance s.d. times
    ``scale``."""
    taus = np.arange(-1, 2)
    est = rng.normal(0, 0.02, (n, 200))
    sigma = est.std(axis=1, ddof=1)
    event = rng.normal(0, 0.02, (n, 3))
    event[:, 1] *= scale
    return EventPanel(
        ar_estimation=est - est.mean(axis=1, keepdims=True),
        ar_event=event,
        event_tau=taus,
        estimation_day=np.tile(np.arange(200), (n, 1)),
        event_day=np.tile(np.arange(300, 303), (n, 1)),
        sigma=sigma,
        n_estimation=np.full(n, 200),
        n_params=np.ones(n),
        xtx_inv=np.full((n, 1, 1), 1 / 200),
        x_event=np.ones((n, 3, 1)),
        firm=np.array([f"F{i}" for i in range(n)], dtype=object),
    )


def test_doubled_event_day_variance_is_found() -> None:
    rng = np.random.default_rng(12)
    rows = {r.statistic: r for r in run_battery(_panel(rng, np.sqrt(2.0)), 0, 0, statistics=[
        "abnormal_volatility", "volatility_t"])}  # fmt: skip
    assert rows["abnormal_volatility"].value == pytest.approx(2.0 * (199 / 200) / (1 + 1 / 200), rel=0.15)
    assert rows["volatility_t"].p < 1e-6
    assert rows["abnormal_volatility"].p == rows["volatility_t"].p
    quiet = {r.statistic: r for r in run_battery(_panel(rng, 1.0), -1, 1, statistics=["volatility_t"])}
    assert quiet["volatility_t"].p > 0.001


# -- the volume figure -----------------------------------------------------------------------


def volume_rows() -> pd.DataFrame:
    """volume.parquet-like rows over τ = -1..1: group g1 with three complete pairs, one with a
    missing day and one not estimated; g2 with one pair; two peers."""
    rng = np.random.default_rng(5)
    pairs = [
        ("e1", "AAA", "supplier", "g1", "ok"),
        ("e1", "BBB", "buyer", "g1", "ok"),
        ("e2", "AAA", "supplier", "g1", "ok"),
        ("e2", "CCC", "buyer", "g1", "ok"),  # misses τ = 0: not a complete path
        ("e3", "DDD", "buyer", "g1", "insufficient_estimation"),
        ("e4", "EEE", "investor", "g2", "ok"),
        ("e1", "PPP", "peer", "g1", "ok"),
        ("e2", "QQQ", "peer", "g1", "ok"),
    ]
    rows = []
    for event, ticker, role, group, outcome in pairs:
        abnormal = rng.normal(0.3, 0.5, 3)
        if ticker == "CCC":
            abnormal[1] = np.nan
        if outcome != "ok":
            abnormal[:] = np.nan
        for tau, cav in zip((-1, 0, 1), np.cumsum(abnormal), strict=True):
            rows.append((event, ticker, role, group, tau, cav, outcome))
    columns = ["event_id", "ticker", "role", "group", "tau", "cumulative_abnormal_volume", "outcome"]
    return pd.DataFrame(rows, columns=columns)


def test_volume_paths_are_the_mean_cav_with_a_t_band_of_complete_pairs() -> None:
    from eventstudy.report.paths import volume_paths

    volume = volume_rows()
    paths = volume_paths(volume)
    assert list(dict.fromkeys(paths["group"])) == ["g1", "g2", "all", "peers"]
    cav = volume.set_index(["event_id", "ticker", "tau"])["cumulative_abnormal_volume"].unstack("tau")
    for group, keys in {
        "g1": [("e1", "AAA"), ("e1", "BBB"), ("e2", "AAA")],
        "g2": [("e4", "EEE")],
        "all": [("e1", "AAA"), ("e1", "BBB"), ("e2", "AAA"), ("e4", "EEE")],
        "peers": [("e1", "PPP"), ("e2", "QQQ")],
    }.items():
        values = cav.loc[keys].to_numpy()
        rows = paths[paths["group"] == group]
        n = len(keys)
        assert rows["tau"].tolist() == [-1, 0, 1] and (rows["n"] == n).all()
        np.testing.assert_allclose(rows["mean"], values.mean(axis=0), rtol=1e-13)
        if n == 1:
            assert rows["lower"].isna().all() and rows["upper"].isna().all()
            continue
        half = stats.t.ppf(0.975, n - 1) * values.std(axis=0, ddof=1) / np.sqrt(n)
        np.testing.assert_allclose(rows["upper"] - rows["mean"], half, rtol=1e-12)
        np.testing.assert_allclose(rows["mean"] - rows["lower"], half, rtol=1e-12)


def test_volume_figure_is_small_multiples_at_print_resolution_and_byte_identical() -> None:
    from eventstudy.report.figures import png_bytes, volume_figure

    figure = volume_figure(volume_rows())
    shown = [axes for axes in figure.axes if axes.get_visible()]
    titles = ["g1 (N=3)", "g2 (N=1, no band)", "all (N=4)", "peers (N=2)"]  # a t band needs 2
    assert [axes.get_title(loc="left") for axes in shown] == titles
    first, second = png_bytes(figure), png_bytes(volume_figure(volume_rows()))
    assert first == second and b"Software" not in first
    chunk = first.index(b"pHYs")  # 300 dots per inch = 11,811 per metre
    assert first[chunk + 4 : chunk + 13] == (11811).to_bytes(4, "big") * 2 + b"\x01"


def test_the_report_shows_the_volume_figure_of_the_study(tmp_path: Path) -> None:
    """A simulated +1.5 log-volume spike on day 0: the report's volume section draws each group's
    mean CAV, whose day-0 step is the mean day-0 abnormal volume of volume.parquet, and a second
    rendering writes the same PNG."""
    from eventstudy import save_study
    from eventstudy.report import build_report, read_exports
    from eventstudy.report.paths import volume_paths

    events, config_path = make_study(tmp_path)
    volume_cache(tmp_path / "cache", 1.5)
    config = dataclasses.replace(load_config(config_path), volume="log_volume")
    folder = save_study(run_study(events, tmp_path / "cache", config), tmp_path / "out")
    report = build_report(read_exports(folder))
    (section,) = [s for s in report.sections if s.title == "Abnormal trading volume"]
    assert [f.name for f in section.figures] == ["figures/volume_by_group.png"]
    assert "volume_stats.parquet" in section.figures[0].caption
    written = (folder / "figures" / "volume_by_group.png").read_bytes()
    assert written == section.figures[0].png == report.figures()["figures/volume_by_group.png"]
    assert "figures/volume_by_group.png" in (folder / "report.md").read_text(encoding="utf-8")
    volume = pd.read_parquet(folder / "volume.parquet")
    paths = volume_paths(volume).set_index(["group", "tau"])["mean"]
    day0 = volume[(volume["tau"] == 0) & (volume["role"] != "peer")]["abnormal_volume"].mean()
    assert paths[("all", 0)] - paths[("all", -1)] == pytest.approx(day0, rel=1e-12)
    assert day0 == pytest.approx(1.5, abs=0.45)


def test_a_study_choosing_no_volume_test_is_not_told_of_its_tests(tmp_path: Path) -> None:
    """statistics = ["bootstrap_t"] (no volume statistic): volume_stats.parquet holds the counts of
    the pairs left out only, and the report still said "The tests of the abnormal volume are the
    rows of volume_stats.parquet in the table below"."""
    from eventstudy import save_study
    from eventstudy.report import build_report, read_exports

    events, config_path = make_study(tmp_path)
    volume_cache(tmp_path / "cache", 1.5)
    config = dataclasses.replace(load_config(config_path), volume="log_volume", statistics=("bootstrap_t",))
    folder = save_study(run_study(events, tmp_path / "cache", config), tmp_path / "out")
    counts = pd.read_parquet(folder / "volume_stats.parquet")
    assert len(counts) > 0 and counts["statistic"].str.endswith("_rows").all()
    sections = build_report(read_exports(folder)).sections
    (section,) = [s for s in sections if s.title == "Abnormal trading volume"]
    caption = section.figures[0].caption
    assert "The tests of the abnormal volume are" not in caption
    told = "no test of the abnormal volume: volume_stats.parquet holds only the counts of the pairs left out."
    assert caption.endswith(told)


def test_a_zero_volume_is_missing_whatever_the_close_did() -> None:
    """Yahoo's 0 on a day whose close moved is a gap: ln(1 + 0) there once entered the volume
    model as a real day (four months of such zeros in Oracle's estimation window gave an abnormal
    log volume of 9.8 on an ordinary day). Its gap rows also leave the close empty (a 0 beside it
    read -19.5, patell_z -25.4) or repeat the previous close (-19.9, patell_z -33.5), which a
    ticker's median volume could not tell from a thin stock's day without trades without
    depending on the history cached or the price of a share (three finders): every 0 is missing."""
    frame = pd.DataFrame(
        {
            "date": pd.bdate_range("2025-01-02", periods=7),
            "close": [10.0, 10.5, 10.5, 10.2, np.nan, 10.2, 10.3],
            "volume": [900.0, 0.0, 0.0, -5.0, 0.0, 0.0, np.nan],
        }
    )
    calendar = pd.DatetimeIndex(frame["date"])
    panel = volume_panel({"X": frame, "R": frame.drop(columns="volume")}, calendar, ["X", "R", "absent"])
    np.testing.assert_array_equal(panel[:, 0], frame["volume"])  # the cache's figures, 0 kept
    assert traded(panel)[0, 0] == 900.0 and np.isnan(traded(panel)[1:, 0]).all()
    assert np.isnan(panel[:, 1:]).all()  # a returns series and an absent symbol have no volume


def test_an_index_whose_volume_yahoo_reports_as_zero_has_none(shared_data: Path, launch_cache: Path) -> None:
    """^VIX's volume is 0 every day: missing every day. A study of it was
    insufficient_estimation, never no_volume: a ticker without a volume above 0 has none."""
    vix = pd.read_csv(shared_data / "prices" / "^VIX.csv")
    frame = pd.DataFrame({"close": vix["Close"], "volume": vix["Volume"]})
    assert (frame["volume"] == 0).all()
    kept = traded(frame["volume"].to_numpy(dtype=float))
    assert np.isnan(kept).all()
    config = launch_config(volume="log_volume")
    results = run_study(ROOT / "events.csv", PriceStore(launch_cache), config, peers=("^VIX",))
    outcome = results.volume.drop_duplicates(["event_id", "ticker"]).set_index("ticker")["outcome"]
    assert set(outcome.loc["^VIX"]) == {"no_volume"} and (outcome.drop("^VIX") == "ok").any()
    # ... and volume_stats counts the pairs it leaves out so (an index market left every test NaN
    # with n = 0, no row saying why)
    stats = results.volume_stats.set_index(["group", "window", "statistic"])
    peers = results.volume.drop_duplicates(["event_id", "ticker"]).query("role == 'peer'")
    for window in ("[0,0]", "[-1,+1]"):
        assert stats.loc[("peers", window, "no_volume_rows"), "n"] == (peers["outcome"] == "no_volume").sum()
        assert stats.loc[("all", window, "no_volume_rows"), "n"] == 0


def test_a_zero_on_the_first_row_is_missing() -> None:
    """A 0 on a series' first row entered the volume model as ln(1 + 0), 17 natural-log units below a
    normal day (an abnormal-volume s.e. of 1.27 against 0.35 without it, in an independent
    re-derivation); an unchanged close after it shows no trade either."""
    frame = pd.DataFrame({"close": [10.0, 10.0, 10.0], "volume": [0.0, 0.0, 5.0]})
    np.testing.assert_array_equal(traded(frame["volume"].to_numpy(dtype=float)), [np.nan, np.nan, 5.0])


def test_a_pair_with_its_own_benchmark_has_that_benchmarks_volume(launch_cache, tmp_path) -> None:
    """The events' market column names each pair's benchmark for its returns and for its volume
    (Campbell & Wasley's V_mt is the benchmark's log volume): NVDA against SMH regresses on SMH's
    volume, not SPY's (found by an independent re-derivation; the volume model used SPY's for all)."""
    from _studies import EVENTS_HEADER

    from eventstudy.data.store import PriceStore

    events = tmp_path / "events.csv"
    events.write_text(
        EVENTS_HEADER.replace("headline", "headline,market")
        + "a,2025-09-22,pre,NVDA,investor,,g,x,SMH\nb,2025-09-22,pre,ORCL,partner,,g,x,\n"
    )
    config = dataclasses.replace(
        load_config(ROOT / "launch.toml"), peers=(), flows=(), crosssection=(), backtest=None
    )
    volume = run_study(events, launch_cache, config).volume
    store = PriceStore(launch_cache)
    for ticker, benchmark in (("NVDA", "SMH"), ("ORCL", "SPY")):
        rows = volume[(volume.ticker == ticker) & (volume.tau == 0)]
        day = rows["date"].iloc[0]
        prices = store.read_prices(benchmark).set_index("date")
        expected = np.log1p(prices.loc[day, "volume"])
        assert rows["market_log_volume"].iloc[0] == pytest.approx(expected, rel=1e-15)


def test_a_pair_whose_return_model_was_not_fitted_has_no_volume_model(launch_cache: Path) -> None:
    """The volume model shares the return model's estimation days; a pair whose return model was
    not fitted fell back to every day with a volume, so with exclude_overlapping_windows and
    min_estimation_obs = 230 seven parties had no returns (224 days left) but an abnormal volume
    on 250 days. They take the returns' outcome, and the volume tests count the same pairs."""
    config = launch_config(volume="log_volume", exclude_overlapping_windows=True, min_estimation_obs=230)
    results = run_study(ROOT / "events.csv", PriceStore(launch_cache), config, peers=())
    returns = results.car.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])
    volume = results.volume.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])
    short = returns["outcome"] == "insufficient_estimation"
    assert 0 < short.sum() < len(returns) and (returns.loc[short, "n_est"] < 230).all()
    assert (volume.loc[short[short].index, "outcome"] == "insufficient_estimation").all()
    assert (volume.loc[short[~short].index, "outcome"] == "ok").all()
    day0 = results.volume_stats.query("group == 'all' and window == '[0,0]' and statistic == 'caar'")
    assert day0["n"].item() == (~short).sum()


def test_turnover_on_a_caveated_share_count_carries_the_caveat(launch_cache: Path) -> None:
    """launch.toml's [[shares.caveats]] says INTC's count leaves out ~433M shares from 2025-08-22:
    its car.parquet rows said so, but log turnover divided by the same count (about 0.094 too high
    a day from then on) with no word (a referee). Every volume.parquet row of an INTC pair whose
    volume model used a day from 2025-08-22, and INTC's event days from then on, carry the note;
    no other row does, and log volume, which uses no count, none."""
    from eventstudy.columns import SHARES_CAVEAT

    config = launch_config(volume="log_turnover")
    (caveat,) = config.share_caveats
    results = run_study(ROOT / "events.csv", PriceStore(launch_cache), config)
    volume = results.volume
    start = pd.Timestamp(caveat.start)
    day0 = results.car[results.car.window == "[0,0]"].set_index(["event_id", "ticker"])["day0"]
    calendar = pd.DatetimeIndex(results.estimates.panel.calendar)
    estimated_after = {  # the volume model's estimation window [-260, -11] reaches the caveat's day
        key: calendar[calendar.searchsorted(day) - 11] >= start for key, day in day0.items()
    }
    pair_after = volume.apply(lambda row: estimated_after[(row.event_id, row.ticker)], axis=1)
    expected = (volume["ticker"] == "INTC") & (pair_after | (volume["date"] >= start))
    assert expected.sum() > 0 and (volume["ticker"] == "INTC").sum() > expected.sum()
    assert (volume["note"] == f"{SHARES_CAVEAT}{caveat.note}").to_numpy().tolist() == expected.tolist()
    plain = run_study(ROOT / "events.csv", PriceStore(launch_cache), launch_config(volume="log_volume"))
    assert (plain.volume["note"] == "").all()
    from eventstudy.report.sections import _volume_caveats  # the figure's caption says it

    pairs = volume[expected].drop_duplicates(["event_id", "ticker"])
    assert _volume_caveats(volume) == (
        f"The log turnover of {len(pairs)} pairs (INTC) divides, on some of their days, by a share count "
        "the config's [[shares.caveats]] flag (volume.parquet's note). "
    )
    assert _volume_caveats(plain.volume) == "" == _volume_caveats(volume.drop(columns=["note"]))


def test_turnover_short_of_market_volume_is_not_short_of_share_counts(launch_cache: Path, tmp_path) -> None:
    """NVDA on 2025-05-23 against SPYV, SPY's prices with no volume before February 2025: the
    return model is fitted, the volume model lacks the benchmark's volume on most days. That is
    insufficient_estimation, as under log_volume, not no_share_counts, which counted the days
    with the firm's volume alone."""
    import shutil

    from _studies import EVENTS_HEADER

    cache = Path(shutil.copytree(launch_cache, tmp_path / "cache"))
    store = PriceStore(cache)
    spy = store.read_prices("SPY")
    spy["volume"] = spy["volume"].where(spy["date"] >= pd.Timestamp("2025-02-01"))
    store.write_prices("SPYV", spy, {"source": "test", "symbol": "SPYV"})
    events = tmp_path / "events.csv"
    header = EVENTS_HEADER.replace("headline", "headline,market")
    events.write_text(header + "a,2025-05-23,pre,NVDA,buyer,,g,x,SPYV\n")
    base = launch_config(peers=(), flows=())
    for measure in ("log_turnover", "log_volume"):
        results = run_study(events, cache, dataclasses.replace(base, volume=measure))
        assert set(results.car["outcome"]) == {"ok"}, measure  # the return model is fitted
        assert set(results.volume["outcome"]) == {"insufficient_estimation"}, measure


@pytest.mark.parametrize("exclude", [False, True])
def test_volume_tests_leave_out_the_confounded_windows_as_returns_do(launch_cache, exclude: bool) -> None:
    """With exclude_confounded, Amazon's and Oracle's earnings volume stayed in the volume tests
    (openai-compute [-1,+1]: n 12 and KP-BMP 2.48, p 0.031, against 10 and 1.70 without those
    windows), and the default had no (unconfounded) twins in volume_stats.parquet."""
    config = dataclasses.replace(
        load_config(ROOT / "launch.toml"), peers=(), backtest=None, exclude_confounded=exclude
    )
    results = run_study(ROOT / "events.csv", PriceStore(launch_cache), config)
    car = results.car[results.car.window == "[-1,+1]"]
    clean = car[car["confounded"].eq(False) & (car.group == "openai-compute")]
    volume = results.volume[(results.volume.tau == 1) & (results.volume.outcome == "ok")]
    cav = volume.set_index(["event_id", "ticker"])["cumulative_abnormal_volume"]
    # CAV over [-1,+1] = cumulative from tau = -5 at +1 less at -2
    before = results.volume[results.volume.tau == -2].set_index(["event_id", "ticker"])
    before = before["cumulative_abnormal_volume"]
    window_cav = (cav - before).loc[list(zip(clean.event_id, clean.ticker, strict=True))]
    stats = results.volume_stats.set_index(["group", "window", "statistic"])
    group = "openai-compute" if exclude else "openai-compute (unconfounded)"
    assert stats.loc[(group, "[-1,+1]", "caar"), "n"] == len(window_cav) == 10
    assert stats.loc[(group, "[-1,+1]", "caar"), "value"] == pytest.approx(window_cav.mean(), rel=1e-12)
    assert ("openai-compute (unconfounded)" in set(results.volume_stats.group)) == (not exclude)
    if not exclude:
        assert stats.loc[("openai-compute", "[-1,+1]", "caar"), "n"] == 12


def test_a_pair_without_a_day_0_has_the_return_studys_outcome_in_volume(launch_cache, tmp_path) -> None:
    """A Saturday under day0_rule = "skip" and a holiday beyond day0_max_shift: car.parquet said
    day0_not_a_session and day0_shift_too_large, volume.parquet insufficient_estimation."""
    from _studies import EVENTS_HEADER

    events = tmp_path / "events.csv"
    events.write_text(
        EVENTS_HEADER
        + "a,2025-06-14,pre,NVDA,investor,,g,x\n"  # a Saturday
        + "b,2025-06-20,post,ORCL,partner,,g,x\n"  # Friday after the close: Monday, 3 days on
        + "c,2025-09-22,pre,AMD,partner,,g,x\n"
    )
    config = dataclasses.replace(
        load_config(ROOT / "launch.toml"), peers=(), flows=(), crosssection=(), backtest=None
    )
    for rule, shift, expected in (("skip", None, "day0_not_a_session"), ("next", 2, "day0_shift_too_large")):
        rules = dataclasses.replace(config, day0_rule=rule, day0_max_shift=shift)
        results = run_study(events, launch_cache, rules)
        car = results.car.groupby("event_id")["outcome"].first()
        volume = results.volume.groupby("event_id")["outcome"].first()
        row = "a" if rule == "skip" else "b"
        assert car[row] == volume[row] == expected
        assert car["c"] == volume["c"] == "ok"

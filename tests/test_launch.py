"""The launch study on the real shared data: raw returns, statsmodels agreement, dollar values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _panels import panel_returns

from eventstudy.config import load_config
from eventstudy.data.events import read_events
from eventstudy.data.store import PriceStore
from eventstudy.results import StudyResults
from eventstudy.study import run_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results(launch_cache: Path) -> StudyResults:
    config = load_config(ROOT / "launch.toml")
    return run_study(read_events(ROOT / "events.csv"), PriceStore(launch_cache), config, peers=())


def yahoo_csv(shared_data: Path, symbol: str) -> pd.DataFrame:
    return pd.read_csv(shared_data / "prices" / f"{symbol}.csv", parse_dates=["Date"]).set_index("Date")


def ar_row(results: StudyResults, event_id: str, ticker: str, tau: int) -> pd.Series:
    ar = results.ar
    return ar[(ar.event_id == event_id) & (ar.ticker == ticker) & (ar.tau == tau)].iloc[0]


def car_row(results: StudyResults, event_id: str, ticker: str, window: str) -> pd.Series:
    car = results.car
    return car[(car.event_id == event_id) & (car.ticker == ticker) & (car.window == window)].iloc[0]


@pytest.mark.parametrize(
    ("event_id", "ticker", "date", "reported"),
    [
        # Close-to-close moves reported in the news and recomputed in prices/PROVENANCE.md.
        ("oracle-openai-300b", "ORCL", "2025-09-10", 0.3595),
        ("deepseek-r1", "NVDA", "2025-01-27", -0.1697),
        ("nvidia-intel-5b", "INTC", "2025-09-18", 0.2277),
        ("nvidia-openai-100b", "NVDA", "2025-09-22", 0.0393),
        ("amd-openai-6gw", "AMD", "2025-10-06", 0.2371),
        ("broadcom-openai-10gw", "AVGO", "2025-10-13", 0.0988),
    ],
)
def test_event_day_returns_are_the_data(results, shared_data, event_id, ticker, date, reported) -> None:
    row = ar_row(results, event_id, ticker, 0)
    assert row.date == pd.Timestamp(date)
    adj = yahoo_csv(shared_data, ticker)["Adj Close"]
    position = adj.index.get_loc(pd.Timestamp(date))
    assert row.ret == pytest.approx(adj.iloc[position] / adj.iloc[position - 1] - 1, rel=1e-12)
    assert row.ret == pytest.approx(reported, abs=5e-5)


def test_market_return_is_spy(results) -> None:
    # PROVENANCE.md: SPY fell 1.41% on 2025-01-27.
    assert ar_row(results, "deepseek-r1", "NVDA", 0).market_ret == pytest.approx(-0.0141, abs=5e-5)


def test_every_pair_matches_statsmodels(results) -> None:
    returns = panel_returns(results.estimates.panel)
    for i, row in enumerate(results.events.itertuples(index=False)):
        days = results.estimates.estimation_days[i]
        frame = returns.iloc[days[days >= 0]][[row.ticker, "SPY"]].dropna()
        ols = sm.OLS(frame[row.ticker], sm.add_constant(frame["SPY"])).fit()
        fitted = car_row(results, row.event_id, row.ticker, "[0,0]")
        assert fitted.n_est == int(ols.nobs)
        np.testing.assert_allclose([fitted.alpha, fitted.beta], ols.params.to_numpy(), rtol=1e-9)
        assert fitted.sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-10)
        # Day-0 AR and its prediction-error-corrected s.e. from statsmodels' prediction.
        day0 = returns.index.get_loc(fitted.day0)
        prediction = ols.get_prediction(np.array([[1.0, returns["SPY"].iloc[day0]]]))
        assert fitted.car == pytest.approx(
            returns[row.ticker].iloc[day0] - prediction.predicted_mean[0], abs=1e-12
        )
        assert fitted.car_se == pytest.approx(prediction.se_obs[0], rel=1e-10)


def test_post_announcement_moves_day_zero(results) -> None:
    row = car_row(results, "oracle-openai-300b", "ORCL", "[0,0]")
    assert row.day0 == pd.Timestamp("2025-09-10")
    assert row.day0_shift.startswith("post-close")
    gb200 = car_row(results, "oracle-gb200-order", "NVDA", "[0,0]")
    assert gb200.day0 == pd.Timestamp("2025-05-27")  # Friday evening, then Memorial Day


def test_market_value_uses_latest_share_count_before_the_day(results, shared_data) -> None:
    # Day 0 2025-09-22: market value on 2025-09-19 = close x the figure as of 2025-08-22 (24.3B);
    # the 2025-09-22 snapshot is dated after tau-1 and must not be used.
    row = car_row(results, "nvidia-openai-100b", "NVDA", "[0,0]")
    close = yahoo_csv(shared_data, "NVDA").loc["2025-09-19", "Close"]
    assert row.shares_as_of == pd.Timestamp("2025-08-22")
    assert row.mcap_prev_usd == pytest.approx(close * 24.3e9, rel=1e-12)
    assert row.mcap_prev_usd == pytest.approx(4.293e12, rel=1e-3)
    assert row.abnormal_value_usd == pytest.approx(row.car * row.mcap_prev_usd, rel=1e-12)
    assert row.value_to_deal == pytest.approx(row.abnormal_value_usd / 100e9, rel=1e-12)


def test_window_value_sums_daily_dollar_abnormal_returns(results, launch_cache) -> None:
    row = car_row(results, "oracle-openai-300b", "ORCL", "[-1,+1]")
    store = PriceStore(launch_cache)
    close = store.read_prices("ORCL").set_index("date")["close"]
    shares = store.read_shares("ORCL").set_index("as_of")["shares_outstanding"]
    total = 0.0
    for tau in (-1, 0, 1):
        ar = ar_row(results, "oracle-openai-300b", "ORCL", tau)
        previous = close.index[close.index.get_loc(ar.date) - 1]
        total += ar.ar * close[previous] * shares[shares.index <= previous].iloc[-1]
    assert row.abnormal_value_usd == pytest.approx(total, rel=1e-12)
    assert row.value_to_deal == pytest.approx(total / 300e9, rel=1e-12)


def test_missing_deal_and_share_notes(results) -> None:
    amd = car_row(results, "amd-openai-6gw", "AMD", "[0,0]")
    assert np.isnan(amd.deal_usd) and np.isnan(amd.value_to_deal)
    assert np.isfinite(amd.abnormal_value_usd)
    assert "no deal size (deal_usd blank)" in amd.note
    shock = car_row(results, "deepseek-r1", "NVDA", "[0,0]")  # no deal: none undisclosed either
    assert "no deal size (deal_usd blank)" in shock.note and "undisclosed" not in shock.note
    intel = car_row(results, "nvidia-intel-5b", "INTC", "[0,0]")
    assert "shares caveat" in intel.note and "433M" in intel.note


def test_a_share_caveat_goes_with_every_window_that_values_a_day_after_its_start(
    launch_cache: Path, tmp_path: Path
) -> None:
    """A window's dollar value uses the market value before each of its days: a caveat from
    2025-08-22 concerns [-1,+1] and [-5,+5] of an announcement on Monday 2025-08-25 (their later
    days are valued with the count it concerns), though the session before their first day is
    earlier (the note was attached from that session alone). [-5,-2] values no day after it."""
    (tmp_path / "events.csv").write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "intc-straddle,2025-08-25,pre,INTC,investee,1e9,g,a caveat starts inside the window\n"
    )
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "caveat"\nmarket = "SPY"\n'
        "event_windows = [[0, 0], [-1, 1], [-5, 5], [-5, -2]]\n"
        '[[shares.caveats]]\nticker = "INTC"\nfrom = 2025-08-22\nnote = "count excludes new shares"\n'
    )
    events, config = read_events(tmp_path / "events.csv"), load_config(tmp_path / "study.toml")
    car = run_study(events, PriceStore(launch_cache), config, peers=()).car.set_index("window")
    assert np.isfinite(car["abnormal_value_usd"]).all()
    caveat = "shares caveat: count excludes new shares"
    noted = {window: caveat in note for window, note in car["note"].items()}
    assert noted == {"[0,0]": True, "[-1,+1]": True, "[-5,+5]": True, "[-5,-2]": False}


def test_coreweave_estimates_on_its_short_history(results, shared_data) -> None:
    # IPO 2025-03-28: the first return is 2025-03-31; the estimation window of the
    # 2025-09-25 event ends at tau=-11 (2025-09-10).
    dates = yahoo_csv(shared_data, "CRWV").index
    expected = int(((dates > pd.Timestamp("2025-03-28")) & (dates <= pd.Timestamp("2025-09-10"))).sum())
    row = car_row(results, "coreweave-openai-6.5b", "CRWV", "[0,0]")
    assert row.n_est == expected
    assert row.outcome == "ok"


def test_all_rows_reported(results) -> None:
    assert len(results.car) == 25 * 4
    assert len(results.ar) == 25 * 11
    assert set(results.car.outcome) == {"ok"}
    first = results.ar.groupby(["event_id", "ticker"], sort=False)
    np.testing.assert_allclose(results.ar["car"], first["ar"].cumsum(), rtol=1e-12)


def test_insufficient_estimation_is_reported_not_dropped(launch_cache, tmp_path) -> None:
    # CoreWeave's first event would need 200 valid returns: it is kept with an outcome.
    from eventstudy.config import StudyConfig

    events = read_events(ROOT / "events.csv")
    crwv = events[events.ticker == "CRWV"]
    results = run_study(crwv, PriceStore(launch_cache), StudyConfig(min_estimation_obs=200))
    assert set(results.car.outcome) == {"insufficient_estimation"}
    assert results.car.note.str.contains("200 required").all()
    assert results.car["car"].isna().all()


def test_daily_ar_tests_match_statsmodels_prediction_errors(results) -> None:
    from scipy import stats

    returns = panel_returns(results.estimates.panel)
    i = int(
        np.flatnonzero((results.events.event_id == "nvidia-intel-5b") & (results.events.ticker == "INTC"))[0]
    )
    days = results.estimates.estimation_days[i]
    frame = returns.iloc[days[days >= 0]][["INTC", "SPY"]].dropna()
    ols = sm.OLS(frame["INTC"], sm.add_constant(frame["SPY"])).fit()
    for tau in (-3, 0, 2):
        row = ar_row(results, "nvidia-intel-5b", "INTC", tau)
        prediction = ols.get_prediction(np.array([[1.0, returns.loc[row.date, "SPY"]]]))
        assert row.ar_se == pytest.approx(prediction.se_obs[0], rel=1e-10)
        assert row.ar_t == pytest.approx(row.ar / prediction.se_obs[0], rel=1e-10)
        assert row.ar_p == pytest.approx(2 * stats.t.sf(abs(row.ar_t), ols.df_resid), rel=1e-9)
    day0 = car_row(results, "nvidia-intel-5b", "INTC", "[0,0]")
    assert ar_row(results, "nvidia-intel-5b", "INTC", 0).ar_t == pytest.approx(day0.t, rel=1e-12)
    assert day0.t > 7  # Intel's +22.8% day: about seven standard errors


def test_a_checkout_converting_line_endings_keeps_the_report_and_the_events_bytes(tmp_path) -> None:
    """Git for Windows converts text files to CRLF (core.autocrlf=true): the committed report then
    verified as DIFFERENT (its markdown and HTML 'changed since the run', the events file's hash
    another). .gitattributes keeps their bytes."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "windows"
    subprocess.run(["git", "clone", "-q", "-c", "core.autocrlf=true", str(ROOT), str(clone)], check=True)
    files = [Path("events.csv"), *sorted(p.relative_to(ROOT) for p in (ROOT / "reports").rglob("*.md"))]
    assert len(files) > 2
    for name in files:
        assert b"\r\n" not in (clone / name).read_bytes(), name


def test_the_readme_at_a_glance_figures_are_the_committed_reports() -> None:
    """The README's opening figures are those of the committed launch report's tables (a referee
    checked them by hand; a regenerated report that moved one would leave the README stale)."""
    from eventstudy.report import fmt

    folder = ROOT / "reports" / "ai-deal-wave-2025"
    car = pd.read_parquet(folder / "car.parquet").set_index(["event_id", "ticker", "window"])
    stats = pd.read_parquet(folder / "stats.parquet").set_index(["group", "window", "statistic"]).sort_index()
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split("## ", 1)[0].split())
    expected = []
    for event_id, ticker, window in (
        ("oracle-openai-300b", "ORCL", "[0,0]"),
        ("nvidia-openai-100b", "NVDA", "[0,0]"),
        ("nvidia-intel-5b", "INTC", "[0,0]"),
        ("deepseek-r1", "NVDA", "[0,0]"),
        ("deepseek-r1", "NVDA", "[-1,+1]"),
        ("nvidia-openai-100b", "NVDA", "[-1,+1]"),
    ):
        row = car.loc[(event_id, ticker, window)]
        expected.append(fmt.money(row["abnormal_value_usd"]).replace("-", "−"))
        if window == "[0,0]":
            expected.append(f"{row['car']:+.2%}".replace("-", "−"))
    group = stats.loc[("openai-compute", "[-1,+1]")]
    expected += [
        fmt.money(group.loc["dollar_abnormal_value", "value"]),
        f"CAAR {group.loc['caar', 'value']:+.2%}",
        f"t = {group.loc['kp_adjusted_bmp_t', 'value']:.2f}",
        f"q = {group.loc['kp_adjusted_bmp_t', 'p_bh']:.3f}",
        f"two-way clustered t is {group.loc['cluster_two_way_t', 'value']:.2f}, p = "
        f"{group.loc['cluster_two_way_t', 'p']:.2f}",
    ]
    missing = [figure for figure in expected if figure not in text]
    assert not missing, missing

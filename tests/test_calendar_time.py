"""Calendar-time portfolios: the factor regression against statsmodels (1e-10), the portfolio and
its monthly compounding in closed form, and the launch backtest's 1-day portfolio rebuilt from
trades.parquet and Ken French's CSV, regressed by statsmodels."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.backtest.calendar_time import factor_regression, monthly, portfolio_series
from eventstudy.backtest.export import CALENDAR_TIME_FILE, OUTPUT_FILES, backtest_files
from eventstudy.backtest.rules import BacktestConfig, parse_backtest_table
from eventstudy.config import load_config
from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.study import run_study

ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-10


@pytest.mark.parametrize("seed", [0, 1])
def test_factor_regression_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 120
    f = rng.normal(0, 0.01, (n, 3))
    y = 0.0005 + f @ np.array([1.1, 0.3, -0.2]) + rng.normal(0, 0.01, n) * (1 + np.abs(f[:, 0]) * 50)
    y[[3, 17]] = np.nan
    ours = factor_regression(y, f, ("Mkt-RF", "SMB", "HML"))
    keep = np.isfinite(y)
    x = sm.add_constant(f[keep])
    for cov_type in ("nonrobust", "HC1"):
        fit = sm.OLS(y[keep], x).fit(cov_type=cov_type)
        np.testing.assert_allclose(ours.coef, fit.params, rtol=TOL)
        np.testing.assert_allclose(ours.se[cov_type], fit.bse, rtol=TOL)
        np.testing.assert_allclose(ours.p(cov_type), 2 * stats.t.sf(np.abs(fit.tvalues), n - 6))
        student = sm.OLS(y[keep], x).fit(cov_type=cov_type, use_t=True)  # the docstring's claim
        np.testing.assert_allclose(ours.p(cov_type), student.pvalues, rtol=1e-9)
    assert ours.n == 118 and ours.df == 114 and ours.terms[0] == "alpha"
    assert ours.r_squared == pytest.approx(sm.OLS(y[keep], x).fit().rsquared, rel=TOL)
    short = factor_regression(y[:3], f[:3], ("Mkt-RF", "SMB", "HML"))
    assert np.isnan(short.coef).all()


def test_portfolio_series_in_closed_form() -> None:
    """Two positions held 2 days: long A on days 1-2, short B on days 2-3, equal weights; RF 0.01%
    a day. Day 1: A - rf; day 2: mean(A - rf, -(B - rf)); day 3: -(B - rf); days 0 and 4: none."""
    dates = pd.bdate_range("2025-01-06", periods=5)
    days = np.array([[1, 2], [2, 3]])
    returns = np.array([[0.02, -0.01], [0.03, 0.005]])
    signs = np.array([1, -1])
    held = np.zeros((5, 2), dtype=bool)
    held[[1, 2], 0] = True
    held[[2, 3], 1] = True
    weights = held / held.sum(axis=1, keepdims=True).clip(min=1)
    rf = np.full(5, 0.0001)
    series = portfolio_series(dates, days, returns, signs, weights, held, rf)
    day2 = 0.5 * (-0.01 - 0.0001) - 0.5 * (0.03 - 0.0001)
    expected = [np.nan, 0.02 - 0.0001, day2, -(0.005 - 0.0001), np.nan]
    np.testing.assert_allclose(series.excess, expected, rtol=1e-14)
    assert series.positions.tolist() == [0, 1, 2, 1, 0]


def test_monthly_compounding_in_closed_form() -> None:
    dates = pd.DatetimeIndex(["2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04"])
    excess = np.array([0.01, -0.02, np.nan, 0.03])
    rf = np.full(4, 0.001)
    factors = np.array([[0.005, 0.001], [0.002, -0.002], [0.0, 0.0], [-0.01, 0.004]])
    y, x, days = monthly(dates, excess, rf, factors, ("Mkt-RF", "SMB"))
    assert days.tolist() == [2, 1]
    assert y[0] == pytest.approx(1.011 * 0.981 - 1.001**2, rel=1e-12)
    assert x[0, 0] == pytest.approx(1.006 * 1.003 - 1.001**2, rel=1e-12)
    assert x[0, 1] == pytest.approx(1.001 * 0.998 - 1, rel=1e-12)
    assert y[1] == pytest.approx(0.03, rel=1e-12) and x[1, 1] == pytest.approx(0.004, rel=1e-12)


def test_rule_keys_are_checked(tmp_path: Path) -> None:
    table = {"calendar_time": ["capm", "carhart4"], "calendar_time_frequency": "monthly"}
    rule = parse_backtest_table(table, "x")
    assert rule.calendar_time == ("capm", "carhart4") and rule.calendar_time_frequency == "monthly"
    assert BacktestConfig.from_dict(rule.to_dict()) == rule
    for table, field in (
        ({"calendar_time": ["ff5"]}, "backtest.calendar_time"),
        ({"calendar_time": ["capm", "capm"]}, "backtest.calendar_time"),
        ({"calendar_time": 3}, "backtest.calendar_time"),
        ({"calendar_time_frequency": "weekly"}, "backtest.calendar_time_frequency"),
    ):
        with pytest.raises(InputError) as error:
            parse_backtest_table(table, "study.toml")
        assert error.value.field == field
    # a frequency without models was accepted and ignored, recorded beside "calendar_time": [] (a finder)
    alone = (
        {"calendar_time_frequency": "monthly"},
        {"calendar_time": [], "calendar_time_frequency": "daily"},
    )
    for table in alone:
        with pytest.raises(InputError) as error:
            parse_backtest_table(table, "study.toml")
        assert (error.value.field, error.value.message) == (
            "backtest.calendar_time_frequency",
            "has no effect without calendar_time (the calendar-time models to fit: capm, ff3, carhart4)",
        )


@pytest.fixture(scope="module")
def factor_cache(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ct-cache")
    import_paths(PriceStore(root), [shared_data / "prices", shared_data / "shares", shared_data / "factors"])
    return root


def french(shared_data: Path, name: str) -> pd.DataFrame:
    """A Ken French daily CSV read here directly (percent -> decimal)."""
    lines = (shared_data / "factors" / f"{name}.csv").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(","))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append([c.strip() for c in line.split(",")])
    header = ["date", *[c.strip() for c in lines[start].split(",")[1:]]]
    frame = pd.DataFrame(rows, columns=header)
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame.set_index("date").astype(float) / 100


def test_launch_one_day_portfolio_is_rebuilt_from_trades_and_french(
    factor_cache: Path, shared_data: Path
) -> None:
    """k = 1: each trade is held on day d+1 alone, so the portfolio's excess return on a day is the
    mean over that day's trades of side x (ret - RF); its Carhart regression by statsmodels."""
    config = load_config(ROOT / "launch.toml")
    rule = dataclasses.replace(config.backtest, calendar_time=("capm", "carhart4"))
    config = dataclasses.replace(config, backtest=rule)
    results = run_study(ROOT / "events.csv", factor_cache, config, peers=())
    table = results.backtest.calendar_time
    trades = results.backtest.trades
    one = trades[(trades.holding_days == 1) & (trades.outcome == "ok")].copy()
    ff3 = french(shared_data, "F-F_Research_Data_Factors_daily")
    mom = french(shared_data, "F-F_Momentum_Factor_daily")
    one["rf"] = ff3["RF"].reindex(one["exit_date"]).to_numpy()
    one["side_sign"] = np.where(one["side"] == "long", 1.0, -1.0)
    one["x"] = one["side_sign"] * (one["ret"] - one["rf"])
    daily = one.groupby("exit_date")["x"].mean()
    factors = pd.concat([ff3[["Mkt-RF", "SMB", "HML"]], mom[[mom.columns[0]]]], axis=1).reindex(daily.index)
    for model, columns in (("capm", ["Mkt-RF"]), ("carhart4", list(factors.columns))):
        fit = sm.OLS(daily.to_numpy(), sm.add_constant(factors[columns].to_numpy())).fit()
        rows = table[(table.holding_days == 1) & (table.model == model) & (table.cov_type == "nonrobust")]
        np.testing.assert_allclose(rows["coef"].to_numpy(), fit.params, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(rows["se"].to_numpy(), fit.bse, rtol=1e-9)
        assert int(rows["n_periods"].iloc[0]) == len(daily)
    assert set(table.holding_days) == set(rule.holding_days)
    # A notebook's summary shows the alphas (they were in report.md only), each as its row holds it.
    summary = str(results.backtest.summary())
    assert "Calendar-time alphas (gross of trading costs" in summary
    alphas = table[table.term == "alpha"]
    assert len(alphas) == 2 * 2 * len(rule.holding_days)  # 2 models x 2 covariances
    for r in alphas.itertuples():
        line = f"{r.holding_days:>3} {r.frequency:<8} {r.model:<9} {r.cov_type:<9} {r.coef:>+10.4%}"
        assert line in summary, line
    # the command line lists the file among those it wrote (it listed the five others only)
    assert backtest_files(results.backtest) == (*OUTPUT_FILES, CALENDAR_TIME_FILE)


def test_missing_french_files_offline_are_one_line_errors(launch_cache: Path) -> None:
    config = load_config(ROOT / "launch.toml")
    rule = dataclasses.replace(config.backtest, calendar_time=("ff3",))
    with pytest.raises(DataUnavailableError, match="F-F_Research_Data_Factors_daily"):
        run_study(ROOT / "events.csv", launch_cache, dataclasses.replace(config, backtest=rule), peers=())


def test_the_reports_section_says_the_alphas_are_gross_of_costs() -> None:
    """The section read as net beside the backtest's net equity curve (an audit: k=1's CAPM
    alpha -0.0081 gross, -0.0101 with 2 x 10 bps); its title says what they are, and it shows
    the mean number of open positions."""
    from eventstudy.report.sections import METHOD_TABLES

    title, columns = METHOD_TABLES["calendar_time.parquet"]
    assert "gross of trading costs" in title and "periods with an open position only" in title
    assert "mean_positions" in columns


def test_a_mean_number_of_positions_is_shown_as_it_is() -> None:
    """A finder's report showed mean_positions 1.9231 as 1 (a count's format cut it to its
    integer part); a count that is not whole keeps two decimals, a whole one none."""
    from eventstudy.output.schema import SCHEMAS
    from eventstudy.report import fmt

    unit = SCHEMAS["calendar_time.parquet"]["mean_positions"].unit
    shown = [fmt.by_unit(v, unit) for v in (1.9231, 4.4248, 3.0, np.int64(12_345))]
    assert shown == ["1.92", "4.42", "3", "12,345"]
    assert fmt.by_unit(np.float64(24_300_000_000.0), "shares") == "24,300,000,000"
    assert fmt.by_unit(float("nan"), unit) == fmt.MISSING

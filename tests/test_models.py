"""Expected-return models: statsmodels as the oracle, known answers, Scholes-Williams checks."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.cli import main
from eventstudy.config import StudyConfig, load_config
from eventstudy.data.events import read_events
from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.errors import InputError
from eventstudy.estimate import PairEstimates, estimate
from eventstudy.factors import FactorTable
from eventstudy.models import (
    MODELS,
    DimsonModel,
    FamaFrench3Model,
    MarketModel,
    ScholesWilliamsModel,
    SectorModel,
    fit_scholes_williams_batch,
)
from eventstudy.models.factor import FF3_FILE
from eventstudy.models.ols import fit_ols_batch
from eventstudy.output import export
from eventstudy.output.manifest import build_manifest
from eventstudy.results import StudyResults
from eventstudy.study import run_study
from eventstudy.timeline.returns import ReturnsPanel, build_panel

ROOT = Path(__file__).resolve().parents[1]


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cache(launch_cache: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The launch cache plus the three Ken French files."""
    root = tmp_path_factory.mktemp("factor-cache")
    shutil.copytree(launch_cache, root, dirs_exist_ok=True)
    import_paths(PriceStore(root), [shared_data / "factors"])
    return root


@pytest.fixture(scope="module")
def launch(cache: Path):
    runs: dict[tuple, PairEstimates] = {}
    events = read_events(ROOT / "events.csv")
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None)

    def run(model: str, **options) -> PairEstimates:
        key = (model, *sorted(options.items()))
        if key not in runs:
            study = dataclasses.replace(config, model=model, **options)
            estimates = run_study(events, PriceStore(cache), study, peers=()).estimates
            assert estimates is not None
            runs[key] = estimates
        return runs[key]

    return run


def french_csv(shared_data: Path, name: str) -> pd.DataFrame:
    """A French file read independently of eventstudy.data.factors: percent -> decimal, by date."""
    path = shared_data / "factors" / f"{name}.csv"
    lines = path.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(","))
    end = next(i for i in range(header + 1, len(lines)) if not lines[i].strip())
    frame = pd.read_csv(path, skiprows=header, nrows=end - header - 1, skipinitialspace=True)
    frame.columns = ["date", *(c.strip() for c in frame.columns[1:])]
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return frame.set_index("date") / 100.0


def regression_data(results: PairEstimates, shared_data: Path, model: str, **options) -> pd.DataFrame:
    """Calendar-indexed frame: column ``off`` (offset) and the regressors of ``model``, built here."""
    calendar = results.panel.calendar
    returns = pd.DataFrame(results.panel.returns, index=calendar, columns=results.panel.symbols)
    spy = returns["SPY"]
    frame = pd.DataFrame({"off": 0.0, "const": 1.0}, index=calendar)
    if model == "market":
        frame["SPY"] = spy
    elif model == "sector":
        frame["SPY"], frame["SMH"] = spy, returns["SMH"]
    elif model == "dimson":
        for j in range(options["dimson_lags"], -options["dimson_lags"] - 1, -1):
            frame[f"m{j:+d}"] = spy.shift(j)  # shift(j) is R_m,t-j
    elif model in ("ff3", "carhart4", "ff5"):
        base = french_csv(
            shared_data, "F-F_Research_Data_5_Factors_2x3_daily" if model == "ff5" else FF3_FILE
        )
        if model == "carhart4":
            base = base.join(french_csv(shared_data, "F-F_Momentum_Factor_daily"), how="outer")
        base = base.reindex(calendar)
        frame["off"] = base["RF"]
        names = {"ff3": [], "carhart4": ["Mom"], "ff5": ["RMW", "CMA"]}[model]
        for name in ["Mkt-RF", "SMB", "HML", *names]:
            frame[name] = base[name]
    return frame


ORACLE_CASES = [
    ("market", {}),
    ("constant_mean", {}),
    ("dimson", {"dimson_lags": 1}),
    ("dimson", {"dimson_lags": 2}),
    ("sector", {}),
    ("ff3", {}),
    ("carhart4", {}),
    ("ff5", {}),
]


# -- statsmodels as the oracle --------------------------------------------------------------------
@pytest.mark.parametrize(("model", "options"), ORACLE_CASES)
def test_every_linear_model_matches_statsmodels_per_pair(launch, shared_data, model, options) -> None:
    results = launch(model, **options)
    data = regression_data(results, shared_data, model, **options)
    returns = pd.DataFrame(results.panel.returns, index=results.panel.calendar, columns=results.panel.symbols)
    car = results.car
    regressors = [c for c in data.columns if c != "off"]
    for i, row in enumerate(results.events.itertuples(index=False)):
        y = returns[row.ticker] - data["off"]
        frame = pd.concat([y.rename("y"), data[regressors]], axis=1)
        days = results.estimation_days[i]
        sample = frame.iloc[days[days >= 0]].dropna()
        ols = sm.OLS(sample["y"], sample[regressors]).fit()
        rows = car[(car.event_id == row.event_id) & (car.ticker == row.ticker)].set_index("window")
        first = rows.iloc[0]
        assert first.n_est == int(ols.nobs)
        assert first.model == model
        params = json.loads(first.params)
        fitted = np.array(list(params.values())[: len(regressors)])
        np.testing.assert_allclose(fitted, ols.params.to_numpy(), rtol=1e-10, atol=1e-12)
        assert first.sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-10)
        assert first.alpha == pytest.approx(ols.params["const"], rel=1e-10, abs=1e-14)
        if model == "dimson":
            assert params["beta"] == pytest.approx(ols.params.iloc[1:].sum(), rel=1e-10)
            assert first.beta == params["beta"]
        elif model in ("market", "sector"):
            assert first.beta == pytest.approx(ols.params["SPY"], rel=1e-10)
        elif model != "constant_mean":
            assert first.beta == pytest.approx(ols.params["Mkt-RF"], rel=1e-10)
        # CAR over [-1,+1] and its CLM variance sigma^2 (L + s'(X'X)^-1 s) from statsmodels.
        day0 = results.panel.calendar.get_loc(first.day0)
        window = frame.iloc[day0 - 1 : day0 + 2]
        summed = window[regressors].sum().to_numpy()
        expected_car = (window["y"] - window[regressors] @ ols.params).sum()
        variance = ols.scale * (3 + summed @ ols.normalized_cov_params.to_numpy() @ summed)
        assert rows.loc["[-1,+1]", "car"] == pytest.approx(expected_car, abs=1e-12)
        assert rows.loc["[-1,+1]", "car_se"] == pytest.approx(np.sqrt(variance), rel=1e-10)
        assert rows.loc["[-1,+1]", "outcome"] == "ok"


def test_degrees_of_freedom_follow_the_parameter_count(launch) -> None:
    # Same pair, same CAR and s.e. definitions: p comes from Student-t with M - k df.
    from scipy import stats

    for model, k in [("constant_mean", 1), ("market", 2), ("sector", 3), ("ff5", 6)]:
        car = launch(model).car
        row = car[(car.event_id == "deepseek-r1") & (car.ticker == "NVDA") & (car.window == "[0,0]")].iloc[0]
        assert row.p == pytest.approx(2 * stats.t.sf(abs(row.t), row.n_est - k), rel=1e-12)
    dimson = launch("dimson", dimson_lags=2).fit
    assert dimson.n_params == 6


def test_market_adjusted_has_no_parameters(launch) -> None:
    results = launch("market_adjusted")
    ar = results.ar
    assert np.allclose(ar["ar"], ar["ret"] - ar["market_ret"], atol=0, rtol=0, equal_nan=True)
    car = results.car
    row = car[(car.event_id == "deepseek-r1") & (car.ticker == "NVDA") & (car.window == "[-1,+1]")].iloc[0]
    assert row.params == "{}"
    assert np.isnan(row.alpha) and np.isnan(row.beta)
    assert row.car_se == pytest.approx(row.sigma * np.sqrt(3), rel=1e-12)  # k = 0: no estimation term


def test_user_factor_table_reproduces_ff3(launch, cache, shared_data, tmp_path) -> None:
    # The 3-factor file, converted to decimals and written as a user table, gives the ff3 results.
    french = french_csv(shared_data, FF3_FILE).loc["2022-01-01":].reset_index()
    path = tmp_path / "ff3_decimal.csv"
    french.assign(date=french["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False, float_format="%.17g")
    user = launch("user_factors", factors_file=str(path)).car
    ff3 = launch("ff3").car
    for column in ("n_est", "alpha", "beta", "sigma", "car", "car_se", "t"):
        np.testing.assert_allclose(user[column], ff3[column], rtol=1e-12, atol=1e-15)
    assert (user["model"] == "user_factors").all()
    assert json.loads(user["params"].iloc[0]).keys() == {"alpha", "Mkt-RF", "SMB", "HML"}


# -- known answers on simulated data --------------------------------------------------------------
N_DAYS = 420
DAY0 = 330


def simulated(seed: int = 11) -> tuple[ReturnsPanel, FactorTable, np.random.Generator]:
    rng = np.random.default_rng(seed)
    calendar = pd.bdate_range("2024-01-02", periods=N_DAYS)
    factors = pd.DataFrame(
        {
            "date": calendar,
            "Mkt-RF": rng.normal(0.0004, 0.010, N_DAYS),
            "SMB": rng.normal(0.0, 0.006, N_DAYS),
            "HML": rng.normal(0.0, 0.007, N_DAYS),
            "RF": np.full(N_DAYS, 0.0002),
        }
    )
    spy = factors["Mkt-RF"].to_numpy() + 0.0002
    smh = 1.4 * spy + rng.normal(0.0, 0.012, N_DAYS)
    returns = np.column_stack([spy, smh, np.zeros(N_DAYS)])
    panel = ReturnsPanel(calendar, ("SPY", "SMH", "XYZ"), returns, np.full_like(returns, 100.0))
    return panel, FactorTable("sim", factors), rng


def events_at(calendar: pd.DatetimeIndex, day: int = DAY0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["e1"], "announced": [calendar[day]], "timing": ["pre"], "ticker": ["XYZ"],
            "role": ["supplier"], "deal_usd": [1e9], "group": ["g"], "headline": ["h"], "source_row": [2],
        }
    )  # fmt: skip


SHOCKS = {0: 0.05, 1: -0.02}


def inject(panel: ReturnsPanel, shocks: dict[int, float] = SHOCKS) -> None:
    for tau, shock in shocks.items():
        panel.returns[DAY0 + tau, 2] += shock


def check_injected(results: PairEstimates) -> pd.DataFrame:
    """Noise-free returns: the model reproduces the estimation window exactly, so the row is a
    degenerate fit (outcome ``degenerate_estimation``, no CAR test, see
    :func:`eventstudy.models.ols.degenerate_fits`); the injected abnormal returns are exact in
    ar.parquet and the fitted parameters in car.parquet."""
    car = results.car.set_index("window")
    assert car.loc["[0,0]", "n_est"] == 250
    assert (car.outcome == "degenerate_estimation").all()
    ar = results.ar.set_index("tau")
    assert ar.loc[0, "ar"] == pytest.approx(0.05, abs=1e-12)
    assert ar.loc[1, "ar"] == pytest.approx(-0.02, abs=1e-12)
    assert ar.loc[-1, "ar"] == pytest.approx(0.0, abs=1e-12)
    assert ar.loc[5, "car"] == pytest.approx(0.03, abs=1e-12)  # cumulated over [-5, +5]
    return car


def test_noise_free_three_factor_model_recovers_loadings_and_injected_ar() -> None:
    panel, table, _ = simulated()
    f = table.frame
    panel.returns[:, 2] = f["RF"] + 0.0003 + 1.2 * f["Mkt-RF"] - 0.4 * f["SMB"] + 0.7 * f["HML"]
    inject(panel)
    model = FamaFrench3Model.on((table,))
    car = check_injected(estimate(events_at(panel.calendar), panel, model, StudyConfig(model="ff3")))
    params = json.loads(car.loc["[0,0]", "params"])
    assert list(params) == ["alpha", "Mkt-RF", "SMB", "HML"]
    assert list(params.values()) == pytest.approx([0.0003, 1.2, -0.4, 0.7], abs=1e-12)
    assert car.loc["[0,0]", "beta"] == pytest.approx(1.2, abs=1e-12)  # beta = Mkt-RF loading


def test_noise_free_sector_model_separates_the_sector_move() -> None:
    panel, _, _ = simulated()
    panel.returns[:, 2] = 0.0001 + 0.5 * panel.returns[:, 0] + 0.9 * panel.returns[:, 1]
    panel.returns[DAY0, 1] += 0.06  # the sector jumps on day 0 ...
    panel.returns[DAY0, 2] += 0.9 * 0.06  # ... and the firm moves with it: no abnormal return
    inject(panel)
    model = SectorModel("SPY", "SMH")
    car = check_injected(estimate(events_at(panel.calendar), panel, model, StudyConfig(model="sector")))
    assert json.loads(car.loc["[0,0]", "params"]) == pytest.approx(
        {"alpha": 0.0001, "beta": 0.5, "beta_sector": 0.9}, abs=1e-12
    )


def test_noise_free_dimson_model_sums_lead_and_lag_betas() -> None:
    panel, _, _ = simulated()
    m = panel.returns[:, 0]
    lagged, led = np.roll(m, 1), np.roll(m, -1)
    panel.returns[:, 2] = 0.0002 + 0.3 * lagged + 0.9 * m + 0.2 * led
    inject(panel)
    model = DimsonModel("SPY", 1)
    car = check_injected(estimate(events_at(panel.calendar), panel, model, StudyConfig(model="dimson")))
    params = json.loads(car.loc["[0,0]", "params"])
    assert params == pytest.approx(
        {"alpha": 0.0002, "beta_lag1": 0.3, "beta_0": 0.9, "beta_lead1": 0.2, "beta": 1.4}, abs=1e-12
    )
    assert car.loc["[0,0]", "beta"] == pytest.approx(1.4, abs=1e-12)


def test_noisy_factor_model_recovers_loadings_and_abnormal_return() -> None:
    panel, table, rng = simulated(seed=5)
    f = table.frame
    loadings = np.array([1.1, 0.5, -0.3])
    panel.returns[:, 2] = f["RF"] + f[["Mkt-RF", "SMB", "HML"]].to_numpy() @ loadings
    panel.returns[:, 2] += rng.normal(0.0, 0.01, N_DAYS)
    inject(panel, {0: 0.08})
    model = FamaFrench3Model.on((table,))
    car = estimate(events_at(panel.calendar), panel, model, StudyConfig(model="ff3")).car.set_index("window")
    params = json.loads(car.loc["[0,0]", "params"])
    se = 0.01 / (np.array([0.010, 0.006, 0.007]) * np.sqrt(250))  # rough s.e. of each loading
    assert np.all(np.abs(np.array([params["Mkt-RF"], params["SMB"], params["HML"]]) - loadings) < 4 * se)
    assert car.loc["[0,0]", "t"] > 5  # an 8% AR against 1% daily noise
    assert car.loc["[0,0]", "car"] == pytest.approx(0.08, abs=0.04)


def test_missing_factor_days_drop_rows_and_are_never_filled() -> None:
    panel, table, rng = simulated(seed=3)
    f = table.frame
    panel.returns[:, 2] = f["RF"] + 0.9 * f["Mkt-RF"] + rng.normal(0.0, 0.01, N_DAYS)
    gaps = [DAY0 - 100, DAY0 - 50, DAY0 - 49]  # estimation days without factors
    frame = f.drop(index=[*gaps, DAY0 + 1]).reset_index(drop=True)  # and event day +1
    model = FamaFrench3Model.on((FactorTable("gappy", frame),))
    car = estimate(events_at(panel.calendar), panel, model, StudyConfig(model="ff3")).car.set_index("window")
    assert car.loc["[0,0]", "n_est"] == 250 - len(gaps)
    assert car.loc["[0,0]", "outcome"] == "ok"
    assert car.loc["[0,+1]", "outcome"] == "incomplete_event_window"
    day = panel.calendar[DAY0 + 1].date()
    assert car.loc["[0,+1]", "note"] == f"no model input (market or factor value) for tau=+1 ({day})"
    days = np.arange(DAY0 - 260, DAY0 - 10)
    keep = np.setdiff1d(days, gaps)
    x = sm.add_constant(f.loc[keep, ["Mkt-RF", "SMB", "HML"]].to_numpy())
    ols = sm.OLS(panel.returns[keep, 2] - f.loc[keep, "RF"].to_numpy(), x).fit()
    assert list(json.loads(car.loc["[0,0]", "params"]).values()) == pytest.approx(list(ols.params), rel=1e-10)


# -- Scholes-Williams -----------------------------------------------------------------------------
def plain_scholes_williams(y: np.ndarray, m: np.ndarray, m_lag: np.ndarray, m_lead: np.ndarray) -> dict:
    """SW (1977) for one pair, written out plainly."""

    def slope(x: np.ndarray) -> float:
        return float(np.polyfit(x, y, 1)[0])

    rho = float(np.corrcoef(m, m_lag)[0, 1])
    beta = (slope(m_lag) + slope(m) + slope(m_lead)) / (1 + 2 * rho)
    alpha = float(np.mean(y) - beta * np.mean(m))
    slopes = {"beta_lag": slope(m_lag), "beta_0": slope(m), "beta_lead": slope(m_lead)}
    return {"alpha": alpha, "beta": beta, **slopes, "rho_m": rho}


def sw_sample(results: PairEstimates, i: int, ticker: str) -> pd.DataFrame:
    calendar = results.panel.calendar
    spy = pd.Series(results.panel.returns_of("SPY"), index=calendar)
    frame = pd.DataFrame(
        {
            "y": results.panel.returns_of(ticker),
            "m": spy,
            "m_lag": spy.shift(1),
            "m_lead": spy.shift(-1),
        },
        index=calendar,
    )
    days = results.estimation_days[i]
    return frame.iloc[days[days >= 0]].dropna()


def test_scholes_williams_matches_a_plain_per_pair_computation(launch) -> None:
    results = launch("scholes_williams")
    car = results.car[results.car.window == "[0,0]"].reset_index(drop=True)
    for i, row in enumerate(results.events.itertuples(index=False)):
        sample = sw_sample(results, i, row.ticker)
        plain = plain_scholes_williams(*(sample[c].to_numpy() for c in ("y", "m", "m_lag", "m_lead")))
        params = json.loads(car.loc[i, "params"])
        assert params.keys() == plain.keys()
        assert list(params.values()) == pytest.approx(list(plain.values()), rel=1e-9, abs=1e-13)
        assert (car.loc[i, "alpha"], car.loc[i, "beta"]) == (params["alpha"], params["beta"])
        assert car.loc[i, "n_est"] == len(sample)
        resid = sample["y"] - plain["alpha"] - plain["beta"] * sample["m"]
        assert car.loc[i, "sigma"] == pytest.approx(np.sqrt((resid**2).sum() / (len(sample) - 2)), rel=1e-10)


def test_scholes_williams_variance_is_that_of_the_linear_estimator(launch) -> None:
    # W, column by column: the SW estimate from a unit vector y = e_t (the estimator is linear in y).
    results = launch("scholes_williams")
    i = 3  # deepseek-r1 / NVDA
    sample = sw_sample(results, i, "NVDA")
    m, m_lag, m_lead = (sample[c].to_numpy() for c in ("m", "m_lag", "m_lead"))
    unit = np.eye(len(sample))
    w = np.array(
        [[plain_scholes_williams(e, m, m_lag, m_lead)[k] for k in ("alpha", "beta")] for e in unit]
    ).T
    np.testing.assert_allclose(results.fit.xtx_inv[i], w @ w.T, rtol=1e-8)
    row = results.car[(results.car.event_id == "deepseek-r1") & (results.car.ticker == "NVDA")]
    row = row.set_index("window").loc["[-1,+1]"]
    day0 = results.panel.calendar.get_loc(row.day0)
    s = np.array([3.0, results.panel.returns_of("SPY")[day0 - 1 : day0 + 2].sum()])
    assert row.car_se == pytest.approx(row.sigma * np.sqrt(3 + s @ w @ w.T @ s), rel=1e-8)


def test_scholes_williams_coefficient_variance_by_monte_carlo() -> None:
    # Fixed market series, 4000 noise draws: Var(beta_SW) = sigma^2 (W W')[1, 1].
    rng = np.random.default_rng(2024)
    n_draws, length, sigma = 4000, 252, 0.02
    market_path = rng.normal(0.0005, 0.01, length + 2)
    m = np.tile(market_path[1:-1], (n_draws, 1))
    lag, lead = np.tile(market_path[:-2], (n_draws, 1)), np.tile(market_path[2:], (n_draws, 1))
    y = 0.001 + 1.3 * m + rng.normal(0.0, sigma, (n_draws, length))
    fit, _ = fit_scholes_williams_batch(y, m, lag, lead, min_obs=100)
    predicted = sigma**2 * fit.xtx_inv[0]
    observed = np.cov(fit.coef.T)
    assert observed[1, 1] / predicted[1, 1] == pytest.approx(1.0, abs=0.06)
    assert observed[0, 0] / predicted[0, 0] == pytest.approx(1.0, abs=0.06)
    # ... and it exceeds the OLS variance sigma^2 (X'X)^-1 (SW spends precision on two more slopes).
    ols = fit_ols_batch(y[:1], np.stack([np.ones_like(m[:1]), m[:1]], axis=2), min_obs=100)
    assert predicted[1, 1] > 1.5 * sigma**2 * ols.xtx_inv[0, 1, 1]


def test_scholes_williams_corrects_the_non_synchronous_trading_bias() -> None:
    """Observed R_t = (1-pi) r*_t + pi r*_{t-1}, index m_t = (1-q) m*_t + q m*_{t-1} (stale prices).

    With true beta b and i.i.d. m*: plim OLS beta = b [(1-pi)(1-q) + pi q] / [(1-q)^2 + q^2]
    (= 0.7073 b for pi = 0.4, q = 0.1) while plim SW beta = b (Scholes & Williams 1977).
    """
    rng = np.random.default_rng(77)
    pairs, length, beta, pi, q = 600, 250, 1.2, 0.4, 0.1
    true_market = rng.normal(0.0004, 0.01, (pairs, length + 3))
    true_stock = 0.0002 + beta * true_market + rng.normal(0.0, 0.015, (pairs, length + 3))
    market = (1 - q) * true_market[:, 1:] + q * true_market[:, :-1]
    stock = (1 - pi) * true_stock[:, 1:] + pi * true_stock[:, :-1]
    y, m, lag, lead = stock[:, 1:-1], market[:, 1:-1], market[:, :-2], market[:, 2:]
    ols = fit_ols_batch(y, np.stack([np.ones_like(m), m], axis=2), min_obs=100)
    sw, extra = fit_scholes_williams_batch(y, m, lag, lead, min_obs=100)
    ols_bias = ols.coef[:, 1].mean() - beta
    sw_bias = sw.coef[:, 1].mean() - beta
    theory = beta * ((1 - pi) * (1 - q) + pi * q) / ((1 - q) ** 2 + q**2) - beta  # -0.3512
    assert ols_bias == pytest.approx(theory, abs=0.02)
    assert ols_bias < -0.3
    assert abs(sw_bias) < 0.03
    rho = q * (1 - q) / ((1 - q) ** 2 + q**2)  # 0.1098
    assert extra["rho_m"].mean() == pytest.approx(rho, abs=0.01)


def test_scholes_williams_needs_lead_and_lag() -> None:
    # The first calendar day has no R_m,t-1: an estimation window starting there loses that row.
    panel, _, rng = simulated(seed=9)
    panel.returns[:, 2] = 0.9 * panel.returns[:, 0] + rng.normal(0.0, 0.01, N_DAYS)
    config = StudyConfig(model="scholes_williams", estimation_window=(-250, -11))
    results = estimate(events_at(panel.calendar, day=250), panel, ScholesWilliamsModel("SPY"), config)
    assert results.car["n_est"].iloc[0] == 239  # tau -250 is calendar day 0: no lagged market


def test_a_fit_refused_for_another_cause_than_collinearity_says_which() -> None:
    """Both fits below were refused as singular_estimation with "estimation regressors in [..]
    are collinear" (a finder): a Scholes-Williams beta whose denominator 1 + 2 rho_m is not above
    0 (the market's returns alternate over the window), and a model with as many parameters as
    estimation returns (no residual degrees of freedom). The regressors vary; the note says why."""
    panel, _, rng = simulated(seed=9)
    sign = np.where(np.arange(N_DAYS) % 2 == 0, 1.0, -1.0)
    panel.returns[:, 0] = 0.01 * sign + rng.normal(0.0, 0.001, N_DAYS)  # lag correlation near -1
    panel.returns[:, 2] = 0.9 * panel.returns[:, 0] + rng.normal(0.0, 0.01, N_DAYS)
    config = StudyConfig(model="scholes_williams", estimation_window=(-40, -11), min_estimation_obs=3)
    car = estimate(events_at(panel.calendar), panel, ScholesWilliamsModel("SPY"), config).car.iloc[0]
    assert car["outcome"] == "singular_estimation" and car["n_est"] == 30
    assert car["note"].startswith("the Scholes-Williams beta's denominator 1 + 2 rho_m = -0.9")
    assert car["note"].endswith(" over the estimation window is not above 0 (the market's returns alternate)")
    config = StudyConfig(model="dimson", estimation_window=(-14, -11), min_estimation_obs=3, dimson_lags=1)
    car = estimate(events_at(panel.calendar), panel, DimsonModel("SPY", 1), config).car.iloc[0]
    assert (car["outcome"], car["n_est"]) == ("singular_estimation", 4)
    said = "4 valid estimation returns in [-14,-11] for 4 parameters: no residual degrees of freedom"
    assert car["note"] == said


# -- configuration, command line and manifest -----------------------------------------------------
def test_every_model_name_is_accepted() -> None:
    for name in MODELS:
        extra = {"factors_file": "f.csv"} if name == "user_factors" else {}
        assert StudyConfig(model=name, **extra).model == name


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ('model = "fama"', "study.model", "'fama' is not one of market,"),
        ("dimson_lags = 0", "study.dimson_lags", "must be between 1 and 10"),
        ('dimson_lags = "2"', "study.dimson_lags", "'2' is not an integer"),
        ('exclude_overlapping_windows = "yes"', "study.exclude_overlapping_windows", "is not true or false"),
        ('model = "user_factors"', "study.factors_file", "is required when model is user_factors"),
        ('model = "sector"\nsector = "SPY"', "study.sector", "must differ from the market proxy (SPY)"),
    ],
)
def test_bad_model_settings_name_the_key(tmp_path, line, field, message) -> None:
    path = tmp_path / "study.toml"
    path.write_text(f"[study]\n{line}\n")
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert caught.value.field == field
    assert message in caught.value.message


def test_model_settings_load_from_toml(tmp_path) -> None:
    path = tmp_path / "study.toml"
    path.write_text('[study]\nmodel = "dimson"\ndimson_lags = 3\nexclude_overlapping_windows = true\n')
    config = load_config(path)
    assert (config.model, config.dimson_lags, config.exclude_overlapping_windows) == ("dimson", 3, True)
    path.write_text('[study]\nmodel = "sector"\nsector = "SOXX"\n')
    assert load_config(path).sector == "SOXX"


@pytest.mark.parametrize(
    ("model", "option", "reader"),
    [
        ("market", 'sector = "QQQ"', "sector"),
        (None, "dimson_lags = 3", "dimson"),
        ("ff3", 'factors_file = "/no/such/file.csv"', "user_factors"),
        ("dimson", 'sector = "SOXX"', "sector"),
        ("sector", "dimson_lags = 1", "dimson"),
    ],
)
def test_an_option_of_another_model_is_refused_not_recorded_and_ignored(
    tmp_path, model: str | None, option: str, reader: str
) -> None:
    """A finder's config with model = "market" and sector = "QQQ", dimson_lags = 3 and a
    factors_file that does not exist ran the market model, recorded the three in the manifest as
    the study's, and never checked the file."""
    path = tmp_path / "study.toml"
    path.write_text("[study]\n" + (f'model = "{model}"\n' if model else "") + option + "\n")
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert caught.value.field == f"study.{option.split(' ')[0]}"
    assert caught.value.message == f'applies to model = "{reader}", not {model or "market"!r}: remove it'
    load_config(path, model=reader)  # the model a command line's --model runs: its keys are the file's


@pytest.mark.parametrize(
    ("changes", "key", "reader"),
    [
        ({"dimson_lags": 3}, "dimson_lags", "dimson"),
        ({"model": "ff3", "sector": "QQQ"}, "sector", "sector"),
        ({"model": "sector", "factors_file": "mine.csv"}, "factors_file", "user_factors"),
    ],
)
def test_run_study_refuses_an_option_of_another_model(tmp_path, changes: dict, key: str, reader: str) -> None:
    """StudyConfig(model="market", dimson_lags=3) from Python ran the market model and recorded
    dimson_lags = 3 in the manifest as the study's, where the same config file is refused."""
    config = StudyConfig(**changes)
    model = changes.get("model", "market")
    with pytest.raises(InputError) as caught:
        run_study(ROOT / "events.csv", tmp_path, config)
    assert (caught.value.path, caught.value.field) == ("config", key)
    default = getattr(StudyConfig(), key)
    assert caught.value.message == (
        f'applies to model = "{reader}", not {model!r}: leave it at its default ({default!r})'
    )
    assert not any(tmp_path.iterdir())  # refused before anything was read or written


def test_the_options_are_checked_against_the_model_the_study_runs(tmp_path) -> None:
    """A model object passed to run_study is the model: its name replaces the config's in the
    record, which kept dimson_lags = 3 beside the market model that ran (a finder; verify then
    refused the folder the tool had just written)."""
    from eventstudy.study import checked_arguments

    events = ROOT / "events.csv"
    config = StudyConfig(model="dimson", dimson_lags=3)
    assert checked_arguments(events, tmp_path, config, None, (), False)[0] is config
    assert checked_arguments(events, tmp_path, config, DimsonModel("SPY", 3), (), False)[0] is config
    for given in (StudyConfig(dimson_lags=3), config):
        with pytest.raises(InputError) as caught:
            checked_arguments(events, tmp_path, given, MarketModel("SPY"), (), False)
        assert caught.value.field == "dimson_lags"
        assert caught.value.message.startswith('applies to model = "dimson", not \'market\'')
    sector = StudyConfig(model="sector", sector="XLK")
    with pytest.raises(InputError) as caught:
        checked_arguments(events, tmp_path, sector, MarketModel("SPY"), (), False)
    assert caught.value.field == "sector"


def test_the_keys_are_checked_against_the_model_the_study_runs(tmp_path) -> None:
    """A finder's `--model sector` on a market config setting sector was refused; `--model market`
    on a sector config recorded the sector it never applied."""
    path = tmp_path / "study.toml"
    path.write_text('[study]\nmodel = "sector"\nsector = "AAA"\n')
    assert load_config(path).sector == "AAA"
    with pytest.raises(InputError, match="applies to model = \"sector\", not 'market'"):
        load_config(path, model="market")


def test_load_configs_model_is_the_model_the_study_runs(tmp_path) -> None:
    """load_config(path, model="dimson") returned the file's market model, and any name passed (a
    finder): the keyword only steered the key check. It is the model now, and checked."""
    path = tmp_path / "study.toml"
    path.write_text('[study]\nmodel = "market"\nestimation_window = [-200, -11]\n')
    config = load_config(path, model="dimson")
    assert (config.model, config.estimation_window) == ("dimson", (-200, -11))
    assert load_config(path).model == "market"
    with pytest.raises(InputError) as caught:
        load_config(path, model="no-such-model")
    assert (caught.value.path, caught.value.field) == ("model", "study.model")
    assert caught.value.message.startswith("'no-such-model' is not one of market, ")
    with pytest.raises(InputError) as caught:
        load_config(path, model="user_factors", model_from="--model")  # needs a factors_file
    assert (caught.value.path, caught.value.field) == (str(path), "study.factors_file")  # the file lacks it
    assert caught.value.message.endswith("(--model user_factors)")


def test_cli_model_option_overrides_the_config(cache, monkeypatch, tmp_path) -> None:
    saved: list[StudyResults] = []
    monkeypatch.setattr(export, "save_study", lambda results, out, **kw: saved.append(results))
    # The launch config without its [backtest] table: the backtest would write into the (stubbed) output.
    config = tmp_path / "launch.toml"
    config.write_text((ROOT / "launch.toml").read_text().split("[backtest]")[0])
    args = ["run", "--events", str(ROOT / "events.csv"), "--config", str(config), "--offline"]
    assert main([*args, "--cache", str(cache), "--out", str(tmp_path / "o"), "--model", "carhart4"]) == 0
    (results,) = saved
    car = results.car
    assert {"model", "params", "overlap"} <= set(car.columns)
    assert (car["model"] == "carhart4").all()
    assert json.loads(car["params"].iloc[0]).keys() == {"alpha", "Mkt-RF", "SMB", "HML", "Mom"}
    manifest = build_manifest(results)
    assert manifest["config"]["model"] == "carhart4"
    entry = manifest["model"]
    assert (entry["name"], entry["estimator"]) == ("carhart4", "OLS")
    assert entry["parameters"] == ["alpha", "Mkt-RF", "SMB", "HML", "Mom"]
    assert entry["exclude_overlapping_windows"] is False
    data = entry["factor_data"]
    assert set(data) == {FF3_FILE, "F-F_Momentum_Factor_daily"}
    assert data[FF3_FILE]["provenance"]["source_sha256"] == (
        "c6c87de77162c620dc4b36fc3eca9debe2ccf5bf1562d4ad1a02d1985635842c"
    )
    assert data[FF3_FILE]["provenance"]["crsp_vintage"] == "202604"
    assert data[FF3_FILE]["content_sha256"] == results.model_object.tables[0].content_sha256()
    json.dumps(manifest)  # JSON-ready


def test_manifest_records_the_scholes_williams_estimator(launch, cache) -> None:
    entry = launch("scholes_williams").model.to_dict()
    assert entry["estimator"] == "Scholes-Williams (1977)"
    assert entry["reported"] == ["alpha", "beta", "beta_lag", "beta_0", "beta_lead", "rho_m"]
    assert "not OLS" in entry["description"]


def test_user_factors_with_calendar_time_alphas_fit_the_users_table(cache, shared_data, tmp_path) -> None:
    """With [backtest] calendar_time the study also reads French's files, and the user factor
    model took the first table it was given: French's three factors, silently (verify agreed)."""
    french = french_csv(shared_data, FF3_FILE).loc["2022-01-01":].reset_index()
    renamed = french.rename(columns={"Mkt-RF": "MKT", "SMB": "SIZE", "HML": "VALUE"})
    path = tmp_path / "mine.csv"
    dated = renamed.assign(date=renamed["date"].dt.strftime("%Y-%m-%d"))
    dated.to_csv(path, index=False, float_format="%.17g")
    config = load_config(ROOT / "launch.toml")
    assert config.backtest is not None
    config = dataclasses.replace(
        config,
        model="user_factors",
        factors_file=str(path),
        backtest=dataclasses.replace(config.backtest, calendar_time=("capm",)),
    )
    results = run_study(read_events(ROOT / "events.csv"), PriceStore(cache), config, peers=())
    assert json.loads(results.car["params"].iloc[0]).keys() == {"alpha", "MKT", "SIZE", "VALUE"}
    assert results.backtest is not None and results.backtest.calendar_time is not None
    assert len(results.backtest.calendar_time) > 0


def test_cli_user_factors_without_a_file_is_one_line(cache, tmp_path, capsys) -> None:
    args = ["run", "--events", str(ROOT / "events.csv"), "--offline", "--cache", str(cache)]
    assert main([*args, "--model", "user_factors", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "eventstudy: error: --model, field 'study.factors_file': is required when model is user_factors"
    ]
    # with a config file, the file lacks the key: it was blamed on --model (a known gap)
    config = tmp_path / "study.toml"
    config.write_text('[study]\nmodel = "market"\n')
    args += ["--config", str(config), "--out", str(tmp_path / "o")]
    assert main([*args, "--model", "user_factors"]) == 2
    assert capsys.readouterr().err == (
        f"eventstudy: error: {config}, field 'study.factors_file': is required when model is user_factors "
        "(--model user_factors)\n"
    )
    with pytest.raises(InputError) as caught:
        load_config(config, model="user_factors")
    assert (caught.value.path, caught.value.field) == (str(config), "study.factors_file")
    assert caught.value.message.endswith("(model='user_factors')")


@pytest.mark.parametrize("name", ["capm", ""])  # an empty --model was ignored: the config's ran
def test_cli_rejects_an_unknown_model(tmp_path, capsys, name: str) -> None:
    assert main(["run", "--model", name, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"eventstudy: error: --model, field 'study.model': {name!r} is not one of " + ", ".join(MODELS)
        + " (a model of your own: register it with eventstudy.register_model first)"
    ]
    assert not (tmp_path / "o").exists()


# -- fits in blocks of pairs ----------------------------------------------------------------------
@pytest.mark.parametrize("model", [name for name in MODELS if name != "user_factors"])
def test_every_model_fitted_a_pair_at_a_time_equals_the_whole_batch(cache, model, monkeypatch) -> None:
    """``fit_pairs`` gathers and fits blocks of pairs (no (pairs x days x regressors) array for
    the whole study): with one pair per block every table and fitted array is bit for bit the
    one-block study's, so no model's fit of a pair depends on the other pairs. With
    ``exclude_overlapping_windows`` on (its counts are filled block by block) and, for the
    market model, each pair's own benchmark (its design gathered per benchmark within a block)."""
    import eventstudy.estimate as estimate_module

    events = read_events(ROOT / "events.csv")
    if model == "market":
        events = events.assign(market=np.resize(["QQQ", "", "SMH", "SPY"], len(events)))
    study = dataclasses.replace(
        load_config(ROOT / "launch.toml"), backtest=None, model=model, exclude_overlapping_windows=True
    )
    given = []  # estimate's arguments in the study (the panel, model and shares it loaded)
    real_estimate = estimate_module.estimate

    def recorded(*args, **kwargs):
        result = real_estimate(*args, **kwargs)
        given.append((args, kwargs, result.car.copy()))  # run_study adds the confounder columns
        return result

    monkeypatch.setattr(estimate_module, "estimate", recorded)
    whole = run_study(events, PriceStore(cache), study, peers=()).estimates
    ((args, kwargs, whole_car),) = given
    n_estimation = whole.estimation_days.shape[1]
    monkeypatch.setattr(estimate_module, "_BLOCK_VALUES", n_estimation)
    blocks = real_estimate(*args, **kwargs)
    assert whole is not None and blocks is not None and len(whole.events) > 20
    pd.testing.assert_frame_equal(blocks.ar, whole.ar, check_exact=True)
    pd.testing.assert_frame_equal(blocks.car, whole_car, check_exact=True)
    for name in ("coef", "xtx_inv", "sigma", "n_obs", "residuals", "estimable"):
        np.testing.assert_array_equal(getattr(blocks.fit, name), getattr(whole.fit, name), name)
    assert blocks.model_fit.params.keys() == whole.model_fit.params.keys()
    for name, values in whole.model_fit.params.items():
        np.testing.assert_array_equal(blocks.model_fit.params[name], values, name)
    assert np.isfinite(whole.fit.sigma).sum() > 20


def test_a_session_the_market_misses_compounds_the_factors_as_the_firm_return_spans_it() -> None:
    # SPY's file lacks one estimation session: the calendar skips it, the firm's next return spans
    # both days (its price of the skipped day is not used), and so must RF and the factors.
    panel, table, rng = simulated(seed=7)
    f = table.frame
    firm = f["RF"] + 0.0003 + f[["Mkt-RF", "SMB", "HML"]].to_numpy() @ [1.2, -0.4, 0.7]
    firm = firm + rng.normal(0.0, 0.01, N_DAYS)
    skipped = DAY0 - 100
    dates = panel.calendar

    def prices(returns: np.ndarray, drop: list[int]) -> pd.DataFrame:
        close = 100.0 * np.cumprod(1.0 + returns)
        frame = pd.DataFrame({"date": dates, "close": close, "adj_close": close})
        return frame.drop(index=drop).reset_index(drop=True)

    built = build_panel({"SPY": prices(f["Mkt-RF"] + f["RF"], [skipped]), "XYZ": prices(firm, [])}, "SPY")
    assert len(built.calendar) == N_DAYS - 1
    model = FamaFrench3Model.on((table,))
    car = estimate(events_at(built.calendar, DAY0 - 1), built, model, StudyConfig(model="ff3"))
    params = json.loads(car.car.set_index("window").loc["[0,0]", "params"])

    # The oracle: statsmodels on each session's span of days, compounded by pandas.
    span = pd.Series(np.searchsorted(built.calendar, dates), index=dates)
    gross = (1.0 + f.set_index("date")[["Mkt-RF", "SMB", "HML", "RF"]]).groupby(span.to_numpy()).prod() - 1.0
    firm_span = (1.0 + pd.Series(np.asarray(firm), index=dates)).groupby(span.to_numpy()).prod() - 1.0
    rows = np.arange(DAY0 - 1 - 260, DAY0 - 1 - 10)
    assert gross.loc[skipped, "SMB"] != f.loc[skipped + 1, "SMB"]  # the session spanning two days
    x = sm.add_constant(gross.loc[rows, ["Mkt-RF", "SMB", "HML"]].to_numpy())
    ols = sm.OLS(firm_span.loc[rows].to_numpy() - gross.loc[rows, "RF"].to_numpy(), x).fit()
    assert list(params.values()) == pytest.approx(list(ols.params), rel=1e-10)

"""Batched OLS and the CAR test: known answers on simulated data, statsmodels as the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.abnormal import abnormal_returns, car_variance, prediction_error_t
from eventstudy.config import StudyConfig
from eventstudy.estimate import estimate
from eventstudy.models import MarketModel
from eventstudy.models.ols import degenerate_fits, fit_ols_batch
from eventstudy.timeline.returns import ReturnsPanel


def simulated_panel(alpha: float, beta: float, noise: float, *, n_days: int = 400, seed: int = 7):
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.01, n_days)
    stock = alpha + beta * market + rng.normal(0.0, noise, n_days) if noise else alpha + beta * market
    calendar = pd.bdate_range("2024-01-02", periods=n_days)
    returns = np.column_stack([market, stock])
    close = np.full_like(returns, 100.0)
    return ReturnsPanel(calendar, ("MKT", "XYZ"), returns, close)


def events_on(day: pd.Timestamp, deal: float = 1e9) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["e1"],
            "announced": [day],
            "timing": ["pre"],
            "ticker": ["XYZ"],
            "role": ["supplier"],
            "deal_usd": [deal],
            "group": ["g"],
            "headline": ["h"],
            "source_row": [2],
        }
    )


def test_near_noise_free_market_model_recovers_alpha_beta_and_injected_ar() -> None:
    panel = simulated_panel(alpha=0.0005, beta=1.3, noise=1e-8)
    day0 = 300
    injected = {0: 0.05, 1: -0.02}
    for tau, shock in injected.items():
        panel.returns[day0 + tau, 1] += shock
    config = StudyConfig(market="MKT")
    results = estimate(events_on(panel.calendar[day0]), panel, MarketModel("MKT"), config)
    car = results.car.set_index("window")
    assert (car.outcome == "ok").all()
    assert car.loc["[0,0]", "alpha"] == pytest.approx(0.0005, abs=1e-8)
    assert car.loc["[0,0]", "beta"] == pytest.approx(1.3, abs=1e-5)
    assert car.loc["[0,0]", "n_est"] == 250
    assert car.loc["[0,0]", "car"] == pytest.approx(0.05, abs=1e-7)
    assert car.loc["[0,+1]", "car"] == pytest.approx(0.03, abs=1e-7)
    assert car.loc["[-5,+5]", "car"] == pytest.approx(0.03, abs=1e-6)
    ar = results.ar.set_index("tau")["ar"]
    assert ar.loc[-1] == pytest.approx(0.0, abs=1e-7)
    assert ar.loc[1] == pytest.approx(-0.02, abs=1e-7)


def test_noise_free_market_model_is_a_degenerate_fit() -> None:
    """Returns that the market model reproduces exactly: alpha and beta are recovered to
    rounding, sigma is rounding noise, and the row is ``degenerate_estimation`` (no CAR, no t)
    instead of a t statistic of rounding error."""
    panel = simulated_panel(alpha=0.0005, beta=1.3, noise=0.0)
    results = estimate(events_on(panel.calendar[300]), panel, MarketModel("MKT"), StudyConfig(market="MKT"))
    car = results.car.set_index("window")
    assert (car.outcome == "degenerate_estimation").all()
    assert car.loc["[0,0]", "alpha"] == pytest.approx(0.0005, abs=1e-15)
    assert car.loc["[0,0]", "beta"] == pytest.approx(1.3, abs=1e-13)
    assert car.loc["[0,0]", "sigma"] < 1e-15
    assert car[["car", "car_se", "t", "p", "abnormal_value_usd"]].isna().all().all()
    assert car.note.str.contains("vanish").all()
    assert results.ar[["ar_t", "ar_p"]].isna().all().all()


def test_noisy_market_model_matches_statsmodels() -> None:
    panel = simulated_panel(alpha=0.001, beta=0.8, noise=0.02)
    day0 = 320
    panel.returns[day0, 1] += 0.10
    results = estimate(events_on(panel.calendar[day0]), panel, MarketModel("MKT"), StudyConfig(market="MKT"))
    est = slice(day0 - 260, day0 - 10)
    ols = sm.OLS(panel.returns[est, 1], sm.add_constant(panel.returns[est, 0])).fit()
    row = results.car.set_index("window").loc["[-1,+1]"]
    np.testing.assert_allclose([row.alpha, row.beta], ols.params, rtol=1e-10)
    assert row.sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-10)
    # CAR variance gamma' V gamma with V = s^2 (I + X* (X'X)^-1 X*'), built explicitly.
    x_star = sm.add_constant(panel.returns[day0 - 1 : day0 + 2, 0])
    v = ols.scale * (np.eye(3) + x_star @ np.linalg.inv(ols.model.exog.T @ ols.model.exog) @ x_star.T)
    assert row.car_se == pytest.approx(np.sqrt(v.sum()), rel=1e-10)
    # Prediction errors agree with statsmodels' out-of-sample prediction.
    predicted = ols.get_prediction(x_star)
    actual = panel.returns[day0 - 1 : day0 + 2, 1]
    assert row.car == pytest.approx((actual - predicted.predicted_mean).sum(), rel=1e-10)
    np.testing.assert_allclose(
        np.diag(v), predicted.se_obs**2, rtol=1e-10, err_msg="diagonal of V is statsmodels' se_obs^2"
    )
    from scipy import stats

    t = row.car / row.car_se
    assert row.t == pytest.approx(t, rel=1e-12)
    assert row.p == pytest.approx(2 * stats.t.sf(abs(t), ols.df_resid), rel=1e-10)


def test_batch_equals_per_pair_statsmodels_with_missing_rows() -> None:
    rng = np.random.default_rng(1)
    n_pairs, n_obs = 6, 120
    x = np.stack([np.ones((n_pairs, n_obs)), rng.normal(size=(n_pairs, n_obs))], axis=2)
    y = 0.3 + 1.7 * x[:, :, 1] + rng.normal(scale=0.5, size=(n_pairs, n_obs))
    y[0, :10] = np.nan
    x[1, 50:60, 1] = np.nan
    y[2, :115] = np.nan  # 5 observations: below min_obs
    fit = fit_ols_batch(y, x, min_obs=20)
    assert fit.estimable.tolist() == [True, True, False, True, True, True]
    assert fit.n_obs.tolist() == [110, 110, 5, 120, 120, 120]
    for p in (0, 1, 3):
        keep = np.isfinite(y[p]) & np.isfinite(x[p]).all(axis=1)
        ols = sm.OLS(y[p, keep], x[p, keep]).fit()
        np.testing.assert_allclose(fit.coef[p], ols.params, rtol=1e-10)
        np.testing.assert_allclose(fit.xtx_inv[p], ols.normalized_cov_params, rtol=1e-10)
        assert fit.sigma[p] == pytest.approx(np.sqrt(ols.scale), rel=1e-10)
        np.testing.assert_allclose(fit.residuals[p, keep], ols.resid, atol=1e-12)
    assert np.isnan(fit.coef[2]).all() and np.isnan(fit.sigma[2])


def test_collinear_design_is_not_estimable() -> None:
    x = np.stack([np.ones((1, 50)), np.full((1, 50), 0.01)], axis=2)  # constant market return
    y = np.linspace(0, 1, 50)[None, :]
    fit = fit_ols_batch(y, x, min_obs=10)
    assert not fit.estimable[0]


def test_car_test_pieces_agree() -> None:
    sigma = np.array([0.02])
    xtx_inv = np.array([[[0.01, 0.0], [0.0, 50.0]]])
    regressors = np.array([[[1.0, 0.01], [1.0, -0.02], [1.0, 0.03]]])
    in_window = np.array([True, True, False])
    # s = [2, -0.01]; s'(X'X)^-1 s = 4*0.01 + 1e-4*50 = 0.045; var = 4e-4 * (2 + 0.045)
    assert car_variance(sigma, xtx_inv, regressors, in_window)[0] == pytest.approx(4e-4 * 2.045, rel=1e-14)
    _, abnormal = abnormal_returns(
        np.array([[0.05, 0.0, 0.01]]), np.zeros((1, 3)), regressors, np.array([[0.001, 1.0]])
    )
    np.testing.assert_allclose(abnormal, [[0.05 - 0.011, 0.0 + 0.019, 0.01 - 0.031]], atol=1e-15)
    t, p = prediction_error_t(np.array([0.05]), np.array([0.0004]), np.array([248]))
    assert t[0] == pytest.approx(2.5)
    # Student-t with 248 df (tables: 0.01307); the normal would give 0.01242, so df matter.
    assert p[0] == pytest.approx(0.01307, abs=1e-5)
    assert abs(p[0] - 0.01242) > 5e-4


def test_degenerate_fits_use_a_relative_tolerance() -> None:
    """Constant price (y ≡ 0, σ = 0) and the market regressed on itself (σ ≈ 1e-17 of rounding)
    are degenerate; a tracker with 0.01%/day of noise on 1%/day returns is not, at any scale."""
    rng = np.random.default_rng(8)
    market = rng.normal(0.0004, 0.01, 250)
    x = np.stack([np.ones(250), market], axis=-1)
    tracker = market + rng.normal(0, 1e-4, 250)
    y = np.vstack([np.zeros(250), market, tracker, 1e-6 * tracker, 0.5 + 0 * market])
    fit = fit_ols_batch(y, np.broadcast_to(x, (5, 250, 2)), min_obs=100)
    assert fit.sigma[0] == 0.0 and 0 < fit.sigma[1] < 1e-15
    np.testing.assert_array_equal(degenerate_fits(y, fit.residuals), [True, True, False, False, True])
    # Scale-free: the tracker scaled by 1e-6 keeps its ratio ~1e-2; so does the test.
    assert degenerate_fits(y[2:3], fit.residuals[2:3], rtol=0.02)[0]
    # A pair that could not be estimated (all NaN residuals) is not degenerate.
    assert not degenerate_fits(np.zeros((1, 5)), np.full((1, 5), np.nan))[0]


def test_tickers_without_events_do_not_change_any_number() -> None:
    """estimate reads only the panel columns and share counts of the events' tickers (issue 16):
    the same study on a panel with extra tickers (placed before, between and after, with their
    own share counts) gives the same AR and CAR tables, market values and dollar values."""
    rng = np.random.default_rng(3)
    n_days = 400
    calendar = pd.bdate_range("2024-01-02", periods=n_days)
    market = rng.normal(0.0004, 0.01, n_days)
    firms = {name: 0.001 + 1.1 * market + rng.normal(0, 0.02, n_days) for name in ("AAA", "XYZ")}
    firms["AAA"][[270, 275]] = np.nan  # missing returns inside the windows
    shares = {
        name: pd.DataFrame(
            {
                "as_of": pd.to_datetime(["2024-01-02", "2024-12-02"]),
                "shares_outstanding": [1e9 + k, 1.1e9 + k],
                "filing": ["10-K cover", "10-Q cover"],
            }
        )
        for k, name in enumerate(("AAA", "XYZ", "IDLE0", "IDLE1"))
    }
    events = pd.concat([events_on(calendar[d]).assign(event_id=f"e{d}") for d in (280, 300, 330)])
    events = pd.concat(
        [events, events_on(calendar[272]).assign(event_id="a", ticker="AAA")], ignore_index=True
    )
    config = StudyConfig(market="MKT")

    def run(names: tuple[str, ...]) -> object:
        idle = {n: rng.normal(0, 0.03, n_days) for n in names if n.startswith("IDLE")}
        returns = np.column_stack([{"MKT": market, **firms, **idle}[n] for n in names])
        close = np.column_stack([{"AAA": 80.0, "XYZ": 120.0}.get(n, 50.0) + np.arange(n_days) for n in names])
        panel = ReturnsPanel(calendar, names, returns, close)
        return estimate(events, panel, MarketModel("MKT"), config, shares=shares)

    lean = run(("MKT", "AAA", "XYZ"))
    wide = run(("IDLE0", "MKT", "AAA", "IDLE1", "XYZ"))
    pd.testing.assert_frame_equal(lean.car, wide.car)
    pd.testing.assert_frame_equal(lean.ar, wide.ar)
    assert lean.car["abnormal_value_usd"].notna().sum() > 0
    np.testing.assert_array_equal(lean.market_value_prev, wide.market_value_prev)
    # Each market value is the ticker's own close on the previous session x its share count
    # (the later figure, 2024-12-02, is in force in every window).
    close = {"AAA": 80.0, "XYZ": 120.0}
    count = {"AAA": 1.1e9, "XYZ": 1.1e9 + 1}
    for row, ticker in enumerate(events["ticker"]):
        previous = wide.event_days[row] - 1
        expected = (close[ticker] + previous) * count[ticker]
        np.testing.assert_allclose(wide.market_value_prev[row], expected, rtol=1e-15)


def test_the_tables_share_no_memory_with_the_results_arrays_or_the_panel() -> None:
    """The ar and car frames keep their columns as built (no copy into 2-D blocks): none may be
    a view of an array the results or the panel hold, which a later in-place change would then
    rewrite in the table too."""
    panel = simulated_panel(0.001, 1.2, 0.01)
    results = estimate(events_on(panel.calendar[300]), panel, MarketModel("MKT"), StudyConfig(market="MKT"))
    held = [v for v in vars(results).values() if isinstance(v, np.ndarray)]
    held += [panel.returns, panel.close]
    assert len(results.ar) == 11 and results.ar["ar"].notna().all()  # the span -5..+5
    for table in (results.ar, results.car):
        for column in table.columns:
            values = table[column].to_numpy()
            if values.dtype != object:
                assert not any(np.shares_memory(values, array) for array in held), column

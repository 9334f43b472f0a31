"""Models for thinly and non-synchronously traded stocks: Dimson (1979) and Scholes-Williams (1977)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from eventstudy.models.base import (
    Design,
    ExpectedReturnModel,
    ModelFit,
    ols_model_fit,
    register_model,
    shifted,
)
from eventstudy.models.market import MarketModel
from eventstudy.models.ols import BatchFit

if TYPE_CHECKING:
    from eventstudy.config import StudyConfig
    from eventstudy.models.factor import FactorTable
    from eventstudy.timeline.returns import ReturnsPanel


@register_model
@dataclass(frozen=True)
class DimsonModel(ExpectedReturnModel):
    """The Dimson (1979) market model with l leads and lags of the market return.

    .. math:: R_{it} = \\alpha_i + \\sum_{j=-l}^{l} \\beta_{ij} R_{m,t+j} + e_{it}

    estimated by OLS (Dimson 1979, "Risk measurement when shares are subject to infrequent
    trading", J. Financial Economics 7(2), 197-226). The reported beta is the sum of the slope
    coefficients, :math:`\\hat\\beta_i = \\sum_j \\hat\\beta_{ij}` (Dimson's aggregated
    coefficient). Expected returns in the event window are the full regression's fitted values
    :math:`\\hat\\alpha_i + \\sum_j \\hat\\beta_{ij} R_{m,\\tau+j}` (so the market's lead
    returns after a day enter its expected return), which makes the CAR test the exact CLM
    prediction-error test with k = 2l + 2 parameters and M - 2l - 2 degrees of freedom.
    An estimation or event day whose leads or lags fall outside the data is a missing row.
    Parameter names: ``alpha``, ``beta_lag<l>`` .. ``beta_lag1``, ``beta_0``, ``beta_lead1``
    .. ``beta_lead<l>``; ``beta`` (the sum) is added to the reported parameters.
    """

    market: str = "SPY"
    benchmark_field = "market"
    lags: int = 1
    name = "dimson"
    options = ("dimson_lags",)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        lags = tuple(f"beta_lag{j}" for j in range(self.lags, 0, -1))
        leads = tuple(f"beta_lead{j}" for j in range(1, self.lags + 1))
        return ("alpha", *lags, "beta_0", *leads)

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        columns = [shifted(market, j) for j in range(self.lags, -self.lags - 1, -1)]
        regressors = np.column_stack([np.ones_like(market), *columns])
        return Design(np.zeros_like(market), regressors, self.parameter_names)

    def fit(self, y: np.ndarray, x: np.ndarray, auxiliary: np.ndarray, *, min_obs: int) -> ModelFit:
        fit = ols_model_fit(self.parameter_names, y, x, min_obs=min_obs, beta_name=None)  # OLS, then
        beta = fit.batch.coef[:, 1:].sum(axis=1)
        return ModelFit(fit.batch, {**fit.params, "beta": beta}, fit.alpha, beta)

    def describe(self) -> str:
        return (
            f"Dimson (1979) market model: OLS of the firm's return on {self.market}'s return of days "
            f"t-{self.lags}..t+{self.lags} with intercept; beta = sum of the {2 * self.lags + 1} slopes"
        )

    @property
    def symbols(self) -> tuple[str, ...]:
        return (self.market,)

    def settings(self) -> dict[str, Any]:
        return {"market": self.market, "lags": self.lags}

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "reported": [*self.parameter_names, "beta"]}

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> DimsonModel:
        return cls(config.market, config.dimson_lags)


@register_model
@dataclass(frozen=True)
class ScholesWilliamsModel(ExpectedReturnModel):
    """The market model with the Scholes & Williams (1977) beta for non-synchronous trading.

    Scholes & Williams (1977, "Estimating betas from nonsynchronous data", J. Financial
    Economics 5(3), 309-327) show that with non-synchronous trading the OLS beta is biased and
    that

    .. math::

        \\hat\\beta^{SW}_i = \\frac{\\hat\\beta^-_i + \\hat\\beta^0_i + \\hat\\beta^+_i}{1 + 2\\hat\\rho_m},
        \\qquad \\hat\\alpha^{SW}_i = \\bar R_i - \\hat\\beta^{SW}_i \\bar R_m

    is consistent, where :math:`\\hat\\beta^-, \\hat\\beta^0, \\hat\\beta^+` are the slopes of the
    simple OLS regressions of :math:`R_{it}` on :math:`R_{m,t-1}`, :math:`R_{mt}` and
    :math:`R_{m,t+1}`, and :math:`\\hat\\rho_m` is the first-order autocorrelation of the
    market return. All of them, and the means, are computed on one sample per pair: the
    estimation days on which :math:`R_{it}, R_{m,t-1}, R_{mt}, R_{m,t+1}` are all observed
    (M days); :math:`\\hat\\rho_m` is the sample (Pearson) correlation of :math:`R_{mt}` and
    :math:`R_{m,t-1}` over those days.

    **Convention (a choice).** :math:`\\hat\\rho_m` is measured over the firm's valid days, the
    sample of the three slopes, so that the numerator and the denominator of
    :math:`\\hat\\beta^{SW}` describe the same days (Scholes & Williams 1977 derive the
    correction for slopes and autocorrelation of one period). The alternative is
    :math:`\\hat\\rho_m` of the market series over the whole estimation window, one value for
    every firm. For a firm with no missing day the two differ only slightly (here the first
    estimation day is paired with the market return of the day before the window, and each
    lag is centred on its own mean: from -1.8% to +0.5% of the value on the 250-day windows of
    the S&P 500 before the launch study's 13 events, so :math:`1 + 2\\hat\\rho_m` by under 1%); with
    gaps they differ by the sampling variation of
    :math:`\\hat\\rho_m`. :math:`R_{m,t+1}` of the last estimation day is the
    market return of the next day (outside the estimation window, never the firm's).
    Abnormal returns are :math:`R_{i\\tau} - \\hat\\alpha^{SW}_i - \\hat\\beta^{SW}_i R_{m\\tau}`.

    **Variance used by the CAR test.** Given the market series, the estimator is linear in the
    firm's returns, :math:`(\\hat\\alpha^{SW}, \\hat\\beta^{SW})' = W y`, because the three slopes
    are linear in y and :math:`\\hat\\rho_m` involves the market only: with centred regressors
    :math:`\\tilde z_t = z_t - \\bar z` and :math:`S_z = \\sum \\tilde z_t^2`,
    :math:`w_t = (\\tilde R_{m,t-1}/S_- + \\tilde R_{mt}/S_0 + \\tilde R_{m,t+1}/S_+)/(1+2\\hat\\rho_m)`
    is the row of :math:`\\hat\\beta^{SW}` and :math:`1/M - \\bar R_m w_t` that of
    :math:`\\hat\\alpha^{SW}`. For a linear estimator, :math:`\\operatorname{Var}(Wy \\mid X) =
    \\sigma^2 W W'` when the disturbances are i.i.d. (e.g. Greene 2012, *Econometric Analysis*,
    7th ed., sec. 4.3), so the prediction errors of the event days have covariance

    .. math:: V_i = \\sigma_i^2\\left(I + X_i^* W_i W_i' X_i^{*\\prime}\\right),

    where the event-day rows of :math:`X_i^*` are :math:`(1, R_{m\\tau})`:

    Campbell, Lo & MacKinlay's (1997, eq. 4.4.8) formula with :math:`(X'X)^{-1}` replaced by
    :math:`W W'` (for OLS, :math:`W = (X'X)^{-1}X'` and :math:`WW' = (X'X)^{-1}` exactly). The
    fit's ``xtx_inv`` holds :math:`W W'`, so :func:`eventstudy.abnormal.car_variance` and the
    inference battery apply it unchanged. :math:`\\hat\\sigma_i^2 = SSR/(M-2)` from the SW
    residuals and the t test has M - 2 degrees of freedom, as for the OLS market model. Why
    this and not SW's asymptotic variance: it is exact given the market series for the
    coefficient part, reduces to the OLS formula, and needs no extra assumption on the trading
    process. Approximations (stated, not corrected): :math:`W X = I` holds only up to the
    sampling error of :math:`\\hat\\rho_m` (so the conditional bias of the prediction is
    ignored, as in SW's consistency argument), SSR/(M-2) is not exactly unbiased for a
    non-OLS fit, and non-synchronous trading makes the disturbances autocorrelated.

    A pair is estimable when M >= max(min_obs, 3), every regressor varies and
    :math:`1 + 2\\hat\\rho_m > 0`. Reported parameters: ``alpha``, ``beta`` (the SW beta),
    ``beta_lag``, ``beta_0``, ``beta_lead`` and ``rho_m``.
    """

    market: str = "SPY"
    benchmark_field = "market"
    name = "scholes_williams"
    estimator = "Scholes-Williams (1977)"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha", "beta")

    def design(self, panel: ReturnsPanel) -> Design:
        # The market model's design, with the lagged and leading market returns alongside.
        market = MarketModel(self.market).design(panel)
        returns = panel.returns_of(self.market)
        auxiliary = np.column_stack([shifted(returns, 1), shifted(returns, -1)])
        return dataclasses.replace(market, names=self.parameter_names, auxiliary=auxiliary)

    def fit(self, y: np.ndarray, x: np.ndarray, auxiliary: np.ndarray, *, min_obs: int) -> ModelFit:
        batch, extra = fit_scholes_williams_batch(
            y, x[:, :, 1], auxiliary[:, :, 0], auxiliary[:, :, 1], min_obs=min_obs
        )
        denominator = extra.pop("denominator")
        params = {"alpha": batch.coef[:, 0], "beta": batch.coef[:, 1], **extra}
        refusal = np.full(len(y), "", dtype=object)
        for p in np.flatnonzero(denominator <= 0).tolist():  # NaN: not fitted for another cause
            refusal[p] = (
                f"the Scholes-Williams beta's denominator 1 + 2 rho_m = {denominator[p]:.3g} over the "
                "estimation window is not above 0 (the market's returns alternate)"
            )
        return ModelFit(batch, params, batch.coef[:, 0], batch.coef[:, 1], refusal)

    def describe(self) -> str:
        return (
            f"market model on {self.market} with the Scholes-Williams (1977) beta "
            "(beta_lag + beta_0 + beta_lead) / (1 + 2 rho_m), not OLS"
        )

    @property
    def symbols(self) -> tuple[str, ...]:
        return (self.market,)

    def settings(self) -> dict[str, Any]:
        return {"market": self.market}

    def to_dict(self) -> dict[str, Any]:
        reported = ["alpha", "beta", "beta_lag", "beta_0", "beta_lead", "rho_m"]
        return {**super().to_dict(), "reported": reported}

    @classmethod
    def from_config(cls, config: StudyConfig, factors: Mapping[str, FactorTable]) -> ScholesWilliamsModel:
        return cls(config.market)


def fit_scholes_williams_batch(
    y: np.ndarray,
    market: np.ndarray,
    market_lag: np.ndarray,
    market_lead: np.ndarray,
    *,
    min_obs: int,
) -> tuple[BatchFit, dict[str, np.ndarray]]:
    """Scholes-Williams (1977) alpha and beta for every pair, vectorised over pairs.

    See :class:`ScholesWilliamsModel` for the formulas and the variance in ``xtx_inv``.

    Parameters
    ----------
    y
        (P, L) firm returns on the estimation rows, NaN where missing.
    market, market_lag, market_lead
        (P, L) :math:`R_{mt}`, :math:`R_{m,t-1}`, :math:`R_{m,t+1}` on the same rows.
    min_obs
        Fewest valid rows for a pair to be estimated.

    Returns
    -------
    fit, extra
        ``fit.coef`` is (alpha, beta); ``extra`` holds (P,) ``beta_lag``, ``beta_0``,
        ``beta_lead`` and ``rho_m`` (NaN where not estimable), and ``denominator``:
        :math:`1 + 2\\hat\\rho_m` where the pair has enough rows and varying regressors (NaN
        elsewhere), which refuses the fit where it is not above 0.
    """
    valid = np.isfinite(y) & np.isfinite(market) & np.isfinite(market_lag) & np.isfinite(market_lead)
    n_obs = valid.sum(axis=1)
    count = np.maximum(n_obs, 1)

    def centred(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z0 = np.where(valid, z, 0.0)
        mean = z0.sum(axis=1) / count
        return np.where(valid, z0 - mean[:, None], 0.0), mean

    y0 = np.where(valid, y, 0.0)
    y_c, y_mean = centred(y)
    m_c, m_mean = centred(market)
    lag_c, _ = centred(market_lag)
    lead_c, _ = centred(market_lead)
    s_0, s_lag, s_lead = ((z**2).sum(axis=1) for z in (m_c, lag_c, lead_c))
    estimable = (n_obs >= max(min_obs, 3)) & (s_0 > 0) & (s_lag > 0) & (s_lead > 0)
    one = np.ones_like(s_0)
    s_0, s_lag, s_lead = (np.where(estimable, s, one) for s in (s_0, s_lag, s_lead))
    beta_lag = (lag_c * y_c).sum(axis=1) / s_lag
    beta_0 = (m_c * y_c).sum(axis=1) / s_0
    beta_lead = (lead_c * y_c).sum(axis=1) / s_lead
    rho = (m_c * lag_c).sum(axis=1) / np.sqrt(s_0 * s_lag)
    denominator = 1.0 + 2.0 * rho
    checked = np.where(estimable, denominator, np.nan)
    estimable &= denominator > 0
    denominator = np.where(estimable, denominator, 1.0)
    # beta_SW = sum_t w_t y_t ; alpha_SW = sum_t a_t y_t (weights depend on the market only).
    w = (lag_c / s_lag[:, None] + m_c / s_0[:, None] + lead_c / s_lead[:, None]) / denominator[:, None]
    a = np.where(valid, 1.0 / count[:, None] - m_mean[:, None] * w, 0.0)
    beta = (w * y0).sum(axis=1)
    alpha = y_mean - beta * m_mean
    cov = np.empty((len(y), 2, 2))
    cov[:, 0, 0] = (a * a).sum(axis=1)
    cov[:, 0, 1] = cov[:, 1, 0] = (a * w).sum(axis=1)
    cov[:, 1, 1] = (w * w).sum(axis=1)
    residuals = np.where(valid, y0 - alpha[:, None] - beta[:, None] * np.where(valid, market, 0.0), np.nan)
    sigma = np.sqrt(np.nansum(residuals**2, axis=1) / np.maximum(n_obs - 2, 1))
    nan = np.nan
    batch = BatchFit(
        coef=np.where(estimable[:, None], np.column_stack([alpha, beta]), nan),
        xtx_inv=np.where(estimable[:, None, None], cov, nan),
        sigma=np.where(estimable, sigma, nan),
        n_obs=n_obs,
        residuals=np.where(estimable[:, None], residuals, nan),
        estimable=estimable,
    )
    extra = {
        name: np.where(estimable, values, nan)
        for name, values in (
            ("beta_lag", beta_lag),
            ("beta_0", beta_0),
            ("beta_lead", beta_lead),
            ("rho_m", rho),
        )
    }
    extra["denominator"] = checked
    return batch, extra

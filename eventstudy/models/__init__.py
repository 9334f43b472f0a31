"""Expected-return models, written as regressions on dated regressors.

Every model here has the form

.. math:: R_{it} - o_t = x_t' b_i + e_{it}, \\qquad e_{it} \\sim (0, \\sigma_i^2)\\ \\text{i.i.d.}

where :math:`o_t` is a known offset (0, the market return, or the risk-free rate) and
:math:`x_t` a row of regressors that depend on the date only. The expected return is
:math:`o_t + x_t' \\hat b_i`. A model describes itself as a :class:`Design` over the trading
calendar; the estimation code gathers the rows it needs for each (event, firm) pair and calls
the model's :meth:`fit`, which returns a :class:`ModelFit` (a
:class:`~eventstudy.models.ols.BatchFit` plus the parameters to report).

Models (``StudyConfig.model``):

==================  =============================================================  ======
name                regression                                                     k
==================  =============================================================  ======
constant_mean       :math:`R = \\mu + e`                                              1
market_adjusted     :math:`R - R_m = e`                                              0
market              :math:`R = \\alpha + \\beta R_m + e` (OLS)                          2
scholes_williams    market model, Scholes & Williams (1977) estimator                2
dimson              :math:`R = \\alpha + \\sum_{j=-l}^{l} \\beta_j R_{m,t+j} + e` (OLS)       2l+2
sector              :math:`R = \\alpha + \\beta R_m + \\gamma R_s + e` (OLS)                3
ff3 / carhart4/ff5  :math:`R - RF = \\alpha + b'f + e` on French's daily factors (OLS)  4/5/6
user_factors        :math:`R - RF = \\alpha + b'f + e` on the user's factors (OLS)      1+F
==================  =============================================================  ======

For every OLS model the CAR test uses the exact prediction-error covariance
:math:`V = \\sigma^2(I + X^*(X'X)^{-1}X^{*\\prime})` of Campbell, Lo & MacKinlay (1997, ch. 4)
with :math:`M - k` degrees of freedom (:mod:`eventstudy.abnormal`), so the correction and the
degrees of freedom follow the model's parameter count k.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from eventstudy.data.factors import FactorTable
from eventstudy.models.ols import BatchFit, fit_ols_batch
from eventstudy.timeline.returns import ReturnsPanel


@dataclass(frozen=True)
class Design:
    """A model's regression design over the trading calendar.

    Attributes
    ----------
    offset
        (T,) known part of the expected return, subtracted before the regression.
    regressors
        (T, k) regressors; may contain NaN where unavailable.
    names
        The k parameter names, in column order.
    auxiliary
        (T, a) further dated series that the model's estimator uses on the estimation rows only
        (Scholes-Williams: the market return of the previous and the next day), or None.
    """

    offset: np.ndarray
    regressors: np.ndarray
    names: tuple[str, ...]
    auxiliary: np.ndarray | None = None


@dataclass(frozen=True)
class ModelFit:
    """A model fitted to P (event, firm) pairs.

    Attributes
    ----------
    batch
        Coefficients (in the order of ``Design.names``), the matrix :math:`A` with
        :math:`\\operatorname{Var}(\\hat b \\mid X) = \\sigma^2 A` (``xtx_inv``; :math:`(X'X)^{-1}`
        for OLS), :math:`\\hat\\sigma`, M, residuals and estimability.
    params
        The parameters to report, by name, (P,) each (the ``params`` column of ``car.parquet``).
    alpha, beta
        (P,) the intercept and the market beta where the model has them (NaN otherwise).
    """

    batch: BatchFit
    params: Mapping[str, np.ndarray]
    alpha: np.ndarray
    beta: np.ndarray


class ExpectedReturnModel(Protocol):
    """What the estimation step needs from a model.

    Models of this module also have ``fit(y, x, auxiliary, *, min_obs) -> ModelFit``,
    ``parameter_names`` and ``to_dict()``; :func:`fit_model` and :func:`model_manifest` fall
    back to OLS and to the name and description for models without them.
    """

    name: str

    def design(self, panel: ReturnsPanel) -> Design:  # pragma: no cover - protocol
        ...

    def describe(self) -> str:  # pragma: no cover - protocol
        ...


def fit_model(
    model: ExpectedReturnModel,
    names: tuple[str, ...],
    y: np.ndarray,
    x: np.ndarray,
    auxiliary: np.ndarray,
    *,
    min_obs: int,
) -> ModelFit:
    """Fit ``model`` to every pair: its own ``fit`` when it has one, OLS otherwise.

    Parameters
    ----------
    model
        The expected-return model.
    names
        Its parameter names (``Design.names``).
    y
        (P, L) dependent variable :math:`R - o` on the estimation rows, NaN where missing.
    x
        (P, L, k) regressors on the estimation rows.
    auxiliary
        (P, L, a) the design's auxiliary series on the estimation rows.
    min_obs
        Fewest valid rows for a pair to be estimated.
    """
    own = getattr(model, "fit", None)
    if own is not None:
        return own(y, x, auxiliary, min_obs=min_obs)
    return ols_model_fit(names, y, x, min_obs=min_obs)


def model_manifest(model: ExpectedReturnModel) -> dict[str, Any]:
    """The model's record for ``manifest.json`` (name, description, parameters, settings, data)."""
    to_dict = getattr(model, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    return {"name": model.name, "description": model.describe()}


def ols_model_fit(
    names: tuple[str, ...], y: np.ndarray, x: np.ndarray, *, min_obs: int, beta_name: str | None = "beta"
) -> ModelFit:
    """OLS of ``y`` on ``x`` for every pair (:func:`~eventstudy.models.ols.fit_ols_batch`).

    The reported parameters are the coefficients by name; ``alpha`` is the coefficient named
    ``alpha`` (or ``mean``), ``beta`` the one named ``beta_name``.
    """
    batch = fit_ols_batch(y, x, min_obs=min_obs)
    params = {name: batch.coef[:, j] for j, name in enumerate(names)}
    return ModelFit(
        batch, params, _pick(params, ("alpha", "mean"), len(y)), _pick(params, (beta_name,), len(y))
    )


def _pick(params: Mapping[str, np.ndarray], wanted: tuple[str | None, ...], n: int) -> np.ndarray:
    for name in wanted:
        if name is not None and name in params:
            return params[name]
    return np.full(n, np.nan)


def shifted(series: np.ndarray, lag: int) -> np.ndarray:
    """``out[t] = series[t - lag]`` (lag > 0: the past; lag < 0: the future); NaN off the ends."""
    out = np.full(series.shape, np.nan)
    if lag > 0:
        out[lag:] = series[:-lag]
    elif lag < 0:
        out[:lag] = series[-lag:]
    else:
        out[:] = series
    return out


def _manifest(model: Any, description: str, estimator: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": model.name,
        "description": description,
        "estimator": estimator,
        "parameters": list(model.parameter_names),
        "settings": settings,
    }


@dataclass(frozen=True)
class MarketModel:
    """The market model :math:`R_{it} = \\alpha_i + \\beta_i R_{mt} + e_{it}` (Sharpe 1963).

    Estimated by OLS over the estimation window (MacKinlay 1997, "Event Studies in Economics
    and Finance", J. Economic Literature 35(1); Campbell, Lo & MacKinlay 1997, ch. 4).
    Assumes jointly normal, i.i.d. returns over the estimation and event windows.
    """

    market: str = "SPY"
    name: str = "market"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha", "beta")

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        regressors = np.column_stack([np.ones_like(market), market])
        return Design(np.zeros_like(market), regressors, self.parameter_names)

    def fit(self, y: np.ndarray, x: np.ndarray, auxiliary: np.ndarray, *, min_obs: int) -> ModelFit:
        return ols_model_fit(self.parameter_names, y, x, min_obs=min_obs)

    def describe(self) -> str:
        return f"market model, OLS of the firm's return on {self.market}'s return with intercept"

    def to_dict(self) -> dict[str, Any]:
        return _manifest(self, self.describe(), "OLS", {"market": self.market})


@dataclass(frozen=True)
class ConstantMeanModel:
    """The constant-mean-return model :math:`R_{it} = \\mu_i + e_{it}` (Brown & Warner 1980).

    :math:`\\hat\\mu_i` is the estimation-window mean (OLS on a constant); it is reported in
    the ``alpha`` column.
    """

    name: str = "constant_mean"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("mean",)

    def design(self, panel: ReturnsPanel) -> Design:
        ones = np.ones(len(panel.calendar))
        return Design(np.zeros_like(ones), ones[:, None], self.parameter_names)

    def fit(self, y: np.ndarray, x: np.ndarray, auxiliary: np.ndarray, *, min_obs: int) -> ModelFit:
        return ols_model_fit(self.parameter_names, y, x, min_obs=min_obs, beta_name=None)

    def describe(self) -> str:
        return "constant-mean-return model (estimation-window mean)"

    def to_dict(self) -> dict[str, Any]:
        return _manifest(self, self.describe(), "OLS", {})


@dataclass(frozen=True)
class MarketAdjustedModel:
    """The market-adjusted model :math:`AR_{it} = R_{it} - R_{mt}` (Brown & Warner 1980).

    No parameters are estimated (k = 0): :math:`\\alpha_i = 0, \\beta_i = 1` are imposed (the
    ``alpha``/``beta`` columns stay empty), and :math:`\\sigma_i^2` is the mean squared
    estimation-window abnormal return, ``SSR / M``.
    """

    market: str = "SPY"
    name: str = "market_adjusted"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ()

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        return Design(market, np.empty((len(market), 0)), ())

    def fit(self, y: np.ndarray, x: np.ndarray, auxiliary: np.ndarray, *, min_obs: int) -> ModelFit:
        return ols_model_fit((), y, x, min_obs=min_obs, beta_name=None)

    def describe(self) -> str:
        return f"market-adjusted returns, firm return minus {self.market}'s return"

    def to_dict(self) -> dict[str, Any]:
        return _manifest(self, self.describe(), "none (alpha = 0, beta = 1 imposed)", {"market": self.market})


@dataclass(frozen=True)
class DimsonModel:
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
    lags: int = 1
    name: str = "dimson"

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
        fit = ols_model_fit(self.parameter_names, y, x, min_obs=min_obs, beta_name=None)
        beta = fit.batch.coef[:, 1:].sum(axis=1)
        return ModelFit(fit.batch, {**fit.params, "beta": beta}, fit.alpha, beta)

    def describe(self) -> str:
        return (
            f"Dimson (1979) market model: OLS of the firm's return on {self.market}'s return of days "
            f"t-{self.lags}..t+{self.lags} with intercept; beta = sum of the {2 * self.lags + 1} slopes"
        )

    def to_dict(self) -> dict[str, Any]:
        out = _manifest(self, self.describe(), "OLS", {"market": self.market, "lags": self.lags})
        out["reported"] = [*self.parameter_names, "beta"]
        return out


@dataclass(frozen=True)
class ScholesWilliamsModel:
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
    every firm; the two agree when the firm has no missing day and differ by the sampling
    variation of :math:`\\hat\\rho_m` when it has gaps. :math:`R_{m,t+1}` of the last estimation day is the
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
    name: str = "scholes_williams"

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
        params = {"alpha": batch.coef[:, 0], "beta": batch.coef[:, 1], **extra}
        return ModelFit(batch, params, batch.coef[:, 0], batch.coef[:, 1])

    def describe(self) -> str:
        return (
            f"market model on {self.market} with the Scholes-Williams (1977) beta "
            "(beta_lag + beta_0 + beta_lead) / (1 + 2 rho_m), not OLS"
        )

    def to_dict(self) -> dict[str, Any]:
        out = _manifest(self, self.describe(), "Scholes-Williams (1977)", {"market": self.market})
        out["reported"] = ["alpha", "beta", "beta_lag", "beta_0", "beta_lead", "rho_m"]
        return out


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
        ``beta_lead`` and ``rho_m``.
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
    return batch, extra


@dataclass(frozen=True)
class SectorModel:
    """Two-factor market + sector model.

    .. math:: R_{it} = \\alpha_i + \\beta_i R_{mt} + \\gamma_i R_{st} + e_{it}

    OLS with the market proxy (e.g. SPY) and a sector proxy (e.g. SMH, semiconductors) as
    regressors, so that a deal's abnormal return is measured net of the sector's move that day
    (an industry-index model; Sharpe 1963's single index extended with an industry index, see
    e.g. MacKinlay 1997, sec. 4.2 on multifactor models). ``beta`` is the market loading
    holding the sector return fixed; ``beta_sector`` the sector loading. Because the two
    proxies are correlated, ``beta`` alone is not comparable with the one-factor market beta.
    k = 3, df = M - 3.
    """

    market: str = "SPY"
    sector: str = "SMH"
    name: str = "sector"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha", "beta", "beta_sector")

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols the model needs in the returns panel besides the firms."""
        return (self.market, self.sector)

    def design(self, panel: ReturnsPanel) -> Design:
        market = panel.returns_of(self.market)
        sector = panel.returns_of(self.sector)
        regressors = np.column_stack([np.ones_like(market), market, sector])
        return Design(np.zeros_like(market), regressors, self.parameter_names)

    def fit(self, y: np.ndarray, x: np.ndarray, auxiliary: np.ndarray, *, min_obs: int) -> ModelFit:
        return ols_model_fit(self.parameter_names, y, x, min_obs=min_obs)

    def describe(self) -> str:
        return (
            f"market + sector model, OLS of the firm's return on {self.market}'s and {self.sector}'s "
            "returns with intercept"
        )

    def to_dict(self) -> dict[str, Any]:
        return _manifest(self, self.describe(), "OLS", {"market": self.market, "sector": self.sector})


FACTOR_MODELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ff3": ("Fama-French (1993) three-factor model", ("Mkt-RF", "SMB", "HML")),
    "carhart4": ("Carhart (1997) four-factor model", ("Mkt-RF", "SMB", "HML", "Mom")),
    "ff5": ("Fama-French (2015) five-factor model", ("Mkt-RF", "SMB", "HML", "RMW", "CMA")),
}
"""Label and factor columns of the Ken French factor models."""

MARKET_FACTOR = "Mkt-RF"


@dataclass(frozen=True, eq=False)
class FactorModel:
    """A factor model on excess returns: :math:`R_{it} - RF_t = \\alpha_i + b_i' f_t + e_{it}`.

    OLS over the estimation window with an intercept, the regressand the firm's simple return
    minus the risk-free rate (the offset), the regressors the factor returns (all in decimal
    units; French's percent files are divided by 100 on import). The expected return is
    :math:`RF_\\tau + \\hat\\alpha_i + \\hat b_i' f_\\tau`. Models: Fama & French (1993, J.
    Financial Economics 33, 3-56) ``ff3`` (Mkt-RF, SMB, HML); Carhart (1997, J. Finance
    52(1), 57-82) ``carhart4`` (+ Mom); Fama & French (2015, J. Financial Economics 116, 1-22)
    ``ff5`` (+ RMW, CMA); or any ``user_factors`` table (offset = its ``RF`` column if any,
    else 0). A day without a value of a factor (or RF) is a missing row, never filled.

    ``beta`` is the loading on ``Mkt-RF`` (the market factor; NaN for a user table without
    such a column); ``alpha`` the intercept (a daily excess-return alpha). k = 1 + number of
    factors, df = M - k.

    Attributes
    ----------
    tables
        The factor tables; each factor and RF is read from the table that holds it.
    factors
        The factor columns used as regressors, in order.
    rf
        The risk-free-rate column used as the offset, or None (offset 0).
    name, label
        Model name and the label used in descriptions.
    """

    tables: tuple[FactorTable, ...]
    factors: tuple[str, ...]
    rf: str | None = "RF"
    name: str = "ff3"
    label: str = "Fama-French (1993) three-factor model"
    _where: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        where: dict[str, int] = {}
        for index, table in enumerate(self.tables):
            for column in table.columns:
                where.setdefault(column, index)
        needed = [*self.factors, *([self.rf] if self.rf else [])]
        missing = [c for c in needed if c not in where]
        if missing:
            names = ", ".join(t.name for t in self.tables)
            raise ValueError(f"factor table {names} has no column {missing[0]!r}")
        self._where.update(where)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha", *self.factors)

    def _values(self, panel: ReturnsPanel, column: str) -> np.ndarray:
        return self.tables[self._where[column]].on_calendar(panel.calendar, [column])[:, 0]

    def design(self, panel: ReturnsPanel) -> Design:
        ones = np.ones(len(panel.calendar))
        offset = self._values(panel, self.rf) if self.rf else np.zeros_like(ones)
        columns = [self._values(panel, c) for c in self.factors]
        return Design(offset, np.column_stack([ones, *columns]), self.parameter_names)

    def fit(self, y: np.ndarray, x: np.ndarray, auxiliary: np.ndarray, *, min_obs: int) -> ModelFit:
        return ols_model_fit(self.parameter_names, y, x, min_obs=min_obs, beta_name=MARKET_FACTOR)

    def describe(self) -> str:
        source = ", ".join(t.name for t in self.tables)
        excess = f"the firm's return minus {self.rf}" if self.rf else "the firm's return"
        return f"{self.label}: OLS of {excess} on {', '.join(self.factors)} with intercept ({source})"

    def to_dict(self) -> dict[str, Any]:
        settings = {"factors": list(self.factors), "risk_free": self.rf}
        out = _manifest(self, self.describe(), "OLS", settings)
        out["factor_data"] = {table.name: table.describe() for table in self.tables}
        return out


def french_factor_model(name: str, tables: tuple[FactorTable, ...]) -> FactorModel:
    """The Ken French factor model ``name`` (``ff3``, ``carhart4``, ``ff5``) on ``tables``."""
    label, factors = FACTOR_MODELS[name]
    return FactorModel(tables, factors, "RF", name, label)


def user_factor_model(table: FactorTable) -> FactorModel:
    """A factor model on every column of a user table (``RF``, when present, is the offset)."""
    rf = "RF" if "RF" in table.columns else None
    factors = tuple(c for c in table.columns if c != "RF")
    return FactorModel((table,), factors, rf, "user_factors", "user factor model")

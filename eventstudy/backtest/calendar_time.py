"""Calendar-time portfolios: the alpha of holding the announcers after their announcements.

Event-time averages of long-horizon returns (BHARs) treat overlapping events as independent
and are skewed; the calendar-time portfolio approach (Jaffe 1974; Mandelker 1974) forms, on
each calendar day (or month), the portfolio of every position held then, and regresses the
portfolio's excess return on factor returns; the intercept is the average abnormal return per
period, and its t statistic accounts for the cross-sectional correlation of events held at the
same time (Fama 1998; Mitchell & Stafford 2000).

For holding period k of the backtest (:mod:`eventstudy.backtest.engine`), position p is held on
sessions :math:`d_p+1 .. d_p+k` with the backtest's side :math:`s_p = \\pm 1` and weight basis
:math:`b_p` (1, or the market value at the decision). The portfolio's excess return on day t is

.. math:: r_{pt} = \\sum_{p \\text{ held on } t} w_{pt}\\, s_p\\, (R_{pt} - RF_t), \\qquad
          w_{pt} = b_p / \\sum_{q \\text{ held on } t} b_q ,

gross of costs (the backtest's net returns measure the trading; this measures the drift), on
the days with at least one position. It is regressed by OLS on

* ``capm``: :math:`r_{pt} = a + \\beta\\,(Mkt - RF)_t + e_t`;
* ``ff3``: + SMB, HML (Fama & French 1993);
* ``carhart4``: + Mom (Carhart 1997),

with Ken French's daily factors. Monthly (``calendar_time_frequency = "monthly"``): each
calendar month's days with a position are compounded,
:math:`\\prod(1 + r_{pt} + RF_t) - \\prod(1 + RF_t)`, the market likewise, SMB, HML and Mom as
:math:`\\prod(1 + f_t) - 1` over the same days (an approximation of French's monthly files, which
rebalance differently). The alpha is per day (per month). Standard errors: OLS (``nonrobust``)
and White's HC1, because the number of positions, and with it the portfolio's variance, changes
over time (Mitchell & Stafford 2000, sec. IV).

Assumptions: the factor model prices the benchmark returns; the portfolio's residuals are
uncorrelated over time (HC1 allows heteroskedasticity, not autocorrelation); days without a
factor value are left out (``n_periods`` counts those used).

References
----------
Carhart, M. M. (1997). On persistence in mutual fund performance. *Journal of Finance*, 52(1),
57-82.
Fama, E. F. (1998). Market efficiency, long-term returns, and behavioral finance. *Journal of
Financial Economics*, 49(3), 283-306.
Fama, E. F., & French, K. R. (1993). Common risk factors in the returns on stocks and bonds.
*Journal of Financial Economics*, 33(1), 3-56.
Jaffe, J. F. (1974). Special information and insider trading. *Journal of Business*, 47(3),
410-428.
Mandelker, G. (1974). Risk and return: the case of merging firms. *Journal of Financial
Economics*, 1(4), 303-335.
Mitchell, M. L., & Stafford, E. (2000). Managerial decisions and long-term stock price
performance. *Journal of Business*, 73(3), 287-329.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.factors import FactorTable

FF3_FILE = "F-F_Research_Data_Factors_daily"
MOMENTUM_FILE = "F-F_Momentum_Factor_daily"
CALENDAR_TIME_MODELS: dict[str, tuple[str, ...]] = {
    "capm": ("Mkt-RF",),
    "ff3": ("Mkt-RF", "SMB", "HML"),
    "carhart4": ("Mkt-RF", "SMB", "HML", "Mom"),
}
"""Model name -> factors (Ken French's daily columns)."""
MODEL_FILES: dict[str, tuple[str, ...]] = {
    "capm": (FF3_FILE,),
    "ff3": (FF3_FILE,),
    "carhart4": (FF3_FILE, MOMENTUM_FILE),
}
"""Model name -> the French files it reads."""
FREQUENCIES: tuple[str, ...] = ("daily", "monthly")
COV_TYPES: tuple[str, ...] = ("nonrobust", "HC1")
CALENDAR_TIME_COLUMNS: tuple[str, ...] = (
    "holding_days",
    "frequency",
    "model",
    "term",
    "cov_type",
    "coef",
    "se",
    "t",
    "p",
    "n_periods",
    "mean_positions",
    "r_squared",
)


@dataclass(frozen=True)
class FactorRegression:
    """OLS of y on a constant and factors, with nonrobust and HC1 standard errors.

    Attributes
    ----------
    terms
        ``alpha`` and the factor names.
    coef
        (k,) estimates.
    se
        Standard errors by covariance type, (k,) each.
    df
        n - k.
    n
        Observations.
    r_squared
        :math:`1 - SSR/SST`.
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    se: dict[str, np.ndarray]
    df: int
    n: int
    r_squared: float

    def t(self, cov_type: str) -> np.ndarray:
        return self.coef / self.se[cov_type]

    def p(self, cov_type: str) -> np.ndarray:
        return 2.0 * stats.t.sf(np.abs(self.t(cov_type)), self.df)


def factor_regression(y: np.ndarray, factors: np.ndarray, names: tuple[str, ...]) -> FactorRegression:
    """OLS of ``y`` on ``[1, factors]`` (rows with a NaN dropped).

    Parameters
    ----------
    y
        (n,) portfolio excess returns.
    factors
        (n, f) factor returns.
    names
        The f factor names.

    Returns
    -------
    FactorRegression
        Coefficients ``alpha`` + factors; ``nonrobust`` s.e. :math:`\\sqrt{s^2 (X'X)^{-1}}`,
        :math:`s^2 = SSR/(n-k)`; ``HC1`` :math:`\\sqrt{\\frac{n}{n-k}(X'X)^{-1}X'\\mathrm{diag}(e^2)X
        (X'X)^{-1}}` (White 1980; MacKinnon & White 1985). t with n - k d.o.f.

    Notes
    -----
    Coefficients and standard errors are exactly statsmodels' ``OLS(y, X).fit()`` and
    ``fit(cov_type="HC1")`` (the tests' oracle), and so are the nonrobust p-values. The HC1
    p-values use Student's t with n - k d.o.f. like the nonrobust ones, which is
    ``fit(cov_type="HC1", use_t=True)``: statsmodels' default for a robust covariance is the
    normal (for k = 1 CAPM alphas, 0.398 against 0.379). NaN everywhere with n <= k or
    collinear factors.
    """
    y = np.asarray(y, dtype=float)
    x = np.column_stack([np.ones(y.size), np.asarray(factors, dtype=float).reshape(y.size, -1)])
    keep = np.isfinite(y) & np.isfinite(x).all(axis=1)
    y, x = y[keep], x[keep]
    n, k = x.shape
    terms = ("alpha", *names)
    nan = np.full(k, np.nan)
    if n <= k or np.linalg.matrix_rank(x) < k:
        return FactorRegression(terms, nan, dict.fromkeys(COV_TYPES, nan), max(n - k, 0), n, float("nan"))
    xtx_inv = np.linalg.inv(x.T @ x)
    coef = xtx_inv @ x.T @ y
    e = y - x @ coef
    ssr = float(e @ e)
    nonrobust = np.sqrt(np.diag(xtx_inv) * ssr / (n - k))
    meat = (x * e[:, None] ** 2).T @ x
    hc1 = np.sqrt(np.diag(xtx_inv @ meat @ xtx_inv) * n / (n - k))
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - ssr / sst if sst > 0 else float("nan")
    return FactorRegression(terms, coef, {"nonrobust": nonrobust, "HC1": hc1}, n - k, n, r2)


@dataclass(frozen=True)
class PortfolioSeries:
    """The calendar-time portfolio of one holding period.

    Attributes
    ----------
    dates
        (T,) the calendar.
    excess
        (T,) :math:`r_{pt}` (NaN on days without a position or without RF).
    positions
        (T,) positions held.
    """

    dates: pd.DatetimeIndex
    excess: np.ndarray
    positions: np.ndarray


def portfolio_series(
    dates: pd.DatetimeIndex,
    days: np.ndarray,
    returns: np.ndarray,
    signs: np.ndarray,
    weights: np.ndarray,
    held: np.ndarray,
    rf: np.ndarray,
) -> PortfolioSeries:
    """The daily calendar-time portfolio excess return from the positions' held days.

    Parameters
    ----------
    dates
        (T,) the trading calendar.
    days
        (P, k) calendar positions of each position's held days.
    returns
        (P, k) each held day's return.
    signs
        (P,) +1 long, -1 short.
    weights
        (T, P) :math:`w_{pt}` (0 where not held).
    held
        (T, P) whether position p is held on day t.
    rf
        (T,) the risk-free rate of each day (decimal).
    """
    n_days, n_positions = weights.shape
    by_day = np.zeros((n_days, n_positions))
    inside = days >= 0
    rows = np.where(inside, days, 0)
    contribution = signs[:, None] * (returns - rf[rows])
    by_day[rows[inside], np.broadcast_to(np.arange(n_positions)[:, None], days.shape)[inside]] = contribution[
        inside
    ]
    positions = held.sum(axis=1)
    with np.errstate(invalid="ignore"):
        excess = (weights * by_day).sum(axis=1)
    excess = np.where(positions > 0, excess, np.nan)
    excess = np.where(np.isfinite(rf), excess, np.nan)
    return PortfolioSeries(dates, excess, positions)


def monthly(
    dates: pd.DatetimeIndex, excess: np.ndarray, rf: np.ndarray, factors: np.ndarray, names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compound the daily series of the days with a portfolio return into calendar months.

    Returns the monthly portfolio excess returns, factor returns ((M, f)) and the number of days
    in each month. The portfolio and the market: :math:`\\prod(1 + x_t + RF_t) - \\prod(1 + RF_t)`;
    other factors :math:`\\prod(1 + f_t) - 1`.
    """
    keep = np.isfinite(excess) & np.isfinite(rf) & np.isfinite(factors).all(axis=1)
    months = pd.PeriodIndex(dates[keep], freq="M")
    codes, unique = pd.factorize(months, sort=True)
    rf_k = rf[keep]

    def compound(values: np.ndarray) -> np.ndarray:
        logs = np.log1p(values)
        return np.expm1(np.bincount(codes, weights=logs, minlength=len(unique)))

    risk_free = compound(rf_k)
    portfolio = compound(excess[keep] + rf_k) - risk_free
    out = np.empty((len(unique), len(names)))
    for j, name in enumerate(names):
        column = factors[keep, j]
        out[:, j] = compound(column + rf_k) - risk_free if name == "Mkt-RF" else compound(column)
    return portfolio, out, np.bincount(codes, minlength=len(unique))


def factor_columns(tables: Mapping[str, FactorTable], model: str, calendar: pd.DatetimeIndex) -> np.ndarray:
    """(T, f + 1) the model's factors and RF on the calendar (NaN where French has no value)."""
    wanted = (*CALENDAR_TIME_MODELS[model], "RF")
    columns = []
    for name in wanted:
        table = next((t for t in (tables[f] for f in MODEL_FILES[model]) if name in t.columns), None)
        if table is None:
            raise ValueError(f"calendar-time model {model!r}: no factor file has the column {name!r}")
        columns.append(table.on_calendar(calendar, [name])[:, 0])
    return np.column_stack(columns)


def calendar_time_rows(
    series: PortfolioSeries,
    tables: Mapping[str, FactorTable],
    model: str,
    frequency: str,
    holding_days: int,
) -> pd.DataFrame:
    """Rows of ``calendar_time.parquet`` for one holding period, model and frequency."""
    names = CALENDAR_TIME_MODELS[model]
    data = factor_columns(tables, model, series.dates)
    factors, rf = data[:, :-1], data[:, -1]
    excess = np.where(np.isfinite(rf), series.excess, np.nan)
    used = np.isfinite(excess) & np.isfinite(factors).all(axis=1)
    mean_positions = float(series.positions[used].mean()) if used.any() else float("nan")
    if frequency == "monthly":
        y, x, _ = monthly(series.dates, excess, rf, factors, names)
    else:
        y, x = excess, factors
    fit = factor_regression(y, x, names)
    frames = []
    for cov_type in COV_TYPES:
        frames.append(
            pd.DataFrame(
                {
                    "holding_days": np.int64(holding_days),
                    "frequency": frequency,
                    "model": model,
                    "term": list(fit.terms),
                    "cov_type": cov_type,
                    "coef": fit.coef,
                    "se": fit.se[cov_type],
                    "t": fit.t(cov_type),
                    "p": fit.p(cov_type),
                    "n_periods": np.int64(fit.n),
                    "mean_positions": mean_positions,
                    "r_squared": fit.r_squared,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).loc[:, list(CALENDAR_TIME_COLUMNS)]


def empty_table() -> pd.DataFrame:
    """``calendar_time.parquet`` without rows (typed columns)."""
    dtypes = {
        **dict.fromkeys(("holding_days", "n_periods"), "int64"),
        **dict.fromkeys(("coef", "se", "t", "p", "mean_positions", "r_squared"), "float64"),
    }
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in CALENDAR_TIME_COLUMNS})

"""Abnormal dollar value of a window and its test (Saha & Ferrell 2011).

The dollar abnormal return of pair i on day τ is :math:`D_{i\\tau} = A_{i\\tau}\\,MV_{i,\\tau-1}`
(Malatesta 1983), the abnormal return times the previous day's market value, and the window's
abnormal dollar value is :math:`D_i = \\sum_{\\tau \\in W} D_{i\\tau}`; the aggregate is
:math:`\\Delta V = \\sum_i D_i` over **every** pair with a dollar value for the window (its
abnormal returns and previous-day market values known on every day of the window), so the
total equals the sum of ``car.parquet``'s ``abnormal_value_usd`` over the same rows.

Saha & Ferrell (2011) show that a significant abnormal *return* does not make the abnormal
*dollar* change significant, because market value moves over the estimation window; the dollar
test should use the variability of dollar abnormal returns themselves. The variance of
:math:`D_i` used here:

* **Saha & Ferrell** (``car.parquet`` ``dollar_sd_basis`` = ``estimation_dollar_residuals``),
  when the pair has a market value on every estimation day with a residual (and at least two
  such days): the sample variance (divisor :math:`m_i - 1`) of its estimation-window dollar
  residuals :math:`d_{is} = e_{is}\\,MV_{i,s-1}`,

  .. math::

      s_{D,i}^2 = \\frac{1}{m_i - 1}\\sum_s (d_{is} - \\bar d_i)^2, \\qquad
      \\operatorname{Var}(D_i) = L\\,s_{D,i}^2 ;

* **σ × market value** (``sigma_x_mcap_prev``), when the estimation window lacks market values
  on some residual day (e.g. share counts begin inside it): the dollar AR of day τ has standard
  deviation :math:`\\hat\\sigma_i\\,MV_{i,\\tau-1}`, the return residual s.d. scaled by the
  market value the abnormal return applies to (Malatesta 1983's dollar return, with the return
  variance of the market model as in Campbell, Lo & MacKinlay 1997, ch. 4), so

  .. math:: \\operatorname{Var}(D_i) = \\hat\\sigma_i^2 \\sum_{\\tau \\in W} MV_{i,\\tau-1}^2 .

  The Saha-Ferrell variance on the few estimation days that have market values would describe
  only that part of the window (and is undefined with fewer than two), which is why it is not
  used there.

Then :math:`Z = \\Delta V / \\sqrt{\\sum_i \\operatorname{Var}(D_i)} \\sim N(0, 1)`. Both ignore the
estimation error of the expected-return parameters (a factor :math:`1 + O(1/M_i)`), assume dollar
abnormal returns independent over days and across pairs, and treat :math:`MV_{i,\\tau-1}` as known
on day τ.
"""

from __future__ import annotations

import numpy as np

from .result import Alternative, TestResult, check_alternative, empty_result, p_normal, result

REF_DOLLAR = (
    "Saha & Ferrell (2011); Malatesta (1983); every row with a dollar value for the window "
    "(= sum of car.parquet abnormal_value_usd over the group's rows)"
)
REF_DOLLAR_FALLBACK = (
    "rows of dollar_z whose dollar-AR s.d. is sigma x market value at tau-1 because the "
    "estimation window lacks market values (car.parquet dollar_sd_basis = sigma_x_mcap_prev)"
)
SAHA_FERRELL = "estimation_dollar_residuals"
SIGMA_X_MARKET_VALUE = "sigma_x_mcap_prev"


def dollar_abnormal_value_test(
    dollar_car: np.ndarray | None,
    dollar_residuals: np.ndarray | None,
    length: int,
    *,
    residual_days: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
    market_value_window: np.ndarray | None = None,
    alternative: Alternative = "two-sided",
) -> tuple[TestResult, TestResult, TestResult]:
    """Aggregate abnormal dollar value of a window, its Z test and the rows of the fallback.

    Formula: :math:`\\Delta V = \\sum_i D_i` over the pairs with a finite :math:`D_i` and
    :math:`Z = \\Delta V / \\sqrt{\\sum_i \\operatorname{Var}(D_i)}` with :math:`\\operatorname{Var}(D_i)
    = L\\,s_{D,i}^2` (Saha & Ferrell) where the pair's dollar residuals cover all its
    ``residual_days`` (at least two), else :math:`\\hat\\sigma_i^2\\sum_\\tau MV_{i,\\tau-1}^2`
    (module docstring). Standard normal.

    References
    ----------
    Saha, A. & Ferrell, A. (2011). Event study analysis: correctly measuring the dollar impact
    of an event. Harvard Law & Economics Discussion Paper 686. Malatesta, P. H. (1983). The
    wealth effect of merger activity and the objective functions of merging firms. *J.
    Financial Economics* 11, 155-181.

    Assumptions: independent pairs and days, dollar abnormal returns with the estimation-window
    variance, no parameter-estimation error. Cost O(N·L1).

    Parameters
    ----------
    dollar_car
        (N,) :math:`D_i` in USD (``EventPanel.dollar_car``), or None without market values.
    dollar_residuals
        (N, L1) :math:`e_{is}MV_{i,s-1}` (``EventPanel.dollar_residuals``), or None.
    length
        L, days in the window.
    residual_days
        (N,) number of estimation days with a residual (default: those with a dollar residual,
        i.e. Saha-Ferrell wherever it is defined).
    sigma, market_value_window
        (N,) :math:`\\hat\\sigma_i` and (N, L) :math:`MV_{i,\\tau-1}` of the window's days, for the
        fallback (without them, pairs that would need it are left out).

    Returns
    -------
    (TestResult, TestResult, TestResult)
        ``dollar_abnormal_value`` (value :math:`\\Delta V` in USD, p of Z), ``dollar_z`` and
        ``dollar_fallback_sd_rows`` (value and n: the pairs whose variance is the fallback);
        NaN with n = 0 when market values are absent.
    """
    check_alternative(alternative)
    if dollar_car is None or dollar_residuals is None:
        return _no_dollars()
    variance, days = dollar_residual_variance(np.atleast_2d(np.asarray(dollar_residuals, dtype=float)))
    d = np.asarray(dollar_car, dtype=float)
    fallback = None
    if sigma is not None and market_value_window is not None:
        fallback = fallback_dollar_variance(np.asarray(sigma, float), np.asarray(market_value_window, float))
    total_days = days if residual_days is None else np.asarray(residual_days)
    return _dollar_test(d, variance, days, total_days, fallback, length, alternative=alternative)


def fallback_dollar_variance(sigma: np.ndarray, market_value_window: np.ndarray) -> np.ndarray:
    """(N,) :math:`\\hat\\sigma_i^2\\sum_{\\tau \\in W} MV_{i,\\tau-1}^2`: the variance of
    :math:`D_i` when each day's dollar AR has s.d. :math:`\\hat\\sigma_i MV_{i,\\tau-1}` and the
    days are independent (module docstring). NaN where a market value is missing. O(N·L)."""
    mv = np.atleast_2d(market_value_window)
    return sigma**2 * np.einsum("nl,nl->n", mv, mv)


def dollar_residual_variance(
    dollar_residuals: np.ndarray, *, overwrite: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) :math:`s_{D,i}^2` (divisor :math:`m_i - 1`) and :math:`m_i` of each pair's dollar
    residuals (NaN variance with fewer than two). ``overwrite=True`` lets it use the (float,
    C-contiguous) input as its work array. Cost O(N·L1) time, one (N, L1) work array."""
    valid = np.isfinite(dollar_residuals)
    m = valid.sum(axis=1)
    invalid = ~valid
    if overwrite and dollar_residuals.dtype == np.float64 and dollar_residuals.flags.c_contiguous:
        work = dollar_residuals
        work[invalid] = 0.0
    else:
        work = np.where(valid, dollar_residuals, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = work.sum(axis=1) / m
        work -= mean[:, None]
        work[invalid] = 0.0
        np.square(work, out=work)
        var = work.sum(axis=1) / (m - 1)
    return var, m


def saha_ferrell_rows(dollar_days: np.ndarray, residual_days: np.ndarray) -> np.ndarray:
    """(N,) True where the Saha-Ferrell variance applies: a market value on every estimation
    day with a residual (``dollar_days == residual_days``) and at least two such days."""
    return (dollar_days == residual_days) & (dollar_days >= 2)


def _no_dollars(n: int = 0) -> tuple[TestResult, TestResult, TestResult]:
    return (
        empty_result("dollar_abnormal_value", REF_DOLLAR, n),
        empty_result("dollar_z", REF_DOLLAR, n),
        empty_result("dollar_fallback_sd_rows", REF_DOLLAR_FALLBACK, 0),
    )


def _dollar_test(
    d: np.ndarray,
    var: np.ndarray,
    m: np.ndarray,
    residual_days: np.ndarray,
    fallback: np.ndarray | None,
    length: int,
    *,
    alternative: Alternative,
) -> tuple[TestResult, TestResult, TestResult]:
    """:func:`dollar_abnormal_value_test` from :func:`dollar_residual_variance`'s output and the
    fallback variances (None: no fallback). Every pair with a finite :math:`D_i` and a positive
    variance of either kind enters both the total and Z."""
    saha_ferrell = saha_ferrell_rows(m, residual_days)
    variance = np.where(saha_ferrell, length * var, np.nan if fallback is None else fallback)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(d) & np.isfinite(variance) & (variance > 0)
    n = int(ok.sum())
    if n < 1 or length < 1:
        return _no_dollars(n)
    total = float(d[ok].sum())
    z = total / np.sqrt(variance[ok].sum())
    p = p_normal(z, alternative)
    n_fallback = int((ok & ~saha_ferrell).sum())
    return (
        result("dollar_abnormal_value", total, p, n, REF_DOLLAR),
        result("dollar_z", z, p, n, REF_DOLLAR),
        TestResult(
            "dollar_fallback_sd_rows", float(n_fallback), float("nan"), n_fallback, REF_DOLLAR_FALLBACK
        ),
    )

"""Abnormal dollar value of a window and its test (Saha & Ferrell 2011).

The dollar abnormal return of pair i on day τ is :math:`D_{i\\tau} = A_{i\\tau}\\,MV_{i,\\tau-1}`
(Malatesta 1983), the abnormal return times the previous day's market value, and the window's
abnormal dollar value is :math:`D_i = \\sum_{\\tau \\in W} D_{i\\tau}` (``car.parquet``'s
``abnormal_value_usd``). The aggregate covers **every** pair with a dollar value for the window
(its abnormal returns and previous-day market values known on every day of the window) and
counts each (ticker, calendar day) once: a day that lies in the windows of :math:`c > 1` pairs
of one ticker (two announcements a few sessions apart) is one change of that firm's value, and
a sum of the pairs' :math:`D_i` would count it :math:`c` times (in the launch study NVDA's
2025-09-19 lies in the [-1,+1] windows of two events and turned the sum's sign). Each of the
:math:`c` cells of such a day enters with weight :math:`1/c`, so the day's dollar abnormal
return is the mean of the pairs' estimates of it:

.. math::

    \\Delta V = \\sum_i \\sum_{\\tau \\in W} \\frac{D_{i\\tau}}{c_{i\\tau}}
    = \\sum_i D_i - S, \\qquad
    S = \\sum_{(f, t):\\, c > 1} \\frac{c - 1}{c} \\sum_{i\\tau \\to (f, t)} D_{i\\tau},

where :math:`c_{i\\tau}` counts the pairs of the sample whose window holds the ticker-day of
cell :math:`(i, \\tau)`. :math:`S` (``dollar_shared_days_usd``, n = the shared ticker-days) is
what the plain sum counts beyond once, so :math:`\\Delta V + S` equals the sum of
``car.parquet``'s ``abnormal_value_usd`` over the same rows. Without shared days
:math:`S = 0` and :math:`\\Delta V = \\sum_i D_i` exactly.

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

Then :math:`Z = \\Delta V / \\sqrt{\\sum_i \\operatorname{Var}(D_i) - S_V} \\sim N(0, 1)`, with
:math:`S_V` formed as :math:`S` from the cells' variances (:math:`s_{D,i}^2`, or
:math:`\\hat\\sigma_i^2 MV_{i,\\tau-1}^2`): a shared ticker-day contributes the mean of the pairs'
variances of it, once. Both ignore the estimation error of the expected-return parameters (a
factor :math:`1 + O(1/M_i)`), assume dollar abnormal returns independent over days and across
tickers, and treat :math:`MV_{i,\\tau-1}` as known on day τ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .result import Alternative, TestResult, check_alternative, empty_result, p_normal, result

REF_DOLLAR = (
    "Saha & Ferrell (2011); Malatesta (1983); every row with a dollar value for the window, each "
    "(ticker, day) once (= sum of car.parquet abnormal_value_usd over the group's rows minus "
    "dollar_shared_days_usd)"
)
REF_DOLLAR_FALLBACK_ONLY = (
    "Malatesta (1983); the dollar-AR s.d. of every row is sigma x market value at tau-1 "
    "(dollar_fallback_sd_rows), not Saha & Ferrell's (2011) estimation-window dollar residuals, which "
    "need market values on the estimation days; every row with a dollar value for the window, each "
    "(ticker, day) once (= sum of car.parquet abnormal_value_usd over the group's rows minus "
    "dollar_shared_days_usd)"
)
REF_DOLLAR_SHARED = (
    "what the sum of the rows' abnormal_value_usd counts beyond once on (ticker, day)s in the windows "
    "of several rows (a day in c windows counted c times), left out of dollar_abnormal_value; n = those "
    "ticker-days"
)
REF_DOLLAR_FALLBACK = (
    "rows of dollar_z whose dollar-AR s.d. is sigma x market value at tau-1 because the "
    "estimation window lacks market values (car.parquet dollar_sd_basis = sigma_x_mcap_prev)"
)
SAHA_FERRELL = "estimation_dollar_residuals"
SIGMA_X_MARKET_VALUE = "sigma_x_mcap_prev"


@dataclass(frozen=True)
class WindowDays:
    """The cells of a window's dollar abnormal returns, to count each ticker-day once.

    Attributes
    ----------
    firm
        (N,) ticker of each pair.
    days
        (N, L) calendar-day index of each window day of each pair (the panel's ``event_day``).
    dollars
        (N, L) :math:`D_{i\\tau} = A_{i\\tau} MV_{i,\\tau-1}`, whose row sums are ``dollar_car``.
    """

    firm: np.ndarray
    days: np.ndarray
    dollars: np.ndarray


def dollar_abnormal_value_test(
    dollar_car: np.ndarray | None,
    dollar_residuals: np.ndarray | None,
    length: int,
    *,
    residual_days: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
    market_value_window: np.ndarray | None = None,
    window_days: WindowDays | None = None,
    alternative: Alternative = "two-sided",
) -> tuple[TestResult, TestResult, TestResult, TestResult]:
    """Aggregate abnormal dollar value of a window, its Z test, the rows of the fallback and what
    a plain sum would count twice.

    Formula: :math:`\\Delta V = \\sum_i D_i - S` over the pairs with a finite :math:`D_i` and
    :math:`Z = \\Delta V / \\sqrt{\\sum_i \\operatorname{Var}(D_i) - S_V}` with
    :math:`\\operatorname{Var}(D_i) = L\\,s_{D,i}^2` (Saha & Ferrell) where the pair's dollar
    residuals cover all its ``residual_days`` (at least two), else
    :math:`\\hat\\sigma_i^2\\sum_\\tau MV_{i,\\tau-1}^2`; :math:`S` and :math:`S_V` take out what a
    ticker-day in the windows of several pairs adds beyond once (module docstring; 0 without
    ``window_days``). Standard normal.

    References
    ----------
    Saha, A. & Ferrell, A. (2011). Event study analysis: correctly measuring the dollar impact
    of an event. Harvard Law & Economics Discussion Paper 686. Malatesta, P. H. (1983). The
    wealth effect of merger activity and the objective functions of merging firms. *J.
    Financial Economics* 11, 155-181.

    Assumptions: independent tickers and days, dollar abnormal returns with the estimation-window
    variance, no parameter-estimation error. Cost O(N·L1 + N·L log(N·L)).

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
    window_days
        The pairs' tickers, window days and daily dollar abnormal returns, to count a ticker-day
        in several windows once; None: every pair is taken to be alone on its days.

    Returns
    -------
    (TestResult, TestResult, TestResult, TestResult)
        ``dollar_abnormal_value`` (value :math:`\\Delta V` in USD, p of Z), ``dollar_z``,
        ``dollar_fallback_sd_rows`` (value and n: the pairs whose variance is the fallback) and
        ``dollar_shared_days_usd`` (value :math:`S`, n the shared ticker-days); NaN with n = 0
        when market values are absent.
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
    return _dollar_test(
        d, variance, days, total_days, fallback, length, alternative=alternative,
        window_days=window_days, sigma=sigma, market_value_window=market_value_window,
    )


def shared_day_excess(
    firm: np.ndarray, days: np.ndarray, dollars: np.ndarray, variances: np.ndarray
) -> tuple[float, float, int]:
    """What a sum over pairs counts beyond once on ticker-days held by several pairs' windows.

    Formula: over the (ticker, day) keys of :math:`c > 1` cells,
    :math:`S = \\sum \\frac{c-1}{c}\\sum_{\\text{cells}} D_{i\\tau}` and :math:`S_V` alike of the
    cells' variances (module docstring).

    Parameters
    ----------
    firm
        (N,) ticker of each pair.
    days
        (N, L) int calendar-day index of each cell.
    dollars, variances
        (N, L) each cell's dollar abnormal return and its variance.

    Returns
    -------
    (float, float, int)
        :math:`S`, :math:`S_V` and the number of shared ticker-days; (0.0, 0.0, 0) when no
        ticker-day is shared. Cost O(N·L log(N·L)).
    """
    if dollars.size == 0:
        return 0.0, 0.0, 0
    codes = np.unique(np.asarray(firm).astype(str), return_inverse=True)[1].astype(np.int64).ravel()
    day = np.asarray(days, dtype=np.int64)
    span = int(day.max()) - int(day.min()) + 1
    keys = (codes[:, None] * span + (day - int(day.min()))).ravel()
    order = np.argsort(keys, kind="stable")  # a radix sort of the int64 keys
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, ordered.size])
    shared = counts > 1
    if not shared.any():
        return 0.0, 0.0, 0
    cells = order[np.repeat(shared, counts)]  # the cells of shared keys, key by key
    weight = np.repeat((counts[shared] - 1) / counts[shared], counts[shared])
    excess = float(np.dot(np.asarray(dollars, dtype=float).ravel()[cells], weight))
    excess_variance = float(np.dot(np.asarray(variances, dtype=float).ravel()[cells], weight))
    return excess, excess_variance, int(shared.sum())


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


def _no_dollars(n: int = 0) -> tuple[TestResult, TestResult, TestResult, TestResult]:
    return (
        empty_result("dollar_abnormal_value", REF_DOLLAR, n),
        empty_result("dollar_z", REF_DOLLAR, n),
        empty_result("dollar_fallback_sd_rows", REF_DOLLAR_FALLBACK, 0),
        empty_result("dollar_shared_days_usd", REF_DOLLAR_SHARED, 0),
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
    window_days: WindowDays | None = None,
    sigma: np.ndarray | None = None,
    market_value_window: np.ndarray | None = None,
) -> tuple[TestResult, TestResult, TestResult, TestResult]:
    """:func:`dollar_abnormal_value_test` from :func:`dollar_residual_variance`'s output and the
    fallback variances (None: no fallback). Every pair with a finite :math:`D_i` and a positive
    variance of either kind enters both the total and Z; with ``window_days`` (and, for the
    fallback cells' variances, ``sigma`` and ``market_value_window``) each ticker-day once."""
    saha_ferrell = saha_ferrell_rows(m, residual_days)
    variance = np.where(saha_ferrell, length * var, np.nan if fallback is None else fallback)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(d) & np.isfinite(variance) & (variance > 0)
    n = int(ok.sum())
    if n < 1 or length < 1:
        return _no_dollars(n)
    excess = excess_variance = 0.0
    shared = 0
    if window_days is not None:
        if sigma is not None and market_value_window is not None:
            fallback_cells = np.asarray(sigma, float)[:, None] ** 2 * np.square(market_value_window)
        else:
            fallback_cells = np.full(window_days.dollars.shape, np.nan)
        cell_variance = np.where(saha_ferrell[:, None], np.asarray(var, float)[:, None], fallback_cells)
        excess, excess_variance, shared = shared_day_excess(
            window_days.firm[ok], window_days.days[ok], window_days.dollars[ok], cell_variance[ok]
        )
    total = float(d[ok].sum()) - excess
    z = total / np.sqrt(variance[ok].sum() - excess_variance)
    p = p_normal(z, alternative)
    n_fallback = int((ok & ~saha_ferrell).sum())
    reference = REF_DOLLAR_FALLBACK_ONLY if n_fallback == n else REF_DOLLAR  # cited Saha & Ferrell for none
    return (
        result("dollar_abnormal_value", total, p, n, reference),
        result("dollar_z", z, p, n, reference),
        TestResult(
            "dollar_fallback_sd_rows", float(n_fallback), float("nan"), n_fallback, REF_DOLLAR_FALLBACK
        ),
        TestResult("dollar_shared_days_usd", excess, float("nan"), shared, REF_DOLLAR_SHARED),
    )

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

Z is Patell-like: it takes the event window's dollar variance to be the estimation window's and
the pairs to be independent, so it over-rejects when announcements raise volatility or share a
day (five parties of one announcement: the launch study's shock group gave Z = -3.60 where the
KP-adjusted BMP t of the same pairs' returns is -1.75). :func:`kp_adjusted_dollar_t` tests the
same :math:`\\Delta V` with both corrections the report's recommended return test makes, and gives
``dollar_abnormal_value`` its p in the battery.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .result import (
    Alternative,
    TestResult,
    check_alternative,
    empty_result,
    p_normal,
    p_student,
    result,
    spread,
)

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
REF_KP_DOLLAR = (
    "Saha & Ferrell (2011) dollar variances; Boehmer, Musumeci & Poulsen (1991) cross-sectional scale; "
    "Kolari & Pynnönen (2010) correlation adjustment (equals KP-adjusted BMP for equal dollar s.d.s); "
    "the rows and total of dollar_abnormal_value"
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
    sample = dollar_sample(
        d, variance, days, total_days, fallback, length, window_days=window_days, sigma=sigma,
        market_value_window=market_value_window,
    )
    return dollar_results(sample, alternative)


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


def kp_adjusted_dollar_t(
    dollar_car: np.ndarray,
    variance: np.ndarray,
    rbar: float,
    *,
    excess: float = 0.0,
    excess_variance: float = 0.0,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Abnormal dollar value tested against the event-period cross-section and cross-correlation.

    Formula: with :math:`\\sigma_i = \\sqrt{\\operatorname{Var}(D_i)}` (as in
    :func:`dollar_abnormal_value_test`), standardized dollar CARs :math:`SD_i = D_i/\\sigma_i`
    and :math:`s^2` their cross-sectional sample variance (divisor N - 1),

    .. math::

        t = \\frac{\\Delta V}{\\sqrt{\\dfrac{s^2}{1 - \\bar r}\\left[\\sum_i \\sigma_i^2 - S_V
            + \\bar r\\left(\\big(\\textstyle\\sum_i \\sigma_i\\big)^2
            - \\sum_i \\sigma_i^2\\right)\\right]}},
        \\qquad \\Delta V = \\sum_i D_i - S,

    Student-t with N - 1 d.o.f. (:math:`S`, :math:`S_V`: each ticker-day once, as in
    :func:`dollar_abnormal_value_test`). Under the null with event-period variances
    :math:`c\\,\\sigma_i^2` and a common correlation :math:`\\bar r`,
    :math:`\\operatorname{Var}(\\Delta V) = c[\\sum\\sigma_i^2 + \\bar r((\\sum\\sigma_i)^2 -
    \\sum\\sigma_i^2)]`; :math:`c` is estimated from the cross-section as in Boehmer, Musumeci &
    Poulsen (1991), and :math:`s^2/(1 - \\bar r)` undoes the shrinkage of a cross-sectional
    variance of correlated values as in Kolari & Pynnönen (2010). With equal :math:`\\sigma_i` and
    no shared day, :math:`t` is Kolari & Pynnönen's adjusted BMP t of the :math:`SD_i`
    (:func:`~eventstudy.inference.parametric.kp_adjusted_bmp_t`). Not a published test in this
    form: it is KP-adjusted BMP carried over to the dollar-weighted sum that Saha & Ferrell
    (2011) test with independent pairs.

    References
    ----------
    Saha, A. & Ferrell, A. (2011). Event study analysis: correctly measuring the dollar impact of
    an event. Harvard Law & Economics Discussion Paper 686. Boehmer, E., Musumeci, J. & Poulsen,
    A. B. (1991). *J. Financial Economics* 30(2), 253-272. Kolari, J. W. & Pynnönen, S. (2010).
    *Review of Financial Studies* 23(11), 3996-4025.

    Assumptions: event-period dollar variances proportional to :math:`\\sigma_i^2` (one factor
    :math:`c` for all pairs), a common pairwise correlation :math:`\\bar r` (that of the pairs'
    estimation-window return residuals: the dollar residuals are those times a slowly moving
    market value), normal standardized values; parameter-estimation error ignored. The cross
    term needs the :math:`\\sigma_i\\sigma_j`-weighted mean of the correlations and the scale
    the plain one; both are :math:`\\bar r` here, so where correlation sits among the largest
    firms the test over-rejects (0.6 among the three largest dollar s.d.s of the launch's
    openai-compute rows, plain :math:`\\bar r` 0.027: 9.3% at 5%, a finder's simulation). NaN
    with fewer than two pairs, a value or variance not finite (or a variance not positive),
    standardized values all equal, :math:`1 + (N-1)\\bar r \\le 0`, a variance that is not
    positive or beyond the float range. Cost O(N) given :math:`\\bar r`.

    Parameters
    ----------
    dollar_car, variance
        (N,) :math:`D_i` and :math:`\\operatorname{Var}(D_i)` of the pairs, finite and positive.
    rbar
        :math:`\\bar r`, Kolari & Pynnönen's average cross-correlation of the N pairs.
    excess, excess_variance
        :math:`S` and :math:`S_V` (:func:`shared_day_excess`).
    """
    check_alternative(alternative)
    d = np.asarray(dollar_car, dtype=float).ravel()
    variance = np.asarray(variance, dtype=float).ravel()
    n, r = d.size, float(rbar)
    finite = np.isfinite(d).all() and np.isfinite(variance).all()
    given = variance.size == n and bool(finite and (variance > 0).all())
    if not (given and n >= 2 and np.isfinite(r) and r < 1 and 1.0 + (n - 1) * r > 0):
        return empty_result("kp_adjusted_dollar_t", REF_KP_DOLLAR, n)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond the float range: no t (below)
        sd = np.sqrt(variance)
        scale = spread(d / sd) ** 2
        own = float(np.sum(variance))
        total_sd = float(np.sum(sd))
        spread_variance = scale / (1.0 - r) * (own - excess_variance + r * (total_sd * total_sd - own))
        t = (float(np.sum(d)) - excess) / np.sqrt(spread_variance) if spread_variance > 0 else np.nan
    if not (scale > 0 and np.isfinite(spread_variance) and np.isfinite(t)):
        return empty_result("kp_adjusted_dollar_t", REF_KP_DOLLAR, n)
    return result("kp_adjusted_dollar_t", t, p_student(t, n - 1, alternative), n, REF_KP_DOLLAR)


@dataclass(frozen=True)
class DollarSample:
    """The pairs of a window's dollar tests and what a sum over them counts beyond once.

    Attributes
    ----------
    dollar_car, variance
        :math:`D_i` and :math:`\\operatorname{Var}(D_i)` of the pairs with a finite :math:`D_i` and a
        positive variance.
    excess, excess_variance, shared_days
        :math:`S`, :math:`S_V` and the ticker-days in several windows (:func:`shared_day_excess`).
    fallback_rows
        Pairs used whose variance is the σ × market value fallback.
    length
        L, days in the window.
    """

    dollar_car: np.ndarray
    variance: np.ndarray
    excess: float
    excess_variance: float
    shared_days: int
    fallback_rows: int
    length: int

    @property
    def n(self) -> int:
        """Pairs used."""
        return int(self.dollar_car.size)


def _no_dollars(n: int = 0) -> tuple[TestResult, TestResult, TestResult, TestResult]:
    return (
        empty_result("dollar_abnormal_value", REF_DOLLAR, n),
        empty_result("dollar_z", REF_DOLLAR, n),
        empty_result("dollar_fallback_sd_rows", REF_DOLLAR_FALLBACK, 0),
        empty_result("dollar_shared_days_usd", REF_DOLLAR_SHARED, 0),
    )


def dollar_sample(
    d: np.ndarray,
    var: np.ndarray,
    m: np.ndarray,
    residual_days: np.ndarray,
    fallback: np.ndarray | None,
    length: int,
    *,
    window_days: WindowDays | None = None,
    sigma: np.ndarray | None = None,
    market_value_window: np.ndarray | None = None,
) -> DollarSample:
    """The pairs of the dollar tests and their variances, from :func:`dollar_residual_variance`'s
    output and the fallback variances (None: no fallback). Every pair with a finite :math:`D_i`
    and a positive variance of either kind is used; with ``window_days`` (and, for the fallback
    cells' variances, ``sigma`` and ``market_value_window``) each ticker-day once."""
    saha_ferrell = saha_ferrell_rows(m, residual_days)
    variance = np.where(saha_ferrell, length * var, np.nan if fallback is None else fallback)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(d) & np.isfinite(variance) & (variance > 0)
    excess = excess_variance = 0.0
    shared = 0
    if window_days is not None and ok.any():
        if sigma is not None and market_value_window is not None:
            fallback_cells = np.asarray(sigma, float)[:, None] ** 2 * np.square(market_value_window)
        else:
            fallback_cells = np.full(window_days.dollars.shape, np.nan)
        cell_variance = np.where(saha_ferrell[:, None], np.asarray(var, float)[:, None], fallback_cells)
        excess, excess_variance, shared = shared_day_excess(
            window_days.firm[ok], window_days.days[ok], window_days.dollars[ok], cell_variance[ok]
        )
    n_fallback = int((ok & ~saha_ferrell).sum())
    return DollarSample(d[ok], variance[ok], excess, excess_variance, shared, n_fallback, length)


def dollar_results(
    sample: DollarSample, alternative: Alternative = "two-sided"
) -> tuple[TestResult, TestResult, TestResult, TestResult]:
    """``dollar_abnormal_value`` (p of Z), ``dollar_z``, ``dollar_fallback_sd_rows`` and
    ``dollar_shared_days_usd`` of ``sample`` (:func:`dollar_abnormal_value_test`)."""
    n, n_fallback, excess, shared = sample.n, sample.fallback_rows, sample.excess, sample.shared_days
    if n < 1 or sample.length < 1:
        return _no_dollars(n)
    total = float(sample.dollar_car.sum()) - excess
    z = total / np.sqrt(sample.variance.sum() - sample.excess_variance)
    p = p_normal(z, alternative)
    reference = REF_DOLLAR_FALLBACK_ONLY if n_fallback == n else REF_DOLLAR  # cited Saha & Ferrell for none
    return (
        result("dollar_abnormal_value", total, p, n, reference),
        result("dollar_z", z, p, n, reference),
        TestResult(
            "dollar_fallback_sd_rows", float(n_fallback), float("nan"), n_fallback, REF_DOLLAR_FALLBACK
        ),
        TestResult("dollar_shared_days_usd", excess, float("nan"), shared, REF_DOLLAR_SHARED),
    )

"""Parametric tests: per-event t, cross-sectional t, Brown-Warner, Lamb, Patell, BMP, KP.

All functions are pure: arrays in, :class:`~eventstudy.inference.result.TestResult` out. NaN
marks a missing observation; ``n`` is the number of (event, firm) pairs that entered the
statistic. "Window" means an event window :math:`[\\tau_1, \\tau_2]` of L days; a one-day window
gives the daily statistic. Notation as in :mod:`eventstudy.inference.panel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventstudy.abnormal import prediction_error_t

from .result import (
    Alternative,
    TestResult,
    check_alternative,
    empty_result,
    one_sample_t,
    p_normal,
    p_student,
    result,
    spread,
)

REF_CROSS_SECTIONAL = "Brown & Warner (1985); Campbell, Lo & MacKinlay (1997)"
REF_PORTFOLIO = "Brown & Warner (1980); Campbell, Lo & MacKinlay (1997) J1"
REF_CRUDE = "Brown & Warner (1980, 1985) crude dependence"
REF_LAMB = "Lamb (1995)"
REF_PATELL = "Patell (1976)"
REF_BMP = "Boehmer, Musumeci & Poulsen (1991)"
REF_KP_PATELL = "Kolari & Pynnönen (2010) adjusted Patell"
REF_KP_BMP = "Kolari & Pynnönen (2010) adjusted BMP"
REF_EVENT_T = "Campbell, Lo & MacKinlay (1997)"


@dataclass(frozen=True)
class EventTStatistics:
    """Per-pair t statistics of abnormal returns or CARs.

    Attributes
    ----------
    value
        t statistics, same shape as the abnormal-return input (NaN where not computable).
    p
        p-values against Student-t with ``dof`` degrees of freedom.
    dof
        Degrees of freedom :math:`M_i - k_i`, broadcast to the shape of ``value``.
    """

    value: np.ndarray
    p: np.ndarray
    dof: np.ndarray


def event_t(
    abnormal: np.ndarray,
    variance: np.ndarray,
    dof: np.ndarray,
    *,
    alternative: Alternative = "two-sided",
) -> EventTStatistics:
    """t statistic of each AR or CAR with its exact prediction-error variance.

    :func:`eventstudy.abnormal.prediction_error_t` (the one implementation) with the results
    as a record. Formula: :math:`t_i = CAR_i / \\sqrt{\\hat\\sigma_i^2(L + s_i'(X_i'X_i)^{-1}s_i)}`, i.e.
    :math:`\\gamma'V_i\\gamma` with :math:`V_i = \\hat\\sigma_i^2(I + X^*(X'X)^{-1}X^{*\\prime})`
    (for one day :math:`\\hat\\sigma_i^2 C_{i\\tau}`), Student-t with :math:`M_i - k_i` d.o.f.

    Reference: Campbell, Lo & MacKinlay (1997), *The Econometrics of Financial Markets*, ch. 4.

    Assumptions: normal, i.i.d. disturbances of the expected-return regression; no event-induced
    variance. Cost O(N·L).

    Parameters
    ----------
    abnormal
        (N,) CARs or (N, L) daily ARs.
    variance
        Same shape: their variances (``EventPanel.car_variance`` or
        ``sigma**2 * EventPanel.prediction_variance_factor()``).
    dof
        (N,) :math:`M_i - k_i`.
    """
    check_alternative(alternative)
    t, p = prediction_error_t(abnormal, variance, dof, alternative=alternative)
    d = np.asarray(dof, dtype=float)
    d = np.broadcast_to(d.reshape(d.shape + (1,) * (t.ndim - d.ndim)), t.shape)
    return EventTStatistics(value=t, p=p, dof=np.asarray(d))


def _finite(*arrays: np.ndarray) -> np.ndarray:
    mask = np.ones(np.shape(arrays[0]), dtype=bool)
    for array in arrays:
        mask &= np.isfinite(array)
    return mask


def cross_sectional_t(
    car: np.ndarray, *, alternative: Alternative = "two-sided"
) -> TestResult:
    """Cross-sectional t test of the mean CAR (or AR).

    Formula: :math:`t = \\overline{CAR}\\,\\sqrt{N} / s_{CAR}`, with
    :math:`s_{CAR}^2 = (N-1)^{-1}\\sum_i (CAR_i - \\overline{CAR})^2`; Student-t, N-1 d.o.f.

    Reference: Brown & Warner (1985), *J. Financial Economics* 14, 3-31; Campbell, Lo &
    MacKinlay (1997), ch. 4. estudy2's ``t_test`` is this statistic for one day.

    Assumptions: CARs independent across pairs, identically distributed (robust to
    event-induced variance, not to cross-correlation). Cost O(N).
    """
    return one_sample_t(car, "cross_sectional_t", REF_CROSS_SECTIONAL, alternative=alternative)


def portfolio_t(
    car: np.ndarray,
    variance: np.ndarray,
    dof: np.ndarray,
    *,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Mean CAR over its standard error under cross-sectional independence (BW 1980, CLM J1).

    Formula: :math:`J_1 = \\overline{CAR} / \\sqrt{N^{-2}\\sum_i \\operatorname{Var}(CAR_i)}
    = \\sum_i CAR_i / \\sqrt{\\sum_i \\operatorname{Var}(CAR_i)}`; Student-t with the mean of
    :math:`M_i - k_i` degrees of freedom (close to normal for usual estimation windows).

    With ``variance = L * sigma**2`` this is Brown & Warner's (1980) "independence" t (estudy2's
    ``brown_warner_1980`` for L = 1 with sigma the n-1 SD); with ``variance =
    EventPanel.car_variance`` it is Campbell, Lo & MacKinlay's (1997, eq. 4.4.22) :math:`J_1`.

    Reference: Brown & Warner (1980), *J. Financial Economics* 8, 205-258; Campbell, Lo &
    MacKinlay (1997), ch. 4.

    Assumptions: independent pairs, no event-induced variance, known variances. Cost O(N).
    """
    check_alternative(alternative)
    c = np.asarray(car, dtype=float)
    v = np.asarray(variance, dtype=float)
    d = np.asarray(dof, dtype=float)
    ok = _finite(c, v, d) & (v > 0) & (d > 0)
    n = int(ok.sum())
    if n < 1:
        return empty_result("portfolio_t", REF_PORTFOLIO, n)
    t = c[ok].sum() / np.sqrt(v[ok].sum())
    p = p_student(t, float(d[ok].mean()), alternative)
    return result("portfolio_t", t, p, n, REF_PORTFOLIO)


def crude_dependence_t(
    car: np.ndarray,
    aar_estimation: np.ndarray,
    length: int,
    *,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Brown-Warner crude-dependence adjustment: the portfolio's own time-series variance.

    Formula: :math:`t = CAAR / (S_{AAR}\\sqrt{L})`, :math:`CAAR = N^{-1}\\sum_i CAR_i`,
    :math:`S_{AAR}^2 = (T-1)^{-1}\\sum_{s} (AAR_s - \\overline{AAR})^2` over the T estimation
    days with data, :math:`AAR_s` the mean residual across pairs on relative day s. Student-t,
    T-1 d.o.f.

    For one day this is estudy2's ``brown_warner_1985``; for a window it equals estudy2's
    ``car_brown_warner_1985`` statistic, because
    :math:`\\sum_\\tau (AAR_\\tau/S_{AAR})/\\sqrt{L} = CAAR/(S_{AAR}\\sqrt{L})`.

    Reference: Brown & Warner (1980), *JFE* 8, 205-258; Brown & Warner (1985), *JFE* 14, 3-31.

    Assumptions: the portfolio abnormal return is i.i.d. over time (no serial correlation,
    same variance in estimation and event windows); cross-correlation is allowed (it is in
    :math:`S_{AAR}`); event-time alignment of the estimation windows. NaN when :math:`S_{AAR}`
    is 0 up to rounding (:func:`~eventstudy.inference.result.spread`). Cost O(N + L1).

    Parameters
    ----------
    car
        (N,) CARs over the window (NaN = missing).
    aar_estimation
        (L1,) :math:`AAR_s` (``EventPanel.aar_estimation()``).
    length
        L, the number of days in the window.
    """
    check_alternative(alternative)
    c = np.asarray(car, dtype=float)
    c = c[np.isfinite(c)]
    a = np.asarray(aar_estimation, dtype=float)
    a = a[np.isfinite(a)]
    n = c.size
    s = spread(a)  # 0 where the AAR is constant up to rounding: no test
    if n < 1 or not s > 0 or length < 1:
        return empty_result("crude_dependence_t", REF_CRUDE, n)
    t = c.mean() / (s * np.sqrt(length))
    return result("crude_dependence_t", t, p_student(t, a.size - 1, alternative), n, REF_CRUDE)


def lamb_z(
    ar_event: np.ndarray,
    aar_estimation: np.ndarray,
    variance_factor: np.ndarray,
    *,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Lamb's (1995) crude-dependence test with a portfolio forecast-error correction.

    Formula: daily :math:`z_\\tau = AAR_\\tau / (S_{AAR}\\sqrt{c_\\tau})` and, for a window of L
    days, :math:`Z = \\sum_\\tau z_\\tau/\\sqrt{L}`, standard normal. :math:`AAR_\\tau` is the mean
    abnormal return of the pairs available on day τ, :math:`S_{AAR}` the (n-1) standard deviation
    of the estimation-window :math:`AAR_s`, and :math:`c_\\tau` the forecast-error factor of the
    portfolio. estudy2 uses :math:`c_\\tau = 1 + 1/\\bar M + (R_{m\\tau} - \\bar R_m)^2/
    \\sum_s (R_{ms} - \\bar R_m)^2` (common index, :math:`\\bar M` mean estimation length);
    :func:`~eventstudy.inference.battery.run_battery` uses the cross-sectional mean of
    :math:`C_{i\\tau}`. The window form is estudy2's ``car_lamb``.

    Reference: Lamb (1995), *J. Risk and Insurance* 62(1), 111-123.

    Assumptions: as :func:`crude_dependence_t`; standardized daily portfolio returns are
    independent over the window. NaN when :math:`S_{AAR}` is 0 up to rounding. Cost O(N·L + L1).

    Parameters
    ----------
    ar_event
        (N, L) abnormal returns of the window's days.
    aar_estimation
        (L1,) estimation-window :math:`AAR_s`.
    variance_factor
        (L,) :math:`c_\\tau`.
    """
    check_alternative(alternative)
    ar = np.atleast_2d(np.asarray(ar_event, dtype=float))
    a = np.asarray(aar_estimation, dtype=float)
    a = a[np.isfinite(a)]
    c = np.asarray(variance_factor, dtype=float).reshape(-1)
    if c.shape[0] != ar.shape[1]:
        raise ValueError(f"variance_factor has {c.shape[0]} days, ar_event {ar.shape[1]}")
    present = np.isfinite(ar)
    n = int(present.any(axis=1).sum())
    counts = present.sum(axis=0)
    s = spread(a)
    if n < 1 or not s > 0 or np.any(counts == 0):
        return empty_result("lamb_z", REF_LAMB, n)
    aar = np.where(present, ar, 0.0).sum(axis=0) / counts
    z_daily = aar / (s * np.sqrt(c))
    z = z_daily.sum() / np.sqrt(ar.shape[1])
    return result("lamb_z", z, p_normal(z, alternative), n, REF_LAMB)


def _patell_parts(scar: np.ndarray, dof: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scar, dtype=float)
    d = np.asarray(dof, dtype=float)
    ok = _finite(s, d) & (d > 2)
    return s[ok], d[ok]


def patell_z(
    scar: np.ndarray, dof: np.ndarray, *, alternative: Alternative = "two-sided"
) -> TestResult:
    """Patell's standardized-residual test.

    Formula: :math:`Z = \\sum_i SCAR_i / \\sqrt{\\sum_i (M_i-k_i)/(M_i-k_i-2)}`, standard normal.
    :math:`SCAR_i = CAR_i/\\sqrt{\\operatorname{Var}(CAR_i)}` with the exact CLM variance (one day:
    :math:`SAR_{i\\tau} = A_{i\\tau}/(\\hat\\sigma_i\\sqrt{C_{i\\tau}})`); under normality
    :math:`SCAR_i` is Student-t with :math:`M_i-k_i` d.o.f. and variance
    :math:`(M_i-k_i)/(M_i-k_i-2)`. Pairs with :math:`M_i - k_i \\le 2` are left out.

    Reference: Patell (1976), *J. Accounting Research* 14(2), 246-276.

    **Convention for a window (a choice).** The window's summand is the standardized CAR with
    its exact variance, :math:`SCAR_i = CAR_i/\\sqrt{\\hat\\sigma_i^2(L + s_i'(X_i'X_i)^{-1}s_i)}`,
    which accounts for the covariance of the window's prediction errors through the common
    parameter estimates; this is Campbell, Lo & MacKinlay's (1997, sec. 4.4.3)
    :math:`J_2` (Mikkelson & Partch 1988). The alternative, Patell's (1976) cumulation of the
    daily standardized ARs, :math:`Z = \\sum_i\\sum_{\\tau \\in W} SAR_{i\\tau}/\\sqrt{L\\sum_i
    (M_i-k_i)/(M_i-k_i-2)}`, treats the days' SARs as independent; the two agree for one day
    and differ by the :math:`O(L/M_i)` covariance terms otherwise.

    Assumptions: normal i.i.d. disturbances, independent pairs, no event-induced variance.
    Cost O(N).
    """
    check_alternative(alternative)
    s, d = _patell_parts(scar, dof)
    n = s.size
    if n < 1:
        return empty_result("patell_z", REF_PATELL, n)
    z = s.sum() / np.sqrt((d / (d - 2.0)).sum())
    return result("patell_z", z, p_normal(z, alternative), n, REF_PATELL)


def bmp_t(scar: np.ndarray, *, alternative: Alternative = "two-sided") -> TestResult:
    """Boehmer-Musumeci-Poulsen standardized cross-sectional test.

    Formula: :math:`t = \\overline{SCAR}\\sqrt{N}/s_{SCAR}`, :math:`s_{SCAR}` the (N-1)
    cross-sectional standard deviation of the forecast-error-corrected standardized CARs
    (one day: SARs); Student-t with N-1 d.o.f.

    Reference: Boehmer, Musumeci & Poulsen (1991), *J. Financial Economics* 30(2), 253-272.

    Assumptions: independent pairs; robust to event-induced variance proportional to the
    estimation variance. Cost O(N).
    """
    return one_sample_t(scar, "bmp_t", REF_BMP, alternative=alternative)


def kp_adjusted_patell_z(
    scar: np.ndarray,
    dof: np.ndarray,
    rbar: float,
    *,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Patell Z adjusted for cross-correlation.

    Formula: :math:`Z_{adj} = Z_{Patell}/\\sqrt{1 + (N-1)\\bar r}`, standard normal, with
    :math:`\\bar r` the average correlation of the N summands :math:`SCAR_i` of the window:
    :math:`\\bar r = [N(N-1)]^{-1}\\sum_{i \\ne j} r_{ij}|W_i \\cap W_j|/\\sqrt{L_iL_j}`,
    :math:`r_{ij}` the Pearson correlation of the estimation residuals over the common days and
    :math:`W_i` the pair's event-window calendar days
    (:func:`~eventstudy.inference.correlation.average_cross_correlation`). With every pair on
    the same day and window this is KP's (2010) :math:`\\bar r`.

    Reference: Kolari & Pynnönen (2010), *Review of Financial Studies* 23(11), 3996-4025.

    Assumptions: as Patell, with equicorrelated standardized abnormal returns whose correlation
    on a common event day equals the estimation-window residual correlation. Cost O(N) given
    :math:`\\bar r` (O(N·L1 + P·L1) to compute it, P the pairs whose windows overlap).
    """
    check_alternative(alternative)
    base = patell_z(scar, dof, alternative=alternative)
    inflation = 1.0 if base.n == 1 else 1.0 + (base.n - 1) * float(rbar)  # one pair: no r̄ to apply
    if not (np.isfinite(base.value) and np.isfinite(inflation) and inflation > 0):
        return empty_result("kp_adjusted_patell_z", REF_KP_PATELL, base.n)
    z = base.value / np.sqrt(inflation)
    return result("kp_adjusted_patell_z", z, p_normal(z, alternative), base.n, REF_KP_PATELL)


def kp_adjusted_bmp_t(
    scar: np.ndarray, rbar: float, *, alternative: Alternative = "two-sided"
) -> TestResult:
    """BMP t adjusted for cross-correlation.

    Formula: :math:`t_{adj} = t_{BMP}\\sqrt{(1 - \\bar r)/(1 + (N-1)\\bar r)}`, Student-t with
    N-1 d.o.f., :math:`\\bar r` as in :func:`kp_adjusted_patell_z`.

    Reference: Kolari & Pynnönen (2010), *Review of Financial Studies* 23(11), 3996-4025, eq. (8).

    Assumptions: as BMP, with equicorrelated standardized abnormal returns. Cost O(N) given
    :math:`\\bar r`.
    """
    check_alternative(alternative)
    base = bmp_t(scar, alternative=alternative)
    r = float(rbar)
    inflation = 1.0 + (base.n - 1) * r
    if not (np.isfinite(base.value) and np.isfinite(r) and inflation > 0 and r < 1):
        return empty_result("kp_adjusted_bmp_t", REF_KP_BMP, base.n)
    t = base.value * np.sqrt((1.0 - r) / inflation)
    return result("kp_adjusted_bmp_t", t, p_student(t, base.n - 1, alternative), base.n, REF_KP_BMP)

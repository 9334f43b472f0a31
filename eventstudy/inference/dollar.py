"""Abnormal dollar value of a window and its test (Saha & Ferrell 2011).

The dollar abnormal return of pair i on day τ is :math:`D_{i\\tau} = A_{i\\tau}\\,MV_{i,\\tau-1}`
(Malatesta 1983), the abnormal return times the previous day's market value, and the window's
abnormal dollar value is :math:`D_i = \\sum_{\\tau \\in W} D_{i\\tau}`; the aggregate is
:math:`\\Delta V = \\sum_i D_i`.

Saha & Ferrell (2011) show that a significant abnormal *return* does not make the abnormal
*dollar* change significant, because market value moves over the estimation window; the dollar
test must use the variability of dollar abnormal returns themselves. Variance used here,
exactly: for each pair the sample variance (divisor :math:`m_i - 1`, :math:`m_i` valid days) of
its estimation-window dollar residuals :math:`d_{is} = e_{is}\\,MV_{i,s-1}`,

.. math::

    s_{D,i}^2 = \\frac{1}{m_i - 1}\\sum_s (d_{is} - \\bar d_i)^2, \\qquad
    \\operatorname{Var}(D_i) = L\\,s_{D,i}^2, \\qquad
    Z = \\frac{\\sum_i D_i}{\\sqrt{\\sum_i L\\,s_{D,i}^2}} \\sim N(0, 1).

It ignores the estimation error of the expected-return parameters (a factor
:math:`1 + O(1/M_i)`), assumes dollar abnormal returns independent over days and across
pairs, and treats :math:`MV_{i,\\tau-1}` as known on day τ.
"""

from __future__ import annotations

import numpy as np

from .result import Alternative, TestResult, check_alternative, empty_result, p_normal, result

REF_DOLLAR = "Saha & Ferrell (2011); Malatesta (1983)"


def dollar_abnormal_value_test(
    dollar_car: np.ndarray | None,
    dollar_residuals: np.ndarray | None,
    length: int,
    *,
    alternative: Alternative = "two-sided",
) -> tuple[TestResult, TestResult]:
    """Aggregate abnormal dollar value of a window and its Saha-Ferrell Z test.

    Formula: :math:`\\Delta V = \\sum_i D_i` and
    :math:`Z = \\Delta V / \\sqrt{\\sum_i L\\,s_{D,i}^2}` with :math:`s_{D,i}` the (m-1) standard
    deviation of the pair's estimation-window dollar residuals :math:`e_{is}MV_{i,s-1}`
    (module docstring). Standard normal.

    Reference: Saha & Ferrell (2011), "Event Study Analysis: Correctly Measuring the Dollar
    Impact of an Event", Harvard Law & Economics Discussion Paper; Malatesta (1983).

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

    Returns
    -------
    (TestResult, TestResult)
        ``dollar_abnormal_value`` (value :math:`\\Delta V` in USD, p of Z) and ``dollar_z``;
        both NaN with n = 0 when market values are absent.
    """
    check_alternative(alternative)
    if dollar_car is None or dollar_residuals is None:
        return (
            empty_result("dollar_abnormal_value", REF_DOLLAR),
            empty_result("dollar_z", REF_DOLLAR),
        )
    variance, days = dollar_residual_variance(np.atleast_2d(np.asarray(dollar_residuals, dtype=float)))
    return _dollar_test(np.asarray(dollar_car, dtype=float), variance, days, length, alternative=alternative)


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


def _dollar_test(
    d: np.ndarray, var: np.ndarray, m: np.ndarray, length: int, *, alternative: Alternative
) -> tuple[TestResult, TestResult]:
    """:func:`dollar_abnormal_value_test` from :func:`dollar_residual_variance`'s output."""
    ok = np.isfinite(d) & (m >= 2) & np.isfinite(var) & (var > 0)
    n = int(ok.sum())
    if n < 1 or length < 1:
        return (
            empty_result("dollar_abnormal_value", REF_DOLLAR, n),
            empty_result("dollar_z", REF_DOLLAR, n),
        )
    total = float(d[ok].sum())
    z = total / np.sqrt(length * var[ok].sum())
    p = p_normal(z, alternative)
    return (
        result("dollar_abnormal_value", total, p, n, REF_DOLLAR),
        result("dollar_z", z, p, n, REF_DOLLAR),
    )

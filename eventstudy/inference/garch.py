"""Tests of the mean CAR with abnormal returns standardised by a GARCH conditional variance.

With a GARCH model of each pair's residuals (:mod:`eventstudy.models.garch`), the event-day
abnormal return :math:`A_{i\\tau}` has conditional variance :math:`h_{i\\tau}` (one step ahead,
given the residuals up to the day before) instead of the constant :math:`\\hat\\sigma_i^2` of the
estimation window. Treating the days of the window as conditionally uncorrelated, the CAR
standardised by its conditional variance is

.. math:: SCAR^{h}_i = \\frac{CAR_i}{\\sqrt{\\sum_{\\tau \\in W} h_{i\\tau}}},

approximately N(0, 1) under the null for a correctly specified GARCH model. Two tests pool them
over the N pairs with a fit:

* ``garch_patell_z``: :math:`Z = \\sum_i SCAR^{h}_i / \\sqrt N` against N(0, 1) (Patell's
  construction, with the conditional variance in place of :math:`\\hat\\sigma_i^2` and no
  small-sample factor: the GARCH standardisation is asymptotic);
* ``garch_bmp_t``: :math:`t = \\overline{SCAR^{h}}\\sqrt N / s`, s the cross-sectional standard
  deviation (N - 1), Student-t with N - 1 d.o.f.: Savickas (2003), the BMP test on GARCH-
  standardised abnormal returns, robust to event-induced variance that differs across firms.

Differences from Savickas (2003): he standardises each day's AR and sums the standardised ARs
over the window; here the CAR is standardised by the sum of its days' variances (as the CLM
standardisation of the other tests). For a one-day window they coincide. Assumptions: the
GARCH model is correctly specified; events independent across pairs; the mean model's
estimation error is ignored (no prediction-error correction).

References
----------
Patell, J. M. (1976). *Journal of Accounting Research*, 14(2), 246-276.
Boehmer, E., Musumeci, J., & Poulsen, A. B. (1991). *Journal of Financial Economics*, 30(2),
253-272.
Savickas, R. (2003). Event-induced volatility and tests for abnormal performance. *Journal of
Financial Research*, 26(2), 165-178.
"""

from __future__ import annotations

import numpy as np

from .result import (
    Alternative,
    TestResult,
    check_alternative,
    empty_result,
    one_sample_t,
    p_normal,
    result,
)

REF_GARCH_PATELL = (
    "Patell (1976) with GARCH conditional variances (Bollerslev 1986): sum of CAR / sqrt(sum h) over "
    "sqrt(N), N(0,1)"
)
REF_GARCH_BMP = "Savickas (2003): BMP t of CAR / sqrt(sum of GARCH conditional variances), t(N-1)"


def garch_standardized_car(car: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """(N,) :math:`CAR_i / \\sqrt{\\sum_\\tau h_{i\\tau}}` from (N,) CARs and (N, W) variances
    (NaN where a variance is missing or not positive)."""
    total = np.asarray(variance, dtype=float).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(car, dtype=float) / np.sqrt(np.where(total > 0, total, np.nan))


def garch_patell_z(scar: np.ndarray, *, alternative: Alternative = "two-sided") -> TestResult:
    """:math:`Z = \\sum_i SCAR^h_i/\\sqrt N` against N(0, 1) (see the module docstring).

    Parameters
    ----------
    scar
        (N,) GARCH-standardised CARs (:func:`garch_standardized_car`); NaN entries are skipped.
    alternative
        Alternative of the p-value.

    Returns
    -------
    TestResult
        ``garch_patell_z``, n the pairs with a finite SCAR.

    Notes
    -----
    Assumes independent pairs and a correctly specified GARCH model (each
    :math:`SCAR^h_i \\sim N(0, 1)`); does not assume a constant variance over time, but does
    assume no event-induced variance beyond the GARCH dynamics.
    """
    check_alternative(alternative)
    s = np.asarray(scar, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return empty_result("garch_patell_z", REF_GARCH_PATELL)
    z = s.sum() / np.sqrt(s.size)
    return result("garch_patell_z", z, p_normal(z, alternative), s.size, REF_GARCH_PATELL)


def garch_bmp_t(scar: np.ndarray, *, alternative: Alternative = "two-sided") -> TestResult:
    """Savickas (2003): :math:`t = \\overline{SCAR^h}\\sqrt N / s`, Student-t(N - 1).

    Parameters
    ----------
    scar
        (N,) GARCH-standardised CARs; NaN entries are skipped.
    alternative
        Alternative of the p-value.

    Returns
    -------
    TestResult
        ``garch_bmp_t``, n the pairs with a finite SCAR (NaN with fewer than two).

    Notes
    -----
    Assumes independent pairs; robust to event-induced variance (the cross-sectional s.d.
    replaces the unit variance) and to time-varying variance through the GARCH model.
    """
    return one_sample_t(scar, "garch_bmp_t", REF_GARCH_BMP, alternative=alternative)

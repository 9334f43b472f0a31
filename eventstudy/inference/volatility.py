"""Abnormal return volatility around events: the variance ratio of the squared standardized ARs.

An announcement can move a stock's volatility without moving its mean. Beaver (1968) measured
it by the squared abnormal return relative to the estimation-window variance,
:math:`U_{i\\tau} = A_{i\\tau}^2 / \\hat\\sigma_i^2`; with the prediction-error correction it is
the squared standardized abnormal return,

.. math:: U_{i\\tau} = SAR_{i\\tau}^2 = \\frac{A_{i\\tau}^2}{\\hat\\sigma_i^2 C_{i\\tau}} .

Under the null of normal i.i.d. disturbances :math:`SAR_{i\\tau}` is Student-t with
:math:`d_i = M_i - k_i` d.o.f., so :math:`E[U_{i\\tau}] = d_i/(d_i - 2)`. Per pair, the window's
variance ratio

.. math:: R_i = \\frac{1}{L}\\sum_{\\tau \\in W} U_{i\\tau} \\Big/ \\frac{d_i}{d_i - 2}

is 1 in expectation without abnormal volatility. ``abnormal_volatility`` reports
:math:`\\bar R` (descriptive, > 1 for more volatility; its p is ``volatility_t``'s) and
``volatility_t`` tests :math:`E[R] = 1` with the cross-sectional t,
:math:`t = (\\bar R - 1)\\sqrt N / s_R`, Student-t(N - 1), which allows the ratio to differ
across pairs (Landsman & Maydew 2002 use the same cross-sectional mean of U). Pairs need
:math:`d_i > 2`.

Assumptions: normal i.i.d. disturbances over the estimation window (for the null mean),
independent events, a constant variance over the estimation window (the benchmark the event
window is compared with; a GARCH model makes the variance time-varying instead, see
:mod:`eventstudy.models.garch`). :math:`R_i` is right-skewed (a scaled F(1, d) for one day), so
with few events the t's size is only approximate; ``benchmarks/size_power.py`` reports it.

References
----------
Beaver, W. H. (1968). The information content of annual earnings announcements. *Journal of
Accounting Research*, 6, 67-92.
Landsman, W. R., & Maydew, E. L. (2002). Has the information content of quarterly earnings
announcements declined in the past three decades? *Journal of Accounting Research*, 40(3),
797-808.
"""

from __future__ import annotations

import numpy as np

from .result import (
    Alternative,
    TestResult,
    empty_result,
    one_sample_t,
    result,
)

REF_VOLATILITY_RATIO = (
    "Beaver (1968) U = SAR^2; mean over pairs of the window's mean U / (d/(d-2)), 1 = no abnormal "
    "volatility (descriptive; p of volatility_t)"
)
REF_VOLATILITY_T = (
    "Beaver (1968); Landsman & Maydew (2002): cross-sectional t of the variance ratio - 1, t(N-1)"
)


def variance_ratios(sar: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """(N,) :math:`R_i = \\overline{SAR^2_i} / (d_i/(d_i - 2))` from (N, L) standardized ARs of a
    window and (N,) :math:`d_i = M_i - k_i` (NaN where :math:`d_i \\le 2` or a day is missing)."""
    dof = np.asarray(dof, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(dof > 2, dof / (dof - 2.0), np.nan)
        return (np.asarray(sar, dtype=float) ** 2).mean(axis=1) / expected


def abnormal_volatility(ratios: np.ndarray, p: float) -> TestResult:
    """``abnormal_volatility``: :math:`\\bar R` over the finite ratios, with ``p`` of the t test."""
    r = np.asarray(ratios, dtype=float)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return empty_result("abnormal_volatility", REF_VOLATILITY_RATIO)
    return result("abnormal_volatility", float(r.mean()), p, r.size, REF_VOLATILITY_RATIO)


def volatility_t(ratios: np.ndarray, *, alternative: Alternative = "two-sided") -> TestResult:
    """Cross-sectional t of :math:`R_i - 1` (see the module docstring).

    Parameters
    ----------
    ratios
        (N,) variance ratios :math:`R_i` (:func:`variance_ratios`); NaN entries are skipped.
    alternative
        ``"greater"`` tests for more volatility.

    Returns
    -------
    TestResult
        ``volatility_t``: :math:`t = (\\bar R - 1)\\sqrt N / s_R`, p from t(N - 1).

    Notes
    -----
    Assumes independent pairs and normal disturbances with a constant variance over the
    estimation window; robust to the ratio varying across pairs.
    """
    return one_sample_t(ratios, "volatility_t", REF_VOLATILITY_T, null=1.0, alternative=alternative)

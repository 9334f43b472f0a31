"""Serial correlation of the estimation residuals: how far a window's variance is from L days'.

Every test that takes a window's CAR variance as L times one day's (the Patell and portfolio
tests, the crude dependence adjustment, Corrado's multi-day rank test, the t clustered by date)
assumes a pair's abnormal values are serially uncorrelated. For a stationary series with
autocorrelations :math:`\\rho_k`, the variance of a sum of L consecutive days is that of one day
times :math:`L \\cdot VR(L)`, with the variance ratio (Lo & MacKinlay 1988; Campbell, Lo &
MacKinlay 1997, section 2.4)

.. math::

    VR(L) = 1 + 2\\sum_{k=1}^{L-1}\\left(1 - \\frac{k}{L}\\right)\\rho_k ,

1 under serial independence. A test built on each pair's own variance (Patell, the portfolio
t) is then about :math:`\\sqrt{VR(L)}` too large (too small) in absolute value when VR > 1 (< 1),
with VR(L) the pairs' (:data:`OWN_SERIES`); one built on the series of the pairs' average (the
crude dependence adjustment, the multi-day rank test: :data:`AVERAGE_SERIES`) by the square root
of that series' ratio, which cross-correlated lags can make larger. Daily returns are close to 1; abnormal
log volume is not (its first-order autocorrelation is often 0.4-0.8): the tests that take their
variance across the pairs (cross-sectional t, BMP, Wilcoxon, the t clustered by firm) do not
rest on it.

The :math:`\\rho_k` here are each pair's sample autocorrelations of its estimation-window
residuals, lag k counted in the panel's trading days,

.. math::

    \\hat\\rho_k = \\hat\\gamma_k / \\hat\\gamma_0, \\qquad
    \\hat\\gamma_k = \\frac{1}{n}\\sum_{t:\\,e_t, e_{t+k} \\text{ valid}} (e_t - \\bar e)(e_{t+k} - \\bar e),

with :math:`\\bar e` and n the mean and number of the valid residuals (the biased estimator of
statsmodels' ``acf(x, missing="conservative")``, the same numbers for a series without missing
days). They ignore the estimation error of the model's parameters, as the tests do.

References
----------
Lo, A. W., & MacKinlay, A. C. (1988). Stock market prices do not follow random walks: evidence
from a simple specification test. *Review of Financial Studies*, 1(1), 41-66.
Campbell, J. Y., Lo, A. W., & MacKinlay, A. C. (1997). *The Econometrics of Financial Markets*.
Princeton University Press, section 2.4.
"""

from __future__ import annotations

import numpy as np

from eventstudy.blocks import row_blocks
from eventstudy.inference.result import TestResult

REF_VARIANCE_RATIO = (
    "Lo & MacKinlay (1988): mean over pairs of VR(L) = 1 + 2 sum_k (1 - k/L) rho_k, rho_k the "
    "autocorrelations of the pair's estimation residuals; 1 if serially uncorrelated, which the tests "
    "that take a window's variance as L days' assume (descriptive)"
)

OWN_SERIES: tuple[str, ...] = ("portfolio_t", "patell_z", "kp_adjusted_patell_z", "cluster_date_t")
"""Statistics whose variance of a window of L days is L times one day's of each pair's own series
(the t clustered by date: each pair-day its own date when events do not share days): too large by
about the square root of the pairs' VR(L) (:func:`mean_variance_ratio`)."""
AVERAGE_SERIES: tuple[str, ...] = ("crude_dependence_t", "lamb_z", "corrado_rank_z")
"""Statistics whose variance of a window of L days is L times one day's of the series of the
pairs' average (residual, or rank): too large by about the square root of that series' VR(L)."""
ASSUME_SERIAL_INDEPENDENCE: tuple[str, ...] = OWN_SERIES + AVERAGE_SERIES
"""Statistics that assume serially independent days; those taking their variance across the pairs
(cross-sectional t, BMP, Wilcoxon, the t clustered by firm) do not."""

_BLOCK_VALUES = 1 << 15
"""Residuals read at a time (a 256 KB temporary, not an (N, L1) one: the battery holds its
other parts meanwhile)."""

MIN_RESIDUALS = 3
"""Valid residuals a pair needs for its autocorrelations (fewer: NaN)."""


def residual_autocorrelations(residuals: np.ndarray, max_lag: int) -> np.ndarray:
    """(N, max_lag) sample autocorrelations :math:`\\hat\\rho_1, \\dots, \\hat\\rho_K` of each row.

    Parameters
    ----------
    residuals
        (N, L1) estimation-window residuals on consecutive trading days, NaN = missing.
    max_lag
        K, the largest lag (0: an (N, 0) array).

    Returns
    -------
    numpy.ndarray
        :math:`\\hat\\rho_k = \\hat\\gamma_k/\\hat\\gamma_0` (module docstring); a lag beyond the
        window is 0 (no pair of days that far apart); a row with fewer than
        :data:`MIN_RESIDUALS` valid residuals, or constant ones, is NaN.

    Notes
    -----
    O(N·L1·K) time, a block of rows at a time.
    """
    values = np.asarray(residuals, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"residuals must be (N, L1), got shape {values.shape}")
    if max_lag < 0:
        raise ValueError(f"max_lag must be >= 0, got {max_lag}")
    n_rows, n_days = values.shape
    out = np.zeros((n_rows, max_lag))
    for rows in row_blocks(n_rows, n_days, _BLOCK_VALUES):
        valid = np.isfinite(values[rows])
        count = valid.sum(axis=1)
        centred = np.where(valid, values[rows], 0.0)  # the block's one float temporary
        with np.errstate(invalid="ignore", divide="ignore"):
            centred -= (centred.sum(axis=1) / count)[:, None]
            centred[~valid] = 0.0
            gamma0 = np.einsum("ij,ij->i", centred, centred)
            for lag in range(1, min(max_lag, n_days - 1) + 1):
                out[rows, lag - 1] = np.einsum("ij,ij->i", centred[:, :-lag], centred[:, lag:]) / gamma0
        out[rows][(count < MIN_RESIDUALS) | ~(gamma0 > 0)] = np.nan  # a slice: a view of ``out``
    return out


def variance_ratio(autocorrelations: np.ndarray, length: int) -> np.ndarray:
    """(N,) :math:`VR(L) = 1 + 2\\sum_{k=1}^{L-1}(1 - k/L)\\hat\\rho_k` of each row of the (N, K)
    ``autocorrelations`` (:func:`residual_autocorrelations`, K >= L - 1) for a window of
    ``length`` = L days (Lo & MacKinlay 1988); 1 for a one-day window."""
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    rho = np.asarray(autocorrelations, dtype=float)
    if rho.shape[1] < length - 1:
        raise ValueError(f"{length}-day windows need {length - 1} lags, got {rho.shape[1]}")
    lags = np.arange(1, length)
    return 1.0 + 2.0 * rho[:, : length - 1] @ (1.0 - lags / length)


def mean_variance_ratio(autocorrelations: np.ndarray, length: int) -> TestResult:
    """``serial_variance_ratio``: the mean :math:`VR(L)` of the pairs with autocorrelations (descriptive:
    p is NaN; n counts the pairs averaged)."""
    ratios = variance_ratio(autocorrelations, length)
    kept = ratios[np.isfinite(ratios)]
    value = float(kept.mean()) if kept.size else float("nan")
    return TestResult("serial_variance_ratio", value, float("nan"), int(kept.size), REF_VARIANCE_RATIO)

"""Average cross-correlation of estimation-window residuals, measured in calendar time.

Kolari & Pynnönen (2010) correct the Patell and BMP statistics for cross-sectional correlation
with :math:`\\bar r`, the average of the pairwise sample correlations of the estimation-window
residuals. Residuals of two pairs are correlated only on the calendar days they share, so they
are aligned by calendar day (``estimation_day``), never by relative day: two events a week apart
share most of their estimation calendar but none of their relative-day alignment.

The average is computed without an N×N matrix. With
:math:`u_{id} = (e_{id} - \\bar e_i)/s_i` (:math:`s_i^2 = T_i^{-1}\\sum_d (e_{id} - \\bar e_i)^2`,
:math:`T_i` valid days of pair i) and the per-calendar-day sums
:math:`S_d = \\sum_i u_{id}`, :math:`Q_d = \\sum_i u_{id}^2`,

.. math::

    \\sum_{i \\ne j}\\sum_{d \\in E_i \\cap E_j} u_{id}u_{jd} = \\sum_d (S_d^2 - Q_d), \\qquad
    \\sum_{i \\ne j}\\sqrt{T_iT_j} = \\Big(\\sum_i \\sqrt{T_i}\\Big)^2 - \\sum_i T_i ,

and :math:`\\bar r` is their ratio: the average over all ordered pairs of
:math:`r_{ij} = \\sum_{d \\in E_i \\cap E_j} u_{id}u_{jd} / \\sqrt{T_iT_j}`. When every pair has
the same estimation calendar, :math:`r_{ij}` is exactly the Pearson correlation and
:math:`\\bar r` exactly Kolari & Pynnönen's average; a pair that shares only part of its
calendar contributes in proportion to the overlap, and a pair that shares none contributes 0
(their event-window returns are on different days and uncorrelated). By Cauchy-Schwarz
:math:`|r_{ij}| \\le 1`.

Cost O(N·L1 + D) time and memory, D the span of calendar-day indices (``np.bincount`` with
one bucket per calendar day; a sort, O(N·L1 log(N·L1)), only if the span is huge).
"""

from __future__ import annotations

import numpy as np


def average_cross_correlation(
    residuals: np.ndarray, calendar_day: np.ndarray, *, min_obs: int = 3
) -> float:
    """Average pairwise correlation :math:`\\bar r` of residuals aligned in calendar time.

    Parameters
    ----------
    residuals
        (N, L1) estimation-window residuals, NaN = missing.
    calendar_day
        (N, L1) integer calendar-day index of each residual. Within a row, the days of the
        valid residuals must be distinct.
    min_obs
        Rows with fewer valid residuals (or zero variance) are left out.

    Returns
    -------
    float
        :math:`\\bar r` as defined in the module docstring (Kolari & Pynnönen 2010, RFS 23,
        3996-4025), or NaN with fewer than two usable rows.

    Notes
    -----
    Formula: :math:`\\bar r = \\sum_d (S_d^2 - Q_d) / [(\\sum_i \\sqrt{T_i})^2 - \\sum_i T_i]`.
    Assumes the residuals of each pair are standardized by that pair's own mean and
    (population) standard deviation. Complexity O(N·L1 + D); no N×N matrix is formed.
    """
    e = np.asarray(residuals, dtype=float)
    days = np.asarray(calendar_day)
    if e.shape != days.shape or e.ndim != 2:
        raise ValueError(f"residuals {e.shape} and calendar_day {days.shape} must be equal 2-D")
    valid = np.isfinite(e)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, e, 0.0).sum(axis=1) / count
        centred = np.where(valid, e - mean[:, None], 0.0)
        scale = np.sqrt((centred**2).sum(axis=1) / count)
    usable = (count >= min_obs) & (scale > 0)
    if int(usable.sum()) < 2:
        return float("nan")
    keep = valid & usable[:, None]
    u = centred[keep] / np.broadcast_to(scale[:, None], e.shape)[keep]
    flat_days = days[keep].astype(np.int64)
    span = int(flat_days.max() - flat_days.min()) + 1
    if span <= 4 * flat_days.size + 1_000_000:
        index = flat_days - flat_days.min()  # direct bucket per calendar day, no sort
    else:
        _, index = np.unique(flat_days, return_inverse=True)
    day_sum = np.bincount(index, weights=u)
    day_sq = np.bincount(index, weights=u * u)
    numerator = float(np.sum(day_sum**2 - day_sq))
    t_i = count[usable].astype(float)
    denominator = float(np.sqrt(t_i).sum() ** 2 - t_i.sum())
    return numerator / denominator

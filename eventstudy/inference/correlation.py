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

Cost O(N·L1 + D) time and memory, D the span of calendar-day indices: the residuals are
stored once as a sparse (N, D) matrix (one column per calendar day; the days are renumbered by a
sort, O(N·L1 log(N·L1)), only if their span is huge), and :math:`S_d`, :math:`Q_d` of any subset
of the pairs are two sparse products. Nothing of size N×N is formed.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def average_cross_correlation(residuals: np.ndarray, calendar_day: np.ndarray, *, min_obs: int = 3) -> float:
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
    parts = CalendarResiduals(residuals, calendar_day, min_obs=min_obs)
    return parts.rbar(np.ones(parts.count.shape, dtype=bool))


class CalendarResiduals:
    """The standardized residuals :math:`u_{id}` of :func:`average_cross_correlation` by
    calendar day, as a sparse (N, D) matrix, so that :math:`\\bar r` of any subset of the
    pairs (a group, the usable pairs of a window) costs one sparse product, O(N·L1 + D).

    Building costs O(N·L1) time and memory (plus a sort of the days if their span is huge).

    Parameters
    ----------
    residuals, calendar_day, min_obs
        As in :func:`average_cross_correlation`.
    """

    def __init__(self, residuals: np.ndarray, calendar_day: np.ndarray, *, min_obs: int = 3) -> None:
        e = np.asarray(residuals, dtype=float)
        days = np.asarray(calendar_day)
        if e.shape != days.shape or e.ndim != 2:
            raise ValueError(f"residuals {e.shape} and calendar_day {days.shape} must be equal 2-D")
        valid = np.isfinite(e)
        count = valid.sum(axis=1)
        invalid = ~valid
        with np.errstate(invalid="ignore", divide="ignore"):
            centred = np.where(valid, e, 0.0)
            mean = centred.sum(axis=1) / count
            centred -= mean[:, None]
            centred[invalid] = 0.0
            scale = np.sqrt(np.square(centred).sum(axis=1) / count)
            self.usable = (count >= min_obs) & (scale > 0)
            keep = valid if self.usable.all() else valid & self.usable[:, None]
            per_row = keep.sum(axis=1)
            u = centred[keep]
            u /= np.repeat(scale, per_row)
        del centred
        self.count = count
        flat_days = days[keep].astype(np.int64, copy=False)
        if flat_days.size == 0:
            index, n_buckets = flat_days, 1
        else:
            first_day = int(flat_days.min())
            span = int(flat_days.max()) - first_day + 1
            if span <= 4 * flat_days.size + 1_000_000:
                index, n_buckets = flat_days - first_day, span  # one bucket per day, no sort
            else:
                buckets, index = np.unique(flat_days, return_inverse=True)
                n_buckets = len(buckets)
        pointers = np.concatenate([[0], np.cumsum(per_row)])
        shape = (e.shape[0], n_buckets)
        self.matrix = sparse.csr_array((u, index.reshape(-1), pointers), shape=shape)
        self.squares = sparse.csr_array((u * u, index.reshape(-1), pointers), shape=shape)

    def rbar(self, rows: np.ndarray) -> float:
        """:math:`\\bar r` of the pairs ``rows`` ((N,) bool); NaN with fewer than two usable."""
        use = rows & self.usable
        if int(use.sum()) < 2:
            return float("nan")
        weight = use.astype(float)
        day_sum = self.matrix.T @ weight  # S_d
        day_square = self.squares.T @ weight  # Q_d
        numerator = float(np.sum(day_sum**2 - day_square))  # a day with one pair adds exactly 0
        t_i = self.count[use].astype(float)
        denominator = float(np.sqrt(t_i).sum() ** 2 - t_i.sum())
        return numerator / denominator

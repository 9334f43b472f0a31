"""Abnormal returns, cumulative abnormal returns and the per-event CAR test.

For pair *i* with estimates :math:`\\hat b_i` from the estimation window,

.. math::

    AR_{i\\tau} = R_{i\\tau} - o_\\tau - x_\\tau'\\hat b_i, \\qquad
    CAR_i(\\tau_1, \\tau_2) = \\sum_{\\tau=\\tau_1}^{\\tau_2} AR_{i\\tau} = \\gamma' AR_i .

Conditional on the estimation-window regressors, the event-window abnormal returns have
covariance :math:`V_i = \\sigma_i^2 (I + X_i^*(X_i'X_i)^{-1}X_i^{*\\prime})`, the
prediction-error correction of Campbell, Lo & MacKinlay (1997, *The Econometrics of Financial
Markets*, ch. 4, eq. 4.4.8-4.4.12), so

.. math::

    \\operatorname{Var}(CAR_i) = \\gamma'V_i\\gamma
      = \\sigma_i^2 \\left(L + s_i'(X_i'X_i)^{-1}s_i\\right), \\qquad s_i = X_i^{*\\prime}\\gamma ,

with :math:`L = \\tau_2 - \\tau_1 + 1`. Under normal i.i.d. disturbances
:math:`t_i = CAR_i / \\hat\\sigma(CAR_i)` is Student-t with :math:`M_i - k` degrees of freedom
(:math:`\\hat\\sigma_i^2` estimated with :math:`M_i - k` in the denominator).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from eventstudy.blocks import row_blocks


def abnormal_returns(
    returns: np.ndarray, offset: np.ndarray, regressors: np.ndarray, coef: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Expected and abnormal returns on the event days.

    Parameters
    ----------
    returns
        (P, L) realised returns.
    offset
        (P, L) known part of the expected return.
    regressors
        (P, L, k) regressors on the event days.
    coef
        (P, k) estimates.

    Returns
    -------
    expected, abnormal
        Both (P, L); NaN wherever an input is missing.
    """
    expected = offset + np.einsum("plk,pk->pl", regressors, coef)
    return expected, returns - expected


def quadratic_forms(vectors: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """:math:`v'Mv` for every vector ``vectors[p, ...]`` and its pair's matrix ``matrices[p]``.

    Parameters
    ----------
    vectors
        (P, k) or (P, L, k).
    matrices
        (P, k, k).

    Returns
    -------
    numpy.ndarray
        (P,) or (P, L): :math:`\\sum_{a}\\sum_{b} (v_a M_{ab}) v_b`, summed from 0 in the order
        (a, b) = (0, 0), (0, 1), ..., exactly the numbers of ``numpy.einsum("plk,pkj,plj->pl",
        ...)`` (and of ``"pk,pkj,pj->p"``) at about a quarter of its time for small k: k² passes
        over the (P, L) result instead of einsum's generic three-operand loop. Cost O(P·L·k²),
        a block of :data:`_QUADRATIC_BLOCK` values of the result at a time (the k² passes stay
        in the CPU caches; each value is computed alike, so the blocks change no bit).
    """
    out = np.empty(vectors.shape[:-1])
    for rows in row_blocks(vectors.shape[0], math.prod(vectors.shape[1:-1]), _QUADRATIC_BLOCK):
        out[rows] = _quadratic_block(vectors[rows], matrices[rows])
    return out


_QUADRATIC_BLOCK = 1 << 15
"""Values of :func:`quadratic_forms`' result computed at a time (256 KB of float64)."""


def _quadratic_block(vectors: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    k = vectors.shape[-1]
    out = np.zeros(vectors.shape[:-1])
    broadcast = (slice(None),) + (None,) * (vectors.ndim - 2)
    with np.errstate(invalid="ignore", over="ignore"):  # as quiet as einsum on inf and NaN
        for a in range(k):
            for b in range(k):
                term = vectors[..., a] * matrices[(*broadcast, a, b)]
                term *= vectors[..., b]
                out += term
    return out


def window_sum(values: np.ndarray, in_window: np.ndarray) -> np.ndarray:
    """The sum over the window's days (axis 1) of ``values`` ((P, L) or (P, L, k)), added day by
    day from the first: the same additions for every pair, however many pairs are summed at once.

    ``values.sum(axis=1)`` lets numpy choose, by the array's shape, between adding day by day and
    pairwise, so a pair's CAR changed in its last bit between a whole study and a Dask partition
    of it. ``in_window`` is the (L,) boolean of the window's days (at least one).
    """
    days = np.flatnonzero(in_window)
    total = values[:, days[0]].copy()
    for day in days[1:].tolist():
        total += values[:, day]
    return total


def car_variance(
    sigma: np.ndarray, xtx_inv: np.ndarray, regressors: np.ndarray, in_window: np.ndarray
) -> np.ndarray:
    """:math:`\\sigma^2(L + s'(X'X)^{-1}s)` for each pair (Campbell, Lo & MacKinlay 1997).

    Parameters
    ----------
    sigma
        (P,) residual standard deviations.
    xtx_inv
        (P, k, k) inverse moment matrices of the estimation regressors.
    regressors
        (P, L, k) regressors on the event days.
    in_window
        (L,) boolean, the event days summed into the CAR.
    """
    length = int(np.count_nonzero(in_window))
    summed = window_sum(regressors, in_window)
    quadratic = quadratic_forms(summed, xtx_inv)
    return sigma**2 * (length + quadratic)


def running_car_variance(sigma: np.ndarray, xtx_inv: np.ndarray, regressors: np.ndarray) -> np.ndarray:
    """(P, L) :func:`car_variance` of the CAR from the first column to each column.

    Column j is :math:`\\sigma^2(j + 1 + s_j'(X'X)^{-1}s_j)` with :math:`s_j` the sum of the
    regressors of columns 0..j (a running sum), the same numbers as ``car_variance`` with the
    mask of columns 0..j, in one O(P·L·k²) pass instead of L.
    """
    summed = np.cumsum(regressors, axis=1)
    variance = quadratic_forms(summed, xtx_inv)
    del summed
    variance += np.arange(1, regressors.shape[1] + 1)  # in place: the sum and product commute
    variance *= sigma[:, None] ** 2
    return variance


def prediction_variance_factor(regressors: np.ndarray, xtx_inv: np.ndarray) -> np.ndarray:
    """:math:`C_{i\\tau} = 1 + x_{i\\tau}'(X_i'X_i)^{-1}x_{i\\tau}`: one day's prediction-error
    variance over :math:`\\sigma_i^2` (the diagonal of :math:`V_i / \\sigma_i^2`; Patell 1976;
    Campbell, Lo & MacKinlay 1997, eq. 4.4.8).

    Parameters
    ----------
    regressors
        (P, L, k) regressors on the event days.
    xtx_inv
        (P, k, k) inverse moment matrices.
    """
    return 1.0 + quadratic_forms(regressors, xtx_inv)


def prediction_error_t(
    abnormal: np.ndarray, variance: np.ndarray, dof: np.ndarray, *, alternative: str = "two-sided"
) -> tuple[np.ndarray, np.ndarray]:
    """t statistic and p-value of each AR or CAR with its exact prediction-error variance.

    .. math:: t_i = \\frac{CAR_i}{\\sqrt{\\hat\\sigma_i^2\\left(L + s_i'(X_i'X_i)^{-1}s_i\\right)}}

    Student-t with :math:`M_i - k_i` degrees of freedom under normal i.i.d. disturbances
    (Campbell, Lo & MacKinlay 1997, ch. 4); for one day the variance is
    :math:`\\hat\\sigma_i^2 C_{i\\tau}`.

    Parameters
    ----------
    abnormal
        (P,) CARs or (P, L) daily ARs.
    variance
        Same shape: their variances (:func:`car_variance`, :func:`running_car_variance` or
        ``sigma**2 * prediction_variance_factor(...)``).
    dof
        (P,) or broadcastable to ``abnormal``: :math:`M_i - k_i`.
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"``.

    Returns
    -------
    t, p
        Same shape as ``abnormal``; NaN where the variance is not positive or the degrees of
        freedom are not.
    """
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be two-sided, greater or less, not {alternative!r}")
    a = np.asarray(abnormal, dtype=float)
    d = np.asarray(dof, dtype=float)
    d = d.reshape(d.shape + (1,) * (a.ndim - d.ndim))  # broadcast by the ufuncs below
    d = np.where(d > 0, d, np.nan)
    v = np.asarray(variance, dtype=float)
    # Each (P, L) result is made once and the steps run in place on it (the ar table's (pairs x
    # days) columns are most of a study's memory when they are built).
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(v > 0, v, np.nan)
        np.sqrt(t, out=t)
        t = np.divide(a, t, out=t if t.shape == np.broadcast_shapes(a.shape, t.shape) else None)
    # scipy.stats.t.sf(x, d) is special.stdtr(d, -x) (NaN for a NaN d or x), without the
    # per-call argument checks of scipy.stats.
    if alternative == "two-sided":
        p = np.abs(t)
        np.negative(p, out=p)
        special.stdtr(d, p, out=p)
        p *= 2.0
    else:
        p = np.negative(t) if alternative == "greater" else t.copy()
        special.stdtr(d, p, out=p)
    return t, p

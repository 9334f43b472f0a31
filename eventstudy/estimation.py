"""Batched OLS: one regression per (event, firm) pair, all pairs at once.

For pair *p* with estimation rows :math:`t \\in E_p` (the rows where the return and every
regressor are observed), :math:`M_p = |E_p|`,

.. math::

    \\hat b_p = (X_p'X_p)^{-1} X_p' y_p, \\qquad
    \\hat\\sigma_p^2 = \\frac{1}{M_p - k} \\sum_{t \\in E_p} (y_{pt} - x_t'\\hat b_p)^2 .

This is ordinary least squares as in statsmodels' ``OLS`` (which the tests use as the
oracle); it is computed with masked sums and a batched solve, so the cost is
O(P·L·k²) with no Python loop over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A design whose reciprocal condition number is below this is treated as singular.
_RCOND = 1e-12


@dataclass(frozen=True)
class BatchFit:
    """OLS fits of P regressions with k parameters each.

    Attributes
    ----------
    coef
        (P, k) estimates (NaN where the pair could not be estimated).
    xtx_inv
        (P, k, k) :math:`(X'X)^{-1}`.
    sigma
        (P,) residual standard deviation :math:`\\sqrt{SSR/(M-k)}`.
    n_obs
        (P,) M, observations used.
    residuals
        (P, L) estimation-window residuals (NaN on rows not used).
    estimable
        (P,) True where ``n_obs >= min_obs`` and the design has full rank.
    """

    coef: np.ndarray
    xtx_inv: np.ndarray
    sigma: np.ndarray
    n_obs: np.ndarray
    residuals: np.ndarray
    estimable: np.ndarray

    @property
    def n_params(self) -> int:
        return self.coef.shape[1]


def fit_ols_batch(y: np.ndarray, x: np.ndarray, *, min_obs: int) -> BatchFit:
    """Fit ``y[p] = x[p] @ b[p] + e`` by OLS for every pair p, skipping NaN rows.

    Parameters
    ----------
    y
        (P, L) dependent variable, NaN where missing.
    x
        (P, L, k) regressors, NaN where missing.
    min_obs
        Fewest valid rows for a pair to be estimated (must exceed k).
    """
    n_pairs, _, k = x.shape
    valid = np.isfinite(y) & np.isfinite(x).all(axis=2)
    n_obs = valid.sum(axis=1)
    x0 = np.where(valid[:, :, None], x, 0.0)
    y0 = np.where(valid, y, 0.0)
    xtx = np.einsum("plk,plj->pkj", x0, x0)
    xty = np.einsum("plk,pl->pk", x0, y0)
    estimable = n_obs >= max(min_obs, k + 1)
    if k:
        rcond = 1.0 / np.where(
            estimable, np.linalg.cond(np.where(estimable[:, None, None], xtx, np.eye(k))), np.inf
        )
        estimable &= rcond > _RCOND
    safe = np.where(estimable[:, None, None], xtx, np.eye(k))
    xtx_inv = np.linalg.inv(safe) if k else np.zeros((n_pairs, 0, 0))
    coef = np.einsum("pkj,pj->pk", xtx_inv, xty)
    fitted = np.einsum("plk,pk->pl", x0, coef)
    residuals = np.where(valid, y0 - fitted, np.nan)
    ssr = np.nansum(residuals**2, axis=1)
    dof = np.maximum(n_obs - k, 1)
    sigma = np.sqrt(ssr / dof)
    nan = np.nan
    return BatchFit(
        coef=np.where(estimable[:, None], coef, nan),
        xtx_inv=np.where(estimable[:, None, None], xtx_inv, nan),
        sigma=np.where(estimable, sigma, nan),
        n_obs=n_obs,
        residuals=np.where(estimable[:, None], residuals, nan),
        estimable=estimable,
    )

"""Bell & McCaffrey's small-sample cluster-robust covariance (CR2) and its degrees of freedom.

CRV1 with t(G - 1) over-rejects with few clusters, and badly when a coefficient rests on a few
of them: in a regression of the launch's CARs on ``np.log(deal_usd) * C(timing)`` the slope of
the three intraday announcements (one deal size each) had a CRV1 s.e. 130 times smaller than its
HC1 one and a p of 2e-18. Its error is a single sum of residuals (three clusters fit two parameters), which
CRV1 reads as nine degrees of freedom. :func:`cr2_covariance` gives, for the same regression:

* the CR2 covariance (Bell & McCaffrey 2002), each cluster's residuals scaled by the inverse
  square root of :math:`I - H_{gg}`:

  .. math::

      V = B \\Big(\\sum_g X_g' A_g \\hat u_g \\hat u_g' A_g X_g\\Big) B, \\qquad
      A_g = (I - H_{gg})^{-1/2}, \\quad B = (X'X)^{-1}, \\quad H_{gg} = X_g B X_g',

  on the whitened design (WLS: :math:`X = W^{1/2}X`, :math:`\\hat u = W^{1/2}\\hat u`). It is
  unbiased when the errors are independent with a constant (whitened) variance:
  :math:`E[V] = \\sigma^2 B`, since :math:`E[\\hat u_g \\hat u_g'] = \\sigma^2 (I - H)_{gg}`;

* for each coefficient :math:`c'b` the Satterthwaite degrees of freedom of that variance under the
  same working model (Bell & McCaffrey 2002; Imbens & Kolesár 2016, the "BM" t-test; Pustejovsky
  & Tipton 2018): :math:`c'Vc = \\sum_g (p_g'\\varepsilon)^2` with
  :math:`p_g = (I - H)_{\\cdot g} A_g X_g B c`, so

  .. math::

      \\nu = \\frac{\\operatorname{tr}(P'P)^2}{\\operatorname{tr}\\big((P'P)^2\\big)}, \\qquad
      (P'P)_{gg} = \\sum_{i:\\, s_{gi}^2 < 1} s_{gi}^2 (V_g'R^{-T}c)_i^2, \\qquad
      (P'P)_{gh} = -y_g'y_h \\ (g \\ne h),

  with :math:`X = QR`, :math:`Q_g = U_g S_g V_g'` (the rows of cluster g) and
  :math:`y_g = Q_g' A_g Q_g R^{-T} c = V_g \\operatorname{diag}(s^2/\\sqrt{1 - s^2}) V_g' R^{-T}c`:
  G x G never formed, O(G k^3 + n k^2) time, and no difference of large numbers (a row of
  leverage near 1 makes its cluster's :math:`y_g` large; the sums over the other clusters leave
  it out). With G equal clusters and the mean alone,
  :math:`\\nu = G - 1` and V is CRV1's :math:`G/(G-1)` times the plain sandwich; the fewer
  clusters a coefficient rests on, the smaller :math:`\\nu` (the intraday slope above: 1.0).

A direction of :math:`I - H_{gg}` with eigenvalue 0 (a row, or a cluster, that alone determines
a combination of the coefficients: its residuals are 0 there) gets 0 in :math:`A_g`, the
Moore-Penrose inverse, as R's clubSandwich does; the caller gives no s.e. for the terms such a
cluster alone determines (:func:`~eventstudy.crosssection.regression.single_cluster_terms`).

Assumptions: clusters independent of each other; the working model (independent errors of
constant whitened variance) makes V unbiased and :math:`\\nu` exact to Satterthwaite's
approximation; under other variances V stays consistent and :math:`\\nu` an approximation,
which Imbens & Kolesár (2016) find close to nominal size with as few as 5 clusters.

References
----------
Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
with multi-stage samples. *Survey Methodology*, 28(2), 169-181.
Imbens, G. W., & Kolesár, M. (2016). Robust standard errors in small samples: some practical
advice. *Review of Economics and Statistics*, 98(4), 701-712.
Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust variance
estimation and hypothesis testing in fixed effects models. *Journal of Business & Economic
Statistics*, 36(4), 672-683.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

ZERO_EIGENVALUE = 1e-8
"""An eigenvalue of :math:`I - H_{gg}` below this is 0 (a direction the cluster's rows fit
exactly; rounding leaves about :math:`10^{-15}`): :math:`A_g` is 0 there."""


def cr2_covariance(
    wexog: np.ndarray, wresid: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bell & McCaffrey's CR2 covariance of the coefficients and each one's degrees of freedom.

    Parameters
    ----------
    wexog
        (n, k) the whitened design, of full column rank.
    wresid
        (n,) the whitened residuals of the fit.
    codes
        (n,) the cluster of each row (any integers).

    Returns
    -------
    covariance, df
        (k, k) :math:`V` and (k,) :math:`\\nu` of each coefficient (NaN where its
        :math:`\\operatorname{tr}((P'P)^2)` is 0: no cluster carries its error). See the module
        docstring for both formulas.
    """
    n, k = wexog.shape
    q, r = np.linalg.qr(wexog, mode="reduced")
    to_coef = scipy.linalg.solve_triangular(r, np.eye(k), trans="T", lower=False)  # R^{-T}: t_j = R^{-T}e_j
    _, cluster = np.unique(codes, return_inverse=True)
    cluster = cluster.reshape(-1)
    n_clusters = int(cluster.max()) + 1 if n else 0
    order = np.argsort(cluster, kind="stable")
    bounds = np.searchsorted(cluster[order], np.arange(n_clusters + 1))
    scores = np.empty((n_clusters, k))  # Q_g' A_g u_g
    own = np.empty((n_clusters, k))  # (P'P)_gg of each coefficient
    cross = np.empty((n_clusters, k, k))  # column j: y_g of coefficient j, (P'P)_gh = -y_g'y_h
    for g in range(n_clusters):
        rows = order[bounds[g] : bounds[g + 1]]
        q_g = q[rows]
        # Q_g = U S V': I - Q_g Q_g' is the identity outside the span of U, 1 - s^2 inside it, so
        # A_g costs O(n_g k^2), not O(n_g^3).
        u, sigma, vt = np.linalg.svd(q_g, full_matrices=False)
        remaining = 1.0 - sigma**2
        kept = remaining > ZERO_EIGENVALUE
        shrink = np.where(kept, 1.0 / np.sqrt(np.where(kept, remaining, 1.0)), 0.0)
        a_u = wresid[rows] + u @ ((shrink - 1.0) * (u.T @ wresid[rows]))
        scores[g] = q_g.T @ a_u
        # With c_j = V'R^{-T}e_j: A_g Q_g R^{-T}e_j = U diag(s f) c_j, f the shrink, so
        # (P'P)_gg = ||that||^2 - ||y_g||^2 = sum over the kept directions of s^2 c^2 (the 1/(1 - s^2)
        # of each part cancels in closed form, not by a subtraction that loses its digits near a
        # leverage of 1) and y_g = Q_g' A_g Q_g R^{-T}e_j = V diag(s^2 f) c_j.
        c = vt @ to_coef
        own[g] = np.where(kept, sigma**2, 0.0) @ c**2
        cross[g] = vt.T @ ((sigma**2 * shrink)[:, None] * c)
    r_inverse = to_coef.T  # R^{-1}
    covariance = r_inverse @ (scores.T @ scores) @ r_inverse.T
    df = np.full(k, np.nan)
    for j in range(k):
        y = cross[:, :, j]  # (G, k)
        outer = y[:, :, None] * y[:, None, :]
        # sum over h != g of (y_g'y_h)^2 = y_g'(sum over h != g of y_h y_h')y_g, the sums before
        # and after g added, never the whole less g's own: one y_g may be 1e8 times the others
        before = np.zeros_like(outer)
        np.cumsum(outer[:-1], axis=0, out=before[1:])
        after = np.zeros_like(outer)
        np.cumsum(outer[:0:-1], axis=0, out=after[-2::-1])
        others = np.einsum("gk,gkl,gl->g", y, before + after, y) if n_clusters else np.zeros(0)
        first = own[:, j].sum()
        second = float(own[:, j] @ own[:, j] + others.sum())
        if second > 0:
            df[j] = first**2 / second
    return covariance, df

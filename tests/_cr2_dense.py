"""Bell & McCaffrey's CR2 covariance and degrees of freedom, written out with dense n x n
matrices straight from the formulas (Bell & McCaffrey 2002; Imbens & Kolesár 2016): the oracle
of :func:`eventstudy.crosssection.small_sample.cr2_covariance`, which never forms them. Not
part of the package."""

from __future__ import annotations

import numpy as np


def dense_cr2(x: np.ndarray, resid: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, k) CR2 covariance and (k,) Satterthwaite degrees of freedom of each coefficient."""
    n, k = x.shape
    bread = np.linalg.inv(x.T @ x)
    hat = x @ bread @ x.T
    residual_maker = np.eye(n) - hat
    clusters = np.unique(codes)
    adjust = {}
    meat = np.zeros((k, k))
    for g in clusters:
        rows = codes == g
        values, vectors = np.linalg.eigh(np.eye(rows.sum()) - hat[np.ix_(rows, rows)])
        inverse_root = np.where(values > 1e-8, 1.0 / np.sqrt(np.maximum(values, 1e-8)), 0.0)
        adjust[g] = (vectors * inverse_root) @ vectors.T  # (I - H_gg)^(-1/2), Moore-Penrose
        score = x[rows].T @ adjust[g] @ resid[rows]
        meat += np.outer(score, score)
    df = np.empty(k)
    for j in range(k):
        c = np.eye(k)[j]
        p = np.column_stack(
            [residual_maker[:, codes == g] @ (adjust[g] @ x[codes == g] @ bread @ c) for g in clusters]
        )
        eigen = np.linalg.eigvalsh(p.T @ p)  # c'Vc = eps' P P' eps: Satterthwaite
        df[j] = eigen.sum() ** 2 / np.sum(eigen**2)
    return bread @ meat @ bread, df

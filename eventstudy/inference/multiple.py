"""Multiple testing: Benjamini-Hochberg and Holm adjusted p-values of a family of tests.

A study reports a p-value per group, statistic and window, so some are small by chance. The
adjusted p-values let a reader control the error rate over a family of them (a statistic's
windows in one group: :mod:`eventstudy.multiple_testing`): reject where the adjusted p is at
most the level.

* **Holm (1979)**, the family-wise error rate (the chance of any false rejection) under any
  dependence between the tests. With the m p-values sorted, :math:`p_{(1)} \\le \\dots \\le
  p_{(m)}`,

  .. math:: \\tilde p_{(j)} = \\max_{i \\le j}\\ \\min\\{1, (m - i + 1)\\,p_{(i)}\\} .

* **Benjamini & Hochberg (1995)**, the false discovery rate (the expected share of false
  rejections among the rejections), proved for independent tests and for positively
  regression-dependent ones (Benjamini & Yekutieli 2001). One statistic's windows test means of
  overlapping abnormal returns and are positively dependent, but the condition is shown for
  one-sided statistics: read the adjusted p as approximate; Holm's needs no assumption:

  .. math:: \\tilde p_{(j)} = \\min_{i \\ge j}\\ \\min\\{1, \\tfrac{m}{i}\\,p_{(i)}\\} .

NaN p-values (descriptive rows) are not part of the family and stay NaN. Both are exactly
``statsmodels.stats.multitest.multipletests`` with ``"holm"`` and ``"fdr_bh"``
(``tests/test_multiple.py``); BH uses ``scipy.stats.false_discovery_control``.

References
----------
Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
powerful approach to multiple testing. *Journal of the Royal Statistical Society B*, 57(1),
289-300.
Benjamini, Y., & Yekutieli, D. (2001). The control of the false discovery rate in multiple
testing under dependency. *Annals of Statistics*, 29(4), 1165-1188.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
Journal of Statistics*, 6(2), 65-70.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

METHODS: tuple[str, ...] = ("bh", "holm")


def holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values of the finite entries of ``p`` (NaN stay NaN).

    Parameters
    ----------
    p
        (m,) p-values in [0, 1]; NaN entries are not tests.

    Returns
    -------
    numpy.ndarray
        (m,) :math:`\\tilde p_{(j)} = \\max_{i \\le j} \\min\\{1, (m - i + 1) p_{(i)}\\}` with m the
        number of finite p-values.

    Notes
    -----
    Controls the family-wise error rate under any dependence. Ties keep their order (a stable
    sort), which does not change the adjusted values.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
    Journal of Statistics*, 6(2), 65-70.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini & Hochberg (1995) adjusted p-values of the finite entries of ``p``.

    Parameters
    ----------
    p
        (m,) p-values in [0, 1]; NaN entries are not tests.

    Returns
    -------
    numpy.ndarray
        (m,) :math:`\\tilde p_{(j)} = \\min_{i \\ge j} \\min\\{1, m\\,p_{(i)}/i\\}` over the finite
        p-values (``scipy.stats.false_discovery_control(method="bh")``).

    Notes
    -----
    Controls the false discovery rate for independent or positively regression-dependent
    tests (Benjamini & Yekutieli 2001).

    References
    ----------
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *Journal of
    the Royal Statistical Society B*, 57(1), 289-300.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = stats.false_discovery_control(p[finite], method="bh")
    return out


def adjust(p: np.ndarray, method: str) -> np.ndarray:
    """:func:`benjamini_hochberg` (``"bh"``) or :func:`holm` (``"holm"``) of ``p``."""
    if method == "bh":
        return benjamini_hochberg(p)
    if method == "holm":
        return holm(p)
    raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")

"""Cluster-robust tests of the mean abnormal return: by firm, by calendar date, two-way.

Events of one firm share the firm's idiosyncratic shocks; events on one calendar day share the
market's. A test that assumes independent events over-rejects under either dependence. The
cluster-robust ("sandwich") variance of a mean allows arbitrary correlation inside each
cluster (Liang & Zeger 1986; Arellano 1987), and the two-way version inside either kind of
cluster at once (Cameron, Gelbach & Miller 2011; Thompson 2011).

**The mean as a regression on a constant.** For observations :math:`y_1..y_n` with cluster
labels :math:`g(i)`, OLS of :math:`y` on a constant gives :math:`\\bar y` and residuals
:math:`e_i = y_i - \\bar y`, and the one-way cluster-robust (CRV1) variance of :math:`\\bar y` is

.. math::

    \\hat V_G = c_G\\,\\frac{1}{n^2}\\sum_{g=1}^{G}\\Big(\\sum_{i \\in g} e_i\\Big)^2, \\qquad
    c_G = \\frac{G}{G-1}\\cdot\\frac{n-1}{n-k}, \\quad k = 1,

the small-sample correction of Stata and statsmodels (with :math:`k = 1` the second factor
is 1). The two-way variance over clusters A (e.g. firms) and B (calendar dates) is

.. math:: \\hat V_{AB} = \\hat V_A + \\hat V_B - \\hat V_{A\\cap B},

each term with its own :math:`c_G` (:math:`A \\cap B` clusters the observations sharing both
labels). :math:`t = \\bar y / \\sqrt{\\hat V}` is referred to Student's t with :math:`G - 1`
degrees of freedom, :math:`\\min(G_A, G_B) - 1` for two-way clustering (Cameron, Gelbach &
Miller 2008, 2011; Thompson 2011). Fewer than two clusters, or a non-positive two-way
variance, give NaN. These are exactly statsmodels' ``OLS(y, ones).fit(cov_type="cluster",
cov_kwds={"groups": ...}, use_t=True)`` numbers (``tests/test_cluster.py`` checks them to
1e-10); without ``use_t`` statsmodels refers t to the normal: 8e-8 for a p of 0.117 at G = 2.

**On an abnormal-return panel** (:func:`window_cluster_test`): for a window of L days and N
pairs with complete windows, :math:`y_{i\\tau} = L \\cdot AR_{i\\tau}` over the N·L (pair, day)
observations has mean :math:`\\overline{CAR}` (the CAAR). Clustered by firm, the variance
equals that of the regression of the N CARs on a constant with firm clusters (the L days of a
pair sum to :math:`L(CAR_i - \\overline{CAR})`); clustered by the calendar date of each day, the
ARs of events whose windows share a day are correlated through that day, which for a one-day
window is the regression of the CARs with day-0 date clusters. Assumptions: clusters
independent of each other, the number of clusters large (with few clusters the t(G-1)
reference is the usual remedy, not a cure; Cameron & Miller 2015); no assumption about the
variances (heteroskedasticity-robust) or correlations inside a cluster.

**Long-horizon monthly panels** (:func:`long_horizon_cluster_test`): the standardised
abnormal returns of Dutta, Knif, Kolari & Pynnönen (2018), pooled and tested with calendar-month
(and firm) clusters, as the R package crseEventStudy does.

References
----------
Arellano, M. (1987). Computing robust standard errors for within-groups estimators. *Oxford
Bulletin of Economics and Statistics*, 49(4), 431-434.
Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2011). Robust inference with multiway
clustering. *Journal of Business & Economic Statistics*, 29(2), 238-249.
Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
*Journal of Human Resources*, 50(2), 317-372.
Dutta, A., Knif, J., Kolari, J. W., & Pynnönen, S. (2018). A robust and powerful test of
abnormal stock returns in long-horizon event studies. *Journal of Empirical Finance*, 47, 1-24.
Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using generalized linear
models. *Biometrika*, 73(1), 13-22.
Thompson, S. B. (2011). Simple formulas for standard errors that cluster by both firm and
time. *Journal of Financial Economics*, 99(1), 1-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .result import (
    Alternative,
    TestResult,
    check_alternative,
    p_student,
    result,
    spread,
    standard_error_is_noise,
)

REF_CLUSTER_FIRM = (
    "Liang & Zeger (1986); Cameron, Gelbach & Miller (2011): mean of the pairs' cumulative abnormal "
    "values (CAR, or CAV of volume), CRV1 s.e. clustered by firm, G/(G-1) correction, t(G-1)"
)
REF_CLUSTER_DATE = (
    "Cameron, Gelbach & Miller (2011); Thompson (2011): mean cumulative abnormal value (CAR, or CAV of "
    "volume) on the panel of (pair, day) abnormal values, CRV1 s.e. clustered by calendar date, G/(G-1) "
    "correction, t(G-1)"
)
REF_CLUSTER_TWO_WAY = (
    "Cameron, Gelbach & Miller (2011); Thompson (2011): mean cumulative abnormal value (CAR, or CAV of "
    "volume) on the panel of (pair, day) abnormal values, two-way (firm, calendar date) CRV1 s.e. "
    "V_firm + V_date - V_firm&date, t(min(G_firm, G_date) - 1)"
)


@dataclass(frozen=True)
class ClusterMean:
    """The mean of some observations with its (cluster-robust) standard error.

    Attributes
    ----------
    mean
        :math:`\\bar y`.
    se
        :math:`\\sqrt{\\hat V}` (NaN with fewer than two clusters or a non-positive two-way
        variance).
    t
        :math:`\\bar y / se`.
    df
        Degrees of freedom of the t reference: :math:`G - 1`, or :math:`\\min(G_A, G_B) - 1`.
    p
        p-value of ``t`` for the requested alternative.
    n
        Observations used.
    clusters
        :math:`G` of each clustering dimension (one or two numbers).
    """

    mean: float
    se: float
    t: float
    df: float
    p: float
    n: int
    clusters: tuple[int, ...]


def cluster_codes(labels: np.ndarray) -> np.ndarray:
    """(n,) integer codes 0..G-1 of any labels (strings, dates, integers)."""
    labels = np.asarray(labels)
    if labels.dtype == object:
        labels = labels.astype(str)
    return np.unique(labels, return_inverse=True)[1].reshape(-1).astype(np.intp)


def _bin_codes(labels: np.ndarray) -> np.ndarray:
    """Non-negative integer codes of ``labels`` in the labels' order, for :func:`_crv1`: integer
    labels spanning at most a few bins per label are shifted to start at 0 (gaps are bins that
    stay empty), others are :func:`cluster_codes`. Either gives :func:`_crv1` the same sums in
    the same order, so the same numbers; the shift costs O(n) instead of a sort."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "iu" and labels.size:
        low, high = int(labels.min()), int(labels.max())
        if high - low <= 4 * labels.size + 1024:
            if low == 0 and labels.dtype == np.intp:
                return labels  # already codes: no copy
            return (labels - low).astype(np.intp, copy=False)
    return cluster_codes(labels)


def _crv1(residuals: np.ndarray, codes: np.ndarray) -> tuple[float, int]:
    """:math:`c_G n^{-2} \\sum_g (\\sum_{i \\in g} e_i)^2` and G for one clustering (k = 1); ``codes``
    are non-negative integers, one bin per cluster (empty bins are not clusters)."""
    bins = _ClusterSums(int(codes.max()) + 1)
    bins.add(codes, residuals)
    return bins.crv1(residuals.size)


class _ClusterSums:
    """The running :math:`\\sum_{i \\in g} e_i` of one clustering's bins, observations added in
    order a block at a time; :meth:`crv1` is :func:`_crv1` of all of them.

    Each bin's sum is its values added one by one in the observations' order (as
    ``numpy.bincount`` adds them), so blocks give the numbers of one (n,) array bit for bit.
    """

    def __init__(self, size: int) -> None:
        self.used = np.zeros(size, dtype=bool)
        self.sums = np.zeros(size)

    def add(self, codes: np.ndarray, residuals: np.ndarray) -> None:
        self.used[codes] = True
        np.add.at(self.sums, codes, residuals)

    def crv1(self, n: int) -> tuple[float, int]:
        groups = int(np.count_nonzero(self.used))
        if groups < 2:
            return float("nan"), groups
        sums = self.sums[self.used]
        return groups / (groups - 1.0) * float(np.dot(sums, sums)) / float(n) ** 2, groups


def _intersection(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Codes of the clusters formed by observations sharing both labels (non-negative codes)."""
    pairs = first.astype(np.int64) * (int(second.max()) + 1) + second
    return _bin_codes(pairs)


def _firm_day_bases(firm: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray | None:
    """(N,) int64 ``base`` such that ``base[p] + d`` is the (firm, day) intersection key of pair p's
    day d, for N pairs of non-negative firm codes ``firm`` whose days lie in [``low``, ``high``].

    Pairs of one firm whose day ranges overlap, directly or through others, form a run; runs are
    disjoint in days, so each run gets its own stretch of keys, as long as its days: the keys
    run from 0 to at most the sum of the pairs' day ranges (N·L for windows of L consecutive
    days), ordered as (firm, day) are. :func:`_intersection` of the (N·L,) labels gives codes in
    the same order (so :func:`_crv1` adds the same numbers in the same order), through a sort of
    the N·L observations; this sorts the N pairs. None when the days are too far apart for int64
    keys.
    """
    low, high = np.asarray(low, dtype=np.int64), np.asarray(high, dtype=np.int64)
    firm = np.asarray(firm, dtype=np.int64)
    # The furthest day reached so far by the firm's pairs: a running maximum of the days shifted
    # by firm (firms ascend in the pairs' order below, so the shift restarts it at each firm).
    shift = int(high.max()) - int(low.min()) + 1
    if (int(firm.max()) + 1) * shift + abs(int(high.max())) >= 2**62:
        return None
    order = np.lexsort((low, firm))
    low, high, firm = low[order], high[order], firm[order]
    reach = np.maximum.accumulate(firm * shift + high) - firm * shift
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = (firm[1:] != firm[:-1]) | (low[1:] > reach[:-1])
    run = np.cumsum(starts) - 1
    first_day = low[starts]
    length = np.maximum.reduceat(reach, np.flatnonzero(starts)) - first_day + 1
    offset = np.cumsum(length) - length
    base = np.empty(order.size, dtype=np.int64)
    base[order] = (offset - first_day)[run]
    return base


def cluster_robust_mean(
    y: np.ndarray,
    clusters: np.ndarray,
    *,
    alternative: Alternative = "two-sided",
) -> ClusterMean:
    """Mean of ``y`` with a one- or two-way cluster-robust (CRV1) standard error.

    Parameters
    ----------
    y
        (n,) observations; NaN rows are dropped (with their cluster labels).
    clusters
        (n,) labels of one clustering, or (n, 2) labels of two (e.g. firm and date). Labels may
        be any values (codes are assigned with :func:`cluster_codes`).
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"``.

    Returns
    -------
    ClusterMean
        Mean, standard error, t, degrees of freedom, p-value, n and the cluster counts.

    Notes
    -----
    One-way: :math:`\\hat V = \\frac{G}{G-1}\\frac{n-1}{n-1} n^{-2}\\sum_g(\\sum_{i\\in g}
    e_i)^2` with :math:`e_i = y_i - \\bar y`, t(G - 1). Two-way: :math:`\\hat V_A + \\hat V_B -
    \\hat V_{A \\cap B}`, each with its own :math:`G/(G-1)`, t(min(G_A, G_B) - 1); a non-positive
    total is NaN (no eigenvalue fix-up for a scalar). Cost O(n).

    References
    ----------
    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2011). Robust inference with multiway
    clustering. *Journal of Business & Economic Statistics*, 29(2), 238-249.
    Thompson, S. B. (2011). Simple formulas for standard errors that cluster by both firm and
    time. *Journal of Financial Economics*, 99(1), 1-10.
    """
    check_alternative(alternative)
    y = np.asarray(y, dtype=float).reshape(-1)
    labels = np.asarray(clusters)
    two_way = labels.ndim == 2
    if labels.shape[0] != y.size or (two_way and labels.shape[1] != 2) or labels.ndim > 2:
        raise ValueError(f"clusters must be (n,) or (n, 2) with n = {y.size}, got shape {labels.shape}")
    if two_way:
        return _clustered_mean(y, labels[:, 0], labels[:, 1], alternative)
    return _clustered_mean(y, labels, None, alternative)


def _clustered_mean(
    y: np.ndarray,
    labels: np.ndarray,
    second_labels: np.ndarray | None,
    alternative: Alternative,
) -> ClusterMean:
    """:func:`cluster_robust_mean` of (n,) ``y`` with one (n,) clustering, or two."""
    keep = np.isfinite(y)
    if not keep.all():  # a window's pairs are complete: usually nothing to drop, nothing copied
        y = y[keep]
        labels = labels[keep]
        second_labels = None if second_labels is None else second_labels[keep]
    n = y.size
    if n == 0:
        return ClusterMean(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), 0, ())
    mean = float(y.mean())
    residuals = y - mean
    if second_labels is not None:
        first, second = _bin_codes(labels), _bin_codes(second_labels)
        v_first, g_first = _crv1(residuals, first)
        v_second, g_second = _crv1(residuals, second)
        v_both, _ = _crv1(residuals, _intersection(first, second))
        variance = v_first + v_second - v_both
        groups: tuple[int, ...] = (g_first, g_second)
        df = float(min(g_first, g_second) - 1)
    else:
        variance, g = _crv1(residuals, _bin_codes(labels))
        groups = (g,)
        df = float(g - 1)
    return _mean_test(mean, variance, df, n, groups, alternative, float(np.abs(y).max()))


def _mean_test(
    mean: float,
    variance: float,
    df: float,
    n: int,
    groups: tuple[int, ...],
    alternative: Alternative,
    scale: float,
) -> ClusterMean:
    """The :class:`ClusterMean` of ``mean`` with the clustered ``variance`` and t(``df``)
    (none where the s.e. is rounding noise of data of size ``scale``)."""
    se = float(np.sqrt(variance)) if variance > 0 else float("nan")
    t = float("nan") if standard_error_is_noise(se, mean, scale) else mean / se
    p = p_student(t, df, alternative) if np.isfinite(t) else float("nan")
    return ClusterMean(mean, se, t, df, p, n, groups)


def panel_observations(
    ar_event: np.ndarray, firm: np.ndarray, day: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The (pair, day) observations of a window: :math:`y_{i\\tau} = L\\,AR_{i\\tau}` and the
    (N·L, 2) firm and calendar-day labels of each.

    Parameters
    ----------
    ar_event
        (N, L2) event-window ARs of the pairs to use (complete over the window).
    firm
        (N,) firm labels (or integer codes of them, e.g. :func:`cluster_codes` of a larger set
        of pairs: any labels in the same order give the same statistics).
    day
        (N, L2) calendar-day positions of the event columns.
    mask
        (L2,) the window's columns.
    """
    length = int(mask.sum())
    y = (length * ar_event[:, mask]).reshape(-1)
    return y, np.column_stack([np.repeat(_bin_codes(firm), length), np.asarray(day)[:, mask].reshape(-1)])


def window_cluster_test(
    ar_event: np.ndarray,
    firm: np.ndarray,
    day: np.ndarray,
    mask: np.ndarray,
    clustering: str,
    *,
    alternative: Alternative = "two-sided",
    usable: np.ndarray | None = None,
) -> TestResult:
    """Cluster-robust t of the mean CAR over a window from the pairs' daily ARs.

    Parameters
    ----------
    ar_event
        (N, L2) event-window ARs of the pairs (complete over the window; missing observations
        are left out).
    firm
        (N,) firm (ticker) of each pair.
    day
        (N, L2) calendar-day position of each event column.
    mask
        (L2,) the window's columns.
    clustering
        ``"firm"``, ``"date"`` or ``"two_way"``.
    alternative
        Alternative of the p-value.
    usable
        (N,) bool, the pairs to test (default: all). Only their rows are read, a block at a
        time: the other rows are never copied.

    Returns
    -------
    TestResult
        ``cluster_firm_t``, ``cluster_date_t`` or ``cluster_two_way_t``: value t, p from
        t(G - 1) (two-way: t(min(G_firm, G_date) - 1)), n = pairs.

    Notes
    -----
    :math:`y_{i\\tau} = L \\cdot AR_{i\\tau}`, :math:`\\bar y = \\overline{CAR}`;
    :func:`cluster_robust_mean` with the pair's firm, the calendar date of each day, or both.
    Firm clustering equals the CAR regression on a constant with firm clusters. Assumes
    independent clusters and many of them; robust to heteroskedasticity and to any correlation
    within a cluster; does not assume constant variance over time.

    References
    ----------
    Cameron, Gelbach & Miller (2011); Thompson (2011); see the module docstring.
    """
    names = {
        "firm": ("cluster_firm_t", REF_CLUSTER_FIRM),
        "date": ("cluster_date_t", REF_CLUSTER_DATE),
        "two_way": ("cluster_two_way_t", REF_CLUSTER_TWO_WAY),
    }
    if clustering not in names:
        raise ValueError(f"clustering must be one of {', '.join(names)}, got {clustering!r}")
    name, reference = names[clustering]
    check_alternative(alternative)
    rows = np.arange(ar_event.shape[0]) if usable is None else np.flatnonzero(usable)
    test = _window_clustered_mean(ar_event, firm, np.asarray(day), mask, rows, clustering, alternative)
    return result(name, test.t, test.p, int(rows.size), reference)


_BLOCK_OBSERVATIONS = 2**16
"""(pair, day) observations :func:`window_cluster_test` labels at a time: besides the window's
N·L observations and the (firm, day) intersection's bins, its arrays are a block's."""


def _window_clustered_mean(
    ar_event: np.ndarray,
    firm: np.ndarray,
    day: np.ndarray,
    mask: np.ndarray,
    rows: np.ndarray,
    clustering: str,
    alternative: Alternative,
) -> ClusterMean:
    """:func:`cluster_robust_mean` of the window's observations :math:`L \\cdot AR_{i\\tau}` of
    the pairs ``rows`` (:func:`panel_observations`) with the labels of ``clustering``, made and
    added a block of pairs at a time.

    The numbers are those of :func:`cluster_robust_mean` on the (N·L,) observations and their
    labels bit for bit: the mean is taken over the same (N·L,) array, every label is coded in
    the labels' order (:func:`_bin_codes`; the intersection by :func:`_firm_day_bases`), and
    each cluster's sum adds its residuals in the observations' order (:class:`_ClusterSums`).
    """
    length = int(np.count_nonzero(mask))
    nothing = ClusterMean(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), 0, ())
    if rows.size == 0 or length == 0:
        return nothing
    step = max(1, _BLOCK_OBSERVATIONS // length)
    blocks = [slice(start, min(start + step, rows.size)) for start in range(0, rows.size, step)]
    day_low = 0
    if clustering != "firm" and day.size:
        if day.dtype.kind not in "iu" or int(day.max()) - int(day.min()) > 4 * day.size + 1024:
            day = cluster_codes(day.reshape(-1)).reshape(day.shape)  # any labels, in their order
        day_low = int(day.min())
    firm_codes = _bin_codes(np.asarray(firm)[rows])

    def observations(block: slice) -> slice:
        return slice(block.start * length, block.stop * length)

    def days_of(block: slice) -> np.ndarray:
        return day[rows[block]][:, mask]

    y = np.empty(rows.size * length)
    first, last = np.empty(rows.size, dtype=np.int64), np.empty(rows.size, dtype=np.int64)
    for block in blocks:
        y[observations(block)] = (length * ar_event[rows[block]][:, mask]).reshape(-1)
        if clustering == "two_way":
            days = days_of(block)
            first[block], last[block] = days.min(axis=1), days.max(axis=1)
    finite = np.isfinite(y)
    complete = bool(finite.all())
    n = y.size if complete else int(np.count_nonzero(finite))
    if n == 0:
        return nothing
    mean = float(y.mean() if complete else y[finite].mean())
    scale = float(np.abs(y).max() if complete else np.abs(y[finite]).max())
    sums: dict[str, _ClusterSums] = {}
    if clustering in ("firm", "two_way"):
        sums["firm"] = _ClusterSums(int(firm_codes.max()) + 1)
    if clustering in ("date", "two_way"):
        sums["date"] = _ClusterSums(int(day.max()) - day_low + 1)
    base = np.zeros(rows.size, dtype=np.int64)
    if clustering == "two_way":
        found = _firm_day_bases(firm_codes, first, last)
        if found is None:  # days are codes below N·L here: only for about 10^8 pairs
            raise ValueError("too many pairs for int64 (firm, day) cluster keys")
        base = found
        sums["both"] = _ClusterSums(int((base + last).max()) + 1)
    for block in blocks:
        keep = slice(None) if complete else finite[observations(block)]
        residuals = (y[observations(block)] - mean)[keep]
        days = days_of(block) if clustering != "firm" else day[:0]
        for key, bins in sums.items():
            if key == "firm":
                codes = np.repeat(firm_codes[block], length)
            elif key == "date":
                codes = (days - day_low).reshape(-1)
            else:
                codes = (base[block, None] + days).reshape(-1)
            bins.add(codes[keep], residuals)
    if clustering == "two_way":
        v_firm, g_firm = sums["firm"].crv1(n)
        v_date, g_date = sums["date"].crv1(n)
        v_both, _ = sums["both"].crv1(n)
        variance, df, groups_of = v_firm + v_date - v_both, float(min(g_firm, g_date) - 1), (g_firm, g_date)
        return _mean_test(mean, variance, df, n, groups_of, alternative, scale)
    variance, groups = sums[clustering].crv1(n)
    return _mean_test(mean, variance, float(groups - 1), n, (groups,), alternative, scale)


# -- long-horizon monthly panels: Dutta, Knif, Kolari & Pynnönen (2018) ----------------------------

STANDARDIZATIONS: tuple[str, ...] = ("asr", "sar")


@dataclass(frozen=True)
class LongHorizonTest:
    """The long-horizon test of Dutta, Knif, Kolari & Pynnönen (2018) on a monthly panel.

    Attributes
    ----------
    standardized
        (N, T) the standardised abnormal returns (ASR or SAR), NaN where not available.
    nonclustered
        The mean with the ordinary OLS standard error :math:`s/\\sqrt{n}`, t(n - 1).
    month
        Clustered by calendar month (the test of the paper), t(G - 1).
    firm
        Clustered by firm, or None without firm labels.
    two_way
        Clustered by month and firm, or None without firm labels.
    """

    standardized: np.ndarray
    nonclustered: ClusterMean
    month: ClusterMean
    firm: ClusterMean | None
    two_way: ClusterMean | None


def _standard_deviation(values: np.ndarray) -> np.ndarray:
    """(N,) sample s.d. (n - 1) of each row's finite values; NaN with fewer than two."""
    count = np.isfinite(values).sum(axis=1)
    filled = np.where(np.isfinite(values), values, 0.0)
    mean = filled.sum(axis=1) / np.maximum(count, 1)
    squares = np.where(np.isfinite(values), (values - mean[:, None]) ** 2, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(squares / (count - 1))
    return np.where(count >= 2, sd, np.nan)


def long_horizon_cluster_test(
    returns: np.ndarray,
    benchmark: np.ndarray,
    month: np.ndarray,
    firm: np.ndarray | None = None,
    *,
    standardization: str = "asr",
    log_returns: bool = False,
    alternative: Alternative = "two-sided",
) -> LongHorizonTest:
    """Dutta, Knif, Kolari & Pynnönen (2018) test of long-horizon abnormal returns.

    Parameters
    ----------
    returns
        (N, T) monthly returns of the N event firms over their event periods (e.g. the 36
        months after each event), NaN where missing; row i is one event.
    benchmark
        (N, T) the monthly returns of each event's benchmark (a control firm or portfolio) on
        the same months.
    month
        (N, T) calendar-month label of each cell (e.g. ``yyyymm``), the clusters of the test.
    firm
        (N,) firm label of each event, for the firm and two-way clustered versions (optional).
    standardization
        ``"asr"`` (abnormal standardised returns, the paper's recommendation) or ``"sar"``
        (standardised abnormal returns).
    log_returns
        False (default): ``returns`` and ``benchmark`` are simple returns and are converted to
        log returns :math:`\\ln(1 + R)` first, as crseEventStudy does; True: they are log
        returns already.
    alternative
        Alternative of the p-values.

    Returns
    -------
    LongHorizonTest
        The standardised panel and the mean with its non-clustered, month-clustered,
        firm-clustered and two-way clustered t statistics.

    Notes
    -----
    With :math:`r_{it}` and :math:`r_{ct}` the log returns of event firm i and its benchmark
    over the months where both are observed, and :math:`s(\\cdot)` the sample standard deviation
    (n - 1) of a series over those months,

    .. math::

        ASR_{it} = \\frac{r_{it}}{s(r_i)} - \\frac{r_{ct}}{s(r_c)}, \\qquad
        SAR_{it} = \\frac{r_{it} - r_{ct}}{s(r_i - r_c)} .

    The standardised returns of all events and months are pooled and their mean tested with
    :func:`cluster_robust_mean` clustered by calendar month (cross-sectional correlation of
    events in the same month, the source of the over-rejection of long-horizon tests), and
    optionally by firm or both. An event needs at least two months with both returns.
    Standardisation makes events with volatile returns count no more than others, which is what
    gives the test its power (DKKP 2018, sec. 3).

    Differences from crseEventStudy (``crseEvent``/``crse``): the degrees of freedom are
    :math:`G - 1` (crseEventStudy uses :math:`G`), and the two-way intersection term has its
    own :math:`G/(G-1)` (as statsmodels); the variances are otherwise the same (sandwich's
    ``vcovCL``, HC1). The s.d. of the ASR uses the months where both series are observed
    (crseEventStudy's ``asr`` uses each series as given).

    References
    ----------
    Dutta, A., Knif, J., Kolari, J. W., & Pynnönen, S. (2018). A robust and powerful test of
    abnormal stock returns in long-horizon event studies. *Journal of Empirical Finance*, 47,
    1-24.
    """
    if standardization not in STANDARDIZATIONS:
        raise ValueError(f"standardization must be one of {', '.join(STANDARDIZATIONS)}")
    returns = np.asarray(returns, dtype=float)
    benchmark = np.asarray(benchmark, dtype=float)
    month = np.asarray(month)
    if returns.ndim != 2 or benchmark.shape != returns.shape or month.shape != returns.shape:
        raise ValueError("returns, benchmark and month must be (N, T) arrays of one shape")
    if firm is not None and np.asarray(firm).shape != (returns.shape[0],):
        raise ValueError(f"firm must be (N,) with N = {returns.shape[0]}")
    if not log_returns:
        with np.errstate(invalid="ignore", divide="ignore"):
            returns = np.log1p(np.where(returns > -1, returns, np.nan))
            benchmark = np.log1p(np.where(benchmark > -1, benchmark, np.nan))
    both = np.isfinite(returns) & np.isfinite(benchmark)
    event = np.where(both, returns, np.nan)
    control = np.where(both, benchmark, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if standardization == "asr":
            standardized = event / _standard_deviation(event)[:, None] - (
                control / _standard_deviation(control)[:, None]
            )
        else:
            difference = event - control
            standardized = difference / _standard_deviation(difference)[:, None]
    standardized = np.where(np.isfinite(standardized), standardized, np.nan)
    y = standardized.reshape(-1)
    keep = np.isfinite(y)
    months = month.reshape(-1)[keep]
    y = y[keep]
    rows = np.repeat(np.arange(returns.shape[0]), returns.shape[1])[keep]
    nonclustered = _iid(y, alternative)
    by_month = cluster_robust_mean(y, months, alternative=alternative)
    by_firm = two_way = None
    if firm is not None:
        firms = np.asarray(firm)[rows]
        by_firm = cluster_robust_mean(y, firms, alternative=alternative)
        two_way = cluster_robust_mean(
            y, np.column_stack([cluster_codes(months), cluster_codes(firms)]), alternative=alternative
        )
    return LongHorizonTest(standardized, nonclustered, by_month, by_firm, two_way)


def _iid(y: np.ndarray, alternative: Alternative) -> ClusterMean:
    """The mean with the OLS standard error :math:`s/\\sqrt n`, t(n - 1)."""
    n = y.size
    if n == 0:
        return ClusterMean(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), 0, ())
    mean = float(y.mean())
    se = float(spread(y) / np.sqrt(n)) if n > 1 else float("nan")
    t = float("nan") if standard_error_is_noise(se, mean, float(np.abs(y).max())) else mean / se
    p = p_student(t, n - 1, alternative) if np.isfinite(t) else float("nan")
    return ClusterMean(mean, se, t, float(n - 1), p, n, (n,))

"""Statistics of the backtest, as pure functions (arrays in, numbers out).

* buy-and-hold abnormal return (Barber & Lyon 1997);
* the conventional t and the skewness-adjusted t of Lyon, Barber & Tsai (1999), with its
  bootstrapped p-value;
* the t of a mean with a standard error clustered by chains of holds that share a day
  (:func:`overlap_clustered_mean`);
* hit rate, annualised Sharpe ratio and maximum drawdown of a strategy, and the market held on
  the strategy's invested days only (an exposure-matched benchmark).

NaN inputs are dropped by the cross-sectional tests (the number used is reported) and
propagate through the path functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from eventstudy.inference.cluster import ClusterMean, cluster_robust_mean
from eventstudy.inference.result import SPREAD_TOLERANCE, spread

TRADING_DAYS_PER_YEAR = 252
REF_BHAR = "Barber & Lyon (1997)"
REF_LBT = "Lyon, Barber & Tsai (1999)"


def buy_and_hold_return(returns: np.ndarray, axis: int = -1) -> np.ndarray:
    """Compounded return :math:`\\prod_t (1 + R_t) - 1` along ``axis``.

    Reference: Barber & Lyon (1997), J. Financial Economics 43(3), the buy-and-hold return.
    Assumes simple (not log) returns; a NaN anywhere gives NaN.
    """
    return np.prod(1.0 + np.asarray(returns, dtype=float), axis=axis) - 1.0


def bhar(stock_returns: np.ndarray, market_returns: np.ndarray, axis: int = -1) -> np.ndarray:
    """Buy-and-hold abnormal return :math:`\\prod_t (1+R_{it}) - \\prod_t (1+R_{mt})`.

    Reference: Barber & Lyon (1997), eq. (2); the benchmark here is the market proxy's own
    buy-and-hold return over the same days (a "market-adjusted" BHAR). Simple returns of the
    same days on both sides; NaN propagates.
    """
    return buy_and_hold_return(stock_returns, axis) - buy_and_hold_return(market_returns, axis)


def lbt_skewness(x: np.ndarray) -> float:
    """Sample skewness coefficient as defined by Lyon, Barber & Tsai (1999).

    .. math:: \\hat\\gamma = \\frac{\\sum_i (x_i - \\bar x)^3}{n\\, s^3},\\qquad
              s^2 = \\frac{1}{n-1}\\sum_i (x_i - \\bar x)^2 .

    Note the ``n - 1`` in :math:`s` and ``n`` in the denominator: this is not
    ``scipy.stats.skew`` (which uses the population moment :math:`m_2^{3/2}`); it equals
    ``scipy.stats.skew(x) * ((n - 1) / n) ** 1.5``. NaN when ``n < 2`` or ``s = 0``.
    """
    x = np.asarray(x, dtype=float)
    s = _sample_sd(x)
    return float("nan") if np.isnan(s) else float(((x - x.mean()) ** 3).sum() / (x.size * s**3))


def _sample_sd(x: np.ndarray) -> float:
    """Sample standard deviation (``n - 1``); NaN when ``n < 2`` or the sample is constant (to
    rounding: :func:`eventstudy.inference.result.spread`)."""
    s = spread(x)
    return s if s > 0 else float("nan")


def skewness_adjusted_t(x: np.ndarray, mu: float = 0.0) -> float:
    """Skewness-adjusted t statistic of Lyon, Barber & Tsai (1999, J. Finance 54(1), 165-201).

    .. math::

        t_{sa} = \\sqrt{n}\\left(S + \\tfrac{1}{3}\\hat\\gamma S^2 + \\tfrac{1}{6n}\\hat\\gamma\\right),
        \\qquad S = \\frac{\\bar x - \\mu}{s},

    with :math:`\\hat\\gamma` from :func:`lbt_skewness` and :math:`s` the sample standard
    deviation (``n - 1``). It corrects the conventional :math:`t = \\sqrt{n} S` for the
    positive skewness of long-horizon abnormal returns (Johnson 1978's transformation).
    Assumes independent observations. NaN when ``n < 2`` or the sample is constant.

    The transformation is a quadratic in S, increasing only while
    :math:`1 + \\tfrac{2}{3}\\hat\\gamma S > 0`: beyond that (a large standardized mean against a
    skew of the opposite sign, :math:`\\hat\\gamma S \\le -1.5`) a larger mean gives a smaller
    :math:`t_{sa}`, which takes the opposite sign of the mean (eleven trades losing about 3% and a flat
    one: t = -10.9, :math:`t_{sa}` = +18.8), so it tests nothing there (Hall 1992 gives a
    monotone cubic instead): NaN, the conventional t standing alone. The launch study's values
    are all inside (:math:`|\\hat\\gamma S| \\le 1.05`).
    """
    x = np.asarray(x, dtype=float)
    n, s = x.size, _sample_sd(x)
    if np.isnan(s):
        return float("nan")
    S = (x.mean() - mu) / s
    gamma = ((x - x.mean()) ** 3).sum() / (n * s**3)  # lbt_skewness, with the s already at hand
    if 1.0 + 2.0 * gamma * S / 3.0 <= 0.0:  # the decreasing branch of the quadratic
        return float("nan")
    return float(np.sqrt(n) * (S + gamma * S**2 / 3.0 + gamma / (6.0 * n)))


MIN_RESAMPLE_SIZE = 3
"""Fewest observations per bootstrap resample: a sample skewness needs three values."""


def bootstrap_resample_size(n: int, fraction: float = 0.25) -> int:
    """:math:`n_b = \\lfloor n \\cdot fraction \\rfloor`, the resample size of
    :func:`bootstrap_skewness_adjusted_p` (0 when below :data:`MIN_RESAMPLE_SIZE`: no p-value)."""
    n_b = int(n * fraction)
    return n_b if n_b >= MIN_RESAMPLE_SIZE else 0


def bootstrap_skewness_adjusted_p(
    x: np.ndarray,
    t_sa: float,
    *,
    draws: int = 1000,
    fraction: float = 0.25,
    seed: int = 0,
) -> float:
    """Two-sided p-value of ``t_sa`` against its bootstrap distribution under the null.

    Lyon, Barber & Tsai (1999): draw ``draws`` resamples of size
    :math:`n_b = \\lfloor n \\cdot fraction \\rfloor` (they use ``n/4`` and 1,000 resamples)
    with replacement, and compute on each

    .. math:: t^*_{sa,b} = \\sqrt{n_b}\\left(S_b + \\tfrac{1}{3}\\hat\\gamma_b S_b^2
              + \\tfrac{1}{6 n_b}\\hat\\gamma_b\\right),\\qquad
              S_b = \\frac{\\bar x_b - \\bar x}{s_b},

    i.e. centred at the full-sample mean so that the resamples obey the null. The null is
    rejected at level :math:`\\alpha` when ``t_sa`` lies outside the :math:`\\alpha/2` and
    :math:`1-\\alpha/2` quantiles of :math:`t^*`; the matching p-value is
    :math:`2\\min(\\Pr^*(t^* \\le t_{sa}), \\Pr^*(t^* \\ge t_{sa}))`, capped at 1. Resamples with
    :math:`s_b = 0` are dropped. Reproducible: ``numpy.random.default_rng(seed)``.

    Minimum sample: each resample needs :data:`MIN_RESAMPLE_SIZE` = 3 values for a sample
    skewness, so with LBT's ``fraction`` = 1/4 the p-value needs n >= 12; below that (or when
    ``t_sa`` is NaN) it is NaN. The resample size is never raised above
    :math:`\\lfloor n/4 \\rfloor` to reach 3: resamples of 3 out of 5 values are not LBT's
    bootstrap, and their few distinct values make a p-value of little meaning.

    Resamples draw positions into ``x`` sorted, so the order of the observations (of the
    trades, of the rows of ``events.csv``) does not change the p-value.
    """
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    n_b = bootstrap_resample_size(n, fraction)
    if n_b == 0 or not np.isfinite(t_sa):
        return float("nan")
    rng = np.random.default_rng(seed)
    sample = x[rng.integers(0, n, size=(draws, n_b))]
    mean_b = sample.mean(axis=1)
    sd_b = sample.std(axis=1, ddof=1)
    usable = sd_b > SPREAD_TOLERANCE * np.abs(sample).max(axis=1)  # a spread, not rounding noise
    sample, mean_b, sd_b = sample[usable], mean_b[usable], sd_b[usable]
    if sample.shape[0] == 0:
        return float("nan")
    S_b = (mean_b - x.mean()) / sd_b
    gamma_b = ((sample - mean_b[:, None]) ** 3).sum(axis=1) / (n_b * sd_b**3)
    t_b = np.sqrt(n_b) * (S_b + gamma_b * S_b**2 / 3.0 + gamma_b / (6.0 * n_b))
    tail = min(np.mean(t_b <= t_sa), np.mean(t_b >= t_sa))
    return float(min(1.0, 2.0 * tail))


@dataclass(frozen=True)
class MeanInference:
    """Tests that the mean of a cross-section of returns is zero.

    Attributes
    ----------
    n
        Observations used (non-NaN).
    mean, median, sd
        Sample mean, median and standard deviation (``n - 1``).
    skewness
        :func:`lbt_skewness`.
    t, p
        Conventional :math:`t = \\bar x / (s/\\sqrt n)`, two-sided p from Student's t, n-1 df.
    t_sa, p_sa
        :func:`skewness_adjusted_t`; p two-sided from Student's t with n-1 df (the same
        reference distribution as the conventional t; asymptotically normal).
    p_boot
        :func:`bootstrap_skewness_adjusted_p` (NaN below n = 12: resamples of n/4 need 3 values).
    share_positive
        Fraction of observations above zero (the hit rate for trade returns).
    """

    __test__: ClassVar[bool] = False

    n: int
    mean: float
    median: float
    sd: float
    skewness: float
    t: float
    p: float
    t_sa: float
    p_sa: float
    p_boot: float
    share_positive: float


def mean_inference(x: np.ndarray, *, draws: int = 1000, seed: int = 0) -> MeanInference:
    """Conventional and skewness-adjusted tests of a zero mean (Lyon, Barber & Tsai 1999).

    NaN values are dropped first. Observations are assumed independent: overlapping holding
    periods of the same stock, or parties of one announcement, are not, so the p-values are
    optimistic when they overlap.
    """
    x = np.asarray(x, dtype=float)
    x = np.sort(x[~np.isnan(x)])  # sums in one order, whatever the order of the observations
    n = x.size
    nan = float("nan")
    if n == 0:
        return MeanInference(0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else nan
    t = mean / (_sample_sd(x) / np.sqrt(n))
    t_sa = skewness_adjusted_t(x)
    return MeanInference(
        n=n,
        mean=mean,
        median=float(np.median(x)),
        sd=sd,
        skewness=lbt_skewness(x),
        t=float(t),
        p=_p_student(t, n - 1),
        t_sa=t_sa,
        p_sa=_p_student(t_sa, n - 1),
        p_boot=bootstrap_skewness_adjusted_p(x, t_sa, draws=draws, seed=seed),
        share_positive=hit_rate(x),
    )


def holding_clusters(start: np.ndarray, end: np.ndarray, *, entry_day_held: bool = False) -> np.ndarray:
    """(n,) codes 0..G-1 of the clusters of holds chained by shared days of returns.

    Parameters
    ----------
    start, end
        (n,) the session each hold is bought at and the session it is sold at (dates, no NaT).
    entry_day_held
        False for holds bought at the close of ``start`` (their returns are the days after it
        up to ``end``), True for holds bought at its open (``start``'s own return is theirs).

    Notes
    -----
    Two holds share a day when their days of returns intersect; a cluster is a chain of such
    holds (sorted by ``start``, a hold opens a new cluster when it starts after every earlier
    one has ended). Holds bought at one session are one cluster, as are those of sessions whose
    holding periods overlap.
    """
    first = np.asarray(start, dtype="datetime64[ns]")
    last = np.asarray(end, dtype="datetime64[ns]")
    if np.isnat(first).any() or np.isnat(last).any():
        raise ValueError("every hold needs the sessions it is bought and sold at")
    if first.size == 0:
        return np.zeros(0, dtype=np.intp)
    order = np.lexsort((last, first))
    first, last = first[order].view(np.int64), last[order].view(np.int64)
    reach = np.maximum.accumulate(last)  # the latest end of the holds so far
    apart = first[1:] > reach[:-1] if entry_day_held else first[1:] >= reach[:-1]
    codes = np.empty(order.size, dtype=np.intp)
    codes[order] = np.concatenate([[0], np.cumsum(apart)])
    return codes


def overlap_clustered_mean(
    values: np.ndarray, start: np.ndarray, end: np.ndarray, *, entry_day_held: bool = False
) -> ClusterMean:
    """The mean of the holds' returns ``values`` with a standard error clustered by
    :func:`holding_clusters`, its t and two-sided p (NaN values are left out first).

    Parameters
    ----------
    values
        (n,) returns of the holds (net abnormal returns of trades, or BHARs).
    start, end, entry_day_held
        As :func:`holding_clusters` (a NaT is allowed where the value is NaN).

    Returns
    -------
    ClusterMean
        Mean, CRV1 standard error, t, G - 1 degrees of freedom, p, n and (G,); NaN t and p
        below two clusters.

    Notes
    -----
    :math:`\\hat V = \\frac{G}{G-1} n^{-2} \\sum_g \\big(\\sum_{i \\in g} (x_i - \\bar x)\\big)^2`
    over the G clusters and :math:`t = \\bar x / \\sqrt{\\hat V}` against Student's t with
    G - 1 degrees of freedom (CRV1 of a regression on a constant:
    :func:`eventstudy.inference.cluster.cluster_robust_mean`). The returns of one cluster may be
    correlated in any way: parties bought at one session share every later day's news, and holds
    of different sessions share the days where they overlap (the conventional and skewness-
    adjusted t of :func:`mean_inference` take both for independent draws). Assumes the clusters
    independent of one another (holds of one ticker in clusters apart are taken for independent)
    and many of them: with few clusters, or one that holds most returns, the test still
    over-rejects (Cameron & Miller 2015; MacKinnon & Webb 2017). With every hold a cluster of its
    own it is the conventional t.

    References
    ----------
    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2011). Robust inference with multiway
    clustering. *Journal of Business & Economic Statistics*, 29(2), 238-249.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    *Journal of Human Resources*, 50(2), 317-372.
    MacKinnon, J. G., & Webb, M. D. (2017). Wild bootstrap inference for wildly different cluster
    sizes. *Journal of Applied Econometrics*, 32(2), 233-254.
    """
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values)
    first = np.asarray(start, dtype="datetime64[ns]")[keep]
    last = np.asarray(end, dtype="datetime64[ns]")[keep]
    return cluster_robust_mean(values[keep], holding_clusters(first, last, entry_day_held=entry_day_held))


def _p_student(t: float, df: int) -> float:
    if not (np.isfinite(t) and df > 0):
        return float("nan")
    return float(2.0 * stats.t.sf(abs(t), df))


def hit_rate(returns: np.ndarray) -> float:
    """Fraction of (non-NaN) returns strictly above zero; NaN for no returns."""
    returns = np.asarray(returns, dtype=float)
    returns = returns[~np.isnan(returns)]
    return float(np.mean(returns > 0)) if returns.size else float("nan")


def annualised_sharpe(daily_returns: np.ndarray, periods_per_year: int = TRADING_DAYS_PER_YEAR) -> float:
    """Annualised Sharpe ratio :math:`\\sqrt{252}\\,\\bar r / s_r` of daily returns.

    Reference: Sharpe (1994), J. Portfolio Management 21(1); the :math:`\\sqrt{252}` scaling
    assumes serially uncorrelated daily returns (Lo 2002, Financial Analysts Journal 58(4)).
    Convention: 252 trading days a year, excess over a zero risk-free rate (the backtest does
    not earn interest on idle cash either), sample standard deviation (``n - 1``). NaN with
    fewer than two returns or zero variance.
    """
    r = np.asarray(daily_returns, dtype=float)
    r = r[~np.isnan(r)]
    if r.size < 2:
        return float("nan")
    sd = _sample_sd(r)
    return float(np.sqrt(periods_per_year) * r.mean() / sd)


def exposure_matched_returns(market_returns: np.ndarray, invested: np.ndarray) -> np.ndarray:
    """The market's daily returns on the days the strategy is invested, 0 (cash) on the others.

    Formula: :math:`r^{*}_t = \\mathbb{1}[n_t > 0]\\, R_{mt}`, with :math:`n_t` the positions the
    strategy holds on day t and :math:`R_{mt}` the market's close-to-close return (NaN kept).

    A benchmark with the strategy's exposure in time: the market held every day is invested on
    every day, an event-driven strategy only on the days after its announcements, so their Sharpe
    ratios, drawdowns and total returns compare unlike exposures (and, cash earning 0 on both sides,
    the matched benchmark takes the zero risk-free rate of the idle days as the strategy does).
    It matches the days, not the gross exposure's sign: a short position's day counts as invested,
    and the benchmark is long the market on it. Convention of this package (no reference).
    """
    market_returns = np.asarray(market_returns, dtype=float)
    idle = np.where(np.isnan(market_returns), np.nan, 0.0)  # a day without a return stays without one
    return np.where(np.asarray(invested, dtype=bool), market_returns, idle)


def compound(returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equity of a strategy that starts with 1 and earns ``returns`` (NaN: 0), stopped at ruin.

    Formula: :math:`E_t = \\prod_{s \\le t} (1 + r_s)` until the first day with
    :math:`r_s \\le -1`, and :math:`E_t = 0` from that day on. A loss of all the capital in one day
    (possible with short positions or costs) ruins the strategy: it has nothing left to trade,
    so its later returns are 0, where the bare product would compound a negative wealth into a
    positive one on the next losing day.

    Returns
    -------
    equity
        (T,) :math:`E_t`, in :math:`[0, \\infty)`.
    returns
        (T,) the returns earned: ``returns`` up to the day of ruin, 0 after it (NaN kept).
    """
    earned = np.array(returns, dtype=float)
    growth = 1.0 + np.where(np.isnan(earned), 0.0, earned)
    equity = np.cumprod(growth)
    ruin = np.flatnonzero(growth <= 0.0)
    if ruin.size:
        equity[ruin[0] :] = 0.0
        later = earned[ruin[0] + 1 :]
        later[~np.isnan(later)] = 0.0
    return equity, earned


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Drawdown path :math:`E_t / \\max_{s \\le t} E_s - 1` (zero at each new high, else negative)."""
    equity = np.asarray(equity, dtype=float)
    return equity / np.maximum.accumulate(equity) - 1.0


def max_drawdown(equity: np.ndarray) -> float:
    """Maximum drawdown :math:`\\min_t (E_t / \\max_{s \\le t} E_s - 1)`, a number in [-1, 0].

    The largest peak-to-trough loss of the equity curve as a fraction of the peak
    (Grossman & Zhou 1993, Mathematical Finance 3(3)). NaN for an empty curve.
    """
    equity = np.asarray(equity, dtype=float)
    if equity.size == 0:
        return float("nan")
    return float(drawdown(equity).min())

"""Bootstrap over events: a studentized test of the CAAR and a band for the CAAR path.

Events ((event, firm) pairs) are resampled with replacement, B times, from
``numpy.random.default_rng(seed)``; the same seed gives the same numbers. A resample is N
indices drawn uniformly from 0..N-1 (``Generator.integers``, 64-bit, so the stream does not
depend on how the draws are chunked) into the pairs sorted by their values (:func:`value_order`),
so the same pairs in another order (the rows of ``events.csv`` shuffled) give the same
resamples, and a resampled mean is the mean of the drawn values:
O(B·N) time (O(B·N·L) for a path of L days), with memory bounded by processing the draws in
chunks of about ``_CHUNK_CELLS`` numbers (``_COUNT_CELLS``, at least ``_COUNT_DRAWS`` draws, for
:func:`bootstrap_t_tests`).

:func:`bootstrap_t_tests` tests several columns (the CARs of several windows), those of as many
usable values from one set of resamples: the draws, the most expensive part, are made once, and
each resample's sums for every such column come from one matrix product of its draw counts
(see its docstring).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from eventstudy.blocks import single_thread_product

from .result import SPREAD_TOLERANCE, Alternative, TestResult, check_alternative, empty_result, result, spread

REF_BOOTSTRAP = "Efron & Tibshirani (1993); Hall (1992) bootstrap-t"
_CHUNK_CELLS = 1 << 18  # numbers per chunk of draws: 2 MB of indices, cache-resident
_COUNT_CELLS = 1 << 16  # draws per chunk of bootstrap_t_tests: its count matrix stays in L2
_COUNT_DRAWS = 16
"""Fewest draws per chunk of :func:`bootstrap_t_tests`: one or two count rows per chunk would
read the whole design for each draw, so from 4,096 pairs on the count matrix outgrows L2
instead (16 draws x 200,000 pairs is 25 MB)."""


@dataclass(frozen=True)
class CaarBand:
    """Pointwise bootstrap (expanded) percentile band of the CAAR path.

    Attributes
    ----------
    caar
        (L,) CAAR from the window's first day to each day.
    lower, upper
        (L,) bounds at ``level`` (NaN with fewer than :func:`band_minimum_pairs` pairs).
    level
        Coverage, e.g. 0.95.
    draws
        Number of bootstrap resamples B.
    n
        Number of pairs with a complete path.
    """

    caar: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    draws: int
    n: int


def value_order(values: np.ndarray) -> np.ndarray:
    """The order of the rows of (N, K) ``values`` sorted by their values, the first column first.

    A resample draws positions into the pairs in this order, so the bootstrap depends on the
    set of pairs only, not on the order they came in (the rows of ``events.csv``, the
    partitions of a cluster). Rows that tie in every column are interchangeable: any order of
    them gives the same resampled statistics. NaN sorts last (``numpy.lexsort``). O(N log N)
    per column. (:func:`bootstrap_t_tests` sorts each column on its own instead.)
    """
    v = np.asarray(values, dtype=float)
    if v.shape[1] == 0:  # rows without values: all alike
        return np.arange(v.shape[0])
    return np.lexsort(v.T[::-1])


def _resample_indices(rng: np.random.Generator, n: int, draws: int, cells: int) -> Iterator[np.ndarray]:
    """Yield (chunk, n) resampled indices, ``draws`` rows in total, about ``cells`` per chunk."""
    chunk = max(1, min(draws, cells // max(n, 1)))
    done = 0
    while done < draws:
        size = min(chunk, draws - done)
        yield rng.integers(0, n, size=(size, n), dtype=np.int64)
        done += size


def _draw_counts(index: np.ndarray, tally: np.ndarray) -> np.ndarray:
    """How many times each of the N items is drawn in one resample ``index`` (N draws), counted
    in ``tally``, N one-byte counters: an N-counter array that stays in the CPU cache where
    ``numpy.bincount``'s eight-byte ones no longer do. A count above 255 (possible only for
    N > 255, and then with a probability far below 1e-300) wraps, and the counts no longer sum to
    N: those draws are counted again with ``bincount``."""
    tally[:] = 0
    np.add.at(tally, index, np.uint8(1))
    if int(tally.sum(dtype=np.int64)) != index.size:
        return np.bincount(index, minlength=tally.size)
    return tally


def bootstrap_t_test(
    car: np.ndarray,
    *,
    draws: int = 999,
    seed: int | None = 0,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Bootstrap-t test of the mean CAR, resampling events with replacement.

    Formula: :math:`t = \\overline{CAR}\\sqrt{N}/s` (the cross-sectional t) and, for each
    resample b, :math:`t^*_b = (\\overline{CAR}^*_b - \\overline{CAR})\\sqrt{N}/s^*_b`. The
    p-value compares t with the bootstrap distribution of :math:`t^*` (which imposes the null by
    centring): two-sided :math:`(1 + \\#\\{|t^*_b| \\ge |t|\\})/(B + 1)`, one-sided with the
    matching tail. The value reported is t. Missing CARs (NaN) are dropped first; each resample
    draws N of the remaining CARs, sorted, so their order does not matter.

    Reference: Efron & Tibshirani (1993), *An Introduction to the Bootstrap*; Hall (1992),
    *The Bootstrap and Edgeworth Expansion*.

    Assumptions: pairs i.i.d. (independent events); no normality needed. Deterministic given
    ``seed``. Cost O(B·N).
    """
    check_alternative(alternative)
    if draws < 1:
        raise ValueError("draws must be positive")
    x = np.asarray(car, dtype=float)
    x = x[np.isfinite(x)]
    return bootstrap_t_tests(
        x[:, None], np.ones((x.size, 1), dtype=bool), draws=draws, seed=seed, alternative=alternative
    )[0]


def bootstrap_t_tests(
    values: np.ndarray,
    usable: np.ndarray,
    *,
    draws: int = 999,
    seed: int | None = 0,
    alternative: Alternative = "two-sided",
) -> list[TestResult]:
    r""":func:`bootstrap_t_test` of several columns (e.g. the CARs of several windows): each
    column's test is that of its usable values alone, the columns of as many usable values
    sharing one set of resamples.

    Formula: column w's :math:`n_w` usable values, sorted, :math:`x_{(1)} \le \dots \le
    x_{(n_w)}`; resample b draws :math:`n_w` positions into them with replacement
    (``Generator.integers(0, n_w)``, the stream of ``numpy.random.default_rng(seed)``, the same
    draws for every column of :math:`n_w` values), position j drawn :math:`c_{bj}` times:
    :math:`\bar x^*_{bw} = \sum_j c_{bj}x_{(j)}/n_w`, :math:`s^{*2}_{bw}` their (n-1) variance
    from :math:`\sum_j c_{bj}x_{(j)}^2`, and
    :math:`t^*_{bw} = (\bar x^*_{bw} - \bar x_w)\sqrt{n_w}/s^*_{bw}`, compared with
    :math:`t_w = \bar x_w\sqrt{n_w}/s_w` as in :func:`bootstrap_t_test`: two-sided
    :math:`p_w = (1 + \#\{|t^*_{bw}| \ge |t_w|\})/(B + 1)` (a resample mean within
    :data:`~eventstudy.inference.result.SPREAD_TOLERANCE` of the values' size from the sample's
    is the sample's: t* = 0).

    Each column's result is exactly :func:`bootstrap_t_test` of its usable values: it depends on
    them only, neither on the other columns nor on the order of the pairs (the rows of
    ``events.csv``), nor on pairs it cannot use (a row left out of every statistic, outcome
    ``market_proxy`` or ``insufficient_estimation``: drawing those too moved the p's).
    Deterministic given ``seed``.

    Implementation: per chunk of resamples, the draw counts :math:`c_{bj}` (one-byte counters a
    draw) times the (n, 2W) matrix of :math:`x` and :math:`x^2` (one matrix product for every
    column of n values, by blocks of columns on one thread), so the cost is that of drawing the
    indices plus O(B·n·W) multiply-adds, linear in n and independent of how busy the machine
    is, instead of W gathers of B·n values.

    Reference: Efron & Tibshirani (1993), *An Introduction to the Bootstrap*; Hall (1992),
    *The Bootstrap and Edgeworth Expansion*.

    Assumptions: pairs i.i.d. (independent events); no normality needed.

    Cost O(B·N·W) time, memory O(N·W + chunk).

    Parameters
    ----------
    values
        (N, W) the values of each pair and column (ignored where not usable).
    usable
        (N, W) bool, the pairs that enter each column.

    Returns
    -------
    list[TestResult]
        One ``bootstrap_t`` result per column; n is the number of usable pairs of the column.
    """
    check_alternative(alternative)
    if draws < 1:
        raise ValueError("draws must be positive")
    x = np.atleast_2d(np.asarray(values, dtype=float))
    ok = np.asarray(usable, dtype=bool) & np.isfinite(x)
    results: list[TestResult] = []
    by_size: dict[int, list[tuple[int, np.ndarray, float, float]]] = {}
    # the row says how precise its p is, not the README alone (a referee)
    reference = f"{REF_BOOTSTRAP}; {draws} draws, seed {seed}: Monte-Carlo s.e. of p ≈ √(p(1 − p)/{draws})"
    for w in range(x.shape[1]):
        column = np.sort(x[ok[:, w], w])  # positions are drawn into the sorted values
        n = column.size
        results.append(empty_result("bootstrap_t", reference, n))
        sd = spread(column)
        if n < 2 or sd == 0:
            continue
        mean = column.mean()
        by_size.setdefault(n, []).append((w, column, mean, mean * np.sqrt(n) / sd))
    for n, tested in by_size.items():
        extreme = _extreme_draws(
            np.column_stack([column for _, column, _, _ in tested]),
            np.array([mean for _, _, mean, _ in tested]),
            np.array([t for *_, t in tested]),
            draws=draws,
            seed=seed,
            alternative=alternative,
        )
        for j, (w, _, _, t_obs) in enumerate(tested):
            p = (1.0 + int(extreme[j])) / (draws + 1.0)
            results[w] = result("bootstrap_t", t_obs, p, n, reference)
    return results


def _extreme_draws(
    x: np.ndarray,
    means: np.ndarray,
    t_obs: np.ndarray,
    *,
    draws: int,
    seed: int | None,
    alternative: Alternative,
) -> np.ndarray:
    """(k,) how many of ``draws`` resamples of the n rows of (n, k) ``x`` (each column sorted)
    give a t* at least as extreme as ``t_obs`` (:func:`bootstrap_t_tests`)."""
    n, k = x.shape
    # The resample variance is m2 - m1^2 of the values centred on the sample mean: of the raw
    # values it cancels when their spread is far below their level (CARs of 0.05 +- 1e-9 gave a
    # p of 0.150 for 0.001). t* is unchanged by the shift, mean*_b - mean being linear.
    x = x - means
    means = x.mean(axis=0)
    design = np.ascontiguousarray(np.concatenate([x, x * x], axis=1).T)  # (2k, n)
    extreme = np.zeros(k, dtype=np.int64)
    rng = np.random.default_rng(seed)
    cells = max(_COUNT_CELLS, _COUNT_DRAWS * n)
    counts = np.empty((max(1, min(draws, cells // n)), n))
    tally = np.empty(n, dtype=np.uint8)
    with np.errstate(invalid="ignore", divide="ignore"):
        for index in _resample_indices(rng, n, draws, cells):
            chunk = index.shape[0]
            # One count a draw: it scatters into n counters, which stay in the CPU cache; one
            # bincount of the chunk's (chunk x n) matrix scattered over all of it (1.8 times
            # the time at 200,000 pairs, growing with n). The same integers, as floats.
            for b in range(chunk):
                counts[b] = _draw_counts(index[b], tally)
            # (chunk, 2k): sum and sum of squares. A block of columns at a time: one product over
            # all n columns rereads them from memory for every sum once they outgrow the CPU
            # cache, and BLAS threads of these skinny products slow a busy machine.
            sums = np.empty((chunk, design.shape[0]))
            single_thread_product(counts[:chunk], design, sums)
            m1 = sums[:, :k] / n
            m2 = sums[:, k:] / n
            var = np.maximum(m2 - m1 * m1, 0.0) * n / (n - 1)
            # A resample mean equal to the sample's is a t* of 0 (a tie with a t of 0), not the
            # sign of its rounding, which depends on the product's summation order and so on the
            # other columns tested with it: as spread() does, a difference within SPREAD_TOLERANCE
            # of the (centred) values' size is none.
            shift = m1 - means
            shift[np.abs(shift) <= SPREAD_TOLERANCE * np.sqrt(m2)] = 0.0
            t_star = shift * np.sqrt(n) / np.sqrt(var)
            if alternative == "two-sided":
                extreme += np.count_nonzero(np.abs(t_star) >= np.abs(t_obs), axis=0)
            elif alternative == "greater":
                extreme += np.count_nonzero(t_star >= t_obs, axis=0)
            else:
                extreme += np.count_nonzero(t_star <= t_obs, axis=0)
    return extreme


CAAR_BAND = "expanded_percentile"
"""The method of :func:`bootstrap_caar_band`, which a folder's manifest records (``caar_band``):
the report describes a folder written before (the plain percentile band) as it was drawn."""


def band_minimum_pairs(level: float) -> int:
    """The fewest pairs whose bootstrap band can cover the CAAR with probability ``level``.

    A resampled mean lies between the smallest and the largest CAR, and so does the band; N
    CARs of a symmetric distribution all fall on one side of its mean with probability
    :math:`2^{1-N}`, so no band of N pairs covers more than :math:`1 - 2^{1-N}`: at least
    :math:`N \\ge 1 + \\log_2(1/(1-\\text{level}))` pairs (6 at 95%, 5 at 90%)."""
    if not 0.0 < level < 1.0:
        raise ValueError("level must be in (0, 1)")
    return int(np.ceil(1.0 + np.log2(1.0 / (1.0 - level)) - 1e-12))


def bootstrap_caar_band(
    car_path: np.ndarray, *, draws: int = 999, seed: int | None = 0, level: float = 0.95
) -> CaarBand:
    """Pointwise expanded percentile band of the CAAR path, resampling events with replacement.

    Formula: :math:`CAAR_\\tau = N^{-1}\\sum_i CAR_i(\\tau_1, \\tau)`; for each resample b the
    path :math:`CAAR^*_{b\\tau}`; the band is the :math:`\\alpha'/2` and :math:`1-\\alpha'/2`
    quantiles of :math:`CAAR^*_{b\\tau}` at each τ, with Hesterberg's (2015) expanded tail
    :math:`\\alpha'/2 = \\Phi(-\\sqrt{N/(N-1)}\\,t_{1-\\alpha/2,\\,N-1})`,
    :math:`\\alpha = 1 - \\text{level}`. The plain percentile band (tail :math:`\\alpha/2`) is
    too narrow with few pairs: the bootstrap's variance of the mean is :math:`(N-1)/N` of the
    sample's and it takes normal, not t, quantiles (simulated with 5 normal CARs it covers 84% at
    95%, 91% with 12; the expanded band 92% and 94%). All days of one resample use the same
    events, so the band keeps the serial dependence of the path.

    References: Efron & Tibshirani (1993), ch. 13 (percentile intervals); Hesterberg, T. C.
    (2015), "What Teachers Should Know About the Bootstrap", *The American Statistician* 69(4),
    371-386 (the expanded percentile interval).

    Assumptions: i.i.d. pairs; pairs with a missing day in the path are left out. With fewer
    than :func:`band_minimum_pairs` pairs (6 at 95%) the band is NaN: it lies within the range of
    the CARs, which covers the mean less often than ``level``. Deterministic given ``seed`` and
    the set of paths (resamples draw from the paths in :func:`value_order`). Cost O(B·N·L).

    Parameters
    ----------
    car_path
        (N, L) running CARs (``EventPanel.car_path``).
    """
    if draws < 1:
        raise ValueError("draws must be positive")
    if not 0.0 < level < 1.0:
        raise ValueError("level must be in (0, 1)")
    path = np.atleast_2d(np.asarray(car_path, dtype=float))
    path = path[np.isfinite(path).all(axis=1)]
    path = path[value_order(path)]
    n, length = path.shape
    nan = np.full(length, np.nan)
    if n < band_minimum_pairs(level):
        caar = path.mean(axis=0) if n else nan.copy()
        return CaarBand(caar, nan, nan.copy(), level, draws, n)
    from scipy import stats

    rng = np.random.default_rng(seed)
    draws_per_chunk = _resample_indices(rng, n, draws, _CHUNK_CELLS // max(length, 1))
    resampled = np.concatenate([path[index].mean(axis=1) for index in draws_per_chunk])
    tail = float(stats.norm.cdf(-np.sqrt(n / (n - 1.0)) * stats.t.ppf(1.0 - (1.0 - level) / 2.0, n - 1)))
    lower, upper = np.quantile(resampled, [tail, 1.0 - tail], axis=0)
    return CaarBand(path.mean(axis=0), lower, upper, level, draws, n)

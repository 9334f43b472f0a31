"""Nonparametric tests: sign, generalized sign, Corrado rank, Corrado-Zivney sign, GRANK, Wilcoxon.

Pure functions on arrays; NaN marks a missing observation. ``n`` is the number of (event, firm)
pairs that entered the event-window part of the statistic.

The rank and Corrado-Zivney sign tests work on each pair's *combined sample* (estimation
window followed by the event-window columns given) and on the cross-sectional mean of the
centred scores by relative day. Their conventions are explicit keyword arguments because
published versions (and estudy2) differ; the defaults are the textbook form:

* ``scores="uniform"``: :math:`U_{it} = K_{it}/(T_i + 1)` (Corrado & Zivney 1992), comparable
  across pairs with different numbers :math:`T_i` of valid observations; ``"raw"`` uses the
  ranks :math:`K_{it}` themselves (Corrado 1989), centred at :math:`(T_i+1)/2`;
* ``day_scaling="sqrt"``: day statistic :math:`D_t = n_t^{-1/2}\\sum_i (U_{it} - 1/2)`, whose
  variance does not depend on the number :math:`n_t` of pairs present (Corrado & Zivney 1992;
  Kolari & Pynnönen 2011); ``"mean"`` uses :math:`D_t = n_t^{-1}\\sum_i (\\cdot)` (Corrado 1989);
* ``variance_divisor="days"``: :math:`S^2 = T^{-1}\\sum_t D_t^2` over the T days of the combined
  sample with data; ``"mean_observations"`` divides by the mean of :math:`T_i` (estudy2);
* ``missing="sum"``: :math:`\\sum_i` runs over the pairs present; ``"rescale"`` multiplies the
  mean over the pairs present by the number of pairs N (estudy2's ``rowMeans(x) * ncol(x)``),
  which inflates days with missing pairs by :math:`N/n_t`;
* ``centering="firm"``: each score is centred by its own pair's expectation; ``"pooled"``
  centres the day mean by the mean expectation over all pairs (estudy2's ``car_rank_test``).

For a window of L days the day statistics are cumulated as in Cowan (1992):
:math:`Z = \\sum_{t \\in W} D_t / (\\sqrt{L}\\,S)`; for one day this is Corrado's statistic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from eventstudy.blocks import row_blocks

from .result import (
    Alternative,
    TestResult,
    check_alternative,
    empty_result,
    p_normal,
    p_student,
    result,
    spread,
)

Scores = Literal["uniform", "raw"]
DayScaling = Literal["sqrt", "mean"]
Divisor = Literal["days", "mean_observations"]
Missing = Literal["sum", "rescale"]
Centering = Literal["firm", "pooled"]
PHat = Literal["firm", "pooled"]

REF_SIGN = "Brown & Warner (1980); binomial sign test"
REF_GSIGN = "Cowan (1992)"
_NO_EVENT_VARIANCE = "; assumes no event-induced variance (grank_t allows it: Kolari & Pynnönen 2011)"
REF_RANK = "Corrado (1989); Cowan (1992) for multi-day windows" + _NO_EVENT_VARIANCE
REF_MRANK = "Corrado & Zivney (1992); Cowan (1992) for multi-day windows" + _NO_EVENT_VARIANCE
REF_CSIGN = "Corrado & Zivney (1992)"
REF_GRANK = "Kolari & Pynnönen (2011)"
GRANK_NULL_SIZE: tuple[tuple[int, float], ...] = (
    (2, 0.269),
    (3, 0.158),
    (5, 0.105),
    (8, 0.078),
    (12, 0.068),
    (25, 0.059),
)
"""(pairs, share of null samples rejected at a nominal 5%) of ``grank_t``: i.i.d. normal
standardized residuals, 250 estimation days, 4,000 samples each (Monte-Carlo s.e. 0.34%;
``benchmarks/small_n_size.py``, seed 20261203; 5.2% at 50 pairs). The cross-sectional s.d. of
a few CARs is often small beside their level, so the re-standardized CARs fall at the ends of
the ranking; Corrado's rank test and BMP stay at 4.4-5.4% at every size."""
GRANK_FEW_PAIRS = 50
"""Below this many pairs ``grank_t``'s reference (and the paper tables) say that it over-rejects."""


def grank_small_sample_note(n: int) -> str:
    """What :data:`GRANK_NULL_SIZE` says of a GRANK test of ``n`` pairs ("" from
    :data:`GRANK_FEW_PAIRS` on): the measured size at the simulated numbers of pairs nearest
    ``n``, below and above (one of them when ``n`` is one, or lies outside them: "of 12 pairs"
    beside a test of 23 pairs read as if measured at 23)."""
    if n >= GRANK_FEW_PAIRS:
        return ""
    below = [row for row in GRANK_NULL_SIZE if row[0] <= n] or [GRANK_NULL_SIZE[0]]
    above = [row for row in GRANK_NULL_SIZE if row[0] > n and below[-1][0] < n]
    sizes = " and ".join(f"{size:.1%} of {pairs} pairs" for pairs, size in [below[-1], *above[:1]])
    return (
        f"over-rejects with few pairs ({n} < {GRANK_FEW_PAIRS}): a nominal 5% test rejects "
        f"{sizes.replace(' of ', ' of null samples of ', 1)}"
    )


REF_WILCOXON = "Wilcoxon (1945)"
REF_WILCOXON_EXACT = "Wilcoxon (1945); p from the exact null distribution given the ranks (n <= 50)"
REF_WILCOXON_NORMAL = "Wilcoxon (1945); p from the normal approximation with tie correction (n > 50)"


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def sign_test(car: np.ndarray, *, alternative: Alternative = "two-sided") -> TestResult:
    """Simple binomial sign test of the share of positive CARs (ARs) against 1/2.

    Formula: value :math:`Z = (N^+ - N/2)/\\sqrt{N/4}` (estudy2's ``sign_test``), :math:`N^+`
    the number of CARs > 0 among the N valid nonzero ones. The p-value is the exact binomial
    Bin(N, 1/2) tail probability of :math:`N^+` (two-sided: twice the smaller tail, capped at 1),
    so its size never exceeds the nominal level (for N = 50 the attainable size at 5% is 3.3%).

    A CAR of exactly 0 is neither positive nor negative and is dropped (Conover 1999), as the
    Wilcoxon test drops it: estudy2 counts it as not positive, so ten stale prices (CARs of 0)
    gave Z = -3.16, p = 0.002, a "significant" fall. Without zeros the two agree.

    Reference: Brown & Warner (1980), *JFE* 8, 205-258; McConnell & Muscarella (1985); zeros as
    in Conover (1999), *Practical Nonparametric Statistics*, 3rd ed., section 3.4.

    Assumptions: independent pairs, median abnormal return 0 under the null; the CARs that are
    exactly 0 carry no information on the sign. Cost O(N).
    """
    check_alternative(alternative)
    x = np.asarray(car, dtype=float)
    x = x[np.isfinite(x) & (x != 0)]
    n = x.size
    if n < 1:
        return empty_result("sign_z", REF_SIGN, n)
    k = int((x > 0).sum())
    z = (k - n / 2.0) / np.sqrt(n / 4.0)
    lower = float(stats.binom.cdf(k, n, 0.5))
    upper = float(stats.binom.sf(k - 1, n, 0.5))
    if alternative == "two-sided":
        p = min(1.0, 2.0 * min(lower, upper))
    elif alternative == "greater":
        p = upper
    else:
        p = lower
    return result("sign_z", z, p, n, REF_SIGN)


def generalized_sign_test(
    car: np.ndarray,
    ar_estimation: np.ndarray,
    *,
    p_hat: PHat = "firm",
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Cowan's generalized sign test: positive CARs against the estimation-window share.

    Formula: :math:`Z = (N^+ - N\\hat p)/\\sqrt{N\\hat p(1-\\hat p)}`, standard normal, with
    ``p_hat="firm"`` :math:`\\hat p = N^{-1}\\sum_i M_i^{-1}\\sum_s 1[e_{is} > 0]` (Cowan 1992)
    or ``p_hat="pooled"`` the share of positive residuals over all pair-days (estudy2).
    :math:`\\hat p` uses the pairs whose CAR is valid. Zeros, by Cowan's counts of positive
    values: a CAR of exactly 0 is not in :math:`N^+`, and a residual of exactly 0 is not positive
    in :math:`\\hat p` (unlike :func:`sign_test`, which drops zero CARs). A window of stale prices
    (abnormal returns of exactly 0 under the raw model, or a trading halt) therefore reads as
    fewer positive CARs than :math:`\\hat p` predicts, a "fall": read the rows' thin-trading
    notes and ``sign_z`` beside it.

    Reference: Cowan (1992), *Review of Quantitative Finance and Accounting* 2, 343-358.

    Assumptions: independent pairs; the probability of a positive abnormal return is the same
    in the estimation and event windows (for a multi-day CAR it is approximated by the daily
    share, as in Cowan 1992). Cost O(N·L1).
    """
    check_alternative(alternative)
    _choice("p_hat", p_hat, ("firm", "pooled"))
    c = np.asarray(car, dtype=float)
    est = np.atleast_2d(np.asarray(ar_estimation, dtype=float))
    positive, counts = estimation_signs(est)
    return _generalized_sign(c, positive, counts, p_hat=p_hat, alternative=alternative)


def estimation_signs(ar_estimation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) number of positive and of valid estimation residuals of each pair. Cost O(N·L1),
    a block of rows at a time (no (N, L1) masks)."""
    n_rows, n_cols = ar_estimation.shape
    positive, valid_count = np.empty(n_rows, dtype=np.intp), np.empty(n_rows, dtype=np.intp)
    for rows in row_blocks(n_rows, n_cols, _SIGN_BLOCK_VALUES):
        valid = np.isfinite(ar_estimation[rows])
        valid_count[rows] = np.count_nonzero(valid, axis=1)
        valid &= ar_estimation[rows] > 0  # +inf is not a valid residual
        positive[rows] = np.count_nonzero(valid, axis=1)
    return positive, valid_count


_SIGN_BLOCK_VALUES = 1 << 18
"""Residuals :func:`estimation_signs` reads at a time."""


def _generalized_sign(
    car: np.ndarray,
    positive: np.ndarray,
    counts: np.ndarray,
    *,
    p_hat: PHat = "firm",
    alternative: Alternative = "two-sided",
) -> TestResult:
    """:func:`generalized_sign_test` from the per-pair sign counts of :func:`estimation_signs`."""
    ok = np.isfinite(car)
    c, positive, counts = car[ok], positive[ok], counts[ok]
    has = counts > 0
    n = c.size
    if n < 1 or not has.any():
        return empty_result("generalized_sign_z", REF_GSIGN, n)
    if p_hat == "firm":
        share = float((positive[has] / counts[has]).mean())
    else:
        share = float(positive.sum() / counts.sum())
    if not 0.0 < share < 1.0:
        return empty_result("generalized_sign_z", REF_GSIGN, n)
    k = float((c > 0).sum())
    z = (k - n * share) / np.sqrt(n * share * (1.0 - share))
    return result("generalized_sign_z", z, p_normal(z, alternative), n, REF_GSIGN)


_KEY_MAX_BITS = 20
"""Rows longer than 2**_KEY_MAX_BITS columns are sorted by ``argsort`` alone (see :func:`sort_rows`)."""


class RowOrder:
    """Each row of an (N, L) array sorted (NaN last), with its average ranks.

    Attributes
    ----------
    flat
        (N, L) int64 positions in the flattened (C-order) array of each row's values in
        ascending order, NaN last: row i's column order is ``flat[i] - i * L``, an order that
        ``numpy.argsort`` could give (ties in any order).
    ranks
        (N, L) 1-based average ranks (ties share the average of their positions; NaN where the
        value is NaN), exactly ``scipy.stats.rankdata(values, axis=1, nan_policy="omit")``.
    count
        (N,) non-NaN values per row.
    missing
        (N, L) bool, where the value is NaN.
    sorted_values
        (N, L) each row's values in ascending order (NaN last) when they were gathered on the
        way (:meth:`leading_ranks`), else None (:meth:`ordered` gathers them).

    Built by :func:`sort_rows`.
    """

    def __init__(
        self,
        flat: np.ndarray,
        ranks: np.ndarray,
        count: np.ndarray,
        missing: np.ndarray,
        sorted_values: np.ndarray | None = None,
    ) -> None:
        self.flat = flat
        self.ranks = ranks
        self.count = count
        self.missing = missing
        self.sorted_values = sorted_values

    def ordered(self, values: np.ndarray) -> np.ndarray:
        """(N, L) each row of ``values`` (the array that was sorted) in ascending order."""
        return np.ascontiguousarray(values).reshape(-1).take(self.flat)

    def medians(self, values: np.ndarray) -> np.ndarray:
        """(N,) :func:`row_medians` of ``values`` (the array that was sorted): two gathers per
        row, no sorted copy."""
        n_rows, n_cols = values.shape
        if n_cols == 0:
            return np.zeros(n_rows)
        flat_values = np.ascontiguousarray(values).reshape(-1)
        rows = np.arange(n_rows)
        upper = np.minimum(self.count // 2, n_cols - 1)
        lower = np.maximum(self.count - 1, 0) // 2
        median = (flat_values[self.flat[rows, lower]] + flat_values[self.flat[rows, upper]]) / 2.0
        return np.where(self.count > 0, median, 0.0)

    def leading_ranks(self, columns: int, values: np.ndarray) -> RowOrder:
        """The :class:`RowOrder` of ``values`` ((N, ``columns``)), an order-preserving transform
        of the first ``columns`` columns of the sorted array, without sorting again.

        ``values`` must be ``f(x)`` of the sorted array's first columns ``x`` with ``f``
        non-decreasing on each row and NaN exactly where ``x`` is NaN (e.g. ``x / s_i`` with
        :math:`s_i > 0`). Keeping the sorted array's order of those columns orders each row of
        ``values``; ties that ``f`` creates are found by comparing neighbours, so the ranks are
        exactly those of :func:`sort_rows` on ``values``. Cost O(N·L).
        """
        values = np.ascontiguousarray(values, dtype=float)
        n_rows, n_cols = self.flat.shape
        row = np.arange(n_rows, dtype=np.int64)
        keep = self.flat < (row * n_cols + columns)[:, None]
        flat = self.flat[keep].reshape(n_rows, columns)
        flat -= (row * (n_cols - columns))[:, None]  # positions in the (N, columns) array
        ordered = values.reshape(-1).take(flat)
        return _rank_sorted(flat, ordered, np.isnan(values))


def _average_ranks(ordered: np.ndarray) -> np.ndarray:
    """(n, L) 1-based average rank of each position of rows sorted ascending, NaN last (ties,
    equal neighbours, share the average of their positions; NaN never equals NaN)."""
    n_cols = ordered.shape[1]
    position = np.broadcast_to(np.arange(n_cols), ordered.shape)
    repeats = ordered[:, 1:] == ordered[:, :-1]  # NaN never equals NaN
    if not repeats.any():
        return position + 1.0
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ~repeats
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    ends = np.ones(ordered.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    last = np.minimum.accumulate(np.where(ends, position, n_cols)[:, ::-1], axis=1)[:, ::-1]
    return (first + last) / 2.0 + 1.0


def _rank_sorted(flat: np.ndarray, ordered: np.ndarray, missing: np.ndarray) -> RowOrder:
    """:class:`RowOrder` from each row's flat sort positions and its sorted values (average
    ranks computed on the rows with ties only)."""
    n_rows, n_cols = flat.shape
    ranks = np.empty((n_rows, n_cols))
    ranks_flat = ranks.reshape(-1)
    ranks_flat[flat.reshape(-1)] = np.tile(np.arange(1.0, n_cols + 1.0), n_rows)
    if n_cols > 1:
        tied = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
        if tied.size:
            ranks_flat[flat[tied].reshape(-1)] = _average_ranks(ordered[tied]).reshape(-1)
    ranks[missing] = np.nan
    return RowOrder(flat, ranks, n_cols - missing.sum(axis=1), missing, ordered)


_MAGNITUDE = np.int64(0x7FFF_FFFF_FFFF_FFFF)
_NAN_KEY = np.int64(0x7FF8_0000_0000_0000)  # the keys of NaN start above every number's key


def sort_rows(values: np.ndarray) -> RowOrder:
    """Sort each row of ``values`` (NaN last) and rank it (average ranks for ties).

    Method: each float is mapped to a 64-bit integer with the same order (the IEEE-754 bits,
    negative numbers with their magnitude bits flipped; -0 as +0), its lowest
    :math:`b = \\lceil\\log_2 L\\rceil` bits replaced by its column index, and every row of these
    keys sorted (a plain integer sort, about twice as fast as ``argsort``); the column of each
    sorted key is its low bits. Two keys that agree above the low bits (a tie, or two values
    within :math:`2^{b}` units in the last place) could be out of order, so every row with such
    a neighbour is sorted again by ``numpy.argsort`` with the exact values; every other row has
    strictly increasing values, and its ranks are the positions. The result is therefore exactly
    that of ``argsort`` plus the tie rule of :func:`row_ranks`.

    Cost O(N·L log L) time, O(N·L) memory.
    """
    values = np.ascontiguousarray(np.atleast_2d(np.asarray(values, dtype=float)))
    n_rows, n_cols = values.shape
    missing = np.isnan(values)
    offsets = (np.arange(n_rows, dtype=np.int64) * n_cols)[:, None]
    bits = max(1, (n_cols - 1).bit_length())
    if n_rows == 0 or n_cols == 0 or bits > _KEY_MAX_BITS:
        flat = np.argsort(values, axis=1) + offsets
        return _rank_sorted(flat, values.reshape(-1).take(flat), missing)
    low = np.int64((1 << bits) - 1)
    key = np.add(values, 0.0).view(np.int64)  # a new array; + 0.0 turns -0.0 into +0.0
    work = np.right_shift(key, 63)  # -1 for negative floats, 0 otherwise
    work &= _MAGNITUDE
    key ^= work  # negative floats: magnitude bits flipped, so their order reverses
    key &= ~low
    # NaN: above +inf (0x7FF0...), each column its own key so NaNs never look like near-ties.
    np.copyto(key, _NAN_KEY + (np.arange(n_cols, dtype=np.int64) << bits), where=missing)
    key |= np.arange(n_cols, dtype=np.int64)
    key.sort(axis=1)
    flat = np.bitwise_and(key, low, out=work)  # the column of each sorted value
    flat += offsets
    key >>= bits
    close = key[:, 1:] == key[:, :-1]
    recheck = np.flatnonzero(close.any(axis=1))
    del close
    ranks = key.view(np.float64)  # the keys are no longer needed: their memory holds the ranks
    ranks_flat = ranks.reshape(-1)
    ranks_flat[flat.reshape(-1)] = np.tile(np.arange(1.0, n_cols + 1.0), n_rows)
    if recheck.size:  # rows with ties or near-ties: argsort with the exact values
        part = values[recheck]
        part_flat = np.argsort(part, axis=1) + offsets[: recheck.size]
        exact = _rank_sorted(part_flat, part.reshape(-1).take(part_flat), missing[recheck])
        flat[recheck] = part_flat + (offsets[recheck] - offsets[: recheck.size])
        ranks[recheck] = exact.ranks
    ranks[missing] = np.nan
    return RowOrder(flat, ranks, n_cols - missing.sum(axis=1), missing)


def row_ranks(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average ranks along each row, NaN omitted (``scipy.stats.rankdata(values, axis=1,
    nan_policy="omit")``), with the sorted rows and their counts of non-NaN values.

    Returns
    -------
    ranks, ordered, count
        (N, L) 1-based ranks (ties share their average rank; NaN where ``values`` is NaN),
        (N, L) each row sorted ascending with NaN last, and (N,) non-NaN values per row.

    Notes
    -----
    :func:`sort_rows` (one integer sort per row, ``argsort`` only for rows with ties) and
    O(N·L) vectorised work for the ties: O(N·L log L).
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    sorted_rows = sort_rows(values)
    return sorted_rows.ranks, sorted_rows.ordered(values), sorted_rows.count


def row_medians(ordered: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(N,) median of each row of :func:`row_ranks`' sorted rows (as ``numpy.nanmedian``; 0 if
    a row is empty)."""
    rows = np.arange(ordered.shape[0])
    upper = np.minimum(count // 2, max(ordered.shape[1] - 1, 0))
    lower = np.maximum(count - 1, 0) // 2
    if ordered.shape[1] == 0:
        return np.zeros(ordered.shape[0])
    median = (ordered[rows, lower] + ordered[rows, upper]) / 2.0
    return np.where(count > 0, median, 0.0)


def column_sums(weight: np.ndarray, values: np.ndarray) -> np.ndarray:
    """:math:`\\sum_i w_i v_{it}` for each column t of the (N, T) ``values`` (single-threaded,
    unlike a BLAS product, so a busy machine does not slow it down). Boolean or small-integer
    ``values`` are cast to float a buffer at a time, never copied whole."""
    return np.einsum("i,it->t", weight, values)


class RowBlocks:
    """Objects made of per-pair rows (``ROW_FIELDS``: arrays with one row per pair, or None) and
    of sums over the pairs (``COLUMN_FIELDS``), assembled from blocks of pairs: each pair's row
    depends on that pair alone, so the rows of the blocks, placed in order, and the sums of the
    blocks' sums are exactly what the whole panel would give (integer counts here). Building
    the parts of a large panel block by block keeps its work arrays (sorts, keys) to one block."""

    ROW_FIELDS: tuple[str, ...] = ()
    COLUMN_FIELDS: tuple[str, ...] = ()

    def allocated(self, n_rows: int) -> RowBlocks:
        """An object of this one's type and shapes with ``n_rows`` rows, to :meth:`fill`."""
        whole = object.__new__(type(self))
        for name in self.ROW_FIELDS:
            value = getattr(self, name)
            shape = (n_rows, *np.shape(value)[1:])
            setattr(whole, name, None if value is None else np.empty(shape, dtype=value.dtype))
        for name in self.COLUMN_FIELDS:
            setattr(whole, name, np.zeros_like(getattr(self, name)))
        return whole

    def fill(self, rows: slice, block: RowBlocks) -> None:
        """Place the rows of ``block`` (the pairs ``rows``) and add its sums."""
        for name in self.ROW_FIELDS:
            target = getattr(self, name)
            if target is not None:
                target[rows] = getattr(block, name)
        for name in self.COLUMN_FIELDS:
            total = getattr(self, name)
            np.add(total, getattr(block, name), out=total)


class DayScores(RowBlocks):
    """Scores of N pairs on the days of their combined samples, for the day statistics.

    Holds the window-independent part of :func:`corrado_rank_test` and
    :func:`corrado_zivney_sign_test`, so that several windows (and subsets of pairs) reuse it:
    each statistic is then a few weighted column sums, O(N·T) with T the combined-sample days.

    Parameters
    ----------
    scores
        (N, T) scores, NaN where missing.
    center
        (N,) each pair's expected score.
    overwrite
        Centre the scores in place in ``scores`` (a float C array the caller no longer needs);
        the raw scores are then not kept, and only ``centering="firm"`` is available.
    """

    ROW_FIELDS = ("center", "valid", "count", "scores", "centred")
    COLUMN_FIELDS = ("column_count",)

    def __init__(self, scores: np.ndarray, center: np.ndarray, *, overwrite: bool = False) -> None:
        self.center = np.asarray(center, dtype=float)
        valid = np.isfinite(scores)
        self.valid = valid
        self.count = valid.sum(axis=1)
        self.column_count = valid.sum(axis=0)  # pairs with a score on each day
        if overwrite:
            self.scores = None
            centred = scores
            if self.center.any() or np.signbit(self.center).any():  # x - (+0.0) is x
                centred -= self.center[:, None]
        else:
            self.scores = scores
            centred = scores - self.center[:, None]
        centred[~valid] = 0.0
        self.centred = centred

    def day_counts(self, use: np.ndarray) -> np.ndarray:
        """(T,) float :math:`n_t`, the pairs ``use`` ((N,) bool) with a score on each day (exact
        integers: all pairs' counts less those of the pairs left out, O(N + (N - n)·T))."""
        return (self.column_count - self.valid[~use].sum(axis=0)).astype(float)

    def z(
        self,
        rows: np.ndarray,
        window_columns: np.ndarray,
        *,
        day_scaling: DayScaling = "sqrt",
        variance_divisor: Divisor = "days",
        missing: Missing = "sum",
        centering: Centering = "firm",
    ) -> tuple[float, int]:
        """Cowan/Corrado Z of the pairs ``rows`` ((N,) bool) over ``window_columns`` ((T,) bool).

        See the module docstring for the conventions. Returns (Z, pairs with data in the window):
        :meth:`DaySums.z` of :meth:`sums`.
        """
        return self.sums(rows, window_columns, centering=centering).z(
            window_columns, day_scaling=day_scaling, variance_divisor=variance_divisor, missing=missing
        )

    def sums(self, rows: np.ndarray, window_columns: np.ndarray, *, centering: Centering = "firm") -> DaySums:
        """The pair sums behind :meth:`z` for the pairs ``rows`` ((N,) bool): per day the score
        sum and :math:`n_t`, and the pair counts. Sums of disjoint sets of pairs add up
        (:meth:`DaySums.merge`), so a partition of the pairs can compute its own. O(N·T)."""
        use = rows & (self.count > 0)
        weight = use.astype(float)
        n_window = int((use & self.valid[:, window_columns].any(axis=1)).sum())
        if centering == "firm":
            score_sum = column_sums(weight, self.centred)
            center_sum = None
        else:
            if self.scores is None:
                raise ValueError("pooled centering needs the raw scores (DayScores(overwrite=False))")
            score_sum = column_sums(weight, np.where(self.valid, self.scores, 0.0))
            center_sum = float(weight @ self.center)
        return DaySums(
            n_rows=float(weight.sum()),
            n_t=self.day_counts(use),
            n_window=n_window,
            observations=float(weight @ self.count),
            score_sum=score_sum,
            center_sum=center_sum,
        )


@dataclass(frozen=True)
class DaySums:
    """Sums over a set of pairs behind the Corrado rank and Corrado-Zivney sign Z
    (:meth:`DayScores.sums`); the sums of disjoint sets of pairs add (:meth:`merge`).

    Attributes
    ----------
    n_rows
        Pairs with at least one score.
    n_t
        (T,) float, pairs with a score on each day of the combined sample.
    n_window
        Pairs with a score on a day of the window.
    observations
        :math:`\\sum_i T_i`, the scores of those pairs.
    score_sum
        (T,) per day, the sum of the pairs' centred scores (``centering="firm"``) or of their
        raw scores (``"pooled"``).
    center_sum
        ``"pooled"``: the sum of the pairs' expected scores; None for ``"firm"``.
    """

    n_rows: float
    n_t: np.ndarray
    n_window: int
    observations: float
    score_sum: np.ndarray
    center_sum: float | None = None

    def merge(self, other: DaySums) -> DaySums:
        """The sums of the union of two disjoint sets of pairs."""
        centers = None if self.center_sum is None else self.center_sum + (other.center_sum or 0.0)
        return DaySums(
            self.n_rows + other.n_rows,
            self.n_t + other.n_t,
            self.n_window + other.n_window,
            self.observations + other.observations,
            self.score_sum + other.score_sum,
            centers,
        )

    def z(
        self,
        window_columns: np.ndarray,
        *,
        day_scaling: DayScaling = "sqrt",
        variance_divisor: Divisor = "days",
        missing: Missing = "sum",
    ) -> tuple[float, int]:
        """Cowan/Corrado Z over ``window_columns`` ((T,) bool) and the pairs with data in the
        window (see the module docstring for the conventions; :meth:`DayScores.z`)."""
        n_t, n_rows, n_window = self.n_t, self.n_rows, self.n_window
        if n_window < 1 or np.any(n_t[window_columns] == 0):
            return float("nan"), n_window
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.center_sum is None:
                day_mean = self.score_sum / n_t
            else:
                day_mean = self.score_sum / n_t - self.center_sum / n_rows
            day_sum = day_mean * (n_t if missing == "sum" else n_rows)
            day_stat = day_sum / (n_t if day_scaling == "mean" else np.sqrt(n_t))
        has = n_t > 0
        divisor = float(has.sum()) if variance_divisor == "days" else self.observations / n_rows
        s = np.sqrt(np.sum(day_stat[has] ** 2) / divisor)
        length = int(np.count_nonzero(window_columns))
        if not s > 0:
            return float("nan"), n_window
        return float(day_stat[window_columns].sum() / (np.sqrt(length) * s)), n_window


def rank_scores(
    combined: np.ndarray,
    scores: Scores = "uniform",
    ranked: RowOrder | None = None,
    *,
    overwrite: bool = False,
) -> DayScores:
    """:class:`DayScores` of the ranks of each pair's combined sample (Corrado 1989; Corrado &
    Zivney 1992): uniform :math:`K_{it}/(T_i+1)` centred at 1/2, or raw :math:`K_{it}` centred
    at :math:`(T_i+1)/2`. ``ranked`` is :func:`sort_rows` of ``combined`` if already computed;
    ``overwrite=True`` turns its ``ranks`` into the centred scores in place (see
    :class:`DayScores`). Cost O(N·T log T)."""
    own = ranked is None
    ranks = (sort_rows(combined) if ranked is None else ranked).ranks
    t_i = np.isfinite(combined).sum(axis=1).astype(float)
    in_place = overwrite or own
    if scores == "uniform":
        divisor = t_i[:, None] + 1.0
        uniform = np.divide(ranks, divisor, out=ranks) if in_place else ranks / divisor
        return DayScores(uniform, np.full(t_i.shape, 0.5), overwrite=overwrite)
    return DayScores(ranks, (t_i + 1.0) / 2.0, overwrite=overwrite)


def sign_scores(
    combined: np.ndarray, ranked: RowOrder | None = None, *, overwrite: bool = False
) -> DayScores:
    """:class:`DayScores` of :math:`\\operatorname{sign}(A_{it} - \\operatorname{median}_i)` over
    each pair's combined sample (Corrado & Zivney 1992), centred at 0. ``ranked`` as in
    :func:`rank_scores`; ``overwrite=True`` keeps only the centred signs (see
    :class:`DayScores`). Cost O(N·T log T)."""
    median = (sort_rows(combined) if ranked is None else ranked).medians(combined)
    signs = np.sign(combined - median[:, None])
    scores = DayScores(signs, np.zeros(combined.shape[0]), overwrite=overwrite)
    if overwrite:
        # The centred signs are -1, 0 and +1: one byte each holds them exactly, and their
        # column sums with 0/1 weights are integers, the same in any order or type.
        scores.centred = scores.centred.astype(np.int8)
    return scores


def _combine(
    ar_estimation: np.ndarray, ar_event: np.ndarray, in_window: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    est = np.atleast_2d(np.asarray(ar_estimation, dtype=float))
    evt = np.atleast_2d(np.asarray(ar_event, dtype=float))
    if est.shape[0] != evt.shape[0]:
        raise ValueError(f"ar_estimation has {est.shape[0]} rows, ar_event {evt.shape[0]}")
    mask = np.ones(evt.shape[1], bool) if in_window is None else np.asarray(in_window, bool)
    if mask.shape != (evt.shape[1],) or not mask.any():
        raise ValueError(f"in_window must be a non-empty ({evt.shape[1]},) boolean mask")
    columns = np.concatenate([np.zeros(est.shape[1], bool), mask])
    return np.concatenate([est, evt], axis=1), columns


def corrado_rank_test(
    ar_estimation: np.ndarray,
    ar_event: np.ndarray,
    in_window: np.ndarray | None = None,
    *,
    scores: Scores = "uniform",
    day_scaling: DayScaling = "sqrt",
    variance_divisor: Divisor = "days",
    missing: Missing = "sum",
    centering: Centering = "firm",
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Corrado's rank test (one day) and Cowan's cumulative rank test (window).

    Formula: each pair's valid abnormal returns of the combined sample (estimation window +
    all columns of ``ar_event``) are ranked, :math:`K_{it}` (average ranks for ties). With
    the centred scores :math:`U_{it} - 1/2` (uniform) or :math:`K_{it} - (T_i+1)/2` (raw), the
    day statistic :math:`D_t` and :math:`S^2 = T^{-1}\\sum_t D_t^2` over all days of the
    combined sample (see the module docstring),
    :math:`Z = \\sum_{t \\in W} D_t/(\\sqrt{L}\\,S)`, standard normal.

    estudy2 conventions: ``rank_test`` = ``scores="raw", day_scaling="mean",
    variance_divisor="mean_observations", missing="rescale"``; ``modified_rank_test`` =
    ``scores="uniform", day_scaling="sqrt", variance_divisor="mean_observations",
    missing="rescale"``; ``car_rank_test`` = ``scores="raw", day_scaling="mean",
    variance_divisor="mean_observations", missing="sum", centering="pooled"`` with ``ar_event``
    holding only the CAR window.

    Reference: Corrado (1989), *JFE* 23, 385-395; Corrado & Zivney (1992), *JFQA* 27(3),
    465-478; Cowan (1992), *Review of Quantitative Finance and Accounting* 2, 343-358.

    **Conventions (choices), defaults first.** Day weights: ``day_scaling="sqrt"`` weights each
    day's score sum by :math:`n_t^{-1/2}` so that every day statistic has the same variance
    however many pairs are present (Corrado & Zivney 1992; Kolari & Pynnönen 2011); the
    alternative ``"mean"`` is Corrado's (1989) :math:`n_t^{-1}` (days with fewer pairs get a
    larger variance that S does not see). Scores: uniform :math:`K_{it}/(T_i+1)` (Corrado &
    Zivney 1992) against Corrado's raw ranks, which are not comparable across pairs with
    different :math:`T_i`. Window: Cowan's (1992) :math:`\\sum_{t \\in W} D_t/(\\sqrt L S)`. The
    battery uses the defaults; estudy2's variants are the keyword settings listed above.

    Assumptions: within a pair, the abnormal returns of the combined sample are exchangeable
    under the null (i.i.d., no event-induced shift, in mean or in variance: with the event day's
    s.d. 3 times the estimation days' and 25 pairs it rejects a true null at 5% about 18% of the
    time, which GRANK's event-period standardisation avoids, Kolari & Pynnönen 2011); day
    statistics independent over the window. Robust to non-normality; S is a time-series
    estimate, so cross-correlation is allowed.
    Cost O(N·L log L) for the ranks, O(N·L) otherwise.

    Parameters
    ----------
    ar_estimation
        (N, L1) estimation residuals.
    ar_event
        (N, L2) event-window abnormal returns; all columns enter the combined sample.
    in_window
        (L2,) bool, the days tested (default: all columns).
    """
    check_alternative(alternative)
    _choice("scores", scores, ("uniform", "raw"))
    _choice("day_scaling", day_scaling, ("sqrt", "mean"))
    _choice("variance_divisor", variance_divisor, ("days", "mean_observations"))
    _choice("missing", missing, ("sum", "rescale"))
    _choice("centering", centering, ("firm", "pooled"))
    full, columns = _combine(ar_estimation, ar_event, in_window)
    z, n = rank_scores(full, scores).z(
        np.ones(full.shape[0], dtype=bool),
        columns,
        day_scaling=day_scaling,
        variance_divisor=variance_divisor,
        missing=missing,
        centering=centering,
    )
    name = "corrado_rank_z"
    reference = REF_MRANK if scores == "uniform" else REF_RANK
    return result(name, z, p_normal(z, alternative), n, reference)


def corrado_zivney_sign_test(
    ar_estimation: np.ndarray,
    ar_event: np.ndarray,
    in_window: np.ndarray | None = None,
    *,
    variance_divisor: Divisor = "days",
    missing: Missing = "sum",
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Corrado-Zivney sign test on signs about each pair's median.

    Formula: :math:`G_{it} = \\operatorname{sign}(A_{it} - \\operatorname{median}_i)`, the median
    over the pair's combined sample (estimation window + all columns of ``ar_event``);
    :math:`D_t = n_t^{-1/2}\\sum_i G_{it}`, :math:`S^2 = T^{-1}\\sum_t D_t^2` over the combined
    sample, :math:`Z = \\sum_{t\\in W} D_t/(\\sqrt{L}\\,S)`, standard normal. estudy2's
    ``corrado_sign_test`` is ``variance_divisor="mean_observations", missing="rescale"``.

    Reference: Corrado & Zivney (1992), *JFQA* 27(3), 465-478.

    Assumptions: median of each pair's abnormal returns unchanged under the null; robust to
    skewness; cross-correlation allowed through the time-series S. Cost O(N·L log L).
    """
    check_alternative(alternative)
    _choice("variance_divisor", variance_divisor, ("days", "mean_observations"))
    _choice("missing", missing, ("sum", "rescale"))
    full, columns = _combine(ar_estimation, ar_event, in_window)
    z, n = sign_scores(full).z(
        np.ones(full.shape[0], dtype=bool),
        columns,
        day_scaling="sqrt",
        variance_divisor=variance_divisor,
        missing=missing,
        centering="firm",
    )
    return result("corrado_zivney_sign_z", z, p_normal(z, alternative), n, REF_CSIGN)


def grank_test(
    sar_estimation: np.ndarray,
    scar: np.ndarray,
    *,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Kolari & Pynnönen's generalized rank (GRANK) test of a CAR (or one-day AR).

    Formula: re-standardize :math:`SCAR^*_i = SCAR_i/s_{SCAR}` (cross-sectional (N-1) SD) to
    absorb event-induced volatility; the generalized standardized abnormal return is
    :math:`GSAR_{it} = SAR_{it}` on the L1 estimation days (:math:`e_{is}/\\hat\\sigma_i`) and
    :math:`SCAR^*_i` on one "cumulative event day" 0. Ranks over each pair's valid GSARs give
    :math:`U_{it} = K_{it}/(T_i + 1) - 1/2`; with :math:`\\bar U_t` the mean over the
    :math:`n_t` pairs present on day t,

    .. math::

        Z = \\bar U_0 / S_{\\bar U}, \\quad
        S_{\\bar U}^2 = T^{-1}\\sum_t (n_t/N)\\,\\bar U_t^2, \\quad
        t_{grank} = Z\\sqrt{(T-2)/(T-1-Z^2)} \\sim t_{T-2},

    T the number of days (estimation days with data plus the event day).

    Reference: Kolari & Pynnönen (2011), *J. Empirical Finance* 18(5), 953-971.

    Assumptions: exchangeable GSARs within a pair under the null; robust to event-induced
    volatility, serial correlation of ARs within the CAR window and (largely) to event-day
    clustering. Pairs with a missing SCAR are left out. Few pairs: the re-standardization makes
    the test over-reject (:data:`GRANK_NULL_SIZE`; the result's reference says so below
    :data:`GRANK_FEW_PAIRS`).
    Cost O(N·L1 log L1).

    Parameters
    ----------
    sar_estimation
        (N, L1) standardized estimation residuals :math:`e_{is}/\\hat\\sigma_i`.
    scar
        (N,) standardized CARs (``EventPanel.standardized_car``).
    """
    check_alternative(alternative)
    parts = GrankSample(np.atleast_2d(np.asarray(sar_estimation, dtype=float)))
    s = np.asarray(scar, dtype=float)
    return parts.test(np.ones(s.shape, dtype=bool), s, alternative=alternative)


class GrankSample(RowBlocks):
    """The window-independent part of :func:`grank_test`: each pair's ranked estimation SARs.

    :meth:`test` then ranks a window's :math:`SCAR^*_i` into each pair's sorted estimation
    sample (a bisection of every sorted row, O(N log L1), no new sort) and adds the day sums,
    so every window costs O(N·L1) after the one O(N·L1 log L1) ranking here (O(N·L1) when
    ``ranked`` comes from another sort). The ranks are exactly those of
    ``scipy.stats.rankdata`` on the GSARs (average ranks for ties).

    Parameters
    ----------
    sar_estimation
        (N, L1) standardized estimation residuals :math:`e_{is}/\\hat\\sigma_i`, NaN = missing.
    ranked
        :func:`sort_rows` of ``sar_estimation`` if already known (e.g. from
        :meth:`RowOrder.leading_ranks`); its ``ranks`` array is overwritten (work space).
    """

    ROW_FIELDS = ("sar", "sorted", "valid", "count", "scale", "rank_part")
    COLUMN_FIELDS = ("column_count",)

    def __init__(self, sar_estimation: np.ndarray, ranked: RowOrder | None = None) -> None:
        self.sar = np.ascontiguousarray(sar_estimation, dtype=float)
        ranked = sort_rows(self.sar) if ranked is None else ranked
        ranks, count = ranked.ranks, ranked.count  # ranks: overwritten by rank_part below
        sorted_sar = ranked.sorted_values
        # Each row's SARs in ascending order (NaN last): SCAR* is ranked into it by bisection.
        self.sorted = self.sar.reshape(-1).take(ranked.flat) if sorted_sar is None else sorted_sar
        valid = np.isfinite(self.sar)
        self.valid = valid
        self.column_count = valid.sum(axis=0)
        self.count = count
        # With the event day, pair i has T_i = count_i + 1 GSARs; U = K/(T_i + 1) - 1/2 and the
        # event day moves each estimation rank K0 by 1 (SCAR* below) or 1/2 (tied).
        self.scale = 1.0 / (count + 2.0)
        rank_part = ranks
        rank_part[~valid] = 0.0
        rank_part *= self.scale[:, None]
        self.rank_part = rank_part

    def _placed(self, star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N,) how many of each row's SARs are above ``star`` and how many equal it (0 and 0
        where ``star`` is NaN): a bisection of every sorted row at once, O(N log L1)."""
        n_rows, n_cols = self.sorted.shape
        base = np.arange(n_rows, dtype=np.int64) * n_cols
        flat = self.sorted.reshape(-1)
        counts = []
        for inclusive in (True, False):  # rows' number of SARs <= star, then < star
            low = np.zeros(n_rows, dtype=np.int64)
            high = self.count.astype(np.int64)
            for _ in range(max(n_cols, 1).bit_length()):
                middle = (low + high) >> 1
                value = flat.take(base + np.minimum(middle, max(n_cols - 1, 0)))
                right = (value <= star) if inclusive else (value < star)
                active = low < high
                low = np.where(active & right, middle + 1, low)
                high = np.where(active & ~right, middle, high)
            counts.append(low)
        at_most, below = counts
        known = ~np.isnan(star)
        above = np.where(known, self.count - at_most, 0)
        return above, np.where(known, at_most - below, 0)

    def test(
        self, rows: np.ndarray, scar: np.ndarray, *, alternative: Alternative = "two-sided"
    ) -> TestResult:
        """GRANK t of the pairs ``rows`` ((N,) bool) with standardized CARs ``scar`` (N,):
        :meth:`GrankSums.test` of :meth:`sums` with the pairs' cross-sectional SD of SCAR."""
        ok, spread = grank_spread(rows, scar)
        if spread is None:
            return empty_result("grank_t", REF_GRANK, int(ok.sum()))
        return self.sums(ok, scar, spread).test(alternative=alternative)

    def sums(self, rows: np.ndarray, scar: np.ndarray, spread: float) -> GrankSums:
        """The day sums of :meth:`test` over the pairs ``rows`` ((N,) bool, finite ``scar``),
        with :math:`SCAR^*_i = SCAR_i/` ``spread``, the cross-sectional SD of SCAR of *all* the
        pairs tested: given ``spread``, the sums of disjoint sets of pairs add
        (:meth:`GrankSums.merge`), so a partition of the pairs can compute its own. O(N·L1)."""
        ok = rows & np.isfinite(scar)
        star = np.where(ok, scar / spread, np.nan)
        weight = ok.astype(float)
        above = self.sar > star[:, None]  # False where either is NaN
        n_above, n_tied = self._placed(star)
        below = self.count - n_above - n_tied
        scaled = weight * self.scale
        n_t = (self.column_count - self.valid[~ok].sum(axis=0)).astype(float)  # exact counts
        u_sum = column_sums(weight, self.rank_part) + column_sums(scaled, above)
        if n_tied.any():
            tied = self.sar == star[:, None]
            u_sum += 0.5 * column_sums(scaled, tied)
        u_event = (below + 1.0 + n_tied / 2.0) * self.scale - 0.5
        return GrankSums(u_sum, n_t, float(u_event[ok].sum()), int(ok.sum()))


def grank_spread(rows: np.ndarray, scar: np.ndarray) -> tuple[np.ndarray, float | None]:
    """The pairs GRANK tests (``rows`` with a finite SCAR) and the cross-sectional SD (divisor
    n - 1) of their SCARs, or None where the test is empty (fewer than two pairs, SD not > 0)."""
    ok = rows & np.isfinite(scar)
    if int(ok.sum()) < 2:
        return ok, None
    sd = spread(scar[ok])
    return ok, (sd if sd > 0 else None)


@dataclass(frozen=True)
class GrankSums:
    """Sums over a set of pairs behind the GRANK t (:meth:`GrankSample.sums`).

    Attributes
    ----------
    rank_sum
        (L1,) per estimation day, :math:`\\sum_i K_{it}/(T_i + 1)` over the pairs present.
    n_t
        (L1,) float, the pairs present on each estimation day.
    event_sum
        :math:`\\sum_i U_{i0}`, the centred scores of the cumulative event day.
    n
        Pairs (each has the event day).
    """

    rank_sum: np.ndarray
    n_t: np.ndarray
    event_sum: float
    n: int

    def merge(self, other: GrankSums) -> GrankSums:
        """The sums of the union of two disjoint sets of pairs (the same ``spread``)."""
        return GrankSums(
            self.rank_sum + other.rank_sum,
            self.n_t + other.n_t,
            self.event_sum + other.event_sum,
            self.n + other.n,
        )

    def test(self, *, alternative: Alternative = "two-sided") -> TestResult:
        """GRANK t from the sums (formula in :func:`grank_test`)."""
        n = self.n
        if n < 2:
            return empty_result("grank_t", REF_GRANK, n)
        u_sum = self.rank_sum - 0.5 * self.n_t
        n_t = np.append(self.n_t, n)
        u_sum = np.append(u_sum, self.event_sum)
        has = n_t > 0
        u_bar = u_sum[has] / n_t[has]
        days = int(has.sum())
        s_u = np.sqrt(np.sum(n_t[has] / n * u_bar**2) / days)
        z = u_bar[-1] / s_u
        if days <= 2 or z * z >= days - 1:
            return empty_result("grank_t", REF_GRANK, n)
        t = z * np.sqrt((days - 2.0) / (days - 1.0 - z * z))
        note = grank_small_sample_note(n)
        reference = f"{REF_GRANK}; {note}" if note else REF_GRANK
        return result("grank_t", t, p_student(t, days - 2, alternative), n, reference)


WILCOXON_EXACT_MAX_N = 50
"""Largest n for which the Wilcoxon p-value uses the exact null distribution (with or without ties)."""


def wilcoxon_signed_rank_test(car: np.ndarray, *, alternative: Alternative = "two-sided") -> TestResult:
    """Wilcoxon signed-rank test of the CARs (ARs) across pairs.

    Formula: value :math:`W^+ = \\sum_{i: CAR_i > 0} \\operatorname{rank}(|CAR_i|)`, ranks over
    the nonzero CARs (average ranks for ties, zeros dropped), as estudy2's ``wilcoxon_test``.
    ``n`` counts the nonzero CARs. The p-value is

    * **exact** when :math:`n \\le 50` (``WILCOXON_EXACT_MAX_N``): the null distribution of
      :math:`W^+` given the ranks, each of the :math:`2^n` sign patterns equally likely, so that
      with ties (average ranks) it is the permutation distribution of the tied ranks
      (Hollander, Wolfe & Chicken 2014, section 3.1, comment 14): a convolution of the n
      two-point distributions of :math:`r_i \\cdot 1[CAR_i > 0]` over the doubled ranks
      (integers), O(n³). Without ties it is ``scipy.stats.wilcoxon(method="exact")``'s table.
      Two-sided p is twice the smaller tail, capped at 1. (With ties, the normal approximation
      used before gave p = 0.025 for five equal CARs, whose exact p cannot fall below
      :math:`2^{1-5} = 0.0625`.)
    * for :math:`n > 50` the **normal approximation** of :math:`W^+` with mean :math:`n(n+1)/4`
      and the tie-corrected variance :math:`n(n+1)(2n+1)/24 - \\sum_t (t^3 - t)/48`, no
      continuity correction (``method="asymptotic"``).

    The row's ``reference`` says which p-value it carries.

    Reference: Wilcoxon (1945), *Biometrics Bulletin* 1(6), 80-83; exact distribution and tie
    correction as in Hollander, Wolfe & Chicken (2014), *Nonparametric Statistical Methods*,
    3rd ed., section 3.1.

    Assumptions: independent pairs with a distribution symmetric about 0 under the null.
    Cost O(N log N) (O(N²) for the exact table, N ≤ 50).
    """
    check_alternative(alternative)
    x = np.asarray(car, dtype=float)
    x = x[np.isfinite(x) & (x != 0)]
    n = x.size
    if n < 1:
        return empty_result("wilcoxon_w", REF_WILCOXON, n)
    magnitude = np.abs(x)
    ranks = stats.rankdata(magnitude)
    w_plus = float(ranks[x > 0].sum())
    if n <= WILCOXON_EXACT_MAX_N:
        p = _signed_rank_exact_p(ranks, x > 0, alternative)
        return result("wilcoxon_w", w_plus, p, n, REF_WILCOXON_EXACT)
    p = float(stats.wilcoxon(x, zero_method="wilcox", alternative=alternative, method="asymptotic").pvalue)
    return result("wilcoxon_w", w_plus, p, n, REF_WILCOXON_NORMAL)


def _signed_rank_exact_p(ranks: np.ndarray, positive: np.ndarray, alternative: Alternative) -> float:
    """p of :math:`W^+ = \\sum_i r_i 1[\\text{positive}_i]` under independent fair signs, given the
    (average) ranks ``ranks``: the distribution of twice :math:`W^+` (an integer) built by
    convolving each rank's two equally likely values 0 and :math:`2r_i`."""
    doubled = np.rint(2.0 * ranks).astype(np.int64)
    probability = np.zeros(int(doubled.sum()) + 1)
    probability[0] = 1.0
    for step in doubled.tolist():
        shifted = probability[:-step] * 0.5
        probability *= 0.5
        probability[step:] += shifted
    observed = int(doubled[positive].sum())
    lower, upper = float(probability[: observed + 1].sum()), float(probability[observed:].sum())
    if alternative == "two-sided":
        return min(1.0, 2.0 * min(lower, upper))
    return upper if alternative == "greater" else lower

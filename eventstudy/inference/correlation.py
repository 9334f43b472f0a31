"""Kolari & Pynnönen's :math:`\\bar r`: the average correlation of a test's summands.

Kolari & Pynnönen (2010) correct the Patell and BMP statistics of N standardized CARs for
cross-sectional correlation with :math:`\\bar r`, the average correlation between the N summands.
Their summands are the pairs' standardized CARs over one event window, and two of them are
correlated only through the event-window days they share *in calendar time*. For pairs i and j
with event-window calendar days :math:`W_i`, :math:`W_j` (:math:`L_i = |W_i|` days) and
residual correlation :math:`\\rho_{ij}` on a common day,

.. math::

    \\operatorname{Corr}(SCAR_i, SCAR_j)
    = \\frac{\\sum_{d \\in W_i \\cap W_j} \\operatorname{Cov}(A_{id}, A_{jd})}
           {\\sigma_i\\sqrt{L_i}\\;\\sigma_j\\sqrt{L_j}}
    = \\rho_{ij}\\,\\frac{|W_i \\cap W_j|}{\\sqrt{L_i L_j}}

(ignoring the estimation error of the expected-return parameters, as KP do). So

.. math::

    \\bar r = \\frac{1}{N(N-1)} \\sum_{i \\ne j} \\omega_{ij}\\, r_{ij}, \\qquad
    \\omega_{ij} = \\frac{|W_i \\cap W_j|}{\\sqrt{L_i L_j}},

where :math:`r_{ij}` is the Pearson correlation of the two pairs' estimation-window residuals
over their common valid calendar days :math:`C_{ij}` (means and variances over :math:`C_{ij}`,
as KP define the sample cross-correlation; unaffected by unequal estimation lengths or missing
days), and :math:`\\omega_{ij}` is the share of their event-window days that fall on the same
calendar days: for equal lengths :math:`|W_i \\cap W_j|/L`, 0 when the windows share no day, 1
when they are the same days; for windows of different lengths the geometric mean
:math:`\\sqrt{L_iL_j}` is the exact normalisation of the formula above. For a one-day window
:math:`\\omega_{ij}` is 1 when the two pairs share day 0 and 0 otherwise. Pairs on the same day
with the same window give :math:`\\omega_{ij} = 1` and KP's (2010) :math:`\\bar r` exactly; two
event ids of one firm on one date are two pairs with identical residuals, :math:`r_{ij} = 1`.
A pair whose common estimation days are fewer than ``min_obs``, or over which either residual
series is constant, has no estimable correlation and contributes 0 (it still counts in
N(N-1)).

Cost. Only pairs whose event windows share a calendar day contribute, and a pair's
correlation :math:`r_{ij}` does not depend on the window, so :meth:`CalendarResiduals.rbars`
forms each correlation once for all the windows of a study (only :math:`\\omega_{ij}` and the
pairs used differ). A *class* is a set of rows with the same event-window days and the same
valid estimation days (e.g. the parties of one announcement with complete data). Then

* a class A with at least ``_LARGE_CLASS`` rows is handled with its K_A overlapping classes
  at once: within a class pair every row pair has the same common days, so the sum of their
  Pearson correlations factors into per-row sums over those days and one dot product per
  partner row, O((n_A·K_A + n_B)·L1) for n_A rows of A and n_B partner rows. N events on one
  day with complete data are one class: O(N·L1). The overlaps :math:`|W_A \\cap W_B|` of the
  classes come from one sparse (classes × days) incidence product;
* the rows of smaller classes are cut into tiles of ``_TILE`` rows in the order of their first
  valid estimation day, and every pair of tiles holding rows whose windows meet (from each
  tile's first and last window day) is formed as a block: the cross products
  :math:`\\sum_C u_iu_j` of the block are one small matrix product over the two tiles' common
  calendar, the other sums over the common days come from prefix sums over each row's
  first-to-last valid day less its holes (missing days), and the block's T x T correlations
  are weighted by each window's :math:`\\omega_{ij}` (zero for pairs whose windows share no
  day), all with array operations over a batch of blocks.

Time is therefore O(N·L1 + B·T²·L1) for B blocks, about O(N·L1 + P·L1) with P the number of
row pairs whose event windows overlap and that are not in one large class (a block also holds
the pairs at the edge of the band of overlapping windows); memory O(N·L1) plus one batch of
blocks. Staggered events give P ≈ N·m/2, m the number of events whose window overlaps a given
one's (for day 0 alone, the events on the same day). The worst case is O(N²·L1): every window
overlapping every other while the rows fall into many classes (different day 0s or different
missing days), e.g. N events on consecutive days with a window longer than their spread. No
N×N matrix is formed.

Reference: Kolari & Pynnönen (2010), "Event Study Testing with Cross-sectional Correlation of
Abnormal Returns", *Review of Financial Studies* 23(11), 3996-4025, section 2 and eq. (8)-(10).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property

import numpy as np
from scipy import sparse

from eventstudy.blocks import row_blocks, single_thread_product
from eventstudy.daygrid import DayGrid

_LARGE_CLASS = 16
"""Classes with at least this many rows use the factored class-pair sums."""

_TILE = 32
"""Rows per tile of the small-class cross products (small enough for one BLAS thread)."""

_CHUNK_PAIRS = 32_768
"""Row pairs whose sums are formed at once (bounds the work arrays)."""

_BLOCK_VALUES = 1 << 17
"""Values of the pairs' (rows x estimation days) arrays worked on at once when the r̄ part is
built: its sums of squares and alignment checks (a 1 MB temporary)."""

_FAR = np.int64(2**60)
"""A day after every calendar day (the first day of a row without valid days)."""

_ZERO_VARIANCE = 1e-24
"""A series whose centred sum of squares is at most this share of its raw sum of squares is
constant (its correlation with anything is not estimable)."""


def average_cross_correlation(
    residuals: np.ndarray,
    calendar_day: np.ndarray,
    window_day: np.ndarray,
    *,
    min_obs: int = 3,
) -> float:
    """Kolari-Pynnönen :math:`\\bar r` of N pairs for one event window.

    Parameters
    ----------
    residuals
        (N, L1) estimation-window residuals, NaN = missing.
    calendar_day
        (N, L1) integer calendar-day index of each residual. Within a row, the days of the
        valid residuals must be distinct.
    window_day
        (N, L) integer calendar-day index of each day of the pair's event window (the days
        of the window under test). A day repeated within a row counts once, so rows can hold
        windows of different lengths :math:`L_i`.
    min_obs
        Rows with fewer valid residuals (or constant residuals) are left out of the average;
        pairs with fewer common valid days contribute 0.

    Returns
    -------
    float
        :math:`\\bar r = [N(N-1)]^{-1}\\sum_{i \\ne j}\\omega_{ij}r_{ij}` over the rows kept, or
        NaN with fewer than two.

    Raises
    ------
    ValueError
        If the shapes differ or a row repeats a calendar day among its valid residuals.

    Notes
    -----
    :math:`r_{ij}` is the Pearson correlation over the common valid calendar days and
    :math:`\\omega_{ij} = |W_i \\cap W_j|/\\sqrt{L_iL_j}` the share of event-window days on the
    same calendar days (module docstring). Cost O(N·L1 + P·L1), P the row pairs whose windows
    overlap outside one large class; worst case O(N²·L1); no N×N matrix.

    References
    ----------
    Kolari, J. W. & Pynnönen, S. (2010). Event study testing with cross-sectional correlation
    of abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
    """
    parts = CalendarResiduals(residuals, calendar_day, min_obs=min_obs)
    return parts.rbar(np.ones(parts.count.shape, dtype=bool), window_day)


class CalendarResiduals:
    """The window-independent part of :math:`\\bar r`: each pair's residuals, centred and
    scaled by their own mean and standard deviation (Pearson correlations do not change), their
    first and last valid calendar day and missing days in between, and the classes of pairs
    with the same valid estimation days. :meth:`rbar` then gives :math:`\\bar r` of any subset
    of the pairs for any event window.

    Building costs O(N·L1) time and memory (plus a sort of the days if they span far more
    calendar days than there are residuals): per pair its mean, scale and valid count, hull and
    holes. The residuals and the days are kept by reference, not copied; their validity,
    standardised values and renumbered days are made a block of rows at a time when a tile
    needs them (:meth:`valid_of`, :meth:`values_of`, :meth:`days_of`); days given as a
    :class:`~eventstudy.daygrid.DayGrid` are only ever made a block of rows at a time.

    Parameters
    ----------
    residuals, calendar_day, min_obs
        As in :func:`average_cross_correlation`. ``residuals`` is read again whenever tiles
        are built, so it must not be changed while the part is used (the battery's parts read
        the results' arrays, which nothing writes).
    """

    def __init__(
        self, residuals: np.ndarray, calendar_day: np.ndarray | DayGrid, *, min_obs: int = 3
    ) -> None:
        e = np.asarray(residuals, dtype=float)
        # A study's days (a DayGrid) are read a block of rows at a time, never made whole.
        days = calendar_day if isinstance(calendar_day, DayGrid) else np.asarray(calendar_day)
        if e.shape != days.shape or e.ndim != 2:
            raise ValueError(f"residuals {e.shape} and calendar_day {days.shape} must be equal 2-D")
        n_rows, n_cols = e.shape
        count = np.empty(n_rows, dtype=np.intp)
        raw, mean, ss = np.empty(n_rows), np.empty(n_rows), np.empty(n_rows)
        with np.errstate(invalid="ignore", divide="ignore"):
            for rows in row_blocks(n_rows, n_cols, _BLOCK_VALUES):  # each row alone: the whole array's sums
                valid = np.isfinite(e[rows])
                count[rows] = valid.sum(axis=1)
                u = np.where(valid, e[rows], 0.0)
                np.square(u).sum(axis=1, out=raw[rows])
                mean[rows] = u.sum(axis=1) / count[rows]
                u -= mean[rows, None]
                u[~valid] = 0.0
                np.square(u).sum(axis=1, out=ss[rows])
            self.usable = (count >= min_obs) & (ss > _ZERO_VARIANCE * raw)
            scale = np.where(self.usable, np.sqrt(ss / np.maximum(count, 1)), 1.0)
        self._residuals, self._mean, self._scale = e, mean, scale
        if not np.issubdtype(days.dtype, np.integer):
            days = np.asarray(days).astype(np.int64)
        self._calendar_day = days
        n_valid = int(count[self.usable].sum())
        self._day_offset, self._day_type, self._ranked_days = _day_numbering(days, self.valid_of, n_valid)
        self.count = count
        self.min_obs = int(min_obs)
        ranked = self._ranked_days
        first, last, self.hole_pointer, hole_day = _hulls(days if ranked is None else ranked, self.valid_of)
        if ranked is None and self._day_offset:  # the hulls of the renumbered days, exactly
            has = first != _FAR
            first = np.where(has, first - self._day_offset, first)
            last = np.where(has, last - self._day_offset, last)
            hole_day = hole_day - self._day_offset
        self.first, self.last, self.hole_day = first, last, hole_day
        self.estimation_class = _day_set_classes(self.first, self.last, self.hole_pointer, self.hole_day)
        self._tiles: tuple[_Tiles, np.ndarray] | None = None

    def valid_of(self, rows: np.ndarray | slice) -> np.ndarray:
        """(R, L1) True where a residual of ``rows`` is valid (finite) and its pair usable,
        computed when asked: the part holds no (N, L1) mask."""
        return np.isfinite(self._residuals[rows]) & self.usable[rows, None]

    @property
    def valid(self) -> np.ndarray:
        """(N, L1) :meth:`valid_of` every row."""
        return self.valid_of(slice(None))

    def days_of(self, rows: np.ndarray | slice) -> np.ndarray:
        """(R, L1) calendar days of ``rows`` as :func:`_day_numbering` numbers them (from 0, or
        by rank when they are far apart), computed when asked from the days given (not
        copied): the part holds no (N, L1) array of days of its own unless they are ranked."""
        if self._ranked_days is not None:
            return self._ranked_days[rows]
        days = self._calendar_day[rows]
        out: np.ndarray = np.empty(days.shape, self._day_type)
        return np.subtract(days, np.int64(self._day_offset), out=out, casting="unsafe")

    @property
    def days(self) -> np.ndarray:
        """(N, L1) :meth:`days_of` every row."""
        return self.days_of(slice(None))

    def values_of(self, rows: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """(R, L1) residuals of ``rows``, centred and scaled by their own mean and standard
        deviation, zero where missing or the pair is not usable (``valid``, the rows'
        :meth:`valid_of` when the caller has it). Computed when asked, from the residuals given
        (not copied), so the part holds no (N, L1) array of floats of its own; each value is the
        one a whole-array computation gives (the same operations)."""
        centred = self._residuals[rows] - self._mean[rows, None]
        centred /= self._scale[rows, None]
        return np.where(self.valid_of(rows) if valid is None else valid, centred, 0.0)

    def rbar(self, rows: np.ndarray, window_day: np.ndarray) -> float:
        """:math:`\\bar r` of the pairs ``rows`` ((N,) bool) for the event window whose
        calendar days are ``window_day`` ((N, L) int); NaN with fewer than two usable pairs."""
        return self.rbars([rows], [window_day])[0]

    def rbars(self, rows: Sequence[np.ndarray], window_days: Iterable[np.ndarray]) -> list[float]:
        """:meth:`rbar` of several windows (and subsets of pairs): ``rows[w]`` and
        ``window_days[w]`` are those of window w (an iterator is read once, a window at a
        time). Each correlation :math:`r_{ij}` that a window needs is formed once for all
        windows (only the weights :math:`\\omega_{ij}` differ)."""
        return [rbar_from_sum(total, n) for total, n in self.pair_sums(rows, window_days)]

    def pair_sum(self, rows: np.ndarray, window_day: np.ndarray) -> tuple[float, int]:
        """:math:`\\sum_{i \\ne j}\\omega_{ij}r_{ij}` over the ordered pairs of the usable
        pairs among ``rows`` ((N,) bool), and their number n (:meth:`rbar` is the sum over
        :math:`n(n-1)`, :func:`rbar_from_sum`). A sum over the pairs of a union of row sets is
        the sums over each set plus the cross terms, so pairs can be split by calendar time."""
        return self.pair_sums([rows], [window_day])[0]

    def pair_sums(
        self, rows: Sequence[np.ndarray], window_days: Iterable[np.ndarray]
    ) -> list[tuple[float, int]]:
        """:meth:`pair_sum` of several windows at once (as :meth:`rbars`); a window with fewer
        than two usable pairs has the sum 0."""
        n_rows = self.usable.shape[0]
        windows = []
        for used, window_day in zip(rows, window_days, strict=True):
            window_day = np.asarray(window_day)
            if window_day.ndim != 2 or window_day.shape[0] != n_rows:
                raise ValueError(f"window_day must be (N, L) with N={n_rows}, got {window_day.shape}")
            use = np.flatnonzero(np.asarray(used, dtype=bool) & self.usable)
            windows.append(_Window(self, use, window_day[use].astype(np.int64, copy=False)))  # a copy
        small = [window for window in windows if window.small_rows.size >= 2]
        small_sums = dict(zip(map(id, small), _small_class_sums(self, small), strict=True)) if small else {}
        out: list[tuple[float, int]] = []
        for window in windows:
            if window.n < 2:
                out.append((0.0, int(window.n)))
                continue
            total = window.large_sum + 2.0 * small_sums.get(id(window), 0.0)
            out.append((float(total), int(window.n)))
        return out

    def tiles(self) -> tuple[_Tiles, np.ndarray]:
        """:class:`_Tiles` of every usable pair, ordered by first valid estimation day (so that
        pairs close in calendar time share tiles; on one day, the rows of classes of at least
        ``_LARGE_CLASS`` rows with the same valid days after the others, so that those
        classes, whose pairs :meth:`_Classes.large_class_sums` handles, fill tiles of their
        own), built once for all windows and subsets; and (N,) each pair's position in that
        order (-1 if not usable)."""
        if self._tiles is None:
            usable = np.flatnonzero(self.usable)
            estimation_class = self.estimation_class[usable]
            large = np.bincount(estimation_class)[estimation_class] >= _LARGE_CLASS
            rows = usable[np.lexsort((estimation_class, large, self.first[usable]))]
            position = np.full(self.usable.size, -1, dtype=np.int64)
            position[rows] = np.arange(rows.size)
            self._tiles = (_Tiles(self, rows), position)
        return self._tiles


def rbar_from_sum(total: float, n: int) -> float:
    """:math:`\\bar r = \\sum_{i \\ne j}\\omega_{ij}r_{ij} / (n(n-1))` from
    :meth:`CalendarResiduals.pair_sum`; NaN with fewer than two pairs."""
    if n < 2:
        return float("nan")
    return float(total / (n * (n - 1.0)))


def _row_classes(keys: np.ndarray) -> np.ndarray:
    """(N,) class id of each row of the int array ``keys``: equal rows, equal ids (exact).

    A 64-bit hash of each row groups the rows in O(N·L); every row is then compared with its
    group's first row, and only if a hash collided does it fall back to ``numpy.unique`` of the
    rows."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    if keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    weights = np.random.default_rng(20100).integers(1, 2**62, size=keys.shape[1], dtype=np.int64) | 1
    with np.errstate(over="ignore"):
        hashed = (keys * weights).sum(axis=1)
    _, first, inverse = np.unique(hashed, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if np.array_equal(keys, keys[first[inverse]]):
        return inverse.astype(np.int64)
    return np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


class _Classes:
    """The rows ``use`` of a :class:`CalendarResiduals` grouped into classes for one window:
    rows with the same ``key`` (the same valid estimation days and the same window days),
    ordered by their first window day (so that classes whose windows overlap are close).
    ``window`` holds each row's window days in ascending order."""

    def __init__(
        self, parts: CalendarResiduals, use: np.ndarray, key: np.ndarray, window: np.ndarray
    ) -> None:
        self.parts = parts
        raw_class = _row_classes(key)
        first_row = np.unique(raw_class, return_index=True)[1]  # ids are 0..K-1
        order = np.lexsort((first_row, window[first_row, 0]))
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        cls = rank[raw_class]
        row_order = np.lexsort((np.arange(use.size), cls))
        self.rows = use[row_order]  # panel rows, grouped by class, classes in window order
        self.cls = cls[row_order]
        self.size = np.bincount(self.cls, minlength=order.size)
        self.start = np.concatenate([[0], np.cumsum(self.size)])
        self.large = self.size >= _LARGE_CLASS
        self.large_row = self.large[cls]  # (n,) in the order of ``use``
        self._class_window = window[row_order[self.start[:-1]]]  # each class's first row

    @cached_property
    def _overlaps(self) -> tuple[sparse.csr_array, np.ndarray]:
        return _overlaps(self._class_window)

    # ---------------------------------------------------------------- large classes
    def large_class_sums(self) -> float:
        """Σ over ordered row pairs (i ≠ j), i or j in a large class, of ω_ij r_ij."""
        total = 0.0
        overlap, length = self._overlaps
        for a in np.flatnonzero(self.large).tolist():
            partners = overlap.indices[overlap.indptr[a] : overlap.indptr[a + 1]]
            shared = overlap.data[overlap.indptr[a] : overlap.indptr[a + 1]]
            keep = ~self.large[partners] | (partners >= a)  # two large classes: once
            partners, shared = partners[keep], shared[keep]
            weight = shared / np.sqrt(length[a] * length[partners])
            factor = np.where(partners == a, 1.0, 2.0)  # ordered pairs (A, B) and (B, A)
            total += float(np.sum(factor * weight * self._class_pair_sums(a, partners)))
        return total

    def _class_pair_sums(self, a: int, partners: np.ndarray) -> np.ndarray:
        """(K_A,) :math:`\\sum_{i \\in A, j \\in B, i \\ne j} r_{ij}` for each partner class B.

        Within a class pair the common days :math:`C = V_A \\cap V_B` are the same for every
        row pair. With :math:`P_{iB} = \\sum_C u_i`, :math:`s_{iB}^2 = \\sum_C u_i^2 -
        P_{iB}^2/|C|` (and :math:`P_j`, :math:`s_j` of partner row j over :math:`V_A`),
        :math:`\\sum_{i,j} r_{ij} = \\sum_j s_j^{-1}[U_B \\cdot \\tilde u_j - (\\sum_i P_{iB}/
        s_{iB}) P_j/|C|]`, :math:`U_B = \\sum_i \\tilde u_i/s_{iB}`; the diagonal
        :math:`r_{ii} = 1` is taken off for B = A. O((n_A·K_A + n_B)·L1).
        """
        a_rows = self.rows[self.start[a] : self.start[a + 1]]
        partner_rows = np.concatenate([self.rows[self.start[b] : self.start[b + 1]] for b in partners])
        partner_class = np.repeat(np.arange(partners.size), self.size[partners])
        values, mask = _dense(self.parts, np.concatenate([a_rows, partner_rows]))
        n_a = a_rows.size
        x_a, x_b = values[:n_a], values[n_a:]
        m_a = mask[0]  # every row of A has the same valid days
        first_of_class = np.concatenate([[0], np.cumsum(self.size[partners])[:-1]])
        m_class = mask[n_a:][first_of_class]  # (K_A, D) each partner class's valid days
        common = m_class @ m_a
        estimable = common >= self.parts.min_obs
        safe_common = np.where(estimable, common, 1.0)
        p_a = x_a @ m_class.T  # (n_A, K_A)
        q_a = np.square(x_a) @ m_class.T
        inv_a = _inverse_sd(q_a - p_a**2 / safe_common, q_a) * estimable
        p_b = x_b @ m_a
        q_b = np.square(x_b) @ m_a
        inv_b = _inverse_sd(q_b - p_b**2 / safe_common[partner_class], q_b) * estimable[partner_class]
        u_sum = inv_a.T @ x_a  # (K_A, D)
        mean_part = (inv_a * p_a).sum(axis=0)
        cross = np.einsum("jd,jd->j", u_sum[partner_class], x_b)
        cross -= mean_part[partner_class] * p_b / safe_common[partner_class]
        sums = np.bincount(partner_class, weights=cross * inv_b, minlength=partners.size)
        own = partners == a
        if own.any():
            sums[own] -= float(np.count_nonzero(inv_a[:, own]))
        return sums


class _Window:
    """One window's rows of a :class:`CalendarResiduals` for :meth:`CalendarResiduals.rbars`:
    the pairs used, the sum over the row pairs that involve a large class
    (:meth:`_Classes.large_class_sums`), and, for the pairs of small classes, each row's window
    as runs of consecutive days (:func:`_runs`).

    When some row's window has gaps in the numbering of its days (e.g. calendar days with
    weekends), the days are renumbered by their rank among the distinct window days of the rows
    used (the overlaps :math:`|W_i \\cap W_j|` do not change), so that a window of consecutive
    trading days is one run; a row with real gaps in its window has several runs.
    """

    def __init__(self, parts: CalendarResiduals, use: np.ndarray, window: np.ndarray) -> None:
        """``window`` ((n, L) int days of the rows ``use``) is the window's own: it is sorted in place."""
        self.n = use.size
        self.large_sum = 0.0
        self.small_rows = use[:0]
        if self.n < 2:
            return
        window.sort(axis=1)
        ordered = window
        start, end, length = _runs(ordered)
        if start.shape[1] > 1:
            ordered = np.searchsorted(np.unique(ordered), ordered)
            start, end, length = _runs(ordered)
        small = slice(None)
        if self.n >= _LARGE_CLASS:
            # Rows of one class: the same valid estimation days and the same window days (its runs).
            key = np.concatenate([parts.estimation_class[use][:, None], start, end], axis=1)
            classes = _Classes(parts, use, key, ordered)
            if classes.large.any():
                self.large_sum = classes.large_class_sums()
                small = ~classes.large_row
        self.small_rows = use[small]
        self.run_start, self.run_end, self.length = start[small], end[small], length[small]


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, R) first and last day of each run of consecutive distinct days of every row of the
    row-sorted int array ``ordered`` (R the most runs of a row; missing runs are [1, 0], which
    overlap nothing), and (n,) float distinct days of each row."""
    n_rows, n_cols = ordered.shape
    if n_rows == 0 or n_cols == 0:
        empty = np.zeros((n_rows, 1), dtype=np.int64)
        return empty + 1, empty, np.zeros(n_rows)
    distinct = np.ones(ordered.shape, dtype=bool)
    distinct[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    begins = distinct.copy()
    for part in row_blocks(n_rows, n_cols, _BLOCK_VALUES):  # no (n, L) int temporary
        begins[part, 1:] &= ordered[part, 1:] != ordered[part, :-1] + 1
    n_runs = begins.sum(axis=1)
    width = int(n_runs.max())
    start = np.ones((n_rows, width), dtype=np.int64)
    end = np.zeros((n_rows, width), dtype=np.int64)
    row, column = np.nonzero(begins)
    slot = np.arange(row.size) - np.repeat(np.cumsum(n_runs) - n_runs, n_runs)
    start[row, slot] = ordered[row, column]
    ends = np.ones(ordered.shape, dtype=bool)  # the last copy of the last day of each run
    ends[:, :-1] = begins[:, 1:]
    end[np.nonzero(ends)[0], slot] = ordered[ends]
    return start, end, distinct.sum(axis=1).astype(float)


def _run_overlaps(
    start_i: np.ndarray, end_i: np.ndarray, start_j: np.ndarray, end_j: np.ndarray
) -> np.ndarray:
    """:math:`|W_i \\cap W_j|` of windows given as runs (:func:`_runs`): the arrays
    (..., R) and (..., R') broadcast against each other over the leading axes, the overlaps of
    every pair of runs summed. O(R·R') passes (one for windows of consecutive days)."""
    total = np.zeros(np.broadcast_shapes(start_i.shape[:-1], start_j.shape[:-1]), dtype=np.int64)
    for a in range(start_i.shape[-1]):
        for b in range(start_j.shape[-1]):
            shared = (
                np.minimum(end_i[..., a], end_j[..., b]) - np.maximum(start_i[..., a], start_j[..., b]) + 1
            )
            total += np.maximum(shared, 0)
    return total


class _Tiles:
    """The usable rows cut into tiles of ``_TILE`` consecutive rows (in a given order). A tile's
    rows are laid out dense on the tile's calendar frame (first to last valid day of its rows)
    with each row's prefix sums of :math:`\\tilde u` and :math:`\\tilde u^2` and its holes; those
    frames are built when a batch of tile pairs needs them (:meth:`load`) in a store of slots
    that are reused once no later tile pair needs their tile, so memory stays O(band of tiles)
    rather than O(N·F).

    For rows i, j with hulls :math:`I_i = [f_i, l_i]` (first and last valid day) and holes
    :math:`H_i = I_i \\setminus V_i` (missing days between), the common days are
    :math:`C = V_i \\cap V_j`, so with :math:`\\tilde u_i` zero off :math:`V_i`,

    .. math::

        |C| = |I_i \\cap I_j| - |H_i \\cap I_j| - |H_j \\cap I_i| + |H_i \\cap H_j|, \\qquad
        \\textstyle\\sum_C u_i = \\sum_{d \\in I_i \\cap I_j}\\tilde u_{id}
        - \\sum_{h \\in H_j}\\tilde u_{ih},

    the same for :math:`u_i^2`, and with i and j swapped for :math:`u_j`, :math:`u_j^2`; a sum
    over :math:`I_i \\cap I_j` is a difference of prefix sums, and :math:`\\sum_C u_iu_j` is one
    small matrix product per pair of tiles over their common frame. :meth:`correlations` forms
    every row pair of a batch of tile pairs at once ((K, T, T) arrays). Building the frames
    costs O(N·F), F the frame width (typically L1 plus the spread of a tile's day 0s)."""

    def __init__(self, parts: CalendarResiduals, rows: np.ndarray) -> None:
        size = _TILE
        # A weak reference: ``parts`` holds this object, and a cycle would keep both (a copy
        # of the residuals and the frame store) alive after the battery frees them, until the
        # cyclic garbage collector happens to run.
        self.parts = weakref.proxy(parts)
        self.rows = rows
        self.count = max(1, -(-rows.size // size))
        slots = self.count * size  # positions, the last tile padded with rows without days
        first = np.full(slots, _FAR, dtype=np.int64)
        last = np.full(slots, -_FAR, dtype=np.int64)
        first[: rows.size], last[: rows.size] = parts.first[rows], parts.last[rows]
        self.first, self.last = first, last
        self.start = np.minimum.reduceat(first, np.arange(0, slots, size))
        self.start = np.where(self.start == _FAR, 0, self.start)
        self.width = np.maximum(np.maximum.reduceat(last, np.arange(0, slots, size)) - self.start + 1, 0)
        self.pitch = max(int(self.width.max()), 1)
        hole_count = np.diff(parts.hole_pointer)[rows]
        hole_position = np.repeat(np.arange(rows.size), hole_count)
        # The holes of each tile (positions are in tile order, so they are grouped by tile).
        self.hole_slot = hole_position % size
        self.hole_day = parts.hole_day[_expand(parts.hole_pointer[rows], hole_count)]
        self.hole_pointer = np.searchsorted(hole_position // size, np.arange(self.count + 1))
        self.slot_of = np.full(self.count, -1, dtype=np.int64)  # tile -> slot of the store
        self.values = np.zeros((0, size, self.pitch))
        self.cum = np.zeros((0, size, self.pitch + 1), dtype=complex)
        self.hole_flag = np.zeros((0, size, self.pitch), dtype=np.uint8)

    def load(self, tiles: np.ndarray) -> None:
        """Build the frames of ``tiles`` that are not in the store, reusing the slots of the
        tiles before the first of ``tiles`` (the tile pairs are visited in order, so no later
        pair needs them)."""
        resident = np.flatnonzero(self.slot_of >= 0)
        done = resident[resident < tiles.min()]
        free = self.slot_of[done]
        self.slot_of[done] = -1
        need = np.unique(tiles[self.slot_of[tiles] < 0])
        if need.size == 0:
            return
        in_use = np.zeros(self.values.shape[0], dtype=bool)
        in_use[self.slot_of[self.slot_of >= 0]] = True
        free = np.flatnonzero(~in_use)
        if free.size < need.size:  # grow the store (at least double it)
            grow = max(need.size - free.size, self.values.shape[0])
            self.values = np.concatenate([self.values, np.zeros((grow, *self.values.shape[1:]))])
            self.cum = np.concatenate([self.cum, np.zeros((grow, *self.cum.shape[1:]), dtype=complex)])
            self.hole_flag = np.concatenate(
                [self.hole_flag, np.zeros((grow, *self.hole_flag.shape[1:]), np.uint8)]
            )
            free = np.concatenate([free, np.arange(self.values.shape[0] - grow, self.values.shape[0])])
        slot = free[: need.size]
        self.slot_of[need] = slot
        size, parts = _TILE, self.parts
        position = (need[:, None] * size + np.arange(size)).reshape(-1)
        real = position < self.rows.size
        rows = self.rows[position[real]]
        # Each valid residual to its cell of the frame, the others to a spare cell at the end.
        cells = need.size * size * self.pitch
        index = parts.days_of(rows).astype(np.int64, copy=False)  # cell numbers may pass int32's range
        index += (np.flatnonzero(real) * self.pitch - np.repeat(self.start[need], size)[real])[:, None]
        valid = parts.valid_of(rows)
        np.copyto(index, cells, where=~valid)
        cell_values = np.zeros(cells + 1)
        cell_values[index] = parts.values_of(rows, valid)
        frame = cell_values[:cells].reshape(need.size * size, self.pitch)
        self.values[slot] = frame.reshape(need.size, size, self.pitch)
        flags = np.zeros((need.size, size, self.pitch), dtype=np.uint8)
        count = np.diff(self.hole_pointer)[need]
        hole = _expand(self.hole_pointer[need], count)
        block = np.repeat(np.arange(need.size), count)
        flags[block, self.hole_slot[hole], self.hole_day[hole] - self.start[need][block]] = 1
        self.hole_flag[slot] = flags
        # Prefix sums of u (real part) and u² (imaginary part): one gather fetches both, and a
        # complex sum adds the two parts separately (the same numbers as two real sums).
        cum = np.zeros((need.size * size, self.pitch + 1), dtype=complex)
        np.cumsum(frame, axis=1, out=cum.real[:, 1:])
        np.cumsum(np.square(frame), axis=1, out=cum.imag[:, 1:])
        self.cum[slot] = cum.reshape(need.size, size, self.pitch + 1)

    def _bases(self, tile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, T) flat positions in the store of day 0 of each row of ``tile`` (loaded): in
        ``values``/``hole_flag`` and in ``cum``."""
        slot = self.slot_of[tile][:, None]
        start = self.start[tile][:, None]
        row = np.arange(_TILE)
        pitch = self.pitch
        return (slot * _TILE + row) * pitch - start, (slot * _TILE + row) * (pitch + 1) - start

    def _cross(self, tile_a: np.ndarray, tile_b: np.ndarray) -> np.ndarray:
        """(K, T, T) :math:`\\sum_d \\tilde u_{id}\\tilde u_{jd}` of every row i of tile
        ``tile_a[k]`` and j of tile ``tile_b[k]``: one matrix product per tile pair."""
        products = np.zeros((tile_a.size, _TILE, _TILE))
        slot_a, slot_b = self.slot_of[tile_a].tolist(), self.slot_of[tile_b].tolist()
        for k, (ta, tb) in enumerate(zip(tile_a.tolist(), tile_b.tolist(), strict=True)):
            lo = max(self.start[ta], self.start[tb])
            hi = min(self.start[ta] + self.width[ta], self.start[tb] + self.width[tb])
            if hi > lo:
                left = self.values[slot_a[k], :, lo - self.start[ta] : hi - self.start[ta]]
                right = self.values[slot_b[k], :, lo - self.start[tb] : hi - self.start[tb]]
                single_thread_product(left, right, products[k])
        return products

    def _sums(self, base: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """(K, T, T) complex: :math:`\\sum_{d=low}^{high}` of :math:`\\tilde u` (real part) and
        :math:`\\tilde u^2` (imaginary part) of the rows whose ``cum`` bases are ``base`` ((K, T),
        row i on axis 1) over (K, T, T) intervals of days inside the row's hull (other
        intervals, those of pairs without common days, give numbers to be ignored)."""
        cum = self.cum.reshape(-1)
        base = base[:, :, None]
        upper = np.take(cum, base + high + 1, mode="clip")
        upper -= np.take(cum, base + low, mode="clip")
        return upper

    def _subtract_holes(
        self, tile_a: np.ndarray, tile_b: np.ndarray, sums: np.ndarray, counts: np.ndarray, flip: bool
    ) -> None:
        """Over the holes h of each row j of tile ``tile_b[k]``, for each row i of tile
        ``tile_a[k]``: take :math:`\\sum_h \\tilde u_{ih}` and :math:`\\sum_h \\tilde u_{ih}^2` off
        ``sums`` (complex, as :meth:`_sums`), and :math:`|H_j \\cap I_i|` off and
        :math:`|H_i \\cap H_j|` (only when ``flip`` is False: once) onto ``counts``, in place, at
        [k, i, j] (at [k, j, i] when ``flip``: the arrays are then indexed by the rows of
        ``tile_b`` on axis 1). O(T·holes of the tiles b)."""
        count = np.diff(self.hole_pointer)[tile_b]
        if not count.any():
            return
        block = np.repeat(np.arange(tile_a.size), count)  # one entry per (tile pair, hole of b)
        hole = _expand(self.hole_pointer[tile_b], count)
        day = self.hole_day[hole][:, None]
        rows_a = tile_a[block][:, None] * _TILE + np.arange(_TILE)  # (E, T) positions of rows i
        start = self.start[tile_a[block]][:, None]
        inside = (day >= start) & (day < start + self.width[tile_a[block]][:, None])
        index = np.where(inside, self._bases(tile_a[block])[0] + day, 0)
        value = np.where(inside, self.values.reshape(-1)[index], 0.0)
        # The holes of one row j of one tile pair are consecutive entries: sum each group.
        group = np.flatnonzero(np.diff(block * _TILE + self.hole_slot[hole], prepend=-1))
        k, j = block[group], self.hole_slot[hole][group]
        in_hull = (day >= self.first[rows_a]) & (day <= self.last[rows_a])
        if flip:
            sums[k, j, :] -= np.add.reduceat(value + 1j * np.square(value), group, axis=0)
            counts[k, j, :] -= np.add.reduceat(in_hull, group, axis=0, dtype=np.int64)
        else:  # |H_i ∩ H_j| is counted once
            sums[k, :, j] -= np.add.reduceat(value + 1j * np.square(value), group, axis=0)
            flag = np.where(inside, self.hole_flag.reshape(-1)[index], 0)
            counts[k, :, j] -= np.add.reduceat(in_hull.astype(np.int64) - flag, group, axis=0)

    def correlations(self, tile_a: np.ndarray, tile_b: np.ndarray, min_obs: int) -> np.ndarray:
        """(K, T, T) Pearson :math:`r_{ij}` of row i of tile ``tile_a[k]`` and row j of tile
        ``tile_b[k]`` over their common valid days (0 where fewer than ``min_obs`` or a constant
        series there, and for the padding rows of the last tile)."""
        self.load(np.concatenate([tile_a, tile_b]))
        rows_a = tile_a[:, None] * _TILE + np.arange(_TILE)
        rows_b = tile_b[:, None] * _TILE + np.arange(_TILE)
        low = np.maximum(self.first[rows_a][:, :, None], self.first[rows_b][:, None, :])
        high = np.minimum(self.last[rows_a][:, :, None], self.last[rows_b][:, None, :])
        n = np.maximum(high - low + 1, 0)  # |I_i ∩ I_j|, less the holes below
        x = self._sums(self._bases(tile_a)[1], low, high)
        y = self._sums(self._bases(tile_b)[1], low.transpose(0, 2, 1), high.transpose(0, 2, 1))
        y = y.transpose(0, 2, 1)  # [k, i, j] like x
        self._subtract_holes(tile_a, tile_b, x, n, flip=False)
        self._subtract_holes(tile_b, tile_a, y, n, flip=True)
        sx, sxx, sy, syy = x.real, x.imag, y.real, y.imag
        safe = np.maximum(n, 1)
        var_x = sxx - sx * sx / safe
        var_y = syy - sy * sy / safe
        ok = (n >= min_obs) & (var_x > _ZERO_VARIANCE * sxx) & (var_y > _ZERO_VARIANCE * syy)
        covariance = self._cross(tile_a, tile_b)
        covariance -= sx * sy / safe
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(ok, covariance / np.sqrt(var_x * var_y), 0.0)


def _small_class_sums(parts: CalendarResiduals, windows: list[_Window]) -> np.ndarray:
    """(W,) :math:`\\sum_{i<j}\\omega_{ij}r_{ij}` over the row pairs of small classes of each
    window (both rows in ``window.small_rows``), every correlation formed once for all windows.

    The pairs are visited a tile pair at a time (tiles of :meth:`CalendarResiduals.tiles`): a
    pair of tiles is formed when, in some window, the two tiles hold rows of small classes whose
    windows' days overlap (from each tile's first and last window day); its T x T correlations
    (:meth:`_Tiles.correlations`) are then weighted by each window's
    :math:`\\omega_{ij} = |W_i \\cap W_j|/\\sqrt{L_iL_j}`, zero for the rows that window does
    not use (their window is empty here), the rows of its large classes and pairs whose windows
    share no day."""
    tiles, position = parts.tiles()
    size = _TILE
    slots = tiles.count * size
    per_window = []
    codes = []
    for window in windows:
        where = position[window.small_rows]
        start = np.ones((slots, window.run_start.shape[1]), dtype=np.int64)  # empty runs
        end = np.zeros_like(start)
        start[where], end[where] = window.run_start, window.run_end
        scale = np.zeros(slots)
        scale[where] = 1.0 / np.sqrt(window.length)
        per_window.append((start, end, scale))
        # The tiles' hulls of window days (rows of small classes) and the pairs that meet.
        first = np.full(slots, _FAR)
        first[where] = window.run_start[:, 0]
        last = np.full(slots, -_FAR)
        last[where] = window.run_end.max(axis=1)
        lo = np.minimum.reduceat(first, np.arange(0, slots, size))
        hi = np.maximum.reduceat(last, np.arange(0, slots, size))
        has = np.flatnonzero(lo <= hi)
        order = has[np.argsort(lo[has], kind="stable")]
        reach = np.searchsorted(lo[order], hi[order], side="right")  # tiles starting inside
        count = reach - np.arange(order.size)
        a = np.repeat(order, count)
        b = order[_expand(np.arange(order.size), count)]
        codes.append(np.minimum(a, b) * tiles.count + np.maximum(a, b))
    code = np.unique(np.concatenate(codes))
    totals = np.zeros(len(windows))
    batch = max(1, _CHUNK_PAIRS // (size * size))
    lower = np.arange(size)[:, None] >= np.arange(size)[None, :]
    for begin in range(0, code.size, batch):
        tile_a, tile_b = np.divmod(code[begin : begin + batch], tiles.count)
        r = tiles.correlations(tile_a, tile_b, parts.min_obs)
        r[tile_a == tile_b] *= ~lower  # a tile with itself: the pairs i < j
        rows_a = tile_a[:, None] * size + np.arange(size)
        rows_b = tile_b[:, None] * size + np.arange(size)
        for k, (start, end, scale) in enumerate(per_window):
            shared = _run_overlaps(
                start[rows_a][:, :, None, :], end[rows_a][:, :, None, :],
                start[rows_b][:, None, :, :], end[rows_b][:, None, :, :],
            )  # fmt: skip
            weighted = r * scale[rows_a][:, :, None]
            weighted *= scale[rows_b][:, None, :]
            totals[k] += float(np.einsum("kij,kij->", shared, weighted))  # not vdot: BLAS threads
    return totals


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    total = int(counts.sum())
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)


def _dense(parts: CalendarResiduals, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, D) values (0 where missing) and 0/1 validity of ``rows`` on their common calendar
    (their first to last valid day, or their distinct days if those are far apart)."""
    days = parts.days_of(rows)
    valid = parts.valid_of(rows)
    flat = days[valid]
    first = int(flat.min())
    span = int(flat.max()) - first + 1
    if span <= 4 * flat.size + 1024:
        local, width = days - first, span
    else:
        distinct = np.unique(flat)
        local, width = np.searchsorted(distinct, days), distinct.size
    row = np.broadcast_to(np.arange(rows.size)[:, None], days.shape)[valid]
    values = np.zeros((rows.size, width))
    mask = np.zeros((rows.size, width))
    values[row, local[valid]] = parts.values_of(rows, valid)[valid]
    mask[row, local[valid]] = 1.0
    return values, mask


def _day_numbering(
    days: np.ndarray | DayGrid, valid_of: Callable[[slice], np.ndarray], n_valid: int
) -> tuple[int, np.dtype, np.ndarray | None]:
    """How the calendar days are renumbered for r̄: from 0, the order and differences of the valid
    days kept (the values where not valid are of no use), as ``days - offset`` in int32 when
    every day fits (else int64), given as (offset, type, None); or, when the valid days span far
    more days than there are valid residuals, by rank among the distinct valid days, given as
    (0, type, ranked days). Days renumbered from 0 rather than used as they are: the classes of
    equal day sets are ordered by the day numbers, and so r̄'s additions, so days shifted by a
    constant would give r̄ to the last bit only. ``valid_of(rows)`` is the validity of
    ``rows``, ``n_valid`` the number of valid days."""
    if n_valid == 0:
        return 0, days.dtype, np.zeros(days.shape, dtype=days.dtype)
    lowest, last = int(days.min()), int(days.max())  # no temporary: every day, valid or not
    first = lowest
    if last - first + 1 > 4 * n_valid + 1_000_000:
        days = np.asarray(days)  # far apart: not a study's days (those are at most 2 x L1 apart)
        valid = valid_of(slice(None))
        first = int(np.where(valid, days, _FAR).min())
        span = int(np.where(valid, days, -_FAR).max()) - first + 1
        if span > 4 * n_valid + 1_000_000:
            distinct = np.unique(days[valid])
            ranked = np.searchsorted(distinct, days)
            return 0, ranked.dtype, ranked
    # Subtracted in int64, each result cast by numpy's buffered loop into int32 when every day
    # fits (exact), so no int64 (N, L1) temporary is made.
    limits = np.iinfo(np.int32)
    fits = limits.min <= lowest - first and last - first <= limits.max
    return first, np.dtype(np.int32 if fits else np.int64), None


def _hulls(
    days: np.ndarray | DayGrid, valid_of: Callable[[np.ndarray | slice], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(N,) first and last valid day of each row, and its holes (the days between them that are
    not valid days of the row) as (N + 1,) pointers into the hole days; ``valid_of(rows)`` is
    the (R, L1) validity of ``rows``, read a block of rows at a time.

    O(N·L1 + holes) for rows whose days step by one from column to column (an event panel on a
    trading calendar: the holes are the missing columns); the other rows are sorted.

    Raises
    ------
    ValueError
        If a row has the same valid day twice.
    """
    n_rows, n_cols = days.shape
    if n_cols == 0:
        empty = np.zeros(0, dtype=np.int64)
        return np.full(n_rows, _FAR), np.full(n_rows, -_FAR), np.zeros(n_rows + 1, dtype=np.int64), empty
    column = np.arange(n_cols, dtype=days.dtype)  # step below in the days' type (int32: half)
    count, first_column, last_column = (np.empty(n_rows, dtype=np.intp) for _ in range(3))
    base = np.empty(n_rows, dtype=np.int64)
    # A row is aligned when its valid days step by one from column to column. Most rows step
    # by one at every column, valid or not (one comparison); the others are checked on their
    # valid columns only.
    aligned = np.empty(n_rows, dtype=bool)
    hole_rows, hole_columns = [], []
    for part in row_blocks(n_rows, n_cols, _BLOCK_VALUES):  # no (N, L1) temporaries
        valid = valid_of(part)
        count[part] = valid.sum(axis=1)
        first_column[part] = np.argmax(valid, axis=1)
        last_column[part] = n_cols - 1 - np.argmax(valid[:, ::-1], axis=1)
        step = days[part] - column
        base[part] = step[np.arange(step.shape[0]), first_column[part]]
        block = (count[part] == 0) | (step == step[:, :1]).all(axis=1)
        check = np.flatnonzero(~block)
        if check.size:
            block[check] = np.all(~valid[check] | (step[check] == base[part][check, None]), axis=1)
        aligned[part] = block
        # The holes of an aligned row: its missing columns strictly inside its valid hull.
        inner = ~valid
        inner &= block[:, None]
        inner &= column > first_column[part, None]
        inner &= column < last_column[part, None]
        block_row, block_column = np.nonzero(inner)
        hole_rows.append(block_row + part.start)
        hole_columns.append(block_column)
    has = count > 0
    first = np.where(has, base + first_column, _FAR)
    last = np.where(has, base + last_column, -_FAR)
    hole_row, hole_column = np.concatenate(hole_rows), np.concatenate(hole_columns)
    hole_count = np.bincount(hole_row, minlength=n_rows)
    hole_days = [base[hole_row] + hole_column]
    other = np.flatnonzero(~aligned)
    if other.size:
        ordered = np.sort(np.where(valid_of(other), days[other], _FAR), axis=1)
        inside = column[None, 1:] < count[other][:, None]
        gap = np.where(inside, ordered[:, 1:] - ordered[:, :-1] - 1, 0)
        if np.any(gap < 0):
            row = int(other[np.flatnonzero((gap < 0).any(axis=1))[0]])
            raise ValueError(f"calendar_day repeats a day among the valid residuals of row {row}")
        first[other] = ordered[:, 0]
        last[other] = ordered[np.arange(other.size), count[other] - 1]
        hole_count[other] = gap.sum(axis=1)
        nonzero = np.flatnonzero(gap)
        extra_row = np.repeat(other[nonzero // gap.shape[1]], gap.reshape(-1)[nonzero])
        extra_day = _expand((ordered[:, :-1] + 1).reshape(-1)[nonzero], gap.reshape(-1)[nonzero])
        hole_row = np.concatenate([hole_row, extra_row])
        hole_days.append(extra_day)
    hole_day = np.concatenate(hole_days).astype(np.int64)
    hole_day = hole_day[np.argsort(hole_row, kind="stable")]
    pointer = np.concatenate([[0], np.cumsum(hole_count)]).astype(np.int64)
    return first, last, pointer, hole_day


def _day_set_classes(
    first: np.ndarray, last: np.ndarray, hole_pointer: np.ndarray, hole_day: np.ndarray
) -> np.ndarray:
    """(N,) class id of each row's set of valid days, given by its hull [first, last] and its
    holes (:func:`_hulls`): equal sets, equal ids. O(N·H), H the most holes of a row."""
    hole_count = np.diff(hole_pointer)
    key = np.full((first.size, 2 + int(hole_count.max(initial=0))), -1, dtype=np.int64)
    key[:, 0], key[:, 1] = first, last
    hole_row = np.repeat(np.arange(first.size), hole_count)
    key[hole_row, 2 + np.arange(hole_day.size) - hole_pointer[hole_row]] = hole_day
    return _row_classes(key)


def _inverse_sd(centred: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """:math:`1/\\sqrt{SS}` of centred sums of squares, 0 where the series is constant."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(centred > _ZERO_VARIANCE * raw, 1.0 / np.sqrt(np.maximum(centred, 0.0)), 0.0)


def _overlaps(class_window: np.ndarray) -> tuple[sparse.csr_array, np.ndarray]:
    """Sparse (K, K) :math:`|W_A \\cap W_B|` of the classes' window days and (K,) :math:`L_A`
    (distinct days). One sparse product of the (K, days) incidence matrix: its non-zeros are
    the overlapping class pairs, O(sum over days of the classes on that day squared)."""
    n_classes = class_window.shape[0]
    ordered = np.sort(class_window, axis=1)
    distinct = np.ones(ordered.shape, dtype=bool)
    distinct[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    days, column = np.unique(ordered[distinct], return_inverse=True)
    row = np.repeat(np.arange(n_classes), distinct.sum(axis=1))
    incidence = sparse.csr_array(
        (np.ones(row.size), (row, column.reshape(-1))), shape=(n_classes, max(days.size, 1))
    )
    overlap = sparse.csr_array(incidence @ incidence.T)
    overlap.sort_indices()
    return overlap, distinct.sum(axis=1).astype(float)

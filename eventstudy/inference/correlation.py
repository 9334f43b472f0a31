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

Cost. Only pairs whose event windows share a calendar day contribute, so rows are grouped:
a *class* is a set of rows with the same event-window days and the same valid estimation days
(e.g. the parties of one announcement with complete data). Classes are ordered by their first
window day and the overlap counts :math:`|W_A \\cap W_B|` of all classes come from one sparse
(classes × calendar days) incidence product, whose non-zeros are exactly the overlapping class
pairs. Then

* a class A with at least ``_LARGE_CLASS`` rows is handled with its K_A overlapping classes
  at once: within a class pair every row pair has the same common days, so the sum of their
  Pearson correlations factors into per-row sums over those days and one dot product per
  partner row, O((n_A·K_A + n_B)·L1) for n_A rows of A and n_B partner rows. N events on one
  day with complete data are one class: O(N·L1);
* the row pairs of smaller classes whose windows overlap are listed exactly (from the class
  overlaps) and grouped into tiles of ``_TILE`` consecutive rows: the cross products
  :math:`\\sum_C u_iu_j` of a tile pair are one small matrix product over the two tiles'
  common calendar, and the other sums over the common days come from prefix sums over each
  row's first-to-last valid day less its holes (missing days), O(1 + holes) per row pair.

Time is therefore O(N·L1 + P·L1) with P the number of row pairs whose event windows overlap
and that are not in one large class; memory O(N·L1) plus one chunk of pairs. Staggered
events give P ≈ N·m/2, m the number of events whose window overlaps a given one's (for day 0
alone, the events on the same day). The worst case is O(N²·L1): every window overlapping
every other while the rows fall into many classes (different day 0s or different missing
days), e.g. N events on consecutive days with a window longer than their spread. No N×N
matrix is formed: only pairs whose windows overlap are listed (and the tiles' products hold
at most ``_TILE``² pairs each).

Reference: Kolari & Pynnönen (2010), "Event Study Testing with Cross-sectional Correlation of
Abnormal Returns", *Review of Financial Studies* 23(11), 3996-4025, section 2 and eq. (8)-(10).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

_LARGE_CLASS = 16
"""Classes with at least this many rows use the factored class-pair sums."""

_TILE = 32
"""Rows per tile of the small-class cross products (small enough for one BLAS thread)."""

_CHUNK_PAIRS = 262_144
"""Row pairs whose sums are formed at once (bounds the work arrays)."""

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
    calendar days than there are residuals).

    Parameters
    ----------
    residuals, calendar_day, min_obs
        As in :func:`average_cross_correlation`.
    """

    def __init__(self, residuals: np.ndarray, calendar_day: np.ndarray, *, min_obs: int = 3) -> None:
        e = np.asarray(residuals, dtype=float)
        days = np.asarray(calendar_day)
        if e.shape != days.shape or e.ndim != 2:
            raise ValueError(f"residuals {e.shape} and calendar_day {days.shape} must be equal 2-D")
        valid = np.isfinite(e)
        count = valid.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.where(valid, e, 0.0)
            raw = np.square(u).sum(axis=1)
            mean = u.sum(axis=1) / count
            u -= mean[:, None]
            u[~valid] = 0.0
            ss = np.square(u).sum(axis=1)
            self.usable = (count >= min_obs) & (ss > _ZERO_VARIANCE * raw)
            scale = np.where(self.usable, np.sqrt(ss / np.maximum(count, 1)), 1.0)
        u /= scale[:, None]
        u[~self.usable] = 0.0
        self.values = u  # (N, L1), zero where missing
        self.valid = valid & self.usable[:, None]
        self.days = _compressed_days(days.astype(np.int64, copy=False), self.valid)
        self.count = count
        self.min_obs = int(min_obs)
        self.first, self.last, self.hole_pointer, self.hole_day = _hulls(self.days, self.valid)
        self.estimation_class = _row_classes(np.where(self.valid, self.days, -1))
        self._tiles: tuple[_Tiles, np.ndarray] | None = None

    def rbar(self, rows: np.ndarray, window_day: np.ndarray) -> float:
        """:math:`\\bar r` of the pairs ``rows`` ((N,) bool) for the event window whose
        calendar days are ``window_day`` ((N, L) int); NaN with fewer than two usable pairs."""
        total, n = self.pair_sum(rows, window_day)
        return rbar_from_sum(total, n)

    def pair_sum(self, rows: np.ndarray, window_day: np.ndarray) -> tuple[float, int]:
        """:math:`\\sum_{i \\ne j}\\omega_{ij}r_{ij}` over the ordered pairs of the usable
        pairs among ``rows`` ((N,) bool), and their number n (:meth:`rbar` is the sum over
        :math:`n(n-1)`, :func:`rbar_from_sum`). A sum over the pairs of a union of row sets is
        the sums over each set plus the cross terms, so pairs can be split by calendar time."""
        window_day = np.asarray(window_day)
        if window_day.ndim != 2 or window_day.shape[0] != self.values.shape[0]:
            n_rows = self.values.shape[0]
            raise ValueError(f"window_day must be (N, L) with N={n_rows}, got {window_day.shape}")
        use = np.flatnonzero(np.asarray(rows, dtype=bool) & self.usable)
        n = use.size
        if n < 2:
            return 0.0, n
        classes = _Classes(self, use, window_day[use].astype(np.int64, copy=False))
        return float(classes.large_class_sums() + classes.small_class_sums()), n

    def tiles(self) -> tuple[_Tiles, np.ndarray]:
        """:class:`_Tiles` of every usable pair, ordered by first valid estimation day (so that
        pairs close in calendar time share tiles), built once for all windows and subsets; and
        (N,) each pair's position in that order (-1 if not usable)."""
        if self._tiles is None:
            usable = np.flatnonzero(self.usable)
            rows = usable[np.argsort(self.first[usable], kind="stable")]
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
    rows with the same valid estimation days and the same window days, ordered by their first
    window day (so that classes whose windows overlap are close)."""

    def __init__(self, parts: CalendarResiduals, use: np.ndarray, window: np.ndarray) -> None:
        self.parts = parts
        key = np.concatenate([parts.estimation_class[use][:, None], np.sort(window, axis=1)], axis=1)
        raw_class = _row_classes(key)
        first_row = np.unique(raw_class, return_index=True)[1]  # ids are 0..K-1
        order = np.lexsort((first_row, window.min(axis=1)[first_row]))
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        cls = rank[raw_class]
        row_order = np.lexsort((np.arange(use.size), cls))
        self.rows = use[row_order]  # panel rows, grouped by class, classes in window order
        self.cls = cls[row_order]
        self.size = np.bincount(self.cls, minlength=order.size)
        self.start = np.concatenate([[0], np.cumsum(self.size)])
        self.overlap, self.length = _overlaps(window[row_order][self.start[:-1]])
        self.large = self.size >= _LARGE_CLASS

    # ---------------------------------------------------------------- large classes
    def large_class_sums(self) -> float:
        """Σ over ordered row pairs (i ≠ j), i or j in a large class, of ω_ij r_ij."""
        total = 0.0
        overlap = self.overlap
        for a in np.flatnonzero(self.large).tolist():
            partners = overlap.indices[overlap.indptr[a] : overlap.indptr[a + 1]]
            shared = overlap.data[overlap.indptr[a] : overlap.indptr[a + 1]]
            keep = ~self.large[partners] | (partners >= a)  # two large classes: once
            partners, shared = partners[keep], shared[keep]
            weight = shared / np.sqrt(self.length[a] * self.length[partners])
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

    # ---------------------------------------------------------------- small classes
    def small_class_sums(self) -> float:
        """Σ over ordered row pairs (i ≠ j), both in small classes, of ω_ij r_ij.

        The pairs are listed from the class pairs A <= B (class order) whose windows overlap;
        with the rows of the small classes in class order, i comes before j. They are sorted
        by the tiles of i and j (``_TILE`` consecutive rows each) and their correlations are
        formed by :meth:`_Tiles.correlations`, a chunk of pairs at a time."""
        small_rows = ~self.large[self.cls]
        if np.count_nonzero(small_rows) < 2:
            return 0.0
        small = np.flatnonzero(~self.large)
        position = np.full(self.size.size, -1, dtype=np.int64)  # first small-row position
        position[small] = np.concatenate([[0], np.cumsum(self.size[small])[:-1]])
        upper = sparse.triu(self.overlap[small][:, small], format="coo")
        class_a, class_b = small[upper.row], small[upper.col]
        weight = upper.data / np.sqrt(self.length[class_a] * self.length[class_b])
        size_a, size_b = self.size[class_a], self.size[class_b]
        count = size_a * size_b
        pair = np.repeat(np.arange(count.size), count)
        k = np.arange(pair.size) - np.repeat(np.cumsum(count) - count, count)
        i = position[class_a][pair] + k // size_b[pair]
        j = position[class_b][pair] + k % size_b[pair]
        keep = j > i  # a class with itself: each pair once, no diagonal
        i, j, w = i[keep], j[keep], weight[pair[keep]]
        if i.size == 0:
            return 0.0
        tiles, position = self.parts.tiles()
        rows = self.rows[small_rows]
        i, j = position[rows[i]], position[rows[j]]  # positions in the tiles' row order
        i, j = np.minimum(i, j), np.maximum(i, j)
        tile_pair = (i // _TILE) * tiles.count + j // _TILE
        order = np.argsort(tile_pair)  # any order within a tile pair
        i, j, w, tile_pair = i[order], j[order], w[order], tile_pair[order]
        total = 0.0
        lo = 0
        while lo < i.size:
            hi = min(lo + _CHUNK_PAIRS, i.size)
            if hi < i.size:  # end the chunk at a tile-pair boundary when there is one
                boundary = int(np.searchsorted(tile_pair, tile_pair[hi - 1], side="left"))
                hi = boundary if boundary > lo else hi
            r = tiles.correlations(i[lo:hi], j[lo:hi], tile_pair[lo:hi], self.parts.min_obs)
            total += float(np.dot(w[lo:hi], r))
            lo = hi
        return 2.0 * total


class _Tiles:
    """Rows cut into tiles of ``_TILE`` (in a given order), each tile's rows dense on the
    tile's calendar frame (first to last valid day of its rows), with row prefix sums.

    For rows i, j with hulls :math:`I_i = [f_i, l_i]` (first and last valid day) and holes
    :math:`H_i = I_i \\setminus V_i` (missing days between), the common days are
    :math:`C = V_i \\cap V_j`, so with :math:`\\tilde u_i` zero off :math:`V_i`,

    .. math::

        |C| = |I_i \\cap I_j| - |H_i \\cap I_j| - |H_j \\cap I_i| + |H_i \\cap H_j|, \\qquad
        \\textstyle\\sum_C u_i = \\sum_{d \\in I_j}\\tilde u_{id} - \\sum_{h \\in H_j}\\tilde u_{ih},

    the same for :math:`u_i^2`, and with i and j swapped for :math:`u_j`, :math:`u_j^2`; a sum
    over :math:`I_j` is a difference of prefix sums. Building costs O(N·F), F the frame width
    (typically L1 plus the spread of a tile's day 0s)."""

    def __init__(self, parts: CalendarResiduals, rows: np.ndarray) -> None:
        self.parts = parts
        self.rows = rows
        self.count = -(-rows.size // _TILE)
        tile = np.arange(rows.size) // _TILE
        slot = np.arange(rows.size) % _TILE
        first, last = parts.first[rows], parts.last[rows]
        self.start = np.minimum.reduceat(first, np.arange(0, rows.size, _TILE))
        self.width = np.maximum.reduceat(last, np.arange(0, rows.size, _TILE)) - self.start + 1
        # One row pitch for every tile (one cumulative sum) unless that wastes much memory.
        widest = int(self.width.max())
        uniform = self.count * widest <= 2 * int(self.width.sum()) + 4096
        self.pitch = np.full(self.count, widest) if uniform else self.width.copy()
        cells = _TILE * self.pitch
        self.offset = np.concatenate([[0], np.cumsum(cells)])[:-1]
        self.cum_offset = np.concatenate([[0], np.cumsum(cells + _TILE)])[:-1]
        self.row_base = self.offset[tile] + slot * self.pitch[tile] - self.start[tile]  # + day
        self.cum_base = self.cum_offset[tile] + slot * (self.pitch[tile] + 1) - self.start[tile]
        self.row_width = self.width[tile]
        self.row_start = self.start[tile]
        self.row_first, self.row_last = first, last
        valid = parts.valid[rows]
        values = np.zeros(int(cells.sum()))
        values[(self.row_base[:, None] + parts.days[rows])[valid]] = parts.values[rows][valid]
        holes = np.repeat(np.arange(rows.size), np.diff(parts.hole_pointer)[rows])
        hole_days = parts.hole_day[_expand(parts.hole_pointer[rows], np.diff(parts.hole_pointer)[rows])]
        self.hole_flag = np.zeros(values.size, dtype=np.uint8)
        self.hole_flag[self.row_base[holes] + hole_days] = 1
        cum = np.zeros(int((cells + _TILE).sum()))
        cum_sq = np.zeros_like(cum)
        if uniform:
            shape = (self.count * _TILE, widest)
            np.cumsum(values.reshape(shape), axis=1, out=cum.reshape(-1, widest + 1)[:, 1:])
            np.cumsum(np.square(values).reshape(shape), axis=1, out=cum_sq.reshape(-1, widest + 1)[:, 1:])
        else:
            for t in range(self.count):
                piece = slice(self.cum_offset[t], self.cum_offset[t] + cells[t] + _TILE)
                block = slice(self.offset[t], self.offset[t] + cells[t])
                for power, target in ((1, cum), (2, cum_sq)):
                    out = target[piece].reshape(_TILE, -1)[:, 1:]
                    np.cumsum(values[block].reshape(_TILE, -1) ** power, axis=1, out=out)
        self.values, self.cum, self.cum_sq = values, cum, cum_sq

    def _dense(self, tile: int) -> np.ndarray:
        """(``_TILE``, pitch) the values of the rows of ``tile`` on its frame (a view)."""
        start = self.offset[tile]
        return self.values[start : start + _TILE * self.pitch[tile]].reshape(_TILE, self.pitch[tile])

    def _cross(self, i: np.ndarray, j: np.ndarray, tile_pair: np.ndarray) -> np.ndarray:
        """(P,) :math:`\\sum_d \\tilde u_{id}\\tilde u_{jd}`: one matrix product per tile pair."""
        distinct, first = np.unique(tile_pair, return_index=True)
        products = np.zeros((distinct.size, _TILE, _TILE))
        tiles_a, tiles_b = (i[first] // _TILE).tolist(), (j[first] // _TILE).tolist()
        for k, (ta, tb) in enumerate(zip(tiles_a, tiles_b, strict=True)):
            lo = max(self.start[ta], self.start[tb])
            hi = min(self.start[ta] + self.width[ta], self.start[tb] + self.width[tb])
            if hi > lo:
                left = self._dense(ta)[:, lo - self.start[ta] : hi - self.start[ta]]
                right = self._dense(tb)[:, lo - self.start[tb] : hi - self.start[tb]]
                np.matmul(left, right.T, out=products[k])
        which = np.searchsorted(distinct, tile_pair)
        return products[which, i % _TILE, j % _TILE]

    def _interval(self, cum: np.ndarray, i: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """(P,) :math:`\\sum_{d=low}^{high}` of row i's values (a prefix-sum difference)."""
        start, width = self.row_start[i], self.row_width[i]
        lo = np.clip(low, start, start + width)
        hi = np.maximum(np.clip(high + 1, start, start + width), lo)
        base = self.cum_base[i]
        return cum[base + hi] - cum[base + lo]

    def _at_holes(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, ...]:
        """(P,) each: over the holes h of row j, :math:`\\sum_h \\tilde u_{ih}`,
        :math:`\\sum_h \\tilde u_{ih}^2`, :math:`|H_i \\cap H_j|` and :math:`|H_j \\cap I_i|`.
        O(P + holes of the rows j)."""
        parts = self.parts
        row_j = self.rows[j]
        count = np.diff(parts.hole_pointer)[row_j]
        if not count.any():
            zero = np.zeros(i.size)
            return zero, zero, zero, zero
        pair = np.repeat(np.arange(i.size), count)
        day = parts.hole_day[_expand(parts.hole_pointer[row_j], count)]
        at = i[pair]  # positions of the rows i, one per hole of j
        start, width = self.row_start[at], self.row_width[at]
        inside = (day >= start) & (day < start + width)
        index = np.where(inside, self.row_base[at] + day, 0)
        in_hull = (day >= self.row_first[at]) & (day <= self.row_last[at])
        value = np.where(inside, self.values[index], 0.0)
        flag = np.where(inside, self.hole_flag[index], 0).astype(float)
        return tuple(
            np.bincount(pair, weights=weights, minlength=i.size)
            for weights in (value, value**2, flag, in_hull.astype(float))
        )

    def correlations(self, i: np.ndarray, j: np.ndarray, tile_pair: np.ndarray, min_obs: int) -> np.ndarray:
        """(P,) Pearson :math:`r_{ij}` of the rows at positions i and j over their common valid
        days (0 where fewer than ``min_obs`` or a constant series there); sorted by tile pair."""
        fi, li, fj, lj = self.row_first[i], self.row_last[i], self.row_first[j], self.row_last[j]
        hull = np.maximum(np.minimum(li, lj) - np.maximum(fi, fj) + 1, 0)
        x_holes_j, xx_holes_j, both, j_in_i = self._at_holes(i, j)
        y_holes_i, yy_holes_i, _, i_in_j = self._at_holes(j, i)
        n = hull - i_in_j - j_in_i + both
        sx = self._interval(self.cum, i, fj, lj) - x_holes_j
        sxx = self._interval(self.cum_sq, i, fj, lj) - xx_holes_j
        sy = self._interval(self.cum, j, fi, li) - y_holes_i
        syy = self._interval(self.cum_sq, j, fi, li) - yy_holes_i
        sxy = self._cross(i, j, tile_pair)
        estimable = n >= min_obs
        safe = np.where(estimable, n, 1.0)
        inverse = _inverse_sd(sxx - sx**2 / safe, sxx) * _inverse_sd(syy - sy**2 / safe, syy)
        return np.where(estimable, (sxy - sx * sy / safe) * inverse, 0.0)


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    total = int(counts.sum())
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)


def _dense(parts: CalendarResiduals, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, D) values (0 where missing) and 0/1 validity of ``rows`` on their common calendar
    (their first to last valid day, or their distinct days if those are far apart)."""
    days = parts.days[rows]
    valid = parts.valid[rows]
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
    values[row, local[valid]] = parts.values[rows][valid]
    mask[row, local[valid]] = 1.0
    return values, mask


def _compressed_days(days: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The calendar days renumbered from 0 (the values where not valid are left as they are);
    when they span far more days than there are valid residuals, by rank among the distinct
    valid days."""
    if not valid.any():
        return np.zeros_like(days)
    first = int(np.where(valid, days, _FAR).min())
    span = int(np.where(valid, days, -_FAR).max()) - first + 1
    if span <= 4 * int(np.count_nonzero(valid)) + 1_000_000:
        return days - first
    distinct = np.unique(days[valid])
    return np.searchsorted(distinct, days)


def _hulls(days: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(N,) first and last valid day of each row, and its holes (the days between them that are
    not valid days of the row) as (N + 1,) pointers into the hole days.

    O(N·L1 + holes) for rows whose days step by one from column to column (an event panel on a
    trading calendar: the holes are the missing columns); the other rows are sorted.

    Raises
    ------
    ValueError
        If a row has the same valid day twice.
    """
    n_rows, n_cols = days.shape
    count = valid.sum(axis=1)
    has = count > 0
    column = np.arange(n_cols)
    first_column = np.argmax(valid, axis=1) if n_cols else np.zeros(n_rows, dtype=np.int64)
    last_column = n_cols - 1 - np.argmax(valid[:, ::-1], axis=1) if n_cols else first_column
    rows = np.arange(n_rows)
    base = days[rows, first_column] - first_column if n_cols else np.zeros(n_rows, dtype=np.int64)
    aligned = ~has | np.all(~valid | (days - column == base[:, None]), axis=1)
    first = np.where(has, base + first_column, _FAR)
    last = np.where(has, base + last_column, -_FAR)
    inner = ~valid & (column > first_column[:, None]) & (column < last_column[:, None]) & aligned[:, None]
    hole_row, hole_column = np.nonzero(inner)
    hole_count = np.bincount(hole_row, minlength=n_rows)
    hole_days = [base[hole_row] + hole_column]
    other = np.flatnonzero(~aligned)
    if other.size:
        ordered = np.sort(np.where(valid[other], days[other], _FAR), axis=1)
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

"""Calendar positions of a window fixed in event time, made a block of rows at a time.

Every pair of a study has its estimation window at the same relative days (e.g. -260..-11), so
the (pairs x days) calendar positions of its days are ``day0 + tau``, -1 outside the calendar
(:func:`relative_day_index`). :class:`DayGrid` keeps the (P,) days 0 and the (L,) relative days
and makes the positions of the rows a step asks for: the fit, the market values and Kolari and
Pynnönen's r̄ read them a block of rows at a time, so a study holds no (pairs x estimation days)
array of positions (1 KB a pair in int32 for a 250-day window).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from eventstudy.blocks import row_blocks

_BLOCK_VALUES = 2**18
"""Positions made at a time by :meth:`DayGrid.min`, :meth:`DayGrid.max` and ``__array__`` (1 MB
of int32)."""


def relative_day_index(
    day_zero_index: np.ndarray, taus: np.ndarray, n_days: int, dtype: Any = None
) -> np.ndarray:
    """Calendar positions ``day0 + tau`` for every pair and tau, ``-1`` where outside the calendar.

    Parameters
    ----------
    day_zero_index
        (P,) positions of day 0 (``-1`` for pairs without a day 0).
    taus
        (L,) relative days.
    n_days
        Length of the calendar.
    dtype
        Integer type of the positions (default: that of ``day_zero_index + taus``). The rows
        whose window lies inside the calendar are added in it (exact: its range must hold the
        calendar); the others are masked in the inputs' own type, then stored.

    Returns
    -------
    numpy.ndarray
        (P, L) integer positions.
    """
    dtype = np.result_type(day_zero_index, taus) if dtype is None else np.dtype(dtype)
    positions = np.empty((day_zero_index.size, taus.size), dtype=dtype)
    if positions.size == 0:
        return positions
    np.add(day_zero_index.astype(dtype, copy=False)[:, None], taus.astype(dtype, copy=False), out=positions)
    # Only rows whose span reaches past either end (or without a day 0) need the mask.
    first, last = day_zero_index + taus.min(), day_zero_index + taus.max()
    rows = np.flatnonzero((day_zero_index < 0) | (first < 0) | (last >= n_days))
    if rows.size:
        part = day_zero_index[rows, None] + taus
        outside = (part < 0) | (part >= n_days) | (day_zero_index[rows, None] < 0)
        positions[rows] = np.where(outside, -1, part)
    return positions


class DayGrid(NDArrayOperatorsMixin):
    """(P, L) calendar positions ``day0_p + tau_l`` (-1 outside the calendar, or for a pair
    without a day 0), as :func:`relative_day_index` gives them in ``dtype``, made when asked.

    Indexing by rows (an integer, a slice, an integer array or a (P,) boolean mask) makes the
    positions of those rows only, as do :meth:`min` and :meth:`max` a block at a time; any
    other index, ``numpy.asarray``, numpy's functions and operators and any other array
    attribute (``ravel``, ``astype``, ...) see the whole (P, L) array, which they make first.

    Parameters
    ----------
    day_zero_index
        (P,) calendar position of each pair's day 0, -1 for none.
    taus
        (L,) relative days of the window.
    n_days
        Sessions in the calendar.
    dtype
        Integer type of the positions (int32 for a study's estimation days: half of int64).
    """

    __slots__ = ("day_zero_index", "dtype", "n_days", "taus")

    def __init__(
        self, day_zero_index: np.ndarray, taus: np.ndarray, n_days: int, dtype: Any = np.int64
    ) -> None:
        self.day_zero_index = np.asarray(day_zero_index, dtype=np.int64).reshape(-1)
        self.taus = np.asarray(taus, dtype=np.int64).reshape(-1)
        self.n_days = int(n_days)
        self.dtype = np.dtype(dtype)
        if not np.issubdtype(self.dtype, np.integer):
            raise ValueError(f"dtype must be an integer type, got {self.dtype}")
        if self.n_days - 1 > np.iinfo(self.dtype).max:
            raise ValueError(f"{self.dtype} cannot hold the positions of {self.n_days} sessions")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.day_zero_index.size, self.taus.size)

    @property
    def ndim(self) -> int:
        return 2

    @property
    def size(self) -> int:
        return self.day_zero_index.size * self.taus.size

    def __len__(self) -> int:
        return self.day_zero_index.size

    def __repr__(self) -> str:
        (n_pairs, n_taus), taus = self.shape, self.taus
        window = f"taus {taus[0]}..{taus[-1]}" if n_taus else "no taus"
        return f"DayGrid({n_pairs} pairs x {n_taus} days, {window}, {self.n_days} sessions, {self.dtype})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (DayGrid, (self.day_zero_index, self.taus, self.n_days, self.dtype))

    def rows(self, index: Any) -> DayGrid:
        """The grid of the pairs ``index`` (as ``day_zero_index[index]``), still made when asked."""
        return DayGrid(self.day_zero_index[index], self.taus, self.n_days, self.dtype)

    def blocks(self) -> Iterator[tuple[slice, np.ndarray]]:
        """Each block of rows (a slice) with its positions, :data:`_BLOCK_VALUES` at a time."""
        for rows in row_blocks(len(self), self.taus.size, _BLOCK_VALUES):
            yield rows, self[rows]

    def __getitem__(self, key: Any) -> Any:
        if _is_row_index(key, len(self)):
            day_zero = self.day_zero_index[key]
            positions = relative_day_index(np.atleast_1d(day_zero), self.taus, self.n_days, self.dtype)
            return positions[0] if np.ndim(day_zero) == 0 else positions
        return np.asarray(self)[key]

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy is False:
            raise ValueError("a DayGrid makes its array: it cannot be viewed without a copy")
        out = np.empty(self.shape, dtype=self.dtype)
        for rows, positions in self.blocks():
            out[rows] = positions
        return out if dtype is None else out.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        arrays = [np.asarray(x) if isinstance(x, DayGrid) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(x) if isinstance(x, DayGrid) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*arrays, **kwargs)

    def __getattr__(self, name: str) -> Any:
        """Any other attribute of an array (``ravel``, ``astype``, ``tolist``, ...): the whole
        array's."""
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(np.asarray(self), name)

    def min(self) -> int:
        """The smallest position (-1 when a position is outside the calendar), as ``ndarray.min``."""
        return min(self._block_extremes("min"))

    def max(self) -> int:
        """The largest position, as ``ndarray.max``."""
        return max(self._block_extremes("max"))

    def _block_extremes(self, name: str) -> list[int]:
        if self.size == 0:
            raise ValueError(f"zero-size DayGrid has no {name}")
        return [int(getattr(positions, name)()) for _, positions in self.blocks() if positions.size]


def _is_row_index(key: Any, n_rows: int) -> bool:
    """Whether ``key`` selects rows only: an integer, a slice, a 1-D integer array or a (P,)
    boolean mask."""
    if isinstance(key, (int, np.integer, slice)) and not isinstance(key, bool):
        return True
    if isinstance(key, (list, np.ndarray)):
        index = np.asarray(key)
        if index.ndim != 1:
            return False
        if index.dtype == bool:
            return index.size == n_rows
        return np.issubdtype(index.dtype, np.integer) or index.size == 0
    return False

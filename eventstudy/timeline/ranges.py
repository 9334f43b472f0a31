"""Dated items of one ticker, found by a range of trading days: the lookup behind the overlap
flags (:mod:`eventstudy.timeline.overlap`) and the confounder screen
(:mod:`eventstudy.timeline.confounders`).

An *item* is anything that happens to a ticker on one trading day: another event of the
ticker (its day 0), an earnings release (its reaction session), a line of the user's news file.
A *query* asks, for one ticker and an inclusive range of calendar positions ``[low, high]``,
which items fall inside. :class:`DayIndex` sorts the items once by (ticker, position, rank);
the items of a query are then one contiguous run of that order, found with two binary
searches, so Q queries over N items cost O((Q + N) log N) and no pair of items is ever
formed. :func:`describe_runs` turns runs into the text of a flag (at most ``max_listed``
labels, then a count), touching only the items it names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAX_LISTED = 5
"""Items named per flag; the rest are counted ("and 3 more (8 in all)")."""


@dataclass(frozen=True)
class DayIndex:
    """Items sorted by (ticker code, calendar position, rank) for range queries.

    Attributes
    ----------
    key
        (N,) sorted ``code * width + position + 1`` of the items with a position.
    item
        (N,) the item (its index in the arrays given to :meth:`build`) at each sorted place.
    position
        (N,) each sorted item's calendar position.
    width
        Key stride of one ticker: every position and clipped query bound fits in it.
    """

    key: np.ndarray
    item: np.ndarray
    position: np.ndarray
    width: int

    @classmethod
    def build(cls, codes: np.ndarray, positions: np.ndarray, rank: np.ndarray | None = None) -> DayIndex:
        """Index the items with ``positions >= 0`` (the others have no trading day).

        Parameters
        ----------
        codes
            (N,) integer ticker code of each item.
        positions
            (N,) calendar position of each item, -1 for none.
        rank
            (N,) order among the items of one ticker and day (default: their order here).
        """
        codes = np.asarray(codes, dtype=np.int64)
        positions = np.asarray(positions, dtype=np.int64)
        rank = np.zeros(len(codes), dtype=np.int64) if rank is None else np.asarray(rank, dtype=np.int64)
        dated = np.flatnonzero(positions >= 0)
        width = int(positions.max()) + 3 if dated.size else 3
        order = dated[np.lexsort((dated, rank[dated], positions[dated], codes[dated]))]
        key = codes[order] * width + positions[order] + 1
        return cls(key, order, positions[order], width)

    def __len__(self) -> int:
        return len(self.key)

    def runs(self, codes: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted places ``[start, stop)`` of the items of ticker ``codes`` in ``[low, high]``.

        Parameters
        ----------
        codes
            (Q,) ticker code of each query.
        low, high
            (Q,) inclusive calendar positions (any integers; clipped to the calendar here).
        """
        codes = np.asarray(codes, dtype=np.int64)
        low = np.clip(np.asarray(low, dtype=np.int64), -1, self.width - 2)
        high = np.clip(np.asarray(high, dtype=np.int64), -1, self.width - 2)
        base = codes * self.width + 1
        start = np.searchsorted(self.key, base + low, "left")
        stop = np.searchsorted(self.key, base + high, "right")
        return start, np.maximum(stop, start)

    def place_of(self, items: np.ndarray) -> np.ndarray:
        """(Q,) the sorted place of each item index (-1 for -1 or an item without a day)."""
        places = np.full(int(self.item.max()) + 1 if len(self.item) else 0, -1, dtype=np.int64)
        places[self.item] = np.arange(len(self.item))
        items = np.asarray(items, dtype=np.int64)
        known = (items >= 0) & (items < len(places))
        out = np.full(items.shape, -1, dtype=np.int64)
        out[known] = places[items[known]]
        return out


def run_counts(start: np.ndarray, stop: np.ndarray, own: np.ndarray | None = None) -> np.ndarray:
    """Items in each run, leaving out the query's own item (sorted place ``own``, -1 none)."""
    counts = stop - start
    if own is not None:
        counts = counts - ((own >= start) & (own < stop))
    return counts


def describe_runs(
    start: np.ndarray,
    stop: np.ndarray,
    label: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    own: np.ndarray | None = None,
    max_listed: int = MAX_LISTED,
    sep: str = ", ",
) -> np.ndarray:
    """The text of each run: ``"a, b, c"``, or ``"a, ... e and 3 more (8 in all)"``.

    Parameters
    ----------
    start, stop
        (Q,) runs of :meth:`DayIndex.runs`.
    label
        ``label(places, queries)`` gives the text of the sorted items at ``places`` seen from
        the queries ``queries`` (both (K,) integer arrays; a label may depend on the query, e.g.
        the item's day relative to the query's day 0).
    own
        (Q,) sorted place of each query's own item, skipped (-1: none).
    max_listed
        Items named per run; the others are counted.
    sep
        Text between two labels.

    Returns
    -------
    numpy.ndarray
        (Q,) object array, ``""`` for an empty run. Built slot by slot over the queries that
        still have an item to name, so the cost is that of the text produced.
    """
    n = len(start)
    own = np.full(n, -1, dtype=np.int64) if own is None else np.asarray(own, dtype=np.int64)
    inside = (own >= start) & (own < stop)
    others = stop - start - inside
    text = np.full(n, "", dtype=object)
    for slot in range(max_listed):
        queries = np.flatnonzero(slot < others)
        if not queries.size:
            break
        places = start[queries] + slot
        places += inside[queries] & (places >= own[queries])  # skip the query's own item
        piece = label(places, queries)
        text[queries] = (text[queries] + sep + piece) if slot else piece
    more = np.flatnonzero(others > max_listed)
    if more.size:
        extra = (others[more] - max_listed).astype(str).astype(object)
        total = others[more].astype(str).astype(object)
        text[more] = text[more] + " and " + extra + " more (" + total + " in all)"
    return text


def join_parts(note: np.ndarray, part: np.ndarray, prefix: str = "", sep: str = "; ") -> np.ndarray:
    """``note`` with ``prefix + part`` appended (``sep`` between) where ``part`` is not empty."""
    has = part != ""
    piece = np.where(has, prefix + part, "")
    return np.where(note == "", piece, np.where(has, note + sep + piece, note))

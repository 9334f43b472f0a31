"""How a partitioned study splits its pairs: by ticker for the estimation, by calendar time for r̄.

Both splits are functions of the study (its events, the calendar, the windows) and of
``rows_per_partition``, which is recorded: with it, a study gives the same numbers bit for bit on
any number of workers (sums are added in partition and block order). Its default
(:func:`default_rows_per_partition`) follows the number of workers, so without it another
cluster may give numbers that differ in their last bits (9e-15 relative on the launch study:
sums added in other groups)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

MAX_ROWS_PER_PARTITION = 50_000
"""Default ceiling of a partition's pairs (about 0.5 GB of worker memory at 250 estimation days)."""

ROWS_PER_PARTITION_LIMIT = 2**31 - 1
"""The largest ``rows_per_partition`` taken (far beyond any machine's memory): a larger number, e.g.
an edited manifest's 10**30, made the block arithmetic overflow."""


def rows_per_partition_problem(rows: object) -> str | None:
    """Why ``rows`` is not a number of pairs per partition (a whole number from 1 to
    :data:`ROWS_PER_PARTITION_LIMIT`), or None."""
    if isinstance(rows, bool) or not isinstance(rows, int | np.integer):
        return f"must be a whole number of pairs, got {rows!r}"
    if not 1 <= int(rows) <= ROWS_PER_PARTITION_LIMIT:
        return f"must be from 1 to {ROWS_PER_PARTITION_LIMIT:,} pairs, got {int(rows):,}"
    return None


PARTITIONS_PER_WORKER = 4
"""Default partitions per worker: enough to balance tickers of unequal size."""


def default_rows_per_partition(n_pairs: int, n_workers: int) -> int:
    """About :data:`PARTITIONS_PER_WORKER` partitions per worker, at most
    :data:`MAX_ROWS_PER_PARTITION` pairs each."""
    wanted = math.ceil(n_pairs / max(1, PARTITIONS_PER_WORKER * n_workers))
    return int(min(MAX_ROWS_PER_PARTITION, max(1, wanted)))


def plan_partitions(tickers: Sequence[str] | np.ndarray, rows_per_partition: int) -> list[np.ndarray]:
    """Pair positions of each partition: whole tickers, in sorted ticker order, at most
    ``rows_per_partition`` pairs (a ticker with more pairs than that is a partition of its own).

    Within a partition the positions are ascending. A ticker's events stay together because a
    pair's overlap notes and ``exclude_overlapping_windows`` look at the same ticker's other
    events. Cost O(P log P).

    Raises
    ------
    ValueError
        If ``rows_per_partition`` is not positive.
    """
    if rows_per_partition < 1:
        raise ValueError("rows_per_partition must be positive")
    codes, names = pd.factorize(pd.Index(list(tickers), dtype=object), sort=True)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(names))
    ends = np.cumsum(counts)
    partitions: list[np.ndarray] = []
    start = 0  # position in ``order`` where the current partition starts
    size = 0
    for count, end in zip(counts.tolist(), ends.tolist(), strict=True):
        if size and size + count > rows_per_partition:
            partitions.append(np.sort(order[start : end - count]))
            start, size = end - count, 0
        size += count
    if size:
        partitions.append(np.sort(order[start:]))
    return partitions


def block_width(span_days: int, starts: np.ndarray, rows_per_block: int) -> int:
    """Calendar days per block of the Kolari-Pynnönen pair sums.

    At least ``span_days`` (the event span's length: pairs whose windows overlap then start in
    one block or in neighbouring ones), and wide enough for about ``rows_per_block`` pairs per
    block on average over the days the pairs' spans start on (``starts``).
    """
    if starts.size == 0:
        return max(1, span_days)
    spread = int(starts.max() - starts.min()) + 1
    return int(max(span_days, math.ceil(spread * rows_per_block / starts.size)))


def block_of(starts: np.ndarray, width: int) -> np.ndarray:
    """(n,) the block of each span start (``floor(start / width)``)."""
    return np.floor_divide(starts, width)

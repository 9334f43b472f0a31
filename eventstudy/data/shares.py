"""The plausibility check every share count passes before the cache takes it.

A market value is price times share count, so a count in thousands or millions read as units
makes every dollar figure of its ticker 1,000 or 1,000,000 times wrong (ORCL at 2.84 trillion
shares once led a report with "-$34.6T of market value"). A split changes the count by its
ratio, at most a few dozen (NVDA's 10-for-1 in 2024, Berkshire B's 50-for-1 in 2010), so a
count more than :data:`MAX_SHARE_COUNT_RATIO` times (or less than its inverse) the ticker's
previous count in date order is refused, wherever it comes from: an imported file
(:mod:`eventstudy.data.importer`) or Yahoo (:mod:`eventstudy.data.acquire`).

A ticker's only count, or every count of one file, has no earlier one to be compared with, so a
study also compares each count with the ticker's trading
(:func:`eventstudy.valuation.count_below_volume`): no stock trades more than its shares
outstanding on a median day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_SHARE_COUNT_RATIO = 100.0
"""Largest factor between a ticker's consecutive share counts: a split changes the count by its
ratio (NVDA's 10-for-1 in 2024, Berkshire B's 50-for-1 in 2010), while a count in thousands or
millions read as units is 1,000 or 1,000,000 times too large."""


@dataclass(frozen=True)
class ShareCountJump:
    """A share count too far from its ticker's previous one.

    Attributes
    ----------
    position
        Position of the count in the checked frame (0-based, in the frame's own order).
    ticker, as_of, count
        The count and what it is of.
    previous_as_of, previous_count
        The ticker's count just before it in date order.
    factor
        ``max(count / previous_count, previous_count / count)``.
    """

    position: int
    ticker: str
    as_of: pd.Timestamp
    count: float
    previous_as_of: pd.Timestamp
    previous_count: float
    factor: float

    def how_far(self) -> str:
        """``1,000 times`` for a rise, ``1/1,000 of`` for a fall."""
        return f"{self.factor:,.0f} times" if self.count > self.previous_count else f"1/{self.factor:,.0f} of"

    def describe(self) -> str:
        """What is wrong with the count, in one sentence (without saying where it came from)."""
        return (
            f"{self.count:,.0f} shares is {self.how_far()} {self.ticker}'s count as of "
            f"{self.previous_as_of:%Y-%m-%d} ({self.previous_count:,.0f}): a count in thousands or "
            f"millions read as units? (a split changes the count by its ratio; more than "
            f"{MAX_SHARE_COUNT_RATIO:,.0f} times is refused)"
        )


def share_count_jump(frame: pd.DataFrame) -> ShareCountJump | None:
    """The first share count of ``frame`` (in its own row order) whose factor to its ticker's
    previous count in date order exceeds :data:`MAX_SHARE_COUNT_RATIO`; None when there is none.

    ``frame`` has the columns ``ticker``, ``as_of`` and ``shares_outstanding`` (positive
    numbers), in any order; rows of one ticker and date keep their order (a stable sort).
    """
    ordered = frame.assign(position=np.arange(len(frame))).sort_values(["ticker", "as_of"], kind="stable")
    tickers = ordered["ticker"].to_numpy()
    same = np.zeros(len(ordered), dtype=bool)
    same[1:] = tickers[1:] == tickers[:-1]
    counts = ordered["shares_outstanding"].to_numpy(float)
    previous = np.roll(counts, 1)
    factor = np.maximum(counts / previous, previous / counts)
    jumps = np.flatnonzero(same & (factor > MAX_SHARE_COUNT_RATIO))
    if not jumps.size:
        return None
    positions = ordered["position"].to_numpy()
    at = int(jumps[np.argmin(positions[jumps])])  # the first in the frame's order
    dates = ordered["as_of"].to_numpy()
    return ShareCountJump(
        position=int(positions[at]),
        ticker=str(tickers[at]),
        as_of=pd.Timestamp(dates[at]),
        count=float(counts[at]),
        previous_as_of=pd.Timestamp(dates[at - 1]),
        previous_count=float(counts[at - 1]),
        factor=float(factor[at]),
    )

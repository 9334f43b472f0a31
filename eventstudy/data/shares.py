"""The plausibility check every share count passes before the cache takes it.

A market value is price times share count, so a count in thousands or millions read as units
makes every dollar figure of its ticker 1,000 or 1,000,000 times wrong (ORCL at 2.84 trillion
shares once led a report with "-$34.6T of market value"). A split changes the count by its
ratio, at most a few dozen (NVDA's 10-for-1 in 2024, Berkshire B's 50-for-1 in 2010), so a
count more than :data:`MAX_SHARE_COUNT_RATIO` times (or less than its inverse) the ticker's
previous count in date order is refused, wherever it comes from: an imported file
(:mod:`eventstudy.data.importer`) or Yahoo (:mod:`eventstudy.data.acquire`).

A shares file imported over a ticker's cached counts is merged with them by ``as_of`` (the file's
count wins on a day both give, :func:`merge_counts`), and the merged series is what the check
sees: a file cannot replace a history it would be refused beside.

A ticker's only count, or every count of one file, has no earlier one to be compared with, so a
study also compares each count with the ticker's trading
(:func:`eventstudy.valuation.implausible_count`): no stock trades more than its shares
outstanding on a median day, nor less than 1/50,000 of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MAX_EXACT_SHARE_COUNT = 2**53 - 1
"""The largest share count a file or Yahoo may give: the float64 the cache stores holds every
whole number up to it exactly (2^53 + 1 reads as 2^53), and no company has a thousandth of it."""
TOO_MANY_SHARES = (
    "is more shares than are stored exactly (at most 2^53 - 1 = 9,007,199,254,740,991; Bank of China, "
    "among the most, has about 3e11)"
)
"""Said of a count above :data:`MAX_EXACT_SHARE_COUNT`, after the count."""

CONFLICTING_COUNTS = "conflicting_counts"
"""The key, in :func:`eventstudy.data.yahoo.fetch_shares`'s frame's ``attrs`` and in the shares
file's provenance, of the dates Yahoo gave several counts for: ``as_of``, ``counts`` (distinct, in
yfinance's order) and the one ``kept`` (the last it gave). An import merged into the file keeps
the record."""
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
            f"{MAX_SHARE_COUNT_RATIO:,.0f} times is refused: import the counts of a larger split "
            "split-adjusted, each count before it times its ratio)"
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


MERGED_COLUMNS: tuple[str, ...] = ("shares_outstanding", "filing", "source")
"""The columns of a count that a re-import compares: a file's row differing in any of them
replaces the cached row of its day."""


def merge_counts(cached: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The counts of one ticker a re-import leaves, and the record of what it changed.

    Why: a shares file is often one new filing, not the ticker's history; replacing the cached
    counts with it silently lost them, and skipped the jump check against them.

    Parameters
    ----------
    cached, new
        The cached counts and the file's, with the columns of a shares file; ``as_of`` unique
        within each.

    Returns
    -------
    merged
        ``new``'s rows (in its order, its index kept) followed by the cached rows of days
        ``new`` does not give (index -1), so :func:`share_count_jump` names a file's count first.
    record
        ``cached_rows`` (how many counts the cache held), ``added`` (days the cache lacked),
        ``replaced`` (``as_of``, ``old`` and ``new`` count, and the ``columns`` changed, of the
        cached days whose row the file changes), ``kept`` (cached days the file does not give),
        all ISO dates in date order; None when there was no cached count or the file changes
        none and leaves none out (the same file again).
    """
    kept = cached.loc[~cached["as_of"].isin(new["as_of"])].sort_values("as_of", kind="stable")
    merged = pd.concat([new, kept.set_axis(np.full(len(kept), -1), axis=0)])
    if cached.empty:
        return merged, None
    both = new.sort_values("as_of", kind="stable").merge(
        cached, on="as_of", how="left", suffixes=("", "_old"), indicator=True
    )
    added = [_iso(d) for d in both.loc[both["_merge"] == "left_only", "as_of"]]
    replaced = [
        {
            "as_of": _iso(row["as_of"]),
            "old": float(row["shares_outstanding_old"]),
            "new": float(row["shares_outstanding"]),
            "columns": changed,
        }
        for _, row in both.loc[both["_merge"] == "both"].iterrows()
        if (changed := [c for c in MERGED_COLUMNS if not _same(row[f"{c}_old"], row[c])])
    ]
    if not (added or replaced or len(kept)):
        return merged, None
    kept_dates = [_iso(d) for d in kept["as_of"]]
    return merged, {"cached_rows": len(cached), "added": added, "replaced": replaced, "kept": kept_dates}


def merge_text(ticker: str, record: dict[str, Any]) -> str:
    """One line saying what a merge of share counts (:func:`merge_counts`) changed."""
    added, replaced, kept = record["added"], record["replaced"], record["kept"]
    text = f"{ticker}: share counts merged with the {record['cached_rows']} cached by as_of: "
    text += f"{len(added)} added"
    text += f" ({_span(added)})" if added else ""
    text += f", {len(replaced)} replaced"
    if len(replaced) == 1:
        [one] = replaced
        if "shares_outstanding" in one.get("columns", ["shares_outstanding"]):  # records without columns
            text += f" ({one['as_of']}: {one['old']:,.0f} -> {one['new']:,.0f})"
        else:
            columns = " and ".join(one["columns"])
            text += f" ({one['as_of']}: {one['new']:,.0f} unchanged, its {columns} replaced)"
    elif replaced:
        same = [r for r in replaced if "shares_outstanding" not in r.get("columns", ["shares_outstanding"])]
        joined = dict.fromkeys(" and ".join(r["columns"]) for r in same)  # filing on one, source on another
        columns = " or ".join(joined)
        their = "its" if len(same) == 1 else "their"
        said = f"; {len(same)} with {their} count unchanged, {their} {columns} replaced" if same else ""
        text += f" ({_span([r['as_of'] for r in replaced])}{said})"
    text += f", {len(kept)} kept that the file does not give"
    return text + (f" ({_span(kept)})" if kept else "")


def _same(old: Any, new: Any) -> bool:
    """Whether two cells are equal, two missing ones included (NaN is not equal to itself)."""
    return bool(old == new) or bool(pd.isna(old) and pd.isna(new))


def _span(dates: list[str]) -> str:
    """``2025-01-14`` for one date, ``2025-01-14..2025-10-30`` for several (in date order)."""
    return dates[0] if len(dates) == 1 else f"{dates[0]}..{dates[-1]}"


def _iso(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")

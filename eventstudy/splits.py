"""Stock split ratios as the share counts and the restated closes see them (pure: no I/O).

:mod:`eventstudy.valuation` reads the counts' changes by them, and
:mod:`eventstudy.data.restatements` a restatement of the cached closes by one.
"""

from __future__ import annotations

from fractions import Fraction

FRACTIONAL_SPLITS: tuple[float, ...] = (5 / 4, 4 / 3, 3 / 2, 5 / 3, 7 / 4, 5 / 2, 7 / 2)
"""The ratios of US stock splits other than n-for-1: 5-for-4, 4-for-3, 3-for-2, 5-for-3, 7-for-4,
5-for-2 and 7-for-2 (3-for-2 and 5-for-4 the most frequent in CRSP's distribution codes). A rise
of the counts by one of them may be such a split or an issue of shares
(:func:`eventstudy.valuation.fractional_changes`). Reverse splits by such ratios are not seen
(there are hardly any); a ratio not listed here, such as 9-for-8, is not seen either: import
split-adjusted counts. A restatement of the cached closes by 1/r is such a split
(:func:`eventstudy.data.restatements.split_of_closes`)."""


def split_ratio_text(factor: float) -> str:
    """A split ratio (or a product of them,
    :attr:`eventstudy.valuation.ShareCountTable.later_split`) as a stock split is named:
    ``"10-for-1"``, ``"3-for-2"``, ``"1-for-20"`` (a reverse split), ``"2-for-3"``."""
    factor = float(factor)
    ratio = Fraction(max(factor, 1 / factor)).limit_denominator(1000)  # on the side above 1
    high, low = ratio.numerator, ratio.denominator
    return f"{high}-for-{low}" if factor >= 1 else f"{low}-for-{high}"

"""Market values and the abnormal dollar value of an announcement.

.. math::

    MV_{i,\\tau-1} = Close_{i,\\tau-1} \\times N_i(\\tau-1), \\qquad
    \\Delta V_i(\\tau_1,\\tau_2) = \\sum_{\\tau=\\tau_1}^{\\tau_2} AR_{i\\tau}\\, MV_{i,\\tau-1},

where :math:`N_i(d)` is the latest shares-outstanding figure with ``as_of <= d`` (no figure
from after the day is used). ``as_of`` is the day the count describes, not the day it was
published: a 10-Q's count of August 31 filed on September 10 is used from August 31, the
closest measure of the shares outstanding on the days between, which a market value needs (a
researcher asking what was public on a day would take the older count; so does a trading rule,
which is why the backtest's value weights carry the README's caveat on this lag). This is the
dollar abnormal return of Malatesta (1983) and Saha & Ferrell (2016), summed over the window.
``value_to_deal`` divides it by the deal size.

Splits. Yahoo's closes (and volumes) are adjusted for every split up to the day they were
fetched, while a share count is as reported on its date: a count dated before a split times an
adjusted close is the market value divided by the split ratio (NVDA's 2.46 billion shares of
2024-05-17 times its adjusted close of $95 on 2024-05-22 gives $234B, a tenth of its $2.3T). A
split shows in the counts as a change by its ratio, so where a later count of the ticker differs
from the one before it by a factor within :data:`SPLIT_TOLERANCE` of an integer n >= 2 or of 1/n
(:func:`split_ratios`), every earlier count is taken to be on the pre-split basis: no market
value is computed from it (:attr:`ShareCountTable.later_split`), and the study says so on each
row that needs one. The backtest's value weights (leaving the trade out would choose trades by
a later split) and turnover (one basis across a log regression's windows) use the count times
the ratio instead. A split and a later reverse split of the same ratio cancel, unless within
:data:`REVERSAL_DAYS` of each other (:func:`reversed_splits`: a count on the other basis shows
the same way; no market value). A split after the ticker's last count does not show in the
counts. It shows where it restated a cached price history (every restated close times one
split factor, recorded in the price file's provenance by a re-fetch or a re-import:
:func:`eventstudy.data.restatements.compare_histories`, :func:`price_splits`): while no count of
the ticker is dated after the day by which it had taken effect (``split_by``), every count is
taken to precede it (:attr:`ShareCountTable.restated_split`: no market value, a note; the
backtest and turnover scale by its ratio, as above). A count dated after it lets the counts show
the basis of the earlier ones, by the rule above, so the split is not counted twice. A split in a
history downloaded or imported fresh, with no earlier cached copy to compare with, cannot be
caught here; nor can a share issue that changes the count by a factor near an integer be told
from a split (its values are withheld as one).

A rise of the counts by a fractional split ratio (3/2 for a 3-for-2 split, :data:`FRACTIONAL_SPLITS`,
:func:`fractional_changes`) is as often an issue of shares (a merger paid in stock, an offering),
which leaves the closes alone. The counts cannot tell the two apart, so such a change is no
split: every earlier count gives no market value and no turnover
(:attr:`ShareCountTable.later_change`), and the rows say why; a split would otherwise leave
those values two thirds of the truth, an issue would be scaled by a ratio that never applied.
So is any other change of the counts by more than :data:`LARGE_CHANGE` either way that is no
split ratio (:func:`unclear_changes`): x2.08 is a 2-for-1 split with 4% more shares, or shares
issued, and x2.1 after a split seen in the closes (below) is no sign the earlier counts are
split-adjusted; a quarter's issues and buybacks move a count by a few percent.
The backtest's value weights use such a count as given, with a note (leaving the trade out
would choose trades by a later filing).
Imported split-adjusted counts (each count before the split times its ratio) have no such
change and are used as given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from eventstudy.blocks import row_blocks
from eventstudy.splits import FRACTIONAL_SPLITS, split_ratio_text


@dataclass(frozen=True)
class SharesLookup:
    """The share counts used on a set of days of one ticker.

    Attributes
    ----------
    shares
        Shares outstanding (NaN where no figure is dated on or before the day).
    as_of
        The as-of date of the figure used (NaT where none).
    filing
        The filing text of the figure used (empty where none).
    """

    shares: np.ndarray
    as_of: np.ndarray
    filing: np.ndarray


def shares_on(observations: pd.DataFrame, days: np.ndarray) -> SharesLookup:
    """Latest share count with ``as_of <= day`` for each day.

    Where two figures share an as-of date, the later row of the shares file is used.

    Parameters
    ----------
    observations
        Frame with ``as_of``, ``shares_outstanding`` and ``filing`` of one ticker.
    days
        ``datetime64[ns]`` days (NaT allowed).
    """
    ordered = observations.sort_values("as_of", kind="stable")
    as_of = ordered["as_of"].to_numpy(dtype="datetime64[ns]")
    days = np.asarray(days, dtype="datetime64[ns]")
    position = np.searchsorted(as_of, days, side="right") - 1
    found = (position >= 0) & ~np.isnat(days)
    position = np.where(found, position, 0)
    if len(ordered) == 0:
        empty = np.full(days.shape, np.nan)
        return SharesLookup(
            empty,
            np.full(days.shape, np.datetime64("NaT"), "datetime64[ns]"),
            np.full(days.shape, "", object),
        )
    shares = np.where(found, ordered["shares_outstanding"].to_numpy(float)[position], np.nan)
    used_as_of = np.where(found, as_of[position], np.datetime64("NaT"))
    filing = np.where(found, ordered["filing"].to_numpy(object)[position], "")
    return SharesLookup(shares, used_as_of, filing)


def dollar_abnormal_value(abnormal: np.ndarray, market_value_prev: np.ndarray) -> np.ndarray:
    """:math:`\\sum_\\tau AR_\\tau \\cdot MV_{\\tau-1}` along the last axis (NaN if any term is).

    The products are laid out in C order whatever the inputs' layout, so each row is summed in
    the same order however many pairs are passed (a partition's or the whole study's)."""
    return np.multiply(abnormal, market_value_prev, order="C").sum(axis=-1)


SPLIT_TOLERANCE = 0.03
"""Largest relative distance of a change between consecutive share counts from a split ratio
n or 1/n (n >= 2 an integer) for it to be taken as the split: the counts of a split are
usually months apart, and buybacks or issues in between move them by a few percent (NVDA's
2,464 million of May 2024 to 24,530 million of August 2024 is 9.955, 0.45% from 10)."""

LARGEST_SPLIT = 100
"""Largest split ratio n considered (Berkshire B's and Chipotle's 50-for-1 are the largest of
US large caps): a larger change is no split, and the cache refuses one beyond 100 as a unit slip
(:data:`eventstudy.data.shares.MAX_SHARE_COUNT_RATIO`)."""


def split_ratios(counts: np.ndarray, same_ticker: np.ndarray) -> np.ndarray:
    """The split ratio each share count's change from the one before it looks like.

    Parameters
    ----------
    counts
        (R,) share counts, each ticker's in as-of order.
    same_ticker
        (R,) bool: the count is of the same ticker as the one before it (False for the first).

    Returns
    -------
    numpy.ndarray
        (R,) n where :math:`r = N_k / N_{k-1}` is within :data:`SPLIT_TOLERANCE` of an integer
        2 <= n <= :data:`LARGEST_SPLIT` (an n-for-1 split), 1/n where 1/r is (a 1-for-n reverse
        split), else 1.
    """
    return _integer_splits(_count_ratios(counts, same_ticker))


def _integer_splits(ratio: np.ndarray) -> np.ndarray:
    """(R,) the split ratio (n or 1/n, :func:`split_ratios`) each count ``ratio`` is near, else 1."""
    up = ratio >= 1
    factor = np.where(up, ratio, 1 / ratio)
    n = np.rint(factor)
    split = (n >= 2) & (n <= LARGEST_SPLIT) & (np.abs(factor / np.maximum(n, 1) - 1) <= SPLIT_TOLERANCE)
    return np.where(split, np.where(up, n, 1 / n), 1.0)


def fractional_changes(counts: np.ndarray, same_ticker: np.ndarray) -> np.ndarray:
    """The fractional split ratio each share count's rise from the one before it looks like.

    Parameters
    ----------
    counts, same_ticker
        As in :func:`split_ratios`.

    Returns
    -------
    numpy.ndarray
        (R,) the ratio s of :data:`FRACTIONAL_SPLITS` nearest to :math:`r = N_k / N_{k-1}`
        where :math:`|r/s - 1|` is at most :data:`SPLIT_TOLERANCE` (a 3-for-2 split, or an
        issue of half as many shares again), else 1. A fall of the counts is never one.
    """
    return _nearest_fractional(_count_ratios(counts, same_ticker))


def _nearest_fractional(ratio: np.ndarray) -> np.ndarray:
    """(R,) the ratio of :data:`FRACTIONAL_SPLITS` nearest each ``ratio`` where within
    :data:`SPLIT_TOLERANCE` of it, else 1."""
    candidates = np.asarray(FRACTIONAL_SPLITS)
    distance = np.abs(ratio[:, None] / candidates[None, :] - 1)
    nearest = np.argmin(distance, axis=1) if len(ratio) else np.zeros(0, dtype=int)
    close = distance[np.arange(len(ratio)), nearest] <= SPLIT_TOLERANCE
    return np.where(close, candidates[nearest], 1.0)


LARGE_CHANGE = 1.2
"""A change of the counts by more than this factor either way (a rise of a fifth, a fall of a
sixth) that is no split ratio (:func:`split_ratios`) is one the counts cannot tell from a split:
x2.08 is a 2-for-1 split with 4% more shares, or shares issued; a quarter's issues and buybacks
move a count by a few percent."""


def unclear_changes(counts: np.ndarray, same_ticker: np.ndarray) -> np.ndarray:
    """The change of each share count from the one before it that may or may not be a split.

    Parameters
    ----------
    counts, same_ticker
        As in :func:`split_ratios`.

    Returns
    -------
    numpy.ndarray
        (R,) :math:`r = N_k / N_{k-1}` itself where it is a fractional split ratio
        (:func:`fractional_changes`) or beyond :data:`LARGE_CHANGE` either way and no split ratio
        (:func:`split_ratios`); else 1. The ratio as the counts give it, not the split ratio it is
        near: a count that comes back to where it was makes a product of exactly 1.
    """
    ratio = _count_ratios(counts, same_ticker)
    fractional = _nearest_fractional(ratio) != 1.0
    large = (np.abs(np.log(ratio)) > np.log(LARGE_CHANGE)) & (_integer_splits(ratio) == 1.0)
    return np.where(fractional | large, ratio, 1.0)


CANCEL_TOLERANCE = 0.005
"""Unclear changes of a ticker's counts whose product is within this of 1 cancel (a vendor's bad
day and the day after it): the counts came back. A tolerance as wide as a split ratio's 3% let a
tender for 32% of the shares and a later 3-for-2 split (x0.68 x1.5 = 1.02) pass as no change,
the count before both used as given: two thirds of the market value (a finder)."""


def change_split(factor: float, changes: int = 1) -> float | None:
    """The fractional split that ``changes`` unclear changes of the counts by ``factor`` in all
    may be: one change within :data:`SPLIT_TOLERANCE` of a ratio of :data:`FRACTIONAL_SPLITS`
    (the nearest), else None (several changes are no one split, whatever their product)."""
    if changes != 1:
        return None
    nearest = float(_nearest_fractional(np.array([factor], dtype=float))[0])
    return None if nearest == 1.0 else nearest


def _count_ratios(counts: np.ndarray, same_ticker: np.ndarray) -> np.ndarray:
    """(R,) each count over the one before it of the same ticker (1 for a ticker's first)."""
    counts = np.asarray(counts, dtype=float)
    ratio = np.ones(len(counts))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio[1:] = counts[1:] / counts[:-1]
    return np.where(np.asarray(same_ticker, dtype=bool) & np.isfinite(ratio) & (ratio > 0), ratio, 1.0)


def change_text(factor: float, changes: int = 1) -> str:
    """What the unclear changes of the counts after a count (:attr:`ShareCountTable.later_change`,
    ``changes`` of them: :attr:`ShareCountTable.later_changes`) may be. One by a fractional split
    ratio is named as that split; one by no split ratio as such; several by their product, not as
    one split by it (1.5 x 5/3 is no '5-for-2 split')."""
    exact = Fraction(factor).limit_denominator(12)
    shown = factor_text(factor) if abs(float(exact) / factor - 1) < 1e-9 else f"{factor:.4g}"
    if changes > 1:
        return (
            f"{changes} changes of the counts after it, by {shown} in all: splits, shares issued or bought "
            "back, which the counts cannot tell apart"
        )
    split = change_split(factor, changes)
    if split is not None:
        return (
            f"a rise of the counts by {shown}: a {split_ratio_text(split)} split, or an issue of shares, "
            "which the counts cannot tell apart"
        )
    return (
        f"a change of the counts by {shown} after it, by no split ratio: a split or reverse split together "
        "with shares issued or bought back, or shares issued or bought back alone, which the counts cannot "
        "tell apart"
    )


def factor_text(factor: float) -> str:
    """A split factor as a multiplier a user can apply exactly: ``10``, ``1.5``, ``4/3``,
    ``1/1500``."""
    factor = float(factor)
    ratio = Fraction(max(factor, 1 / factor)).limit_denominator(1000)  # on the side above 1
    if factor < 1:
        ratio = 1 / ratio
    if ratio.denominator in (1, 2, 4, 5, 8, 10):  # a short terminating decimal
        return f"{float(ratio):g}"
    return f"{ratio.numerator}/{ratio.denominator}"


def _later_products(ratios: np.ndarray, last: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """(R,) the product of the ``ratios`` of each row's later rows of its ticker (``last``: the
    position of the ticker's last row), rounded to 9 decimals; 1 exactly where they cancel
    (within ``tolerance`` of 1)."""
    total = np.cumsum(np.log(ratios))
    later = np.exp(total[last] - total) if len(ratios) else np.empty(0)
    return np.where(np.isclose(later, 1.0, rtol=tolerance, atol=0.0), 1.0, np.round(later, 9))


REVERSAL_DAYS = 365
"""Days within which a split reversed by the next split of the counts (x10, then x0.1) is no
split and its reverse, as far as the counts can tell: a count on the other basis (a vendor's
figure weeks behind a split, shares/PROVENANCE.md) shows the same way. Further apart they are
taken as both (they cancel)."""


def reversed_splits(ratios: np.ndarray, as_of: np.ndarray, code: np.ndarray) -> np.ndarray:
    """:attr:`ShareCountTable.reversal` of counts whose split ratios are ``ratios``
    (:func:`split_ratios`).

    A split ratio whose ticker's next one is its inverse within :data:`REVERSAL_DAYS` (NVDA's
    2,464M, 24,530M, then a vendor's 2,453M three weeks later) is a split and its reverse, or a
    count on the pre-split basis after it, or a post-split count among pre-split ones: the
    counts cannot tell which, so the basis of every count of the ticker is unknown (those before
    were "cancelled": used as given, a tenth of the market value if the latest count lags), unless
    the counts come back by the next change (x10, x0.1, x10: one split with a count on the other
    basis between, which the later ratios put on the last count's basis, as without the pair).

    Parameters
    ----------
    ratios
        (R,) each count's split ratio against the one before it (1 where none).
    as_of
        (R,) their ``datetime64[ns]`` dates.
    code
        (R,) their tickers' codes, each ticker's counts consecutive and in date order.

    Returns
    -------
    numpy.ndarray
        (R,) object: "" or ``"x10 on 2024-08-23 and x0.1 on 2024-09-16"``.
    """
    said = np.full(len(ratios), "", dtype=object)
    legs = np.flatnonzero(ratios != 1.0)
    within = np.timedelta64(REVERSAL_DAYS, "D")
    closing = -1  # the second change of the last reversal: a pair it opens is the counts coming back
    for k, m in zip(legs[:-1].tolist(), legs[1:].tolist(), strict=True):
        reversed_ = np.isclose(ratios[k] * ratios[m], 1.0, rtol=1e-9, atol=0.0)
        if code[k] != code[m] or not reversed_ or as_of[m] - as_of[k] > within or k == closing:
            continue
        closing = m
        later = legs[(legs > m) & (code[legs] == code[m])]
        if later.size and np.isclose(ratios[m] * ratios[later[0]], 1.0, rtol=1e-9, atol=0.0):
            continue  # the counts come back (x10, x0.1, x10): the later ratios put each on one basis
        start = int(np.searchsorted(code, code[m], side="left"))
        end = int(np.searchsorted(code, code[m], side="right"))
        day = [str(as_of[i])[:10] for i in (k, m)]
        text = f"x{factor_text(ratios[k])} on {day[0]} and x{factor_text(ratios[m])} on {day[1]}"
        said[start:end] = np.where(said[start:end] == "", text, said[start:end])
    return said


@dataclass(frozen=True)
class PriceSplit:
    """A split seen in a restatement of a ticker's cached closes (every earlier close times one
    factor: :func:`eventstudy.data.restatements.compare_histories`).

    Attributes
    ----------
    ratio
        The factor a count reported before the split is multiplied by to be on the basis of the
        restated closes: 2 for a 2-for-1 split, 1/10 for a 1-for-10 reverse split (1 over the
        record's ``close_factor``).
    restated_to
        The last restated day: the split took effect after it.
    split_by
        The day by which it had taken effect (the record's ``split_by``).
    """

    ratio: float
    restated_to: np.datetime64
    split_by: np.datetime64


def price_splits(
    restatements: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, tuple[PriceSplit, ...]]:
    """The splits recorded in each ticker's price restatements (records without ``split``, such
    as a dividend's, are none)."""
    out = {}
    for ticker, records in restatements.items():
        splits = tuple(
            PriceSplit(
                round(1 / float(r["close_factor"]), 9),
                np.datetime64(str(r.get("split_after", r["dates"][1])), "ns"),  # older: closes only
                np.datetime64(str(r.get("split_by", r["dates"][1])), "ns"),
            )
            for r in records
            if isinstance(r, Mapping) and r.get("split") and r.get("close_factor")
        )
        if splits:
            out[ticker] = splits
    return out


def _restated_splits(
    names: Sequence[str],
    code: np.ndarray,
    as_of: np.ndarray,
    later: np.ndarray,
    splits: Mapping[str, tuple[PriceSplit, ...]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(R,) :attr:`ShareCountTable.restated_split`, ``restated_until`` and ``restated_unsure`` of
    the figures ``code`` (ticker codes into ``names``) and ``as_of``, sorted by (code, as_of);
    ``later`` is their :attr:`ShareCountTable.later_split`.

    A split in the closes is left to the counts when they show it already (the last count dated
    up to the last restated day precedes a change of the later counts by a split ratio: the rule
    of :attr:`later_split`), or when a count is dated after its ``split_by`` without such a change
    (the earlier counts are split-adjusted, used as given); either way it is not counted twice.
    Otherwise every count up to ``split_by`` takes its ratio: those up to the last restated day
    surely precede the split; those after it (``restated_unsure``) may or may not, so they give
    no market value and are not scaled either."""
    factor = np.ones(len(code))
    until = np.full(len(code), np.datetime64("NaT"), "datetime64[ns]")
    unsure = np.zeros(len(code), dtype=bool)
    for c, name in enumerate(names):
        if name not in splits:
            continue
        rows = np.arange(*np.searchsorted(code, [c, c + 1]))
        for split in splits[name]:
            before = as_of[rows] <= split.restated_to
            # The last count before the split precedes a change by a split ratio (a later count
            # shows it), or a count is dated after it without one: the counts show their basis.
            # An older split of the counts is not this one (a finder).
            shown = before.any() and later[rows[before][-1]] != 1.0
            if shown or (as_of[rows] > split.split_by).any():
                continue
            factor[rows] *= split.ratio
            ends = until[rows]
            until[rows] = np.where(np.isnat(ends), split.split_by, np.maximum(ends, split.split_by))
            unsure[rows] |= ~before
    factor = np.where(np.isclose(factor, 1.0, rtol=1e-9, atol=0.0), 1.0, np.round(factor, 9))
    return factor, until, unsure


_ROWS_BLOCK_VALUES = 1 << 18
"""Pair-days :meth:`ShareCountTable.rows` looks up at a time (its work arrays stay small)."""


@dataclass(frozen=True)
class ShareCountTable:
    """Share counts of many tickers, indexed for as-of lookups on a trading calendar.

    The same rule as :func:`shares_on` (latest figure with ``as_of <= day``; of two figures
    with the same as-of date, the later row of the shares file), with each figure's first
    calendar day found once, so that looking up P pairs x L days is one sorted search instead of
    P calls.

    Attributes
    ----------
    tickers
        The tickers that have observations, in table order.
    shares, as_of, filing
        (R,) the observations of every ticker, sorted by (ticker, as_of, file row).
    keys
        (R,) ascending :math:`c (T + 1) + d`: the figure's ticker code c and the calendar
        position d of the first day it is in effect (T: after the calendar).
    later_change
        (R,) the product of the unclear changes (:func:`unclear_changes`) of the ticker's
        later counts: 1 where none or where they cancel (:data:`CANCEL_TOLERANCE`); else the
        figure gives no market value or turnover (a later split or share issue, which the counts
        cannot tell apart; the backtest's value weights use it as given, with a note).
    later_changes
        (R,) how many unclear changes :attr:`later_change` is the product of (0 where it is 1).
    later_split
        (R,) the product of the split ratios (:func:`split_ratios`) of the ticker's later
        counts: 1 where the figure is on the basis of the adjusted closes, else the factor by
        which close x figure misses the market value (10 for a count before a 10-for-1 split).
    restated_split
        (R,) the product of the ratios of the splits seen in restatements of the ticker's cached
        closes (:func:`price_splits`) that the figure precedes while no count of the ticker is
        dated after the split (2 for a count before a 2-for-1 split); 1 where none. Such a figure
        gives no market value, as one before :attr:`later_split` does (:attr:`before_split`).
        Empty when the table was built without restatements.
    restated_until
        (R,) the latest ``split_by`` of those splits (NaT where none): a count dated after it
        is after the split.
    restated_unsure
        (R,) bool: the figure is dated after the last restated day of such a split but not after
        its ``split_by``, so it may be on either basis: no market value, and no value on the
        prices' basis (:attr:`on_price_basis` NaN). Empty when built without restatements.
    reversal
        (R,) what makes the figure's basis unknown: "" for most; for every figure of a ticker
        whose counts reverse a split within :data:`REVERSAL_DAYS` and do not come back
        (:func:`reversed_splits`), the two changes (``x10 on 2024-08-23 and x0.1 on
        2024-09-16``). Such a figure gives no market value or turnover.
    calendar
        (T,) the calendar the table was built on.

    Notes
    -----
    Building costs O(R log R) time and O(R) memory, whatever the calendar's length; a lookup
    O(P·L log R), and :meth:`counts_by_day` O(R + C·T) for C tickers.
    """

    tickers: tuple[str, ...]
    shares: np.ndarray
    as_of: np.ndarray
    filing: np.ndarray
    keys: np.ndarray
    later_split: np.ndarray
    later_change: np.ndarray
    later_changes: np.ndarray
    reversal: np.ndarray
    calendar: np.ndarray = field(
        default_factory=lambda: np.empty(0, "datetime64[ns]"), repr=False, compare=False
    )
    restated_split: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    restated_until: np.ndarray = field(
        default_factory=lambda: np.empty(0, "datetime64[ns]"), repr=False, compare=False
    )
    restated_unsure: np.ndarray = field(
        default_factory=lambda: np.empty(0, dtype=bool), repr=False, compare=False
    )

    @classmethod
    def build(
        cls,
        observations: Mapping[str, pd.DataFrame],
        calendar: np.ndarray,
        restatements: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> ShareCountTable:
        """Index ``observations`` (frames as for :func:`shares_on`, by ticker) on ``calendar``.

        Parameters
        ----------
        observations
            ``as_of``, ``shares_outstanding`` and ``filing`` of each ticker.
        calendar
            (T,) sorted, unique ``datetime64[ns]`` trading days.
        restatements
            The ``restatements`` records of each ticker's cached price file (its provenance):
            those that record a split (:func:`price_splits`) set :attr:`restated_split`.
        """
        calendar = np.asarray(calendar, dtype="datetime64[ns]")
        names = [t for t, frame in observations.items() if len(frame)]
        frames = [observations[t] for t in names]
        code = np.repeat(np.arange(len(names)), [len(f) for f in frames])
        if frames:
            stacked = pd.concat(frames, ignore_index=True)  # one concat: faster than per-frame columns
            as_of = stacked["as_of"].to_numpy(dtype="datetime64[ns]")
            shares = stacked["shares_outstanding"].to_numpy(dtype=float)
            filing = stacked["filing"].to_numpy(dtype=object)
        else:
            as_of, shares, filing = np.empty(0, "datetime64[ns]"), np.empty(0), np.empty(0, object)
        known = ~np.isnat(as_of)  # shares_on never uses a figure without a date
        order = np.lexsort((np.arange(len(code)), as_of.view(np.int64), code))
        order = order[known[order]]
        code, as_of, shares, filing = code[order], as_of[order], shares[order], filing[order]
        # as_of <= calendar[d] iff d >= first_day: ascending within a ticker, as the rows are.
        first_day = np.searchsorted(calendar, as_of, side="left")
        keys = code.astype(np.int64) * (len(calendar) + 1) + first_day
        same = np.zeros(len(code), dtype=bool)
        same[1:] = code[1:] == code[:-1]
        last = np.searchsorted(code, code, side="right") - 1  # each ticker's last figure
        ratios = split_ratios(shares, same)
        later = _later_products(ratios, last)
        reversal = reversed_splits(ratios, as_of, code)
        # Unclear changes that come back (CANCEL_TOLERANCE: a vendor's bad day and the day after
        # it) cancel: the earlier counts are on today's basis.
        unclear = unclear_changes(shares, same)
        change = _later_products(unclear, last, CANCEL_TOLERANCE)
        seen = np.cumsum(unclear != 1.0)
        changes = np.where(change != 1.0, seen[last] - seen, 0) if len(seen) else np.zeros(0, dtype=np.int64)
        splits = price_splits(restatements or {})
        restated, until, unsure = _restated_splits(names, code, as_of, later, splits)
        return cls(
            tuple(names), shares, as_of, filing, keys, later, change, changes, reversal, calendar, restated,
            until, unsure,
        )  # fmt: skip

    @property
    def before_split(self) -> np.ndarray:
        """(R,) the factor by which close x figure misses the market value: :attr:`later_split`
        (seen in the counts) times :attr:`restated_split` (seen in the closes); 1 where none."""
        if not self.restated_split.size:
            return self.later_split
        return np.round(self.later_split * self.restated_split, 9)

    @property
    def on_price_basis(self) -> np.ndarray:
        """(R,) the figure times :attr:`later_split` (the count on the basis of split-adjusted
        closes and volumes), NaN where :attr:`later_change` says a later change may or may not
        have been a split."""
        usable = (self.later_change == 1.0) & (self.reversal == "")
        if self.restated_unsure.size:  # dated between the last restated day and the split: either basis
            usable &= ~self.restated_unsure
        return np.where(usable, self.shares * self.before_split, np.nan)

    def rows(self, tickers: np.ndarray, days: np.ndarray) -> np.ndarray:
        """(P, L) row of the figure in effect for pair p on calendar position ``days[p, l]``.

        ``tickers`` is (P,); ``days`` (P, L) calendar positions, -1 for no day. -1 where none.
        """
        code = pd.Index(self.tickers, dtype=object).get_indexer(pd.Index(tickers, dtype=object))
        days = np.asarray(days)
        base = code.astype(np.int64)[:, None] * (len(self.calendar) + 1)
        out = np.empty(days.shape, dtype=self._row_type)
        # The last figure of any ticker whose key is at most the query's; it is the pair's if it
        # is keyed at or after the start of the pair's ticker (day -1, and every day of a ticker
        # without figures, code -1, query below it). A block of pairs at a time.
        for part in row_blocks(days.shape[0], int(np.prod(days.shape[1:])), _ROWS_BLOCK_VALUES):
            row = np.searchsorted(self.keys, base[part] + days[part], side="right") - 1
            found = row >= 0
            if self.keys.size:
                found &= self.keys.take(np.maximum(row, 0)) >= base[part]
            out[part] = np.where(found, row, -1)
        return out

    def counts_by_day(
        self, tickers: np.ndarray | Sequence[str], *, before_split: Literal["withhold", "scale"] = "withhold"
    ) -> np.ndarray:
        """(len(tickers), T) the share count in effect for each ticker on every calendar day,
        on the basis of split-adjusted prices and volumes (NaN where there is none):
        :meth:`counts` of every day at once, O(R + len(tickers)·T).

        A figure dated before a split (:attr:`before_split`) is NaN with ``"withhold"`` (a
        market value: no number rather than one resting on an inferred split) and the figure
        times the split ratio with ``"scale"`` (turnover, whose log regression needs one basis
        across the estimation and event windows); one dated before a fractional change
        (:attr:`later_change`), or of a split reversed (:attr:`reversal`), is NaN with either."""
        code = pd.Index(self.tickers, dtype=object).get_indexer(pd.Index(tickers, dtype=object))
        width = len(self.calendar) + 1
        row_type = self._row_type
        rows = np.full((len(code), width - 1), -1, dtype=row_type)
        # Each requested ticker's figures on the calendar start on their first day; carrying the
        # largest row forward gives the figure in effect on every later day.
        first = np.searchsorted(self.keys, code.astype(np.int64) * width, side="left")
        last = np.searchsorted(self.keys, (code.astype(np.int64) + 1) * width, side="left")
        count = np.where(code >= 0, last - first, 0)
        figure = np.repeat(first - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        figure = figure.astype(row_type, copy=False)
        owner = np.repeat(np.arange(len(code)), count)
        day = self.keys[figure] % width
        on_calendar = day < width - 1
        np.maximum.at(rows, (owner[on_calendar], day[on_calendar]), figure[on_calendar])
        np.maximum.accumulate(rows, axis=1, out=rows)
        if before_split == "scale":
            adjusted = self.on_price_basis
        else:
            usable = (self.before_split == 1.0) & (self.later_change == 1.0) & (self.reversal == "")
            adjusted = np.where(usable, self.shares, np.nan)
        return np.append(adjusted, np.nan).take(rows)

    @cached_property
    def not_cover(self) -> np.ndarray:
        """(R + 1,) bool: the figure is a vendor or balance-sheet count, not a filing's cover count
        (its ``filing`` says ``NOT cover``); the last entry, False, is that of row -1 (no figure)."""
        return np.array(["NOT cover" in str(f) for f in self.filing] + [False], dtype=bool)

    @cached_property
    def stale(self) -> np.ndarray:
        """(R + 1,) bool: the shares file flags the figure ``STALE``; False for row -1."""
        return np.array(["STALE" in str(f) for f in self.filing] + [False], dtype=bool)

    @property
    def _row_type(self) -> type[np.signedinteger]:
        """Row numbers in 4 bytes while they fit (lookups are pairs x days)."""
        return np.int32 if self.keys.size < np.iinfo(np.int32).max else np.int64

    def lookup(self, tickers: np.ndarray, days: np.ndarray) -> SharesLookup:
        """:func:`shares_on` for every pair and day at once: arrays shaped like ``days``."""
        return self.at(self.rows(tickers, days))

    def counts(self, tickers: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Only the ``shares`` of :meth:`lookup` (no as-of dates or filing texts are gathered)."""
        rows = self.rows(tickers, days)
        return np.append(self.shares, np.nan).take(rows)  # row -1: the appended NaN

    def at(self, rows: np.ndarray) -> SharesLookup:
        """The figures of :meth:`rows` output ``rows`` (NaN, NaT and ``""`` where -1)."""
        # Row -1 takes the appended "none" entry: NaN, NaT and "".
        return SharesLookup(
            np.append(self.shares, np.nan).take(rows),
            np.append(self.as_of, np.datetime64("NaT", "ns")).take(rows),
            np.append(self.filing, np.array([""], dtype=object)).take(rows),
        )


TURNOVER_SESSIONS = 60
"""Sessions up to a share count's date whose median volume it is compared with."""
MAX_COUNT_PER_VOLUME = 50_000
"""Most shares outstanding per share of the median day's volume: a stock trading less than
1/50,000 of its shares on a median day would trade each share once in 200 years. The launch's
counts are 27 (CRWV, weeks after its listing) to 518 (GOOGL) times their median volume; a count
in thousands read as units is 1,000 times its true ratio (ORCL's 249 to 408 become 249,000 to
408,000)."""


@dataclass(frozen=True)
class ImplausibleCount:
    """A share count smaller than its ticker's median daily volume around its date, or more than
    :data:`MAX_COUNT_PER_VOLUME` times it.

    Attributes
    ----------
    ticker, as_of, count
        The count and what it is of.
    median_volume
        The median daily volume of the ticker's last :data:`TURNOVER_SESSIONS` sessions with a
        volume, up to ``as_of``.
    split
        The later split ratio the count was multiplied by to be compared with the volumes,
        which Yahoo adjusts for every split (1 where none).
    first_sessions
        The count is dated before the ticker's first price or within its first
        :data:`TURNOVER_SESSIONS` sessions, and ``median_volume`` is that of those sessions.
    """

    ticker: str
    as_of: pd.Timestamp
    count: float
    median_volume: float
    split: float
    first_sessions: bool = False

    def describe(self) -> str:
        """What is wrong with the count, in one sentence."""
        ratio = factor_text(self.split)
        basis = "" if self.split == 1.0 else f" (times {ratio}, a later split's ratio, as volumes are)"
        sessions = (
            f"its first {TURNOVER_SESSIONS} sessions"
            if self.first_sessions
            else f"the {TURNOVER_SESSIONS} sessions before"
        )
        median = f"{self.ticker}'s median daily volume over {sessions} ({self.median_volume:,.0f} shares)"
        if self.count * self.split >= self.median_volume:
            return (
                f"{self.count:,.0f} shares as of {self.as_of:%Y-%m-%d}{basis} is "
                f"{self.count * self.split / self.median_volume:,.0f} times {median}: no stock trades less "
                f"than 1/{MAX_COUNT_PER_VOLUME:,} of its shares on a median day, so is the count scaled up "
                "by a unit slip (a count in shares read as thousands), or of another listing or class of "
                "shares than the prices (the ordinary shares behind an ADR or an over-the-counter line)?"
            )
        return (
            f"{self.count:,.0f} shares as of {self.as_of:%Y-%m-%d}{basis} is less than {median}: no stock "
            "trades more than all its shares on a median day, so is the count in thousands or millions "
            f"read as units (import it in shares), or is there a split after {self.ticker}'s last count "
            "(Yahoo's volumes and closes are split-adjusted: import the counts split-adjusted too)?"
        )


def implausible_count(ticker: str, shares: pd.DataFrame, prices: pd.DataFrame) -> ImplausibleCount | None:
    """The first share count (in date order) below the median daily volume of ``ticker``, or
    more than :data:`MAX_COUNT_PER_VOLUME` times it.

    Parameters
    ----------
    shares
        ``as_of``, ``shares_outstanding`` and ``filing`` of one ticker (as the cache holds them).
    prices
        The ticker's cached prices: ``date`` and ``volume`` (Yahoo's, split-adjusted).

    Notes
    -----
    A count is compared with the median of the positive volumes of the last
    :data:`TURNOVER_SESSIONS` sessions up to its date, on the volumes' basis: times
    :attr:`ShareCountTable.later_split`, the ratio of every later change of the counts that looks
    like a split (the one market values use). On the launch data the counts are 27 (CRWV, weeks
    after its listing) to 518 (GOOGL) times that median; a count in thousands of a stock trading 3%
    of its shares a day 0.03 times, and in millions of any stock far above 50,000 times. A count
    dated within the first :data:`TURNOVER_SESSIONS` sessions, or the last one before the first
    price (which gives the first days' market values), is compared with the median of those
    sessions (an IPO's listing days alone trade a large share of its shares); an older count
    before the first price gives no value and is not judged.
    """
    if shares.empty or "volume" not in prices.columns:
        return None
    dates = prices["date"].to_numpy("datetime64[ns]")
    table = ShareCountTable.build({ticker: shares}, dates)  # in date order, with each figure's split
    volume = prices["volume"].to_numpy(float)
    traded = volume > 0
    volume, dates = volume[traded], dates[traded]
    if not volume.size:
        return None
    ends = np.searchsorted(dates, table.as_of, side="right")
    before = np.flatnonzero(ends == 0)
    for i, end in enumerate(ends.tolist()):
        if end == 0 and i != before[-1]:
            continue  # an older count than the last before the first price gives no value
        first = end < TURNOVER_SESSIONS  # judged on the first sessions, wherever it falls in them
        window = volume[:TURNOVER_SESSIONS] if first else volume[end - TURNOVER_SESSIONS : end]
        median = float(np.median(window))
        count, split = float(table.shares[i]), float(table.later_split[i])
        if count * split < median or count * split > MAX_COUNT_PER_VOLUME * median:
            return ImplausibleCount(ticker, pd.Timestamp(table.as_of[i]), count, median, split, first)
    return None

"""Market values and the abnormal dollar value of an announcement.

.. math::

    MV_{i,\\tau-1} = Close_{i,\\tau-1} \\times N_i(\\tau-1), \\qquad
    \\Delta V_i(\\tau_1,\\tau_2) = \\sum_{\\tau=\\tau_1}^{\\tau_2} AR_{i\\tau}\\, MV_{i,\\tau-1},

where :math:`N_i(d)` is the latest shares-outstanding figure with ``as_of <= d`` (no figure
from after the day is used). This is the dollar abnormal return of Malatesta (1983) and
Saha & Ferrell (2016), summed over the window. ``value_to_deal`` divides it by the deal size.
Closes are Yahoo's split-adjusted closes, so a split between the share count's as-of date and
the day would distort the value; none of the launch tickers split in 2025.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


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


@dataclass(frozen=True)
class ShareCountTable:
    """Share counts of many tickers, indexed for as-of lookups on a trading calendar.

    The same rule as :func:`shares_on` (latest figure with ``as_of <= day``; of two figures
    with the same as-of date, the later row of the shares file), precomputed once per ticker
    and calendar day so that looking up P pairs x L days is one gather instead of P calls.

    Attributes
    ----------
    tickers
        The tickers that have observations, in table order.
    shares, as_of, filing
        (R,) the observations of every ticker, sorted by (ticker, as_of, file row).
    in_effect
        (C + 1, T + 1) row of the figure in effect for each ticker and calendar day (-1: none;
        int32 while the rows fit, half the memory of this tickers x days table);
        the last column and the last row are all -1, so calendar position -1 (no day) and
        ticker code -1 (a ticker without figures) find nothing.
    calendar
        (T,) the calendar the table was built on.

    Notes
    -----
    Building costs O(R log R + C·T) time and memory, a lookup O(P·L) (one ``take`` on the
    flattened table).
    """

    tickers: tuple[str, ...]
    shares: np.ndarray
    as_of: np.ndarray
    filing: np.ndarray
    in_effect: np.ndarray
    calendar: np.ndarray = field(
        default_factory=lambda: np.empty(0, "datetime64[ns]"), repr=False, compare=False
    )

    @classmethod
    def build(cls, observations: Mapping[str, pd.DataFrame], calendar: np.ndarray) -> ShareCountTable:
        """Index ``observations`` (frames as for :func:`shares_on`, by ticker) on ``calendar``.

        Parameters
        ----------
        observations
            ``as_of``, ``shares_outstanding`` and ``filing`` of each ticker.
        calendar
            (T,) sorted, unique ``datetime64[ns]`` trading days.
        """
        calendar = np.asarray(calendar, dtype="datetime64[ns]")
        n_days = len(calendar)
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
        first_day = np.searchsorted(calendar, as_of, side="left")  # as_of <= calendar[d] iff d >= it
        # Row numbers of the figures: 4 bytes each while they fit (the table is tickers x days).
        row_type = np.int32 if len(code) < np.iinfo(np.int32).max else np.int64
        in_effect = np.full((len(names) + 1, n_days + 1), -1, dtype=row_type)
        on_calendar = first_day < n_days
        # Rows are sorted by as_of within a ticker, so the largest row starting on a day is the
        # latest figure (the later file row among equal dates); carrying the maximum forward
        # gives the figure in effect on every later day.
        figure_rows = np.flatnonzero(on_calendar).astype(row_type)
        np.maximum.at(in_effect, (code[on_calendar], first_day[on_calendar]), figure_rows)
        np.maximum.accumulate(in_effect[:, :n_days], axis=1, out=in_effect[:, :n_days])
        return cls(tuple(names), shares, as_of, filing, in_effect, calendar)

    def rows(self, tickers: np.ndarray, days: np.ndarray) -> np.ndarray:
        """(P, L) row of the figure in effect for pair p on calendar position ``days[p, l]``.

        ``tickers`` is (P,); ``days`` (P, L) calendar positions, -1 for no day. -1 where none.
        """
        code = pd.Index(self.tickers, dtype=object).get_indexer(pd.Index(tickers, dtype=object))
        code[code < 0] = len(self.tickers)  # a ticker without figures: the last row, all -1
        # Flat positions: day -1 lands on the previous row's last column (for row 0, on the last
        # element), which holds -1 like ``in_effect[code, -1]``: one take instead of fancy indexing.
        width = self.in_effect.shape[1]
        return self.in_effect.reshape(-1).take(code[:, None] * width + np.asarray(days))

    def counts_by_day(self, tickers: np.ndarray | Sequence[str]) -> np.ndarray:
        """(len(tickers), T) the share count in effect for each ticker on every calendar day
        (NaN where none): :meth:`counts` of every day at once, O(len(tickers)·T)."""
        code = pd.Index(self.tickers, dtype=object).get_indexer(pd.Index(tickers, dtype=object))
        n_days = self.in_effect.shape[1] - 1
        rows = self.in_effect[code, :n_days]  # code -1: the last row, all -1
        return np.append(self.shares, np.nan).take(rows)

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

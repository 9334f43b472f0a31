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

from dataclasses import dataclass

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
    """:math:`\\sum_\\tau AR_\\tau \\cdot MV_{\\tau-1}` along the last axis (NaN if any term is)."""
    return (abnormal * market_value_prev).sum(axis=-1)

"""Overlapping events of one ticker: flags, and the estimation days they contaminate.

For pair i (an event and one of its tickers) with day 0 at calendar position :math:`d_i`,
the estimation window is :math:`E_i = [d_i + e_1, d_i + e_2]` and the event span (the union of
the event windows) :math:`S_i = [d_i + s_1, d_i + s_2]`, all in trading days. Another pair j of
the **same ticker** (another event) is

* *in the estimation window* of i when :math:`S_j \\cap E_i \\ne \\emptyset` (some day of j's
  event span is an estimation day of i: the announcement effect of j would enter i's
  estimates of the normal return);
* *overlapping the event window* of i when :math:`S_j \\cap S_i \\ne \\emptyset` (the two CARs
  share days, so they are not independent and each may contain the other's effect).

Both are flagged in the ``overlap`` column of ``car.parquet``. With
``exclude_overlapping_windows`` the estimation days of i in :math:`\\bigcup_j S_j` are removed
from the sample before the fit (MacKinlay 1997, sec. 4.1, on keeping the event out of the
estimation window; here, other events of the same firm), so :math:`M_i` drops by the number of
such days that had data.

Only rows that are events *of the ticker* count as the other events j: with ecosystem peers
(role ``peer``, see :mod:`eventstudy.peers`) a peer row measures someone else's announcement
on the ticker, so it is flagged and cleaned like any pair but its span does not contaminate
the ticker's other windows (``is_event`` below).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eventstudy.daygrid import DayGrid
from eventstudy.timeline.ranges import DayIndex, describe_runs, join_parts


def span_cover(
    codes: np.ndarray,
    day0_index: np.ndarray,
    span: tuple[int, int],
    n_days: int,
    is_event: np.ndarray | None = None,
) -> np.ndarray:
    """How many event spans of each ticker cover each calendar day.

    Parameters
    ----------
    codes
        (P,) integer ticker code of each pair, 0..C-1.
    day0_index
        (P,) day-0 positions (-1: no day 0, ignored).
    span
        (start, end) relative days of the event span.
    n_days
        Calendar length T.
    is_event
        (P,) True for the pairs whose spans count (default: all).

    Returns
    -------
    numpy.ndarray
        (C, T + 1) counts; the extra last column is 0, so position -1 gathers 0.
    """
    n_codes = int(codes.max()) + 1 if codes.size else 0
    steps = np.zeros((n_codes, n_days + 2), dtype=np.int64)
    has_day0 = day0_index >= 0
    if is_event is not None:
        has_day0 &= is_event
    first = np.clip(day0_index[has_day0] + span[0], 0, n_days)
    last = np.clip(day0_index[has_day0] + span[1], -1, n_days - 1)
    inside = first <= last
    np.add.at(steps, (codes[has_day0][inside], first[inside]), 1)
    np.add.at(steps, (codes[has_day0][inside], last[inside] + 1), -1)
    return np.cumsum(steps, axis=1)[:, : n_days + 1]


def other_event_days(
    codes: np.ndarray,
    day0_index: np.ndarray,
    estimation_days: np.ndarray | DayGrid,
    span: tuple[int, int],
    n_days: int,
    is_event: np.ndarray | None = None,
) -> np.ndarray:
    """(P, L1) True where an estimation day of a pair lies in another same-ticker event's span.

    A pair's own span never meets its own estimation window (the configuration requires the
    estimation window to end before the first event-window day), so counting every span of
    the ticker counts only the others'.

    Parameters
    ----------
    codes, day0_index, span, n_days, is_event
        As in :func:`span_cover`.
    estimation_days
        (P, L1) calendar positions of the estimation days (-1 outside the calendar).
    """
    cover = span_cover(codes, day0_index, span, n_days, is_event)
    if cover.size == 0:
        return np.zeros(estimation_days.shape, dtype=bool)
    return cover[codes[:, None], np.asarray(estimation_days)] > 0


def overlap_notes(
    event_ids: Sequence[str],
    tickers: Sequence[str],
    day0_index: np.ndarray,
    day0_dates: np.ndarray | pd.DatetimeIndex | list[pd.Timestamp],
    estimation_window: tuple[int, int],
    span: tuple[int, int],
    excluded_days: np.ndarray | None = None,
    is_event: np.ndarray | None = None,
) -> list[str]:
    """The ``overlap`` text of each pair: other events of its ticker in its windows.

    Returns ``""`` or e.g. ``"estimation window contains deepseek-r1 (2025-01-27); event window
    overlaps nvidia-intel-5b (2025-09-18)"`` (at most :data:`~eventstudy.timeline.ranges.MAX_LISTED`
    events are named per window, then ``"and N more (M in all)"``, so a dense calendar keeps its
    notes short), followed by ``"; N estimation days in their windows excluded"`` when
    ``excluded_days`` (P,) is given and positive. Events are listed in day-0 order (then by
    event id) with their day 0; only pairs with ``is_event`` (default: all) are listed.

    The span of j, :math:`[d_j + s_1, d_j + s_2]`, meets :math:`[d_i + a, d_i + b]` iff
    :math:`d_i + a - s_2 \\le d_j \\le d_i + b - s_1`: a range query on day 0
    (:class:`~eventstudy.timeline.ranges.DayIndex`), O(P log P) plus the length of the notes.
    """
    n_pairs = len(event_ids)
    if n_pairs == 0:
        return []
    day0 = np.asarray(day0_index, dtype=np.int64)
    listed = np.ones(n_pairs, dtype=bool) if is_event is None else np.asarray(is_event, dtype=bool)
    codes = np.unique(np.asarray(tickers, dtype=str), return_inverse=True)[1].reshape(-1)
    id_rank = np.unique(np.asarray(event_ids, dtype=str), return_inverse=True)[1].reshape(-1)
    index = DayIndex.build(codes, np.where(listed, day0, -1), rank=id_rank)
    dates = pd.DatetimeIndex(day0_dates).to_numpy("datetime64[D]").astype(str).astype(object)
    labels = np.asarray(event_ids, dtype=object) + " (" + dates + ")"
    rows = np.flatnonzero(day0 >= 0)
    own = index.place_of(np.where(listed[rows], rows, -1))

    def label(places: np.ndarray, queries: np.ndarray) -> np.ndarray:
        return labels[index.item[places]]

    def named(low: int, high: int) -> np.ndarray:
        start, stop = index.runs(codes[rows], day0[rows] + low, day0[rows] + high)
        return describe_runs(start, stop, label, own=own)

    note = np.full(len(rows), "", dtype=object)
    note = join_parts(
        note,
        named(estimation_window[0] - span[1], estimation_window[1] - span[0]),
        "estimation window contains ",
    )
    note = join_parts(note, named(span[0] - span[1], span[1] - span[0]), "event window overlaps ")
    if excluded_days is not None:
        days_out = np.asarray(excluded_days)[rows].astype(np.int64)
        counted = days_out.astype(str).astype(object) + " estimation days in their windows excluded"
        note = join_parts(note, np.where(days_out > 0, counted, ""))
    notes = np.full(n_pairs, "", dtype=object)
    notes[rows] = note
    return notes.tolist()

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
    estimation_days: np.ndarray,
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
    return cover[codes[:, None], estimation_days] > 0


MAX_LISTED = 5
"""Events named per window in an overlap note; the rest are counted."""


def overlap_notes(
    event_ids: Sequence[str],
    tickers: Sequence[str],
    day0_index: np.ndarray,
    day0_dates: Sequence[pd.Timestamp],
    estimation_window: tuple[int, int],
    span: tuple[int, int],
    excluded_days: np.ndarray | None = None,
    is_event: np.ndarray | None = None,
) -> list[str]:
    """The ``overlap`` text of each pair: other events of its ticker in its windows.

    Returns ``""`` or e.g. ``"estimation window contains deepseek-r1 (2025-01-27); event window
    overlaps nvidia-intel-5b (2025-09-18)"`` (at most :data:`MAX_LISTED` events are named per
    window, then ``"and N more (M in all)"``, so a dense calendar keeps its notes short),
    followed by ``"; N estimation days in their windows excluded"`` when ``excluded_days`` (P,)
    is given and positive. Events are listed in
    day-0 order with their day 0; only pairs with ``is_event`` (default: all) are listed.

    Cost O(P log P) plus the length of the notes: the events of a ticker sorted by day 0 are
    searched for the runs that meet each pair's windows (no loop over pairs of pairs).
    """
    n_pairs = len(event_ids)
    counts = np.ones(n_pairs, dtype=bool) if is_event is None else np.asarray(is_event, dtype=bool)
    day0 = np.asarray(day0_index, dtype=np.int64)
    notes = [""] * n_pairs
    has_day0 = day0 >= 0
    if n_pairs == 0 or not has_day0.any():
        return notes
    codes = np.unique(np.asarray(tickers, dtype=str), return_inverse=True)[1].reshape(-1)
    n_codes = int(codes.max()) + 1
    members = np.bincount(codes[has_day0], minlength=n_codes)
    event_members = np.bincount(codes[has_day0 & counts], minlength=n_codes)
    # A ticker's pairs get notes when it has two pairs with a day 0, one of them an event.
    noted = has_day0 & (members[codes] >= 2) & (event_members[codes] >= 1)
    # The events j that can be listed, sorted by (ticker, day 0, event id, row): the j within a
    # range of day 0 of one ticker are a contiguous run of this order.
    listed = np.flatnonzero(noted & counts)
    id_rank = np.unique(np.asarray(event_ids, dtype=str), return_inverse=True)[1].reshape(-1)
    listed = listed[np.lexsort((listed, id_rank[listed], day0[listed], codes[listed]))]
    dates = pd.DatetimeIndex(day0_dates).to_numpy("datetime64[D]").astype(str)
    labels = np.array(event_ids, dtype=object)[listed] + " (" + dates[listed].astype(object) + ")"
    # Span of j [d_j + s1, d_j + s2] meets [d_i + a, d_i + b] iff d_i + a - s2 <= d_j <= d_i + b - s1.
    reach = int(max(abs(estimation_window[0]), abs(estimation_window[1]), abs(span[0]), abs(span[1])))
    offset = 2 * reach + 1
    width = int(day0.max()) + 2 * offset + 1
    key = codes[listed] * width + day0[listed] + offset
    rows = np.flatnonzero(noted)

    def run(low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        base = codes[rows] * width + day0[rows] + offset
        return np.searchsorted(key, base + low, "left"), np.searchsorted(key, base + high, "right")

    est_from, est_to = run(estimation_window[0] - span[1], estimation_window[1] - span[0])
    evt_from, evt_to = run(span[0] - span[1], span[1] - span[0])
    position = np.full(n_pairs, -1, dtype=np.int64)
    position[listed] = np.arange(len(listed))
    own = position[rows]

    # The notes are assembled column-wise over the noted rows (object-array concatenation), not
    # pair by pair: the events start..stop-1 other than the pair itself, the first MAX_LISTED named.
    label_of = np.append(labels, np.array([""], dtype=object))  # position len(labels): no event

    def names(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        inside = (own >= start) & (own < stop)  # the pair's own event is in the run
        others = stop - start - inside
        text = np.full(len(rows), "", dtype=object)
        for slot in range(MAX_LISTED):
            shown = slot < others
            if not shown.any():
                break
            index = start + slot
            index += inside & (index >= own)  # skip the pair's own event
            piece = label_of[np.where(shown, index, len(labels))]
            text[shown] = (text[shown] + ", " + piece[shown]) if slot else piece[shown]
        more = others > MAX_LISTED
        if more.any():
            extra, total = (others[more] - MAX_LISTED).astype(str), others[more].astype(str)
            text[more] = (
                text[more] + " and " + extra.astype(object) + " more (" + total.astype(object) + " in all)"
            )
        return text

    def append(note: np.ndarray, prefix: str, part: np.ndarray) -> np.ndarray:
        has = part != ""
        part = np.where(has, prefix + part, "")
        return np.where(note == "", part, np.where(has, note + "; " + part, note))

    note = append(
        np.full(len(rows), "", dtype=object), "estimation window contains ", names(est_from, est_to)
    )
    note = append(note, "event window overlaps ", names(evt_from, evt_to))
    if excluded_days is not None:
        days_out = np.asarray(excluded_days)[rows]
        excluded_text = np.full(len(rows), "", dtype=object)
        some = days_out > 0
        excluded_text[some] = (
            days_out[some].astype(np.int64).astype(str).astype(object)
            + " estimation days in their windows excluded"
        )
        note = append(note, "", excluded_text)
    noted_notes = np.array(notes, dtype=object)
    noted_notes[rows] = note
    return noted_notes.tolist()

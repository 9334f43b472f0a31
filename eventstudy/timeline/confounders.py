"""Confounding events: other news inside an event window, and windows one other day dominates.

An event window measures the announcement only if nothing else moved the stock inside it.
Event-study practice screens every window for confounding announcements (McWilliams & Siegel
1997: earnings, dividends, management changes, other deals); this module does it for every
(pair, window) of a study, from three calendars and from the returns themselves.

Calendars (:func:`screen_windows`)
----------------------------------
For pair *i* (an event and one ticker) with day 0 at calendar position :math:`d_i` and window
:math:`w = [a, b]`, an item of the same ticker on trading day *r* confounds the window when

.. math:: d_i + a \\le r \\le d_i + b.

The items and their day *r*:

* **earnings releases** (:func:`earnings_items`): the *reaction session*, found with the day-0
  rule of :mod:`eventstudy.timeline.calendar` (:func:`~eventstudy.timeline.calendar.align_days_zero`):
  the release date for ``pre`` and ``intraday`` when it is a session, else -- a ``post``
  release, a weekend, a holiday -- the next session. A release of ``unknown`` time on a session
  may react that day or, released after the close, the next: it confounds a window holding
  either (flagged ``reaction <date> or <next date> at τa or τb``), the screen's side of the
  doubt; Yahoo's times of listings abroad are all ``unknown``
  (:func:`eventstudy.data.earnings.normalise_earnings`). Amazon's Q3 2025 results,
  released after the close on Thursday 2025-10-30, react on Friday 2025-10-31, which is τ = -1
  of the AWS-OpenAI agreement announced before the open on Monday 2025-11-03;
* **other events of the same ticker** in the events file (:func:`event_items`): their day 0,
  or, for an event of ``unknown`` time of day whose day 0 is its announcement date, that day or
  the next, as an earnings release of unknown time. Only the ticker's own events count, never
  peer rows (a peer row measures someone else's announcement), and a pair never confounds itself;
* **lines of the user's news file** (:func:`news_items`): their reaction session, as earnings.

Each flag names the item and its day relative to the pair's day 0, e.g. ``earnings 2025-10-30
after the close (FY2025 Q3), reaction 2025-10-31 at τ-1``; at most five per window are named
(:mod:`eventstudy.timeline.ranges`). The screen is a range query per (pair, window):
O(P W log N + N log N) for P pairs, W windows and N items, plus the length of the text.

What a calendar covers (:func:`earnings_screened`)
--------------------------------------------------
An earnings calendar lists releases; it cannot say that a window holds none unless the window
lies where the list is complete. Quarterly releases of one firm are about 13 weeks apart (77 to
106 days between consecutive releases of the twelve launch tickers, 2023-2025), so a calendar is
taken to be complete within :data:`EARNINGS_REACH_DAYS` = 60 calendar days of each release it
lists: an unlisted quarterly release would be at least 77 days from every listed one. A window
is *screened* for earnings when each of its calendar dates, from the session before its first
(a release after that close reacts in the window) to its last session, is within 60 days of a
listed release of the pair's ticker. When a
study has earnings dates at all, a window that is not screened and holds no other news gets
``confounded`` missing (not False): before the calendar's first release or after its last one
(an imported file covering 2025 and an event in 2024, a cached calendar older than the event),
across a gap of a skipped quarter or a half-yearly reporter's unlisted quarter, or for a ticker
without a calendar. Such rows leave the ``(unconfounded)`` groups and, with
``exclude_confounded``, the statistics, as confounded rows do: they are not known to be clean.
Without any earnings dates every window is screened against the events file and the news file
only, and the report says so.

Returns (:func:`dominant_days`)
-------------------------------
Without any calendar, a window is flagged when one day other than day 0 carries it: for the
days τ ≠ 0 of the window, τ* is the day with the largest :math:`|t_\\tau|`, where
:math:`t_\\tau = AR_\\tau / \\widehat{se}(AR_\\tau)` is the one-day prediction-error t of
``ar.parquet`` (``ar_t``, Campbell, Lo & MacKinlay 1997), and the window is flagged with τ* and
its date when

1. :math:`|t_{\\tau^*}| \\ge t_{min}` (default :data:`DOMINANT_T` = 3: a two-sided p of about
   0.003 with 100+ degrees of freedom, so under the null a window of ten other days is flagged
   about 3% of the time),
2. :math:`AR_{\\tau^*} / CAR_w \\ge s_{min}` (default :data:`DOMINANT_SHARE` = 0.5: the day
   carries at least half of the window's CAR, with the CAR's sign), and
3. :math:`|AR_{\\tau^*}| > |AR_0|` when the window contains day 0 (the day matters more than
   the announcement itself).

Windows of one day, and windows with a missing AR (no CAR) or a CAR of exactly zero, are
never flagged. The flag is a warning, not a calendar fact: it does not mark a row
``confounded`` and never removes it from the aggregates; it says where to look (Amazon's
[-1,+1] window: AR(-1) = +9.2%, t = +6.7, 73% of the CAR of +12.7%).

References
----------
Campbell, J. Y., Lo, A. W., & MacKinlay, A. C. (1997). *The Econometrics of Financial
Markets*, ch. 4. Princeton University Press.

McWilliams, A., & Siegel, D. (1997). Event studies in management research: theoretical and
empirical issues. *Academy of Management Journal*, 40(3), 626-657.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.columns import MARKET_PROXY_OUTCOME
from eventstudy.text import plain
from eventstudy.timeline.calendar import align_days_zero
from eventstudy.timeline.ranges import MAX_LISTED, DayIndex, describe_runs, run_counts

COLUMNS: tuple[str, ...] = ("confounders", "confounded", "dominant_tau", "dominant_date")
"""The screen's columns of ``car.parquet`` (:func:`confounder_columns`)."""
DOMINANT_T = 3.0
"""Smallest |t| of the day that dominates a window (see the module docstring)."""
DOMINANT_SHARE = 0.5
"""Smallest share of the window's CAR that day must carry (see the module docstring)."""
TIMING_WORDS: dict[str, str] = {
    "pre": "before the open",
    "intraday": "during the session",
    "post": "after the close",
    "unknown": "time of day unknown",
}
EARNINGS, EVENT, NEWS = 0, 1, 2
"""Item kinds, also their order among the items of one ticker and day."""
MAX_HEADLINE = 80
"""Characters of a news headline quoted in a flag."""
UNCONFOUNDED_SUFFIX = " (unconfounded)"
"""Suffix of a group label whose statistics leave out its confounded rows (``stats.parquet``)."""


EARNINGS_REACH_DAYS = 60
"""Calendar days either side of a listed earnings release within which a calendar is taken to
list every release (module docstring: quarterly releases are at least 77 days apart)."""


def unconfounded_group(label: str) -> str:
    """The ``stats.parquet`` group of ``label``'s rows without the confounded (or unscreened) ones."""
    return f"{label}{UNCONFOUNDED_SUFFIX}"


def not_known_clean(confounded: pd.Series) -> np.ndarray:
    """(N,) bool: the windows a clean sample leaves out, those of ``car.parquet``'s
    ``confounded`` that hold other news (True) or were not screened for earnings (missing)."""
    return confounded.astype("boolean").fillna(True).to_numpy(bool)


def earnings_screened(
    tickers: np.ndarray,
    first_day: np.ndarray,
    last_day: np.ndarray,
    earnings: pd.DataFrame,
    *,
    reach_days: int = EARNINGS_REACH_DAYS,
) -> np.ndarray:
    """Whether each span of calendar dates lies where its ticker's earnings calendar is complete.

    Parameters
    ----------
    tickers
        (N,) the ticker of each span.
    first_day, last_day
        (N,) datetime64 first and last calendar date of each span, inclusive.
    earnings
        The releases (``ticker``, ``announced``) of every ticker with a calendar.
    reach_days
        A calendar lists every release within this many calendar days of one it lists.

    Returns
    -------
    numpy.ndarray
        (N,) bool: every date of the span is within ``reach_days`` of a listed release of its
        ticker (False for a ticker without releases).

    Notes
    -----
    The dates within ``reach_days`` of a ticker's releases form intervals
    :math:`[r_a - h, r_b + h]` over each run of releases at most :math:`2h + 1` days apart (the
    intervals of dates then meet); a span is screened when one interval holds it.
    O((N + R) log R) for R releases.
    """
    day = np.timedelta64(1, "D")
    released = earnings.loc[:, ["ticker", "announced"]].dropna()
    names = np.asarray(released["ticker"], dtype=str)
    dates = released["announced"].to_numpy("datetime64[D]")
    if not len(dates):
        return np.zeros(len(tickers), dtype=bool)
    order = np.lexsort((dates, names))
    names, dates = names[order], dates[order]
    reach = reach_days * day
    starts = np.ones(len(dates), dtype=bool)
    starts[1:] = (names[1:] != names[:-1]) | (dates[1:] - dates[:-1] > 2 * reach + day)  # dates, not instants
    ends = np.append(starts[1:], True)
    lows, highs, owners = dates[starts] - reach, dates[ends] + reach, names[starts]
    first = np.asarray(first_day).astype("datetime64[D]").astype(np.int64)
    last = np.asarray(last_day).astype("datetime64[D]").astype(np.int64)
    known = np.unique(owners)
    owner_code = np.searchsorted(known, owners).astype(np.int64)
    query_code = pd.Index(known, dtype=object).get_indexer(pd.Index(tickers, dtype=object)).astype(np.int64)
    # One key per (ticker, date): the intervals of one ticker are sorted and disjoint, so the one
    # that could hold a span is the last of its ticker starting on or before the span's first date.
    width = np.int64(1 << 20)  # days: 1900..2199 and the reach fit in 2**19 either side of 1970
    low_days = lows.astype(np.int64)
    keys = owner_code * width + low_days + (width >> 1)
    order = np.argsort(keys, kind="stable")
    keys, owner_code, high_days = keys[order], owner_code[order], highs.astype(np.int64)[order]
    place = np.searchsorted(keys, query_code * width + first + (width >> 1), side="right") - 1
    safe = np.clip(place, 0, None)
    return (query_code >= 0) & (place >= 0) & (owner_code[safe] == query_code) & (high_days[safe] >= last)


@dataclass(frozen=True)
class DatedItems:
    """Things that happened to tickers on trading days.

    Attributes
    ----------
    ticker
        (N,) symbols.
    position
        (N,) calendar position of the day each item can move prices (-1: outside the calendar).
    label
        (N,) text naming the item in a flag (its day relative to a pair is added by the screen).
    kind
        (N,) :data:`EARNINGS`, :data:`EVENT` or :data:`NEWS`.
    """

    ticker: np.ndarray
    position: np.ndarray
    label: np.ndarray
    kind: np.ndarray
    or_next: np.ndarray | None = None
    """(N,) bool: the item may move prices on its session or on the next one (a release of
    unknown time of day on a session); None: no item may."""

    @classmethod
    def empty(cls) -> DatedItems:
        none = np.array([], dtype=object)
        return cls(none, np.array([], dtype=np.int64), none, np.array([], dtype=np.int64))

    @property
    def spans_next(self) -> np.ndarray:
        """(N,) :attr:`or_next`, all False where it is None."""
        return np.zeros(len(self.ticker), dtype=bool) if self.or_next is None else self.or_next

    def __len__(self) -> int:
        return len(self.ticker)

    @staticmethod
    def concat(*parts: DatedItems) -> DatedItems:
        """The items of ``parts`` one after the other (item indices shift accordingly)."""
        parts = tuple(p for p in parts if len(p)) or (DatedItems.empty(),)
        return DatedItems(
            np.concatenate([p.ticker for p in parts]).astype(object),
            np.concatenate([p.position for p in parts]).astype(np.int64),
            np.concatenate([p.label for p in parts]).astype(object),
            np.concatenate([p.kind for p in parts]).astype(np.int64),
            np.concatenate([p.spans_next for p in parts]).astype(bool),
        )


def _dates(values: np.ndarray | pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(values).strftime("%Y-%m-%d").to_numpy(object)


def _reaction(
    calendar: pd.DatetimeIndex, announced: pd.Series, timing: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calendar position and date text of each release's reaction session (the day-0 rule), and
    whether it may be the next session instead (``unknown`` time on a session: ``or_next``)."""
    announced = pd.Series(announced).reset_index(drop=True)
    timing = pd.Series(timing).reset_index(drop=True).astype(str)
    zero = align_days_zero(calendar, announced, timing)
    position = zero.index.astype(np.int64)
    dates = np.where(position >= 0, _dates(zero.date), "").astype(object)
    # (on the calendar's last session there is no next one to react on)
    or_next = (timing.to_numpy(object) == "unknown") & (position >= 0) & (zero.shift == "")
    or_next &= position + 1 < len(calendar)
    later = np.flatnonzero(or_next)
    if later.size:
        following = _dates(calendar.to_numpy("datetime64[ns]")[position[later] + 1])
        dates[later] = dates[later] + " or " + following
    return position, dates, or_next


def earnings_items(calendar: pd.DatetimeIndex, earnings: pd.DataFrame | None) -> DatedItems:
    """Earnings releases (``ticker, announced, timing[, fiscal_period]``) at their reaction session."""
    if earnings is None or earnings.empty:
        return DatedItems.empty()
    position, reaction, or_next = _reaction(calendar, earnings["announced"], earnings["timing"])
    timing = earnings["timing"].astype(str).to_numpy(object)
    words = np.array([TIMING_WORDS.get(t, t) for t in timing], dtype=object)
    period = np.full(len(earnings), "", dtype=object)
    if "fiscal_period" in earnings:
        # a row's items are one text apart by "; ", as a news headline's ';' is made a ','
        # one line, without control characters (an ESC of the file's cleared a terminal printing car.csv)
        period_text = earnings["fiscal_period"].fillna("").astype(str).map(plain)
        period_text = period_text.str.replace(";", ",", regex=False)
        period = period_text.to_numpy(object)
    period = np.where(period != "", " (" + period + ")", "")
    label = "earnings " + _dates(earnings["announced"]) + " " + words + period + ", reaction " + reaction
    return DatedItems(
        earnings["ticker"].astype(str).to_numpy(object),
        position,
        label.astype(object),
        np.full(len(earnings), EARNINGS, dtype=np.int64),
        or_next,
    )


def releases_apart_from_events(releases: DatedItems, events: DatedItems) -> DatedItems:
    """The earnings ``releases`` but those that are one of the ``events``: of the same ticker,
    reacting within one session of the event's day 0 (either of them possibly on its next
    session too: an ``unknown`` time of day).

    In an earnings study the events are the releases, each also in the earnings calendar: every
    window held its own event as other news (``earnings ... at τ0``), none was unconfounded,
    and ``exclude_confounded`` left no pair (a finder). The study says so
    (``events_are_earnings``). One session either way, because the events file and the calendar
    may give one release differently: ``post`` in one and ``unknown`` in the other, the
    reaction day as ``pre``, or a Saturday release under ``day0_rule = "previous"`` (day 0 the
    Friday, the release reacting on Monday) all left the event its own confounder (a referee).
    Quarterly releases lie some sixty sessions apart, so no other release is that near; another
    release in the window still confounds it.
    """
    if not len(releases) or not len(events):
        return releases
    known = events.position >= 0
    days = pd.DataFrame(
        {"ticker": events.ticker[known].astype(str), "first": events.position[known]}
    ).assign(last=lambda f: f["first"] + events.spans_next[known])
    reacting = pd.DataFrame(
        {"ticker": releases.ticker.astype(str), "first": releases.position, "item": np.arange(len(releases))}
    ).assign(last=lambda f: f["first"] + releases.spans_next)
    both = reacting[reacting["first"] >= 0].merge(days, on="ticker", suffixes=("", "_event"))
    near = (both["first"] <= both["last_event"] + 1) & (both["first_event"] <= both["last"] + 1)
    kept = np.ones(len(releases), dtype=bool)
    kept[both.loc[near, "item"].to_numpy(np.int64)] = False
    return DatedItems(
        releases.ticker[kept], releases.position[kept], releases.label[kept], releases.kind[kept],
        releases.spans_next[kept],
    )  # fmt: skip


def event_items(
    event_ids: Sequence[str] | pd.Series,
    tickers: Sequence[str] | pd.Series,
    day0_index: np.ndarray,
    day0_dates: Sequence[object] | np.ndarray,
    is_event: np.ndarray,
    or_next: np.ndarray | None = None,
) -> DatedItems:
    """The events of the events file (pairs with ``is_event``) at their day 0; ``or_next``:
    (P,) bool, the event may move prices on its day 0 or on the next session (``unknown`` time
    of day on its announcement date: :func:`may_react_next`)."""
    day0 = np.where(np.asarray(is_event, dtype=bool), np.asarray(day0_index, dtype=np.int64), -1)
    dates = _dates(np.asarray(day0_dates, dtype="datetime64[ns]"))
    label = "event " + np.asarray(event_ids, dtype=object) + ", day 0 " + np.where(day0 >= 0, dates, "")
    kind = np.full(len(day0), EVENT, dtype=np.int64)
    later = None if or_next is None else np.asarray(or_next, dtype=bool) & (day0 >= 0)
    return DatedItems(np.asarray(tickers, dtype=object), day0, label.astype(object), kind, later)


def may_react_next(
    timing: np.ndarray, announced: np.ndarray | pd.Series, day0_index: np.ndarray, calendar: pd.DatetimeIndex
) -> np.ndarray:
    """(P,) bool: an event that may move prices on its day 0 or the next session, read as an
    earnings release is (:func:`_reaction`: ``unknown`` time of day on a session that has a next
    one) whose reaction session is its day 0."""
    position, _, or_next = _reaction(calendar, pd.Series(announced), pd.Series(timing))
    return or_next & (position == np.asarray(day0_index, dtype=np.int64))


def news_items(calendar: pd.DatetimeIndex, news: pd.DataFrame | None) -> DatedItems:
    """Lines of a news file (``ticker, date, timing, headline``) at their reaction session."""
    if news is None or news.empty:
        return DatedItems.empty()
    position, reaction, or_next = _reaction(calendar, news["date"], news["timing"])
    headline = news["headline"].fillna("").astype(str).map(plain)  # one line, no control characters
    headline = headline.str.replace(";", ",", regex=False)
    cut = headline.str.len() > MAX_HEADLINE
    headline = headline.where(~cut, headline.str.slice(0, MAX_HEADLINE - 1) + "…")
    words = np.array([TIMING_WORDS.get(t, t) for t in news["timing"].astype(str)], dtype=object)
    quoted = 'news "' + headline.to_numpy(object) + '" '
    label = quoted + _dates(news["date"]) + " " + words + ", reaction " + reaction
    tickers = news["ticker"].astype(str).to_numpy(object)
    kind = np.full(len(news), NEWS, dtype=np.int64)
    return DatedItems(tickers, position, label.astype(object), kind, or_next)


@dataclass(frozen=True)
class WindowFlags:
    """The confounders of every (pair, window).

    Attributes
    ----------
    text
        (P, W) object: the confounders, ``"; "``-separated (``""`` for none), each ending
        ``at τ<day>``.
    count
        (P, W) number of confounders (also those not named in ``text``).
    """

    text: np.ndarray
    count: np.ndarray

    @property
    def confounded(self) -> np.ndarray:
        """(P, W) True where the window has at least one confounder."""
        return self.count > 0


def _signed(values: np.ndarray) -> np.ndarray:
    text = np.char.mod("%+d", np.asarray(values, dtype=np.int64)).astype(object)
    return np.where(values == 0, "0", text).astype(object)


def screen_windows(
    tickers: Sequence[str] | pd.Series,
    day0_index: np.ndarray,
    windows: Sequence[tuple[int, int]],
    items: DatedItems,
    *,
    own: np.ndarray | None = None,
    max_listed: int = MAX_LISTED,
) -> WindowFlags:
    """The items of each pair's ticker inside each of its windows (see the module docstring).

    Parameters
    ----------
    tickers
        (P,) each pair's ticker.
    day0_index
        (P,) calendar position of day 0 (-1: none; such pairs have no confounder).
    windows
        (W,) ``(start, end)`` relative days, inclusive.
    items
        The earnings releases, events and news lines (:meth:`DatedItems.concat`).
    own
        (P,) index in ``items`` of each pair's own event (-1: none), never its own confounder.
    max_listed
        Confounders named per window (the others are counted).
    """
    n_pairs, n_windows = len(day0_index), len(windows)
    text = np.full((n_pairs, n_windows), "", dtype=object)
    count = np.zeros((n_pairs, n_windows), dtype=np.int64)
    if n_pairs == 0 or n_windows == 0 or len(items) == 0:
        return WindowFlags(text, count)
    _, codes = np.unique(
        np.concatenate([np.asarray(tickers, dtype=str), items.ticker.astype(str)]), return_inverse=True
    )
    codes = codes.reshape(-1)
    pair_codes, item_codes = codes[:n_pairs], codes[n_pairs:]
    # Half-day keys: an item on session p at 2p, one that may react on p or p + 1 at 2p + 1, so
    # the window [lo, hi] is the key range [2 lo - 1, 2 hi + 1]: it holds 2p for p in [lo, hi]
    # and 2p + 1 for p in [lo - 1, hi] (p or p + 1 inside).
    or_next = items.spans_next
    halves = np.where(items.position >= 0, 2 * items.position + or_next, -1)
    index = DayIndex.build(item_codes, halves, rank=items.kind)
    day0 = np.asarray(day0_index, dtype=np.int64)
    rows = np.flatnonzero(day0 >= 0)
    own_place = index.place_of(np.full(n_pairs, -1) if own is None else np.asarray(own))[rows]
    bounds = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    for w, (start_day, end_day) in enumerate(bounds):
        low, high = 2 * (day0[rows] + start_day) - 1, 2 * (day0[rows] + end_day) + 1
        start, stop = index.runs(pair_codes[rows], low, high)

        def label(places: np.ndarray, queries: np.ndarray) -> np.ndarray:
            item = index.item[places]
            tau = items.position[item] - day0[rows[queries]]
            at = " at τ" + _signed(tau)
            return items.label[item] + np.where(or_next[item], at + " or τ" + _signed(tau + 1), at)

        count[rows, w] = run_counts(start, stop, own_place)
        text[rows, w] = describe_runs(start, stop, label, own=own_place, max_listed=max_listed, sep="; ")
    return WindowFlags(text, count)


@dataclass(frozen=True)
class DominantDays:
    """The day other than day 0 that dominates each (pair, window), where one does.

    Attributes
    ----------
    column
        (P, W) column of that day in the AR matrix given to :func:`dominant_days`, -1 where the
        window is not flagged.
    tau
        (P, W) float: that day's τ, NaN where not flagged.
    """

    column: np.ndarray
    tau: np.ndarray

    @property
    def flagged(self) -> np.ndarray:
        return self.column >= 0


def dominant_days(
    ar: np.ndarray,
    ar_t: np.ndarray,
    taus: np.ndarray,
    windows: Sequence[tuple[int, int]],
    *,
    min_t: float = DOMINANT_T,
    min_share: float = DOMINANT_SHARE,
) -> DominantDays:
    """Flag the windows one day other than day 0 dominates (rule in the module docstring).

    Parameters
    ----------
    ar, ar_t
        (P, L) abnormal returns and their one-day t over the relative days ``taus``.
    taus
        (L,) increasing relative days of the columns.
    windows
        (W,) ``(start, end)`` relative days, inclusive, within ``taus``.
    min_t, min_share
        The thresholds :math:`t_{min}` and :math:`s_{min}`.

    Notes
    -----
    O(P L W): one masked arg-max per window.
    """
    ar = np.asarray(ar, dtype=float)
    ar_t = np.asarray(ar_t, dtype=float)
    taus = np.asarray(taus, dtype=np.int64)
    n_pairs = ar.shape[0]
    column = np.full((n_pairs, len(windows)), -1, dtype=np.int64)
    zero = np.flatnonzero(taus == 0)
    for w, (start_day, end_day) in enumerate(windows):
        inside = (taus >= start_day) & (taus <= end_day)
        others = inside & (taus != 0)
        if inside.sum() < 2 or not others.any():
            continue
        car = ar[:, inside].sum(axis=1)  # NaN when any AR of the window is missing
        strength = np.where(others[None, :], np.abs(ar_t), -np.inf)
        strength = np.where(np.isnan(strength), -np.inf, strength)
        best = np.argmax(strength, axis=1)
        rows = np.arange(n_pairs)
        t_best, ar_best = strength[rows, best], ar[rows, best]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(car != 0, ar_best / car, np.nan)
        flagged = np.isfinite(car) & (t_best >= min_t) & (share >= min_share)
        if zero.size and inside[zero[0]]:
            flagged &= np.abs(ar_best) > np.abs(ar[:, zero[0]])
        column[flagged, w] = best[flagged]
    tau = np.where(column >= 0, taus[np.clip(column, 0, None)], np.nan)
    return DominantDays(column, tau)


def confounder_columns(
    car: pd.DataFrame,
    ar: pd.DataFrame,
    calendar: pd.DatetimeIndex,
    *,
    earnings: pd.DataFrame | None = None,
    news: pd.DataFrame | None = None,
    screen_earnings: bool | None = None,
    min_t: float = DOMINANT_T,
    min_share: float = DOMINANT_SHARE,
    events: pd.DataFrame | None = None,
    events_are_earnings: bool = False,
) -> pd.DataFrame:
    """The confounder columns of ``car.parquet``, from the study's per-window and daily tables.

    Parameters
    ----------
    car
        One row per (pair, window): ``event_id``, ``ticker``, ``role``, ``tau_start``,
        ``tau_end``, ``day0``.
    ar
        One row per (pair, τ): ``event_id``, ``ticker``, ``tau``, ``date``, ``ar``, ``ar_t``.
    calendar
        The trading calendar (the market proxy's sessions).
    earnings
        Earnings releases of the tickers (``ticker, announced, timing[, fiscal_period]``).
    news
        The user's news lines (``ticker, date, timing, headline``).
    screen_earnings
        Whether the study screens for earnings: then a window of a ticker without releases in
        ``earnings``, or outside its calendar (:func:`earnings_screened`), is not screened
        (``confounded`` missing where it holds no other news). Default: whether ``earnings``
        has rows. A partition of a study passes the study's answer.
    min_t, min_share
        Thresholds of :func:`dominant_days`.
    events
        The events file's rows (``event_id``, ``ticker``, ``announced``, ``timing``): an event
        of ``unknown`` time may confound on its day 0 or the next (:func:`may_react_next`).
        Without it, every event on its day 0 only.
    events_are_earnings
        The events are earnings releases: a release of an event's ticker reacting within one
        session of the event's day 0 is the event (:func:`releases_apart_from_events`), not other
        news.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``car``: ``confounders`` (text), ``confounded`` (boolean: missing where the
        window holds no other news but was not screened for earnings, :func:`earnings_screened`),
        ``dominant_tau`` (Int64, missing where not flagged) and ``dominant_date`` (datetime64[ns],
        NaT).
    """
    keys = ["event_id", "ticker"]
    pairs = car.drop_duplicates(keys)[[*keys, "role", "day0"]].reset_index(drop=True)
    pair_of = pd.MultiIndex.from_frame(pairs[keys])
    row_pair = pair_of.get_indexer(pd.MultiIndex.from_frame(car[keys]))
    spans = pd.MultiIndex.from_arrays([car["tau_start"].astype(np.int64), car["tau_end"].astype(np.int64)])
    windows = spans.unique()
    row_window = windows.get_indexer(spans)
    bounds = [(int(a), int(b)) for a, b in windows]

    day0_dates = pairs["day0"].to_numpy("datetime64[ns]")
    day0 = calendar.get_indexer(pd.DatetimeIndex(day0_dates)).astype(np.int64)  # -1: not a session
    is_event = (pairs["role"] != "peer").to_numpy()
    or_next = None
    if events is not None:
        timing = pairs[keys].merge(
            events.drop_duplicates(keys)[[*keys, "announced", "timing"]], on=keys, how="left", validate="1:1"
        )
        or_next = may_react_next(timing["timing"].to_numpy(object), timing["announced"], day0, calendar)
    own_events = event_items(pairs["event_id"], pairs["ticker"], day0, day0_dates, is_event, or_next)
    released = earnings_items(calendar, earnings)
    if events_are_earnings:
        released = releases_apart_from_events(released, own_events)
    items = DatedItems.concat(own_events, released, news_items(calendar, news))
    own = np.where(is_event, np.arange(len(pairs)), -1)  # the event items come first in ``items``
    flags = screen_windows(pairs["ticker"], day0, bounds, items, own=own)
    unscreened = np.zeros(flags.count.shape, dtype=bool)
    if screen_earnings is None:
        screen_earnings = earnings is not None and not earnings.empty
    if screen_earnings and len(calendar):
        releases = earnings if earnings is not None else pd.DataFrame({"ticker": [], "announced": []})
        sessions = calendar.to_numpy("datetime64[D]")
        # The market proxy as a party is in no statistic (its AR against itself is zero): it is
        # not a window left unscreened, whose releases (an index or ETF has none) to import.
        proxy = False
        if "outcome" in car.columns:
            proxy = car.drop_duplicates(keys)["outcome"].to_numpy(object) == MARKET_PROXY_OUTCOME
        located = np.flatnonzero((day0 >= 0) & ~proxy)
        top = len(sessions) - 1
        # Every (pair, window) span at once: the calendar's intervals are built once.
        bounds_array = np.asarray(bounds, dtype=np.int64).reshape(-1, 2)
        first = sessions[np.clip(day0[located, None] + bounds_array[:, 0] - 1, 0, top)]
        last = sessions[np.clip(day0[located, None] + bounds_array[:, 1], 0, top)]
        tickers = np.repeat(pairs["ticker"].to_numpy(object)[located], len(bounds))
        screened = earnings_screened(tickers, first.ravel(), last.ravel(), releases)
        unscreened[located] = ~screened.reshape(len(located), len(bounds)) & (flags.count[located] == 0)

    taus = np.sort(ar["tau"].unique()) if len(ar) else np.array([0])
    matrix = {name: np.full((len(pairs), len(taus)), np.nan) for name in ("ar", "ar_t")}
    dates = np.full((len(pairs), len(taus)), np.datetime64("NaT"), dtype="datetime64[ns]")
    ar_pair = pair_of.get_indexer(pd.MultiIndex.from_frame(ar[keys]))
    known = ar_pair >= 0
    ar_col = np.searchsorted(taus, ar["tau"].to_numpy())
    for name in matrix:
        matrix[name][ar_pair[known], ar_col[known]] = ar[name].to_numpy(float)[known]
    dates[ar_pair[known], ar_col[known]] = ar["date"].to_numpy("datetime64[ns]")[known]
    dominant = dominant_days(matrix["ar"], matrix["ar_t"], taus, bounds, min_t=min_t, min_share=min_share)

    column = dominant.column[row_pair, row_window]
    flagged = column >= 0
    tau = pd.array(np.where(flagged, taus[np.clip(column, 0, None)], 0), dtype="Int64")
    tau[~flagged] = pd.NA
    date = np.where(flagged, dates[row_pair, np.clip(column, 0, None)], np.datetime64("NaT"))
    confounded = pd.array(flags.confounded[row_pair, row_window], dtype="boolean")
    confounded[unscreened[row_pair, row_window]] = pd.NA  # a row without a day 0 has no window: False
    return pd.DataFrame(
        {
            "confounders": flags.text[row_pair, row_window],
            "confounded": confounded,
            "dominant_tau": tau,
            "dominant_date": date.astype("datetime64[ns]"),
        },
        index=car.index,
    )

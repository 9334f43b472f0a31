"""Checks of cached daily prices, per ticker, and what the study does about each finding.

:func:`validate_prices` is a pure function: one ticker's price frame and the market's trading
calendar in, a list of :class:`PriceIssue` out. The checks are those of a session-aware bar
writer (zipline's daily bar writer checks that an asset's rows match the calendar sessions
between its first and last day): order and uniqueness of dates, dates off the calendar,
calendar sessions without a row, missing and non-positive prices, and jumps that look like a
stock split applied to one price column but not the other.

Rules (``C`` = ``close``, ``A`` = ``adj_close``; ``t-1, t`` = consecutive rows by date)
--------------------------------------------------------------------------------------------
===========================  =================================================================
kind                         rule
===========================  =================================================================
duplicate_date               a date is on more than one row
unsorted                     a row is dated before the row above it
missing_value                ``C`` or ``A`` is NaN or infinite
nonpositive_price            ``C`` or ``A`` is zero or negative
off_calendar_date            a row is dated on a day that is not a session of the calendar
gap                          a calendar session strictly inside the ticker's first..last
                             on-calendar date has no row
partial_history              the first row is after the calendar's first session, or the last
                             row before its last session (IPO, delisting, short download)
suspected_split              ``C/A`` shifts beyond x1.18 or /1.18 (:data:`SAME_LEVEL`) from
                             the previous row with both prices (``close`` changes basis while
                             ``adj_close`` does not follow: one column not split-adjusted, or a
                             bad print), or, where either lacks ``adj_close``, ``C_t/C_{t-1}``
                             is beyond x1.18 or /1.18 (:func:`_unchecked_jumps`)
suspected_unadjusted_split   ``|A_t/A_{t-1} - 1| > 0.40`` and ``A_t/A_{t-1}`` is within 2% of
                             ``n`` or ``1/n`` for an integer ``n`` in 2..20, or is beyond
                             ``x20`` or ``/20`` (:data:`LARGE_SPLIT`; up to the absurd bound):
                             a split (or reverse split) missing from ``adj_close``, hence from
                             the returns; or ``close`` moves at most 40% and the two ratios
                             differ by more than 5% (``adj_close`` jumps alone: an adjustment
                             error). Not applied to index symbols (``^...``), which do not
                             split (``^VIX`` rose 51% on 2025-04-04)
import_question              (a returns series) its import asked a question about it (are the
                             units right? :func:`~eventstudy.data.returns_import.series_doubts`),
                             said again by ``validate`` and every study using it
calendar_gap                 (:func:`validate_store` only, on the market proxy) a day within the
                             calendar's span that it lacks, on which at least two symbols of
                             its exchange, and half of those whose history covers the day, have
                             a value (none when the proxy is an index, ``^N225``: it names no
                             exchange; nor are symbols of no exchange counted, ``BTC-USD``:
                             :func:`~eventstudy.exchanges.names_no_exchange`)
weekend_session              (on the market proxy, in ``validate`` and in a study) a daily
                             calendar's Saturday or Sunday with no session on that weekday a
                             week before or after: a vendor's stray row becomes a session of
                             the study (:func:`weekend_sessions`)
absurd_price                 ``open``, ``C`` or ``A`` is above :data:`MAX_PRICE` (1e9): no
                             listed share or index trades there in any currency (Berkshire
                             Hathaway A is under 1e6 USD, Argentina's Merval ~3e6 points); such
                             values (1e308) are data errors that overflow every computation
                             on them
absurd_return                ``C_t/C_{t-1}`` or ``A_t/A_{t-1}`` is above
                             :data:`PRICE_RATIO_BOUND` (50) or below its inverse: a daily
                             return above +4,900% or below -98%, which catches Yahoo's
                             cents/pence mixups (prices 100 times too large or too small) even
                             on a day the price itself moves. Prices that are missing,
                             non-positive or absurd are not used as ``t-1``. When day
                             ``t``'s ratio is absurd and day ``t+1``'s ratio undoes it (their
                             product is within the bounds), the price of day ``t`` alone is
                             the outlier and only day ``t`` is reported; a run of days
                             that a later jump undoes, or that a unit switch (x100) and the
                             data's start or end enclose, is reported whole (:func:`_flag_runs`)
absurd_open                  ``open_t/C_t`` is above :data:`PRICE_RATIO_BOUND` or below its
                             inverse (the day's close usable and not withheld): the open alone
                             in the wrong unit
===========================  =================================================================

The 0.40 threshold is above every daily move of an index constituent in the launch data; the
0.05 tolerance is far above the dividend share of a day's adjustment factor (``1 - D/C``,
well under 1% for ordinary dividends). The absurd bounds are orders of magnitude beyond any
real daily move (the largest one-day gains of US stocks are a few hundred percent), so they
only catch data errors; a 1:100 reverse split missing from the data is one.

Policy: what the study does (:data:`POLICY`, applied by :func:`apply_policy`)
------------------------------------------------------------------------------
===========================  =================================================================
duplicate_date, unsorted     **refuse** the ticker: the study stops with one line naming the
                             cache file and the date (re-import or re-fetch it). Nothing is
                             sorted or de-duplicated silently.
missing_value,               the price is treated as missing (NaN): the returns of that day
nonpositive_price            and of the next are missing -- never bridged by a two-day return
                             -- and a window that needs them gets ``incomplete_event_window``;
                             a missing ``close`` leaves the market value unknown.
gap                          same as a missing price: returns of the session and the next are
                             missing (the returns panel never bridges a gap).
off_calendar_date            the row is ignored (returns live on the market's calendar); with a
                             returns series as the market, a weekday row of a symbol of its
                             exchange withholds the next session's return too (a gap in the
                             market's file: :mod:`eventstudy.timeline.returns`).
partial_history              nothing changes: days outside the history have no returns, so
                             events there get ``insufficient_estimation``,
                             ``incomplete_event_window`` or an ``announced_*_data`` outcome.
suspected_split              ``close`` is withheld on the days the finding names (every close
                             on another basis than the data's end, where ``adj_close`` is
                             anchored, or every close when ``close / adj_close`` is not 1
                             there and a long stretch is off the end's basis:
                             :func:`_off_basis`), so no market value (and no
                             dollar abnormal value) is computed for a window whose market
                             values need one of them; returns (from ``adj_close``) and CARs are
                             unchanged.
suspected_unadjusted_split   ``adj_close`` on day ``t`` is withheld, so the returns of ``t``
                             and ``t+1`` are missing instead of showing the split as a return.
absurd_price,                the price is withheld (treated as missing) in the column and on
absurd_return                the day concerned, so it never reaches an estimate, a return or
                             a market value. A window whose returns are missing because an
                             ``adj_close`` was withheld gets the outcome ``absurd_price`` and a
                             note naming the day (:func:`annotate_withheld`); a pair whose
                             estimation window lost returns that way is estimated on the
                             others, with a note saying which days were left out.
absurd_open                  the open is withheld on the day: a backtest entering at that open
                             (``open_day1``) skips the trade, with a note; nothing else uses it.
===========================  =================================================================

Returns series (imported with ``--returns``) have their own checks (:func:`validate_returns`):

===========================  =================================================================
missing_return               a blank return: that day's return is missing, the next day's is
                             the file's own (a missing return removes that day only)
return_gap                   a calendar session inside the series' first..last date has no
                             row: that day's return is missing, that day only
off_calendar_return          a row dated on a day that is not a session: its return is
                             compounded into the next session's, as that day's price would
                             be; with a returns series as the market, a weekday row of a
                             series of its exchange withholds the next session's return
                             instead (a gap in the market's file, whose next return covers
                             one session)
partial_history              as for prices; against a market of prices, from the calendar's
                             second session (its first has no return)
absurd_ret                   the signature of a price in the wrong unit: a gross return
                             (``1 + ret``, or ``exp(ret)`` for log returns) beyond
                             :data:`PRICE_RATIO_BOUND` or its inverse (+4,900%, -98%) that a
                             later one, at most :data:`MAX_ABSURD_RUN` rows on and beyond the
                             other bound, undoes (the gross returns from the one to the other
                             multiply to within :data:`UNIT_TOLERANCE` of 1): those two returns;
                             and a return of -100% followed by another return (no asset has a
                             return after losing everything). Withheld (that day's return
                             missing, the next day's the file's own; a row dated off the
                             calendar leaves the next session's return, into which it is
                             compounded, unknown); a window needing it gets the outcome
                             ``absurd_price`` and a note naming the day, an estimation window
                             a note counting the returns left out (:func:`annotate_withheld`)
extreme_ret                  any other return beyond the bound (a loss of 98% or more that
                             lasts, a delisting return of -100% as the last row): kept as
                             given, and reported, since a returns file, unlike Yahoo's prices,
                             has no unit to get wrong but such a day, and real losses of that
                             size end bankruptcies and failed trials
===========================  =================================================================

Duplicate dates cannot reach the cache (the import refuses them); no split or absurd-price
rule applies (there are no prices), and the import refuses simple returns below -100% and
absurd ones (a gross return above :data:`ABSURD_RATIO`, 100). Between the two bounds a return
is imported; the study withholds the pairs that undo each other (``absurd_ret``: a returns file
made from prices with a day at a 60th carries a -98.3% and a +5,900% return, which, fitted, gave
a beta of 23.7 where the prices' checks withheld the day; a finder) and keeps the others
(``extreme_ret``: a referee objected that withholding every loss of 98% or more removes the
worst outcomes of bankruptcy and trial-failure studies as "data errors").

Every finding is listed in ``manifest.json`` under ``validation`` (see
:func:`validation_report`) and by ``eventstudy validate``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.store import PriceStore
from eventstudy.errors import InputError
from eventstudy.exchanges import same_exchange
from eventstudy.text import listing, plain

JUMP = 0.40
"""Absolute one-day price change above which a jump is examined as a possible split."""
ADJ_TOLERANCE = 0.05
"""Relative disagreement between the close and adj_close ratios that marks one as unadjusted."""
SPLIT_TOLERANCE = 0.02
"""Relative distance of a day's adj_close ratio to a split factor for it to count as a split."""
MAX_PRICE = 1e9
"""Prices above this (in any currency) are absurd: withheld as data errors."""
ABSURD_RATIO = 100.0
"""A gross return above this is absurd (+9,900% in a day): the bound of imported returns."""
PRICE_RATIO_BOUND = 50.0
"""A day's price ratio above this, or below its inverse, is an absurd return: withheld. Prices
have a failure that returns do not: Yahoo sometimes quotes some days in cents or pence instead
of dollars or pounds (yfinance's price repair, ``_fix_unit_switch``: "Sometimes Yahoo returns
few prices in cents/pence instead of $/£", random days or a sudden switch, fixed by Yahoo
within weeks), a ratio of 100 times the day's own move: 97 on a day the stock fell 3%, which a
bound of 100 let through as a +9,600% return. Half of 100 catches a mixup on any day the price
moves by less than 50%, and is still beyond any real daily move of a listed share (+4,900%,
-98%)."""
EARLIER_RUN = float(np.log(1.5))
"""How much nearer (|log| of the price after a run over the price before it) a later pairing of
absurd jumps must come back to be preferred to the earlier one: a crash to 1/60 that lasts, then
days in cents (x100), pairs the cents jumps (the crash with the first of them would come back to
1.67 times); two runs at the same level differ by noise, and the earlier pairs."""
MAX_ABSURD_RUN = 10
"""The most priced sessions (usable prices) between an absurd jump and the jump that undoes it
for the days between to be withheld as a run (a few days quoted in cents); a longer stretch
keeps them and flags its two jumps alone, as a −98% crash recovered months later is no run of
bad quotes to withhold."""
UNIT_SWITCH = 100.0
"""The ratio of a price quoted in cents or pence to one in dollars or pounds. A jump by about
this much (within :data:`UNIT_TOLERANCE`) that nothing undoes before the data's end, at most
:data:`MAX_ABSURD_RUN` priced sessions from it (or after the data's start, that far before
it), with more prices on its other side, is Yahoo's switch of the latest (or
first) days to the other unit: those days are withheld as a run. Yahoo fixes such a switch in
its recent days within weeks (yfinance's ``_fix_unit_switch``), so a fresh download is where
it is met."""
UNIT_TOLERANCE = 1.5
"""How far a jump at the data's edge may be from :data:`UNIT_SWITCH` (times or over) and still
be a unit switch: the day's own move up to +50% or -33% (97 on a day the price fell 3%); a
-98% crash (a ratio of 1/50) that lasts to the end is not one, and flags its day alone."""
SAME_LEVEL = float(np.log(1.18))
"""Closes whose basis lies within this |log| (x1.18) of the data's end's are on it
(:func:`_off_basis`), and a shift of close over adj_close beyond it changes the basis: about half
a 40% jump, above a dividend's shift (a few percent) and below every split's ratio (6-for-5: 20%).
(It was half the log of 1.4, x1.1832, which kept closes x1.182 off against the x1.18 said: a
re-attack.)"""
ABSURD_OUTCOME = "absurd_price"
"""Outcome of a window whose returns are missing because an absurd price was withheld."""
_ABSURD_KINDS = ("absurd_price", "absurd_return")
SPLIT_FACTORS: tuple[float, ...] = tuple(
    sorted({*(float(n) for n in range(2, 21)), *(1.0 / n for n in range(2, 21))})
)
"""Price ratios of splits and reverse splits (1:n and n:1 for n = 2..20)."""
LARGE_SPLIT = 20.0
"""An ``adj_close`` ratio beyond this (``x20`` or ``/20``), up to :data:`PRICE_RATIO_BOUND`,
is a suspected unadjusted split whatever its distance to a whole number. Reverse splits of 1:25
to 1:50 are common among penny stocks, where Yahoo's adjustments lag, and the day's own move
makes their ratio any number near n, so the 2% tolerance around n would miss most of them. No
real daily move of a listed share gains 1,900% or loses 95% (Lehman Brothers' fall of about 94%
on 2008-09-15, a ratio near 1/17, stays outside both rules)."""

POLICY: dict[str, tuple[str, str]] = {
    "duplicate_date": ("refuse", "the study stops: re-import or re-fetch the ticker"),
    "unsorted": ("refuse", "the study stops: re-import or re-fetch the ticker"),
    "missing_value": ("mask", "price treated as missing: returns of the day and the next are missing"),
    "nonpositive_price": (
        "mask",
        "price treated as missing: returns of the day and the next are missing",
    ),
    "gap": ("mask", "no row: returns of the session and the next are missing (never bridged)"),
    "off_calendar_date": (
        "ignore",
        "row ignored: returns live on the market's calendar (with a returns series as the market, a "
        "weekday row of a symbol of its exchange withholds the next session's return too)",
    ),
    "calendar_gap": (
        "report",
        "not a session of the study: the other symbols' rows that day are off the calendar (re-import "
        "the market proxy if it lacks the day)",
    ),
    "partial_history": ("report", "no change: days outside the history have no returns"),
    "import_question": (
        "report",
        "used as imported: if the answer is no, import the file again (with the right units)",
    ),
    "weekend_session": (
        "report",
        "a session of the study (event days count it; a series without a row that day has a gap): "
        "re-import the market without it if it is a vendor's stray row",
    ),
    "suspected_split": (
        "mask",
        "close withheld on the days named (the closes on another basis than the data's end, where "
        "adj_close is anchored, or every close when the end is not at adj_close's basis): no market "
        "value for windows that need them",
    ),
    "suspected_unadjusted_split": (
        "mask",
        "adj_close withheld on the day: returns of the day and the next are missing",
    ),
    "absurd_price": (
        "mask",
        "price withheld as a data error: no return of the day and the next, no market value; "
        f"windows needing them get outcome {ABSURD_OUTCOME}",
    ),
    "absurd_return": (
        "mask",
        "price of the day withheld as a data error: no return of the day and the next, no market "
        f"value; windows needing them get outcome {ABSURD_OUTCOME}",
    ),
    "absurd_open": (
        "mask",
        "open withheld as a data error: no backtest entry at that open (the trade is skipped, with a "
        "note)",
    ),
    "missing_return": ("mask", "that day's return is missing; the next day's is not affected"),
    "absurd_ret": (
        "mask",
        "return withheld as a data error: that day's return is missing, the next day's is not affected "
        "(dated off the calendar: the next session's, into which it is compounded, is unknown); "
        f"windows needing it get outcome {ABSURD_OUTCOME}",
    ),
    "extreme_ret": (
        "report",
        "kept as given (a real loss of 98% or more, or a delisting return, is possible): check it",
    ),
    "return_gap": ("mask", "a session without a return: that day's return is missing, that day only"),
    "off_calendar_return": (
        "compound",
        "return compounded into the next session's return (as the prices of those days would give; a "
        "blank one leaves it unknown: withheld); "
        "with a returns series as the market, a weekday row of a series of its exchange withholds the "
        "next session's return instead (a gap in the market's file)",
    ),
}
"""kind -> (action, what the study does). Actions: refuse, mask, ignore, report, compound."""


@dataclass(frozen=True)
class PriceIssue:
    """One kind of problem found in one ticker's prices.

    Attributes
    ----------
    ticker
        The symbol.
    kind
        A key of :data:`POLICY`.
    dates
        The dates concerned, ``YYYY-MM-DD`` (for ``partial_history``: the first and last row).
    detail
        One line describing the finding.
    fields
        Price columns concerned (``close``, ``adj_close``), where the kind is about values.
    """

    ticker: str
    kind: str
    dates: tuple[str, ...]
    detail: str
    fields: tuple[str, ...] = ()

    @property
    def action(self) -> str:
        """``refuse``, ``mask``, ``ignore`` or ``report`` (see :data:`POLICY`)."""
        return POLICY[self.kind][0]

    @property
    def policy(self) -> str:
        """What the study does about it."""
        return POLICY[self.kind][1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticker": self.ticker,
            "kind": self.kind,
            "dates": list(self.dates),
            "fields": list(self.fields),
            "detail": self.detail,
            "action": self.action,
            "policy": self.policy,
        }

    def __str__(self) -> str:
        return f"{self.ticker}: {self.kind}: {self.detail} -> {self.policy}"


def validate_prices(frame: pd.DataFrame, calendar: pd.DatetimeIndex, *, ticker: str) -> list[PriceIssue]:
    """Check one ticker's cached prices against the market's trading calendar.

    Parameters
    ----------
    frame
        Price frame in cache schema (``date``, ..., ``close``, ``adj_close``, ...), in file
        order.
    calendar
        Trading sessions of the market proxy, sorted and unique.
    ticker
        Symbol, used to label the findings.

    Returns
    -------
    list of PriceIssue
        At most one issue per kind (per price column for the ``absurd_*`` kinds), in the order
        of the module docstring's table; empty when the prices are clean.
    """
    issues: list[PriceIssue] = []

    def add(kind: str, dates: Iterable[Any], detail: str, fields: tuple[str, ...] = ()) -> None:
        issues.append(PriceIssue(ticker, kind, tuple(_iso(d) for d in dates), detail, fields))

    dates = pd.DatetimeIndex(frame["date"])
    close = frame["close"].to_numpy(dtype=float)
    adj = frame["adj_close"].to_numpy(dtype=float)

    repeated = dates[dates.duplicated()].unique()
    if len(repeated):
        add(
            "duplicate_date",
            repeated,
            f"{len(repeated)} date(s) on more than one row, first {_iso(repeated[0])}",
        )
    backwards = np.flatnonzero(dates[1:] < dates[:-1]) + 1
    if backwards.size:
        add(
            "unsorted",
            dates[backwards],
            f"{backwards.size} row(s) dated before the row above, first {_iso(dates[backwards[0]])} "
            f"after {_iso(dates[backwards[0] - 1])}",
        )

    _value_issue(
        add,
        "missing_value",
        dates,
        {"close": close, "adj_close": adj},
        lambda v: ~np.isfinite(v),
        "NaN or infinite",
    )
    _value_issue(
        add,
        "nonpositive_price",
        dates,
        {"close": close, "adj_close": adj},
        lambda v: np.isfinite(v) & (v <= 0),
        "zero or negative",
    )

    on = _calendar_issues(
        add,
        dates,
        calendar,
        ("off_calendar_date", "{n} row(s) dated on days that are not market sessions, first {first}"),
        ("gap", "{n} market session(s) without a row, first {first}"),
    )

    columns = {name: frame[name].to_numpy(dtype=float) for name in _ABSURD_COLUMNS if name in frame}
    ordered = not len(repeated) and not backwards.size
    ratio_rows = np.asarray(on) if ordered else np.zeros(len(frame), dtype=bool)
    absurd = absurd_masks(columns, ratio_rows=ratio_rows)
    if ordered and not ticker.startswith("^"):
        withheld = absurd[0]["adj_close"] | absurd[1]["adj_close"]
        # Session rows only: an off-calendar row is ignored, so a weekend row at twice the price
        # must not make the next session a split and withhold its price. A session without a row
        # is a row of missing prices (as the gap's policy has it), so that the rules' tolerances
        # count the sessions a move spans: a raw 2:1 after one was 2.5% from 1/2 over two sessions,
        # judged as one, and every close before it was kept 2 times off (a re-attack).
        session = np.asarray(on)
        if session.any():
            sessions = calendar[(calendar >= dates[session][0]) & (calendar <= dates[session][-1])]
            row = sessions.get_indexer(dates[session])
            close_row, adj_row = np.full(len(sessions), np.nan), np.full(len(sessions), np.nan)
            close_row[row], adj_row[row] = close[session], adj[session]
            withheld_row = np.zeros(len(sessions), dtype=bool)
            withheld_row[row] = withheld[session]
            issues.extend(_split_issues(ticker, sessions, close_row, adj_row, withheld_row))
    for kind, masks in zip(_ABSURD_KINDS, absurd, strict=True):
        for name, mask in masks.items():
            if mask.any():
                days = dates[mask]
                values = ", ".join(
                    f"{_iso(d)} {v:.4g}" for d, v in zip(days[:5], columns[name][mask][:5], strict=True)
                )
                more = f" and {int(mask.sum()) - 5} more" if mask.sum() > 5 else ""
                rule = (
                    f"above {MAX_PRICE:.0e}".replace("e+0", "e")
                    if kind == "absurd_price"
                    else f"a daily move beyond x{PRICE_RATIO_BOUND:g} or /{PRICE_RATIO_BOUND:g}, or a day "
                    f"between two such moves that undo each other within {MAX_ABSURD_RUN} priced sessions, "
                    f"or between a x{UNIT_SWITCH:g} unit switch and the data's start or end that near"
                )
                detail = f"{name} {rule}: {values}{more}"
                issues.append(PriceIssue(ticker, kind, tuple(_iso(d) for d in days), detail, (name,)))
    if "open" in columns:
        withheld_close = absurd[0]["close"] | absurd[1]["close"]
        apart = _open_apart(columns["open"], close, ~withheld_close & np.asarray(on) & ~absurd[0]["open"])
        if apart.any():
            days, ratios = dates[apart], columns["open"][apart] / close[apart]
            values = ", ".join(f"{_iso(d)} x{r:.4g}" for d, r in zip(days[:5], ratios[:5], strict=True))
            more = f" and {int(apart.sum()) - 5} more" if apart.sum() > 5 else ""
            rule = f"beyond x{PRICE_RATIO_BOUND:g} or /{PRICE_RATIO_BOUND:g} of the day's close"
            add("absurd_open", days, f"open {rule}: {values}{more}", ("open",))
    return issues


def _open_apart(open_: np.ndarray, close: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """(n,) the rows ``judged`` whose open is above :data:`PRICE_RATIO_BOUND` times the same day's
    close or below its inverse (both finite and positive): no share opens at 50 times its close
    or a 50th of it, but Yahoo's cents/pence mixup can strike the open alone, and a backtest
    entered at an open 100 times too high lost 99% on a stock that rose."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = open_ / close
    usable = judged & np.isfinite(ratio) & (open_ > 0) & (close > 0)
    return usable & ((ratio > PRICE_RATIO_BOUND) | (ratio < 1.0 / PRICE_RATIO_BOUND))


_ABSURD_COLUMNS: tuple[str, ...] = ("open", "close", "adj_close")
"""Columns checked against :data:`MAX_PRICE`; the ratio rule applies to close and adj_close."""


def absurd_masks(
    columns: Mapping[str, np.ndarray], *, ratio_rows: np.ndarray | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rows whose price is absurd, per column: (above :data:`MAX_PRICE`, absurd ratio).

    Parameters
    ----------
    columns
        Price columns by name (``open``, ``close``, ``adj_close``), rows in date order.
    ratio_rows
        Boolean mask of the rows the ratio rule compares (the rows on the market's calendar,
        the only ones the returns use); ``None`` for all rows, an all-False mask to skip it.

    Returns
    -------
    (dict, dict)
        Boolean masks by column: prices above :data:`MAX_PRICE`; and rows ``t`` whose ratio
        to the last usable price before them (finite, positive, not above :data:`MAX_PRICE`)
        is above :data:`PRICE_RATIO_BOUND` or below its inverse (``close`` and ``adj_close`` only);
        where the next such jump, within :data:`MAX_ABSURD_RUN` usable rows, undoes one (the
        price after it within the bounds of the price before the first), the days between the two
        are flagged instead, and the day after them is not (a one-day spike, or a run of days
        quoted in cents); a unit switch left alone within that many rows of the data's start or
        end flags the rows between it and the edge (:func:`_flag_runs`).
    """
    too_high = {name: np.isfinite(v) & (v > MAX_PRICE) for name, v in columns.items()}
    jumps: dict[str, np.ndarray] = {}
    for name in ("close", "adj_close"):
        if name not in columns:
            continue
        values = columns[name]
        flagged = np.zeros(len(values), dtype=bool)
        usable = np.isfinite(values) & (values > 0) & ~too_high[name]
        if ratio_rows is not None:
            usable &= ratio_rows
        rows = np.flatnonzero(usable)
        if rows.size > 1:
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                ratio = values[rows[1:]] / values[rows[:-1]]
            out = (ratio > PRICE_RATIO_BOUND) | (ratio < 1.0 / PRICE_RATIO_BOUND)
            # A jump that the next jump undoes (the price back within the bounds of the one before
            # the first) leaves a run of bad days between them, one day for a spike: the run is
            # flagged, not the day after it. Three days in cents were flagged on their first day and
            # the good day after them, and the two cents days between were kept (a backtest entered
            # at 100 times the price).
            flagged[rows[_flag_runs(out, values[rows])]] = True
        jumps[name] = flagged
    return too_high, jumps


def _flag_runs(out: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """(n,) the prices to withhold among ``prices`` ((n,), the usable ones in date order), from
    the absurd jumps ``out`` ((n - 1,), ``out[m]``: the jump from ``prices[m]`` to
    ``prices[m + 1]``). A jump alone flags the price after it. Two jumps pair when the second
    undoes the first (the price after it within the bounds of the price before the first, within
    :data:`MAX_ABSURD_RUN` prices): the days between are flagged, and the day after them is not;
    jumps between the two are the run's own (a day 100 times off inside days in cents: pairing
    neighbours only kept one of the cents days and withheld the good day after them). The first
    jump may instead end a run that the data's start begins, and the last begin one that its end
    ends (:func:`_edge_run`: the latest three days in pence flagged the first of them alone, and
    the other two reached the market values and the backtest's exits at 1/100 of the price).

    Which jumps pair is chosen over the whole series, leaving the fewest jumps alone and then the
    prices nearest to where they were (the earlier pairing, the shorter run, and a pair before an
    edge, unless the other is :data:`EARLIER_RUN` nearer): a crash that lasts followed by days in
    cents pairs the cents jumps, not the crash with the first of them (which withheld the real
    days after the crash and kept the cents ones), and two runs in cents pair each with itself."""
    flags = np.concatenate([[False], out])
    jumps = np.flatnonzero(out).tolist()
    count, last = len(jumps), prices.size - 1

    def cost(first: int, back: int) -> float:  # of a run from jump first to jump back; inf: not undone
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            level = prices[jumps[back] + 1] / prices[jumps[first]]
        if 1.0 / PRICE_RATIO_BOUND <= level <= PRICE_RATIO_BOUND:
            return abs(float(np.log(level)))
        return np.inf

    # The level of each stretch between jumps (the log of the jumps before it) and its prices. Jump k
    # may close a run the data's start begins (the stretches up to k) or begin one its end closes
    # (those after it) when more prices are at the level of the stretch on its other side than at
    # that of the run's stretch next to it, and none of the run's is at the first (eleven days in
    # cents from the sixth day on are a stretch between two jumps, not five first days in dollars;
    # a crash that lasts is no day of a run).
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        level = np.concatenate([[0.0], np.cumsum(np.log(prices[1:][out] / prices[:-1][out]))])
    size = np.diff([0, *(jump + 1 for jump in jumps), prices.size])

    def at(stretch: int) -> np.ndarray:  # the stretches at its level
        with np.errstate(invalid="ignore"):
            return np.abs(level - level[stretch]) <= np.log(PRICE_RATIO_BOUND)

    def closes(run: range, inner: int, good: int) -> bool:  # asked of the jumps near an edge alone
        near = at(good)
        return int(size[near].sum()) > int(size[at(inner)].sum()) and not near[run.start : run.stop].any()

    starts = [
        k
        for k in range(count)
        if _edge_run(prices, jumps[k], jumps[k] + 1, last - jumps[k]) and closes(range(k + 1), k, k + 1)
    ]
    ends = {
        k
        for k in range(count)
        if _edge_run(prices, jumps[k], last - jumps[k], jumps[k] + 1)
        and closes(range(k + 1, count + 1), k + 1, k)
    }
    lone = 2.0 * np.log(PRICE_RATIO_BOUND)  # above any pair's cost: pair whenever one can
    edge = -2  # a choice: the run the data's end closes
    best = np.zeros(count + 1)  # best[k]: the cost of the pairing chosen for jumps k.. (0 past the last)
    choice = np.full(count, -1)  # the jump that ends the run jump k begins, edge, or -1: alone
    for k in range(count - 1, -1, -1):
        chosen, pick = np.inf, -1
        for back in range(k + 1, count):  # a run may hold jumps of its own (a spike inside cents days)
            if jumps[back] - jumps[k] > MAX_ABSURD_RUN:
                break
            pair = cost(k, back) + best[back + 1]
            if pair < chosen - EARLIER_RUN or not np.isfinite(chosen):  # the shorter run, unless nearer
                chosen, pick = pair, back
        if k in ends and chosen > EARLIER_RUN:  # a pair before an edge, unless the edge is nearer
            chosen, pick = 0.0, edge
        best[k] = lone + best[k + 1]
        if chosen <= best[k] + EARLIER_RUN:  # within it, the earlier pairing: prices cannot tell
            best[k], choice[k] = chosen, pick
    k = 0
    start = min(starts, key=lambda j: best[j + 1], default=-1)  # the shortest of the nearest
    if start >= 0 and best[start + 1] < best[0] - EARLIER_RUN:
        flags[: jumps[start] + 1] = True  # the first days
        flags[jumps[start] + 1] = False  # and the day after them is good
        k = start + 1
    while k < count:
        pick = int(choice[k])
        if pick == edge:
            flags[jumps[k] + 1 :] = True  # the latest days, to the end
            break
        if pick >= 0:
            flags[jumps[k] + 1 : jumps[pick] + 1] = True  # the run's days
            flags[jumps[pick] + 1] = False  # the day after the run is good
            k = pick
        k += 1
    return flags


def _edge_run(prices: np.ndarray, jump: int, inside: int, outside: int) -> bool:
    """Whether the jump from ``prices[jump]`` to ``prices[jump + 1]`` may close a run at the data's
    edge: a unit switch (:data:`UNIT_SWITCH` within :data:`UNIT_TOLERANCE`) with ``inside``
    prices between it and the edge, at most :data:`MAX_ABSURD_RUN`, and ``outside`` prices on its
    other side, more than that (a listing of 15 days whose last 5 were in pence kept 4 of them)
    (:func:`_flag_runs` also asks that more prices be at the level of that other side than at the
    run's, and none of the run's days)."""
    if not (inside <= MAX_ABSURD_RUN and inside < outside):
        return False
    with np.errstate(over="ignore"):  # 1.8e8 after 1e-300 (hypothesis): an infinite ratio, no switch
        distance = abs(abs(float(np.log(prices[jump + 1] / prices[jump]))) - np.log(UNIT_SWITCH))
    return distance <= np.log(UNIT_TOLERANCE)


def _value_issue(
    add: Callable[[str, Iterable[Any], str, tuple[str, ...]], None],
    kind: str,
    dates: pd.DatetimeIndex,
    columns: Mapping[str, np.ndarray],
    test: Callable[[np.ndarray], np.ndarray],
    words: str,
) -> None:
    bad = {name: test(values) for name, values in columns.items()}
    flagged = np.logical_or.reduce(list(bad.values()))
    if flagged.any():
        fields = tuple(name for name, mask in bad.items() if mask.any())
        counts = ", ".join(f"{name} on {int(bad[name].sum())} date(s)" for name in fields)
        add(kind, dates[flagged], f"{words}: {counts}, first {_iso(dates[flagged][0])}", fields)


def _split_issues(
    ticker: str, dates: pd.DatetimeIndex, close: np.ndarray, adj: np.ndarray, withheld: np.ndarray
) -> list[PriceIssue]:
    """The two split rules of the module docstring, on consecutive rows (sorted, unique dates).
    ``withheld`` marks the absurd ``adj_close`` prices: a ratio to or from one is theirs (the day
    after a x50.5 spike comes back by /50.5, which is not a split)."""
    usable_close = np.isfinite(close) & (close > 0)  # missing or non-positive: other rules
    usable_adj = np.isfinite(adj) & (adj > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        close_ratio = np.where(usable_close[:-1] & usable_close[1:], close[1:] / close[:-1], np.nan)
        adj_ratio = np.where(usable_adj[:-1] & usable_adj[1:], adj[1:] / adj[:-1], np.nan)
        disagreement = np.abs(adj_ratio / close_ratio - 1.0)
        near_factor = np.abs(adj_ratio / _nearest_split(adj_ratio) - 1.0) <= SPLIT_TOLERANCE
        bound = PRICE_RATIO_BOUND  # beyond it the ratio is absurd_return's
        large = ((adj_ratio > LARGE_SPLIT) & (adj_ratio <= bound)) | (
            (adj_ratio < 1.0 / LARGE_SPLIT) & (adj_ratio >= 1.0 / bound)
        )
        large &= ~withheld[:-1] & ~withheld[1:]
        # adj_close jumping where close does not follow (an adjustment error), within the bound
        apart = (disagreement > ADJ_TOLERANCE) & (adj_ratio <= bound) & (adj_ratio >= 1.0 / bound)
        apart &= ~withheld[:-1] & ~withheld[1:] & ~(np.abs(close_ratio - 1.0) > JUMP)  # close stays
    in_returns = (np.abs(adj_ratio - 1.0) > JUMP) & (near_factor | large | apart)
    # close over adj_close on the rows with both prices (a missing price on a split's day hid the
    # split between neighbouring rows: a re-attack): a shift of it is a close that changes basis.
    both = np.flatnonzero(usable_close & usable_adj & ~withheld)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        both = both[np.isfinite(close[both] / adj[both])]  # 1e306 over 0.03: the absurd rules'
        level = close[both] / adj[both]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        prices = (close[both], adj[both])
        cents = all(np.allclose(np.round(x * 100.0), x * 100.0, rtol=0.0, atol=1e-6) for x in prices)
        rounding = HALF_CENT * (1.0 / close[both] + 1.0 / adj[both]) if cents else np.zeros(both.size)
    joint, first_step = _joint_splits(close[both], adj[both], np.diff(both), rounding)
    issues = []
    unchecked = _unchecked_jumps(close, usable_close, both)
    # each split's first day and ratio (one over a span named the last step's adj_close move, x1.002)
    splits = {int(m): (int(both[first_step[m] + 1]), float(np.exp(joint[m]))) for m in np.flatnonzero(joint)}
    # A split one column took sessions after the other: which column is right on the rows between
    # cannot be told (a print of the close at x0.5 before a genuine -45% day reads as a raw 2:1
    # with adj_close a day late, and the print was kept on the end's basis: a re-attack).
    spans = [(int(first_step[m]), int(m)) for m in np.flatnonzero(joint) if first_step[m] < m]
    joint = _gap_splits(close, adj, usable_close, both, unchecked, joint, splits)
    flags, shifted, said = _off_basis(level, joint, dates[both], rounding[1:] + rounding[:-1])
    for start, end in spans:  # flags: positions in both
        flags = np.union1d(flags, np.arange(start + 1, end + 1))
    if splits and flags.size:  # each split's day and ratio (in a gap, the close's own jump)
        split_rows, split_ratios = zip(*(splits[m] for m in sorted(splits)), strict=True)
        jumps = _jumps_text(dates[list(split_rows)], np.array(split_ratios))
        said.insert(0, f"close and adj_close jump together {jumps} (a split left out of both)")
    if flags.size or unchecked:
        rows = _spread(flags, both, usable_close)
        anchored = _anchor_row(level) is not None
        for jumped in unchecked:  # a close that jumps where adj_close is missing
            if not both.size or (jumped > both[-1] and not anchored):
                rows = np.flatnonzero(usable_close)
                which = "no close's basis can be checked: every close withheld"
            elif jumped <= both[0]:  # the closes after it are on the checked rows' basis
                rows = np.union1d(rows, np.flatnonzero(usable_close[:jumped]))
                which = "the closes before it withheld (before the first row with both prices)"
            elif jumped > both[-1] and _split_move(close, usable_close, jumped, both[-1]):  # raw split there:
                rows = np.flatnonzero(usable_close)  # the closes before it on the old basis (a re-attack)
                which = "by a split's ratio after the last row with both prices: every close withheld"
            elif jumped > both[-1]:  # the rows with both prices on adj_close's anchor, and to the jump
                rows = np.union1d(rows, jumped + np.flatnonzero(usable_close[jumped:]))
                which = "the closes from it on withheld (after the last row with both prices)"
            else:  # inside a gap of adj_close: its closes
                after = int(both[np.searchsorted(both, jumped)])
                before = int(both[np.searchsorted(both, jumped) - 1])
                rows = np.union1d(rows, before + 1 + np.flatnonzero(usable_close[before + 1 : after]))
                which = "the closes of that gap withheld"
            said.append(f"close jumps on {_iso(dates[jumped])} beside a day without adj_close, so {which}")
        parts = []
        if shifted.size:
            with np.errstate(over="ignore"):  # 1e300 over 1e-10: inf, said as such
                ratios = level[shifted + 1] / level[shifted]
            parts.append(f"close over adj_close shifts {_jumps_text(dates[both[shifted + 1]], ratios)}")
        detail = "; ".join(parts + said)
        if not np.array_equal(rows, both[shifted + 1]):
            detail += f" (withheld: {listing([_iso(d) for d in dates[rows]])})"
        withheld_days = tuple(_iso(d) for d in dates[rows])
        if rows.size:  # shifts that leave every close on the end's basis (x1.18 and back) withhold none
            issues.append(PriceIssue(ticker, "suspected_split", withheld_days, detail, ("close",)))
    where = np.flatnonzero(in_returns)
    if where.size:
        days = dates[where + 1]
        jumps = _jumps_text(days, adj_ratio[where])
        detail = f"adj_close jumps by a split ratio or apart from close: {jumps}"
        named = tuple(_iso(d) for d in days)
        issues.append(PriceIssue(ticker, "suspected_unadjusted_split", named, detail, ("adj_close",)))
    return issues


def _nearest_split(ratio: np.ndarray) -> np.ndarray:
    """The split factor (:data:`SPLIT_FACTORS`, n or 1/n) nearest each price ratio in log terms (1 for
    a ratio that is not a positive finite number)."""
    factors = np.asarray(SPLIT_FACTORS)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        distance = np.abs(np.log(np.asarray(ratio, dtype=float)[..., None] / factors))
    found = np.isfinite(distance).any(axis=-1)
    nearest = factors[np.argmin(np.where(np.isfinite(distance), distance, np.inf), axis=-1)]
    return np.where(found, nearest, 1.0)


LATE_ROWS = 5
"""The most rows a column may take a split late (or the close stay stale) for the split left out of
both columns to be seen over them (:func:`_joint_splits`; adj_close two sessions late, then four,
kept every close before a raw 2:1 two times off: re-attacks)."""


def _joint_splits(
    close: np.ndarray, adj: np.ndarray, apart: np.ndarray, rounding: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(n - 1,) the log ratio of a split left out of both columns between each two rows of ``close``
    and ``adj`` (rows with both prices; 0 elsewhere), and (n - 1,) the step where each began (its
    own, or a span's first, for the finding to name the split's day): both
    move alike (within :data:`ADJ_TOLERANCE`) by more than :data:`JUMP`, within
    :data:`SPLIT_TOLERANCE` of n or 1/n (n = 2..20, taken as the split's ratio), or beyond
    :data:`LARGE_SPLIT` up to :data:`PRICE_RATIO_BOUND` (raw prices: every close before it was kept
    off by the ratio; a split on a day without adj_close was not looked at: re-attacks); ``apart``
    the rows between each two, each row's day's move widening the tolerance up to three days' (a
    flat split day without adj_close and a +3% day after it were 3% from 1/2; 2% a day over a
    14-day gap called a steady +54% a split); ``rounding`` each row's cents' allowance on close
    over adj_close (:data:`HALF_CENT`; 0 unless the series is in whole cents). The same jump between
    consecutive rows is ``suspected_unadjusted_split``, for the returns."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = adj[1:] / adj[:-1]
        alike = np.abs(ratio / (close[1:] / close[:-1]) - 1.0) <= ADJ_TOLERANCE
        nearest = _nearest_split(ratio)
        near = np.abs(ratio / nearest - 1.0) <= SPLIT_TOLERANCE * np.minimum(apart, 3)  # a long gap: 6%
        size = np.abs(np.log(ratio))
        large = (size > np.log(LARGE_SPLIT)) & (size <= np.log(PRICE_RATIO_BOUND))
        together = alike & (np.abs(ratio - 1.0) > JUMP) & (near | large)
        joint = np.where(together, np.log(np.where(near, nearest, ratio)), 0.0)
        first_step = np.arange(joint.size)
        # Over two to LATE_ROWS + 1 rows, one column late or stale on the split's days (the rows
        # between off over close/adj_close from both ends): a raw 2:1 with adj_close a day late was
        # taken for a one-day spike, every close before it kept 2 times off (a re-attack). The split
        # is put on the last step, where the late column takes it.
        level = np.log(close / adj)
        step_close, step_adj = np.log(close[1:] / close[:-1]), np.log(ratio)
        for span in range(2, LATE_ROWS + 2):  # the split's rows m .. m + span, those between off
            if close.size <= span:
                break
            moved = adj[span:] / adj[:-span]
            alike_span = np.abs(moved / (close[span:] / close[:-span]) - 1.0) <= ADJ_TOLERANCE
            nearest_span = _nearest_split(moved)
            # 2% a day over the span's sessions (three late days at +1.6% were 6.6% from 2 and the
            # cap of 3 days missed them: a re-attack), a long gap still counting 3 days at most.
            steps = np.convolve(np.minimum(apart, 3), np.ones(span, dtype=apart.dtype), mode="valid")
            days = np.minimum(steps, max(3, span))
            whole = np.abs(moved / nearest_span - 1.0) <= SPLIT_TOLERANCE * days
            whole &= np.abs(moved - 1.0) > JUMP
            stepped, factor = _late_column_steps(step_close, step_adj, apart, span)
            late = alike_span & (whole | stepped)
            nearest_span = np.where(whole, nearest_span, factor)
            for inner in range(1, span):  # each row between off both ends' close/adj_close (a
                # $0.44 stock's genuine halving in cents was 2.02% off by rounding alone: a re-attack)
                between = level[inner : level.size - span + inner]
                allowance = NOTABLE_SHIFT + rounding[inner : level.size - span + inner]
                late &= np.abs(between - level[:-span]) > allowance + rounding[:-span]
                late &= np.abs(between - level[span:]) > allowance + rounding[span:]
            for step in range(span):  # no split already seen among its steps
                late &= ~together[step : together.size - span + 1 + step]
            taken = -span  # overlapping spans of one pass are one split (one halving was counted twice)
            for start in np.flatnonzero(late).tolist():
                if start < taken + span:
                    late[start] = False
                else:
                    taken = start
            joint[span - 1 :][late] = np.log(nearest_span[late])
            together[span - 1 :] |= late
            first_step[span - 1 :][late] = np.flatnonzero(late)
    return joint, first_step


def _late_column_steps(
    step_close: np.ndarray, step_adj: np.ndarray, apart: np.ndarray, span: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per span of ``span`` steps (rows m .. m + span; ``step_*`` the log moves of the two columns
    between rows with both prices), whether it holds a split left out of both columns that one
    column takes on its first step, within :data:`SPLIT_TOLERANCE` of n or 1/n (per session the
    step spans, up to three) while the other moves within :data:`SAME_LEVEL`, and the other column
    takes on its last step (more than half the split's log, the same way), while the first moves
    within :data:`SAME_LEVEL`: a column late or stale, whatever the stock did on the days between
    (a stale column's catch-up holds them too; a raw 2:1 with adj_close two sessions late and a
    genuine -8% day between was 8% from 1/2 over the span, and every close before it was kept 2
    times off: a re-attack). A spike of one column comes back in that column, not the other, and
    is none; so is a one-day print of the close at half its price before a genuine -30% day (the
    close's x1.4 back on the last step: the print was kept and the closes before it withheld while
    the first column could move up to half the split's log there: a re-attack). Also the split
    factor (1 where none)."""
    count = step_close.size - span + 1
    found, factor = np.zeros(count, dtype=bool), np.ones(count)
    for first, other in ((step_close, step_adj), (step_adj, step_close)):
        moved = np.exp(first[:count])
        split = _nearest_split(moved)
        log_split = np.log(split)
        with np.errstate(invalid="ignore"):
            took = np.abs(moved / split - 1.0) <= SPLIT_TOLERANCE * np.minimum(apart[:count], 3)
            took &= (split != 1.0) & (np.abs(other[:count]) <= SAME_LEVEL)
            last_first, last_other = first[span - 1 :], other[span - 1 :]
            took &= (np.sign(last_other) == np.sign(log_split)) & (np.abs(last_other) > np.abs(log_split) / 2)
            took &= np.abs(last_first) <= SAME_LEVEL
        factor = np.where(took & ~found, split, factor)
        found |= took
    return found, factor


def _split_move(close: np.ndarray, usable_close: np.ndarray, row: int, checked: int) -> bool:
    """Whether the close of ``row`` moved from the previous usable close, or from the close of the
    row ``checked`` (the last with both prices: a split day's close at a third level moved x0.75
    then x0.667, each by no split's ratio, a re-attack), within :data:`SPLIT_TOLERANCE` of n or 1/n
    (n = 2..20), that per session the move spans, up to three sessions'."""
    earlier = np.flatnonzero(usable_close[:row])
    if not earlier.size:
        return False
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        move, since = close[row] / close[earlier[-1]], close[row] / close[checked]
        off = np.abs(np.array([move, since]) / _nearest_split(np.array([move, since])) - 1.0)
    days = np.minimum([row - earlier[-1], row - checked], 3)
    return bool(np.any(off <= SPLIT_TOLERANCE * days))


def _gap_splits(
    close: np.ndarray,
    adj: np.ndarray,
    usable_close: np.ndarray,
    both: np.ndarray,
    unchecked: list[int],
    joint: np.ndarray,
    named: dict[int, tuple[int, float]],
) -> np.ndarray:
    """``joint`` of :func:`_joint_splits` with the splits left out of both columns on a day without
    adj_close: the close's own jump there (``unchecked``, rows of the whole frame) within
    :data:`SPLIT_TOLERANCE` of n or 1/n per session it spans (up to three), close and adj_close
    alike across the gap (within :data:`ADJ_TOLERANCE`), the product of the gap's such jumps other
    than 1 (a spike's way in and back come to 1). A raw 2:1 on a flat day without adj_close before
    a +5% day was 5% from 1/2 across the gap, and every close before it was kept 2 times off (a
    re-attack). ``named`` (the position m of each split found: its row and ratio, for the finding)
    takes the jump's row and own move: the finding named the next row with both prices and the
    move across the gap."""
    joint = joint.copy()
    closes = np.flatnonzero(usable_close)
    moves = {}
    for row in unchecked:
        previous = closes[closes < row]
        if previous.size:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                moves[row] = (close[row] / close[previous[-1]], min(row - int(previous[-1]), 3))
    in_gap: dict[int, list[tuple[int, float]]] = {}  # per gap, its jumps by n or 1/n: (row, ratio)
    for row, (move, days) in moves.items():
        m = int(np.searchsorted(both, row)) - 1  # both[m] < row <= both[m + 1]
        nearest = float(_nearest_split(np.array(move)))
        if 0 <= m < joint.size and not joint[m] and abs(move / nearest - 1.0) <= SPLIT_TOLERANCE * days:
            in_gap.setdefault(m, []).append((row, float(nearest)))
    for m, jumps in in_gap.items():
        # The gap's split is what its jumps by n or 1/n come to together: a spike's way in and back
        # come to 1 (judged by the gap's net move, a genuine -32% day in the gap hid a raw 1:2; one
        # jump at a time, a stale print's way in and back hid the split beside them: re-attacks).
        net = float(np.prod([ratio for _, ratio in jumps]))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            across = (adj[both[m + 1]] / adj[both[m]]) / (close[both[m + 1]] / close[both[m]])
        if abs(np.log(net)) > np.log1p(SPLIT_TOLERANCE) and abs(across - 1.0) <= ADJ_TOLERANCE:
            joint[m] = np.log(net)
            named[m] = (jumps[0][0], net)  # the day of the gap's first such jump, and the split's ratio
    return joint


def _jumps_text(days: pd.DatetimeIndex, ratios: np.ndarray) -> str:
    """``2025-01-27 x0.5, ...`` of the first five jumps, ``and 3 more`` after them."""
    shown = ", ".join(f"{_iso(d)} x{r:.4g}" for d, r in zip(days[:5], ratios[:5], strict=True))
    return shown + (f" and {len(days) - 5} more" if len(days) > 5 else "")


UNCHECKED_MOVE = float(np.log(1.10))
"""A close's move beside a missing adj_close beyond which it is withheld as a possible split
(:func:`_unchecked_jumps`): a 5-for-4 or 6-for-5 on a day the stock moved the other way by up to
8%; NVDA's genuine +8.9% on 2025-01-28 beside a missing adj_close stays."""


def _unchecked_jumps(close: np.ndarray, usable_close: np.ndarray, both: np.ndarray) -> list[int]:
    """The rows whose close moves by more than :data:`UNCHECKED_MOVE` (x1.10 or /1.10) from the
    previous close where either lacks adj_close: no comparison of rows with both prices sees a
    split or a run there (among the last rows without adj_close, or a spike undone inside a gap of
    adj_close, closes 2 times off were kept; a 3-for-2 there moves close 33%, under the 40% once
    looked for, and a 5-for-4 on a day the stock rose 7% x0.86, under the x1.18 then: re-attacks).
    A genuine move that large beside a missing adj_close cannot be told from a split, and is
    withheld as one."""
    closes = np.flatnonzero(usable_close)
    checked = np.zeros(close.size, dtype=bool)
    checked[both] = True
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        moved = close[closes][1:] / close[closes][:-1]
        jump = np.abs(np.log(moved)) > UNCHECKED_MOVE
        jump &= (moved <= PRICE_RATIO_BOUND) & (moved >= 1.0 / PRICE_RATIO_BOUND)  # beyond: absurd rules
        jump &= (close[closes][1:] <= MAX_PRICE) & (close[closes][:-1] <= MAX_PRICE)
    unchecked = jump & ~(checked[closes][1:] & checked[closes][:-1])
    return [int(closes[i + 1]) for i in np.flatnonzero(unchecked)]


ANCHOR_LEVEL = float(np.log(1.05))
"""How far from 1 close over adj_close may be at the row on the data's end's basis: the dividends
since the data's end (adj_close is anchored when it is downloaded, after its last day: two years
of a 2% yield, a year of 5%) and rounding. A close error of x0.8 beside a special dividend of 10%
in the last rows sat within x1.18 of 1 and was taken as the anchor (a simulation)."""


def _anchor_row(level: np.ndarray, *, after: int = -1) -> int | None:
    """The row (position in ``level``, close over adj_close of the rows with both prices) on the
    basis of the data's end, where adj_close is anchored (Yahoo's: close over adj_close 1 there on
    the right basis): the last row at 1 within :data:`ANCHOR_LEVEL` among the last
    :data:`MAX_ABSURD_RUN` + 1 whose neighbour is at 1 too, or the last row, so that a bad last
    print, a split in the last rows or the last days in cents are the rows after it, and one bad
    print that happens to sit at 1 among rows off it is not the anchor (a re-attack); None
    without one (another vendor's adj_close, or data that end years before their download).
    Only rows after the row ``after`` are candidates."""
    with np.errstate(divide="ignore", invalid="ignore"):
        at_one = np.abs(np.log(level)) <= ANCHOR_LEVEL
    beside = np.zeros(level.size, dtype=bool)
    beside[1:] |= at_one[:-1]
    beside[:-1] |= at_one[1:]
    if level.size:
        beside[-1] = True
    candidate = at_one & beside
    candidate[: max(after + 1, level.size - MAX_ABSURD_RUN - 1)] = False
    found = np.flatnonzero(candidate)
    return int(found[-1]) if found.size else None


def _spread(flags: np.ndarray, both: np.ndarray, usable_close: np.ndarray) -> np.ndarray:
    """The rows of the flags of :func:`_off_basis` (positions in ``both``, the rows with both
    prices) with the closes that lack adj_close next to a flagged row: a stretch is withheld by its
    dates, so a close of it without adj_close kept its wrong basis (a re-attack); one at the data's
    edge goes with the edge's flag."""
    flagged = np.zeros(both.size, dtype=bool)
    flagged[flags] = True
    out = np.zeros(usable_close.size, dtype=bool)
    if both.size:
        out[both[flagged]] = True
        position = np.searchsorted(both, np.arange(usable_close.size), side="right") - 1  # previous both
        before, after = np.clip(position, 0, both.size - 1), np.clip(position + 1, 0, both.size - 1)
        between = flagged[before] | flagged[after]  # beside a withheld row: its basis is not known
        between |= (position < 0) & flagged[0]  # before the first row with both prices
        between |= (position >= both.size - 1) & flagged[-1]  # after the last
        lacking = usable_close.copy()
        lacking[both] = False  # the closes without adj_close
        out |= between & lacking
    return np.flatnonzero(out)


NOTABLE_SHIFT = float(np.log(1.02))
"""A shift of close over adj_close beyond this |log| (2%, plus the cents' rounding for a series in
whole cents: :data:`HALF_CENT`) is more than rounding: a dividend, or with another shift near it,
part of a change of basis (:func:`_changes_of_basis`)."""
NEAR_ROWS = 2
"""A fall within this many rows of a rise is the other side of a spike (:func:`_changes_of_basis`)."""
FALL_CHAIN_ROWS = 15
"""Falls at most this many rows apart (three weeks of sessions: dividends go ex a quarter or a month
apart; a monthly payer of 2.5% chained over 21 rows lost 262 of 400 good closes: a re-attack) are
read together (:func:`_changes_of_basis`)."""
HALF_CENT = 0.005
"""The rounding of a price quoted to cents: the shift of close over adj_close it can make is
``HALF_CENT`` over each of the four prices (6.7% at $0.30, where 2% of noise withheld a
penny stock's good closes: a re-attack); only for a series whose every price is whole cents (at
four decimals a $0.12 stock's allowance of 18% hid errors of 25%: a re-attack)."""


def _near(marked: np.ndarray, rows: int) -> np.ndarray:
    """Whether each position of the bool array ``marked`` is within ``rows`` of a marked one."""
    if not marked.size:
        return marked.copy()
    counts = np.convolve(marked.astype(np.int64), np.ones(2 * rows + 1, dtype=np.int64), mode="full")
    return counts[rows : rows + marked.size] > 0


def _changes_of_basis(shift: np.ndarray, rounding: np.ndarray | float = 0.0) -> np.ndarray:
    """Which shifts of close over adj_close (``shift[m]``: log, from row m to m + 1; ``rounding``,
    what the prices' rounding can make of each) change the close's basis: beyond
    :data:`SAME_LEVEL` (x1.18); any rise beyond :data:`NOTABLE_SHIFT` (no dividend raises it: a
    close too high, or adj_close a session late on a falling day); a fall beyond it within
    :data:`NEAR_ROWS` rows of such a rise (the way in or back of a spike, as adj_close a session
    late on a rising day); and falls beyond it, each within :data:`FALL_CHAIN_ROWS` rows of the
    next, that add up beyond :data:`SAME_LEVEL` (two x0.87
    errors on consecutive days, x0.9 three times a week apart, x0.957 five times three sessions
    apart, x0.86 falls with rises of 2.5% between, kept closes up to 1.7 times off, and a spike that
    came back in falls three rows apart kept its days: re-attacks). A lone fall up to x1.18, falls
    more than three weeks apart, and rises and falls of less than 2% are
    dividends going ex and rounding: a close's basis changed in such steps is not seen."""
    notable = np.abs(shift) > NOTABLE_SHIFT + rounding
    rises = notable & (shift > 0)
    falls = notable & (shift < 0)
    large = np.abs(shift) > SAME_LEVEL
    counted = large | rises | (falls & _near(rises, NEAR_ROWS))
    # Chains of falls, each within FALL_CHAIN_ROWS of the next whatever lies between (a rise between
    # them ended a chain, and rises of 2.5% between x0.86 falls kept closes 1.7 times off: a
    # re-attack). A dividend in a chain is counted with it: a close beside it may be kept up to
    # x1.18 times that dividend off.
    fall_rows = np.flatnonzero(falls)
    if fall_rows.size:
        run = np.cumsum(np.r_[1, np.diff(fall_rows) > FALL_CHAIN_ROWS]) - 1
        total = np.bincount(run, weights=shift[fall_rows])
        counted[fall_rows[np.abs(total[run]) > SAME_LEVEL]] = True
    return counted


def _off_basis(
    level: np.ndarray, joint: np.ndarray, days: pd.DatetimeIndex, rounding: np.ndarray | float = 0.0
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The rows (positions in ``level``, close over adj_close of the rows with both prices) whose
    close is on another basis than the data's end, the positions m of the shifts of close over
    adj_close (from row m to m + 1) that change the close's basis (:func:`_changes_of_basis`), and
    why, when it is not those shifts' days alone. ``joint[m]`` is the log ratio of a split left out
    of both columns between rows m and m + 1 (close and adj_close jump together by a split's ratio:
    close over adj_close does not shift, and raw prices kept every close before it 2 times off: a
    re-attack), 0 elsewhere: a change of the close's basis too; ``days`` the rows' dates;
    ``rounding`` what the prices' rounding can make of each shift.

    adj_close is close times the dividends' factors, which rise to 1 at the data's end, where
    adj_close is anchored (Yahoo's): on the right basis close over adj_close is 1 there and shifts
    only by the dividends going ex (down by a few percent each) and rounding. The shifts that change
    the close's basis (:func:`_changes_of_basis`: beyond :data:`SAME_LEVEL`, every split's ratio
    is, 6-for-5 20%; any rise; falls beside a rise or adding up within three weeks) and the
    splits left out of both columns are counted, the others taken as dividends. So with
    :math:`c_m` the counted log shifts and a the row on the end's basis (:func:`_anchor_row`), row
    t is off the end's basis by

    .. math::  b_t = \\log(C/A)_a + \\textstyle\\sum_{m < t} c_m - \\sum_{m < a} c_m,

    and its close is withheld when :math:`|b_t|` is above :data:`SAME_LEVEL`, however long its
    stretch: a spike and its way back (in steps too; a close, or adj_close a session late on a big
    day), the closes before a split left out of close (a referee's NVDA closes before its 10-for-1
    gave market values 10 times too large beside split-adjusted counts) or of both columns, a split
    whose own day's close sits at a third level, a 3-for-2 on a day the stock rose 2.5%, the last
    days in another unit (the versions before this one judged the close's own move and the kinds of
    jumps, and re-attacks found market values 1.5 to 4 times off). A counted shift by no split's
    ratio that lasts (a special dividend beyond x1.18, a split with a dividend the same day, a basis
    changed in steps) withholds every close before it, as their basis is not known, and the anchor
    is after it and after the last uncounted shift beyond :data:`ANCHOR_LEVEL` (a dividend that
    sets the rows before it off 1). A shift is counted whichever column moved: telling an
    adj_close that jumps alone (its own rule, ``suspected_unadjusted_split``) by which column moved
    more fails on a day the stock moves a lot, and would keep a close wrong from the same day as
    adj_close (no market value rather than a wrong one). Without the anchor (another vendor's
    adj_close, data that end years before their download, or a close wrong for the last
    :data:`MAX_ABSURD_RUN` rows and more) no basis is known, and a counted shift withholds every
    close; the finding says so."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_level = np.log(level)
    shift = np.diff(log_level)
    counted = _changes_of_basis(shift, rounding)
    shifted = np.flatnonzero(counted)
    if not shifted.size and not joint.any():
        return np.zeros(0, dtype=np.intp), shifted, []
    basis = np.zeros(level.size)  # each row's basis over the first row's
    basis[1:] = np.where(counted, shift, 0.0) + joint
    basis = np.cumsum(basis)
    # A change by no split's ratio that lasts (a special dividend, a split with a dividend the same
    # day, a basis changed in steps) leaves the closes before it on no known basis: an error before
    # it that undid its shift kept a close 2 times off (a re-attack). They are withheld, and the
    # anchor is after it. A shift lasts when no later row comes back to a basis of a row before it
    # and it comes back to none (a spike's way in or back, in steps too: the second of two falls
    # whose way back was one rise lasted; a stretch of 15 rows off and back withheld every good
    # close before it when only 10 rows were looked back at).
    said = []
    lasting = -1
    for m in np.flatnonzero(counted & ~_split_ratio(shift))[::-1].tolist():
        seen = np.sort(basis[: m + 1])  # the bases up to the shift; a later row back at one undoes it
        nearest = np.clip(np.searchsorted(seen, basis[m + 1 :]), 1, seen.size - 1) if seen.size > 1 else 0
        near = np.minimum(np.abs(basis[m + 1 :] - seen[nearest]), np.abs(basis[m + 1 :] - seen[nearest - 1]))
        later = bool((near <= SAME_LEVEL).any())
        back = bool((np.abs(seen - basis[m + 1]) <= SAME_LEVEL).any())
        if not (later or back):
            lasting = m
            said.append(
                f"the shift of {_iso(days[m + 1])} stays, by no split's ratio (a special dividend, or a "
                "split with a dividend the same day): the closes before it withheld"
            )
            break
    # a dividend beyond ANCHOR_LEVEL in the last rows: the rows before it are not at 1 on the right
    # basis, and one at 1 there is off by the dividend (a close x0.8 beside a 15% dividend: a simulation)
    dividends = np.flatnonzero(~counted & (np.abs(shift) > ANCHOR_LEVEL))
    anchor = _anchor_row(level, after=max(lasting, int(dividends[-1]) if dividends.size else -1))
    if anchor is None:
        return np.arange(level.size), shifted, [
            f"close over adj_close at the data's end is {level[-1]:.3g}, not 1 (where adj_close is "
            "anchored): no close's basis is known, every close withheld"
        ]
    off = np.abs(log_level[anchor] + basis - basis[anchor]) > SAME_LEVEL
    off[: lasting + 1] = True
    return np.flatnonzero(off), shifted, said


_SPLIT_RATIOS = np.log(
    np.array(sorted({*SPLIT_FACTORS, *(p / q for p in range(1, 6) for q in range(1, 6) if p != q)}))
)
"""Log ratios of splits and reverse splits, 3-for-2 and the like among them."""


def _split_ratio(shift: np.ndarray) -> np.ndarray:
    """Whether each shift of close over adj_close (its log) is a split's ratio: within
    :data:`SPLIT_TOLERANCE` of n or 1/n (n = 2..20) or p/q (p, q <= 5), or beyond
    :data:`LARGE_SPLIT` (a penny stock's 1:25)."""
    with np.errstate(invalid="ignore"):
        near = (np.abs(shift[:, None] - _SPLIT_RATIOS[None, :]) <= np.log1p(SPLIT_TOLERANCE)).any(axis=1)
        return near | (np.abs(shift) > np.log(LARGE_SPLIT))


def apply_policy(frame: pd.DataFrame, issues: Iterable[PriceIssue]) -> pd.DataFrame:
    """A copy of ``frame`` with the masking actions of :data:`POLICY` applied.

    Non-finite and non-positive ``close``/``adj_close`` become NaN; ``close`` on the day of a
    ``suspected_split`` and ``adj_close`` on the day of a ``suspected_unadjusted_split`` become
    NaN; so do the prices of ``absurd_price`` and ``absurd_return`` findings, in the column
    and on the days each names. Rows are neither added, removed nor reordered
    (``refuse`` kinds are the caller's to raise, see :func:`first_refusal`).
    """
    out = frame.copy()
    for column in ("close", "adj_close"):
        values = out[column].to_numpy(dtype=float, copy=True)
        values[~np.isfinite(values) | (values <= 0)] = np.nan
        out[column] = values
    dates = pd.DatetimeIndex(out["date"])
    for issue in issues:
        if issue.kind in ("suspected_split", "suspected_unadjusted_split", "absurd_open", *_ABSURD_KINDS):
            hit = dates.isin(pd.DatetimeIndex(issue.dates))
            out.loc[hit, issue.fields[0]] = np.nan
    return out


def _issue_days(
    found: Mapping[str, Iterable[PriceIssue]], chosen: Callable[[PriceIssue], bool]
) -> dict[str, pd.DatetimeIndex]:
    """Per symbol with any, the days (sorted, each once) of its issues that ``chosen`` picks."""
    out = {}
    for symbol, issues in found.items():
        days = {day for issue in issues if chosen(issue) for day in issue.dates}
        if days:
            out[symbol] = pd.DatetimeIndex(sorted(days))
    return out


def withheld_return_days(found: Mapping[str, Iterable[PriceIssue]]) -> dict[str, pd.DatetimeIndex]:
    """Per symbol, the days whose ``adj_close`` was withheld as absurd (``absurd_*`` kinds), or,
    for a returns series, whose return was (``absurd_ret``)."""
    def withheld(issue: PriceIssue) -> bool:
        return (issue.kind in _ABSURD_KINDS and issue.fields == ("adj_close",)) or issue.kind == "absurd_ret"

    return _issue_days(found, withheld)


def _return_sessions(
    calendar: pd.DatetimeIndex, days: pd.DatetimeIndex
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """The calendar positions of the sessions whose returns hold a returns series' rows of
    ``days`` (sorted): a session's own, and a row dated off the calendar the next session's,
    into which it is compounded; and the days so placed. A row before the first session or
    after the last is in no session's return."""
    positions = calendar.searchsorted(days)
    kept = positions < len(calendar)
    if len(calendar):
        kept &= (positions > 0) | (calendar[np.minimum(positions, len(calendar) - 1)] == days)
    return positions[kept], days[kept]


def annotate_extreme(
    car: pd.DataFrame,
    calendar: pd.DatetimeIndex,
    found: Mapping[str, Iterable[PriceIssue]],
    estimation_window: tuple[int, int],
) -> pd.DataFrame:
    """``car`` with a note on each row whose event window or estimation window holds a return
    that ``extreme_ret`` kept as given (beyond +4,900% or -98% in a day: a real crash, a
    delisting, or a day in the wrong unit that nothing undid, such as a series' last days in
    cents; a finder's CAR of -101% stood as ``ok`` with no word in any table). The outcome is
    unchanged; ``car`` itself when no such return is in the study. A row dated off the
    calendar is on the session its return is compounded into."""
    kept = _issue_days(found, lambda issue: issue.kind == "extreme_ret")
    tickers = car["ticker"].to_numpy(object)
    if not kept or not np.isin(tickers, list(kept)).any():
        return car
    out = car.copy()
    note = out["note"].to_numpy(object).copy()
    day0 = calendar.get_indexer(pd.DatetimeIndex(out["day0"]))
    starts, ends = out["tau_start"].to_numpy(np.int64), out["tau_end"].to_numpy(np.int64)
    for ticker, returns_days in kept.items():
        positions, days = _return_sessions(calendar, returns_days)
        for row in np.flatnonzero((tickers == ticker) & (day0 >= 0)).tolist():
            p0 = int(day0[row])
            spans = (
                ("window", p0 + int(starts[row]), p0 + int(ends[row])),
                ("estimation window", p0 + estimation_window[0], p0 + estimation_window[1]),
            )
            for where, first, last in spans:
                inside = [_iso(day) for day, p in zip(days, positions, strict=True) if first <= p <= last]
                if inside:
                    text = (
                        f"{where} holds {ticker}'s return of {', '.join(inside[:3])}"
                        f"{' and more' if len(inside) > 3 else ''}, beyond +4,900% or -98% in a day and kept "
                        "as given (extreme_ret: a real loss or a data error; see eventstudy validate)"
                    )
                    note[row] = text if not note[row] else f"{note[row]}; {text}"
    out["note"] = pd.Series(note, index=out.index, dtype=car["note"].dtype)
    return out


def history_starts(found: Mapping[str, Iterable[PriceIssue]]) -> dict[str, pd.Timestamp]:
    """Per symbol whose history starts after the calendar's (``partial_history``), its first row's
    date: the day that never had a return (no price before it)."""
    return {
        symbol: pd.Timestamp(issue.dates[0])
        for symbol, issues in found.items()
        for issue in issues
        if issue.kind == "partial_history"
    }


def annotate_withheld(
    car: pd.DataFrame,
    calendar: pd.DatetimeIndex,
    withheld: Mapping[str, pd.DatetimeIndex],
    estimation_window: tuple[int, int],
    starts: Mapping[str, pd.Timestamp] | None = None,
    returns_series: Collection[str] = (),
) -> pd.DataFrame:
    """Outcomes and notes of the rows whose returns are missing because a price was withheld.

    An ``adj_close`` withheld on day ``d`` (:func:`withheld_return_days`) removes the returns
    of ``d`` and of the next session; a withheld return of a returns series (``absurd_ret``)
    removes that day's alone. A window (a ``car.parquet`` row) that is
    ``incomplete_event_window`` and needs one of those returns gets the outcome
    :data:`ABSURD_OUTCOME` and a note naming the days; a row whose estimation window lost such
    returns gets a note saying how many and why (it is estimated on the others).

    Parameters
    ----------
    car
        The ``car.parquet`` frame (``ticker``, ``day0``, ``tau_start``, ``tau_end``,
        ``outcome``, ``note``).
    calendar
        The study's trading calendar.
    withheld
        Days of withheld ``adj_close`` by ticker.
    estimation_window
        Relative days of the estimation window.
    starts
        The first row's date of the symbols whose history starts after the calendar's
        (:func:`history_starts`): no return on that day was lost, as none was ever there (the
        note counted 4 returns left out for 3 lost to days in cents at a listing: a finder).
    returns_series
        The symbols of ``withheld`` that are returns series (their days are withheld returns).

    Returns
    -------
    pandas.DataFrame
        A copy of ``car`` with ``outcome`` and ``note`` updated (``car`` itself when nothing
        applies).
    """
    tickers = car["ticker"].to_numpy(object)
    hit = np.isin(tickers, list(withheld))
    if not hit.any():
        return car
    out = car.copy()
    outcome = out["outcome"].to_numpy(object).copy()
    note = out["note"].to_numpy(object).copy()
    day0 = calendar.get_indexer(pd.DatetimeIndex(out["day0"]))
    tau_start, tau_end = out["tau_start"].to_numpy(np.int64), out["tau_end"].to_numpy(np.int64)
    for ticker, days in withheld.items():
        days = pd.DatetimeIndex(days).sort_values()
        reach = 0 if ticker in returns_series else 1  # the next session's return lost too (a price)
        what = "return" if reach == 0 else "adj_close"
        # A price off the calendar is ignored; a return there is compounded into the next
        # session's, which its withholding leaves unknown (named by the row's own date).
        if reach == 0:
            positions, days = _return_sessions(calendar, days)
        else:
            positions = calendar.get_indexer(days)
            positions, days = positions[positions >= 0], days[positions >= 0]
        labels = [_iso(day) for day in days]
        if not positions.size:
            continue
        start = (starts or {}).get(ticker) if reach else None
        # No return on a price history's first day; every row of a returns series has one.
        first_priced = int(calendar.searchsorted(start)) if start is not None else (0 if reach else -1)
        for row in np.flatnonzero(hit & (tickers == ticker) & (day0 >= 0)).tolist():
            p0 = int(day0[row])
            first, last = p0 + int(tau_start[row]), p0 + int(tau_end[row])
            # withheld on day w: no return on w and w + reach
            hit_window = (positions >= first - reach) & (positions <= last)
            inside = positions[hit_window]
            if inside.size and outcome[row] == "incomplete_event_window":
                outcome[row] = ABSURD_OUTCOME
                named = ", ".join([label for label, h in zip(labels, hit_window, strict=True) if h][:3])
                text = (
                    f"{what} of {ticker} withheld as absurd on {named}"
                    f"{' and more' if inside.size > 3 else ''} (see eventstudy validate)"
                )
                note[row] = text if not note[row] else f"{text}; {note[row]}"
            e0, e1 = p0 + estimation_window[0], p0 + estimation_window[1]
            hit_estimation = (positions >= e0 - reach) & (positions <= e1)
            lost = positions[hit_estimation]
            if lost.size:
                returns = np.unique(np.concatenate([lost, lost + reach]))
                n_returns = int(((returns >= e0) & (returns <= e1) & (returns > first_priced)).sum())
                named = ", ".join([label for label, h in zip(labels, hit_estimation, strict=True) if h][:3])
                text = (
                    f"estimation window: {n_returns} return(s) left out around the absurd {what} "
                    f"of {named}{' and more' if lost.size > 3 else ''} (see eventstudy validate)"
                )
                note[row] = text if not note[row] else f"{note[row]}; {text}"
    out["outcome"] = pd.Series(outcome, index=out.index, dtype=car["outcome"].dtype)
    out["note"] = pd.Series(note, index=out.index, dtype=car["note"].dtype)
    return out


def validate_returns(
    frame: pd.DataFrame,
    calendar: pd.DatetimeIndex,
    *,
    ticker: str,
    market_kind: str = "returns",
    definition: str = "simple",
) -> list[PriceIssue]:
    """Check one returns series (cache schema ``date, ret, market_cap``) against the calendar.

    The kinds of the module docstring's second table, plus ``duplicate_date`` and ``unsorted``
    (refused) should a cache file hold them. With a market of ``market_kind`` ``prices`` the
    calendar's first session has no return (a return needs the price before), so a series that
    starts on its second session has the whole history. ``definition`` (``simple``, ``log``)
    is the series' own, which its gross returns for ``absurd_ret`` follow.
    """
    issues: list[PriceIssue] = []

    def add(kind: str, dates: Iterable[Any], detail: str, fields: tuple[str, ...] = ()) -> None:
        issues.append(PriceIssue(ticker, kind, tuple(_iso(d) for d in dates), detail, fields))

    dates = pd.DatetimeIndex(frame["date"])
    repeated = dates[dates.duplicated()].unique()
    if len(repeated):
        add(
            "duplicate_date",
            repeated,
            f"{len(repeated)} date(s) on more than one row, first {_iso(repeated[0])}",
        )
    backwards = np.flatnonzero(dates[1:] < dates[:-1]) + 1
    if backwards.size:
        add("unsorted", dates[backwards], f"{backwards.size} row(s) dated before the row above")
    missing = ~np.isfinite(frame["ret"].to_numpy(dtype=float))
    session = np.asarray(dates.isin(calendar))
    blank = missing & session  # a blank on another day is compounded into the next session's return
    if blank.any():
        add(
            "missing_return",
            dates[blank],
            f"{int(blank.sum())} blank return(s), first {_iso(dates[blank][0])}",
            ("ret",),
        )
    values = frame["ret"].to_numpy(dtype=float)
    with np.errstate(over="ignore"):
        gross = np.exp(values) if definition == "log" else 1.0 + values
    absurd = _absurd_returns(gross)
    extreme = ((gross > PRICE_RATIO_BOUND) | (gross < 1.0 / PRICE_RATIO_BOUND)) & ~absurd  # NaN: neither
    for kind, rows, what in (
        ("absurd_ret", absurd, "that undo each other, or of -100% with returns after it,"),
        ("extreme_ret", extreme, "kept"),
    ):
        if rows.any():
            first = int(np.flatnonzero(rows)[0])
            add(
                kind,
                dates[rows],
                f"{int(rows.sum())} {definition} return(s) beyond +4,900% or -98% in a day (gross return "
                f"above {PRICE_RATIO_BOUND:g} or below 1/{PRICE_RATIO_BOUND:g}) {what}, first "
                f"{_iso(dates[first])}: {values[first]:.6g}",
                ("ret",),
            )
    off = "{n} return(s) dated on days that are not sessions, first {first}"
    withheld = missing & ~session  # said "the next day's is not affected" of a Saturday's blank (a finder)
    if withheld.any():
        off += (
            f"; {int(withheld.sum())} of them blank, first {_iso(dates[withheld][0])}, which withholds the "
            "next session's return (a blank compounded into it)"
        )
    _calendar_issues(
        add,
        dates,
        calendar,
        ("off_calendar_return", off),
        ("return_gap", "{n} session(s) without a return, first {first}"),
        start=calendar[1] if market_kind == "prices" and len(calendar) > 1 else None,
    )
    return issues


def _absurd_returns(gross: np.ndarray) -> np.ndarray:
    """(R,) bool: the gross returns ``absurd_ret`` withholds (module docstring): a jump beyond
    :data:`PRICE_RATIO_BOUND` or its inverse and the later one, at most :data:`MAX_ABSURD_RUN`
    rows on, beyond the other bound, whose gross returns from the one to the other multiply to
    within :data:`UNIT_TOLERANCE` of 1 (paired in order, each jump once); and a gross return of
    0 (-100%) with a finite return after it."""
    out = np.zeros(gross.shape, dtype=bool)
    up, down = gross > PRICE_RATIO_BOUND, gross < 1.0 / PRICE_RATIO_BOUND
    jumps = np.flatnonzero(up | down)
    with np.errstate(divide="ignore"):
        logs = np.where(np.isfinite(gross) & (gross > 0), np.log(np.where(gross > 0, gross, 1.0)), 0.0)
    tolerance = float(np.log(UNIT_TOLERANCE))
    for k, first in enumerate(jumps.tolist()):
        if out[first]:
            continue
        for back in jumps[k + 1 :].tolist():
            if back - first > MAX_ABSURD_RUN:
                break
            if not out[back] and up[first] != up[back] and abs(logs[first : back + 1].sum()) <= tolerance:
                out[first] = out[back] = True
                break
    finite = np.isfinite(gross)
    last = int(np.flatnonzero(finite)[-1]) if finite.any() else -1
    out |= (gross == 0.0) & (np.arange(gross.size) < last)
    return out


def _calendar_issues(
    add: Callable[[str, Iterable[Any], str], None],
    dates: pd.DatetimeIndex,
    calendar: pd.DatetimeIndex,
    off: tuple[str, str],
    gap: tuple[str, str],
    *,
    start: pd.Timestamp | None = None,
) -> np.ndarray:
    """Report a series' dates against the market calendar: rows dated off it (kind and text
    ``off``), sessions between its first and last row without one (``gap``), and a history that
    starts after ``start`` (default: the calendar's first session) or ends before the calendar's
    last (``partial_history``). The texts are formats of ``n`` and ``first``. Returns (R,) bool,
    the rows dated on a session."""
    on = np.asarray(dates.isin(calendar))
    if (~on).any():
        outside = dates[~on]
        beyond = np.zeros(len(outside), dtype=bool)
        if len(calendar):
            beyond = np.asarray((outside < calendar[0]) | (outside > calendar[-1]), dtype=bool)
        inside = outside[~beyond]
        parts = []
        if len(inside):  # the market's closed days
            parts.append(off[1].format(n=len(inside), first=_iso(inside[0])))
        if beyond.any():  # days the market's history does not reach
            parts.append(
                f"{int(beyond.sum())} row(s) dated outside the market's {_iso(calendar[0])}.."
                f"{_iso(calendar[-1])}, first {_iso(outside[beyond][0])}: its history is shorter than "
                "this series'"
            )
        add(off[0], outside, "; ".join(parts))
    if on.any() and len(calendar):
        first, last = dates[on].min(), dates[on].max()
        inside = calendar[(calendar >= first) & (calendar <= last)]
        missing = inside[~inside.isin(dates)]
        if len(missing):
            add(gap[0], missing, gap[1].format(n=len(missing), first=_iso(missing[0])))
        begin = calendar[0] if start is None else start
        if first > begin or last < calendar[-1]:
            add(
                "partial_history",
                (first, last),
                f"rows cover {_iso(first)}..{_iso(last)} of the calendar's "
                f"{_iso(begin)}..{_iso(calendar[-1])}{'' if start is None else ' (returns)'}",
            )
    return on


def first_refusal(issues: Iterable[PriceIssue]) -> PriceIssue | None:
    """The first issue whose action is ``refuse``, if any."""
    return next((issue for issue in issues if issue.action == "refuse"), None)


def market_calendar(market_frame: pd.DataFrame) -> pd.DatetimeIndex:
    """The calendar the market proxy's rows define (sorted unique dates)."""
    return pd.DatetimeIndex(market_frame["date"]).unique().sort_values()


def screen_returns(
    returns: Mapping[str, pd.DataFrame],
    calendar: pd.DatetimeIndex,
    paths: Mapping[str, Path],
    *,
    market_kind: str,
    definitions: Mapping[str, str],
) -> tuple[dict[str, pd.DataFrame], dict[str, list[PriceIssue]]]:
    """:func:`validate_returns` of every returns series (of its ``definitions``): the series with
    their ``absurd_ret`` returns withheld (NaN), and the findings by symbol (clean ones left out;
    the other kinds describe what the panel does with the series as it is). ``market_kind`` is
    that of the market's series (``prices`` or ``returns``).

    Raises
    ------
    InputError
        For a ``refuse`` finding, naming the cache file, the field ``date`` and the date.
    """
    screened: dict[str, pd.DataFrame] = {}
    found: dict[str, list[PriceIssue]] = {}
    for symbol, frame in returns.items():
        issues = validate_returns(
            frame, calendar, ticker=symbol, market_kind=market_kind, definition=definitions[symbol]
        )
        refusal = first_refusal(issues)
        if refusal is not None:
            raise InputError(
                str(paths[symbol]),
                f"{refusal.detail} in the cached returns of {symbol}; the study refuses them "
                f"(re-import {symbol})",
                field="date",
            )
        screened[symbol] = frame
        absurd = _issue_days({symbol: issues}, lambda issue: issue.kind == "absurd_ret")
        if absurd:
            withheld = pd.DatetimeIndex(frame["date"]).isin(absurd[symbol])
            screened[symbol] = frame.assign(ret=frame["ret"].mask(withheld))
        if issues:
            found[symbol] = issues
    return screened, found


def screen_prices(
    prices: Mapping[str, pd.DataFrame],
    market: str,
    paths: Mapping[str, Path | str],
    *,
    calendar: pd.DatetimeIndex | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, list[PriceIssue]]]:
    """Validate every price frame against the market's calendar and apply :data:`POLICY`.

    Parameters
    ----------
    prices
        Price frames by symbol, including ``market``.
    market
        The market proxy, whose dates are the calendar.
    paths
        The cache file of each symbol, named in errors.
    calendar
        The trading calendar, when the market proxy is not among ``prices`` (a returns series).

    Returns
    -------
    (dict, dict)
        The frames after :func:`apply_policy`, and the issues by symbol (symbols without issues
        are left out).

    Raises
    ------
    InputError
        For the first ``refuse`` finding, naming the cache file, the field ``date`` and the date.
    """
    calendar = market_calendar(prices[market]) if calendar is None else calendar
    screened: dict[str, pd.DataFrame] = {}
    found: dict[str, list[PriceIssue]] = {}
    for symbol, frame in prices.items():
        issues = validate_prices(frame, calendar, ticker=symbol)
        refusal = first_refusal(issues)
        if refusal is not None:
            raise InputError(
                str(paths[symbol]),
                f"{refusal.detail} in the cached prices of {symbol}; the study refuses them "
                f"(re-import or re-fetch {symbol}; see eventstudy validate)",
                field="date",
            )
        screened[symbol] = apply_policy(frame, issues)
        if issues:
            found[symbol] = issues
    return screened, found


def validate_store(store: PriceStore, symbols: Iterable[str], market: str) -> dict[str, list[PriceIssue]]:
    """Validate the cached series of ``symbols`` (and ``market``) on the market's calendar:
    prices with :func:`validate_prices`, returns series with :func:`validate_returns`.

    Returns every symbol asked for, with an empty list where its series is clean.

    Raises
    ------
    DataUnavailableError
        If a symbol is not cached; :class:`~eventstudy.data.store.CacheCorruptError` if its file is
        damaged.
    """
    market_kind, market_table = store.read_series_table(market)
    calendar = market_calendar(market_table.frame)
    out: dict[str, list[PriceIssue]] = {}
    traded: list[pd.DatetimeIndex] = []  # the valid dates of the others on the market's exchange
    for symbol in dict.fromkeys([market, *symbols]):
        kind, table = (market_kind, market_table) if symbol == market else store.read_series_table(symbol)
        if kind == "prices":
            out[symbol] = validate_prices(table.frame, calendar, ticker=symbol)
        else:
            out[symbol] = validate_returns(
                table.frame,
                calendar,
                ticker=symbol,
                market_kind=market_kind,
                definition=str(table.provenance.get("definition", "simple")),
            )
            out[symbol] += import_questions(symbol, table.provenance)
        if symbol != market and same_exchange(symbol, market):
            values = table.frame["adj_close" if kind == "prices" else "ret"].to_numpy(dtype=float)
            traded.append(pd.DatetimeIndex(table.frame["date"])[np.isfinite(values)])
    gap = calendar_gaps(calendar, traded)
    if gap is not None:
        out[market] = [*out[market], PriceIssue(market, "calendar_gap", *gap)]
    out[market] += weekend_sessions(calendar, market)
    return out


def import_questions(symbol: str, provenance: Mapping[str, Any]) -> list[PriceIssue]:
    """An ``import_question`` finding of a returns series whose import asked about it (its
    provenance's ``import_questions``: are the units right?), said again wherever it is used."""
    asked = provenance.get("import_questions")
    if not isinstance(asked, list) or not asked:
        return []
    detail = "its import asked: " + " / ".join(plain(text) for text in asked)
    return [PriceIssue(symbol, "import_question", (), detail)]


WEEKEND_DAILY_SPACING = 4
"""The median days between a calendar's sessions up to which it is daily and
:func:`weekend_sessions` judges it (weekly or monthly dates fall on weekends by their own
schedule)."""


def weekend_sessions(calendar: pd.DatetimeIndex, market: str) -> list[PriceIssue]:
    """A ``weekend_session`` finding of a daily market calendar (:data:`WEEKEND_DAILY_SPACING`)
    for its Saturdays and Sundays that are alone: no session on that weekday a week before or
    after, one of which lies within the calendar. A vendor's stray weekend row becomes a session
    of the study, shifting event time by a day across it and giving every other series a gap
    there (a finder: one Saturday row in a market returns file, silently). An exchange that
    trades on that day every week (Sunday in Riyadh, in Tel Aviv until 2026, a crypto market's
    every day) is not flagged, nor its last Sunday before a change of schedule."""
    gaps = pd.Series(calendar[1:] - calendar[:-1])
    if gaps.empty or gaps.median() > pd.Timedelta(days=WEEKEND_DAILY_SPACING):
        return []
    weekend = calendar[calendar.day_of_week >= 5]
    week, workweek = pd.Timedelta(days=7), pd.Timedelta(days=5)
    alone = ~(weekend - week).isin(calendar) & ~(weekend + week).isin(calendar)
    # a week of sessions on either side to compare with (one week of Sunday-to-Thursday is none)
    alone &= (weekend - calendar[0] >= workweek) | (calendar[-1] - weekend >= workweek)
    found = weekend[alone]
    if not len(found):
        return []
    detail = (
        f"{len(found)} of the calendar's sessions are on a Saturday or Sunday with no session on that "
        f"weekday a week before or after, first {_iso(found[0])}: a vendor's stray row, or a one-off "
        "weekend session"
    )
    return [PriceIssue(market, "weekend_session", tuple(_iso(day) for day in found), detail)]


def calendar_gaps(
    calendar: pd.DatetimeIndex, others: Sequence[pd.DatetimeIndex]
) -> tuple[tuple[str, ...], str] | None:
    """The dates off the market's ``calendar``, within its span, on which at least two of the
    ``others`` (each symbol's dates with a value, on the market's exchange) and at least half
    of those whose history covers the date have one, and a sentence about them; None when there
    are none. Such a day is most likely a session the proxy's data lack."""
    if len(others) < 2 or not len(calendar):
        return None
    off = [days[~days.isin(calendar) & (days >= calendar[0]) & (days <= calendar[-1])] for days in others]
    counts = pd.Series(np.concatenate([days.unique().to_numpy() for days in off])).value_counts()
    if counts.empty:
        return None
    dates = pd.DatetimeIndex(counts.index)
    spans = [(days.min(), days.max()) for days in others if len(days)]
    covering = np.sum([(dates >= first) & (dates <= last) for first, last in spans], axis=0)
    found = dates[(counts.to_numpy() >= 2) & (counts.to_numpy() >= covering / 2)].sort_values()
    if not len(found):
        return None
    detail = (
        f"{len(found)} date(s) on which at least half of the other symbols of its exchange with a history "
        f"there have a value are not in the market proxy's rows, first {_iso(found[0])}: a gap in its "
        "data? (the others' rows that day are off the calendar)"
    )
    return tuple(_iso(day) for day in found), detail


def validation_report(store: PriceStore, symbols: Iterable[str], market: str) -> dict[str, Any]:
    """:func:`validation_record` of the cached prices of ``symbols`` (read and checked here)."""
    found = validate_store(store, symbols, market)
    return validation_record(found, found, market)


def validation_record(
    found: Mapping[str, Iterable[PriceIssue]], symbols: Iterable[str], market: str
) -> dict[str, Any]:
    """The ``validation`` entry of ``manifest.json``: the rules' thresholds, the policy, and
    every finding by symbol of ``symbols`` (those with none are listed under ``clean``)."""
    issues = {symbol: list(found.get(symbol, ())) for symbol in dict.fromkeys([market, *symbols])}
    return {
        "calendar": market,
        "thresholds": {  # every number a rule compares with (the absurd-price ones were left out: a finder)
            "jump": JUMP,
            "adj_tolerance": ADJ_TOLERANCE,
            "split_tolerance": SPLIT_TOLERANCE,
            "large_split": LARGE_SPLIT,
            "max_price": MAX_PRICE,
            "price_ratio_bound": PRICE_RATIO_BOUND,
            "max_absurd_run": MAX_ABSURD_RUN,
            "earlier_run": EARLIER_RUN,
            "unit_switch": UNIT_SWITCH,
            "unit_tolerance": UNIT_TOLERANCE,
        },
        "policy": {kind: {"action": action, "effect": text} for kind, (action, text) in POLICY.items()},
        "issues": {s: [i.to_dict() for i in items] for s, items in issues.items() if items},
        "clean": sorted(s for s, items in issues.items() if not items),
    }


def _iso(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")

"""Trades and the daily equity curve of a rule that trades on announcements.

Timeline of one trade (``d`` = event day 0 by the study's rule,
:func:`eventstudy.timeline.calendar.align_day_zero`, on the market proxy's calendar, except that
a weekend or holiday announcement never trades on the session before it, nor one of unknown
timing at the close of its own day: :func:`trade_days_zero`):

* **decision** -- side from the party's role; weight basis 1 (equal) or the party's market
  value at the close before the entry session (``Close`` x the latest share count dated on or
  before that day, as in the study). Nothing later is used (see "No look-ahead" below), except
  a later change of the counts by a split ratio, which scales the count: Yahoo's closes are
  adjusted for every split after them, so close x count misses by that ratio the market value
  a trader saw (a share issue by such a factor is taken for a split; the trade's note says so).
  A count before a rise of the counts by a fractional split ratio (3/2: a 3-for-2 split or a
  share issue, which the counts cannot tell apart) is used as given, and the note says so: a
  trade is never left out because of a later filing.
* **entry** -- ``close_day0``: at ``Close`` of day ``d``; ``open_day1``: at ``Open`` of day
  ``d+1``.
* **exit** -- at ``Close`` of day ``d+k`` for a holding period of k trading days.

Returns are total returns from Yahoo's ``Adj Close``: the raw return is
:math:`R = \\prod_{j=1}^{k} (1 + r_{d+j}) - 1 = A_{d+k} / A^{entry} - 1` with
:math:`A^{entry} = A_d` for close entries and, for open entries,
:math:`A^{entry} = Open_{d+1} \\cdot A_{d+1} / Close_{d+1}` (the open put on the adjusted scale
with that day's adjustment factor, so a dividend never shows up as a return). The market's
buy-and-hold return :math:`R_m` is taken over exactly the same interval (the market proxy's
open of day ``d+1`` for open entries) and :math:`BHAR = R - R_m` (Barber & Lyon 1997). A short
position earns :math:`-R`. Costs: ``cost_bps`` per side on the entry notional, both sides, so a
trade's net return is :math:`sR - 2c` and its net abnormal return :math:`s\\,BHAR - 2c`
(:math:`s = \\pm 1`, :math:`c` = bps / 10,000).

Daily equity curve (one per holding period k): a calendar-time portfolio of the positions open
each day. The weights of day t are set at the close of day t-1 among the positions held on
day t -- every trade with :math:`d+1 \\le t \\le d+k`, known by then because its day 0 has
passed -- as :math:`w_{pt} = b_p / \\sum_{q\\,\\text{open}} b_q` (:math:`b_p` = 1 or the market
value at the decision). A position entered at the next open holds its slot in cash
overnight. Portfolio return :math:`r_t = \\sum_p w_{pt}\\,(s_p r_{pt} - c\\,[t = d_p+1] -
c\\,[t = e_p])`, where :math:`r_{pt}` is the position's return of day t (from the entry price
on its first day) and :math:`e_p` its exit: d+k, or the first day without a price (which closes
the position at the price before, :math:`r_{pt} = 0`); a position still open at the end of the
data is not sold. Long and short positions both take positive weight (gross exposure 1).
Rebalancing continuing positions to the new weights is not charged. With no position open the
strategy holds cash earning 0. A day's return of -100% or worse (shorts, or costs) ruins it:
its equity is 0 from that day on (:func:`~eventstudy.backtest.statistics.compound`). The market
curve is the market proxy bought and held from the close of the first trade's day 0.

No look-ahead: :func:`plan_trades` decides every trade (entry date, entry price, side, weight
basis) from the calendar, the events, prices up to the entry, and share counts dated no later
than the close before the entry session; it never looks at a price after the entry. A count is
dated by its ``as_of``, which comes before its publication (a filing's cover count is filed days
later): the shares file holds no publication date, so a value weight can rest on a count not yet
public at the decision (the README's backtest section).
``tests/test_backtest_lookahead.py`` proves it by perturbing every later price, and by cutting
the data after each day: the curve of the days before the cut stays the same. A trade whose
exit price is missing (the holding period runs past the data, a delisting, a price gap) has no
k-day return: it is listed with its outcome and left out of the trade statistics, which then
count survivors only (on the launch data there is none), but the curve holds it up to its last
price (:func:`held_positions`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from eventstudy.backtest.rules import BacktestConfig
from eventstudy.backtest.statistics import bhar as buy_and_hold_abnormal
from eventstudy.backtest.statistics import compound, drawdown
from eventstudy.backtest.tables import no_trade_notes, one_cluster_notes
from eventstudy.columns import MARKET_PROXY_OUTCOME, WITHHELD_HINT
from eventstudy.config import ShareCaveat
from eventstudy.exchanges import quote_currency
from eventstudy.factors import FactorTable
from eventstudy.summary import LaidOutSummary
from eventstudy.text import number
from eventstudy.timeline.calendar import DayZero, align_day_zero, proxy_gap_note, proxy_gap_shift
from eventstudy.timeline.returns import build_panel
from eventstudy.valuation import ShareCountTable, change_split, change_text, factor_text, split_ratio_text

BOOTSTRAP_DRAWS = 1000
BOOTSTRAP_SEED = 0

TRADE_COLUMNS: tuple[str, ...] = (
    "holding_days",
    "event_id",
    "ticker",
    "role",
    "group",
    "side",
    "day0",
    "entry",
    "entry_date",
    "entry_price",
    "exit_date",
    "exit_price",
    "ret",
    "market_ret",
    "benchmark",
    "bhar",
    "cost",
    "net_ret",
    "net_abnormal_ret",
    "mcap_prev_usd",
    "weight_basis",
    "outcome",
    "note",
)
CURVE_COLUMNS: tuple[str, ...] = (
    "holding_days",
    "date",
    "n_open",
    "strategy_ret",
    "strategy_equity",
    "strategy_drawdown",
    "market_ret",
    "market_equity",
    "market_drawdown",
)


@dataclass(frozen=True)
class PriceGrid:
    """Open, close and adjusted close of several symbols on the market proxy's calendar.

    Attributes
    ----------
    calendar
        Trading dates (those of the market proxy, as in :func:`eventstudy.timeline.returns.build_panel`).
    symbols
        Column labels.
    open, close, adj_close
        (T, S) prices; NaN where a symbol has no row on a date. ``close`` is split-adjusted,
        ``adj_close`` also dividend-adjusted (Yahoo).
    traded_off_calendar
        Per symbol of the proxy's exchange, the weekdays the proxy's rows lack but it traded on
        (:attr:`eventstudy.timeline.returns.ReturnsPanel.traded_off_calendar`).
    """

    calendar: pd.DatetimeIndex
    symbols: tuple[str, ...]
    open: np.ndarray
    close: np.ndarray
    adj_close: np.ndarray
    traded_off_calendar: Mapping[str, np.ndarray] = field(default_factory=dict)

    def column(self, symbol: str) -> int:
        """Column of ``symbol``; ``KeyError`` naming it when there are no prices for it."""
        if symbol not in self.symbols:
            raise KeyError(f"no prices for {symbol!r} (have {', '.join(self.symbols)})")
        return self.symbols.index(symbol)

    @property
    def adj_open(self) -> np.ndarray:
        """``Open x Adj Close / Close`` of the same day: the open on the dividend-adjusted scale."""
        return self.open * self.adj_close / self.close


def price_grid(prices: Mapping[str, pd.DataFrame], market: str) -> PriceGrid:
    """Align cached price frames (cache schema) on the market proxy's calendar."""
    panel = build_panel(prices, market)
    opens = np.full(panel.close.shape, np.nan)
    adj_close = np.full(panel.close.shape, np.nan)
    for column, symbol in enumerate(panel.symbols):
        frame = prices[symbol]
        position = panel.calendar.get_indexer(pd.DatetimeIndex(frame["date"]))
        on = position >= 0
        opens[position[on], column] = frame["open"].to_numpy(dtype=float)[on]
        adj_close[position[on], column] = frame["adj_close"].to_numpy(dtype=float)[on]
    return PriceGrid(
        panel.calendar, panel.symbols, opens, panel.close.copy(), adj_close, panel.traded_off_calendar
    )


@dataclass(frozen=True)
class TradePlan:
    """The decisions: one row per traded (event, party), fixed before any later price.

    Attributes
    ----------
    frame
        event_id, ticker, role, group, side, day0, entry, entry_date, entry_price,
        mcap_prev_usd, weight_basis, outcome, note.
    day0_index
        (P,) calendar position of day 0 (-1 where none).
    columns
        (P,) grid column of each ticker.
    signs
        (P,) +1 long, -1 short.
    market_columns
        (P,) grid column of each trade's benchmark (the events' ``market``, else the proxy).
    markets
        (P,) those benchmarks' symbols.
    """

    frame: pd.DataFrame
    day0_index: np.ndarray
    columns: np.ndarray
    signs: np.ndarray
    market_columns: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    markets: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    @property
    def ok(self) -> np.ndarray:
        return (self.frame["outcome"] == "ok").to_numpy()


def plan_trades(
    events: pd.DataFrame,
    grid: PriceGrid,
    config: BacktestConfig,
    shares: Mapping[str, pd.DataFrame] | None = None,
    *,
    market: str = "SPY",
    day0_rule: str = "next",
    day0_max_shift: int | None = None,
    share_caveats: Sequence[ShareCaveat] = (),
    restatements: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> TradePlan:
    """Decide the trades: which parties, which side, entry date and price, weight basis.

    Uses only the calendar, the events, the entry price itself, the close before the entry
    session and share counts dated on or before that close. Day 0 follows the study's
    ``day0_rule`` and ``day0_max_shift``, except that a trade never enters before its
    announcement (:func:`trade_days_zero`); a trade's benchmark is its row's ``market`` (the
    events' per-event benchmark) or ``market``. ``restatements``: the ``restatements`` records of
    the price files' provenance by ticker, whose splits scale the counts dated before them as a
    split seen in the counts does (:attr:`~eventstudy.valuation.ShareCountTable.restated_split`).
    """
    shares = shares or {}
    signs_all = np.array([config.sign_of(role) for role in events["role"]], dtype=int)
    traded = events.loc[signs_all != 0].reset_index(drop=True)
    signs = signs_all[signs_all != 0]
    n_days = len(grid.calendar)
    day_zero, day0_notes = trade_days_zero(
        grid.calendar, traded, day0_rule, day0_max_shift, entry=config.entry
    )
    day_zero, day0_notes = _proxy_gap_entries(
        grid, traded, market, (day_zero, day0_notes), (day0_rule, day0_max_shift, config.entry)
    )
    markets = row_markets(traded, market)
    market_columns = np.array([grid.column(m) for m in markets], dtype=int)
    day0_index = np.array([d.index for d in day_zero], dtype=int)
    columns = np.array([grid.column(t) for t in traded["ticker"]], dtype=int)
    open_entry = config.entry == "open_day1"
    entry_index = np.where(day0_index >= 0, day0_index + (1 if open_entry else 0), -1)
    entry_index = np.where(entry_index < n_days, entry_index, -1)
    prev_index = np.where(entry_index >= 1, entry_index - 1, -1)

    # An entry needs the price on the adjusted scale its return is measured on: an open whose day's
    # close was withheld (days quoted in cents) was shown as the entry price, 100 times off, with the
    # outcome of a price missing later (a finder).
    adjusted = grid.adj_open if open_entry else grid.adj_close
    raw_prices = grid.open if open_entry else grid.close
    entry_prices = np.where(np.isfinite(adjusted), raw_prices, np.nan)
    entry_price = _gather(entry_prices, entry_index, columns)
    unadjusted = _gather(raw_prices, entry_index, columns) > 0  # a price without its adjusted scale
    prev_close = _gather(grid.close, prev_index, columns)
    calendar = np.append(grid.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    tickers = traded["ticker"].to_numpy(object)
    listed = list(dict.fromkeys(tickers.tolist()))
    restated_prices = {t: restatements[t] for t in listed if t in restatements} if restatements else None
    counts = {t: shares[t] for t in listed if t in shares}
    table = ShareCountTable.build(counts, calendar[:-1], restated_prices)
    figure = table.rows(tickers, prev_index[:, None])[:, 0] if len(tickers) else np.empty(0, dtype=int)
    # A count dated before a later split, times the split-adjusted close, misses the market value
    # the trader saw by the split ratio; the count on the closes' basis is the count times it. One
    # dated before a fractional rise of the counts (a split or a share issue) is used as given and
    # noted: leaving the trade out would choose trades by a later filing.
    # A split seen only in a restatement of the closes (no count dated after it) scales the count
    # the same way: every count of the ticker precedes it, and the closes hold it.
    split = np.append(table.later_split, 1.0)[figure]
    change = np.append(table.later_change, 1.0)[figure]
    changes = np.append(table.later_changes, 0)[figure]
    reversal = np.append(table.reversal, np.array([""], dtype=object))[figure]
    restated = np.ones_like(split)
    if table.restated_split.size:
        # A count dated between the last restated day and the split may be on either basis: none.
        unsure = np.append(table.restated_unsure, False)[figure]
        restated = np.where(unsure, np.nan, np.append(table.restated_split, 1.0)[figure])
    mcap_prev = prev_close * np.append(table.shares, np.nan)[figure] * split * restated
    abroad = np.array([quote_currency(str(t)) is not None for t in listed], dtype=bool)  # not in USD
    mcap_prev[np.isin(tickers, np.array(listed, dtype=object)[abroad])] = np.nan
    value_weights = config.weighting == "value"
    weight_basis = mcap_prev if value_weights else np.ones(len(traded))
    # The caveats of the count behind mcap_prev_usd go with it, as car.parquet's go with its market
    # values: on the weight under value weights, on the reported market value under equal weights.
    subject = "value weight" if value_weights else "market value"
    noted = value_weights | np.isfinite(mcap_prev)
    share_notes = _share_count_notes(table, figure, tickers, calendar[prev_index], share_caveats, subject)

    own_benchmark = tickers == markets
    outcomes, notes = [], []
    for i, d0 in enumerate(day_zero):
        outcome, note = "ok", ""
        if d0.outcome != "ok":
            outcome, note = d0.outcome, d0.shift or "day 0 falls outside the trading calendar"
        elif own_benchmark[i]:
            outcome, note = MARKET_PROXY_OUTCOME, MARKET_PROXY_NOTE
        elif entry_index[i] < 0:
            outcome, note = "entry_after_data", "the entry session is after the last trading day"
        elif not entry_price[i] > 0:
            price = "Open" if open_entry else "Close"
            column = columns[i]
            note = _no_entry_note(
                (entry_prices[:, column], grid.adj_close[:, column]), entry_index[i], calendar, tickers[i],
                price, unadjusted[i],
            )
            outcome = "no_entry_price"
        elif value_weights and not weight_basis[i] > 0:
            outcome, note = "no_market_value", (
                "no close or share count before the entry for value weights, or prices not in US dollars "
                "(a Yahoo exchange suffix)"
            )
        elif noted[i]:
            note = _later_counts_note(subject, split[i], change[i], restated[i], int(changes[i]), reversal[i])
        if outcome == "ok":
            note = "; ".join(filter(None, [note, share_notes[i] if noted[i] else "", day0_notes[i]]))
        outcomes.append(outcome)
        notes.append(note)

    frame = pd.DataFrame(
        {
            "event_id": traded["event_id"].to_numpy(object),
            "ticker": traded["ticker"].to_numpy(object),
            "role": traded["role"].to_numpy(object),
            "group": traded["group"].to_numpy(object),
            "side": np.where(signs > 0, "long", "short").astype(object),
            "day0": calendar[day0_index],
            "entry": "open" if open_entry else "close",
            "entry_date": calendar[entry_index],
            "entry_price": entry_price,
            "mcap_prev_usd": mcap_prev,
            "weight_basis": weight_basis,
            "outcome": outcomes,
            "note": notes,
        }
    )
    return TradePlan(frame, day0_index, columns, signs, market_columns, markets)


MARKET_PROXY_NOTE = (
    "the ticker is its own benchmark, so its BHAR is 0 by construction: not traded (in the study it "
    "enters no statistic either)"
)
PREVIOUS_SESSION_NOTE = (
    "day 0 is the next session: the study's (day0_rule = previous) is the session before the "
    "announcement, when no trade could act on it"
)
AFTER_DATA_NOTE = (
    "the trade would enter at the session after the announcement (a close of day 0 could come before "
    "the news), which is after the last trading day"
)
UNKNOWN_TIMING_NOTE = (
    "day 0 is the session after the announcement: its timing is unknown, so the news may have come "
    "after the study's day 0's close"
)


def _later_counts_note(
    subject: str, split: float, change: float, restated: float = 1.0, changes: int = 1, reversal: str = ""
) -> str:
    """What the later counts do to a trade's market value ("" when nothing): a later split scales
    the count (:attr:`~eventstudy.valuation.ShareCountTable.later_split`), and so does a split
    seen in a restatement of the closes (``restated_split``), a later unclear change
    (``later_change``) or a split reversed within a year (``reversal``) leaves it as given."""
    parts = []
    if reversal:  # its later split ratios, if any, are said here: not a second time below
        how = f"times {factor_text(split)}" if split != 1.0 else "as given"
        parts.append(
            f"{subject}: the share count {how}, though the counts change {reversal}: a split and its "
            "reverse within a year, or a count on the other basis, which the counts cannot tell apart"
        )
    if restated != 1.0:
        parts.append(
            f"{subject}: the share count times {factor_text(restated)}, the ratio of a "
            f"{split_ratio_text(restated)} split seen in a restatement of the cached closes, which no count "
            "of the ticker is dated after (the closes are split-adjusted)"
        )
    if split != 1.0 and not reversal:
        parts.append(
            f"{subject}: the share count times {factor_text(split)}, a later change of the counts by a "
            f"split ratio ({split_ratio_text(split)}; the closes are split-adjusted)"
        )
    if change != 1.0:
        scaled = split != 1.0 or restated != 1.0  # by a split of the counts or of the closes
        used = "not scaled again for" if scaled else "the share count as given, though it precedes"
        one = change_split(change, changes)
        share = "not" if one is None else f"{factor_text(1 / one)} of"
        parts.append(
            f"{subject}: {used} {change_text(change, changes)} (after a split it is {share} the market "
            "value: the closes are split-adjusted)"
        )
    return "; ".join(parts)


def _share_count_notes(
    table: ShareCountTable,
    figure: np.ndarray,
    tickers: np.ndarray,
    prev_dates: np.ndarray,
    caveats: Sequence[ShareCaveat],
    subject: str,
) -> list[str]:
    """The study's notes on the share count behind each trade's market value (a vendor or STALE
    figure in the shares file, the config's ``[[shares.caveats]]`` from their date on), as
    ``car.parquet`` notes the market values built on it; ``subject`` ("value weight", "market
    value") says which number they concern."""
    notes = []
    for ticker, row, day in zip(tickers, figure, prev_dates, strict=True):
        parts = [
            f"{subject}: shares vendor or balance-sheet figure, not a filing cover count"
            if table.not_cover[row]
            else "",
            f"{subject}: shares figure flagged STALE in the shares file" if table.stale[row] else "",
            *(
                f"{subject}: shares caveat: {c.note}"
                for c in caveats
                if c.ticker == ticker and not np.isnat(day) and day >= np.datetime64(c.start)
            ),
        ]
        notes.append("; ".join(p for p in parts if p))
    return notes


def _proxy_gap_entries(
    grid: PriceGrid,
    traded: pd.DataFrame,
    market: str,
    trade_days: tuple[list[DayZero], list[str]],
    rules: tuple[str, int | None, str],
) -> tuple[list[DayZero], list[str]]:
    """The day 0 and notes of :func:`trade_days_zero` (``trade_days``) for trades whose ticker
    traded on weekdays the proxy's rows lack: the shift of one announced on such a day no longer
    calls it a "market holiday", and where a trade's entry differs from the one it would have with
    the days from its announcement to its entry sessions (the same ``rules``: ``day0_rule``,
    ``day0_max_shift``, ``entry``; a post-close announcement the day before a gap too), the note
    says when it enters instead (the study's car.parquet says the same of its day 0; a finder: -1.66% for
    -0.66%). A post-close announcement, or an entry at the next open after a previous-session
    day 0, enters when it would have: nothing is said of it."""
    zeros, notes = list(trade_days[0]), list(trade_days[1])
    if not grid.traded_off_calendar:
        return zeros, notes
    day0_rule, day0_max_shift, entry = rules
    shift = 1 if entry == "open_day1" else 0
    announced = pd.DatetimeIndex(traded["announced"]).normalize()
    for i, ticker in enumerate(traded["ticker"].tolist()):
        days = grid.traded_off_calendar.get(ticker)
        if days is None:
            continue
        zero, day = zeros[i], announced[i]
        if day.to_datetime64() in days:
            zeros[i] = replace(zero, shift=proxy_gap_shift(zero.shift, market, ticker))
        if zero.outcome != "ok" or zero.index + shift >= len(grid.calendar):
            continue
        enters = grid.calendar[zero.index + shift]
        # the gaps from the announcement to the entry (a post-close one the day before a gap too)
        gaps = pd.DatetimeIndex(days[(days >= day.to_datetime64()) & (days < enters.to_datetime64())])
        if not len(gaps):
            continue
        with_days = grid.calendar.union(gaps)
        (would,), _ = trade_days_zero(with_days, traded.iloc[[i]], day0_rule, day0_max_shift, entry=entry)
        instead = with_days[would.index + shift] if would.outcome == "ok" else None
        if instead is not None and instead != enters:
            missing = " and ".join(str(gap.date()) for gap in gaps)
            moved = f"the trade enters on {enters.date()} instead of {instead.date()}"
            said = proxy_gap_note(market, ticker, missing, f"{moved} (re-import {market} with the day)")
            notes[i] = f"{notes[i]}; {said}" if notes[i] else said
    return zeros, notes


def trade_days_zero(
    calendar: pd.DatetimeIndex,
    events: pd.DataFrame,
    day0_rule: str,
    day0_max_shift: int | None,
    *,
    entry: str = "close_day0",
) -> tuple[list[DayZero], list[str]]:
    """Day 0 of each row's trade (and drift), and a note where it differs from the study's.

    The study's day 0 (``day0_rule``, ``day0_max_shift``), except where a purchase at that
    session's close (``entry = "close_day0"``, and the drift, bought there) could come before
    the news, when the trade takes the session after the announcement instead (a row the study
    keeps is traded however far that session is):

    * under ``day0_rule = "previous"``, a weekend or holiday announcement has the session before
      it as the study's day 0, right for an abnormal return that may start before the news is
      dated (R eventstudies' rule) but look-ahead for a trade, whose entry at that close would
      come before the announcement and whose return would hold the reaction;
    * timing ``unknown`` on a session: the study's day 0 is that session, whose abnormal return
      holds the reaction whenever the news came; a trade at its close would hold it too when the
      news came after the close.

    An entry at the next open (``open_day1``) comes after news of any time of the announcement
    day, so it keeps the study's day 0. A row the study gives no day 0 (``day0_shift_too_large``,
    before or after the data) is not traded; nor is one whose later session is after the data.
    """
    zeros, notes = [], []
    for a, t in zip(events["announced"], events["timing"], strict=True):
        zero = align_day_zero(calendar, a, t, rule=day0_rule, max_shift=day0_max_shift)
        after = zero
        if entry == "close_day0" and zero.outcome == "ok" and (t == "unknown" or day0_rule == "previous"):
            after = align_day_zero(calendar, a, "post" if t == "unknown" else t, rule="next")
            if after.outcome != "ok":
                after = replace(after, outcome="entry_after_data", shift=AFTER_DATA_NOTE)
        zeros.append(after)
        moved_back = zero.outcome == "ok" and zero.date < pd.Timestamp(a).normalize()  # day0_rule previous
        if after.index == zero.index and after.outcome == zero.outcome:
            notes.append("")
        else:  # an unknown-timing weekend or holiday announcement moved back is the previous rule's case
            notes.append(UNKNOWN_TIMING_NOTE if t == "unknown" and not moved_back else PREVIOUS_SESSION_NOTE)
    return zeros, notes


def other_benchmarks(rows: pd.DataFrame, market: str) -> dict[str, int]:
    """The benchmarks of ``rows`` (trades or drift observations) other than ``market`` -- rows
    of events.csv that name their own ``market`` -- with the number of (event, party) pairs each;
    a pair that is its own benchmark (not traded) is not counted."""
    if "benchmark" not in rows.columns:  # a trades.parquet of an older version
        return {}
    if "outcome" in rows.columns:
        rows = rows[rows["outcome"] != MARKET_PROXY_OUTCOME]
    pairs = rows.drop_duplicates(["event_id", "ticker"])
    others = pairs.loc[pairs["benchmark"] != market, "benchmark"].value_counts(sort=False)
    return {str(b): int(n) for b, n in others.items()}


def listed_benchmarks(others: Mapping[str, int], name: Callable[[str], str] = str) -> str:
    """``SMH for 1 row, QQQ for 2 rows``: the benchmarks of :func:`other_benchmarks`, each
    written by ``name`` (markdown in backtest.md, plain on the console)."""
    return ", ".join(f"{name(b)} for {n} {'row' if n == 1 else 'rows'}" for b, n in others.items())


def row_markets(events: pd.DataFrame, market: str) -> np.ndarray:
    """(P,) each row's benchmark: its ``market`` cell, or ``market`` where blank or absent."""
    if "market" not in events.columns:
        return np.full(len(events), market, dtype=object)
    given = events["market"].fillna("").to_numpy(object)
    return np.where(given == "", market, given).astype(object)


def holding_paths(
    grid: PriceGrid, columns: np.ndarray, day0_index: np.ndarray, k: int, entry: str
) -> tuple[np.ndarray, np.ndarray]:
    """Daily returns of positions held over sessions d+1..d+k.

    Returns
    -------
    days
        (P, k) calendar positions d+j, j = 1..k (-1 outside the calendar).
    returns
        (P, k) return of each held day: :math:`A_{d+j}/A_{d+j-1} - 1`, the first day from the
        entry price (``A_d``, or the adjusted open of d+1 for ``open_day1``); NaN where a price
        is missing or the day is outside the calendar.
    """
    n_days = len(grid.calendar)
    offsets = np.arange(1, k + 1)
    days = day0_index[:, None] + offsets[None, :]
    valid = (day0_index[:, None] >= 0) & (days < n_days)
    days = np.where(valid, days, -1)
    previous = np.where(valid, days - 1, -1)
    adj = _pad(grid.adj_close)
    returns = adj[days, columns[:, None]] / adj[previous, columns[:, None]] - 1.0
    if entry == "open_day1":
        first = days[:, 0]
        returns[:, 0] = adj[first, columns] / _pad(grid.adj_open)[first, columns] - 1.0
    return days, returns


def execute_trades(
    plan: TradePlan, grid: PriceGrid, market: str, k: int, config: BacktestConfig
) -> pd.DataFrame:
    """Exits and returns of the planned trades for a holding period of ``k`` days."""
    n_days = len(grid.calendar)
    _, returns = holding_paths(grid, plan.columns, plan.day0_index, k, config.entry)
    _, market_returns = holding_paths(grid, plan.market_columns, plan.day0_index, k, config.entry)
    exit_index = np.where(plan.day0_index >= 0, plan.day0_index + k, -1)
    exit_index = np.where(exit_index < n_days, exit_index, -1)
    exit_price = _gather(grid.close, exit_index, plan.columns)
    ret = np.prod(1.0 + returns, axis=1) - 1.0
    market_ret = np.prod(1.0 + market_returns, axis=1) - 1.0
    abnormal = buy_and_hold_abnormal(returns, market_returns)
    cost = 2.0 * config.cost

    outcomes = plan.frame["outcome"].to_numpy(object).copy()
    notes = plan.frame["note"].to_numpy(object).copy()
    for i in np.flatnonzero(outcomes == "ok"):
        if exit_index[i] < 0:
            outcomes[i], notes[i] = "exit_after_data", f"day +{k} is after the last trading day"
        elif not exit_price[i] > 0:
            outcomes[i], notes[i] = "no_exit_price", f"no Close on day +{k} (missing, or {WITHHELD_HINT})"
        elif np.isnan(returns[i]).any():
            outcomes[i], notes[i] = "price_gap", "a price is missing during the holding period"
        elif np.isnan(market_returns[i]).any():
            outcomes[i], notes[i] = (
                "no_market_price",
                f"{plan.markets[i]} has a missing price in the holding period",
            )
        if outcomes[i] != "ok":  # entered, with no k-day return: held_positions holds it
            notes[i] += f"; {HELD_NOTE}"
    ok = outcomes == "ok"
    calendar = np.append(grid.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))

    def when_ok(values: np.ndarray) -> np.ndarray:
        return np.where(ok, values, np.nan)

    frame = plan.frame.copy()
    frame.insert(0, "holding_days", np.int64(k))
    frame["exit_date"] = np.where(ok, calendar[exit_index], np.datetime64("NaT"))
    frame["exit_price"] = when_ok(exit_price)
    frame["ret"] = when_ok(ret)
    frame["market_ret"] = when_ok(market_ret)
    frame["benchmark"] = plan.markets
    frame["bhar"] = when_ok(abnormal)
    frame["cost"] = when_ok(np.full(len(frame), cost))
    frame["net_ret"] = when_ok(plan.signs * ret - cost)
    frame["net_abnormal_ret"] = when_ok(plan.signs * abnormal - cost)
    frame["outcome"] = outcomes
    frame["note"] = notes
    frame["exit_date"] = frame["exit_date"].astype("datetime64[ns]")
    return frame.loc[:, list(TRADE_COLUMNS)]


def daily_weights(
    day0_index: np.ndarray,
    weight_basis: np.ndarray,
    k: int,
    n_days: int,
    lengths: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Portfolio weights of every position on every day, set at the previous close.

    Parameters
    ----------
    day0_index
        (P,) day 0 of each traded position (all valid).
    weight_basis
        (P,) 1 for equal weights or the market value at the decision.
    k
        Holding period: position p is held on days d_p+1..d_p+k.
    n_days
        Length of the calendar.
    lengths
        (P,) days each position is held, at most ``k`` (:func:`held_positions`: fewer for a
        position whose prices end); default ``k``.

    Returns
    -------
    weights
        (T, P) :math:`w_{pt} = b_p / \\sum_{q\\,\\text{held on } t} b_q` (0 where not held).
    held
        (T, P) boolean: position p is held on day t.
    """
    held = np.zeros((n_days, len(day0_index)), dtype=bool)
    days = day0_index[:, None] + np.arange(1, k + 1)[None, :]
    positions = np.broadcast_to(np.arange(len(day0_index))[:, None], days.shape)
    inside = days < n_days
    if lengths is not None:
        inside &= np.arange(k)[None, :] < np.asarray(lengths)[:, None]
    held[days[inside], positions[inside]] = True
    basis = np.where(held, weight_basis[None, :], 0.0)
    total = basis.sum(axis=1, keepdims=True)
    weights = np.divide(basis, total, out=np.zeros_like(basis), where=total > 0)
    return weights, held


HELD_NOTE = (
    "held in the equity curve and the calendar-time portfolio up to its last price (a missing price "
    "closes it at the price before), out of the trade statistics"
)


@dataclass(frozen=True)
class HeldPositions:
    """The entered trades of one holding period as a portfolio holds them, day by day.

    Attributes
    ----------
    rows
        (P,) the rows of the trades entered (the plan's ``ok`` rows; :func:`execute_trades` may
        have given them an outcome of their exit).
    day0
        (P,) calendar position of each position's day 0.
    days
        (P, k) calendar positions d+1..d+k of the days each is held, -1 from the day after it is
        closed (or outside the calendar).
    returns
        (P, k) each held day's return; 0 on the day a missing price closes the position; NaN
        where not held.
    lengths
        (P,) days held.
    exit_day
        (P,) column of ``days`` on which it is sold (the exit cost), -1 for a position still open
        at the end of the data.
    """

    rows: np.ndarray
    day0: np.ndarray
    days: np.ndarray
    returns: np.ndarray
    lengths: np.ndarray
    exit_day: np.ndarray


def held_positions(plan: TradePlan, grid: PriceGrid, k: int, entry: str) -> HeldPositions:
    """Every entered trade (:attr:`TradePlan.ok`) as the portfolio holds it for ``k`` days.

    A position is held from d+1 to d+k. On the first day its price is missing (a delisting, a
    gap in the data) it is closed at the last price, so it earns 0 that day and leaves the next;
    a position whose holding period runs past the data is held to the data's end, unsold. Whether
    a position is held on day t thus depends only on prices up to t-1, as its weight does: the
    statistics leave such trades out (they have no k-day return), but a portfolio that dropped
    them from every day, as it once did, would have let a missing price after t choose the
    positions of day t (and favoured survivors).
    """
    rows = np.flatnonzero(plan.ok)
    day0 = plan.day0_index[rows]
    days, returns = holding_paths(grid, plan.columns[rows], day0, k, entry)
    finite = np.isfinite(returns)
    gap = np.where(finite.all(axis=1), k, finite.argmin(axis=1))  # the first day without a return
    on_calendar = days[np.arange(len(rows)), np.minimum(gap, k - 1)] >= 0
    closed = (gap < k) & on_calendar  # a missing price on a day of the calendar closes it
    lengths = np.where(closed, gap + 1, gap)
    held = np.arange(k)[None, :] < lengths[:, None]
    returns = np.where(held, np.where(finite, returns, 0.0), np.nan)
    days = np.where(held, days, -1)
    exit_day = np.where(gap == k, k - 1, np.where(closed, gap, -1))
    return HeldPositions(rows, day0, days, returns, lengths, exit_day)


def equity_curve(
    trades: pd.DataFrame, plan: TradePlan, grid: PriceGrid, market: str, k: int, config: BacktestConfig
) -> pd.DataFrame:
    """The daily equity curve of the strategy holding ``k`` days, and of the market.

    ``trades`` is :func:`execute_trades` for the same ``k`` (rows aligned with ``plan``); every
    entered trade is held (:func:`held_positions`). The curve runs from the close of the first
    day 0 to the last day a position is held; its first row is the base (equity 1, return NaN).
    """
    held_trades = held_positions(plan, grid, k, config.entry)
    if not len(held_trades.rows) or held_trades.lengths.max() == 0:
        return pd.DataFrame({name: pd.Series(dtype=_CURVE_DTYPES[name]) for name in CURVE_COLUMNS})
    n_days = len(grid.calendar)
    day0, days = held_trades.day0, held_trades.days
    signs = plan.signs[held_trades.rows]
    basis = trades["weight_basis"].to_numpy(float)[held_trades.rows]
    positions = np.arange(len(day0))
    contribution = signs[:, None] * held_trades.returns
    contribution[:, 0] -= config.cost
    sold = held_trades.exit_day >= 0
    contribution[positions[sold], held_trades.exit_day[sold]] -= config.cost
    weights, held = daily_weights(day0, basis, k, n_days, held_trades.lengths)
    by_day = np.zeros((n_days, len(day0)))
    inside = days >= 0
    by_day[days[inside], np.broadcast_to(positions[:, None], days.shape)[inside]] = contribution[inside]
    strategy = (weights * by_day).sum(axis=1)

    base, last = int(day0.min()), int(days.max())
    span = slice(base, last + 1)
    strategy_ret = strategy[span].copy()
    strategy_ret[0] = np.nan
    strategy_equity, strategy_ret = compound(strategy_ret)
    market_adj = grid.adj_close[span, grid.column(market)]
    market_equity = market_adj / market_adj[0]
    market_ret = np.full(len(market_adj), np.nan)
    market_ret[1:] = market_adj[1:] / market_adj[:-1] - 1.0
    frame = pd.DataFrame(
        {
            "holding_days": np.int64(k),
            "date": grid.calendar[span].to_numpy(dtype="datetime64[ns]"),
            "n_open": held[span].sum(axis=1).astype("int64"),
            "strategy_ret": strategy_ret,
            "strategy_equity": strategy_equity,
            "strategy_drawdown": drawdown(strategy_equity),
            "market_ret": market_ret,
            "market_equity": market_equity,
            "market_drawdown": drawdown(market_equity),
        }
    )
    return frame.loc[:, list(CURVE_COLUMNS)]


_CURVE_DTYPES = {
    "holding_days": "int64",
    "date": "datetime64[ns]",
    "n_open": "int64",
    **dict.fromkeys(CURVE_COLUMNS[3:], "float64"),
}


def post_announcement_bhar(
    events: pd.DataFrame,
    grid: PriceGrid,
    market: str,
    horizons: tuple[int, ...],
    *,
    day0_rule: str = "next",
    day0_max_shift: int | None = None,
) -> pd.DataFrame:
    """BHAR over [+1,+k] of every (event, party), bought at the close of day 0
    (:func:`trade_days_zero`: never before the announcement).

    One row per (event, party, k): event_id, ticker, role, group, day0 (the session bought at
    its close; NaT where none), k, exit_date (the session +k, sold at its close; NaT where none
    or after the data), benchmark, ret, market_ret, bhar (NaN where a price in the
    window is missing or the window runs past the data). The benchmark is the row's ``market``
    (per-event benchmark) or ``market``; a party that is its own benchmark (BHAR 0 by
    construction) has no row.
    """
    benchmarks = row_markets(events, market)
    keep = events["ticker"].to_numpy(object) != benchmarks
    events, benchmarks = events.loc[keep], benchmarks[keep]
    zeros, _ = trade_days_zero(grid.calendar, events, day0_rule, day0_max_shift)
    day0 = np.array([d.index for d in zeros], dtype=int)
    bought = pd.DatetimeIndex([grid.calendar[i] if i >= 0 else pd.NaT for i in day0])
    columns = np.array([grid.column(t) for t in events["ticker"]], dtype=int)
    market_columns = np.array([grid.column(m) for m in benchmarks], dtype=int)
    frames = []
    calendar = np.append(grid.calendar.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    for k in horizons:
        sold = np.where((day0 >= 0) & (day0 + k < len(grid.calendar)), day0 + k, -1)  # -1: NaT
        _, returns = holding_paths(grid, columns, day0, k, "close_day0")
        _, market_returns = holding_paths(grid, market_columns, day0, k, "close_day0")
        frames.append(
            pd.DataFrame(
                {
                    "event_id": events["event_id"].to_numpy(object),
                    "ticker": events["ticker"].to_numpy(object),
                    "role": events["role"].to_numpy(object),
                    "group": events["group"].to_numpy(object),
                    "day0": bought,
                    "k": np.int64(k),
                    "exit_date": calendar[sold],
                    "benchmark": benchmarks,
                    "ret": np.prod(1.0 + returns, axis=1) - 1.0,
                    "market_ret": np.prod(1.0 + market_returns, axis=1) - 1.0,
                    "bhar": buy_and_hold_abnormal(returns, market_returns),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@dataclass
class BacktestResults:
    """Results of a backtest.

    Attributes
    ----------
    config
        The trading rule.
    market
        The market proxy symbol.
    study_name
        Name of the study the events belong to.
    trades
        One row per (holding period, planned trade): ``trades.parquet``.
    curve
        Daily equity curves of the strategy and the market per holding period: ``backtest.parquet``.
    drift
        Post-announcement drift table: ``drift.parquet``.
    drift_observations
        The BHAR[+1,+k] of every (event, party) behind ``drift``.
    summary_table
        One row per holding period (see :func:`eventstudy.backtest.tables.summary_table`).
    calendar_time
        The calendar-time portfolio regressions of each holding period and model
        (``calendar_time.parquet``, :mod:`eventstudy.backtest.calendar_time`), or None when the
        rule asks for none.
    recorded_drift_benchmarks
        The drift's benchmarks as an output folder records them, for results loaded from it
        (which hold no ``drift_observations``); None: from ``drift_observations``.
    """

    config: BacktestConfig
    market: str
    study_name: str
    trades: pd.DataFrame
    curve: pd.DataFrame
    drift: pd.DataFrame
    drift_observations: pd.DataFrame
    summary_table: pd.DataFrame = field(repr=False)
    calendar_time: pd.DataFrame | None = None
    recorded_drift_benchmarks: dict[str, int] | None = None

    def to_frame(self) -> pd.DataFrame:
        """The trades (``trades.parquet``)."""
        return self.trades.copy()

    def __repr__(self) -> str:
        counts = [int(n) for n in self.summary_table.get("n_trades", pd.Series(dtype=int))]
        trades = f"{counts[0]}" if len(set(counts)) == 1 else ", ".join(map(str, counts)) or "0"
        rule, name = self.config.describe(), self.study_name
        return f"<BacktestResults {name!r}: {rule}; {trades} trades a holding period, market {self.market}>"

    def metadata(self) -> dict[str, object]:
        """What the output files record about the run (schema metadata)."""
        return {
            "study": self.study_name,
            "market": self.market,
            "rule": self.config.to_dict(),
            "bootstrap": {"draws": BOOTSTRAP_DRAWS, "seed": BOOTSTRAP_SEED, "fraction": 0.25},
            "drift_benchmarks": self.drift_benchmarks(),
        }

    def drift_benchmarks(self) -> dict[str, int]:
        """The drift's benchmarks other than the market proxy (:func:`other_benchmarks`)."""
        if self.recorded_drift_benchmarks is not None:
            return dict(self.recorded_drift_benchmarks)
        return other_benchmarks(self.drift_observations, self.market)

    def summary(self) -> LaidOutSummary:
        """One line per holding period (``—`` for a figure there is none of, as in
        ``backtest.md``: a t of one trade, a Sharpe of a curve that never moved) and the
        calendar-time alphas: fixed-width text (what ``eventstudy backtest`` prints), HTML in a
        notebook, ``.as_latex()``."""
        market = self.market[:7]
        title = f"Backtest of {self.study_name!r}: {self.config.describe()}"
        others = listed_benchmarks(other_benchmarks(self.trades, self.market))
        benchmark = self.market + (f", or the row's own market ({others})" if others else "")
        net = f"side x BHAR - costs, BHAR against {benchmark}"
        lines = [title, f"market proxy {self.market}; net abnormal return = {net}", ""]
        notes = no_trade_notes(self.summary_table, self.trades, self.curve)
        notes += one_cluster_notes(self.summary_table)
        for note in notes:  # as backtest.md says them, first
            lines += [note, ""]
        headers = ["k", "trades", "mean net", "mean abn", "t", "t_sa", "p_sa", "G", "p_cl", "hit"]
        headers += ["beat", "Sharpe"]
        headers += [f"{market} Sh", "maxDD", "total", market, "inv", f"{market}* Sh", f"{market}*"]
        widths = [3, 6, 9, 9, 6, 6, 6, 3, 6, 5, 5, 7, 10, 7, 8, 8, 5, 11, 8]
        legend = (
            ("G, p_cl", "clusters (chains of trades sharing a day) and the p of t clustered by them"),
            ("hit", "share of trades with a positive net return"),
            ("beat", "share with a positive net abnormal return (what t tests)"),
            ("inv", "share of sessions with a position"),
            (f"{market}*", f"{self.market} on those sessions"),
        )
        rows = []
        for r in self.summary_table.itertuples(index=False):
            cells = [
                (r.mean_net_ret, "+.2%"),
                (r.mean_net_abnormal_ret, "+.2%"),
                (r.t, "+.2f"),
                (r.t_sa, "+.2f"),
                (r.p_sa, ".3f"),
                (r.n_clusters, ".0f"),
                (r.p_cluster, ".3f"),
                (r.hit_rate, ".0%"),
                (r.share_beating_market, ".0%"),
                (r.sharpe, "+.2f"),
                (r.market_sharpe, "+.2f"),
                (r.max_drawdown, ".1%"),  # never above 0: no sign of its own
                (r.total_return, "+.1%"),
                (r.market_total_return, "+.1%"),
                (r.share_days_invested, ".0%"),
                (r.matched_market_sharpe, "+.2f"),
                (r.matched_market_total_return, "+.1%"),
            ]
            rows.append([str(r.holding_days), str(r.n_trades), *(_cell(v, spec) for v, spec in cells)])
        tables = []
        if rows:  # a rule that plans no trade has none: no header over nothing
            tables.append(("Holding periods", pd.DataFrame(rows, columns=headers, dtype=object)))
            lines += ["; ".join(f"{key}: {meaning}" for key, meaning in legend)]
            lines += _aligned(headers, rows, widths)
        alphas = self._alpha_rows()
        if alphas is not None:
            caption = "Calendar-time alphas (gross of trading costs; periods with an open position only)"
            columns = ["k", "period", "model", "cov", "alpha", "se", "t", "p", "periods"]
            tables.append((caption, pd.DataFrame(alphas, columns=columns, dtype=object)))
            lines += ["", f"{caption}:", *_aligned(columns, alphas, [3, -8, -9, -9, 10, 9, 6, 6, 7])]
        info: tuple[tuple[str, str], ...] = (
            ("Market proxy", self.market),
            ("Net abnormal return", net),
        )
        info += legend if rows else ()  # the columns' legend, as the text has it above the table
        return LaidOutSummary(title, info, tuple(tables), notes, text="\n".join(lines))

    def _alpha_rows(self) -> list[list[str]] | None:
        """The calendar-time regressions' alphas (``calendar_time.parquet``'s ``alpha`` rows) as
        text cells, or None when the rule asked for none."""
        if self.calendar_time is None or self.calendar_time.empty:
            return None
        alphas = self.calendar_time[self.calendar_time["term"] == "alpha"]
        return [
            [
                str(r.holding_days), str(r.frequency), str(r.model), str(r.cov_type),
                _cell(r.coef, "+.4%"), _cell(r.se, ".4%"), _cell(r.t, "+.2f"), _cell(r.p, ".3f"),
                str(r.n_periods),
            ]
            for r in alphas.itertuples(index=False)
        ]  # fmt: skip


def _cell(value: Any, spec: str) -> str:
    """A number formatted by its spec, ``—`` where there is none (as in ``backtest.md``: a t of
    one trade, a Sharpe of a curve that never moved); a value that rounds to 0 without a sign, as
    the report shows it (``0.0%``, not ``-0.0%``)."""
    if not np.isfinite(float(cast(float, value))):
        return "—"
    return number(value, spec)


def _aligned(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]) -> list[str]:
    """Fixed-width lines of ``headers`` and ``rows``: right-aligned in ``width`` characters, or
    left-aligned in ``-width``, or in as many as a column's longest cell needs (a holding period
    of 1000 days)."""
    widths = [
        (1 if w > 0 else -1) * max(abs(w), *(len(cells[i]) for cells in [headers, *rows]))
        for i, w in enumerate(widths)
    ]

    def line(cells: Sequence[str]) -> str:
        return " ".join(c.rjust(w) if w > 0 else c.ljust(-w) for c, w in zip(cells, widths, strict=True))

    return [line(headers), *(line(row) for row in rows)]


def backtest(
    events: pd.DataFrame,
    prices: Mapping[str, pd.DataFrame],
    config: BacktestConfig,
    *,
    market: str = "SPY",
    shares: Mapping[str, pd.DataFrame] | None = None,
    study_name: str = "study",
    day0_rule: str = "next",
    day0_max_shift: int | None = None,
    factors: Mapping[str, FactorTable] | None = None,
    share_caveats: Sequence[ShareCaveat] = (),
    restatements: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> BacktestResults:
    """Run the rule on price frames (cache schema) already in memory (no I/O).

    Parameters
    ----------
    events
        Validated events (:func:`eventstudy.data.events.read_events`).
    prices
        Price frames by symbol, including ``market`` and every ticker of ``events``.
    config
        The trading rule.
    market
        Market proxy: its dates are the calendar and its buy-and-hold return the benchmark.
    shares
        Shares-outstanding observations by ticker (needed for value weights).
    study_name
        Recorded in the outputs.
    day0_rule, day0_max_shift
        The study's day-0 rule (:func:`eventstudy.timeline.calendar.align_days_zero`).
    factors
        Ken French's daily tables by name, for the rule's ``calendar_time`` regressions.
    share_caveats
        The study's ``[[shares.caveats]]``, noted on the value-weighted trades they concern.
    restatements
        The ``restatements`` records of the price files' provenance by ticker
        (:attr:`eventstudy.data.inputs.StudyInputs.restatements`): a split they record scales
        the counts dated before it, as a split seen in the counts does (:func:`plan_trades`).

    Raises
    ------
    ValueError
        When the rule asks for calendar-time regressions and ``factors`` lacks a file they need.
    """
    from eventstudy.backtest.tables import drift_table, summary_table

    grid = price_grid(prices, market)
    plan = plan_trades(
        events,
        grid,
        config,
        shares,
        market=market,
        day0_rule=day0_rule,
        day0_max_shift=day0_max_shift,
        share_caveats=share_caveats,
        restatements=restatements,
    )
    trades, curves = [], []
    for k in config.holding_days:
        executed = execute_trades(plan, grid, market, k, config)
        trades.append(executed)
        curves.append(equity_curve(executed, plan, grid, market, k, config))
    trades_frame = pd.concat(trades, ignore_index=True)
    curve_frame = pd.concat(curves, ignore_index=True)
    observations = post_announcement_bhar(
        events, grid, market, config.drift_days, day0_rule=day0_rule, day0_max_shift=day0_max_shift
    )
    calendar_time = None
    if config.calendar_time:
        calendar_time = calendar_time_table(trades, plan, grid, config, factors or {})
    return BacktestResults(
        config=config,
        market=market,
        study_name=study_name,
        trades=trades_frame,
        curve=curve_frame,
        drift=drift_table(observations, draws=BOOTSTRAP_DRAWS, seed=BOOTSTRAP_SEED),
        drift_observations=observations,
        summary_table=summary_table(trades_frame, curve_frame, draws=BOOTSTRAP_DRAWS, seed=BOOTSTRAP_SEED),
        calendar_time=calendar_time,
    )


def calendar_time_table(
    trades: list[pd.DataFrame],
    plan: TradePlan,
    grid: PriceGrid,
    config: BacktestConfig,
    factors: Mapping[str, FactorTable],
) -> pd.DataFrame:
    """The calendar-time regressions of every holding period (one executed trades frame each)
    and model of ``config.calendar_time`` (:mod:`eventstudy.backtest.calendar_time`).

    The portfolio of holding period k holds every entered trade on its sessions d+1..d+k, or
    up to its last price (:func:`held_positions`), with the rule's sides and weights, gross of
    costs.
    """
    from eventstudy.backtest.calendar_time import (
        MODEL_FILES,
        calendar_time_rows,
        empty_table,
        portfolio_series,
    )

    missing = sorted({f for m in config.calendar_time for f in MODEL_FILES[m]} - set(factors))
    if missing:
        raise ValueError(f"calendar_time needs the Ken French file {missing[0]}")
    rf_table = factors[MODEL_FILES["capm"][0]]
    rf = rf_table.on_calendar(grid.calendar, ["RF"])[:, 0]
    n_days = len(grid.calendar)
    frames = []
    for k, executed in zip(config.holding_days, trades, strict=True):
        positions = held_positions(plan, grid, k, config.entry)
        if not positions.lengths.sum():
            continue
        basis = executed["weight_basis"].to_numpy(float)[positions.rows]
        weights, held = daily_weights(positions.day0, basis, k, n_days, positions.lengths)
        signs = plan.signs[positions.rows]
        series = portfolio_series(grid.calendar, positions.days, positions.returns, signs, weights, held, rf)
        for model in config.calendar_time:
            frames.append(calendar_time_rows(series, factors, model, config.calendar_time_frequency, k))
    return pd.concat(frames, ignore_index=True) if frames else empty_table()


def _pad(values: np.ndarray) -> np.ndarray:
    """Append one all-NaN row so that calendar position -1 gathers NaN."""
    return np.concatenate([values, np.full((1, *values.shape[1:]), np.nan)], axis=0)


def _no_entry_note(
    series: tuple[np.ndarray, np.ndarray],
    entry: int,
    calendar: np.ndarray,
    ticker: str,
    price: str,
    unadjusted: bool,
) -> str:
    """Why a trade has no entry price on session ``entry`` of ``series`` (one ticker's entry
    prices, kept only where their adjusted price exists, and its Adj Close, which the screen never
    withholds for a close's jump): a day whose price has no adjusted one (``unadjusted``: it said
    "no Close" of a day with a Close and no Adj Close, a finder), a day without one (missing, or
    withheld by :mod:`eventstudy.data.screening`), or a ticker whose prices start later (not yet
    listed) or never (its closes withheld before a split left out of them were "not yet listed":
    a re-attack)."""
    prices, adjusted = series
    if unadjusted:
        needs = "Adj Close or Close" if price == "Open" else "Adj Close"
        return (
            f"no {price} on the adjusted scale on the entry day: its {needs} is missing "
            f"(or {WITHHELD_HINT})"
        )
    priced = np.flatnonzero(prices > 0)
    listed = np.flatnonzero(adjusted > 0)
    if not priced.size:
        withheld = f" (or {WITHHELD_HINT})" if price == "Close" and listed.size else ""
        return f"no {price} on the entry day: the data hold no {price} of {ticker}{withheld}"
    if priced[0] > entry and not (listed.size and listed[0] <= entry):  # not listed yet (a finder)
        first = np.datetime_as_string(calendar[priced[0]], unit="D")
        return f"no {price} on the entry day: {ticker}'s first {price} in the data is on {first}"
    return f"no {price} on the entry day (missing, or {WITHHELD_HINT})"


def _gather(values: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``values[rows[i], columns[i]]`` with NaN where ``rows[i] == -1``."""
    return _pad(values)[rows, columns]

"""The per-pair tables: ``ar.parquet`` (one row per pair and day) and ``car.parquet`` (per window).

:func:`ar_table` and :func:`car_table` turn the arrays of :func:`eventstudy.estimate.estimate`
(:class:`PairArrays`, one small record per step of it) into the exported frames: CARs, their CLM
standard errors and t tests, dollar values, and the ``outcome`` and ``note`` of every row (why a
value is empty; caveats on the share counts).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray
from scipy import special

from eventstudy.abnormal import (
    car_variance,
    prediction_error_t,
    prediction_variance_factor,
    running_car_variance,
    window_sum,
)
from eventstudy.blocks import mask_as_slice
from eventstudy.columns import CAR_COLUMNS, MARKET_PROXY_OUTCOME, SHARES_CAVEAT, WITHHELD_HINT
from eventstudy.config import StudyConfig, window_label
from eventstudy.exchanges import quote_currency
from eventstudy.models import ExpectedReturnModel, ModelFit
from eventstudy.peers import PEER_ROLE
from eventstudy.text import plain
from eventstudy.timeline.calendar import DayZeros
from eventstudy.timeline.returns import ReturnsPanel
from eventstudy.valuation import (
    ShareCountTable,
    SharesLookup,
    change_split,
    change_text,
    dollar_abnormal_value,
    factor_text,
    split_ratio_text,
)

AR_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "role",
    "date",
    "tau",
    "ret",
    "market_ret",
    "expected_ret",
    "ar",
    "car",
    "car_se",
    "ar_se",
    "ar_t",
    "ar_p",
    "ar_lower",
    "ar_upper",
    "car_lower",
    "car_upper",
)
AR_BAND_LEVEL = 0.95
"""Coverage of the per-row intervals of ``ar.parquet`` (``ar_lower`` .. ``car_upper``)."""
LOG_RETURNS_NOTE = (
    "no dollar value with log returns (returns = \"log\"): a log abnormal return times a market value "
    "is not a change in dollars (use returns = \"simple\" for dollar values)"
)
"""The note of every row with an abnormal return but no dollar value in a log-returns study."""
NO_DEAL_NOTE = "no deal size (deal_usd blank)"
"""The note of a listed party's rows whose event gives no deal size: undisclosed, or no deal at all
(a shock such as DeepSeek's release, which "deal size undisclosed" misdescribed)."""
OLD_SHARE_COUNT_DAYS = 200
"""Age in calendar days beyond which the share count of a market value is noted as old: filings
report a count every quarter (about 91 days), so an older one has missed two, and a split or
share issue since then would not show in the market value (:mod:`eventstudy.valuation`)."""


@dataclass(frozen=True)
class ShareFigures:
    """The share figures used on the previous session of each event day, (P, L) each;
    ``later_split``, ``later_change`` and ``later_changes`` are the figure's
    :attr:`~eventstudy.valuation.ShareCountTable.later_split`, ``later_change`` (1 where none) and
    ``later_changes`` (0 where none), ``reversal`` its
    :attr:`~eventstudy.valuation.ShareCountTable.reversal` ("" where none),
    ``restated_split`` and ``restated_until`` its ``restated_split`` and ``restated_until`` (None
    when the table records no split in the closes)."""

    shares: np.ndarray
    as_of: np.ndarray
    filing_text: np.ndarray
    not_cover: np.ndarray
    stale: np.ndarray
    later_split: np.ndarray
    later_change: np.ndarray
    later_changes: np.ndarray
    reversal: np.ndarray
    restated_split: np.ndarray | None = None
    restated_until: np.ndarray | None = None

    @classmethod
    def of(cls, table: ShareCountTable, rows: np.ndarray, lookup: SharesLookup) -> ShareFigures:
        # one line of plain text: a shares file's ESC or newline went into car.csv (a re-attack)
        text = np.array([plain(str(f)) for f in table.filing] + [""], dtype=object)
        rows = np.where(rows >= 0, rows, len(table.filing))  # the "" / False entry
        split = np.append(table.later_split, 1.0)[rows]
        change = np.append(table.later_change, 1.0)[rows]
        changes = np.append(table.later_changes, 0)[rows]
        reversal = np.append(table.reversal, np.array([""], dtype=object))[rows]
        restated = until = None
        if table.restated_split.size:  # built with restatements: a split seen in the closes
            restated = np.append(table.restated_split, 1.0)[rows]
            until = np.append(table.restated_until, np.datetime64("NaT", "ns"))[rows]
        return cls(
            lookup.shares,
            lookup.as_of,
            text[rows],
            table.not_cover[rows],
            table.stale[rows],
            split,
            change,
            changes,
            reversal,
            restated,
            until,
        )


@dataclass(frozen=True)
class EventSpan:
    """Day 0 and the event span of every pair on the calendar.

    Attributes
    ----------
    day_zero
        Each pair's day 0 (position, date, shift, outcome).
    taus
        (L,) the relative days of the event span.
    days
        (P, L) calendar positions of the span's days (-1 outside the calendar).
    dates, prev_dates
        (P, L) the dates of those days and of the session before each (NaT outside).
    gap_notes
        (P, L) the note of each day whose return spans a day the market proxy's rows lack but
        the pair's ticker traded on (:func:`eventstudy.estimate.proxy_gap_notes`), "" for the
        others; None for none. A window's rows carry its own days' notes.
    """

    day_zero: DayZeros
    taus: np.ndarray
    days: np.ndarray
    dates: np.ndarray
    prev_dates: np.ndarray
    gap_notes: np.ndarray | None = None


@dataclass(frozen=True)
class EventReturns:
    """(P, L) returns over the event span: the pair's, its benchmark's (``market_ret``), the
    model's expected return and the abnormal return; ``x_event`` (P, L, k) the regressors."""

    returns: np.ndarray
    market: np.ndarray
    expected: np.ndarray
    abnormal: np.ndarray
    x_event: np.ndarray


@dataclass(frozen=True)
class PairValues:
    """Market values: (P, L) ``market_value_prev`` on the session before each span day, the
    share figures behind them, and (P,) each pair's ``dollar_sd_basis``."""

    market_value_prev: np.ndarray
    shares: ShareFigures
    dollar_sd_basis: np.ndarray


@dataclass(frozen=True)
class PairOutcomes:
    """The outcome and note of what excludes a pair from every window ("" where nothing does),
    (P,) each, and the ``overlap`` text of each pair (other same-ticker events)."""

    outcome: np.ndarray
    note: np.ndarray
    overlap: list[str]


@dataclass(frozen=True)
class PairArrays:
    """Everything the per-pair tables are made of, one record per step of
    :func:`eventstudy.estimate.estimate` (P pairs in events order, L days of the event span)."""

    events: pd.DataFrame
    model: ExpectedReturnModel
    model_fit: ModelFit
    panel: ReturnsPanel
    span: EventSpan
    returns: EventReturns
    values: PairValues
    outcomes: PairOutcomes

    # Derived once for both tables and every window.
    @cached_property
    def pair_text(self) -> dict[str, ExtensionArray | np.ndarray]:
        """The per-pair text columns of both tables, converted to pandas text once."""
        names = ("event_id", "ticker", "role")
        return {name: text_column(self.events[name].to_numpy(object)) for name in names}

    @cached_property
    def tickers(self) -> np.ndarray:
        """(P,) each pair's ticker."""
        return self.events["ticker"].to_numpy(object)

    @cached_property
    def from_returns(self) -> np.ndarray | None:
        """(P,) True where the ticker is a returns series (its market values come from its
        file), or None when the panel has no returns series."""
        returns_only = self.panel.returns_only
        return np.isin(self.tickers, list(returns_only)) if returns_only else None

    @cached_property
    def currency_notes(self) -> np.ndarray:
        """(P,) the note of a pair whose ticker is quoted outside the US
        (:func:`~eventstudy.exchanges.quote_currency`), ``""`` for the others; once per ticker."""
        codes, names = pd.factorize(pd.Index(self.tickers, dtype=object))
        text = [
            ""
            if q is None
            else f"no market value in US dollars: {name} is quoted in {q[0]} (Yahoo's suffix "
            f".{str(name).rsplit('.', 1)[1]}, {q[1]}), so close x shares (or a file's market_cap) is not "
            "a dollar figure (import the series under a name without the suffix if its prices are in US "
            "dollars)"
            for name, q in ((name, quote_currency(str(name))) for name in names)
        ]
        return np.array(text, dtype=object)[codes]

    @cached_property
    def day_text(self) -> np.ndarray:
        """The calendar's dates as text, position -1 (outside the calendar) ``"NaT"``."""
        return np.append(self.panel.calendar.to_numpy("datetime64[D]").astype(str), "NaT").astype(object)


NEWER_DATA = (
    "a run never extends a cached series: add newer prices with eventstudy fetch --refresh SYMBOL, or "
    "import a file with the newer rows"
)
"""The next step for a window or an announcement after the cached data (a run does not extend them)."""


def ar_table(pairs: PairArrays) -> pd.DataFrame:
    """The ``ar.parquet`` table (:data:`AR_COLUMNS`): one row per pair and event-span day."""
    span, returns, fit = pairs.span, pairs.returns, pairs.model_fit.batch
    taus, abnormal, x_event = span.taus, returns.abnormal, returns.x_event
    pair_text = pairs.pair_text
    excluded = pairs.outcomes.outcome != ""
    n_pairs, n_taus = abnormal.shape
    # Pairs excluded before the window stage (no day 0, not estimable, degenerate, the market
    # proxy) carry no standard error or test: their sigma is NaN here.
    sigma = np.where(excluded, np.nan, fit.sigma)
    # Each (P, L) column is made once, in place where a temporary would be its last use: the
    # table's own columns are most of the study's memory at this point.
    # s.e. of the CAR cumulated from the first event-span day to each tau (CLM 1997 variance).
    car_se = running_car_variance(sigma, fit.xtx_inv, x_event)
    np.sqrt(car_se, out=car_se)
    # Each day's AR alone: Var(AR_tau) = sigma^2 (1 + x_tau'(X'X)^-1 x_tau), the diagonal of V.
    factor = prediction_variance_factor(x_event, fit.xtx_inv)
    ar_variance = np.multiply(sigma[:, None] ** 2, factor, out=factor)
    dof = (fit.n_obs - fit.n_params)[:, None]
    ar_t, ar_p = prediction_error_t(abnormal, ar_variance, dof)
    ar_se = np.sqrt(ar_variance, out=ar_variance)
    # Per-row 95% intervals, Student-t with M - k d.o.f. (no interval without d.o.f.).
    quantile = special.stdtrit(np.where(dof > 0, dof, np.nan), 0.5 + AR_BAND_LEVEL / 2.0)
    ar_half = quantile * ar_se
    ar_lower = abnormal - ar_half
    ar_upper = np.add(abnormal, ar_half, out=ar_half)
    # The market proxy listed as a party has abnormal returns of 0 by construction (its return
    # less itself): blank, as its car.parquet rows are, or a reader of ar.parquet (``eventstudy
    # infer``) would pool them with the parties'. A degenerate fit keeps its exact ARs.
    abnormal = np.where((pairs.outcomes.outcome == MARKET_PROXY_OUTCOME)[:, None], np.nan, abnormal)
    car = np.cumsum(abnormal, axis=1)
    # A CAR past a missing day is missing: so is its standard error (a variance of nothing), as
    # is the s.e. of a missing AR.
    car_se[np.isnan(car)] = np.nan
    ar_se[np.isnan(abnormal)] = np.nan
    car_half = quantile * car_se
    car_lower = car - car_half
    car_upper = np.add(car, car_half, out=car_half)
    frame = pd.DataFrame(
        {
            "event_id": text_column(pair_text["event_id"], n_taus),
            "ticker": text_column(pair_text["ticker"], n_taus),
            "role": text_column(pair_text["role"], n_taus),
            "date": span.dates.ravel(),
            "tau": np.tile(taus, n_pairs).astype("int64", copy=False),
            "ret": returns.returns.ravel(),
            "market_ret": returns.market.ravel(),
            "expected_ret": returns.expected.ravel(),
            "ar": abnormal.ravel(),  # a new array (np.where above), not a view of the results' ARs
            "car": car.ravel(),
            "car_se": car_se.ravel(),
            "ar_se": ar_se.ravel(),
            "ar_t": ar_t.ravel(),
            "ar_p": ar_p.ravel(),
            "ar_lower": ar_lower.ravel(),
            "ar_upper": ar_upper.ravel(),
            "car_lower": car_lower.ravel(),
            "car_upper": car_upper.ravel(),
        },
        copy=False,  # each column as it is: no copy of every float column into one 2-D block
    )
    return frame.loc[:, list(AR_COLUMNS)]


def car_table(pairs: PairArrays, config: StudyConfig) -> pd.DataFrame:
    """The ``car.parquet`` table (:data:`CAR_COLUMNS`): one row per pair and configured window
    (:func:`_window_columns`), the windows of a pair together in configuration order."""
    events, model_fit, span = pairs.events, pairs.model_fit, pairs.span
    fit = model_fit.batch
    n_pairs = len(events)
    deal = events["deal_usd"].to_numpy(float)
    windows = config.event_windows
    per_window = [_window_columns(pairs, config, window, deal) for window in windows]
    n_windows = len(windows)

    def across(name: str) -> np.ndarray:  # each window's column is dropped once stacked
        return np.stack([columns.pop(name) for columns in per_window], axis=1).reshape(-1)

    def repeated(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, n_windows)

    pair_text = pairs.pair_text
    labels = np.array([window_label(w) for w in windows], dtype=object)
    params = params_json(model_fit.params, n_pairs)
    frame = {
        "event_id": text_column(pair_text["event_id"], n_windows),
        "ticker": text_column(pair_text["ticker"], n_windows),
        "role": text_column(pair_text["role"], n_windows),
        "group": text_column(events["group"].to_numpy(object), n_windows),
        "window": text_column(labels, tile=n_pairs),
        "tau_start": np.tile(np.array([w[0] for w in windows], dtype=np.int64), n_pairs),
        "tau_end": np.tile(np.array([w[1] for w in windows], dtype=np.int64), n_pairs),
        "day0": repeated(span.day_zero.date),
        "day0_shift": text_column(span.day_zero.shift, n_windows),
        "n_est": repeated(fit.n_obs.astype("int64")),
        "alpha": repeated(model_fit.alpha),
        "beta": repeated(model_fit.beta),
        "sigma": repeated(fit.sigma),
        "car": across("car"),
        "car_se": across("car_se"),
        "t": across("t"),
        "p": across("p"),
        "mcap_prev_usd": across("mcap_prev_usd"),
        "shares_as_of": across("shares_as_of"),
        "abnormal_value_usd": across("abnormal_value_usd"),
        "dollar_sd_basis": text_column(across("dollar_sd_basis")),
        "deal_usd": repeated(deal),
        "value_to_deal": across("value_to_deal"),
        "outcome": text_column(across("outcome")),
        "note": text_column(across("note")),
        "shares_outstanding": across("shares_outstanding"),
        "shares_filing": text_column(across("shares_filing")),
        "model": text_column(np.array([pairs.model.name], dtype=object), tile=n_pairs * n_windows),
        "params": text_column(np.array(params, dtype=object), n_windows),
        "overlap": text_column(np.array(pairs.outcomes.overlap, dtype=object), n_windows),
    }
    return pd.DataFrame(frame, copy=False).loc[:, list(CAR_COLUMNS)]


def _window_columns(
    pairs: PairArrays, config: StudyConfig, window: tuple[int, int], deal: np.ndarray
) -> dict[str, np.ndarray]:
    """The per-window columns of ``car.parquet`` (:data:`_CAR_WINDOW_COLUMNS`), (P,) each, for
    one window: CAR, its CLM s.e. and t test, the dollar value, the outcome and the notes."""
    span, fit, values = pairs.span, pairs.model_fit.batch, pairs.values
    abnormal, figures, market_value_prev = pairs.returns.abnormal, values.shares, values.market_value_prev
    in_window = (span.taus >= window[0]) & (span.taus <= window[1])
    first = int(np.flatnonzero(in_window)[0])
    car = window_sum(abnormal, in_window)
    variance = car_variance(fit.sigma, fit.xtx_inv, pairs.returns.x_event, in_window)
    t, p = prediction_error_t(car, variance, fit.n_obs - fit.n_params)
    value = dollar_abnormal_value(abnormal[:, in_window], market_value_prev[:, in_window])
    outcomes, notes = _window_outcomes(pairs, in_window)
    ok = outcomes == "ok"
    _value_notes(pairs, config, notes, ok, deal, first, in_window)
    return {
        "car": np.where(ok, car, np.nan),
        "car_se": np.where(ok, np.sqrt(variance), np.nan),
        "t": np.where(ok, t, np.nan),
        "p": np.where(ok, p, np.nan),
        "mcap_prev_usd": np.where(ok, market_value_prev[:, first], np.nan),
        "shares_as_of": figures.as_of[:, first].astype("datetime64[ns]"),
        "abnormal_value_usd": np.where(ok, value, np.nan),
        "dollar_sd_basis": np.where(ok & np.isfinite(value), values.dollar_sd_basis, ""),
        "value_to_deal": np.where(ok, value / deal, np.nan),
        "outcome": outcomes,
        "note": notes,
        "shares_outstanding": figures.shares[:, first].astype(float),
        "shares_filing": figures.filing_text[:, first],
    }


_CAR_WINDOW_COLUMNS: tuple[str, ...] = (
    "car",
    "car_se",
    "t",
    "p",
    "mcap_prev_usd",
    "shares_as_of",
    "abnormal_value_usd",
    "dollar_sd_basis",
    "value_to_deal",
    "outcome",
    "note",
    "shares_outstanding",
    "shares_filing",
)


def text_column(
    values: np.ndarray | ExtensionArray, repeat: int = 1, *, tile: int = 1
) -> ExtensionArray | np.ndarray:
    """A text column: pandas infers the values' type once, then the column is gathered.

    ``repeat`` repeats each value (one per pair -> one per (pair, day) or (pair, window)),
    ``tile`` repeats the whole sequence. The result is what ``pd.DataFrame`` would make of the
    repeated object array, built from the distinct positions only. ``values`` may be such a
    column already (a pandas array is used as it is).
    """
    array = pd.Series(values).array
    if repeat == 1 and tile == 1:
        return array
    positions = np.repeat(np.arange(len(values)), repeat)
    if tile > 1:  # np.tile(..., 1) would copy the (rows,) positions once more
        positions = np.tile(positions, tile)
    return array.take(positions)


def params_json(params: Mapping[str, np.ndarray], n_pairs: int) -> list[str]:
    """One JSON object per pair of the fitted parameters by name (``null`` where NaN).

    Values are written with full double precision (``repr``), e.g.
    ``{"alpha": 0.00012, "beta": 1.73}``; a model without parameters gives ``{}``. The text is
    exactly ``json.dumps({name: value or None, ...}, allow_nan=False)``, assembled column-wise
    (one ``repr`` per value, no per-pair dictionary).
    """
    names = list(params)
    if not names:
        return ["{}"] * n_pairs
    # "{"key": %s, "key2": %s}" filled with each pair's value texts (a "%" in a key is escaped).
    template = "{" + ", ".join(json.dumps(n).replace("%", "%%") + ": %s" for n in names) + "}"
    texts = []
    for name in names:
        column = np.asarray(params[name], dtype=float)
        text = list(map(float.__repr__, column.tolist()))
        for i in np.flatnonzero(~np.isfinite(column)).tolist():
            text[i] = "null"
        texts.append(text)
    return [template % values for values in zip(*texts, strict=True)]


def _window_outcomes(pairs: PairArrays, in_window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and note of every pair in one window (see the module docstring)."""
    span, abnormal, event_returns = pairs.span, pairs.returns.abnormal, pairs.returns.returns
    taus, event_days, event_dates = span.taus, span.days, span.dates
    day_text, last_date = pairs.day_text, pairs.panel.calendar[-1].date()
    outcome = pairs.outcomes.outcome.copy()
    note = pairs.outcomes.note.copy()
    undecided = outcome == ""
    missing = in_window & ~np.isfinite(abnormal)
    incomplete = undecided & missing.any(axis=1)
    beyond = incomplete & (missing & np.isnat(event_dates)).any(axis=1)
    outcome[incomplete] = "incomplete_event_window"
    past_the_data = f"window runs past the last trading day in the data ({last_date}); {NEWER_DATA}"
    append_note(note, beyond, past_the_data)
    no_return_all = missing & ~np.isfinite(event_returns)
    for i in np.flatnonzero(incomplete & ~beyond).tolist():
        no_return = no_return_all[i]
        no_input = missing[i] & ~no_return
        parts = []
        for what, mask in (("no return", no_return), ("no model input (market or factor value)", no_input)):
            if mask.any():
                days = ", ".join(
                    f"tau={tau:+d} ({day_text[d]})"
                    for tau, d in zip(taus[mask].tolist(), event_days[i][mask].tolist(), strict=True)
                )
                parts.append(f"{what} for {days}")
        note[i] = "; ".join([note[i], *parts] if note[i] else parts)  # after a pair's own note
    if span.gap_notes is not None:  # a return over a gap in the proxy's rows, of this window's days
        said = np.where(in_window, span.gap_notes, "")
        for i in np.flatnonzero((said != "").any(axis=1)).tolist():
            parts = list(dict.fromkeys(text for text in said[i] if text))
            note[i] = "; ".join([note[i], *parts] if note[i] else parts)
    outcome[outcome == ""] = "ok"
    return outcome, note


def append_note(
    notes: np.ndarray, mask: np.ndarray, part: str | np.ndarray | Callable[[np.ndarray], np.ndarray]
) -> None:
    """Append ``part`` to ``notes`` where ``mask`` ("; " between notes), in place.

    ``part`` is one text, an array of texts (one per pair) or a function of the row positions
    that builds the texts of those rows only.
    """
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return
    if isinstance(part, str):
        text: str | np.ndarray = part
    elif callable(part):
        text = part(rows)
    else:
        text = part[rows]
    current = notes[rows]
    notes[rows] = np.where(current == "", text, current + "; " + text)


def _change_notes(
    tickers: np.ndarray, figures: ShareFigures, rows: np.ndarray, window: slice | np.ndarray
) -> np.ndarray:
    """The note of pairs whose window needs a share count dated before unclear changes of the
    counts (:attr:`~eventstudy.valuation.ShareCountTable.later_change`)."""
    change = figures.later_change[rows][:, window]
    first = np.argmax(change != 1.0, axis=1)
    factor = change[np.arange(len(rows)), first]
    changes = figures.later_changes[rows][:, window][np.arange(len(rows)), first]
    as_of = figures.as_of[rows][:, window][np.arange(len(rows)), first].astype("datetime64[D]").astype(str)
    pairs = list(zip(factor.tolist(), changes.tolist(), strict=True))
    what = np.array([change_text(f, n) for f, n in pairs], dtype=object)
    splits = [change_split(f, n) for f, n in pairs]
    remedy = np.array(
        [
            "if a split is behind it, import split-adjusted counts (each count before the split times its "
            "ratio)"
            if split is None
            else "if it was a split, import split-adjusted counts (each count before it times "
            f"{factor_text(split)})"
            for split in splits
        ],
        dtype=object,
    )
    return (
        "shares: the count of "
        + tickers
        + " as of "
        + as_of.astype(object)
        + " precedes "
        + what
        + "; after a split, close x that count is not the market value (the closes are split-adjusted), "
        "so none is computed: "
        + remedy
    )


def _reversal_notes(
    tickers: np.ndarray, figures: ShareFigures, rows: np.ndarray, window: slice | np.ndarray
) -> np.ndarray:
    """The note of pairs whose window needs a share count of a split reversed within a year
    (:attr:`~eventstudy.valuation.ShareCountTable.reversal`)."""
    reversal = figures.reversal[rows][:, window]
    first = np.argmax(reversal != "", axis=1)
    said = reversal[np.arange(len(rows)), first]
    as_of = figures.as_of[rows][:, window][np.arange(len(rows)), first].astype("datetime64[D]").astype(str)
    return (
        "shares: the counts of "
        + tickers
        + " change "
        + said
        + ": a split and its reverse within a year, or a count on the other basis (a vendor's lag), which "
        "the counts cannot tell apart; the count as of "
        + as_of.astype(object)
        + " may be on either, so no market value is computed: import counts on one basis (each count "
        "before a split times its ratio)"
    )


def _split_notes(
    tickers: np.ndarray, figures: ShareFigures, rows: np.ndarray, window: slice | np.ndarray
) -> np.ndarray:
    """The note of pairs whose window needs a share count dated before a split."""
    split = figures.later_split[rows][:, window]
    first = np.argmax(split != 1.0, axis=1)
    factor = split[np.arange(len(rows)), first]
    as_of = figures.as_of[rows][:, window][np.arange(len(rows)), first].astype("datetime64[D]").astype(str)
    ratio = np.array([split_ratio_text(f) for f in factor.tolist()], dtype=object)
    times = np.array([factor_text(f if f >= 1 else 1 / f) for f in factor.tolist()], dtype=object)
    return (
        "shares: the count of "
        + tickers
        + " as of "
        + as_of.astype(object)
        + " precedes a change of its later counts by a split ratio ("
        + ratio
        + "), and the closes are split-adjusted, so close x that count is not the market value and none is "
        "computed: import split-adjusted counts (each count before the split "
        + np.where(factor >= 1, "times ", "divided by ").astype(object)
        + times
        + ")"
    )


def _no_close_notes(
    tickers: np.ndarray, pairs: PairArrays, rows: np.ndarray, window: slice | np.ndarray
) -> np.ndarray:
    """The note of pairs whose window lacks a market value for want of a close: the first session
    whose close is missing, before the window or inside it ("on a day before the window" was said
    of a close inside it, withheld as a data error: a finder)."""
    lacking = np.isnan(pairs.values.market_value_prev[rows][:, window])
    first = np.argmax(lacking, axis=1)
    days = np.asarray(pairs.span.prev_dates[rows][:, window], dtype="datetime64[D]")
    day = days[np.arange(rows.size), first]
    return (
        "no close for "
        + tickers
        + " on "
        + day.astype(str).astype(object)
        + f" (missing, or {WITHHELD_HINT}), so no market value for the window's dollar abnormal value"
    )


def _restated_notes(
    tickers: np.ndarray, figures: ShareFigures, rows: np.ndarray, window: slice | np.ndarray
) -> np.ndarray:
    """The note of pairs whose window needs a share count dated before a split seen only in a
    restatement of the ticker's closes (:attr:`~eventstudy.valuation.ShareCountTable.restated_split`)."""
    assert figures.restated_split is not None and figures.restated_until is not None
    split = figures.restated_split[rows][:, window]
    first = np.argmax(split != 1.0, axis=1)
    at = np.arange(len(rows))
    factor = split[at, first]
    day = figures.as_of[rows][:, window][at, first].astype("datetime64[D]")
    last = figures.restated_until[rows][:, window][at, first].astype("datetime64[D]")
    as_of, until = day.astype(str).astype(object), last.astype(str).astype(object)
    ratio = np.array([split_ratio_text(f) for f in factor.tolist()], dtype=object)
    times = np.array(
        [f"times {factor_text(f)}" if f >= 1 else f"divided by {factor_text(1 / f)}" for f in factor],
        dtype=object,
    )
    # The restatement dates the split only as taking effect by `until`: a count between the split
    # and `until` is already split-adjusted, so the remedy names the split, not that count.
    return (
        "shares: the count of "
        + tickers
        + " as of "
        + as_of
        + " may precede a "
        + ratio
        + " split seen in a restatement of its cached closes (it had taken effect by "
        + until
        + ", and no count of it is dated after), and the closes are split-adjusted, so close x that count "
        "is not known to be the market value and none is computed: import a count dated after "
        + until
        + ", and split-adjusted counts for those dated before the split (each "
        + times
        + ")"
    )


def _value_notes(
    pairs: PairArrays,
    config: StudyConfig,
    notes: np.ndarray,
    ok: np.ndarray,
    deal: np.ndarray,
    first: int,
    in_window: np.ndarray,
) -> None:
    """Append the market-value and deal notes of the ``ok`` pairs of one window (``in_window``
    of the span, ``first`` its first day) to ``notes``, in place.

    The market values of a returns series come from its file (``market_cap``, or CRSP's
    ``shrout`` and ``prc``, :attr:`PairArrays.from_returns`), not from a close and a share
    count."""
    tickers, from_returns, figures = pairs.tickers, pairs.from_returns, pairs.values.shares
    prev_date = np.asarray(pairs.span.prev_dates[:, first], dtype="datetime64[D]")
    window = mask_as_slice(in_window)  # a tau range: views, no copies
    complete = np.isfinite(pairs.values.market_value_prev[:, window]).all(axis=1)
    no_value = ok & ~complete
    if pairs.panel.definition == "log":
        append_note(notes, no_value, LOG_RETURNS_NOTE)
        no_value = np.zeros_like(no_value)
    currency = pairs.currency_notes
    foreign = no_value & (currency != "")
    append_note(notes, foreign, currency)
    no_value &= ~foreign
    if from_returns is not None:
        append_note(
            notes,
            no_value & from_returns,
            lambda rows: (
                "no market value for "
                + tickers[rows]
                + " in its returns file on a day before the window (from "
                + prev_date[rows].astype(str).astype(object)
                + "): the file gives no market_cap (or shrout and prc) there, or one of 0"
            ),
        )
        no_value = no_value & ~from_returns
    # A count may precede both a split and a fractional rise: both notes, so that following one
    # (importing split-adjusted counts) does not meet the other only then.
    before_split = no_value & (figures.later_split[:, window] != 1.0).any(axis=1)
    before_change = no_value & (figures.later_change[:, window] != 1.0).any(axis=1)
    before_restated = np.zeros_like(no_value)
    if figures.restated_split is not None:  # a split seen in the closes, not (yet) in the counts
        before_restated = no_value & (figures.restated_split[:, window] != 1.0).any(axis=1)
    append_note(notes, before_split, lambda rows: _split_notes(tickers[rows], figures, rows, window))
    append_note(notes, before_restated, lambda rows: _restated_notes(tickers[rows], figures, rows, window))
    append_note(notes, before_change, lambda rows: _change_notes(tickers[rows], figures, rows, window))
    reversed_ = no_value & (figures.reversal[:, window] != "").any(axis=1)
    append_note(notes, reversed_, lambda rows: _reversal_notes(tickers[rows], figures, rows, window))
    no_value &= ~(before_split | before_change | before_restated | reversed_)
    no_shares = no_value & np.isnan(figures.shares[:, window]).any(axis=1)
    append_note(
        notes,
        no_shares,
        lambda rows: (
            "no shares-outstanding figure for "
            + tickers[rows]
            + " dated on or before "
            + prev_date[rows].astype(str).astype(object)
        ),
    )
    no_close = no_value & ~no_shares
    append_note(notes, no_close, lambda rows: _no_close_notes(tickers[rows], pairs, rows, window))
    valued = ok & complete
    append_note(
        notes,
        valued & figures.not_cover[:, window].any(axis=1),
        "shares: vendor or balance-sheet figure, not a filing cover count",
    )
    append_note(
        notes,
        valued & figures.stale[:, window].any(axis=1),
        "shares: the figure is flagged STALE in the shares file",
    )
    counts = figures.shares[:, window]  # the count, not its date: a new filing may repeat it
    known = np.isfinite(counts)  # none where the market value is the returns file's own
    high = np.where(known, counts, -np.inf).max(axis=1)
    low = np.where(known, counts, np.inf).min(axis=1)
    changes = known.any(axis=1) & (high != low)
    append_note(notes, valued & changes, "shares: the count changes inside the window")
    used = figures.as_of[:, first].astype("datetime64[D]")
    age = (prev_date - used).astype(np.int64)
    append_note(
        notes,
        valued & (age > OLD_SHARE_COUNT_DAYS),
        lambda rows: (
            "shares: the count is "
            + age[rows].astype(str).astype(object)
            + " days older than the window (as of "
            + used[rows].astype(str).astype(object)
            + "), so a split or share issue since would not show"
        ),
    )
    # A caveat concerns every window that values a day on or after its start: the day before the
    # window's last day is its latest market value (not the day before its first, as [0,0] has).
    last_valued = np.asarray(pairs.span.prev_dates[:, window][:, -1], dtype="datetime64[D]")
    for caveat in config.share_caveats:
        applies = valued & (tickers == caveat.ticker) & (last_valued >= np.datetime64(caveat.start))
        append_note(notes, applies, f"{SHARES_CAVEAT}{caveat.note}")
    party = pairs.events["role"].to_numpy(object) != PEER_ROLE  # a peer has no deal to disclose
    append_note(notes, ok & np.isnan(deal) & party, NO_DEAL_NOTE)

"""The report's per-(event, party) tables: calendar, abnormal returns by party, value per deal
dollar, ecosystem peers and every window, each with the flags of its rows next to the numbers.

The tables show the report's main window and, when the study has a separate ``[0,0]`` window,
the day-0 columns (:mod:`eventstudy.report.windows`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.report import fmt
from eventstudy.report.document import Cell, Section, Table, cell
from eventstudy.report.flags import flag_column
from eventstudy.report.windows import DAY0_WINDOW
from eventstudy.tables import LOG_RETURNS_NOTE

NO_VALUE_REASON = (
    "a market value needs a share count dated on or before the session before the window (and not "
    "before a split), prices in US dollars and an estimated abnormal return (see each row's outcome "
    "and note)."
)
LOG_NO_VALUE_REASON = (
    'the study\'s returns are log returns (returns = "log"), and a log abnormal return times a market '
    'value is not a change in dollars: dollar values need returns = "simple".'
)


def log_returns_only(rows: pd.DataFrame) -> bool:
    """Whether every one of ``rows`` (car.parquet rows without a dollar value) has none because the
    study's returns are log returns (its note says so): share counts, splits and currencies are
    not the cause then."""
    notes = rows["note"].astype(str) if "note" in rows.columns else pd.Series([], dtype=str)
    return bool(len(notes)) and bool(notes.str.contains(LOG_RETURNS_NOTE, regex=False).all())


def no_value_reason(rows: pd.DataFrame) -> str:
    """Why ``rows`` (car.parquet rows without a dollar value) have none (:func:`log_returns_only`,
    else what a market value needs)."""
    return LOG_NO_VALUE_REASON if log_returns_only(rows) else NO_VALUE_REASON


def known(values: pd.Series) -> pd.Series:
    """The finite values of a numeric column."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers[np.isfinite(numbers.to_numpy())]


def finite(values: pd.Series) -> pd.Series:
    """Boolean: the value is a finite number."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return pd.Series(np.isfinite(numbers.to_numpy()), index=values.index)


def pair_frame(car: pd.DataFrame, day0: str | None, main: str) -> pd.DataFrame:
    """One row per (event, party) of ``car``: the ``main`` window's columns and, when the study
    has a separate day-0 window, that window's ``car``, ``t``, ``p``, ``abnormal_value_usd`` and
    ``value_to_deal`` with the suffix ``_0``; ``flags`` holds the main window's flags."""
    around = car[car["window"] == main].drop_duplicates(["event_id", "ticker"])
    around = around.assign(flags=flag_column(around))
    if day0 is None or day0 == main:
        return around.reset_index(drop=True)
    zero = car[car["window"] == day0].drop_duplicates(["event_id", "ticker"])
    columns = ["car", "t", "p", "abnormal_value_usd", "value_to_deal"]
    zero = zero.set_index(["event_id", "ticker"])[columns].add_suffix("_0")
    return around.join(zero, on=["event_id", "ticker"]).reset_index(drop=True)


@dataclass(frozen=True)
class Column:
    """A column of a per-(event, party) table: header, alignment and the cell of a row."""

    header: str
    align: str
    cell: Callable[[Any], Cell]


def text_column(header: str, name: str) -> Column:
    return Column(header, "l", lambda r: cell(fmt.plain(getattr(r, name))))


def number_column(header: str, name: str, formatter: Callable[[Any], str]) -> Column:
    return Column(header, "r", lambda r: cell(formatter(getattr(r, name)), getattr(r, name)))


def t_column(header: str, t: str, p: str) -> Column:
    """A t statistic with its stars."""
    return Column(header, "r", lambda r: cell(fmt.starred(getattr(r, t), getattr(r, p)), getattr(r, t)))


PARTY = Column("party", "l", lambda r: cell(f"{fmt.plain(r.ticker)} ({fmt.plain(r.role)})"))
FLAGS = text_column("flags", "flags")


def return_columns(day0: str | None, main: str) -> list[Column]:
    """AR(0) and its t (with a separate day-0 window), then the main window's CAR and t."""
    columns = []
    if day0 is not None and day0 != main:
        columns += [number_column("AR(0)", "car_0", fmt.percent), t_column("t", "t_0", "p_0")]
    return [*columns, number_column(f"CAR{main}", "car", fmt.percent), t_column("t", "t", "p")]


def value_columns(day0: str | None, main: str) -> list[Column]:
    """The abnormal dollar value over the day-0 window (when separate) and the main window."""
    columns = []
    if day0 is not None and day0 != main:
        columns.append(number_column(f"value {day0}", "abnormal_value_usd_0", fmt.money))
    return [*columns, number_column(f"value {main}", "abnormal_value_usd", fmt.money)]


def outcome_columns(frame: pd.DataFrame) -> list[Column]:
    """The outcome column, when a row's outcome is not ``ok``."""
    return [text_column("outcome", "outcome")] if (frame["outcome"] != "ok").any() else []


def pair_table(key: str, frame: pd.DataFrame, columns: Sequence[Column], **options: Any) -> Table:
    rows = tuple(tuple(c.cell(r) for c in columns) for r in frame.itertuples(index=False))
    return Table(key, tuple(c.header for c in columns), "".join(c.align for c in columns), rows, **options)


def windows_note(day0: str | None, main: str) -> str:
    """The sentence saying which windows a per-(event, party) table shows and why."""
    if day0 is None:
        return (
            f"No {DAY0_WINDOW} window is configured, so there are no day-0 columns (add [0, 0] to "
            "event_windows for them)."
        )
    if day0 == main:
        return f"{DAY0_WINDOW} is the only configured window: CAR{main} is the day-0 abnormal return."
    return "AR(0) is the day-0 abnormal return."


def missing_note(frame: pd.DataFrame, column: str, what: str) -> str:
    """A sentence when no row of ``frame`` has ``column`` (empty otherwise)."""
    if len(frame) and not len(known(frame[column])):
        reason = "see each row's outcome and note."  # an estimated CAR: the estimation's outcome
        if column == "abnormal_value_usd":
            reason = no_value_reason(frame)
        return f" No row has {what}: {reason}"
    return ""


def by_party_section(parties: pd.DataFrame, day0: str | None, main: str) -> Section:
    """Every listed party's returns, t with stars, market value and dollar value, with its flags."""
    joined = pair_frame(parties, day0, main).sort_values(
        "abnormal_value_usd", ascending=False, na_position="last", kind="stable"
    )
    start = int(joined["tau_start"].iloc[0]) if len(joined) else 0
    columns = [
        text_column("event", "event_id"),
        PARTY,
        *return_columns(day0, main),
        Column(
            f"market value τ={start - 1:+d}",
            "r",
            lambda r: cell(fmt.money(r.mcap_prev_usd, signed=False), r.mcap_prev_usd),
        ),
        *value_columns(day0, main),
        FLAGS,
        *outcome_columns(joined),
    ]
    caption = (
        f"Sorted by the abnormal dollar value over {main} (click a header to sort). "
        f"{windows_note(day0, main)} "
        f"t: per-party CAR t with M−k degrees of freedom; {fmt.md(fmt.STARS_NOTE)}."
        + missing_note(joined, "car", f"an estimated CAR over {main}")
        + missing_note(joined, "abnormal_value_usd", f"an abnormal dollar value over {main}")
    )
    table = pair_table("by-party", joined, columns, caption=caption)
    return Section("by-party", "Returns and dollar value by party", tables=(table,))


def value_section(
    parties: pd.DataFrame, day0: str | None, main: str, figure: Callable[[], Any] | None
) -> Section:
    """Value per deal dollar of each party with a disclosed deal; ``figure`` draws the chart."""
    title = "Value per deal dollar"
    joined = pair_frame(parties, day0, main)
    with_deal = joined[finite(joined["deal_usd"]) & (joined["deal_usd"] > 0)].sort_values(
        "value_to_deal", ascending=False, na_position="last", kind="stable"
    )
    if with_deal.empty:
        return Section(
            "value-per-deal",
            title,
            paragraphs=(
                "No (event, party) has a disclosed deal size (deal_usd is blank for every listed party), "
                "so there is no value per deal dollar to report.",
            ),
        )
    columns = [text_column("event", "event_id"), PARTY]
    columns.append(number_column("deal", "deal_usd", lambda v: fmt.money(v, signed=False)))
    if day0 is not None and day0 != main:
        columns += [
            number_column(f"value {day0}", "abnormal_value_usd_0", fmt.money),
            number_column(f"per deal $ {day0}", "value_to_deal_0", fmt.ratio),
        ]
    columns += [
        number_column(f"value {main}", "abnormal_value_usd", fmt.money),
        number_column(f"per deal $ {main}", "value_to_deal", fmt.ratio),
        FLAGS,
    ]
    table = pair_table(
        "value-per-deal",
        with_deal,
        columns,
        caption="Abnormal dollar value divided by the disclosed deal size (dollars of market value per deal "
        "dollar). Events without a deal size (undisclosed, or no deal) and ecosystem peers are not in "
        "this table; each group's total is the `value_per_deal_dollar` row of stats.parquet (see Findings).",
    )
    plotted = finite(with_deal["abnormal_value_usd"])
    if not plotted.any() or figure is None:
        paragraph = (
            f"None of the {len(with_deal)} (event, party) rows with a disclosed deal has an abnormal dollar "
            f"value over {main}, so there is no figure: {no_value_reason(with_deal)}"
        )
        return Section("value-per-deal", title, paragraphs=(paragraph,), tables=(table,))
    return Section("value-per-deal", title, figures=(figure(),), tables=(table,))


def calendar_section(events: pd.DataFrame, car: pd.DataFrame) -> Section:
    """The announcements: dates, timing, day 0, parties, deal, group, headline."""
    first = car.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])
    rows = []
    for event_id, group in events.groupby("event_id", sort=False):
        listed = group[group["role"] != "peer"]
        head = group.iloc[0]
        key = (event_id, head["ticker"])
        d0: Any = first.loc[key, "day0"] if key in first.index else pd.NaT
        shift = first.loc[key, "day0_shift"] if key in first.index else ""
        day0 = fmt.date(d0) + (f" ({shift})" if isinstance(shift, str) and shift else "")
        parties = ", ".join(f"{r.ticker} ({r.role})" for r in listed.itertuples())
        deal = (
            "none given" if fmt.is_missing(head["deal_usd"]) else fmt.money(head["deal_usd"], signed=False)
        )
        rows.append(
            (
                cell(str(event_id)),
                cell(fmt.date(head["announced"]), pd.Timestamp(head["announced"]).value),
                cell(str(head["timing"])),
                cell(day0, None if fmt.is_missing(d0) else pd.Timestamp(d0).value),
                cell(parties),
                cell(deal, head["deal_usd"]),
                cell(str(head["group"])),
                cell(fmt.plain(head["headline"])),
            )
        )
    table = Table(
        "calendar",
        ("event", "announced", "timing", "day 0", "parties", "deal", "group", "headline"),
        "llllllll",
        tuple(rows),
    )
    return Section("calendar", "Calendar", tables=(table,))


def spillover_table(peers: pd.DataFrame, day0: str | None, main: str) -> Table | None:
    """The ecosystem peers' returns (collapsed), or None without peers."""
    pairs = pair_frame(peers, day0, main)
    if not len(pairs):
        return None
    columns = [
        text_column("event", "event_id"),
        text_column("peer", "ticker"),
        *return_columns(day0, main),
        number_column(f"value {main}", "abnormal_value_usd", fmt.money),
        FLAGS,
        *outcome_columns(pairs),
    ]
    return pair_table(
        "peers",
        pairs,
        columns,
        caption=f"Ecosystem peers: never in a value-per-deal table. {windows_note(day0, main)}",
        collapsed=True,
    )


def every_window_section(parties: pd.DataFrame) -> Section:
    """Every (event, party, window) of car.parquet, collapsed."""
    frame = parties.assign(flags=flag_column(parties))
    columns = [
        text_column("event", "event_id"),
        text_column("ticker", "ticker"),
        text_column("window", "window"),
        number_column("CAR", "car", fmt.percent),
        number_column("s.e.", "car_se", lambda v: fmt.percent(v, signed=False)),
        t_column("t", "t", "p"),
        number_column("value", "abnormal_value_usd", fmt.money),
        FLAGS,
        text_column("outcome", "outcome"),
    ]
    table = pair_table("every-window", frame, columns, collapsed=True)
    return Section("every-window", "Every window", tables=(table,))

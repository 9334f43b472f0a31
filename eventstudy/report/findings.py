"""The report's first screen: what the study found, under which test, and what changes its reading.

* **Headline sentences**: the (event, party) with the largest dollar move and the most
  significant one, each group's CAAR under the recommended robust test, and what the group
  totals and the value-per-deal ranking become without the windows that hold other news.
* **Largest effects**: the parties with the largest dollar values and the largest |t| over the
  main window, with stars, dollar value, value per deal dollar and their flags.
* **Groups**: per group, CAAR and the Kolari-Pynnönen adjusted BMP t
  (:data:`eventstudy.report.tables.ROBUST_TEST`: robust to event-induced variance and to the
  cross-correlation of parties that share an announcement day), the value created and the
  value per deal dollar; with, when the study keeps its confounded rows, the same numbers
  without them. Stars come from each test's own p; a dagger marks a test that stays
  significant at 5% after the Benjamini-Hochberg adjustment over the test's windows in the
  group (``stats.parquet``'s ``p_bh``), and the headline quotes that adjusted p (BH q) of each
  group it calls significant.
* **Caveats** that change the reading: confounded windows, windows one other day dominates,
  rows without a market value, share-count caveats, undisclosed deals.

Every total is one ``stats.parquet`` row, named in the table's caption: the value created by a
group is ``dollar_abnormal_value`` (every row of the group with a dollar value; p from
``kp_adjusted_dollar_t``), value per deal dollar is ``value_per_deal_dollar`` (events with a disclosed deal
whose parties all have a dollar value, each deal once; n events).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.aggregate import caveated_totals
from eventstudy.columns import CAVEATED_TOTAL
from eventstudy.inference import STATISTICS
from eventstudy.report import fmt
from eventstudy.report.document import Cell, Section, Table, cell
from eventstudy.report.flags import (
    FLAG,
    SHARES_CAVEAT_FLAG,
    caveats_on_rows,
    confounded,
    dominated,
    flag_column,
    known_clean,
    screened,
    share_caveated,
    tau_text,
    unscreened,
    vendor_share_pairs,
)
from eventstudy.report.parties import log_returns_only
from eventstudy.report.tables import ROBUST_TEST, sample_rows
from eventstudy.timeline.confounders import EARNINGS_REACH_DAYS, UNCONFOUNDED_SUFFIX, unconfounded_group

MAX_EFFECTS = 6
"""Rows of the largest-effects table."""
TOP = 4
"""Parties taken by |dollar value| and by |t| each."""
RANKED = 3
"""Places of the value-per-deal ranking quoted in the headline."""


@dataclass(frozen=True)
class Stats:
    """Look-ups in ``stats.parquet`` by (group, window, statistic); ``sources``: the folder's
    record of whose p a statistic repeats where the registry's does not apply
    (:func:`~eventstudy.report.tables.recorded_p_sources`: an older version's folder)."""

    frame: pd.DataFrame
    sources: Mapping[str, str] = field(default_factory=dict)

    def p_source(self, statistic: str) -> str | None:
        """The statistic whose p the rows of ``statistic`` carry (None: their own)."""
        registered = STATISTICS[statistic].p_from if statistic in STATISTICS else None
        return self.sources.get(statistic, registered)

    def row(self, group: str, window: str, statistic: str) -> Any | None:
        hit = self.frame[
            (self.frame["group"] == group)
            & (self.frame["window"] == window)
            & (self.frame["statistic"] == statistic)
        ]
        return None if hit.empty else hit.iloc[0]

    def value(self, group: str, window: str, statistic: str) -> float:
        row = self.row(group, window, statistic)
        return float("nan") if row is None else float(row["value"])

    def groups(self, window: str) -> list[str]:
        """Groups with a row over ``window`` of a statistic the findings show
        (:data:`FINDINGS_STATISTICS`; twins without confounded rows excluded): a study's
        ``statistics`` may leave out ``caar`` or any of them."""
        shown = self.frame["statistic"].isin(FINDINGS_STATISTICS)
        rows = self.frame[(self.frame["window"] == window) & shown]
        return [g for g in dict.fromkeys(rows["group"]) if not str(g).endswith(UNCONFOUNDED_SUFFIX)]

    def has(self, statistic: str) -> bool:
        """Whether the study computed ``statistic`` (for some group and window)."""
        return bool((self.frame["statistic"] == statistic).any())

    def has_twins(self) -> bool:
        return bool(self.frame["group"].astype(str).str.endswith(UNCONFOUNDED_SUFFIX).any())


KP_TESTS = frozenset({ROBUST_TEST, "kp_adjusted_patell_z", "kp_adjusted_dollar_t"})
"""The Kolari & Pynnönen (2010) adjusted tests, which Limitations tells the reader to read."""
FINDINGS_STATISTICS: tuple[str, ...] = ("caar", ROBUST_TEST, "dollar_abnormal_value", "value_per_deal_dollar")
"""The statistics of the findings' group table and sentences."""


def main_rows(car: pd.DataFrame, window: str) -> pd.DataFrame:
    """The listed parties' rows of ``window``."""
    return car[(car["window"] == window) & (car["role"] != "peer")]


def largest_effects(parties: pd.DataFrame, zero: pd.DataFrame | None) -> pd.DataFrame:
    """The parties with the :data:`TOP` largest |abnormal dollar value| and |t|, largest dollar
    value first (at most :data:`MAX_EFFECTS`); ``zero`` adds their day-0 AR as ``car_0``."""
    estimated = parties[(parties["outcome"] == "ok") & np.isfinite(parties["car"].to_numpy(float))]
    if estimated.empty:
        return estimated
    # Among the rows that have each: rows without a dollar value (all, with log returns) were
    # "the largest dollar moves" in file order.
    size = estimated["abnormal_value_usd"].abs().dropna()
    by_value = size.sort_values(ascending=False, kind="stable").index[:TOP]
    by_t = estimated["t"].abs().dropna().sort_values(ascending=False, kind="stable").index[:TOP]
    chosen = estimated.loc[list(dict.fromkeys([*by_value, *by_t]))]
    chosen = chosen.assign(_size=chosen["abnormal_value_usd"].abs(), _t=chosen["t"].abs()).sort_values(
        ["_size", "_t"], ascending=False, na_position="last", kind="stable"
    )
    chosen = chosen.drop(columns=["_size", "_t"]).head(MAX_EFFECTS)
    if zero is not None:
        day0 = zero.set_index(["event_id", "ticker"])["car"].rename("car_0")
        chosen = chosen.join(day0, on=["event_id", "ticker"])
    return chosen


def effects_table(chosen: pd.DataFrame, main: str, has_day0: bool) -> Table:
    flags = flag_column(chosen)
    columns = (
        ["party", "event"]
        + (["AR(0)"] if has_day0 else [])
        + [f"CAR{main}", "t", f"value {main}", "per deal $"]
    )
    rows = []
    for r, flagged in zip(chosen.itertuples(index=False), flags, strict=True):
        row: list[Cell] = [cell(fmt.plain(r.ticker)), cell(fmt.plain(r.event_id))]
        if has_day0:
            row.append(cell(fmt.percent(r.car_0), r.car_0))
        row += [
            cell(fmt.percent(r.car), r.car),
            cell(fmt.starred(r.t, r.p), r.t),
            cell(fmt.money(r.abnormal_value_usd), r.abnormal_value_usd),
            cell(fmt.ratio(r.value_to_deal), r.value_to_deal),
        ]
        rows.append((*row, cell(flagged)))
    return Table(
        "largest-effects",
        (*columns, "flags"),
        "ll" + "r" * (len(columns) - 2) + "l",
        tuple(rows),
        caption=f"**Largest effects** over {main}: the largest dollar moves and the largest |t|."
        if chosen["abnormal_value_usd"].notna().any()
        else f"**Largest effects** over {main}: the largest |t| (no row has a dollar value).",
        footnote=f"t: per-party CAR t (M−k df), {fmt.md(fmt.STARS_NOTE)}; per deal $: value ÷ deal; "
        f"{FLAG}: other news in the window; τ±k: one other day carries most of the CAR.",
    )


def group_table(
    stats: Stats,
    main: str,
    *,
    twins: bool,
    per_statistic: bool = True,
    caveated: Mapping[str, set[str]] | None = None,
) -> Table:
    """Per group: N, CAAR, the robust test, value created and value per deal dollar (and the same
    without confounded rows when ``twins``): the columns of the statistics the study computed
    (a study of ``statistics = ["corrado_rank_z"]`` has no CAAR column of dashes); a dollar
    total that holds a share-count caveat (``caveated``, :func:`caveated_totals`) says so."""
    shown = [column for column in GROUP_COLUMNS if stats.has(column.statistic)]
    columns = ["group", *(c.name for c in shown), *(f"{c.short} unconf." for c in shown if twins)]
    rows = []
    flagged = False
    for group in stats.groups(main):
        row: list[Cell] = [cell(fmt.plain(group))]
        for name in [group, unconfounded_group(group)] if twins else [group]:
            for column in shown:
                shown_cell = column.cell(stats.row(name, main, column.statistic))
                mark = _caveat_mark(caveated, name, column.statistic)
                if mark and shown_cell.sort is not None:
                    shown_cell = replace(shown_cell, text=f"{shown_cell.text}{mark}")
                    flagged = True
                row.append(shown_cell)
        rows.append(tuple(row))
    robust = stats.has(ROBUST_TEST)
    caption = f"**Groups** over {main}" + (
        " under the recommended test, KP-BMP t (the BMP t adjusted for the cross-correlation of same-day "
        "parties, Kolari & Pynnönen 2010)."
        if robust
        else " (the study did not compute the recommended test, KP-BMP t)."
    )
    footnote = (
        "Each number is one stats.parquet row: "
        + ", ".join(dict.fromkeys(column.footnote for column in shown)).replace(
            "{dollar_p}", stats.p_source("dollar_abnormal_value") or "dollar_abnormal_value"
        )
        + f". {fmt.md(fmt.STARS_NOTE)}"
        + (f"; {fmt.md(fmt.bh_note(per_statistic))}." if "p_bh" in stats.frame.columns else ".")
    )
    if twins:
        footnote += (
            f" unconf.: the group `g{UNCONFOUNDED_SUFFIX}` of each group g, its rows without the windows "
            "that hold other news."
        )
    if flagged:
        footnote += (
            f" {CAVEATED_TOTAL} ({SHARES_CAVEAT_FLAG}): the total holds a party whose market value rests on "
            "a share count the config's [[shares.caveats]] flags (see Read with care)."
        )
    return Table(
        "groups",
        tuple(columns),
        "l" + "r" * (len(columns) - 1),
        tuple(rows),
        caption=caption,
        footnote=footnote,
    )


@dataclass(frozen=True)
class GroupColumn:
    """A column of the findings' group table: its heading, the stats.parquet statistic it shows,
    how a row of it reads (and its number), its footnote and its heading for the unconfounded
    twin group."""

    name: str
    statistic: str
    text: Callable[[Any], str]
    number: str
    footnote: str
    short: str = ""

    def __post_init__(self) -> None:
        if not self.short:
            object.__setattr__(self, "short", self.name)

    def cell(self, row: Any | None) -> Cell:
        if row is None:
            return cell(fmt.MISSING, None)
        return cell(self.text(row), row[self.number])


GROUP_COLUMNS: tuple[GroupColumn, ...] = (
    GroupColumn("N", "caar", lambda r: fmt.count(r["n"]), "n", "`caar` (N, CAAR)"),
    GroupColumn("CAAR", "caar", lambda r: fmt.percent(r["value"]), "value", "`caar` (N, CAAR)"),
    GroupColumn(
        "KP-BMP t",
        ROBUST_TEST,
        lambda r: fmt.starred(r["value"], r["p"], r.get("p_bh")),
        "value",
        f"`{ROBUST_TEST}`",
    ),
    GroupColumn(
        "value created",
        "dollar_abnormal_value",
        lambda r: fmt.money(r["value"]) + fmt.stars(r["p"]) + fmt.bh_mark(r.get("p_bh")),
        "value",
        "`dollar_abnormal_value` (every row of the group with a dollar value, each ticker-day once; stars "
        "from `{dollar_p}`)",
        "value",
    ),
    GroupColumn(
        "per deal $",
        "value_per_deal_dollar",
        lambda r: f"{fmt.ratio(r['value'])} ({fmt.count(r['n'])} ev.)",
        "value",
        "`value_per_deal_dollar` (events with a disclosed deal and a dollar value for all their parties, "
        "each deal and ticker-day once; ev.)",
    ),
)
"""The group table's columns, in order; one not computed by the study is left out."""


def _stat_cell(row: Any | None, formatter: Callable[[Any], str]) -> Cell:
    if row is None:
        return cell(fmt.MISSING, None)
    return cell(formatter(row["value"]), row["value"])


def headline(
    parties: pd.DataFrame,
    stats: Stats | None,
    main: str,
    *,
    twins: bool,
    excluded: bool,
    peers: pd.DataFrame | None = None,
    caveated: Mapping[str, set[str]] | None = None,
) -> list[str]:
    """The first sentences of the report (markdown); with ``excluded`` (exclude_confounded) its
    leaders are of the windows the statistics keep, without other news; ``peers``: the window's
    peer rows, whose group's firms repeat over the events; ``caveated``: the dollar statistics per
    group whose total holds a ``[[shares.caveats]]`` row
    (:func:`~eventstudy.aggregate.caveated_totals`), marked
    :data:`~eventstudy.columns.CAVEATED_TOTAL` where a sentence gives them."""
    sentences = []
    estimated = parties[(parties["outcome"] == "ok") & np.isfinite(parties["car"].to_numpy(float))]
    if estimated.empty:
        return [f"No (event, party) has an estimated CAR over {main} (see each row's outcome)."]
    if excluded:  # the lead opened on a window every statistic left out (a referee)
        estimated = estimated[~confounded(estimated) & ~unscreened(estimated)]
        if estimated.empty:
            sentences.append(f"No (event, party) without other news has an estimated CAR over {main}.")
    valued = estimated[np.isfinite(estimated["abnormal_value_usd"].to_numpy(float))]
    if len(valued):
        top = valued.loc[valued["abnormal_value_usd"].abs().idxmax()]
        clean = _clean_leader(valued, top, "abnormal_value_usd", main)
        sentences.append("Largest dollar move: " + _party_sentence(top, main) + clean)
    strongest = estimated.loc[estimated["t"].abs().idxmax()] if len(estimated) else None
    if strongest is not None and (not len(valued) or strongest.name != top.name):
        clean = _clean_leader(estimated, strongest, "t", main)
        sentences.append("Most significant: " + _party_sentence(strongest, main) + clean)
    if stats is not None:
        peer_rows = parties.iloc[:0] if peers is None else peers
        sentences += _group_sentences(
            stats, main, twins=twins, excluded=excluded, parties=parties, peers=peer_rows,
            caveated=caveated or {},
        )
    return sentences


def _clean_leader(rows: pd.DataFrame, leader: pd.Series, key: str, main: str) -> str:
    """For a leader of ``rows`` by ``|key|`` whose window holds other news (⚑): the row that
    leads among the windows screened and holding none."""
    flag = leader.get("confounded")
    if fmt.is_missing(flag) or not bool(flag):
        return ""
    clean = rows[~confounded(rows) & ~unscreened(rows)]
    if clean.empty:
        return ""
    size = np.abs(clean[key].to_numpy(float))
    if not np.isfinite(size).any():
        return ""
    best = clean.iloc[int(np.nanargmax(size))]  # a NaN t leads nothing
    return (
        f" Without other news: **{fmt.md(best['ticker'])}** on {fmt.md(best['event_id'])}, "
        f"CAR{main} {fmt.percent(best['car'])} (t = {fmt.md(fmt.starred(best['t'], best['p']))})."
    )


def _party_sentence(row: pd.Series, main: str) -> str:
    text = (
        f"**{fmt.md(row['ticker'])}** on {fmt.md(row['event_id'])}, CAR{main} {fmt.percent(row['car'])} "
        f"(t = {fmt.md(fmt.starred(row['t'], row['p']))})"
    )
    if not fmt.is_missing(row.get("abnormal_value_usd")):  # "— of market value —" said nothing
        text += f", {fmt.money(row['abnormal_value_usd'])} of market value"
        if share_caveated(row):  # the value rests on a count the config says is off (a reviewer)
            text += " (shares caveat)"
    if not fmt.is_missing(row.get("value_to_deal")):
        text += f", {fmt.ratio(row['value_to_deal'])} per deal dollar"
    flags = []
    if "confounded" in row.index and fmt.is_missing(row["confounded"]):
        text += " — its window was not screened for earnings (outside the ticker's earnings calendar)"
    elif bool(row.get("confounded", False)):
        flags.append(f"its window also holds {fmt.md(row['confounders'])}")
    if not fmt.is_missing(row.get("dominant_tau")):
        flags.append(
            f"{tau_text(int(row['dominant_tau']))} ({fmt.date(row['dominant_date'])}) carries most of its CAR"
        )
    if flags:
        text += f" — {FLAG} " + "; ".join(flags)
    return text + "."


def _group_sentences(
    stats: Stats,
    main: str,
    *,
    twins: bool,
    excluded: bool,
    parties: pd.DataFrame,
    peers: pd.DataFrame,
    caveated: Mapping[str, set[str]],
) -> list[str]:
    significant: list[str] = []
    other: list[str] = []
    turned: list[str] = []  # not significant, but without those windows
    unconfirmed: list[str] = []  # KP-BMP's p below 5% where firms repeat, and the two-way clustered t's not
    unchecked: list[str] = []  # KP-BMP's p below 5% where firms repeat, and no two-way clustered t's p
    untested = []  # no test: one pair, or no spread (a single event was 'significant for no group')
    for group in stats.groups(main):
        caar = stats.row(group, main, "caar")
        test = stats.row(group, main, ROBUST_TEST)
        if caar is None or test is None:
            continue
        if fmt.is_missing(test["p"]):
            untested.append(fmt.md(group))
            continue
        t = fmt.md(fmt.starred(test["value"], test["p"], test.get("p_bh")))
        twin = _twin_verdict(stats, group, main, test) if twins and not excluded else ""
        if _significant(test):
            q = test.get("p_bh")
            adjusted = "" if fmt.is_missing(q) else f", BH q = {fmt.probability(q)}"
            repeat, two_way = _repeat_firms(stats, group, main, parties, peers, excluded=excluded)
            adjusted += f"; {repeat}" if repeat else ""
            adjusted += f"; {twin}" if twin else ""
            said = f"{fmt.md(group)} ({fmt.percent(caar['value'])}, t = {t}{adjusted})"
            {HELD: significant, REFUTED: unconfirmed, UNCHECKED: unchecked}[two_way].append(said)
        else:
            other.append(fmt.md(group) + (f" ({twin})" if twin else ""))
            if twin:
                turned.append(other[-1])
    sentences = []
    untestable = f"not testable for {', '.join(untested)} (too few pairs, or no spread)" if untested else ""
    if significant or unchecked or unconfirmed or other:
        # A referee: "significant" had rested on a test the same sentence said over-rejects where
        # firms repeat, and which the two-way clustered t, which holds there, did not confirm.
        clauses = []
        if significant:
            clauses.append("significant at 5% for " + ", ".join(significant))
        if unchecked:
            clauses.append("significant at 5% on KP-BMP alone for " + ", ".join(unchecked))
        repeated = "once repeated firms are allowed for"
        if unconfirmed and clauses:
            clauses.append(
                f"not significant {repeated} (KP-BMP's p below 5%, not the two-way clustered t's) for "
                + ", ".join(unconfirmed)
            )
        elif unconfirmed:
            clauses.append(
                f"significant for no group {repeated}: KP-BMP's p, not the two-way clustered t's, is below "
                "5% for " + ", ".join(unconfirmed)
            )
        if not clauses:
            clauses.append("significant for no group" + (f" ({'; '.join(turned)})" if turned else ""))
        elif other:  # short: the page's first screen holds the findings (tests/test_report_browser.py)
            clauses.append("not for " + ", ".join(other))
        sentences.append(
            "Under the Kolari–Pynnönen adjusted BMP test (for parties sharing announcement days), "
            f"CAAR{main} is {'; '.join(clauses)}"
            + (f"; {untestable}" if untestable else "")
            + "."
        )
    elif untested:
        sentences.append(f"Under the Kolari–Pynnönen adjusted BMP test, CAAR{main} is {untestable}.")
    flagged = int(confounded(parties).sum())
    unknown = int(unscreened(parties).sum())
    if excluded and (flagged or unknown):
        sentences.append(
            f"{_left_out(flagged, unknown, len(parties), main)}; they are left out of every statistic "
            "(exclude_confounded = true)."
        )
    elif twins and (flagged or unknown):
        left_out = _left_out(flagged, unknown, len(parties), main)
        sentences.append(_without_sentence(stats, main, parties, left_out, caveated))
    return sentences


HELD, REFUTED, UNCHECKED = "held", "refuted", "unchecked"
"""What the two-way clustered t says of a KP-BMP p below 5% (:func:`_repeat_firms`)."""


def _repeat_firms(
    stats: Stats, group: str, main: str, parties: pd.DataFrame, peers: pd.DataFrame, *, excluded: bool
) -> tuple[str, str]:
    """For a group whose rows with a CAR repeat firms: that KP-BMP over-rejects there (the
    README's *repeat firms* simulation) and the two-way clustered t, which holds there
    (``excluded``: the statistics left out the windows holding other news, so are they here);
    and what becomes of a KP-BMP p below 5%: :data:`HELD` (no firm repeats, or the two-way
    clustered t's p is below 5% too), :data:`REFUTED` (its p is not) or :data:`UNCHECKED` (the
    study has no such p)."""
    rows = sample_rows(pd.concat([parties, peers]), group, drop_confounded=excluded)
    firms = rows["ticker"].nunique()
    if firms >= len(rows):
        return "", HELD
    text = f"its {len(rows)} rows are of {fmt.counted(firms, 'firm')}, where KP-BMP over-rejects"
    two_way = stats.row(group, main, "cluster_two_way_t")
    if two_way is None:
        missing = "cluster_two_way_t, which holds there, is not among this study's statistics"
        return f"{text} ({missing})", UNCHECKED
    if fmt.is_missing(two_way["p"]):
        missing = "the two-way clustered t, which holds there, is not computable: too few firms or days"
        return f"{text} ({missing})", UNCHECKED
    t = fmt.md(fmt.starred(two_way["value"], two_way["p"]))
    text += f": the two-way clustered t is {t}, p = {fmt.probability(two_way['p'])}"
    return text, HELD if _significant(two_way) else REFUTED


def _significant(test: Any) -> bool:
    return not fmt.is_missing(test["p"]) and test["p"] < 0.05


def _twin_verdict(stats: Stats, group: str, main: str, test: Any) -> str:
    """``"⚑ without its k confounded or unscreened windows: t = +1.83, not significant"``
    where leaving those windows out turns the group's verdict at 5%; else ``""``."""
    twin = stats.row(unconfounded_group(group), main, ROBUST_TEST)
    if twin is None:  # no window of the study holds other news: no twins
        return ""
    left = 0 if fmt.is_missing(twin["n"]) else int(twin["n"])
    k = int(test["n"]) - left
    windows = "window" if k == 1 else "windows"
    if k > 0 and _significant(test) and any(fmt.is_missing(twin[key]) for key in ("value", "p")):
        # every window (or all but too few to test) holds other news: the verdict rests on them
        kept = f"{left} window{'' if left == 1 else 's'} left" if left else "no window left"
        return f"{FLAG} without its {k} confounded or unscreened {windows}: no test ({kept})"
    if any(fmt.is_missing(twin[key]) for key in ("value", "p", "n")):
        return ""
    if k <= 0 or _significant(twin) == _significant(test):
        return ""
    t = fmt.md(fmt.starred(twin["value"], twin["p"], twin.get("p_bh")))
    verdict = "significant at 5%" if _significant(twin) else "not significant at 5%"  # a star is 10%
    return f"{FLAG} without its {k} confounded or unscreened {windows}: t = {t}, {verdict}"


def _left_out(flagged: int, unknown: int, n: int, main: str) -> str:
    """"⚑ k of n windows [...] hold other news and u were not screened for earnings"."""
    were = "was" if unknown == 1 else "were"
    unscreened_text = f"{were} not screened for earnings (outside the ticker's earnings calendar)"
    windows = "window" if n == 1 else "windows"
    if not flagged:
        return f"{unknown} of {n} {windows} {main} {unscreened_text}"
    text = f"{FLAG} {flagged} of {n} {windows} {main} {'holds' if flagged == 1 else 'hold'} other news"
    return text + (f" and {unknown} {unscreened_text}" if unknown else "")


def _caveat_mark(caveated: Mapping[str, set[str]] | None, group: str, statistic: str) -> str:
    """`` §`` (:data:`~eventstudy.columns.CAVEATED_TOTAL`) when ``group``'s total ``statistic``
    holds a caveated share count (``caveated``: :func:`~eventstudy.aggregate.caveated_totals`)."""
    return f" {CAVEATED_TOTAL}" if caveated and statistic in caveated.get(group, set()) else ""


def _pair(free: str, free_mark: str, was: str, was_mark: str) -> str:
    """``free (not was)``, a total without the confounded windows beside the one with them, each
    with its caveat mark, or one mark after both when both carry it (the first screen's sentence
    stays a line shorter)."""
    if free_mark and was_mark:
        return f"{free} (not {was}){was_mark}"
    return f"{free}{free_mark} (not {was}{was_mark})"


def _without_sentence(
    stats: Stats,
    main: str,
    parties: pd.DataFrame,
    left_out: str,
    caveated: Mapping[str, set[str]] | None = None,
) -> str:
    """What the group totals and the value-per-deal ranking become without the confounded (and
    unscreened) rows, a total that holds a caveated share count marked as the group table marks
    it (a finder: the table's -$472.9B §, the sentence's -$472.9B)."""
    marked = partial(_caveat_mark, caveated)
    changes = []
    totalled = False  # a group has a total: log returns or no share counts leave every one NaN
    for group in stats.groups(main):
        if group == "peers":
            continue
        twin = unconfounded_group(group)
        value, free = (
            stats.value(group, main, "dollar_abnormal_value"),
            stats.value(twin, main, "dollar_abnormal_value"),
        )
        ratio = stats.value(group, main, "value_per_deal_dollar")
        free_ratio = stats.value(twin, main, "value_per_deal_dollar")
        totalled = totalled or bool(np.isfinite([value, free, ratio, free_ratio]).any())
        parts = []
        if _differs(value, free):
            # "abnormal value", not "created": a total may not differ from zero (a referee: "all
            # created -$472.9B", a total whose test is far from significant, read as a loss caused)
            dollars = "dollar_abnormal_value"
            if np.isfinite(free):
                left, left_mark = f"abnormal value {fmt.money(free)}", marked(twin, dollars)
            else:
                left, left_mark = "no value left to total", ""
            parts.append(_pair(left, left_mark, fmt.money(value), marked(group, dollars)))
        if _differs(ratio, free_ratio):
            per_deal = "value_per_deal_dollar"
            was, was_mark = fmt.ratio(ratio), marked(group, per_deal)
            if np.isfinite(free_ratio):
                said = _pair(fmt.ratio(free_ratio), marked(twin, per_deal), was, was_mark)
                parts.append(f"{said} per deal dollar")
            else:
                parts.append(_pair("no value per deal dollar", "", was, was_mark))
        if parts:
            changes.append(f"{fmt.md(group)}: " + ", ".join(parts))
    sentence = f"{left_out}"
    if totalled:  # a study's statistics may leave the totals out, or have none: nothing is said of them
        sentence += ". Without them, " + ("; ".join(changes) if changes else "no group total changes")
    ranked = value_per_deal_ranking(parties)
    kept = ranked[ranked["clean"]]
    if len(kept) < len(ranked) and len(kept):
        leaders = ", ".join(  # a ratio with the t of the CAR it scales: a ranking of noise says so
            f"{fmt.md(r.ticker)} on {fmt.md(r.event_id)} {fmt.ratio(r.value_to_deal)} "
            f"(CAR t {fmt.tstat(r.t)}{'; shares caveat' if share_caveated(r) else ''})"
            for r in kept.head(RANKED).itertuples(index=False)
        )
        before = ranked.iloc[0]
        same = (before["event_id"], before["ticker"]) == (kept.iloc[0]["event_id"], kept.iloc[0]["ticker"])
        was = (
            "the same leader as with them"
            if same
            else (
                f"with them, {fmt.md(before['ticker'])} on {fmt.md(before['event_id'])} "
                f"{fmt.ratio(before['value_to_deal'])} (CAR t {fmt.tstat(before['t'])}"
                f"{'; shares caveat' if share_caveated(before) else ''}) first"
            )
        )
        sentence += f"; the value-per-deal ranking starts {leaders} — {was}"
    return sentence + "."


def _differs(a: float, b: float) -> bool:
    return not (np.isnan(a) and np.isnan(b)) and not np.isclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True)


def value_per_deal_ranking(parties: pd.DataFrame) -> pd.DataFrame:
    """The parties' rows with a value per deal dollar, largest first, with ``confounded`` (other
    news) and ``clean`` (screened, no other news)."""
    ratio = pd.to_numeric(parties["value_to_deal"], errors="coerce")
    rows = parties[np.isfinite(ratio.to_numpy(float))]
    rows = rows.assign(confounded=confounded(rows).to_numpy(), clean=known_clean(rows).to_numpy())
    return rows.sort_values("value_to_deal", ascending=False, kind="stable")


def caveats(car: pd.DataFrame, main: str, config: Mapping[str, Any], *, excluded: bool) -> list[str]:
    """The bullets that change the reading of the headline numbers (markdown)."""
    parties = main_rows(car, main)
    bullets = []
    if not screened(car):
        bullets.append(
            "Windows were not screened for other news: car.parquet has no confounder columns (an output "
            "folder "
            "written before the screen; re-run the study)."
        )
    flagged = parties[confounded(parties)]
    r: Any  # a car.parquet row
    for r in flagged.itertuples(index=False):
        what = "left out of every statistic" if excluded else "kept in the statistics"
        bullets.append(
            f"{FLAG} {fmt.md(r.ticker)} {fmt.md(r.event_id)} {main} ({what}): {fmt.md(r.confounders)}."
        )
    unknown = parties[unscreened(parties)]
    if len(unknown):
        pairs = zip(unknown.ticker, unknown.event_id, strict=True)
        names = ", ".join(f"{fmt.md(t)} {fmt.md(e)}" for t, e in pairs)
        fate = "left out of every statistic" if excluded else "left out of the (unconfounded) groups"
        bullets.append(
            f"{fmt.counted(len(unknown), '(event, party) window')} {main} "
            f"{'was' if len(unknown) == 1 else 'were'} not screened for earnings ({fate}): a "
            f"date of the window is more than {EARNINGS_REACH_DAYS} days from every release in the "
            f"ticker's earnings calendar, or the cache has none for it (the ticker has no releases, or an "
            f"online run could not fetch them: the next one asks again), so a release there would be "
            f"missed: {names}. Import the releases around these dates (car.parquet's confounded is "
            "missing for them)."
        )
    carried = parties[dominated(parties) & ~confounded(parties)]
    for r, blind in zip(carried.itertuples(index=False), unscreened(carried), strict=True):
        why = (
            "the window was not screened for earnings: check the ticker's earnings dates"
            if blind
            else "no calendar explains it: check the announcement's date and timing"
        )
        bullets.append(
            f"{fmt.md(r.ticker)} {fmt.md(r.event_id)} {main}: {tau_text(int(r.dominant_tau))} "
            f"({fmt.date(r.dominant_date)}) carries most of the CAR and {why}."
        )
    estimated = parties[parties["outcome"] == "ok"]
    no_value = estimated[~np.isfinite(estimated["abnormal_value_usd"].to_numpy(float))]
    if len(no_value):
        names = ", ".join(
            f"{fmt.md(t)} {fmt.md(e)}" for t, e in zip(no_value.ticker, no_value.event_id, strict=True)
        )
        why = (
            "no share count dated on or before the session before the window, only one dated before a "
            "split, or prices not in US dollars; car.parquet's note says which"
        )
        if log_returns_only(no_value):  # not a share count's: every row's
            why = 'log returns, returns = "log": a log abnormal return times a market value is not dollars'
        bullets.append(
            f"{len(no_value)} of {len(estimated)} estimated parties have no dollar value over {main} "
            f"({why}): {names}. They are in no dollar total."
        )
    for caveat in caveats_on_rows(config, car)[0]:  # a caveat of no row is said in Data only
        bullets.append(
            f"Share count of {fmt.md(caveat.get('ticker'))} from {fmt.md(caveat.get('from'))}: "
            f"{fmt.md(caveat.get('note'))}."
        )
    vendor, n_pairs = vendor_share_pairs(car)
    if vendor:
        bullets.append(
            f"Share counts of {vendor} of {fmt.counted(n_pairs, '(event, party) pair')} are vendor or "
            "balance-sheet figures, not filing cover counts, in at least one window: their market values, "
            "and every dollar value, carry that error (see Data)."
        )
    undisclosed = parties.drop_duplicates("event_id")
    missing = int(undisclosed["deal_usd"].isna().sum())
    if missing:
        bullets.append(
            f"{missing} of {fmt.counted(len(undisclosed), 'announcement')} "
            f"{'has' if missing == 1 else 'have'} no deal size (deal_usd blank: undisclosed, or no deal): "
            f"{'it is' if missing == 1 else 'they are'} in no value per deal dollar."
        )
    return bullets


def caveat_summary(car: pd.DataFrame, main: str, config: Mapping[str, Any], *, named: bool = True) -> str:
    """One sentence of the caveats, for the first screen (the bullets below give the detail);
    ``named`` False when a headline sentence already names the confounded windows."""
    parties = main_rows(car, main)
    parts = []
    flagged = parties[confounded(parties)]
    if len(flagged) and named:
        names = ", ".join(
            f"{fmt.md(t)} {fmt.md(e)}" for t, e in zip(flagged.ticker, flagged.event_id, strict=True)
        )
        parts.append(f"{FLAG} other news in {len(flagged)} window(s) ({names})")
    unknown = int(unscreened(parties).sum())
    if unknown and named:
        parts.append(f"{unknown} window(s) not screened for earnings")
    carried = parties[dominated(parties) & ~confounded(parties)]
    if len(carried):
        days = ", ".join(
            f"{fmt.md(t)} {fmt.md(e)} {tau_text(int(d))}"
            for t, e, d in zip(carried.ticker, carried.event_id, carried.dominant_tau, strict=True)
        )
        parts.append(f"with no flagged news to explain it, a day other than day 0 carries the CAR of {days}")
    estimated = parties[parties["outcome"] == "ok"]
    lacking = estimated[~np.isfinite(estimated["abnormal_value_usd"].to_numpy(float))]
    if log_returns_only(lacking):
        parts.append("no dollar values (log returns)")
    elif len(lacking):
        parts.append(f"{len(lacking)} estimated parties have no market value")
    vendor, n_pairs = vendor_share_pairs(car)
    if vendor:
        parts.append(
            f"the share {'count' if vendor == 1 else 'counts'} of {vendor} of "
            f"{fmt.counted(n_pairs, 'party', 'parties')} "
            f"{'is a vendor figure' if vendor == 1 else 'are vendor figures'}"
        )
    caveated = sorted({str(c.get("ticker")) for c in caveats_on_rows(config, car)[0]})
    if caveated:
        parts.append("share-count caveats for " + ", ".join(fmt.md(t) for t in caveated))
    if not screened(car):
        parts.append("windows not screened for other news")
    return ("**Read with care:** " + "; ".join(parts) + " (details below).") if parts else ""


def findings_section(
    car: pd.DataFrame,
    stats: pd.DataFrame | None,
    day0: str | None,
    main: str,
    config: Mapping[str, Any],
    p_sources: Mapping[str, str] | None = None,
    *,
    per_statistic: bool = True,
) -> Section:
    """The first section of the report (see the module docstring); ``p_sources``: the folder's
    record of p sources the report uses (:func:`~eventstudy.report.tables.recorded_p_sources`);
    ``per_statistic``: whether its p_bh is adjusted over each statistic's windows (the
    manifest's ``p_family``)."""
    excluded = bool(config.get("exclude_confounded", False))
    looked_up = Stats(stats, p_sources or {}) if stats is not None else None
    twins = looked_up is not None and looked_up.has_twins() and not excluded
    parties = main_rows(car, main)
    has_day0 = day0 is not None and day0 != main
    zero = main_rows(car, day0) if has_day0 and day0 is not None else None
    tables = []
    chosen = largest_effects(parties, zero)
    if len(chosen):
        tables.append(effects_table(chosen, main, has_day0))
    caveated = caveated_totals(car[car["window"] == main], excluded=excluded)  # aggregate's
    if looked_up is not None and looked_up.groups(main):
        table = group_table(looked_up, main, twins=twins, per_statistic=per_statistic, caveated=caveated)
        tables.append(table)
    peers = car[(car["window"] == main) & (car["role"] == "peer")]
    paragraphs = headline(
        parties, looked_up, main, twins=twins, excluded=excluded, peers=peers, caveated=caveated
    )
    summary = caveat_summary(car, main, config, named=not twins)
    return Section(
        "findings",
        "Findings",
        paragraphs=tuple([*paragraphs, summary] if summary else paragraphs),
        tables=tuple(tables),
        bullets=tuple(caveats(car, main, config, excluded=excluded)),
    )


NEWS_SOURCES = ("the events file", "the earnings calendar", "the news file")
"""Where the confounder screen finds other news, each when the study has it (a Limitations line
named the earnings calendar and a news file of a study that had neither: a finder)."""


def _either(names: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def limitations_section(
    car: pd.DataFrame,
    stats: pd.DataFrame | None,
    main: str,
    model: str,
    *,
    estimated: bool = True,
    p_sources: Mapping[str, str] | None = None,
    events_are_earnings: bool = False,
    market: str | None = None,
    news_sources: Sequence[str] = NEWS_SOURCES,
) -> Section:
    """A few sentences on what the numbers cannot show (``estimated``: the model has parameters;
    ``p_sources``: as :func:`findings_section`'s; ``events_are_earnings``: the config's, said
    where the screen is; ``market``: the model's market proxy, if it has one; ``news_sources``:
    those of :data:`NEWS_SOURCES` the study had)."""
    dollar_p = ""
    if stats is not None and (stats["statistic"] == "dollar_abnormal_value").any():
        source = Stats(stats, p_sources or {}).p_source("dollar_abnormal_value")
        dollar_p = {
            "kp_adjusted_dollar_t": " (the value created carries the p of the KP-adjusted dollar t)",
            "dollar_z": " (the value created carries the dollar Z's p: this folder is an older version's)",
        }.get(str(source), "")
    parties = main_rows(car, main)
    n_events = parties["event_id"].nunique()
    rows = car[(car["window"] == main) & (car["outcome"] == "ok")] if "outcome" in car else parties
    several = len(rows) > 1  # two tested pairs may share calendar days: parties, peers, near dates
    bullets = [
        f"Small samples: {fmt.counted(len(parties), '(event, party) pair')} over "
        f"{fmt.counted(n_events, 'announcement')}; group tests rest on few events"
        + (
            ", and pairs whose windows share calendar days (the parties of one announcement, its peers, "
            "announcements days apart) are not independent, so tests that assume independence "
            "(cross-sectional t, BMP, sign, the dollar Z) overstate significance when they do — read the "
            "Kolari–Pynnönen adjusted tests"
            + (
                f"{dollar_p}."
                if stats is None or not KP_TESTS.isdisjoint(stats["statistic"])
                else f" (none among this study's statistics: add {ROBUST_TEST} to statistics)."
            )
            if several
            else "."
        )
        + (
            " A firm with several announcements here may move alike on each (a firm effect), which the "
            "Kolari–Pynnönen adjustment does not correct and the two-way clustered t (cluster_two_way_t"
            + (
                ""
                if stats is None or (stats["statistic"] == "cluster_two_way_t").any()
                else ", not among this study's statistics"
            )
            + ") does."
            if several and rows.loc[rows["role"] != "peer", "ticker"].duplicated().any()
            else ""
        ),
        f"Normal returns come from one model ({fmt.md(model)})"
        + (" estimated before each event" if estimated else "")
        + "; a CAR is the move beyond it, not a causal effect of the deal alone"
        + (
            f". If the market proxy ({fmt.md(market)}), or another benchmark of the model (a row's own "
            "market, a sector fund), holds the parties themselves, part of a party's own move is counted as "
            "the benchmark's, and its abnormal return understates the move."
            if market
            else "."
        ),
        f"Other news inside a window (⚑) is found only if it is in {_either(news_sources)}"
        + (
            ""
            if "the earnings calendar" in news_sources
            else " (the cache held no earnings calendar of the study's tickers: no release was looked for)"
        )
        + "; the dominant-day warning catches some of the rest but is a heuristic."
        + (
            " The events are taken for earnings releases (events_are_earnings): a release of an event's own "
            "ticker within one session of its day 0 is the event, not other news."
            if events_are_earnings
            else ""
        ),
        "Dollar values multiply returns by market values from share counts that may lag filings; the value "
        "per deal dollar is a ratio of totals with no test of its own, over deal sizes as announced "
        "(headline amounts, often 'up to' and spread over years, not always the party's own share).",
    ]
    fallback = _all_row(stats, main, "dollar_fallback_sd_rows")
    if fallback is not None and int(fallback["n"]) > 0:
        bullets.append(
            f"The dollar test's s.d. uses σ × market value for {int(fallback['n'])} "
            f"{'row' if int(fallback['n']) == 1 else 'rows'} "
            "(dollar_fallback_sd_rows): share counts do not cover their estimation windows."
        )
    for group in ("all", "peers"):  # the peers' value created counts shared days once too
        shared = _all_row(stats, main, "dollar_shared_days_usd", group)
        if shared is not None and int(shared["n"]) > 0:
            days = int(shared["n"])
            bullets.append(
                f"{fmt.count(days)} ticker-day{'s' if days != 1 else ''} of {main} "
                f"{'lie' if days != 1 else 'lies'} in the windows of several events of one ticker ({group}); "
                "each counts once in the value created (the mean of the events' estimates), where a sum of "
                f"the rows would add {fmt.money(float(shared['value']))} (dollar_shared_days_usd)."
            )
    return Section("limitations", "Limitations", bullets=tuple(bullets))


def _all_row(stats: pd.DataFrame | None, window: str, statistic: str, group: str = "all") -> Any | None:
    """The ``all`` group's (or ``group``'s) row of ``statistic`` over ``window``, or None."""
    if stats is None:
        return None
    rows = stats[(stats["statistic"] == statistic) & (stats["group"] == group) & (stats["window"] == window)]
    return rows.iloc[0] if len(rows) else None

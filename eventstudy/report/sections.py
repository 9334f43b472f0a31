"""The report's figure sections and statistics tables.

Each function returns one :class:`~eventstudy.report.document.Section` built from the exported
tables; where there is nothing to show it says in one sentence what is missing instead of
drawing an empty figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.aggregate import VOLUME_EXCLUSION_ROWS, statistic_unit
from eventstudy.columns import has_share_caveat
from eventstudy.crosssection.regression import sample_start
from eventstudy.inference.bootstrap import band_minimum_pairs
from eventstudy.inference.serial import ASSUME_SERIAL_INDEPENDENCE, AVERAGE_SERIES, OWN_SERIES
from eventstudy.progress import progress
from eventstudy.report import figures, fmt
from eventstudy.report.document import FigureFile, Section, Table, cell
from eventstudy.report.exports import BACKTEST_FILES, Exports
from eventstudy.report.flags import confounded
from eventstudy.report.flows import DealFlows, flows_figure
from eventstudy.report.parties import finite, spillover_table
from eventstudy.report.tables import ROBUST_TEST, PaperTable, adjusted, legend, per_statistic, table_tests
from eventstudy.text import counted
from eventstudy.volume import pairs_without_volume

FIGURES_DIR = "figures"
EXTRA_ROWS_SHOWN = 1000
EXTRA_ROWS_OPEN = 30  # longer extra tables start collapsed
METHOD_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "crosssection.parquet": (
        "Cross-sectional regressions",
        (
            "regression",
            "window",
            "weights",
            "term",
            "cov_type",
            "coef",
            "se",
            "t",
            "p",
            "df",  # CR2's: Bell & McCaffrey's, not a whole number
            "n",
            "n_dropped",
            "clusters",
            "r_squared",
            "note",
        ),
    ),
    "volume_stats.parquet": (
        "Abnormal trading volume",
        ("group", "window", "statistic", "value", "p", "p_bh", "n"),
    ),
    "volume.parquet": (
        "Abnormal volume by day",
        ("event_id", "ticker", "tau", "date", "abnormal_volume", "cumulative_abnormal_volume", "outcome"),
    ),
    "garch.parquet": (
        "GARCH variance of the abnormal returns",
        ("event_id", "ticker", "tau", "ar", "cond_sd", "sar", "variance_model", "persistence"),
    ),
    "calendar_time.parquet": (
        # gross of the backtest's costs, on the periods with an open position (an audit: the
        # section read as net, beside the net equity curve)
        "Calendar-time portfolios (gross of trading costs; periods with an open position only)",
        (*("holding_days", "frequency", "model", "term", "cov_type"),
         *("coef", "se", "t", "p", "n_periods", "mean_positions")),
    ),
}
"""The optional methods' tables: the report's title and the columns it shows (the parquet file
has them all, e.g. each statistic's reference); other parquet files are shown whole."""


def volume_figure_file(exports: Exports) -> FigureFile | None:
    """The abnormal volume study's figure (``figures/volume_by_group.png``), from
    ``volume.parquet``; None without it."""
    volume = exports.extra.get("volume.parquet")
    if volume is None:
        return None
    measure = str(exports.config.get("volume") or "log_volume")
    words = figures.VOLUME_MEASURES.get(measure, measure)
    column = "" if measure == "log_volume" else ", its log_volume column"
    stats = exports.extra.get("volume_stats.parquet")
    tested = stats is not None and not stats["statistic"].isin(list(VOLUME_EXCLUSION_ROWS)).all()
    tests = (
        "The tests of the abnormal volume are the rows of volume_stats.parquet in the table below."
        if tested  # the study's statistics may choose none of them: the file holds its counts only
        else "The study's statistics choose no test of the abnormal volume: volume_stats.parquet "
        "holds only the counts of the pairs left out."
    )
    return figure_file(
        "figures/volume_by_group.png",
        "Abnormal trading volume by group",
        f"Mean cumulative abnormal {words} ({_volume_model(measure, words)}, volume.parquet{column}) of "
        "each group's pairs with a complete path, from the event span's first day, with a pointwise 95% t "
        "band of the mean; one panel per group. "
        + _volume_sample(volume, exports.car, measure)
        + _volume_caveats(volume)
        + tests
        + ("" if stats is None else _serial_note(stats, words)),
        figures.volume_figure,
        volume,
        measure=measure,
    )


def _volume_sample(volume: pd.DataFrame, car: pd.DataFrame, measure: str) -> str:
    """The pairs without an abnormal volume, by outcome, and those whose volume model has fewer
    estimation days than their return model (``volume.parquet``'s ``n_est`` against
    ``car.parquet``'s: log turnover needs a share count on each day, and the cached counts may
    begin inside the window); "" when neither. A log-turnover study dropped 38 of 156 pairs, a
    whole group, and fitted the rest on as few as half their days, said nowhere (a referee)."""
    keys = ["event_id", "ticker"]
    said = []
    counts = ", or a share count" if measure == "log_turnover" else ""
    left = pairs_without_volume(volume).value_counts(sort=True)
    if len(left):
        causes = ", ".join(f"{fmt.md(str(name))} {n:,}" for name, n in left.items())
        n_pairs = len(volume.drop_duplicates(keys))
        said.append(f"{int(left.sum()):,} of {n_pairs:,} pairs have no abnormal volume ({causes})")
    if "n_est" in volume and "n_est" in car:
        returns = car.drop_duplicates(keys).set_index(keys)["n_est"]
        modelled = volume[volume["outcome"] == "ok"].drop_duplicates(keys).set_index(keys)[["n_est"]]
        fitted = modelled.join(returns.rename("return_n_est"))
        fewer = fitted[fitted["n_est"] < fitted["return_n_est"]]
        if len(fewer):
            said.append(
                f"the volume model of {len(fewer):,} of the {len(fitted):,} pairs with one is fitted on "
                f"fewer estimation days than their return model (median {fewer['n_est'].median():g} of "
                f"{fewer['return_n_est'].median():g}: days without both volumes above 0{counts}; "
                "volume.parquet's n_est)"
            )
    text = "; ".join(said)
    return f"{text[:1].upper()}{text[1:]}. " if said else ""


def _volume_caveats(volume: pd.DataFrame) -> str:
    """The pairs whose log turnover divides by a share count the config's ``[[shares.caveats]]``
    flag (``volume.parquet``'s ``note``), by ticker; "" when none (or a folder of a version
    before the column)."""
    if "note" not in volume:
        return ""
    flagged = volume[volume["note"].map(has_share_caveat)].drop_duplicates(["event_id", "ticker"])
    if flagged.empty:
        return ""
    tickers = sorted(flagged["ticker"].astype(str).unique())
    return (
        f"The log turnover of {len(flagged):,} pairs ({_listing(tickers)}) divides, on some of their days, "
        "by a share count the config's [[shares.caveats]] flag (volume.parquet's note). "
    )


def _serial_note(stats: pd.DataFrame, words: str) -> str:
    """What the serial correlation of the abnormal volume does to the tests that take a window's
    variance as L independent days' (:mod:`eventstudy.inference.serial`): the largest
    ``serial_variance_ratio`` of the file and the factor it puts on them; "" without such rows
    or tests."""
    ratios = stats[(stats["statistic"] == "serial_variance_ratio") & np.isfinite(stats["value"])]
    assuming = [name for name in ASSUME_SERIAL_INDEPENDENCE if name in set(stats["statistic"])]
    if ratios.empty or not assuming:
        return ""
    top = ratios.loc[ratios["value"].idxmax()]
    ratio = float(top["value"])
    said = (
        f" Over a window of L days, {', '.join(assuming)} take its variance as L independent days'; "
        f"serial_variance_ratio, the pairs' mean variance of an L-day sum of their estimation-window "
        f"abnormal {words} over L days' (Lo & MacKinlay 1988), is up to {ratio:.2f} here "
        f"({fmt.md(str(top['window']))}, {fmt.md(str(top['group']))})"
    )
    own = [name for name in assuming if name in OWN_SERIES]
    pooled = [name for name in assuming if name in AVERAGE_SERIES]
    if ratio > 1 and own:
        said += (
            f": those built on each pair's own series ({', '.join(own)}) are about "
            f"{math.sqrt(ratio):.1f} times too large in absolute value there"
        )
    if ratio > 1 and pooled:
        said += (
            f"{',' if own else ':'} those built on the series of the pairs' average ({', '.join(pooled)}) "
            "are too large by about the square root of that series' own ratio, which can be larger"
        )
    across = "bmp_t, cross_sectional_t, wilcoxon_w, cluster_firm_t"
    return f"{said}; the tests that take their variance across the pairs ({across}) do not assume it."


def _volume_model(measure: str, words: str) -> str:
    """The abnormal volume's model, as the volume study fits it (:mod:`eventstudy.volume`)."""
    model = f"a market model of {words} after Campbell & Wasley 1996"  # its market: the benchmark's volume
    return model if measure == "log_turnover" else f"{model}, whose measure is log turnover"


METHOD_FIGURES: dict[str, Callable[[Exports], FigureFile | None]] = {
    "volume_stats.parquet": volume_figure_file,
}
"""The optional methods' figures, shown in the section of the file they belong to."""


def figure_file(
    name: str, title: str, caption: str, draw: Callable[..., Any], *args: Any, **kwargs: Any
) -> FigureFile:
    """A report figure: ``draw(*args, **kwargs)`` drawn at print resolution, then released; its
    PNG is compressed in the background, or taken from the same drawing earlier in the process
    (:func:`~eventstudy.report.figures.drawn_png`)."""
    return FigureFile(name, title, caption, figures.drawn_png(draw, *args, **kwargs), dpi=figures.DPI)


def _listing(names: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` (at most ``limit`` names, then how many more)."""
    shown = ", ".join(fmt.md(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def car_paths_section(
    events: pd.DataFrame, ar: pd.DataFrame, car: pd.DataFrame, n_params: int, main: str
) -> Section:
    """One small-multiples figure per event: each party's CAR path, band, flags."""
    listed = ar[ar["role"] != "peer"]
    heads = events.drop_duplicates("event_id").set_index("event_id")
    event_ids = list(dict.fromkeys(listed["event_id"]))
    estimated = set(listed.loc[finite(listed["car"]), "event_id"])
    without = [e for e in event_ids if e not in estimated]
    shown = [e for e in event_ids if e in estimated]
    parties = car[car["role"] != "peer"]
    files = []
    # each event's own rows, which car_figure draws alike: what drawn_png compares is small
    rows_of = dict(list(listed.groupby("event_id", sort=False)))
    windows_of = dict(list(parties.groupby("event_id", sort=False)))
    for event_id in progress(shown, desc="figures", unit="event"):
        headline = heads.loc[event_id, "headline"] if event_id in heads.index else ""
        rows, windows = rows_of[event_id], windows_of.get(event_id, parties.iloc[:0])
        draw = (figures.car_figure, rows, windows, event_id)
        name, title = f"figures/car_{event_id}.png", fmt.md(headline)
        files.append(figure_file(name, str(event_id), title, *draw, n_params=n_params, window=main))
    if len(ar):
        span = (int(ar["tau"].min()), int(ar["tau"].max()))
        paragraphs = [
            f"Cumulative abnormal return from τ={span[0]:+d} to each day τ ≤ {span[1]:+d}, one panel per "
            "party, "
            "with a 95% band ±t(0.975, M-k)·s.e.(CAR), the prediction-error-corrected s.e. (ar.parquet "
            f"car_se), k = {n_params}. Dashed orange lines mark other news in the widest window (⚑); a red "
            "ring "
            "marks a day that carries most of a window's CAR."
        ]
    else:
        paragraphs = ["ar.parquet has no rows, so there are no CAR paths."]
    if without:
        paragraphs.append(
            f"No CAR path for {len(without):,} event(s) ({_listing(without)}): none of their parties has an "
            "estimated abnormal return (see each row's outcome)."
        )
    return Section("car-paths", "CAR paths by event", paragraphs=tuple(paragraphs), figures=tuple(files))


def _band_text(lower: Any, upper: Any) -> str:
    """``-1.00% to +2.00%``; ``—`` for a group without a band (it read "— to —")."""
    return fmt.MISSING if fmt.is_missing(lower) else f"{fmt.percent(lower)} to {fmt.percent(upper)}"


def caar_section(caar: pd.DataFrame | None, events: pd.DataFrame, *, expanded: bool = True) -> Section:
    """The CAAR of every group with its bootstrap band (caar.parquet): Hesterberg's expanded band
    and none with too few pairs (``expanded``, as the manifest's ``caar_band`` records), or the
    plain percentile band of a folder written before."""
    title = "CAAR by group"
    if caar is None:
        return Section(
            "caar",
            title,
            paragraphs=("This output folder has no caar.parquet (re-run the study for the CAAR paths).",),
        )
    listed_groups = list(dict.fromkeys(events.loc[events["role"] != "peer", "group"]))
    estimated = caar[finite(caar["caar"])]
    missing = [g for g in listed_groups if g not in set(estimated["group"])]
    span = "the event span"
    if len(caar):
        span = f"τ = {int(caar['tau'].min()):+d} to {int(caar['tau'].max()):+d}"
    if estimated.empty:
        return Section(
            "caar",
            title,
            paragraphs=(
                f"No (event, party) pair has an abnormal return on every day of {span} (the span of the "
                "event windows; see each row's outcome and ar.parquet), so there is no average CAR path.",
            ),
        )
    rows = []
    last = int(estimated["tau"].max())
    r: Any  # the group's rows, then the row of one tau
    for group, g in estimated.groupby("group", sort=False):
        for tau in dict.fromkeys((0, last)):
            r = g[g["tau"] == tau]
            if r.empty:
                continue
            r = r.iloc[0]
            rows.append(
                (
                    cell(str(group)),
                    cell(f"{tau:+d}" if tau else "0", tau),
                    cell(fmt.count(r.n), r.n),
                    cell(fmt.percent(r.caar), r.caar),
                    cell(_band_text(r.lower, r.upper), r.lower),
                )
            )
    level = float(caar["level"].iloc[0]) if "level" in caar and len(caar) else 0.95
    start = int(estimated["tau"].min())
    caption = (
        f"CAAR from τ={start:+d}: the mean CAR of the group's pairs with a complete path (N); band: "
        "pointwise "
        f"{level:.0%} percentile band of {int(caar['draws'].iloc[0]) if 'draws' in caar else 999:,} "
        "bootstrap "
        "resamples of the group's (event, party) pairs (Efron & Tibshirani 1993)"
        f"{', expanded for few pairs (Hesterberg 2015)' if expanded else ''}, caar.parquet."
    )
    if 0.0 < level < 1.0:  # a band within the CARs' range cannot cover the level
        least = band_minimum_pairs(level)
        few = estimated.loc[estimated["n"] < least, "group"].unique().tolist()
        if few and expanded:
            caption += (
                f" {_listing(few)}: too few pairs for a band (a bootstrap band lies within the range of "
                f"the CARs, which covers the mean less often than {level:.0%}; from {least} pairs)."
            )
        elif few:  # a folder written before eventstudy drew none (its band is the plain one)
            caption += (
                f" {_listing(few)}: fewer pairs than a {level:.0%} band needs ({least}): the band lies "
                f"within the range of the CARs, which covers the mean less often than {level:.0%}."
            )
    if missing:
        caption += (
            f" No pair of group(s) {_listing(missing)} has an abnormal return on every day of {span} (see "
            "each row's outcome and ar.parquet), so they have no path."
        )
    table = Table("caar", ("group", "τ", "N", "CAAR", "band"), "llrrr", tuple(rows), caption=caption)
    figure = figure_file(
        "figures/caar_by_group.png",
        "CAAR by group",
        "Mean CAR of each group's pairs with the bootstrap band of caar.parquet, one panel per group.",
        figures.caar_figure,
        caar,
        expanded=expanded,
    )
    return Section("caar", title, figures=(figure,), tables=(table,))


def spillover_section(
    ar: pd.DataFrame,
    car: pd.DataFrame,
    day0: str | None,
    main: str,
    order: Sequence[str],
    peers: Sequence[str] = (),
) -> Section:
    """Day-0 heat map of parties and peers, and the peers' table; ``order`` the map's column
    order, ``peers`` the peers the run measured (the manifest's ``peers``: none under
    ``--no-peers``, whatever the config lists)."""
    zero = ar[ar["tau"] == 0]
    has_peers = bool((car["role"] == "peer").any())
    files: tuple[FigureFile, ...] = ()
    if zero.empty:
        map_note = (
            "The event windows do not include day 0 (τ = 0), so there are no day-0 abnormal returns to map."
        )
    elif not finite(zero["ar"]).any():
        map_note = (
            "No (event, ticker) has an estimated day-0 abnormal return (see each row's outcome), so there "
            "is no heat map."
        )
    else:
        map_note = ""
        files = (
            figure_file(
                "figures/peers_day0_heatmap.png",
                "Day-0 abnormal returns, events × tickers",
                "Outlined cells are the announcement's parties; "
                + (
                    "the others are ecosystem peers (role peer). "
                    if has_peers
                    else "a ticker is measured on the announcements it is a party of (no peers). "
                )
                + "Colours are capped at ±10%; grey cells could not be estimated.",
                figures.heatmap_figure,
                ar,
                order=order,
            ),
        )
    table = spillover_table(car[car["role"] == "peer"], day0, main)
    n_rows = len(table.rows) if table is not None else 0
    paragraphs = [
        (
            f"Every announcement is also measured on the peers that are not its parties ({n_rows} (event, "
            "peer) "
            "rows). A peer's move is spillover: the market repricing the ecosystem, or news that reached it "
            "the "
            "same day."
        )
        if has_peers
        else (
            f"Every peer of this study ({', '.join(peers)}) is a party of every announcement, so no "
            "(event, peer) row measures a spillover; the map shows the parties."
        )
        if peers
        else "No ecosystem peers in this study (run with --peers to add them); the map shows the parties."
    ]
    if map_note:
        paragraphs.append(map_note)
    return Section(
        "spillover",
        "Spillover to peers",
        paragraphs=tuple(paragraphs),
        figures=files,
        tables=(table,) if table is not None else (),
    )


def flows_section(flows: DealFlows | None, stats: pd.DataFrame | None) -> Section | None:
    """The deal-flows diagram and its table (None when the config declares no flows; only the
    list of events left out when none of the flows' events is in the study)."""
    if flows is None:
        return None
    left_out = (
        (f"Flows of events not in this study are left out: {_listing(list(flows.missing_events))}.",)
        if flows.missing_events
        else ()
    )
    if not flows.flows:
        return Section("deal-flows", "Deal flows", paragraphs=left_out)
    rows = []
    for row in flows.to_frame().itertuples(index=False):
        deal = "undisclosed" if fmt.is_missing(row.deal_usd) else fmt.money(row.deal_usd, signed=False)
        rows.append(
            (
                cell(f"{fmt.plain(row.payer)} → {fmt.plain(row.payee)}"),
                cell(fmt.plain(row.event_id)),
                cell(deal, row.deal_usd),
                cell(fmt.plain(row.ticker)),
                cell(fmt.money(row.abnormal_value_usd), row.abnormal_value_usd),
                cell("; ".join(["⚑"] * bool(row.confounded) + ["shares caveat"] * bool(row.share_caveat))),
            )
        )
    table = Table(
        "deal-flows",
        ("edge", "event", "deal", "listed party", f"value {flows.window}", "flags"),
        "llrlrl",
        tuple(rows),
        caption="Each edge's deal and the abnormal dollar value of its listed parties (car.parquet rows).",
    )
    totals = []
    for group in flows.groups:
        if stats is None:
            break
        hit = stats[
            (stats["group"] == group)
            & (stats["window"] == flows.window)
            & (stats["statistic"] == "dollar_abnormal_value")
        ]
        if len(hit):
            r = hit.iloc[0]
            totals.append(
                f"{fmt.md(group)}: {fmt.money(r['value'])}{fmt.md(fmt.stars(r['p']))} over {int(r['n'])} "
                "(event, "
                "party) rows "
                f"(stats.parquet: {fmt.md(group)}, {flows.window}, `dollar_abnormal_value`)"
            )
    disclosed = any(math.isfinite(f.deal_usd) for f in flows.flows)
    widths = (
        "edge width grows with the deal size"
        if disclosed
        else "no deal size is disclosed: every edge is a thin dashed grey line"
    )
    caption = (
        f"Who pays whom in the study's deals, as declared in the config's [[flows]]; {widths}. Per-edge "
        "values are the listed parties' own rows; the total value created by each group is one "
        "stats.parquet row, not the sum of the edges: "
        + ("; ".join(totals) if totals else "see Findings")
        + "."
    )
    figure = figure_file("figures/deal_flows.png", "Deal flows", caption, flows_figure, flows)
    return Section("deal-flows", "Deal flows", paragraphs=left_out, figures=(figure,), tables=(table,))


def _multiple_testing(tables: Sequence[PaperTable]) -> str:
    """How the tables' daggers adjust for multiple testing: over each test's windows, or, in a
    folder written before that family was recorded, over the group's every window and test (a
    referee: such a folder was told its own family let tests that overstate lower the others')."""
    said = (
        "Stars are each test's own p; a dagger (†) marks a test still significant at 5% after the "
        "Benjamini–Hochberg adjustment over its family (named in each caption; stats.parquet's p_bh). A "
        "star without a dagger is weaker evidence."
    )
    if not per_statistic(tables):
        many = "Multiple testing: each group is tested over many windows and statistics, so some stars"
        return f"{many} appear by chance. {said}"
    if all(table.family <= 1 for table in tables):  # one window: nothing to adjust over
        return f"Multiple testing: with one window, each test is its own family. {said}"
    return (
        f"Multiple testing: a group tested over several windows shows some stars by chance. {said} A "
        "test's family is its windows in the group: the tests of one window are not more questions but "
        "other answers to one, to be read by their assumptions (above), not by the smallest p; a family of "
        "every test let those that overstate lower the others' adjusted p, and a dagger says nothing of "
        "a test's size."
    )


def tests_section(tables: Sequence[PaperTable]) -> Section:
    """The paper-style tables: one per group, one row per window."""
    rendered = []
    for i, table in enumerate(tables):
        rows = tuple(
            tuple(cell(text, _sort(text)) if j else cell(text) for j, text in enumerate(values))
            for values in table.cells()
        )
        rendered.append(
            Table(
                f"tests-{i + 1}",
                table.columns,
                "l" + "r" * (len(table.columns) - 1),
                rows,
                caption=f"**{fmt.md(table.group)}**" + (f" ({fmt.md(table.note)})" if table.note else ""),
            )
        )
    chosen = {test[0] for table in tables for test in table.tests}
    paragraphs: tuple[str, ...] = (
        "Which test to read: pairs whose windows share calendar days (the parties of one announcement, "
        "its peers, announcements days apart) are not independent, so the tests that assume independence "
        "(CS t, BMP t, generalized sign) overstate significance when they do; "
        f"`{ROBUST_TEST}` (KP-BMP t) corrects for that cross-correlation and for event-induced variance"
        + ("" if ROBUST_TEST in chosen else " (not among this study's statistics: add it to `statistics`)")
        + ", GRANK for "
        "non-normal, skewed returns with 50 pairs or more (with fewer it over-rejects) "
        '(see the README, "Which test to read"). The same tables are in tables.md '
        "and "
        "tables.tex.",
        *((_multiple_testing(tables),) if adjusted(tables) else ()),
        fmt.md(legend(table_tests(tables), adjusted=adjusted(tables), per_statistic=per_statistic(tables))),
    )
    if not rendered:
        paragraphs = (
            "The study's statistics include none of the tables' (CAAR and the tests of the columns), so "
            "there are no test tables; stats.parquet holds those it computed.",
        )
    return Section("tests", "Tests by group", paragraphs=paragraphs, tables=tuple(rendered))


def _sort(text: str) -> float | None:
    core = text.rstrip("*" + fmt.BH_MARK).rstrip("%").replace(",", "")
    try:
        return float(core)
    except ValueError:
        return None


def _stat_text(statistic: str, value: Any, units: Mapping[str, Any] | None) -> str:
    """A statistic of ``stats.parquet`` in its unit (:func:`~eventstudy.aggregate.statistic_unit`;
    ``units``, the manifest's record)."""
    return fmt.by_unit(value, statistic_unit(statistic, units))


def statistics_section(
    stats: pd.DataFrame, day0: str | None, main: str, units: Mapping[str, Any] | None = None
) -> Section:
    """Every statistic of stats.parquet over day 0 and the main window (collapsed), each value in
    its unit (``units``: the manifest's record of those of statistics this process lacks)."""
    title = "All statistics"
    windows = [w for w in dict.fromkeys((day0, main)) if w is not None]
    rows_of = stats[stats["window"].isin(windows)]
    if rows_of.empty:
        return Section(
            "statistics",
            title,
            paragraphs=(
                f"stats.parquet has no statistic over {' or '.join(windows)} (the battery needs at least one "
                "(event, party) with an estimated abnormal return).",
            ),
        )
    found: dict[tuple[str, str, str], Any] = {}
    row: Any  # a stats.parquet row
    for row in rows_of.itertuples(index=False):
        found.setdefault((str(row.group), str(row.statistic), str(row.window)), row)
    keys = list(
        dict.fromkeys((str(g), str(s)) for g, s in zip(rows_of["group"], rows_of["statistic"], strict=True))
    )
    rows = []
    for group, statistic in keys:
        cells_: list = [cell(group), cell(statistic)]
        first = next(found[(group, statistic, w)] for w in windows if (group, statistic, w) in found)
        for window in windows:
            row = found.get((group, statistic, window))
            value, p = (row.value, row.p) if row is not None else (np.nan, np.nan)
            cells_ += [cell(_stat_text(statistic, value, units), value), cell(fmt.probability(p), p)]
        cells_ += [cell(fmt.count(first.n), first.n), cell(fmt.plain(first.reference))]
        rows.append(tuple(cells_))
    columns = ["group", "statistic"]
    for window in windows:
        columns += [f"{window}", "p"]
    table = Table(
        "stats",
        (*columns, f"n {windows[0]}", "reference"),
        "ll" + "rr" * len(windows) + "rl",
        tuple(rows),
        caption="Every row of stats.parquet over these windows (the file has all windows); p two-sided; the "
        "reference names the formula and, for totals and counts, the rows covered.",
        collapsed=True,
    )
    return Section("statistics", title, tables=(table,))


def extra_sections(exports: Exports) -> list[Section]:
    """Other parquet files of the folder, shown as tables with their schema units."""
    sections = []
    shown_apart = set(BACKTEST_FILES)
    if exports.stats is not None:
        shown_apart.add("stats.parquet")
    if exports.caar is not None:
        shown_apart.add("caar.parquet")
    for name in [n for n in exports.extra if n not in shown_apart]:
        frame = exports.extra[name]
        units = exports.units.get(name, {})
        title, wanted = METHOD_TABLES.get(name, (f"Table {name}", tuple(frame.columns)))
        formulas = regression_formulas(frame, exports.car) if name == "crosssection.parquet" else ()
        frame = frame.loc[:, [c for c in wanted if c in frame.columns]]
        drawn = METHOD_FIGURES[name](exports) if name in METHOD_FIGURES else None
        files = (drawn,) if drawn is not None else ()
        if frame.empty:
            empty = (f"{fmt.md(name)} has no rows.",)
            sections.append(Section(f"extra-{name}", title, paragraphs=empty, figures=files))
            continue
        shown = frame.head(EXTRA_ROWS_SHOWN)
        numeric = [
            pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
            for c in frame.columns
        ]
        rows = tuple(
            tuple(
                cell(fmt.by_unit(v, units.get(c, "")), v)
                if is_number
                else cell(fmt.by_unit(v, units.get(c, "")))
                for c, v, is_number in zip(shown.columns, row, numeric, strict=True)
            )
            for row in shown.itertuples(index=False)
        )
        caption = (
            f"{fmt.md(name)}, {counted(len(frame), 'row')}"
            + (", selected columns" if name in METHOD_TABLES else "")
            + (f" (first {EXTRA_ROWS_SHOWN} shown)" if len(frame) > EXTRA_ROWS_SHOWN else "")
        )
        table = Table(
            name.removesuffix(".parquet"),
            tuple(str(c) for c in frame.columns),
            "".join("r" if n else "l" for n in numeric),
            rows,
            caption=caption,
            collapsed=len(frame) > EXTRA_ROWS_OPEN,
        )
        sections.append(Section(f"extra-{name}", title, formulas, figures=files, tables=(table,)))
    return sections


def regression_formulas(frame: pd.DataFrame, car: pd.DataFrame | None = None) -> tuple[str, ...]:
    """One line per regression of ``crosssection.parquet``: its formula, sample and weights (the
    table names a regression only; what was regressed on what is in its formula), and how many
    windows of its sample hold other news (⚑) where the study kept them (``car``: its rows)."""
    columns = ["regression", "formula", "sample", "weights", "window"]
    if not set(columns) <= set(frame.columns):
        return ()
    notes = frame["note"].astype(str) if "note" in frame.columns else pd.Series("", index=frame.index)
    excluded = set(frame.loc[notes.str.contains("(exclude_confounded)", regex=False), "regression"])
    lines = []
    regressions = frame.loc[:, columns].drop_duplicates(columns[:4])
    for name, formula, sample, weights, window in regressions.itertuples(index=False):
        line = f"Regression {fmt.md(name)}: {fmt.md(formula)} (sample {fmt.md(sample)}, "
        line += f"weights {fmt.md(weights)})."
        flagged = 0  # a study that left them out says so in the rows' notes
        if car is not None and name not in excluded:
            flagged = int(confounded(sample_start(car, window, sample)).sum())
        if flagged:
            them = "it" if flagged == 1 else "them"
            line += (
                f" Of the windows its sample starts from, {flagged} hold{'s' if flagged == 1 else ''} other "
                f"news (⚑), in the fit unless a variable is missing there; exclude_confounded = true would "
                f"leave {them} out."
            )
        lines.append(line)
    return tuple(lines)


def backtest_section(exports: Exports) -> Section | None:
    """The backtest's pre-rendered section, with its equity curve (written by the backtest)."""
    if not exports.has_backtest:
        return None
    from eventstudy.backtest.report import render_backtest_markdown

    files = []
    equity = exports.folder / FIGURES_DIR / "equity_curve.png"
    if equity.is_file():
        files.append(
            FigureFile("figures/equity_curve.png", "Equity curves", "", equity.read_bytes(), owned=False)
        )
    block = render_backtest_markdown(exports.folder)
    return Section("backtest", "Backtest", figures=tuple(files), markdown=block)


def heat_order(manifest: Mapping[str, Any]) -> list[str]:
    """The heat map's column order: the study's peers as listed in the manifest."""
    return [str(t) for t in manifest.get("peers") or manifest.get("config", {}).get("peers") or []]

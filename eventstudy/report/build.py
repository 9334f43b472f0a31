"""The report of an output folder: :func:`build_report` turns its exported files into a
:class:`~eventstudy.report.document.Report`.

Reading order: the findings (the answer, under the recommended test, with the caveats that
change it), limitations, the paper-style tables, the data's provenance, then the detail
(per-party tables and figures, the calendar, the backtest, every statistic and window),
methods and how to reproduce the run. A large study's per-event figures and calendar show
the :data:`MAX_EVENTS_SHOWN` events with the largest absolute dollar value and every table
at most :data:`MAX_TABLE_ROWS` rows; the parquet exports hold everything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from eventstudy.inference.bootstrap import CAAR_BAND
from eventstudy.multiple_testing import P_FAMILY
from eventstudy.report import fmt
from eventstudy.report.about import data_section, methods_section, reproducibility_section
from eventstudy.report.document import Report, Section
from eventstudy.report.exports import Exports
from eventstudy.report.figures import value_per_deal_figure
from eventstudy.report.findings import NEWS_SOURCES, findings_section, limitations_section
from eventstudy.report.flows import deal_flows, edges_of
from eventstudy.report.parties import by_party_section, calendar_section, every_window_section, value_section
from eventstudy.report.sections import (
    backtest_section,
    caar_section,
    car_paths_section,
    extra_sections,
    figure_file,
    flows_section,
    heat_order,
    spillover_section,
    statistics_section,
    tests_section,
)
from eventstudy.report.tables import PaperTable, paper_tables, recorded_p_sources, to_latex, to_markdown
from eventstudy.report.windows import n_params, study_windows, window_order

MAX_EVENTS_SHOWN = 40  # per-event figures, calendar rows and heat-map rows of a large study
MAX_TABLE_ROWS = 1000  # rows of any one report table
TABLE_FILES: tuple[str, ...] = ("tables.md", "tables.tex")


def per_event_benchmarks(events: pd.DataFrame) -> tuple[str, ...]:
    """The benchmarks named in the events file's optional ``market`` column (sorted, blanks out)."""
    if "market" not in events:
        return ()
    return tuple(sorted({str(m) for m in events["market"].fillna("") if m}))


def build_report(exports: Exports) -> Report:
    """The report of one output folder (nothing is recomputed: see the module docstring)."""
    events, ar, car, manifest = exports.events, exports.ar, exports.car, exports.manifest
    config = exports.config
    day0, main = study_windows(car, manifest)
    parties = car[car["role"] != "peer"]
    stats = exports.stats
    k = n_params(manifest)
    excluded = bool(config.get("exclude_confounded", False))
    shown = events_shown(parties, main)
    events_in, ar_in, car_in = (frame[frame["event_id"].isin(shown)] for frame in (events, ar, car))
    p_sources = recorded_p_sources(stats, manifest.get("p_from")) if stats is not None else {}
    per_statistic = manifest.get("p_family") == P_FAMILY  # an older folder: every test in one family
    tables = (
        paper_tables(
            stats,
            car,
            window_order(car, manifest),
            drop_confounded=excluded,
            chosen=config.get("statistics"),
            p_from=manifest.get("p_from"),
            units=manifest.get("units"),
            per_statistic=per_statistic,
        )
        if stats is not None
        else []
    )
    sections = [
        findings_section(car, stats, day0, main, config, p_sources, per_statistic=per_statistic),
        limitations_section(
            car,
            stats,
            main,
            manifest.get("model", {}).get("description", config.get("model", "?")),
            estimated=k > 0,
            p_sources=p_sources,
            events_are_earnings=config.get("events_are_earnings") is True,
            market=_model_market(manifest),
            news_sources=[
                source
                for source, had in zip(
                    NEWS_SOURCES,
                    (True, bool(manifest.get("inputs", {}).get("earnings")), bool(config.get("news_file"))),
                    strict=True,
                )
                if had
            ],
        ),
        tests_section(tables),
        data_section(exports),
        by_party_section(parties, day0, main),
        value_section(
            parties,
            day0,
            main,
            lambda: figure_file(
                "figures/value_per_deal.png",
                "Value per deal dollar",
                "Each party's abnormal dollar value per deal dollar with its 95% interval (t with M−k "
                "degrees of "
                "freedom × s.e.(CAR) × market value before the window ÷ deal); diamonds: each group's "
                "value_per_deal_dollar row of stats.parquet.",
                value_per_deal_figure,
                car,
                main,
                stats=stats,
                n_params=k,
            ),
        ),
        flows_section(deal_flows(car, edges_of(config), main), stats),
        car_paths_section(events_in, ar_in, car_in, k, main),
        caar_section(exports.caar, events, expanded=manifest.get("caar_band") == CAAR_BAND),
        spillover_section(ar_in, car_in, day0, main, heat_order(manifest), manifest.get("peers") or ()),
        calendar_section(events_in, car_in),
        backtest_section(exports),
        statistics_section(stats, day0, main, manifest.get("units")) if stats is not None else None,
        *extra_sections(exports),
        every_window_section(parties),
        methods_section(
            manifest, day0, main, per_event_benchmarks(events), car, exports.extra.get("garch.parquet")
        ),
        reproducibility_section(manifest),
    ]
    title = f"Event study: {fmt.plain(config.get('name', '?'))}"
    files = table_files(tables, title) if stats is not None else ()
    summary = _summary(events, manifest, main, len(shown))
    return Report(title, tuple(summary), tuple(_cut(s) for s in sections if s is not None), files)


def table_files(tables: Sequence[PaperTable], title: str) -> tuple[tuple[str, bytes], ...]:
    """``tables.md`` and ``tables.tex`` of the paper tables."""
    return (
        ("tables.md", to_markdown(tables, title).encode("utf-8")),
        ("tables.tex", to_latex(tables, title).encode("utf-8")),
    )


def _model_phrase(manifest: Mapping[str, Any]) -> str:
    """``market model on SPY``, ``sector model on SPY and SMH``, ``ff3 model on Mkt-RF, SMB, HML``,
    ``constant_mean model``: the model and what it is fitted on (its recorded settings; the
    config's market for a manifest without them). A factor model is not "on SPY", whose days
    only set the calendar."""
    name = manifest.get("model", {}).get("name", manifest["config"].get("model", "?"))
    settings = _model_settings(manifest)
    if settings is None:  # an older manifest
        return f"{fmt.md(name)} model on {fmt.md(manifest['config'].get('market', '?'))}"
    on = [settings[key] for key in ("market", "sector") if isinstance(settings.get(key), str)]
    factors = settings.get("factors")
    if not on and isinstance(factors, list):
        return f"{fmt.md(name)} model on {fmt.md(', '.join(map(str, factors)))}"
    return f"{fmt.md(name)} model" + (f" on {fmt.md(' and '.join(on))}" if on else "")


def _summary(events: pd.DataFrame, manifest: Mapping[str, Any], main: str, n_shown: int) -> list[str]:
    is_peer = events["role"] == "peer"
    n_peers = int(events.loc[is_peer, "ticker"].nunique())
    returns = manifest["config"].get("returns", "simple")
    units = "US dollars, simple returns" if returns == "simple" else f"{returns} returns (no dollar values)"
    sentence = (
        f"{fmt.counted(events['event_id'].nunique(), 'announcement')}: "
        f"{fmt.counted(int((~is_peer).sum()), '(event, party) row')}"
        + (
            f", {fmt.counted(int(is_peer.sum()), '(event, peer) row')} over {fmt.counted(n_peers, 'peer')}"
            if n_peers
            else ""
        )
        + f"; {_model_phrase(manifest)}; main window {main}; {fmt.md(units)}."
    )
    out = [sentence]
    if n_shown < events["event_id"].nunique():
        out.append(
            f"A large study: per-event figures and the calendar show the {n_shown} events with the largest "
            "absolute "
            f"abnormal dollar value over {main}, and tables at most {MAX_TABLE_ROWS:,} rows; the parquet "
            "exports "
            "hold everything."
        )
    return out


def events_shown(parties: pd.DataFrame, main: str) -> list[str]:
    """Every event id, or the :data:`MAX_EVENTS_SHOWN` with the largest absolute abnormal dollar
    value of their parties over ``main`` (ties and missing values by file order), in file order."""
    order = list(dict.fromkeys(parties["event_id"]))
    if len(order) <= MAX_EVENTS_SHOWN:
        return order
    rows = parties[parties["window"] == main]
    size = rows.groupby("event_id", sort=False)["abnormal_value_usd"].sum().abs().reindex(order).fillna(0.0)
    ranked = size.reset_index(drop=True).sort_values(ascending=False, kind="stable")
    keep = set(ranked.index[:MAX_EVENTS_SHOWN])
    return [event_id for position, event_id in enumerate(order) if position in keep]


def _cut(section: Section) -> Section:
    """The section with every table cut at :data:`MAX_TABLE_ROWS` rows (the caption says so)."""
    tables = []
    for table in section.tables:
        if len(table.rows) > MAX_TABLE_ROWS:
            note = f"First {MAX_TABLE_ROWS:,} of {len(table.rows):,} rows; the parquet exports hold all."
            caption = f"{table.caption} {note}".strip()
            table = dataclasses.replace(table, rows=table.rows[:MAX_TABLE_ROWS], caption=caption)
        tables.append(table)
    bullets = section.bullets
    if len(bullets) > MAX_TABLE_ROWS:
        bullets = (*bullets[:MAX_TABLE_ROWS], f"… and {len(bullets) - MAX_TABLE_ROWS:,} more")
    return dataclasses.replace(section, tables=tuple(tables), bullets=bullets)


def _model_settings(manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The settings the manifest records of its model, or None (an older manifest, a user's model
    that records none)."""
    model = manifest.get("model")
    settings = model.get("settings") if isinstance(model, Mapping) else None
    return settings if isinstance(settings, Mapping) else None


def _model_market(manifest: Mapping[str, Any]) -> str | None:
    """The market proxy the manifest's model regresses on (:func:`_model_settings`), or None: a
    model without one (constant mean, a user's own), or a manifest that does not say."""
    market = (_model_settings(manifest) or {}).get("market")
    return market if isinstance(market, str) and market else None

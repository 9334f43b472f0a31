"""The study's report, rendered from its exported files alone (no recomputation).

:func:`read_exports` reads an output folder (``events.parquet``, ``ar.parquet``,
``car.parquet``, ``manifest.json``, and any other ``*.parquet`` there such as ``stats.parquet``
or the backtest's files); :func:`build_report` turns those into a :class:`Report` (sections of
paragraphs, figures and tables, every number formatted with its unit); :func:`render_markdown`
and :func:`eventstudy.report.html.render_html` print it; :func:`write_report` writes ``report.md``,
``report.html`` and ``figures/*.png`` without ever leaving a partial file (each file goes to a
temporary name in the same folder and is renamed into place). :func:`render_report` does all
of it for ``eventstudy report DIR``.

**Windows.** The report is built from the configured event windows (see
:func:`report_windows`): the *main* window is ``[-1,+1]`` when configured, else the first
configured window other than ``[0,0]``; the *day-0* columns come from a configured ``[0,0]``
window and are left out without one.

**Text.** The content model keeps two kinds of text. Table cells, column headers and titles
are plain text, escaped by each renderer. Paragraphs, bullets, the summary and captions are a
small markdown subset (```code```, ``**bold**``, backslash escapes) that both renderers read the
same way; user text enters them only through :func:`eventstudy.report.fmt.md`. A newline or ``|`` in a
headline therefore cannot end a table row or start a heading, and ``<script>`` is shown as text.

**Missing data.** Every section and figure handles empty, all-missing, all-negative and
single-row inputs: where there is nothing to show, the section says in one sentence what is
missing and why instead of drawing an empty figure.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from eventstudy.config import window_label
from eventstudy.errors import InputError
from eventstudy.output.schema import STATS_SCHEMA, read_schema_units
from eventstudy.peers import AI_BASKET, PEER_ROLE
from eventstudy.progress import progress
from eventstudy.report import fmt
from eventstudy.report.flows import MoneyLoop, money_loop
from eventstudy.report.paths import caar_paths, car_paths

STATS_COLUMNS: tuple[str, ...] = tuple(STATS_SCHEMA)
REQUIRED_FILES: tuple[str, ...] = ("events.parquet", "ar.parquet", "car.parquet", "manifest.json")
BACKTEST_FILES: tuple[str, ...] = ("trades.parquet", "backtest.parquet", "drift.parquet")
REPORT_FILES: tuple[str, ...] = ("report.md", "report.html")
FIGURES_DIR = "figures"
EXTRA_ROWS_SHOWN = 1000
MAX_EVENTS_SHOWN = 40  # per-event figures, calendar rows and heat-map rows of a large study
MAX_TABLE_ROWS = 1000  # rows of any one report table
EXTRA_ROWS_OPEN = 30  # longer extra tables start collapsed
DAY0_WINDOW = "[0,0]"
MAIN_WINDOW = "[-1,+1]"
# Number of estimated parameters of the built-in models, for manifests that do not record it.
_MODEL_PARAMS = {"market": 2, "constant_mean": 1, "market_adjusted": 0}


@dataclass
class Exports:
    """The files of one output folder.

    Attributes
    ----------
    folder
        The output folder.
    events, ar, car
        ``events.parquet``, ``ar.parquet``, ``car.parquet``.
    manifest
        ``manifest.json``.
    extra
        Every other ``*.parquet`` in the folder by file name (``stats.parquet``, the backtest's).
    units
        Column units by file name, from each parquet file's ``eventstudy.schema`` metadata.
    """

    folder: Path
    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    manifest: dict[str, Any]
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    units: dict[str, dict[str, str]] = field(default_factory=dict)


def read_exports(folder: str | Path) -> Exports:
    """Read an output folder of ``eventstudy run``.

    Raises
    ------
    InputError
        Naming the first required file that is missing or unreadable.
    """
    folder = Path(folder)
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            raise InputError(str(folder / name), "missing: not an output folder of `eventstudy run`")
    frames, units = {}, {}
    names = [
        *REQUIRED_FILES[:3],
        *sorted(p.name for p in folder.glob("*.parquet") if p.name not in REQUIRED_FILES),
    ]
    for name in names:
        path = folder / name
        try:
            frames[name] = pd.read_parquet(path)
            units[name] = read_schema_units(pq.read_schema(path).metadata)
        except (OSError, ValueError) as exc:
            raise InputError(str(path), f"not a readable parquet file ({exc})") from None
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(str(folder / "manifest.json"), f"not readable JSON ({exc})") from None
    for name, columns in (
        ("events.parquet", ("event_id", "ticker", "role", "group", "announced", "deal_usd", "headline")),
        ("ar.parquet", ("event_id", "ticker", "role", "tau", "ar", "car", "car_se")),
        ("car.parquet", ("event_id", "ticker", "window", "car", "t", "abnormal_value_usd", "outcome")),
    ):
        missing = [c for c in columns if c not in frames[name].columns]
        if missing:
            raise InputError(str(folder / name), "column is missing (re-run the study)", field=missing[0])
    for key in ("config", "versions", "inputs"):
        if key not in manifest:
            raise InputError(str(folder / "manifest.json"), "key is missing", field=key)
    return Exports(
        folder=folder,
        events=frames.pop("events.parquet"),
        ar=frames.pop("ar.parquet"),
        car=frames.pop("car.parquet"),
        manifest=manifest,
        extra=frames,
        units=units,
    )


# --------------------------------------------------------------------------------------------
# The report's content model, shared by the markdown and the HTML renderers.


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and, for numbers, the value a reader's sort uses.

    ``numeric`` cells sort by ``sort`` (missing values last); other cells by their text.
    """

    text: str
    sort: float | None = None
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """A table; ``align`` has one ``l`` or ``r`` per column."""

    key: str
    columns: tuple[str, ...]
    align: str
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    collapsed: bool = False


@dataclass(frozen=True)
class FigureFile:
    """A figure: ``name`` is its path relative to the output folder (``figures/x.png``).

    ``owned`` is False for a figure another command wrote (the backtest's equity curve): the
    report embeds it but never rewrites it.
    """

    name: str
    title: str
    caption: str
    png: bytes
    owned: bool = True


@dataclass(frozen=True)
class Section:
    """A report section: paragraphs, then figures, tables and bullet points."""

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[FigureFile, ...] = ()
    tables: tuple[Table, ...] = ()
    bullets: tuple[str, ...] = ()
    markdown: str = ""  # a pre-rendered markdown block (the backtest's section), shown last


@dataclass(frozen=True)
class Report:
    """Everything the report shows.

    Attributes
    ----------
    title
        The report's title.
    summary
        Headline sentences shown first.
    sections
        The sections in order.
    """

    title: str
    summary: tuple[str, ...]
    sections: tuple[Section, ...]

    def figures(self) -> dict[str, bytes]:
        """Figure path (relative to the output folder) -> PNG bytes, in report order."""
        return {f.name: f.png for s in self.sections for f in s.figures}

    def to_markdown(self) -> str:
        """``report.md``."""
        return render_markdown(self)

    def to_html(self) -> str:
        """``report.html`` (self-contained)."""
        from eventstudy.report.html import render_html

        return render_html(self)


def _num(value: Any) -> float | None:
    return None if fmt.is_missing(value) else float(value)


def _c(text: str, *sort: Any) -> Cell:
    """A text cell, or with a sort value a numeric cell."""
    if not sort:
        return Cell(text)
    return Cell(text, _num(sort[0]), numeric=True)


def report_windows(labels: Sequence[str]) -> tuple[str | None, str]:
    """The report's day-0 window (or None) and its main window, from the study's window labels.

    Parameters
    ----------
    labels
        The configured event windows' labels in configuration order (``"[-1,+1]"``, ...).

    Returns
    -------
    day0, main
        ``day0`` is :data:`DAY0_WINDOW` (``[0,0]``) when it is configured, else None: the report
        then has no day-0 columns (a day-0 dollar value needs the window). ``main`` is
        :data:`MAIN_WINDOW` (``[-1,+1]``, the conventional three-day announcement window) when
        it is configured, else the first configured window other than ``[0,0]``, else ``[0,0]``
        (the only window). When both are ``[0,0]`` the report shows that window once.
    """
    labels = list(dict.fromkeys(labels))
    if not labels:
        raise ValueError("a study has at least one event window")
    day0 = DAY0_WINDOW if DAY0_WINDOW in labels else None
    if MAIN_WINDOW in labels:
        return day0, MAIN_WINDOW
    others = [label for label in labels if label != DAY0_WINDOW]
    return day0, (others[0] if others else DAY0_WINDOW)


def _study_windows(car: pd.DataFrame, manifest: Mapping[str, Any]) -> tuple[str | None, str]:
    """:func:`report_windows` of the configured windows (the manifest's order), else car.parquet's."""
    configured = manifest.get("config", {}).get("event_windows") or []
    labels = [window_label((int(a), int(b))) for a, b in configured]
    present = list(dict.fromkeys(car["window"].astype(str)))
    labels = [label for label in labels if label in present] + [w for w in present if w not in labels]
    return report_windows(labels or [window_label((int(a), int(b))) for a, b in configured])


def _n_params(manifest: Mapping[str, Any]) -> int:
    estimation = manifest.get("estimation", {})
    if "n_params" in estimation:
        return int(estimation["n_params"])
    model = manifest["config"].get("model", "market")
    if model not in _MODEL_PARAMS:
        raise InputError("manifest.json", "no estimation.n_params for this model (re-run the study)")
    return _MODEL_PARAMS[model]


def _known(values: pd.Series) -> pd.Series:
    """The finite values of a numeric column."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers[np.isfinite(numbers.to_numpy())]


def build_report(exports: Exports) -> Report:
    """The report of one output folder."""
    events, ar, car, manifest = exports.events, exports.ar, exports.car, exports.manifest
    config = manifest["config"]
    day0, main = _study_windows(car, manifest)
    is_peer = car["role"] == PEER_ROLE
    parties = car[~is_peer]
    n_peers = int(events.loc[events["role"] == PEER_ROLE, "ticker"].nunique())
    model = manifest.get("model", {}).get("description", config.get("model", "?"))
    title = f"Event study: {fmt.plain(config['name'])}"
    summary = [
        f"{events['event_id'].nunique()} announcements, "
        f"{int((events['role'] != PEER_ROLE).sum())} (event, party) rows"
        + (
            f" and {int((events['role'] == PEER_ROLE).sum())} (event, peer) rows over {n_peers} peers"
            if n_peers
            else ""
        )
        + f". Expected returns: {fmt.md(model)}. Dollars are US dollars; returns are simple returns; "
        "t statistics are Student-t.",
    ]
    loop = money_loop(car, main)
    if loop is not None and not fmt.is_missing(loop.deal_usd) and not fmt.is_missing(loop.value_usd):
        summary.append(
            f"The OpenAI compute loop: {fmt.money(loop.deal_usd, signed=False)} of disclosed deals moved "
            f"the market value of the listed parties on its edges by {fmt.money(loop.value_usd)} over {main}."
        )
    main_rows = parties[parties["window"] == main]
    values = _known(main_rows["abnormal_value_usd"])
    if len(values):
        summary.append(
            f"All parties together: {fmt.money(values.sum())} of abnormal market value over {main} "
            f"({len(values)} (event, party) rows with a market value)."
        )
    else:
        summary.append(f"No (event, party) row has an abnormal dollar value over {main}: {_NO_VALUE_REASON}")

    # Per-event figures and the calendar show at most MAX_EVENTS_SHOWN events (the largest by
    # absolute dollar value); long tables are cut at MAX_TABLE_ROWS rows. The exports hold all.
    shown = _events_shown(parties, main)
    if len(shown) < events["event_id"].nunique():
        summary.append(
            f"This is a large study: per-event figures and the calendar show the {len(shown)} events with "
            f"the largest absolute abnormal dollar value over {main}, and tables at most "
            f"{MAX_TABLE_ROWS:,} rows; the parquet exports hold everything."
        )
    events_shown = events[events["event_id"].isin(shown)]
    ar_shown, car_shown = ar[ar["event_id"].isin(shown)], car[car["event_id"].isin(shown)]
    sections = [
        _calendar_section(events_shown, car_shown),
        _by_party_section(parties, day0, main),
        _value_section(parties, day0, main),
    ]
    if loop is not None:
        sections.append(_loop_section(loop))
    sections.append(_paths_section(events_shown, ar_shown, car_shown, manifest))
    sections.append(_caar_section(events, ar))
    sections.append(_heatmap_section(ar_shown, car_shown, day0, main))
    if _has_battery(exports):
        sections.append(_stats_section(exports.extra["stats.parquet"], day0, main))
    sections += _extra_sections(exports)
    sections.append(_windows_section(parties))
    notes = _notes_section(parties)
    if notes is not None:
        sections.append(notes)
    sections.append(_methods_section(manifest, day0, main))
    sections.append(_reproducibility_section(exports))
    return Report(title, tuple(summary), tuple(_cut(section) for section in sections))


_NO_VALUE_REASON = (
    "a market value needs a share count dated on or before the session before the window and an "
    "estimated abnormal return (see each row's outcome and note)."
)


def _events_shown(parties: pd.DataFrame, main: str) -> list[str]:
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
        bullets = (
            *bullets[:MAX_TABLE_ROWS],
            f"… and {len(bullets) - MAX_TABLE_ROWS:,} more (car.parquet note)",
        )
    return dataclasses.replace(section, tables=tuple(tables), bullets=bullets)


def _calendar_section(events: pd.DataFrame, car: pd.DataFrame) -> Section:
    first = car.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])
    rows = []
    for event_id, group in events.groupby("event_id", sort=False):
        listed = group[group["role"] != PEER_ROLE]
        head = group.iloc[0]
        key = (event_id, head["ticker"])
        d0 = first.loc[key, "day0"] if key in first.index else pd.NaT
        shift = first.loc[key, "day0_shift"] if key in first.index else ""
        day0 = fmt.date(d0) + (f" ({shift})" if isinstance(shift, str) and shift else "")
        parties = ", ".join(f"{r.ticker} ({r.role})" for r in listed.itertuples())
        rows.append(
            (
                _c(str(event_id)),
                _c(fmt.date(head["announced"]), pd.Timestamp(head["announced"]).value),
                _c(str(head["timing"])),
                _c(day0, None if fmt.is_missing(d0) else pd.Timestamp(d0).value),
                _c(parties),
                _c(
                    "undisclosed"
                    if fmt.is_missing(head["deal_usd"])
                    else fmt.money(head["deal_usd"], signed=False),
                    head["deal_usd"],
                ),
                _c(str(head["group"])),
                _c(fmt.plain(head["headline"])),
            )
        )
    table = Table(
        "calendar",
        ("event", "announced", "timing", "day 0", "parties", "deal", "group", "headline"),
        "llllllll",
        tuple(rows),
    )
    return Section("calendar", "Calendar", tables=(table,))


def _pair_frame(car: pd.DataFrame, day0: str | None, main: str) -> pd.DataFrame:
    """One row per (event, party) of ``car``: the ``main`` window's columns and, when the study
    has a separate day-0 window, that window's ``car``, ``t``, ``abnormal_value_usd`` and
    ``value_to_deal`` with the suffix ``_0``."""
    around = car[car["window"] == main].drop_duplicates(["event_id", "ticker"])
    if day0 is None or day0 == main:
        return around.reset_index(drop=True)
    zero = car[car["window"] == day0].drop_duplicates(["event_id", "ticker"])
    columns = ["car", "t", "abnormal_value_usd", "value_to_deal"]
    zero = zero.set_index(["event_id", "ticker"])[columns].add_suffix("_0")
    return around.join(zero, on=["event_id", "ticker"]).reset_index(drop=True)


@dataclass(frozen=True)
class _Column:
    """A column of a per-(event, party) table: header, alignment and the cell of a row."""

    header: str
    align: str
    cell: Callable[[Any], Cell]


def _text_column(header: str, name: str) -> _Column:
    return _Column(header, "l", lambda r: _c(fmt.plain(getattr(r, name))))


def _number_column(header: str, name: str, formatter: Callable[[Any], str]) -> _Column:
    return _Column(header, "r", lambda r: _c(formatter(getattr(r, name)), getattr(r, name)))


def _return_columns(day0: str | None, main: str) -> list[_Column]:
    """AR(0) and its t (when the study has a separate day-0 window), then the main window's CAR, t, p."""
    columns = []
    if day0 is not None and day0 != main:
        columns += [_number_column("AR(0) %", "car_0", fmt.percent), _number_column("t", "t_0", fmt.tstat)]
    return [
        *columns,
        _number_column(f"CAR{main} %", "car", fmt.percent),
        _number_column("t", "t", fmt.tstat),
        _number_column("p", "p", fmt.probability),
    ]


def _value_columns(day0: str | None, main: str) -> list[_Column]:
    """The abnormal dollar value over the day-0 window (when separate) and the main window."""
    columns = []
    if day0 is not None and day0 != main:
        columns.append(_number_column(f"value {day0} $", "abnormal_value_usd_0", fmt.money))
    return [*columns, _number_column(f"value {main} $", "abnormal_value_usd", fmt.money)]


def _pair_table(key: str, frame: pd.DataFrame, columns: Sequence[_Column], **options: Any) -> Table:
    rows = tuple(tuple(c.cell(r) for c in columns) for r in frame.itertuples(index=False))
    return Table(
        key,
        tuple(c.header for c in columns),
        "".join(c.align for c in columns),
        rows,
        **options,
    )


def _windows_note(day0: str | None, main: str) -> str:
    """The sentence saying which windows a per-(event, party) table shows and why."""
    if day0 is None:
        return (
            f"No {DAY0_WINDOW} window is configured, so there are no day-0 columns (add [0, 0] to "
            "event_windows for them)."
        )
    if day0 == main:
        return f"{DAY0_WINDOW} is the only configured window: CAR{main} is the day-0 abnormal return."
    return "AR(0) is the day-0 abnormal return."


def _missing_note(frame: pd.DataFrame, column: str, what: str) -> str:
    """A sentence when no row of ``frame`` has ``column`` (empty otherwise)."""
    if len(frame) and not len(_known(frame[column])):
        return f" No row has {what}: {_NO_VALUE_REASON}"
    return ""


def _by_party_section(parties: pd.DataFrame, day0: str | None, main: str) -> Section:
    joined = _pair_frame(parties, day0, main).sort_values(
        "abnormal_value_usd", ascending=False, na_position="last", kind="stable"
    )
    start = int(joined["tau_start"].iloc[0]) if len(joined) else 0
    columns = [
        _text_column("event", "event_id"),
        _text_column("ticker", "ticker"),
        _text_column("role", "role"),
        *_return_columns(day0, main),
        _Column(
            f"market value τ={start - 1:+d} $",
            "r",
            lambda r: _c(fmt.money(r.mcap_prev_usd, signed=False), r.mcap_prev_usd),
        ),
        *_value_columns(day0, main),
        _text_column("outcome", "outcome"),
    ]
    caption = (
        f"Sorted by the abnormal dollar value over {main}; click a column header to sort. "
        f"{_windows_note(day0, main)} t is Student-t with M-k degrees of freedom."
        + _missing_note(joined, "car", f"an estimated CAR over {main}")
        + _missing_note(joined, "abnormal_value_usd", f"an abnormal dollar value over {main}")
    )
    table = _pair_table("by-party", joined, columns, caption=caption)
    return Section("by-party", "Abnormal returns and dollar value, by party", tables=(table,))


def _value_section(parties: pd.DataFrame, day0: str | None, main: str) -> Section:
    title = "Value created per deal dollar"
    joined = _pair_frame(parties, day0, main)
    with_deal = joined[_finite(joined["deal_usd"]) & (joined["deal_usd"] > 0)].sort_values(
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
    columns = [_text_column("event", "event_id"), _text_column("ticker", "ticker")]
    columns.append(_number_column("deal $", "deal_usd", lambda v: fmt.money(v, signed=False)))
    if day0 is not None and day0 != main:
        columns += [
            _number_column(f"value {day0} $", "abnormal_value_usd_0", fmt.money),
            _number_column(f"per deal $ {day0}", "value_to_deal_0", fmt.ratio),
        ]
    columns += [
        _number_column(f"value {main} $", "abnormal_value_usd", fmt.money),
        _number_column(f"per deal $ {main}", "value_to_deal", fmt.ratio),
    ]
    table = _pair_table(
        "value-per-deal",
        with_deal,
        columns,
        caption="Abnormal dollar value divided by the disclosed deal size (dollars of market value per deal "
        "dollar). Undisclosed deals and ecosystem peers are not in this table.",
    )
    value = pd.to_numeric(with_deal["abnormal_value_usd"], errors="coerce").astype(float)
    plotted = np.isfinite(value.to_numpy()) & (value.to_numpy() != 0)
    points = with_deal[plotted]
    if points.empty:
        paragraph = (
            f"None of the {len(with_deal)} (event, party) rows with a disclosed deal has a non-zero "
            f"abnormal dollar value over {main}, so there is no value-vs-deal figure: {_NO_VALUE_REASON}"
        )
        return Section("value-per-deal", title, paragraphs=(paragraph,), tables=(table,))
    left_out = len(with_deal) - len(points)
    caption = (
        f"One point per (event, party) with a disclosed deal: |abnormal dollar value over {main}| against "
        "the deal size, both on log scales; filled green points gained value, hollow red points lost it. "
        "Grey lines mark value = 0.1×, 1× and 10× the deal."
        + (f" {left_out} row(s) without a (non-zero) dollar value are not plotted." if left_out else "")
    )
    figure = FigureFile(
        "figures/value_vs_deal.png",
        "Value created vs deal size",
        caption,
        _figures().value_vs_deal_figure(
            points[["event_id", "ticker", "deal_usd", "abnormal_value_usd"]].reset_index(drop=True), main
        ),
    )
    return Section("value-per-deal", title, figures=(figure,), tables=(table,))


def _finite(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return pd.Series(np.isfinite(numbers.to_numpy()), index=values.index)


def _loop_section(loop: MoneyLoop) -> Section:
    rows = []
    for flow in loop.flows:
        for ticker, value in flow.values:
            rows.append(
                (
                    _c(f"{flow.payer} → {flow.payee}"),
                    _c(flow.event_id),
                    _c(
                        "undisclosed"
                        if fmt.is_missing(flow.deal_usd)
                        else fmt.money(flow.deal_usd, signed=False),
                        flow.deal_usd,
                    ),
                    _c(ticker),
                    _c(fmt.money(value), value),
                )
            )
    table = Table(
        "money-loop",
        ("edge", "event", "deal $", "listed party", f"value {loop.window} $"),
        "llrlr",
        tuple(rows),
        caption="Each edge's deal and the abnormal dollar value of the listed parties on it.",
    )
    deals = (
        f"Deal dollars in the loop: {fmt.money(loop.deal_usd, signed=False)}"
        + (f" ({loop.undisclosed_deals} deal(s) undisclosed, not counted)" if loop.undisclosed_deals else "")
        if not fmt.is_missing(loop.deal_usd)
        else "Every deal in the loop is undisclosed, so there are no deal dollars to add up"
    )
    value = (
        f". Market value created on the edges over {loop.window}: {fmt.money(loop.value_usd)}"
        + (f" ({loop.missing_values} value(s) unavailable, not counted)" if loop.missing_values else "")
        if not fmt.is_missing(loop.value_usd)
        else f". No listed party on an edge has an abnormal dollar value over {loop.window}: "
        + _NO_VALUE_REASON.rstrip(".")
    )
    paragraphs = (
        deals
        + value
        + f"; other parties of these announcements (rivals, partners): {fmt.money(loop.other_value_usd)}.",
        "Arrows point from the payer to the payee. OpenAI is not listed, so its side of each deal has no "
        "market value; the Stargate pledge (a joint venture, not a payment between two parties) is not an "
        "edge.",
    )
    figure = FigureFile(
        "figures/money_loop.png",
        "The money loop",
        "Who pays whom in the OpenAI compute deals, each edge annotated with the deal dollars and the listed "
        "parties' abnormal dollar value.",
        _figures().money_loop_figure(loop),
    )
    return Section("money-loop", "The money loop", paragraphs=paragraphs, figures=(figure,), tables=(table,))


def _listing(names: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` (at most ``limit`` names, then how many more)."""
    shown = ", ".join(fmt.md(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def _paths_section(
    events: pd.DataFrame, ar: pd.DataFrame, car: pd.DataFrame, manifest: Mapping[str, Any]
) -> Section:
    n_params = _n_params(manifest)
    listed = ar[ar["role"] != PEER_ROLE]
    paths = car_paths(listed, car[car["role"] != PEER_ROLE], n_params)
    heads = events.drop_duplicates("event_id").set_index("event_id")
    first = car.drop_duplicates("event_id").set_index("event_id")
    figures = []
    event_ids = list(dict.fromkeys(paths["event_id"]))
    estimated = set(paths.loc[_finite(paths["car"]), "event_id"])
    without = [e for e in event_ids if e not in estimated]
    for event_id in progress([e for e in event_ids if e in estimated], desc="figures", unit="event"):
        d0 = first.loc[event_id, "day0"] if event_id in first.index else pd.NaT
        deal = heads.loc[event_id, "deal_usd"] if event_id in heads.index else np.nan
        headline = heads.loc[event_id, "headline"] if event_id in heads.index else ""
        title = f"{event_id}: day 0 {fmt.date(d0)}, deal " + (
            "undisclosed" if fmt.is_missing(deal) else fmt.money(deal, signed=False)
        )
        figures.append(
            FigureFile(
                f"figures/car_{event_id}.png",
                str(event_id),
                fmt.md(headline),
                _figures().car_path_figure(paths[paths["event_id"] == event_id], title),
            )
        )
    if len(ar):
        span = (int(ar["tau"].min()), int(ar["tau"].max()))
        paragraphs = [
            f"Cumulative abnormal return from τ={span[0]:+d} to each day τ ≤ {span[1]:+d} for every party, "
            "with a 95% band ±t(0.975, M-k)·s.e.(CAR), the prediction-error-corrected s.e. (ar.parquet "
            f"car_se), k = {n_params}."
        ]
    else:
        paragraphs = ["ar.parquet has no rows, so there are no CAR paths."]
    if without:
        paragraphs.append(
            f"No CAR path for {len(without):,} event(s) ({_listing(without)}): none of their parties has an "
            "estimated abnormal return (see each row's outcome)."
        )
    return Section("car-paths", "CAR paths by event", paragraphs=tuple(paragraphs), figures=tuple(figures))


def _caar_section(events: pd.DataFrame, ar: pd.DataFrame) -> Section:
    title = "Average CAR by group (CAAR)"
    groups = events.drop_duplicates(["event_id", "ticker"]).set_index(["event_id", "ticker"])["group"]
    joined = ar.join(groups, on=["event_id", "ticker"])
    caar = caar_paths(joined)
    listed_groups = list(dict.fromkeys(events.loc[events["role"] != PEER_ROLE, "group"]))
    missing = [g for g in listed_groups if g not in set(caar["group"])]
    if caar.empty:
        return Section(
            "caar",
            title,
            paragraphs=(
                "No listed party has an estimated CAR on any day of the event span (see each row's "
                "outcome), so there is no average CAR path.",
            ),
        )
    last, zero = int(caar["tau"].max()), 0
    rows = []
    for group, g in caar.groupby("group", sort=False):
        for tau in (zero, last) if zero != last else (last,):
            r = g[g["tau"] == tau]
            if r.empty:
                continue
            r = r.iloc[0]
            t = r.caar / r.se if not fmt.is_missing(r.se) and r.se > 0 else np.nan
            rows.append(
                (
                    _c(str(group)),
                    _c(f"{tau:+d}" if tau else "0", tau),
                    _c(fmt.count(r.n), r.n),
                    _c(fmt.percent(r.caar), r.caar),
                    _c(fmt.percent(r.se, signed=False), r.se),
                    _c(fmt.tstat(t), t),
                    _c(f"{fmt.percent(r.lower)} to {fmt.percent(r.upper)}", r.lower),
                )
            )
    start = int(caar["tau"].min())
    caption = (
        "N parties (ecosystem peers excluded); s.e. = cross-sectional standard deviation / √N; "
        "t with N-1 degrees of freedom; no band with fewer than two parties."
    )
    if missing:
        caption += (
            f" No estimated CAR in group(s) {_listing(missing)} (see each row's outcome), so they have no "
            "path."
        )
    table = Table(
        "caar",
        ("group", "τ", "N", f"CAAR from τ={start:+d} %", "s.e. %", "t", "95% band"),
        "llrrrrr",
        tuple(rows),
        caption=caption,
    )
    figure = FigureFile(
        "figures/caar_by_group.png",
        "CAAR by group",
        "Mean CAR across the group's parties with a 95% band from the cross-sectional standard error; "
        "parties of one announcement are not independent, so the band is descriptive.",
        _figures().caar_figure(caar),
    )
    return Section("caar", title, figures=(figure,), tables=(table,))


def _heatmap_section(ar: pd.DataFrame, car: pd.DataFrame, day0: str | None, main: str) -> Section:
    zero = ar[ar["tau"] == 0]
    n_peers = int((zero["role"] == PEER_ROLE).sum()) if len(zero) else int((car["role"] == PEER_ROLE).any())
    figures: tuple[FigureFile, ...] = ()
    if zero.empty:
        map_note = (
            "The event windows do not include day 0 (τ = 0), so there are no day-0 abnormal returns to map."
        )
    elif not _finite(zero["ar"]).any():
        map_note = (
            "No (event, ticker) has an estimated day-0 abnormal return (see each row's outcome), so there "
            "is no heat map."
        )
    else:
        map_note = ""
        order = list(dict.fromkeys(zero["event_id"]))
        present = list(dict.fromkeys(zero["ticker"]))
        tickers = [t for t in AI_BASKET if t in present] + [t for t in present if t not in AI_BASKET]
        matrix = zero.pivot_table(
            index="event_id", columns="ticker", values="ar", aggfunc="first", dropna=False
        )
        matrix = matrix.reindex(index=order, columns=tickers)
        listed = zero.assign(party=zero["role"] != PEER_ROLE).pivot_table(
            index="event_id", columns="ticker", values="party", aggfunc="first"
        )
        listed = listed.reindex(index=order, columns=tickers).astype("boolean").fillna(False).astype(bool)
        figures = (
            FigureFile(
                "figures/peers_day0_heatmap.png",
                "Day-0 abnormal returns, events × tickers",
                "Outlined cells are the announcement's parties; the others are ecosystem peers (role peer). "
                "Colours are capped at ±10%; grey cells could not be estimated.",
                _figures().heatmap_figure(matrix, listed),
            ),
        )
    peers = car[car["role"] == PEER_ROLE]
    pairs = _pair_frame(peers, day0, main)
    columns = [
        _text_column("event", "event_id"),
        _text_column("peer", "ticker"),
        *_return_columns(day0, main),
        _number_column(f"value {main} $", "abnormal_value_usd", fmt.money),
        _text_column("outcome", "outcome"),
    ]
    paragraphs = [
        (
            f"Every announcement is also measured on the peers of the basket that are not its parties "
            f"({len(pairs)} (event, peer) rows). A peer's move is spillover: the market repricing the "
            "ecosystem, or news that reached it the same day."
        )
        if n_peers or len(pairs)
        else "No ecosystem peers in this study (run with --peers to add them); the map shows the parties."
    ]
    if map_note:
        paragraphs.append(map_note)
    tables = ()
    if len(pairs):
        tables = (
            _pair_table(
                "peers",
                pairs,
                columns,
                caption=f"Ecosystem peers: never in a value-per-deal table. {_windows_note(day0, main)}",
                collapsed=True,
            ),
        )
    return Section(
        "spillover", "Ecosystem spillover", paragraphs=tuple(paragraphs), figures=figures, tables=tables
    )


def _extra_sections(exports: Exports) -> list[Section]:
    sections = []
    shown_apart = (*BACKTEST_FILES, "stats.parquet") if _has_battery(exports) else BACKTEST_FILES
    names = [n for n in exports.extra if n not in shown_apart]
    for name in names:
        frame = exports.extra[name]
        units = exports.units.get(name, {})
        shown = frame.head(EXTRA_ROWS_SHOWN)
        numeric = [
            pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
            for c in frame.columns
        ]
        rows = tuple(
            tuple(
                _c(fmt.by_unit(v, units.get(c, "")), v) if is_number else _c(fmt.by_unit(v, units.get(c, "")))
                for c, v, is_number in zip(shown.columns, row, numeric, strict=True)
            )
            for row in shown.itertuples(index=False)
        )
        align = "".join("r" if n else "l" for n in numeric)
        title = f"Table {name}"
        if frame.empty:
            sections.append(Section(f"extra-{name}", title, paragraphs=(f"{fmt.md(name)} has no rows.",)))
            continue
        caption = f"{fmt.md(name)}, {len(frame)} rows" + (
            f" (first {EXTRA_ROWS_SHOWN} shown)" if len(frame) > EXTRA_ROWS_SHOWN else ""
        )
        table = Table(
            name.removesuffix(".parquet"),
            tuple(str(c) for c in frame.columns),
            align,
            rows,
            caption=caption,
            collapsed=len(frame) > EXTRA_ROWS_OPEN,
        )
        sections.append(Section(f"extra-{name}", title, tables=(table,)))
    if all(n in exports.extra for n in BACKTEST_FILES):
        from eventstudy.backtest.report import render_backtest_markdown

        figures = []
        equity = exports.folder / FIGURES_DIR / "equity_curve.png"
        if equity.is_file():
            figures.append(
                FigureFile("figures/equity_curve.png", "Equity curves", "", equity.read_bytes(), owned=False)
            )
        block = render_backtest_markdown(exports.folder)
        sections.append(Section("backtest", "Backtest", figures=tuple(figures), markdown=block))
    return sections


def _has_battery(exports: Exports) -> bool:
    """True when the folder's ``stats.parquet`` is the inference battery's table."""
    frame = exports.extra.get("stats.parquet")
    return frame is not None and set(STATS_COLUMNS) <= set(frame.columns)


def _stat_text(statistic: str, value: Any) -> str:
    """A statistic of ``stats.parquet`` in its unit."""
    if statistic == "caar":
        return fmt.percent(value)
    if statistic.startswith(("dollar_abnormal", "total_")):
        return fmt.money(value)
    if statistic in ("value_per_deal_dollar", "kp_average_correlation"):
        return fmt.ratio(value)
    return fmt.tstat(value)


def _stats_section(stats: pd.DataFrame, day0: str | None, main: str) -> Section:
    """Cross-event tests per group over day 0 and the main window (``stats.parquet``)."""
    title = "Cross-event tests"
    windows = [w for w in dict.fromkeys((day0, main)) if w is not None]
    rows_of = stats[stats["window"].isin(windows)]
    if rows_of.empty:
        return Section(
            "stats",
            title,
            paragraphs=(
                f"stats.parquet has no statistic over {' or '.join(windows)} (the battery needs at least one "
                "(event, party) with an estimated abnormal return).",
            ),
        )
    found: dict[tuple[str, str, str], Any] = {}
    for row in rows_of.itertuples(index=False):
        found.setdefault((str(row.group), str(row.statistic), str(row.window)), row)
    keys = list(
        dict.fromkeys((str(g), str(s)) for g, s in zip(rows_of["group"], rows_of["statistic"], strict=True))
    )
    rows = []
    for group, statistic in keys:
        cells = [_c(group), _c(statistic)]
        first = next(found[(group, statistic, w)] for w in windows if (group, statistic, w) in found)
        for window in windows:
            row = found.get((group, statistic, window))
            value, p = (row.value, row.p) if row is not None else (np.nan, np.nan)
            cells += [_c(_stat_text(statistic, value), value), _c(fmt.probability(p), p)]
        cells += [_c(fmt.count(first.n), first.n), _c(fmt.plain(first.reference))]
        rows.append(tuple(cells))
    columns = ["group", "statistic"]
    for window in windows:
        columns += [f"{window}", "p"]
    table = Table(
        "stats",
        (*columns, f"n {windows[0]}", "reference"),
        "ll" + "rr" * len(windows) + "rl",
        tuple(rows),
        caption="Every statistic of the battery per group (stats.parquet has all windows); p two-sided.",
        collapsed=True,
    )
    paragraphs = (
        "Groups are the events file's groups, `all` (every listed party) and `peers`. Parties of one "
        "announcement share its day, so tests that assume independent abnormal returns (cross-sectional "
        "t, Patell, BMP, sign, Wilcoxon) over-state significance here; the Kolari–Pynnönen adjusted "
        "statistics and the crude-dependence t account for the cross-correlation.",
    )
    return Section("stats", title, paragraphs=paragraphs, tables=(table,))


def _windows_section(parties: pd.DataFrame) -> Section:
    rows = tuple(
        (
            _c(fmt.plain(r.event_id)),
            _c(fmt.plain(r.ticker)),
            _c(fmt.plain(r.window)),
            _c(fmt.percent(r.car), r.car),
            _c(fmt.percent(r.car_se, signed=False), r.car_se),
            _c(fmt.tstat(r.t), r.t),
            _c(fmt.probability(r.p), r.p),
            _c(fmt.money(r.abnormal_value_usd), r.abnormal_value_usd),
            _c(fmt.plain(r.outcome)),
        )
        for r in parties.itertuples()
    )
    table = Table(
        "every-window",
        ("event", "ticker", "window", "CAR %", "s.e. %", "t", "p", "value $", "outcome"),
        "lllrrrrrl",
        rows,
        collapsed=True,
    )
    return Section("every-window", "Every window", tables=(table,))


def _notes_section(parties: pd.DataFrame) -> Section | None:
    notes = parties.loc[parties["note"].fillna("") != "", ["event_id", "ticker", "note", "outcome"]]
    notes = notes.drop_duplicates(["event_id", "ticker", "note"])
    if notes.empty:
        return None
    return Section(
        "notes",
        "Notes",
        bullets=tuple(fmt.md(f"{r.event_id} {r.ticker} ({r.outcome}): {r.note}") for r in notes.itertuples()),
    )


def _methods_section(manifest: Mapping[str, Any], day0: str | None, main: str) -> Section:
    config = manifest["config"]
    est = config["estimation_window"]
    windows = ", ".join(window_label((int(a), int(b))) for a, b in config["event_windows"])
    prices = manifest["inputs"]["prices"]
    sources = sorted({str(p.get("provenance", {}).get("source", "?")) for p in prices.values()})
    model = manifest.get("model", {}).get("description", config["model"])
    day0_text = (
        f"day-0 columns from the {day0} window"
        if day0 is not None and day0 != main
        else "no separate day-0 columns (no [0,0] window is configured)"
        if day0 is None
        else "[0,0] is the only window"
    )
    bullets = (
        "Returns: simple daily returns of Yahoo Adj Close (split- and dividend-adjusted) between consecutive "
        "sessions of the market proxy's calendar; a missing price gives a missing return, never a multi-day "
        "return.",
        f"Market proxy and calendar: {fmt.md(config['market'])}; its trading dates define trading days.",
        "Day 0: the announcement date when it is a trading day and timing is pre-market, intraday or "
        "unknown; otherwise (after the close, weekend, holiday) the next session. Every shift is in "
        "day0_shift.",
        f"Model: {fmt.md(model)}, estimated by OLS over τ ∈ [{est[0]}, {est[1]}] ({est[1] - est[0] + 1} "
        f"trading days) relative to day 0; at least {config['min_estimation_obs']} valid returns are "
        "required, otherwise the row is reported as insufficient_estimation.",
        f"Windows: CAR over {windows}; CAR = Σ AR.",
        f"Report windows: the main window is {main} and there are {day0_text}. Rule: the main window is "
        "[-1,+1] when configured, else the first configured window other than [0,0], else [0,0]; day-0 "
        "columns come from a configured [0,0] window.",
        "Inference: Var(CAR) = σ²(L + s'(X'X)⁻¹s), the prediction-error-corrected variance of Campbell, Lo & "
        "MacKinlay (1997, ch. 4) with σ² = SSR/(M-k); t = CAR/s.e., Student-t with M-k degrees of freedom, "
        "two-sided p.",
        "CAR paths: CAR from the first day of the event span to τ with the band ±t(0.975, M-k)·s.e., the "
        "same variance over [span start, τ] (ar.parquet car_se).",
        "CAAR: the mean of the group's CARs at each τ; band ±t(0.975, N-1)·s/√N with s the cross-sectional "
        "standard deviation of the CARs (the ordinary cross-sectional test: Brown & Warner 1980, 1985; "
        "Boehmer, Musumeci & Poulsen 1991). It assumes independent CARs; parties of one announcement share "
        "the day (Kolari & Pynnönen 2010), so the band is descriptive.",
        "Market value: Close on τ-1 × the latest shares-outstanding figure with as-of date on or before τ-1. "
        "Abnormal dollar value = Σ_τ AR_τ × MarketCap_{τ-1}; value per deal dollar = that value ÷ deal size. "
        "Missing shares or undisclosed deals leave these empty with a note; nothing is imputed.",
        "Money loop: deal dollars = the sum of the disclosed deals on the loop's edges, each announcement "
        "once; "
        f"market value created = the sum of the listed parties' abnormal dollar values over {main}.",
        "Ecosystem peers (role peer): tickers of the peer basket that are not parties of an announcement, "
        "estimated exactly like parties; they have no deal and never enter a value-per-deal table.",
        f"Data: price sources {fmt.md(', '.join(sources))}; every input's hash is in manifest.json.",
        "Software: " + fmt.md(", ".join(f"{k} {v}" for k, v in sorted(manifest["versions"].items()))) + ".",
    )
    return Section("methods", "Methods", bullets=bullets)


def _reproducibility_section(exports: Exports) -> Section:
    manifest = exports.manifest
    command = manifest.get("command")
    commit = manifest.get("git_commit")
    dirty = manifest.get("git_dirty")
    events = manifest["inputs"].get("events", {})
    peers = manifest.get("peers", [])
    bullets = [
        "Command: " + fmt.md(" ".join(map(str, command)) if isinstance(command, list) else command),
        "Project commit: "
        + (
            fmt.md(commit) + (" with uncommitted changes" if dirty else "")
            if commit
            else "not a git checkout"
        ),
        f"Events file: {fmt.md(events.get('path', '?'))} (SHA-256 {fmt.md(events.get('sha256', '?'))})",
        f"Peers: {fmt.md(', '.join(map(str, peers))) or 'none'}",
        "Re-run and compare: eventstudy verify DIR (DIR = this folder; exit 0 when identical)",
    ]
    engine = manifest.get("engine")
    if isinstance(engine, dict):  # a study run on Dask (eventstudy.distributed)
        bullets.insert(
            1,
            f"Engine: {fmt.md(str(engine.get('name')))}, pairs partitioned by ticker (at most "
            f"{fmt.md(str(engine.get('rows_per_partition')))} a partition); statistics from sums merged in "
            "a fixed order, equal to an in-memory run's to about 1e-15 (verify re-runs it partitioned)",
        )
    return Section(
        "reproducibility",
        "Reproducibility",
        paragraphs=("Every input's hash, the configuration and the package versions are in manifest.json.",),
        bullets=tuple(bullets),
    )


def _figures():
    from eventstudy.report import figures

    return figures


# --------------------------------------------------------------------------------------------
# Markdown


def _md_table(table: Table) -> list[str]:
    marks = {"l": "---", "r": "---:"}
    lines = [
        "| " + " | ".join(fmt.md(c) for c in table.columns) + " |",
        "|" + "|".join(marks[a] for a in table.align) + "|",
    ]
    lines += ["| " + " | ".join(fmt.md(c.text) for c in row) + " |" for row in table.rows]
    return lines


def _md_alt(text: str) -> str:
    """Plain text as an image's alt text (brackets escaped too)."""
    return fmt.md(text).replace("[", "\\[").replace("]", "\\]")


def render_markdown(report: Report) -> str:
    """``report.md``: the same content as the HTML, figures linked from ``figures/``.

    Plain text (titles, table cells) is escaped with :func:`eventstudy.report.fmt.md`; paragraphs,
    bullets and captions are already markdown (their user text was escaped when the report was
    built).
    """
    lines = [f"# {fmt.md(report.title)}", "", *[f"{s}\n" for s in report.summary]]
    for section in report.sections:
        if section.markdown:  # a pre-rendered block links its own figures
            lines += [section.markdown.rstrip("\n"), ""]
            continue
        lines += [f"## {fmt.md(section.title)}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        for figure in section.figures:
            lines += [f"![{_md_alt(figure.title)}]({figure.name})", ""]
            if figure.caption:
                lines += [f"*{figure.caption}*", ""]
        for table in section.tables:
            if table.caption:
                lines += [table.caption, ""]
            if table.collapsed:
                lines += [f"<details><summary>{len(table.rows)} rows</summary>", ""]
            lines += [*_md_table(table), ""]
            if table.collapsed:
                lines += ["</details>", ""]
        lines += [f"- {b}" for b in section.bullets]
        if section.bullets:
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------
# Writing


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_report(folder: str | Path, report: Report) -> list[Path]:
    """Write ``figures/*.png``, ``report.md`` and ``report.html`` into ``folder``.

    Everything is rendered in memory first; each file is then written to a temporary name in
    its folder and renamed into place (``figures/`` exists afterwards even when a study with
    nothing estimated has no figure), so a failure leaves the previous files (never a
    partial one). Other files in ``figures/`` (e.g. the backtest's) are left alone.

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    (folder / FIGURES_DIR).mkdir(exist_ok=True)  # an output even when no figure could be drawn
    payload = {f.name: f.png for s in report.sections for f in s.figures if f.owned}
    payload["report.md"] = render_markdown(report).encode("utf-8")
    payload["report.html"] = report.to_html().encode("utf-8")
    written = []
    for name, data in payload.items():
        path = folder / name
        _write_bytes_atomic(path, data)
        written.append(path)
    return written


def render_report(folder: str | Path) -> Report:
    """Read ``folder``'s exports, build the report and write it there (``eventstudy report``)."""
    report = build_report(read_exports(folder))
    write_report(folder, report)
    return report


def count_outcomes(car: pd.DataFrame) -> dict[str, int]:
    """Rows per outcome over all windows (for logs)."""
    values, counts = np.unique(car["outcome"].to_numpy(str), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def figure_names(report: Report) -> Sequence[str]:
    """The figure paths of ``report`` (relative to the output folder)."""
    return list(report.figures())

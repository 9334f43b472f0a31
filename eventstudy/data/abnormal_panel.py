"""Pre-computed abnormal returns: reading a user's AR (or CAR) panel and its estimation residuals.

``eventstudy infer --ar FILE --units decimal|percent`` (and :func:`eventstudy.infer`) run the
cross-event statistics on abnormal returns computed elsewhere -- by another package, another
model, or this one (``ar.parquet`` of a run is such a file). The file is CSV or parquet
(:mod:`eventstudy.data.tabular`); its layout is chosen by its header (names compared ignoring
case), never by its values:

============  ==========================================================================
layout        header
============  ==========================================================================
``ar``        ``id, tau, ar`` and optionally ``event_id``, ``date``, ``group``, ``role``:
              one row per (pair, τ), daily or monthly (τ counts the panel's periods).
              ``ticker`` or ``permno`` may name the id column (one of the three). A pair is (event_id, id), or
              id alone. Rows of ``role`` ``peer`` (a run's ``ar.parquet`` marks its peers so)
              form the group ``peers`` and stay out of the others and ``all``, as in a study.
``wide``      ``tau`` and one column per pair (the R package eventstudies' output: rows are
              event time, columns firms)
``car``       ``id, car`` (no ``ar``) and optionally ``event_id``, ``group``, ``role``, and
              ``window`` or ``tau_start, tau_end``: one CAR per (pair, window)
============  ==========================================================================

An estimation panel (``--estimation FILE``: the pairs' estimation-window residuals, layouts
``ar`` or ``wide``) may come with an AR panel; with it, the statistics that need
:math:`\\hat\\sigma_i` or estimation-window ranks and signs can be computed, given the number
of parameters k of the model that produced the residuals (``--n-params``,
:math:`\\hat\\sigma_i^2 = SSR_i/(M_i - k)`). Its pairs must be the AR panel's.

Units are declared (``decimal`` or ``percent``), never guessed. Refused, with one line naming
file, row and field: undeclared units; an id that is not an identifier
(:mod:`eventstudy.symbols`) or is a number with a fraction (``tau,ID,AR``: a wide panel's
ARs), or two that differ only in case, or a ``permno`` that is not a
positive whole number below 10**15 (PERMNOs are read as their digits, as the returns import
reads them: ``10107.0`` is ``10107``); a repeated (pair, τ); a τ that is
not a whole number; a value that is not a finite number, or one beyond ±:data:`MAX_ABNORMAL`
(±10,000%: no abnormal return or CAR is that large, while ``1e308`` would overflow every sum
of squares); a date that is not one, or one pair whose τ and dates disagree in order; a CAR
panel given an estimation panel; a wide panel with no pair column. Values that suggest other
units than those declared (:func:`unit_doubts`: a median |AR| above 25% a period, or below 0.05%
declared in percent, residuals 10 times larger or smaller than the ARs) are not refused, since
real panels can look so; the summary asks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.config import window_days, window_label
from eventstudy.data.returns_import import check_units, identifiers
from eventstudy.data.tabular import (
    PARQUET_SUFFIXES,
    TextTable,
    calendar_date_text,
    check_header,
    float_text,
    parse_dates,
    parse_numbers,
    read_text_table,
)
from eventstudy.errors import InputError, as_path
from eventstudy.peers import PEER_ROLE
from eventstudy.symbols import collision_message, identity_key, symbol_problem

ID_COLUMNS: tuple[str, ...] = ("id", "ticker", "permno")
"""Names of the id column of a long panel, in order of preference."""
LONG_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, "event_id", "date", "group", "role")
"""The columns of a long panel beside its values, none of which names a wide panel's pair: a header
with tau and one of them but no ar or car is a long panel whose values are misnamed (read wide, its
event ids were a pair's abnormal returns)."""
_READ_BESIDE_ID: dict[str, tuple[str, ...]] = {
    "ar": ("tau", "ar", "date", "event_id", "group", "role"),
    "car": ("car", "event_id", "group", "role", "window", "tau_start", "tau_end"),
}
"""The columns a long panel's layout reads beside its id column (:data:`ID_COLUMNS`)."""
_EVENT_ID_CHARS = r"[A-Za-z0-9._-]+"
MAX_ABNORMAL = 100.0
"""Largest |AR|, |CAR| or residual accepted, in decimal units (±10,000%). A daily return above
+9,900% is absurd (the bound of imported returns), so is an abnormal return of that size; a larger
value is a data or unit error."""


@dataclass(frozen=True)
class AbnormalPanelFile:
    """A panel file as read: one row per (pair, τ) or (pair, window), values in decimal units.

    Attributes
    ----------
    path
        The file (or ``"frame"`` for a frame handed in).
    layout
        ``ar``, ``wide`` or ``car``.
    frame
        ``event_id, id, group, tau, date, value`` (AR layouts: one row per pair and τ) or
        ``event_id, id, group, window, tau_start, tau_end, value`` (CAR layout).
    ignored
        Columns not read.
    rows
        The file's row number (header = 1) of each row of ``frame`` (None: not known).
    spelled
        How the file spells the columns it was read from (``{"id": "PERMNO", "tau": "TAU"}``);
        a wide panel's ids are its column names.
    """

    path: str
    layout: str
    frame: pd.DataFrame
    ignored: tuple[str, ...] = field(default=())
    rows: np.ndarray | None = None
    spelled: dict[str, str] = field(default_factory=dict)

    def cell(self, position: int, column: str) -> tuple[int | None, str]:
        """The row and field of the file where ``frame``'s row ``position`` has its ``column``
        (``id`` or ``tau``): for a wide panel's id, its pair's column (row 1)."""
        if column == "id" and self.layout == "wide":
            return 1, str(self.frame["id"].iloc[position])
        row = None if self.rows is None else int(self.rows[position])
        return row, self.spelled.get(column, column)

    @property
    def has_dates(self) -> bool:
        return "date" in self.frame and bool(self.frame["date"].notna().any())

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "layout": self.layout,
            "rows": len(self.frame),
            "ignored": list(self.ignored),
        }


def read_abnormal_panel(
    source: str | Path | pd.DataFrame, *, units: str | None, estimation: bool = False
) -> AbnormalPanelFile:
    """Read and check an AR or CAR panel (or, with ``estimation``, an estimation panel).

    Parameters
    ----------
    source
        A CSV or parquet file, or a frame with the same columns.
    units
        ``decimal`` or ``percent`` (required).
    estimation
        Read an estimation panel (layouts ``ar`` and ``wide`` only).

    Raises
    ------
    InputError
        For the first problem, naming file, row and field.
    """
    if not isinstance(source, pd.DataFrame):
        source = as_path(source, "estimation" if estimation else "ar", " (a file) or a DataFrame")
    where = frame_name(estimation) if isinstance(source, pd.DataFrame) else str(source)
    divisor = check_units(units, where)
    table = _frame_table(source, where) if isinstance(source, pd.DataFrame) else read_text_table(source)
    if not isinstance(source, pd.DataFrame):
        _check_recorded_units(source, str(units), table)
    if table.has("ar"):
        return _long_ar(table, where, divisor)
    if table.has("car"):
        if estimation:
            raise InputError(
                where, "an estimation panel holds residuals (an ar column), not CARs", row=1, field="car"
            )
        return _long_car(table, where, divisor)
    long = [table.spelled(name) for name in LONG_COLUMNS if table.has(name)]
    if table.has("tau") and long:  # id,tau,abnormal_return was read wide: its id a pair's ARs (finders)
        raise InputError(
            where,
            f"has the long panel's column {long[0]!r} and tau but no ar column: a long panel names its "
            "abnormal returns ar (a wide panel has tau and one column per pair, none named id, ticker, "
            "permno, event_id, date, group or role)",
            row=1,
            field="ar",
        )
    if table.has("tau"):
        return _wide(table, where, divisor)
    raise InputError(
        where,
        "not an abnormal-return panel: expected columns id, tau, ar (long), tau and one column per pair "
        "(wide), or id, car (CARs)",
        row=1,
    )


LARGE_MEDIAN = 0.25
"""A median |abnormal return| (decimal) of a panel's nonzero values above which the summary asks
whether the units are right: ARs in percent read as decimal (1.5 for 1.5%) give 1 and more,
while only a panel of announcement days with large reactions (takeover targets' premiums) comes
near 25%. A question, not a refusal: both panels exist."""
SMALL_MEDIAN = 0.0005
"""A median |abnormal return| (decimal) of a panel's nonzero values below which a panel declared
in percent asks whether it was in decimals: a stock's daily ARs have a median |value| of about
0.5-1.5%, so decimals divided by 100 give 0.005-0.015% (every CAAR 100 times too small, the t
statistics unchanged). A question, not a refusal: ARs of a very quiet series lie below it too."""
UNIT_RATIO = 10.0
"""A ratio between the median |value| of an AR panel and of its estimation residuals above
which (or below whose inverse) the summary asks whether both files are in the declared units:
two files in different units differ by 100, while event-window ARs are rarely 10 times the
estimation residuals (a day-0 panel of takeover targets can be)."""


def median_size(panel: AbnormalPanelFile) -> float:
    """The median |value| of ``panel``'s nonzero finite values (NaN without any)."""
    values = np.abs(panel.frame["value"].to_numpy(float))
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.median(values)) if values.size else float("nan")


def unit_doubts(
    panel: AbnormalPanelFile, estimation: AbnormalPanelFile | None = None, *, units: str | None = "decimal"
) -> list[str]:
    """Sentences asking whether the declared ``units`` are right: a median |abnormal return| (or
    CAR) above :data:`LARGE_MEDIAN`, or, declared in percent, below :data:`SMALL_MEDIAN`; or
    estimation residuals whose median |value| is more than :data:`UNIT_RATIO` times or less than
    1/:data:`UNIT_RATIO` of the ARs'."""
    files = [panel] if estimation is None else [panel, estimation]
    medians = [median_size(file) for file in files]
    panel_name = "CAR" if panel.layout == "car" else "AR"
    names = [
        file.path if file.path not in (frame_name(False), frame_name(True)) else what
        for file, what in zip(files, (f"the {panel_name} panel", "the estimation panel"), strict=False)
    ]
    per = "a window" if panel.layout == "car" else "a period"
    doubts = [
        f"the median |value| of {name} is {median:.4g} ({median:.0%} {per}) in decimal "
        "units: are its units right (units percent when 1.5 means 1.5%)?"
        for name, median in zip(names, medians, strict=True)
        if median > LARGE_MEDIAN
    ]
    if units == "percent":  # the values divided by 100: decimals declared as percent are tiny
        doubts += [
            f"the median |value| of {name} is {median:.4g} ({median:.4%} {per}) after dividing the "
            "values by 100 (units percent): were they decimals (0.01 = 1%)? Run it again with units "
            "decimal if so"
            for name, median in zip(names, medians, strict=True)
            if 0 < median < SMALL_MEDIAN
        ]
    if estimation is not None:
        events, residuals = medians
        if events > 0 and residuals > 0 and not 1 / UNIT_RATIO <= events / residuals <= UNIT_RATIO:
            doubts.append(
                f"the median |residual| of {names[1]} ({residuals:.4g}) is {residuals / events:.3g} "
                f"times the median |abnormal return| of {names[0]} ({events:.4g}): are both files in "
                "the declared units?"
            )
    return doubts


RECORDED_UNITS: dict[str, str] = {"fraction": "decimal", "percent": "percent"}
"""The ``--units`` of each unit an eventstudy parquet file records for its columns (the
``eventstudy.schema`` metadata of :mod:`eventstudy.output.schema`)."""


def _check_recorded_units(path: Path, units: str, table: TextTable) -> None:
    """Refuse ``units`` that contradict the unit a parquet file of eventstudy records for its
    ``ar`` or ``car`` column: a run's own ar.parquet read as percent was divided by 100."""
    if path.suffix.lower() not in PARQUET_SUFFIXES:  # as read_text_table reads it
        return
    try:
        metadata = pq.read_schema(path).metadata or {}
        schema = json.loads(metadata.get(b"eventstudy.schema", b"{}"))
    except (OSError, ValueError, RecursionError, pa.ArrowException):
        return  # read_text_table read the file; a schema of another writer is no record
    columns = schema.get("columns") if isinstance(schema, dict) else None
    if not isinstance(columns, list):  # JSON of another shape: no record either
        return
    recorded = {c.get("name"): c.get("unit") for c in columns if isinstance(c, dict)}
    column = "ar" if table.has("ar") else "car"
    expected = RECORDED_UNITS.get(str(recorded.get(column)))
    if expected is not None and expected != units:
        raise InputError(
            str(path),
            f"its eventstudy schema records {column!r} in the unit {recorded[column]!r} "
            f"(units {expected}), not {units}: if the values were converted since, write the file "
            "without that metadata (pandas' to_parquet drops it)",
            field="units",
        )


def frame_name(estimation: bool) -> str:
    """How errors name a frame handed in for a panel: its parameter's (``ar frame``,
    ``estimation frame``), so that two frames of one call are told apart."""
    return "estimation frame" if estimation else "ar frame"


def _frame_table(frame: pd.DataFrame, name: str) -> TextTable:
    """A frame handed to the API as text cells, as if read from a file (row 2 = first row):
    a missing value is a blank cell, any other number its shortest exact text (``inf``
    included, refused as a file's ``inf`` is), a date its ``YYYY-MM-DD`` (a timestamp with a
    time of day or a time zone refused, as a parquet file's is)."""
    if frame.empty:
        raise InputError(name, "no rows" if len(frame.columns) else "no columns")
    cells = np.empty((len(frame), frame.shape[1]), dtype=object)
    for position, label in enumerate(frame.columns):
        column = frame.iloc[:, position]  # by position: a label given twice is refused as a file's
        present = column.dropna() if column.dtype == object else ()  # not a copy of every column
        if len(present) and all(isinstance(v, dt.datetime | np.datetime64) for v in present):
            with contextlib.suppress(ValueError, TypeError):  # Timestamps in an object column: dates
                column = pd.Series(pd.to_datetime(column), index=column.index)  # (mixed zones: as text)
        if pd.api.types.is_datetime64_any_dtype(column):
            text = calendar_date_text(column.reset_index(drop=True), name, str(label).strip())
        elif pd.api.types.is_float_dtype(column):
            text = float_text(column.to_numpy(float))
        else:
            text = column.astype(str).where(column.notna(), "").str.strip().to_numpy(object)
        cells[:, position] = text
    header = tuple(str(label).strip() for label in frame.columns)
    check_header(header, name)
    return TextTable(Path(name), header, cells)


def _id_column(table: TextTable, where: str) -> str:
    """The panel's id column: exactly one of :data:`ID_COLUMNS`. Two are refused, not resolved by
    an order: a ``ticker`` beside a ``permno`` can name two firms by one symbol (the two were one
    cluster of ``cluster_firm_t``), and which one names the firm is the user's to say."""
    present = [name for name in ID_COLUMNS if table.has(name)]
    if not present:
        problem = f"a long panel needs an id column ({', '.join(ID_COLUMNS)})"
        if table.has("tau") and len(table.header) > 2:  # tau,AR,AMD: a wide panel with a pair 'AR'?
            named = next((name for name in table.header if name.lower() in ("ar", "car")), "ar")
            problem += (
                f"; as a wide panel (tau and one column per pair) its pair {named!r} would be named as "
                "a long panel's column: rename that column (e.g. to its exchange symbol) to read it wide"
            )
        raise InputError(where, problem, row=1, field="id")
    if len(present) > 1:
        names = " and ".join(f"'{table.spelled(name)}'" for name in present)
        raise InputError(
            where,
            f"holds the id columns {names}: keep the one that names each firm (a ticker can be reused "
            "or changed; a PERMNO cannot) and drop or rename the other",
            row=1,
            field=table.spelled(present[1]),
        )
    return present[0]


def _ids(table: TextTable, column: str) -> np.ndarray:
    """The long panel's ids, refusing one that is a number with a fraction: no firm is named
    ``0.5``, while a wide panel whose pairs are named like a long panel's columns (``tau,ID,AR``)
    reads its abnormal returns as ids."""
    field_name = table.spelled(column)
    ids = identifiers(table, table.column(column), field_name, permno=column == "permno")
    distinct = pd.unique(ids)  # in order of first row
    numbers = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce").to_numpy(float)
    fractional = np.flatnonzero(np.isfinite(numbers) & (numbers != np.floor(numbers)))
    if fractional.size:
        name = distinct[fractional[0]]
        raise table.fail(
            f"{name!r} is a number with a fraction, not an identifier: if this is a wide panel (tau and "
            "one column per pair), its pairs are named as a long panel's columns; rename them (e.g. to "
            "their exchange symbols) to read it wide",
            index=int(np.flatnonzero(ids == name)[0]),
            field=field_name,
        )
    return ids


def _labels(table: TextTable, column: str) -> np.ndarray:
    """``event_id`` or ``group`` labels (``[A-Za-z0-9._-]+``), "" where the column is absent."""
    if not table.has(column):
        return np.full(len(table.cells), "", dtype=object)
    field_name = table.spelled(column)
    text = pd.Series(table.column(column), dtype=object).astype(str)
    bad = np.flatnonzero(~text.str.fullmatch(_EVENT_ID_CHARS).to_numpy())
    if bad.size:
        raise table.fail(
            f"{text.iloc[bad[0]]!r} is not a label (letters, digits, . _ -)",
            index=int(bad[0]),
            field=field_name,
        )
    values = text.to_numpy(object)
    names = pd.unique(values)  # checked by name: a panel of millions of rows has a few labels
    folded = np.array([name.casefold() for name in names.tolist()], dtype=object)
    if column == "group" and (folded == "all").any():  # the statistics' group of every pair ('ALL' too)
        spelt = names[folded == "all"][0]  # as the file writes it: 'All' was quoted 'all' (a finder)
        message = f"{spelt!r} is the group of every pair, which the statistics add; name the group otherwise"
        raise table.fail(message, index=_first_of(values, [spelt]), field=field_name)
    # one spelling per label, as in events.csv: 'Shock' beside 'shock' split an event in two groups
    twice = pd.Series(folded).duplicated().to_numpy()
    if twice.any():
        other = names[np.flatnonzero(twice)[0]]  # names are in the order of their first rows
        spelt = names[np.flatnonzero(folded == other.casefold())[0]]
        at, seen = _first_of(values, [other]), _first_of(values, [spelt])
        what = "group" if column == "group" else "event id"
        message = (
            f"{what} {other!r} and {spelt!r} (row {table.row_of(seen)}) differ only in case: the "
            f"statistics would take them as two {what}s; spell them alike"
        )
        raise table.fail(message, index=at, field=field_name)
    return values


def _first_of(values: np.ndarray, names: Sequence[str] | np.ndarray) -> int:
    """The position of the first of ``values`` that is one of ``names``."""
    return int(np.flatnonzero(np.isin(values, np.asarray(names, dtype=object)))[0])


def _taus(table: TextTable, cells: np.ndarray, field_name: str) -> np.ndarray:
    values = parse_numbers(table, cells, field_name, missing=frozenset())
    bad = np.flatnonzero(values != np.round(values))
    if bad.size:
        raise table.fail(
            f"{cells[bad[0]]!r} is not a whole number of periods", index=int(bad[0]), field=field_name
        )
    far = np.flatnonzero(np.abs(values) > MAX_TAU)
    if far.size:
        raise table.fail(
            f"{cells[far[0]]!r} periods is beyond ±{MAX_TAU:,}, longer than any event study's timeline",
            index=int(far[0]),
            field=field_name,
        )
    return values.astype(np.int64)


MAX_TAU = 100_000
"""The largest |tau| of a panel: 400 years of trading days."""


def _values(table: TextTable, cells: np.ndarray, field_name: str, divisor: float) -> np.ndarray:
    """Decimal values of a column (NaN where missing); one beyond ±MAX_ABNORMAL is refused."""
    values = parse_numbers(table, cells, field_name) / divisor
    absurd = np.flatnonzero(np.abs(values) > MAX_ABNORMAL)
    if absurd.size:
        unit = "10000 in percent" if divisor != 1.0 else "100 in decimal"
        raise table.fail(
            f"{cells[absurd[0]]!r} is beyond ±10,000% ({unit}): no abnormal return is that large, a data "
            "or unit error (are the units right?)",
            index=int(absurd[0]),
            field=field_name,
        )
    return values


def _long_ar(table: TextTable, where: str, divisor: float) -> AbnormalPanelFile:
    id_column = _id_column(table, where)
    ids = _ids(table, id_column)
    tau_name = _field(table, "tau", where)
    taus = _taus(table, table.column("tau"), tau_name)
    ar_name = table.spelled("ar")
    values = _values(table, table.column("ar"), ar_name, divisor)
    # A day without a value may have no date: a window's day past the data (a run's ar.parquet).
    dates = (
        parse_dates(
            table, table.column("date"), table.spelled("date"), observed=True, blank_allowed=np.isnan(values)
        )
        if table.has("date")
        else np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    frame = pd.DataFrame(
        {
            "event_id": _labels(table, "event_id"),
            "id": ids,
            "group": _labels(table, "group"),
            "tau": taus,
            "date": dates,
            "value": values,
            "row": np.arange(len(ids)),
        }
    )
    _check_unique(table, frame, ["event_id", "id", "tau"], tau_name)
    _check_dates(table, frame)
    frame = _with_roles(table, frame)
    _check_group(table, frame)
    used = {id_column, *_READ_BESIDE_ID["ar"]}
    ignored = tuple(name for name in table.header if name.lower() not in used)
    rows = np.array([table.row_of(index) for index in frame["row"].tolist()], dtype=np.int64)
    spelled = {"id": table.spelled(id_column), "tau": tau_name}
    return AbnormalPanelFile(where, "ar", frame.drop(columns="row"), ignored, rows, spelled)


def _long_car(table: TextTable, where: str, divisor: float) -> AbnormalPanelFile:
    id_column = _id_column(table, where)
    ids = _ids(table, id_column)
    car_name = table.spelled("car")
    values = _values(table, table.column("car"), car_name, divisor)
    if table.has("tau_start") != table.has("tau_end"):  # one bound alone was ignored silently
        given, absent = ("tau_start", "tau_end") if table.has("tau_start") else ("tau_end", "tau_start")
        problem = f"a window needs both bounds: {given} is given, {absent} is not"
        raise InputError(where, problem, row=1, field=absent)
    labels = None
    if table.has("window"):
        window_name = table.spelled("window")
        labels = pd.Series(table.column("window"), dtype=object).astype(str).to_numpy(object)
        blank = np.flatnonzero(labels == "")
        if blank.size:
            raise table.fail("a window label is blank", index=int(blank[0]), field=window_name)
        spelled = [_window_text(table, text, i, window_name) for i, text in enumerate(labels)]
        labels = np.array(spelled, dtype=object)
    if table.has("tau_start") and table.has("tau_end"):
        start = _taus(table, table.column("tau_start"), table.spelled("tau_start"))
        end = _taus(table, table.column("tau_end"), table.spelled("tau_end"))
        backwards = np.flatnonzero(start > end)
        if backwards.size:
            row = int(backwards[0])
            message = f"tau_start {start[row]} is after tau_end {end[row]}: a window runs forwards"
            raise table.fail(message, index=row, field=table.spelled("tau_end"))
        pairs = zip(start.tolist(), end.tolist(), strict=True)
        windows = np.array([window_label((a, b)) for a, b in pairs], dtype=object)
        if labels is not None:  # both: they must say the same (the taus were used, silently)
            days = np.array([window_days(t) is not None for t in labels], dtype=bool)
            differ = np.flatnonzero((labels != windows) & days)
            if differ.size:
                row = int(differ[0])
                message = f"window {labels[row]} but tau_start, tau_end {windows[row]}: which is it?"
                raise table.fail(message, index=row, field=window_name)
    elif labels is not None:
        windows = labels
        start = end = np.zeros(len(ids), dtype=np.int64)
    else:
        windows = np.full(len(ids), "car", dtype=object)
        start = end = np.zeros(len(ids), dtype=np.int64)
    frame = pd.DataFrame(
        {
            "event_id": _labels(table, "event_id"),
            "id": ids,
            "group": _labels(table, "group"),
            "window": windows,
            "tau_start": start,
            "tau_end": end,
            "value": values,
            "row": np.arange(len(ids)),
        }
    )
    _check_unique(table, frame, ["event_id", "id", "window"], car_name)
    frame = _with_roles(table, frame)
    _check_group(table, frame)
    used = {id_column, *_READ_BESIDE_ID["car"]}
    ignored = tuple(name for name in table.header if name.lower() not in used)
    return AbnormalPanelFile(where, "car", frame.drop(columns="row"), ignored)


def read_columns(layout: str) -> tuple[str, ...]:
    """The columns a long panel of ``layout`` (``ar`` or ``car``) reads, its id column's names first."""
    return ("/".join(ID_COLUMNS), *_READ_BESIDE_ID[layout])


def _window_text(table: TextTable, text: str, index: int, field: str) -> str:
    """A window label as the study writes it: ``[-1,1]``, ``-1,1`` and ``[ -1 , +1 ]`` are all
    ``[-1,+1]`` (five spellings were five windows of one pair each); a label that is no pair of
    days (``announcement``) is kept as given; a backwards window is refused."""
    days = window_days(text)
    if days is None:
        return text
    first, last = days
    if first > last:
        raise table.fail(f"window {text} runs backwards ({first} after {last})", index=index, field=field)
    return window_label((first, last))


def _wide(table: TextTable, where: str, divisor: float) -> AbnormalPanelFile:
    tau_at = table.position("tau")
    tau_name = table.header[tau_at]
    taus = _taus(table, table.cells_at(tau_at), tau_name)
    order = np.argsort(taus, kind="stable")
    repeated = np.flatnonzero(taus[order][1:] == taus[order][:-1])
    if repeated.size:
        later = int(max(order[repeated[0]], order[repeated[0] + 1]))
        raise table.fail(f"tau {taus[later]} appears twice", index=later, field=tau_name)
    names = [name for position, name in enumerate(table.header) if position != tau_at]
    if not names:
        raise InputError(where, "no abnormal returns: a wide panel has tau and one column per pair", row=1)
    seen: dict[str, str] = {}
    for name in names:
        problem = symbol_problem(name)
        if problem:
            raise InputError(where, f"a wide panel has one column per pair, and {problem}", row=1, field=name)
        key = identity_key(name)
        if key in seen:
            raise InputError(where, collision_message(seen[key], name), row=1, field=name)
        seen[key] = name
    parts = []
    for position, name in enumerate(table.header):
        if position == tau_at:
            continue
        values = _values(table, table.cells_at(position), name, divisor)
        parts.append(
            pd.DataFrame(
                {
                    "event_id": "",
                    "id": name,
                    "group": "",
                    "tau": taus,
                    "date": np.datetime64("NaT", "ns"),
                    "value": values,
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["date"] = frame["date"].astype("datetime64[ns]")
    rows = np.tile([table.row_of(index) for index in range(len(taus))], len(parts)).astype(np.int64)
    return AbnormalPanelFile(where, "wide", frame, (), rows, {"tau": tau_name})


def _field(table: TextTable, name: str, where: str) -> str:
    if not table.has(name):
        raise InputError(where, f"a long panel needs a {name} column", row=1, field=name)
    return table.spelled(name)


def _with_roles(table: TextTable, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``peer`` column, True where ``role`` is ``peer`` (exactly, as a run writes
    its peer rows), and those rows in the group ``peers`` (unchanged without a ``role`` column);
    the rows of a pair are all peer rows or none, and a row of another role may not name that
    group (it would join the peers)."""
    if table.has("role"):
        roles = pd.Series(table.column("role"), dtype=object).astype(str).to_numpy(object)
        peer = roles == PEER_ROLE
        near = [role for role in pd.unique(roles).tolist() if role.casefold() == PEER_ROLE != role]
        if near:  # 'Peer' was counted as a party's role, where events.csv refuses it
            message = f"{near[0]!r} is not the peers' role, {PEER_ROLE!r} (as a run writes it): spell it so"
            raise table.fail(message, index=_first_of(roles, near[:1]), field=table.spelled("role"))
    else:
        peer = np.zeros(len(frame), dtype=bool)
    named = np.flatnonzero(~peer & (frame["group"].str.casefold().to_numpy(object) == "peers"))
    if named.size:
        spelt = frame["group"].iloc[int(named[0])]  # as the file writes it, as 'all' is
        message = f"{spelt!r} is the group of the rows of role peer; name this row's group otherwise"
        raise table.fail(message, index=int(named[0]), field=table.spelled("group"))
    if not table.has("role"):
        return frame
    role_field = table.spelled("role")
    first = frame.assign(peer=peer).groupby(["event_id", "id"], sort=False)["peer"].transform("first")
    mixed = np.flatnonzero(first.to_numpy(bool) != peer)
    if mixed.size:
        message = f"a pair's rows are all of role {PEER_ROLE} or none; this row's is not its first's"
        raise table.fail(message, index=int(mixed[0]), field=role_field)
    return frame.assign(group=np.where(peer, "peers", frame["group"].to_numpy(object)), peer=peer)


def _check_unique(table: TextTable, frame: pd.DataFrame, keys: list[str], field_name: str) -> None:
    repeated = frame.duplicated(keys, keep="first").to_numpy()
    if not repeated.any():
        return
    second = frame.iloc[int(np.flatnonzero(repeated)[0])]
    match = np.ones(len(frame), dtype=bool)
    for key in keys:
        match &= (frame[key] == second[key]).to_numpy()
    first = frame.iloc[int(np.flatnonzero(match)[0])]
    what = ", ".join(str(second[key]) for key in keys if str(second[key]) != "")
    raise table.fail(
        f"duplicate ({', '.join(keys)}) ({what}), first on row {table.row_of(int(first['row']))}",
        index=int(second["row"]),
        field=field_name,
    )


def _check_dates(table: TextTable, frame: pd.DataFrame) -> None:
    """Within a pair, dates (where given) must increase with τ, and be given on every row with a
    value or on none (a row without a value may lack one: a day past the data)."""
    if frame["date"].isna().all():
        return
    missing = np.flatnonzero((frame["date"].isna() & frame["value"].notna()).to_numpy())
    if missing.size:
        raise table.fail(
            "a date is missing (give a date on every row with a value, or none)",
            index=int(frame["row"].iloc[missing[0]]),
            field=table.spelled("date"),
        )
    ordered = frame[frame["date"].notna()].sort_values(["event_id", "id", "tau"], kind="stable")
    same = (ordered["event_id"].to_numpy() == np.roll(ordered["event_id"].to_numpy(), 1)) & (
        ordered["id"].to_numpy() == np.roll(ordered["id"].to_numpy(), 1)
    )
    same[0] = False
    dates = ordered["date"].to_numpy("datetime64[ns]")
    bad = np.flatnonzero(same & (dates <= np.roll(dates, 1)))
    if bad.size:
        row = int(ordered["row"].iloc[bad[0]])
        problem = "dates must increase with tau within a pair"
        raise table.fail(problem, index=row, field=table.spelled("date"))


def _check_group(table: TextTable, frame: pd.DataFrame) -> None:
    """A pair has one group."""
    groups = frame.groupby(["event_id", "id"], sort=False)["group"].nunique()
    if (groups > 1).any():
        event_id, ident = groups[groups > 1].index[0]
        rows = frame[(frame["event_id"] == event_id) & (frame["id"] == ident)]
        second = rows[rows["group"] != rows["group"].iloc[0]].iloc[0]
        raise table.fail(
            "a pair has one group; this row names another",
            index=int(second["row"]),
            field=table.spelled("group"),
        )

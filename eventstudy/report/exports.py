"""The files of an output folder, read for the report (nothing is recomputed).

:func:`read_exports` reads ``events.parquet``, ``ar.parquet``, ``car.parquet``,
``manifest.json`` and every other ``*.parquet`` of the folder (``stats.parquet``,
``caar.parquet``, the backtest's files), with each file's column units from its schema
metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from eventstudy.errors import InputError
from eventstudy.output.folder import output_folder
from eventstudy.output.schema import SCHEMAS, STATS_SCHEMA, read_schema_units
from eventstudy.output.verify import (
    TABLE_KEYS,
    UNREADABLE_PARQUET,
    config_from_manifest,
    read_manifest_file,
    with_backtest,
)
from eventstudy.timeline.confounders import COLUMNS as CONFOUNDER_COLUMNS

REQUIRED_FILES: tuple[str, ...] = ("events.parquet", "ar.parquet", "car.parquet", "manifest.json")
BACKTEST_FILES: tuple[str, ...] = ("trades.parquet", "backtest.parquet", "drift.parquet")


def _is_text(values: pd.Series) -> bool:
    """Text: a string column, or objects that are all text (missing values aside)."""
    if values.dtype == object:
        return all(isinstance(value, str) for value in values.dropna())
    return pd.api.types.is_string_dtype(values.dtype)


_KINDS: dict[str, tuple[str, Callable[[pd.Series], bool]]] = {
    "text": ("text", _is_text),
    "json": ("text", _is_text),
    "date": ("dates", pd.api.types.is_datetime64_any_dtype),
    "bool": ("true/false values", pd.api.types.is_bool_dtype),
}
"""How each schema unit's column is stored (the others are numbers), as the report reads it."""


_ADDED_SINCE: dict[str, tuple[str, ...]] = {
    "drift.parquet": ("n_days", "n_clusters", "t_cluster", "p_cluster"),
    "volume.parquet": ("n_est", "note"),
}
"""Columns an older version's table lacks, which its report shows as missing or leaves out (a
finder: a folder whose drift.parquet had no ``n_days`` could not be re-rendered; a reviewer: one
whose volume.parquet had no ``n_est``; a re-attack: nor ``note``)."""


_READ_COLUMNS: dict[str, tuple[str, ...]] = {
    "events.parquet": ("event_id", "ticker", "role", "group", "announced", "timing", "deal_usd", "headline"),
    "ar.parquet": ("event_id", "ticker", "role", "tau", "ar", "car", "car_se"),
    "car.parquet": (
        *("event_id", "ticker", "role", "group", "window", "tau_start", "tau_end", "day0", "day0_shift"),
        *("n_est", "car", "car_se", "t", "p", "mcap_prev_usd", "abnormal_value_usd", "deal_usd"),
        *("value_to_deal", "outcome"),
    ),
    **{
        name: tuple(c for c in SCHEMAS[name] if c not in _ADDED_SINCE.get(name, ()))
        for name in (*BACKTEST_FILES, "volume.parquet", "volume_stats.parquet")
    },
}
"""The columns the report reads without checking: of the three tables every folder has, and
every column of the backtest's and the volume's tables (whose columns are also checked for their
type; the other tables' readers check what they read)."""


_KEYS: tuple[str, ...] = (
    *("event_id", "ticker", "role", "window", "tau", "tau_start", "tau_end", "group", "statistic"),
)
"""Columns that name a row: a run writes no table with one of them missing."""
_COUNTS: dict[str, tuple[str, ...]] = {"stats.parquet": ("n",), "caar.parquet": ("n", "draws")}
"""Counts every row of a table has (whole numbers; none below 0, as every count: :data:`_RANGES`)."""
_WHOLE: tuple[str, ...] = ("tau", "tau_start", "tau_end")
"""Key columns of whole numbers (relative days)."""
_RANGES: dict[str, tuple[float, str]] = {
    "probability": (1.0, "a probability outside 0..1"),
    "count": (np.inf, "a count below 0 or infinite"),
}
"""The largest value of a schema unit's numbers (the least is 0; missing values pass), and what
a value beyond says."""
_SHAPES: dict[str, frozenset[str]] = {
    "stats.parquet": frozenset(STATS_SCHEMA),
    "caar.parquet": frozenset({"group", "tau", "caar", "lower", "upper", "n"}),
}
"""The columns that make a file of that name the table the report reads (another is not read)."""


def _read_as(name: str, frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """``frame`` when it has the columns of the table ``name`` the report reads, else None."""
    return frame if frame is not None and _SHAPES[name] <= set(frame.columns) else None


def _first(rows: pd.Series) -> int:
    """The 1-based position of the first True of ``rows``."""
    return int(np.flatnonzero(rows.to_numpy(bool))[0]) + 1


def _check_columns(path: Path, frame: pd.DataFrame) -> None:
    """Refuse a table of the folder without a column the report reads (:data:`_READ_COLUMNS`), or
    with a column of its schema (:data:`~eventstudy.output.schema.SCHEMAS`) of another type than
    the run writes (each of 39 columns missing, or 15 of car.parquet as text, in a folder edited
    and sealed again, ended ``eventstudy report`` in a traceback). The confounder screen's columns
    are read all or none: a folder of a version before the screen has none of them (without
    ``confounders`` alone the report ended in a traceback, without ``confounded`` it said the
    windows were not screened)."""
    read = _READ_COLUMNS.get(path.name, ())
    if path.name == "car.parquet" and frame.columns.isin(CONFOUNDER_COLUMNS).any():
        read = (*read, *CONFOUNDER_COLUMNS)  # the screen's columns come together, or none (older)
    for column in read:
        if column not in frame.columns:
            raise InputError(str(path), "column is missing (re-run the study)", field=column)
    for column, doc in SCHEMAS[path.name].items():
        if column not in frame.columns or doc.unit == "undocumented":
            continue
        what, fits = _KINDS.get(doc.unit, ("numbers", pd.api.types.is_numeric_dtype))
        if not fits(frame[column]) and not frame[column].isna().all():  # nothing at all fits any
            raise InputError(str(path), f"holds {frame[column].dtype} values, not {what}", field=column)
    for column in (*_KEYS, *_COUNTS.get(path.name, ())):
        if column not in frame.columns:
            continue
        values = frame[column]
        whole = column in _WHOLE or column in _COUNTS.get(path.name, ())
        if values.isna().any():
            said = f"a value is missing on row {_first(values.isna())} of the table"
        elif whole and not pd.api.types.is_integer_dtype(values):  # a float tau ended in a traceback
            said = f"holds {values.dtype} values, not whole numbers"
        else:  # a count below 0: the schema's ranges, below
            continue
        raise InputError(str(path), f"{said} (re-run the study)", field=column)
    for column, doc in SCHEMAS[path.name].items():  # numbers no run writes: a p of 7 was shown
        if column not in frame.columns or doc.unit not in _RANGES:
            continue
        highest, said = _RANGES[doc.unit]
        numbers = frame[column].to_numpy(dtype=float, na_value=np.nan)
        wrong = np.isinf(numbers) | (numbers < 0) | (numbers > highest)
        if wrong.any():
            row = int(np.flatnonzero(wrong)[0]) + 1
            raise InputError(str(path), f"{said} on row {row} of the table (re-run the study)", field=column)
    # A run writes each row once, by verify's keys: a row twice was counted twice, a statistic twice
    # in the Benjamini-Hochberg family, a trade twice in the backtest's mean and t.
    key = [column for column in TABLE_KEYS.get(path.name, ()) if column in frame.columns]
    if key and frame.duplicated(key).any():
        row = _first(frame.duplicated(key))
        said = f"row {row} of the table repeats the {', '.join(key)} of an earlier one (re-run the study)"
        raise InputError(str(path), said, field=key[-1])
    if "deal_usd" in frame.columns:
        deal = pd.to_numeric(frame["deal_usd"], errors="coerce").to_numpy(float)
        if ((deal <= 0) | np.isinf(deal)).any():
            said = "a deal of $0 or less, or infinite, which no events file passes (re-run the study)"
            raise InputError(str(path), said, field="deal_usd")


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
        Every other ``*.parquet`` in the folder by file name (``stats.parquet``, ``caar.parquet``,
        the backtest's).
    units
        Column units by file name, from each parquet file's ``eventstudy.output.schema`` metadata.
    """

    folder: Path
    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    manifest: dict[str, Any]
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    units: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def stats(self) -> pd.DataFrame | None:
        """``stats.parquet`` when it is the inference battery's table, else None."""
        return _read_as("stats.parquet", self.extra.get("stats.parquet"))

    @property
    def caar(self) -> pd.DataFrame | None:
        """``caar.parquet`` (the CAAR paths with their bootstrap band), or None."""
        return _read_as("caar.parquet", self.extra.get("caar.parquet"))

    @property
    def config(self) -> dict[str, Any]:
        """The study's configuration as recorded in the manifest."""
        return dict(self.manifest.get("config", {}))

    @property
    def has_backtest(self) -> bool:
        return all(name in self.extra for name in BACKTEST_FILES)


def _check_event_ids(path: Path, ids: pd.Series) -> None:
    """Refuse an event id a study could not have written (:func:`~eventstudy.data.events.
    event_id_problem`): the report names files after them (a folder edited and sealed again
    made ``figures/car_../../x.png`` write outside it), naming the first such row (the frame's
    first row is row 2, as a CSV file's after its header)."""
    from eventstudy.data.events import event_id_problem

    good: set[str] = set()
    for row, value in enumerate(ids.to_numpy(object), start=2):
        if isinstance(value, str) and value in good:
            continue
        problem = event_id_problem(value)
        if problem:
            raise InputError(str(path), problem, row=row, field="event_id")
        good.add(value)


def _settings(recorded: dict[str, Any], source: str) -> dict[str, Any]:
    """The settings a manifest records, checked as a study's (:func:`config_from_manifest`), but
    for the names of a model or statistics of the user's own registry: the report recomputes
    nothing, so a process that has not registered them (the command line) renders the folder
    (it stopped on "'N' is not one of ..., register it first")."""
    from eventstudy.inference import STATISTICS
    from eventstudy.models import MODELS

    own: dict[str, Any] = {}
    model, chosen = recorded.get("model"), recorded.get("statistics")
    if isinstance(model, str) and model.isidentifier() and model not in MODELS:
        own["model"] = model
    names = chosen if isinstance(chosen, list) else []
    if all(isinstance(n, str) and n.isidentifier() for n in names) and set(names) - set(STATISTICS):
        own["statistics"] = names
    defaults = {"model": "market", "statistics": None}
    checked = config_from_manifest({**recorded, **{key: defaults[key] for key in own}}, source)
    return {**checked.to_dict(), **own}


def read_exports(folder: str | Path) -> Exports:
    """Read an output folder of ``eventstudy run``.

    Raises
    ------
    InputError
        Naming the first required file or column that is missing, or a file that cannot be
        read.
    """
    folder = output_folder(Path(folder))
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
        except UNREADABLE_PARQUET as exc:
            raise InputError(str(path), f"not a readable parquet file ({exc})") from None
    # The shapes verify reads, and the settings as a study's (a manifest edited and sealed again
    # reached the report: 'model: "x"' ended in a traceback, 'market: 5' was rendered).
    manifest_path = folder / "manifest.json"
    manifest = read_manifest_file(manifest_path)
    if "versions" not in manifest:
        raise InputError(str(manifest_path), "key is missing", field="versions")
    # The settings as the study ran them: a key an older manifest lacks has its default.
    manifest = {**manifest, "config": _settings(with_backtest(manifest), str(manifest_path))}
    for name, frame in frames.items():
        read = name in _READ_COLUMNS or (name in _SHAPES and _read_as(name, frame) is not None)
        if read:  # a stats.parquet of other columns is not the battery's: the report leaves it
            _check_columns(folder / name, frame)
        if name in REQUIRED_FILES:
            _check_event_ids(folder / name, frame["event_id"])
    return Exports(
        folder=folder,
        events=frames.pop("events.parquet"),
        ar=frames.pop("ar.parquet"),
        car=frames.pop("car.parquet"),
        manifest=manifest,
        extra=frames,
        units=units,
    )

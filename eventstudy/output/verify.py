"""Re-run the study an output folder's ``manifest.json`` describes, and compare every file.

:func:`verify` first checks that the folder is exactly what one run wrote: every file the
manifest records is there with the SHA-256 it had when written, and nothing else is (a file
from another run, or one edited since, is named). It then rebuilds the configuration (and the
backtest rule) from the manifest, re-runs the same pipeline as ``eventstudy run``
(:func:`eventstudy.study.run_study`, offline, on the same cache) into a temporary folder,
(a study run on Dask, whose manifest records its ``engine``, is re-run partitioned the same way,
on a one-worker cluster in this process: :func:`eventstudy.distributed.run_distributed`)
and compares every file: parquet tables by value (same columns, types, shape and values,
NaN equal to NaN; numbers to floating-point rounding, :data:`ROUNDING`), the report's text
exactly, figures byte for byte; a table's rows are matched by its key columns
(:data:`TABLE_KEYS`), so the same rows in another order (the events file's rows reordered) are
named as such (:data:`REORDERED`), and JSON text of numbers (``params``) is compared number by
number. It also compares every input hash in the manifest (events file, the content of cached
prices, shares and earnings; a ``provenance`` record is a note). Differences in package
versions or the project's git commit are reported as notes: they explain a difference but
are not one. So is a cache with the same content imported or fetched at another time or from
another path: its provenance is not a computed value, and the re-run is rendered with the
recorded one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.config import StudyConfig
from eventstudy.crosssection.regression import FEW_CLUSTERS, FEW_CLUSTERS_NOTE
from eventstudy.errors import InputError, as_path
from eventstudy.multiple_testing import P_FAMILY
from eventstudy.output.folder import (
    FILES_KEY,
    MANIFEST,
    OUTPUT_NAME,
    SEAL_KEY,
    SEALED_SINCE,
    json_value,
    load_manifest,
)
from eventstudy.results import OBJECT_MODEL, StudyResults
from eventstudy.text import listing

PRESENTATION_KEYS: tuple[str, ...] = (
    "command", "git_commit", "git_dirty", "versions", "cache", "loaded_from"
)  # fmt: skip
"""Manifest keys that describe how a run was invoked, not what it computed: the re-run's
report is rendered with the original's values so that only computed differences show."""


PROVENANCE = "provenance"
"""Key of an input's record of how it entered the cache (source file and its hash, import or
fetch time, adjustment): compared as a note, never as a difference."""

ROUNDING = 1e-9
"""Two numbers of a table are the same value when they differ by at most this fraction of the
larger, or by 1/1000 of it times the column's largest magnitude (of the row's own statistic in
the long tables of :data:`VALUE_KINDS`: a sum that cancels to near 0 keeps the rounding error
of its terms). Another CPU, BLAS or library version rounds the same
computation differently, by about 1e-16 of the values (1e-13 after a few thousand operations);
a change of method or data is far larger. Such differences are reported as a note, not as a
difference."""
UNREADABLE_PARQUET: tuple[type[Exception], ...] = (
    OSError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    ArithmeticError,
    NotImplementedError,
    pa.ArrowException,
)
"""What reading a run's parquet file with pandas raises when the file is damaged or its pandas
metadata contradicts its columns (a column's type: TypeError; an index column that is not there
or a time zone no database has: KeyError; an interval type on text: AttributeError)."""

ROUNDED = "values equal to floating-point rounding"


MOVED = "rows in another order"
"""Problem of a table whose rows' keys (:data:`TABLE_KEYS`) stand in another order, beside the
values that differ on the rows they match; :data:`REORDERED` when none does."""
REORDERED = f"same {MOVED}"
"""Problem of a table whose rows, matched by their key columns (:data:`TABLE_KEYS`), are the
same but stand in another order: the events file's row order changed (every table follows it)."""

TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "ar.parquet": ("event_id", "ticker", "tau"),
    "car.parquet": ("event_id", "ticker", "window"),
    "events.parquet": ("event_id", "ticker"),
    "stats.parquet": ("group", "window", "statistic"),
    "volume_stats.parquet": ("group", "window", "statistic"),
    "caar.parquet": ("group", "tau"),
    "drift.parquet": ("group", "k", "window"),
    "trades.parquet": ("holding_days", "event_id", "ticker"),
    "backtest.parquet": ("holding_days", "date"),
    "volume.parquet": ("event_id", "ticker", "tau"),
    "garch.parquet": ("event_id", "ticker", "tau"),
}
"""The columns that identify a row of each table, by which rows in another order are matched."""

IDENTIFYING: tuple[str, ...] = (
    "regression", "formula", "holding_days", "frequency", "event_id", "ticker", "group", "window",
    "sample", "weights", "statistic", "term", "cov_type", "k", "tau", "date",
)
"""Columns that identify the rows of a table :data:`TABLE_KEYS` does not name (those it has)."""


@dataclass
class TableDifference:
    """How one table differs: missing, other columns/shape, or the columns whose values differ.

    ``columns`` maps each differing numeric column (or JSON column of numbers) to the largest
    absolute difference (NaN against a number counts as infinite); other differing columns map
    to NaN. With ``problem`` :data:`ROUNDED`, the values are the same to :data:`ROUNDING` and
    ``columns`` holds the columns that are not bit for bit the same; otherwise ``rounded`` holds
    those columns, named after the differing ones.
    """

    table: str
    problem: str
    columns: dict[str, float] = field(default_factory=dict)
    rounded: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        text = f"{self.table}: {self.problem}"
        if self.columns:
            parts = [
                f"{c} (max abs diff {d:.3g})"
                if np.isfinite(d)
                else f"{c} (a value missing or infinite, or a difference beyond the float range)"
                if np.isinf(d)
                else f"{c} (values differ)"
                for c, d in self.columns.items()
            ]
            text += ": " + ", ".join(parts)
        if self.rounded and self.problem != ROUNDED:
            text += f"; {'other columns ' if self.columns else ''}equal to floating-point rounding: "
            text += ", ".join(self.rounded)
        return text


@dataclass
class VerifyResult:
    """Outcome of :func:`verify`.

    Attributes
    ----------
    folder
        The verified folder.
    files
        Files of the folder that do not come from the run its manifest records.
    tables
        Differences in the re-run's files (empty when identical).
    inputs
        Input hashes that differ, as ``"prices.NVDA.content_sha256: <old> -> <new>"``.
    notes
        Version and commit differences, the inputs' provenance, and tables whose values are the
        same only to floating-point rounding (:data:`ROUNDING`).
    """

    folder: Path
    files: list[str] = field(default_factory=list)
    tables: list[TableDifference] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    compared: int = 0

    @property
    def identical(self) -> bool:
        """True when the folder is one run's and every file and input hash is the same."""
        return not self.files and not self.tables and not self.inputs

    def summary(self) -> str:
        """Readable lines: verdict, differences, notes."""
        if self.identical:
            lines = [f"{self.folder}: identical ({self.compared} files and every input hash)"]
        else:
            lines = [f"{self.folder}: DIFFERENT"]
            lines += [f"  folder {d}" for d in self.files]
            lines += [f"  file   {d.describe()}" for d in self.tables]
            lines += [f"  input  {d}" for d in self.inputs]
        lines += [f"  note   {n}" for n in self.notes]
        return "\n".join(lines)


def config_from_manifest(config: Mapping[str, Any], source: str = "manifest.json") -> StudyConfig:
    """The :class:`StudyConfig` a manifest records (:meth:`StudyConfig.from_dict`).

    Raises
    ------
    InputError
        Naming the manifest's key, and saying that the folder may be an older version's: a
        sealed folder whose ``[[flows]]`` an older version accepted (a name with two spaces)
        read as a damaged manifest.
    """
    try:
        return StudyConfig.from_dict(config, source)
    except InputError as exc:
        message = f"{exc.message} ({OLDER_CONFIG})"
        raise InputError(exc.path, message, row=exc.row, field=exc.field) from None


OLDER_CONFIG = "edited, or written by an older version of eventstudy that accepted it: run the study again"
"""What a config a manifest records and this version refuses may be."""


def _hashes(tree: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every ``*sha256`` leaf of a nested mapping, with its dotted path, but those of a
    ``provenance`` record (the hash of the file a cache entry was imported from, a restatement's
    hashes): how the cache was filled, not the values the study read."""
    if isinstance(tree, Mapping):
        for key in sorted(tree):
            path = f"{prefix}.{key}" if prefix else str(key)
            if str(key).endswith("sha256") and isinstance(tree[key], str):
                yield path, tree[key]
            elif key != PROVENANCE:
                yield from _hashes(tree[key], path)


def _comparable(before: dict[str, str], after: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The hashes of two records to compare: a record holding the hash of its content
    (``content_sha256``) on both sides is compared by it alone, not by the hash of its file's
    bytes beside it (``sha256``: the same events with other line endings or a byte-order mark);
    a content hash only one side records beside a file's hash both record (an older manifest's
    events file) is left out."""
    content, raw = "content_sha256", "sha256"  # keys of one record: "events.content_sha256"
    both = {path[: -len(content)] for path in before if path.endswith(content) and path in after}
    one = {
        path
        for path in set(before) ^ set(after)
        if path.endswith(content) and {path[: -len(content)] + raw} <= set(before) & set(after)
    }

    def kept(path: str) -> bool:
        file_hash = path.endswith(raw) and not path.endswith(content)
        return path not in one and not (file_hash and path[: -len(raw)] in both)

    return {k: v for k, v in before.items() if kept(k)}, {k: v for k, v in after.items() if kept(k)}


OLDER_ABSENT: frozenset[str] = SEALED_SINCE
"""Manifest keys an older version did not record: a folder without one is compared without it
(those written since the seal, :data:`~eventstudy.output.folder.SEALED_SINCE`; a key added later
joins both)."""


def compare_records(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[TableDifference]:
    """What two manifests record of the study itself (model, estimation, validation, config,
    ...) that differs: every key but the invocation (:data:`PRESENTATION_KEYS` and the Dask
    ``engine`` it ran on), the inputs (:func:`compare_inputs`) and the file record (compared
    file by file)."""
    skipped = {*PRESENTATION_KEYS, "engine", "inputs", FILES_KEY, SEAL_KEY, "backtest"}
    # An older layout kept the backtest rule beside the config (config.backtest null); an older
    # version's config lacks the settings added since, which the re-run took at their defaults.
    old, new = ({**m, "config": with_backtest(m)} for m in (old, new))
    new = {**new, "config": _recorded_part(new["config"], old["config"])}
    # A factor model's record holds its tables' provenance too; how the cache was filled is an
    # input's provenance (compared, and noted, under inputs), not the study's.
    old, new = ({**m, "model": _without_provenance(m.get("model"))} for m in (old, new))
    differences = []
    for key in sorted((set(old) | set(new)) - skipped):
        if key in OLDER_ABSENT and key not in old:  # recorded since (the re-run's own record)
            continue
        if old.get(key) != new.get(key):
            problem = f"records {key!r} other than the re-run's"
            if key == "validation":
                problem += f": {_some(_validation_differences(old.get(key), new.get(key)))}"
            else:
                problem += f": {_some(_record_differences(old.get(key, _ABSENT), new.get(key, _ABSENT)))}"
            differences.append(TableDifference(MANIFEST, problem))
    return differences


def _record_differences(old: Any, new: Any) -> list[str]:
    """What differs between two values of a manifest record: each entry of two tables
    (``wilcoxon_w 'count' (the re-run: 'rank_sum')``, ``absent`` where one lacks it), else the
    two values; each value shown in at most 60 characters."""

    def shown(value: Any) -> str:
        text = "absent" if value is _ABSENT else repr(value)
        return text if len(text) <= 60 else f"{text[:57]}..."

    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return [f"{shown(old)} (the re-run: {shown(new)})"]
    keys = sorted(set(old) | set(new), key=str)
    return [
        f"{key if str(key).isprintable() else repr(key)} {shown(old.get(key, _ABSENT))} "
        f"(the re-run: {shown(new.get(key, _ABSENT))})"
        for key in keys
        if old.get(key, _ABSENT) != new.get(key, _ABSENT)
    ]


_ABSENT = object()


def _without_provenance(model: Any) -> Any:
    """A manifest's ``model`` record without the ``provenance`` of its factor tables
    (``factor_data``; their content hashes stay)."""
    if not isinstance(model, Mapping) or not isinstance(model.get("factor_data"), Mapping):
        return model
    tables = {
        name: {k: v for k, v in table.items() if k != PROVENANCE} if isinstance(table, Mapping) else table
        for name, table in model["factor_data"].items()
    }
    return {**model, "factor_data": tables}


def _validation_differences(old: Any, new: Any) -> list[str]:
    """What differs between two records of the price checks: each finding (ticker and kind)
    only before, only now or changed, then the other keys (the policy, the thresholds, ...);
    the list of clean symbols, which the findings decide, only when they are the same."""
    old, new = (value if isinstance(value, Mapping) else {} for value in (old, new))
    issues = [(old.get("issues"), new.get("issues"))]
    if not all(isinstance(value, Mapping) for pair in issues for value in pair):
        return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    before, after = issues[0]
    out = []
    for ticker in sorted(set(before) | set(after), key=str):
        was, now = _findings(before.get(ticker)), _findings(after.get(ticker))
        for kind in sorted(set(was) | set(now)):
            if kind not in now:
                out.append(f"{ticker} {kind} (only before)")
            elif kind not in was:
                out.append(f"{ticker} {kind} (only now)")
            elif was[kind] != now[kind]:
                out.append(f"{ticker} {kind} (changed)")
    skipped = {"issues"} | ({"clean"} if out else set())
    out += sorted(k for k in (set(old) | set(new)) - skipped if old.get(k) != new.get(k))
    return out


def _findings(records: Any) -> dict[str, list[Any]]:
    """A ticker's price-check findings by kind."""
    by_kind: dict[str, list[Any]] = {}
    for record in records if isinstance(records, list) else [records] if records is not None else []:
        kind = record.get("kind", "?") if isinstance(record, Mapping) else "?"
        by_kind.setdefault(str(kind), []).append(record)
    return by_kind


def _recorded_part(value: Any, recorded: Any) -> Any:
    """``value`` (the re-run's config) cut to the keys of ``recorded`` (the manifest's), at every
    depth: a setting the manifest does not record was read as its default."""
    if isinstance(value, Mapping) and isinstance(recorded, Mapping):
        return {key: _recorded_part(value[key], recorded[key]) for key in recorded if key in value}
    return value


def compare_parquet_metadata(name: str, old: Path, new: Path) -> TableDifference | None:
    """The tool's own schema metadata of two parquet files (``eventstudy.*`` keys: columns'
    units and descriptions, study, model), which a by-value comparison does not see."""
    before, after = (pq.read_schema(path.absolute()).metadata or {} for path in (old, new))
    keys = {key for key in (*before, *after) if key.startswith(b"eventstudy.")}
    changed = sorted(key.decode() for key in keys if before.get(key) != after.get(key))
    return TableDifference(name, f"schema metadata differs: {', '.join(changed)}") if changed else None


def compare_inputs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Input hashes that differ between two manifests' ``inputs``: the content hash of every
    cached input and of the events (the values; a ``provenance`` record is not compared), and
    the hash of a file's bytes where no content hash is recorded on both sides (an older
    manifest's events file, a news file)."""
    if "factors" not in old:  # recorded since 2026-12 (before, only in a factor model's record)
        new = {kind: record for kind, record in new.items() if kind != "factors"}
    before, after = _comparable(dict(_hashes(old)), dict(_hashes(new)))
    out = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path, "absent"), after.get(path, "absent")
        if a != b:
            out.append(f"{path}: {a[:12]} -> {b[:12]}")
    return out


def compare_tables(name: str, old: pd.DataFrame, new: pd.DataFrame) -> TableDifference | None:
    """Comparison of two frames by value (NaN equals NaN; numbers, and the numbers of JSON text,
    to :data:`ROUNDING`); None when bit for bit identical, problem :data:`ROUNDED` when the same to
    rounding, :data:`REORDERED` when the rows matched by their key columns (:data:`TABLE_KEYS`)
    are the same in another order (with their value differences, if any)."""
    if list(old.columns) != list(new.columns):
        gone = [c for c in old.columns if c not in new.columns]
        added = [c for c in new.columns if c not in old.columns]
        sides = [f"only before: {gone}" if gone else "", f"only now: {added}" if added else ""]
        problem = f"columns differ ({'; '.join(side for side in sides if side)})"  # no empty side
        if not gone and not added and len(old.columns) == len(new.columns):
            problem = "columns in another order"
        if old.columns.duplicated().any() or new.columns.duplicated().any():  # no column to match
            return TableDifference(name, problem)
        shared = [c for c in old.columns if c in new.columns]
        return _within(name, problem, "columns", compare_tables(name, old[shared], new[shared]))
    if old.shape != new.shape:
        problem = f"shape {old.shape} -> {new.shape}"
        keys = _row_keys(name, old, new)
        rows = _common_rows(old, new, keys) if keys else None
        if rows is None:
            return TableDifference(name, problem)
        mine, theirs = rows
        counts = f"{len(old) - len(mine)} rows only before, {len(new) - len(mine)} only now"
        if not mine:
            return TableDifference(name, f"{problem} ({counts}; no row in common by {', '.join(keys)})")
        both = (frame.iloc[at].reset_index(drop=True) for frame, at in ((old, mine), (new, theirs)))
        within = compare_tables(name, *both)
        return _within(name, f"{problem} ({counts}; matched by {', '.join(keys)})", "rows", within)
    retyped = [c for c in old.columns if str(old[c].dtype) != str(new[c].dtype)]
    if retyped:  # a value of another type is not the same value, whatever it prints as
        others = [c for c in old.columns if c not in retyped]
        differing, rounded = _compare_values(old[others], new[others], _value_kinds(name, old))
        differing |= {c: float("nan") for c in retyped if not _same_objects(old[c], new[c])}
        types = ", ".join(f"{c} {old[c].dtype} -> {new[c].dtype}" for c in retyped)
        problem = f"column types differ ({types}{'' if differing else '; every value is the same'})"
        return TableDifference(name, problem + ("; values differ" if differing else ""), differing, rounded)
    kinds = _value_kinds(name, old)
    differing, rounded = _compare_values(old, new, kinds)
    if differing:
        keys = _row_keys(name, old, new)
        matched = _matched(old, new, keys) if keys else None
        if matched is not None:
            differing, rounded = _compare_values(old, matched, kinds)
            if not differing:
                return TableDifference(name, REORDERED, rounded=rounded)
            # not "same rows": two rows' tickers swapped are other rows (a finder)
            problem = f"{MOVED}; values differ (rows matched by {', '.join(keys)})"
            return TableDifference(name, problem, differing, rounded)
        return TableDifference(name, "values differ", differing, rounded)
    if rounded:
        return TableDifference(name, ROUNDED, rounded)
    return None


def _within(name: str, problem: str, part: str, within: TableDifference | None) -> TableDifference:
    """A table's difference of columns or rows (``problem``), with how the ``part`` both frames
    have compares (``within``): a version that added a column or rows also changed the values of
    others, which the line did not say."""
    if within is None:
        return TableDifference(name, f"{problem}; the {part} both have are the same")
    if within.problem == ROUNDED:
        return TableDifference(name, f"{problem}; the {part} both have are the same", rounded=within.columns)
    problem = f"{problem}; in the {part} both have: {within.problem}"
    return TableDifference(name, problem, within.columns, within.rounded)


def _same_objects(a: pd.Series, b: pd.Series) -> bool:
    """Whether two columns of other types hold the same values (missing equal to missing: a
    ``bool`` False that became a ``boolean`` <NA> is a change)."""
    for x, y in zip(a.astype(object), b.astype(object), strict=True):
        if not (pd.api.types.is_scalar(x) and pd.api.types.is_scalar(y)):  # a list or array cell
            try:
                if np.shape(x) != np.shape(y) or not np.array_equal(x, y):
                    return False
            except (TypeError, ValueError):
                return False
        elif pd.isna(x) or pd.isna(y):
            if not (pd.isna(x) and pd.isna(y)):
                return False
        elif x != y:
            return False
    return True


VALUE_KINDS: dict[str, tuple[str, ...]] = {
    "stats.parquet": ("statistic",),
    "volume_stats.parquet": ("statistic",),
    "crosssection.parquet": ("regression", "term"),
}
"""Long tables whose numeric columns hold values of many kinds (a t statistic, a CAAR, a count
and a dollar total in one ``value`` column) -> the columns naming each row's kind: a value is
rounding only against the magnitude of its own kind (against the column's largest, a dollar
total of 1.4e12 let a t statistic move by 0.9 as 'rounding')."""


def _value_kinds(name: str, frame: pd.DataFrame) -> np.ndarray | None:
    """(rows,) code of each row's kind of value (:data:`VALUE_KINDS`), or None: one kind."""
    columns = [c for c in VALUE_KINDS.get(name, ()) if c in frame.columns]
    if not columns:
        return None
    return frame.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()


def _compare_values(
    old: pd.DataFrame, new: pd.DataFrame, kinds: np.ndarray | None = None
) -> tuple[dict[str, float], dict[str, float]]:
    """The columns of two frames of the same columns and shape whose values differ, and those
    equal only to floating-point rounding (``kinds``: each row's kind of value, whose magnitude
    the near-zero tolerance is of; None: the column's), each with its largest absolute difference
    (NaN for text, flags, dates)."""
    differing: dict[str, float] = {}
    rounded: dict[str, float] = {}
    for column in old.columns:
        a, b = old[column], new[column]  # of one type: compare_tables names other types first
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            found = _numeric_difference(x, y, kinds)
            if found is not None:
                largest, rounds = found
                # Counts are integers: only floating-point numbers can round differently.
                rounds = rounds and pd.api.types.is_float_dtype(a)
                (rounded if rounds else differing)[column] = largest
        elif not a.equals(b):
            numbers = _json_difference(a, b)
            if numbers is None:
                differing[column] = float("nan")
            else:
                (rounded if numbers[1] else differing)[column] = numbers[0]
    return differing, rounded


def _numeric_difference(
    x: np.ndarray, y: np.ndarray, kinds: np.ndarray | None = None
) -> tuple[float, bool] | None:
    """None when ``x`` and ``y`` are the same (NaN equal to NaN); else their largest absolute
    difference (infinite for NaN against a number) and whether it is within rounding (of each
    kind of value's magnitude, :func:`_within_rounding`)."""
    same = (x == y) | (np.isnan(x) & np.isnan(y))
    if same.all():
        return None
    with np.errstate(invalid="ignore"):
        gap = np.abs(x - y)
    largest = float(np.inf if np.isnan(gap[~same]).any() else gap[~same].max())
    return largest, _within_rounding(x, y, gap, same, kinds)


def _within_rounding(
    x: np.ndarray, y: np.ndarray, gap: np.ndarray, same: np.ndarray, kinds: np.ndarray | None = None
) -> bool:
    """Whether every value of ``x`` and ``y`` that is not ``same`` differs by at most
    :data:`ROUNDING` of the larger, or near 0 of a thousandth of the largest of the column (or of
    the values of its kind, ``kinds``); a value that is infinite on one side only (or of the other
    sign) is never rounding (the larger value, and so the tolerance, would be infinite)."""
    magnitude = np.where(np.isfinite(x), np.abs(x), 0.0)
    if kinds is None:
        scale: np.ndarray | float = float(magnitude.max(initial=0.0))
    else:
        largest = np.zeros(int(kinds.max(initial=-1)) + 1)
        np.maximum.at(largest, kinds, magnitude)
        scale = largest[kinds]
    with np.errstate(invalid="ignore"):
        tolerance = ROUNDING * (np.fmax(np.abs(x), np.abs(y)) + 1e-3 * scale)
        return bool(np.all(same | (np.isfinite(gap) & (gap <= tolerance))))


def _missing(value: object) -> bool:
    """Whether a cell is missing: None, NaN, ``pd.NA`` or ``NaT`` (a nullable column's)."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _json_difference(a: pd.Series, b: pd.Series) -> tuple[float, bool] | None:
    """Two text columns whose differing cells are JSON of the same structure, compared number by
    number as a float column is (``params``: the fitted parameters by name), each parameter path
    against its own largest magnitude: the largest absolute difference and whether it is within
    rounding. None when a differing cell is not such JSON (the text differs)."""
    old_leaves, new_leaves = [], []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        left, right = _json_leaves(x), _json_leaves(y)
        if left is None or right is None:
            gaps = _missing(x), _missing(y)
            if all(gaps) or (not any(gaps) and x == y):  # <NA> == <NA> is <NA>, not True
                continue
            return None
        if [path for path, _ in left] != [path for path, _ in right]:
            return None
        old_leaves.append(left)
        new_leaves.append(right)
    by_path: dict[str, tuple[list[float], list[float]]] = {}
    for left, right in zip(old_leaves, new_leaves, strict=True):
        for (path, u), (_, v) in zip(left, right, strict=True):
            if isinstance(u, float) and isinstance(v, float):
                xs, ys = by_path.setdefault(path, ([], []))
                xs.append(u)
                ys.append(v)
            elif u != v or type(u) is not type(v):
                return None
    found = [_numeric_difference(np.array(xs), np.array(ys)) for xs, ys in by_path.values()]
    numbers = [f for f in found if f is not None]
    if not numbers:  # the same numbers written otherwise ("[0,0]" and "[0, 0]"): the text differs
        return None
    return max(f[0] for f in numbers), all(f[1] for f in numbers)


def _json_leaves(text: Any) -> list[tuple[str, Any]] | None:
    """The leaves of a JSON object or array in ``text`` with their paths (numbers and nulls as
    floats, NaN for null), or None when ``text`` is not such JSON."""
    if not isinstance(text, str) or not text.lstrip().startswith(("{", "[")):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    leaves: list[tuple[str, Any]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            leaves.append((f"{path}{{}}", len(node)))
            for key, item in node.items():
                walk(item, f"{path}.{key}")
        elif isinstance(node, list):
            leaves.append((f"{path}[]", len(node)))
            for k, item in enumerate(node):
                walk(item, f"{path}[{k}]")
        elif node is None or (isinstance(node, int | float) and not isinstance(node, bool)):
            leaves.append((path, float("nan") if node is None else float(node)))
        else:
            leaves.append((path, node))

    walk(value, "")
    return leaves


def _row_keys(name: str, old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """The key columns of table ``name`` (:data:`TABLE_KEYS`, else the :data:`IDENTIFYING`
    columns it has) when they are of the same type in both frames; else none."""
    keys = [c for c in TABLE_KEYS.get(name, IDENTIFYING) if c in old.columns]
    if name in TABLE_KEYS and len(keys) != len(TABLE_KEYS[name]):
        return []
    return keys if all(_key_kind(old[c]) == _key_kind(new[c]) for c in keys) else []


def _key_kind(column: pd.Series) -> str:
    """A key column's kind of values: numbers, times or the dtype (a key written by another
    version as float, or as datetime64[us], still matches rows by its values)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(column):
        return f"time {getattr(column.dtype, 'tz', None)}"
    return str(column.dtype)


def _matched(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> pd.DataFrame | None:
    """``new``'s rows in ``old``'s order, matched by ``keys``, when both frames hold the same
    keys, each once, in another order; else None."""

    rows = _common_rows(old, new, keys)
    if rows is None or not len(rows[0]) == len(old) == len(new):
        return None
    order = rows[1]
    if order == list(range(len(order))):
        return None
    return new.iloc[order].reset_index(drop=True)


def _common_rows(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> tuple[list[int], list[int]] | None:
    """(positions in ``old``, positions in ``new``) of the rows both frames hold, matched by the
    ``keys`` columns, in ``old``'s order; None when a key repeats in either frame."""
    before, after = _key_labels(old, keys), _key_labels(new, keys)
    position = {label: k for k, label in enumerate(after)}
    if len(position) != len(after) or len(set(before)) != len(before):
        return None
    mine = [k for k, label in enumerate(before) if label in position]
    return mine, [position[before[k]] for k in mine]


def _key_labels(frame: pd.DataFrame, keys: list[str]) -> list[tuple[str, ...]]:
    """Each row's values of the ``keys`` columns, as text (a row's label to match it by)."""

    def text(column: pd.Series) -> pd.Series:  # 5 and 5.0, or two units of one time, alike
        if _key_kind(column) == "number":
            column = column.astype(float)
        elif _key_kind(column).startswith("time"):
            column = column.dt.as_unit("ns")
        return column.astype(object).map(repr)

    return list(zip(*(text(frame[c]) for c in keys), strict=True))


def compare_files(name: str, old: Path, new: Path) -> TableDifference | None:
    """Compare one output file of two runs: tables by value, text exactly, other files by bytes."""
    if old.is_symlink() or not old.is_file():  # a link's target is not what the run wrote
        return TableDifference(name, "missing in the folder" if not old.exists() else "not a file")
    if not new.is_file():
        return TableDifference(name, "not written by the re-run")
    if name.endswith(".parquet"):
        # Absolute: pandas would expand a leading '~' of a folder the system takes literally.
        try:
            before_table = pd.read_parquet(old.absolute())
        except UNREADABLE_PARQUET:
            return TableDifference(name, "not a readable parquet file (damaged or truncated)")
        values = compare_tables(name, before_table, pd.read_parquet(new.absolute()))
        if values is not None and values.problem != ROUNDED:
            return values
        return compare_parquet_metadata(name, old, new) or values
    before, after = old.read_bytes(), new.read_bytes()
    if before == after:
        return None
    if name.endswith((".md", ".html", ".csv", ".json")):
        lines_old, lines_new = before.splitlines(), after.splitlines()
        if lines_old == lines_new:  # every line equal: CRLF against LF (a checkout converted them)
            return TableDifference(name, "the same text with other line endings")
        line = next(
            (i for i, (a, b) in enumerate(zip(lines_old, lines_new, strict=False)) if a != b),
            min(len(lines_old), len(lines_new)),
        )
        return TableDifference(name, f"text differs from line {line + 1}")
    return TableDifference(name, "bytes differ")


def verify(
    folder: str | Path, *, cache: str | Path | None = None, events: str | Path | None = None
) -> VerifyResult:
    """Check that ``folder`` is one run's output, re-run it and compare every file.

    Parameters
    ----------
    folder
        An output folder of ``eventstudy run`` (or ``eventstudy backtest``).
    cache
        Price cache; default: the one recorded in the manifest.
    events
        Events file; default: the path recorded in the manifest (relative to the working
        directory, as given on the original command line). A study run from a DataFrame records
        no file, only its events' content hash
        (:func:`~eventstudy.data.events.events_sha256`): it needs ``events``, a file of the
        same events, and a file of other events is refused.
    """
    from eventstudy.data.remote import open_cache
    from eventstudy.data.store import PriceStore
    from eventstudy.output.export import save_study
    from eventstudy.output.folder import (
        Guard,
        check_apart,
        check_recorded_files,
        interrupted_output,
        output_files,
        output_folder,
        standing_in,
    )

    folder = output_folder(as_path(folder, "folder"))
    standing = standing_in(folder / "manifest.json")
    # a run's record is the manifest it wrote (another's is not re-run), and an interrupted run's
    # staging folder has none yet, or not its last: said as such, one line
    if standing is not None or interrupted_output(folder):
        return VerifyResult(folder, files=check_recorded_files(folder))
    manifest = read_manifest_file(folder / "manifest.json")
    _require_configured_model(folder / "manifest.json", manifest)
    config = config_from_manifest(with_backtest(manifest), str(folder / "manifest.json"))
    source = _events_source(folder, manifest["inputs"]["events"], events)
    if cache is None and manifest.get("cache") is None:  # save_study of a loaded study's results
        problem = "records no cache (the results were saved from Python): give the study's cache with --cache"
        raise InputError(str(folder / "manifest.json"), problem, field="cache")
    location = str(cache or manifest.get("cache"))
    store = open_cache(location)
    if isinstance(store, PriceStore):  # --cache an output folder: "import SPY into it" (a re-attack)
        check_apart(store.root)
    if isinstance(store, PriceStore) and store.root.exists() and not store.root.is_dir():
        where = location if cache is not None else str(folder / "manifest.json")
        raise InputError(where, "is a file, not a cache folder (give --cache the cache's folder)")
    if cache is None and isinstance(store, PriceStore) and not store.root.is_dir():
        _not_found(folder, "cache", f"the cache '{location}'", "--cache")
    if not isinstance(store, PriceStore) and manifest.get("engine") is None:
        problem = f"the cache {location} is a URL, which only a run on Dask reads; give --cache a folder"
        raise InputError(str(folder / "manifest.json"), problem, field="cache")
    for key in ("news_file", "factors_file"):  # files of the config, as the run was given them
        named = getattr(config, key)
        if named is not None and not Path(named).is_absolute() and not Path(named).exists():
            raise InputError(
                str(folder / "manifest.json"),
                f"the {key.replace('_', ' ')} '{named}' of the run is not found from {Path.cwd()} (a "
                "relative path holds where the study ran): run verify there",
                field=f"config.{key}",
            )
    peers = list(manifest.get("peers", []))

    result = VerifyResult(folder)
    result.files = check_recorded_files(folder)
    recorded = output_files(folder)
    scratch = Path(tempfile.mkdtemp(prefix="eventstudy-verify."))
    try:
        try:
            rerun = _rerun(folder / "manifest.json", manifest.get("engine"), source, store, config, peers)
        except InputError as exc:
            if exc.path != "peers":  # run_study's name for its peers: here the manifest's
                raise
            raise InputError(str(folder / "manifest.json"), exc.message, field="peers") from None
        rerun, provenance_note = _with_recorded_provenance(rerun, manifest["inputs"])
        result.notes += provenance_note
        shown = {key: manifest[key] for key in PRESENTATION_KEYS if key in manifest}
        if "path" in manifest["inputs"]["events"]:  # a file's (a frame's events have none)
            shown["events_path"] = manifest["inputs"]["events"]["path"]
        out = save_study(
            rerun,
            scratch / "out",
            formats=manifest.get("formats", []),
            report=manifest.get("report", True),
            guard=Guard(cwd=scratch),
            presentation=shown,
        )
        fresh = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        result.inputs = compare_inputs(manifest["inputs"], fresh["inputs"])
        result.tables += compare_records(manifest, fresh)
        recorded_model, configured = manifest.get("model"), manifest["config"].get("model")
        if isinstance(recorded_model, Mapping) and recorded_model.get("name") not in (None, configured):
            result.notes.append(
                f"the manifest's model {recorded_model.get('name')!r} is not its config's {configured!r}: "
                "a model object passed to run_study before the manifest recorded it as one "
                f"({OBJECT_MODEL}), or an edited manifest; the re-run used the config's"
            )
        # A recorded name the tool never writes (an absolute path, a '..') is never opened: it is
        # a problem of check_recorded_files.
        names = sorted(name for name in set(recorded) | set(output_files(out)) if OUTPUT_NAME.fullmatch(name))
        changes = _environment_changes(manifest)
        cause = _NOTHING_RECORDED_DIFFERS
        if changes:  # a project commit alone is another version of this package's code
            versions = any(change.startswith("version of ") for change in changes)
            cause = "another CPU, BLAS or library version" if versions else "another commit of eventstudy"
        if isinstance(manifest.get("engine"), Mapping):  # re-run with its partitions: an edited record
            engine = "an engine record other than the run's"  # said beside a version too (a re-attack)
            if cause == _NOTHING_RECORDED_DIFFERS:
                cause = cause.replace(", or an edit", f", {engine}, or an edit")
            else:
                cause = f"{cause}, or {engine}"
        # The files the record's check named (changed, missing, a folder or a link in their place):
        # the comparison does not name a missing one again, and none is an older version's output.
        edited = {problem.split(":", 1)[0].rstrip("/") for problem in result.files}
        for name in names:
            difference = compare_files(name, folder / name, out / name)
            entry = folder / name
            if difference is not None and name in edited and (entry.is_symlink() or not entry.is_file()):
                continue
            if difference is not None and any(name.startswith(f"{place}/") for place in edited):
                continue  # in a folder whose place holds a link or a file: said once, by the record
            if difference is not None and difference.problem == ROUNDED:
                result.notes.append(f"{difference.describe()} ({cause})")
            elif difference is not None:
                result.tables.append(difference)
        result.compared = len(names)
        _explain_row_order(result)
        result.notes += _older_family(manifest, result.tables)
        # Only where another commit or version wrote the folder, and the table is as it wrote it: an
        # edit of this version's table was told it was an older version's (a finder's re-attack).
        unedited = [t for t in result.tables if changes and t.table not in edited]
        result.notes += _older_empty_totals(folder, out, unedited)
        result.notes += _older_cluster_notes(folder, out, unedited)
        if "stats.parquet" not in edited:
            result.notes += _unregistered_statistics(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.notes += changes
    return result


def _older_family(manifest: Mapping[str, Any], tables: Sequence[TableDifference]) -> list[str]:
    """Why a folder's adjusted p-values differ when its manifest records no ``p_family``: an older
    version adjusted over the group's every window and test (a referee: verify named the column,
    not the cause)."""
    if "p_family" in manifest:
        return []
    adjusted = [t.table for t in tables if {"p_bh", "p_holm"} & set(t.columns)]
    captions = [t.table for t in tables if t.table in ("report.md", "report.html", "tables.md", "tables.tex")]
    if not adjusted and not captions:
        return []
    differing = " and ".join(adjusted) or "the report's multiple-testing captions"
    return [
        f"{differing}: p_bh and p_holm of this folder were adjusted over each group's every "
        "window and test (its manifest records no p_family: an older version's); this version adjusts "
        f"over each statistic's windows in its group ({P_FAMILY})"
    ]


def _differing_pair(
    folder: Path, out: Path, tables: Sequence[TableDifference], name: str, column: str, columns: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``columns`` of table ``name`` in the folder and in the re-run ``out``, when ``tables`` say
    its ``column`` differs; None otherwise, or when either cannot be read (a damaged table is
    described by its own difference)."""
    if not any(t.table == name and column in t.columns for t in tables):
        return None
    try:
        return pd.read_parquet(folder / name, columns=columns), pd.read_parquet(out / name, columns=columns)
    except (OSError, ValueError, KeyError):
        return None


EMPTY_TOTALS = ("total_abnormal_value_usd", "total_deal_usd")
"""The value-per-deal totals that an older version wrote as 0 where no event qualified (n = 0)."""


def _older_empty_totals(folder: Path, out: Path, tables: Sequence[TableDifference]) -> list[str]:
    """Why stats.parquet's values differ when the folder's value-per-deal totals over no event
    (n = 0) are 0 and this version's NaN: an older version summed nothing to $0 (the launch's
    shock group read as a measured zero beside its -$825B; a finder: verify named the column, not
    the cause)."""
    key = ["group", "window", "statistic"]
    pair = _differing_pair(folder, out, tables, "stats.parquet", "value", [*key, "value", "n"])
    if pair is None:
        return []
    recorded, again = pair
    both = recorded.merge(again[[*key, "value"]], on=key, suffixes=("", "_now"))
    older = both["statistic"].isin(EMPTY_TOTALS) & (both["n"] == 0) & (both["value"] == 0)
    older &= both["value_now"].isna()
    if not older.any():
        return []
    return [
        f"stats.parquet: {int(older.sum())} rows of {' and '.join(EMPTY_TOTALS)} over no event with a "
        "disclosed deal (n = 0) are 0 in this folder (an older version's); this version writes NaN"
    ]


def _older_cluster_notes(folder: Path, out: Path, tables: Sequence[TableDifference]) -> list[str]:
    """Why crosssection.parquet's notes differ when each differing one is blank in the folder and
    this version's says CRV1 over-rejects with fewer than :data:`FEW_CLUSTERS` clusters, which an
    older version did not say (verify named the column, not the cause)."""
    pair = _differing_pair(folder, out, tables, "crosssection.parquet", "note", ["note"])
    if pair is None:
        return []
    recorded, again = pair[0]["note"], pair[1]["note"]
    if len(recorded) != len(again):
        return []
    was, now = recorded.fillna("").to_numpy(dtype=str), again.fillna("").to_numpy(dtype=str)
    differ = was != now
    older = differ & (was == "") & (np.char.find(now, FEW_CLUSTERS_NOTE) >= 0)
    if not older.any() or (differ != older).any():
        return []
    return [
        f"crosssection.parquet: {int(older.sum())} cluster rows with fewer than {FEW_CLUSTERS} clusters have "
        f"no note in this folder (an older version's); this version notes that CRV1 {FEW_CLUSTERS_NOTE}"
    ]


_NOTHING_RECORDED_DIFFERS = (
    "no recorded version, BLAS, system or commit differs: another thread count's rounding, or an "
    "edit this small"
)
"""Why values differ only by rounding when the manifest's environment is this one's (an edit of
a value by 1e-10 of its size, resealed, was blamed on another machine)."""


def _environment_changes(manifest: Mapping[str, Any]) -> list[str]:
    """Notes of each recorded package version (BLAS, system, processor among them) and of the
    project commit that differ from this environment's."""
    from eventstudy.output.manifest import ENGINE_PACKAGES, git_state, package_versions

    changes = []
    current = package_versions(ENGINE_PACKAGES if "engine" in manifest else ())
    for key in sorted(set(manifest.get("versions", {})) | set(current)):
        a, b = manifest.get("versions", {}).get(key), current.get(key)
        if a != b:
            changes.append(f"version of {key}: {a} -> {b}")
    commit = git_state()["git_commit"]
    if manifest.get("git_commit") != commit:
        changes.append(f"project commit: {manifest.get('git_commit')} -> {commit}")
    return changes


def _unregistered_statistics(folder: Path) -> list[str]:
    """A note naming the statistics of the folder's ``stats.parquet`` that this process has not
    registered: the re-run cannot compute them (a notebook's ``register_statistic`` before
    ``save_study``), so the tables differ by their rows, which read as a changed result."""
    from eventstudy.aggregate import COUNT_ROWS
    from eventstudy.inference import STATISTICS

    try:
        names = pd.read_parquet(folder / "stats.parquet", columns=["statistic"])["statistic"]
    except (OSError, ValueError, KeyError, TypeError):  # none, or not the battery's: compared above
        return []
    unknown = sorted({str(name) for name in names.dropna().unique()} - set(STATISTICS) - COUNT_ROWS)
    if not unknown:
        return []
    shown = listing([repr(name) for name in unknown])
    return [
        f"stats.parquet holds statistics this process has not registered ({shown}), which the re-run "
        "cannot compute: verify from Python after eventstudy.register_statistic registers them"
    ]


def _explain_row_order(result: VerifyResult) -> None:
    """Say why tables hold the same rows in another order: when the events table is the same
    events in another order and the events file's hash differs, the file's rows were reordered
    (every table follows its order; README: the order changes no number)."""
    events = next((d for d in result.tables if d.table == "events.parquet"), None)
    if events is None or events.problem != REORDERED:
        return
    changed = [k for k, line in enumerate(result.inputs) if line.startswith("events.")]
    for k in changed:
        result.inputs[k] += " (the same events in another row order)"
    if changed:
        for difference in result.tables:
            if difference.problem.startswith((REORDERED, MOVED)):
                reason = " (the events file's row order changed)"
                difference.problem = difference.problem.replace(MOVED, MOVED + reason, 1)


def _events_source(
    folder: Path, recorded: Mapping[str, Any], events: str | Path | None
) -> Path | pd.DataFrame:
    """What the re-run reads as its events: the file ``events`` or the one the manifest records,
    or, for a study run from a DataFrame (whose manifest records their content hash, no file),
    the events of the file ``events``, once their hash is the recorded one."""
    if "path" in recorded:
        path = Path(events or recorded["path"])
        # Paths are recorded as the run was given them, so a relative one holds only where it ran.
        if events is None and path.exists() and not path.is_file():  # a folder, a pipe, a device
            message = f"the events file '{path}' of the run is not a regular file; give --events FILE"
            raise InputError(str(folder / "manifest.json"), message, field="inputs.events.path")
        if events is None and not path.is_file():
            _not_found(folder, "inputs.events.path", f"the events file '{path}'", "--events")
        return path
    if events is None:
        raise InputError(
            str(folder / "manifest.json"),
            "the study was run from a DataFrame, whose events no file holds: give them as a file "
            "with --events FILE (events= in Python), written by eventstudy.write_events(frame, FILE)",
            field="inputs.events",
        )
    from eventstudy.data.events import events_sha256, read_events

    frame = read_events(events)
    digest, expected = events_sha256(frame), recorded["content_sha256"]
    if digest != expected:
        raise InputError(
            str(events),
            f"holds other events than the study was run on: their content SHA-256 is {digest[:12]}, "
            f"{folder / 'manifest.json'} records {expected[:12]}",
        )
    return frame


def _require_configured_model(path: Path, manifest: Mapping[str, Any]) -> None:
    """Stop when the study's model is a model object passed to ``run_study`` that no config
    builds (:data:`~eventstudy.results.OBJECT_MODEL`), which a re-run cannot rebuild."""
    model = manifest.get("model")
    if isinstance(model, Mapping) and model.get(OBJECT_MODEL) is True:
        name = model.get("name")
        raise InputError(
            str(path),
            f"cannot verify a study whose model was passed as an object (model {name!r}: "
            f"{model.get('description', '?')}): no config builds it, so a re-run from the manifest would "
            "use another model; re-run it in Python with the same model object",
            field="model",
        )


def _not_found(folder: Path, field: str, what: str, option: str) -> NoReturn:
    """Stop: a path the manifest records does not exist from this working directory."""
    raise InputError(
        str(folder / "manifest.json"),
        f"{what} of the run is not found from {Path.cwd()} (a relative path holds where the study "
        f"ran): run verify there, or give {option}",
        field=field,
    )


def _with_recorded_provenance(
    rerun: StudyResults, recorded: Mapping[str, Any]
) -> tuple[StudyResults, list[str]]:
    """``rerun`` with the manifest's record of every input whose hashes are the same.

    The provenance of an input (when and from which file it was imported or fetched, the
    events file's path) describes how the cache was filled, not what the study computed: a
    fresh clone that imports the same files gets other times and paths and must still verify
    as identical. Each input with the recorded content is therefore rendered with its recorded
    provenance (a note says when that differs from the cache's); an input with another hash
    keeps the cache's record, and its hash is reported as an input difference."""
    current = json.loads(json.dumps(rerun.provenance.get("inputs", {}), sort_keys=True, default=json_value))
    merged = _recorded_where_same(current, recorded)
    if _without_events_path(merged) == _without_events_path(current):
        return rerun, []
    notes = []
    before, after = (dict(record.get("events", {})) for record in (recorded, current))
    same_events = before.get("content_sha256") == after.get("content_sha256")  # not other rows, or order
    if "content_sha256" in before and same_events and before.get("sha256") != after.get("sha256"):
        notes.append(
            f"events file: other bytes than recorded (SHA-256 {str(before.get('sha256'))[:12]} -> "
            f"{str(after.get('sha256'))[:12]}), the same events (line endings, a byte-order mark, "
            "quoting or blank lines)"
        )
    others = dict(_other_provenance(current, recorded))
    if others:
        keys = sorted({key for differing in others.values() for key in differing})
        what = f"({', '.join(keys)}) of {_some(sorted(others))}"
        notes.append(f"inputs: the same content as recorded, other provenance {what}")
    return replace(rerun, provenance={**rerun.provenance, "inputs": merged}), notes


def _other_provenance(current: Any, recorded: Any, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    """Each input of the same content as recorded whose other record differs, with its dotted
    name and the keys that differ (those of its ``provenance``; an events file's path and hashes
    aside: the contents are the same, and the bytes of an events file have a note of their own)."""
    if not isinstance(current, Mapping) or not isinstance(recorded, Mapping):
        return
    if any(str(key).endswith("sha256") for key in current):  # one input's record
        if compare_inputs(recorded, current):
            return
        before, after = dict(recorded), dict(current)
        keys = [k for k in sorted(set(before) | set(after)) if k not in (PROVENANCE, "path")]
        keys = [k for k in keys if not k.endswith("sha256")]
        differing = [k for k in keys if before.get(k) != after.get(k)]
        old, new = before.get(PROVENANCE), after.get(PROVENANCE)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            differing += [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        elif old != new:
            differing.append(PROVENANCE)
        if differing:
            yield prefix, differing
        return
    for key in sorted(current):
        yield from _other_provenance(current[key], recorded.get(key), f"{prefix}.{key}" if prefix else key)


def _some(names: list[str], shown: int = 3) -> str:
    """The first ``shown`` of ``names``, and how many more."""
    if len(names) <= shown + 1:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


def _recorded_where_same(current: Any, recorded: Any) -> Any:
    """``current`` with each input record (a mapping holding ``*sha256`` values) replaced by the
    ``recorded`` one when their hashes are the same."""
    if not isinstance(current, Mapping) or not isinstance(recorded, Mapping):
        return current
    if any(str(key).endswith("sha256") for key in current):  # one input's record
        return json.loads(json.dumps(recorded)) if not compare_inputs(recorded, current) else current
    return {key: _recorded_where_same(value, recorded.get(key)) for key, value in current.items()}


def _without_events_path(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``inputs`` without the events file's path (a presentation value of its own)."""
    events = {k: v for k, v in dict(inputs.get("events", {})).items() if k != "path"}
    return {**inputs, "events": events}


def _rerun(
    where: Path, engine: Any, events: Path | pd.DataFrame, store: Any, config: StudyConfig, peers: list[str]
) -> StudyResults:
    """The study again, in memory, or partitioned as recorded by ``engine``."""
    if not isinstance(engine, Mapping):
        from eventstudy.study import run_study

        return run_study(events, store, config, peers=peers)
    from eventstudy.distributed.cluster import in_process, require_dask

    try:
        require_dask()
    except InputError:
        raise InputError(
            str(where), "the study ran on Dask: verifying it needs the dask extra", field="engine"
        ) from None
    from eventstudy.distributed import ENGINE, run_distributed
    from eventstudy.distributed.plan import rows_per_partition_problem

    rows = engine.get("rows_per_partition")
    if engine.get("name") != ENGINE or rows_per_partition_problem(rows):
        raise InputError(str(where), f"unknown engine record {dict(engine)!r}", field="engine")
    with in_process() as client:
        return run_distributed(events, store, config, scheduler=client, peers=peers, rows_per_partition=rows)


def read_manifest_file(path: Path) -> dict[str, Any]:
    """A study's ``manifest.json``, checked for the keys :func:`verify` and the report read.

    Raises
    ------
    InputError
        When it cannot be read, is not JSON, or lacks ``config`` or ``inputs``.
    """
    manifest = load_manifest(path)
    if not isinstance(manifest, dict):
        raise InputError(str(path), "not a manifest (a JSON object is expected)")
    for key in ("config", "inputs"):
        if key not in manifest:
            raise InputError(str(path), "key is missing", field=key)
    for key, (kinds, what) in _SHAPES.items():
        value = manifest.get(key)
        if key in manifest and not isinstance(value, kinds):
            raise InputError(str(path), f"is not {what} (was the manifest edited?)", field=key)
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise InputError(str(path), f"is not {what} (was the manifest edited?)", field=key)
    def edited(what: str, field: str) -> NoReturn:
        raise InputError(str(path), f"is not {what} (was the manifest edited?)", field=field)

    for kind, record in manifest["inputs"].items():
        if not isinstance(record, dict):
            edited("a record of the input's files", f"inputs.{kind}")
        for name, entry in record.items():
            if isinstance(entry, dict) and not isinstance(entry.get("provenance", {}), dict):
                edited("a provenance record", f"inputs.{kind}.{name}.provenance")
    issues = manifest.get("validation", {}).get("issues", {})
    if not isinstance(issues, dict) or not all(
        isinstance(found, list) and all(isinstance(one, dict) for one in found) for found in issues.values()
    ):
        edited("a table of each symbol's findings", "validation.issues")
    k = manifest.get("estimation", {}).get("n_params", 1)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= 100:  # 0: market_adjusted, raw
        edited("a number of parameters", "estimation.n_params")
    events = manifest["inputs"].get("events")
    if events == {}:  # a study run from a DataFrame, by a version that recorded nothing of its events
        problem = (
            "records nothing of the events (the study was run from a DataFrame by an older version, "
            "which recorded no hash of them): it cannot be verified; run it again to record them"
        )
        raise InputError(str(path), problem, field="inputs.events")
    if not isinstance(events, dict) or not (
        isinstance(events.get("path"), str) or isinstance(events.get("content_sha256"), str)
    ):
        problem = "has no events file path nor content hash (was the manifest edited?)"
        raise InputError(str(path), problem, field="inputs.events.path")
    from eventstudy.output.export import FORMATS

    unknown = sorted(set(manifest.get("formats", [])) - set(FORMATS))
    if unknown:
        raise InputError(str(path), f"names an unknown format {unknown[0]!r}", field="formats")
    from eventstudy.peers import check_peers

    try:  # as run_study checks its peers (whose errors name the ticker, not the file)
        check_peers(manifest.get("peers", []), source=str(path))
    except (InputError, TypeError) as exc:
        problem = exc.message if isinstance(exc, InputError) else str(exc)
        raise InputError(str(path), problem, field="peers") from None
    return manifest


_SHAPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "config": (dict, "a table of settings"),
    "inputs": (dict, "a record of the inputs"),
    "loaded_from": (dict, "a record of the run that computed the results"),
    "formats": (list, "a list of format names"),
    "report": (bool, "true or false"),
    "peers": (list, "a list of symbols"),
    "command": (list, "a list of arguments"),
    "versions": (dict, "a table of versions"),
    "cache": ((str, type(None)), "a path or null"),
    "engine": (dict, "an engine record"),
    "model": (dict, "a model record"),
    "estimation": (dict, "an estimation record"),
    "p_from": (dict, "a table of statistic names"),
    "units": (dict, "a table of statistic units"),
    "caar_band": (str, "a band method"),
    "p_family": (str, "a multiple-testing family"),
    "validation": (dict, "a validation record"),
    "git_commit": ((str, type(None)), "a commit or null"),
    "git_dirty": ((bool, type(None)), "true, false or null"),
}
"""The type of each manifest key :func:`verify` and the report read (beyond ``config`` and
``inputs``)."""


def with_backtest(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's config, with the backtest rule that older manifests kept beside it."""
    config = dict(manifest["config"])
    if config.get("backtest") is None and isinstance(manifest.get("backtest"), Mapping):
        config["backtest"] = dict(manifest["backtest"])
    return config

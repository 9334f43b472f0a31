"""Re-run the study an output folder's ``manifest.json`` describes, and compare.

:func:`verify` rebuilds the configuration from the manifest, reads the same events file
(adding the same peers) from the same cache, runs the study into a temporary folder and
compares every exported parquet table with the folder's: same columns, same types, same
shape and exactly equal values (NaN equal to NaN). It also compares every input hash in the
manifest (events file, cached prices and shares). Differences in package versions or the
project's git commit are reported as notes: they explain a difference but are not one.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.config import ShareCaveat, StudyConfig
from eventstudy.errors import InputError

TABLES: tuple[str, ...] = ("ar.parquet", "car.parquet", "events.parquet")


@dataclass
class TableDifference:
    """How one table differs: missing, other columns/shape, or the columns whose values differ.

    ``max_abs_diff`` maps each differing numeric column to the largest absolute difference
    (NaN against a number counts as infinite); other differing columns map to NaN.
    """

    table: str
    problem: str
    columns: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        if not self.columns:
            return f"{self.table}: {self.problem}"
        parts = [
            f"{c} (max abs diff {d:.3g})" if np.isfinite(d) or np.isinf(d) else f"{c} (values differ)"
            for c, d in self.columns.items()
        ]
        return f"{self.table}: {self.problem}: " + ", ".join(parts)


@dataclass
class VerifyResult:
    """Outcome of :func:`verify`.

    Attributes
    ----------
    folder
        The verified folder.
    tables
        Differences in the parquet tables (empty when identical).
    inputs
        Input hashes that differ, as ``"prices.NVDA.content_sha256: <old> -> <new>"``.
    notes
        Version and commit differences, and tables that are identical in values but not bytes.
    """

    folder: Path
    tables: list[TableDifference] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """True when every table and every input hash is the same."""
        return not self.tables and not self.inputs

    def summary(self) -> str:
        """Readable lines: verdict, differences, notes."""
        if self.identical:
            lines = [f"{self.folder}: identical ({', '.join(TABLES)} and every input hash)"]
        else:
            lines = [f"{self.folder}: DIFFERENT"]
            lines += [f"  table  {d.describe()}" for d in self.tables]
            lines += [f"  input  {d}" for d in self.inputs]
        lines += [f"  note   {n}" for n in self.notes]
        return "\n".join(lines)


def config_from_manifest(config: Mapping[str, Any], source: str = "manifest.json") -> StudyConfig:
    """The :class:`StudyConfig` whose ``to_dict()`` is ``config``.

    Raises
    ------
    InputError
        When a key is not a field of this version's configuration, or a value is invalid.
    """
    fields = {f.name for f in dataclasses.fields(StudyConfig)}
    values: dict[str, Any] = {}
    for key, value in config.items():
        if key not in fields:
            raise InputError(source, "configuration key unknown to this version", field=f"config.{key}")
        if key == "share_caveats":
            values[key] = tuple(
                ShareCaveat(c["ticker"], pd.Timestamp(c["from"]).date(), c["note"]) for c in value
            )
        else:
            values[key] = _tuples(value)
    try:
        return StudyConfig(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(source, f"invalid configuration ({exc})", field="config") from None


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _hashes(tree: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every ``*sha256`` leaf of a nested mapping, with its dotted path."""
    if isinstance(tree, Mapping):
        for key in sorted(tree):
            path = f"{prefix}.{key}" if prefix else str(key)
            if str(key).endswith("sha256") and isinstance(tree[key], str):
                yield path, tree[key]
            else:
                yield from _hashes(tree[key], path)


def compare_inputs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Input hashes that differ between two manifests' ``inputs`` (provenance is not compared)."""
    before, after = dict(_hashes(old)), dict(_hashes(new))
    out = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path, "absent"), after.get(path, "absent")
        if a != b:
            out.append(f"{path}: {a[:12]} -> {b[:12]}")
    return out


def compare_tables(name: str, old: pd.DataFrame, new: pd.DataFrame) -> TableDifference | None:
    """Exact comparison of two frames (NaN equals NaN); None when identical."""
    if list(old.columns) != list(new.columns):
        gone = [c for c in old.columns if c not in new.columns]
        added = [c for c in new.columns if c not in old.columns]
        return TableDifference(name, f"columns differ (only before: {gone}; only now: {added})")
    if old.shape != new.shape:
        return TableDifference(name, f"shape {old.shape} -> {new.shape}")
    differing: dict[str, float] = {}
    for column in old.columns:
        a, b = old[column], new[column]
        if str(a.dtype) != str(b.dtype):
            differing[column] = float("nan")
            continue
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            same = (x == y) | (np.isnan(x) & np.isnan(y))
            if not same.all():
                gap = np.abs(x - y)[~same]
                differing[column] = float(np.inf if np.isnan(gap).any() else gap.max())
        elif not a.equals(b):
            differing[column] = float("nan")
    if differing:
        return TableDifference(name, "values differ", differing)
    return None


def verify(
    folder: str | Path, *, cache: str | Path | None = None, events: str | Path | None = None
) -> VerifyResult:
    """Re-run the study of ``folder`` and compare its tables and input hashes.

    Parameters
    ----------
    folder
        An output folder of ``eventstudy run``.
    cache
        Price cache; default: the one recorded in the manifest.
    events
        Events file; default: the path recorded in the manifest (relative to the working
        directory, as given on the original command line).
    """
    from eventstudy.events import read_events
    from eventstudy.export import build_manifest, save_study
    from eventstudy.peers import add_peers, require_cached
    from eventstudy.store import PriceStore
    from eventstudy.study import run_study

    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(manifest_path), f"cannot read the manifest ({exc.strerror})") from None
    except ValueError as exc:
        raise InputError(str(manifest_path), f"not valid JSON ({exc})") from None
    for key in ("config", "inputs"):
        if key not in manifest:
            raise InputError(str(manifest_path), "key is missing", field=key)
    config = config_from_manifest(manifest["config"], str(manifest_path))
    events_path = Path(events or manifest["inputs"]["events"]["path"])
    store = PriceStore(cache or manifest.get("cache", "cache"))
    peers = list(manifest.get("peers", []))
    frame = read_events(events_path)
    require_cached(store, peers)
    frame = add_peers(frame, peers)
    results = run_study(frame, store, config, events_path=events_path)

    result = VerifyResult(folder)
    fresh = build_manifest(results, store, events_path, peers=peers)
    result.inputs = compare_inputs(manifest["inputs"], fresh["inputs"])
    for key in sorted(set(manifest.get("versions", {})) | set(fresh["versions"])):
        a, b = manifest.get("versions", {}).get(key), fresh["versions"].get(key)
        if a != b:
            result.notes.append(f"version of {key}: {a} -> {b}")
    if manifest.get("git_commit") != fresh.get("git_commit"):
        result.notes.append(f"project commit: {manifest.get('git_commit')} -> {fresh.get('git_commit')}")

    scratch = Path(tempfile.mkdtemp(prefix="eventstudy-verify."))
    try:
        out = save_study(
            results, scratch / "out", store=store, events_path=events_path, peers=peers, report=False
        )
        for name in TABLES:
            if not (folder / name).is_file():
                result.tables.append(TableDifference(name, "missing in the folder"))
                continue
            difference = compare_tables(name, pd.read_parquet(folder / name), pd.read_parquet(out / name))
            if difference is not None:
                result.tables.append(difference)
            elif (folder / name).read_bytes() != (out / name).read_bytes():
                result.notes.append(f"{name}: same values, different bytes (file metadata)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result

"""Re-run the study an output folder's ``manifest.json`` describes, and compare every file.

:func:`verify` first checks that the folder is exactly what one run wrote: every file the
manifest records is there with the SHA-256 it had when written, and nothing else is (a file
from another run, or one edited since, is named). It then rebuilds the configuration (and the
backtest rule) from the manifest, re-runs the same pipeline as ``eventstudy run``
(:func:`eventstudy.pipeline.run_pipeline`, offline, on the same cache) into a temporary folder,
and compares every file: parquet tables by value (same columns, types, shape and values,
NaN equal to NaN), the report's text exactly, figures byte for byte. It also compares every
input hash in the manifest (events file, cached prices and shares). Differences in package
versions or the project's git commit are reported as notes: they explain a difference but
are not one.
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

PRESENTATION_KEYS: tuple[str, ...] = ("command", "git_commit", "git_dirty", "versions", "cache")
"""Manifest keys that describe how a run was invoked, not what it computed: the re-run's
report is rendered with the original's values so that only computed differences show."""


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
    files
        Files of the folder that do not come from the run its manifest records.
    tables
        Differences in the re-run's files (empty when identical).
    inputs
        Input hashes that differ, as ``"prices.NVDA.content_sha256: <old> -> <new>"``.
    notes
        Version and commit differences, and tables that are identical in values but not bytes.
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


def compare_files(name: str, old: Path, new: Path) -> TableDifference | None:
    """Compare one output file of two runs: tables by value, text exactly, other files by bytes."""
    if not old.is_file():
        return TableDifference(name, "missing in the folder")
    if not new.is_file():
        return TableDifference(name, "not written by the re-run")
    if name.endswith(".parquet"):
        return compare_tables(name, pd.read_parquet(old), pd.read_parquet(new))
    before, after = old.read_bytes(), new.read_bytes()
    if before == after:
        return None
    if name.endswith((".md", ".html", ".csv", ".json")):
        lines_old, lines_new = before.splitlines(), after.splitlines()
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
        directory, as given on the original command line).
    """
    from eventstudy.backtest.rules import BacktestConfig
    from eventstudy.data.store import PriceStore
    from eventstudy.output.export import git_state, package_versions
    from eventstudy.output.folder import check_recorded_files, output_files

    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(manifest_path), f"cannot read the manifest ({exc.strerror})") from None
    except ValueError as exc:
        raise InputError(str(manifest_path), f"not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise InputError(str(manifest_path), "not a manifest (a JSON object is expected)")
    for key in ("config", "inputs"):
        if key not in manifest:
            raise InputError(str(manifest_path), "key is missing", field=key)
    config = config_from_manifest(manifest["config"], str(manifest_path))
    rule = None
    if "backtest" in manifest:
        try:
            rule = BacktestConfig.from_dict(manifest["backtest"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(str(manifest_path), f"invalid backtest rule ({exc})", field="backtest") from None
    events_path = Path(events or manifest["inputs"]["events"]["path"])
    store = PriceStore(cache or manifest.get("cache", "cache"))
    peers = list(manifest.get("peers", []))

    result = VerifyResult(folder)
    result.files = check_recorded_files(folder)
    recorded = output_files(folder)
    scratch = Path(tempfile.mkdtemp(prefix="eventstudy-verify."))
    try:
        out = _rerun(manifest, config, rule, events_path, store, peers, "car.parquet" in recorded, scratch)
        fresh = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        result.inputs = compare_inputs(manifest["inputs"], fresh["inputs"])
        names = sorted(set(recorded) | set(output_files(out)))
        for name in names:
            difference = compare_files(name, folder / name, out / name)
            if difference is not None:
                result.tables.append(difference)
        result.compared = len(names)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    current = package_versions()
    for key in sorted(set(manifest.get("versions", {})) | set(current)):
        a, b = manifest.get("versions", {}).get(key), current.get(key)
        if a != b:
            result.notes.append(f"version of {key}: {a} -> {b}")
    commit = git_state()["git_commit"]
    if manifest.get("git_commit") != commit:
        result.notes.append(f"project commit: {manifest.get('git_commit')} -> {commit}")
    return result


def _rerun(
    manifest: Mapping[str, Any],
    config: StudyConfig,
    rule: Any,
    events_path: Path,
    store: Any,
    peers: list[str],
    study: bool,
    scratch: Path,
) -> Path:
    """Re-run the folder's study (or its backtest alone) into ``scratch/out``; returns that folder."""
    from eventstudy.output.folder import Guard

    guard = Guard(cwd=scratch)
    out = scratch / "out"
    if study:
        from eventstudy.output.export import save_study
        from eventstudy.pipeline import run_pipeline

        done = run_pipeline(events_path, store, config, peers=peers, backtest=rule, offline=True)
        shown = {key: manifest[key] for key in PRESENTATION_KEYS if key in manifest}
        save_study(
            done.results,
            out,
            store=store,
            events_path=events_path,
            peers=peers,
            formats=manifest.get("formats", []),
            backtest=done.backtest,
            guard=guard,
            presentation={**shown, "events_path": manifest["inputs"]["events"].get("path")},
        )
        return out
    from eventstudy.backtest.engine import run_backtest
    from eventstudy.backtest.export import save_backtest
    from eventstudy.data.events import read_events

    if rule is None:
        raise InputError(str(events_path), "the folder holds neither a study nor a backtest rule")
    tested = run_backtest(read_events(events_path), store, rule, config, events_path=events_path)
    save_backtest(tested, out, guard=guard, manifest={k: v for k, v in manifest.items() if k != "files"})
    return out

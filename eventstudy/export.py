"""Write a study's outputs: ``ar.parquet``, ``car.parquet``, ``report.md``, ``manifest.json``.

The files are first written to a temporary folder beside the output folder, which then
replaces the output folder in one rename; a failed run leaves the previous outputs untouched
and no partial folder behind. Parquet files carry no timestamps, so the same inputs give
byte-identical files.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.report import render_markdown
from eventstudy.store import PriceStore, content_sha256, file_sha256
from eventstudy.study import StudyResults

PACKAGES: tuple[str, ...] = (
    "eventstudy-backtester",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "statsmodels",
    "yfinance",
)


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages the results depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def input_hashes(
    store: PriceStore, events_path: Path, symbols: list[str], tickers: list[str]
) -> dict[str, Any]:
    """SHA-256 of the events file and of the values of every cached input, with provenance.

    Cached files are hashed by content (their values), not bytes, so re-importing the same
    data gives the same hash; each file's provenance record is listed beside it.
    """
    prices = {}
    for symbol in sorted(symbols):
        path = store.price_path(symbol)
        prices[symbol] = {
            "content_sha256": content_sha256(store.read_prices(symbol)),
            "provenance": store.provenance(path),
        }
    shares = {}
    for ticker in sorted(tickers):
        path = store.shares_path(ticker)
        if path.is_file():
            shares[ticker] = {
                "content_sha256": content_sha256(store.read_shares(ticker)),
                "provenance": store.provenance(path),
            }
    return {
        "events": {"path": str(events_path), "sha256": file_sha256(events_path)},
        "prices": prices,
        "shares": shares,
    }


def write_parquet(frame: pd.DataFrame, path: Path, metadata: Mapping[str, str] | None = None) -> None:
    """Write a frame without the index, adding string ``metadata`` to the schema."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    merged = dict(table.schema.metadata or {})
    for key, value in (metadata or {}).items():
        merged[key.encode("utf-8")] = value.encode("utf-8")
    pq.write_table(table.replace_schema_metadata(merged), path)


def write_outputs(out_dir: Path, writers: Mapping[str, Callable[[Path], None]]) -> Path:
    """Create ``out_dir`` with one file per entry of ``writers``, all or nothing.

    Parameters
    ----------
    out_dir
        Final output folder; replaced if it exists.
    writers
        File name -> function writing that file to the given path.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        for name, write in writers.items():
            write(staging / name)
        if out_dir.exists():
            retired = out_dir.with_name(f".{out_dir.name}.{staging.name.split('.')[-2]}.old")
            out_dir.rename(retired)
            staging.rename(out_dir)
            shutil.rmtree(retired)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def write_json(payload: Mapping[str, Any], path: Path) -> None:
    """Pretty, key-sorted JSON with a trailing newline."""
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def command_line() -> list[str]:
    """The command that produced the outputs (program name without its folder)."""
    return [Path(sys.argv[0]).name, *sys.argv[1:]]


def build_manifest(results: StudyResults, store: PriceStore, events_path: Path) -> dict[str, Any]:
    """Configuration, model, versions, input hashes and command line of a run."""
    symbols = list(results.panel.symbols)
    tickers = sorted(results.events["ticker"].unique())
    return {
        "study": results.config.name,
        "config": results.config.to_dict(),
        "model": {"name": results.model.name, "description": results.model.describe()},
        "versions": package_versions(),
        "inputs": input_hashes(store, Path(events_path), symbols, tickers),
        "command": command_line(),
        "outputs": ["ar.parquet", "car.parquet", "events.parquet", "report.md", "manifest.json"],
    }


def save_study(results: StudyResults, out_dir: Path, *, store: PriceStore, events_path: Path) -> Path:
    """Write every output of ``results`` to ``out_dir`` (all or nothing)."""
    manifest = build_manifest(results, store, events_path)
    schema_note = {"eventstudy.study": results.config.name, "eventstudy.model": results.model.name}
    events = results.events.drop(columns=["source_row"])
    writers: dict[str, Callable[[Path], None]] = {
        "ar.parquet": lambda p: write_parquet(results.ar, p, schema_note),
        "car.parquet": lambda p: write_parquet(results.car, p, schema_note),
        "events.parquet": lambda p: write_parquet(events, p, schema_note),
        "report.md": lambda p: p.write_text(render_markdown(events, results.car, manifest), encoding="utf-8"),
        "manifest.json": lambda p: write_json(manifest, p),
    }
    return write_outputs(out_dir, writers)

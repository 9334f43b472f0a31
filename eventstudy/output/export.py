"""Write a study's outputs: the parquet tables, ``manifest.json``, the backtest and the report.

Every file of a run (the study's tables, the backtest's, the report rendered from those files
alone by :mod:`eventstudy.report`) is written into a staging folder that then replaces the
output folder in one atomic exchange (:func:`eventstudy.output.folder.publish`): the folder is always
the previous complete output or the new one, never a mix, and a folder holding anything the
tool did not write is refused, never replaced. Parquet files carry no timestamps and the figures no
software or date metadata, so the same inputs give byte-identical files. Each parquet file
documents its columns (type, unit, meaning) in its schema metadata under
``eventstudy.output.schema`` (:mod:`eventstudy.output.schema`); ``--format csv`` adds ``ar.csv`` and
``car.csv`` (:func:`write_csv`).
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.aggregate import caar_bands, cross_event_statistics, event_panel
from eventstudy.data.store import PriceStore, content_sha256, file_sha256
from eventstudy.models import model_manifest
from eventstudy.output.folder import Guard, checkpoint, publish
from eventstudy.output.schema import SCHEMA_KEY, SCHEMAS, ColumnDoc, schema_json
from eventstudy.peers import peer_tickers
from eventstudy.study import StudyResults

if TYPE_CHECKING:
    from eventstudy.backtest.engine import BacktestResults

FORMATS: tuple[str, ...] = ("csv",)
"""Extra export formats besides parquet (``--format``)."""
CSV_TABLES: tuple[str, ...] = ("ar", "car")

PACKAGES: tuple[str, ...] = (
    "eventstudy-backtester",
    "jinja2",
    "matplotlib",
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


def write_parquet(
    frame: pd.DataFrame,
    path: Path,
    metadata: Mapping[str, str] | None = None,
    docs: Mapping[str, ColumnDoc] | None = None,
) -> None:
    """Write a frame without the index, adding string ``metadata`` to the schema.

    With ``docs`` (column -> :class:`~eventstudy.output.schema.ColumnDoc`) the file also carries the
    documented schema (each column's type, unit and meaning) under ``eventstudy.output.schema``.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    merged = dict(table.schema.metadata or {})
    for key, value in (metadata or {}).items():
        merged[key.encode("utf-8")] = value.encode("utf-8")
    if docs is not None:
        merged[SCHEMA_KEY.encode("utf-8")] = schema_json(table, docs).encode("utf-8")
    pq.write_table(table.replace_schema_metadata(merged), path)


FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection")."""


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts with a formula trigger prefixed by ``'``.

    OWASP's rule for CSV files opened in a spreadsheet: a cell starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so Excel,
    LibreOffice and Google Sheets show it as text instead of evaluating it (``=HYPERLINK(...)``
    in a share-count filing, an event id ``-2-3``). Only text columns change: numbers, dates and
    missing values stay as they are. The parquet files always keep the values unchanged.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype("object")
        risky = text.str.startswith(FORMULA_TRIGGERS, na=False).to_numpy(bool)
        if risky.any():
            out[column] = text.where(~risky, "'" + text.astype(str))
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as an Excel-friendly CSV, safe to open in a spreadsheet.

    UTF-8 with a byte-order mark (so Excel detects the encoding of headlines and notes),
    comma-separated with a header row, ``.`` as the decimal point, numbers at full precision
    (shortest round-trip), dates as ``YYYY-MM-DD``, missing values as empty fields, CRLF line
    ends (RFC 4180: a field holding a line break or carriage return is quoted); text cells that
    a spreadsheet would evaluate as a formula are neutralised (:func:`neutralise_formulas`).
    """
    neutralise_formulas(frame).to_csv(
        path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d", lineterminator="\r\n"
    )


def git_state(folder: Path | None = None) -> dict[str, Any]:
    """The project's git commit and whether its checkout has uncommitted changes.

    ``folder`` defaults to the folder holding the ``eventstudy`` package. Outside a git
    checkout (an installed wheel) both are None.
    """
    folder = folder or Path(__file__).resolve().parents[1]

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=folder, capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": None, "git_dirty": None}
    status = git("status", "--porcelain")
    return {"git_commit": commit, "git_dirty": bool(status) if status is not None else None}


def write_json(payload: Mapping[str, Any], path: Path) -> None:
    """Pretty, key-sorted JSON with a trailing newline."""
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def command_line() -> list[str]:
    """The command that produced the outputs (program name without its folder)."""
    return [Path(sys.argv[0]).name, *sys.argv[1:]]


def build_manifest(
    results: StudyResults,
    store: PriceStore,
    events_path: Path,
    *,
    peers: Sequence[str] | None = None,
    formats: Sequence[str] = (),
) -> dict[str, Any]:
    """Configuration, model, versions, input hashes, git commit and command line of a run.

    ``peers`` is the peer list the events were extended with (:func:`eventstudy.peers.add_peers`);
    None reads it from the rows with role ``peer``.
    """
    symbols = list(results.panel.symbols)
    tickers = sorted(results.events["ticker"].unique())
    peers = list(peer_tickers(results.events) if peers is None else peers)
    from eventstudy.data.screening import validation_report  # price checks and the policy applied

    return {
        "study": results.config.name,
        "config": results.config.to_dict(),
        "model": {
            **model_manifest(results.model),
            "exclude_overlapping_windows": results.config.exclude_overlapping_windows,
        },
        "estimation": {"n_params": int(results.fit.n_params)},
        "peers": peers,
        "formats": sorted(formats),
        "versions": package_versions(),
        "inputs": input_hashes(store, Path(events_path), symbols, tickers),
        "validation": validation_report(store, tickers, results.config.market),
        "cache": str(store.root),
        "command": command_line(),
        **git_state(),
    }


def save_study(
    results: StudyResults,
    out_dir: str | Path,
    *,
    store: PriceStore,
    events_path: Path,
    peers: Sequence[str] | None = None,
    formats: Sequence[str] = (),
    backtest: BacktestResults | None = None,
    report: bool = True,
    guard: Guard | None = None,
    presentation: Mapping[str, Any] | None = None,
) -> Path:
    """Write every output of a run to ``out_dir``, all or nothing (:func:`eventstudy.output.folder.publish`).

    Parameters
    ----------
    results
        The study's results.
    out_dir
        Output folder: created, or replaced when it is empty or an unchanged earlier output
        of this tool; anything else is refused (:class:`~eventstudy.output.folder.OutputFolderError`).
    store, events_path
        The cache and events file the study ran on (hashed into the manifest).
    peers
        The peer list (recorded in the manifest for ``eventstudy verify``).
    formats
        Extra formats from :data:`FORMATS` (``"csv"`` writes ``ar.csv`` and ``car.csv``).
    backtest
        The backtest of the run (its files and rule join the folder), or None.
    report
        Render ``report.md``, ``report.html`` and ``figures/`` from the written files.
    guard
        Folders the output must keep away from; default: the cache, the project checkout and
        the working directory (:meth:`eventstudy.output.folder.Guard.for_cache`).
    presentation
        Manifest values that describe how a run was invoked rather than what it computed
        (``command``, ``git_commit``, ``versions``, ``cache``, and ``events_path`` for the
        events file's recorded path), replacing this process's: ``eventstudy verify`` renders
        its re-run as the original run was rendered, so only computed differences show.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown export format {unknown[0]!r} (expected one of {', '.join(FORMATS)})")
    manifest = build_manifest(results, store, events_path, peers=peers, formats=formats)
    if backtest is not None:
        manifest["backtest"] = backtest.config.to_dict()
    shown = dict(presentation or {})
    if "events_path" in shown:
        manifest["inputs"]["events"]["path"] = shown.pop("events_path")
    manifest.update(shown)
    schema_note = {"eventstudy.study": results.config.name, "eventstudy.model": results.model.name}
    events = results.events.drop(columns=["source_row"])
    shares = {ticker: store.read_shares(ticker) for ticker in results.events["ticker"].unique()}
    panel = event_panel(results, shares)
    stats = cross_event_statistics(results, panel)
    caar = caar_bands(results, panel)
    writers: dict[str, Callable[[Path], None]] = {
        "ar.parquet": lambda p: write_parquet(results.ar, p, schema_note, SCHEMAS["ar.parquet"]),
        "car.parquet": lambda p: write_parquet(results.car, p, schema_note, SCHEMAS["car.parquet"]),
        "events.parquet": lambda p: write_parquet(events, p, schema_note, SCHEMAS["events.parquet"]),
        "stats.parquet": lambda p: write_parquet(stats, p, schema_note, SCHEMAS["stats.parquet"]),
        "caar.parquet": lambda p: write_parquet(caar, p, schema_note, SCHEMAS["caar.parquet"]),
        "manifest.json": lambda p: write_json(manifest, p),
    }
    if "csv" in formats:
        writers["ar.csv"] = lambda p: write_csv(results.ar, p)
        writers["car.csv"] = lambda p: write_csv(results.car, p)
    if backtest is not None:
        from eventstudy.backtest.export import backtest_writers

        writers.update(backtest_writers(backtest))

    def build(staging: Path) -> None:
        write_files(staging, writers)
        if report:
            _render_report(staging)

    return publish(out_dir, build, guard=guard or Guard.for_cache(store.root))


def write_files(folder: Path, writers: Mapping[str, Callable[[Path], None]]) -> None:
    """Call each writer on its path under ``folder`` (sub-folders created as needed)."""
    for name, write in writers.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write(target)
        checkpoint(f"wrote {name}")


def _render_report(folder: Path) -> None:
    from eventstudy.report import render_report

    render_report(folder)


def csv_writers(folder: Path) -> dict[str, Callable[[Path], None]]:
    """Writers of ``ar.csv`` and ``car.csv`` from ``folder``'s parquet files."""
    return {
        f"{name}.csv": lambda p, name=name: write_csv(pd.read_parquet(Path(folder) / f"{name}.parquet"), p)
        for name in CSV_TABLES
    }

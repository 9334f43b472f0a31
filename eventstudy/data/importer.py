"""Offline import of Yahoo-format CSV files into the cache.

``eventstudy cache import PATH`` accepts files or folders. A file named
``shares_outstanding.csv`` (or any CSV whose header is ``ticker,as_of,shares_outstanding,
filing,source``) is a shares file; any other ``<SYMBOL>.csv`` is a Yahoo daily price file with
the header ``Date,Open,High,Low,Close,Adj Close,Volume`` and the file name as the symbol
(``^GSPC.csv`` is ``^GSPC``). A Ken French daily factor file (named ``F-F_...`` or starting
with French's preamble "This file was created by using the") goes to ``factors/<name>.parquet``
in decimal units (see :mod:`eventstudy.data.factors`). A CSV whose header starts with
``ticker,announced,timing`` is an earnings calendar, stored per ticker in
``earnings/<TICKER>.parquet`` (see :mod:`eventstudy.data.earnings`).

Every file is parsed and checked before anything is written, so a bad file leaves the cache as
it was: one bad file in a batch means nothing of the batch is imported. Values are kept exactly
as given: no sorting, filling or dropping. Rows out of date order, duplicate dates and
non-numeric prices are errors naming file, row and field.

Names follow :mod:`eventstudy.symbols`, the grammar ``events.csv`` applies to its tickers: a
price file's name (without ``.csv``) and every ``ticker`` of a shares file must be a symbol, so
the cache takes exactly the symbols a study can ask for (``nvda.csv``, ``A B.csv`` or
``ÄÖ.csv`` are refused, not imported under a name no events file can use). A symbol imported
from two files of one batch is an error too. Files must be UTF-8 (a byte-order mark is
accepted): a Latin-1 or Windows-1252 file is an error naming the row of its first non-UTF-8
byte.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.csvfile import first_bad_symbol, header_of, parse_dates, parse_numbers, read_text_table
from eventstudy.data.earnings import is_earnings_file, parse_earnings_csv
from eventstudy.data.factors import is_french_file, parse_french_csv
from eventstudy.data.store import SHARES_COLUMNS, PriceStore, table_name_problem
from eventstudy.errors import InputError
from eventstudy.hashing import file_sha256
from eventstudy.symbols import symbol_problem

YAHOO_HEADER: tuple[str, ...] = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")
_RENAME = dict(
    zip(YAHOO_HEADER, ("date", "open", "high", "low", "close", "adj_close", "volume"), strict=True)
)


@dataclass(frozen=True)
class ImportedFile:
    """One file brought into the cache."""

    kind: str  # "prices", "shares", "factors" or "earnings"
    source: Path
    symbols: tuple[str, ...]
    rows: int
    ignored_columns: tuple[str, ...] = ()


def import_paths(store: PriceStore, paths: list[Path]) -> list[ImportedFile]:
    """Parse every CSV under ``paths``, then write them all to ``store``.

    Raises
    ------
    InputError
        For the first bad file, row or field; nothing is written in that case.
    """
    files = _collect(paths)
    for path in files:  # names first: a misnamed file is reported before any file is parsed
        if not is_french_file(path) and not _is_shares_file(path) and not is_earnings_file(path):
            _price_symbol(path)
    imported_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    staged: list[tuple[ImportedFile, list[tuple[str, pd.DataFrame]], dict[str, str]]] = []
    for path in files:
        provenance = {
            "source": "yahoo-csv-import",
            "source_file": str(path.resolve()),
            "source_sha256": file_sha256(path),
            "imported_at": imported_at,
            "library": f"eventstudy {version('eventstudy-backtester')}",
        }
        if is_french_file(path):
            table = parse_french_csv(path)
            problem = table_name_problem(table.name)
            if problem:
                raise InputError(str(path), f"the file name names the factor table, and {problem}")
            provenance = {**table.provenance, "imported_at": imported_at, "table": table.name}
            parts = [(table.name, table.frame)]
            summary = ImportedFile("factors", path, (table.name,), len(table.frame))
        elif is_earnings_file(path):
            parsed = parse_earnings_csv(path)
            earnings = parsed.frame
            parts = [(ticker, part) for ticker, part in earnings.groupby("ticker", sort=True)]
            provenance["source"] = "earnings-csv-import"
            provenance["timing"] = "as given in the file (pre, intraday, post, unknown)"
            summary = ImportedFile(
                "earnings", path, tuple(t for t, _ in parts), len(earnings), parsed.ignored_columns
            )
        elif _is_shares_file(path):
            shares = parse_shares_csv(path)
            parts = [(ticker, part) for ticker, part in shares.groupby("ticker", sort=True)]
            provenance["adjustment"] = "none: shares outstanding as reported"
            summary = ImportedFile("shares", path, tuple(t for t, _ in parts), len(shares))
        else:
            prices = parse_yahoo_csv(path)
            provenance["adjustment"] = (
                "Yahoo auto_adjust=False: close split-adjusted, adj_close split- and dividend-adjusted"
            )
            symbol = _price_symbol(path)
            parts = [(symbol, prices)]
            summary = ImportedFile("prices", path, (symbol,), len(prices))
        staged.append((summary, parts, provenance))
    _check_unique(staged)
    for summary, parts, provenance in staged:
        for symbol, frame in parts:
            record = {**provenance, "symbol": symbol}
            if summary.kind == "factors":
                store.write_factors(symbol, frame, provenance)
            elif summary.kind == "shares":
                store.write_shares(symbol, frame, record)
            elif summary.kind == "earnings":
                store.write_earnings(symbol, frame, record)
            else:
                store.write_prices(symbol, frame, record)
    return [summary for summary, _, _ in staged]


def _price_symbol(path: Path) -> str:
    """The symbol a price file is named after (``NVDA.csv`` -> ``NVDA``), or an InputError."""
    problem = symbol_problem(path.stem)
    if problem:
        raise InputError(
            str(path), f"a price file is named <SYMBOL>.csv, and {problem}", field="file name"
        )
    return path.stem


def _check_unique(
    staged: list[tuple[ImportedFile, list[tuple[str, pd.DataFrame]], dict[str, str]]],
) -> None:
    """Refuse a batch that brings one symbol (or factor table) from two files."""
    first: dict[tuple[str, str], Path] = {}
    for summary, parts, _ in staged:
        for symbol, _ in parts:
            key = (summary.kind, symbol)
            if key in first:
                raise InputError(
                    str(summary.source),
                    f"{summary.kind} of {symbol} also come from {first[key]}; import one file per symbol",
                )
            first[key] = summary.source


def _collect(paths: list[Path]) -> list[Path]:
    """The CSV files named by ``paths`` (folders: their ``*.csv``), each file once."""
    files: dict[Path, Path] = {}
    for path in paths:
        try:
            if path.is_dir():
                found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
                if not found:
                    raise InputError(str(path), "folder holds no .csv files to import")
            elif path.is_file():
                found = [path]
            else:
                raise InputError(str(path), "no such file or folder")
            for file in found:
                files.setdefault(file.resolve(), file)
        except OSError as exc:
            raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None
    return list(files.values())


def _is_shares_file(path: Path) -> bool:
    return path.name == "shares_outstanding.csv" or header_of(path) == SHARES_COLUMNS


def parse_yahoo_csv(path: Path) -> pd.DataFrame:
    """Parse one Yahoo daily price CSV into the cache's price frame.

    Missing values written as empty, ``null`` or ``NaN`` become NaN (and are reported by the
    study wherever they are used); anything else that is not a number is an error.
    """
    frame = read_text_table(path, YAHOO_HEADER)
    out = pd.DataFrame({"date": parse_dates(path, frame["Date"], "Date")})
    for name in YAHOO_HEADER[1:]:
        out[_RENAME[name]] = parse_numbers(path, frame[name], name, allow_missing=True)
    dates = out["date"].to_numpy()
    order = np.flatnonzero(dates[1:] <= dates[:-1])
    if order.size:
        row = int(order[0]) + 3
        kind = "duplicate date" if dates[order[0] + 1] == dates[order[0]] else "date out of order"
        raise InputError(str(path), f"{kind} {frame['Date'].iloc[order[0] + 1]}", row=row, field="Date")
    return out


def parse_shares_csv(path: Path) -> pd.DataFrame:
    """Parse a shares-outstanding CSV (``ticker,as_of,shares_outstanding,filing,source``)."""
    frame = read_text_table(path, SHARES_COLUMNS)
    tickers = frame["ticker"].str.strip()
    first_bad_symbol(path, tickers)
    shares = parse_numbers(path, frame["shares_outstanding"], "shares_outstanding", allow_missing=False)
    nonpositive = np.flatnonzero((shares <= 0).to_numpy())
    if nonpositive.size:
        row = int(nonpositive[0])
        raise InputError(
            str(path),
            f"{frame['shares_outstanding'].iloc[row]!r} must be positive",
            row=row + 2,
            field="shares_outstanding",
        )
    return pd.DataFrame(
        {
            "ticker": tickers,
            "as_of": parse_dates(path, frame["as_of"], "as_of"),
            "shares_outstanding": shares,
            "filing": frame["filing"],
            "source": frame["source"],
        }
    )

"""Offline import of Yahoo-format CSV files into the cache.

``eventstudy cache import PATH`` accepts .csv files or folders (their .csv files). A file named
``shares_outstanding.csv`` (or any CSV whose header is ``ticker,as_of,shares_outstanding,
filing,source``) is a shares file; any other ``<SYMBOL>.csv`` is a Yahoo daily price file with
the header ``Date,Open,High,Low,Close,Adj Close,Volume`` and the file name as the symbol
(``^GSPC.csv`` is ``^GSPC``). A Ken French daily factor file (named ``F-F_...`` or starting
with French's preamble "This file was created by using the") goes to ``factors/<name>.parquet``
in decimal units (see :mod:`eventstudy.data.factors`). A CSV whose header starts with
``ticker,announced,timing`` is an earnings calendar, stored per ticker in
``earnings/<TICKER>.parquet`` (see :mod:`eventstudy.data.earnings`).

Returns panels (``--returns FILE``, :mod:`eventstudy.data.returns_import`) go to
``returns/<ID>.parquet``, one file per id.

Every file is parsed and checked before anything is written, so a bad file leaves the cache as
it was: one bad file in a batch means nothing of the batch is imported. The batch's files are
then written whole and renamed into place one after the other at the end
(:meth:`~eventstudy.data.store.PriceStore.staged_writes`): a full disk or a ``kill -9`` while
they are written imports nothing of it either; a rename that fails leaves the files renamed
before it (the error names them), and a kill during the renames leaves their journal, so that no
study reads the mix until ``eventstudy cache verify --clean`` finishes them. Values are kept exactly
as given: no sorting, filling or dropping. Rows out of date order, duplicate dates,
non-numeric prices and negative volumes are errors naming file, row and field.

A price file that replaces a cached history is compared with it as a re-fetch is
(:func:`~eventstudy.data.restatements.compare_histories`): when it changes the close or adj_close
of a cached day, a record goes into the new file's provenance ``restatements`` (after those of the
file it replaces, which are carried) and onto its :class:`ImportedFile`; one whose every restated
close changed by a split factor (x0.5) is recorded as a split, and the study then withholds the
market values of the share counts dated before it. A file that only adds days records nothing.

A price or returns file, earnings calendar or factor file that replaces a cached series (or
table) and drops cached days or changes values (any column) says so: a record of
:func:`~eventstudy.data.restatements.replacement_record` goes into the new file's provenance
``replacements`` (after the replaced file's, carried) and onto
:attr:`ImportedFile.replacements`, for the command's one line per series. A shares file is not
the ticker's history but counts to add to it: it is merged with the cached counts by ``as_of``
(:func:`~eventstudy.data.shares.merge_counts`, the file's count winning on a day both give), the
merged series passes the jump check a file's counts pass, and what the merge changed goes into
the provenance ``merges``.

Names follow :mod:`eventstudy.symbols`, the grammar ``events.csv`` applies to its tickers: a
price file's name (without ``.csv``) and every ``ticker`` of a shares file must be a symbol, so
the cache takes exactly the symbols a study can ask for (``A B.csv`` or ``ÄÖ.csv`` are
refused, not imported under a name no events file can use). A symbol imported from two files of
one batch is an error too, and so is a series whose identifier differs only in case from another
one of the batch or of the cache (``HDFC.Bank`` beside ``HDFC.BANK``), or that would give an
identifier both prices and returns (one series per identifier: remove the other file first), and
share counts or earnings dates of a ticker that differs only in case from a series, or from the
counts or dates of another ticker (``nvda`` beside ``NVDA``: they would attach to no row).
Files must be UTF-8 (a byte-order mark is accepted): a Latin-1 or Windows-1252 file is an error
naming the row of its first non-UTF-8 byte.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from importlib.metadata import version
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.earnings import EARNINGS_HEADER, is_earnings_file, parse_earnings_csv
from eventstudy.data.factors import is_french_file, parse_french_csv
from eventstudy.data.restatements import compare_histories, replacement_record
from eventstudy.data.returns_import import doubts, parse_returns_file, series_doubts
from eventstudy.data.shares import (
    CONFLICTING_COUNTS,
    MAX_EXACT_SHARE_COUNT,
    TOO_MANY_SHARES,
    ShareCountJump,
    merge_counts,
    share_count_jump,
)
from eventstudy.data.store import (
    EARNINGS_COLUMNS,
    NEGATIVE_VOLUME,
    PRICE_COLUMNS,
    RETURNS_COLUMNS,
    SERIES_KINDS,
    SHARES_COLUMNS,
    CacheCorruptError,
    CachedTable,
    PriceStore,
    is_cache_file,
    table_name_problem,
)
from eventstudy.data.tabular import (
    check_symbols,
    header_of,
    other_columns,
    parse_dates,
    parse_numbers,
    read_text_table,
    require_columns,
)
from eventstudy.errors import DataUnavailableError, InputError, ParameterError
from eventstudy.hashing import file_sha256
from eventstudy.packed import not_text, packed
from eventstudy.symbols import (
    collision_message,
    identity_key,
    number_key,
    number_twin_message,
    symbol_problem,
)

LOG = logging.getLogger("eventstudy")
"""Where an import asks a question of what it imported (``eventstudy: warning: ...`` lines)."""
YAHOO_HEADER: tuple[str, ...] = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")
_RENAME = dict(
    zip(YAHOO_HEADER, ("date", "open", "high", "low", "close", "adj_close", "volume"), strict=True)
)


@dataclass(frozen=True)
class ImportedFile:
    """One file brought into the cache."""

    kind: str  # "prices", "shares", "factors", "earnings" or "returns"
    source: Path
    symbols: tuple[str, ...]
    rows: int
    ignored_columns: tuple[str, ...] = ()
    missing: int = 0
    """Returns files: days of a series whose return is missing (a blank cell, ``NA``, a CRSP
    code), stored as missing and not in ``rows``."""
    restatement: dict[str, Any] | None = None
    """A price file replacing a cached history that it restates: the record appended to the
    file's provenance ``restatements`` (:func:`~eventstudy.data.restatements.compare_histories`)."""
    replacements: tuple[tuple[str, dict[str, Any]], ...] = ()
    """(symbol, record) of each cached series or count history the file changed: for prices and
    returns what replacing it lost (:func:`~eventstudy.data.restatements.replacement_record`,
    appended to the provenance ``replacements``), for shares what merging with it changed
    (:func:`~eventstudy.data.shares.merge_counts`, appended to the provenance ``merges``)."""


Staged = tuple[ImportedFile, list[tuple[str, pd.DataFrame]], dict[str, Any]]
"""One parsed file before it is written: its summary, (series name, frame) parts and provenance."""


def import_paths(
    store: PriceStore,
    paths: list[Path],
    *,
    returns: list[Path] | tuple[Path, ...] = (),
    units: str | None = None,
    definition: str | None = None,
) -> list[ImportedFile]:
    """Parse every CSV under ``paths`` and every returns file of ``returns``, then write them all.

    Parameters
    ----------
    store
        The cache.
    paths
        Price, shares and French files, or folders of them.
    returns
        Returns panels (:mod:`eventstudy.data.returns_import`).
    units, definition
        The declared units (``decimal`` or ``percent``, required with ``returns``) and return
        definition (``simple``, the default, or ``log``) of the returns files; either given
        without returns files is refused (a price file's returns are its closes' changes).

    Raises
    ------
    InputError
        For the first bad file, row or field; nothing is written in that case. A
        :class:`~eventstudy.data.store.CacheWriteError` (an ``InputError`` too) says what of the
        batch was written: nothing, or the files renamed before a rename that failed.
    """
    if units is not None and not returns:
        raise ParameterError("units", "declares the units of returns files, and none is given")
    if definition is not None and not returns:
        raise ParameterError("definition", "declares what the returns files' numbers are, and none is given")
    files = _collect(paths) if paths else []
    for path in files:  # names first: a misnamed file is reported before any file is parsed
        if not is_french_file(path) and not _is_shares_file(path) and not is_earnings_file(path):
            _refuse_reordered_header(path)
            _price_symbol(path)
        elif path.name.startswith("."):  # ._shares_outstanding.csv "also gave" the real file's counts
            raise InputError(str(path), f"not imported: {HIDDEN_COPY}", field="file name")
    imported_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    staged: list[Staged] = []
    places: dict[tuple[Path, str], tuple[int | None, str | None]] = {}  # where a file names a series
    for path in files:
        digest = _source_digest(path)
        provenance: dict[str, Any] = {
            "source": "yahoo-csv-import",
            "source_file": str(path),  # as given: a relative path publishes none of the folders above it
            "source_sha256": digest,
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
            parts = [  # in date order, as a fetch stores them (Yahoo lists the newest first)
                (str(ticker), part.sort_values("announced", kind="stable"))
                for ticker, part in earnings.groupby("ticker", sort=True)
            ]
            provenance["source"] = "earnings-csv-import"
            provenance["timing"] = "as given in the file (pre, intraday, post, unknown)"
            summary = ImportedFile(
                "earnings", path, tuple(t for t, _ in parts), len(earnings), parsed.ignored_columns
            )
        elif _is_shares_file(path):
            shares = parse_shares_csv(path)
            parts = [(str(ticker), part) for ticker, part in shares.groupby("ticker", sort=True)]
            provenance["adjustment"] = "none: shares outstanding as reported"
            ignored = other_columns(header_of(path), SHARES_COLUMNS)
            summary = ImportedFile("shares", path, tuple(t for t, _ in parts), len(shares), ignored)
        else:
            prices = parse_yahoo_csv(path)
            provenance["adjustment"] = (
                "Yahoo auto_adjust=False: close split-adjusted, adj_close split- and dividend-adjusted"
            )
            symbol = _price_symbol(path)
            parts = [(symbol, prices)]
            places[(path, symbol)] = (None, "file name")
            ignored = other_columns(header_of(path), YAHOO_HEADER)
            summary = ImportedFile("prices", path, (symbol,), len(prices), ignored)
        if summary.kind in ("shares", "earnings"):  # frames indexed by row: a ticker's first row names it
            places.update({(path, ticker): (int(part.index.min()), "ticker") for ticker, part in parts})
        if summary.ignored_columns:  # what the file held and the cache does not
            provenance["ignored_columns"] = list(summary.ignored_columns)
        _check_unchanged(path, digest)
        staged.append((summary, parts, provenance))
    questions: list[str] = []  # said once the files are imported
    named: dict[object, Path] = {}
    for path in map(Path, returns):  # one file named twice (or by two links) is read once
        named.setdefault(_same_file_key(path), path)
    for path in named.values():
        _check_regular(path)
        digest = _source_digest(path)
        returns_file = parse_returns_file(path, units=units, definition=definition or "simple")
        _check_unchanged(path, digest)
        questions += doubts(returns_file)
        asked = series_doubts(returns_file)
        provenance = {
            "source": "returns-import",
            "source_file": str(path),  # as given: a relative path publishes none of the folders above it
            "source_sha256": digest,
            "imported_at": imported_at,
            "library": f"eventstudy {version('eventstudy-backtester')}",
            **returns_file.provenance,
        }
        parts = [(series.symbol, series.frame) for series in returns_file.series]
        places.update({(path, series.symbol): (series.row, series.field) for series in returns_file.series})
        if returns_file.layout == "crsp":
            provenance["missing_codes"] = {s.symbol: s.missing_codes for s in returns_file.series}
        if returns_file.ignored_columns:
            provenance["ignored_columns"] = list(returns_file.ignored_columns)
        if any(asked.values()):  # said again by a study using the series (validate: import_question)
            provenance[PER_SYMBOL] = {s: {"import_questions": texts} for s, texts in asked.items() if texts}
        missing = sum(int(frame["ret"].isna().sum()) for _, frame in parts)
        symbols, ignored = tuple(p for p, _ in parts), returns_file.ignored_columns
        summary = ImportedFile("returns", path, symbols, returns_file.rows, ignored, missing)
        staged.append((summary, parts, provenance))
    _check_unique(staged, places)
    with store.catalog_lock():
        _check_cache(store, staged, places)
        _check_not_foreign(store, staged, places)
        staged = [_with_replacements(store, item) for item in staged]
        with store.staged_writes():  # the renames at the end (see the module docstring)
            _write_staged(store, staged)
    for question in questions:  # once imported: the file is in the cache as declared
        LOG.warning("%s", question)
    return [summary for summary, _, _ in staged]


def _source_digest(path: Path) -> str:
    """The SHA-256 of a source file, or an InputError naming it when it cannot be read."""
    try:
        return file_sha256(path)
    except OSError as exc:
        raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None


def _check_unchanged(path: Path, digest: str) -> None:
    """Refuse a source file whose bytes changed while it was parsed: its recorded SHA-256 would
    be another file's (an audit overwrote a 52 MB panel mid-import; the record named the new
    file's hash, of rows never read)."""
    if _source_digest(path) != digest:
        problem = "the file changed while it was read: nothing was imported; import it again"
        raise InputError(str(path), problem)


def _write_staged(store: PriceStore, staged: list[Staged]) -> None:
    """Write every series of the checked batch ``staged`` to the cache, one file at a time."""
    for summary, parts, provenance in staged:
        own = provenance.get(PER_SYMBOL, {})
        shared = {k: v for k, v in provenance.items() if k != PER_SYMBOL}
        for symbol, frame in parts:
            table_record = {**shared, **own.get(symbol, {})}  # a factor table's (no symbol)
            record = {**table_record, "symbol": symbol}
            if summary.kind == "factors":
                store.write_factors(symbol, frame, table_record)
            elif summary.kind == "shares":
                store.write_shares(symbol, frame, record)
            elif summary.kind == "earnings":
                store.write_earnings(symbol, frame, record)
            elif summary.kind == "returns":
                codes = record.get("missing_codes")
                if isinstance(codes, dict):  # a CRSP file: this series' count of missing-return codes
                    record["missing_codes"] = codes[symbol]
                store.write_returns(symbol, frame, record)
            else:
                store.write_prices(symbol, frame, record)


def _with_restatement(
    summary: ImportedFile, provenance: dict[str, Any], new: pd.DataFrame, cached: CachedTable
) -> tuple[ImportedFile, dict[str, Any]]:
    """A price file replacing the ``cached`` history, with that file's ``restatements`` carried
    into its provenance and, when it changes a cached day's close or adj_close, the record of that
    (:func:`~eventstudy.data.restatements.compare_histories`, as a re-fetch records it) appended
    and set on its summary."""
    earlier = list(cached.provenance.get("restatements", []))
    record = compare_histories(cached.frame, new)
    if record is not None:
        record["detected_at"] = provenance["imported_at"]
        record["replaced_rows_from"] = _origin(cached)
        earlier.append(record)
    if not earlier:
        return summary, provenance
    return replace(summary, restatement=record), {**provenance, "restatements": earlier}


PER_SYMBOL = "per_symbol"
"""A staged file's provenance key holding, by symbol, what only that symbol's cache file records
(a file of many tickers writes one cache file each); :func:`_write_staged` merges it in."""

REPLACED_FROM = ("source", "source_file", "source_sha256", "imported_at", "fetched_at")
"""Keys of a replaced file's provenance that a record of the change keeps: where its rows came from."""


def _origin(cached: CachedTable) -> dict[str, Any]:
    """Where the rows of a replaced cache file came from (its provenance's :data:`REPLACED_FROM`)."""
    return {k: cached.provenance[k] for k in REPLACED_FROM if k in cached.provenance}


REPLACED_SERIES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "prices": ("date", PRICE_COLUMNS[1:]),
    "returns": ("date", RETURNS_COLUMNS[1:]),
    "earnings": ("announced", EARNINGS_COLUMNS[2:]),
    "factors": ("date", None),
}
"""Kinds whose file replaces the cached series of a symbol (or the factor table of a name) ->
its column of days and the value columns compared (None: every other column of the cached table)."""


def _with_replacements(store: PriceStore, item: Staged) -> Staged:
    """A file with what it changes of the cache recorded: each cached price or returns series,
    earnings calendar or factor table it replaces
    (:func:`~eventstudy.data.restatements.replacement_record`: cached days dropped, values
    changed; provenance ``replacements``; for a price file restated closes too,
    :func:`_with_restatement`), and each ticker's cached share counts, which it is merged with
    (:func:`_merged_shares`; provenance ``merges``). The records of the replaced file are carried,
    and the new ones set on the summary for the command's lines. Each cached file is read once.
    A cached file that cannot be read is replaced without a comparison (there is nothing to
    compare with: the re-import a damaged file's error advises)."""
    summary, parts, provenance = item
    key = "merges" if summary.kind == "shares" else "replacements"
    new_parts, records, carried = [], [], []
    for symbol, frame in parts:
        cached = _cached(store, symbol, summary.kind)
        if cached is not None and summary.kind == "prices":
            summary, provenance = _with_restatement(summary, provenance, frame, cached)
        record: dict[str, Any] | None = None
        if cached is not None and summary.kind == "shares":
            frame, record = _merged_shares(summary.source, symbol, frame, cached.frame)
        elif cached is not None:
            day, columns = REPLACED_SERIES[summary.kind]
            compared = tuple(c for c in cached.frame.columns if c != day) if columns is None else columns
            definitions = tuple(p.get("definition", "simple") for p in (cached.provenance, provenance))
            if definitions[0] != definitions[1]:  # only returns have a definition
                # the same numbers as log returns are other returns: compared as what they mean
                old_simple, new_simple = (
                    table.assign(ret=_simple_returns(table["ret"], definition))
                    for table, definition in zip((cached.frame, frame), definitions, strict=True)
                )
                record = replacement_record(old_simple, new_simple, compared, key=day)
                if record is not None:
                    record["definition"] = list(definitions)
            else:
                record = replacement_record(cached.frame, frame, compared, key=day)
        new_parts.append((symbol, frame))
        earlier = list(cached.provenance.get(key, [])) if cached is not None else []
        if cached is not None and record is not None:
            origin = "cached_rows_from" if summary.kind == "shares" else "replaced_rows_from"
            earlier.append({**record, "detected_at": provenance["imported_at"], origin: _origin(cached)})
            records.append((symbol, record))
        kept = {  # a record of the cached file's own source, which the merge keeps (a reviewer)
            name: cached.provenance[name]
            for name in (CONFLICTING_COUNTS,)
            if cached is not None and summary.kind == "shares" and name in cached.provenance
        }
        carried.append((symbol, {key: earlier, **kept} if earlier else kept))
    # Merged into the file's own per-symbol records (its series' import questions: replacing them
    # dropped every question of a file that changed a cached return; a finder).
    per_symbol = {symbol: dict(records) for symbol, records in provenance.get(PER_SYMBOL, {}).items()}
    for symbol, kept_records in carried:
        if kept_records:
            per_symbol[symbol] = {**per_symbol.get(symbol, {}), **kept_records}
    if per_symbol:
        provenance = {**provenance, PER_SYMBOL: per_symbol}
    return replace(summary, replacements=tuple(records)), new_parts, provenance


def _simple_returns(returns: pd.Series, definition: str) -> np.ndarray:
    """Decimal returns of ``definition`` (simple or log) as simple returns, :math:`e^r - 1`."""
    values = returns.to_numpy(float)
    return np.expm1(values) if definition == "log" else values


def _merged_shares(
    source: Path, ticker: str, new: pd.DataFrame, cached: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The counts of ``ticker`` after importing ``new`` (rows of ``source``, indexed by their row
    number) over the ``cached`` ones (:func:`~eventstudy.data.shares.merge_counts`), and the record
    of what changed. When the file gives every cached day the counts are the file's rows in its
    order, as a first import stores them (the same file again leaves the same cache content, so
    a study's recorded input hash still matches); otherwise in date order.

    Raises
    ------
    InputError
        When a count of the merged series is more than
        :data:`~eventstudy.data.shares.MAX_SHARE_COUNT_RATIO` times (or less than its inverse) its
        neighbour in date order, as in one file; naming the file's row of the count.
    """
    merged, record = merge_counts(cached, new)
    jump = share_count_jump(merged)
    if jump is not None:
        raise _merged_jump(source, new, jump)
    if len(merged) == len(new):  # every cached day is in the file: stored as a first import stores it
        return merged, record
    return merged.sort_values("as_of", kind="stable"), record


def _merged_jump(source: Path, new: pd.DataFrame, jump: ShareCountJump) -> InputError:
    """The error of a jump between a file's count and a cached one (or two cached ones, in a
    cache written before the check), said of the file's count and naming its row."""
    where = "shares_outstanding"
    if jump.position < len(new):  # the file's count, against its neighbour (the cache's, or the file's)
        row = int(new.index[jump.position])
        return InputError(str(source), f"{jump.describe()}; {MERGED}", row=row, field=where)
    earlier = np.flatnonzero((new["as_of"] == jump.previous_as_of).to_numpy())
    if not earlier.size:
        message = f"the cached share counts already hold a jump: {jump.describe()}; {MERGED}"
        return InputError(str(source), message, field=where)
    swapped = replace(
        jump,
        position=int(earlier[0]),
        as_of=jump.previous_as_of,
        count=jump.previous_count,
        previous_as_of=jump.as_of,
        previous_count=jump.count,
    )
    row = int(new.index[earlier[0]])
    return InputError(str(source), f"{swapped.describe()}; {MERGED}", row=row, field=where)


MERGED = "a shares file is merged with the cached counts by as_of, and checked as merged"


def _cached(store: PriceStore, symbol: str, kind: str) -> CachedTable | None:
    """The cached file of ``symbol`` of ``kind`` (a factor table's name for ``factors``), or None
    when there is none or it is damaged."""
    path = store.factors_path(symbol) if kind == "factors" else store.path(symbol, kind)
    if not path.is_file():
        return None
    try:
        return _read_cached(store, symbol, kind)
    except CacheCorruptError:
        return None


def _read_cached(store: PriceStore, symbol: str, kind: str) -> CachedTable | None:
    """:func:`_cached`, raising :class:`~eventstudy.data.store.CacheCorruptError` for a damaged file."""
    readers: dict[str, Callable[[str], CachedTable | None]] = {
        "prices": store.read_price_table,
        "returns": store.read_returns_table,
        "shares": store.read_shares_table,
        "earnings": store.read_earnings_table,
        "factors": store.read_factors_table,
    }
    return readers[kind](symbol)


def _check_number_twins(
    cached: Mapping[str, Mapping[str, str]],
    staged: list[Staged],
    places: Mapping[tuple[Path, str], tuple[int | None, str | None]],
) -> None:
    """Refuse an identifier of the batch that is a whole number the cache or the batch already
    holds written another way (10107 cached, 10107.0 now: two series of one firm, or share
    counts and dates on no row; a finder), naming the row and field where a file names it."""
    spellings: dict[str, dict[str, str]] = {}  # number -> {identifier: what holds it}
    for kind, held in cached.items():
        for symbol in held.values():
            number = number_key(symbol)
            if number is not None:
                spellings.setdefault(number, {}).setdefault(symbol, f"{kind} in the cache")
    for summary, parts, _ in staged:
        for symbol, _ in parts:
            number = number_key(symbol)
            if number is None:
                continue
            seen = spellings.setdefault(number, {})
            other = next((name for name in seen if name != symbol), None)
            if other is not None:
                row, field = places.get((summary.source, symbol), (None, None))
                said = f"{number_twin_message(other, symbol)}; {other} has {seen[other]}"
                raise InputError(str(summary.source), said, row=row, field=field)
            seen.setdefault(symbol, f"{summary.kind} in this import")


def _held_text(store: PriceStore, symbol: str, kind: str) -> str:
    """``"MSFT is already in the cache (prices)"``, or what is wrong with its file: a copy of
    another spelling's file (``prices/Msft.parquet`` holding MSFT's) refused re-importing MSFT
    as its twin, and the import named no damage."""
    try:
        _read_cached(store, symbol, kind)
    except CacheCorruptError as exc:
        return str(exc)
    except (DataUnavailableError, OSError):  # a file system that does not tell the spellings apart
        pass
    return f"{symbol} is already in the cache ({kind})"


HIDDEN_COPY = "a hidden file, such as the copy macOS leaves beside a real one: move it away"


def _price_symbol(path: Path) -> str:
    """The symbol a price file is named after (``NVDA.csv`` -> ``NVDA``), or an InputError
    (``NVDA.csv.csv``, a name a hidden extension doubled, would be the symbol ``NVDA.csv``)."""
    if path.stem.lower().endswith(".csv"):
        doubled = f"{path.name!r} ends in .csv twice: its symbol would be {path.stem!r}; rename it"
        raise InputError(str(path), doubled, field="file name")
    problem = symbol_problem(path.stem)
    if problem and path.name.startswith("."):  # macOS leaves ._NVDA.csv beside NVDA.csv on some disks
        problem += f" ({HIDDEN_COPY})"
    if problem:
        raise InputError(str(path), f"a price file is named <SYMBOL>.csv, and {problem}", field="file name")
    return path.stem


def _check_unique(
    staged: list[Staged],
    places: Mapping[tuple[Path, str], tuple[int | None, str | None]],
) -> None:
    """Refuse a batch that brings one symbol (or factor table) from two files, gives one
    identifier prices and returns, or brings two identifiers that differ only in case.

    ``places`` holds the row and field where a file names a series (a returns file's first row
    of the id, a price file's name), for the error."""
    first: dict[tuple[str, str], tuple[str, str, Path]] = {}
    for summary, parts, _ in staged:
        for symbol, _ in parts:
            kind = "series" if summary.kind in SERIES_KINDS else summary.kind
            key = (kind, identity_key(symbol))  # factor tables too: one file on a case-insensitive system
            if key in first:
                earlier, earlier_kind, source = first[key]
                if earlier != symbol:
                    message = f"{collision_message(earlier, symbol)}; the other comes from {source}"
                elif earlier_kind != summary.kind:
                    message = (
                        f"{earlier_kind} of {symbol} come from {source}; an identifier has one series "
                        "(prices or returns): import one file per identifier"
                    )
                else:
                    message = f"{summary.kind} of {symbol} also come from {source}; "
                    message += "import one file per symbol"
                row, field = places.get((summary.source, symbol), (None, None))
                raise InputError(str(summary.source), message, row=row, field=field)
            first[key] = (symbol, summary.kind, summary.source)


def _check_cache(
    store: PriceStore,
    staged: list[Staged],
    places: Mapping[tuple[Path, str], tuple[int | None, str | None]],
) -> None:
    """Refuse series that would give a cached identifier a second series, or a case twin; and
    share counts or earnings dates of a ticker that differs only in case from a series of the
    cache or the batch (``nvda`` beside ``NVDA``'s prices), which would attach to no row, or a
    series beside such counts or dates of the cache (in whichever order they come).

    One listing of each folder for the whole batch; errors name the row and field where a file
    names the series (``places``), or the file and its ``ticker`` column.
    """
    per_ticker = ("shares", "earnings")
    kinds_cached = (*SERIES_KINDS, *per_ticker)
    # Entries named as cache files that are none (a folder, link or pipe: cache verify names
    # them) are no series: a folder prices/Msft.parquet refused re-importing MSFT as its twin.
    cached = {
        kind: {identity_key(s): s for s in store.symbols(kind) if is_cache_file(store.path(s, kind))}
        for kind in kinds_cached
    }
    series = {key: s for kind in SERIES_KINDS for key, s in cached[kind].items()}
    series.update(
        {identity_key(s): s for summary, parts, _ in staged if summary.kind in SERIES_KINDS for s, _ in parts}
    )
    _check_number_twins(cached, staged, places)
    tables = {identity_key(name): name for name in store.symbols("factors")}
    for summary, parts, _ in staged:
        for name, _ in parts if summary.kind == "factors" else ():
            held = tables.get(identity_key(name), name)
            if held != name:  # replaced F-F_..._daily on a case-insensitive file system (a finder)
                message = f"{collision_message(held, name)}; {store.factors_path(held)} is in the cache"
                raise InputError(str(summary.source), message, field="file name")
    counted: dict[str, tuple[str, str]] = {}  # the batch's tickers of counts or dates: key -> (ticker, kind)
    for summary, parts, _ in staged:
        if summary.kind not in (*SERIES_KINDS, *per_ticker):
            continue
        kinds = SERIES_KINDS if summary.kind in SERIES_KINDS else per_ticker
        for symbol, _ in parts:
            twin = series.get(identity_key(symbol), symbol)
            row, field = places.get((summary.source, symbol), (None, None))
            if summary.kind in per_ticker and twin != symbol:
                message = (
                    f"{collision_message(twin, symbol)}; {twin} has a series (prices or returns), so the "
                    f"{summary.kind} of {symbol} would attach to no row: write {twin}"
                )
                raise InputError(str(summary.source), message, row=row, field="ticker")
            if summary.kind in per_ticker:  # nvda's counts beside NVDA's dates: no one series has both
                held, kind = counted.setdefault(identity_key(symbol), (symbol, summary.kind))
                if held != symbol:
                    message = f"{collision_message(held, symbol)}; {held} has {kind} in this import"
                    raise InputError(str(summary.source), message, row=row, field="ticker")
            for kind in per_ticker if summary.kind in SERIES_KINDS else ():
                held = cached[kind].get(identity_key(symbol), symbol)
                if held != symbol:  # imported after the counts or dates it would leave on no row
                    message = (
                        f"{collision_message(held, symbol)}; {held} has {kind} in the cache, which would "
                        f"attach to no row of {symbol}: write {held}, or remove {store.path(held, kind)} "
                        f"and import those {kind} as {symbol}"
                    )
                    raise InputError(str(summary.source), message, row=row, field=field)
            for kind in kinds:
                other = cached[kind].get(identity_key(symbol))
                if other is None or (other == symbol and (kind == summary.kind or kind in per_ticker)):
                    continue  # new, a re-import (replaced), or a ticker's counts beside its dates
                if other != symbol:
                    message = f"{collision_message(other, symbol)}; {_held_text(store, other, kind)}"
                else:
                    message = (
                        f"{symbol} already has {kind} in the cache ({store.path(symbol, kind)}); an "
                        f"identifier has one series: remove that file to import its {summary.kind} instead"
                    )
                raise InputError(str(summary.source), message, row=row, field=field)


def _check_not_foreign(
    store: PriceStore,
    staged: list[Staged],
    places: Mapping[tuple[Path, str], tuple[int | None, str | None]],
) -> None:
    """Refuse to replace a file of the cache's folders that this package did not write (a
    user's parquet file in ``prices/``: :meth:`PriceStore.not_ours`): nothing it did not write is
    touched."""
    for summary, parts, _ in staged:
        for symbol, _frame in parts:
            factors = summary.kind == "factors"
            target = store.factors_path(symbol) if factors else store.path(symbol, summary.kind)
            what = store.not_ours(target)
            if what:
                row, field = places.get((summary.source, symbol), (None, None))
                there = target if target.parent.is_dir() else target.parent  # shares/ a file of the user's
                message = f"{there} {what}; nothing was imported: move that file away to import this one"
                raise InputError(str(summary.source), message, row=row, field=field)


NOT_CSV = (
    "not a .csv file: cache import takes CSV files (Yahoo daily prices named <SYMBOL>.csv, share "
    "counts, earnings dates, Ken French factors) and returns panels with --returns"
)


NOT_A_FILE = "is not a regular file (nor a link to one); nothing imported"


def _collect(paths: list[Path]) -> list[Path]:
    """The CSV files named by ``paths`` (folders: their ``*.csv``), each file once; a file named
    by itself must be a ``.csv`` too (any case), or it would become the series of its stem."""
    files: dict[Path, Path] = {}
    for path in paths:
        try:
            if path.is_dir():
                # A hidden entry that is no file is passed over (an editor's lock file, .#NVDA.csv,
                # is a broken link); a hidden file is read, and its name refused.
                found = sorted(
                    p
                    for p in path.iterdir()
                    if p.suffix.lower() == ".csv" and (not p.name.startswith(".") or p.is_file())
                )
                if not found:
                    unread, archives = unread_folders([path]), unread_packed([path])
                    hint = f" (its sub-folder {unread[0].name} does: give that folder)" if unread else ""
                    if archives:
                        file, (what, way_out) = archives[0]
                        hint += f" ({file.name} is {what}: {way_out})"
                    raise InputError(str(path), f"folder holds no .csv files to import{hint}")
                for file in found:  # a FIFO, a folder or a broken link named .csv: not skipped unsaid
                    _check_regular(file)
            else:
                _check_regular(path)
                if path.suffix.lower() != ".csv":  # as a folder's listing: ORCL.csv.bak is not ORCL.csv
                    with path.open("rb") as handle:
                        said = not_text(handle.read(16))
                    raise InputError(str(path), said or NOT_CSV)
                found = [path]
            for file in found:  # one entry per name: two links to one file are two symbols
                files.setdefault(_normal(file), file)
        except OSError as exc:
            raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None
    return list(files.values())


def unread_packed(paths: list[Path]) -> list[tuple[Path, tuple[str, str]]]:
    """The files in the folders among ``paths`` that an import passes over (not ``*.csv``) and
    that begin as a compressed file or a workbook does (:func:`eventstudy.packed.packed`: NVDA.csv.gz,
    MSFT.zip, MSFT.xlsx), each with what it is and the way out, for the import to name (a folder
    of ``NVDA.csv.gz`` beside ``ORCL.csv`` imported ORCL alone, unsaid: a finder). Hidden files
    and files of other content (a README.txt) are not named."""
    found: dict[Path, tuple[Path, tuple[str, str]]] = {}  # each file once (a folder given twice)
    for path in paths:
        try:
            files = sorted(path.iterdir()) if path.is_dir() else []
        except OSError:  # said by the import, which reads the folder too
            continue
        for file in files:
            try:
                if file.name.startswith(".") or file.suffix.lower() == ".csv" or not file.is_file():
                    continue
                with file.open("rb") as handle:
                    said = packed(handle.read(16))
            except OSError:  # one unreadable file hid every archive after it (a re-attack)
                continue
            if said is not None:
                found.setdefault(_normal(file), (file, said))
    return list(found.values())


def unread_folders(paths: list[Path]) -> list[Path]:
    """The sub-folders of the folders among ``paths`` that hold ``.csv`` files of their own and
    are not among ``paths``, which an import does not read (a folder is read one level deep), for
    the import to name: ``cache import in/`` passed over ``in/sub/AMD.csv`` unsaid. A hidden
    sub-folder or a link to a folder is not named; each sub-folder is named once."""
    given = {_normal(path) for path in paths}
    found: dict[Path, Path] = {}
    for path in paths:
        try:
            if not path.is_dir():
                continue
            for sub in sorted(path.iterdir()):
                if sub.name.startswith(".") or sub.is_symlink() or not sub.is_dir() or _normal(sub) in given:
                    continue
                if any(entry.suffix.lower() == ".csv" for entry in sub.iterdir()):
                    found.setdefault(_normal(sub), sub)
        except OSError:
            continue
    return list(found.values())


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))


def _same_file_key(path: Path) -> object:
    """What two names of one file share: its device and inode (a link, hard or symbolic, or
    another spelling), else, for a name that is no file, the normalised path (refused later)."""
    try:
        status = path.stat()
    except OSError:
        return Path(os.path.normpath(path.absolute()))
    return (status.st_dev, status.st_ino)


def _check_regular(path: Path) -> None:
    """Refuse a path that is not a regular file (nor a link to one), naming it: a FIFO given as
    a returns panel hung the import, whose first read of it was its hash."""
    try:
        if path.is_file():
            return
        there = path.exists() or path.is_symlink()  # a FIFO, a folder, or a link to nothing
    except OSError as exc:
        raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None
    raise InputError(str(path), NOT_A_FILE if there else "no such file or folder")


_ORDERED_HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "an earnings file": (EARNINGS_HEADER, EARNINGS_HEADER, "a header starting {} in that order and case"),
    "a share-count file": (
        SHARES_COLUMNS[:3],
        SHARES_COLUMNS,
        "the header {} exactly, or the name shares_outstanding.csv",
    ),
}
"""Per kind of file ``cache import`` recognises by its header: the columns that name it, the
header it needs and how it is recognised (a file of any other header is a price file)."""


def _refuse_reordered_header(path: Path) -> None:
    """Refuse a file without a price file's columns whose header holds those that name an
    earnings or a share-count file, not as that file needs them: it was read as a price file and
    refused for lacking ``Date,Open``. A price file with such columns besides is a price file (a
    finder: the first version refused one)."""
    header = header_of(path)
    names = {name.casefold() for name in header}
    if {"date", "close"} <= names:  # a price file, maybe a bad one: the price parser says what is wrong
        return
    for kind, (naming, columns, rule) in _ORDERED_HEADERS.items():
        if {c.casefold() for c in naming} <= names:
            recognised = rule.format(",".join(columns))
            # the needed column missing at its place, or the extra one after a complete header
            pairs = zip_longest(header, columns)
            misplaced = next(got if need is None else need for got, need in pairs if got != need)
            raise InputError(
                str(path),
                f"the header holds the columns of {kind}, which cache import recognises by {recognised}; "
                f"this one is {_shown_header(header)}",
                row=1,
                field=misplaced,
            )


def _shown_header(header: tuple[str, ...], names: int = 10, characters: int = 200) -> str:
    """The first ``names`` names of ``header``, at most ``characters`` of them, "…" where cut."""
    text = ",".join(header[:names])
    cut = len(header) > names or len(text) > characters
    return text[:characters] + ("…" if cut else "")


def _is_shares_file(path: Path) -> bool:
    return path.name == "shares_outstanding.csv" or header_of(path) == SHARES_COLUMNS


def parse_yahoo_csv(path: Path) -> pd.DataFrame:
    """Parse one Yahoo daily price CSV into the cache's price frame.

    Missing values (empty, ``null``, ``NaN`` and the other texts of
    :data:`~eventstudy.data.tabular.MISSING_TEXT`) become NaN (and are reported by the study
    wherever they are used); anything else that is not a finite number is an error.
    """
    table = read_text_table(path, csv_only=True)
    require_columns(table, YAHOO_HEADER)
    out = pd.DataFrame({"date": parse_dates(table, table.column("Date"), "Date", observed=True)})
    for name in YAHOO_HEADER[1:]:
        out[_RENAME[name]] = parse_numbers(table, table.column(name), name)
    negative = np.flatnonzero(out["volume"].to_numpy() < 0)
    if negative.size:
        row = int(negative[0])
        raise table.fail(f"{table.column('Volume')[row]!r} {NEGATIVE_VOLUME}", index=row, field="Volume")
    dates = out["date"].to_numpy()
    order = np.flatnonzero(dates[1:] <= dates[:-1])
    if order.size:
        kind = "duplicate date" if dates[order[0] + 1] == dates[order[0]] else "date out of order"
        shown = table.column("Date")[order[0] + 1]
        raise table.fail(f"{kind} {shown}", index=int(order[0]) + 1, field="Date")
    return out


def parse_shares_csv(path: Path) -> pd.DataFrame:
    """Parse a shares-outstanding CSV (``ticker,as_of,shares_outstanding,filing,source``).

    The frame is indexed by each count's row number in the file, so that a check made later
    against the cached counts (:func:`_merged_shares`) names the row as the file's own checks do.
    """
    table = read_text_table(path, csv_only=True)
    require_columns(table, SHARES_COLUMNS)
    tickers = table.column("ticker")
    check_symbols(table, tickers, "ticker")
    counts = table.column("shares_outstanding")
    shares = parse_numbers(table, counts, "shares_outstanding", missing=frozenset())
    nonpositive = np.flatnonzero(shares <= 0)
    if nonpositive.size:
        row = int(nonpositive[0])
        raise table.fail(f"{counts[row]!r} must be positive", index=row, field="shares_outstanding")
    fractional = np.flatnonzero(shares != np.floor(shares))
    if fractional.size:  # a count in millions with decimals, or another column's numbers
        row = int(fractional[0])
        raise table.fail(
            f"{counts[row]!r} must be a whole number of shares", index=row, field="shares_outstanding"
        )
    inexact = np.flatnonzero(shares > MAX_EXACT_SHARE_COUNT)
    if inexact.size:  # 9007199254740993 was stored as ...992 and 1e20 kept, without a word (a finder)
        row = int(inexact[0])
        raise table.fail(
            f"{counts[row]!r} {TOO_MANY_SHARES}",
            index=row,
            field="shares_outstanding",
        )
    frame = pd.DataFrame(
        {
            "ticker": tickers,
            "as_of": parse_dates(table, table.column("as_of"), "as_of", observed=True),
            "shares_outstanding": shares,
            "filing": table.column("filing"),
            "source": table.column("source"),
        }
    )
    repeated = np.flatnonzero(frame.duplicated(["ticker", "as_of"]).to_numpy())
    if repeated.size:  # two counts of one day: which one a market value uses is the user's call
        row = int(repeated[0])
        same = (frame["ticker"] == frame["ticker"].iloc[row]) & (frame["as_of"] == frame["as_of"].iloc[row])
        first = int(np.flatnonzero(same.to_numpy())[0])
        raise table.fail(
            f"{tickers[row]} has a second share count as of {table.column('as_of')[row]} (the first is on "
            f"row {table.row_of(first)}): keep one",
            index=row,
            field="as_of",
        )
    jump = share_count_jump(frame)
    if jump is not None:
        raise table.fail(jump.describe(), index=jump.position, field="shares_outstanding")
    return frame.set_axis([table.row_of(i) for i in range(len(frame))], axis=0)

"""The price cache: one parquet file per symbol, provenance in the schema metadata.

Layout under the cache root::

    prices/<SYMBOL>.parquet   date, open, high, low, close, adj_close, volume
    returns/<SYMBOL>.parquet  date, ret, market_cap (a returns series imported as such)
    shares/<TICKER>.parquet   ticker, as_of, shares_outstanding, filing, source
    earnings/<TICKER>.parquet ticker, announced, timing, fiscal_period, source
    factors/<NAME>.parquet    date, one column per factor (decimal daily returns)
    .locks/<kind>/<file>.lock per-file writer locks (filelock; safe to leave in place)

``<SYMBOL>`` and ``<TICKER>`` are identifiers of :mod:`eventstudy.symbols` (at most 32
characters of ``A-Z a-z 0-9 . _ & = -`` after an optional ``^``), written as
:func:`~eventstudy.symbols.cache_stem` spells them (a Windows device name such as ``CON`` gets a
leading ``_``). An identifier has either prices or returns, never both, and no two cached
identifiers differ only in case (:func:`~eventstudy.symbols.identity_key`): the importer and
the fetcher refuse to write one that would. A returns file holds the returns as imported (in
decimal units, simple or log as its provenance's ``definition`` says) and, where the source had
them, market values; :mod:`eventstudy.data.returns_import` describes the formats. A factor
table's ``<NAME>`` is
letters, digits and ``. _ -``, starting with a letter or digit, at most
:data:`MAX_TABLE_NAME_LENGTH` characters. Asking for any other name is an
:class:`~eventstudy.errors.InputError`, so no cache path is ever built from a separator, a
leading dot or a name too long for the file system.

Each file carries a JSON provenance record (source, when it was fetched or imported, the
adjustment mode, the library and version, and for imports the source file and its SHA-256)
under the schema metadata key ``eventstudy.provenance``, the SHA-256 of its values
(:func:`~eventstudy.hashing.content_sha256`, version 2) under ``eventstudy.content_sha256.v2``
and the SHA-256 of the provenance JSON under ``eventstudy.provenance_sha256``. Files written
before version 2 carry the hash of their values rendered as CSV text
(:func:`~eventstudy.hashing.csv_sha256`) under ``eventstudy.content_sha256`` instead; a read
checks whichever key the file has (version 2 when both are present).

Guarantees
----------
* **Atomic writes.** A write goes to a temporary file ``.<name>.<random>.tmp`` in the same
  directory, is fsynced and renamed over the target (then the directory is fsynced), so a reader
  sees the old complete file or the new complete file, never a torn one. A writer killed
  mid-write leaves only its temporary file behind, which :meth:`PriceStore.verify` reports and
  :meth:`PriceStore.remove_temp_leftovers` deletes.
* **One writer per file.** Every write (and every read-modify-write, see
  :meth:`PriceStore.locked`) holds an exclusive per-file lock (:class:`filelock.FileLock`, an
  ``flock`` on ``.locks/<kind>/<file>.lock``), so concurrent ``cache import``/``fetch``
  processes never interleave. Readers take no file's lock (the rename makes reads safe), so a
  read-only cache can still be read.
* **A study reads one version of the cache.** An import renames its batch into place under the
  cache's batch lock (exclusive), and a study reads its inputs under the same lock shared
  (:meth:`PriceStore.consistent_reads`): it reads the files before a batch or after it, never
  some of each (a run during an import's renames read ORCL new and SPY old, without a word).
  Before its first rename a batch writes a journal of them (``.locks/catalog/batch.journal``),
  removed after its last: a batch stopped between the two (``kill -9``) leaves the journal, a
  study then refuses to read the mix, and ``eventstudy cache verify --clean`` finishes the
  renames (:meth:`PriceStore.finish_interrupted_batch`).
* **Damage is detected, never computed on.** Files are written with parquet page checksums;
  a read verifies them, the schema (column names and types), the provenance JSON, that the file
  belongs to the symbol it is named after, and the content hash. Anything wrong raises
  :class:`CacheCorruptError` naming the file -- never a pyarrow traceback.
* **Failed writes lose nothing.** A write that fails (no permission, disk full, ...) removes its
  temporary file and raises :class:`CacheWriteError`; the previous file is untouched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import numbers
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.flock import flock_within
from eventstudy.hashing import content_sha256, csv_sha256, file_sha256
from eventstudy.symbols import (
    cache_stem,
    collision_message,
    identity_key,
    shown,
    symbol_of_stem,
    symbol_problem,
    twin_key,
    twin_message,
)
from eventstudy.text import shell_path

PRICE_COLUMNS: tuple[str, ...] = ("date", "open", "high", "low", "close", "adj_close", "volume")
NEGATIVE_VOLUME = "is negative: a volume counts the shares traded (the abnormal-volume model takes its log)"
"""What is wrong with a volume below 0, refused by the import and the fetch."""

_NUMBER_LIKE = frozenset({"floating", "integer", "mixed-integer-float", "decimal", "empty"})


def not_numbers(values: pd.Series) -> str | None:
    """What ``values`` hold when they are not real numbers, for the error that refuses them.

    Integers and floats, nullable ones (a missing value becomes NaN) and object columns of
    numbers pass (``None``); booleans, complex numbers, text and dates do not ("bool",
    "complex128", "text", "datetime64", ...): ``astype("float64")`` would turn True into a
    price of 1.0 and drop a complex number's imaginary part with only a warning.
    """
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_complex_dtype(dtype):
        return str(dtype)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime64"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_timedelta64_dtype(dtype):
        return None
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta64"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in _NUMBER_LIKE:
        return None
    kind = _KINDS.get(inferred, inferred)
    for label, value in values.items():  # the error's path only: name the first value that is no number
        if isinstance(value, numbers.Number) and not isinstance(value, bool | complex):  # Decimal too
            continue
        if pd.api.types.is_scalar(value) and pd.isna(value):
            continue
        day = f" on {label:%Y-%m-%d}" if isinstance(label, pd.Timestamp) else ""
        return f"{kind} (first {value!r}{day})"
    return kind


_KINDS = {
    "string": "text",
    "bytes": "text",
    "boolean": "bool",
    "mixed": "values of mixed types",
    "mixed-integer": "numbers mixed with other values",
}
"""What :func:`pandas.api.types.infer_dtype`'s names of a column that is not numbers mean (a
fetch said 'holds mixed-integer' of a volume with one '1,000' in it; a finder)."""
RETURNS_COLUMNS: tuple[str, ...] = ("date", "ret", "market_cap")
SHARES_COLUMNS: tuple[str, ...] = ("ticker", "as_of", "shares_outstanding", "filing", "source")
EARNINGS_COLUMNS: tuple[str, ...] = ("ticker", "announced", "timing", "fiscal_period", "source")
"""Columns of an earnings file: release dates and their timing (see :mod:`eventstudy.data.earnings`)."""
PROVENANCE_KEY = b"eventstudy.provenance"
CONTENT_KEY = b"eventstudy.content_sha256"
"""The hash of the values rendered as CSV (:func:`~eventstudy.hashing.csv_sha256`): files written
before version 2 of the content hash; still checked when it is a file's only content key."""
VALUES_KEY = b"eventstudy.content_sha256.v2"
"""The hash of the values themselves (:func:`~eventstudy.hashing.content_sha256`), written since
version 2."""
PROVENANCE_SHA_KEY = b"eventstudy.provenance_sha256"
KINDS: tuple[str, ...] = ("prices", "shares", "factors", "earnings", "returns")
SERIES_KINDS: tuple[str, ...] = ("prices", "returns")
LOCKS = ".locks"
"""The cache's folder of per-file writer locks."""
"""The kinds that hold a series of an identifier: each identifier has one of them at most."""
MAX_TABLE_NAME_LENGTH = 100
"""Longest factor table name (the cache file is ``factors/<NAME>.parquet``)."""
_TABLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
LOCK_TIMEOUT = 120.0
"""Seconds a writer waits for another process writing the same cache file."""
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK
"""Mode of cache files: what ``open()`` would give under the process's umask."""

# Expected arrow types per column: "timestamp" (tz-naive), "number" (float or int), "string".
_SCHEMAS: dict[str, dict[str, str] | None] = {
    "prices": {"date": "timestamp", **dict.fromkeys(PRICE_COLUMNS[1:], "number")},
    "shares": {
        "ticker": "string",
        "as_of": "timestamp",
        "shares_outstanding": "number",
        "filing": "string",
        "source": "string",
    },
    "factors": None,  # ``date`` plus any number of numeric factor columns
    "earnings": {
        "ticker": "string",
        "announced": "timestamp",
        "timing": "string",
        "fiscal_period": "string",
        "source": "string",
    },
    "returns": {"date": "timestamp", "ret": "number", "market_cap": "number"},
}
_TICKER_KINDS = ("shares", "earnings")
"""Kinds whose files hold a ``ticker`` column that must name the file's ticker."""


REFETCH = "re-import or re-fetch it"
"""What mends a damaged cache file, unless its error says otherwise."""
MOVE_AWAY = "move it out of the cache, then re-import or re-fetch it"
"""What mends an unreadable one: no writer replaces a file nothing shows eventstudy wrote
(:meth:`PriceStore.not_ours`)."""


class CacheCorruptError(DataUnavailableError):
    """A cache file that cannot be used: unreadable, truncated, foreign or altered.

    Attributes
    ----------
    path
        The damaged file.
    kind
        ``unreadable``, ``foreign_schema``, ``bad_provenance``, ``misnamed`` or
        ``content_mismatch``.
    reason
        What is wrong, in one line.
    advice
        What mends it (re-importing or re-fetching it, unless said otherwise).
    """

    def __init__(self, path: str | Path, kind: str, reason: str, advice: str = REFETCH) -> None:
        self.path = Path(path)
        self.kind = kind
        self.reason = reason
        text = str(path)  # a URL (s3://...) is named as given: Path would fold its "//"
        url = "://" in text
        shown = text if url else self.path
        root = None if url else self.path.parent.parent  # cache verify reads a folder, not a URL
        if kind == "foreign":  # the user's: an import or a fetch refuses to replace it
            super().__init__(
                f"{shown}: not a cache file ({reason}); eventstudy neither reads nor replaces it: move it "
                f"out of the cache{_listed(root, 'such entry')}"
            )
            return
        listed = _listed(root, "damaged file")
        if kind == "unreadable" and advice == REFETCH:
            advice = MOVE_AWAY
        super().__init__(f"{shown}: damaged cache file ({kind}: {reason}); {advice}{listed}")


def _listed(root: Path | None, what: str) -> str:
    """How to list every ``what`` of the cache folder ``root`` ("" for a cache at a URL, which
    ``cache verify`` does not read: it is checked where it was made)."""
    if root is None:
        return ""
    return f" (list every {what} with: eventstudy cache verify --cache {shell_path(root)})"  # "my cache"


class CacheWriteError(InputError):
    """A cache file could not be written (no permission, disk full, lock held too long).

    The previous file, if any, is unchanged. An :class:`~eventstudy.errors.InputError` (the
    cache folder is the user's ``--cache``), so the command line exits with status 2.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(
            str(path), f"cannot write the cache file ({reason}); the previous file, if any, is unchanged"
        )
        self.reason = reason


class CacheBusyError(CacheWriteError):
    """Another process held the file's writer lock for longer than the timeout."""


@dataclass(frozen=True)
class CacheProblem:
    """One thing wrong in a cache folder, as listed by ``eventstudy cache verify``.

    Attributes
    ----------
    path
        The file concerned.
    kind
        A :class:`CacheCorruptError` kind, ``temp_leftover`` (temporary file of a writer that
        was killed or failed), ``stray_file`` (not a cache file) or ``twin`` (an identifier
        that is another's number written another way, or its case twin).
    detail
        One line saying what is wrong.
    """

    path: Path
    kind: str
    detail: str

    def __str__(self) -> str:
        advice = f"; {MOVE_AWAY}" if self.kind == "unreadable" else ""  # as the error reading it says
        return f"{self.path}: {self.kind}: {self.detail}{advice}"


def _twins(files: list[tuple[Path, str]]) -> list[CacheProblem]:
    """Identifiers of good cache files that are one firm's written two ways, which an older
    version imported (10107 and 10107.0, or NVDA and nvda): two series of one firm, or counts
    and dates on no row, and every re-import of either spelling stops on the other; and factor
    tables whose names differ only in case (one file on a case-insensitive file system)."""
    problems: list[CacheProblem] = []
    held: dict[str, tuple[str, str]] = {}  # number or folded case -> (identifier, kind)
    for path, kind in files:
        symbol = path.stem if kind == "factors" else symbol_of_stem(path.stem)
        if symbol is None:
            continue
        # a table's twin is a table's, by case alone
        key = f"factors:{identity_key(symbol)}" if kind == "factors" else twin_key(symbol)
        other, other_kind = held.setdefault(key, (symbol, kind))
        if other != symbol:
            said = collision_message if kind == "factors" else twin_message
            detail = (
                f"{said(other, symbol)}; {other} has {other_kind} in the cache; remove one of the two files "
                "(an older version imported both)"
            )
            problems.append(CacheProblem(path, "twin", detail))
    return problems


class PriceStore:
    """A directory of parquet files holding daily prices and shares outstanding.

    Parameters
    ----------
    root
        The cache directory (created on first write).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._staging: dict[int, _Staging] = {}  # by thread: a batch takes only its own writes

    # -- paths -----------------------------------------------------------------------------
    def price_path(self, symbol: str) -> Path:
        """``prices/<symbol>.parquet``; an :class:`InputError` unless ``symbol`` is a symbol."""
        return self.path(symbol, "prices")

    def returns_path(self, symbol: str) -> Path:
        """``returns/<symbol>.parquet``; an :class:`InputError` unless ``symbol`` is a symbol."""
        return self.path(symbol, "returns")

    def shares_path(self, ticker: str) -> Path:
        """``shares/<ticker>.parquet``; an :class:`InputError` unless ``ticker`` is a symbol."""
        return self.path(ticker, "shares")

    def path(self, symbol: str, kind: str) -> Path:
        """The cache file of ``symbol`` in the folder ``kind`` (prices, returns, shares, earnings)."""
        return self.root / kind / f"{cache_stem(self._symbol(symbol, kind))}.parquet"

    def earnings_path(self, ticker: str) -> Path:
        """``earnings/<ticker>.parquet``; an :class:`InputError` unless ``ticker`` is a symbol."""
        return self.path(ticker, "earnings")

    def factors_path(self, name: str) -> Path:
        """``factors/<name>.parquet``; an :class:`InputError` unless ``name`` is a table name."""
        problem = table_name_problem(name)
        if problem:
            raise InputError(str(self.root / "factors"), f"{problem}; no cache file can be named after it")
        return self.root / "factors" / f"{name}.parquet"

    def _symbol(self, symbol: str, kind: str) -> str:
        problem = symbol_problem(symbol)
        if problem:
            raise InputError(str(self.root / kind), f"{problem}; no cache file can be named after it")
        return symbol

    def price_symbols(self) -> list[str]:
        """Symbols with a price file (or an entry named as one), sorted (files not named after a
        symbol are left out; :meth:`verify` lists them as stray files)."""
        return self.symbols("prices")

    def symbols(self, kind: str) -> list[str]:
        """Identifiers with an entry named as a cache file in the folder ``kind``, sorted.

        A folder, link or pipe so named is listed too: reading it names it (a ``foreign``
        :class:`CacheCorruptError`), where leaving it out made ``validate`` and ``cache list`` of
        every symbol pass over it while a study of the symbol stopped on it.
        """
        folder = self.root / kind
        if not folder.is_dir():
            return []
        entries = (p for p in folder.glob("*.parquet") if _named_as(kind, p.stem))
        found = (p.stem if kind == "factors" else symbol_of_stem(p.stem) for p in entries)  # a table's name
        return sorted(s for s in found if s is not None)

    def has_prices(self, symbol: str) -> bool:
        return cached(self.price_path(symbol))

    def has_returns(self, symbol: str) -> bool:
        return cached(self.returns_path(symbol))

    def has_series(self, symbol: str) -> bool:
        """Whether ``symbol`` has prices or returns in the cache."""
        return self.has_prices(symbol) or self.has_returns(symbol)

    def series_kind(self, symbol: str) -> str | None:
        """``"prices"`` or ``"returns"``: where the series of ``symbol`` is cached (None: nowhere)."""
        return next((kind for kind in SERIES_KINDS if cached(self.path(symbol, kind))), None)

    def case_variant(self, symbol: str, kinds: tuple[str, ...] = SERIES_KINDS) -> tuple[str, str] | None:
        """A cached identifier that differs from ``symbol`` only in case, with its kind, or None.

        Lists the folders of ``kinds`` (one directory read each): for the import and fetch
        checks and for error messages, never per row of a study.
        """
        key = identity_key(symbol)
        for kind in kinds:
            for other in self.symbols(kind):
                if other != symbol and identity_key(other) == key:
                    return other, kind
        return None

    def not_cached(self, symbol: str, what: str = "prices", otherwise: str = "") -> str:
        """The message for a series that is not cached, naming a case variant if there is one,
        and ``otherwise`` the user's other choice (``use --no-peers``)."""
        variant = self.case_variant(symbol)
        hint = (
            f"; the cache holds {variant[0]!r} ({variant[1]}), which differs only in case (identifiers "
            "are case-sensitive)"
            if variant
            else ""
        )
        return (
            f"no cached {what} for {symbol!r} in {self.root}{hint} "
            f"(import them with: eventstudy cache import PATH --cache {shell_path(self.root)}"
            f"{', or ' + otherwise if otherwise else ''})"
        )

    # -- locking ---------------------------------------------------------------------------
    def locked(self, path: Path, *, timeout: float = LOCK_TIMEOUT) -> contextlib.AbstractContextManager[None]:
        """Hold the writer lock of one cache file, e.g. around a read-modify-write.

        Re-entrant within a thread: the ``write_*`` methods take the same lock again.

        Raises
        ------
        CacheWriteError
            If the lock cannot be created (read-only cache) or is held longer than ``timeout``.
        """
        return _locked(path, timeout)

    def _write(self, path: Path, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> Path:
        """:func:`_write_atomic`, its rename held back when this thread's batch is being written
        (:meth:`staged_writes`)."""
        return _write_atomic(path, frame, provenance, self._staging.get(threading.get_ident()))

    # -- prices ----------------------------------------------------------------------------
    def read_prices(self, symbol: str) -> pd.DataFrame:
        """The cached daily prices of ``symbol`` (:meth:`read_price_table`'s values)."""
        return self.read_price_table(symbol).frame

    def read_price_table(self, symbol: str) -> CachedTable:
        """The cached daily prices of ``symbol`` with their provenance and content hash.

        Raises
        ------
        DataUnavailableError
            When the cache has no file for the symbol.
        CacheCorruptError
            When the file is damaged (see the module docstring).
        """
        path = self.price_path(symbol)
        if not cached(path):
            raise DataUnavailableError(self.not_cached(symbol))
        table = read_cache_table(path, "prices")
        return dataclasses.replace(table, frame=table.frame.loc[:, list(PRICE_COLUMNS)])

    def write_prices(self, symbol: str, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> Path:
        """Atomically replace the price file of ``symbol`` (under its writer lock)."""
        frame = frame.loc[:, list(PRICE_COLUMNS)].reset_index(drop=True)
        return self._write(self.price_path(symbol), frame, provenance)

    # -- returns ---------------------------------------------------------------------------
    def read_returns_table(self, symbol: str) -> CachedTable:
        """The cached returns of ``symbol`` (``date, ret, market_cap``) with provenance and hash.

        Raises
        ------
        DataUnavailableError
            When the cache has no returns file for the symbol.
        CacheCorruptError
            When the file is damaged (see the module docstring).
        """
        path = self.returns_path(symbol)
        if not cached(path):
            raise DataUnavailableError(self.not_cached(symbol, "returns"))
        table = read_cache_table(path, "returns")
        return dataclasses.replace(table, frame=table.frame.loc[:, list(RETURNS_COLUMNS)])

    def read_series_table(self, symbol: str) -> tuple[str, CachedTable]:
        """``("prices" | "returns", table)``: the series of ``symbol``, wherever it is cached.

        Raises
        ------
        DataUnavailableError
            When neither prices nor returns are cached (naming a case variant if one is), or
            when both are (an identifier has one series).
        """
        kinds = [kind for kind in SERIES_KINDS if cached(self.path(symbol, kind))]
        if not kinds:
            raise DataUnavailableError(self.not_cached(symbol, "prices or returns"))
        if len(kinds) > 1:
            raise DataUnavailableError(
                f"{symbol!r} has both prices ({self.price_path(symbol)}) and returns "
                f"({self.returns_path(symbol)}) in the cache: an identifier has one series; remove one"
            )
        kind = kinds[0]
        return kind, (self.read_price_table(symbol) if kind == "prices" else self.read_returns_table(symbol))

    def write_returns(self, symbol: str, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> Path:
        """Atomically replace the returns file of ``symbol`` (under its writer lock)."""
        frame = frame.loc[:, list(RETURNS_COLUMNS)].reset_index(drop=True)
        return self._write(self.returns_path(symbol), frame, provenance)

    # -- shares ----------------------------------------------------------------------------
    def read_shares(self, ticker: str) -> pd.DataFrame:
        """Shares-outstanding observations of ``ticker`` sorted by ``as_of`` (empty if none)."""
        table = self.read_shares_table(ticker)
        if table is None:
            return pd.DataFrame({name: pd.Series(dtype=_SHARES_DTYPES[name]) for name in SHARES_COLUMNS})
        return table.frame

    def read_shares_table(self, ticker: str) -> CachedTable | None:
        """:meth:`read_shares` with provenance and content hash; None when none are cached."""
        path = self.shares_path(ticker)
        if not cached(path):
            return None
        table = read_cache_table(path, "shares")
        frame = table.frame.loc[:, list(SHARES_COLUMNS)].sort_values("as_of", kind="stable")
        return dataclasses.replace(table, frame=frame)

    def write_shares(self, ticker: str, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> Path:
        """Atomically replace the shares file of ``ticker`` (under its writer lock)."""
        frame = frame.loc[:, list(SHARES_COLUMNS)].reset_index(drop=True)
        return self._write(self.shares_path(ticker), frame, provenance)

    # -- earnings --------------------------------------------------------------------------
    def has_earnings(self, ticker: str) -> bool:
        """Whether the cache holds earnings dates of ``ticker`` (a file, possibly of 0 rows)."""
        return cached(self.earnings_path(ticker))

    def read_earnings(self, ticker: str) -> pd.DataFrame:
        """Earnings releases of ``ticker`` sorted by ``announced`` (empty if none are cached)."""
        table = self.read_earnings_table(ticker)
        return empty_earnings() if table is None else table.frame

    def read_earnings_table(self, ticker: str) -> CachedTable | None:
        """:meth:`read_earnings` with provenance and content hash; None when none are cached."""
        path = self.earnings_path(ticker)
        if not cached(path):
            return None
        table = read_cache_table(path, "earnings")
        frame = table.frame.loc[:, list(EARNINGS_COLUMNS)].sort_values("announced", kind="stable")
        return dataclasses.replace(table, frame=frame)

    def write_earnings(self, ticker: str, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> Path:
        """Atomically replace the earnings file of ``ticker`` (under its writer lock)."""
        frame = frame.loc[:, list(EARNINGS_COLUMNS)].reset_index(drop=True)
        return self._write(self.earnings_path(ticker), frame, provenance)

    # -- factors ---------------------------------------------------------------------------
    def read_factors(self, name: str) -> pd.DataFrame:
        """The cached daily factor table ``name`` (:meth:`read_factors_table`'s values)."""
        return self.read_factors_table(name).frame

    def read_factors_table(self, name: str) -> CachedTable:
        """The cached daily factor table ``name`` (``date`` + factor columns, decimal units).

        Raises
        ------
        DataUnavailableError
            When the cache has no such table.
        """
        path = self.factors_path(name)
        if not cached(path):
            raise DataUnavailableError(
                f"no cached factor file {name!r} in {self.root} (import Ken French's daily CSV with: "
                f"eventstudy cache import PATH --cache {shell_path(self.root)}, or run without --offline)"
            )
        return read_cache_table(path, "factors")

    def write_factors(self, name: str, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> Path:
        """Atomically replace the factor table ``name``."""
        return self._write(self.factors_path(name), frame.reset_index(drop=True), provenance)

    # -- provenance ------------------------------------------------------------------------
    @staticmethod
    def provenance(path: Path) -> dict[str, Any]:
        """The provenance record stored in a cache file's schema metadata.

        Raises
        ------
        CacheCorruptError
            When the file's footer or its provenance record cannot be read.
        """
        try:
            metadata = pq.read_schema(path).metadata or {}
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise CacheCorruptError(path, "unreadable", _one_line(exc)) from exc
        return _parse_provenance(path, metadata)

    @contextlib.contextmanager
    def catalog_lock(self, timeout: float = LOCK_TIMEOUT, *, done: str = "imported") -> Iterator[None]:
        """Held by an import from its check of the cache's identifiers (one series each, no two
        differing only in case) to its last write, and by a fetch around the check and first
        write of a new symbol, so that two writers at once cannot each find ``NVDA`` and ``nvda``
        new and write both (``.locks/catalog/identifiers.lock``; the per-file locks of the writes
        differ for the two names). A writer waits for it only while it holds no file's lock (an
        import then takes the files' locks under it; a fetch holding a file's lock only tries it,
        :meth:`catalog_lock_if_free`): no deadlock. ``done`` says what did not happen when it
        cannot be taken ("nothing was imported")."""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(_locked(_identifiers(self.root), timeout))
            except CacheWriteError as exc:  # named for the cache, not for a file it does not hold
                raise InputError(str(self.root), _catalog_problem(exc, done)) from None
            yield

    @contextlib.contextmanager
    def catalog_lock_if_free(self, *, done: str) -> Iterator[bool]:
        """:meth:`catalog_lock` without waiting: True (held in the block) when no other writer
        holds it, else False at once. What a writer holding a file's lock may ask (waiting for the
        cache's lock while holding a file's could deadlock with an import, which waits for the
        files' locks under it)."""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(_locked(_identifiers(self.root), 0.0))
            except CacheBusyError:
                free = False
            except CacheWriteError as exc:  # the lock cannot be taken at all (a read-only cache)
                raise InputError(str(self.root), _catalog_problem(exc, done)) from None
            else:
                free = True
            yield free

    def consistent_reads(self, timeout: float | None = None) -> contextlib.AbstractContextManager[None]:
        """Hold the cache's batch lock shared: no import renames its files into place in the
        block (:meth:`staged_writes` renames a batch under it, exclusive), so the files read in
        it are all from before a batch or all from after it. Several readers hold it at once. A
        cache this process cannot create the lock in is read without it.

        Raises
        ------
        InputError
            When an import has been renaming its files for longer than ``timeout`` seconds
            (default :data:`LOCK_TIMEOUT`), or was stopped while renaming them (its journal is
            left: :meth:`finish_interrupted_batch`).
        """
        return _shared_lock(_batch(self.root), LOCK_TIMEOUT if timeout is None else timeout)

    def interrupted_batch(self) -> str | None:
        """What is wrong when an import was stopped while renaming its files into place (its
        journal is left; ask with no import running: under :meth:`consistent_reads` or the
        cache's locks), else None."""
        return _interrupted_problem(self.root)

    def finish_interrupted_batch(self, timeout: float = LOCK_TIMEOUT) -> list[str]:
        """Finish the renames of an import stopped during them (``kill -9``): each of its
        temporary files not yet in place is renamed over its target, unless the target was
        written since (a fetch) or the temporary file is gone, when the target keeps what it
        holds (and the temporary file is removed). Returns one line per file acted on; empty when
        no batch was stopped.

        Raises
        ------
        InputError
            When the cache's locks cannot be had within ``timeout`` seconds, or the journal is
            not one this package wrote.
        CacheWriteError
            When a rename fails (the journal stays: run it again).
        """
        if not _journal_left(self.root):
            return []
        with self.catalog_lock(timeout, done="renamed"):
            try:
                with _locked(_batch(self.root), timeout):
                    return _finish_batch(self.root)
            except CacheCorruptError as exc:
                raise InputError(
                    str(exc.path), f"{exc.reason}; remove it, then import again the files you last imported"
                ) from None

    @contextlib.contextmanager
    def staged_writes(self) -> Iterator[None]:
        """Write the files of a batch whole first, and rename them into place at its end.

        Inside the block, each ``write_*`` writes its temporary file completely (fsynced) and
        holds back the rename; when the block ends without an error, the files are renamed one
        after the other, each under its lock, all under the cache's batch lock
        (:meth:`consistent_reads`). An error inside the block (a full disk on the
        fifth file) or a ``kill -9`` before the renames leaves every cache file as it was: the
        temporary files are removed, or, after a kill, left for ``eventstudy cache verify
        --clean``. A rename that fails (:meth:`_Staging.commit`) leaves the files renamed before
        it, each whole, and the error names them; a kill during the renames leaves their journal
        (:meth:`finish_interrupted_batch`), and no batch starts, no study reads, until they are
        finished. Hold
        :meth:`catalog_lock` around it (as an import does), so that ``--clean`` does not take a
        batch's files for a killed writer's.
        """
        problem = _interrupted_problem(self.root)
        if problem is not None:  # its files and this batch's would be mixed further
            raise InputError(str(self.root), f"{problem}; nothing was imported")
        staging, thread = _Staging(), threading.get_ident()
        self._staging[thread] = staging
        try:
            try:
                yield
            except CacheWriteError as exc:  # while the files are written: none is renamed
                exc.message += "; nothing of the batch was imported"
                raise
            del self._staging[thread]
            staging.commit()
        finally:
            self._staging.pop(thread, None)
            staging.discard()

    @staticmethod
    def not_ours(path: Path) -> str | None:
        """What ``path`` is, in the words after its name, when it is something no writer of this
        package replaces (an import, a fetch, any cache write); None when it is a cache file this
        package wrote, or nothing is there.

        Not ours: a folder, a link, a pipe; a file that does not begin as parquet does (the
        user's notes named ``NVDA.parquet`` were overwritten); a readable parquet file without a
        provenance record; and a parquet file that cannot be read, empty or cut short included:
        nothing in it shows this package wrote it (a user's own parquet file cut short was
        replaced by an import, and its bytes lost, a finder), and this package's writes are
        atomic, so a cache file it wrote is never cut short by it. A cache file it wrote that was
        altered since (its values or provenance no longer hash to its record) is its own."""
        try:
            mode = _mode(path)
        except OSError:
            return None
        if mode is None:  # nothing there; or its folder is the user's file, which a write replaced
            return NOT_OURS if _not_a_folder(path.parent) else None
        if not stat.S_ISREG(mode):
            return NOT_OURS
        try:
            if not _begins_as_parquet(path):
                return NOT_OURS
            metadata = pq.read_schema(path).metadata or {}
        except Exception as exc:  # a damaged parquet file: pyarrow raises OSError, ArrowInvalid, ...
            return f"{UNREADABLE} ({_one_line(exc)})"
        return None if PROVENANCE_KEY in metadata else NOT_OURS

    # -- integrity -------------------------------------------------------------------------
    def verify(self) -> list[CacheProblem]:
        """Check every file of the cache; an empty list means every file is good.

        Each parquet file is read in full with the checks of :func:`read_cache_frame`.
        Temporary files left by killed or failed writers are listed as ``temp_leftover`` (the
        target file beside them is intact), anything else as ``stray_file``. The temporary file
        of a writer that may be running (it holds the file's lock, or some writer holds the
        cache's identifier lock: an import's batch waits for its renames) is skipped.
        """
        problems: list[CacheProblem] = []
        good: list[tuple[Path, str]] = []  # cache files read without damage, with their kinds
        pending: frozenset[Path] = frozenset()
        if _journal_left(self.root) and not _held(_batch(self.root)):
            problem = _interrupted_problem(self.root)
            if problem is not None:
                problems.append(CacheProblem(_journal(self.root), "interrupted_batch", problem))
            pending = _journaled_temps(self.root)
        problems += _damaged_locks(self.root)
        cache = _is_cache(self.root)  # elsewhere a file named as a temporary one is the user's
        for kind in KINDS:
            folder = self.root / kind
            other = _not_a_folder(folder)  # where the cache keeps its files of the kind
            if other:
                detail = f"not the cache's folder of {kind}: {other}; move it away"
                problems.append(CacheProblem(folder, "stray_file", detail))
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if path in pending:
                    detail = "a file of the stopped import, not yet renamed; --clean renames it into place"
                    problems.append(CacheProblem(path, "temp_leftover", detail))
                elif cache and _is_temp_file(path):
                    if _temp_in_use(path):
                        continue  # a live writer's temporary file, renamed when it finishes
                    try:
                        size = path.stat().st_size
                    except FileNotFoundError:
                        continue
                    target = _target_of_temp(path)  # a new symbol's has none (never written)
                    name = target.name
                    kept = f"{name} is unaffected" if _mode(target) is not None else f"no {name}"
                    detail = f"temporary file of an interrupted write ({size} bytes); {kept}"
                    detail += "; remove with --clean"
                    problems.append(CacheProblem(path, "temp_leftover", detail))
                elif path.suffix == ".parquet" and _regular(path) and not _named_as(kind, path.stem):
                    problems.append(
                        CacheProblem(path, "stray_file", f"not a {kind} cache file: {_name_rule(kind)}")
                    )
                elif is_cache_file(path):
                    try:
                        read_cache_frame(path, kind)
                    except CacheCorruptError as exc:
                        problems.append(CacheProblem(path, exc.kind, exc.reason))
                    else:
                        good.append((path, kind))
                else:
                    problems.append(CacheProblem(path, "stray_file", f"not a {kind} cache file"))
        return problems + _twins(good)

    def files(self) -> list[Path]:
        """The files :meth:`verify` reads as cache files: in each kind's folder, regular files
        named as that kind's (a folder, link or temporary file is not one)."""
        folders = (self.root / kind for kind in KINDS)
        paths = (path for folder in folders for path in sorted(folder.glob("*.parquet")))
        return [path for path in paths if is_cache_file(path)]

    def remove_temp_leftovers(self, timeout: float = LOCK_TIMEOUT) -> list[Path]:
        """Delete temporary files of interrupted writes; returns the paths removed.

        A temporary file whose target is being written right now (its lock is held) is kept; an
        import running (:meth:`staged_writes` under :meth:`catalog_lock`) is waited for, as
        its batch's files are temporary until its end (up to ``timeout`` seconds). In a folder
        that holds no cache (:func:`_is_cache`: no lock folder, which every writer makes before
        its temporary file, and no cache file) nothing is one: a user's parquet file named
        ``.NVDA.parquet.20250101.tmp`` was removed.
        """
        if not _is_cache(self.root):
            return []
        pending = _journaled_temps(self.root)  # a stopped import's: finish_interrupted_batch renames them
        found = [
            path
            for kind in KINDS
            if (self.root / kind).is_dir()
            for path in sorted((self.root / kind).iterdir())
            if _is_temp_file(path) and path not in pending
        ]
        if not found:  # nothing to remove: no lock needed (a read-only cache is verified as well)
            return []
        removed = []
        with self.catalog_lock(timeout, done="cleaned"):
            for path in found:
                try:
                    with _locked(_target_of_temp(path), 0.0):
                        if not path.exists():
                            continue  # renamed into place by the import waited for
                        path.unlink()
                except CacheBusyError:
                    continue  # a writer holds the lock: its temporary file is in use
                removed.append(path)
        return removed


_SHARES_DTYPES = {
    "ticker": "object",
    "as_of": "datetime64[ns]",
    "shares_outstanding": "float64",
    "filing": "object",
    "source": "object",
}
_EARNINGS_DTYPES = {
    "ticker": "object",
    "announced": "datetime64[ns]",
    "timing": "object",
    "fiscal_period": "object",
    "source": "object",
}


def empty_earnings() -> pd.DataFrame:
    """An earnings frame without rows (the columns and dtypes of :data:`EARNINGS_COLUMNS`)."""
    return pd.DataFrame({name: pd.Series(dtype=_EARNINGS_DTYPES[name]) for name in EARNINGS_COLUMNS})


@dataclass(frozen=True)
class CachedTable:
    """One cache file as read: its values, provenance record and the SHA-256 of its values.

    ``content_sha256`` is computed once, when the file is read and checked against the hash
    recorded at write time, so a run hashes each input once: the version-2 hash of the values
    (:func:`eventstudy.hashing.content_sha256`), or for a file written before version 2 its
    CSV hash (:func:`eventstudy.hashing.csv_sha256`), so that records made from that file
    before (``manifest.json``'s inputs) stay comparable.
    """

    frame: pd.DataFrame
    provenance: dict[str, Any]
    content_sha256: str


def read_cache_frame(path: Path, kind: str) -> pd.DataFrame:
    """Read one cache file with every integrity check (:func:`read_cache_table`); the values only."""
    return read_cache_table(path, kind).frame


def _begins_as_parquet(path: Path) -> bool:
    """Whether the file ``path`` begins as a parquet file does (``PAR1``; an empty file or one
    cut within those bytes too: damage, not someone else's file)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    return head == b"PAR1"[: len(head)]


def _mode(path: Path) -> int | None:
    """The file mode of ``path`` itself (``lstat``: a link is not followed), None when nothing
    is there."""
    try:
        return path.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None


def require_cache_folder(path: Path) -> Path:
    """``path`` when it is a folder; a missing path or a file is an :class:`InputError` naming it
    (a reading command, or an offline study, would otherwise take a mistyped cache for an empty
    one, and blame the first series it lacks)."""
    if path.is_dir():
        return path
    raise InputError(str(path), "is a file, not a cache folder" if path.exists() else "no such cache folder")


def _not_a_folder(path: Path) -> str:
    """What ``path`` is when something other than a folder is there (``"a file, which eventstudy
    did not write"``), else "" (a folder or a link to one, as a user may keep shares/ on another
    disk; or nothing)."""
    mode = _mode(path)
    if mode is None or path.is_dir():
        return ""
    return f"{'a link to no folder' if stat.S_ISLNK(mode) else 'a file'}, which eventstudy did not write"


def _regular(path: Path) -> bool:
    """Whether ``path`` is a regular file itself (not a link to one, a folder or a pipe)."""
    mode = _mode(path)
    return mode is not None and stat.S_ISREG(mode)


def is_cache_file(path: Path) -> bool:
    """Whether ``path`` is read as a cache file of its folder's kind: a regular file named as one
    (not a writer's temporary file, which is named otherwise)."""
    return path.suffix == ".parquet" and _named_as(path.parent.name, path.stem) and _regular(path)


def cached(path: Path) -> bool:
    """Whether the cache holds the file ``path``: False when nothing is there.

    Raises
    ------
    CacheCorruptError
        (kind ``foreign``) When something else is there -- a folder, a link, a pipe: no writer of
        this package made it, so it is neither read as data nor taken for none (a folder named
        ``shares/NVDA.parquet`` gave NVDA no market value, unsaid) nor ever replaced.
    """
    mode = _mode(path)
    if mode is None:
        other = _not_a_folder(path.parent)  # shares/ made a file: every count read as none, unsaid
        if other:
            raise CacheCorruptError(path, "foreign", f"its folder {path.parent} is {other}")
        return False
    if stat.S_ISREG(mode):
        return True
    what = "not a regular file"
    if stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "a symbolic link"
    raise CacheCorruptError(path, "foreign", f"is {what}, which eventstudy did not write")


def read_cache_table(path: str | Path, kind: str, *, filesystem: Any = None) -> CachedTable:
    """Read one cache file with every integrity check, as a frame in file column order.

    ``filesystem`` is the fsspec (or pyarrow) file system holding ``path`` (default: the local
    one), for a cache on object storage (:mod:`eventstudy.data.remote`).

    Checks, in order: the parquet file and its page checksums decode; the columns and their
    types are those of ``kind`` (:data:`KINDS`); the provenance record is present and is a
    JSON object; a ``symbol`` in it, and the ``ticker`` column of a shares file, match the file
    name; the provenance and the values hash to the ``eventstudy.provenance_sha256`` and
    ``eventstudy.content_sha256.v2`` recorded at write time (or, for a file written before
    version 2, to its ``eventstudy.content_sha256``; files written before those keys existed
    skip these checks).

    Returns
    -------
    CachedTable
        The values, the provenance record and the values' SHA-256.

    Raises
    ------
    CacheCorruptError
        Naming the file and the first failed check.
    """
    named = path if filesystem is None else filesystem.unstrip_protocol(str(path))
    try:
        table = pq.read_table(path, page_checksum_verification=True, filesystem=filesystem)
        # Types come from the arrow schema checked below, not from the pandas metadata: a
        # damaged pandas record must not change dtypes or column names unnoticed.
        frame = table.to_pandas(ignore_metadata=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # pyarrow raises OSError, ArrowInvalid, ArrowTypeError, ... on damage
        if filesystem is None and _regular(Path(path)) and not _begins_as_parquet(Path(path)):  # the user's
            raise CacheCorruptError(named, "foreign", "does not begin as a parquet file does") from exc
        raise CacheCorruptError(named, "unreadable", _one_line(exc)) from exc
    metadata = table.schema.metadata or {}
    if PROVENANCE_KEY not in metadata:  # the user's, as an import, which never replaces it, says
        raise CacheCorruptError(named, "foreign", "a parquet file without eventstudy's provenance record")
    problem = _schema_problem(table.schema, kind)
    if problem:
        raise CacheCorruptError(named, "foreign_schema", problem)
    provenance = _parse_provenance(named, metadata)
    posix = PurePosixPath(str(path))  # a local path or a URL's path (eventstudy.data.remote)
    name = (symbol_of_stem(posix.stem) or posix.stem) if kind != "factors" else posix.stem
    held = str(provenance.get("symbol", name))
    if kind != "factors" and held != name:
        if identity_key(held) == identity_key(name) and not _listed_as(Path(path), filesystem):
            # a case-insensitive file system found the other file under this name
            raise DataUnavailableError(
                f"no cached {kind} for {name!r} in {posix.parent.parent}: the cache holds {held!r} "
                f"({posix.parent.name}/{cache_stem(held)}.parquet), which differs only in case "
                "(identifiers are case-sensitive; this file system does not tell them apart)"
            )
        advice = REFETCH
        if identity_key(held) == identity_key(name):  # an import refuses the other spelling's twin
            advice = f"rename it {cache_stem(held)}.parquet if the cache has no such file, else remove it"
        raise CacheCorruptError(
            named, "misnamed", f"holds data of {held!r}, not of {name!r} (renamed file?)", advice
        )
    if kind in _TICKER_KINDS and len(frame) and (frame["ticker"] != name).any():
        other = frame.loc[frame["ticker"] != name, "ticker"].iloc[0]
        what = "share counts" if kind == "shares" else "earnings dates"
        raise CacheCorruptError(named, "misnamed", f"holds {what} of {other!r}, not of {name!r}")
    if VALUES_KEY in metadata or CONTENT_KEY not in metadata:
        computed, expected = content_sha256(frame), metadata.get(VALUES_KEY)
    else:  # written before version 2: its CSV hash is checked (and recorded)
        computed, expected = csv_sha256(frame), metadata[CONTENT_KEY]
    if expected is not None and computed != expected.decode("ascii", "replace"):
        raise CacheCorruptError(
            named, "content_mismatch", "values differ from the content hash recorded when it was written"
        )
    return CachedTable(frame, provenance, computed)


def _schema_problem(schema: pa.Schema, kind: str) -> str:
    names = list(schema.names)
    expected = _SCHEMAS[kind]
    if expected is None:  # factors: date + numeric columns
        expected = {"date": "timestamp", **{n: "number" for n in names if n != "date"}}
    if sorted(names) != sorted(expected) or len(set(names)) != len(names):
        return f"columns {', '.join(names) or '(none)'}; expected {', '.join(expected)}"
    for name, want in expected.items():
        arrow_type = schema.field(name).type
        if not _TYPE_CHECKS[want](arrow_type):
            return f"column {name!r} has type {arrow_type}, expected {want}"
    return ""


_TYPE_CHECKS = {
    "timestamp": lambda t: pa.types.is_timestamp(t) and t.tz is None,
    "number": lambda t: pa.types.is_floating(t) or pa.types.is_integer(t),
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t),
}


def _parse_provenance(path: str | Path, metadata: Mapping[bytes, bytes]) -> dict[str, Any]:
    raw = metadata.get(PROVENANCE_KEY)
    if raw is None:  # every writer records provenance: its absence means a damaged footer
        raise CacheCorruptError(path, "bad_provenance", "the file has no provenance record")
    expected = metadata.get(PROVENANCE_SHA_KEY)
    if expected is not None and hashlib.sha256(raw).hexdigest() != expected.decode("ascii", "replace"):
        raise CacheCorruptError(
            path, "bad_provenance", "provenance differs from the hash recorded when it was written"
        )
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # json recurses: nesting
        raise CacheCorruptError(path, "bad_provenance", f"provenance is not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise CacheCorruptError(path, "bad_provenance", "provenance is not a JSON object")
    return record


def table_name_problem(name: object) -> str | None:
    """What is wrong with ``name`` as a factor table name; ``None`` when it is one."""
    if (
        isinstance(name, str)
        and len(name) <= MAX_TABLE_NAME_LENGTH
        and _TABLE_NAME.fullmatch(name)
        and ".." not in name
    ):
        return None
    return (
        f"{shown(name)} is not a factor table name: letters, digits and . _ - starting with a "
        f"letter or digit, at most {MAX_TABLE_NAME_LENGTH} characters"
    )


def _named_as(kind: str, stem: str) -> bool:
    """Whether a cache file's name is one a writer of ``kind`` can produce."""
    return table_name_problem(stem) is None if kind == "factors" else symbol_of_stem(stem) is not None


def _name_rule(kind: str) -> str:
    if kind == "factors":
        return "its name is not a factor table name"
    return "its name is not a ticker symbol (see eventstudy.symbols)"


_TEMP_NAME = re.compile(r"\.(?P<target>.+\.parquet)\.[a-z0-9_]{8}\.tmp", re.ASCII)
"""The name of a writer's temporary file: ``tempfile.mkstemp`` with the prefix ``.<target>.`` and
the suffix ``.tmp`` puts 8 characters of ``[a-z0-9_]`` between them (:func:`_write_atomic`).
Nothing else is taken for one: ``.report.parquet.final.tmp`` is a user's file, never removed."""


def _is_temp_file(path: Path) -> bool:
    """A writer's temporary file: named as :func:`tempfile.mkstemp` names them for a cache file
    of the folder's kind, a regular file (a folder or link of that name is the user's, never
    removed: ``lstat``, links not followed), and empty or beginning as parquet does, as all a
    writer writes there (a user's notes of that name are not one: ``--clean`` removed them)."""
    match = _TEMP_NAME.fullmatch(path.name)
    if match is None or not _named_as(path.parent.name, Path(match["target"]).stem):
        return False
    try:  # False when renamed or removed meanwhile
        return _regular(path) and _begins_as_parquet(path)
    except OSError:
        return False


def _target_of_temp(path: Path) -> Path:
    """``.NVDA.parquet.abc123.tmp`` -> ``NVDA.parquet`` in the same folder."""
    return path.with_name(path.name[1:].split(".parquet.", 1)[0] + ".parquet")


def _temp_in_use(path: Path) -> bool:
    """Whether the writer of a temporary file may be alive: it holds its target's lock, or an
    import holds the cache's identifier lock (its batch's files wait for their renames)."""
    return _held(_identifiers(path.parent.parent)) or _held(_target_of_temp(path))


def _identifiers(root: Path) -> Path:
    """The path whose lock is the cache's identifier lock (:meth:`PriceStore.catalog_lock`)."""
    return root / "catalog" / "identifiers"


def _batch(root: Path) -> Path:
    """The path whose lock is the cache's batch lock (:meth:`PriceStore.consistent_reads`)."""
    return Path(root) / "catalog" / "batch"


@contextlib.contextmanager
def _shared_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold the ``flock`` of ``path``'s lock file shared (a writer's :func:`_locked` takes the same
    file's lock exclusive: :class:`filelock.FileLock` is an ``flock`` too), polling until
    ``timeout``; without it when the lock file cannot be created or opened (a read-only cache),
    and in a folder that holds no cache yet (:func:`_holds_cache`: a reader makes no folder and
    writes nothing into one eventstudy has not written to)."""
    lock_path, root = _lock_path(path), Path(path).parent.parent
    descriptor = None
    if _holds_cache(root):
        with contextlib.suppress(OSError):
            lock_path.parent.mkdir(parents=True, exist_ok=True)
    # never through a link, never waiting on a pipe's other end (a lock file is a regular file)
    guarded = os.O_NOFOLLOW | os.O_NONBLOCK
    for flags in (os.O_RDWR | os.O_CREAT | guarded, os.O_RDONLY | guarded):
        try:
            descriptor = os.open(lock_path, flags, 0o644)
            break
        except OSError:
            continue
    if descriptor is None:
        _refuse_interrupted(root)
        yield
        return
    try:
        if not flock_within(descriptor, fcntl.LOCK_SH, timeout):
            raise InputError(
                str(root),
                f"an import has been renaming its files into place for more than {timeout:g} s "
                f"(it holds {lock_path}); nothing was read: run again when it has finished",
            )
        _refuse_interrupted(root)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _listed_as(path: Path, filesystem: Any) -> bool:
    """True when ``path``'s folder lists a file of exactly its name (a case-sensitive file system,
    or the file's own spelling on another); False for a remote file system (not asked)."""
    if filesystem is not None:
        return False
    try:
        return path.name in os.listdir(path.parent)
    except OSError:
        return False


def first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (``path`` itself, or the first
    missing one on the way to it), None when it exists."""
    missing = None
    try:
        for folder in (path, *path.parents):
            if folder.exists() or folder.is_symlink():
                return missing
            missing = folder
    except OSError:  # a name too long for the system: the command says so in its own words
        return None
    return missing


def remove_if_only_locks(folder: Path) -> bool:
    """Remove ``folder`` when it holds nothing but folders and empty lock files (``*.lock``): what
    a command that failed before storing anything made of a cache folder that was not there (a
    mistyped ``--cache``, after which ``cache verify`` called it a healthy cache). True when
    removed; anything else in it (a file, a link, a lock file with content) keeps it whole."""
    try:
        for entry in folder.rglob("*"):
            if entry.is_symlink() or not (entry.is_dir() or (entry.suffix == ".lock" and _empty_file(entry))):
                return False
        shutil.rmtree(folder)
    except OSError:
        return False
    return True


def _empty_file(path: Path) -> bool:
    mode = _mode(path)
    return mode is not None and stat.S_ISREG(mode) and path.stat().st_size == 0


def _holds_cache(root: Path) -> bool:
    """True when ``root`` is an empty folder (a cache about to be filled: the readers' lock
    keeps a first import's batch whole) or :func:`_is_cache`."""
    try:
        return _is_cache(root) or (Path(root).is_dir() and next(Path(root).iterdir(), None) is None)
    except OSError:
        return False


def _is_cache(root: Path) -> bool:
    """True when ``root`` holds the cache's lock folder (every writer takes a lock there before
    it writes) or a parquet file in a store folder (:data:`KINDS`, a copied cache): not a folder
    of the user's that merely has a ``prices`` sub-folder of their own."""
    root = Path(root)
    try:
        if not root.is_dir():
            return False
        if (root / LOCKS).is_dir():
            return True
        return any(next((root / kind).glob("*.parquet"), None) is not None for kind in KINDS)
    except OSError:
        return False


def _partial_batch(renamed: list[Path], left: int) -> str:
    """What a rename that stopped a batch adds to its error: the files renamed before it (by
    folder and name, the first ten) and how many were not imported."""
    if not renamed:
        return f"; nothing of the batch ({left} files) was imported"
    shown = ", ".join(f"{p.parent.name}/{p.name}" for p in renamed[:10])
    shown += ", ..." if len(renamed) > 10 else ""
    return (
        f"; {len(renamed)} file(s) of the batch were renamed into place before it ({shown}), the other "
        f"{left} wait in temporary files: no study reads the cache until eventstudy cache verify --clean "
        "renames them (once the cause is gone)"
    )


BATCH_JOURNAL = PurePosixPath(LOCKS, "catalog", "batch.journal")
"""Where in a cache a batch's journal lies while its files are renamed (beside the batch lock's file)."""


def _journal(root: Path) -> Path:
    """The journal of a batch's renames (:meth:`_Staging.commit`) of the cache at ``root``."""
    return Path(root, BATCH_JOURNAL)


def _journal_left(root: Path) -> bool:
    """Whether a journal is there (False when its folder cannot be searched: as a cache whose
    locks cannot be taken, it is read as it is)."""
    try:
        return _mode(_journal(root)) is not None
    except OSError:
        return False


_JOURNAL_TAG = "eventstudy: the renames of an import's batch"


@dataclass(frozen=True)
class _Rename:
    """One rename of a batch's journal: the files relative to the cache's root
    (``prices/NVDA.parquet``), and the identities (:func:`_identity`) that say whether it was done
    (the target is then the temporary file) or the target written since (neither)."""

    temporary: str
    target: str
    temporary_file: list[str]
    replaces_file: list[str] | None


def _identity(path: Path) -> list[str] | None:
    """What tells one write of a cache file from another, kept by a rename and by a copy: the
    hashes of its values and of its provenance from its metadata (every write records its own
    fetch or import), or of its bytes when it has none; None when nothing is there. (Inodes were
    not: a fetch's new file took a removed one's number, and a copied cache has other ones.)"""
    if _mode(path) is None:
        return None
    try:
        metadata = pq.read_schema(path).metadata or {}
    except Exception:  # not parquet, or damaged: its bytes
        metadata = {}
    values, record = metadata.get(VALUES_KEY) or metadata.get(CONTENT_KEY), metadata.get(PROVENANCE_SHA_KEY)
    if values and record:
        return [values.decode("ascii", "replace"), record.decode("ascii", "replace")]
    try:
        return ["sha256", file_sha256(path)]
    except OSError:
        return ["unreadable"]


def _write_journal(root: Path, pending: list[tuple[str, Path]]) -> None:
    """Write the journal of the renames ``pending`` durably (before the first of them; the
    caller has seen that no other is there).

    Raises
    ------
    CacheWriteError
        On an OS error (nothing renamed yet).
    """
    journal = _journal(root)
    try:
        files = [
            dataclasses.asdict(
                _Rename(f"{path.parent.name}/{Path(held).name}", f"{path.parent.name}/{path.name}",
                        _identity(Path(held)) or ["missing"], _identity(path))
            )
            for held, path in pending
        ]  # fmt: skip
    except OSError as exc:
        raise CacheWriteError(journal, _os_reason(exc)) from exc
    record = json.dumps({"journal": _JOURNAL_TAG, "renames": files}, indent=1).encode("utf-8")
    _write_durably(journal, lambda handle: handle.write(record))


def _remove_journal(root: Path) -> None:
    """Remove the journal once its batch ended (left, a later ``--clean`` finds nothing to do)."""
    with contextlib.suppress(OSError):
        os.unlink(_journal(root))
        _fsync_directory(_journal(root).parent)


def _read_journal(root: Path) -> list[_Rename]:
    """The renames of the journal at ``root``.

    Raises
    ------
    CacheCorruptError
        When the file is not a journal this package wrote (its renames name other files than a
        batch's temporary files and their targets in the cache's folders).
    """
    journal = _journal(root)
    try:
        if not _regular(journal):
            raise ValueError("not a regular file")
        record = json.loads(journal.read_bytes())
        if not isinstance(record, dict) or record.get("journal") != _JOURNAL_TAG:
            raise ValueError("no journal record")
        renames = [_Rename(**item) for item in record["renames"]]
        for item in renames:
            kind, _, name = item.target.partition("/")
            folder, _, held = item.temporary.partition("/")
            match = _TEMP_NAME.fullmatch(held) if "/" not in name + held else None  # never ../ out
            if not (kind in KINDS and folder == kind and match and match["target"] == name):
                raise ValueError(f"{item.temporary!r} -> {item.target!r} is not a batch's rename")
            if not _named_as(kind, Path(name).stem) or Path(name).suffix != ".parquet":
                raise ValueError(f"{item.target!r} is not a cache file")
            for identity in (item.temporary_file, item.replaces_file or ["none"]):
                if not (isinstance(identity, list) and 1 <= len(identity) <= 2) or not all(
                    isinstance(part, str) for part in identity
                ):
                    raise ValueError(f"{identity!r} is not a file's identity")
    # JSONDecodeError is a ValueError; json's parser recurses (a file of nested brackets)
    except (OSError, ValueError, TypeError, KeyError, RecursionError) as exc:
        raise CacheCorruptError(journal, "unreadable", _one_line(exc)) from None
    return renames


def _interrupted_problem(root: Path) -> str | None:
    """What :meth:`PriceStore.interrupted_batch` says."""
    journal = _journal(root)
    if not _journal_left(root):
        return None
    try:
        renames = _read_journal(root)
        done = sum(_identity(root / item.target) == item.temporary_file for item in renames)
    except CacheCorruptError as exc:
        return (
            f"{journal} is not a journal this package wrote ({exc.reason}): the cache may mix an import's "
            "files with earlier ones; remove it, then import again the files you last imported"
        )
    except OSError as exc:
        return f"an import was stopped while renaming its files into place ({journal}: {_os_reason(exc)})"
    if done == len(renames):
        return (
            f"an import stopped after renaming its {done} files into place, before removing its journal "
            f"{journal}; eventstudy cache verify --clean removes it"
        )
    return (
        f"an import was stopped while renaming its files into place ({done} of {len(renames)} renamed; "
        f"its journal is {journal}): the cache mixes its files with earlier versions of the others; "
        "eventstudy cache verify --clean finishes its renames"
    )


def _refuse_interrupted(root: Path) -> None:
    """An :class:`InputError` when an import's batch was stopped during its renames."""
    problem = _interrupted_problem(root)
    if problem is not None:
        raise InputError(str(root), f"{problem}; nothing was read")


def _journaled_temps(root: Path) -> frozenset[Path]:
    """The temporary files of a stopped batch's journal (none when there is no readable one)."""
    if not _journal_left(root):
        return frozenset()
    try:
        return frozenset(root / item.temporary for item in _read_journal(root))
    except CacheCorruptError:
        return frozenset()


def _finish_batch(root: Path) -> list[str]:
    """Finish the renames of a stopped batch (held: the catalog's and the batch's locks) and
    remove its journal: :meth:`PriceStore.finish_interrupted_batch`."""
    if not _journal_left(root):  # finished meanwhile (by the import waited for, or another --clean)
        return []
    lines: list[str] = []
    renamed: set[Path] = set()
    for item in _read_journal(root):
        temporary, target = root / item.temporary, root / item.target
        with _locked(target, LOCK_TIMEOUT):
            now = _identity(target)
            if not _regular(temporary):  # renamed before the stop, or removed since
                if now != item.temporary_file:
                    kept = "as it is" if now is not None else "without a file"
                    lines.append(f"kept {target} {kept} (the import's file {temporary.name} is gone)")
                continue
            foreign = PriceStore.not_ours(target)  # the user's file, which stopped the import (a finder)
            if now != item.replaces_file or foreign:  # written or removed since (a fetch, an import)
                try:
                    os.unlink(temporary)
                except OSError as exc:
                    raise CacheWriteError(temporary, _os_reason(exc)) from exc
                if foreign:
                    lines.append(
                        f"removed {temporary} and kept {target} as it is (it {foreign}); move it away and "
                        f"import {target.name}'s source again"
                    )
                else:
                    since = "written or removed after the import stopped"
                    lines.append(f"removed {temporary} ({target.name} was {since})")
                continue
            if _identity(temporary) != item.temporary_file:
                lines.append(
                    f"kept {target} as it is: {temporary.name} is not the file the import wrote (changed "
                    f"since); import {target.name}'s source again"
                )
            else:
                try:
                    os.replace(temporary, target)
                except OSError as exc:
                    raise CacheWriteError(target, _os_reason(exc)) from exc
                renamed.add(target.parent)
                lines.append(f"renamed {temporary} -> {target.name} (finishing the stopped import)")
    for folder in sorted(renamed):
        _fsync_directory(folder)
    _remove_journal(root)
    return [*lines, f"removed {_journal(root)} (the stopped import's journal)"]


def _catalog_problem(exc: CacheWriteError, done: str) -> str:
    """What an :class:`InputError` says when the cache's identifier lock cannot be taken."""
    return f"cannot take the lock of the cache's imports ({exc.reason}); nothing was {done}"


def _held(path: Path) -> bool:
    """Whether another writer holds the lock of ``path`` now. No lock file, no holder: none is
    made (``cache verify`` wrote lock files into a folder of the user's)."""
    if not _lock_path(path).exists():
        return False
    try:
        with _locked(path, 0.0):
            return False
    except CacheBusyError:
        return True
    except CacheWriteError:  # no lock can be taken (a read-only cache): no writer can be active
        return False


def _damaged_locks(root: Path) -> list[CacheProblem]:
    """The entries of the cache's lock folder that block every writer: the folder a file, or a
    lock file a folder or a link (an import then fails; ``cache verify`` found nothing)."""
    locks = root / LOCKS
    other = _not_a_folder(locks)
    if other:
        return [CacheProblem(locks, "stray_file", f"not the cache's lock folder: {other}")]
    if not locks.is_dir():
        return []
    found = []
    for path in sorted(locks.rglob("*.lock")):
        mode = _mode(path)
        if mode is not None and not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "a link or a special file"
            detail = f"not a lock file: {what}, which eventstudy did not make; every writer stops on it"
            found.append(CacheProblem(path, "stray_file", detail))
    return found


def _lock_path(path: Path) -> Path:
    return path.parent.parent / LOCKS / path.parent.name / f"{path.name}.lock"


@contextlib.contextmanager
def _locked(path: Path, timeout: float) -> Iterator[None]:
    lock_path = _lock_path(path)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        # One FileLock object per lock file in this process (is_singleton), so a thread that
        # already holds it re-enters instead of deadlocking on its own flock.
        lock = FileLock(lock_path.absolute(), is_singleton=True)
        lock.acquire(timeout=timeout)
    except Timeout:
        raise CacheBusyError(
            path, f"another process has held its lock {lock_path} for more than {timeout:g} s"
        ) from None
    except OSError as exc:
        raise CacheWriteError(path, f"cannot create its lock file {lock_path}: {_os_reason(exc)}") from exc
    try:
        yield
    finally:
        lock.release()


class _Staging:
    """The temporary files of a batch (:meth:`PriceStore.staged_writes`), renamed at its end."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, Path]] = []  # (temporary file, target)

    def commit(self) -> None:
        """Rename every temporary file over its target, each under the target's lock, after
        writing their journal. A rename that fails (its lock held past the timeout by a fetch, an
        OS error) stops the batch: its error names the files renamed before it, which stay (each
        whole); the others stay in their temporary files with the journal, as after a kill, so
        that no study reads the mix until ``eventstudy cache verify --clean`` renames them. When
        the first fails, nothing of the batch is imported."""
        if not self.pending:
            return
        renamed: list[Path] = []
        root = self.pending[0][1].parent.parent
        total = len(self.pending)
        try:  # readers (consistent_reads) see the cache before the batch or after it
            with _locked(_batch(root), LOCK_TIMEOUT):
                if _journal_left(root):  # another batch's, stopped (staged_writes refuses to start then)
                    raise CacheWriteError(_journal(root), "a stopped import's journal is there")
                for _, path in self.pending:  # a file of the user's saved there meanwhile: nothing renamed
                    _refuse_foreign(path)
                try:
                    _write_journal(root, self.pending)  # a kill from here on: --clean finishes the renames
                    while self.pending:
                        temporary, path = self.pending[0]
                        with _locked(path, LOCK_TIMEOUT):
                            try:
                                _replace_cache_file(temporary, path)
                            except OSError as exc:
                                raise CacheWriteError(path, _os_reason(exc)) from exc
                        renamed.append(path)
                        self.pending.pop(0)
                except BaseException:
                    if renamed:  # a mix: the journal and the other files are kept for --clean
                        self.pending.clear()
                    else:  # nothing renamed (also a Ctrl-C): the batch is discarded, the cache as it was
                        _remove_journal(root)
                    raise
                finally:  # what was renamed, durably (also when the batch stopped)
                    for folder in sorted({path.parent for path in renamed}):
                        _fsync_directory(folder)
                _remove_journal(root)
        except CacheWriteError as exc:  # the batch lock, the journal, a file's lock or a rename
            exc.message += _partial_batch(renamed, total - len(renamed))
            raise

    def discard(self) -> None:
        """Remove the temporary files not renamed (the batch failed)."""
        for temporary, _ in self.pending:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        self.pending.clear()


NOT_OURS = (
    "exists and was not written by eventstudy (a folder, a link, or a file without its provenance record)"
)
"""What :meth:`PriceStore.not_ours` says of a folder, link, pipe, non-parquet file or parquet file
without a provenance record, which every writer refuses to replace (import, fetch, each cache
write and ``cache verify --clean``)."""
UNREADABLE = "cannot be read as a parquet file, so nothing shows eventstudy wrote it"
"""What :meth:`PriceStore.not_ours` says of a damaged parquet file (then its reason)."""


def _write_atomic(
    path: Path, frame: pd.DataFrame, provenance: Mapping[str, Any], staging: _Staging | None = None
) -> Path:
    """Write ``frame`` to ``path`` under its lock, via a temporary file and a rename (held back
    in ``staging`` until the batch ends, when given).

    Raises
    ------
    CacheWriteError
        On any OS error (permission, disk full, ...), the temporary file removed and the
        previous file unchanged; or when ``path`` is :meth:`PriceStore.not_ours` (the user's file
        or link, which a ``write_*`` of the Python API replaced, a finder), nothing written.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    record = json.dumps(dict(provenance), sort_keys=True).encode("utf-8")
    metadata[PROVENANCE_KEY] = record
    metadata[PROVENANCE_SHA_KEY] = hashlib.sha256(record).hexdigest().encode("ascii")
    # Hash what a reader will get back (the arrow round trip), not the frame handed in.
    metadata.pop(CONTENT_KEY, None)
    metadata[VALUES_KEY] = content_sha256(table.to_pandas(ignore_metadata=True)).encode("ascii")
    table = table.replace_schema_metadata(metadata)
    with _locked(path, LOCK_TIMEOUT):
        _refuse_foreign(path)  # what an import or a fetch refuses, refused here for every writer
        _write_durably(
            path,
            lambda handle: pq.write_table(table, handle, write_page_checksum=True),
            staging,
            replace=_replace_cache_file,
        )
    return path


def _refuse_foreign(path: Path) -> None:
    what = PriceStore.not_ours(path)
    if what:
        raise CacheWriteError(path, f"it {what}: move it away to write this one")


def _replace_cache_file(temporary: str, path: Path) -> None:
    """``os.replace``, unless ``path`` has become the user's since it was checked (their file,
    saved there while the temporary file was written or the batch waited for its renames,
    was replaced; a finder)."""
    _refuse_foreign(path)
    os.replace(temporary, path)


def _write_durably(
    path: Path,
    write: Callable[[BinaryIO], object],
    staging: _Staging | None = None,
    *,
    replace: Callable[[str, Path], None] = os.replace,
) -> None:
    """Write ``path`` whole through a temporary file beside it: ``write`` fills it, it is fsynced
    and put at ``path`` by ``replace`` (the folder fsynced then), or held back in ``staging`` for
    the batch's renames (which check ``path`` as :func:`_replace_cache_file` does).

    Raises
    ------
    CacheWriteError
        On any OS error; the temporary file is removed and ``path`` is unchanged.
    """
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(descriptor, _FILE_MODE)  # mkstemp's 0600 would hide the cache from other users
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if staging is not None:  # renamed with the rest of the batch
            staging.pending.append((temporary, path))
            temporary = None
            return
        replace(temporary, path)
        temporary = None
        _fsync_directory(path.parent)
    except OSError as exc:
        raise CacheWriteError(path, _os_reason(exc)) from exc
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _fsync_directory(folder: Path) -> None:
    """Make the rename durable (POSIX); ignored where directories cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _os_reason(exc: OSError) -> str:
    code = errno.errorcode.get(exc.errno or 0)
    text = exc.strerror or str(exc) or type(exc).__name__
    return f"{text} [{code}]" if code else text


def _one_line(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 200 else text[:197] + "..."

"""A price cache read through fsspec, so that it may live on object storage (``s3://``, ``gs://``...).

:class:`RemoteCache` reads the layout of :class:`~eventstudy.data.store.PriceStore`
(``prices/``, ``returns/``, ``shares/``, ``earnings/``, ``factors/``) at any
fsspec URL, with the same integrity checks on every file
(:func:`~eventstudy.data.store.read_cache_table`: page checksums, schema, provenance, file name,
content hash). It is read-only: fill the cache with ``eventstudy cache import`` or ``fetch`` on
a local folder, then copy it to the bucket (``aws s3 sync cache s3://bucket/cache``).

:func:`open_cache` gives a :class:`~eventstudy.data.store.PriceStore` for a local folder and a
:class:`RemoteCache` for a URL; both answer the reads of :func:`eventstudy.data.inputs.load_inputs`
(``read_series_table``, ``read_shares_table``, ``read_earnings_table``, ``read_factors``...).
fsspec comes with the ``dask`` extra; the protocol's own package (``s3fs``, ``gcsfs``,
``adlfs``) is the user's to install.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow.parquet as pq

from eventstudy.data.store import (
    _SHARES_DTYPES,
    BATCH_JOURNAL,
    EARNINGS_COLUMNS,
    PRICE_COLUMNS,
    RETURNS_COLUMNS,
    SERIES_KINDS,
    SHARES_COLUMNS,
    CacheCorruptError,
    CachedTable,
    PriceStore,
    _one_line,
    _parse_provenance,
    empty_earnings,
    read_cache_table,
    table_name_problem,
)
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.locations import is_url, local_folder
from eventstudy.symbols import cache_stem, symbol_problem


class CacheReader(Protocol):
    """What a study reads from a cache (:class:`PriceStore` and :class:`RemoteCache` both)."""

    @property
    def root(self) -> Any: ...

    def path(self, symbol: str, kind: str) -> Any: ...

    def price_path(self, symbol: str) -> Any: ...

    def factors_path(self, name: str) -> Any: ...

    def has_series(self, symbol: str) -> bool: ...

    def not_cached(self, symbol: str, what: str = "prices", otherwise: str = "") -> str: ...

    def read_series_table(self, symbol: str) -> tuple[str, CachedTable]: ...

    def consistent_reads(self) -> contextlib.AbstractContextManager[None]: ...

    def read_price_table(self, symbol: str) -> CachedTable: ...

    def read_shares_table(self, ticker: str) -> CachedTable | None: ...

    def read_shares(self, ticker: str) -> pd.DataFrame: ...

    def read_earnings_table(self, ticker: str) -> CachedTable | None: ...

    def read_factors(self, name: str) -> pd.DataFrame: ...

    def read_factors_table(self, name: str) -> CachedTable: ...


def open_cache(location: str | Path | PriceStore | RemoteCache) -> PriceStore | RemoteCache:
    """The cache at ``location``: a :class:`PriceStore` for a folder (or ``file://`` URL), a
    :class:`RemoteCache` for any other fsspec URL; a store or cache object is returned as is."""
    if isinstance(location, PriceStore | RemoteCache):
        return location
    text = str(location)
    if is_url(text):
        return RemoteCache(text)
    try:
        return PriceStore(local_folder(text))  # file://host/x: ./host/x was made
    except ValueError as exc:
        raise InputError(text, str(exc)) from None


class RemoteCache:
    """A read-only cache at an fsspec URL (see the module docstring).

    Parameters
    ----------
    url
        The cache root, e.g. ``s3://bucket/eventstudy-cache`` or ``memory://cache``.
    storage_options
        Passed to fsspec (credentials, endpoint); default: the protocol's own configuration
        (environment variables, config files).
    """

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        try:
            import fsspec
        except ImportError:  # pragma: no cover - fsspec comes with the dask extra
            raise DataUnavailableError(
                f"reading the cache at {url} needs fsspec: pip install 'eventstudy-backtester[dask]'"
            ) from None
        self.url = url.rstrip("/")
        self.storage_options = dict(storage_options or {})
        try:
            self.fs, self._root = fsspec.core.url_to_fs(self.url, **self.storage_options)
        except ImportError as exc:  # the protocol's package (s3fs, gcsfs, ...) is not installed
            raise InputError("--cache", f"{self.url}: {exc} (on the driver and every worker)") from None
        except ValueError as exc:  # "Protocol not known: foo"
            raise InputError("--cache", f"{self.url}: not a cache location fsspec can read ({exc})") from None

    def __reduce__(self) -> tuple[Any, ...]:  # sent to workers as its URL, reconnected there
        return (RemoteCache, (self.url, self.storage_options))

    def __repr__(self) -> str:
        return f"RemoteCache({self.url!r})"

    @property
    def root(self) -> str:
        """The URL (what ``manifest.json`` records as the cache)."""
        return self.url

    @contextlib.contextmanager
    def consistent_reads(self) -> Iterator[None]:
        """No lock (object storage has none to share: an import writes a local cache; copy it to
        the bucket whole, after the import), but the refusal of a cache whose import was stopped
        while renaming its files (its journal, :data:`~eventstudy.data.store.BATCH_JOURNAL`, is
        there: a local folder named by an fsspec URL, or a copy of one)."""
        if self.fs.exists(f"{self._root}/{BATCH_JOURNAL}"):
            raise InputError(
                self.url,
                f"an import was stopped while renaming its files into place (its journal {BATCH_JOURNAL} is "
                "there): the cache mixes its files with earlier versions of the others; run eventstudy cache "
                "verify --clean on the cache's folder; nothing was read",
            )
        yield

    # -- paths (URLs, as named in messages) ---------------------------------------------------
    def path(self, symbol: str, kind: str) -> str:
        """As :meth:`PriceStore.path`: the URL of ``symbol``'s file in the folder ``kind``."""
        problem = symbol_problem(symbol)
        if problem:
            raise InputError(f"{self.url}/{kind}", f"{problem}; no cache file can be named after it")
        return f"{self.url}/{kind}/{cache_stem(symbol)}.parquet"

    def price_path(self, symbol: str) -> str:
        return self.path(symbol, "prices")

    def factors_path(self, name: str) -> str:
        problem = table_name_problem(name)
        if problem:
            raise InputError(f"{self.url}/factors", f"{problem}; no cache file can be named after it")
        return f"{self.url}/factors/{name}.parquet"

    def _native(self, url: str) -> str:
        """The file system's own path of one of this cache's URLs."""
        return self._root + url[len(self.url) :]

    def _is_file(self, url: str) -> bool:
        return bool(self.fs.isfile(self._native(url)))

    def has_series(self, symbol: str) -> bool:
        """Whether ``symbol`` has prices or returns here."""
        return any(self._is_file(self.path(symbol, kind)) for kind in SERIES_KINDS)

    def not_cached(self, symbol: str, what: str = "prices", otherwise: str = "") -> str:
        """The message for a series that is not cached, with ``otherwise`` the user's other choice."""
        alternative = f", or {otherwise}" if otherwise else ""
        return (
            f"no cached {what} for {symbol!r} in {self.url} (import them into a local cache with "
            f"eventstudy cache import PATH --cache DIR, then copy it to the bucket{alternative})"
        )

    # -- reads -------------------------------------------------------------------------------
    def _read(self, url: str, kind: str, columns: tuple[str, ...], order: str | None = None) -> CachedTable:
        table = read_cache_table(self._native(url), kind, filesystem=self.fs)
        frame = table.frame.loc[:, list(columns)]
        if order is not None:
            frame = frame.sort_values(order, kind="stable")
        return dataclasses.replace(table, frame=frame)

    def read_series_table(self, symbol: str) -> tuple[str, CachedTable]:
        """As :meth:`PriceStore.read_series_table`."""
        kinds = [kind for kind in SERIES_KINDS if self._is_file(self.path(symbol, kind))]
        if not kinds:
            raise DataUnavailableError(self.not_cached(symbol, "prices or returns"))
        if len(kinds) > 1:
            raise DataUnavailableError(
                f"{symbol!r} has both prices and returns in {self.url}: an identifier has one series; "
                "remove one"
            )
        columns = PRICE_COLUMNS if kinds[0] == "prices" else RETURNS_COLUMNS
        return kinds[0], self._read(self.path(symbol, kinds[0]), kinds[0], columns)

    def read_price_table(self, symbol: str) -> CachedTable:
        """As :meth:`PriceStore.read_price_table`."""
        url = self.price_path(symbol)
        if not self._is_file(url):
            raise DataUnavailableError(self.not_cached(symbol))
        return self._read(url, "prices", PRICE_COLUMNS)

    def read_prices(self, symbol: str) -> pd.DataFrame:
        return self.read_price_table(symbol).frame

    def read_shares_table(self, ticker: str) -> CachedTable | None:
        """As :meth:`PriceStore.read_shares_table`."""
        url = self.path(ticker, "shares")
        return self._read(url, "shares", SHARES_COLUMNS, "as_of") if self._is_file(url) else None

    def read_shares(self, ticker: str) -> pd.DataFrame:
        table = self.read_shares_table(ticker)
        if table is None:
            return pd.DataFrame({name: pd.Series(dtype=_SHARES_DTYPES[name]) for name in SHARES_COLUMNS})
        return table.frame

    def read_earnings_table(self, ticker: str) -> CachedTable | None:
        """As :meth:`PriceStore.read_earnings_table`."""
        url = self.path(ticker, "earnings")
        return self._read(url, "earnings", EARNINGS_COLUMNS, "announced") if self._is_file(url) else None

    def read_earnings(self, ticker: str) -> pd.DataFrame:
        table = self.read_earnings_table(ticker)
        return empty_earnings() if table is None else table.frame

    def read_factors_table(self, name: str) -> CachedTable:
        url = self.factors_path(name)
        if not self._is_file(url):
            raise DataUnavailableError(f"no cached factor file {name!r} in {self.url}")
        return read_cache_table(self._native(url), "factors", filesystem=self.fs)

    def read_factors(self, name: str) -> pd.DataFrame:
        return self.read_factors_table(name).frame

    def provenance(self, url: str | Path) -> dict[str, Any]:
        """As :meth:`PriceStore.provenance`, for one of this cache's URLs."""
        try:
            metadata = pq.read_schema(self._native(str(url)), filesystem=self.fs).metadata or {}
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise CacheCorruptError(url, "unreadable", _one_line(exc)) from exc
        return _parse_provenance(url, metadata)

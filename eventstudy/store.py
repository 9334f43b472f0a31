"""The price cache: one parquet file per symbol, provenance in the schema metadata.

Layout under the cache root::

    prices/<SYMBOL>.parquet   date, open, high, low, close, adj_close, volume
    shares/<TICKER>.parquet   ticker, as_of, shares_outstanding, filing, source

Each file carries a JSON provenance record (source, when it was fetched or imported, the
adjustment mode, the library and version, and for imports the source file and its SHA-256)
under the schema metadata key ``eventstudy.provenance``. Writes go to a temporary file in the
same directory that is fsynced and then renamed over the target, so a reader sees either the
old complete file or the new complete file, never a torn one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eventstudy.errors import DataUnavailableError

PRICE_COLUMNS: tuple[str, ...] = ("date", "open", "high", "low", "close", "adj_close", "volume")
SHARES_COLUMNS: tuple[str, ...] = ("ticker", "as_of", "shares_outstanding", "filing", "source")
PROVENANCE_KEY = b"eventstudy.provenance"


class PriceStore:
    """A directory of parquet files holding daily prices and shares outstanding.

    Parameters
    ----------
    root
        The cache directory (created on first write).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # -- paths -----------------------------------------------------------------------------
    def price_path(self, symbol: str) -> Path:
        return self.root / "prices" / f"{_safe_name(symbol)}.parquet"

    def shares_path(self, ticker: str) -> Path:
        return self.root / "shares" / f"{_safe_name(ticker)}.parquet"

    def price_symbols(self) -> list[str]:
        """Symbols with a price file, sorted."""
        folder = self.root / "prices"
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []

    def has_prices(self, symbol: str) -> bool:
        return self.price_path(symbol).is_file()

    # -- prices ----------------------------------------------------------------------------
    def read_prices(self, symbol: str) -> pd.DataFrame:
        """The cached daily prices of ``symbol``.

        Raises
        ------
        DataUnavailableError
            When the cache has no file for the symbol.
        """
        path = self.price_path(symbol)
        if not path.is_file():
            raise DataUnavailableError(
                f"no cached prices for {symbol!r} in {self.root} "
                f"(import them with: eventstudy cache import PATH --cache {self.root})"
            )
        frame = pq.read_table(path).to_pandas()
        return frame.loc[:, list(PRICE_COLUMNS)]

    def write_prices(self, symbol: str, frame: pd.DataFrame, provenance: Mapping[str, str]) -> Path:
        """Atomically replace the price file of ``symbol``."""
        frame = frame.loc[:, list(PRICE_COLUMNS)].reset_index(drop=True)
        return _write_atomic(self.price_path(symbol), frame, provenance)

    # -- shares ----------------------------------------------------------------------------
    def read_shares(self, ticker: str) -> pd.DataFrame:
        """Shares-outstanding observations of ``ticker`` sorted by ``as_of`` (empty if none)."""
        path = self.shares_path(ticker)
        if not path.is_file():
            return pd.DataFrame({name: pd.Series(dtype=_SHARES_DTYPES[name]) for name in SHARES_COLUMNS})
        frame = pq.read_table(path).to_pandas()
        return frame.loc[:, list(SHARES_COLUMNS)].sort_values("as_of", kind="stable")

    def write_shares(self, ticker: str, frame: pd.DataFrame, provenance: Mapping[str, str]) -> Path:
        """Atomically replace the shares file of ``ticker``."""
        frame = frame.loc[:, list(SHARES_COLUMNS)].reset_index(drop=True)
        return _write_atomic(self.shares_path(ticker), frame, provenance)

    # -- provenance ------------------------------------------------------------------------
    @staticmethod
    def provenance(path: Path) -> dict[str, str]:
        """The provenance record stored in a cache file's schema metadata."""
        metadata = pq.read_schema(path).metadata or {}
        return json.loads(metadata.get(PROVENANCE_KEY, b"{}"))


_SHARES_DTYPES = {
    "ticker": "object",
    "as_of": "datetime64[ns]",
    "shares_outstanding": "float64",
    "filing": "object",
    "source": "object",
}


def content_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values, independent of the file's metadata (e.g. import time).

    The frame is rendered as CSV with 17 significant digits, so equal doubles give equal hashes
    across pandas and pyarrow versions.
    """
    text = frame.to_csv(index=False, float_format="%.17g", date_format="%Y-%m-%d", lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe_name(symbol: str) -> str:
    if not symbol or "/" in symbol or "\\" in symbol or symbol.startswith("."):
        raise ValueError(f"{symbol!r} cannot be used as a cache file name")
    return symbol


def _write_atomic(path: Path, frame: pd.DataFrame, provenance: Mapping[str, str]) -> Path:
    """Write ``frame`` to ``path`` via a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[PROVENANCE_KEY] = json.dumps(dict(provenance), sort_keys=True).encode("utf-8")
    table = table.replace_schema_metadata(metadata)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path

"""Content hashes: SHA-256 of a table's values or of a file's bytes (no I/O beyond the file read).

:func:`content_sha256` hashes the values themselves (version 2, the ``eventstudy.content_sha256.v2``
key of the cache files); :func:`csv_sha256` is the first version, which rendered the table as
CSV text (about a hundred times slower), kept to check cache files and records written before
version 2.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

VALUES_VERSION = b"eventstudy values sha256 v2\x00"


def content_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values, independent of the file's metadata (e.g. import time).

    Version 2. The digest covers the number of rows, the index and each column in order: its
    name, a type tag and its values in a canonical binary form, so equal values give equal
    hashes across pandas and pyarrow versions and storage types:

    * integers (any width, signed or unsigned): ``i`` and the values as little-endian int64;
    * floats: ``f`` and the values as little-endian float64, every NaN as the one quiet NaN;
    * booleans: ``b`` and one byte per value;
    * dates and times: ``t`` (``t`` + the zone for zoned ones, in UTC) and nanoseconds since
      1970 as little-endian int64 (NaT: the smallest int64);
    * anything else (text, mixed objects, values with pandas' missing markers): ``s``, each
      value's length as little-endian int64 (-1 for a missing value) and its UTF-8 text
      (``str(value)``);
    * a range index is ``r`` and its start, stop and step; another index is hashed like a column.

    Every part is preceded by its length, so no two different tables give the same byte stream.
    Cost: one pass over the values (no text rendering for numbers and dates).
    """
    digest = hashlib.sha256(VALUES_VERSION)
    _part(digest, np.int64(len(frame)).tobytes())
    index = frame.index
    if isinstance(index, pd.RangeIndex):
        _part(digest, b"r" + np.array([index.start, index.stop, index.step], dtype="<i8").tobytes())
    else:
        _column(digest, "\x00index", pd.Series(index))
    for name, column in frame.items():
        _column(digest, str(name), column)
    return digest.hexdigest()


def _part(digest: hashlib._Hash, data: bytes) -> None:
    digest.update(np.int64(len(data)).astype("<i8").tobytes())
    digest.update(data)


def _column(digest: hashlib._Hash, name: str, column: pd.Series) -> None:
    _part(digest, name.encode("utf-8"))
    tag, payload = _canonical(column)
    _part(digest, tag)
    _part(digest, payload)


def _canonical(column: pd.Series) -> tuple[bytes, bytes]:
    """(type tag, canonical bytes) of one column (see :func:`content_sha256`)."""
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        values = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
        return b"t" + str(dtype.tz).encode("utf-8"), values.view("<i8").tobytes()
    if not column.hasnans or dtype.kind == "f":
        if dtype.kind == "M":
            return b"t", column.to_numpy("datetime64[ns]").view("<i8").tobytes()
        if dtype.kind == "b":
            return b"b", column.to_numpy(dtype=np.uint8).tobytes()
        if dtype.kind in "iu":
            return b"i", column.to_numpy(dtype="<i8").tobytes()
        if dtype.kind == "f":
            values = column.to_numpy(dtype="<f8")
            return b"f", np.where(np.isnan(values), np.nan, values).astype("<f8").tobytes()
    if dtype.kind == "M":  # with NaT
        return b"t", column.to_numpy("datetime64[ns]").view("<i8").tobytes()
    values = column.to_numpy(dtype=object)
    missing = pd.isna(values)
    texts = [b"" if gone else str(value).encode("utf-8") for value, gone in zip(values, missing, strict=True)]
    lengths = np.array([len(text) for text in texts], dtype="<i8")
    lengths[missing] = -1
    return b"s", lengths.tobytes() + b"".join(texts)


def csv_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame rendered as CSV text: the first version of :func:`content_sha256`.

    The frame is rendered as CSV with 17 significant digits, so equal doubles give equal hashes
    across pandas and pyarrow versions. Cache files written before version 2 carry this hash
    under ``eventstudy.content_sha256``; it is computed only to check them.
    """
    text = frame.to_csv(index=False, float_format="%.17g", date_format="%Y-%m-%d", lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()

"""Content hashes: SHA-256 of a table's values or of a file's bytes (no I/O beyond the file read)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd


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
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

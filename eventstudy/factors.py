"""Daily factor returns as a table: the container the factor models read (no I/O).

The data layer (:mod:`eventstudy.data.factors`) builds these from Ken French's files and from
user factor files; :mod:`eventstudy.models.factor` regresses on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.hashing import content_sha256


@dataclass(frozen=True, eq=False)
class FactorTable:
    """Daily factor returns in decimal units.

    Attributes
    ----------
    name
        The table's name: the Ken French file name without extension
        (``F-F_Research_Data_Factors_daily``) or the user file's name.
    frame
        ``date`` (sorted, unique, datetime64) and one float column per factor, decimal units.
    provenance
        Where the values came from (source, file, SHA-256, CRSP vintage, ...).
    recorded_sha256
        The content hash checked when the table was read from the cache (the file's recorded
        hash, see :class:`eventstudy.data.store.CachedTable`), or None to hash the values.
    """

    name: str
    frame: pd.DataFrame
    provenance: Mapping[str, Any] = field(default_factory=dict)
    recorded_sha256: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The factor columns (everything but ``date``)."""
        return tuple(c for c in self.frame.columns if c != "date")

    def content_sha256(self) -> str:
        """SHA-256 of the values (:func:`eventstudy.hashing.content_sha256`), or the hash
        recorded in the cache file it was read from (``recorded_sha256``)."""
        return self.recorded_sha256 if self.recorded_sha256 is not None else content_sha256(self.frame)

    def on_calendar(self, calendar: pd.DatetimeIndex, columns: Sequence[str]) -> np.ndarray:
        """(T, len(columns)) values on the trading ``calendar``; NaN on dates the table lacks."""
        frame = self.frame.set_index("date").loc[:, list(columns)]
        return frame.reindex(pd.DatetimeIndex(calendar)).to_numpy(dtype=float)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready record for ``manifest.json``: range, rows, hash and provenance."""
        dates = self.frame["date"]
        return {
            "columns": list(self.columns),
            "rows": len(self.frame),
            "first": pd.Timestamp(dates.iloc[0]).date().isoformat() if len(dates) else None,
            "last": pd.Timestamp(dates.iloc[-1]).date().isoformat() if len(dates) else None,
            "units": "decimal per day",
            "content_sha256": self.content_sha256(),
            "provenance": dict(self.provenance),
        }

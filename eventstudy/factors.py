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
from eventstudy.sessions import onto_sessions


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
        """(T, len(columns)) values on the trading ``calendar``, each over the days since the
        previous session.

        A factor dated on a session is that session's value. The days of the table between two
        sessions (a session the market proxy's file misses: the firm's return of the next
        session then spans both days) are compounded into the next session's value,
        :math:`\\prod (1 + f_d) - 1` (:func:`eventstudy.sessions.onto_sessions`), so the
        regressors span the days the regressand does. For an excess return such as Mkt-RF this
        is the compounded excess return, not the excess of the compounded market return: they
        differ by the cross products :math:`x_1 RF_2 + x_2 RF_1`, about 1e-6 for a two-day
        span. NaN on a session the table lacks, or when a day compounded into it is NaN.
        """
        dates = self.frame["date"].to_numpy("datetime64[ns]")
        values = self.frame.loc[:, list(columns)].to_numpy(dtype=float)
        sessions = pd.DatetimeIndex(calendar).to_numpy("datetime64[ns]")
        return onto_sessions(sessions, dates, values)[0]

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

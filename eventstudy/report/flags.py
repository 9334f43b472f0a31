"""The flags of ``car.parquet`` rows, as the report shows them next to the numbers.

``car.parquet`` holds, per (event, ticker, window), the confounder screen
(:mod:`eventstudy.timeline.confounders`: ``confounders``, ``confounded``, ``dominant_tau``,
``dominant_date``) and the ``overlap`` of other same-ticker events. Output folders written
before the screen existed lack these columns: :func:`screened` says so and every flag is empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.columns import SHARES_CAVEAT, has_share_caveat
from eventstudy.report import fmt
from eventstudy.timeline.confounders import COLUMNS, not_known_clean

CONFOUNDER_COLUMNS: tuple[str, ...] = COLUMNS
FLAG = "⚑"
VENDOR_NOTE = "shares: vendor or balance-sheet figure, not a filing cover count"
"""The ``note`` part of rows whose market value rests on a vendor share count (eventstudy.study)."""
_ITEM = re.compile(r"(?:^|; )(earnings|event|news) (.*?) at τ([+-]?\d+)(?: or τ([+-]?\d+))?")


@dataclass(frozen=True)
class Mark:
    """One confounder of a window: its kind, a short name and its day relative to day 0
    (``or_tau``: the next session, where an item of unknown time may react instead)."""

    kind: str
    name: str
    tau: int
    or_tau: int | None = None

    @property
    def taus(self) -> tuple[int, ...]:
        """The day or days the item may move prices on."""
        return (self.tau,) if self.or_tau is None else (self.tau, self.or_tau)

    @property
    def day_text(self) -> str:
        """``τ-1``, or ``τ-1/τ0`` for an item of unknown time."""
        return "/".join(_tau(t) for t in self.taus)


def screened(car: pd.DataFrame) -> bool:
    """Whether ``car`` carries the confounder screen's columns."""
    return all(c in car.columns for c in CONFOUNDER_COLUMNS)


def confounded(car: pd.DataFrame) -> pd.Series:
    """Boolean per row: the window holds another announcement (False when not screened)."""
    if "confounded" not in car.columns:
        return pd.Series(False, index=car.index)
    return car["confounded"].fillna(False).astype(bool)


def unscreened(car: pd.DataFrame) -> pd.Series:
    """Boolean per row: ``confounded`` is missing, the window holds no other news the study knows of
    but lies outside its ticker's earnings calendar
    (:func:`~eventstudy.timeline.confounders.earnings_screened`)."""
    if "confounded" not in car.columns:
        return pd.Series(False, index=car.index)
    return car["confounded"].isna()


def known_clean(car: pd.DataFrame) -> pd.Series:
    """Boolean per row: the window was screened and holds no other news (False when not screened)."""
    if "confounded" not in car.columns:
        return pd.Series(True, index=car.index)
    return pd.Series(~not_known_clean(car["confounded"]), index=car.index)


def dominated(car: pd.DataFrame) -> pd.Series:
    """Boolean per row: one day other than day 0 carries the window's CAR."""
    if "dominant_tau" not in car.columns:
        return pd.Series(False, index=car.index)
    return car["dominant_tau"].notna()


def marks(text: object) -> list[Mark]:
    """The confounders named in a ``confounders`` text (the first five of a window)."""
    if fmt.is_missing(text) or not str(text):
        return []
    out = []
    for kind, rest, tau, or_tau in _ITEM.findall(str(text)):
        if kind == "event":
            name = rest.split(",")[0]
        elif kind == "earnings":
            name = "earnings"
        else:
            name = "news"
        out.append(Mark(kind, name, int(tau), int(or_tau) if or_tau else None))
    return out


SHARES_CAVEAT_FLAG = "shares caveat"
"""How a row, or a total, whose dollar value rests on a ``[[shares.caveats]]`` count is flagged."""


def short_flags(row: object) -> str:
    """One line for a table's ``flags`` column: the confounders by name and day (or that the
    window was not screened for earnings), the dominant day (``⚑ earnings τ-1; τ-1 carries
    the CAR``) and a config's share-count caveat (:func:`share_caveated`); ``""`` when
    unflagged."""
    parts = []
    named = marks(getattr(row, "confounders", ""))
    if named:
        parts.append(FLAG + " " + ", ".join(f"{m.name} {m.day_text}" for m in named))
    elif unscreened_row(row):
        parts.append("not screened for earnings")
    tau: Any = getattr(row, "dominant_tau", None)
    if not fmt.is_missing(tau):
        parts.append(f"{_tau(int(tau))} carries the CAR ({fmt.date(getattr(row, 'dominant_date', None))})")
    if share_caveated(row):  # its dollar value rests on a count the config says is wrong (a referee)
        parts.append(SHARES_CAVEAT_FLAG)
    return "; ".join(parts)


def share_caveated(row: object) -> bool:
    """Whether a row's ``note`` carries a config's share-count caveat (``shares caveat: ...``):
    its market value, and every dollar value from it, rests on a count the study says is off."""
    return has_share_caveat(getattr(row, "note", None))


def unscreened_row(row: object) -> bool:
    """:func:`unscreened` of one row (a named tuple or series)."""
    return hasattr(row, "confounded") and fmt.is_missing(row.confounded)


def flag_column(frame: pd.DataFrame) -> pd.Series:
    """:func:`short_flags` of every row of ``frame``."""
    if not len(frame):
        return pd.Series([], dtype=object, index=frame.index)
    return pd.Series([short_flags(r) for r in frame.itertuples(index=False)], index=frame.index, dtype=object)


def _tau(value: int) -> str:
    return "τ0" if value == 0 else f"τ{value:+d}"


def tau_text(value: int) -> str:
    """``τ-1``, ``τ0``, ``τ+4``."""
    return _tau(int(value))


def note_counts(car: pd.DataFrame) -> list[tuple[str, int]]:
    """Each distinct ``; ``-separated part of the rows' ``note``, with the number of (event, ticker)
    pairs it appears on in any window, most frequent first (ties by first appearance)."""
    parts = _note_parts(car)
    if parts.empty:
        return []
    counted = parts.groupby("part", sort=False).size()
    order = np.argsort(-counted.to_numpy(), kind="stable")
    return [(str(counted.index[i]), int(counted.iloc[i])) for i in order]


def _note_parts(car: pd.DataFrame) -> pd.DataFrame:
    """One row per (event, ticker) and distinct ``; ``-separated part of its rows' ``note``."""
    if "note" not in car.columns or car.empty:
        return pd.DataFrame({"event_id": [], "ticker": [], "part": []})
    pairs = car.drop_duplicates(["event_id", "ticker", "note"])
    parts = pairs.assign(part=pairs["note"].fillna("").str.split("; ")).explode("part", ignore_index=True)
    parts = parts[parts["part"].fillna("") != ""]
    return parts.drop_duplicates(["event_id", "ticker", "part"])[["event_id", "ticker", "part"]]


_DATE = re.compile(r"(?<![\w.-])\d{4}-\d{2}-\d{2}(?![\w-]|\.\w)")
"""A date standing alone in a note: not part of an identifier (an event id ``2025-09-22-nvda``)."""


def dated_note_counts(car: pd.DataFrame) -> list[tuple[str, int]]:
    """:func:`note_counts` with the notes that differ in their one date told once: "no
    shares-outstanding figure for AMD dated on or before 2023-10-30" and 15 others of AMD's were
    16 bullets of the Data section, each "(1 of 101 ...)" (a finder). Such a group reads "... on
    or before one of 16 dates, 2023-10-30 to 2025-01-27", counted on the (event, ticker) pairs
    that carry any of its notes, most frequent first; a note with no date or several is its own."""
    parts = _note_parts(car)
    if parts.empty:
        return []
    found = [_DATE.findall(part) for part in parts["part"]]
    single = [len(dates) == 1 for dates in found]
    parts = parts.assign(
        key=[_DATE.sub("\x00", p) if one else p for p, one in zip(parts["part"], single, strict=True)],
        date=[dates[0] if one else "" for dates, one in zip(found, single, strict=True)],
    )
    rows: list[tuple[str, int]] = []
    for key, group in parts.groupby("key", sort=False):
        dates = sorted(set(group["date"]))
        text = str(group["part"].iloc[0])
        if len(dates) > 1:
            text = str(key).replace("\x00", f"one of {len(dates)} dates, {dates[0]} to {dates[-1]}")
        rows.append((text, len(group.drop_duplicates(["event_id", "ticker"]))))
    order = np.argsort([-count for _, count in rows], kind="stable")
    return [rows[i] for i in order]


def vendor_share_pairs(car: pd.DataFrame) -> tuple[int, int]:
    """(pairs whose market value rests on a vendor share count in at least one window, pairs) of
    the listed parties (not the peers) of ``car``: one count for every sentence that gives it."""
    listed = car[car["role"] != "peer"]
    return dict(note_counts(listed)).get(VENDOR_NOTE, 0), len(listed.drop_duplicates(["event_id", "ticker"]))


def caveats_on_rows(config: Mapping[str, Any], car: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    """The config's ``share_caveats`` split in those that some row of their own ticker in ``car``
    carries (its note holds ``shares caveat: <note>``: a market value of that ticker and span, a
    party's or a peer's) and the others (no row of the study is affected: the ticker is not in
    it, or none of its rows has a market value)."""
    applied: list[Any] = []
    unapplied: list[Any] = []
    notes = car["note"].astype(str) if "note" in car else pd.Series("", index=car.index)
    for caveat in config.get("share_caveats") or ():
        rows = notes[car["ticker"].astype(str) == str(caveat.get("ticker"))]
        mark = f"{SHARES_CAVEAT}{caveat.get('note')}"
        (applied if any(mark in str(note) for note in rows) else unapplied).append(caveat)
    return applied, unapplied

"""Comparing a new price history with the cached one: what changed, and whether it was a split.

Yahoo's ``close`` is adjusted for every split up to the day of the download and ``adj_close``
for every split and dividend, so a new split or dividend restates every earlier day.
:func:`compare_histories` makes the record of such a restatement, which a re-fetch
(:func:`eventstudy.data.acquire.fetch_symbol`) and an import replacing a cached file
(:mod:`eventstudy.data.importer`) append to the file's provenance ``restatements`` list.

A split multiplies every earlier close by one factor, 1/n for an n-for-1 split and n for a
1-for-n reverse split; a dividend leaves the closes alone. When every restated day's close
changed by one factor within :data:`PRICE_SPLIT_TOLERANCE` of such a ratio, the record says so
(``split``, ``close_factor``, ``split_by``): a share count reported before the split (as filed,
not adjusted) is then on another basis than the restated closes, and the study withholds the
market values it would give (:class:`eventstudy.valuation.ShareCountTable`). A split in a
history downloaded fresh, with no earlier copy to compare with, leaves no such record.

An import replaces a cached series (prices or returns) with the file's: a file is the series.
:func:`replacement_record` says what of the cached series that loses, every cached day the file
leaves out and every value it changes, for the one line the import prints
(:func:`replacement_text`) and the provenance ``replacements`` list, so no cached day goes
unsaid.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.shares import MAX_SHARE_COUNT_RATIO
from eventstudy.data.store import PRICE_COLUMNS
from eventstudy.hashing import content_sha256
from eventstudy.splits import FRACTIONAL_SPLITS, split_ratio_text

RESTATEMENT_TOLERANCE = 1e-9
"""Relative difference of a price column (or the volume) above which a cached day counts as
restated."""

REFETCH_COLUMNS: tuple[str, ...] = tuple(c for c in PRICE_COLUMNS if c != "date")
"""The columns a re-fetch compares with the cached history (:func:`compare_histories`)."""

PRICE_SPLIT_TOLERANCE = 0.01
"""Largest relative distance of a restated day's close factor (new / old close) from the
restatement's common factor, and of that factor from 1/n or n (n >= 2 an integer up to
:data:`~eventstudy.data.shares.MAX_SHARE_COUNT_RATIO`), for the restatement to be taken as a
split. Yahoo rescales the stored closes exactly (rounded to float precision), so 1% leaves room
for a vendor's rounding to cents of a low-priced stock and none for a dividend, which changes no
close."""


SPLIT_OUTLIER_SHARE = 0.01
"""The share of a split's restated days whose close may change by another factor (a bad tick
corrected in the same restatement); one day at least once :data:`SPLIT_OUTLIER_MIN_DAYS` are
compared (a short cached history: 1% of 60 days is none, and one corrected tick hid a split)."""
SPLIT_OUTLIER_MIN_DAYS = 10
"""The days with a close on both sides from which one of them may be an outlier: nine of ten at
one split factor is no coincidence, two of three (0.5, 0.5, 0.52) may be. A restatement whose
closes moved on fewer days than this, and than half the days with a close on either side, is
judged no split (two days halved among days that only gained a close; the first of 60 cached
days)."""


def split_of_closes(old_close: np.ndarray, new_close: np.ndarray) -> tuple[str, float] | None:
    """``(split, close_factor)`` when the ``new_close / old_close`` of the days with a positive
    close on both sides are within :data:`PRICE_SPLIT_TOLERANCE` of one factor near 1/n (an
    n-for-1 split, ``"n-for-1"``: ``close_factor`` 1/n), n (a 1-for-n reverse split) for an integer
    2 <= n <= 100, or 1/r for a fractional split ratio r
    (:data:`~eventstudy.splits.FRACTIONAL_SPLITS`: a 3-for-2 split's closes x2/3 were "not a
    split", and market values came out at 2/3), all but at most :data:`SPLIT_OUTLIER_SHARE` of
    them (rounded down; one at least from :data:`SPLIT_OUTLIER_MIN_DAYS` days), else None
    (such days fewer than half the days, or factors that differ: a dividend, an error). A close
    missing on one cached day, or one bad tick corrected in the same restatement, hid a 2-for-1
    split, and a study then valued the counts filed before it at split-adjusted closes."""
    old_close = np.asarray(old_close, dtype=float)
    new_close = np.asarray(new_close, dtype=float)
    both = np.isfinite(old_close) & np.isfinite(new_close) & (old_close > 0) & (new_close > 0)
    if not both.any() or both.sum() < 0.5 * both.size:  # a split is seen in most of the days
        return None
    factor = new_close[both] / old_close[both]
    common = float(np.median(factor))
    outliers = int(SPLIT_OUTLIER_SHARE * factor.size)
    if factor.size >= SPLIT_OUTLIER_MIN_DAYS:
        outliers = max(outliers, 1)
    if (np.abs(factor / common - 1) > PRICE_SPLIT_TOLERANCE).sum() > outliers:
        return None
    above = max(common, 1 / common)
    n = int(np.rint(above))
    if 2 <= n <= MAX_SHARE_COUNT_RATIO and abs(above / n - 1) <= PRICE_SPLIT_TOLERANCE:
        return (f"{n}-for-1", 1 / n) if common < 1 else (f"1-for-{n}", float(n))
    for ratio in FRACTIONAL_SPLITS if common < 1 else ():  # reverse ones are hardly seen
        if abs(above / ratio - 1) <= PRICE_SPLIT_TOLERANCE:
            return split_ratio_text(ratio), 1 / ratio
    return None


def compare_histories(
    old: pd.DataFrame, new: pd.DataFrame, compared: tuple[str, ...] = ("close", "adj_close")
) -> dict[str, Any] | None:
    """The restatement record if ``new`` changes one of the ``compared`` columns on a cached day.

    A day is restated when, in one of ``compared``, ``|new - old| / |old| >
    RESTATEMENT_TOLERANCE`` (``|new - old|`` where ``old`` is 0) or exactly one of the two is
    missing. Returns ``None`` when every day both histories hold is unchanged. An import compares
    the closes (its :func:`replacement_record` says what else the file changes); a re-fetch,
    which has no other record, every price column and the volume
    (:data:`REFETCH_COLUMNS`): the open prices the backtest's entries and the volume the
    abnormal-volume model, so a revised one is as much a restatement as a revised close.

    When the days whose ``close`` was restated with a close on both sides (a dividend restates
    ``adj_close`` alone; a day that only gained or lost a close shows no factor), ten of them at
    least or half the days with a close on either side, changed their closes by one split factor
    (:func:`split_of_closes`, a few outliers aside) and left no earlier day unchanged (a split
    restates them all; a bad tick corrected on the last day is none), the record also holds
    ``split`` (``"2-for-1"``, ``"3-for-2"``, ``"1-for-10"`` for a reverse split),
    ``close_factor`` (0.5, 10), ``split_after`` (the last of those days) and ``split_by``: the
    first later day with a close on both sides, whose unchanged close shows the split had
    happened by then, or else the new history's last day. The split took effect after
    ``split_after`` and on or before ``split_by``; a revised volume or open on a later day does
    not move it.
    """
    both = old.merge(new, on="date", how="inner", suffixes=("_old", "_new"))
    changed = np.zeros(len(both), dtype=bool)
    closes = np.zeros(len(both), dtype=bool)  # days whose close changed
    largest = np.zeros(len(both))
    columns = []
    for column in compared:
        a = both[f"{column}_old"].to_numpy(dtype=float)
        b = both[f"{column}_new"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.abs(b - a) / np.where(a == 0, 1.0, np.abs(a))
        one_missing = np.isnan(a) != np.isnan(b)
        hit = one_missing | (np.nan_to_num(relative, nan=0.0) > RESTATEMENT_TOLERANCE)
        if hit.any():
            columns.append(column)
        changed |= hit
        if column == "close":
            closes |= hit
        largest = np.maximum(largest, np.where(one_missing, np.inf, np.nan_to_num(relative, nan=0.0)))
    if not changed.any():
        return None
    dates = both.loc[changed, "date"]
    dropped = old.loc[~old["date"].isin(new["date"]), "date"]  # the days the source no longer has
    worst = int(np.argmax(np.where(changed, largest, -1.0)))
    record: dict[str, Any] = {
        "dates": [_iso(dates.min()), _iso(dates.max())],
        "n_dates": int(changed.sum()),
        "columns": columns,
        "max_relative_change": float(largest[worst]),
        "max_change_date": _iso(both["date"].iloc[worst]),
        "old_rows": len(old),
        "new_rows": len(new),
        "dropped_rows": int(dropped.size),
        "dropped_dates": [_iso(dropped.min()), _iso(dropped.max())] if dropped.size else [],
        "old_content_sha256": content_sha256(old.loc[:, list(PRICE_COLUMNS)].reset_index(drop=True)),
        "new_content_sha256": content_sha256(new.loc[:, list(PRICE_COLUMNS)].reset_index(drop=True)),
    }
    old_close, new_close = (both[f"close_{side}"].to_numpy(float) for side in ("old", "new"))
    # The split's days are those whose close moved, a close on both sides: a day that only gained
    # or lost one (gaps filled in the new file) said nothing of a split, yet made it end there, or
    # fewer than half the days, and hid it. They are ten, or half the days with a close on either
    # side: two days halved among 58 gaps filled, or the first of 60 days, are corrected ticks as
    # likely as a split.
    two = np.isfinite(old_close) & np.isfinite(new_close)
    moved = closes & two
    split = None
    priced = (np.isfinite(old_close) | np.isfinite(new_close)).sum()  # days with a close at all
    if moved.sum() >= min(SPLIT_OUTLIER_MIN_DAYS, 0.5 * priced):  # one corrected tick is no split
        split = split_of_closes(old_close[moved], new_close[moved])
    if split is not None:  # a split restates every earlier day: a bad tick's correction is none
        before = (both["date"] <= both.loc[moved, "date"].max()).to_numpy()
        kept = before & ~closes & two
        if kept.sum() > int(SPLIT_OUTLIER_SHARE * before.sum()):
            split = None
    if split is not None:
        text, close_factor = split
        split_after = both.loc[moved, "date"].max()
        after = (both["date"] > split_after) & two  # an unchanged close on both sides shows it
        split_by = both.loc[after, "date"].min() if after.any() else new["date"].max()
        record["split"] = text
        record["close_factor"] = close_factor
        record["split_after"] = _iso(split_after)
        record["split_by"] = _iso(split_by)
    return record


def replacement_record(
    old: pd.DataFrame, new: pd.DataFrame, columns: tuple[str, ...], *, key: str = "date"
) -> dict[str, Any] | None:
    """What replacing the cached series ``old`` with ``new`` loses; None when it loses nothing.

    Why: a file replaces the cached series, and a shorter or corrected one dropped cached days
    or changed values a study may have used, without a word.

    Parameters
    ----------
    old, new
        The cached series and the file's, each with a ``key`` column of unique days and
        ``columns`` (a column the file lacks is missing on each of its days).
    columns
        The value columns compared: a day is changed when a numeric one differs by more than
        :data:`RESTATEMENT_TOLERANCE` relatively (absolutely where the cached value is 0), another
        one (text: an earnings release's timing) differs at all, or one is missing on one side
        only.
    key
        The column of days: ``date``, or ``announced`` for earnings releases.

    Returns
    -------
    dict or None
        ``old_rows``, ``new_rows``, ``old_dates`` (first and last cached day),
        ``dropped_rows`` and ``dropped_dates`` (cached days the file lacks, first and last),
        ``changed_rows``, ``changed_dates`` and ``changed_columns``; None when every cached day
        is in the file, unchanged (a file that only adds days).
    """
    dropped = old.loc[~old[key].isin(new[key]), key]
    new = new.reindex(columns=[key, *columns])  # a column the file lacks: missing on every day
    both = old.loc[:, [key, *columns]].merge(new, on=key, how="inner", suffixes=("_old", "_new"))
    changed = np.zeros(len(both), dtype=bool)
    changed_columns = []
    for column in columns:
        before, after = both[f"{column}_old"], both[f"{column}_new"]
        if pd.api.types.is_numeric_dtype(before) and pd.api.types.is_numeric_dtype(after):
            hit = _differs(before.to_numpy(float), after.to_numpy(float))
        else:
            hit = (before.isna() != after.isna()).to_numpy() | (before.notna() & (before != after)).to_numpy()
        if hit.any():
            changed_columns.append(column)
        changed |= hit
    if dropped.empty and not changed.any():
        return None
    changed_days = both.loc[changed, key]
    return {
        "old_rows": len(old),
        "new_rows": len(new),
        "old_dates": [_iso(old[key].min()), _iso(old[key].max())],
        "dropped_rows": len(dropped),
        "dropped_dates": [_iso(dropped.min()), _iso(dropped.max())] if len(dropped) else [],
        "changed_rows": int(changed.sum()),
        "changed_dates": [_iso(changed_days.min()), _iso(changed_days.max())] if changed.any() else [],
        "changed_columns": changed_columns,
    }


def _differs(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Which values changed beyond :data:`RESTATEMENT_TOLERANCE` (or are missing on one side)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.abs(new - old) / np.where(old == 0, 1.0, np.abs(old))
    return (np.isnan(old) != np.isnan(new)) | (np.nan_to_num(relative, nan=0.0) > RESTATEMENT_TOLERANCE)


def replacement_text(symbol: str, what: str, record: dict[str, Any]) -> str:
    """One line saying what replacing the cached ``what`` (prices, returns, earnings dates,
    factors) of ``symbol`` lost."""
    first, last = record["old_dates"]
    text = (
        f"{symbol}: replaces its cached {what} ({record['old_rows']} days, {first}..{last}) with the file's "
        f"{record['new_rows']}: "
    )
    text += dropped_text(record) or "no cached day dropped"
    if "definition" in record:  # returns of another definition, compared as simple returns
        old, new = record["definition"]
        text += f", the cached returns were {old} returns and the file's are {new}"
    if record["changed_rows"]:
        return text + ", " + changed_text(record)
    return text + ", none changed"


def changed_text(record: dict[str, Any]) -> str:
    """``open, volume changed on 2 day(s) (2023-01-13..2023-01-17)`` of a
    :func:`replacement_record` that changed values."""
    columns, days = ", ".join(record["changed_columns"]), "..".join(record["changed_dates"])
    return f"{columns} changed on {record['changed_rows']} day(s) ({days})"


def replaced_history_text(
    symbol: str, restatement: dict[str, Any], replacement: dict[str, Any] | None
) -> str:
    """The one line of a price file that restates the cached closes (:func:`restatement_text`),
    with what else its :func:`replacement_record` says it changes: the cached days it drops, and
    every column it changes when that is more than the closes (a volume and an open revised with
    a close were left unsaid, a finder)."""
    text = restatement_text(symbol, restatement)
    if replacement is None:
        return text
    parts = [dropped_text(replacement)]
    if set(replacement["changed_columns"]) - set(restatement["columns"]):
        parts.append("in all " + changed_text(replacement))
    said = [part for part in parts if part]
    return "; ".join([text, *said])


def dropped_text(record: dict[str, Any]) -> str:
    """``453 cached day(s) dropped (2023-01-03..2024-10-21)``, or "" when none was."""
    if not record["dropped_rows"]:
        return ""
    return f"{record['dropped_rows']} cached day(s) dropped ({'..'.join(record['dropped_dates'])})"


def restatement_text(symbol: str, record: dict[str, Any]) -> str:
    """One line saying what a restatement record holds, for a command's summary."""
    text = f"{symbol}: replaces a cached history restated on {record['n_dates']} day(s)"
    if "split" in record:
        factor = record["close_factor"]
        text += (
            f" (close x{factor:g} on every day up to {record['dates'][1]}: a {record['split']} split? Share "
            f"counts dated before it give {symbol} no market value until counts after it are imported)"
        )
    else:
        text += (
            f" {record['dates'][0]}..{record['dates'][1]} ({', '.join(record['columns'])} changed, "
            f"{largest_change_text(record)}; not a split of a ratio it knows)"
        )
    return text


def largest_change_text(record: dict[str, Any]) -> str:
    """``largest relative change 0.0123`` of a restatement record, or, when a value is blank in
    one history and not in the other (an infinite change), that and its day."""
    if math.isinf(record["max_relative_change"]):
        return f"a value blank in one history and not the other on {record['max_change_date']}"
    return f"largest relative change {record['max_relative_change']:.3g}"


def _iso(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")

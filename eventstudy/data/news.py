"""The user's news file: other dated news of the tickers, screened as confounders.

A study config may name a news file (``news_file = "news.csv"`` in ``[study]``) of dated
headlines that are not events of the study but could move its tickers (a CEO change, a
lawsuit, a product recall). The confounder screen (:mod:`eventstudy.timeline.confounders`)
flags every event window containing one of them. Columns:

==========  ======================================================================
ticker      the symbol (the grammar of :mod:`eventstudy.symbols`)
date        ``YYYY-MM-DD``, US/Eastern calendar date (1900..2199)
timing      optional: ``pre`` | ``intraday`` | ``post`` | ``unknown`` (blank: ``unknown``)
headline    free text (one line in the flags; ``;`` shown as ``,``)
==========  ======================================================================

Other columns are an error (a misspelt ``timing`` column must not be silently ignored). Every
problem is an :class:`~eventstudy.errors.InputError` naming file, row and field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.csvfile import (
    check_unique_header,
    first_bad_symbol,
    header_of,
    parse_dates,
    read_text_table,
)
from eventstudy.data.events import FIRST_DATE, LAST_DATE, TIMINGS
from eventstudy.errors import InputError

NEWS_COLUMNS: tuple[str, ...] = ("ticker", "date", "timing", "headline")
REQUIRED: tuple[str, ...] = ("ticker", "date", "headline")


def read_news(path: str | Path) -> pd.DataFrame:
    """Read and check a news file.

    Returns
    -------
    pandas.DataFrame
        :data:`NEWS_COLUMNS` in file order; ``date`` is ``datetime64[ns]``.

    Raises
    ------
    InputError
        For an unknown or repeated column, a ticker that is not a symbol, a bad date or
        timing, naming file, row and field.
    """
    path = Path(path)
    header = header_of(path)
    unknown = [c for c in header if c not in NEWS_COLUMNS]
    if unknown:
        expected = ", ".join(NEWS_COLUMNS)
        raise InputError(str(path), f"unknown column (expected {expected})", row=1, field=unknown[0])
    check_unique_header(path, header)
    frame = read_text_table(path, REQUIRED)
    tickers = frame["ticker"].str.strip()
    first_bad_symbol(path, tickers)
    dates = parse_dates(path, frame["date"], "date")
    low, high = pd.Timestamp(FIRST_DATE), pd.Timestamp(LAST_DATE)
    outside = np.flatnonzero(((dates < low) | (dates > high)).to_numpy())
    if outside.size:
        raise InputError(
            str(path),
            f"{frame['date'].iloc[outside[0]]!r} is outside {FIRST_DATE}..{LAST_DATE}",
            row=int(outside[0]) + 2,
            field="date",
        )
    timing = frame["timing"].str.strip() if "timing" in frame.columns else pd.Series("", index=frame.index)
    timing = timing.where(timing != "", "unknown")
    bad = np.flatnonzero(~timing.isin(TIMINGS).to_numpy())
    if bad.size:
        raise InputError(
            str(path),
            f"{timing.iloc[bad[0]]!r} is not one of {', '.join(TIMINGS)} (or blank)",
            row=int(bad[0]) + 2,
            field="timing",
        )
    return pd.DataFrame(
        {
            "ticker": tickers.to_numpy(object),
            "date": dates.to_numpy("datetime64[ns]"),
            "timing": timing.to_numpy(object),
            "headline": frame["headline"].to_numpy(object),
        }
    )

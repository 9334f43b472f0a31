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

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.earnings import check_timings
from eventstudy.data.events import TIMINGS
from eventstudy.data.tabular import check_symbols, parse_dates, read_text_table, require_columns
from eventstudy.errors import InputError
from eventstudy.symbols import case_twins

NEWS_COLUMNS: tuple[str, ...] = ("ticker", "date", "timing", "headline")
REQUIRED: tuple[str, ...] = ("ticker", "date", "headline")


def read_news(path: str | Path, tickers: Iterable[str] = ()) -> pd.DataFrame:
    """Read and check a news file.

    ``tickers`` are the study's: a line whose ticker differs from one of them only in case
    (``nvda`` beside ``NVDA``) is refused, since symbols are case-sensitive and the line would
    screen no window, silently. Lines of other tickers are kept (a news file may serve several
    studies).

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
    table = read_text_table(Path(path))
    unknown = [c for c in table.header if c not in NEWS_COLUMNS]
    if unknown:
        expected = ", ".join(NEWS_COLUMNS)
        raise InputError(str(path), f"unknown column (expected {expected})", row=1, field=unknown[0])
    require_columns(table, REQUIRED)
    symbols = table.column("ticker")
    check_symbols(table, symbols, "ticker")
    found = next(case_twins(symbols.tolist(), tickers), None)
    if found is not None:
        index, symbol, twin = found
        raise table.fail(
            f"{symbol!r} differs from the study's ticker {twin!r} only in case: symbols are "
            f"case-sensitive, so this line would screen no window (write {twin!r})",
            index=index,
            field="ticker",
        )
    dates = parse_dates(table, table.column("date"), "date")  # 1900..2199 checked
    timing = check_timings(table, TIMINGS, "unknown")
    headline = table.column("headline")
    news = pd.DataFrame({"ticker": symbols, "date": dates, "timing": timing, "headline": headline})
    repeated = np.flatnonzero(news.duplicated().to_numpy())
    if repeated.size:  # counted twice, named twice in a window's confounders
        index = int(repeated[0])
        first = int(np.flatnonzero((news == news.iloc[index]).all(axis=1).to_numpy())[0])
        raise table.fail(f"repeats the line of row {table.row_of(first)} (the same news twice)", index=index)
    return news

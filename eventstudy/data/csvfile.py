"""Reading the small CSV files of ``eventstudy cache import`` with errors that name file, row, field.

Shared by the importers of prices, shares and earnings dates (:mod:`eventstudy.data.importer`,
:mod:`eventstudy.data.earnings`): every file is UTF-8 (a byte-order mark is accepted), read as
text with nothing guessed, and every problem is an :class:`~eventstudy.errors.InputError` naming
the file, the line (the header is line 1) and the column.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.events import locate_byte
from eventstudy.errors import InputError


def header_of(path: Path) -> tuple[str, ...]:
    """The column names of a CSV file's first line (stripped; empty for an empty file)."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline(4096).strip()
    except OSError as exc:
        raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None
    return tuple(name.strip() for name in first.split(",")) if first else ()


def check_unique_header(path: Path, header: tuple[str, ...]) -> None:
    """Raise naming the first column that appears twice in ``header`` (row 1)."""
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(str(path), "column appears twice", row=1, field=repeated[0])


def read_text_table(path: Path, header: tuple[str, ...]) -> pd.DataFrame:
    """Every field of ``path`` as text, with the columns of ``header`` required.

    Raises
    ------
    InputError
        For an unreadable file, text that is not UTF-8 (naming the row and field of the first
        bad byte), a file that is not CSV, a missing column, or a header without rows.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read it ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row, field = locate_byte(raw, exc.start)
        raise InputError(
            str(path),
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}: Latin-1 or Windows-1252?); "
            "re-save the file as UTF-8",
            row=row,
            field=field,
        ) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(str(path), f"not a readable CSV file ({type(exc).__name__})") from None
    columns = tuple(name.strip() for name in frame.columns)
    missing = [name for name in header if name not in columns]
    if missing:
        raise InputError(str(path), f"expected the header {','.join(header)}", row=1, field=missing[0])
    frame.columns = list(columns)
    if frame.empty:
        raise InputError(str(path), "the file has a header but no rows")
    return frame


def parse_dates(path: Path, text: pd.Series, field: str) -> pd.Series:
    """``YYYY-MM-DD`` text as ``datetime64[ns]``; the first other value is an error (row, field)."""
    dates = pd.to_datetime(text.str.strip(), format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        raise InputError(
            str(path),
            f"{text.iloc[bad[0]]!r} is not a date YYYY-MM-DD",
            row=int(bad[0]) + 2,
            field=field,
        )
    return dates.astype("datetime64[ns]")


def parse_numbers(path: Path, text: pd.Series, field: str, *, allow_missing: bool) -> pd.Series:
    """Numbers as float64; empty, ``null`` and ``NaN`` are missing (an error unless allowed)."""
    stripped = text.str.strip()
    missing = stripped.isin(["", "null", "NaN", "nan"])
    numbers = pd.to_numeric(stripped.where(~missing), errors="coerce").astype("float64")
    bad = np.flatnonzero((numbers.isna() & ~missing).to_numpy() | (~allow_missing & missing.to_numpy()))
    if bad.size:
        raise InputError(
            str(path), f"{text.iloc[bad[0]]!r} is not a number", row=int(bad[0]) + 2, field=field
        )
    return numbers


def first_bad_symbol(path: Path, tickers: pd.Series, field: str = "ticker") -> None:
    """Raise for the first row whose ``field`` is not a symbol (:mod:`eventstudy.symbols`).

    One check per distinct value, then the first row holding a bad one.
    """
    from eventstudy.symbols import symbol_problem

    for ticker in tickers.unique():
        problem = symbol_problem(ticker)
        if problem:
            row = int(np.flatnonzero((tickers == ticker).to_numpy())[0]) + 2
            raise InputError(str(path), problem, row=row, field=field)

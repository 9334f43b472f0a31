"""Returns panels: a user's return series, imported into the cache as such.

``eventstudy cache import --returns FILE --units decimal|percent [--definition simple|log]``
reads a CSV or parquet file (:mod:`eventstudy.data.tabular`) in one of three layouts, chosen by
its header (column names compared ignoring case), never by its values:

============  ==========================================================================
layout        header
============  ==========================================================================
``long``      ``id, date, ret`` and optionally ``market_cap``; one row per (id, date)
``crsp``      CRSP's daily stock file: ``permno, date, ret`` and optionally ``shrout``
              and ``prc`` (a WRDS export: ``PERMNO,date,RET,SHROUT,PRC``)
``wide``      ``date`` and one column per id (the R package eventstudies' layout, e.g.
              ``date,HDFC.Bank,RELIANCE.NS,nifty``); no ``ret`` column
============  ==========================================================================

Other columns of a long or CRSP file (a WRDS export's ``TICKER``, ``SHRCD``, ...) are not
read; they are listed in the provenance. Dates are ``YYYY-MM-DD`` or ``YYYYMMDD``.

**Units are declared, never guessed.** ``--units decimal`` (0.01 = 1%, as CRSP's ``RET``) or
``--units percent`` (1 = 1%, as the eventstudies package's ``StockPriceReturns``); a percent
value is divided by 100 once, so a file in percent and the same returns in decimal, written as
that quotient, import to the same numbers. ``--definition simple`` (default; CRSP, Yahoo) or
``log`` (continuously compounded, as estudy2's ``rates``) says what the numbers are; the study
converts them when its ``returns`` setting differs (``log(1 + R)`` or ``exp(r) - 1``).

**Identifiers** follow :mod:`eventstudy.symbols` (``HDFC.Bank``, ``RELIANCE.NS``, ``^NSEI``,
``BRK-B``). A PERMNO is a whole number written in any way a CSV export writes one (``10107``,
``10107.0``) and is stored as its decimal digits (``10107``). Two ids that differ only in case
are an error (they would share a cache file on a case-insensitive file system), and so are
two that are one whole number written two ways (``10107`` and ``10107.0`` under an ``id`` header).

**Market values.** ``market_cap`` is taken as given, in US dollars (an id with a non-US exchange
suffix gets no dollar value, :mod:`eventstudy.exchanges`); CRSP's
market value is :math:`|PRC| \\times SHROUT \\times 1000` (``PRC`` is negative when it is a
bid/ask average, ``SHROUT`` is in thousands; a zero ``PRC`` means no price; a market value of
0 is stored as none, since no listed firm is worth nothing). Where present
they are the market values of the dollar columns (``mcap_prev_usd``, ``abnormal_value_usd``);
without them those columns are empty, with a note.

**Missing returns.** A blank cell (or a text of :data:`~eventstudy.data.tabular.MISSING_TEXT`:
``NA``, ``NaN``, ``null``, ``None``, ``.``, ...) is a missing return, and so are CRSP's
missing-return codes in a CRSP file: the numbers -44, -55, -66, -77, -88, -99
(decimal returns, so -4400 ... -9900 in a file of percent returns, where -44 is a return of -44%)
and the letters A, B, C, D, E of WRDS exports (counted in the provenance). A missing return
removes that day only -- unlike a missing price, which also removes the next day's return
(:mod:`eventstudy.timeline.returns`). In a wide file, the blanks before an id's first return
and after its last are outside its history, as the rows a long file does not have
(``partial_history``), not missing returns.

**Refused** (one line naming file, row and field; nothing is imported): undeclared units; an id
that is not an identifier, or two that collide once normalised (case, PERMNO spelling); a
repeated (id, date); a date that is not one; a return that is not a finite number; a simple
return below -100% (-1 in decimal, -100 in percent), which no asset can lose; an absurd return:
a gross return :math:`1 + R` (or :math:`e^r`) above :data:`~eventstudy.data.screening.ABSURD_RATIO`
(100, a gain above +9,900% in a day, orders of magnitude beyond any real daily move; between
the prices' bound of 50 and this one a return is imported and withheld by the study, as
``absurd_ret`` of :mod:`eventstudy.data.screening`), or a log return so negative that
:math:`e^r` is 0 in double precision (below about -745: no finite log return of a loss short
of -100%); a negative
market value, or one above :data:`MAX_MARKET_VALUE`; ``market_cap`` together with
``shrout``/``prc``; a wide file with no id column. Such values (``1e308``) would otherwise
overflow every sum of squares computed on them. Asked about, not refused (:func:`doubts`): a
date on which no id moved, every id with a row there (in its history) having a return of
exactly 0 or none, too rare to be chance (:func:`padding_doubt`: a vendor's row for a holiday,
which would make it a session).

Stored as ``returns/<ID>.parquet`` (``date, ret, market_cap``, dates ascending, returns in
decimal units) with the provenance: source file and SHA-256, layout, declared units and the
scale applied, definition, the id column and how market values were obtained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.screening import ABSURD_RATIO, MAX_PRICE
from eventstudy.data.tabular import (
    MISSING_TEXT,
    TextTable,
    other_columns,
    parse_dates,
    parse_numbers,
    read_text_table,
)
from eventstudy.errors import InputError
from eventstudy.symbols import symbol_problem, twin_key, twin_message
from eventstudy.text import listing

UNITS: dict[str, float] = {"decimal": 1.0, "percent": 100.0}
"""Declared units -> the divisor that makes decimals."""
DEFINITIONS: tuple[str, ...] = ("simple", "log")
CRSP_MISSING_CODES = frozenset({-44.0, -55.0, -66.0, -77.0, -88.0, -99.0})
"""CRSP's numeric missing-return codes (RET = -66.0: more than 10 trading days since the last price, ...)."""
CRSP_MISSING_LETTERS = frozenset({"A", "B", "C", "D", "E"})
"""Letter codes of missing returns in WRDS text exports of CRSP files."""
_LONG_VALUES = ("ret", "market_cap", "shrout", "prc")
MAX_MARKET_VALUE = MAX_PRICE * 1e12
"""Largest market value accepted (1e21 in the returns' currency): the price checks' absurd price
(1e9) times a trillion shares. The largest listed companies are worth about 5e12 US dollars; a
larger figure is a data or unit error (``1e308``) that would overflow the dollar statistics."""
_MAX_VALUE_TEXT = f"{MAX_MARKET_VALUE:.0e}".replace("e+", "e")


@dataclass(frozen=True)
class ReturnSeries:
    """One id's returns as imported: ``date, ret, market_cap`` (decimal returns, dates ascending),
    how many of its returns were CRSP missing-return codes, and where the file first names the
    id (``row``, ``field``: for errors about the id as a whole, such as a case twin in the cache)."""

    symbol: str
    frame: pd.DataFrame
    missing_codes: int = 0
    row: int | None = None
    field: str | None = None


@dataclass(frozen=True)
class ParsedReturns:
    """A returns file, parsed and checked.

    Attributes
    ----------
    path
        The file.
    layout
        ``long``, ``crsp`` or ``wide``.
    series
        One :class:`ReturnSeries` per id, in order of first appearance.
    provenance
        What every series' provenance records besides its own symbol.
    rows
        Returns read (one per id and date), a missing one (a blank cell, ``NA``) not counted.
    ignored_columns
        Columns of a long file that are not read (a WRDS export's ``TICKER``, say).
    padding
        :func:`padding_doubt`'s question, "" for none.
    """

    path: Path
    layout: str
    series: tuple[ReturnSeries, ...]
    provenance: dict[str, Any] = field(default_factory=dict)
    rows: int = 0
    ignored_columns: tuple[str, ...] = ()
    padding: str = ""


LARGE_MEDIAN_RETURN = 0.25
"""A median |return| (decimal) of a file's nonzero returns above which the import asks whether the
units are right: returns in percent read as decimal (0.6 for 0.6%) give about 1, a day's or a
month's returns rarely a tenth of that. A question, not a refusal (:func:`doubts`)."""
LARGE_DAILY_MEDIAN_RETURN = 0.10
""":data:`LARGE_MEDIAN_RETURN` of a daily series (its returns a median :data:`DAILY_SPACING_DAYS`
days apart or less; a file's, when every series is daily): a day's median |return| is 0.3-2%
for stocks and indices, about 5% for the S&P 500 in March 2020's crash, while percent returns of
a calm series read as decimal (0.2 for 0.2%: a bond fund, a utility, a quiet index) give 20%,
which the 25% line let through without a word (a finder). Percent returns with a median below
0.1% (a bill or money-market series) still pass."""
DAILY_SPACING_DAYS = 4
"""The median calendar days between a series' consecutive dates up to which its returns are daily
(a weekend is 3; a weekly series 7)."""
SMALL_MEDIAN_RETURN = 0.0005
"""A median |return| (decimal) below which an import of values declared in percent asks whether
they were decimals: daily stock and index returns have a median |return| of 0.3-1%, so decimals
divided by 100 give 0.003-0.01% (every CAR and dollar value 100 times too small, the t statistics
unchanged); a money-market or bill series lies below it too, and is asked about."""


_ASKED_LARGE_PERCENT = "after dividing the values by 100 (units percent): are they returns?"
_ASKED_SMALL_PERCENT = (
    "after dividing the values by 100 (units percent): were they decimals (0.01 = 1%)? Import it again "
    "in units decimal if so"
)
_ASKED_LARGE_DECIMAL = (
    "in decimal units: are its units right (units percent when 1.5 means 1.5%)? Import it again with the "
    "right ones"
)
"""Doubts about declared units, said alike to the command line (``--units``) and to Python
(``units=``)."""


SERIES_JUDGED = 20
"""The nonzero returns from which a series' own median |return| is judged (a file's pooled median
is judged at any size): the median of two returns, one of them -99%, is no sign of units."""


def doubts(parsed: ParsedReturns) -> list[str]:
    """The sentences of :func:`_asked` the import prints, in order."""
    return [text for text, _, printed in _asked(parsed) if printed]


def series_doubts(parsed: ParsedReturns) -> dict[str, list[str]]:
    """By series of ``parsed`` (every one, in order), the sentences of :func:`_asked` about it or
    about the whole file: each series' provenance keeps its own (``import_questions``), which a
    study using the series reports again (a finder: the one warning printed at import was all a
    notebook user saw of a percent file imported as decimal, and a study reported CARs of -120%
    as ok)."""
    asked = _asked(parsed)
    return {
        series.symbol: [text for text, who, _ in asked if who is None or series.symbol in who]
        for series in parsed.series
    }


def _asked(parsed: ParsedReturns) -> list[tuple[str, tuple[str, ...] | None, bool]]:
    """(sentence, the series it is about or None for the whole file, whether the import prints
    it) a user should read after importing ``parsed``: a median |return| above
    :data:`LARGE_MEDIAN_RETURN` (:data:`LARGE_DAILY_MEDIAN_RETURN` for daily returns), or below
    :data:`SMALL_MEDIAN_RETURN` in percent (are the units right?), of the whole file or, where
    only some of its series have one, of each of those with :data:`SERIES_JUDGED` returns (one
    column of decimals in a panel of percent was judged by the file's median and passed), and the
    ids without any return. Of more than five series asked the same, the import prints five
    and a count; each series keeps its own sentence."""
    said: list[tuple[str, tuple[str, ...] | None, bool]] = []
    returns = {s.symbol: s.frame["ret"].to_numpy(float) for s in parsed.series}
    sizes = {symbol: np.abs(v[np.isfinite(v) & (v != 0)]) for symbol, v in returns.items()}
    medians = {symbol: float(np.median(v)) for symbol, v in sizes.items() if v.size >= SERIES_JUDGED}
    every = np.concatenate([*sizes.values(), np.empty(0)])
    pooled = float(np.median(every)) if every.size else 0.0
    percent = parsed.provenance.get("units") == "percent"
    # Each series is judged at its own frequency, the file at the daily line only if every series
    # is daily: a monthly series beside daily ones was asked about at 10%, and a calm daily one
    # among monthly ones passed at 25% (a reviewer).
    gaps = {s.symbol: _median_spacing(s.frame) for s in parsed.series}
    large = {
        symbol: LARGE_DAILY_MEDIAN_RETURN if gap <= DAILY_SPACING_DAYS else LARGE_MEDIAN_RETURN
        for symbol, gap in gaps.items()
    }
    known = [gap for gap in gaps.values() if np.isfinite(gap)]
    daily_file = bool(known) and max(known) <= DAILY_SPACING_DAYS
    file_large = LARGE_DAILY_MEDIAN_RETURN if daily_file else LARGE_MEDIAN_RETURN
    questions = (  # (whose median, at which large line, it fits; its percent format; the question)
        (lambda m, line: percent and m > line, "{:.0%}", _ASKED_LARGE_PERCENT),
        (lambda m, line: percent and 0 < m < SMALL_MEDIAN_RETURN, "{:.4%}", _ASKED_SMALL_PERCENT),
        (lambda m, line: not percent and m > line, "{:.0%}", _ASKED_LARGE_DECIMAL),
    )
    for fits, shown, question in questions:
        if fits(pooled, file_large):  # the whole file
            median = f"{pooled:.4g} ({shown.format(pooled)} a period)"
            said.append((f"{parsed.path}: the median |return| is {median} {question}", None, True))
            continue
        flagged = [symbol for symbol, median in medians.items() if fits(median, large[symbol])]
        said += [
            (
                f"{parsed.path}: the median |return| of {symbol} is {medians[symbol]:.4g} "
                f"({shown.format(medians[symbol])} a period) {question}",
                (symbol,),
                k < 5,
            )
            for k, symbol in enumerate(flagged)
        ]
        if len(flagged) > 5:
            said.append((f"{parsed.path}: so is that of {len(flagged) - 5} more of its series", (), True))
    empty = tuple(symbol for symbol, values in returns.items() if np.isnan(values).all())
    if empty:
        text = f"{parsed.path}: no return at all for {listing(empty)} (every one of its rows is missing)"
        said.append((text, empty, True))
    return [*said, *([(parsed.padding, None, True)] if parsed.padding else [])]


def _median_spacing(frame: pd.DataFrame) -> float:
    """The median calendar days between a series' consecutive returns (NaN with fewer than two):
    a wide file's monthly column holds blank daily rows between its returns."""
    days = frame.loc[np.isfinite(frame["ret"].to_numpy(float)), "date"].to_numpy("datetime64[D]")
    return float(np.median(np.diff(days).astype(float))) if days.size > 1 else float("nan")


def check_units(units: object, source: str) -> float:
    """The divisor of declared ``units``; an :class:`InputError` naming ``source`` when they are
    missing or unknown (units are declared, never guessed)."""
    if units is None:
        raise InputError(
            source,
            "the units of its values are not declared: give decimal (0.01 = 1%) or percent (1 = 1%) "
            "(--units on the command line, units= in Python); they are never guessed",
            field="units",
        )
    if units not in UNITS:
        raise InputError(source, f"{units!r} is not a unit: decimal or percent", field="units")
    return UNITS[str(units)]


def check_definition(definition: object, source: str) -> str:
    if definition not in DEFINITIONS:
        raise InputError(
            source, f"{definition!r} is not a return definition: simple or log", field="definition"
        )
    return str(definition)


def parse_returns_file(path: Path, *, units: str | None, definition: str = "simple") -> ParsedReturns:
    """Read and check one returns file (see the module docstring); nothing is written.

    Raises
    ------
    InputError
        For the first problem, naming the file, the row and the field.
    """
    divisor = check_units(units, str(path))
    definition = check_definition(definition, str(path))
    table = read_text_table(path)
    if not table.has("date"):
        raise InputError(
            str(path), "a returns file needs a date column (long: id, date, ret; wide: date, ids...)", row=1
        )
    if table.has("id") and table.has("permno"):  # the import keyed by PERMNO, leaving id unread
        raise InputError(
            str(path),
            "both id and permno name the firm: keep the one that names it (an id may name two firms "
            "over time, a PERMNO one)",
            row=1,
            field=table.spelled("permno"),
        )
    if table.has("ret"):
        layout = "crsp" if table.has("permno") else "long"
        parsed = _long(table, layout, divisor, definition)
    else:
        if table.has("id") or table.has("permno"):
            named = table.spelled("id" if table.has("id") else "permno")
            problem = (
                f"a long returns file needs a ret column (its column {named!r} makes it a long one: "
                f"as a wide file's series, rename {named!r})"
            )
            raise InputError(str(path), problem, row=1, field="ret")
        layout = "wide"
        parsed = _wide(table, divisor, definition)
    series, provenance, padding = parsed
    provenance = {
        "layout": layout,
        "units": units,
        "divisor": divisor,
        "definition": definition,
        **provenance,
    }
    rows = sum(int(s.frame["ret"].notna().sum()) for s in series)  # a blank cell is no return
    read = ("permno" if layout == "crsp" else "id", "date", *_LONG_VALUES)
    ignored = () if layout == "wide" else other_columns(table.header, read)
    return ParsedReturns(Path(path), layout, tuple(series), provenance, rows, ignored, padding)


def _long(
    table: TextTable, layout: str, divisor: float, definition: str
) -> tuple[list[ReturnSeries], dict[str, Any], str]:
    id_column = "permno" if layout == "crsp" else "id"
    if not table.has(id_column):
        raise InputError(
            str(table.path), "a long returns file needs an id column (or CRSP's permno)", row=1, field="id"
        )
    has_cap = table.has("market_cap")
    has_crsp_value = table.has("shrout") or table.has("prc")
    if has_cap and has_crsp_value:
        raise InputError(
            str(table.path),
            "give market values once: market_cap, or CRSP's shrout and prc",
            row=1,
            field="market_cap",
        )
    if has_crsp_value and not (table.has("shrout") and table.has("prc")):
        missing = "prc" if table.has("shrout") else "shrout"
        raise InputError(str(table.path), "CRSP market values need both shrout and prc", row=1, field=missing)
    id_name = table.spelled(id_column)
    ids = identifiers(table, table.column(id_column), id_name, permno=layout == "crsp")
    dates = parse_dates(table, table.column("date"), table.spelled("date"), observed=True)
    ret_name = table.spelled("ret")
    returns, codes = _returns(
        table, table.column("ret"), ret_name, divisor, definition, crsp=layout == "crsp"
    )
    value_note: str | None = None
    market_cap = np.full(len(ids), np.nan)
    if has_cap:
        name = table.spelled("market_cap")
        market_cap = _nonnegative(table, table.column("market_cap"), name)
        _check_market_values(table, market_cap, name, lambda i: repr(table.column("market_cap")[i]))
        value_note = f"the {name} column, as given"
    elif has_crsp_value:
        shrout_name = table.spelled("shrout")
        shrout = _nonnegative(table, table.column("shrout"), shrout_name)
        prc_name = table.spelled("prc")
        prc = parse_numbers(table, table.column("prc"), prc_name)
        with np.errstate(over="ignore"):
            market_cap = np.abs(prc) * shrout * 1000.0
        _check_market_values(
            table,
            market_cap,
            prc_name,
            lambda i: f"|{prc_name}| x {shrout_name} x 1000 = |{table.column('prc')[i]}| x "
            f"{table.column('shrout')[i]} x 1000",
        )
        value_note = (
            "CRSP: |prc| x shrout x 1000 (prc < 0 is a bid/ask average, 0 no price; shrout in thousands)"
        )
    market_cap = np.where(market_cap > 0, market_cap, np.nan)
    used = {id_column, "date", *(c for c in _LONG_VALUES if table.has(c))}
    ignored = [name for name in table.header if name.lower() not in used]
    frame = pd.DataFrame(
        {"id": ids, "date": dates, "ret": returns, "market_cap": market_cap, "row": np.arange(len(ids))}
    )
    frame["code"] = codes
    _check_duplicates(table, frame, id_name, table.spelled("date"))
    given = np.isfinite(returns)  # an id's rows before its first return and after its last: no days of it
    span = frame.loc[given].groupby("id")["date"].agg(["min", "max"])
    inside = frame["date"].between(frame["id"].map(span["min"]), frame["id"].map(span["max"])).to_numpy()
    days, day = np.unique(dates, return_inverse=True)
    first_rows = np.full(len(days), len(dates))
    np.minimum.at(first_rows, day, np.arange(len(dates)))
    moved = given & (returns != 0.0)
    observed = Observations(day[inside], pd.factorize(frame["id"])[0][inside], moved[inside])
    padding = padding_doubt(table, days, observed, first_rows, table.spelled("date"))
    series = []
    for symbol, part in frame.groupby("id", sort=False):
        first = table.row_of(int(part["row"].iloc[0]))
        part = part.sort_values("date", kind="stable")
        codes_used = int(part["code"].sum())
        series.append(ReturnSeries(str(symbol), _series_frame(part), codes_used, first, id_name))
    provenance = {"id_column": id_name, "market_value": value_note, "ignored_columns": ignored}
    return series, provenance, padding


def _wide(
    table: TextTable, divisor: float, definition: str
) -> tuple[list[ReturnSeries], dict[str, Any], str]:
    date_at = table.position("date")
    dates = parse_dates(table, table.cells_at(date_at), table.header[date_at], observed=True)
    order = np.argsort(dates, kind="stable")
    repeated = np.flatnonzero(dates[order][1:] == dates[order][:-1])
    if repeated.size:
        later = int(max(order[repeated[0]], order[repeated[0] + 1]))
        first = int(min(order[repeated[0]], order[repeated[0] + 1]))
        raise table.fail(
            f"duplicate date {pd.Timestamp(dates[later]).date()} (first on row {table.row_of(first)})",
            index=later,
            field=table.header[date_at],
        )
    names = [name for position, name in enumerate(table.header) if position != date_at]
    if not names:
        raise InputError(
            str(table.path),
            "no returns: a wide returns file has a date column and one column per id "
            "(a long one: id, date, ret)",
            row=1,
        )
    for name in names:
        problem = symbol_problem(name)
        if problem:
            raise InputError(
                str(table.path),
                f"a wide returns file has one column per id, and {problem}",
                row=1,
                field=name,
            )
    _check_collisions(table, names, row_of=lambda _name: 1, field_of=lambda name: name)
    series: list[ReturnSeries] = []
    inside = np.zeros((len(names), len(dates)), dtype=bool)  # by id, dates ascending
    moved = np.zeros((len(names), len(dates)), dtype=bool)
    for position, name in enumerate(table.header):
        if position == date_at:
            continue
        returns, _ = _returns(table, table.cells_at(position), name, divisor, definition, crsp=False)
        frame = pd.DataFrame({"date": dates, "ret": returns, "market_cap": np.nan}).take(order)
        given = np.flatnonzero(frame["ret"].notna().to_numpy())
        if given.size:  # the blanks before an id's first return and after its last are no days of it
            frame = frame.iloc[given[0] : given[-1] + 1]
            inside[len(series), given[0] : given[-1] + 1] = True
        moved[len(series)] = np.isfinite(returns[order]) & (returns[order] != 0.0)
        series.append(ReturnSeries(name, frame.reset_index(drop=True), row=1, field=name))
    ids, days = np.nonzero(inside)
    observed = Observations(days, ids, moved[ids, days])
    padding = padding_doubt(table, dates[order], observed, order, table.header[date_at])
    return series, {"id_column": None, "market_value": None, "ignored_columns": []}, padding


def identifiers(table: TextTable, cells: np.ndarray, field: str, *, permno: bool) -> np.ndarray:
    """The identifiers ``cells`` of a long file's column ``field``, checked: each a symbol
    (:func:`~eventstudy.symbols.symbol_problem`) and no two differing only in case, or with
    ``permno`` each a PERMNO, a positive whole number below 10**15 (so exact as a float, and
    two PERMNOs never one id), given as its digits.

    Raises
    ------
    InputError
        Naming the file, the row and ``field`` of the first identifier refused.
    """
    text = pd.Series(cells, dtype=object).astype(str)
    if permno:
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(
            ~np.isfinite(numbers) | (numbers <= 0) | (numbers != np.floor(numbers)) | (numbers >= 1e15)
        )
        if bad.size:
            raise table.fail(
                f"{text.iloc[bad[0]]!r} is not a PERMNO (a positive whole number below 10**15)",
                index=int(bad[0]),
                field=field,
            )
        return numbers.astype(np.int64).astype(str).astype(object)
    # Each distinct id once, in the order of its first row (the first refusal is the first in
    # the file); the column returned shares one text object per id.
    codes, names = pd.factorize(text, sort=False)
    distinct = np.asarray(names, dtype=object)
    first = np.unique(codes, return_index=True)[1]
    for name, index in zip(distinct.tolist(), first.tolist(), strict=True):
        problem = symbol_problem(name)
        if problem:
            raise table.fail(problem, index=int(index), field=field)
    where = dict(zip(distinct.tolist(), first.tolist(), strict=True))
    _check_collisions(
        table,
        distinct.tolist(),
        row_of=lambda name: table.row_of(where[name]),
        field_of=lambda _n: field,
    )
    return distinct[codes]


def _check_collisions(
    table: TextTable,
    names: list[str],
    *,
    row_of: Callable[[str], int],
    field_of: Callable[[str], str],
) -> None:
    """Refuse two of ``names`` (ids of a long file, or a wide file's columns) that differ only in
    case, or that are one whole number written two ways (``10107`` and ``10107.0``: PERMNOs of a
    float column under an ``id`` header were imported as two series of one firm; a finder)."""
    seen: dict[str, str] = {}
    for name in names:
        earlier = seen.setdefault(twin_key(name), name)
        if earlier != name:
            message = twin_message(earlier, name)
            raise InputError(str(table.path), message, row=row_of(name), field=field_of(name))


def _returns(
    table: TextTable, cells: np.ndarray, field: str, divisor: float, definition: str, *, crsp: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Decimal returns of a column (NaN where missing) and (R,) where CRSP missing codes were."""
    missing = MISSING_TEXT | CRSP_MISSING_LETTERS if crsp else MISSING_TEXT
    values = parse_numbers(table, cells, field, missing=missing)
    codes = np.zeros(len(values), dtype=bool)
    if crsp:
        text = pd.Series(cells, dtype=object).astype(str)
        # CRSP's codes are decimal returns of -4400% and less: a percent file holds them as -4400 ...,
        # and its -44 is a return of -44%, not a code.
        codes = np.isin(values / divisor, list(CRSP_MISSING_CODES))
        codes |= text.isin(CRSP_MISSING_LETTERS).to_numpy()
        values = np.where(codes, np.nan, values)
    if definition == "simple":
        below = np.flatnonzero(values < -divisor)
        if below.size:
            unit = "-100 in percent" if divisor != 1.0 else "-1 in decimal"
            raise table.fail(
                f"{cells[below[0]]!r} is a simple return below -100% ({unit}): no asset loses more than "
                "it is worth (are the units right?)",
                index=int(below[0]),
                field=field,
            )
    decimal = values / divisor if divisor != 1.0 else values
    with np.errstate(over="ignore", under="ignore"):
        gross = 1.0 + decimal if definition == "simple" else np.exp(decimal)
    absurd = np.flatnonzero(gross > ABSURD_RATIO)
    if absurd.size:
        raise table.fail(
            f"{cells[absurd[0]]!r} is an absurd {definition} return: a gain above +9,900% in one day "
            f"(gross return above {ABSURD_RATIO:g}) is a data error (are the units right? a day quoted "
            "in cents? leave the cell blank if the day has no usable return)",
            index=int(absurd[0]),
            field=field,
        )
    if definition == "log":
        lost = np.flatnonzero(gross == 0.0)
        if lost.size:
            raise table.fail(
                f"{cells[lost[0]]!r} is no log return: exp(r) is 0 in double precision, a loss of 100% "
                "(are the units right?)",
                index=int(lost[0]),
                field=field,
            )
    return decimal, codes


def _nonnegative(table: TextTable, cells: np.ndarray, field: str) -> np.ndarray:
    values = parse_numbers(table, cells, field)
    negative = np.flatnonzero(values < 0)
    if negative.size:
        raise table.fail(f"{cells[negative[0]]!r} is negative", index=int(negative[0]), field=field)
    return values


def _check_market_values(
    table: TextTable, values: np.ndarray, field: str, shown: Callable[[int], str]
) -> None:
    """Refuse a market value above :data:`MAX_MARKET_VALUE` (or one that overflowed to inf)."""
    absurd = np.flatnonzero(values > MAX_MARKET_VALUE)
    if absurd.size:
        index = int(absurd[0])
        raise table.fail(
            f"market value {shown(index)} is above {_MAX_VALUE_TEXT}, more than any listed company "
            "is worth in any currency: a data or unit error",
            index=index,
            field=field,
        )


def _check_duplicates(table: TextTable, frame: pd.DataFrame, id_field: str, date_field: str) -> None:
    repeated = frame.duplicated(["id", "date"], keep=False).to_numpy()
    if not repeated.any():
        return
    rows = np.flatnonzero(repeated)
    part = frame.iloc[rows]
    second = part[part.duplicated(["id", "date"], keep="first")].iloc[0]
    first = part[(part["id"] == second["id"]) & (part["date"] == second["date"])].iloc[0]
    raise table.fail(
        f"duplicate ({id_field}, {date_field}) ({second['id']}, {pd.Timestamp(second['date']).date()}), "
        f"first on row {table.row_of(int(first['row']))}",
        index=int(second["row"]),
        field=date_field,
    )


PADDING_CHANCE = 1e-6
"""How rare a date on which no id moved must be, judged by how often each of its ids is unchanged
on the dates when some id moved, to be asked about as a vendor's padding (:func:`padding_doubt`)."""


@dataclass(frozen=True)
class Observations:
    """The (id, date) rows of a returns file in their id's history (from its first return to its
    last), for :func:`padding_doubt`: each row's date (an index into the file's distinct dates),
    its id (an index) and whether its return is other than 0."""

    day: np.ndarray
    id: np.ndarray
    moved: np.ndarray


def padding_doubt(
    table: TextTable, dates: np.ndarray, observed: Observations, index: np.ndarray, field: str
) -> str:
    r"""What to ask of a file with a date on which no id moved (each id with a row there, in its
    history, has a return of exactly 0 or none) when that is too rare to be chance: Datastream (and other
    vendors) repeat the last price on an exchange's holidays, a return of 0 for every series, and
    a merge onto a calendar of weekdays (pandas' ``bdate_range``, R's zoo) leaves a row of
    blanks. Imported, such a row is a session (the sessions of a returns-series market are its
    rows): announcements on the holiday got day 0 there and every window over it one session too
    many (CARs moved by up to 3.3 points, with no note), or were withheld for a "missing" return
    of a day that was no session (a finder).

    A date on which no id moved is asked about when :math:`\prod_i u_i <` :data:`PADDING_CHANCE`
    over its ids, where :math:`u_i = (k_i + 1)/(n_i + 2)` is how often id i is unchanged (or
    blank) on the :math:`n_i` dates of its history when some id moved (:math:`k_i` of them, with
    Laplace's rule of succession): the chance of such a date were the ids unchanged
    independently at their own rates. Three liquid stocks all unchanged are asked about; six
    stocks that do not trade on 70% of days, or five money-market funds whose price never moves,
    are not. A question (:func:`doubts`), not a refusal: series that move together (an index and
    two funds tracking it, all 0.00 on one day when rounded to 2 decimals; thinly traded stocks
    that trade on the same days) make a real session look so rare, and the file could not be
    imported at all (a finder).

    Parameters
    ----------
    table
        The file.
    dates
        (D,) the file's distinct dates, ascending.
    observed
        The file's rows in their ids' histories, their dates indexing ``dates``.
    index
        (D,) the file's record (0-based) to name for each date.
    field
        The date column's name.

    Returns
    -------
    str
        Naming the file, the first such date's row, its number of ids and the other such dates;
        "" when there is none.
    """
    day, who, moved = observed.day, observed.id, observed.moved
    n_dates, n_ids = len(dates), int(who.max(initial=-1)) + 1
    movers = np.bincount(day, weights=moved, minlength=n_dates)
    present = np.bincount(day, minlength=n_dates)
    active = (movers > 0)[day]
    still = np.bincount(who[active & ~moved], minlength=n_ids)
    unchanged = (still + 1) / (np.bincount(who[active], minlength=n_ids) + 2)
    chance = np.bincount(day, weights=np.log(unchanged)[who], minlength=n_dates)
    padded = np.flatnonzero((movers == 0) & (present > 0) & (chance < np.log(PADDING_CHANCE)))
    if not padded.size:
        return ""
    first = padded[0]
    days = [str(pd.Timestamp(date).date()) for date in dates[padded]]
    more = f" (and on {len(days) - 1} more: {listing(days[1:], 3)})" if len(days) > 1 else ""
    return (
        f"{table.path}, row {table.row_of(int(index[first]))}, field {field!r}: no id moved on {days[0]}: "
        f"each of the {int(present[first])} with a row there has a return of exactly 0 or none{more}, which "
        "independent series would be by chance less than once in a million dates. A vendor's rows for days "
        "without trading (Datastream repeats the last price on holidays, a merge onto weekdays leaves "
        "blanks)? A returns-series market makes each row a session: delete the rows of such dates if so"
    )


def _series_frame(part: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": part["date"].to_numpy("datetime64[ns]"),
            "ret": part["ret"].to_numpy(float),
            "market_cap": part["market_cap"].to_numpy(float),
        }
    )

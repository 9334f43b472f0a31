"""``eventstudy cache import`` of Yahoo price CSVs and share-count files, random and hostile, as
whole command-line runs.

Each example writes a batch (one or two price files, optionally ``shares_outstanding.csv``),
each made valid and then edited the way a hurried or hostile user edits a table
(:mod:`_hostile`), and imports it into a cache that already holds a series. The promise: exit
0 with every cell stored exactly as written (``float(cell)``, a missing spelling as NaN; the
importer keeps values as given), or exit 2 with one line and the cache byte for byte as it was,
nothing of the batch imported. Never a traceback, never a warning.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from _hostile import corrupt, fuzz_examples, import_files, number_text, run_cli, whole_runs
from hypothesis import given
from hypothesis import strategies as st

from eventstudy.data.store import PriceStore

EXAMPLES = fuzz_examples(ci=150, local=60)

PRICE_HEADER = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]
SHARES_HEADER = ["ticker", "as_of", "shares_outstanding", "filing", "source"]
SYMBOLS = st.sampled_from(["AAA", "BBB", "^GSPC", "BRK-B", "HDFC.Bank", "KEEP", "keep", "aaa"])
HOSTILE_NAMES = st.sampled_from(
    ["", " ", "A B", "é", "../x", "CON", "x" * 40, "-x", ".", "aaa", "AAA", "Date", "nul", "a:b"]
)
HOSTILE_NUMBERS = st.sampled_from(
    [
        *("", "null", "NaN", "NA", ".", "inf", "-inf", "1e308", "1e400", "-1", "0", "x", "1,5", "0x10"),
        *("1e-320", "+1", " 2 ", "-0", "None"),
    ]
)
HOSTILE_DATES = st.sampled_from(
    ["", "2024-02-30", "2024-13-01", "20240105", "2024/01/05", "x", "1899-12-31", "9999-12-31", "2024-01-02"]
)
DAYS = pd.bdate_range("2024-01-01", periods=20)
MISSING = {"", "NA", "NaN", "nan", "null", "None", "."}  # the spellings the importer reads as missing


def _cells(column: str) -> st.SearchStrategy[str]:
    if column in ("Date", "as_of"):
        return HOSTILE_DATES
    if column == "ticker":
        return HOSTILE_NAMES
    return HOSTILE_NUMBERS


@st.composite
def price_files(draw: st.DrawFn) -> tuple[str, pd.DataFrame]:
    """(symbol, table): a valid Yahoo daily CSV (dates ascending), then up to 3 hostile edits."""
    symbol = draw(SYMBOLS | HOSTILE_NAMES) if draw(st.integers(0, 5)) == 0 else draw(SYMBOLS)
    days = DAYS[draw(st.integers(0, 5)) :][: draw(st.integers(1, 10))]
    rows = []
    for day in days:
        close = draw(st.floats(1, 500, allow_nan=False))
        rows.append(
            {
                "Date": day.strftime("%Y-%m-%d"),
                "Open": repr(close * 1.01),
                "High": repr(close * 1.02),
                "Low": repr(close * 0.98),
                "Close": repr(close),
                "Adj Close": repr(close * 0.99),
                "Volume": str(draw(st.integers(0, 10**9))),
            }
        )
    if draw(st.integers(0, 4)) == 0:  # a date a user typed: the last row's, so the order holds
        rows[-1]["Date"] = draw(HOSTILE_DATES)
    frame = pd.DataFrame(rows, columns=PRICE_HEADER, dtype=object)
    return symbol, corrupt(draw, frame, _cells, HOSTILE_NAMES)


@st.composite
def shares_files(draw: st.DrawFn) -> pd.DataFrame:
    rows = [
        {
            "ticker": draw(SYMBOLS),
            "as_of": day.strftime("%Y-%m-%d"),
            "shares_outstanding": number_text(draw, 1, 1e10),
            "filing": "10-Q",
            "source": "https://example.com/a,b",
        }
        for day in DAYS[: draw(st.integers(1, 4))]
    ]
    return corrupt(draw, pd.DataFrame(rows, columns=SHARES_HEADER, dtype=object), _cells, HOSTILE_NAMES)


def _value(cell: object) -> float:
    text = str(cell).strip()
    return math.nan if text in MISSING else float(text)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@whole_runs(EXAMPLES)
@given(prices=st.lists(price_files(), min_size=1, max_size=2), shares=st.none() | shares_files())
def test_an_import_stores_every_cell_as_written_or_refuses_in_one_line(
    tmp_path_factory: pytest.TempPathFactory,
    prices: list[tuple[str, pd.DataFrame]],
    shares: pd.DataFrame | None,
) -> None:
    folder = tmp_path_factory.mktemp("import")
    cache = folder / "cache"
    seed = folder / "seed" / "KEEP.csv"
    seed.parent.mkdir()
    seed.write_text(",".join(PRICE_HEADER) + "\n2024-01-02,1,1,1,1,1,10\n")
    assert run_cli(["cache", "import", str(seed), "--cache", str(cache)])[0] == 0
    batch = folder / "batch"
    batch.mkdir()
    paths = []
    for k, (symbol, frame) in enumerate(prices):
        sub = batch / str(k)  # two files of one symbol may come from two folders
        sub.mkdir()
        path = sub / f"{symbol}.csv"
        if path.resolve().parent != sub.resolve() or not path.name.strip(". ") or "/" in symbol:
            continue  # not a file name this file system can hold as one file in the folder
        frame.to_csv(path, index=False)
        paths.append(path)
    if shares is not None:
        path = batch / "shares_outstanding.csv"
        shares.to_csv(path, index=False)
        paths.append(path)
    if not paths:
        return
    imported, context = import_files(paths, cache)
    if not imported:
        return
    store = PriceStore(cache)
    for path in paths:
        written = pd.read_csv(path, dtype=str, keep_default_na=False)
        if path.name == "shares_outstanding.csv":
            for ticker, part in written.groupby("ticker", sort=False):
                stored = store.read_shares(ticker)
                days = stored["as_of"].dt.strftime("%Y-%m-%d")
                got = dict(zip(days, stored["shares_outstanding"], strict=True))
                for day, count in zip(part["as_of"], part["shares_outstanding"], strict=True):
                    assert _same(got[str(pd.Timestamp(day).date())], _value(count)), context
            continue
        stored = store.read_prices(path.stem)
        assert stored["date"].dt.strftime("%Y-%m-%d").tolist() == [
            str(pd.Timestamp(day).date()) for day in written["Date"]
        ], context
        for column, name in (("Close", "close"), ("Adj Close", "adj_close"), ("Volume", "volume")):
            for want, got in zip(written[column], stored[name], strict=True):
                where = f"{path.name} {column}: stored {got!r} for {want!r}"
                assert _same(float(got), _value(want)), f"{where}\n{context}"

"""``eventstudy cache import`` of earnings calendars, random and hostile, as whole command-line
runs.

Each example writes one or two earnings files (valid, then edited the way a hurried or hostile
user edits a table, :mod:`_hostile`) and imports them into a cache that already holds a
calendar. The promise: exit 0 with every row stored as written (the date, the timing, the
optional text, each without surrounding blanks; rows in file order, one cache file per ticker
replacing the ticker's earlier one), or exit 2 with one line and the cache byte for byte as it
was. Never a traceback, never a warning.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _hostile import corrupt, fuzz_examples, import_files, run_cli, whole_runs
from hypothesis import given
from hypothesis import strategies as st

from eventstudy.data.store import PriceStore

EXAMPLES = fuzz_examples(ci=60, local=30)

HEADER = ["ticker", "announced", "timing", "fiscal_period", "source"]
SYMBOLS = st.sampled_from(["AAA", "BBB", "BRK-B", "KEEP", "keep", "aaa", "HDFC.Bank"])
HOSTILE = st.sampled_from(
    [
        *("", " ", "A B", "é", "../x", "x" * 40, "-x", ".", "2024-02-30", "2024-13-01", "20240105"),
        *("2024/01/05", "1899-12-31", "9999-12-31", "2608-07-23", "PRE", "post ", "amc", "bmo", "NA"),
        *("pre", "intraday", "post", "unknown", "=cmd()", "a,b", 'say "x"', "\t"),
    ]
)
DAYS = pd.bdate_range("2024-01-01", periods=30)


@st.composite
def earnings_files(draw: st.DrawFn) -> pd.DataFrame:
    """A valid calendar (one or two tickers, distinct dates each), then up to 3 hostile edits."""
    rows = []
    for ticker in draw(st.lists(SYMBOLS, min_size=1, max_size=2, unique=True)):
        days = draw(st.lists(st.sampled_from(list(DAYS)), min_size=1, max_size=5, unique=True))
        rows += [
            {
                "ticker": ticker,
                "announced": day.strftime("%Y-%m-%d"),
                "timing": draw(st.sampled_from(["pre", "intraday", "post", "unknown"])),
                "fiscal_period": draw(st.sampled_from(["FY2024 Q1", "", "Q2, late"])),
                "source": draw(st.sampled_from(["https://example.com/a,b", "", "10-Q"])),
            }
            for day in days
        ]
    frame = pd.DataFrame(rows, columns=HEADER, dtype=object)
    if draw(st.booleans()):
        frame = frame.loc[:, HEADER[: draw(st.integers(3, 5))]]
    return corrupt(draw, frame, lambda _: HOSTILE, HOSTILE)


@whole_runs(EXAMPLES)
@given(files=st.lists(earnings_files(), min_size=1, max_size=2))
def test_an_earnings_import_stores_every_row_as_written_or_refuses_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, files: list[pd.DataFrame]
) -> None:
    folder = tmp_path_factory.mktemp("earnings")
    cache = folder / "cache"
    seed = folder / "seed.csv"
    seed.write_text("ticker,announced,timing\nKEEP,2023-05-02,post\nAAA,2023-05-03,pre\n")
    assert run_cli(["cache", "import", str(seed), "--cache", str(cache)])[0] == 0
    paths = []
    for k, frame in enumerate(files):
        path = folder / f"calendar{k}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    imported, context = import_files(paths, cache)
    if not imported:
        return
    store = PriceStore(cache)
    expected: dict[str, list[tuple[str, str, str, str]]] = {}
    for path in paths:  # a later file's ticker replaces an earlier one's
        # Cells are read without their surrounding blanks, as every CSV the tool reads (README).
        written = pd.read_csv(path, dtype=str, keep_default_na=False)
        written = written.apply(lambda column: column.str.strip())
        for ticker, part in written.groupby("ticker", sort=False):
            expected[ticker] = [
                (
                    str(pd.Timestamp(row["announced"]).date()),
                    row["timing"],
                    row.get("fiscal_period", ""),
                    row.get("source", ""),
                )
                for _, row in part.iterrows()
            ]
    for ticker, rows in expected.items():
        stored = store.read_earnings(ticker)
        got = list(
            zip(
                stored["announced"].dt.strftime("%Y-%m-%d"),
                stored["timing"],
                stored["fiscal_period"],
                stored["source"],
                strict=True,
            )
        )
        assert sorted(got) == sorted(rows), context
    untouched = {"KEEP", "AAA"} - set(expected)
    for ticker in untouched:
        assert len(store.read_earnings(ticker)) == 1, context

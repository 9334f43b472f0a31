"""Property-based fuzzing of events.csv: a correct result, or one InputError naming file, row, field.

Valid calendars are generated with their expected frame (the oracle), written with random
column order, line endings, byte-order mark and padding, and must read back exactly. Each
corruption (a bad value in one field, a broken header, a duplicate or contradicting row, a
Latin-1 or UTF-16 file, random bytes, random CSV-like text) must raise
:class:`~eventstudy.errors.InputError` -- never anything else -- and, where the problem is in
one row, name that row and field. A sample goes through the command line end to end: exit 2,
one stderr line, no traceback, no output folder.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import eventstudy.data.events as events_module
from eventstudy.cli import main
from eventstudy.data.events import COLUMNS, MAX_DEAL_USD, MIN_DEAL_USD, TIMINGS, read_events
from eventstudy.data.tabular import read_text_table
from eventstudy.errors import InputError

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies: valid calendars and their expected frame ------------------------------------
labels = st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True)
tickers = st.from_regex(r"\^?[A-Z][A-Z0-9]{0,4}(\.[A-Z])?", fullmatch=True)
days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))
deals = st.one_of(st.none(), st.floats(min_value=MIN_DEAL_USD, max_value=MAX_DEAL_USD))
# Free text without line breaks (a record then spans one physical line, so row numbers are
# line numbers) and without NUL; commas and quotes are included and quoted by csv.writer.
headlines = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"), max_size=30
)


@st.composite
def calendars(draw, max_events: int = 6) -> list[dict[str, object]]:
    """Rows of a valid calendar (one dict per row, values as the oracle expects them)."""
    n_events = draw(st.integers(1, max_events))
    event_ids = draw(st.lists(labels, min_size=n_events, max_size=n_events, unique_by=str.upper))
    rows = []
    spelt: dict[tuple[str, str], str] = {}  # a role or group has one spelling (another case is refused)

    def label(field: str) -> str:
        drawn = draw(labels)
        return spelt.setdefault((field, drawn.casefold()), drawn)

    for event_id in event_ids:
        shared = {
            "event_id": event_id,
            "announced": draw(days),
            "timing": draw(st.sampled_from(TIMINGS)),
            "group": label("group"),
            "headline": draw(headlines),
            "deal_usd": draw(deals),  # one deal per event
        }
        for ticker in draw(st.lists(tickers, min_size=1, max_size=3, unique=True)):
            rows.append({**shared, "ticker": ticker, "role": label("role")})
    return draw(st.permutations(rows))


@st.composite
def layouts(draw) -> dict[str, object]:
    """How a calendar is written: column order, line ending, BOM, padding, deal format."""
    return {
        "columns": draw(st.permutations(COLUMNS)),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "bom": draw(st.booleans()),
        "pad": draw(st.sampled_from(["", " ", "  \t"])),
        "deal_format": draw(st.sampled_from(["repr", ".17g", "e"])),
    }


def format_deal(value: float | None, style: str) -> str:
    if value is None:
        return ""
    return {"repr": repr(value), ".17g": f"{value:.17g}", "e": f"{value:.16e}"}[style]


def render(rows: list[dict[str, object]], layout: dict[str, object], overrides=None) -> list[list[str]]:
    """Header + rows as lists of strings in the layout's column order."""
    columns = list(layout["columns"])
    out = [columns]
    for i, row in enumerate(rows):
        values = {
            "event_id": str(row["event_id"]),
            "announced": row["announced"].isoformat(),
            "timing": str(row["timing"]),
            "ticker": str(row["ticker"]),
            "role": str(row["role"]),
            "deal_usd": format_deal(row["deal_usd"], str(layout["deal_format"])),
            "group": str(row["group"]),
            "headline": str(row["headline"]),
        }
        pad = str(layout["pad"])
        values = {k: (v if k == "headline" else f"{pad}{v}{pad}") for k, v in values.items()}
        values.update((overrides or {}).get(i, {}))
        out.append([values[c] for c in columns])
    return out


def to_bytes(table: list[list[str]], layout: dict[str, object], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=str(layout["newline"])).writerows(table)
    prefix = "\ufeff" if layout["bom"] and encoding == "utf-8" else ""
    return (prefix + buffer.getvalue()).encode(encoding)


def expected_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": [r["event_id"] for r in rows],
            "announced": pd.to_datetime([r["announced"].isoformat() for r in rows]).astype("datetime64[ns]"),
            "timing": [r["timing"] for r in rows],
            "ticker": [r["ticker"] for r in rows],
            "role": [r["role"] for r in rows],
            "deal_usd": [math.nan if r["deal_usd"] is None else r["deal_usd"] for r in rows],
            "group": [r["group"] for r in rows],
            "headline": [str(r["headline"]).strip() for r in rows],
            "source_row": np.arange(2, len(rows) + 2, dtype="int64"),
        }
    )


def read_bytes(data: bytes) -> pd.DataFrame:
    """read_events on ``data``; any exception other than InputError fails the test."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        path.write_bytes(data)
        try:
            return read_events(path)
        except InputError as exc:
            error = exc
    check_message(error, path)
    raise error


def check_message(error: InputError, path: Path) -> None:
    """One line that starts with the file and states the row and field it names."""
    assert type(error) is InputError
    message = str(error)
    assert message.startswith(str(path)), message
    assert "\n" not in message, message
    if error.row is not None:
        assert f"row {error.row}" in message
    if error.field is not None:
        assert f"field {error.field!r}" in message


def expect_error(data: bytes) -> InputError:
    with pytest.raises(InputError) as caught:
        read_bytes(data)
    return caught.value


def assert_valid_frame(frame: pd.DataFrame) -> None:
    """Invariants of every frame read_events returns, whatever the input."""
    assert list(frame.columns) == [*COLUMNS, "source_row"]
    assert frame["announced"].dtype == "datetime64[ns]"
    assert frame["timing"].isin(TIMINGS).all()
    assert frame["ticker"].str.fullmatch(r"\^?[A-Z0-9][A-Z0-9.=-]*").all()
    deal = frame["deal_usd"].to_numpy(float)
    assert (np.isnan(deal) | (np.isfinite(deal) & (deal > 0))).all()
    assert not frame.duplicated(["event_id", "ticker"]).any()


# -- valid calendars read back exactly ---------------------------------------------------------
@FUZZ
@given(calendars(), layouts())
def test_valid_calendars_read_back_exactly(rows, layout) -> None:
    frame = read_bytes(to_bytes(render(rows, layout), layout))
    pd.testing.assert_frame_equal(frame, expected_frame(rows), check_dtype=False)
    assert frame["deal_usd"].dtype == "float64"
    assert_valid_frame(frame)


def test_quoted_multiline_headline_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        ",".join(COLUMNS) + '\ne1,2025-01-21,pre,ORCL,partner,1e9,g,"two\nlines, ""quoted"""\n\n'
        "e2,2025-01-22,post,NVDA,supplier,,g,plain\n",
        encoding="utf-8",
    )
    frame = read_events(path)
    assert frame["headline"].tolist() == ['two\nlines, "quoted"', "plain"]
    assert frame["source_row"].tolist() == [2, 5]  # the line where each record starts
    assert math.isnan(frame["deal_usd"].iloc[1])


def test_a_bad_field_of_a_multiline_record_names_the_line_the_record_starts_on(tmp_path: Path) -> None:
    """The error named the record's last line (3), where the user finds the rest of a headline,
    not the ticker."""
    path = tmp_path / "events.csv"
    path.write_text(
        ",".join(COLUMNS) + "\ne0,2025-01-20,pre,AMD,partner,,g,plain\n"
        'e1,2025-01-21,pre,OR CL,partner,1e9,g,"two\nlines"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r", row 3, field 'ticker'"):
        read_events(path)
    shares = tmp_path / "counts.csv"
    shares.write_text('symbol,date,shares\nAMD,2025-01-02,1\nAMD,"2025-01-03\nx"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r", row 3\b.*expected 3 fields, found 2"):
        read_text_table(shares)


# -- one bad field: the error names its row and field -----------------------------------------
BAD_VALUES: dict[str, list[str]] = {
    "event_id": ["", "a b", "x/y", "café", "a,b", "#1"],
    "announced": [
        "",
        "2025/01/02",
        "01/02/2025",
        "02.01.2025",
        "20250102",
        "2025-1-2",
        "2025-02-30",
        "2025-02-29",
        "2025-13-01",
        "2025-00-10",
        "0001-01-01",
        "1899-12-31",
        "9999-12-31",
        "yesterday",
        "2025-01-02T10:00",
    ],
    "timing": ["", "Pre", "PRE", "after-close", "before"],
    "ticker": ["", "nvda!", "_Nvda", "NV DA", "N/A", "$NVDA", "ÄB", "NVDA!", "..", "A" * 33, "A" * 300],
    "role": ["", "two words", "a/b", "näive"],
    "group": ["", "two words", "a/b"],
    "deal_usd": [
        "-1",
        "0",
        "-0",
        "0.0",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "1e400",
        "-1e400",
        "abc",
        "$3bn",
        "1e9x",
        "--1",
        "1e-400",
        "1,5",  # read as 15 before: a decimal comma or a slip, never guessed
        "1,00",
        "1,0000",
        ",100",
        "1,000_000",
        "1_0",
        "1e-300",  # gave value_to_deal = -inf
        "0.5",
        "0.999",
        "1.5e14",
        "1e15",
        "١٢٣",
        "1 000",
    ],
}


@FUZZ
@given(
    calendars(),
    layouts(),
    st.sampled_from(sorted(BAD_VALUES)).flatmap(
        lambda f: st.tuples(st.just(f), st.sampled_from(BAD_VALUES[f]))
    ),
    st.data(),
)
def test_one_bad_field_names_file_row_and_field(rows, layout, bad, data) -> None:
    field, value = bad
    index = data.draw(st.integers(0, len(rows) - 1))
    table = render(rows, layout, {index: {field: value}})
    error = expect_error(to_bytes(table, layout))
    assert (error.row, error.field) == (index + 2, field), str(error)


@FEW
@given(
    calendars(), layouts(), st.sampled_from(COLUMNS), st.sampled_from(["drop", "rename", "upper", "twice"])
)
def test_broken_header_names_the_column(rows, layout, column, change) -> None:
    table = render(rows, layout)
    position = table[0].index(column)
    if change == "drop":
        table = [[v for i, v in enumerate(line) if i != position] for line in table]
        wanted = column
    elif change in ("rename", "upper"):
        wanted = f"{column}_x" if change == "rename" else column.upper()
        table[0][position] = wanted
    else:
        table = [[*line, line[position]] for line in table]
        wanted = column
    error = expect_error(to_bytes(table, layout))
    assert (error.row, error.field) == (1, wanted), str(error)


@FEW
@given(calendars(), layouts(), st.data())
def test_extra_column_and_ragged_rows(rows, layout, data) -> None:
    extra = data.draw(st.sampled_from(["notes", "Deal Size", " ", "ticker2"]))
    table = render(rows, layout)
    error = expect_error(to_bytes([[*table[0], extra], *([*line, "x"] for line in table[1:])], layout))
    assert (error.row, error.field) == (1, extra.strip()), str(error)
    index = data.draw(st.integers(0, len(rows) - 1))
    ragged = [list(line) for line in table]
    ragged[index + 1] = ragged[index + 1][: data.draw(st.integers(1, len(COLUMNS) - 1))]
    assume(any(value.strip() for value in ragged[index + 1]))  # an all-blank line is skipped
    error = expect_error(to_bytes(ragged, layout))
    assert error.row == index + 2 and "fields" in str(error)


@FEW
@given(calendars(), layouts(), st.data())
def test_duplicate_and_contradicting_rows(rows, layout, data) -> None:
    index = data.draw(st.integers(0, len(rows) - 1))
    table = render(rows, layout)
    duplicated = [*table, table[index + 1]]
    error = expect_error(to_bytes(duplicated, layout))
    assert (error.row, error.field) == (len(rows) + 2, "ticker"), str(error)
    # A second party of the same event announced on another day.
    other = dict(rows[index], ticker="ZZZQ", announced=rows[index]["announced"] + dt.timedelta(days=1))
    assume(all(r["ticker"] != "ZZZQ" for r in rows if r["event_id"] == other["event_id"]))
    error = expect_error(to_bytes(render([*rows, other], layout), layout))
    assert (error.row, error.field) == (len(rows) + 2, "announced"), str(error)


# -- encodings ----------------------------------------------------------------------------------
latin1_text = st.text(alphabet=st.characters(min_codepoint=0xC0, max_codepoint=0xFF), min_size=1, max_size=5)


@FEW
@given(calendars(), layouts(), st.data())
def test_latin1_file_names_row_and_field_of_first_non_utf8_byte(rows, layout, data) -> None:
    rows = [dict(r, headline="plain") for r in rows]
    index = data.draw(st.integers(0, len(rows) - 1))
    accented = data.draw(latin1_text)
    table = render(rows, layout, {index: {"headline": f"caf {accented}"}})
    error = expect_error(to_bytes(table, dict(layout, bom=False), encoding="latin-1"))
    assert (error.row, error.field) == (index + 2, "headline"), str(error)
    assert "UTF-8" in error.message


def test_utf16_and_cp1252_files(tmp_path: Path) -> None:
    line = "e,2025-01-21,pre,ORCL,partner,1e9,g,“smart quotes”\n"
    text = ",".join(COLUMNS) + "\n" + line
    error = expect_error(text.encode("utf-16"))
    assert error.row == 1 and "UTF-8" in error.message
    error = expect_error(text.encode("cp1252"))
    assert (error.row, error.field) == (2, "headline")


# -- garbage ----------------------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_never_crash(data) -> None:
    try:
        frame = read_bytes(data)
    except InputError:
        return
    assert_valid_frame(frame)


csv_cells = st.one_of(
    st.sampled_from(
        ["", " ", '"', '""', ",", "\r", "\n", "\x00", "\ufeff", "2025-01-02", "pre", "NVDA", "1e9"]
    ),
    st.text(max_size=8),
)


@FUZZ
@given(
    st.one_of(st.just(list(COLUMNS)), st.lists(st.sampled_from([*COLUMNS, "x", ""]), max_size=10)),
    st.lists(st.lists(csv_cells, max_size=10), max_size=8),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_random_csv_like_text_never_crashes(header, lines, newline) -> None:
    text = newline.join(",".join(cells) for cells in [header, *lines])
    try:
        frame = read_bytes(text.encode("utf-8", "surrogatepass"))
    except InputError:
        return
    assert_valid_frame(frame)


@pytest.mark.parametrize(
    ("content", "row"),
    [
        (b"", None),
        (b"\xef\xbb\xbf", None),
        (b"\n\n  \n", 1),
        (",".join(COLUMNS).encode(), None),
        ((",".join(COLUMNS) + "\n,,,,,,,\n").encode(), None),
        (b"\x00" * 10, 1),
    ],
    ids=["empty", "bom-only", "blank-lines", "header-only", "header-and-empty-row", "nul-bytes"],
)
def test_empty_and_header_only_files(content: bytes, row: int | None) -> None:
    assert expect_error(content).row == row


def test_deal_values_at_the_bounds_and_in_grouped_forms() -> None:
    layout = {"columns": COLUMNS, "newline": "\n", "bom": False, "pad": "", "deal_format": "repr"}
    texts = ["1", "1e14", "100000000000000", "300_000_000", "1,000", "2,000,000,000.5", "+5e9", ".5e9"]
    rows = [
        {"event_id": f"e{i}", "announced": dt.date(2025, 1, 2), "timing": "pre", "ticker": "NVDA"}
        | {"role": "r", "group": "g", "headline": "h", "deal_usd": 1.0}
        for i in range(len(texts))
    ]
    overrides = {i: {"deal_usd": text} for i, text in enumerate(texts)}
    frame = read_bytes(to_bytes(render(rows, layout, overrides), layout))
    assert frame["deal_usd"].tolist() == [1.0, 1e14, 1e14, 3e8, 1e3, 2_000_000_000.5, 5e9, 5e8]


# -- 100k rows ---------------------------------------------------------------------------------
def big_calendar(n_rows: int, last_ticker: str | None = None) -> str:
    tickers = ["NVDA", "ORCL", "MSFT", "AMD", "AVGO", "TSM", "INTC", "META", "AMZN", "GOOGL"]
    lines = [",".join(COLUMNS)]
    for i in range(n_rows):
        ticker = last_ticker if last_ticker and i == n_rows - 1 else tickers[i % 10]
        day = dt.date(2024, 1, 1) + dt.timedelta(days=(i // 10) % 700)
        deal = 1e9 + i // 10  # one deal size per event
        lines.append(f"ev{i // 10},{day},pre,{ticker},supplier,{deal},g{(i // 10) % 7},headline {i // 10}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def ample_memory(monkeypatch):
    """Tests of large calendars must not depend on this machine's free memory: 64 GB."""
    monkeypatch.setattr(events_module, "available_memory", lambda: 64_000_000_000)


def test_100k_rows_read_and_the_last_row_named(tmp_path: Path, ample_memory) -> None:
    # Timed in benchmarks/bench_events.py; here only the result is checked.
    path = tmp_path / "events.csv"
    path.write_text(big_calendar(100_000), encoding="utf-8")
    frame = read_events(path)
    assert len(frame) == 100_000 and frame["source_row"].iloc[-1] == 100_001
    assert frame["deal_usd"].iloc[-1] == 1e9 + 9_999
    text = big_calendar(100_000)
    last = text.rindex("\nev9999,") + 1
    path.write_text(f"{text[:last]}ev 9999,{text[last + len('ev9999,') :]}", encoding="utf-8")
    error = expect_error(path.read_bytes())
    assert (error.row, error.field) == (100_001, "event_id")


def test_100k_rows_with_an_uncached_ticker_rejected_by_the_cli(
    launch_cache, tmp_path, capsys, ample_memory
) -> None:
    events, out = tmp_path / "events.csv", tmp_path / "out"
    events.write_text(big_calendar(100_000, last_ticker="ZZZZ"), encoding="utf-8")
    status = main(
        ["run", "--events", str(events), "--offline", "--cache", str(launch_cache), "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1, err
    assert f"{events}, row 100001, field 'ticker'" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("rows", "available", "words"),
    [
        # 3,000 rows need 0.4 + 3,000 x 48 KB = 0.544 GB: the whole file is counted
        (3_000, 500_000_000, "3,000 rows would need about 0.5 GB of memory for an in-memory study"),
        # 100,000 rows: counting stops at the limit (2,083 rows), the rest is estimated
        (100_000, 500_000_000, "rows (estimated from the file's size) would need about 5."),
        (100_000, 200_000_000, "0.2 GB is available"),  # less than the base: no row fits
    ],
)
def test_a_calendar_too_large_for_memory_is_refused_up_front(
    tmp_path: Path, capsys, monkeypatch, rows: int, available: int, words: str
) -> None:
    import eventstudy.output.export  # noqa: F401 - imported first: scipy reads files at import
    monkeypatch.setattr(events_module, "available_memory", lambda: available)
    monkeypatch.setattr(events_module.Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    events, out = tmp_path / "events.csv", tmp_path / "out"
    events.write_text(big_calendar(rows), encoding="utf-8")
    status = main(["run", "--events", str(events), "--offline", "--cache", str(tmp_path), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1, err
    assert err.startswith(f"eventstudy: error: {events}: ") and words in err, err
    assert "split the calendar, or run it on a Dask cluster (eventstudy run --scheduler)" in err
    assert not out.exists()


def test_the_memory_bound_lets_a_calendar_that_fits_through(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(events_module, "available_memory", lambda: 400_000_000 + 3_000 * 48_000)
    events = tmp_path / "events.csv"
    events.write_text(big_calendar(3_000), encoding="utf-8")
    assert len(read_events(events)) == 3_000  # exactly at the limit
    events.write_text(big_calendar(3_001), encoding="utf-8")
    with pytest.raises(InputError, match="3,001 rows would need"):
        read_events(events)


def test_available_memory_is_read_on_this_machine() -> None:
    available = events_module.available_memory()
    assert available is None or 0 <= available < 1 << 50


@pytest.mark.parametrize("version", [1, 2])
def test_a_cgroups_file_cache_is_memory_it_can_use(tmp_path, version: int) -> None:
    """A container's usage counts the page cache of the files it read: 3.9 of a 4 GB limit used,
    3.0 of it file cache the kernel reclaims (active and inactive), left 0.1 GB, and every table
    was refused. cgroup v1 limits were not read at all."""
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 26000000 kB\nMemAvailable: 24000000 kB\n")
    root = tmp_path / "cgroup"
    gb = 10**9
    if version == 2:
        root.mkdir()
        (root / "memory.max").write_text(f"{4 * gb}\n")
        (root / "memory.current").write_text(f"{39 * gb // 10}\n")
        (root / "memory.stat").write_text(
            f"anon 900000000\nfile 3100000000\nactive_file {gb // 2}\ninactive_file {5 * gb // 2}\n"
        )
    else:
        (root / "memory").mkdir(parents=True)
        (root / "memory" / "memory.limit_in_bytes").write_text(f"{4 * gb}\n")
        (root / "memory" / "memory.usage_in_bytes").write_text(f"{39 * gb // 10}\n")
        (root / "memory" / "memory.stat").write_text(
            f"cache 3100000000\nactive_file 7\ntotal_active_file {gb // 2}\n"
            f"total_inactive_file {5 * gb // 2}\n"
        )
    top = tmp_path / "top"
    top.write_text("0::/\n" if version == 2 else "4:memory:/\n")
    assert events_module.available_memory(meminfo, root, top) == 31 * gb // 10
    limit = root / ("memory.max" if version == 2 else "memory/memory.limit_in_bytes")
    limit.write_text("max\n" if version == 2 else "9223372036854771712\n")  # no limit
    assert events_module.available_memory(meminfo, root, top) == 24000000 * 1024
    # A SLURM step's own cgroup, below an unlimited root: only the root's limit was read
    step = "system.slice/slurmstepd.scope/job_42"
    own = (root if version == 2 else root / "memory") / step
    own.mkdir(parents=True)
    v1 = ("memory.limit_in_bytes", "memory.usage_in_bytes")
    limit_name, used_name = ("memory.max", "memory.current") if version == 2 else v1
    (own / limit_name).write_text(f"{gb}\n")
    (own / used_name).write_text(f"{9 * gb // 10}\n")
    membership = tmp_path / "membership"
    membership.write_text(f"0::/{step}\n" if version == 2 else f"5:cpu:/\n4:memory:/{step}\n")
    assert events_module.available_memory(meminfo, root, membership) == gb // 10
    assert events_module.available_memory(meminfo, root, top) == 24000000 * 1024  # not its cgroup


# -- the command line, end to end ----------------------------------------------------------------
def run_cli(data: bytes) -> tuple[int, str, bool]:
    """Run ``eventstudy run`` on an events file; (status, stderr, output folder exists)."""
    with tempfile.TemporaryDirectory() as folder:
        events, out = Path(folder) / "events.csv", Path(folder) / "out"
        events.write_bytes(data)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            status = main(
                ["run", "--events", str(events), "--offline", "--cache", f"{folder}/cache", "--out", str(out)]
            )
        return status, stderr.getvalue().replace(str(events), "EVENTS"), out.exists()


@FEW
@given(
    calendars(max_events=3),
    layouts(),
    st.sampled_from(sorted(BAD_VALUES)).flatmap(
        lambda f: st.tuples(st.just(f), st.sampled_from(BAD_VALUES[f]))
    ),
)
def test_cli_bad_field_exits_2_with_one_line_and_no_output(rows, layout, bad) -> None:
    field, value = bad
    status, err, out_exists = run_cli(to_bytes(render(rows, layout, {0: {field: value}}), layout))
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"eventstudy: error: EVENTS, row 2, field '{field}': ")
    assert not out_exists


@FEW
@given(st.binary(max_size=300))
def test_cli_random_bytes_exit_2_with_one_line(data) -> None:
    status, err, out_exists = run_cli(data)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("eventstudy: error: EVENTS")
    assert not out_exists


HEADER = "event_id,announced,timing,ticker,role,deal_usd,group,headline"
BAD_FILES = {
    "latin1": f"{HEADER}\ne,2025-01-21,pre,ORCL,x,1e9,g,café\n".encode("latin-1"),
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "empty": b"",
}


def run_command(tmp_path: Path, content: bytes) -> tuple[list[str], Path, Path]:
    """``eventstudy run`` arguments on an events file holding ``content``; (args, events, out)."""
    events, out = tmp_path / "events.csv", tmp_path / "out"
    events.write_bytes(content)
    command = ["run", "--events", str(events), "--offline", "--cache", str(tmp_path / "cache")]
    command += ["--out", str(out)]
    return command, events, out


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_files_print_one_line_without_traceback(tmp_path: Path, capsys, name: str) -> None:
    command, events, out = run_command(tmp_path, BAD_FILES[name])
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert str(events) in err and not out.exists()


def test_console_script_prints_one_line_without_traceback(tmp_path: Path) -> None:
    """The same through ``python -m eventstudy`` in a process of its own: what only a process
    shows (the exit status the shell sees, the whole of stderr, warnings kept off it)."""
    command, events, out = run_command(tmp_path, BAD_FILES["latin1"])
    done = subprocess.run(
        [sys.executable, "-m", "eventstudy", *command],
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard, not a time limit
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(events) in done.stderr and not out.exists()

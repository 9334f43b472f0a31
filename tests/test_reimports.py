"""A re-import over cached data never changes it unsaid.

The tester's scenarios: a shares file with the single row INTC,2025-01-02,875400000000 imported
over INTC's six cached counts (about 4.38e9) replaced them without a word and skipped the 100x
check (the same two counts in one file are refused), and a later run gave INTC a market value of
$21.8T; a returns panel with one value changed, or ending earlier, overwrote the cached series
silently; a 299-row INTC.csv imported over 752 cached rows dropped 453 days without a line.

Now a shares file is merged with the cached counts by as_of (the file's count wins on a day both
give), the merged series passes the checks a file's counts pass, and every re-import says in one
line per series what it changed, and records it in the file's provenance.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.data.shares import MERGED_COLUMNS
from eventstudy.data.store import PriceStore

HEADER = "ticker,as_of,shares_outstanding,filing,source\n"
INTC_CACHED = [
    ("2025-01-14", 4313000000.0),
    ("2025-03-27", 4330000000.0),
    ("2025-05-01", 4362000000.0),
    ("2025-08-21", 4377000000.0),
    ("2025-09-22", 4377000000.0),
    ("2025-10-30", 4377000000.0),
]


@pytest.fixture
def cache(launch_cache: Path, tmp_path: Path) -> Path:
    """A copy of the launch cache (prices, shares and earnings of ../shared/data)."""
    root = tmp_path / "cache"
    shutil.copytree(launch_cache, root)
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def counts(cache: Path, ticker: str) -> list[tuple[str, float]]:
    frame = PriceStore(cache).read_shares(ticker)
    pairs = zip(frame["as_of"], frame["shares_outstanding"], strict=True)
    return [(f"{d:%Y-%m-%d}", float(c)) for d, c in pairs]


def provenance(cache: Path, kind: str, symbol: str) -> dict:
    store = PriceStore(cache)
    return store.provenance(store.path(symbol, kind))


def import_lines(cache: Path, capsys, *args: str) -> list[str]:
    capsys.readouterr()
    assert main(["cache", "import", *args, "--cache", str(cache)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out.splitlines()


def refusal(cache: Path, capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(["cache", "import", *args, "--cache", str(cache)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.out == "", captured.err
    return captured.err


def shares_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "new" / "shares_outstanding.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


# -- shares: merged by as_of, checked as merged ---------------------------------------------------
def test_a_count_100x_the_cached_ones_is_refused_as_in_one_file(cache: Path, tmp_path: Path, capsys) -> None:
    before = snapshot(cache)
    path = shares_file(tmp_path, "INTC,2025-01-02,875400000000,10-Q,x")
    err = refusal(cache, capsys, str(path))
    where = f"eventstudy: error: {path}, row 2, field 'shares_outstanding'"
    assert err.startswith(f"{where}: 875,400,000,000 shares")
    assert "is 203 times INTC's count as of 2025-01-14 (4,313,000,000)" in err
    assert "more than 100 times is refused" in err
    # a real 1-for-150 reverse split is refused too: the line says how to import it (a finder)
    assert "a larger split split-adjusted, each count before it times its ratio); a shares file is" in err
    assert snapshot(cache) == before


def test_a_new_count_is_added_to_the_cached_ones_and_said(cache: Path, tmp_path: Path, capsys) -> None:
    path = shares_file(tmp_path, "INTC,2025-12-01,4400000000,10-Q,x")
    lines = import_lines(cache, capsys, str(path))
    assert lines[1:] == [
        "INTC: share counts merged with the 6 cached by as_of: 1 added (2025-12-01), 0 replaced, "
        "6 kept that the file does not give (2025-01-14..2025-10-30)"
    ]
    assert counts(cache, "INTC") == [*INTC_CACHED, ("2025-12-01", 4.4e9)]
    [record] = provenance(cache, "shares", "INTC")["merges"]
    assert record["added"] == ["2025-12-01"] and record["replaced"] == []
    assert record["kept"] == [d for d, _ in INTC_CACHED]
    assert record["cached_rows_from"]["source_file"].endswith("shares_outstanding.csv")
    assert record["cached_rows_from"]["source_file"] != str(path)


def test_the_files_count_wins_on_a_cached_day_and_the_old_one_is_recorded(
    cache: Path, tmp_path: Path, capsys
) -> None:
    path = shares_file(tmp_path, "INTC,2025-03-27,4331000000,10-Q,x")
    lines = import_lines(cache, capsys, str(path))
    assert lines[1:] == [
        "INTC: share counts merged with the 6 cached by as_of: 0 added, 1 replaced (2025-03-27: "
        "4,330,000,000 -> 4,331,000,000), 5 kept that the file does not give (2025-01-14..2025-10-30)"
    ]
    expected = list(INTC_CACHED)
    expected[1] = ("2025-03-27", 4331000000.0)
    assert counts(cache, "INTC") == expected
    [record] = provenance(cache, "shares", "INTC")["merges"]
    assert record["replaced"] == [
        {"as_of": "2025-03-27", "old": 4330000000.0, "new": 4331000000.0, "columns": list(MERGED_COLUMNS)}
    ]


def test_a_count_refiled_unchanged_says_what_was_replaced(cache: Path, tmp_path: Path, capsys) -> None:
    """The same count under another filing read "4,330,000,000 -> 4,330,000,000" (a finder)."""
    path = shares_file(tmp_path, "INTC,2025-03-27,4330000000,10-Q,https://www.sec.gov/x")
    lines = import_lines(cache, capsys, str(path))
    assert lines[1:] == [
        "INTC: share counts merged with the 6 cached by as_of: 0 added, 1 replaced (2025-03-27: "
        "4,330,000,000 unchanged, its filing and source replaced), 5 kept that the file does not give "
        "(2025-01-14..2025-10-30)"
    ]
    [record] = provenance(cache, "shares", "INTC")["merges"]
    assert record["replaced"] == [
        {"as_of": "2025-03-27", "old": 4330000000.0, "new": 4330000000.0, "columns": ["filing", "source"]}
    ]


def test_several_counts_refiled_say_how_many_kept_their_count(cache: Path, tmp_path: Path, capsys) -> None:
    """Two replaced read "2 replaced (...)" whether a count changed or only its filing (a finder)."""
    path = shares_file(tmp_path, "INTC,2025-01-14,4360000000,10-K,x", "INTC,2025-03-27,4330000000,10-Q,x")
    line = import_lines(cache, capsys, str(path))[1]
    said = "2 replaced (2025-01-14..2025-03-27; 1 with its count unchanged, its filing and source replaced)"
    assert f", {said}, 4 kept that the file does not give" in line


def test_the_same_shares_file_again_changes_nothing_and_says_nothing(
    cache: Path, shared_data: Path, capsys
) -> None:
    tickers = PriceStore(cache).symbols("shares")
    stored = {t: pd.read_parquet(cache / "shares" / f"{t}.parquet") for t in tickers}
    lines = import_lines(cache, capsys, str(shared_data / "shares"))
    assert len(lines) == 1 and lines[0].startswith("imported 64 share counts")
    # The rows as stored, in their order: sorted by date, NVDA's and ORCL's content hashes no
    # longer matched a first import's, and verify called the launch report's inputs changed.
    for ticker, frame in stored.items():
        pd.testing.assert_frame_equal(pd.read_parquet(cache / "shares" / f"{ticker}.parquet"), frame)
    assert "merges" not in provenance(cache, "shares", "INTC")


def test_a_merge_is_carried_by_the_next_one(cache: Path, tmp_path: Path, capsys) -> None:
    import_lines(cache, capsys, str(shares_file(tmp_path, "INTC,2025-12-01,4400000000,10-Q,x")))
    import_lines(cache, capsys, str(shares_file(tmp_path, "INTC,2025-12-02,4400000000,10-Q,x")))
    first, second = provenance(cache, "shares", "INTC")["merges"]
    assert (first["added"], second["added"]) == (["2025-12-01"], ["2025-12-02"])
    assert len(counts(cache, "INTC")) == 8


# -- prices: replaced, and said ------------------------------------------------------------------
def test_a_shorter_price_file_says_which_cached_days_it_drops(
    cache: Path, shared_data: Path, tmp_path: Path, capsys
) -> None:
    frame = pd.read_csv(shared_data / "prices" / "INTC.csv", dtype=str)
    (tmp_path / "new").mkdir()
    path = tmp_path / "new" / "INTC.csv"
    frame.iloc[-299:].to_csv(path, index=False)
    dropped = frame["Date"].iloc[:-299]
    lines = import_lines(cache, capsys, str(path))
    assert lines[1:] == [
        "INTC: replaces its cached prices (752 days, 2023-01-03..2025-12-31) with the file's 299: 453 "
        f"cached day(s) dropped ({dropped.iloc[0]}..{dropped.iloc[-1]}), none changed"
    ]
    assert len(PriceStore(cache).read_prices("INTC")) == 299
    [record] = provenance(cache, "prices", "INTC")["replacements"]
    assert (record["dropped_rows"], record["dropped_dates"]) == (453, [dropped.iloc[0], dropped.iloc[-1]])
    assert record["changed_rows"] == 0 and record["old_rows"] == 752 and record["new_rows"] == 299


def test_a_price_file_changing_only_the_volume_says_so(
    cache: Path, shared_data: Path, tmp_path: Path, capsys
) -> None:
    frame = pd.read_csv(shared_data / "prices" / "INTC.csv", dtype=str)
    frame.loc[5, "Volume"] = "1"
    (tmp_path / "new").mkdir()
    frame.to_csv(tmp_path / "new" / "INTC.csv", index=False)
    lines = import_lines(cache, capsys, str(tmp_path / "new" / "INTC.csv"))
    day = frame["Date"].iloc[5]
    assert lines[1:] == [
        f"INTC: replaces its cached prices (752 days, 2023-01-03..2025-12-31) with the file's 752: no cached "
        f"day dropped, volume changed on 1 day(s) ({day}..{day})"
    ]
    assert "restatements" not in provenance(cache, "prices", "INTC")


# -- returns: replaced, and said -----------------------------------------------------------------
def returns_file(tmp_path: Path, name: str, rows: dict[str, list[float]], days: pd.DatetimeIndex) -> Path:
    lines = ["id,date,ret"]
    for symbol, values in rows.items():
        lines += [f"{symbol},{d:%Y-%m-%d},{v!r}" for d, v in zip(days, values, strict=True)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_changed_or_shorter_returns_panel_says_what_it_replaces(tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    days = pd.bdate_range("2025-01-02", periods=10)
    values = [0.001 * (i + 1) for i in range(10)]
    first = returns_file(tmp_path, "a.csv", {"SPY": values, "NVDA": values}, days)
    import_lines(cache, capsys, "--returns", str(first), "--units", "decimal")
    changed = list(values)
    changed[3] = 0.5
    second = returns_file(tmp_path, "b.csv", {"SPY": changed[:8], "NVDA": values[:8]}, days[:8])
    lines = import_lines(cache, capsys, "--returns", str(second), "--units", "decimal")
    assert lines[1:] == [  # in the file's order
        "SPY: replaces its cached returns (10 days, 2025-01-02..2025-01-15) with the file's 8: 2 cached "
        "day(s) dropped (2025-01-14..2025-01-15), ret changed on 1 day(s) (2025-01-07..2025-01-07)",
        "NVDA: replaces its cached returns (10 days, 2025-01-02..2025-01-15) with the file's 8: 2 cached "
        "day(s) dropped (2025-01-14..2025-01-15), none changed",
    ]
    [record] = provenance(cache, "returns", "SPY")["replacements"]
    assert (record["changed_rows"], record["changed_columns"], record["dropped_rows"]) == (1, ["ret"], 2)
    assert record["replaced_rows_from"]["source_file"] == str(first.resolve())
    assert PriceStore(cache).read_returns_table("SPY").frame["ret"].tolist() == changed[:8]


def test_the_same_returns_panel_again_says_nothing(tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    days = pd.bdate_range("2025-01-02", periods=5)
    path = returns_file(tmp_path, "a.csv", {"SPY": [0.01, 0.02, 0.0, -0.01, 0.03]}, days)
    import_lines(cache, capsys, "--returns", str(path), "--units", "decimal")
    lines = import_lines(cache, capsys, "--returns", str(path), "--units", "decimal")
    assert len(lines) == 1
    assert "replacements" not in provenance(cache, "returns", "SPY")


def test_the_same_numbers_as_another_definition_say_they_change_the_returns(tmp_path: Path, capsys) -> None:
    """A finder re-imported a panel with --definition log: the cached numbers then meant other
    returns (a simple-returns study converts them, e^r - 1) and nothing was said. Compared as what
    they mean; the same returns written as log returns change nothing."""
    cache = tmp_path / "cache"
    days = pd.bdate_range("2025-01-02", periods=3)
    path = returns_file(tmp_path, "a.csv", {"SPY": [0.015, -0.02, 0.005]}, days)
    import_lines(cache, capsys, "--returns", str(path), "--units", "decimal")
    lines = import_lines(cache, capsys, "--returns", str(path), "--units", "decimal", "--definition", "log")
    assert lines[1:] == [
        "SPY: replaces its cached returns (3 days, 2025-01-02..2025-01-06) with the file's 3: no cached day "
        "dropped, the cached returns were simple returns and the file's are log, ret changed on 3 day(s) "
        "(2025-01-02..2025-01-06)"
    ]
    [record] = provenance(cache, "returns", "SPY")["replacements"]
    assert record["definition"] == ["simple", "log"] and record["changed_rows"] == 3
    logs = returns_file(tmp_path, "b.csv", {"SPY": [float(v) for v in np.log1p([0.015, -0.02, 0.005])]}, days)
    lines = import_lines(cache, capsys, "--returns", str(logs), "--units", "decimal", "--definition", "log")
    assert len(lines) == 2  # the cached log returns were other returns than these
    lines = import_lines(cache, capsys, "--returns", str(path), "--units", "decimal")
    assert len(lines) == 1  # these simple returns are the log file's returns: nothing changes


def test_a_count_in_thousands_after_the_cached_ones_is_refused_on_its_row(
    cache: Path, tmp_path: Path, capsys
) -> None:
    before = snapshot(cache)
    path = shares_file(tmp_path, "NEWT,2025-01-02,1000000,10-Q,x", "INTC,2025-12-01,4377000,10-Q,x")
    err = refusal(cache, capsys, str(path))
    where = f"eventstudy: error: {path}, row 3, field 'shares_outstanding'"
    assert err.startswith(f"{where}: 4,377,000 shares is 1/1,000 of INTC's count as of 2025-10-30")
    assert snapshot(cache) == before


def test_each_ticker_of_a_file_records_its_own_merge(cache: Path, tmp_path: Path, capsys) -> None:
    path = shares_file(tmp_path, "AMD,2025-12-01,1630000000,10-Q,x", "NEWT,2025-01-02,1000000,10-Q,x")
    lines = import_lines(cache, capsys, str(path))
    assert len(lines) == 2 and lines[1].startswith("AMD: share counts merged with the ")
    assert provenance(cache, "shares", "AMD")["merges"][0]["added"] == ["2025-12-01"]
    assert "merges" not in provenance(cache, "shares", "NEWT")
    assert counts(cache, "NEWT") == [("2025-01-02", 1e6)]


# -- earnings dates and factor tables: replaced, and said -------------------------------------------
def test_a_shorter_or_changed_earnings_file_says_what_it_replaces(
    cache: Path, shared_data: Path, tmp_path: Path, capsys
) -> None:
    frame = pd.read_csv(shared_data / "earnings" / "earnings_dates.csv", dtype=str, keep_default_na=False)
    nvda = frame.index[frame["ticker"] == "NVDA"]
    cached = frame.loc[nvda, "announced"]
    changed_day = cached.iloc[5]
    frame.loc[nvda[5], "timing"] = "pre" if frame.loc[nvda[5], "timing"] != "pre" else "post"
    shorter = frame.drop(index=nvda[:2], columns="volume_ratio")  # a column the cache keeps not
    (tmp_path / "new").mkdir()
    path = tmp_path / "new" / "earnings_dates.csv"
    shorter.to_csv(path, index=False)
    lines = import_lines(cache, capsys, str(path))
    assert lines[1:] == [
        f"NVDA: replaces its cached earnings dates ({len(cached)} days, {cached.iloc[0]}..{cached.iloc[-1]}) "
        f"with the file's {len(cached) - 2}: 2 cached day(s) dropped ({cached.iloc[0]}..{cached.iloc[1]}), "
        f"timing changed on 1 day(s) ({changed_day}..{changed_day})"
    ]
    [record] = provenance(cache, "earnings", "NVDA")["replacements"]
    assert (record["dropped_rows"], record["changed_rows"], record["changed_columns"]) == (2, 1, ["timing"])
    assert record["replaced_rows_from"]["source_file"] == str(shared_data / "earnings" / "earnings_dates.csv")
    assert "replacements" not in provenance(cache, "earnings", "AMD")  # unchanged: nothing recorded
    before = pd.read_parquet(cache / "earnings" / "NVDA.parquet")
    assert import_lines(cache, capsys, str(path))[1:] == []  # the same file again: nothing to say
    pd.testing.assert_frame_equal(pd.read_parquet(cache / "earnings" / "NVDA.parquet"), before)
    assert len(provenance(cache, "earnings", "NVDA")["replacements"]) == 1  # carried, none added


def test_a_changed_factor_file_says_what_it_replaces(shared_data: Path, tmp_path: Path, capsys) -> None:
    source = shared_data / "factors" / "F-F_Research_Data_Factors_daily.csv"
    cache = tmp_path / "cache"
    import_lines(cache, capsys, str(source))
    text = source.read_bytes().decode("utf-8").split("\n")
    data = [i for i, line in enumerate(text) if line[:1].isdigit() and "," in line]
    first, last = data[0], data[-1]
    changed = data[100]
    day = text[changed].split(",")[0]
    text[changed] = f"{day},   12.34" + text[changed][len(day) + 9 :]
    kept = [line for i, line in enumerate(text) if i not in data[-3:]]
    (tmp_path / "new").mkdir()
    path = tmp_path / "new" / source.name
    path.write_bytes("\n".join(kept).encode("utf-8"))
    lines = import_lines(cache, capsys, str(path))

    def iso(line: str) -> str:
        stamp = line.split(",")[0]
        return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}"

    name = "F-F_Research_Data_Factors_daily"
    assert lines[1:] == [
        f"{name}: replaces its cached factors ({len(data)} days, {iso(text[first])}..{iso(text[last])}) "
        f"with the file's {len(data) - 3}: 3 cached day(s) dropped ({iso(text[data[-3]])}..{iso(text[last])})"
        ", "
        f"Mkt-RF changed on 1 day(s) ({iso(text[changed])}..{iso(text[changed])})"
    ]
    store = PriceStore(cache)
    [record] = store.provenance(store.factors_path(name))["replacements"]
    assert (record["dropped_rows"], record["changed_rows"]) == (3, 1)


def test_a_folder_s_sub_folders_with_csv_files_are_named_not_passed_over(
    tmp_path: Path, shared_data: Path, capsys
) -> None:
    """``cache import in/`` with in/NVDA.csv and in/sub/AMD.csv imported NVDA and said nothing of
    AMD (a finder); a folder holding only a sub-folder of files said "holds no .csv files". A
    sub-folder given too, a link or a hidden one is not named; each is named once."""
    inside = tmp_path / "in"
    for folder in ("sub", ".hidden", "empty", "deep/deeper"):
        (inside / folder).mkdir(parents=True)
    shutil.copy(shared_data / "prices" / "NVDA.csv", inside / "NVDA.csv")
    for folder in ("sub", ".hidden", "deep/deeper"):
        shutil.copy(shared_data / "prices" / "AMD.csv", inside / folder / "AMD.csv")
    (inside / "link").symlink_to(inside / "sub")
    cache = tmp_path / "cache"
    not_read = f"{inside / 'sub'}: a sub-folder with .csv files, not read (give it as a path of its own)"
    assert main(["cache", "import", str(inside), f"{inside}/", "--cache", str(cache)]) == 0
    imported = f"imported 1 price file (752 rows) into {cache}/"
    assert capsys.readouterr().out.splitlines() == [imported, not_read]
    assert PriceStore(cache).price_symbols() == ["NVDA"]
    assert main(["cache", "import", str(inside), str(inside / "sub"), "--cache", str(tmp_path / "both")]) == 0
    imported = f"imported 2 price files (1,504 rows) into {tmp_path / 'both'}/"
    assert capsys.readouterr().out.splitlines() == [imported]
    assert main(["cache", "import", str(inside / "deep"), "--cache", str(cache)]) == 2
    assert capsys.readouterr().err == (
        f"eventstudy: error: {inside / 'deep'}: folder holds no .csv files to import (its sub-folder "
        "deeper does: give that folder)\n"
    )


def test_a_folder_s_compressed_csv_files_are_named_not_passed_over(
    tmp_path: Path, shared_data: Path, capsys
) -> None:
    """A folder of NVDA.csv.gz beside ORCL.csv imported ORCL alone and said nothing of NVDA; a
    folder of compressed files alone said "holds no .csv files" (a finder's re-attack)."""
    import gzip

    inside = tmp_path / "in"
    inside.mkdir()
    shutil.copy(shared_data / "prices" / "ORCL.csv", inside / "ORCL.csv")
    (inside / "NVDA.csv.gz").write_bytes(gzip.compress((shared_data / "prices" / "NVDA.csv").read_bytes()))
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(inside), f"{inside}/", "--cache", str(cache)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"imported 1 price file (752 rows) into {cache}/",
        f"{inside / 'NVDA.csv.gz'}: a gzip-compressed file, not read: decompress it first (gunzip)",
    ]
    (inside / "ORCL.csv").unlink()
    assert main(["cache", "import", str(inside), "--cache", str(cache)]) == 2
    assert capsys.readouterr().err == (
        f"eventstudy: error: {inside}: folder holds no .csv files to import (NVDA.csv.gz is a "
        "gzip-compressed file: decompress it first (gunzip))\n"
    )


SHEET = "save the sheet as CSV (UTF-8)"
ZIP = f"a zip archive (an Excel .xlsx workbook?), not read: unzip it, or {SHEET}"


@pytest.mark.parametrize(
    ("name", "head", "said"),
    [
        ("MSFT.zip", b"PK\x03\x04", ZIP),
        ("MSFT.xlsx", b"PK\x03\x04", ZIP),
        ("MSFT.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls workbook, not read: " + SHEET),
        ("MSFT.bz2", b"BZh91AY", "a bzip2-compressed file, not read: decompress it first (bunzip2)"),
    ],
)
def test_a_folder_s_archives_and_workbooks_are_named_not_passed_over(
    tmp_path: Path, shared_data: Path, capsys, name: str, head: bytes, said: str
) -> None:
    """MSFT.zip or MSFT.xlsx beside ORCL.csv was passed over unsaid (only ``*.csv.gz`` and its
    kin were named, by their names): every file a folder's import does not read that begins as a
    compressed file or a workbook is named, by its first bytes, whatever its name; other files
    (a README.txt) are not."""
    inside = tmp_path / "in"
    inside.mkdir()
    shutil.copy(shared_data / "prices" / "ORCL.csv", inside / "ORCL.csv")
    (inside / name).write_bytes(head + bytes(100))
    (inside / "README.txt").write_text("my notes")
    (inside / ".hidden.zip").write_bytes(b"PK\x03\x04" + bytes(10))
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(inside), "--cache", str(cache)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"imported 1 price file (752 rows) into {cache}/",
        f"{inside / name}: {said}",
    ]


def test_many_archives_are_counted_past_the_first_ten(tmp_path: Path, shared_data: Path, capsys) -> None:
    """A folder of 3,000 zipped CSVs printed 3,000 lines: the first ten are named, then their count."""
    inside = tmp_path / "in"
    inside.mkdir()
    shutil.copy(shared_data / "prices" / "ORCL.csv", inside / "ORCL.csv")
    for number in range(13):
        (inside / f"T{number:02d}.zip").write_bytes(b"PK\x03\x04" + bytes(10))
    assert main(["cache", "import", str(inside), "--cache", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:] == [
        *(f"{inside / f'T{number:02d}.zip'}: {ZIP}" for number in range(10)),
        "... and 3 other compressed files or workbooks, not read either",
    ]


def test_many_sub_folders_are_counted_past_the_first_ten(tmp_path: Path, shared_data: Path, capsys) -> None:
    """13 sub-folders of CSVs printed 13 lines (3,000 would print 3,000), as archives did (a re-attack)."""
    inside = tmp_path / "in"
    inside.mkdir()
    shutil.copy(shared_data / "prices" / "ORCL.csv", inside / "ORCL.csv")
    for number in range(13):
        (inside / f"s{number:02d}").mkdir()
        (inside / f"s{number:02d}" / "X.csv").write_text("Date\n")
    assert main(["cache", "import", str(inside), "--cache", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out.splitlines()
    said = "a sub-folder with .csv files, not read (give it as a path of its own)"
    assert printed[1:] == [
        *(f"{inside / f's{number:02d}'}: {said}" for number in range(10)),
        "... and 3 other sub-folders with .csv files, not read either",
    ]


def test_an_unreadable_file_does_not_hide_the_archives_after_it(tmp_path: Path, monkeypatch) -> None:
    """The folder's scan stopped at the first file it could not open (AAA.dat), so NVDA.csv.gz after
    it was passed over unsaid (a re-attack; chmod 000 does not stop root, so open is made to fail)."""
    from eventstudy.data.importer import unread_packed

    (tmp_path / "AAA.dat").write_bytes(b"x")
    (tmp_path / "NVDA.csv.gz").write_bytes(b"\x1f\x8b" + bytes(10))
    real_open = Path.open

    def failing_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.name == "AAA.dat":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", failing_open)
    assert [file.name for file, _ in unread_packed([tmp_path])] == ["NVDA.csv.gz"]


def test_a_compressed_file_named_by_itself_says_what_it_is(tmp_path: Path, shared_data: Path, capsys) -> None:
    """``cache import NVDA.csv.gz`` said "not a .csv file: cache import takes CSV files": true, but
    the way out (decompress it) was left to the user."""
    import gzip

    path = tmp_path / "NVDA.csv.gz"
    path.write_bytes(gzip.compress((shared_data / "prices" / "NVDA.csv").read_bytes()))
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(path), "--cache", str(cache)]) == 2
    assert capsys.readouterr().err == (
        f"eventstudy: error: {path}: a gzip-compressed file, not text: decompress it first (gunzip)\n"
    )
    assert not cache.exists()


def test_counts_refiled_with_different_columns_say_which_may_have() -> None:
    """One count's filing and another's source replaced read "its filing and source replaced" of
    both (a finder)."""
    from eventstudy.data.shares import merge_text

    record = {
        "cached_rows": 6, "added": [], "kept": [],
        "replaced": [
            {"as_of": "2025-01-14", "old": 1.0, "new": 1.0, "columns": ["filing"]},
            {"as_of": "2025-03-27", "old": 2.0, "new": 2.0, "columns": ["source"]},
        ],
    }  # fmt: skip
    assert "; 2 with their count unchanged, their filing or source replaced)" in merge_text("X", record)

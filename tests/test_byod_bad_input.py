"""Bad input when bringing your own data (issue 14), through the command line.

The promise: one line ``eventstudy: error: FILE, row R, field 'F': ...``, exit status 2, no
traceback, and nothing written -- a cache that already holds series, and an output folder that
already holds a run, keep every file byte for byte with its mode and modification time. The
issue's five kinds (undeclared units, ids that collide once case is folded, a duplicate
(id, date), a return below -100%, a per-event market that is not in the cache) and adversarial
variants: empty, header-only and blank-header files, a byte-order mark with CRLF line ends,
returns and market values that would overflow (1e308, an overflowing CRSP product), ``inf``
text, impossible dates, path-like ids. What is accepted is checked to the number.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.data import importer
from eventstudy.data.store import PriceStore

GOOD = "id,date,ret\nGOOD,2024-01-02,1\nHDFC.Bank,2024-01-02,2\n"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``folder``: contents, mode and modification time (ns)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.rstrip("\n")


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A cache holding two return series imported by the command line."""
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    root = tmp_path / "cache"
    assert main(["cache", "import", "--returns", str(good), "--units", "percent", "--cache", str(root)]) == 0
    return root


def _parquet_bytes() -> bytes:
    """A long returns panel written as parquet."""
    buffer = io.BytesIO()
    pd.DataFrame({"id": ["A"], "date": ["2024-01-02"], "ret": [1.0]}).to_parquet(buffer)
    return buffer.getvalue()


# (name, file bytes, extra arguments, (row, field) or None, the message after "FILE[, row R][, field 'F']: ")
BAD_RETURNS = [
    (
        "a wide file with a series named ID",  # read as long, the error named field 'ret' alone
        b"date,ID,SPY\n2024-01-02,0.01,0.02\n",
        ["--units", "decimal"],
        (1, "ret"),
        "a long returns file needs a ret column (its column 'ID' makes it a long one: as a wide file's "
        "series, rename 'ID')",
    ),
    (
        "undeclared units",
        b"id,date,ret\nA,2024-01-02,1.5\n",
        [],
        (None, "units"),
        "the units of its values are not declared",
    ),
    (
        "case twins in a long file",
        b"id,date,ret\nHDFC.Bank,2024-01-02,1\nhdfc.bank,2024-01-03,1\n",
        ["--units", "percent"],
        (3, "id"),
        "'hdfc.bank' and 'HDFC.Bank' differ only in case",
    ),
    (
        "case twin of a cached id",
        b"date,HDFC.BANK\n2024-01-02,1\n",
        ["--units", "percent"],
        (1, "HDFC.BANK"),
        "'HDFC.BANK' and 'HDFC.Bank' differ only in case: identifiers must stay distinct once case is folded "
        "(they would share one cache file on a case-insensitive file system); HDFC.Bank is already in the "
        "cache (returns)",
    ),
    (
        "duplicate (id, date)",
        b"id,date,ret\nA,2024-01-02,1\nB,2024-01-02,2\nA,2024-01-02,3\n",
        ["--units", "percent"],
        (4, "date"),
        "duplicate (id, date) (A, 2024-01-02), first on row 2",
    ),
    (
        "a PERMNO spelled twice on one date",
        b"PERMNO,date,RET\n10107,20240102,0.01\n10107.0,20240102,0.02\n",
        ["--units", "decimal"],
        (3, "date"),
        "duplicate (PERMNO, date) (10107, 2024-01-02), first on row 2",
    ),
    (
        "below -100% in decimal",
        b"id,date,ret\nA,2024-01-02,-1.0000001\n",
        ["--units", "decimal"],
        (2, "ret"),
        "'-1.0000001' is a simple return below -100% (-1 in decimal)",
    ),
    (
        "below -100% in percent",
        b"id,date,ret\nA,2024-01-02,-100.5\n",
        ["--units", "percent"],
        (2, "ret"),
        "'-100.5' is a simple return below -100% (-100 in percent)",
    ),
    ("empty file", b"", ["--units", "percent"], None, "the file is empty; expected a header line"),
    ("header only", b"id,date,ret\r\n", ["--units", "percent"], None, "the file has a header but no rows"),
    (
        "blank header line",
        b"\n\nid,date,ret\nA,2024-01-02,1\n",
        ["--units", "percent"],
        (1, None),
        "the header (the first line) has no column names",
    ),
    (
        "a wide file with no id column",
        b"date\n2024-01-02\n",
        ["--units", "percent"],
        (1, None),
        "no returns: a wide returns file has a date column and one column per id",
    ),
    (
        "BOM and CRLF keep the row numbers",
        b"\xef\xbb\xbfid,date,ret\r\nA,2024-01-02,1\r\nA,2024-01-02,2\r\n",
        ["--units", "percent"],
        (3, "date"),
        "duplicate (id, date) (A, 2024-01-02), first on row 2",
    ),
    (
        "1e308 in percent",
        b"id,date,ret\nA,2024-01-02,0.5\nA,2024-01-03,1e308\n",
        ["--units", "percent"],
        (3, "ret"),
        "'1e308' is an absurd simple return: a gain above +9,900% in one day",
    ),
    (
        "just above +9,900%",
        b"id,date,ret\nA,2024-01-02,9900.001\n",
        ["--units", "percent"],
        (2, "ret"),
        "'9900.001' is an absurd simple return",
    ),
    (
        "1e308 as a log return",
        b"date,A\n2024-01-02,1e308\n",
        ["--units", "decimal", "--definition", "log"],
        (2, "A"),
        "'1e308' is an absurd log return",
    ),
    (
        "a log return whose exp is 0",
        b"date,A\n2024-01-02,-1000\n",
        ["--units", "decimal", "--definition", "log"],
        (2, "A"),
        "'-1000' is no log return: exp(r) is 0 in double precision",
    ),
    (
        "a market value of 1e308",
        b"id,date,ret,market_cap\nA,2024-01-02,0.5,1e308\n",
        ["--units", "percent"],
        (2, "market_cap"),
        "market value '1e308' is above 1e21",
    ),
    (
        "a CRSP market value that overflows",
        b"permno,date,ret,shrout,prc\n10107,20240102,0.01,1e300,-1e300\n",
        ["--units", "decimal"],
        (2, "prc"),
        "market value |prc| x shrout x 1000 = |-1e300| x 1e300 x 1000 is above 1e21",
    ),
    (
        "inf",
        b"id,date,ret\nA,2024-01-02,inf\n",
        ["--units", "percent"],
        (2, "ret"),
        "'inf' is not a finite number",
    ),
    (
        "-Infinity",
        b"date,A\n2024-01-02,-Infinity\n",
        ["--units", "percent"],
        (2, "A"),
        "'-Infinity' is not a finite number",
    ),
    (
        "1e400",
        b"id,date,ret\nA,2024-01-02,1e400\n",
        ["--units", "percent"],
        (2, "ret"),
        "'1e400' is not a finite number",
    ),
    (
        "1e-400, which a float holds as 0",
        b"id,date,ret\nA,2024-01-02,0.0\nA,2024-01-03,1e-400\n",
        ["--units", "percent"],
        (3, "ret"),
        "'1e-400' is too small for a float (it would be read as 0)",
    ),
    (
        "2025-02-30",
        b"id,date,ret\nA,2025-02-28,1\nA,2025-02-30,1\n",
        ["--units", "percent"],
        (3, "date"),
        "'2025-02-30' is not a date YYYY-MM-DD (or YYYYMMDD)",
    ),
    (
        "20250230 in a CRSP file",
        b"permno,date,ret\n10107,20250230,0.01\n",
        ["--units", "decimal"],
        (2, "date"),
        "'20250230' is not a date",
    ),
    (
        "a path-like id",
        b"id,date,ret\n../x,2024-01-02,1\n",
        ["--units", "percent"],
        (2, "id"),
        "'../x' is not a ticker symbol",
    ),
    (
        "a path-like wide column",
        b"date,../../etc/passwd\n2024-01-02,1\n",
        ["--units", "percent"],
        (1, "../../etc/passwd"),
        "a wide returns file has one column per id, and '../../etc/passwd' is not a ticker symbol",
    ),
    (
        "a NUL byte",
        b"id,date,ret\nA,2024-01-02,1\x00\n",
        ["--units", "percent"],
        (2, None),
        "contains a NUL byte",
    ),
    (
        "Latin-1 text",
        b"id,date,ret\n\xc4,2024-01-02,1\n",
        ["--units", "percent"],
        (2, "id"),
        "not UTF-8 text (byte 0xc4",
    ),
    (  # was "not UTF-8 text (byte 0x80: Latin-1 or Windows-1252?)" (a finder)
        "a parquet file named .csv",
        _parquet_bytes(),
        ["--units", "percent"],
        None,
        "a parquet file (it begins PAR1), not CSV text: name it .parquet or .pq",
    ),
]


@pytest.mark.parametrize(
    ("body", "extra", "where", "message"),
    [case[1:] for case in BAD_RETURNS],
    ids=[case[0] for case in BAD_RETURNS],
)
def test_a_bad_returns_file_is_one_line_and_leaves_the_cache_untouched(
    cache, tmp_path, capsys, body, extra, where, message
) -> None:
    before = snapshot(cache)
    path = tmp_path / "returns.csv"
    path.write_bytes(body)
    assert main(["cache", "import", "--returns", str(path), "--cache", str(cache), *extra]) == 2
    place = str(path)
    if where is not None:
        row, field = where
        place += "" if row is None else f", row {row}"
        place += "" if field is None else f", field {field!r}"
    assert one_line(capsys).startswith(f"eventstudy: error: {place}: {message}")
    assert snapshot(cache) == before


def test_a_vendors_holiday_rows_of_zero_returns_are_asked_about(shared_data, tmp_path, capsys) -> None:
    """Datastream repeats the last price on holidays: a row of 0 for every series (a merge onto
    weekdays, a row of blanks). Imported, the holidays were sessions of the returns-series market,
    and an announcement on 2024-07-04 got day 0 there (NVDA's CAR[0,0] -0.30% for -3.49%), exit 0,
    nothing said (a finder). The import asks, naming the row; not a refusal, since series that
    move together make a real session look that rare (a finder)."""
    symbols = ["SPY", "NVDA", "AMD", "MSFT", "ORCL", "INTC"]
    closes = pd.DataFrame(
        {s: pd.read_csv(shared_data / "prices" / f"{s}.csv", index_col="Date")["Adj Close"] for s in symbols}
    )
    closes.index = pd.to_datetime(closes.index)
    wide = closes.pct_change().iloc[1:] * 100
    holidays = pd.to_datetime(["2024-07-04", "2024-05-27", "2024-12-25"])
    assert not holidays.isin(wide.index).any()  # sessions of none of them
    padded = pd.concat([wide, pd.DataFrame(0.0, index=holidays, columns=symbols)]).sort_index()
    padded.index.name = "date"
    long = padded.stack().rename("ret").rename_axis(["date", "id"]).reset_index()[["id", "date", "ret"]]
    path = tmp_path / "panel.csv"

    def asked(frame: pd.DataFrame, **csv) -> str:
        """The padding question of importing ``frame`` (into a cache of its own), "" for none."""
        frame.to_csv(path, date_format="%Y-%m-%d", **csv)
        cache = tmp_path / f"c{len(list(tmp_path.glob('c*')))}"
        capsys.readouterr()
        command = ["cache", "import", "--returns", str(path), "--units", "percent", "--cache", str(cache)]
        assert main(command) == 0
        assert (cache / "returns").is_dir()  # imported as given
        lines = [line for line in capsys.readouterr().err.splitlines() if "no id moved" in line]
        assert len(lines) <= 1 and "Traceback" not in "".join(lines)
        return lines[0] if lines else ""

    row = padded.index.get_loc(pd.Timestamp("2024-05-27")) + 2  # the header is row 1
    assert asked(padded) == (
        f"eventstudy: warning: {path}, row {row}, field 'date': no id moved on 2024-05-27: each of the 6 "
        "with a row there has a return of exactly 0 or none (and on 2 more: 2024-07-04, 2024-12-25), which "
        "independent series would be by chance less than once in a million dates. A vendor's rows for days "
        "without trading (Datastream repeats the last price on holidays, a merge onto weekdays leaves "
        "blanks)? A returns-series market makes each row a session: delete the rows of such dates if so"
    )
    first = int(np.flatnonzero(long["date"] == pd.Timestamp("2024-05-27"))[0]) + 2
    assert f"panel.csv, row {first}, field 'date': no id moved on 2024-05-27" in asked(long, index=False)
    shown = padded.copy()
    shown.loc[holidays, "INTC"] = np.nan  # blank: still no id moved
    assert "each of the 6 with a row" in asked(shown)
    shown.loc[holidays] = np.nan  # a merge onto weekdays: rows of blanks
    assert "each of the 6 with a row" in asked(shown)
    late = shown.copy()
    late.loc[:"2024-06-28", ["AMD", "MSFT"]] = np.nan  # before their first return: outside their history
    assert "no id moved on 2024-05-27: each of the 4 with" in asked(late)
    shown.loc[holidays, "INTC"] = 0.25  # one series moved: a session
    assert asked(shown) == ""
    assert "each of the 3 with a row" in asked(padded[symbols[:3]])  # 3 liquid ids: no chance
    assert asked(padded[symbols[:2]]) == ""  # 2: 1 in 100,000 or so
    # Illiquid stocks unchanged on 70% of days, funds whose price never moves: days they all sat
    # still were taken for padding when a count of ids decided (a finder).
    rng = np.random.default_rng(5)
    thin = wide.iloc[:, :6].where(rng.random(wide.iloc[:, :6].shape) > 0.7, 0.0)
    assert ((thin == 0).all(axis=1)).sum() > 10  # days when none of the six traded
    funds = pd.DataFrame(0.0, index=wide.index, columns=[f"MMF{k}" for k in range(5)])
    for frame in (thin, funds, funds.assign(SPY=wide["SPY"])):
        assert asked(frame) == ""


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_returns_file_larger_than_the_memory_is_one_line_before_it_is_read(
    cache, tmp_path, capsys, monkeypatch, suffix
) -> None:
    """A long returns file peaks at about 135 bytes a cell (405 MB per million rows): a CRSP
    export of 50 million rows was killed by the system minutes into its reading, no line said."""
    from eventstudy.data import tabular

    days = pd.bdate_range("2020-01-01", periods=500).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"id": np.repeat(["AAA", "BBB"], 500), "date": np.tile(days, 2), "ret": 0.001})
    path = tmp_path / f"big.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path, index=False)
    fits = 1000 * 3 * tabular.MEMORY_PER_CELL  # 0.6 MB: what is in use already is not counted
    before = snapshot(cache)
    command = ["cache", "import", "--returns", str(path), "--units", "decimal", "--cache", str(cache)]
    monkeypatch.setattr(tabular, "available_memory", lambda: fits - 1)
    assert main(command) == 2
    assert one_line(capsys) == (
        f"eventstudy: error: {path}: 1,000 rows of 3 columns would need about 0.0 GB of memory to read (200 "
        "bytes a cell), but 0.0 GB is available; split the file by id"
    )
    assert snapshot(cache) == before
    monkeypatch.setattr(tabular, "available_memory", lambda: fits)
    assert main(command) == 0
    assert len(PriceStore(cache).read_returns_table("BBB").frame) == 500


def test_units_without_returns_files_name_the_parameter_or_the_flag(tmp_path, capsys) -> None:
    """import_paths(units=...) without returns files named the flag --units to Python callers."""
    from eventstudy.errors import ParameterError

    with pytest.raises(ParameterError) as caught:
        importer.import_paths(PriceStore(tmp_path / "cache"), [], units="percent")
    assert (caught.value.parameter, caught.value.message) == (
        "units", "declares the units of returns files, and none is given"
    )
    capsys.readouterr()
    assert main(["cache", "import", str(tmp_path), "--units", "percent", "--cache", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err == "eventstudy: error: --units: declares the units of returns files, and none is given\n"
    assert not (tmp_path / "c").exists()


def test_a_definition_without_returns_files_is_refused_not_ignored(tmp_path, shared_data, capsys) -> None:
    """`cache import prices/ --definition log` imported the price files and ignored the flag, as if
    prices' returns could be declared log (a finder); --units was refused there already."""
    from eventstudy.errors import ParameterError

    with pytest.raises(ParameterError) as caught:
        importer.import_paths(PriceStore(tmp_path / "cache"), [], definition="log")
    assert (caught.value.parameter, caught.value.message) == (
        "definition", "declares what the returns files' numbers are, and none is given"
    )
    prices = str(shared_data / "prices" / "AMD.csv")
    for flag in ("log", "simple"):
        capsys.readouterr()
        assert main(["cache", "import", prices, "--definition", flag, "--cache", str(tmp_path / "c")]) == 2
        err = capsys.readouterr().err
        message = "declares what the returns files' numbers are, and none is given"
        assert err == f"eventstudy: error: --definition: {message}\n"
        assert not (tmp_path / "c").exists()
    assert main(["cache", "import", prices, "--cache", str(tmp_path / "c")]) == 0


@pytest.mark.parametrize(
    ("columns", "where", "message"),
    [
        (
            {
                "id": ["A", "A", "A"],
                "date": ["2024-01-02", "2024-01-03", "2024-01-04"],
                "ret": [None, True, False],
            },
            (3, "ret"),
            "'true' is not a finite number",  # a flag column is text, which no number column takes
        ),
        (
            {
                "id": ["A", "A"],
                "date": pd.to_datetime(["2024-01-02", "2024-01-03"]).tz_localize("America/New_York"),
                "ret": [0.1, 0.2],
            },
            (2, "date"),
            "dates must be calendar dates, not times in a time zone (America/New_York)",
        ),
        (
            {
                "id": ["A", "A"],
                "date": pd.to_datetime(["2024-01-02 00:00", "2024-01-03 10:30"], format="ISO8601"),
                "ret": [0.1, 0.2],
            },
            (3, "date"),
            "2024-01-03 10:30:00 is not a calendar date (it has a time of day)",
        ),
    ],
    ids=["boolean returns", "zoned dates", "a time of day"],
)
def test_a_wrongly_typed_parquet_column_names_file_row_and_field(
    cache, tmp_path, capsys, columns, where, message
) -> None:
    """A parquet column of the wrong type is named with its first value's row (header = row 1)."""
    before = snapshot(cache)
    path = tmp_path / "returns.parquet"
    pd.DataFrame(columns).to_parquet(path)
    assert main(["cache", "import", "--returns", str(path), "--cache", str(cache), "--units", "percent"]) == 2
    row, field = where
    assert one_line(capsys).startswith(f"eventstudy: error: {path}, row {row}, field {field!r}: {message}")
    assert snapshot(cache) == before


def test_a_bad_file_in_a_batch_imports_nothing_of_the_batch(cache, tmp_path, capsys) -> None:
    before = snapshot(cache)
    fine = tmp_path / "fine.csv"
    fine.write_text("id,date,ret\nNEW,2024-01-02,1\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,date,ret\nOTHER,2024-01-02,-101\n")
    args = ["cache", "import", "--returns", str(fine), "--returns", str(bad), "--units", "percent"]
    assert main([*args, "--cache", str(cache)]) == 2
    assert one_line(capsys).startswith(f"eventstudy: error: {bad}, row 2, field 'ret': '-101' is a simple")
    assert snapshot(cache) == before and "NEW" not in PriceStore(cache).symbols("returns")


def test_ids_colliding_across_files_or_kinds_name_the_row_and_field(cache, tmp_path, capsys) -> None:
    before = snapshot(cache)
    first = tmp_path / "first.csv"
    first.write_text("id,date,ret\nY,2024-01-02,1\n")
    second = tmp_path / "second.csv"
    second.write_text("date,Z,Y\n2024-01-02,1,2\n")
    args = ["cache", "import", "--returns", str(first), "--returns", str(second), "--units", "percent"]
    assert main([*args, "--cache", str(cache)]) == 2
    assert one_line(capsys) == (
        f"eventstudy: error: {second}, row 1, field 'Y': returns of Y also come from {first}; "
        "import one file per symbol"
    )
    # one file named twice (two spellings) is read once, as price files are: it said its ids came
    # from itself
    args = ["cache", "import", "--returns", str(second), "--returns", f"{tmp_path}/./second.csv"]
    assert main([*args, "--units", "percent", "--cache", str(tmp_path / "twice")]) == 0
    assert "imported 2 return series (2 returns) into" in capsys.readouterr().out
    store = PriceStore(tmp_path / "twice")
    assert [store.read_returns_table(s).frame["ret"].item() for s in "ZY"] == [0.01, 0.02]
    (tmp_path / "soft.csv").symlink_to(second)  # links to it: the same file (a finder)
    os.link(second, tmp_path / "hard.csv")
    args = ["cache", "import", "--units", "percent", "--cache", str(tmp_path / "links")]
    for name in (second, tmp_path / "soft.csv", tmp_path / "hard.csv"):
        args += ["--returns", str(name)]
    assert main(args) == 0
    assert "imported 2 return series (2 returns) into" in capsys.readouterr().out
    prices = tmp_path / "GOOD.csv"  # GOOD has returns in the cache: no prices beside them
    prices.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,1,1,1,1,1\n")
    assert main(["cache", "import", str(prices), "--cache", str(cache)]) == 2
    assert one_line(capsys).startswith(
        f"eventstudy: error: {prices}, field 'file name': GOOD already has returns"
    )
    assert snapshot(cache) == before


def test_what_the_adversarial_variants_accept_is_stored_exactly(tmp_path, capsys) -> None:
    """A BOM, CRLF, padded cells and the missing-value spellings read as written; a gain of exactly
    +9,900% is at the bound, not beyond it; a device name is a safe file name."""
    path = tmp_path / "returns.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid,date,ret,market_cap\r\n"
        b"CON,2024-01-02, 1.5 ,1e12\r\n"
        b"CON,2024-01-03,nan,\r\n"
        b"CON,2024-01-04,NA,2e12\r\n"
        b"CON,2024-01-05,,\r\n"
        b"CON,2024-01-08,9900,1e21\r\n"
        b"CON,2024-01-09,-100,0\r\n"
    )
    cache = tmp_path / "cache"
    assert main(["cache", "import", "--returns", str(path), "--units", "percent", "--cache", str(cache)]) == 0
    # said 6: the missing three counted; then "(3 returns)", the three kept as missing unsaid (a finder)
    assert "1 return series (3 returns, 3 missing) into" in capsys.readouterr().out
    assert sorted(p.name for p in (cache / "returns").iterdir()) == ["_CON.parquet"]
    frame = PriceStore(cache).read_returns_table("CON").frame
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
        "2024-01-05",
        "2024-01-08",
        "2024-01-09",
    ]
    np.testing.assert_array_equal(frame["ret"], [0.015, np.nan, np.nan, np.nan, 99.0, -1.0])
    # a zero market value is no market value (CRSP's PRC = 0 means no price)
    np.testing.assert_array_equal(frame["market_cap"], [1e12, np.nan, 2e12, np.nan, 1e21, np.nan])
    assert main(["cache", "list", "--cache", str(cache)]) == 0
    assert capsys.readouterr().out.startswith("CON ")


# -- a per-event market that is not in the cache ---------------------------------------------------------
def returns_study(root: Path) -> tuple[Path, Path, Path]:
    """A returns-only cache (market MKT, stocks AAA and BBB; percent, wide), a config and an events file."""
    rng = np.random.default_rng(14)
    days = pd.bdate_range("2024-01-01", "2024-12-31")
    market = rng.normal(0.05, 1.0, len(days))
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "MKT": market})
    frame["AAA"] = 0.02 + 1.2 * market + rng.normal(0, 1.0, len(days))
    frame["BBB"] = 0.8 * market + rng.normal(0, 1.5, len(days))
    panel = root / "panel.csv"
    frame.to_csv(panel, index=False, float_format="%.17g")
    cache = root / "cache"
    assert (
        main(["cache", "import", "--returns", str(panel), "--units", "percent", "--cache", str(cache)]) == 0
    )
    config = root / "study.toml"
    config.write_text('[study]\nname = "byod"\nmarket = "MKT"\nestimation_window = [-150, -11]\n')
    events = root / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline,market\n"
        "a,2024-10-01,pre,AAA,buyer,,g,h,\n"
        "b,2024-10-08,pre,BBB,seller,,g,h,MKT\n"
    )
    return cache, config, events


def test_a_per_event_market_not_in_the_cache_touches_neither_cache_nor_output(tmp_path, capsys) -> None:
    cache, config, events = returns_study(tmp_path)
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--config", str(config), "--offline", "--cache", str(cache)]
    assert main([*args, "--out", str(out)]) == 0
    car = pd.read_parquet(out / "car.parquet")
    assert (car["outcome"] == "ok").all() and len(car) == 8  # the good run: 2 pairs x 4 windows
    capsys.readouterr()
    cache_before, out_before = snapshot(cache), snapshot(out)
    events.write_text(events.read_text().replace(",MKT\n", ",^NSEI\n"))
    assert main([*args, "--out", str(out)]) == 2
    assert one_line(capsys) == (
        f"eventstudy: error: {events}, row 3, field 'market': no cached prices or returns for '^NSEI' in "
        f"{cache} (import them with: eventstudy cache import PATH --cache {cache})"
    )
    assert snapshot(cache) == cache_before and snapshot(out) == out_before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cache",
        "events.csv",
        "out",
        "panel.csv",
        "study.toml",
    ]


# -- eventstudy infer: values that would overflow, a panel without pairs ---------------------------------
BAD_PANELS = [
    ("id,tau,ar\nA,0,0.01\nB,0,1e308\n", "decimal", (3, "ar"), "'1e308' is beyond ±10,000% (100 in decimal)"),
    ("id,tau,ar\nA,0,20000\n", "percent", (2, "ar"), "'20000' is beyond ±10,000% (10000 in percent)"),
    ("tau,A,B\n0,1e200,0.1\n", "decimal", (2, "A"), "'1e200' is beyond ±10,000%"),
    ("id,car\nA,1e308\nB,0.1\n", "decimal", (2, "car"), "'1e308' is beyond ±10,000%"),
    (
        "tau\n0\n1\n",
        "decimal",
        (1, None),
        "no abnormal returns: a wide panel has tau and one column per pair",
    ),
    # Two PERMNOs past int64 were once both cast to -2**63: one pair, named by a number not in
    # the file; past 2**53 two PERMNOs are one float. The returns import refused them already.
    (
        "permno,tau,ar\n10107,0,0.01\n100000000000000000000,0,0.02\n200000000000000000000,0,0.03\n",
        "decimal",
        (3, "permno"),
        "'100000000000000000000' is not a PERMNO (a positive whole number below 10**15)",
    ),
    (
        "PERMNO,car\n9007199254740993,0.01\n9007199254740992,0.02\n",
        "decimal",
        (2, "PERMNO"),
        "'9007199254740993' is not a PERMNO",
    ),
    ("permno,tau,ar\n-5,0,0.01\n", "decimal", (2, "permno"), "'-5' is not a PERMNO"),
]


@pytest.mark.parametrize(("body", "units", "where", "message"), BAD_PANELS)
def test_infer_refuses_overflowing_values_and_empty_panels(
    tmp_path, capsys, body, units, where, message
) -> None:
    panel = tmp_path / "ar.csv"
    panel.write_text(body)
    out = tmp_path / "stats.csv"
    assert main(["infer", "--ar", str(panel), "--units", units, "--out", str(out)]) == 2
    row, field = where
    place = f"{panel}, row {row}" + ("" if field is None else f", field {field!r}")
    assert one_line(capsys).startswith(f"eventstudy: error: {place}: {message}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ar.csv"]


def test_infer_reads_a_permno_as_its_digits_as_the_returns_import_does(tmp_path) -> None:
    """"10107" and "10107.0" are one PERMNO in an abnormal-returns panel too: one pair, whose
    CAR over [0,+1] is the sum of its two days."""
    panel = tmp_path / "ar.csv"
    panel.write_text("permno,tau,ar\n10107,0,0.01\n10107.0,1,0.02\n84398,0,0.03\n84398,1,-0.01\n")
    out = tmp_path / "stats.csv"
    args = ["infer", "--ar", str(panel), "--units", "decimal", "--window", "[0,1]", "--out", str(out)]
    assert main(args) == 0
    stats = pd.read_csv(out, encoding="utf-8-sig")
    caar = stats[(stats["statistic"] == "caar") & (stats["group"] == "all")]
    assert caar["n"].tolist() == [2]
    assert caar["value"].item() == pytest.approx((0.01 + 0.02 + 0.03 - 0.01) / 2, abs=1e-15)


# -- a year past a nanosecond timestamp's range (1677..2262) -----------------------------------------------
PRICE_HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"
FAR_DATES = [
    # (file name, text with the far date on row 3, field, extra arguments)
    ("returns.csv", "id,date,ret\nA,2024-01-02,1\nA,{date},2\n", "date", ["--returns", "--units", "percent"]),
    ("ZZZ.csv", PRICE_HEADER + "2024-01-02,1,1,1,1,1,100\n{date},1,1,1,1,1,100\n", "Date", []),
    (
        "shares_outstanding.csv",
        "ticker,as_of,shares_outstanding,filing,source\nNVDA,2024-01-02,100,10-Q,x\nNVDA,{date},100,10-Q,x\n",
        "as_of",
        [],
    ),
]


OUTSIDE = "is outside 1900..2199"
FUTURE = "is after today: an observation cannot be dated in the future"
BAD_DATES = [
    # Far dates once escaped as pandas' OutOfBoundsDatetime traceback from every table with dates
    # (returns, Yahoo prices, share counts, abnormal-return panels); a date after today cannot
    # have been observed (2052 for 2025): imported, it became a day of the series.
    *((date, OUTSIDE) for date in ("9999-12-31", "99991231", "0001-01-01", "2263-01-01")),
    *((date, FUTURE) for date in ("2150-01-02", "21500102")),
]


@pytest.mark.parametrize(("date", "problem"), BAD_DATES)
@pytest.mark.parametrize(("name", "body", "field", "flags"), FAR_DATES)
def test_a_far_or_future_date_is_one_line_not_a_crash(
    tmp_path, capsys, cache, date, problem, name, body, field, flags
) -> None:
    path = tmp_path / name
    path.write_text(body.format(date=date))
    before = snapshot(cache)
    args = ["cache", "import", *flags[:1], str(path), *flags[1:], "--cache", str(cache)]
    assert main(args) == 2
    place = f"{path}, row 3, field {field!r}"
    assert one_line(capsys) == f"eventstudy: error: {place}: {date!r} {problem}"
    assert snapshot(cache) == before


@pytest.mark.parametrize(("date", "problem"), [("99991231", OUTSIDE), ("2150-01-05", FUTURE)])
def test_a_far_or_future_date_in_an_abnormal_return_panel_is_one_line(
    tmp_path, capsys, date, problem
) -> None:
    panel = tmp_path / "ar.csv"
    panel.write_text(f"id,tau,ar,date\nA,0,1,2024-01-02\nA,1,2,{date}\n")
    assert main(["infer", "--ar", str(panel), "--units", "percent"]) == 2
    assert one_line(capsys) == f"eventstudy: error: {panel}, row 3, field 'date': {date!r} {problem}"


SHARES_HEADER = "ticker,as_of,shares_outstanding,filing,source\n"


def import_shares(tmp_path: Path, cache: Path, rows: list[str]) -> tuple[Path, dict, int]:
    """``cache import`` of a shares file of ``rows``: (its path, the cache before, the status)."""
    path = tmp_path / "shares_outstanding.csv"
    path.write_text(SHARES_HEADER + "\n".join(rows) + "\n")
    before = snapshot(cache)
    return path, before, main(["cache", "import", str(path), "--cache", str(cache)])


@pytest.mark.parametrize(
    ("later", "refused"),
    [
        (2_841_000_000_000, "1,000 times"),
        (2_841_000, "is 1/1,000 of ORCL's count"),  # a fall: it said "1,000 times"
        (142_050_000_000, None),
        (28_410_000_000, None),
    ],
)
def test_a_share_count_that_jumps_past_any_split_is_refused(tmp_path, capsys, cache, later, refused) -> None:
    """A count in thousands read as units (x1,000) once went in and made ORCL's market value
    $2.8 quadrillion, a -$34.6T headline. A split's ratio passes: 50-for-1 (Berkshire B, 2010)
    and 10-for-1 (NVDA, 2024)."""
    rows = ["MSFT,2025-01-14,7435000000,10-Q,x", "ORCL,2025-08-31,2841000000,10-Q,x"]
    path, before, status = import_shares(tmp_path, cache, [*rows, f"ORCL,2025-09-22,{later},10-Q,x"])
    if refused is None:
        assert status == 0
        capsys.readouterr()
        stored = PriceStore(cache).read_shares("ORCL")["shares_outstanding"].tolist()
        assert stored == [2_841_000_000.0, float(later)]
        return
    assert status == 2
    line = one_line(capsys)
    assert line.startswith(f"eventstudy: error: {path}, row 4, field 'shares_outstanding': ")
    assert refused in line and "ORCL's count as of 2025-08-31" in line
    assert snapshot(cache) == before


def test_a_share_count_with_a_fraction_is_refused(tmp_path, capsys, cache) -> None:
    """A count of 24,300,000,000.5 shares went in, and the import said "replaced (2025-08-22:
    24,300,000,000 -> 24,300,000,000)", a change that reads as none: a share count is a whole
    number, and a fraction is a slip (a count in millions with decimals, a column mixed up)."""
    rows = ["NVDA,2025-05-31,24300000000,10-Q,x", "NVDA,2025-08-22,24300000000.5,10-Q,x"]
    path, before, status = import_shares(tmp_path, cache, rows)
    assert status == 2
    assert one_line(capsys) == (
        f"eventstudy: error: {path}, row 3, field 'shares_outstanding': '24300000000.5' must be a whole "
        "number of shares"
    )
    assert snapshot(cache) == before
    # more than a float64 holds exactly: 2^53 + 1 was stored as 2^53, 1e20 kept, without a word
    for count in ("9007199254740993", "9007199254740992", "99999999999999999999", "1e20"):
        path, before, status = import_shares(tmp_path, cache, [f"NVDA,2025-05-31,{count},10-Q,x"])
        assert status == 2
        assert one_line(capsys) == (
            f"eventstudy: error: {path}, row 2, field 'shares_outstanding': {count!r} is more shares "
            "than are stored exactly (at most 2^53 - 1 = 9,007,199,254,740,991; Bank of China, among the "
            "most, has about 3e11)"
        )
        assert snapshot(cache) == before
    _, _, status = import_shares(tmp_path, cache, ["NVDA,2025-05-31,2.43e10,10-Q,x"])
    assert status == 0  # a whole number written with an exponent is one
    capsys.readouterr()
    assert PriceStore(cache).read_shares("NVDA")["shares_outstanding"].tolist() == [24_300_000_000.0]
    _, _, status = import_shares(tmp_path, cache, ["NVDA,2025-05-31,9007199254740991,10-Q,x"])
    assert status == 0  # the largest count stored exactly
    capsys.readouterr()
    assert PriceStore(cache).read_shares("NVDA")["shares_outstanding"].tolist() == [9007199254740991.0]


PRICES = "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,1,1,1,1,10\n"


@pytest.mark.parametrize("name", ["ORCL.csv.bak", "ORCL", "launch.toml", "ORCL.txt", "ORCL.csv~"])
def test_a_file_named_by_itself_must_be_a_csv_as_in_a_folder(tmp_path, capsys, cache, name) -> None:
    """A folder's listing takes only ``*.csv``, but a file named on the command line was taken
    whatever its name: ``ORCL.csv.bak`` (a backup in ``data/*``) became a series ``ORCL.csv``,
    and ``launch.toml`` was parsed as prices ("row 7: expected 1 fields, found 2")."""
    path = tmp_path / name
    path.write_text(PRICES)
    before = snapshot(cache)
    assert main(["cache", "import", str(path), "--cache", str(cache)]) == 2
    assert one_line(capsys) == f"eventstudy: error: {path}: {importer.NOT_CSV}"
    assert snapshot(cache) == before


def test_a_csv_suffix_in_capitals_is_a_csv(tmp_path, capsys, cache) -> None:
    path = tmp_path / "ORCL.CSV"
    path.write_text(PRICES)
    assert main(["cache", "import", str(path), "--cache", str(cache)]) == 0
    capsys.readouterr()
    assert PriceStore(cache).read_prices("ORCL")["volume"].tolist() == [10.0]


@pytest.mark.parametrize("second", ["2841000000", "2807000000"])
def test_two_share_counts_of_one_ticker_and_day_are_refused(tmp_path, capsys, cache, second) -> None:
    """Two counts as of one day were both stored, and the market value took whichever the
    lookup met last: a choice the user never saw. Equal or not, the second is refused."""
    rows = ["ORCL,2025-05-31,2807000000,10-K,x", "NVDA,2025-05-31,24400000000,10-Q,x"]
    path, before, status = import_shares(tmp_path, cache, [*rows, f"ORCL,2025-05-31,{second},10-Q,y"])
    assert status == 2
    assert one_line(capsys) == (
        f"eventstudy: error: {path}, row 4, field 'as_of': ORCL has a second share count as of 2025-05-31 "
        "(the first is on row 2): keep one"
    )
    assert snapshot(cache) == before


@pytest.mark.parametrize("odd", ["\n", "\r", "\u2028", "\x85", "\x1b[31m"])
def test_a_line_break_or_control_character_in_a_file_name_stays_on_the_one_line(
    odd: str, tmp_path, capsys
) -> None:
    """A file name holding a line break (or a terminal escape) is named escaped, as Python writes
    it in a string: the refusal stays one line (``splitlines`` breaks at U+2028 and U+0085 too)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / f"A{odd}B.csv").write_text("Date,Open,High,Low,Close,Adj Close,Volume\n")
    assert main(["cache", "import", str(folder), "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    escaped = odd.encode("unicode_escape").decode("ascii")
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert err.startswith(f"eventstudy: error: {folder}/A{escaped}B.csv, field 'file name': "), err
    assert not (tmp_path / "cache" / "prices").exists()


@pytest.mark.parametrize(("name", "body", "field", "flags"), FAR_DATES)
def test_a_future_date_before_a_far_one_is_the_row_named(
    tmp_path, capsys, cache, name, body, field, flags
) -> None:
    """The first bad date in file order is named, whichever check finds it (the year check once
    ran first and named a later row)."""
    lines = body.format(date="2150-01-02").splitlines()
    path = tmp_path / name
    path.write_text("\n".join([*lines, lines[-1].replace("2150-01-02", "9999-12-31")]) + "\n")
    args = ["cache", "import", *flags[:1], str(path), *flags[1:], "--cache", str(cache)]
    assert main(args) == 2
    assert one_line(capsys) == f"eventstudy: error: {path}, row 3, field {field!r}: '2150-01-02' {FUTURE}"


@pytest.mark.parametrize("kind", ["fifo", "folder", "broken link"])
def test_a_csv_in_a_folder_that_is_not_a_file_is_named_not_skipped(
    kind: str, tmp_path, capsys, cache
) -> None:
    """A folder import once skipped a FIFO, a folder or a broken link named .csv without a word,
    so the user's series was silently missing; a link to a file is imported as the file, and a
    hidden entry that is no file (an editor's lock file, ``.#NVDA.csv``, a broken link) is
    passed over."""
    folder = tmp_path / "in"
    folder.mkdir()
    (tmp_path / "SPY.csv").write_text(PRICE_HEADER + "2024-01-02,1,1,1,1,1,100\n")
    (folder / "LINK.csv").symlink_to(tmp_path / "SPY.csv")
    (folder / ".#LINK.csv").symlink_to("root@host.1234:1700000000")
    odd = folder / "ODD.csv"
    make = {"fifo": os.mkfifo, "folder": Path.mkdir, "broken link": lambda p: p.symlink_to(tmp_path / "gone")}
    make[kind](odd)
    before = snapshot(cache)
    refusal = f"eventstudy: error: {odd}: is not a regular file (nor a link to one); nothing imported"
    assert main(["cache", "import", str(folder), "--cache", str(cache)]) == 2
    assert one_line(capsys) == refusal
    assert snapshot(cache) == before
    if kind != "folder":  # named by itself too, not "no such file or folder"
        assert main(["cache", "import", str(odd), "--cache", str(cache)]) == 2
        assert one_line(capsys) == refusal
    # and as a returns panel (a FIFO hung the import: its bytes were hashed before it was checked)
    assert main(["cache", "import", "--returns", str(odd), "--units", "decimal", "--cache", str(cache)]) == 2
    assert one_line(capsys) == refusal
    (odd.rmdir if kind == "folder" else odd.unlink)()
    assert main(["cache", "import", str(folder), "--cache", str(cache)]) == 0
    assert PriceStore(cache).price_symbols() == ["LINK"]
    assert PriceStore(cache).read_prices("LINK")["volume"].tolist() == [100.0]


def test_the_first_bad_id_in_file_order_is_named(tmp_path, capsys, cache) -> None:
    """The ids were checked in sorted order, so a bad id sorting first (``A/B`` on row 4) was
    named before the first bad row of the file (``z/z`` on row 3)."""
    path = tmp_path / "returns.csv"
    path.write_text("id,date,ret\nGOOD,2024-01-02,1\nz/z,2024-01-02,1\nA/B,2024-01-02,1\n")
    args = ["cache", "import", "--returns", str(path), "--units", "percent", "--cache", str(cache)]
    assert main(args) == 2
    assert one_line(capsys).startswith(f"eventstudy: error: {path}, row 3, field 'id': ")


def test_a_yahoo_price_file_that_is_parquet_is_told_to_be_csv(cache, tmp_path, capsys) -> None:
    """A price file named .csv that is parquet was told to take a parquet suffix, which cache import
    then refused as not a .csv file (a finder): price files are CSV, and the line says so."""
    before = snapshot(cache)
    path = tmp_path / "AAA.csv"
    frame = pd.DataFrame({"Date": ["2024-01-02"], "Open": [1.0], "High": [1.0], "Low": [1.0], "Close": [1.0]})
    frame.assign(**{"Adj Close": 1.0, "Volume": 10}).to_parquet(path)
    assert main(["cache", "import", str(path), "--cache", str(cache)]) == 2
    said = f"eventstudy: error: {path}: a parquet file (it begins PAR1), not CSV text: export it as CSV"
    assert one_line(capsys) == said
    assert snapshot(cache) == before

"""The parquet cache: values round-trip unchanged and provenance travels in the schema."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.hashing import content_sha256, file_sha256


def test_import_keeps_values_and_records_provenance(shared_data: Path, tmp_path: Path) -> None:
    store = PriceStore(tmp_path)
    source = shared_data / "prices" / "^GSPC.csv"
    import_paths(store, [source])
    frame = store.read_prices("^GSPC")
    raw = pd.read_csv(source)
    assert len(frame) == len(raw) == 752
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["close"].tolist() == raw["Close"].tolist()  # bit-for-bit, no rounding
    assert frame["adj_close"].tolist() == raw["Adj Close"].tolist()
    provenance = store.provenance(store.price_path("^GSPC"))
    assert provenance["source"] == "yahoo-csv-import"
    assert provenance["source_sha256"] == file_sha256(source)
    assert provenance["symbol"] == "^GSPC"
    assert "auto_adjust=False" in provenance["adjustment"]
    assert provenance["library"].startswith("eventstudy ")
    assert "imported_at" in provenance
    assert not list((tmp_path / "prices").glob("*.tmp"))


def test_shares_are_split_per_ticker(shared_data: Path, tmp_path: Path) -> None:
    store = PriceStore(tmp_path)
    import_paths(store, [shared_data / "shares" / "shares_outstanding.csv"])
    nvda = store.read_shares("NVDA")
    assert nvda["as_of"].is_monotonic_increasing
    assert nvda.set_index("as_of").loc["2025-08-22", "shares_outstanding"] == 24.3e9
    assert store.read_shares("ZZZZ").empty


def test_content_hash_ignores_import_time(shared_data: Path, tmp_path: Path) -> None:
    first, second = PriceStore(tmp_path / "a"), PriceStore(tmp_path / "b")
    import_paths(first, [shared_data / "prices" / "SPY.csv"])
    import_paths(second, [shared_data / "prices" / "SPY.csv"])
    assert content_sha256(first.read_prices("SPY")) == content_sha256(second.read_prices("SPY"))
    changed = second.read_prices("SPY")
    changed.loc[10, "adj_close"] *= 1 + 1e-12
    assert content_sha256(changed) != content_sha256(first.read_prices("SPY"))


def test_unsorted_price_file_is_refused(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "prices" / "SPY.csv").read_text().splitlines()
    lines[3], lines[4] = lines[4], lines[3]
    path = tmp_path / "SPY.csv"
    path.write_text("\n".join(lines) + "\n")
    from eventstudy.errors import InputError

    with pytest.raises(InputError, match=r"row 5, field 'Date': date out of order"):
        import_paths(PriceStore(tmp_path / "cache"), [path])


# -- cache import: every input checked before the first write --------------------------------------
def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("make_bad", "words"),
    [
        (lambda folder, good: folder / "..csv", "a price file is named <SYMBOL>.csv"),
        (lambda folder, good: folder / "_lower.csv", "'_lower' is not a ticker symbol"),
        (lambda folder, good: folder / "A B.csv", "'A B' is not a ticker symbol"),
        (lambda folder, good: folder / "ÄÖ.csv", "'ÄÖ' is not a ticker symbol"),
        (
            lambda folder, good: folder / "._SPY.csv",
            "'._SPY' is not a ticker symbol: letters A-Z a-z, digits and . _ & = -, starting with a "
            "letter or digit after an optional ^ (a hidden file, such as the copy macOS leaves beside a "
            "real one: move it away)",
        ),
    ],
    ids=["dot-dot", "lower", "space", "non-ascii", "macos-copy"],
)
def test_one_bad_name_imports_nothing(shared_data: Path, tmp_path: Path, capsys, make_bad, words) -> None:
    from eventstudy.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    good = folder / "SPY.csv"
    good.write_bytes((shared_data / "prices" / "SPY.csv").read_bytes())
    bad = make_bad(folder, good)
    bad.write_bytes(good.read_bytes())
    cache = tmp_path / "cache"
    store = PriceStore(cache)
    import_paths(store, [shared_data / "prices" / "NVDA.csv"])  # the cache holds NVDA already
    before = snapshot(cache)
    for paths in ([good, bad], [folder], [bad, good]):
        assert main(["cache", "import", *map(str, paths), "--cache", str(cache)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{bad}, field 'file name': " in err and words in err, err
        assert snapshot(cache) == before  # SPY not imported, NVDA untouched


@pytest.mark.parametrize("kind", ["shares", "earnings"])
def test_a_hidden_share_or_earnings_file_is_refused_by_name(shared_data, tmp_path, capsys, kind) -> None:
    """macOS's ._shares_outstanding.csv beside the real file was read as a second share file ("shares
    of AMD also come from ._shares_outstanding.csv"), and alone it was imported (a finder)."""
    from eventstudy.cli import main

    real = next((shared_data / kind).glob("*.csv"))
    folder = tmp_path / "in"
    folder.mkdir()
    hidden = folder / f"._{real.name}"
    hidden.write_bytes(real.read_bytes())
    for paths in ([folder], [real, folder], [hidden]):
        cache = tmp_path / "cache"
        assert main(["cache", "import", *map(str, paths), "--cache", str(cache)]) == 2
        assert capsys.readouterr().err == (
            f"eventstudy: error: {hidden}, field 'file name': not imported: a hidden file, such as the copy "
            "macOS leaves beside a real one: move it away\n"
        )
        assert not cache.exists()


def test_a_bad_row_in_the_last_file_imports_nothing(shared_data: Path, tmp_path: Path, capsys) -> None:
    from eventstudy.cli import main

    lines = (shared_data / "prices" / "SPY.csv").read_text().splitlines()
    lines[700] = lines[700].split(",")[0] + ",x,1,1,1,1,1"  # a bad Open on line 701
    bad = tmp_path / "SPY.csv"
    bad.write_text("\n".join(lines) + "\n")
    cache = tmp_path / "cache"
    status = main(
        ["cache", "import", str(shared_data / "prices" / "NVDA.csv"), str(bad), "--cache", str(cache)]
    )
    err = capsys.readouterr().err
    assert status == 2 and f"{bad}, row 701, field 'Open': 'x' is not a finite number" in err, err
    assert not cache.exists()


@pytest.mark.parametrize("kind", ["prices", "shares"])
def test_rows_are_line_numbers_across_blank_lines(shared_data: Path, tmp_path: Path, kind: str) -> None:
    """A blank line in a price or share file still counts: the error names the bad record's line
    in the file (pandas' reader skips blank lines, so counting records named the line above)."""
    from eventstudy.data.importer import parse_shares_csv, parse_yahoo_csv
    from eventstudy.errors import InputError

    if kind == "prices":
        lines = (shared_data / "prices" / "SPY.csv").read_text().splitlines()[:6]
        lines[5] = lines[5].split(",")[0] + ",x,1,1,1,1,1"
        field, parse = "Open", parse_yahoo_csv
    else:
        lines = ["ticker,as_of,shares_outstanding,filing,source", "NVDA,2025-01-02,2.4e10,10-Q,sec"]
        lines += ["NVDA,2025-04-02,2.4e10,10-Q,sec", "NVDA,2025-07-02,-5,10-Q,sec"]
        field, parse = "shares_outstanding", parse_shares_csv
    lines[3:3] = ["", "   "]  # two blank lines before the last records
    path = tmp_path / f"{kind}.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        parse(path)
    assert (caught.value.row, caught.value.field) == (len(lines), field), str(caught.value)


def test_a_latin1_price_file_names_its_row_and_column(shared_data: Path, tmp_path: Path) -> None:
    from eventstudy.errors import InputError

    lines = (shared_data / "prices" / "SPY.csv").read_bytes().split(b"\n")
    lines[41] = lines[41] + b",caf\xe9"  # a Latin-1 byte on line 42, in a seventh comma field
    path = tmp_path / "SPY.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError) as caught:
        import_paths(PriceStore(tmp_path / "cache"), [path])
    assert (caught.value.row, caught.value.field) == (42, None)  # beyond the header's columns
    assert "not UTF-8 text (byte 0xe9: Latin-1 or Windows-1252?)" in str(caught.value)
    lines = (shared_data / "prices" / "SPY.csv").read_bytes().split(b"\n")
    lines[9] = lines[9].replace(b",", b",\xb1", 1)  # in the Open column of line 10
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError) as caught:
        import_paths(PriceStore(tmp_path / "cache"), [path])
    assert (caught.value.row, caught.value.field) == (10, "Open")
    assert not (tmp_path / "cache").exists()


def test_a_symbol_from_two_files_is_an_error_the_same_file_twice_is_not(
    shared_data: Path, tmp_path: Path
) -> None:
    from eventstudy.errors import InputError

    other = tmp_path / "other"
    other.mkdir()
    copy = other / "SPY.csv"
    copy.write_bytes((shared_data / "prices" / "SPY.csv").read_bytes())
    source = shared_data / "prices" / "SPY.csv"
    with pytest.raises(
        InputError, match=r"prices of SPY also come from .*SPY.csv; import one file per symbol"
    ):
        import_paths(PriceStore(tmp_path / "cache"), [source, copy])
    assert not (tmp_path / "cache").exists()
    [imported] = import_paths(
        PriceStore(tmp_path / "cache"), [source, source, shared_data / "prices" / ".." / "prices" / "SPY.csv"]
    )
    assert imported.symbols == ("SPY",)


def test_store_paths_refuse_non_symbols_and_verify_lists_legacy_names(tmp_path: Path, shared_data) -> None:
    from eventstudy.errors import InputError

    store = PriceStore(tmp_path / "cache")
    import_paths(store, [shared_data / "prices" / "SPY.csv"])
    for name in ("..", "../x", "_lower", "A" * 300, ""):
        with pytest.raises(InputError, match="no cache file can be named after it"):
            store.price_path(name)
        with pytest.raises(InputError, match="no cache file can be named after it"):
            store.shares_path(name)
    with pytest.raises(InputError, match="is not a factor table name"):
        store.factors_path("../F-F")
    assert (
        store.factors_path("F-F_Research_Data_Factors_daily").name
        == "F-F_Research_Data_Factors_daily.parquet"
    )
    legacy = store.root / "prices" / "-lower.parquet"  # not named after an identifier
    legacy.write_bytes(store.price_path("SPY").read_bytes())
    assert store.price_symbols() == ["SPY"]
    [problem] = store.verify()
    assert (problem.path, problem.kind) == (legacy, "stray_file")
    assert "its name is not a ticker symbol" in problem.detail


def _legacy_copy(store: PriceStore, symbol: str) -> Path:
    """Rewrite ``symbol``'s file as a version before 2 wrote it: the CSV hash under the old key."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from eventstudy.data.store import CONTENT_KEY, VALUES_KEY
    from eventstudy.hashing import csv_sha256

    path = store.price_path(symbol)
    table = pq.read_table(path)
    metadata = dict(table.schema.metadata)
    del metadata[VALUES_KEY]
    metadata[CONTENT_KEY] = csv_sha256(table.to_pandas(ignore_metadata=True)).encode("ascii")
    pq.write_table(pa.Table.from_arrays(table.columns, schema=table.schema.with_metadata(metadata)), path)
    return path


def test_new_files_carry_the_values_hash_and_files_of_earlier_versions_still_verify(
    shared_data: Path, tmp_path: Path
) -> None:
    """Issue 16: the content hash is version 2 (the values, not their CSV text) under a new key;
    a file written before it carries only the CSV hash under the old key, which is still checked
    and still recorded (so manifests made from it stay comparable)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from eventstudy.data.store import CONTENT_KEY, VALUES_KEY, CacheCorruptError, read_cache_table
    from eventstudy.hashing import csv_sha256

    store = PriceStore(tmp_path)
    import_paths(store, [shared_data / "prices" / "SPY.csv"])
    path = store.price_path("SPY")
    metadata = pq.read_schema(path).metadata
    assert CONTENT_KEY not in metadata
    frame = store.read_prices("SPY")
    recorded = store.read_price_table("SPY").content_sha256
    assert metadata[VALUES_KEY].decode() == content_sha256(frame) == recorded

    _legacy_copy(store, "SPY")
    legacy = store.read_price_table("SPY")
    pd.testing.assert_frame_equal(legacy.frame, frame)
    assert legacy.content_sha256 == csv_sha256(frame) != content_sha256(frame)
    for key in (CONTENT_KEY, VALUES_KEY):  # either key catches altered values
        import_paths(store, [shared_data / "prices" / "SPY.csv"])  # a fresh version-2 file
        if key == CONTENT_KEY:
            _legacy_copy(store, "SPY")
        table = pq.read_table(path)
        altered = table.to_pandas(ignore_metadata=True)
        altered.loc[100, "close"] *= 1 + 1e-15
        pq.write_table(pa.Table.from_pandas(altered, preserve_index=False).replace_schema_metadata(
            table.schema.metadata), path)  # fmt: skip
        with pytest.raises(CacheCorruptError) as caught:
            read_cache_table(path, "prices")
        assert caught.value.kind == "content_mismatch"


def test_values_hash_depends_on_the_values_not_on_their_storage() -> None:
    """content_sha256 (version 2) is a function of the names, order and values: integer widths,
    float32 vs float64 of the same numbers, NaN payloads, object vs string text and pyarrow's
    round trip give the same hash; a changed value, name, order, row or missing marker does not."""
    import numpy as np
    import pyarrow as pa

    base = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-02", "2025-01-03", None]),
            "close": [1.5, np.nan, -0.0],
            "volume": np.array([1, 2, 3], dtype=np.int64),
            "filing": ["10-K", None, "ß ünïcode"],
            "flag": [True, False, True],
        }
    )
    reference = content_sha256(base)
    other_nan = np.array([0x7FF8_0000_0000_0001], dtype=np.int64).view(np.float64)[0]  # another payload
    assert np.isnan(other_nan)
    assert content_sha256(base.assign(close=[1.5, other_nan, -0.0])) == reference
    same = base.assign(
        volume=base["volume"].astype(np.int32),
        close=base["close"].astype(np.float32),
        filing=base["filing"].astype("string"),
    )
    assert content_sha256(same) == reference
    assert content_sha256(pa.Table.from_pandas(base, preserve_index=False).to_pandas()) == reference
    for other in (
        base.assign(close=[1.5, np.nan, 0.0]),  # -0.0 and 0.0 are different values
        base.assign(filing=["10-K", "", "ß ünïcode"]),  # empty text is not missing
        base.rename(columns={"close": "adj_close"}),
        base[["close", "date", "volume", "filing", "flag"]],
        base.iloc[:2],
        base.assign(volume=base["volume"].astype(float)),  # a type change is a change
        base.set_axis([5, 6, 7]),
    ):
        assert content_sha256(other) != reference


@pytest.mark.parametrize("volume", ["-5", "-0.5", "-1e-300"])
def test_a_negative_volume_is_refused_naming_its_row(
    volume: str, shared_data: Path, tmp_path: Path, capsys
) -> None:
    """A negative volume would enter the volume model as the log of a negative number (NaN, or
    -inf at -1): the import refuses it, naming file, row and field, and writes nothing."""
    from eventstudy.cli import main

    lines = (shared_data / "prices" / "SPY.csv").read_text().splitlines()
    cells = lines[10].split(",")
    lines[10] = ",".join([*cells[:-1], volume])
    bad = tmp_path / "SPY.csv"
    bad.write_text("\n".join(lines) + "\n")
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(bad), "--cache", str(cache)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"eventstudy: error: {bad}, row 11, field 'Volume': {volume!r} is negative: a volume counts the "
        "shares traded (the abnormal-volume model takes its log)\n"
    )
    assert not (cache / "prices").exists() or not any((cache / "prices").iterdir())

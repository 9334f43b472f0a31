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
    ],
    ids=["dot-dot", "lower", "space", "non-ascii"],
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
    assert status == 2 and f"{bad}, row 701, field 'Open': 'x' is not a number" in err, err
    assert not cache.exists()


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

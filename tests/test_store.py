"""The parquet cache: values round-trip unchanged and provenance travels in the schema."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from eventstudy.importer import import_paths
from eventstudy.store import PriceStore, content_sha256, file_sha256


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

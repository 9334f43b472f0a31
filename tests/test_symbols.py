"""One symbol grammar: every place that takes a symbol accepts exactly the same ones.

The grammar (:mod:`eventstudy.symbols`) is checked against its regular expression and length
bound, then each entry point -- events.csv (ticker and market), the study config, ``--peers``, a
price file's name, a shares file's ticker column, a returns file's ids, the cache's paths,
``validate`` and ``fetch`` -- is driven with
random text: it accepts the text exactly when the grammar does, and otherwise raises an
``InputError`` (never another exception). Names longer than the file system allows go through
the command line: one line, exit 2, nothing written.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventstudy.data.acquire as acquire
from eventstudy.cli import main
from eventstudy.config import StudyConfig, load_config
from eventstudy.data.events import COLUMNS, read_events
from eventstudy.data.importer import _price_symbol, import_paths, parse_shares_csv
from eventstudy.data.returns_import import parse_returns_file
from eventstudy.data.store import PriceStore
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.peers import parse_peers
from eventstudy.symbols import (
    MAX_SYMBOL_LENGTH,
    SYMBOL_PATTERN,
    cache_stem,
    check_symbol,
    first_collision,
    identity_key,
    is_symbol,
    symbol_of_stem,
    symbol_problem,
)

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Random text: symbols (some too long), near-symbols, and anything printable on one line.
near = st.text(alphabet="ABCXYZ019.=-^_ /\\abcÄÖé\t", min_size=0, max_size=40)
anything = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"), max_size=40
)
texts = st.one_of(st.from_regex(r"\^?[A-Za-z0-9][A-Za-z0-9._&=-]{0,40}", fullmatch=True), near, anything)


@pytest.mark.parametrize(
    "symbol", ["NVDA", "BRK-B", "^GSPC", "7203.T", "0700.HK", "EURUSD=X", "GC=F", "A", "X" * 32]
)
def test_yahoo_symbols_are_symbols(symbol: str) -> None:
    assert is_symbol(symbol) and symbol_problem(symbol) is None
    assert check_symbol(symbol, "here") == symbol


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (" NVDA", "(surrounding blanks? 'NVDA' is one)"),
        ("A B", "not a ticker symbol: letters A-Z a-z, digits and . _ & = -"),
        ("ÄÖ", "not a ticker symbol: letters A-Z a-z"),
        # a Cyrillic A prints like NVDA: the message names the character (an audit)
        ("NVD\u0410", "(character 4 is 'А', U+0410, not ASCII)"),
        ("_CON", "not a ticker symbol"),
        ("-X", "not a ticker symbol"),
        ("..", "not a ticker symbol"),
        (".NVDA", "not a ticker symbol"),
        ("", "not a ticker symbol"),
        ("^", "not a ticker symbol"),
        ("A/B", "not a ticker symbol"),
        ("X" * 33, "longer than 32 characters"),
        ("A" * 300, "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'... (300 characters)"),
        (5, "5 is not a ticker symbol (expected text"),
        (None, "None is not a ticker symbol"),
    ],
)
def test_non_symbols_are_named_in_one_short_line(text: object, words: str) -> None:
    assert not is_symbol(text)
    with pytest.raises(InputError) as caught:
        check_symbol(text, "events.csv", row=7, field="ticker")
    message = str(caught.value)
    assert message.startswith("events.csv, row 7, field 'ticker': ") and words in message
    assert "\n" not in message and len(message) < 250


@EXAMPLES
@given(texts)
def test_the_grammar_is_the_regex_and_the_bound(text: str) -> None:
    expected = re.fullmatch(SYMBOL_PATTERN, text, re.ASCII) is not None and len(text) <= MAX_SYMBOL_LENGTH
    assert is_symbol(text) == expected
    if expected:  # a safe file name: no separator, not hidden, far from the 255-byte limit
        assert "/" not in text and not text.startswith(".")
        temp = f".{text}.parquet.abcdefgh.tmp"
        assert len(temp.encode()) <= 64


def accepts(call) -> bool:
    """True if ``call()`` returns; False on InputError; any other exception fails the test."""
    try:
        call()
    except InputError:
        return False
    return True


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def events_file(folder: Path, ticker: str, market: str | None = None) -> Path:
    path = folder / "events.csv"
    header = ",".join(COLUMNS) + ("" if market is None else ",market")
    row = f"e1,2025-01-21,pre,{quoted(ticker)},supplier,1e9,g,h" + (
        "" if market is None else f",{quoted(market)}"
    )
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    return path


def returns_file(folder: Path, ident: str) -> Path:
    path = folder / "returns.csv"
    path.write_text(f"id,date,ret\n{quoted(ident)},2025-01-21,0.01\n", encoding="utf-8")
    return path


def config_file(folder: Path, key: str, ticker: str) -> Path:
    path = folder / "study.toml"
    value = '"' + ticker.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'
    body = {
        "market": f"[study]\nmarket = {value}\n",
        "sector": f'[study]\nmodel = "sector"\nsector = {value}\n',
        "peers": f"[study]\npeers = [{value}]\n",
        "caveat": f'[[shares.caveats]]\nticker = {value}\nfrom = 2025-01-02\nnote = "n"\n',
    }[key]
    path.write_text(body, encoding="utf-8")
    return path


def shares_file(folder: Path, ticker: str) -> Path:
    path = folder / "shares_outstanding.csv"
    quoted = '"' + ticker.replace('"', '""') + '"'
    path.write_text(f"ticker,as_of,shares_outstanding,filing,source\n{quoted},2025-01-02,5e9,f,s\n")
    return path


@EXAMPLES
@given(texts.filter(lambda t: t == t.strip()))  # the CSV readers strip surrounding blanks
def test_every_entry_point_accepts_exactly_the_grammar(text: str) -> None:
    expected = is_symbol(text)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        assert accepts(lambda: read_events(events_file(folder, text))) == expected
        for key in ("market", "peers", "caveat"):
            assert accepts(lambda key=key: load_config(config_file(folder, key, text))) == expected, key
        if text != "SPY":
            assert accepts(lambda: load_config(config_file(folder, "sector", text))) == expected
        if text and "," not in text:
            assert accepts(lambda: parse_peers(text)) == expected
        assert accepts(lambda: parse_shares_csv(shares_file(folder, text))) == expected
        if text:  # a blank market is the study's market
            assert accepts(lambda: read_events(events_file(folder, "NVDA", market=text))) == expected
        assert accepts(lambda: parse_returns_file(returns_file(folder, text), units="decimal")) == expected
        if text and "/" not in text and "\\" not in text and text not in (".", ".."):
            assert accepts(lambda: _price_symbol(Path(f"{text}.csv"))) == expected
        store = PriceStore(folder / "cache")
        for path_of in (store.price_path, store.shares_path):
            assert accepts(lambda path_of=path_of: path_of(text)) == expected
        assert accepts(lambda: check_symbol(text, "SYMBOL")) == expected
    if expected:  # the Python API: the dataclass takes the same symbols, else a ValueError naming the field
        assert StudyConfig(market=text).market == text
        other = "QQQ" if text == "SPY" else "SPY"  # the market itself is no peer
        assert StudyConfig(market=other, peers=(text,)).peers == (text,)
    else:
        with pytest.raises(ValueError, match=r"^market: "):
            StudyConfig(market=text)


# -- names longer than the file system allows, through the command line ------------------------
LONG = "A" * 300


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_long_ticker_in_events_csv(tmp_path: Path, capsys) -> None:
    events = events_file(tmp_path, LONG)
    out = tmp_path / "out"
    cache = str(tmp_path / "c")
    status = main(["run", "--events", str(events), "--offline", "--cache", cache, "--out", str(out)])
    assert status == 2
    assert f"{events}, row 2, field 'ticker': " in one_line(capsys)
    assert not out.exists() and not (tmp_path / "c").exists()


def test_long_symbol_in_validate_and_fetch(tmp_path: Path, capsys, monkeypatch) -> None:
    cache = tmp_path / "cache"
    assert main(["validate", LONG, "--cache", str(cache)]) == 2
    assert "SYMBOL: 'AAAA" in one_line(capsys)
    assert main(["validate", "--market", "S&P 500", "--cache", str(cache)]) == 2
    assert "--market: 'S&P 500' is not a ticker symbol: letters" in one_line(capsys)
    monkeypatch.setattr(acquire, "fetch_symbols", lambda *a, **k: pytest.fail("fetched"))
    assert main(["fetch", "NVDA", LONG, "--cache", str(cache)]) == 2
    assert "longer than 32 characters" in one_line(capsys)
    assert not cache.exists()


@pytest.mark.parametrize("name", ["A" * 250, "_lower", "A B", "ÄÖ", ".", "-X", "^"])
def test_cache_import_refuses_names_events_csv_refuses(
    shared_data: Path, tmp_path: Path, capsys, name: str
) -> None:
    good = tmp_path / "NVDA.csv"
    good.write_bytes((shared_data / "prices" / "NVDA.csv").read_bytes())
    bad = tmp_path / f"{name}.csv"
    bad.write_bytes(good.read_bytes())
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(good), str(bad), "--cache", str(cache)]) == 2
    assert f"{bad}, field 'file name': a price file is named <SYMBOL>.csv" in one_line(capsys)
    assert not cache.exists()  # nothing imported, not even NVDA.csv given first


def test_a_doubled_extension_is_refused_and_two_links_to_one_file_are_two_symbols(
    shared_data: Path, tmp_path: Path, capsys
) -> None:
    """NVDA.csv.csv (a hidden extension doubled) was imported as the symbol 'NVDA.csv'; two links
    to one file, AAA.csv and BBB.csv, imported one symbol, the other dropped without a word (an
    audit)."""
    doubled = tmp_path / "NVDA.csv.csv"
    doubled.write_bytes((shared_data / "prices" / "NVDA.csv").read_bytes())
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(doubled), "--cache", str(cache)]) == 2
    assert f"{doubled}, field 'file name': 'NVDA.csv.csv' ends in .csv twice" in one_line(capsys)
    assert not cache.exists()
    folder = tmp_path / "links"
    folder.mkdir()
    for name in ("AAA", "BBB"):
        (folder / f"{name}.csv").symlink_to(shared_data / "prices" / "NVDA.csv")
    assert main(["cache", "import", str(folder), str(folder / "AAA.csv"), "--cache", str(cache)]) == 0
    capsys.readouterr()
    assert PriceStore(cache).symbols("prices") == ["AAA", "BBB"]  # AAA.csv named twice: once


def test_shares_file_with_a_long_ticker(tmp_path: Path, capsys) -> None:
    path = shares_file(tmp_path, LONG)
    cache = tmp_path / "cache"
    assert main(["cache", "import", str(path), "--cache", str(cache)]) == 2
    assert f"{path}, row 2, field 'ticker': " in one_line(capsys)
    with pytest.raises(InputError):
        import_paths(PriceStore(cache), [path])
    assert not cache.exists()


# -- case: identifiers are case-sensitive, and unique once case is folded ------------------------
symbols = st.from_regex(r"\^?[A-Za-z0-9][A-Za-z0-9._&=-]{0,31}", fullmatch=True).filter(is_symbol)


@pytest.mark.parametrize("symbol", ["HDFC.Bank", "RELIANCE.NS", "^NSEI", "M&M.NS", "10107", "nifty", "BRK_B"])
def test_data_sets_identifiers_are_identifiers(symbol: str) -> None:
    assert is_symbol(symbol) and symbol_of_stem(cache_stem(symbol)) == symbol


@EXAMPLES
@given(symbols)
def test_every_identifier_has_one_safe_cache_file_name(symbol: str) -> None:
    stem = cache_stem(symbol)
    assert symbol_of_stem(stem) == symbol  # the listing maps the file back
    assert "/" not in stem and "\\" not in stem and not stem.startswith(".")
    device = stem.split(".", 1)[0].upper()
    assert device not in {
        "CON",
        "PRN",
        "AUX",
        "NUL",
        *(f"COM{i}" for i in range(1, 10)),
        *(f"LPT{i}" for i in range(1, 10)),
    }
    # Two identifiers share a file name on a case-insensitive file system exactly when they collide.
    other = symbol.swapcase()
    if is_symbol(other):
        same_file = cache_stem(symbol).upper() == cache_stem(other).upper()
        assert same_file == (identity_key(symbol) == identity_key(other))
        assert first_collision([symbol, other]) == (None if other == symbol else (symbol, other))


def test_device_names_are_escaped_and_listed_back(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "cache")
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-02"]), "ret": [0.01], "market_cap": [float("nan")]}
    )
    for name in ("CON", "nul.NS", "COM1", "CONX"):
        store.write_returns(name, frame, {"source": "test", "symbol": name})
    files = sorted(p.name for p in (tmp_path / "cache" / "returns").glob("*.parquet"))
    assert files == ["CONX.parquet", "_COM1.parquet", "_CON.parquet", "_nul.NS.parquet"]
    assert store.symbols("returns") == ["COM1", "CON", "CONX", "nul.NS"]
    assert store.read_returns_table("nul.NS").provenance["symbol"] == "nul.NS"
    assert store.verify() == []


def test_a_case_twin_is_named_in_the_not_cached_message(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "cache")
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-02"]), "ret": [0.01], "market_cap": [float("nan")]}
    )
    store.write_returns("HDFC.Bank", frame, {"source": "test", "symbol": "HDFC.Bank"})
    with pytest.raises(
        DataUnavailableError, match=r"the cache holds 'HDFC.Bank' \(returns\), which differs only in case"
    ):
        store.read_series_table("HDFC.BANK")


def test_a_case_insensitive_file_system_finding_the_twin_is_a_clear_error(tmp_path: Path, monkeypatch):
    """On macOS or Windows, returns/HDFC.BANK.parquet opens HDFC.Bank's file: the read says so.
    (Here both files are listed, as a case-insensitive file system would not: the folder's
    listing is made to show HDFC.Bank's only.)"""
    import eventstudy.data.store as store_module

    monkeypatch.setattr(store_module, "_listed_as", lambda path, filesystem: False)
    store = PriceStore(tmp_path / "cache")
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-02"]), "ret": [0.01], "market_cap": [float("nan")]}
    )
    store.write_returns("HDFC.Bank", frame, {"source": "test", "symbol": "HDFC.Bank"})
    folder = tmp_path / "cache" / "returns"
    (folder / "HDFC.BANK.parquet").write_bytes(
        (folder / "HDFC.Bank.parquet").read_bytes()
    )  # what such a FS shows
    with pytest.raises(
        DataUnavailableError,
        match=r"no cached returns for 'HDFC.BANK'.*holds 'HDFC.Bank'.*differs only in case",
    ):
        store.read_returns_table("HDFC.BANK")


def test_fetch_never_writes_a_case_twin_or_over_returns(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "cache")
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-02"]), "ret": [0.01], "market_cap": [float("nan")]}
    )
    store.write_returns("nifty", frame, {"source": "test", "symbol": "nifty"})

    def fetch_prices(*args):
        pytest.fail("no request may be made")

    report = acquire.fetch_symbols(
        store, ["NIFTY", "nifty"], dt.date(2024, 1, 1), dt.date(2024, 2, 1), fetch_prices=fetch_prices
    )
    assert "differs only in case from the cached 'nifty'" in report.failures["NIFTY"]
    assert "is cached as a returns series" in report.failures["nifty"]
    assert store.symbols("prices") == []

"""Prices quoted outside the US give no dollar values: a close in yen times a share count is not
a market value in US dollars (7203.T's would be about 150 times too large)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _studies import run_rows

from eventstudy.backtest.rules import BacktestConfig
from eventstudy.data.importer import import_paths
from eventstudy.data.store import PriceStore
from eventstudy.exchanges import SUFFIX_CURRENCY, quote_currency, same_exchange, trades_on_new_york_hours


def test_every_equity_suffix_of_yfinance_is_known() -> None:
    """The suffixes yfinance maps exchanges' MICs to (its US futures exchanges' aside): one
    missing is taken for a US listing, its prices for dollars and its hours for New York's."""
    from yfinance.const import _MIC_TO_YAHOO_SUFFIX

    us_futures = {"CBT", "CME", "NYB", "CMX", "NYM", ""}
    assert set(_MIC_TO_YAHOO_SUFFIX.values()) - us_futures - set(SUFFIX_CURRENCY) == set()


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("7203.T", ("JPY", "Tokyo")),
        ("RELIANCE.NS", ("INR", "National Stock Exchange of India")),
        ("M&M.NS", ("INR", "National Stock Exchange of India")),
        ("ASML.AS", ("EUR", "Euronext Amsterdam")),
        ("VOD.L", ("GBp", "London, in pence")),
        ("2330.TW", ("TWD", "Taiwan")),
        # Yahoo's Saudi listings end in .SR (2222.SR, Aramco): read as US dollars, their riyal
        # values were 3.75 times too large, and validate and earnings timing took New York's clock
        ("2222.SR", ("SAR", "Saudi Exchange (Tadawul)")),
        ("SBER.ME", ("RUB", "Moscow")),
        ("BMW.BM", ("EUR", "Bremen")),
        ("BMW.HA", ("EUR", "Hanover")),
        ("VODL.XC", ("GBp", "Cboe UK, in pence")),
        ("VODL.AQ", ("GBp", "Aquis, in pence")),
        # the rest of yfinance's suffixes: FPT.VN's dong were read as dollars, 25,000 times too large
        ("FPT.VN", ("VND", "Ho Chi Minh City")),
        ("0R2V.IL", ("USD or another currency", "London International Order Book")),
        ("NVDA", None),
        ("BRK-B", None),
        ("HDFC.Bank", None),  # a label of the R package eventstudies' data, not an exchange suffix
        ("^N225", None),  # an index level is no market value
        ("7203.t", None),  # Yahoo's suffixes are capitals
        ("EURUSD=X", None),
    ],
)
def test_quote_currency_of_yahoo_suffixes(symbol, expected) -> None:
    assert quote_currency(symbol) == expected
    us_listing = expected is None and not symbol.startswith("^") and "=" not in symbol
    assert same_exchange(symbol, "SPY") == us_listing  # validate's calendar check of the market
    assert trades_on_new_york_hours(symbol) == (expected is None)  # earnings times' clock


@pytest.fixture(scope="module")
def cache(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AMD's prices twice, as 7203.T (a Tokyo listing) and as TOYO (no suffix), with one count."""
    folder = tmp_path_factory.mktemp("prices")
    for name, source in (("7203.T", "AMD"), ("TOYO", "AMD"), ("SPY", "SPY")):
        shutil.copy(shared_data / "prices" / f"{source}.csv", folder / f"{name}.csv")
    (folder / "shares_outstanding.csv").write_text(
        "ticker,as_of,shares_outstanding,filing,source\n"
        "7203.T,2024-01-02,1600000000,x,t\n"
        "TOYO,2024-01-02,1600000000,x,t\n"
    )
    root = tmp_path_factory.mktemp("cache")
    import_paths(PriceStore(root), [folder])
    return root


def test_a_tokyo_listing_has_returns_but_no_dollar_values(cache, tmp_path) -> None:
    rule = BacktestConfig(holding_days=(1,), drift_days=(1,), weighting="value")
    rows = ["tokyo,2025-03-10,pre,7203.T,announcer,1e9,g,x", "plain,2025-03-10,pre,TOYO,announcer,1e9,h,x"]
    results = run_rows(cache, tmp_path, rows, backtest=rule, volume=None)
    car = results.car.set_index(["event_id", "window"])
    tokyo, plain = car.loc["tokyo"], car.loc["plain"]
    # The same prices: the same abnormal returns and tests.
    for column in ("car", "car_se", "t", "p"):
        np.testing.assert_array_equal(tokyo[column].to_numpy(), plain[column].to_numpy())
    assert plain["mcap_prev_usd"].notna().all() and plain["abnormal_value_usd"].notna().all()
    for column in ("mcap_prev_usd", "abnormal_value_usd", "value_to_deal"):
        assert tokyo[column].isna().all(), column
    assert tokyo["note"].str.startswith("no market value in US dollars: 7203.T is quoted in JPY").all()
    stats = results.stats
    dollars = stats[(stats.statistic == "dollar_abnormal_value") & (stats.window == "[-1,+1]")]
    dollars = dollars.set_index("group")
    assert dollars.loc["g", "n"] == 0 and dollars.loc["h", "n"] == 1
    trades = results.backtest.trades.set_index("event_id")
    assert trades.loc["tokyo", "outcome"] == "no_market_value"
    assert "not in US dollars" in trades.loc["tokyo", "note"]
    assert trades.loc["plain", "outcome"] == "ok"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("INFY", 5e12), ("INFY.NS", None)],  # a US label: the file's dollars; .NS: rupees, so none
)
def test_a_returns_series_brings_its_market_values_unless_its_id_is_quoted_abroad(
    cache, tmp_path, name, expected
) -> None:
    from eventstudy.cli import main

    panel = tmp_path / "returns.csv"
    days = pd.bdate_range("2024-01-02", "2025-06-30")
    panel.write_text("id,date,ret,market_cap\n" + "".join(f"{name},{d:%Y-%m-%d},0.1,5e12\n" for d in days))
    root = tmp_path / "cache"
    shutil.copytree(cache, root)
    assert main(["cache", "import", "--returns", str(panel), "--units", "percent", "--cache", str(root)]) == 0
    car = run_rows(root, tmp_path, [f"e,2025-03-10,pre,{name},announcer,1e9,g,x"]).car
    if expected is None:
        assert car["mcap_prev_usd"].isna().all() and car["value_to_deal"].isna().all()
        assert car["note"].str.startswith(f"no market value in US dollars: {name} is quoted in INR").all()
    else:
        assert (car["mcap_prev_usd"] == expected).all()


def test_log_returns_give_no_dollar_values(cache, tmp_path) -> None:
    """Sum AR_log x MV is no dollar change: ORCL's +$243B of 2025-09-10 would read +$207B."""
    rows = ["plain,2025-03-10,pre,TOYO,announcer,1e9,h,x"]
    simple = run_rows(cache, tmp_path, rows).car
    log = run_rows(cache, tmp_path, rows, returns="log").car
    assert simple["abnormal_value_usd"].notna().all()
    assert log["car"].notna().all() and log["abnormal_value_usd"].isna().all()
    assert log["mcap_prev_usd"].isna().all()
    assert log["note"].str.startswith('no dollar value with log returns (returns = "log")').all()


def test_the_modules_examples_hold() -> None:
    """The docstring examples of exchanges.py (same_exchange, names_no_exchange, ...) are its
    specification: run them."""
    import doctest

    import eventstudy.exchanges

    result = doctest.testmod(eventstudy.exchanges)
    assert result.failed == 0 and result.attempted >= 6

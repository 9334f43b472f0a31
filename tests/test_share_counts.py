"""The share-count plausibility check, on imported files and on Yahoo's counts alike.

A count in thousands or millions read as units makes every dollar figure of its ticker 1,000 or
1,000,000 times wrong; a split moves the count by its ratio. The import path is tested in
``test_byod_bad_input.py``; here the check itself (against a loop written from its definition)
and the fetch path, which once stored such counts unchecked.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.cli import main
from eventstudy.data.acquire import fetch_missing
from eventstudy.data.shares import MAX_SHARE_COUNT_RATIO, share_count_jump
from eventstudy.data.store import SHARES_COLUMNS, PriceStore
from eventstudy.data.yahoo import fetch_shares
from eventstudy.errors import ImplausibleDataError

START, END = dt.date(2025, 1, 2), dt.date(2025, 10, 31)


def _first_jump(rows: list[tuple[str, int, float]]) -> int | None:
    """The definition: for each ticker, its counts in date order (ties in row order); a count
    whose ratio to the one before exceeds the bound is a jump; the answer is the jump that comes
    first in the rows."""
    jumps = []
    for ticker in {t for t, _, _ in rows}:
        mine = sorted((day, i) for i, (t, day, _) in enumerate(rows) if t == ticker)
        for (_, before), (_, i) in itertools.pairwise(mine):
            a, b = rows[before][2], rows[i][2]
            if max(a / b, b / a) > MAX_SHARE_COUNT_RATIO:
                jumps.append(i)
    return min(jumps, default=None)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ORCL", "NVDA", "A"]),
            st.integers(0, 6),
            st.sampled_from([1e6, 2.84e9, 2.84e9 * 99.9, 2.84e9 * 100.1, 2.84e12, 7.4e9, 24.3e9, 1.0]),
        ),
        max_size=12,
    )
)
def test_the_first_jump_is_the_one_the_definition_names(rows) -> None:
    frame = pd.DataFrame(
        {
            "ticker": [t for t, _, _ in rows],
            "as_of": pd.to_datetime([f"2025-01-{day + 1:02d}" for _, day, _ in rows]),
            "shares_outstanding": np.array([c for _, _, c in rows], dtype=float),
        }
    )
    jump = share_count_jump(frame)
    expected = _first_jump(rows)
    assert (None if jump is None else jump.position) == expected
    if jump is not None:
        assert jump.count == rows[expected][2] and jump.ticker == rows[expected][0]
        ratio = max(jump.count / jump.previous_count, jump.previous_count / jump.count)
        assert jump.factor == ratio > MAX_SHARE_COUNT_RATIO


def _history(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    dates = pd.bdate_range(start, end).astype("datetime64[ns]")
    close = 100.0 + np.arange(len(dates)) * 0.1
    columns = {"open": close, "high": close, "low": close, "close": close, "adj_close": close}
    return pd.DataFrame({"date": dates, **columns, "volume": np.full(len(dates), 1e6)})


def _yahoo_counts(*counts: float):
    """``get_shares_full`` as yfinance returns it: counts on a tz-aware index of Yahoo timestamps."""
    stamps = pd.DatetimeIndex(["2025-03-03 16:00", "2025-06-02 16:00", "2025-09-02 16:00"][: len(counts)])
    series = pd.Series(np.array(counts, dtype="int64"), index=stamps.tz_localize("America/New_York"))
    return lambda symbol, start, end: fetch_shares(symbol, start, end, get_shares_full=lambda **_: series)


@pytest.mark.parametrize(
    ("counts", "refused"),
    [
        ((2_807_000_000, 2_841_000_000, 2_841_000_000_000), "1,000 times"),  # thousands read as units
        ((2_807_000_000, 2_807_000, 2_841_000_000), "1/1,000 of"),  # a count in thousands
        ((2_449_000_000, 24_490_000_000, 24_400_000_000), None),  # NVDA's 10-for-1 split
        ((2_807_000_000, 2_841_000_000, 2_873_000_000), None),
    ],
)
def test_yahoo_counts_that_jump_past_any_split_are_refused_and_not_stored(
    tmp_path: Path, counts, refused
) -> None:
    """Yahoo's counts once bypassed the import's check: a x1,000 count was stored and every
    market value of the ticker followed it."""
    store = PriceStore(tmp_path)
    run = lambda: fetch_missing(  # noqa: E731
        store, ["ORCL"], START, END, fetch_prices=_history, fetch_shares=_yahoo_counts(*counts),
        tickers_with_shares=["ORCL"], sleep=pytest.fail,
    )
    if refused is None:
        assert run() == ["ORCL"]
        assert store.read_shares("ORCL")["shares_outstanding"].tolist() == [float(c) for c in counts]
        return
    with pytest.raises(ImplausibleDataError) as info:
        run()
    message = str(info.value)
    assert refused in message and "'ORCL'" in message and "none of them was stored" in message
    assert "eventstudy cache import" in message and ",".join(SHARES_COLUMNS) in message
    assert not store.shares_path("ORCL").exists()
    assert store.has_series("ORCL")  # the prices fetched before are kept: the cache is the tool's


def test_an_infinite_yahoo_count_stops_the_fetch_and_stores_none_of_the_counts(tmp_path: Path) -> None:
    """fetch_shares refused an infinite count, and fetch_missing took that for 'no counts': the
    ticker's good counts were dropped without a word, every market value was empty, and each run
    asked again (review of fe1d987). It stops as a unit slip does."""
    store = PriceStore(tmp_path)
    stamps = pd.DatetimeIndex(["2025-03-03 16:00", "2025-06-02 16:00"]).tz_localize("America/New_York")
    raw = pd.Series([2.8e9, np.inf], index=stamps)

    def counts(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        return fetch_shares(symbol, start, end, get_shares_full=lambda **_: raw)

    with pytest.raises(ImplausibleDataError) as info:
        fetch_missing(
            store, ["ORCL"], START, END, fetch_prices=_history, fetch_shares=counts,
            tickers_with_shares=["ORCL"], sleep=pytest.fail,
        )
    message = str(info.value)
    assert "count of 2025-06-02 for 'ORCL'" in message and "not a finite number" in message
    assert "none of them was stored: import counts you trust" in message and "\n" not in message
    assert not store.shares_path("ORCL").exists()


def test_a_run_on_yahoo_counts_with_a_unit_slip_stops_in_one_line(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    import eventstudy.data.acquire as acquire

    def counts_of(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        return _yahoo_counts(2_841_000_000, 2_841_000_000_000)(symbol, start, end)

    monkeypatch.setattr(acquire, "fetch_missing", _with_fetchers(acquire.fetch_missing, _history, counts_of))
    events, out, cache = tmp_path / "events.csv", tmp_path / "out", tmp_path / "cache"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "openai-300b,2025-09-10,pre,ORCL,partner,300e9,g,h\n",
        encoding="utf-8",
    )
    status = main(["run", "--events", str(events), "--no-peers", "--out", str(out), "--cache", str(cache)])
    captured = capsys.readouterr()
    assert status == 2 and captured.err.count("\n") == 1 and captured.out == "", captured.err
    assert captured.err.startswith("eventstudy: error: Yahoo's share counts of 'ORCL'")
    assert "as of 2025-06-02" in captured.err and "1,000 times" in captured.err
    assert not out.exists() and not PriceStore(cache).shares_path("ORCL").exists()


def _with_fetchers(function, prices, shares):
    def call(*args, **kwargs):
        return function(*args, **{**kwargs, "fetch_prices": prices, "fetch_shares": shares})

    return call


def _volumes(volume: float, days: int = 100) -> pd.DataFrame:
    dates = pd.bdate_range("2025-01-02", periods=days)
    return pd.DataFrame({"date": dates, "volume": np.full(days, volume)})


def _counts(*rows: tuple[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of": pd.to_datetime([d for d, _ in rows]),
            "shares_outstanding": [c for _, c in rows],
            "filing": "10-Q",
        }
    )


def test_a_count_below_the_median_daily_volume_is_named_on_the_volumes_basis() -> None:
    """A ticker's only count has no earlier one to be compared with: ORCL's 2,841 million given
    in thousands passed, and every dollar value was 1,000 times too small. No stock trades more
    than its shares on a median day."""
    from eventstudy.valuation import TURNOVER_SESSIONS, implausible_count

    prices = _volumes(10e6)
    prices.loc[40:, "volume"] = 30e6  # the median of the 60 sessions before 2025-04-30 (day 84): 30M
    below = implausible_count("ORCK", _counts(("2025-04-30", 2_841_000.0)), prices)
    assert below is not None and below.median_volume == 30e6 and below.split == 1.0
    assert below.describe().startswith(
        "2,841,000 shares as of 2025-04-30 is less than ORCK's median daily volume over the 60 sessions "
        "before (30,000,000 shares)"
    )
    early = implausible_count("ORCK", _counts(("2025-02-14", 25e6)), prices)  # days 0-32: 10M
    assert TURNOVER_SESSIONS == 60 and early is None
    assert implausible_count("ORCK", _counts(("2025-04-30", 2_841e6)), prices) is None
    # A count dated before the first price gives every market value when it is the only one: it
    # passed unchecked (100,000 for 100 million shares: $7.65M for $10B, a finder). It is
    # compared with the first sessions' median.
    before = implausible_count("ORCK", _counts(("2024-12-31", 1.0)), prices)
    assert before is not None and before.first_sessions and before.median_volume == 10e6
    assert before.describe().startswith(
        "1 shares as of 2024-12-31 is less than ORCK's median daily volume over its first 60 sessions "
        "(10,000,000 shares)"
    )
    assert implausible_count("ORCK", _counts(("2024-12-31", 2.841e9)), prices) is None
    # Only the last count before the first price gives a value: an older one is not judged (a
    # company's 30M shares of 2015, diluted to 1.77B by 2023, stopped a study: a finder).
    history = _counts(("2015-06-30", 30e6), ("2024-12-31", 1.77e9))
    assert implausible_count("ORCK", history, prices) is None
    # A count dated inside the first 60 sessions is judged on them, as one dated before: an IPO's
    # count dated on its listing day was compared with that day's volume alone (a finder).
    ipo = _volumes(1.5e6)
    ipo.loc[0, "volume"], ipo.loc[1, "volume"] = 40e6, 25e6  # the listing days
    for day in ("2024-12-31", "2025-01-02", "2025-01-03"):
        assert implausible_count("ORCK", _counts((day, 30e6)), ipo) is None, day
    # Yahoo's volumes hold every later split: a count before a 10-for-1 is compared times 10.
    split = _counts(("2025-02-14", 2e6), ("2025-04-30", 20e6))
    assert implausible_count("ORCK", split, _volumes(5e6)) is None
    below = implausible_count("ORCK", split, _volumes(50e6))
    assert below is not None and below.split == 10.0 and below.count == 2e6
    assert "(times 10, a later split's ratio, as volumes are)" in below.describe()
    # Days without a trade are not the median's.
    idle = _volumes(10e6)
    idle.loc[::2, "volume"] = 0.0
    assert implausible_count("ORCK", _counts(("2025-04-30", 9e6)), idle) is not None


def test_a_count_far_above_the_trading_is_named_too() -> None:
    """Every count of a ticker 1,000 times too large (ORCL at 2.84 trillion shares, the slip the
    shares module names) had no earlier count to be compared with and passed: a market value of
    $199T, value per deal dollar 2,156 (a finder). No stock trades less than 1/50,000 of its
    shares on a median day (a share traded once in 200 years; the launch's counts are at most
    518 times their median volume)."""
    from eventstudy.valuation import MAX_COUNT_PER_VOLUME, implausible_count

    prices = _volumes(2e6)
    assert MAX_COUNT_PER_VOLUME == 50_000
    above = implausible_count("ORCK", _counts(("2025-04-30", 2.841e12)), prices)
    assert above is not None and above.count == 2.841e12 and above.median_volume == 2e6
    assert above.describe().startswith(
        "2,841,000,000,000 shares as of 2025-04-30 is 1,420,500 times ORCK's median daily volume over the "
        "60 sessions before (2,000,000 shares): no stock trades less than 1/50,000 of its shares on a "
        "median day, so is the count scaled up by a unit slip (a count in shares read as thousands), or "
        "of another listing or class of shares than the prices"
    )
    assert implausible_count("ORCK", _counts(("2025-04-30", 1e11)), prices) is None  # 50,000 times
    assert implausible_count("ORCK", _counts(("2025-04-30", 1.0001e11)), prices) is not None


def test_a_run_with_a_count_in_thousands_stops_in_one_line(shared_data: Path, tmp_path: Path, capsys) -> None:
    """ORCL's prices as ORCK with one count of 2,841,000 (thousands): the run wrote a market
    value of $686.1M for $686.1B, and a value per deal dollar of 0.0008 for 0.81."""
    source = tmp_path / "source"
    source.mkdir()
    for symbol, name in (("SPY", "SPY"), ("ORCL", "ORCK")):
        (source / f"{name}.csv").write_text((shared_data / "prices" / f"{symbol}.csv").read_text())
    (source / "shares.csv").write_text(
        "ticker,as_of,shares_outstanding,filing,source\nORCK,2025-08-31,2841000,10-Q,x\n"
    )
    cache, out, events = tmp_path / "cache", tmp_path / "out", tmp_path / "events.csv"
    prices = [str(source / "SPY.csv"), str(source / "ORCK.csv")]
    assert main(["cache", "import", *prices, "--cache", str(cache)]) == 0
    assert main(["cache", "import", str(source / "shares.csv"), "--cache", str(cache)]) == 0
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "openai-300b,2025-09-09,post,ORCK,supplier,300e9,g,h\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    run = ["run", "--events", str(events), "--no-peers", "--offline", "--out", str(out)]
    status = main([*run, "--cache", str(cache)])
    captured = capsys.readouterr()
    assert status == 2 and captured.err.count("\n") == 1 and captured.out == "", captured.err
    path = PriceStore(cache).shares_path("ORCK")
    assert captured.err.startswith(f"eventstudy: error: {path}, field 'shares_outstanding': 2,841,000 shares")
    assert "is less than ORCK's median daily volume" in captured.err
    assert "thousands or millions" in captured.err
    assert not out.exists()


def test_counts_or_dates_of_a_case_twin_of_cached_ones_are_not_fetched(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """A cache with NVDA's counts and earnings dates but no prices: a run on 'nvda' fetched its
    prices (no series twin) and then wrote shares/nvda.parquet and earnings/nvda.parquet beside
    NVDA's, one file on a case-insensitive file system."""
    from eventstudy.data.acquire import fetch_missing_earnings
    from eventstudy.errors import DataUnavailableError

    store = PriceStore(tmp_path)
    store.write_shares("NVDA", _yahoo_counts(2.4e10)("NVDA", START, END), {"source": "test"})
    release = {"announced": pd.to_datetime(["2025-08-27"]), "timing": ["post"], "fiscal_period": [""]}
    calendar = pd.DataFrame({"ticker": ["NVDA"], **release, "source": [""]})
    store.write_earnings("NVDA", calendar, {"source": "test"})
    asked: list[str] = []

    def counts(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        asked.append(symbol)
        return _yahoo_counts(2.4e10)(symbol, start, end)

    twin = "'nvda' differs only in case from the cached 'NVDA' \\(shares\\)"
    with pytest.raises(DataUnavailableError, match=twin):
        fetch_missing(
            store, ["nvda"], START, END, fetch_prices=_history, fetch_shares=counts,
            tickers_with_shares=["nvda"], sleep=pytest.fail,
        )
    with pytest.raises(DataUnavailableError, match="so no earnings dates are fetched"):
        fetch_missing_earnings(store, ["nvda"], START, END, fetch_earnings=pytest.fail)
    assert asked == [] and store.symbols("shares") == ["NVDA"] and store.symbols("earnings") == ["NVDA"]
    # A run stops before it fetches anything: no prices of 'nvda' (or of the market) either.
    import eventstudy.data.acquire as acquire

    monkeypatch.setattr(acquire, "fetch_missing", _with_fetchers(acquire.fetch_missing, _history, counts))
    for symbol in store.symbols("prices"):
        store.path(symbol, "prices").unlink()
    events, out = tmp_path / "events.csv", tmp_path / "out"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-09-10,pre,nvda,p,,g,h\n"
    )
    cached = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    status = main(["run", "--events", str(events), "--no-peers", "--out", str(out), "--cache", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "'nvda' differs only in case" in err, err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet")) == cached and not out.exists()
    fetched = fetch_missing(
        store, ["ORCL"], START, END, fetch_prices=_history, fetch_shares=counts,
        tickers_with_shares=["ORCL"], sleep=pytest.fail,
    )
    assert fetched == ["ORCL"]
    assert asked == ["ORCL"]  # another ticker is fetched as before


@pytest.mark.parametrize("entry", ["link", "dangling link", "folder"])
def test_a_users_entry_at_a_shares_or_earnings_file_is_refused_never_replaced(
    tmp_path: Path, monkeypatch, capsys, entry
) -> None:
    """A link at shares/NVDA.parquet (to a drive not mounted: is_file() False) or at
    earnings/NVDA.parquet was replaced by a run's fetched file, exit 0, as prices/ refuses; a
    folder there was found only at the write, after Yahoo was asked."""
    import eventstudy.data.acquire as acquire
    from eventstudy.data.acquire import fetch_missing_earnings
    from eventstudy.data.store import CacheCorruptError

    store = PriceStore(tmp_path / "cache")
    mine = tmp_path / "mine.parquet"
    mine.write_bytes(b"the user's own file")
    asked: list[str] = []

    def counts(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        asked.append(symbol)
        return _yahoo_counts(2.4e10)(symbol, start, end)

    def dates(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        asked.append(symbol)
        return pd.DataFrame(columns=["announced", "timing", "fiscal_period", "source"])

    for kind in ("shares", "earnings"):
        path = store.path("NVDA", kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        if entry == "folder":
            path.mkdir()
        else:
            path.symlink_to(mine if entry == "link" else tmp_path / "unmounted" / "nvda.parquet")
    with pytest.raises(CacheCorruptError, match="not a cache file"):
        fetch_missing(
            store, ["NVDA"], START, END, fetch_prices=_history, fetch_shares=counts,
            tickers_with_shares=["NVDA"], sleep=pytest.fail,
        )  # fmt: skip
    with pytest.raises(CacheCorruptError, match="not a cache file"):
        fetch_missing_earnings(store, ["NVDA"], START, END, fetch_earnings=dates, sleep=pytest.fail)
    monkeypatch.setattr(acquire, "fetch_missing", _with_fetchers(acquire.fetch_missing, _history, counts))
    events, out = tmp_path / "events.csv", tmp_path / "out"
    events.write_text("event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-09-10,pre,NVDA,p,,g,h\n")
    argv = ["run", "--events", str(events), "--no-peers", "--out", str(out), "--cache", str(store.root)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a cache file" in err and "move it out of the cache" in err, err
    assert asked == [] and not out.exists() and mine.read_bytes() == b"the user's own file"
    for kind in ("shares", "earnings"):
        path = store.path("NVDA", kind)
        assert path.is_dir() if entry == "folder" else path.is_symlink()


def test_counts_are_fetched_up_to_the_fetch_day_so_a_later_split_shows_in_them(tmp_path: Path) -> None:
    """Yahoo's closes are split-adjusted up to the day they are fetched, but the counts were asked
    for up to the last event's window only: NVDA's June 2024 10-for-1 split was missing from the
    counts of a 2023 study, and its market values were a tenth of the truth, without a note."""
    store = PriceStore(tmp_path)
    stamps = pd.DatetimeIndex(["2025-03-03 16:00", "2025-06-02 16:00", "2026-01-05 16:00"])
    values = [2_449_000_000, 2_451_000_000, 24_490_000_000]
    series = pd.Series(values, index=stamps.tz_localize("America/New_York"))
    asked = []

    def counts(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        asked.append((start, end))
        return fetch_shares(symbol, start, end, get_shares_full=lambda **_: series)

    fetch_missing(
        store, ["NVDA"], START, END, fetch_prices=_history, fetch_shares=counts,
        tickers_with_shares=["NVDA"], sleep=pytest.fail, today=dt.date(2026, 2, 2),
    )  # fmt: skip
    assert asked == [(START, dt.date(2026, 2, 2))]
    stored = store.read_shares("NVDA")
    assert stored["shares_outstanding"].tolist() == [2.449e9, 2.451e9, 2.449e10]  # the split is seen


def test_counts_of_cached_closes_stop_at_the_day_those_closes_were_fetched(tmp_path: Path) -> None:
    """A finder's online run found AAA's closes cached (fetched before its 10-for-1 split) and
    fetched its counts up to today: the post-split count made the split rule multiply the earlier
    counts by 10 for closes that were never adjusted (value weights 0.92 / 0.08 for 0.54 / 0.46).
    Closes fetched on a day are split-adjusted up to that day: their counts stop there too."""
    store = PriceStore(tmp_path)
    fetch_missing(store, ["NVDA"], START, END, fetch_prices=_history, sleep=pytest.fail)
    provenance = store.provenance(store.price_path("NVDA"))
    fetched_on = dt.datetime.fromisoformat(provenance["fetched_at"]).date()
    asked = []

    def counts(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        asked.append((start, end))
        return _yahoo_counts(2.4e9)(symbol, start, end)

    fetch_missing(
        store, ["NVDA"], START, END, fetch_prices=_history, fetch_shares=counts,
        tickers_with_shares=["NVDA"], sleep=pytest.fail, today=fetched_on + dt.timedelta(days=400),
    )  # fmt: skip
    assert asked == [(START, fetched_on)]
    imported = PriceStore(tmp_path / "imported")  # a file's closes: as far as its last day
    imported.write_prices("NVDA", store.read_prices("NVDA"), {"source": "yahoo-csv-import"})
    last = store.read_prices("NVDA")["date"].max().date()
    fetch_missing(
        imported, ["NVDA"], START, END, fetch_prices=pytest.fail, fetch_shares=counts,
        tickers_with_shares=["NVDA"], sleep=pytest.fail, today=fetched_on + dt.timedelta(days=400),
    )  # fmt: skip
    assert asked[1] == (START, last) and last <= END
    skewed = PriceStore(tmp_path / "skewed")  # a fetch day after today (a clock set wrong): today
    later = {**provenance, "fetched_at": "2031-01-05T00:00:00"}
    skewed.write_prices("NVDA", store.read_prices("NVDA"), later)
    fetch_missing(
        skewed, ["NVDA"], START, END, fetch_prices=pytest.fail, fetch_shares=counts,
        tickers_with_shares=["NVDA"], sleep=pytest.fail, today=fetched_on,
    )  # fmt: skip
    assert asked[2] == (START, fetched_on)



class _FakeTicker:
    """``yfinance.Ticker`` 1.7 as a run uses it: ``history`` gives the exchange-time frame of
    ``PriceHistory.history(auto_adjust=False, actions=False)`` (tz-aware ``Date`` index, Open, High,
    Low, Close, Adj Close, Volume), here from the real Yahoo files; ``get_shares_full`` a Series of
    counts on a tz-aware index; ``get_earnings_dates`` None (no calendar)."""

    prices: ClassVar[dict[str, pd.DataFrame]] = {}
    counts: ClassVar[dict[str, pd.Series]] = {}

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def history(self, *, start: str, end: str, **_: object) -> pd.DataFrame:
        frame = self.prices[self.symbol]
        first, last = (pd.Timestamp(day, tz=frame.index.tz) for day in (start, end))
        return frame[(frame.index >= first) & (frame.index < last)]

    def get_shares_full(self, start: str, end: str) -> pd.Series:
        return self.counts[self.symbol]

    def get_earnings_dates(self, limit: int = 12, offset: int = 0) -> None:
        return None


def test_a_yahoo_count_the_study_would_refuse_is_never_stored(
    shared_data: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Yahoo's ORCL count of 2,800,000 (its 2.8 billion in thousands) passed the fetch's checks and
    was stored; then the run, and every later run, stopped on it (a count below the median daily
    volume), and importing the right count was refused beside it (1,002 times). It is refused
    before it is stored, as a count 100 times its neighbour is: the cache keeps no count of ORCL."""
    import types

    from eventstudy.data import yahoo

    for symbol in ("ORCL", "SPY"):
        raw = pd.read_csv(shared_data / "prices" / f"{symbol}.csv")
        index = pd.DatetimeIndex(pd.to_datetime(raw["Date"]), name="Date").tz_localize("America/New_York")
        _FakeTicker.prices[symbol] = raw.drop(columns="Date").set_index(index)
    when = pd.DatetimeIndex(["2025-01-14 21:00"], tz="America/New_York")
    _FakeTicker.counts["ORCL"] = pd.Series([2_800_000.0], index=when)
    monkeypatch.setattr(yahoo, "_yfinance", lambda: types.SimpleNamespace(Ticker=_FakeTicker))
    events = tmp_path / "events.csv"
    header = "event_id,announced,timing,ticker,role,deal_usd,group,headline"
    events.write_text(f"{header}\ne1,2025-09-10,pre,ORCL,supplier,3e11,g,x\n")
    cache = tmp_path / "cache"
    args = ["run", "--events", str(events), "--cache", str(cache), "--no-peers", "--out"]
    assert main([*args, str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("eventstudy: error: Yahoo's share counts of 'ORCL' (")
    assert "2,800,000 shares as of 2025-01-14 is less than ORCL's median daily volume" in err
    assert err.endswith(
        "; none of them was stored: import counts you trust with: eventstudy cache import FILE.csv "
        "(columns ticker,as_of,shares_outstanding,filing,source)\n"
    )
    store = PriceStore(cache)
    assert store.has_series("ORCL") and not store.shares_path("ORCL").exists()
    counts = tmp_path / "shares.csv"
    counts.write_text("ticker,as_of,shares_outstanding,filing,source\nORCL,2025-05-31,2807000000,10-K,mine\n")
    assert main(["cache", "import", str(counts), "--cache", str(cache)]) == 0  # refused beside the bad one
    assert main([*args, str(tmp_path / "out2"), "--offline"]) == 0

"""Earnings calendars: the offline import (the real ../shared file and hostile ones) and Yahoo's
calendar through yfinance, on frames produced by yfinance 1.x's own parser from a stored page
(never the network)."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.data.earnings import is_earnings_file, normalise_earnings, parse_earnings_csv, timing_of
from eventstudy.data.importer import import_paths
from eventstudy.data.store import CacheCorruptError, PriceStore
from eventstudy.data.yahoo import EmptyAnswerError, earnings_limit, earnings_provenance, fetch_earnings
from eventstudy.errors import DataUnavailableError, InputError

HEADER = "ticker,announced,timing,fiscal_period,source,volume_ratio\n"


def test_the_shared_calendar_imports_every_row(shared_data, tmp_path) -> None:
    store = PriceStore(tmp_path / "cache")
    done = import_paths(store, [shared_data / "earnings"])
    assert [f.kind for f in done] == ["earnings"]
    assert done[0].rows == 101  # PROVENANCE.md: 101 releases of 12 tickers
    assert len(done[0].symbols) == 12 and done[0].ignored_columns == ("volume_ratio",)
    amzn = store.read_earnings("AMZN")
    assert len(amzn) == 9
    q3 = amzn[amzn.announced == "2025-10-30"].iloc[0]
    assert (q3.timing, q3.fiscal_period) == ("post", "FY2025 Q3")
    asml = store.read_earnings("ASML").set_index("announced")["timing"]
    assert asml[pd.Timestamp("2024-10-15")] == "intraday"  # released early by a technical error
    assert set(store.read_earnings("TSM")["timing"]) == {"pre"}
    assert store.read_earnings("AVGO").shape[0] == 8  # FY2023 Q4 is missing (section 4)
    assert store.read_earnings("SPY").empty and not store.has_earnings("SPY")
    for ticker in done[0].symbols:  # each in date order, as the fetch stores them
        assert store.read_earnings(ticker)["announced"].is_monotonic_increasing, ticker
    record = store.provenance(store.earnings_path("AMZN"))
    assert record["source"] == "earnings-csv-import" and record["symbol"] == "AMZN"
    assert record["source_sha256"] and record["source_file"].endswith("earnings_dates.csv")
    assert store.verify() == []


def test_an_earnings_file_newest_first_is_stored_in_date_order(tmp_path) -> None:
    """Yahoo's calendar lists the newest release first; such a file was stored in its order."""
    path = _write(tmp_path / "calendar.csv", "AMZN,2025-10-30,post,Q3,x,1\nAMZN,2025-07-31,post,Q2,y,1\n")
    store = PriceStore(tmp_path / "cache")
    import_paths(store, [path])
    stored = store.read_earnings("AMZN")
    assert stored["announced"].dt.strftime("%Y-%m-%d").tolist() == ["2025-07-31", "2025-10-30"]
    assert stored["source"].tolist() == ["y", "x"]
    assert stored.index.tolist() == [0, 1]


@pytest.mark.parametrize(
    ("header", "said", "field"),
    [
        (
            "announced,ticker,timing,fiscal_period,source",
            "the columns of an earnings file, which cache import recognises by a header starting "
            "ticker,announced,timing in that order and case; this one is announced,ticker,timing,"
            "fiscal_period,source",
            "ticker",
        ),
        ("Ticker,Announced,Timing", "this one is Ticker,Announced,Timing", "ticker"),
        (
            "ticker,as_of,shares_outstanding,filing,source,note",
            "the columns of a share-count file, which cache import recognises by the header ticker,as_of,"
            "shares_outstanding,filing,source exactly, or the name shares_outstanding.csv; this one is "
            "ticker,as_of,shares_outstanding,filing,source,note",
            "note",
        ),
        (",".join(["announced", "ticker", "timing", *(f"column{i}" for i in range(2000))]), None, "ticker"),
        ("ticker,as_of,shares_outstanding", "recognises by the header ticker,as_of,shares_outstanding,filing,"
         "source exactly, or the name shares_outstanding.csv; this one is ticker,as_of,shares_outstanding",
         "filing"),
    ],
)
def test_an_earnings_or_share_count_header_in_another_order_is_named(tmp_path, header, said, field) -> None:
    """An earnings file whose columns were reordered was refused for lacking a price file's
    header ('expected the header Date,Open,...'): the user learned nothing of what was wrong."""
    path = tmp_path / "mine.csv"
    path.write_text(header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_paths(PriceStore(tmp_path / "cache"), [path])
    message = str(caught.value)
    assert message.startswith(f"{path}, row 1, field {field!r}: the header holds the columns of ")
    if said:
        assert message.endswith(said)
    else:
        assert len(message) < 600 and message.endswith("…")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.parquet"))


PRICES = "Date,Open,High,Low,Close,Adj Close,Volume"


@pytest.mark.parametrize("extra", ["ticker,announced,timing", "ticker,as_of,shares_outstanding,filing,x"])
@pytest.mark.parametrize("prices", [PRICES, PRICES.lower()])
def test_a_price_file_with_such_columns_besides_is_a_price_file(tmp_path, extra, prices) -> None:
    """The first version of the check above refused it, telling the user to reorder its columns
    into an earnings file (a finder), and the second one in lower case, which the price parser
    reads (a finder)."""
    path = tmp_path / "AMDX.csv"
    values = ",".join(["x"] * len(extra.split(",")))
    path.write_text(f"{prices},{extra}\n2025-01-02,1,2,0.5,1.5,1.5,100,{values}\n", encoding="utf-8")
    store = PriceStore(tmp_path / "cache")
    (done,) = import_paths(store, [path])
    assert done.kind == "prices" and done.ignored_columns == tuple(extra.split(","))
    assert store.read_prices("AMDX")["close"].tolist() == [1.5]


def test_a_price_file_lacking_a_column_beside_earnings_columns_is_told_what_it_lacks(tmp_path) -> None:
    """It was told it held an earnings file's columns (a finder)."""
    path = tmp_path / "AMDX.csv"
    path.write_text("Date,Open,High,Low,Close,Volume,ticker,announced,timing\n2025-01-02,1,2,0.5,1.5,100,A,B,C\n")
    with pytest.raises(InputError, match=r"row 1, field 'Adj Close': expected the header Date,Open"):
        import_paths(PriceStore(tmp_path / "cache"), [path])


def _write(path: Path, body: str) -> Path:
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "row", "field", "words"),
    [
        ("AMZN,2025-10-30,post,Q3,x,1\nam/zn,2025-07-31,post,Q2,x,1\n", 3, "ticker", "not a ticker"),
        ("AMZN,2025-10-30,after,Q3,x,1\n", 2, "timing", "'after' is not one of pre, intraday"),
        ("AMZN,30/10/2025,post,Q3,x,1\n", 2, "announced", "not a date YYYY-MM-DD"),
        ("AMZN,1850-10-30,post,Q3,x,1\n", 2, "announced", "outside 1900..2199"),
        # A blank line still counts: the row is the line number in the file.
        ("AMZN,2025-10-30,post,Q3,x,1\n\nAMZN,2025-07-31,after,Q2,x,1\n", 4, "timing", "not one of pre"),
        ("AMZN,2025-10-30,post,Q3,x,1\nAMZN,2025-10-30,pre,Q3,y,1\n", 3, "announced", "second release"),
    ],
)
def test_a_bad_row_is_one_line_naming_row_and_field_and_nothing_is_written(
    shared_data, tmp_path, body, row, field, words
) -> None:
    bad = _write(tmp_path / "calendar.csv", body)
    store = PriceStore(tmp_path / "cache")
    with pytest.raises(InputError) as caught:
        import_paths(store, [shared_data / "prices" / "SPY.csv", bad])
    assert (caught.value.row, caught.value.field) == (row, field)
    assert words in caught.value.message and "\n" not in str(caught.value)
    assert not (tmp_path / "cache").exists()  # the good price file of the batch was not written either


def test_command_line_exit_2_and_a_latin1_file(tmp_path, capsys) -> None:
    bad = tmp_path / "calendar.csv"
    bad.write_bytes((HEADER + "AMZN,2025-10-30,post,Q3 \xe9t\xe9,x,1\n").encode("latin-1"))
    assert main(["cache", "import", str(bad), "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "row 2, field 'fiscal_period': not UTF-8" in err[0]
    assert not (tmp_path / "cache").exists()


def test_recognised_by_its_header_not_its_name(tmp_path) -> None:
    minimal = tmp_path / "NVDA.csv"  # named like a price file, but the header says earnings
    minimal.write_text("ticker,announced,timing\nNVDA,2025-11-19,post\n", encoding="utf-8")
    assert is_earnings_file(minimal)
    parsed = parse_earnings_csv(minimal)
    assert parsed.ignored_columns == () and parsed.frame["fiscal_period"].tolist() == [""]
    events = tmp_path / "events.csv"
    events.write_text("event_id,announced,timing,ticker\n", encoding="utf-8")
    assert not is_earnings_file(events)  # the events file's header starts with event_id


def test_a_cache_file_of_another_ticker_is_refused(shared_data, tmp_path) -> None:
    store = PriceStore(tmp_path / "cache")
    import_paths(store, [shared_data / "earnings"])
    shutil.copy(store.earnings_path("AMZN"), store.earnings_path("MSFT"))
    with pytest.raises(CacheCorruptError, match="misnamed"):
        store.read_earnings("MSFT")
    assert [p.kind for p in store.verify()] == ["misnamed"]


# ---------------------------------------------------------------------------------------------
# Yahoo through yfinance: the frame comes from yfinance's own parser of the calendar page.

PAGE_ROWS = (
    ("February 5, 2026 at 4 PM EST", "1.97", "-", "-"),  # scheduled (no reported EPS yet)
    ("October 30, 2025 at 4 PM EDT", "1.57", "1.95", "+24.2"),
    ("July 31, 2025 at 12 AM EDT", "1.33", "1.68", "+26.3"),  # a date without a time of day
    ("April 17, 2025 at 11 AM EDT", "1.36", "1.59", "+17.1"),
    ("January 16, 2025 at 2 AM EST", "1.5", "1.8", "+20.0"),  # before the open
    ("October 31, 2024 at 9 AM EDT", "1.14", "1.43", "+25.4"),  # 09:00 < 09:30: pre
    ("January 2, 2020 at 4 PM EST", "1.0", "1.1", "+10.0"),  # before the range asked for
)


def yfinance_frame(rows=PAGE_ROWS) -> pd.DataFrame:
    """``Ticker.get_earnings_dates`` of the installed yfinance on a stored calendar page."""
    import yfinance

    cells = "".join(
        f"<tr><td>AMZN</td><td>Amazon.com, Inc.</td><td>{d}</td><td>{e}</td><td>{r}</td><td>{s}</td></tr>"
        for d, e, r, s in rows
    )
    page = (
        "<html><body><table><thead><tr><th>Symbol</th><th>Company</th><th>Earnings Date</th>"
        "<th>EPS Estimate</th><th>Reported EPS</th><th>Surprise (%)</th></tr></thead>"
        f"<tbody>{cells}</tbody></table></body></html>"
    )
    ticker = yfinance.Ticker("AMZN")
    ticker._data.cache_get = lambda url: SimpleNamespace(text=page)  # the network, replaced
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's own pandas deprecation warnings
        return ticker.get_earnings_dates(limit=12)


def test_yfinance_frame_has_the_shape_the_adapter_expects() -> None:
    frame = yfinance_frame()
    assert frame.index.name == "Earnings Date" and str(frame.index.tz) == "America/New_York"
    assert list(frame.columns) == ["EPS Estimate", "Reported EPS", "Surprise(%)"]


def test_fetch_earnings_dates_and_timing_from_the_new_york_time() -> None:
    calls = []
    frame = yfinance_frame()

    def fake(**kwargs):
        calls.append(kwargs)
        return frame

    out = fetch_earnings("AMZN", dt.date(2024, 1, 1), dt.date(2026, 3, 31), get_earnings_dates=fake)
    assert calls == [{"limit": earnings_limit(dt.date(2024, 1, 1))}]
    assert list(out.columns) == ["ticker", "announced", "timing", "fiscal_period", "source"]
    got = dict(zip(out["announced"].dt.strftime("%Y-%m-%d"), out["timing"], strict=True))
    assert got == {
        "2024-10-31": "pre",
        "2025-01-16": "pre",
        "2025-04-17": "intraday",
        "2025-07-31": "unknown",
        "2025-10-30": "post",
        "2026-02-05": "post",
    }
    assert out["announced"].is_monotonic_increasing and (out["ticker"] == "AMZN").all()
    assert out["source"].iloc[0].endswith("Ticker.get_earnings_dates")


def test_a_utc_index_is_read_in_new_york_time() -> None:
    # yfinance PR #2366: Yahoo's timestamps can arrive in UTC. 21:00 UTC on 2025-10-30 is 17:00
    # EDT (post, 10-30); 00:30 UTC on 2025-02-05 is 19:30 EST on 2025-02-04 (post, 02-04).
    index = pd.DatetimeIndex(["2025-10-30 21:00", "2025-02-05 00:30"], tz="UTC", name="Earnings Date")
    raw = pd.DataFrame({"EPS Estimate": [1.0, 1.0]}, index=index)
    out = normalise_earnings(raw, "AMZN", dt.date(2025, 1, 1), dt.date(2025, 12, 31), source="t")
    assert out["announced"].dt.strftime("%Y-%m-%d").tolist() == ["2025-02-04", "2025-10-30"]
    assert out["timing"].tolist() == ["post", "post"]


def test_other_event_types_and_repeated_dates() -> None:
    index = pd.DatetimeIndex(
        ["2025-10-30 16:00", "2025-10-30 17:00", "2025-09-01 10:00", "2025-07-31 00:00", "2025-07-31 16:05"],
        tz="America/New_York",
    )
    kinds = ["Earnings", "Earnings", "Meeting", "Earnings", "Earnings"]
    raw = pd.DataFrame({"Event Type": kinds}, index=index)
    out = normalise_earnings(raw, "AMZN", dt.date(2025, 1, 1), dt.date(2025, 12, 31), source="t")
    # the meeting left out, one release a day: the earliest time, and a time over none (00:00)
    got = dict(zip(out["announced"].dt.strftime("%Y-%m-%d"), out["timing"], strict=True))
    assert got == {"2025-07-31": "post", "2025-10-30": "post"}
    with pytest.raises(DataUnavailableError, match="no earnings date"):
        normalise_earnings(raw, "AMZN", dt.date(2019, 1, 1), dt.date(2019, 12, 31), source="t")


def test_a_day_given_at_times_of_two_timings_is_of_unknown_timing() -> None:
    """Yahoo rows "January 29, 2025 at 4 PM" and "at 8 AM": the earliest's "pre" was stored
    without a word, though the release may have moved the next session (a finder). Times of one
    timing (16:00 and 17:00) keep it; a date without a time beside a time keeps the time's."""
    index = pd.DatetimeIndex(
        ["2025-01-29 16:00", "2025-01-29 08:00", "2025-04-30 16:00", "2025-04-30 17:00", "2025-07-30 00:00",
         "2025-07-30 07:00"],
        tz="America/New_York",
    )
    raw = pd.DataFrame({"Event Type": ["Earnings"] * 6}, index=index)
    out = normalise_earnings(raw, "MSFT", dt.date(2025, 1, 1), dt.date(2025, 12, 31), source="t")
    got = dict(zip(out["announced"].dt.strftime("%Y-%m-%d"), out["timing"], strict=True))
    assert got == {"2025-01-29": "unknown", "2025-04-30": "post", "2025-07-30": "pre"}


def test_a_row_whose_event_type_is_missing_is_kept() -> None:
    """Every Event Type missing read as "no earnings date", stored as none and not asked again for a
    month, and one missing beside an "Earnings" row dropped that release unsaid, so its windows were
    screened as clean (a finder, then a reviewer): a row of unknown type is kept, as rows were
    without the column; a "Meeting" is not."""
    index = pd.DatetimeIndex(
        ["2025-01-29 16:00", "2025-04-30 08:00", "2025-06-30 10:00", "2025-07-30 16:00"],
        tz="America/New_York",
    )
    for kinds, kept in (
        ([None, None, "Meeting", None], ["2025-01-29", "2025-04-30", "2025-07-30"]),
        (["Earnings", "", "Meeting", "Earnings"], ["2025-01-29", "2025-04-30", "2025-07-30"]),
        (["Meeting", "Meeting", "Meeting", "Earnings"], ["2025-07-30"]),
    ):
        raw = pd.DataFrame({"Event Type": kinds}, index=index)
        out = normalise_earnings(raw, "MSFT", dt.date(2025, 1, 1), dt.date(2025, 12, 31), source="t")
        assert out["announced"].dt.strftime("%Y-%m-%d").tolist() == kept


def test_a_row_without_a_date_stores_nothing_and_is_asked_again(tmp_path) -> None:
    """yfinance drops a calendar row whose date is "-" and assigns the other dates by position:
    the rows after it get the next row's date and one release is lost. Storing the rest would
    screen windows around the lost release as clean."""
    rows = (PAGE_ROWS[0], ("-", "1.2", "1.3", "+5.0"), *PAGE_ROWS[1:4])
    frame = yfinance_frame(rows)
    assert frame.index.isna().any()  # the installed yfinance's misalignment
    span = dt.date(2024, 1, 1), dt.date(2026, 3, 31)
    with pytest.raises(DataUnavailableError, match="row without a date") as raised:
        fetch_earnings("AMZN", *span, get_earnings_dates=lambda **k: frame)
    assert "no earnings date" not in str(raised.value)  # not taken for a ticker without dates
    from eventstudy.data.acquire import RetryPolicy, fetch_missing_earnings

    store = PriceStore(tmp_path / "cache")
    written = fetch_missing_earnings(
        store,
        ["AMZN"],
        *span,
        fetch_earnings=lambda t, a, b: fetch_earnings(t, a, b, get_earnings_dates=lambda **k: frame),
        retry=RetryPolicy(attempts=1),
        sleep=lambda seconds: None,
    )
    assert written == {} and not store.has_earnings("AMZN")


def test_timing_boundaries() -> None:
    stamps = pd.DatetimeIndex(
        ["2025-01-02 00:00", "2025-01-02 00:01", "2025-01-02 09:29", "2025-01-02 09:30", "2025-01-02 15:59",
         "2025-01-02 16:00"]
    )
    assert timing_of(stamps).tolist() == ["unknown", "pre", "pre", "intraday", "intraday", "post"]


def test_failures_become_data_unavailable_with_the_cause_chained() -> None:
    def offline(**kwargs):
        raise ConnectionError("Could not resolve host: finance.yahoo.com")

    span = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    with pytest.raises(DataUnavailableError) as caught:
        fetch_earnings("AMZN", *span, get_earnings_dates=offline)
    assert isinstance(caught.value.__cause__, ConnectionError) and "AMZN" in str(caught.value)
    with pytest.raises(EmptyAnswerError):
        fetch_earnings("AMZN", *span, get_earnings_dates=lambda **k: None)
    listing = pd.DataFrame({"EPS Estimate": [1.0]}, index=pd.RangeIndex(1))
    with pytest.raises(DataUnavailableError, match="not indexed by time"):
        fetch_earnings("AMZN", *span, get_earnings_dates=lambda **k: listing)


def test_limit_reaches_back_to_the_start_and_is_capped() -> None:
    today = dt.date(2026, 1, 1)
    assert earnings_limit(dt.date(2024, 1, 1), today) == 731 // 91 + 1 + 4 == 13
    assert earnings_limit(dt.date(1990, 1, 1), today) == 100
    assert earnings_limit(dt.date(2025, 12, 31), today) == 5
    record = earnings_provenance("AMZN")
    assert record["method"] == "Ticker.get_earnings_dates" and "#2365" in record["caveat"]


def test_fetch_missing_earnings_writes_each_ticker_once(tmp_path, caplog) -> None:
    from eventstudy.data.acquire import NetworkUnreachableError, RetryPolicy, fetch_missing_earnings

    store = PriceStore(tmp_path / "cache")
    frame = yfinance_frame()
    calls: list[str] = []

    def fetch(ticker, start, end):
        calls.append(ticker)
        if ticker == "SPY":
            return fetch_earnings(ticker, start, end, get_earnings_dates=lambda **k: None)  # an ETF
        if ticker == "FLAKY":
            raise TimeoutError("read timed out")
        return fetch_earnings(ticker, start, end, get_earnings_dates=lambda **k: frame)

    quick = RetryPolicy(attempts=2)
    span = (dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    written = fetch_missing_earnings(
        store, ["AMZN", "SPY", "FLAKY"], *span, fetch_earnings=fetch, retry=quick, sleep=lambda s: None
    )
    assert written == {"AMZN": 5, "SPY": 0}  # five releases of the page fall in 2024..2025
    assert calls == ["AMZN", "SPY", "FLAKY", "FLAKY"]  # the transient failure was retried once
    assert not store.has_earnings("FLAKY")  # asked again next time, and said
    (said,) = [r.getMessage() for r in caplog.records if r.name == "eventstudy"]
    assert said.startswith("fetching earnings dates of 'FLAKY' failed 2 times")
    assert said.endswith("; FLAKY is not screened for earnings (a later run asks again)")
    spy = store.provenance(store.earnings_path("SPY"))
    assert "returned no rows for these dates" in spy["no_dates"] and store.read_earnings("SPY").empty
    assert "Yahoo returned no earnings dates for 'SPY'" in spy["no_dates"]
    assert store.provenance(store.earnings_path("AMZN"))["method"] == "Ticker.get_earnings_dates"
    calls.clear()
    assert fetch_missing_earnings(store, ["AMZN", "SPY"], *span, fetch_earnings=fetch) == {}
    assert calls == []  # cached, even the ticker without dates

    def offline(ticker, start, end):
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(NetworkUnreachableError):
        fetch_missing_earnings(store, ["MSFT"], *span, fetch_earnings=offline)
    assert store.verify() == []


def test_a_listing_abroad_has_no_session_timing_from_a_new_york_hour() -> None:
    """Toyota released after Tokyo's 15:30 close on 2025-02-05, which Yahoo gives as 1 AM EST:
    `pre` put the reaction on 02-05, a session early. Abroad the time is unknown (the screen then
    takes the date's session or the next); Toronto keeps New York's hours."""
    index = pd.DatetimeIndex(["2025-02-05 01:00", "2025-08-06 02:00"], tz="America/New_York")
    raw = pd.DataFrame({"EPS Estimate": [1.0, 1.0]}, index=index)
    span = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    tokyo = normalise_earnings(raw, "7203.T", *span, source="t")
    assert tokyo["timing"].tolist() == ["unknown", "unknown"]
    assert tokyo["announced"].dt.strftime("%Y-%m-%d").tolist() == ["2025-02-05", "2025-08-06"]
    assert normalise_earnings(raw, "SHOP.TO", *span, source="t")["timing"].tolist() == ["pre", "pre"]
    assert normalise_earnings(raw, "AMZN", *span, source="t")["timing"].tolist() == ["pre", "pre"]


def test_a_record_of_no_dates_is_asked_again_after_a_month(tmp_path) -> None:
    """yfinance answers None both for an ETF and for an error page of Yahoo's: a company whose
    calendar came back empty once was recorded as having none, for good."""
    from eventstudy.data.acquire import NO_DATES_RETRY_DAYS, fetch_missing_earnings

    store = PriceStore(tmp_path / "cache")
    empty = store.read_earnings("AMZN").iloc[:0]
    now = dt.datetime.now(dt.UTC)
    for ticker, days in (("AMZN", NO_DATES_RETRY_DAYS + 1), ("SPY", NO_DATES_RETRY_DAYS - 1)):
        fetched = (now - dt.timedelta(days=days)).replace(microsecond=0).isoformat()
        store.write_earnings(ticker, empty, {"fetched_at": fetched, "no_dates": "Yahoo returned none"})
    old = {"source": "earnings-csv-import", "fetched_at": "2020-01-01T00:00:00+00:00"}
    store.write_earnings("META", empty, old)  # imported: never asked again
    asked: list[str] = []

    def fetch(ticker, start, end):
        asked.append(ticker)
        return fetch_earnings(ticker, start, end, get_earnings_dates=lambda **k: yfinance_frame())

    span = (dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    written = fetch_missing_earnings(store, ["AMZN", "SPY", "META"], *span, fetch_earnings=fetch)
    assert asked == ["AMZN"] and written == {"AMZN": 5}
    assert len(store.read_earnings("AMZN")) == 5
    assert "no_dates" not in store.provenance(store.earnings_path("AMZN"))
    assert store.read_earnings("SPY").empty and store.provenance(store.earnings_path("META")) == old


def test_optional_columns_in_another_case_are_stored_and_not_called_ignored(tmp_path) -> None:
    """Columns are read ignoring case, so ``Fiscal_Period`` is stored; it was also reported (and
    recorded) as not stored."""
    path = tmp_path / "calendar.csv"
    header = "ticker,announced,timing,Fiscal_Period,Source,Extra\n"
    path.write_text(header + "NVDA,2024-05-22,post,FY2025 Q1,x,1\n")
    parsed = parse_earnings_csv(path)
    assert parsed.ignored_columns == ("Extra",)
    assert parsed.frame[["fiscal_period", "source"]].iloc[0].tolist() == ["FY2025 Q1", "x"]


def test_counts_and_dates_of_case_twins_are_refused_without_a_series(tmp_path) -> None:
    """Share counts of 'nvda' then earnings dates of 'NVDA' (no prices of either) were both
    imported, and this version's cache verify then said 'an older version imported both' (a
    finder): they can attach to no one series, in two imports or in one."""
    counts = tmp_path / "shares_outstanding.csv"
    counts.write_text(
        "ticker,as_of,shares_outstanding,filing,source\nMSFT,2024-01-02,7.4e9,10-Q,x\nnvda,2024-01-02,2.4e10,10-Q,x\n"
    )
    dates = _write(tmp_path / "earnings_dates.csv", "NVDA,2024-02-02,post,Q4,x,1\n")
    store = PriceStore(tmp_path / "cache")
    import_paths(store, [counts])
    with pytest.raises(InputError) as caught:
        import_paths(store, [dates])
    assert (caught.value.path, caught.value.row, caught.value.field) == (str(dates), 2, "ticker")
    assert "'NVDA' and 'nvda' differ only in case" in caught.value.message
    assert caught.value.message.endswith("nvda is already in the cache (shares)")
    assert store.symbols("earnings") == [] and store.verify() == []
    together = PriceStore(tmp_path / "together")
    with pytest.raises(InputError, match="differ only in case") as caught:
        import_paths(together, [counts, dates])
    assert caught.value.row == 2 and together.symbols("shares") == together.symbols("earnings") == []
    import_paths(store, [counts])  # the same counts again: replaced, as before


def test_dates_or_counts_of_a_case_twin_of_a_cached_ticker_are_refused(shared_data, tmp_path) -> None:
    """Earnings dates for 'nvda' were imported beside NVDA's prices and calendar: they screened no
    row of NVDA's, and on a case-insensitive file system earnings/nvda.parquet replaced
    earnings/NVDA.parquet. Share counts of 'nvda' beside NVDA's prices attached to no row either."""
    root = tmp_path / "cache"
    store = PriceStore(root)
    calendar = shared_data / "earnings" / "earnings_dates.csv"
    import_paths(store, [shared_data / "prices" / "NVDA.csv", calendar])
    before = {p: p.read_bytes() for p in root.rglob("*.parquet")}
    nvda = [line for line in calendar.read_text().splitlines() if line.startswith("NVDA,")]
    (tmp_path / "lower").mkdir()
    lower = _write(tmp_path / "lower" / "calendar.csv", "nvda" + nvda[0][4:] + "\n")
    counts = tmp_path / "lower" / "shares.csv"
    counts.write_text("ticker,as_of,shares_outstanding,filing,source\nnvda,2024-01-01,2.4e10,10-K,x\n")
    for bad, kind in ((lower, "earnings"), (counts, "shares")):
        with pytest.raises(InputError) as caught:
            import_paths(store, [bad])
        assert (caught.value.path, caught.value.row, caught.value.field) == (str(bad), 2, "ticker")
        assert "'nvda' and 'NVDA' differ only in case" in caught.value.message
        assert f"the {kind} of nvda would attach to no row: write NVDA" in caught.value.message
    # in one batch with the prices, and into a cache without them
    fresh = PriceStore(tmp_path / "fresh")
    with pytest.raises(InputError, match="differ only in case"):
        import_paths(fresh, [shared_data / "prices" / "NVDA.csv", lower])
    import_paths(fresh, [calendar])
    with pytest.raises(InputError, match="NVDA is already in the cache \\(earnings\\)"):
        import_paths(fresh, [lower])
    assert {p: p.read_bytes() for p in root.rglob("*.parquet")} == before
    import_paths(store, [calendar])  # the same calendar again: replaced, as before
    # the other order: prices of 'nvda' after NVDA's calendar (review of e325df9)
    prices = tmp_path / "lower" / "nvda.csv"
    prices.write_bytes((shared_data / "prices" / "NVDA.csv").read_bytes())
    dates_first = PriceStore(tmp_path / "dates-first")
    import_paths(dates_first, [calendar])
    with pytest.raises(InputError) as caught:
        import_paths(dates_first, [prices])
    assert (caught.value.path, caught.value.field) == (str(prices), "file name")
    assert "NVDA has earnings in the cache, which would attach to no row of nvda" in caught.value.message
    # the way out either way: a lower-case calendar beside upper-case prices was told 'write orcl'
    remedy = f"write NVDA, or remove {dates_first.path('NVDA', 'earnings')} and import those earnings as nvda"
    assert caught.value.message.endswith(remedy)
    assert dates_first.symbols("prices") == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "calendar.csv",
            "ticker,announced,timing\nNVDA,2024-05-22,post\nAMD,2024-04-30,post\nnvda,2024-08-28,post\n",
        ),
        (
            "shares.csv",
            "ticker,as_of,shares_outstanding,filing,source\nNVDA,2024-11-15,2.449e10,x,y\n"
            "AMD,2024-11-15,1.6e9,x,y\nnvda,2025-05-23,2.44e10,x,y\n",
        ),
    ],
)
def test_case_twins_within_one_file_are_named_by_row(tmp_path, name, text) -> None:
    """A shares or earnings file holding 'NVDA' and 'nvda' was refused naming only the file; the
    error names the row and field of the second spelling and the row of the first."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    store = PriceStore(tmp_path / "cache")
    with pytest.raises(InputError) as caught:
        import_paths(store, [path])
    assert (caught.value.path, caught.value.row, caught.value.field) == (str(path), 4, "ticker")
    assert caught.value.message.startswith("'nvda' and 'NVDA' differ only in case: ")
    assert caught.value.message.endswith("; 'NVDA' is on row 2")
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").rglob("*.parquet"))

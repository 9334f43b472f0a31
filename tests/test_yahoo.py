"""Tests of the yfinance adapter with frames shaped like yfinance's output; no network."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import metadata
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import yahoo
from eventstudy.data.shares import CONFLICTING_COUNTS
from eventstudy.data.yahoo import fetch_prices, fetch_shares, price_provenance
from eventstudy.errors import DataUnavailableError, ImplausibleDataError

START = dt.date(2025, 9, 8)
END = dt.date(2025, 9, 10)
DATES = ["2025-09-08", "2025-09-09", "2025-09-10"]
# ORCL around its September 2025 earnings jump; Adj Close below Close by later dividends.
ORCL = {
    "Open": [239.89, 238.31, 319.19],
    "High": [240.35, 243.49, 345.72],
    "Low": [235.12, 237.64, 312.13],
    "Close": [238.48, 241.51, 328.33],
    "Adj Close": [238.0703, 241.0946, 327.7663],
    "Volume": [12_745_300, 21_203_800, 131_864_300],
}


def _history_frame(tz: str = "America/New_York", actions: bool = True) -> pd.DataFrame:
    """Like ``Ticker("ORCL").history(..., auto_adjust=False)``."""
    index = pd.DatetimeIndex(DATES, name="Date").tz_localize(tz)
    frame = pd.DataFrame(ORCL, index=index)
    frame["Volume"] = frame["Volume"].astype("int64")
    if actions:
        frame["Dividends"] = 0.0
        frame["Stock Splits"] = 0.0
        frame["Capital Gains"] = 0.0
    return frame


def _download_frame(ticker_first: bool = False) -> pd.DataFrame:
    """Like ``yf.download("ORCL", auto_adjust=False)``: (Price, Ticker) columns, tz-naive."""
    frame = _history_frame(actions=False)
    frame.index = frame.index.tz_localize(None)
    frame = frame[sorted(frame.columns)]
    frame.columns = pd.MultiIndex.from_product([frame.columns, ["ORCL"]], names=["Price", "Ticker"])
    if ticker_first:  # group_by="ticker"
        frame.columns = frame.columns.swaplevel()
    return frame


def _serve(frame: pd.DataFrame | pd.Series | None, calls: list[dict] | None = None):
    def fetch(**kwargs):
        if calls is not None:
            calls.append(kwargs)
        if kwargs.get("actions") is False and isinstance(frame, pd.DataFrame):  # as yfinance drops them
            return frame.drop(columns=["Dividends", "Stock Splits", "Capital Gains"], errors="ignore")
        return frame

    return fetch


def test_prices_request_arguments():
    calls: list[dict] = []
    fetch_prices("ORCL", START, END, history=_serve(_history_frame(), calls))
    assert calls == [
        {
            "start": "2025-09-08",
            "end": "2025-09-11",
            "interval": "1d",
            "auto_adjust": False,
            "actions": True,
        }
    ]


def _paying(adjusted: list[float], dividend_row: int = 2) -> pd.DataFrame:
    """``Ticker.history(..., auto_adjust=False, actions=True)`` with a dividend of 0.50 on the
    ex-date row ``dividend_row`` (an equity: no Capital Gains column)."""
    frame = _history_frame(actions=False).assign(**{"Adj Close": adjusted, "Stock Splits": 0.0})
    frame.insert(len(frame.columns) - 1, "Dividends", 0.0)
    frame.iloc[dividend_row, frame.columns.get_loc("Dividends")] = 0.5
    return frame


def test_a_close_copied_into_the_adjusted_close_of_a_dividend_payer_is_refused():
    """Without Yahoo's adjclose block yfinance fills 'Adj Close' with the close
    (yfinance.utils.parse_quotes); the fetch stored it, and returns across the ex-date were off by
    the dividend's yield (a referee, with the real yfinance 1.7.0 fed Yahoo-shaped JSON)."""
    copied = _paying(ORCL["Close"])
    with pytest.raises(DataUnavailableError) as caught:
        fetch_prices("ORCL", START, END, history=_serve(copied))
    message = str(caught.value)
    assert "a distribution of 0.5 on 2025-09-10 but an 'Adj Close' equal to 'Close' on all 2 days" in message
    assert "nothing was stored" in message
    # adjusted before the ex-date (close x (1 - 0.5 / 241.51)), the close from it on: stored
    factor = 1 - 0.5 / 241.51
    adjusted = [ORCL["Close"][0] * factor, ORCL["Close"][1] * factor, ORCL["Close"][2]]
    prices = fetch_prices("ORCL", START, END, history=_serve(_paying(adjusted)))
    assert prices["adj_close"].tolist() == adjusted
    # a dividend on the first day has no day before it to judge by; no dividend, nothing to judge
    assert len(fetch_prices("ORCL", START, END, history=_serve(_paying(ORCL["Close"], 0)))) == 3
    # ... but a later one has: the copy is judged by the last (it passed when the first was on the
    # answer's first day; a re-attack), and a fund's capital gains are a distribution too
    first_and_last = _paying(ORCL["Close"])
    first_and_last.iloc[0, first_and_last.columns.get_loc("Dividends")] = 0.25
    with pytest.raises(DataUnavailableError, match=r"a distribution of 0\.5 on 2025-09-10"):
        fetch_prices("ORCL", START, END, history=_serve(first_and_last))
    fund = _paying(ORCL["Close"]).assign(Dividends=0.0, **{"Capital Gains": [0.0, 1.25, 0.0]})
    with pytest.raises(DataUnavailableError, match=r"a distribution of 1\.25 on 2025-09-09 .* on all 1 days"):
        fetch_prices("ORCL", START, END, history=_serve(fund))
    unpaid = _paying(ORCL["Close"]).assign(Dividends=0.0)
    assert fetch_prices("ORCL", START, END, history=_serve(unpaid))["adj_close"].tolist() == ORCL["Close"]


def test_a_dividend_on_a_day_without_prices_is_a_row_dropped():
    """yfinance adds a row of NaN prices (Volume 0) for a dividend dated outside the price rows
    (yfinance.utils.safe_merge_dfs, interval 1d), which keepna=False does not drop."""
    frame = _history_frame(actions=False).assign(Dividends=0.0, **{"Stock Splits": 0.0})
    extra = pd.DataFrame(
        {**{c: [np.nan] for c in ("Open", "High", "Low", "Close", "Adj Close")}, "Volume": [0]},
        index=pd.DatetimeIndex(["2025-09-06"], name="Date").tz_localize("America/New_York"),
    ).assign(Dividends=0.5, **{"Stock Splits": 0.0})
    prices = fetch_prices("ORCL", dt.date(2025, 9, 5), END, history=_serve(pd.concat([extra, frame])))
    assert prices["date"].tolist() == [pd.Timestamp(d) for d in DATES]
    assert prices["adj_close"].tolist() == ORCL["Adj Close"]


def test_prices_normalised():
    prices = fetch_prices("ORCL", START, END, history=_serve(_history_frame()))
    assert list(prices.columns) == ["date", "open", "high", "low", "close", "adj_close", "volume"]
    assert prices["date"].dtype == np.dtype("datetime64[ns]")
    assert all(prices[name].dtype == np.float64 for name in prices.columns[1:])
    assert isinstance(prices.index, pd.RangeIndex)
    assert list(prices.index) == [0, 1, 2]
    assert list(prices["date"]) == [pd.Timestamp(d) for d in DATES]
    row = prices.set_index("date").loc["2025-09-10"]
    assert row["close"] == 328.33
    assert row["adj_close"] == 327.7663
    assert row["volume"] == 131_864_300.0
    assert prices.loc[1, "close"] == 241.51


@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Tokyo", "Europe/London"])
def test_prices_use_exchange_local_date(tz):
    # 2025-09-10 00:00-04:00 is 04:00 UTC; 00:00+09:00 is the day before in UTC.
    prices = fetch_prices("ORCL", START, END, history=_serve(_history_frame(tz)))
    assert prices.loc[2, "date"] == pd.Timestamp("2025-09-10")
    assert prices["date"].dt.tz is None


@pytest.mark.parametrize(
    ("tz", "zone"), [("Asia/Tokyo", "America/New_York"), ("America/New_York", "Europe/London")]
)
def test_a_download_moved_to_another_zone_is_refused_not_shifted(tz, zone):
    """yf.download(ignore_tz=False) converts each ticker to the download's most common zone
    (yfinance.multi.reindex_dfs): Tokyo's midnights became 10:00 New York time of the day before,
    stored a day early, silently."""
    frame = _history_frame(tz, actions=False)
    frame.index = frame.index.tz_convert(zone)
    frame.columns = pd.MultiIndex.from_product([frame.columns, ["ORCL"]], names=["Price", "Ticker"])
    with pytest.raises(DataUnavailableError, match="is not a day's midnight at the exchange") as caught:
        fetch_prices("ORCL", START, END, history=_serve(frame))
    assert "ignore_tz=True" in str(caught.value)
    days = [pd.Timestamp(d) for d in DATES]
    frame.index = frame.index.tz_convert(tz)  # as the exchange stamps it: accepted
    assert list(fetch_prices("ORCL", START, END, history=_serve(frame))["date"]) == days
    shifted = _history_frame("America/Santiago", actions=False)  # midnight skipped by a clock change
    shifted.index = shifted.index + pd.Timedelta(hours=1)
    assert list(fetch_prices("ORCL", START, END, history=_serve(shifted))["date"]) == days


def test_a_row_without_a_date_is_named():
    """Two NaT stamps reached the duplicate-date message, which failed formatting them
    ('NaTType does not support strftime')."""
    frame = _history_frame()
    frame.index = pd.DatetimeIndex([frame.index[0], pd.NaT, pd.NaT], name="Date")
    with pytest.raises(DataUnavailableError, match=r"Yahoo frame for .*: row 2 has no date \(NaT\)$"):
        fetch_prices("ORCL", START, END, history=_serve(frame))


@pytest.mark.parametrize("ticker_first", [False, True])
def test_prices_from_download_multiindex(ticker_first):
    frame = _download_frame(ticker_first)
    prices = fetch_prices("orcl", START, END, history=_serve(frame))
    assert list(prices["date"]) == [pd.Timestamp(d) for d in DATES]
    assert prices.loc[1, "close"] == 241.51
    assert prices.loc[2, "adj_close"] == 327.7663


def test_prices_sorted_and_blank_rows_dropped():
    frame = _history_frame().iloc[[2, 0, 1]]
    frame.loc["2025-09-08", ["Open", "High", "Low", "Close", "Adj Close"]] = np.nan
    frame.loc["2025-09-09", "Open"] = np.nan
    prices = fetch_prices("ORCL", START, END, history=_serve(frame))
    assert list(prices["date"]) == [pd.Timestamp("2025-09-09"), pd.Timestamp("2025-09-10")]
    assert np.isnan(prices.loc[0, "open"])
    assert prices.loc[0, "close"] == 241.51


def _empty_frame() -> pd.DataFrame:
    # What yfinance's utils.empty_df() returns after logging a failure.
    columns = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="Date"), dtype=float)


def _all_nan_frame() -> pd.DataFrame:
    frame = _history_frame()
    frame[["Open", "High", "Low", "Close", "Adj Close"]] = np.nan
    frame["Volume"] = 0
    return frame


def _auto_adjusted_frame() -> pd.DataFrame:
    return _history_frame().drop(columns="Adj Close")


def _duplicated_frame() -> pd.DataFrame:
    frame = _history_frame()
    return pd.concat([frame, frame.iloc[[2]]])


def _repeated_column_frame() -> pd.DataFrame:
    frame = _history_frame()
    return pd.concat([frame, frame[["Close"]]], axis=1)


def _other_ticker_frame() -> pd.DataFrame:
    frame = _download_frame()
    frame.columns = frame.columns.set_levels(["MSFT"], level="Ticker")
    return frame


def _unindexed_frame() -> pd.DataFrame:
    return _history_frame().reset_index()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: None, "no rows"),
        (_empty_frame, "no rows"),
        (_all_nan_frame, "all-NaN"),
        (_auto_adjusted_frame, "'Adj Close'"),
        (_duplicated_frame, "duplicate rows"),
        (_repeated_column_frame, "has the column 'Close' twice"),  # was pandas' AttributeError
        (_other_ticker_frame, "MSFT"),
        (_unindexed_frame, "not indexed by date"),
    ],
)
def test_prices_bad_frames_raise(make, words):
    with pytest.raises(DataUnavailableError, match="XYZ") as info:
        fetch_prices("XYZ", START, END, history=_serve(make()))
    message = str(info.value)
    assert words in message
    assert "2025-09-08" in message
    assert "2025-09-10" in message
    assert "\n" not in message


def test_prices_wrap_yfinance_exceptions():
    cause = RuntimeError("Too Many Requests.\nRate limited. Try after a while.")

    def fail(**kwargs):
        raise cause

    with pytest.raises(DataUnavailableError, match=r"'XYZ'.*Rate limited") as info:
        fetch_prices("XYZ", START, END, history=fail)
    assert info.value.__cause__ is cause
    assert "\n" not in str(info.value)


def test_prices_reject_reversed_range():
    with pytest.raises(ValueError, match="after"):
        fetch_prices("ORCL", END, START, history=_serve(_history_frame()))


class _FakeTicker:
    """Stands in for yfinance.Ticker so that the default path runs offline."""

    calls: ClassVar[list[tuple[str, str, dict]]] = []

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def history(self, **kwargs):
        self.calls.append((self.symbol, "history", kwargs))
        return _history_frame()

    def get_shares_full(self, **kwargs):
        self.calls.append((self.symbol, "get_shares_full", kwargs))
        return _shares_series()


def test_default_fetchers_use_yfinance_ticker(monkeypatch):
    yfinance = pytest.importorskip("yfinance")
    monkeypatch.setattr(yfinance, "Ticker", _FakeTicker)
    monkeypatch.setattr(_FakeTicker, "calls", [])
    prices = fetch_prices("ORCL", START, END)
    shares = fetch_shares("MSFT", dt.date(2024, 5, 28), dt.date(2024, 5, 31))
    assert prices.loc[2, "close"] == 328.33
    assert shares["shares_outstanding"].iloc[-1] == 7_698_290_176.0
    assert [(s, m) for s, m, _ in _FakeTicker.calls] == [
        ("ORCL", "history"),
        ("MSFT", "get_shares_full"),
    ]
    assert _FakeTicker.calls[0][2]["auto_adjust"] is False


def _shares_series() -> pd.Series:
    """Like ``Ticker("MSFT").get_shares_full()`` in yfinance issue #1954: a repeated date."""
    stamps = ["2024-05-29", "2024-05-30", "2024-05-31", "2024-05-31", "2024-06-01"]
    index = pd.DatetimeIndex(stamps).tz_localize("America/New_York")
    values = [7_432_309_760, 7_432_309_760, 7_432_309_760, 7_698_290_176, 7_433_038_381]
    return pd.Series(values, index=index)


def test_shares_normalised_and_duplicates_keep_last():
    calls: list[dict] = []
    start, end = dt.date(2024, 5, 28), dt.date(2024, 5, 31)
    shares = fetch_shares("MSFT", start, end, get_shares_full=_serve(_shares_series(), calls))
    assert calls == [{"start": "2024-05-28", "end": "2024-06-01"}]
    assert list(shares.columns) == ["ticker", "as_of", "shares_outstanding", "filing", "source"]
    assert shares["as_of"].dtype == np.dtype("datetime64[ns]")
    assert shares["shares_outstanding"].dtype == np.float64
    assert isinstance(shares.index, pd.RangeIndex)
    # One row per date; 2024-06-01 lies after ``end`` and is dropped.
    assert list(shares["as_of"]) == [
        pd.Timestamp(d) for d in ["2024-05-29", "2024-05-30", "2024-05-31"]
    ]
    assert shares.set_index("as_of").loc["2024-05-31", "shares_outstanding"] == 7_698_290_176.0
    assert set(shares["ticker"]) == {"MSFT"}
    assert set(shares["filing"]) == {"Yahoo get_shares_full (vendor figure, NOT cover)"}
    assert set(shares["source"]) == {f"yfinance {yahoo.yfinance_version()} Ticker.get_shares_full"}
    # the other count of 2024-05-31 is said, not dropped unsaid (a finder)
    assert shares.attrs[CONFLICTING_COUNTS] == [
        {"as_of": "2024-05-31", "counts": [7_432_309_760.0, 7_698_290_176.0], "kept": 7_698_290_176.0}
    ]
    # A, B, A: the last reported, A, is kept and said so
    again = _shares_series()
    again = pd.concat([again.iloc[:4], again.iloc[[2]]])
    told = fetch_shares("MSFT", start, end, get_shares_full=_serve(again)).attrs[CONFLICTING_COUNTS]
    assert told == [
        {"as_of": "2024-05-31", "counts": [7_432_309_760.0, 7_698_290_176.0], "kept": 7_432_309_760.0}
    ]


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (2.5, "2.5 is not a whole number of shares"),
        (1e20, "1e+20 is more shares than are stored exactly (at most 2^53 - 1"),
        (2.0**53, "9007199254740992.0 is more shares than are stored exactly"),
    ],
)
def test_a_share_count_an_import_refuses_is_refused_from_yahoo_too(count, said):
    """With no volume to compare it with (a ticker whose volumes are 0), 2.5 shares went into the
    cache and valued a firm at $161 (a finder); an import refuses such a count, so does a fetch."""
    series = _shares_series().astype(float)
    series.iloc[1] = count
    with pytest.raises(ImplausibleDataError) as caught:
        fetch_shares("MSFT", dt.date(2024, 5, 28), dt.date(2024, 5, 31), get_shares_full=_serve(series))
    assert str(caught.value).startswith(f"Yahoo's share count of 'MSFT' on 2024-05-30: {said}")
    assert fetch_shares(  # the largest whole count stored exactly passes
        "MSFT",
        dt.date(2024, 5, 28),
        dt.date(2024, 5, 31),
        get_shares_full=_serve(series.where(series != count, 2.0**53 - 1)),
    ).shares_outstanding.max() == 2.0**53 - 1


def test_shares_unsorted_input_and_bad_counts():
    series = _shares_series().iloc[[3, 0, 2, 1]]
    series.iloc[1] = 0  # 2024-05-29: not a usable count
    shares = fetch_shares(
        "MSFT", dt.date(2024, 5, 28), dt.date(2024, 5, 31), get_shares_full=_serve(series)
    )
    assert list(shares["as_of"]) == [pd.Timestamp("2024-05-30"), pd.Timestamp("2024-05-31")]
    # The later-reported of the two 2024-05-31 figures survives a stable sort.
    assert shares["shares_outstanding"].iloc[-1] == 7_432_309_760.0


@pytest.mark.parametrize(
    "raw",
    [
        None,
        pd.Series([], index=pd.DatetimeIndex([]).tz_localize("America/New_York"), dtype=float),
        pd.Series([np.nan, np.nan], index=pd.DatetimeIndex(["2024-05-30", "2024-05-31"])),
        pd.Series([7_432_309_760.0], index=pd.DatetimeIndex(["2023-01-03"])),
        pd.Series([7_432_309_760.0], index=["2024-05-30"]),
    ],
    ids=["none", "empty", "all-nan", "out-of-range", "not-dated"],
)
def test_shares_unusable_raise(raw):
    with pytest.raises(DataUnavailableError, match=r"'XYZ' between 2024-05-28 and 2024-05-31"):
        fetch_shares("XYZ", dt.date(2024, 5, 28), dt.date(2024, 5, 31), get_shares_full=_serve(raw))


def test_no_share_counts_in_yahoos_answer_is_an_empty_answer():
    """Yahoo's {"timeseries": {"result": []}} makes yfinance's get_shares_full read the first of
    no results (IndexError): it said 'failed: IndexError: list index out of range', neither not
    found nor transient (a referee)."""

    def first_of_none(**kwargs):
        return [][0]

    with pytest.raises(yahoo.EmptyAnswerError) as info:
        fetch_shares("XYZ", START, END, get_shares_full=first_of_none)
    said = "Yahoo returned no share counts for 'XYZ' between 2025-09-08 and 2025-09-10 ("
    assert str(info.value).startswith(said)


def test_shares_wrap_yfinance_exceptions():
    cause = ConnectionError("Yahoo web request for share count failed")

    def fail(**kwargs):
        raise cause

    with pytest.raises(DataUnavailableError, match="'XYZ'") as info:
        fetch_shares("XYZ", START, END, get_shares_full=fail)
    assert info.value.__cause__ is cause


def test_price_provenance():
    record = price_provenance("ORCL")
    assert record == {
        "source": "yahoo",
        "library": f"yfinance {metadata.version('yfinance')}",
        "adjustment": (
            "auto_adjust=False: close split-adjusted, adj_close split- and dividend-adjusted"
        ),
        "symbol": "ORCL",
    }


def test_provenance_without_yfinance(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(yahoo.metadata, "version", missing)
    assert price_provenance("ORCL")["library"] == "yfinance unknown"


def test_quiet_yfinance_raises_silences_and_restores(capsys):
    import logging
    import warnings

    yfinance = pytest.importorskip("yfinance")
    logger = logging.getLogger("yfinance")
    level = logger.level
    hidden = yfinance.config.debug.hide_exceptions
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with yahoo.quiet_yfinance():
            assert yfinance.config.debug.hide_exceptions is False  # yfinance raises, never logs instead
            yfinance.utils.get_yf_logger().error("$XYZ: possibly delisted; no timezone found")
            logging.getLogger("yfinance.data").warning("Cookie/crumb fetch failed")
            warnings.warn("inside yfinance", FutureWarning, stacklevel=1)
        warnings.warn("outside", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["outside"]
    assert capsys.readouterr().err == ""
    assert logger.level == level and not logger.disabled
    assert yfinance.config.debug.hide_exceptions == hidden


@pytest.mark.parametrize(
    ("now", "tz", "kept"),
    [
        ("2025-09-10 15:00", "America/New_York", DATES[:2]),  # 11:00 in New York: 09-10 is live
        ("2025-09-10 21:30", "America/New_York", DATES[:2]),  # 17:30: over, fetched tomorrow
        ("2025-09-11 04:30", "America/New_York", DATES),  # 00:30 on 09-11 there: 09-10 is stored
        ("2025-09-10 03:00", "Asia/Tokyo", DATES[:2]),  # 12:00 in Tokyo on 09-10
        ("2025-09-09 14:00", "Asia/Tokyo", DATES[:1]),  # 23:00 on 09-09 in Tokyo: 09-09 waits a day
        ("2025-09-10 15:00", None, DATES[:2]),  # tz-naive (yf.download): the UTC date
        ("2025-09-11 00:30", None, DATES),
    ],
)
def test_the_exchanges_current_day_is_never_stored_as_a_close(now, tz, kept) -> None:
    """During the session Yahoo sends the live price as the day's bar; stored, an 11:00 price
    became the day's close for good (a later run does not fetch a cached symbol again)."""
    frame = _history_frame(tz="America/New_York" if tz is None else tz)
    if tz is None:
        frame.index = frame.index.tz_localize(None)
    clock = pd.Timestamp(now, tz="UTC").to_pydatetime()
    prices = fetch_prices("ORCL", START, END, history=_serve(frame), now=clock)
    assert prices["date"].dt.strftime("%Y-%m-%d").tolist() == list(kept)
    assert prices["close"].tolist() == ORCL["Close"][: len(kept)]


def test_a_history_of_only_the_current_day_is_an_empty_answer() -> None:
    frame = _history_frame().iloc[[2]]
    clock = dt.datetime(2025, 9, 10, 15, tzinfo=dt.UTC)
    with pytest.raises(DataUnavailableError, match=r"only the exchange's current day \(2025-09-10\)"):
        fetch_prices("ORCL", START, END, history=_serve(frame), now=clock)


def test_a_negative_volume_from_yahoo_is_refused_naming_the_day():
    frame = _history_frame()
    frame.loc[frame.index[1], "Volume"] = -5
    with pytest.raises(DataUnavailableError) as caught:
        fetch_prices("ORCL", START, END, history=_serve(frame))
    assert str(caught.value) == (
        "Yahoo frame for 'ORCL' between 2025-09-08 and 2025-09-10: the Volume -5 of 2025-09-09 is negative: "
        "a volume counts the shares traded (the abnormal-volume model takes its log)"
    )
    frame.loc[frame.index[1], "Volume"] = 0  # a day without trades is a volume
    assert fetch_prices("ORCL", START, END, history=_serve(frame))["volume"].tolist()[1] == 0.0


def test_an_infinite_share_count_from_yahoo_is_refused_not_stored() -> None:
    """inf passed the 'positive' filter and was stored: every market value of the ticker became
    infinite. An import refuses it; so does the fetch now, naming the day."""
    days = pd.DatetimeIndex(["2025-05-31", "2025-08-31"]).tz_localize("America/New_York")
    raw = pd.Series([2.8e9, np.inf], days)
    with pytest.raises(DataUnavailableError, match=r"count of 2025-08-31 for 'ORCL' .* not a finite number"):
        fetch_shares("ORCL", dt.date(2025, 1, 1), dt.date(2025, 9, 10), get_shares_full=_serve(raw))


@pytest.mark.parametrize(
    ("column", "values", "kind"),
    [
        ("Close", [True, False, True], "bool"),
        ("Adj Close", [238.07 + 1j, 241.09 + 0j, 327.77 + 0j], "complex128"),
        ("Volume", ["12745300", "21203800", "131864300"], "text"),
        ("Open", [pd.Timestamp("2025-09-08")] * 3, "datetime64"),
    ],
)
def test_prices_that_are_not_real_numbers_are_refused_not_coerced(column, values, kind) -> None:
    """astype('float64') turned True into a close of 1.0 and dropped the imaginary part of a
    complex price (with only a warning): a fetch stores real numbers or refuses, naming the
    column."""
    frame = _history_frame()
    frame[column] = pd.Series(values, index=frame.index, dtype=object if kind == "text" else None)
    with pytest.raises(DataUnavailableError) as caught:
        fetch_prices("ORCL", START, END, history=_serve(frame))
    message = str(caught.value)
    assert message.startswith("Yahoo frame for 'ORCL' between 2025-09-08 and 2025-09-10: ")
    assert f"column {column!r} holds {kind}" in message
    assert "\n" not in message


def test_prices_as_nullable_or_object_floats_are_stored_as_float64() -> None:
    frame = _history_frame()
    frame["Volume"] = frame["Volume"].astype("Int64")
    frame.loc[frame.index[1], "Volume"] = pd.NA
    frame["Close"] = pd.Series(ORCL["Close"], index=frame.index, dtype=object)
    prices = fetch_prices("ORCL", START, END, history=_serve(frame))
    assert prices["close"].tolist() == ORCL["Close"]
    assert prices["volume"].iloc[0] == 12_745_300.0
    assert np.isnan(prices["volume"].iloc[1])


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([True, True], "bool"),
        ([7.4e9 + 1j, 7.4e9 + 0j], "complex128"),
        (["7.4e9", "n/a"], "text (first '7.4e9' on 2024-05-30)"),
        ([7.4e9, "7,400,000,000"], "values of mixed types (first '7,400,000,000' on 2024-05-31)"),
        ([7_400_000_000, "n/a"], "numbers mixed with other values (first 'n/a' on 2024-05-31)"),
        ([Decimal("7.4e9"), "n/a"], "values of mixed types (first 'n/a' on 2024-05-31)"),  # not the Decimal
    ],
)
def test_share_counts_that_are_not_real_numbers_are_refused_not_coerced(values, kind) -> None:
    """A share count of True was kept as 1 share (pd.to_numeric keeps booleans) and a text
    count was dropped as if missing; one of text among numbers was said to hold 'mixed-integer',
    pandas' name, with no value or day (a finder)."""
    days = pd.DatetimeIndex(["2024-05-30", "2024-05-31"]).tz_localize("America/New_York")
    raw = pd.Series(values, days, dtype=object if "first" in kind else None)
    with pytest.raises(ImplausibleDataError) as caught:  # the fetch refuses, as for an infinite count
        fetch_shares("MSFT", dt.date(2024, 5, 28), dt.date(2024, 5, 31), get_shares_full=_serve(raw))
    assert str(caught.value) == (
        f"Yahoo share counts for 'MSFT' between 2024-05-28 and 2024-05-31 hold {kind}, not numbers"
    )


FAKE_YFINANCE = '''
import types

config = types.SimpleNamespace(debug=types.SimpleNamespace(hide_exceptions=True))  # yfinance's default


class Ticker:
    def __init__(self, symbol):
        self.symbol = symbol

    def _request(self, **kwargs):
        # The real library returns an empty frame (or None) here when hide_exceptions is True.
        print("hide_exceptions", config.debug.hide_exceptions)
        raise ConnectionError("simulated: the network is unreachable")

    history = get_shares_full = get_earnings_dates = _request
'''

FIRST_CALLS = '''
import datetime as dt, sys
from eventstudy.data import yahoo
assert "yfinance" not in sys.modules  # nothing imported it before the first request
for fetch in (yahoo.fetch_prices, yahoo.fetch_shares, yahoo.fetch_earnings):
    try:
        fetch("ORCL", dt.date(2024, 1, 2), dt.date(2024, 2, 1))
    except yahoo.DataUnavailableError as exc:
        print(type(exc.__cause__).__name__)
import yfinance
print("restored", yfinance.config.debug.hide_exceptions)
'''


def test_the_first_request_of_a_process_already_raises_yfinances_errors(tmp_path) -> None:
    # yfinance was imported inside quiet_yfinance, after it had looked for yfinance's switch: the
    # first request of every process ran with hide_exceptions=True, so a timeout or an unreachable
    # network came back as an empty answer ("the symbol was not found") and was not retried.
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "yfinance").mkdir()
    (tmp_path / "yfinance" / "__init__.py").write_text(FAKE_YFINANCE, encoding="utf-8")
    root = Path(yahoo.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)])}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_CALLS], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split("\n") == [
        "hide_exceptions False", "ConnectionError",
        "hide_exceptions False", "ConnectionError",
        "hide_exceptions False", "ConnectionError",
        "restored True", "",
    ]  # fmt: skip

"""Network faults through the injectable fetcher: bounded retries, clear errors, cache kept.

Also upstream restatements: a re-fetch whose history changed is recorded, never mixed.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import json
import shutil
import socket
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute
import pyarrow.parquet as pq
import pytest

import eventstudy.data.acquire as acquire
from eventstudy.cli import main
from eventstudy.config import StudyConfig
from eventstudy.data import yahoo
from eventstudy.data.acquire import (
    RetryPolicy,
    call_with_retries,
    fetch_missing,
    fetch_symbol,
    is_transient,
)
from eventstudy.data.events import read_events
from eventstudy.data.store import PriceStore
from eventstudy.errors import DataUnavailableError, InputError
from eventstudy.hashing import content_sha256, file_sha256
from eventstudy.output.manifest import build_manifest
from eventstudy.study import run_study

START, END = dt.date(2024, 1, 2), dt.date(2025, 3, 31)
TODAY = dt.date(2025, 6, 30)


class YFRateLimitError(Exception):
    """Named like yfinance's exception: matched by class name, yfinance is not imported."""


class ReadTimeout(OSError):  # noqa: N818 - named like requests.ReadTimeout on purpose
    """Named like requests' ReadTimeout."""


def history(start: dt.date = START, end: dt.date = END, scale: float = 1.0) -> pd.DataFrame:
    dates = pd.bdate_range(start, end).astype("datetime64[ns]")
    close = 50.0 + np.arange(len(dates)) * 0.1
    return pd.DataFrame(
        {
            "date": dates,
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "adj_close": close * scale,
            "volume": np.full(len(dates), 1e6),
        }
    )


class Script:
    """A fake fetcher that plays a list of answers (exceptions are raised) and counts calls."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def sleeps() -> list[float]:
    return []


def fetch(store, fetcher, sleeps, symbol="AAA", **kwargs):
    return fetch_symbol(
        store, symbol, START, END, fetch_prices=fetcher, sleep=sleeps.append, today=TODAY, **kwargs
    )


def test_backoff_schedule() -> None:
    assert RetryPolicy().delays() == [2.0, 4.0, 8.0]
    assert RetryPolicy(attempts=7, base_delay=5, max_delay=30).delays() == [5, 10, 20, 30, 30, 30]


@pytest.mark.parametrize(
    "failure",
    [
        TimeoutError("timed out"),
        ReadTimeout("HTTPSConnectionPool: Read timed out."),
        ConnectionResetError(104, "Connection reset by peer"),
        YFRateLimitError("Too Many Requests. Rate limited. Try after a while."),
    ],
    ids=["timeout", "read-timeout", "reset", "rate-limit"],
)
def test_transient_failures_are_retried_then_succeed(tmp_path: Path, sleeps, failure) -> None:
    store = PriceStore(tmp_path)
    fetcher = Script(failure, failure, history())
    outcome = fetch(store, fetcher, sleeps)
    assert (outcome.status, outcome.attempts, fetcher.calls) == ("fetched", 3, 3)
    assert sleeps == [2.0, 4.0]
    pd.testing.assert_frame_equal(store.read_prices("AAA"), history())


def test_failures_inside_yahoo_fetch_prices_are_classified_by_their_cause(tmp_path: Path, sleeps) -> None:
    calls = []

    def flaky_history(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise YFRateLimitError("Too Many Requests")
        if len(calls) == 2:
            raise ReadTimeout("HTTPSConnectionPool: Read timed out.")  # wrapped by yahoo.fetch_prices
        frame = history().set_index("date").rename(columns={"adj_close": "Adj Close"})
        frame.columns = [c if c == "Adj Close" else c.capitalize() for c in frame.columns]
        return frame

    fetcher = functools.partial(yahoo.fetch_prices, history=flaky_history)
    outcome = fetch(PriceStore(tmp_path), lambda s, a, b: fetcher(s, a, b), sleeps)
    assert (outcome.status, outcome.attempts, sleeps) == ("fetched", 3, [2.0, 4.0])


def test_persistent_rate_limit_gives_up_with_one_clear_line_and_keeps_the_cache(
    tmp_path: Path, sleeps
) -> None:
    store = PriceStore(tmp_path)
    store.write_prices("AAA", history(end=dt.date(2024, 12, 31)), {"symbol": "AAA", "source": "old"})
    before = file_sha256(store.price_path("AAA"))
    fetcher = Script(YFRateLimitError("Too Many Requests. Rate limited."))
    with pytest.raises(DataUnavailableError) as caught:
        fetch(store, fetcher, sleeps, refresh=True)
    assert fetcher.calls == 4 and sleeps == [2.0, 4.0, 8.0]
    assert str(caught.value) == (
        "fetching 'AAA' 2024-01-02..2025-03-31 failed 4 times over 14 s of backoff; last error: "
        "YFRateLimitError: Too Many Requests. Rate limited.; the cache keeps what it had"
    )
    assert file_sha256(store.price_path("AAA")) == before and store.verify() == []


def test_an_empty_answer_is_not_retried_and_writes_nothing(tmp_path: Path, sleeps) -> None:
    store = PriceStore(tmp_path)
    fetcher = Script(pd.DataFrame())
    empty = r"the source returned no rows for these dates .*EmptyHistoryError.*check the dates"
    with pytest.raises(acquire.SymbolNotFoundError, match=empty):
        fetch(store, fetcher, sleeps)
    assert fetcher.calls == 1 and sleeps == []
    assert not store.price_path("AAA").exists() and store.verify() == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (history().drop(columns="adj_close"), "lacks column(s) adj_close"),
        (pd.concat([history(), history().iloc[[5]]]), "returned date 2024-01-09 twice"),
        (ValueError("bad symbol"), "fetching 'AAA' 2024-01-02..2025-03-31 failed: ValueError: bad symbol"),
        # What an import refuses, a fetch stored: an infinite close became an infinite market
        # value; a row without a date crashed the fetch with a traceback.
        (history().assign(close=lambda f: f["close"].where(f.index != 3, np.inf)),
         "the source's close of 2024-01-05 for 'AAA' is inf, not a finite number"),
        (history().assign(volume=lambda f: f["volume"].where(f.index != 0, -np.inf)),
         "the source's volume of 2024-01-02 for 'AAA' is -inf, not a finite number"),
        (history().assign(date=lambda f: f["date"].where(f.index != 4)), "has a row without a date"),
        # astype('float64') made True a close of 1.0 and dropped a complex price's imaginary part.
        (history().assign(close=lambda f: f["close"] > 0),
         "the source's close for 'AAA' holds bool, not numbers"),
        (history().assign(adj_close=lambda f: f["adj_close"] + 0j),
         "the source's adj_close for 'AAA' holds complex128, not numbers"),
        (history().assign(date=lambda f: f["date"].where(f.index != 0, pd.Timestamp("1850-01-02"))),
         "has the date 1850-01-02, outside 1900..2199"),
    ],
    ids=["no-adj-close", "duplicate-date", "other-error", "infinite-close", "infinite-volume", "no-date",
         "bool-close", "complex-adj-close", "date-1850"],
)
def test_non_transient_failures_are_not_retried(tmp_path: Path, sleeps, answer, message) -> None:
    fetcher = Script(answer)
    store = PriceStore(tmp_path)
    with pytest.raises(DataUnavailableError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fetch(store, fetcher, sleeps)
    assert fetcher.calls == 1 and sleeps == []
    assert not store.price_path("AAA").exists()  # nothing stored


def test_partial_history_is_kept_and_recorded(tmp_path: Path, sleeps) -> None:
    store = PriceStore(tmp_path)
    outcome = fetch(store, Script(history(start=dt.date(2024, 9, 2), end=dt.date(2025, 2, 28))), sleeps)
    assert outcome.status == "fetched" and outcome.attempts == 1 and sleeps == []
    assert outcome.partial == (
        "starts 2024-09-02, 244 days after the requested 2024-01-02; "
        "ends 2025-02-28, 31 days before the requested 2025-03-31"
    )
    provenance = store.provenance(store.price_path("AAA"))
    assert provenance["requested"] == "2024-01-02..2025-03-31"
    assert provenance["received"] == "2024-09-02..2025-02-28"
    assert provenance["partial_history"] == outcome.partial
    # A history that starts on the first trading day after a weekend and holiday is complete.
    assert fetch(store, Script(history(start=dt.date(2024, 1, 2))), sleeps, symbol="BBB").partial == ""


def test_is_transient_walks_the_cause_chain() -> None:
    wrapped = DataUnavailableError("Yahoo request failed")
    wrapped.__cause__ = YFRateLimitError("429")  # as `raise ... from exc` sets it
    assert is_transient(wrapped)
    deeper = DataUnavailableError("outer")
    deeper.__context__ = wrapped
    assert is_transient(deeper)
    assert not is_transient(DataUnavailableError("lacks column(s) 'Adj Close'"))
    assert not is_transient(KeyError("x"))
    result, attempts = call_with_retries(lambda: 42, "x", sleep=pytest.fail)
    assert (result, attempts) == (42, 1)


def test_shares_rate_limited_is_skipped_after_retries(tmp_path: Path, sleeps, caplog) -> None:
    """Skipped, and said: the run went on with no market values and nothing told the user why
    (the report's note says only that no figure was found)."""
    store = PriceStore(tmp_path)
    shares_calls = Script(YFRateLimitError("429"))
    fetched = fetch_missing(
        store,
        ["AAA"],
        START,
        END,
        fetch_prices=Script(history()),
        fetch_shares=shares_calls,
        tickers_with_shares=["AAA"],
        sleep=sleeps.append,
    )
    assert fetched == ["AAA"] and shares_calls.calls == 4 and sleeps == [2.0, 4.0, 8.0]
    assert not store.shares_path("AAA").exists()
    (record,) = [r for r in caplog.records if r.name == "eventstudy"]
    assert record.levelname == "WARNING"
    said = record.getMessage()
    assert said.startswith("fetching share counts of 'AAA' failed 4 times over 14 s of backoff")
    assert said.endswith("; AAA's market values stay empty (a later run asks again)")
    # Under a lasting limit the later tickers are not asked: a run online made 40 share-count
    # and 40 earnings requests, 280 s of backoff, and 20 warning lines.
    caplog.clear()
    sleeps.clear()
    shares_calls, dates_calls = Script(YFRateLimitError("429")), Script(YFRateLimitError("429"))
    three = ["AAA", "BBB", "CCC"]
    fetch_missing(
        store, three, START, END, fetch_prices=Script(history()), fetch_shares=shares_calls,
        tickers_with_shares=three, sleep=sleeps.append,
    )  # fmt: skip
    acquire.fetch_missing_earnings(store, three, START, END, fetch_earnings=dates_calls, sleep=sleeps.append)
    assert shares_calls.calls == dates_calls.calls == 4 and sleeps == [2.0, 4.0, 8.0] * 2
    counts, dates = [r.getMessage() for r in caplog.records if r.name == "eventstudy"]
    later = "(a later run asks again)"
    assert counts.endswith(f"; AAA's (and BBB, CCC: not asked) market values stay empty {later}")
    assert dates.endswith(f"; AAA (and BBB, CCC: not asked) is not screened for earnings {later}")


def fetch_with_counts(store: PriceStore, told: pd.Series | None, sleeps: list) -> None:
    """``fetch_missing`` of AAA's prices and share counts, Yahoo's ``get_shares_full`` giving ``told``."""
    from eventstudy.data.yahoo import fetch_shares

    fetch_missing(
        store,
        ["AAA"],
        START,
        END,
        fetch_prices=Script(history()),
        fetch_shares=lambda t, s, e: fetch_shares(t, s, e, get_shares_full=lambda **_: told),
        tickers_with_shares=["AAA"],
        sleep=sleeps.append,
    )


def test_share_counts_yahoo_has_none_of_say_to_import_counts(tmp_path: Path, sleeps, caplog) -> None:
    """get_shares_full gives None for many symbols: the warning said "or import its prices with:
    eventstudy cache import PATH" for a ticker whose prices were just fetched."""
    fetch_with_counts(PriceStore(tmp_path), None, sleeps)
    (said,) = [r.getMessage() for r in caplog.records if r.name == "eventstudy"]
    assert "import its prices" not in said and sleeps == []
    assert said.startswith("fetching share counts of 'AAA': the source returned no rows for these dates (")
    assert "or import counts you trust with: eventstudy cache import FILE.csv (columns ticker,as_of," in said


def test_several_counts_yahoo_gives_for_one_date_are_said_and_recorded(
    tmp_path: Path, sleeps, caplog
) -> None:
    """yfinance issue #1954 (MSFT, 2024-05-31: 7,432,309,760 and 7,698,290,176): the last was kept
    and the other lost, said nowhere (a finder). A warning names them and the provenance keeps
    both."""
    from eventstudy.data.shares import CONFLICTING_COUNTS

    index = pd.DatetimeIndex(["2024-03-28", "2024-05-31", "2024-05-31"]).tz_localize("America/New_York")
    told = pd.Series([7_432_000_000, 7_432_309_760, 7_698_290_176], index=index)
    store = PriceStore(tmp_path)
    fetch_with_counts(store, told, sleeps)
    (said,) = [r.getMessage() for r in caplog.records if r.name == "eventstudy"]
    assert said == (
        "Yahoo gives AAA several share counts on 1 date(s), first 2024-05-31 (7,432,309,760 and "
        "7,698,290,176): 7,698,290,176, the last it gave, is kept (provenance conflicting_counts)"
    )
    assert store.read_shares("AAA")["shares_outstanding"].tolist() == [7_432_000_000.0, 7_698_290_176.0]
    assert store.provenance(store.shares_path("AAA"))[CONFLICTING_COUNTS] == [
        {"as_of": "2024-05-31", "counts": [7_432_309_760.0, 7_698_290_176.0], "kept": 7_698_290_176.0}
    ]
    # ... and an import merged into the file keeps the record (it was lost, a reviewer)
    from eventstudy.data.importer import import_paths

    csv = tmp_path / "shares_outstanding.csv"
    csv.write_text("ticker,as_of,shares_outstanding,filing,source\nAAA,2024-08-30,7450000000,10-Q,sec\n")
    import_paths(store, [csv])
    merged = store.provenance(store.shares_path("AAA"))
    assert merged[CONFLICTING_COUNTS] == [
        {"as_of": "2024-05-31", "counts": [7_432_309_760.0, 7_698_290_176.0], "kept": 7_698_290_176.0}
    ]
    assert store.read_shares("AAA")["shares_outstanding"].tolist() == [7.432e9, 7_698_290_176.0, 7.45e9]


def test_the_command_line_prints_a_warning_as_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    """A warning of the package is one ``eventstudy: warning:`` line on stderr, once (not again
    through a root handler), and the handler leaves with the command."""
    import logging

    import eventstudy.cli.fetch as fetch_command

    def warns(args) -> int:
        acquire.LOG.warning("share counts of %r not fetched (%s)", "AAA", "a\nb")
        return 0

    root = logging.getLogger()
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect()
    root.addHandler(handler)
    monkeypatch.setattr(fetch_command, "fetch", warns)
    try:
        assert main(["fetch", "AAA", "--cache", str(tmp_path)]) == 0
    finally:
        root.removeHandler(handler)
    assert capsys.readouterr().err == "eventstudy: warning: share counts of 'AAA' not fetched (a\\nb)\n"
    assert seen == [] and logging.getLogger("eventstudy").handlers == []


# -- upstream restatements ------------------------------------------------------------------------
def restated(frame: pd.DataFrame, ex_date: str, dividend: float) -> pd.DataFrame:
    """Yahoo's adj_close after a new dividend: every earlier day scaled by 1 - D / close(ex-1)."""
    out = frame.copy()
    before = out["date"] < ex_date
    factor = 1.0 - dividend / out.loc[before, "close"].iloc[-1]
    out.loc[before, "adj_close"] = out.loc[before, "adj_close"] * factor
    return out


def test_refetch_with_a_new_dividend_replaces_and_records_never_mixes(tmp_path: Path, sleeps) -> None:
    store = PriceStore(tmp_path)
    old = history(end=dt.date(2025, 1, 31))
    fetch(store, Script(old), sleeps)
    new = restated(history(), "2025-02-14", dividend=0.75)
    outcome = fetch(store, Script(new), sleeps, refresh=True)
    assert outcome.status == "restated"
    pd.testing.assert_frame_equal(store.read_prices("AAA"), new)  # the new history alone
    [record] = store.provenance(store.price_path("AAA"))["restatements"]
    close_before = new.loc[new["date"] < "2025-02-14", "close"].iloc[-1]
    assert record["columns"] == ["adj_close"]
    assert record["dates"] == ["2024-01-02", "2025-01-31"]  # every cached day changed
    assert record["n_dates"] == len(old)
    assert record["max_relative_change"] == pytest.approx(0.75 / close_before, rel=1e-9)
    assert record["old_content_sha256"] == content_sha256(old)
    assert record["new_content_sha256"] == content_sha256(new)
    assert (record["old_rows"], record["new_rows"], record["dropped_rows"]) == (len(old), len(new), 0)
    assert record["dropped_dates"] == []
    # The same history again: nothing changes, nothing is recorded twice.
    before = file_sha256(store.price_path("AAA"))
    assert fetch(store, Script(new), sleeps, refresh=True).status == "unchanged"
    assert file_sha256(store.price_path("AAA")) == before
    # A second restatement appends a second record.
    newer = restated(new, "2025-03-14", dividend=0.5)
    assert fetch(store, Script(newer), sleeps, refresh=True).status == "restated"
    assert len(store.provenance(store.price_path("AAA"))["restatements"]) == 2


def test_refetch_that_only_adds_days_extends_without_duplicates(tmp_path: Path, sleeps) -> None:
    store = PriceStore(tmp_path)
    fetch(store, Script(history(end=dt.date(2024, 12, 31))), sleeps)
    full = history()
    later = full.loc[full["date"] >= "2024-12-02"]  # overlaps one month, values unchanged
    outcome = fetch(store, Script(later), sleeps, refresh=True)
    assert outcome.status == "extended"
    merged = store.read_prices("AAA")
    pd.testing.assert_frame_equal(merged, history())
    assert not merged["date"].duplicated().any()
    assert "restatements" not in store.provenance(store.price_path("AAA"))


@pytest.mark.parametrize("refresh", [False, True])
def test_a_file_another_writer_stores_during_the_download_is_not_overwritten_by_it(
    tmp_path: Path, sleeps, refresh: bool
) -> None:
    """A new symbol is downloaded before its lock is taken: the file another fetch stored
    meanwhile is kept (without --refresh) or refreshed from a download that includes it."""
    store, theirs = PriceStore(tmp_path), history(scale=0.5)

    def slow_fetcher(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        if store.price_path(symbol).exists():  # asked again, under the lock: Yahoo agrees with theirs
            return history(scale=0.5)
        fetch(PriceStore(tmp_path), Script(theirs), sleeps)  # the other writer finishes first
        return history(scale=2.0)  # an answer that would have restated theirs

    outcome = fetch(store, slow_fetcher, sleeps, refresh=refresh)
    assert outcome.status == ("unchanged" if refresh else "cached")
    pd.testing.assert_frame_equal(store.read_prices("AAA"), theirs)


@pytest.mark.parametrize("answer", ["repeated date", "no volume", "infinite close"])
def test_a_refused_answer_leaves_an_empty_cache_folder_empty(tmp_path: Path, sleeps, answer: str) -> None:
    """The answer of a new symbol was checked after its lock was taken: a refused one left
    .locks/prices/AAA.parquet.lock in a folder of the user's, which then counted as a cache
    (and `cache verify --clean` removed a file of theirs named like a writer's temporary file)."""
    frame = history()
    if answer == "repeated date":
        frame = pd.concat([frame, frame.iloc[[5]]]).sort_values("date", kind="stable")
    elif answer == "no volume":
        frame = frame.drop(columns="volume")
    else:
        frame.loc[7, "close"] = np.inf
    with pytest.raises(DataUnavailableError, match="AAA"):
        fetch(PriceStore(tmp_path), Script(frame), sleeps)
    assert sorted(tmp_path.rglob("*")) == []


def test_refetch_replaces_a_damaged_file_of_ours_and_says_so(tmp_path: Path, sleeps) -> None:
    """A cache file of ours altered since is replaced, and the fetch says so; a file that cannot
    be read is refused, kept byte for byte (nothing in it shows eventstudy wrote it: a user's
    parquet file cut short was replaced by an import, a finder), until it is moved away."""
    store = PriceStore(tmp_path)
    fetch(store, Script(history()), sleeps)
    path = store.price_path("AAA")
    table = pq.read_table(path)
    close = table.schema.get_field_index("close")
    pq.write_table(table.set_column(close, "close", pa.compute.multiply(table.column("close"), 2.0)), path)
    outcome = fetch(store, Script(history()), sleeps)
    assert outcome.status == "fetched"
    assert store.provenance(path)["replaced_damaged_file"].startswith("content_mismatch: ")
    # and its line says so (it read as a first fetch's)
    assert "; replaced a damaged cache file (content_mismatch: " in outcome.describe()
    assert store.verify() == []
    cut = path.read_bytes()[:300]
    path.write_bytes(cut)
    with pytest.raises(DataUnavailableError, match=r"cannot be read as a parquet file, so nothing shows"):
        fetch(store, Script(history()), sleeps)
    assert path.read_bytes() == cut
    path.unlink()
    assert fetch(store, Script(history()), sleeps).status == "fetched" and store.verify() == []


def test_restatement_reaches_the_manifest(launch_cache: Path, tmp_path: Path, sleeps) -> None:
    root = tmp_path / "cache"
    shutil.copytree(launch_cache, root)
    store = PriceStore(root)
    cached = store.read_prices("NVDA")
    upstream = restated(cached, "2025-03-12", dividend=0.01)  # NVDA's $0.01 quarterly dividend
    outcome = fetch_symbol(
        store,
        "NVDA",
        dt.date(2023, 1, 1),
        dt.date(2025, 12, 31),
        refresh=True,
        fetch_prices=Script(upstream),
        sleep=sleeps.append,
        today=dt.date(2026, 1, 5),
    )
    assert outcome.status == "restated"
    events_path = tmp_path / "events.csv"
    events_path.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-01-27,pre,NVDA,shocked,,g,h\n"
    )
    results = run_study(read_events(events_path), store, StudyConfig(), events_path=events_path)
    manifest = json.loads(json.dumps(build_manifest(results), default=str))
    [record] = manifest["inputs"]["prices"]["NVDA"]["provenance"]["restatements"]
    assert record["dates"] == ["2023-01-03", "2025-03-11"]
    assert record["new_content_sha256"] == manifest["inputs"]["prices"]["NVDA"]["content_sha256"]


def test_a_rate_limit_that_outlasts_the_retries_stops_the_batch(tmp_path: Path) -> None:
    """Five symbols under a lasting rate limit made 20 requests and 70 s of backoff, each retry
    prolonging Yahoo's block: the first symbol that exhausts its retries on a rate limit ends the
    batch, the others named as not tried."""
    fetcher = Script(YFRateLimitError("Too Many Requests. Rate limited."))
    sleeps: list[float] = []
    report = acquire.fetch_symbols(
        PriceStore(tmp_path), ["AAA", "BBB", "CCC"], START, END, fetch_prices=fetcher, sleep=sleeps.append
    )
    assert fetcher.calls == RetryPolicy().attempts and sleeps == RetryPolicy().delays()
    assert list(report.failures) == ["AAA", "BBB", "CCC"] and report.outcomes == []
    assert "failed 4 times over 14 s of backoff" in report.failures["AAA"]
    assert report.failures["BBB"] == report.failures["CCC"] == (
        "not tried: the source refused AAA's requests as too many after every retry; fetch again later"
    )
    # a symbol that failed otherwise does not stop the others
    other = Script(TimeoutError("t"))
    report = acquire.fetch_symbols(
        PriceStore(tmp_path), ["AAA", "BBB"], START, END, fetch_prices=other, sleep=sleeps.append
    )
    assert other.calls == 2 * RetryPolicy().attempts and list(report.failures) == ["AAA", "BBB"]


# -- the command line ----------------------------------------------------------------------------
def test_fetch_command(tmp_path: Path, monkeypatch, capsys) -> None:
    answers = {"AAA": Script(TimeoutError("t"), history()), "BBB": Script(YFRateLimitError("429"))}
    fake = functools.partial(
        acquire.fetch_symbols, fetch_prices=lambda s, a, b: answers[s](s, a, b), sleep=lambda _: None
    )
    monkeypatch.setattr(acquire, "fetch_symbols", fake)
    cache = str(tmp_path / "cache")
    args = ["fetch", "AAA", "--start", "2024-01-02", "--end", "2025-03-31", "--cache", cache]
    assert main(args) == 0
    assert capsys.readouterr().out == "AAA: fetched, 325 rows (source 2024-01-02..2025-03-31, 2 request(s))\n"
    assert main([*args[:2], "BBB", *args[2:]]) == 2
    captured = capsys.readouterr()
    assert captured.out == "AAA: cached, 325 rows\n"
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("eventstudy: error: 1 of 2 symbol(s) not fetched: BBB: fetching 'BBB'")
    assert main(["fetch", "AAA", "--start", "2025-01-02", "--end", "2024-01-01", "--cache", cache]) == 2
    capsys.readouterr()
    # a span outside the cached one was accepted without a word, and nothing fetched (a finder)
    for start, end in (("2015-01-01", "2025-03-31"), ("2024-06-03", "2025-12-31")):
        assert main(["fetch", "AAA", "--start", start, "--end", end, "--cache", cache]) == 0
        assert capsys.readouterr().out == (
            f"AAA: cached, 325 rows (2024-01-02..2025-03-31; not fetched: {start}..{end} asked reaches "
            "outside it, which eventstudy fetch --refresh AAA fetches)\n"
        )
    for start, end in (("2024-06-03", "2025-04-04"), ("2023-12-26", "2025-04-07")):  # within a week
        assert main(["fetch", "AAA", "--start", start, "--end", end, "--cache", cache]) == 0
        assert capsys.readouterr().out == "AAA: cached, 325 rows\n"
    # a span a fetch already asked for (a listing after its start) is no news: the next plain fetch of
    # the CLI's default span said "--refresh fetches it" every time, after --refresh too (a finder)
    answers["CCC"] = Script(history())
    late = ["fetch", "CCC", "--start", "2022-01-03", "--end", "2025-03-31", "--cache", cache]
    assert main(late) == 0 and "partial history" in capsys.readouterr().out
    assert main(late) == 0 and capsys.readouterr().out == "CCC: cached, 325 rows\n"
    # an end past the day of that fetch was never asked for: months later, the line says so (a finder)
    store = PriceStore(Path(cache))
    record = store.provenance(store.price_path("CCC"))
    assert record["requested"] == "2022-01-03..2025-03-31"
    future = {**record, "requested": "2024-01-02..2025-12-31", "fetched_at": "2025-03-31T20:00:00+00:00"}
    stale = acquire._unfetched(
        store.read_prices("CCC"), future, dt.date(2024, 1, 2), dt.date(2025, 12, 31), dt.date(2025, 7, 1)
    )
    assert stale == ("2024-01-02", "2025-03-31", "2024-01-02", "2025-07-01")
    # a date past 2199 overflowed the day after it: one line naming the option, no request
    answers["AAA"] = Script()
    for option, day in (("--end", "9999-12-31"), ("--start", "1899-12-31")):
        with pytest.raises(SystemExit) as refused:
            main(["fetch", "AAA", option, day, "--cache", cache])
        assert refused.value.code == 2
        err = capsys.readouterr().err
        assert f"argument {option}: '{day}' is not a date between 1900-01-01 and 2199-12-31" in err, err
        assert err.count("\n") == 1 and "Overflow" not in err
    assert answers["AAA"].calls == 0


def test_fetch_symbols_refuses_dates_outside_the_range(tmp_path: Path) -> None:
    """The API checks the dates before any request (9999-12-31 ended in an OverflowError per symbol)."""
    script = Script(history())
    refusal = r"^end: 9999-12-31 is not a date between 1900-01-01 and 2199-12-31$"
    with pytest.raises(InputError, match=refusal):
        acquire.fetch_symbols(PriceStore(tmp_path), ["AAA"], START, dt.date.max, fetch_prices=script)
    assert script.calls == 0 and not list(tmp_path.iterdir())


# -- not found, no network: as yfinance (1.7) reports them -----------------------------------------
# The exceptions are the real classes: yfinance's own (yfinance/exceptions.py) and those of its
# HTTP backend curl_cffi (curl error 6 is DNSError, 7 a ConnectionError; requests' fallback wraps
# urllib3's NameResolutionError). Nothing here opens a connection.
yfinance = pytest.importorskip("yfinance")
curl = pytest.importorskip("curl_cffi.requests.exceptions")
from yfinance.exceptions import YFPricesMissingError, YFTzMissingError  # noqa: E402

DNS_FAILURE = (
    "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
    "See https://curl.se/libcurl/c/libcurl-errors.html first for more details."
)


class _Response:
    """The part of a curl_cffi Response that HTTPError carries."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def _requests_dns_failure() -> Exception:
    """What requests (yfinance's fallback backend) raises when the host does not resolve:
    ConnectionError from urllib3's MaxRetryError from NameResolutionError (requests.adapters)."""
    requests = pytest.importorskip("requests")
    urllib3 = pytest.importorskip("urllib3.exceptions")
    try:
        try:
            raise urllib3.NameResolutionError(
                "query2.finance.yahoo.com", None, socket.gaierror(-2, "Name or service not known")
            )
        except urllib3.NameResolutionError as resolve:
            raise urllib3.MaxRetryError(None, "/v8/finance/chart/NVDA", resolve) from resolve
    except urllib3.MaxRetryError as retry:
        try:
            raise requests.exceptions.ConnectionError(retry) from None
        except requests.exceptions.ConnectionError as exc:
            exc.__context__ = retry  # `from None` only hides it from tracebacks
            return exc
    raise AssertionError("unreachable")


NOT_FOUND = {
    "tz-missing": YFTzMissingError("XYZQ"),  # "$XYZQ: possibly delisted; no timezone found"
    "yahoo-reason": YFPricesMissingError(
        "XYZQ", " (1d 2024-01-02 -> 2025-04-01)", yahoo_reason="No data found, symbol may be delisted"
    ),
    "no-price-data": YFPricesMissingError("XYZQ", " (1d 2024-01-02 -> 2025-04-01)"),
    "http-404": curl.HTTPError("HTTP Error 404: Not Found", 0, _Response(404)),
}
UNREACHABLE = {
    "curl-dns": curl.DNSError(DNS_FAILURE, 6),
    "curl-connect": curl.ConnectionError("Failed to perform, curl: (7) Failed to connect to server", 7),
    "requests-dns": _requests_dns_failure(),
    "gaierror": socket.gaierror(-3, "Temporary failure in name resolution"),
    "refused": ConnectionRefusedError(111, "Connection refused"),
    "network-unreachable": OSError(errno.ENETUNREACH, "Network is unreachable"),
}


def _outage_answers() -> dict[str, Exception]:
    """What the real yfinance raises when Yahoo is down (a finder ran yfinance 1.7's own parsing
    over answers of status 502/503): it never raises the HTTP status (``_make_request`` raises
    only on 429, ``history`` calls no ``raise_for_status``) but turns the body into these."""
    import json

    from yfinance.exceptions import YFDataException

    try:
        json.loads("<html><body>503 Service Unavailable</body></html>")
    except json.JSONDecodeError as exc:
        html = exc
    return {
        "json-error-body": YFPricesMissingError(
            "AAA", " (1d 2024-01-02 -> 2025-04-01)", yahoo_reason="Service Unavailable"
        ),
        "status-code": YFPricesMissingError("AAA", " (1d 2024-01-02 -> 2025-04-01)(Yahoo status_code = 503)"),
        "html-page": html,
        "will-be-right-back": YFDataException("*** YAHOO! FINANCE IS CURRENTLY DOWN! ***"),
    }


OUTAGE = _outage_answers()


def test_a_share_count_answer_of_yahoo_down_is_an_outage() -> None:
    """yfinance's get_shares_full reads the answer's 'timeseries' without looking for Yahoo's
    error (but 'Bad Request'): a 503 ended in KeyError('timeseries'), not retried, and the
    warning said "failed: KeyError: 'timeseries'" (a finder)."""
    try:
        try:
            {"finance": {"error": {"code": "Service Unavailable"}}}["timeseries"]
        except KeyError as missing:
            raise DataUnavailableError("Yahoo share counts for 'AAA' failed") from missing
    except DataUnavailableError as exc:
        failure = exc
    assert acquire.is_outage(failure) and acquire.is_transient(failure)
    assert not acquire.is_outage(KeyError("shares_out"))


def test_yahoos_invalid_input_is_no_outage_and_not_retried(tmp_path: Path, sleeps) -> None:
    """Yahoo's "Invalid input - ..." (a 400 or 422 for a request it refuses) was retried 4 times
    over 14 s as an outage (a finder): it fails at once, with Yahoo's reason."""
    refused = YFPricesMissingError(
        "AAA", " (1d 2024-01-02 -> 2025-04-01)", yahoo_reason="Invalid input - interval=1d is not supported"
    )
    fetcher = Script(refused, history())
    with pytest.raises(DataUnavailableError, match="Invalid input") as caught:
        fetch(PriceStore(tmp_path), fetcher, sleeps)
    assert fetcher.calls == 1 and sleeps == [] and "not found" not in str(caught.value)


@pytest.mark.parametrize("failure", list(OUTAGE.values()), ids=list(OUTAGE))
def test_an_outage_as_yfinance_reports_it_is_retried(tmp_path: Path, sleeps, failure) -> None:
    """Yahoo down (502/503) read as "the symbol was not found" or "failed", never retried,
    though the README says a 502/503/504 is retried: the real library reports it in these forms."""
    store = PriceStore(tmp_path)
    fetcher = Script(failure, failure, history())
    outcome = fetch(store, fetcher, sleeps)
    assert (outcome.status, outcome.attempts, fetcher.calls) == ("fetched", 3, 3)
    assert sleeps == [2.0, 4.0]


def test_yfinances_memo_is_cleared_before_each_request(monkeypatch) -> None:
    """yfinance memoises its answers for past ranges (``YfData.cache_get``, an lru_cache), error
    answers too: a retry got the memoised 503, and a refresh in a notebook the answer before
    Yahoo's restatement (a finder). Each request through the real library starts without it."""
    from yfinance.data import YfData

    monkeypatch.setattr(YfData, "get", lambda self, url, params=None, timeout=30: f"answer of {url}")
    data = YfData()
    YfData.cache_get.cache_clear()
    assert data.cache_get(url="https://query2.finance.yahoo.com/v8/finance/chart/AAA") == (
        "answer of https://query2.finance.yahoo.com/v8/finance/chart/AAA"
    )
    assert YfData.cache_get.cache_info().currsize == 1
    with yahoo.quiet_yfinance(load=True):  # as each fetch through the real library enters it
        assert YfData.cache_get.cache_info().currsize == 0


@pytest.mark.parametrize("failure", list(NOT_FOUND.values()), ids=list(NOT_FOUND))
def test_not_found_is_not_retried_and_says_so(tmp_path: Path, sleeps, failure) -> None:
    fetcher = Script(failure)
    with pytest.raises(acquire.SymbolNotFoundError) as caught:
        fetch(PriceStore(tmp_path), fetcher, sleeps, symbol="XYZQ")
    assert fetcher.calls == 1 and sleeps == []
    message = str(caught.value)
    said = "the symbol was not found at the source"
    if "Prices" in type(failure).__name__:  # Yahoo's answer for a range without a finished session too
        said = "the source returned no rows for these dates"
    assert message.startswith(f"fetching 'XYZQ' 2024-01-02..2025-03-31: {said} (")
    assert "rate limit" not in message and "\n" not in message
    assert not PriceStore(tmp_path).price_path("XYZQ").exists()


@pytest.mark.parametrize("failure", list(UNREACHABLE.values()), ids=list(UNREACHABLE))
def test_no_network_fails_at_once_pointing_to_offline(tmp_path: Path, sleeps, failure) -> None:
    fetcher = Script(failure)
    with pytest.raises(acquire.NetworkUnreachableError) as caught:
        fetch(PriceStore(tmp_path), fetcher, sleeps)
    assert fetcher.calls == 1 and sleeps == []
    message = str(caught.value)
    assert "the network is unreachable" in message and "\n" not in message
    assert "--offline" in message and "eventstudy cache import" in message


def _requests_certificate_failure() -> Exception:
    """requests' SSLError from urllib3's from Python's ssl.SSLCertVerificationError (a proxy
    that intercepts TLS with its own certificate)."""
    import ssl

    requests = pytest.importorskip("requests")
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate in chain")
    error = requests.exceptions.SSLError("HTTPSConnectionPool(host='query2.finance.yahoo.com')")
    error.__context__ = verify
    return error


CERTIFICATE = {
    "curl-60": curl.CertificateVerifyError("curl: (60) SSL certificate problem: self-signed certificate", 60),
    "curl-code-60": curl.CurlError("curl: (60) SSL certificate problem: unable to get local issuer", 60),
    "curl-77": curl.SSLError("curl: (77) error setting certificate verify locations: CAfile: none", 77),
    "requests": _requests_certificate_failure(),
}


@pytest.mark.parametrize("failure", list(CERTIFICATE.values()), ids=list(CERTIFICATE))
def test_a_certificate_that_fails_verification_is_not_retried(tmp_path: Path, sleeps, failure) -> None:
    """curl_cffi's CertificateVerifyError is a ConnectionError, which is retried: a proxy's
    certificate (or a wrong clock) cost each symbol 4 requests and 14 s of backoff, then read
    "failed 4 times". It fails at once, saying why, and stops the batch as no network does."""
    fetcher = Script(failure)
    with pytest.raises(acquire.NetworkUnreachableError) as caught:
        acquire.fetch_symbols(
            PriceStore(tmp_path), ["AAA", "BBB"], START, END, fetch_prices=fetcher, sleep=sleeps.append
        )
    assert fetcher.calls == 1 and sleeps == []
    message = str(caught.value)
    assert message.startswith("fetching 'AAA' 2024-01-02..2025-03-31: the source's TLS certificate could not")
    assert "\n" not in message and "--offline" in message and "clock" in message
    assert not acquire.is_transient(failure)
    assert acquire.is_transient(curl.SSLError("curl: (35) OpenSSL SSL_connect: Connection reset", 35))


def test_classification_walks_the_chain_as_yahoo_fetch_prices_wraps_it() -> None:
    def wrapped(cause: BaseException) -> DataUnavailableError:
        try:
            yahoo.fetch_prices("NVDA", START, END, history=lambda **_: (_ for _ in ()).throw(cause))
        except DataUnavailableError as exc:
            return exc
        raise AssertionError("no error")

    assert acquire.is_unreachable(wrapped(UNREACHABLE["curl-dns"]))
    assert acquire.is_not_found(wrapped(NOT_FOUND["tz-missing"]))
    # a curl_cffi DNSError *is* a ConnectionError: it must not be retried as one
    assert not acquire.is_transient(wrapped(UNREACHABLE["curl-dns"]))
    assert acquire.is_transient(wrapped(curl.ConnectionError("curl: (56) Recv failure: reset", 56)))
    assert acquire.is_transient(curl.HTTPError("HTTP Error 429", 0, _Response(429)))
    assert not acquire.is_transient(curl.HTTPError("HTTP Error 500", 0, _Response(500)))
    assert not acquire.is_transient(curl.HTTPError("HTTP Error 501", 0, _Response(501)))


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_or_an_unavailable_service_is_tried_again(tmp_path: Path, sleeps, status: int) -> None:
    """Yahoo's 502/503/504 (a gateway's or the service's "try again later") were failures at the
    first answer, as a 500 is; they are retried, and the prices of the attempt that works cached."""
    error = curl.HTTPError(f"HTTP Error {status}", 0, _Response(status))
    fetcher = Script(error, error, history())
    fetch(PriceStore(tmp_path), fetcher, sleeps)
    assert fetcher.calls == 3 and len(sleeps) == 2
    assert len(PriceStore(tmp_path).read_prices("AAA")) == len(history())


def test_fetch_symbols_stops_at_the_first_unreachable(tmp_path: Path, sleeps) -> None:
    fetcher = Script(UNREACHABLE["curl-dns"])
    with pytest.raises(acquire.NetworkUnreachableError):
        acquire.fetch_symbols(
            PriceStore(tmp_path), ["AAA", "BBB", "CCC"], START, END, fetch_prices=fetcher, sleep=sleeps.append
        )
    assert fetcher.calls == 1 and sleeps == []


class _YahooTicker:
    """``yfinance.Ticker`` as yfinance 1.7 behaves without a network, or for an unknown symbol.

    Follows ``TickerBase._fetch_ticker_tz`` and ``PriceHistory.history``: every request first
    logs the crumb failure as a warning; then, when ``config.debug.hide_exceptions`` is True (the
    default), the failure is logged as an error ("Failed to get ticker ...", "$XYZQ: possibly
    delisted; no timezone found") and an empty frame (``utils.empty_df()``) is returned; when it
    is False the exception is raised. It also emits a pandas-style FutureWarning, as old yfinance
    versions did on import.
    """

    failure: ClassVar[BaseException] = UNREACHABLE["curl-dns"]
    requests: ClassVar[list[str]] = []

    def __init__(self, ticker: str) -> None:
        self.ticker = ticker

    def _fail(self):
        import warnings

        logger = yfinance.utils.get_yf_logger()
        self.requests.append(self.ticker)
        warnings.warn("The default dtype for empty Series will be 'object'", FutureWarning, stacklevel=2)
        logger.warning("Cookie/crumb fetch failed (DNSError), continuing without crumb")
        if not yfinance.config.debug.hide_exceptions:
            raise self.failure
        logger.error(f"Failed to get ticker '{self.ticker}' reason: {self.failure}")
        logger.error(str(YFTzMissingError(self.ticker)))
        return yfinance.utils.empty_df()

    def history(self, **kwargs):
        return self._fail()

    def get_shares_full(self, **kwargs):
        self._fail()


EVENTS_ONLINE = (
    "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
    "stargate,2025-01-21,intraday,ORCL,partner,500e9,g,h\n"
)


@pytest.mark.parametrize("case", ["no-network", "not-found"])
@pytest.mark.parametrize("command", ["run", "backtest", "fetch"])
def test_every_online_path_fails_in_one_line_without_yfinance_output(
    tmp_path: Path, monkeypatch, capsys, command: str, case: str
) -> None:
    monkeypatch.setattr(yfinance, "Ticker", _YahooTicker)
    failure = UNREACHABLE["curl-dns"] if case == "no-network" else YFTzMissingError("ORCL")
    monkeypatch.setattr(_YahooTicker, "failure", failure)
    monkeypatch.setattr(_YahooTicker, "requests", [])
    monkeypatch.setattr(acquire.time, "sleep", lambda seconds: pytest.fail(f"slept {seconds} s"))
    events, out, cache = tmp_path / "events.csv", tmp_path / "out", tmp_path / "cache"
    events.write_text(EVENTS_ONLINE, encoding="utf-8")
    args = {
        "run": ["run", "--events", str(events), "--no-peers", "--out", str(out)],
        "backtest": ["backtest", "--events", str(events), "--out", str(out)],
        "fetch": ["fetch", "ORCL", "SPY", "--start", "2024-01-02", "--end", "2025-03-31"],
    }[command]
    capsys.readouterr()
    status = main([*args, "--cache", str(cache)])
    captured = capsys.readouterr()
    assert status == 2 and captured.err.count("\n") == 1, captured.err
    assert captured.out == ""  # neither yfinance's lines nor a partial report
    if case == "no-network":  # one request: no retry, and no other symbol tried
        assert _YahooTicker.requests == ["ORCL"] if command == "fetch" else ["SPY"]
        # Nothing stored: the cache folder it had to make is gone (its .locks tree was left,
        # and `cache verify` then called the mistyped folder a healthy cache).
        assert not cache.exists()
        assert "the network is unreachable" in captured.err
        assert "work offline (run --offline)" in captured.err  # `fetch` has no --offline of its own
    elif command == "fetch":  # not found: no retry; the other symbols are still fetched
        assert _YahooTicker.requests == ["ORCL", "SPY"]
        assert captured.err.startswith("eventstudy: error: 2 of 2 symbol(s) not fetched: ORCL: ")
        assert captured.err.count("the symbol was not found") == 2
    else:  # the market proxy comes first
        assert _YahooTicker.requests == ["SPY"]
        assert "fetching 'SPY'" in captured.err and "the symbol was not found" in captured.err
    assert not out.exists()
    assert yfinance.config.debug.hide_exceptions is True  # the user's yfinance settings restored


@pytest.mark.parametrize("command", ["run", "fetch"])
def test_a_failed_download_leaves_an_empty_cache_folder_empty(
    tmp_path: Path, monkeypatch, capsys, command: str
) -> None:
    """A folder of the user's given as --cache kept ``.locks/prices/ORCL.parquet.lock`` after a
    fetch that could not reach Yahoo: the lock was taken before the download, and from then on
    the folder counted as a cache."""
    monkeypatch.setattr(yfinance, "Ticker", _YahooTicker)
    monkeypatch.setattr(_YahooTicker, "failure", UNREACHABLE["curl-dns"])
    monkeypatch.setattr(_YahooTicker, "requests", [])
    monkeypatch.setattr(acquire.time, "sleep", lambda seconds: pytest.fail(f"slept {seconds} s"))
    events, cache = tmp_path / "events.csv", tmp_path / "mine"
    events.write_text(EVENTS_ONLINE, encoding="utf-8")
    cache.mkdir()
    args = {
        "run": ["run", "--events", str(events), "--no-peers", "--out", str(tmp_path / "out")],
        "fetch": ["fetch", "ORCL", "--start", "2024-01-02", "--end", "2025-03-31"],
    }[command]
    status = main([*args, "--cache", str(cache)])
    assert status == 2 and "the network is unreachable" in capsys.readouterr().err
    assert _YahooTicker.requests == ["ORCL" if command == "fetch" else "SPY"]
    assert sorted(cache.rglob("*")) == []


class _PartlyReachable:
    """yfinance.Ticker whose history is served for NVDA and fails for any other symbol with the
    ``failure`` set on the class (the network lost after NVDA, or a symbol not found)."""

    failure: ClassVar[BaseException] = UNREACHABLE["gaierror"]

    def __init__(self, ticker: str) -> None:
        self.ticker = ticker

    def history(self, **kwargs):
        if self.ticker != "NVDA":
            raise self.failure
        days = pd.bdate_range(kwargs["start"], kwargs["end"], inclusive="left", tz="America/New_York")
        close = 100.0 + np.arange(len(days))
        prices = dict.fromkeys(["Open", "High", "Low", "Close", "Adj Close"], close)
        return pd.DataFrame({**prices, "Volume": np.full(len(days), 1000, dtype="int64")}, index=days)


def test_a_fetch_says_what_it_wrote_before_the_network_was_lost(tmp_path: Path, monkeypatch, capsys) -> None:
    """fetch NVDA ORCL SPY with the network lost at ORCL wrote NVDA's file and printed only the
    network line: the outcome of each symbol is printed as it comes."""
    monkeypatch.setattr(yfinance, "Ticker", _PartlyReachable)
    monkeypatch.setattr(acquire.time, "sleep", lambda seconds: pytest.fail(f"slept {seconds} s"))
    cache = tmp_path / "cache"
    argv = ["fetch", "NVDA", "ORCL", "SPY", "--start", "2024-01-02", "--end", "2024-01-31"]
    assert main([*argv, "--cache", str(cache)]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("NVDA: fetched, 22 rows") and captured.out.count("\n") == 1
    assert captured.err.count("\n") == 1 and "the network is unreachable" in captured.err
    assert PriceStore(cache).symbols("prices") == ["NVDA"]


def test_a_symbol_given_twice_is_counted_once(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(yfinance, "Ticker", _PartlyReachable)
    monkeypatch.setattr(_PartlyReachable, "failure", YFTzMissingError("ZZZ"))
    argv = ["fetch", "ZZZ", "NVDA", "ZZZ", "--start", "2024-01-02", "--end", "2024-01-31"]
    assert main([*argv, "--cache", str(tmp_path / "cache")]) == 2
    assert capsys.readouterr().err.startswith("eventstudy: error: 1 of 2 symbol(s) not fetched: ZZZ: ")


class Ranged:
    """A fake fetcher that serves the rows of ``frame`` inside the requested range, and records
    each request."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame, self.requests = frame, []

    def __call__(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        self.requests.append((start, end))
        dates = self.frame["date"].dt.date
        return self.frame.loc[(dates >= start) & (dates <= end)].reset_index(drop=True)


def test_a_refresh_over_a_narrower_range_keeps_the_whole_cached_history(tmp_path: Path, sleeps) -> None:
    """A restatement replaces the file; a refresh asked for the last quarter only replaced 15
    months of history with that quarter (an audit: 2,738 rows became 783, exit 0)."""
    store = PriceStore(tmp_path)
    fetch(store, Script(history()), sleeps)
    upstream = Ranged(restated(history(), "2025-02-14", dividend=0.75))
    asked = {"fetch_prices": upstream, "refresh": True, "sleep": sleeps.append, "today": TODAY}
    outcome = fetch_symbol(store, "AAA", dt.date(2025, 1, 2), END, **asked)
    assert upstream.requests == [(START, END)]  # the cached span, not only the one asked for
    assert outcome.status == "restated" and outcome.rows == len(history())
    pd.testing.assert_frame_equal(store.read_prices("AAA"), upstream.frame)
    assert "without" not in outcome.describe()


@pytest.mark.parametrize("column", ["open", "high", "low", "volume"])
def test_a_refresh_that_revises_an_open_or_a_volume_is_a_restatement(tmp_path: Path, sleeps, column) -> None:
    """Only close and adj_close were compared: Yahoo's revised open (the backtest's entry) or
    volume (the abnormal-volume model) of a cached day left the stale value, 'extended', exit 0."""
    store = PriceStore(tmp_path)
    fetch(store, Script(history(end=dt.date(2025, 3, 31))), sleeps)
    upstream = history()
    revised = upstream["date"] == pd.Timestamp("2025-01-31")
    upstream.loc[revised, column] *= 2.0
    outcome = fetch(store, Script(upstream), sleeps, refresh=True)
    assert outcome.status == "restated" and outcome.restatement is not None
    record = outcome.restatement
    assert (record["columns"], record["n_dates"]) == ([column], 1)
    assert record["dates"] == ["2025-01-31", "2025-01-31"]
    assert record["max_relative_change"] == pytest.approx(1.0) and "split" not in record
    pd.testing.assert_frame_equal(store.read_prices("AAA"), upstream)
    assert store.provenance(store.price_path("AAA"))["restatements"] == [record]


def test_a_split_with_a_later_revised_volume_is_still_a_split(tmp_path: Path, sleeps) -> None:
    """A 2-for-1 split after 2025-02-14 restates the closes up to it; a volume revised on a later
    day is a restatement too, and must not hide the split (whose dates bound the counts)."""
    store = PriceStore(tmp_path)
    fetch(store, Script(history(end=dt.date(2025, 3, 31))), sleeps)
    upstream = history()
    before = upstream["date"] <= pd.Timestamp("2025-02-14")
    upstream.loc[before, ["open", "high", "low", "close", "adj_close"]] *= 0.5
    upstream.loc[before, "volume"] *= 2.0
    upstream.loc[upstream["date"] == pd.Timestamp("2025-03-03"), "volume"] *= 1.1
    record = fetch(store, Script(upstream), sleeps, refresh=True).restatement
    assert record is not None and (record["split"], record["close_factor"]) == ("2-for-1", 0.5)
    assert (record["split_after"], record["split_by"]) == ("2025-02-14", "2025-02-17")
    assert record["dates"] == ["2024-01-02", "2025-03-03"] and record["columns"][-1] == "volume"
    from eventstudy.valuation import price_splits

    split = price_splits({"AAA": [record]})["AAA"][0]
    assert split.ratio == 2.0
    assert (str(split.restated_to)[:10], str(split.split_by)[:10]) == ("2025-02-14", "2025-02-17")


def test_a_refresh_keeps_and_records_cached_days_the_source_no_longer_has(tmp_path: Path, sleeps) -> None:
    """Yahoo's new history without three cached days: the refresh said 'extended' and recorded
    nothing. The days stay (every value both hold agrees) and are said and recorded."""
    store = PriceStore(tmp_path)
    cached = history(end=dt.date(2025, 2, 28))
    fetch(store, Script(cached), sleeps)
    gone = pd.to_datetime(["2025-01-09", "2025-01-10", "2025-01-13"])
    upstream = history().loc[lambda f: ~f["date"].isin(gone)].reset_index(drop=True)
    outcome = fetch(store, Script(upstream), sleeps, refresh=True)
    assert outcome.status == "extended" and outcome.restatement is None
    assert "3 cached day(s) 2025-01-09..2025-01-13 the source no longer has: kept" in outcome.describe()
    stored = store.read_prices("AAA")
    assert stored["date"].isin(gone).sum() == 3 and len(stored) == len(history())
    record = store.provenance(store.price_path("AAA"))["vanished"]
    assert [(r["dates"], r["n_dates"]) for r in record] == [(["2025-01-09", "2025-01-13"], 3)]
    before = file_sha256(store.price_path("AAA"))
    again = fetch(store, Script(upstream), sleeps, refresh=True)  # nothing new, nothing newly gone
    assert again.status == "unchanged" and "no longer has" not in again.describe()
    assert file_sha256(store.price_path("AAA")) == before
    assert store.read_prices("AAA")["date"].isin(gone).sum() == 3


def test_a_refresh_that_shares_no_day_with_the_cache_writes_nothing(tmp_path: Path, sleeps) -> None:
    """Yahoo's history of 2024 beside a cached 2015: appended, it joined two adjustment bases
    across a 2,924-day gap (+187% across the join)."""
    store = PriceStore(tmp_path)
    old = history(dt.date(2015, 12, 1), dt.date(2015, 12, 31), scale=0.95)
    fetch(store, Script(old), sleeps)
    before = file_sha256(store.price_path("AAA"))
    with pytest.raises(DataUnavailableError) as caught:
        fetch(store, Script(history()), sleeps, refresh=True)
    assert "shares no day with the cached one (2015-12-01..2015-12-31)" in str(caught.value)
    assert file_sha256(store.price_path("AAA")) == before


def test_a_refresh_of_imported_prices_keeps_their_record(tmp_path: Path, sleeps) -> None:
    """Yahoo's days added to imported ones made the file's provenance Yahoo's alone, and Yahoo's
    prices replacing an import were called an upstream restatement."""
    store = PriceStore(tmp_path)
    record = {"source": "yahoo-csv-import", "source_file": "/data/AAA.csv", "source_sha256": "ab" * 32}
    store.write_prices("AAA", history(end=dt.date(2024, 12, 31)), {**record, "imported_at": "2025-01-02"})
    extended = fetch(store, Script(history()), sleeps, refresh=True)
    assert extended.status == "extended"
    provenance = store.provenance(store.price_path("AAA"))
    assert provenance["source"] == "yahoo"
    assert provenance["earlier_rows"] == {**record, "imported_at": "2025-01-02"}
    upstream = Script(restated(history(), "2025-02-14", dividend=0.75))
    restated_outcome = fetch(store, upstream, sleeps, refresh=True)
    assert restated_outcome.status == "restated"
    assert "Yahoo's prices differ from the cached ones (with rows imported from /data/AAA.csv) on" in (
        restated_outcome.describe()
    )
    provenance = store.provenance(store.price_path("AAA"))
    assert "earlier_rows" not in provenance  # every row is Yahoo's now
    assert provenance["restatements"][-1]["replaced_rows_from"]["source_file"] == "/data/AAA.csv"


def test_a_restatement_names_the_cached_days_the_source_no_longer_has(tmp_path: Path, sleeps) -> None:
    """A refresh with a new dividend and two days Yahoo no longer has replaced the file without
    them (old and new adjustments are never mixed) and recorded only dropped_rows = 2: which days
    went, nothing said, while an earlier vanished record still said one of them was kept."""
    store = PriceStore(tmp_path)
    old = history(end=dt.date(2025, 1, 31))
    fetch(store, Script(old), sleeps)
    gone = old["date"].iloc[[10, 20]]
    assert fetch(store, Script(old.drop(index=10)), sleeps, refresh=True).status == "unchanged"
    [vanished] = store.provenance(store.price_path("AAA"))["vanished"]
    assert vanished["dates"] == [f"{gone.iloc[0]:%Y-%m-%d}"] * 2  # kept, and said
    new = restated(old.drop(index=gone.index).reset_index(drop=True), "2025-01-15", dividend=0.75)
    outcome = fetch(store, Script(new), sleeps, refresh=True)
    assert outcome.status == "restated"
    pd.testing.assert_frame_equal(store.read_prices("AAA"), new)
    record = store.provenance(store.price_path("AAA"))["restatements"][-1]
    days = [f"{gone.iloc[0]:%Y-%m-%d}", f"{gone.iloc[1]:%Y-%m-%d}"]
    assert (record["dropped_rows"], record["dropped_dates"]) == (2, days)
    assert f"without 2 cached day(s) {days[0]}..{days[1]} the source no longer has" in outcome.describe()


def test_a_refresh_keeps_the_record_of_an_earlier_replacement(tmp_path: Path, sleeps) -> None:
    """A re-import that dropped cached days records it (``replacements``); a later refresh rebuilt
    the provenance and kept only ``restatements``, so the record left every later manifest."""
    store = PriceStore(tmp_path)
    dropped = {
        "old_rows": 400, "new_rows": 250, "dropped_rows": 150,
        "dropped_dates": ["2023-06-01", "2023-12-29"],
    }
    record = {"source": "yahoo", "replacements": [dropped]}
    store.write_prices("AAA", history(end=dt.date(2024, 12, 31)), record)
    assert fetch(store, Script(history()), sleeps, refresh=True).status == "extended"
    assert store.provenance(store.price_path("AAA"))["replacements"] == [dropped]
    upstream = Script(restated(history(), "2025-02-14", dividend=0.75))
    assert fetch(store, upstream, sleeps, refresh=True).status == "restated"
    assert store.provenance(store.price_path("AAA"))["replacements"] == [dropped]


def test_an_extended_file_is_not_called_partial_for_a_truncated_answer(tmp_path: Path, sleeps) -> None:
    """Yahoo answering a refresh from 2024-09-02 only: the merged file still starts on 2024-01-02,
    and its provenance said ``partial_history: starts 2024-09-02``, of the answer, not the file."""
    store = PriceStore(tmp_path)
    store.write_prices("AAA", history(end=dt.date(2024, 12, 31)), {"source": "yahoo"})
    truncated = history().loc[lambda frame: frame["date"] >= "2024-09-02"].reset_index(drop=True)
    outcome = fetch(store, Script(truncated), sleeps, refresh=True)
    assert outcome.status == "extended" and outcome.partial == ""
    provenance = store.provenance(store.price_path("AAA"))
    assert "partial_history" not in provenance
    assert provenance["received"] == "2024-01-02..2025-03-31 (merged with the cached rows)"


def test_an_error_page_and_a_leap_day_are_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    """yfinance re-raises the JSONDecodeError of an HTML 503 page; `fetch --end 2024-02-29`
    asked for 29 February 2021 (ValueError, traceback, exit 1)."""
    def error_page(**_):
        raise json.JSONDecodeError("Expecting value", "<html>", 0)

    with pytest.raises(DataUnavailableError) as caught:
        yahoo.fetch_prices("AAA", START, END, history=error_page)
    assert "Yahoo answered with a page that is not data" in str(caught.value)
    asked = []

    def fetch_symbols(store, symbols, start, end, refresh=False, on_outcome=None):
        asked.append((start, end))
        return acquire.FetchReport()

    monkeypatch.setattr(acquire, "fetch_symbols", fetch_symbols)
    assert main(["fetch", "AAA", "--end", "2024-02-29", "--cache", str(tmp_path)]) == 0
    assert asked == [(dt.date(2021, 2, 28), dt.date(2024, 2, 29))]


def test_building_a_ticker_logs_nothing_to_the_terminal(monkeypatch, capsys) -> None:
    """yfinance's Ticker searches an ISIN-shaped symbol on construction and logs a failed cookie
    fetch; it was built outside the silencing and printed a second line."""
    import logging
    import types

    class Ticker:
        def __init__(self, symbol: str) -> None:
            logging.getLogger("yfinance").error("Cookie/crumb fetch failed (DNSError), continuing")

        def history(self, **_):
            raise ConnectionError("no network")

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    records: list[str] = []
    handler = Collect()
    logging.getLogger("yfinance").addHandler(handler)  # what a terminal's handler would see
    monkeypatch.setattr(yahoo, "_yfinance", lambda: types.SimpleNamespace(Ticker=Ticker))
    try:
        with pytest.raises(DataUnavailableError):
            yahoo.fetch_prices("US0378331005", START, END)
    finally:
        logging.getLogger("yfinance").removeHandler(handler)
    assert records == []
    assert capsys.readouterr().err == ""


def test_a_refresh_over_an_empty_file_or_asked_for_less_says_only_what_is_true(tmp_path, sleeps) -> None:
    """A 0-row cached file made the disjoint-history check read its first date (IndexError,
    traceback). A refresh asked from 2025 but widened to the cached 2024 span called Yahoo's
    history partial against a start the user never asked for."""
    store = PriceStore(tmp_path)
    store.write_prices("AAA", history().iloc[:0], {"source": "yahoo"})
    assert fetch(store, Script(history()), sleeps, refresh=True).status == "extended"
    pd.testing.assert_frame_equal(store.read_prices("AAA"), history())
    other = PriceStore(tmp_path / "b")
    record = {"source": "yahoo-csv-import", "source_file": "/data/AAA.csv", "source_sha256": "ab" * 32}
    other.write_prices("AAA", history(), record)  # imported from 2024-01-02
    full = history()
    upstream = Ranged(full.loc[full["date"] >= "2024-07-01"].reset_index(drop=True))  # Yahoo's starts in July
    asked = {"fetch_prices": upstream, "refresh": True, "sleep": sleeps.append, "today": TODAY}
    outcome = fetch_symbol(other, "AAA", dt.date(2025, 1, 2), END, **asked)
    assert upstream.requests == [(START, END)] and outcome.status == "unchanged"
    assert outcome.partial == ""


def test_a_fetch_never_replaces_a_file_the_tool_did_not_write(tmp_path: Path, sleeps) -> None:
    """A user's own parquet in prices/ was replaced by a fetch (an import refuses it): refused,
    the file unchanged, the source never asked."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = PriceStore(tmp_path / "cache")
    theirs = store.price_path("AAA")
    theirs.parent.mkdir(parents=True)
    pq.write_table(pa.table({"mine": [1, 2, 3]}), theirs)
    before = file_sha256(theirs)
    asked: list[str] = []

    def fetcher(symbol, start, end):
        asked.append(symbol)
        return history()

    with pytest.raises(DataUnavailableError, match="exists and was not written by eventstudy"):
        fetch(store, fetcher, sleeps, refresh=True)
    assert file_sha256(theirs) == before and asked == []

"""Several eventstudy processes on one cache at once: all finish, nothing corrupted or duplicated.

Two ``eventstudy cache import`` of the same folders and an ``eventstudy run`` (console
scripts, as cron jobs would start them) plus two ``fetch --refresh`` workers calling the Python
API with a fake fetcher (the command line cannot take one), all started together on one cache.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.importer import import_paths, parse_yahoo_csv
from eventstudy.data.store import PriceStore
from eventstudy.hashing import content_sha256

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def fake_history(symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """NVDA as in the shared CSV (so a refresh finds it unchanged); NEWCO synthetic."""
    if symbol == "NVDA":
        return parse_yahoo_csv(SHARED / "prices" / "NVDA.csv")
    dates = pd.bdate_range("2024-01-02", "2025-06-30").astype("datetime64[ns]")
    close = np.linspace(10.0, 20.0, len(dates))
    return pd.DataFrame(
        {
            "date": dates,
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "adj_close": close,
            "volume": np.full(len(dates), 5e5),
        }
    )


def fetch_worker(root: str, rounds: int) -> None:
    from eventstudy.data.acquire import fetch_symbols

    for _ in range(rounds):
        report = fetch_symbols(
            PriceStore(root),
            ["NVDA", "NEWCO"],
            dt.date(2023, 1, 1),
            dt.date(2025, 12, 31),
            refresh=True,
            fetch_prices=fake_history,
            sleep=lambda _: None,
        )
        if report.failures:
            raise SystemExit(f"fetch failed: {report.failures}")


def test_imports_run_and_fetches_on_one_cache_at_once(shared_data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [shared_data / "prices", shared_data / "shares"])  # run needs data
    script = str(Path(sys.executable).with_name("eventstudy"))
    importing = [script, "cache", "import", str(shared_data / "prices"), str(shared_data / "shares")]
    study = ["--config", str(ROOT / "launch.toml"), "--events", str(ROOT / "events.csv"), "--no-peers"]
    commands = [
        [*importing, "--cache", str(cache)],
        [*importing, "--cache", str(cache)],
        [script, "run", *study, "--offline", "--cache", str(cache), "--out", str(tmp_path / "out")],
    ]
    context = multiprocessing.get_context("spawn")  # no fork of a process that ran pyarrow
    fetchers = [context.Process(target=fetch_worker, args=(str(cache), 3)) for _ in range(2)]
    for worker in fetchers:
        worker.start()
    processes = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands
    ]
    # The timeouts only guard against a hang; how long this takes is measured nowhere here
    # (a loaded 2-core machine took 59 s): contention is what the test is about.
    results = [p.communicate(timeout=900) for p in processes]
    for worker in fetchers:
        worker.join(timeout=900)

    for process, (_, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err
    assert [w.exitcode for w in fetchers] == [0, 0]

    store = PriceStore(cache)
    assert store.verify() == []  # every file readable, no temp files left
    for symbol in store.price_symbols():
        frame = store.read_prices(symbol)
        assert not frame["date"].duplicated().any() and frame["date"].is_monotonic_increasing, symbol
    for source in sorted((shared_data / "prices").glob("*.csv")):
        expected = parse_yahoo_csv(source)
        assert content_sha256(store.read_prices(source.stem)) == content_sha256(expected), source.stem
    assert content_sha256(store.read_prices("NEWCO")) == content_sha256(fake_history("NEWCO", None, None))
    assert "restatements" not in store.provenance(store.price_path("NVDA"))
    for ticker in pd.read_csv(shared_data / "shares" / "shares_outstanding.csv")["ticker"].unique():
        shares = store.read_shares(ticker)
        assert not shares.duplicated().any() and len(shares) > 0
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_a_case_twin_or_returns_imported_during_a_download_stop_the_fetch(
    shared_data: Path, tmp_path: Path
) -> None:
    """A fetch checked its new symbol before the download and wrote after it, outside the lock
    an import holds over its check and writes: an import of ``NVDA`` (or of returns for
    ``nvda``) finished during the download of ``nvda`` left both in the cache. The fetcher here
    runs those imports while the download is in flight (as another process would)."""
    from eventstudy.data.acquire import fetch_symbol
    from eventstudy.errors import DataUnavailableError

    start, end = dt.date(2024, 1, 1), dt.date(2025, 6, 30)
    returns = tmp_path / "returns.csv"
    returns.write_text("id,date,ret\nnvda,2024-01-02,0.5\n")
    imports = {
        "a case twin": lambda store: import_paths(store, [shared_data / "prices" / "NVDA.csv"]),
        "returns": lambda store: import_paths(store, [], returns=[returns], units="percent"),
        "the symbol": lambda store: import_paths(store, [tmp_path / "nvda.csv"]),
    }
    parse_yahoo_csv(shared_data / "prices" / "NVDA.csv").rename(
        columns=dict(zip(["date", "open", "high", "low", "close", "adj_close", "volume"],
                         ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"], strict=True))
    ).to_csv(tmp_path / "nvda.csv", index=False)  # fmt: skip
    for name, concurrent_import in imports.items():
        store = PriceStore(tmp_path / name)

        def download(symbol, first, last, store=store, run=concurrent_import):
            run(store)  # another process's import, finished while the answer is on its way
            return fake_history("NEWCO", first, last)

        if name == "the symbol":  # the import's file stands; the fetch finds it cached
            outcome = fetch_symbol(store, "nvda", start, end, fetch_prices=download, sleep=lambda _: None)
            assert outcome.status == "cached" and outcome.rows == 752
            assert content_sha256(store.read_prices("nvda")) == content_sha256(
                parse_yahoo_csv(shared_data / "prices" / "NVDA.csv")
            )
            continue
        with pytest.raises(DataUnavailableError) as caught:
            fetch_symbol(store, "nvda", start, end, fetch_prices=download, sleep=lambda _: None)
        assert "nothing is fetched" in str(caught.value) or "no prices are fetched" in str(caught.value)
        assert store.price_symbols() == (["NVDA"] if name == "a case twin" else [])
        assert store.verify() == []


def test_a_new_symbols_fetch_never_waits_for_a_file_while_holding_the_cache_lock(tmp_path: Path) -> None:
    """A fetch of a new symbol once let its file's lock go after the download, then took the
    cache's identifier lock and waited for the file's lock under it: when a second fetch of the
    symbol had taken the file's lock in that gap (to download again), every import and every
    other new symbol's fetch stalled behind the first until the second's download ended. Here
    this test plays the import (holding the cache's lock) and then the second fetch (holding the
    file's lock): while the fetch waits for the file, the cache's lock must be free."""
    import fcntl
    import threading

    from eventstudy.data.acquire import fetch_symbol

    store = PriceStore(tmp_path / "cache")
    locks = store.root / ".locks"
    (locks / "catalog").mkdir(parents=True)
    (locks / "prices").mkdir()
    waiting_for_cache, waiting_for_file = threading.Event(), threading.Event()
    real_catalog, real_locked = PriceStore.catalog_lock, PriceStore.locked
    calls = {"locked": 0}

    def catalog(self, timeout=120.0, **kwargs):
        if timeout > 0:  # the fetch waits for the cache's lock
            waiting_for_cache.set()
        return real_catalog(self, timeout, **kwargs)

    def locked(self, path, **kwargs):
        calls["locked"] += 1
        if calls["locked"] >= 2 and kwargs.get("timeout", 120.0) > 0:  # waiting for the file again
            waiting_for_file.set()
        return real_locked(self, path, **kwargs)

    outcome: list[object] = []
    start, end = dt.date(2024, 1, 1), dt.date(2025, 6, 30)
    with (
        pytest.MonkeyPatch.context() as patch,
        (locks / "catalog" / "identifiers.lock").open("a") as cache_lock,
        (locks / "prices" / "NEWCO.parquet.lock").open("a") as file_lock,
    ):
        patch.setattr(PriceStore, "catalog_lock", catalog)
        patch.setattr(PriceStore, "locked", locked)
        fcntl.flock(cache_lock.fileno(), fcntl.LOCK_EX)  # an import holds the cache's lock
        worker = threading.Thread(
            target=lambda: outcome.append(
                fetch_symbol(store, "NEWCO", start, end, fetch_prices=fake_history, sleep=lambda _: None)
            )
        )
        worker.start()
        free = False
        try:
            assert waiting_for_cache.wait(timeout=600)  # a guard against a hang, not a time measured
            fcntl.flock(file_lock.fileno(), fcntl.LOCK_EX)  # a second fetch of NEWCO starts its download
            fcntl.flock(cache_lock.fileno(), fcntl.LOCK_UN)  # the import ends
            assert waiting_for_file.wait(timeout=600)
            with (locks / "catalog" / "identifiers.lock").open("a") as probe:
                try:
                    fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    free = True
                except BlockingIOError:
                    free = False
        finally:
            fcntl.flock(file_lock.fileno(), fcntl.LOCK_UN)  # the second fetch's download ends
            fcntl.flock(cache_lock.fileno(), fcntl.LOCK_UN)
            worker.join(timeout=600)
    assert free, "the fetch held the cache's lock while it waited for the file's"
    assert [o.status for o in outcome] == ["fetched"]  # type: ignore[attr-defined]
    assert content_sha256(store.read_prices("NEWCO")) == content_sha256(fake_history("NEWCO", start, end))


def test_a_new_symbol_not_written_for_the_cache_lock_fails_alone(tmp_path: Path, monkeypatch) -> None:
    """When the cache's identifier lock stays held (an import) past the time limit, the symbol
    downloaded is reported as not written and the fetch goes on with the others; it once stopped
    the whole fetch saying "nothing was fetched", though earlier symbols were written."""
    import fcntl

    import eventstudy.data.acquire as acquire

    store = PriceStore(tmp_path / "cache")
    lock = store.root / ".locks" / "catalog" / "identifiers.lock"
    lock.parent.mkdir(parents=True)
    monkeypatch.setattr(acquire, "LOCK_TIMEOUT", 0.2)  # the limit, not a synchronisation
    start, end = dt.date(2024, 1, 1), dt.date(2025, 6, 30)
    with lock.open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        report = acquire.fetch_symbols(
            store, ["NEWA", "NEWB"], start, end, fetch_prices=fake_history, sleep=lambda _: None
        )
    assert sorted(report.failures) == ["NEWA", "NEWB"]
    assert report.failures["NEWA"].startswith("'NEWA' was downloaded but not written: ")
    assert "identifiers.lock for more than 0." in report.failures["NEWA"]  # the time left of the 0.2 s
    assert report.failures["NEWA"].endswith("; nothing was written")
    assert store.price_symbols() == []
    report = acquire.fetch_symbols(store, ["NEWA"], start, end, fetch_prices=fake_history, sleep=print)
    assert not report.failures and store.price_symbols() == ["NEWA"]


def test_a_reader_in_an_empty_folder_leaves_the_locks_an_import_took_meanwhile(tmp_path: Path) -> None:
    """A reader's lock folder in an empty cache folder was removed when the reader ended, when
    nothing else had been written there yet (a try, reverted): with it went the identifier lock an
    import had taken meanwhile, and a second import took a new lock file while the first held
    the old one (a finder). The lock folder stays."""
    import fcntl

    root = tmp_path / "empty"
    root.mkdir()
    lock = root / ".locks" / "catalog" / "identifiers.lock"
    with PriceStore(root).consistent_reads():
        lock.parent.mkdir(parents=True, exist_ok=True)
        held = lock.open("a")
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # an import takes the cache's lock
    try:
        with lock.open("a") as probe, pytest.raises(BlockingIOError):  # a second import: still held
            fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        held.close()

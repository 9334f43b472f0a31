"""Cache faults: damaged files are detected and named, failed or killed writes lose nothing.

Every test ends with the same question: is each cache file either the old good file or the new
good file, and does ``PriceStore.verify`` (``eventstudy cache verify``) report whatever else
is there?
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute
import pyarrow.parquet as pq
import pytest
from _small_study import make_cache, make_study, run_args
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventstudy.data.store as store_module
from eventstudy.cli import main
from eventstudy.data.importer import import_paths
from eventstudy.data.store import CacheCorruptError, CacheWriteError, PriceStore, read_cache_frame
from eventstudy.errors import InputError
from eventstudy.hashing import content_sha256, file_sha256


def synthetic_prices(n: int = 300, scale: float = 1.0) -> pd.DataFrame:
    dates = pd.bdate_range("2024-01-02", periods=n).astype("datetime64[ns]")
    close = 100.0 * np.exp(np.cumsum(np.random.default_rng(7).normal(0, 0.01, n)))
    return pd.DataFrame(
        {
            "date": dates,
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "adj_close": close * scale,
            "volume": np.full(n, 1e6),
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> PriceStore:
    store = PriceStore(tmp_path / "cache")
    store.write_prices("AAA", synthetic_prices(), {"source": "test", "symbol": "AAA"})
    return store


def snapshot(store: PriceStore) -> dict[str, str]:
    """File name -> SHA-256 of its bytes, for every cache file."""
    return {
        str(p.relative_to(store.root)): file_sha256(p)
        for kind in ("prices", "shares", "factors")
        for p in sorted((store.root / kind).glob("*.parquet"))
    }


def leftovers(store: PriceStore) -> list[Path]:
    return sorted(store.root.glob("*/.*.tmp"))


# -- damaged files -------------------------------------------------------------------------
@pytest.mark.parametrize("keep", [0, 4, 100, 0.5, -8, -1])
def test_truncated_file_is_named_never_a_pyarrow_traceback(store: PriceStore, keep: float) -> None:
    path = store.price_path("AAA")
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data) if keep < 0 else keep
    path.write_bytes(data[:cut])
    with pytest.raises(CacheCorruptError) as caught:
        store.read_prices("AAA")
    assert caught.value.kind == "unreadable" and caught.value.path == path
    assert str(caught.value).startswith(f"{path}: damaged cache file (unreadable: ")
    assert "\n" not in str(caught.value)
    [problem] = store.verify()
    assert (problem.path, problem.kind) == (path, "unreadable")


def test_bit_flips_are_detected_or_harmless(store: PriceStore) -> None:
    """300 single-bit flips at random offsets (fixed seed): never a silently different frame.

    (An exhaustive sweep, one flip per byte, of the real NVDA price file found 43,309 of 46,153
    detected, 2,844 harmless -- bytes the reader does not use, e.g. column statistics and the
    pandas record -- and 0 silent; of the NVDA shares file 4,145 of 7,702 detected, 0 silent.)
    """
    path = store.price_path("AAA")
    original = path.read_bytes()
    good_frame, good_provenance = store.read_prices("AAA"), store.provenance(path)
    rng = random.Random(20251121)
    detected = harmless = 0
    for _ in range(300):
        flipped = bytearray(original)
        flipped[rng.randrange(len(original))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(flipped))
        try:
            frame, provenance = store.read_prices("AAA"), store.provenance(path)
        except CacheCorruptError:
            detected += 1
            continue
        pd.testing.assert_frame_equal(frame, good_frame)
        assert provenance == good_provenance
        harmless += 1
    assert detected + harmless == 300 and detected > 250


def test_foreign_and_misnamed_files(store: PriceStore) -> None:
    prices = store.root / "prices"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(prices / "FOREIGN.parquet")
    typed = synthetic_prices().astype({"close": str})
    pq.write_table(pa.Table.from_pandas(typed, preserve_index=False), prices / "STRCLOSE.parquet")
    (prices / "TEXT.parquet").write_text("Date,Open\n2024-01-02,1\n")
    shutil.copy(store.price_path("AAA"), prices / "BBB.parquet")  # AAA's data under another name
    (prices / "notes.txt").write_text("hello")
    # A readable parquet file without a provenance record is the user's, as an import refuses
    # to replace it: it was listed as DAMAGED, "re-import it", which the import then refused.
    found = {(p.path.name, p.kind) for p in store.verify()}
    assert found == {
        ("FOREIGN.parquet", "foreign"),
        ("STRCLOSE.parquet", "foreign"),
        ("TEXT.parquet", "foreign"),  # the user's text: not damage a re-import would replace
        ("BBB.parquet", "misnamed"),
        ("notes.txt", "stray_file"),
    }
    for name in ("FOREIGN", "STRCLOSE"):
        with pytest.raises(CacheCorruptError, match=r"not a cache file \(a parquet file without eventstudy"):
            store.read_prices(name)
        assert store.not_ours(store.price_path(name)).startswith("exists and was not written by eventstudy")
    # a file of ours (its provenance record kept) whose schema is not a price file's is damage
    provenance = store.provenance(store.price_path("AAA"))
    store.price_path("STRCLOSE").unlink()  # the user's: a write refuses to replace it
    store.write_prices("STRCLOSE", synthetic_prices(), {**provenance, "symbol": "STRCLOSE"})
    table = pq.read_table(store.price_path("STRCLOSE"))
    close = table.schema.get_field_index("close")
    pq.write_table(table.set_column(close, "close", pa.array(typed["close"])), store.price_path("STRCLOSE"))
    with pytest.raises(CacheCorruptError, match=r"column 'close' has type (large_)?string") as caught:
        store.read_prices("STRCLOSE")
    assert caught.value.kind == "foreign_schema"
    with pytest.raises(CacheCorruptError, match=r"holds data of 'AAA', not of 'BBB'"):
        store.read_prices("BBB")
    assert store.read_prices("AAA").shape == (300, 7)  # the good file is untouched


def test_a_write_from_python_never_replaces_a_users_file_or_link(store: PriceStore, tmp_path: Path) -> None:
    """PriceStore.write_prices (exported) replaced a user's parquet without provenance and a
    link of theirs in prices/ (a finder): only the import and the fetch refused them."""
    precious = tmp_path / "precious.parquet"
    pq.write_table(pa.table({"x": [1.0]}), precious)  # a parquet file of the user's: no provenance
    shutil.copy(precious, store.price_path("QQQ"))
    store.price_path("SPY").symlink_to(precious)
    before = {path: path.read_bytes() for path in (precious, store.price_path("QQQ"))}
    for symbol in ("QQQ", "SPY"):
        with pytest.raises(CacheWriteError, match="not written by eventstudy"):
            store.write_prices(symbol, synthetic_prices(), {"source": "test", "symbol": symbol})
    assert {path: path.read_bytes() for path in before} == before
    assert store.price_path("SPY").is_symlink() and leftovers(store) == []
    store.write_prices("AAA", synthetic_prices(scale=2.0), {"source": "test", "symbol": "AAA"})  # its own
    assert store.read_prices("AAA")["adj_close"].iloc[0] == 2 * synthetic_prices()["adj_close"].iloc[0]


def test_a_users_file_saved_while_a_batch_waits_for_its_renames_is_kept(store: PriceStore) -> None:
    """The check when a batch's temporary file was written, not before its rename: a file the
    user saved at the target meanwhile was replaced at the batch's end (a finder). Every target is
    checked before the first rename: nothing of the batch is imported."""
    target = store.price_path("NVDA")

    def batch() -> None:
        with store.catalog_lock(), store.staged_writes():
            store.write_prices("ABC", synthetic_prices(), {"source": "test", "symbol": "ABC"})
            store.write_prices("NVDA", synthetic_prices(), {"source": "test", "symbol": "NVDA"})
            target.write_text("my notes")  # the user's, before the batch renames its files

    with pytest.raises(CacheWriteError, match=r"NVDA\.parquet: cannot write .*nothing of the batch"):
        batch()
    assert target.read_text() == "my notes" and leftovers(store) == []
    assert not store.price_path("ABC").exists() and not (store.root / store_module.BATCH_JOURNAL).exists()
    assert [p.path.name for p in store.verify()] == ["NVDA.parquet"]  # listed: the user's file


@pytest.mark.parametrize("when", ["_write_journal", "_replace_cache_file"])
def test_clean_never_finishes_a_batch_over_a_users_file(store: PriceStore, monkeypatch, when: str) -> None:
    """A user's file saved at a target as the batch wrote its journal (which then recorded it as
    the file to replace) stopped the batch, and `cache verify --clean`, as the error advised,
    renamed the import's file over it; saved after the journal, --clean said the target was
    "written or removed after the import stopped", without the advice (a finder)."""
    target, real = store.price_path("ZZZ"), getattr(store_module, when)

    def user_saves_then(*args: object) -> None:
        if when == "_write_journal" or args[1] == store.price_path("ABC"):  # the journal, or the first rename
            target.write_text("my notes")
        real(*args)

    monkeypatch.setattr(store_module, when, user_saves_then)

    def batch() -> None:
        with store.catalog_lock(), store.staged_writes():
            store.write_prices("ABC", synthetic_prices(), {"source": "test", "symbol": "ABC"})
            store.write_prices("ZZZ", synthetic_prices(), {"source": "test", "symbol": "ZZZ"})

    with pytest.raises(CacheWriteError, match=r"ZZZ\.parquet: cannot write"):
        batch()
    lines = store.finish_interrupted_batch()
    assert any(f"kept {target} as it is (it exists and was not written" in line for line in lines), lines
    assert any("move it away and import ZZZ.parquet's source again" in line for line in lines), lines
    assert target.read_text() == "my notes" and leftovers(store) == []
    assert store.read_prices("ABC").shape == (300, 7)


def test_altered_values_with_valid_checksums_are_detected(store: PriceStore) -> None:
    """A file rewritten by another tool (valid parquet) with changed values but our metadata."""
    path = store.price_path("AAA")
    table = pq.read_table(path)
    frame = table.to_pandas()
    frame.loc[10, "adj_close"] *= 1.5
    altered = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(table.schema.metadata)
    pq.write_table(altered, path)
    with pytest.raises(CacheCorruptError) as caught:
        store.read_prices("AAA")
    assert caught.value.kind == "content_mismatch"


def test_run_and_list_on_a_damaged_cache_exit_cleanly(launch_cache: Path, tmp_path: Path, capsys) -> None:
    root = tmp_path / "cache"
    shutil.copytree(launch_cache, root)
    nvda = PriceStore(root).price_path("NVDA")
    nvda.write_bytes(nvda.read_bytes()[:1000])
    events, out = tmp_path / "events.csv", tmp_path / "out"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "e,2025-01-21,intraday,ORCL,partner,1e9,g,h\ne,2025-01-21,intraday,NVDA,supplier,1e9,g,h\n"
    )
    status = main(["run", "--events", str(events), "--offline", "--cache", str(root), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert f"{events}, row 3, field 'ticker': {nvda}: damaged cache file (unreadable" in err
    assert not out.exists()
    assert main(["cache", "list", "--cache", str(root)]) == 0
    assert "NVDA     DAMAGED (unreadable)" in capsys.readouterr().out
    assert main(["cache", "verify", "--cache", str(root)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{nvda}: unreadable: ")
    # the advice of the run's error, which sent the user here (a reviewer: none was given)
    assert lines[0].endswith("; move it out of the cache, then re-import or re-fetch it")
    # 21 price files, 11 share-count files, 12 earnings calendars
    assert lines[-1] == f"1 problem(s) in {root}/ (44 cache files checked)"


def test_a_kinds_folder_that_is_a_file_is_named_never_read_as_empty(
    launch_cache: Path, shared_data: Path, tmp_path: Path, capsys
) -> None:
    """shares/ replaced by a file of the user's: a run gave no pair a dollar value (every count
    read as none), cache verify found 0 problems and an import of counts failed naming a file
    that does not exist (a finder). Each now names the folder; the user's file is kept."""
    root = tmp_path / "cache"
    shutil.copytree(launch_cache, root)
    shutil.rmtree(root / "shares")
    (root / "shares").write_text("my notes")
    events, out = tmp_path / "events.csv", tmp_path / "out"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "e,2025-01-21,intraday,ORCL,partner,1e9,g,h\n"
    )
    args = ["--events", str(events), "--offline", "--no-peers", "--cache", str(root), "--out", str(out)]
    status = main(["run", *args])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and not out.exists(), err
    said = f"{root / 'shares' / 'ORCL.parquet'}: not a cache file (its folder {root / 'shares'} is a file, "
    assert said in err, err
    assert main(["cache", "verify", "--cache", str(root)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{root / 'shares'}: stray_file: not the cache's folder of shares: a file, which eventstudy did not "
        "write; move it away"
    )
    assert main(["cache", "import", str(shared_data / "shares"), "--cache", str(root)]) == 2
    assert f": {root / 'shares'} exists and was not written by eventstudy" in capsys.readouterr().err
    assert (root / "shares").read_text() == "my notes"
    # shares/ a link to a folder elsewhere (another disk) is the cache's folder: imported, read
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "shares").unlink()
    (root / "shares").symlink_to(elsewhere, target_is_directory=True)
    assert main(["cache", "import", str(shared_data / "shares"), "--cache", str(root)]) == 0
    capsys.readouterr()
    assert main(["run", *args[:-2], "--out", str(tmp_path / "linked")]) == 0
    assert main(["run", *args[:-4], "--cache", str(launch_cache), "--out", str(tmp_path / "plain")]) == 0
    linked, plain = (pd.read_parquet(tmp_path / name / "car.parquet") for name in ("linked", "plain"))
    pd.testing.assert_series_equal(linked["mcap_prev_usd"], plain["mcap_prev_usd"])
    assert linked["mcap_prev_usd"].notna().any() and (elsewhere / "ORCL.parquet").is_file()
    assert main(["cache", "verify", "--cache", str(root)]) == 0


def test_a_lock_that_is_a_folder_is_listed_and_named(
    launch_cache: Path, shared_data: Path, tmp_path: Path, capsys
) -> None:
    """A lock file made a folder (or .locks a file) stopped every import, naming 'its lock file'
    of a path that does not exist, while cache verify found 0 problems (a finder)."""
    root = tmp_path / "cache"
    shutil.copytree(launch_cache, root)
    batch = root / ".locks" / "catalog" / "batch.lock"
    batch.unlink(missing_ok=True)
    batch.mkdir(parents=True)
    assert main(["cache", "verify", "--cache", str(root)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{batch}: stray_file: not a lock file: a folder, which eventstudy did not make; every writer "
        "stops on it"
    )
    assert main(["cache", "import", str(shared_data / "prices" / "NVDA.csv"), "--cache", str(root)]) == 2
    assert f"cannot create its lock file {batch}: Is a directory" in capsys.readouterr().err
    shutil.rmtree(root / ".locks")
    (root / ".locks").write_text("x")
    assert main(["cache", "verify", "--cache", str(root)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{root / '.locks'}: stray_file: not the cache's lock folder: a file, which eventstudy did not write"
    )
    assert batch.parent.parent.read_text() == "x"


def test_the_advice_quotes_a_cache_folder_whose_name_has_a_space(
    launch_cache: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """'eventstudy cache verify --cache my cache' failed as typed ("unrecognized arguments:
    cache", a finder): the advice's folder is quoted as a shell reads it."""
    import shlex

    root = tmp_path / "my cache"
    shutil.copytree(launch_cache, root)
    nvda = PriceStore(root).price_path("NVDA")
    nvda.write_bytes(nvda.read_bytes()[:1000])
    assert main(["cache", "list", "--cache", str(root)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("NVDA"))
    advice = line.split("see: ", 1)[1]
    assert shlex.split(advice) == ["eventstudy", "cache", "verify", "--cache", str(root)]
    with pytest.raises(CacheCorruptError) as damaged:
        PriceStore(root).read_prices("NVDA")
    advice = str(damaged.value).rsplit("with: ", 1)[1].removesuffix(")")
    assert shlex.split(advice) == ["eventstudy", "cache", "verify", "--cache", str(root)]
    events = tmp_path / "events.csv"
    events.write_text("event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-01-21,pre,ZZZ,p,,g,h\n")
    out = tmp_path / "o"
    assert main(["run", "--events", str(events), "--offline", "--cache", str(root), "--out", str(out)]) == 2
    advice = capsys.readouterr().err.split("import them with: ", 1)[1].split(", or")[0].removesuffix(")\n")
    assert shlex.split(advice) == ["eventstudy", "cache", "import", "PATH", "--cache", str(root)]
    # a relative folder named -c: "--cache -c" reads as an option (expected one argument)
    with monkeypatch.context() as patch:
        patch.chdir(tmp_path)
        shutil.copytree(root, tmp_path / "-c")
        with pytest.raises(SystemExit):  # as the advice had it typed
            main(["cache", "list", "--cache", "-c"])
        capsys.readouterr()
        assert main(["cache", "list", "--cache=-c"]) == 0
        line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("NVDA"))
        assert line.endswith("see: eventstudy cache verify --cache ./-c")


# -- failed writes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("mkstemp", PermissionError(errno.EACCES, "Permission denied")),
        ("write", OSError(errno.ENOSPC, "No space left on device")),
        ("fsync", OSError(errno.EIO, "Input/output error")),
        ("replace", PermissionError(errno.EACCES, "Permission denied")),
        ("write", OSError(errno.EDQUOT, "Disk quota exceeded")),
    ],
)
def test_failed_write_keeps_the_old_file_and_says_why(store, monkeypatch, target, error) -> None:
    before = snapshot(store)

    def fail(*args, **kwargs):
        if target == "write":  # half a file reaches the disk, then the device is full
            handle = args[1]
            handle.write(b"PAR1" + b"\0" * 5000)
        raise error

    patch = {
        "mkstemp": (store_module.tempfile, "mkstemp"),
        "write": (store_module.pq, "write_table"),
        "fsync": (store_module.os, "fsync"),
        "replace": (store_module.os, "replace"),
    }[target]
    monkeypatch.setattr(*patch, fail)
    with pytest.raises(CacheWriteError) as caught:
        store.write_prices("AAA", synthetic_prices(scale=2.0), {"source": "new", "symbol": "AAA"})
    monkeypatch.undo()
    message = str(caught.value)
    assert message.startswith(f"{store.price_path('AAA')}: cannot write the cache file ({error.strerror} [")
    assert message.endswith("the previous file, if any, is unchanged")
    assert snapshot(store) == before and leftovers(store) == [] and store.verify() == []
    assert store.read_prices("AAA")["adj_close"].equals(synthetic_prices()["adj_close"])


def test_import_failing_midway_imports_nothing_of_the_batch(
    shared_data: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The third file of five hits a full disk: the two written before it were once left in
    place (new beside old); the batch's files are now renamed only once all are written."""
    store = PriceStore(tmp_path / "cache")
    sources = sorted((shared_data / "prices").glob("*.csv"))[:5]
    for source in sources:  # old content: the same files with adj_close scaled
        frame = pd.read_csv(source)
        frame["Adj Close"] = frame["Adj Close"] * 0.5
        frame.to_csv(tmp_path / source.name, index=False)
    import_paths(store, [tmp_path / s.name for s in sources])
    old = snapshot(store)
    real_write = store_module.pq.write_table
    calls = {"n": 0}

    def third_write_fails(table, where, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(table, where, **kwargs)

    monkeypatch.setattr(store_module.pq, "write_table", third_write_fails)
    status = main(["cache", "import", *map(str, sources), "--cache", str(store.root)])
    monkeypatch.undo()
    assert status == 2 and calls["n"] == 3
    assert capsys.readouterr().err.endswith(
        "(No space left on device [ENOSPC]); the previous file, if any, is unchanged; nothing of the batch "
        "was imported\n"
    )
    assert snapshot(store) == old  # nothing of the batch
    assert store.verify() == [] and leftovers(store) == []
    assert main(["cache", "import", *map(str, sources), "--cache", str(store.root)]) == 0  # the disk freed
    for source in sources:
        expected = pd.read_csv(source)["Adj Close"].tolist()
        assert store.read_prices(source.stem)["adj_close"].tolist() == expected


KILLED_IMPORT = r"""
import os, signal, sys
import eventstudy.data.store as store_module
from eventstudy.cli import main

real_write, calls = store_module.pq.write_table, [0]

def killed_at_the_third(table, where, **kwargs):
    calls[0] += 1
    if calls[0] == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_write(table, where, **kwargs)

store_module.pq.write_table = killed_at_the_third
main(["cache", "import", *sys.argv[2:], "--cache", sys.argv[1]])
"""


def test_an_import_killed_midway_imports_nothing_of_the_batch(shared_data: Path, tmp_path: Path) -> None:
    """``kill -9`` while the third of five files is written: the two written before it and the
    third stay temporary files (``cache verify`` lists them, ``--clean`` removes them), no cache
    file changes (the two were once renamed into place as soon as written)."""
    store = PriceStore(tmp_path / "cache")
    sources = sorted((shared_data / "prices").glob("*.csv"))[:5]
    import_paths(store, [sources[0]])
    before = snapshot(store)
    command = [sys.executable, "-c", KILLED_IMPORT, str(store.root), *map(str, sources)]
    killed = subprocess.run(command, capture_output=True, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert snapshot(store) == before and len(leftovers(store)) == 3
    assert [p.kind for p in store.verify()] == ["temp_leftover"] * 3
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 0
    assert snapshot(store) == before and leftovers(store) == []


def test_cli_write_failure_is_one_line_exit_2(shared_data: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(store_module.tempfile, "mkstemp", denied)
    status = main(
        ["cache", "import", str(shared_data / "prices" / "AMD.csv"), "--cache", str(tmp_path / "c")]
    )
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "AMD.parquet: cannot write the cache file (Permission denied [EACCES])" in err


READ_ONLY = r"""
import sys
from eventstudy.data.store import CacheWriteError, PriceStore
store = PriceStore(sys.argv[1])
frame = store.read_prices("AAA")  # reading needs no lock and no write permission
try:
    store.write_prices("AAA", frame.assign(adj_close=frame["adj_close"] * 2), {"symbol": "AAA"})
except CacheWriteError as exc:
    print(len(frame), exc)
"""


def test_read_only_cache_can_be_read_and_refuses_writes_cleanly(store: PriceStore, shared_data: Path) -> None:
    """As a user without write permission (root ignores permissions, so drop to nobody)."""
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv to drop privileges")
        as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        folder = Path(tempfile.mkdtemp(prefix="eventstudy-readonly."))
    else:  # pragma: no cover - non-root CI
        as_user, folder = [], Path(tempfile.mkdtemp(prefix="eventstudy-readonly."))
    try:
        folder.chmod(0o755)
        root = folder / "cache"
        shutil.copytree(store.root, root)
        shutil.copy(shared_data / "prices" / "AMD.csv", folder / "AMD.csv")
        if not as_user:
            for path in [root, *root.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o555)
        before = snapshot(PriceStore(root))
        done = subprocess.run(
            [*as_user, sys.executable, "-c", READ_ONLY, str(root)], capture_output=True, text=True, check=True
        )
        assert done.stdout.startswith(f"300 {root / 'prices' / 'AAA.parquet'}: cannot write the cache file (")
        assert "Permission denied [EACCES]" in done.stdout
        script = Path(sys.executable).with_name("eventstudy")
        cli = subprocess.run(
            [*as_user, str(script), "cache", "import", str(folder / "AMD.csv"), "--cache", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert cli.returncode == 2 and cli.stderr.count("\n") == 1 and "Traceback" not in cli.stderr
        assert "Permission denied [EACCES]" in cli.stderr
        assert snapshot(PriceStore(root)) == before and leftovers(PriceStore(root)) == []
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def test_lock_held_too_long_is_a_clear_error(store: PriceStore, monkeypatch) -> None:
    lock_file = store.root / ".locks" / "prices" / "AAA.parquet.lock"
    with lock_file.open("a") as handle:  # another holder of the flock
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        monkeypatch.setattr(store_module, "LOCK_TIMEOUT", 0.2)
        with pytest.raises(
            CacheWriteError, match=r"another process has held its lock .* for more than 0.2 s"
        ):
            store.write_prices("AAA", synthetic_prices(scale=2.0), {"symbol": "AAA"})
    assert store.read_prices("AAA")["adj_close"].equals(synthetic_prices()["adj_close"])


def test_full_disk_on_a_real_tmpfs(tmp_path: Path, shared_data: Path, capsys) -> None:
    """A 192 KiB tmpfs: the first import fits, a second one hits ENOSPC and keeps the first."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        store = PriceStore(mount / "cache")
        assert (
            main(["cache", "import", str(shared_data / "prices" / "NVDA.csv"), "--cache", str(store.root)])
            == 0
        )
        before = snapshot(store)
        filler = mount / "filler"
        with filler.open("wb", buffering=0) as handle:  # fill the disk, leaving a few KiB
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError as exc:
                full = exc.errno
        assert full == errno.ENOSPC
        os.truncate(filler, filler.stat().st_size - 8192)
        capsys.readouterr()
        status = main(["cache", "import", str(shared_data / "prices"), "--cache", str(store.root)])
        err = capsys.readouterr().err
        assert status == 2 and err.count("\n") == 1 and "[ENOSPC]" in err, err
        assert snapshot(store) == before and leftovers(store) == [] and store.verify() == []
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


# -- kill -9 mid-write ------------------------------------------------------------------------
# A zygote process imports pandas/pyarrow once and forks one writer per kill. A writer rewrites
# AAA forever, alternating two versions. To land the kill at a chosen point of a write, the
# writer wraps the store's own calls (no hook in the store): it reports the point it reached on
# its stdout and then blocks on a pipe nobody writes, until the SIGKILL. Points:
#   opened   the temporary file was just created (mkstemp): empty temp file, target unchanged
#   written  the data are written, before the fsync and the rename: full temp file, target old
#   renamed  the rename is done, before the directory fsync: target new, no temp file
#   running  no stop: the parent kills after the writer reports its n-th completed write, so the
#            kill lands wherever the next write happens to be (the only unsynchronised point)
# The parent synchronises only on those lines and on the zygote reaping the killed writer:
# there is no sleep and no time limit.
ZYGOTE = r"""
import os, sys
import pandas as pd
import eventstudy.data.store as store_module
from eventstudy.data.store import PriceStore

root, pickles = sys.argv[1], sys.argv[2:]
frames = [pd.read_pickle(p) for p in pickles]
store = PriceStore(root)
hold, _ = os.pipe()  # never written: reading it blocks until the kill

def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()

def stop(point):
    say(f"at {point} {os.getpid()}")
    os.read(hold, 1)

def stop_after(module, name, point):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        stop(point)
        return result
    setattr(module, name, wrapper)

def stop_before(module, name, point):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        stop(point)
        return real(*args, **kwargs)
    setattr(module, name, wrapper)

def write_forever(k, point):
    if point == "opened":
        stop_after(store_module.tempfile, "mkstemp", point)
    elif point == "written":
        stop_before(store_module.os, "fsync", point)  # the first fsync is the temporary file's
    elif point == "renamed":
        stop_after(store_module.os, "replace", point)
    while True:
        store.write_prices("AAA", frames[k % 2], {"symbol": "AAA", "version": str(k % 2)})
        say(f"wrote {k % 2} {os.getpid()}")
        k += 1

for line in sys.stdin:
    command, *rest = line.split()
    if command == "go":  # go K POINT: fork a writer that starts with version K
        pid = os.fork()
        if pid == 0:
            try:
                write_forever(int(rest[0]), rest[1])
            finally:
                os._exit(1)
        say(f"pid {pid}")
    elif command == "reap":  # reap PID: wait for the killed writer, so its lock is released
        os.waitpid(int(rest[0]), 0)
        say(f"reaped {rest[0]}")
"""

KILL_POINTS = ("opened", "written", "renamed", "running")


def test_kill_9_mid_write_leaves_old_or_new_file(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "cache")
    versions = [synthetic_prices(2000), synthetic_prices(2000, scale=0.97)]
    pickles = []
    for k, frame in enumerate(versions):
        pickles.append(tmp_path / f"v{k}.pkl")
        frame.to_pickle(pickles[-1])
    store.write_prices("AAA", versions[0], {"symbol": "AAA", "version": "0"})
    hashes = {content_sha256(frame): str(k) for k, frame in enumerate(versions)}
    zygote = subprocess.Popen(
        [sys.executable, "-c", ZYGOTE, str(store.root), *map(str, pickles)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def tell(line: str) -> None:
        zygote.stdin.write(line + "\n")
        zygote.stdin.flush()

    def expect(prefix: str) -> str:
        line = zygote.stdout.readline()
        assert line.startswith(prefix), line
        return line.split()[1]

    rng = random.Random(99)
    path = store.price_path("AAA")
    current = "0"
    counts = dict.fromkeys(KILL_POINTS, 0)
    mid_write = 0
    try:
        for kill in range(24):
            point = KILL_POINTS[kill % len(KILL_POINTS)]
            start = rng.randrange(2)
            tell(f"go {start} {point}")
            pid = int(expect("pid "))
            if point == "running":
                for _ in range(rng.randrange(3)):  # kill after 0, 1 or 2 completed writes
                    current = expect("wrote ")
            else:
                assert expect("at ") == point
            os.kill(pid, signal.SIGKILL)
            tell(f"reap {pid}")
            while (line := zygote.stdout.readline()).startswith("wrote "):
                current = line.split()[1]  # a "running" writer finished another write first
            assert line == f"reaped {pid}\n", line
            with store.locked(path):  # free: the dead writer's flock went with its process
                frame = read_cache_frame(path, "prices")  # readable: never torn
                version = hashes[content_sha256(frame)]  # and one of the two contents
                assert store.provenance(path)["version"] == version
            if point in ("opened", "written"):  # the write never reached its rename
                assert version == current and len(leftovers(store)) == 1
            elif point == "renamed":  # the rename is the commit point
                assert version == str(start) and leftovers(store) == []
            current = version
            counts[point] += 1
            problems = store.verify()
            assert {p.kind for p in problems} <= {"temp_leftover"}
            mid_write += bool(leftovers(store))
            for leftover in store.remove_temp_leftovers():
                assert leftover.name.startswith(".AAA.parquet.")
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=600)  # a guard against a hung zygote, not a time limit on the test
    assert counts == dict.fromkeys(KILL_POINTS, 6)
    assert mid_write >= 12  # every "opened" and "written" kill left a torn temporary file
    assert store.verify() == []
    assert main(["cache", "verify", "--cache", str(store.root)]) == 0


def test_verify_clean_removes_only_temp_leftovers(store: PriceStore, capsys) -> None:
    good = store.price_path("AAA")
    leftover = good.with_name(".AAA.parquet.k2j4h_9q.tmp")  # mkstemp: 8 of [a-z0-9_]
    leftover.write_bytes(good.read_bytes()[:500])
    assert main(["cache", "verify", "--cache", str(store.root)]) == 1
    out = capsys.readouterr().out
    said = "temp_leftover: temporary file of an interrupted write (500 bytes); AAA.parquet is unaffected"
    assert f"{leftover}: {said}" in out
    orphan = good.with_name(".NEW.parquet.k2j4h_9q.tmp")  # an import killed before NEW had a file
    orphan.write_bytes(b"")
    assert [p.detail for p in store.verify() if p.path == orphan] == [
        "temporary file of an interrupted write (0 bytes); no NEW.parquet; remove with --clean"
    ]
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"removed {leftover}"
    assert not leftover.exists() and good.is_file() and store.verify() == []


def test_verify_names_twins_an_older_version_imported(tmp_path: Path, capsys) -> None:
    """A cache written before the importer refused one number written two ways (10107 and
    10107.0: a column of floats) or an identifier's case twin holds two series of one firm, and
    every re-import of either spelling stops on the other: `cache verify` names them."""
    caches = [tmp_path / f"cache{i}" for i in range(3)]
    for cache, names in zip(caches, (("10107", "ABC"), ("10107.0",), ("abc",)), strict=True):
        panel = tmp_path / f"{names[0]}.csv"
        panel.write_text("id,date,ret\n" + "".join(f"{name},2024-01-02,0.01\n" for name in names))
        import_paths(PriceStore(cache), [], returns=[panel], units="decimal")
    store = PriceStore(caches[0])
    assert store.verify() == []
    for other, name in ((caches[1], "10107.0"), (caches[2], "abc")):  # as an older version let them in
        shutil.copy(other / "returns" / f"{name}.parquet", caches[0] / "returns" / f"{name}.parquet")
    assert [(p.path.name, p.kind) for p in store.verify()] == [
        ("10107.parquet", "twin"),  # the later of the folder's sorted names
        ("abc.parquet", "twin"),
    ]
    assert main(["cache", "verify", "--cache", str(store.root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{store.root / 'returns' / '10107.parquet'}: twin: '10107' and '10107.0' are one number written "
        "two ways (a column of floats?): write the ids alike, or name the column PERMNO for CRSP's ids; "
        "10107.0 has returns in the cache; remove one of the two files (an older version imported both)"
    )
    assert out[1].endswith("'abc' and 'ABC' differ only in case: identifiers must stay distinct once case is "
        "folded (they would share one cache file on a case-insensitive file system); ABC has returns in the "
        "cache; remove one of the two files (an older version imported both)")
    assert out[2] == f"2 problem(s) in {store.root}/ (4 cache files checked)"


def test_factor_tables_whose_names_differ_only_in_case_are_one_table(
    tmp_path: Path, shared_data: Path
) -> None:
    """The Ken French file imported under its own name and again under a lower-case one made two
    tables, one file on a case-insensitive file system, and cache verify found nothing (a finder's
    re-attack): the import refuses the second, and verify names such twins of an older version."""
    name = "F-F_Research_Data_Factors_daily"
    store = PriceStore(tmp_path / "cache")
    import_paths(store, [shared_data / "factors" / f"{name}.csv"])
    lower = tmp_path / f"{name.lower()}.csv"
    shutil.copy(shared_data / "factors" / f"{name}.csv", lower)
    with pytest.raises(InputError) as caught:
        import_paths(store, [lower])
    assert (caught.value.path, caught.value.field) == (str(lower), "file name")
    assert f"'{name.lower()}' and '{name}' differ only in case" in caught.value.message
    assert store.symbols("factors") == [name]
    fresh = PriceStore(tmp_path / "fresh")
    with pytest.raises(InputError, match="differ only in case"):  # in one import
        import_paths(fresh, [shared_data / "factors" / f"{name}.csv", lower])
    shutil.copy(store.factors_path(name), store.root / "factors" / f"{name.lower()}.parquet")  # as before
    assert [(p.path.name, p.kind) for p in store.verify()] == [(f"{name.lower()}.parquet", "twin")]


def test_verify_clean_never_removes_a_users_file_named_like_a_temporary_one(
    store: PriceStore, capsys
) -> None:
    """Any name starting with '.', ending in '.tmp' and holding '.parquet.' was a temporary file:
    --clean removed a user's .report.parquet.final.tmp, and a plain verify made lock files for
    them. Only a writer's own name (mkstemp's 8 characters) is one; the others are strays. And a
    writer's file is empty or begins as parquet: a finder's notes named .AAA.parquet.notes_v1.tmp
    (8 characters) were removed."""
    folder = store.price_path("AAA").parent
    names = (
        ".report.parquet.final.tmp",
        ".AAA.parquet.v2.tmp",
        ".AAA.parquet.k2j4h_9q.tmp.bak",
        ".AAA.parquet.notes_v1.tmp",
    )
    theirs = [folder / name for name in names]
    for path in theirs:
        path.write_text("precious")
    assert {(p.path, p.kind) for p in store.verify()} == {(path, "stray_file") for path in theirs}
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 1
    assert "removed" not in capsys.readouterr().out
    assert all(path.read_text() == "precious" for path in theirs)
    assert not any((store.root / ".locks" / "prices").glob("report*"))


def test_a_folder_or_link_named_as_a_temporary_file_is_a_stray_never_removed(
    store: PriceStore, tmp_path: Path, capsys
) -> None:
    """A folder and a link named exactly as a writer's temporary file were listed as leftovers;
    --clean then deleted the user's link and crashed on the folder with a traceback
    (IsADirectoryError). Only a regular file is a writer's temporary file."""
    folder = store.price_path("AAA").parent
    (folder / ".AAA.parquet.abcd1234.tmp").mkdir()
    (folder / ".AAA.parquet.abcd1234.tmp" / "notes.txt").write_text("mine")
    mine = tmp_path / "mine.txt"
    mine.write_text("precious")
    link = folder / ".AAA.parquet.zz99zz99.tmp"
    link.symlink_to(mine)
    found = {(p.path.name, p.kind) for p in store.verify()}
    assert found == {(".AAA.parquet.abcd1234.tmp", "stray_file"), (".AAA.parquet.zz99zz99.tmp", "stray_file")}
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 1
    captured = capsys.readouterr()
    assert "removed" not in captured.out and "Traceback" not in captured.err
    assert link.is_symlink() and mine.read_text() == "precious"
    assert (folder / ".AAA.parquet.abcd1234.tmp" / "notes.txt").read_text() == "mine"


def test_a_live_writers_temporary_file_is_neither_reported_nor_removed(store: PriceStore) -> None:
    temporary = store.price_path("AAA").with_name(".AAA.parquet.live01ab.tmp")
    temporary.write_bytes(b"PAR1 being written")
    lock_file = store.root / ".locks" / "prices" / "AAA.parquet.lock"
    with lock_file.open("a") as handle:  # the writer holds the lock while its temporary file exists
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        assert store.verify() == [] and store.remove_temp_leftovers() == []
        assert temporary.exists()
    [problem] = store.verify()  # the writer is gone: now it is a leftover
    assert (problem.path, problem.kind) == (temporary, "temp_leftover")


def test_an_import_never_replaces_a_file_the_tool_did_not_write(
    store: PriceStore, tmp_path: Path, capsys
) -> None:
    """A user's own parquet file in prices/ (no provenance record) was replaced by an import of
    that symbol, exit 0. It is refused in one line naming it; nothing of the batch is written. So
    is a parquet file that cannot be read (a user's cut short was replaced, its bytes lost, a
    finder): nothing in it shows eventstudy wrote it; a file of ours altered since is replaced."""
    frame = synthetic_prices().rename(columns={"date": "Date", "adj_close": "Adj Close"})
    frame.columns = [c if c in ("Date", "Adj Close") else c.title() for c in frame.columns]
    folder = tmp_path / "csv"
    folder.mkdir()
    for name in ("BBB", "CCC"):
        frame.to_csv(folder / f"{name}.csv", index=False)
    theirs = store.price_path("CCC")
    pq.write_table(pa.table({"mine": [1, 2, 3]}), theirs)
    before = file_sha256(theirs)
    assert main(["cache", "import", str(folder), "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{theirs} exists and was not written by eventstudy" in err
    assert file_sha256(theirs) == before and not store.price_path("BBB").exists()
    # Nor a file that is no parquet at all (the user's notes), a folder or a link, which an import
    # took for damaged cache files and replaced (an audit); none of the batch is written first.
    theirs.write_bytes(b"my notes")
    assert main(["cache", "import", str(folder), "--cache", str(store.root)]) == 2
    assert theirs.read_bytes() == b"my notes" and not store.price_path("BBB").exists()
    assert "exists and was not written by eventstudy" in capsys.readouterr().err
    theirs.unlink()
    theirs.mkdir()
    assert main(["cache", "import", str(folder), "--cache", str(store.root)]) == 2
    assert theirs.is_dir() and not store.price_path("BBB").exists()
    capsys.readouterr()
    theirs.rmdir()
    # A parquet file cut short, the user's or a cache file damaged since, and an empty one: refused,
    # kept byte for byte; the error reading it says to move it away first, which mends it.
    pq.write_table(pa.table({"mine": np.arange(5000)}), theirs)
    for cut in (theirs.read_bytes()[:-20], b""):
        theirs.write_bytes(cut)
        assert main(["cache", "import", str(folder), "--cache", str(store.root)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert f"{theirs} cannot be read as a parquet file, so nothing shows eventstudy wrote it (" in err
        assert "nothing was imported: move that file away to import this one" in err
        assert theirs.read_bytes() == cut and not store.price_path("BBB").exists()
        with pytest.raises(CacheCorruptError, match="move it out of the cache, then re-import or re-fetch"):
            store.read_prices("CCC")
        with pytest.raises(CacheWriteError, match="cannot be read as a parquet file"):  # the API's writes too
            store.write_prices("CCC", synthetic_prices(), {"source": "test"})
        assert theirs.read_bytes() == cut
    theirs.unlink()
    assert main(["cache", "import", str(folder), "--cache", str(store.root)]) == 0
    assert len(store.read_prices("CCC")) == len(frame) and len(store.read_prices("BBB")) == len(frame)
    # A cache file of ours altered since (its values no longer hash to its record) is replaced.
    table = pq.read_table(theirs)
    close = table.schema.get_field_index("close")
    altered = table.set_column(close, "close", pa.compute.multiply(table.column("close"), 2.0))
    pq.write_table(altered, theirs)
    with pytest.raises(CacheCorruptError, match="content_mismatch"):
        store.read_prices("CCC")
    assert main(["cache", "import", str(folder), "--cache", str(store.root)]) == 0
    assert len(store.read_prices("CCC")) == len(frame)


def test_an_import_checks_and_writes_under_the_cache_wide_lock(
    store: PriceStore, tmp_path: Path, monkeypatch
) -> None:
    """Two imports at once each found NVDA and nvda new (the per-file locks differ) and wrote
    both: the identifier check and the writes now hold one lock of the whole cache, which
    another process (here another open file description) cannot take meanwhile."""
    import eventstudy.data.importer as importer

    lock_file = store.root / ".locks" / "catalog" / "identifiers.lock"
    held = []

    def probe(*args, **kwargs) -> None:
        with lock_file.open("a") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.append(True)
            else:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                held.append(False)

    real_check = importer._check_cache

    def checked(*args, **kwargs) -> None:
        probe()
        real_check(*args, **kwargs)

    def written(*args, **kwargs) -> None:
        probe()
        real_write(*args, **kwargs)

    real_write = importer._write_staged
    monkeypatch.setattr(importer, "_check_cache", checked)
    monkeypatch.setattr(importer, "_write_staged", written)
    frame = synthetic_prices().rename(columns={"date": "Date", "adj_close": "Adj Close"})
    frame.columns = [c if c in ("Date", "Adj Close") else c.title() for c in frame.columns]
    frame.to_csv(tmp_path / "NVDA.csv", index=False)
    import_paths(store, [tmp_path / "NVDA.csv"])
    assert held == [True, True] and len(store.read_prices("NVDA")) == len(frame)
    probe()  # released afterwards
    assert held[-1] is False


def test_an_import_that_cannot_take_the_cache_lock_names_the_cache(
    store: PriceStore, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The lock of the imports was named as a cache file that does not exist
    ('<cache>/catalog/identifiers: cannot write the cache file ...')."""
    real = store_module._locked

    def busy(path, timeout):
        if path.name == "identifiers":
            raise store_module.CacheBusyError(path, "another process has held its lock for more than 120 s")
        return real(path, timeout)

    monkeypatch.setattr(store_module, "_locked", busy)
    frame = synthetic_prices().rename(columns={"date": "Date", "adj_close": "Adj Close"})
    frame.columns = [c if c in ("Date", "Adj Close") else c.title() for c in frame.columns]
    frame.to_csv(tmp_path / "BBB.csv", index=False)
    assert main(["cache", "import", str(tmp_path / "BBB.csv"), "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"eventstudy: error: {store.root}: cannot take the lock of the cache's imports (another process "
        "has held its lock for more than 120 s); nothing was imported\n"
    )
    assert not store.price_path("BBB").exists()


def test_an_offline_study_of_a_mistyped_cache_names_the_cache_not_the_market(tmp_path: Path, capsys) -> None:
    """``run --offline --cache nosuch`` (and ``run_study(events, "nosuch")``) said the config's
    ``study.market`` had no cached series and advised setting another market (a finder): the
    cache folder is what is missing. A file given as the store from Python is named too."""
    from _small_study import make_study

    from eventstudy import load_config, run_study

    events, config = make_study(tmp_path / "study")
    nosuch = tmp_path / "nosuch"
    argv = ["run", "--events", str(events), "--config", str(config), "--offline", "--cache", str(nosuch)]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"eventstudy: error: {nosuch}: no such cache folder\n", captured.err
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    for store, problem in ((nosuch, "no such cache folder"), (afile, "is a file, not a cache folder")):
        with pytest.raises(InputError) as caught:
            run_study(events, store, load_config(config))
        assert (caught.value.path, caught.value.message) == (str(store), problem)
    assert not nosuch.exists() and afile.read_text() == "mine\n" and not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["list", "verify"])
def test_list_and_verify_of_a_mistyped_cache_say_so(command: str, tmp_path: Path, capsys) -> None:
    """A mistyped ``--cache`` (a missing folder, or a file) is an error naming it, not an empty,
    healthy cache; an existing empty cache is listed as empty."""
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    assert main(["cache", command, "--cache", str(tmp_path / "nosuch")]) == 2
    captured = capsys.readouterr()
    missing = f"eventstudy: error: {tmp_path / 'nosuch'}: no such cache folder\n"
    assert (captured.err, captured.out) == (missing, "")
    with pytest.raises(SystemExit) as refused:  # by the argument parser, as every command's --cache
        main(["cache", command, "--cache", str(afile)])
    captured = capsys.readouterr()
    assert refused.value.code == 2 and captured.out == ""
    assert captured.err == (
        f"eventstudy cache {command}: error: argument --cache: {afile} is a file, not a cache folder "
        f"(see eventstudy cache {command} --help)\n"
    )
    assert afile.read_text() == "mine\n" and not (tmp_path / "nosuch").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["cache", command, "--cache", str(empty)]) == 0
    expected = {
        "list": f"no price or returns series in {empty}/ (add some with: eventstudy cache import)\n",
        "verify": f"0 problem(s) in {empty}/ (0 cache files checked)\n",
    }
    assert capsys.readouterr().out == expected[command]


def test_a_running_imports_temporary_files_are_neither_listed_nor_removed(store: PriceStore) -> None:
    """While an import holds the cache's identifier lock, its batch's files are temporary until
    its end: ``cache verify`` does not list them as a killed writer's, and ``--clean`` waits."""
    temporary = store.root / "prices" / ".AAA.parquet.abcd1234.tmp"
    temporary.write_bytes(b"PAR1: a batch's file, written whole, waiting for its rename")
    lock_file = store.root / ".locks" / "catalog" / "identifiers.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:  # another process's import holds the lock
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        assert store.verify() == []
        with pytest.raises(store_module.InputError, match="cannot take the lock of the cache's imports"):
            store.remove_temp_leftovers(timeout=0.0)
        assert temporary.exists()
    assert [p.kind for p in store.verify()] == ["temp_leftover"]  # the import is gone: a leftover
    assert store.remove_temp_leftovers() == [temporary] and not temporary.exists()


def test_a_rename_that_fails_at_the_end_of_an_import_names_what_was_renamed(
    shared_data: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """The renames of a staged batch come last, each under its file's lock; one failing (the
    system refuses CRWV.parquet's rename here; a fetch holding a file's lock past the timeout
    would do the same) stops the batch. The files renamed before it stay, each whole, and the
    one-line error says which; the others wait in their temporary files with the batch's journal
    (a finder's runs read the mix of 10 new files and 10 old without a word), so no study reads
    the cache until ``cache verify --clean`` renames them. When the first rename fails, nothing is
    left. (A folder in a file's place no longer does: the import refuses it before writing anything.)"""
    import eventstudy.data.store as store_module

    replace = os.replace
    refused: set[str] = set()

    def failing(source: object, target: object) -> None:
        if Path(str(target)).name in refused:
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(target))
        replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module.os, "replace", failing)
    store = PriceStore(tmp_path / "cache")
    sources = sorted((shared_data / "prices").glob("*.csv"))[:5]
    assert [s.stem for s in sources] == ["AMD", "AMZN", "ASML", "AVGO", "CRWV"]
    for source in sources[:4]:  # old content: adj_close halved
        frame = pd.read_csv(source)
        frame["Adj Close"] = frame["Adj Close"] * 0.5
        frame.to_csv(tmp_path / source.name, index=False)
    import_paths(store, [tmp_path / s.name for s in sources[:4]])
    refused.add("CRWV.parquet")  # the last rename fails: EISDIR
    assert main(["cache", "import", *map(str, sources), "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"eventstudy: error: {store.price_path('CRWV')}: cannot write the cache file (Is a directory "
        "[EISDIR]); the previous file, if any, is unchanged; 4 file(s) of the batch were renamed into place "
        "before it (prices/AMD.parquet, prices/AMZN.parquet, prices/ASML.parquet, prices/AVGO.parquet), the "
        "other 1 wait in temporary files: no study reads the cache until eventstudy cache verify --clean "
        "renames them (once the cause is gone)\n"
    )
    for source in sources[:4]:  # renamed: the new content, whole
        expected = pd.read_csv(source)["Adj Close"].tolist()
        assert store.read_prices(source.stem)["adj_close"].tolist() == expected
    assert not store.has_series("CRWV") and len(leftovers(store)) == 1
    assert [p.kind for p in store.verify()] == ["interrupted_batch", "temp_leftover"]
    with pytest.raises(InputError, match=r"\(4 of 5 renamed; "), store.consistent_reads():
        pass
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 2  # the cause is still there
    assert "Is a directory" in capsys.readouterr().err and len(leftovers(store)) == 1
    refused.clear()
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 0
    assert "-> CRWV.parquet (finishing the stopped import)" in capsys.readouterr().out
    assert store.read_prices("CRWV")["adj_close"].tolist() == pd.read_csv(sources[4])["Adj Close"].tolist()
    assert leftovers(store) == [] and store.verify() == []
    before = snapshot(store)
    refused.add("AMD.parquet")  # now the first rename fails
    assert main(["cache", "import", *map(str, sources[:2]), "--cache", str(store.root)]) == 2
    assert capsys.readouterr().err.endswith("; nothing of the batch (2 files) was imported\n")
    refused.clear()
    assert {k: v for k, v in snapshot(store).items() if "AMD" not in k} == {
        k: v for k, v in before.items() if "AMD" not in k
    }


def test_a_study_reads_the_cache_before_an_imports_renames_or_after_them(
    shared_data: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A finder's run read ORCL from an import's batch and SPY from before it (the renames are
    one file after another), exit 0, no word. The renames wait for a study's reads (the batch
    lock, shared by readers), and a study's reads wait for the renames."""
    store = PriceStore(tmp_path / "cache")
    sources = sorted((shared_data / "prices").glob("*.csv"))[:3]
    import_paths(store, sources[:1])
    before = snapshot(store)
    lock_file = store.root / ".locks" / "catalog" / "batch.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(store_module, "LOCK_TIMEOUT", 0.2)
    with lock_file.open("a") as handle:  # a study reading its inputs
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        assert main(["cache", "import", *map(str, sources), "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert "catalog/batch.lock for more than 0.2 s" in err
    assert err.endswith("; nothing of the batch (3 files) was imported\n")
    assert snapshot(store) == before and leftovers(store) == []
    with lock_file.open("a") as handle:  # an import renaming its batch
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        busy = pytest.raises(InputError, match="an import has been renaming its files into place for more")
        with busy, store.consistent_reads():
            pass
    with store.consistent_reads(), store.consistent_reads():  # readers share it
        assert main(["cache", "verify", "--cache", str(store.root)]) == 0
    assert main(["cache", "import", *map(str, sources), "--cache", str(store.root)]) == 0


def test_a_run_reads_its_inputs_under_the_batch_lock(tmp_path: Path, capsys, monkeypatch) -> None:
    """While an import renames its batch, a run waits, and past the timeout stops in one line
    having read nothing (it read a mix of two imports)."""
    make_cache(tmp_path / "cache")
    events, config = make_study(tmp_path)
    lock_file = tmp_path / "cache" / ".locks" / "catalog" / "batch.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(store_module, "LOCK_TIMEOUT", 0.2)
    out = tmp_path / "out"
    with lock_file.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        assert main(run_args(events, config, tmp_path / "cache", out)) == 2
    assert "an import has been renaming its files into place" in capsys.readouterr().err
    assert not out.exists()
    assert main(run_args(events, config, tmp_path / "cache", out)) == 0


def test_a_batch_lock_that_is_a_pipe_or_a_link_is_not_waited_on_or_followed(tmp_path: Path) -> None:
    """A finder's batch.lock was a pipe (mode 0444) that a reader could open only for reading:
    opening it waited for a writer without end. A link there was followed, and its target made."""
    as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    if as_user and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv to drop privileges")
    folder = Path(tempfile.mkdtemp(prefix="eventstudy-pipe."))
    try:
        folder.chmod(0o755)
        lock = folder / "cache" / ".locks" / "catalog" / "batch.lock"
        lock.parent.mkdir(parents=True)
        os.mkfifo(lock, 0o444)
        code = "import sys\nfrom eventstudy.data.store import PriceStore\n"
        code += "with PriceStore(sys.argv[1]).consistent_reads(timeout=0.0):\n    print('read')\n"
        command = [*as_user, sys.executable, "-c", code, str(folder / "cache")]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert (done.returncode, done.stdout) == (0, "read\n"), done.stderr  # the timeout guards a hang
        lock.unlink()
        lock.symlink_to(folder / "elsewhere.lock")
        with PriceStore(folder / "cache").consistent_reads(timeout=0.0):
            pass
        assert not (folder / "elsewhere.lock").exists()
    finally:
        shutil.rmtree(folder)


def test_verify_clean_of_a_cache_whose_locks_cannot_be_made_with_nothing_to_clean(
    store: PriceStore, capsys
) -> None:
    """``--clean`` takes the cache's lock only when there is a file to remove: on a cache where
    no lock file can be made (read-only; here ``.locks`` is a file), with nothing to clean, it
    reports as ``verify`` does instead of failing to take a lock (and, as verify does, names the
    file where the lock folder belongs: every import stops on it)."""
    shutil.rmtree(store.root / ".locks", ignore_errors=True)
    (store.root / ".locks").write_text("not a folder")
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{store.root / '.locks'}: stray_file: not the cache's lock folder: a file, which eventstudy did "
        "not write",
        f"1 problem(s) in {store.root}/ (1 cache files checked)",
    ]
    assert captured.err == "" and (store.root / ".locks").read_text() == "not a folder"


def test_the_cache_lock_tried_while_another_writer_lets_it_go_is_busy_not_an_error(
    store: PriceStore, monkeypatch
) -> None:
    """A fetch tries the cache's identifier lock without waiting. When the other writer let it
    go between that try and a second look, the busy lock was once taken for one that cannot be
    made at all (a read-only cache): the fetch failed, and with it the rest of the symbols."""
    real = store_module._locked
    tries = []

    def released_just_after(path, timeout):
        if path.name == "identifiers" and not tries:
            tries.append(path)
            raise store_module.CacheBusyError(path, "another process has held its lock for more than 0 s")
        return real(path, timeout)

    monkeypatch.setattr(store_module, "_locked", released_just_after)
    with store.catalog_lock_if_free(done="fetched") as free:
        assert free is False
    with store.catalog_lock_if_free(done="fetched") as free:  # the other writer is gone
        assert free is True
    shutil.rmtree(store.root / ".locks")
    (store.root / ".locks").write_text("not a folder")  # no lock can be made: an error
    cannot = r"cannot take the lock of the cache's imports \(cannot"
    with pytest.raises(store_module.InputError, match=cannot), store.catalog_lock_if_free(done="fetched"):
        pass


def test_a_batch_holds_back_only_its_own_threads_writes(store: PriceStore) -> None:
    """A batch (``staged_writes``) once held back every write through the same store object,
    so another thread's fetch joined the import's batch and was lost when the batch failed."""
    import threading

    with store.catalog_lock(), store.staged_writes():
        store.write_prices("BBB", synthetic_prices(), {"symbol": "BBB"})  # the batch's: held back
        args = ("CCC", synthetic_prices(), {"symbol": "CCC"})
        other = threading.Thread(target=store.write_prices, args=args)
        other.start()
        other.join()
        assert not store.price_path("BBB").exists() and store.price_path("CCC").exists()
    assert store.read_prices("BBB")["adj_close"].equals(synthetic_prices()["adj_close"])
    assert leftovers(store) == []


def test_a_source_file_that_changes_while_it_is_read_imports_nothing(
    store: PriceStore, shared_data: Path, tmp_path: Path, monkeypatch
) -> None:
    """A 52 MB panel overwritten mid-import was imported with the new file's SHA-256 in its
    provenance, of rows never read (an audit). The file is hashed before and after it is
    parsed; a change between imports nothing and says so."""
    import eventstudy.data.importer as importer

    source = tmp_path / "NVDA.csv"
    source.write_bytes((shared_data / "prices" / "NVDA.csv").read_bytes())
    parse = importer.parse_yahoo_csv

    def parse_then_overwrite(path: Path) -> pd.DataFrame:
        frame = parse(path)
        path.write_text(path.read_text() + "\n")  # another file now
        return frame

    monkeypatch.setattr(importer, "parse_yahoo_csv", parse_then_overwrite)
    with pytest.raises(InputError, match="the file changed while it was read: nothing was") as caught:
        import_paths(store, [source])
    assert caught.value.path == str(source) and not store.has_series("NVDA")
    monkeypatch.setattr(importer, "parse_yahoo_csv", parse)
    import_paths(store, [source])
    assert store.provenance(store.price_path("NVDA"))["source_sha256"] == file_sha256(source)


@pytest.mark.parametrize("entry", ["folder", "pipe", "link", "notes"])
@pytest.mark.parametrize("kind", ["prices", "shares", "earnings"])
def test_an_entry_the_cache_did_not_write_is_named_never_read_as_none(tmp_path, capsys, kind, entry) -> None:
    """A folder or pipe at shares/AAA.parquet gave AAA no market value (exit 0, 'no
    shares-outstanding figure'); at earnings/ the row went unscreened; at prices/ it stopped
    cache list and validate ('no cached prices for AAA: import them'), and the user's notes named
    AAA.parquet were called damage to re-import, which the import then refused to replace."""
    from _small_study import make_cache, make_study, run_args

    events, config = make_study(tmp_path / "study")
    cache = make_cache(tmp_path / "cache")
    if kind == "earnings":
        (cache.root / "earnings").mkdir(exist_ok=True)
    path = cache.root / kind / "AAA.parquet"
    mine = tmp_path / "mine.parquet"
    if path.exists():
        shutil.copyfile(path, mine)
        path.unlink()
    else:
        mine.write_bytes(b"PAR1 of someone else")
    if entry == "folder":
        path.mkdir()
    elif entry == "pipe":
        os.mkfifo(path)
    elif entry == "link":
        path.symlink_to(mine)
    else:
        path.write_text("my notes on AAA\n")
    out = tmp_path / "out"
    assert main(run_args(events, config, cache.root, out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"{path}: not a cache file (" in err and "move it out of the cache" in err
    assert "re-import" not in err and not out.exists()
    if kind == "prices":  # the other symbols are still listed; validate of all names the entry
        assert main(["cache", "list", "--cache", str(cache.root)]) == 0
        listed = capsys.readouterr().out
        assert "BBB" in listed and "SPY" in listed
        assert "AAA      NOT A CACHE FILE (foreign)" in listed  # a folder, pipe or link was left out
        status = main(["validate", "--cache", str(cache.root)])
        err = capsys.readouterr().err
        assert "no cached prices" not in err  # validate of every symbol passed over it (exit 0)
        assert status == 2 and f"{path}: not a cache file" in err
    assert main(["cache", "verify", "--cache", str(cache.root)]) == 1
    said = capsys.readouterr().out
    assert f"{path}: " in said
    # a folder, pipe or link is a stray, not a cache file checked (the count said it was one)
    read = sum(1 for p in cache.root.glob("*/*.parquet") if stat.S_ISREG(p.lstat().st_mode))
    assert read == sum(1 for p in cache.root.glob("*/*.parquet")) - (entry != "notes")
    assert said.splitlines()[-1] == f"1 problem(s) in {cache.root}/ ({read} cache files checked)"
    assert path.exists() or path.is_symlink()  # never touched


# -- a batch stopped during its renames -------------------------------------------------------
KILLED_RENAMES = r"""
import os, signal, sys
from eventstudy.cli import main

real_replace, calls = os.replace, [0]

def killed_at_the_third(source, target, *args, **kwargs):
    if str(target).endswith(".parquet"):  # a cache file's rename (the journal's is not one)
        calls[0] += 1
        if calls[0] == 3:
            os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(source, target, *args, **kwargs)

os.replace = killed_at_the_third
main(["cache", "import", *sys.argv[2:], "--cache", sys.argv[1]])
"""


def journal_of(store: PriceStore) -> Path:
    return store.root / ".locks" / "catalog" / "batch.journal"


def test_an_import_killed_during_its_renames_is_read_by_no_one_until_clean_finishes_it(
    shared_data: Path, tmp_path: Path, capsys
) -> None:
    """``kill -9`` between the second and third of five renames: the cache held two new files and
    three old ones, and nothing said so (a run read the mix). The journal written before the
    renames stays: a study and another import refuse the cache in one line, ``cache verify``
    lists it, and ``--clean`` renames the other three into place."""
    store = PriceStore(tmp_path / "cache")
    sources = sorted((shared_data / "prices").glob("*.csv"))[:5]
    for source in sources:  # old content: adj_close halved
        frame = pd.read_csv(source)
        frame["Adj Close"] = frame["Adj Close"] * 0.5
        frame.to_csv(tmp_path / source.name, index=False)
    import_paths(store, [tmp_path / s.name for s in sources])
    before = snapshot(store)
    command = [sys.executable, "-c", KILLED_RENAMES, str(store.root), *map(str, sources)]
    killed = subprocess.run(command, capture_output=True, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after = snapshot(store)
    assert sum(after[name] != before[name] for name in before) == 2 and len(leftovers(store)) == 3
    stopped = "an import was stopped while renaming its files into place (2 of 5 renamed; its journal is "
    refused = pytest.raises(InputError, match=r"\(2 of 5 renamed; .*; nothing was read$")
    with refused, store.consistent_reads():
        pass
    assert main(["cache", "import", str(sources[0]), "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert stopped in err and err.endswith("; nothing was imported\n") and err.count("\n") == 1
    assert snapshot(store) == after
    assert main(["cache", "verify", "--cache", str(store.root)]) == 1
    out = capsys.readouterr().out
    assert f"{journal_of(store)}: interrupted_batch: {stopped}" in out
    assert out.count("temp_leftover: a file of the stopped import, not yet renamed") == 3
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if line.endswith("(finishing the stopped import)")]) == 3
    assert out[-1] == f"0 problem(s) in {store.root}/ (5 cache files checked)"
    for source in sources:  # every file the killed import's
        expected = pd.read_csv(source)["Adj Close"].tolist()
        assert store.read_prices(source.stem)["adj_close"].tolist() == expected
    assert leftovers(store) == [] and not journal_of(store).exists()
    with store.consistent_reads():
        pass


def stop_at_the_second_rename(store: PriceStore, frames: dict[str, pd.DataFrame]) -> None:
    """Write ``frames`` as one batch with Ctrl-C at its second rename of a cache file (what a
    kill leaves, in-process): the first file is renamed, the others wait in temporary files."""
    replace, calls = os.replace, [0]

    def interrupted(source: object, target: object) -> None:
        if str(target).endswith(".parquet"):
            calls[0] += 1
            if calls[0] == 2:
                raise KeyboardInterrupt
        replace(source, target)  # type: ignore[arg-type]

    def batch() -> None:
        with store.staged_writes():
            for symbol, frame in frames.items():
                store.write_prices(symbol, frame, {"source": "batch", "symbol": symbol})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_module.os, "replace", interrupted)
        with pytest.raises(KeyboardInterrupt):
            batch()


def test_clean_never_puts_a_stopped_imports_file_over_one_written_since(store: PriceStore) -> None:
    """After the stop a fetch wrote CCC: finishing the batch renames BBB (still the old file)
    into place and removes the batch's CCC, older than the file there."""
    for symbol in ("BBB", "CCC"):
        store.write_prices(symbol, synthetic_prices(), {"source": "test", "symbol": symbol})
    stop_at_the_second_rename(store, dict.fromkeys(("AAA", "BBB", "CCC"), synthetic_prices(scale=2.0)))
    first = [store.read_prices(symbol)["adj_close"].iloc[0] for symbol in ("AAA", "BBB", "CCC")]
    old, new = synthetic_prices()["adj_close"].iloc[0], synthetic_prices(scale=2.0)["adj_close"].iloc[0]
    assert first == [new, old, old]
    assert journal_of(store).exists() and len(leftovers(store)) == 2
    store.write_prices("CCC", synthetic_prices(scale=3.0), {"source": "fetch", "symbol": "CCC"})
    lines = store.finish_interrupted_batch()
    assert [line.split(" ", 1)[0] for line in lines] == ["renamed", "removed", "removed"]
    assert lines[1].endswith("(CCC.parquet was written or removed after the import stopped)")
    assert store.provenance(store.price_path("BBB"))["source"] == "batch"
    assert store.provenance(store.price_path("CCC"))["source"] == "fetch"
    assert leftovers(store) == [] and not journal_of(store).exists() and store.verify() == []
    assert store.finish_interrupted_batch() == []  # nothing left to do


def test_a_run_on_a_cache_whose_import_stopped_mid_renames_stops_in_one_line(tmp_path: Path, capsys) -> None:
    """The run reads none of the mix (SPY new, AAA old) and writes nothing; after ``--clean`` it
    runs on the batch's files."""
    store = make_cache(tmp_path / "cache")
    events, config = make_study(tmp_path)
    frames = {symbol: store.read_prices(symbol) for symbol in ("SPY", "AAA")}
    for frame in frames.values():
        frame["adj_close"] *= 1.5
    stop_at_the_second_rename(store, frames)
    out = tmp_path / "out"
    assert main(run_args(events, config, tmp_path / "cache", out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "(1 of 2 renamed; its journal is" in err and err.endswith("; nothing was read\n")
    assert not out.exists()
    # cache list listed the mix without a word (a finder): it says so first, and lists
    assert main(["cache", "list", "--cache", str(store.root)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("INTERRUPTED IMPORT: an import was stopped while renaming its files into ")
    assert "(1 of 2 renamed; its journal is" in listed[0] and listed[0].endswith("finishes its renames")
    assert [line.split()[0] for line in listed[1:]] == ["AAA", "BBB", "CCC", "SPY"]
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 0
    assert main(run_args(events, config, tmp_path / "cache", out)) == 0
    assert store.provenance(store.price_path("AAA"))["source"] == "batch"


@pytest.mark.parametrize(
    ("temporary", "target"),
    [
        ("prices/../../x", "prices/AAA.parquet"),
        # a finder's: a temporary file named for a target outside the cache, renamed over a user's file
        ("prices/../../mine/.AAA.parquet.abcdefgh.tmp", "prices/../../mine/AAA.parquet"),
        ("prices/.AAA.parquet.abcdefgh.tmp", "prices//AAA.parquet"),
    ],
)
def test_a_journal_the_package_did_not_write_is_named_never_acted_on(
    store: PriceStore, capsys, temporary: str, target: str
) -> None:
    mine = store.root.parent / "mine"
    mine.mkdir()
    (mine / "AAA.parquet").write_text("my own file")
    (mine / ".AAA.parquet.abcdefgh.tmp").write_bytes(b"PAR1 an attacker's")
    identity = store_module._identity(mine / ".AAA.parquet.abcdefgh.tmp")  # as a rename would find it
    record = {"temporary": temporary, "target": target, "temporary_file": identity, "replaces_file": None}
    journal_of(store).parent.mkdir(parents=True, exist_ok=True)
    journal_of(store).write_text(json.dumps({"journal": store_module._JOURNAL_TAG, "renames": [record]}))
    refused = pytest.raises(InputError, match=r"is not a journal this package wrote .*; nothing was read$")
    with refused, store.consistent_reads():
        pass
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a batch's rename" in err
    assert err.endswith("remove it, then import again the files you last imported\n")
    assert store.read_prices("AAA")["adj_close"].tolist() == synthetic_prices()["adj_close"].tolist()
    assert (mine / "AAA.parquet").read_text() == "my own file" and not (mine / ".locks").exists()


def test_a_copied_cache_finishes_its_stopped_batch(store: PriceStore, tmp_path: Path) -> None:
    """Files were told by inode: a finder's fetch took a recorded inode number (--clean put the
    old batch file over the fetched data), and a copied cache had other inodes (--clean kept
    every file as it was and removed the batch's files: a mix no check flagged). A file is told
    by the hashes of its values and provenance, which a copy keeps and a write changes."""
    store.write_prices("BBB", synthetic_prices(), {"source": "test", "symbol": "BBB"})
    store.write_prices("CCC", synthetic_prices(), {"source": "test", "symbol": "CCC"})
    stop_at_the_second_rename(store, dict.fromkeys(("AAA", "BBB", "CCC"), synthetic_prices(scale=2.0)))
    copy = PriceStore(tmp_path / "copy")
    shutil.copytree(store.root, copy.root)  # every inode another
    copy.write_prices("CCC", synthetic_prices(scale=3.0), {"source": "fetch", "symbol": "CCC"})
    lines = copy.finish_interrupted_batch()
    assert [line.split(" ", 1)[0] for line in lines] == ["renamed", "removed", "removed"], lines
    assert lines[0].endswith("-> BBB.parquet (finishing the stopped import)")
    assert [copy.provenance(copy.price_path(s))["source"] for s in ("AAA", "BBB", "CCC")] == [
        "batch",
        "batch",
        "fetch",
    ]
    assert leftovers(copy) == [] and copy.verify() == []


def test_a_batch_stopped_before_its_first_rename_leaves_the_cache_as_it_was(store: PriceStore) -> None:
    """A finder's Ctrl-C just after the journal was written left the journal and removed the
    batch's files: every reader was refused for a mix that was not there."""
    before = snapshot(store)
    real = store_module._write_journal

    def interrupted(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_module, "_write_journal", interrupted)
        with pytest.raises(KeyboardInterrupt), store.staged_writes():
            store.write_prices("AAA", synthetic_prices(scale=2.0), {"source": "batch", "symbol": "AAA"})
    assert snapshot(store) == before and leftovers(store) == [] and not journal_of(store).exists()
    with store.consistent_reads():
        pass


@pytest.mark.parametrize("scheme", ["local://", "simplecache::file://"])
def test_a_url_cache_is_refused_with_a_stopped_imports_journal(store: PriceStore, scheme: str) -> None:
    """A finder's Dask run read a stopped import's mix through local:// (a RemoteCache, which
    takes no lock and never looked for the journal); file:// is a folder, refused already."""
    pytest.importorskip("fsspec")
    from eventstudy.data.remote import RemoteCache

    cache = RemoteCache(f"{scheme}{store.root}")
    with cache.consistent_reads():  # no journal: read
        pass
    stop_at_the_second_rename(store, dict.fromkeys(("AAA", "BBB"), synthetic_prices(scale=2.0)))
    with pytest.raises(InputError, match="an import was stopped while renaming"), cache.consistent_reads():
        pass
    store.finish_interrupted_batch()
    with cache.consistent_reads():
        pass


def test_validate_reads_one_version_of_the_cache(store: PriceStore, capsys) -> None:
    """A finder's validate checked a stopped import's mix (10 new files, 10 old) without a word."""
    store.write_prices("SPY", synthetic_prices(), {"source": "test", "symbol": "SPY"})
    stop_at_the_second_rename(store, dict.fromkeys(("AAA", "SPY"), synthetic_prices(scale=2.0)))
    assert main(["validate", "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(1 of 2 renamed; " in err and err.endswith("; nothing was read\n")
    store.finish_interrupted_batch()
    assert main(["validate", "--cache", str(store.root)]) in (0, 1)


SYMBOLS = ("AAA", "BBB", "CCC", "DDD")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cached=st.sets(st.sampled_from(SYMBOLS)),
    batch=st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4, unique=True),
    stop=st.integers(min_value=1, max_value=4),
    since=st.sets(st.sampled_from(SYMBOLS)),
)
def test_any_stopped_batch_reads_as_nothing_until_clean_leaves_each_file_its_latest_write(
    cached: set[str], batch: list[str], stop: int, since: set[str]
) -> None:
    """Any cache, any batch, a stop before any of its renames, then writes by a fetch: until
    ``finish_interrupted_batch`` no one reads the cache (unless the stop came before the first
    rename: then nothing of the batch is there and nothing is refused); after it every file is
    the last one written to it, whole (the fetch's, else the batch's, else the old one), and
    neither a temporary file nor the journal is left."""
    stop = min(stop, len(batch))
    with tempfile.TemporaryDirectory() as folder:
        store = PriceStore(Path(folder) / "cache")
        for symbol in sorted(cached):
            store.write_prices(symbol, synthetic_prices(scale=1.0), {"source": "old", "symbol": symbol})
        replace, calls = os.replace, [0]

        def interrupted(source: object, target: object) -> None:
            if str(target).endswith(".parquet"):
                calls[0] += 1
                if calls[0] == stop:
                    raise KeyboardInterrupt
            replace(source, target)  # type: ignore[arg-type]

        def write_batch() -> None:
            with store.staged_writes():
                for symbol in batch:
                    provenance = {"source": "batch", "symbol": symbol}
                    store.write_prices(symbol, synthetic_prices(scale=2.0), provenance)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(store_module.os, "replace", interrupted)
            with pytest.raises(KeyboardInterrupt):
                write_batch()
        renamed = batch[: stop - 1]
        expected = dict.fromkeys(cached, "old") | dict.fromkeys(renamed, "batch")
        assert {s: store.provenance(store.price_path(s))["source"] for s in expected} == expected
        if renamed:
            refused = pytest.raises(InputError, match=rf"\({len(renamed)} of {len(batch)} renamed; ")
            with refused, store.consistent_reads():
                pass
        else:
            assert not journal_of(store).exists() and leftovers(store) == []
        for symbol in sorted(since):
            store.write_prices(symbol, synthetic_prices(scale=3.0), {"source": "fetch", "symbol": symbol})
        store.finish_interrupted_batch()
        if renamed:
            expected |= dict.fromkeys(batch, "batch")
        expected |= dict.fromkeys(since, "fetch")
        scale = {"old": 1.0, "batch": 2.0, "fetch": 3.0}
        with store.consistent_reads():
            for symbol, source in expected.items():
                assert store.provenance(store.price_path(symbol))["source"] == source
                want = synthetic_prices(scale=scale[source])["adj_close"].tolist()
                assert store.read_prices(symbol)["adj_close"].tolist() == want
        assert sorted(store.symbols("prices")) == sorted(expected)
        assert leftovers(store) == [] and not journal_of(store).exists() and store.verify() == []


def test_json_nested_deeper_than_a_record_is_a_damaged_file(store: PriceStore, capsys) -> None:
    """json's parser recurses: a provenance record (its hash made to match) or a batch journal of
    100,000 nested brackets gave RecursionError tracebacks on cache verify, --clean and every run."""
    deep = b"[" * 100_000 + b"]" * 100_000
    path = store.price_path("AAA")
    table = pq.read_table(path)
    metadata = {
        **table.schema.metadata,
        store_module.PROVENANCE_KEY: deep,
        store_module.PROVENANCE_SHA_KEY: hashlib.sha256(deep).hexdigest().encode(),
    }
    pq.write_table(table.replace_schema_metadata(metadata), path)
    with pytest.raises(CacheCorruptError, match="provenance is not JSON"):
        store.read_prices("AAA")
    assert main(["cache", "verify", "--cache", str(store.root)]) == 1
    out = capsys.readouterr().out
    assert "bad_provenance: provenance is not JSON (maximum recursion depth exceeded" in out
    path.unlink()
    journal_of(store).parent.mkdir(parents=True, exist_ok=True)
    journal_of(store).write_bytes(deep)
    with pytest.raises(InputError, match="is not a journal this package wrote"), store.consistent_reads():
        pass
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "maximum recursion depth exceeded" in err and "Traceback" not in err


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with a file's bytes (None for a folder)."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


def test_reading_commands_make_no_folder_and_write_nothing_into_a_users(tmp_path: Path, capsys) -> None:
    """``validate --cache`` of a mistyped path made the whole folder chain and a ``.locks`` tree
    in it (after which ``cache verify`` called it an empty, healthy cache), and every reading
    command (validate, cache list/verify, run) wrote ``.locks/catalog/batch.lock`` into a folder
    of the user's given as ``--cache`` by mistake."""
    typo = tmp_path / "typo" / "cache"
    assert main(["validate", "--cache", str(typo)]) == 2
    captured = capsys.readouterr()
    assert (captured.err, captured.out) == (f"eventstudy: error: {typo}: no such cache folder\n", "")
    assert not (tmp_path / "typo").exists()
    mine = tmp_path / "mine"
    (mine / "prices").mkdir(parents=True)  # a finance project's own prices folder is no cache
    (mine / "prices" / "notes.txt").write_text("where the prices came from\n")
    (mine / "thesis.txt").write_text("chapter 1\n")
    before = tree(mine)
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne1,2024-03-01,pre,AAA,buyer,,g,x\n"
    )
    for args in (
        ["validate"],
        ["validate", "AAA"],
        ["cache", "list"],
        ["cache", "verify"],
        ["run", "--events", str(events), "--offline", "--out", str(tmp_path / "out")],
    ):
        assert main([*args, "--cache", str(mine)]) in (0, 1, 2), args
        assert tree(mine) == before, args
    capsys.readouterr()
    # An empty folder is a cache about to be filled: a reader's lock keeps a first import whole,
    # and stays (removing it after the reader removed a running import's held locks: a finder).
    empty = tmp_path / "empty"
    empty.mkdir()
    with PriceStore(empty).consistent_reads():
        assert (empty / ".locks" / "catalog" / "batch.lock").is_file()
    assert (empty / ".locks" / "catalog" / "batch.lock").is_file()
    # A cache an import wrote to keeps its readers' lock.
    cache = make_cache(tmp_path / "cache").root
    shutil.rmtree(cache / ".locks")  # a copied cache
    assert main(["validate", "--cache", str(cache)]) in (0, 1)
    assert (cache / ".locks" / "catalog" / "batch.lock").is_file()


def test_clean_removes_nothing_from_a_folder_that_holds_no_cache(tmp_path: Path, capsys) -> None:
    """``cache verify --clean`` on a folder of the user's (no lock folder, no cache file) removed
    their parquet file ``prices/.NVDA.parquet.20250101.tmp`` (named as mkstemp names a cache
    writer's) and wrote lock files there; plain ``cache verify`` wrote lock files too (a finder).
    Every writer makes the lock folder before its temporary file, so without one nothing is a
    leftover of ours."""
    mine = tmp_path / "mine"
    (mine / "prices").mkdir(parents=True)
    (mine / "factors").mkdir()
    pd.DataFrame({"x": [1, 2, 3]}).to_parquet(mine / "prices" / ".NVDA.parquet.20250101.tmp")
    (mine / "prices" / ".AAPL.parquet.abcdefgh.tmp").write_bytes(b"")
    (mine / "factors" / ".my-table.parquet.qwertyui.tmp").write_bytes(b"PAR1")
    before = tree(mine)
    for clean in ([], ["--clean"]):
        assert main(["cache", "verify", *clean, "--cache", str(mine)]) == 1
        out = capsys.readouterr().out
        assert out.count("stray_file") == 3 and "temp_leftover" not in out and "removed" not in out
        assert tree(mine) == before
    # In a cache, the same names are an interrupted write's leftovers and are removed.
    store = make_cache(tmp_path / "cache")
    leftover = store.root / "prices" / ".AAA.parquet.abcdefgh.tmp"
    leftover.write_bytes(b"PAR1")
    assert main(["cache", "verify", "--clean", "--cache", str(store.root)]) == 0
    assert f"removed {leftover}" in capsys.readouterr().out and not leftover.exists()


def test_a_file_named_like_another_but_for_case_is_one_damaged_file(tmp_path: Path, capsys, monkeypatch):
    """prices/Msft.parquet copied beside prices/MSFT.parquet: ``cache list`` stopped halfway and
    ``cache verify`` stopped at it, both saying "this file system does not tell them apart" on
    one that does. It is a misnamed file there; on a case-insensitive file system (which opens
    MSFT.parquet under the name Msft.parquet) it is still the other spelling's data."""
    store = make_cache(tmp_path / "cache")
    held = store.price_path("AAA")
    twin = held.with_name("Aaa.parquet")
    shutil.copy(held, twin)
    assert main(["cache", "list", "--cache", str(store.root)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert any(line.startswith("Aaa ") and "DAMAGED (misnamed)" in line for line in listed)
    assert any(line.startswith("AAA ") and "rows" in line for line in listed)
    assert listed[-1].startswith("SPY ")  # the listing went on past the twin
    assert main(["cache", "verify", "--cache", str(store.root)]) == 1
    out = capsys.readouterr().out
    assert f"{twin}: misnamed: holds data of 'AAA', not of 'Aaa' (renamed file?)\n" in out
    assert out.endswith("1 problem(s) in " + f"{store.root}/ ({len(store.files())} cache files checked)\n")
    # Its advice was "re-import or re-fetch it", which an import refuses (the twin of AAA), and
    # re-importing AAA itself was refused as "Aaa is already in the cache": it is named as damaged.
    fix = "rename it AAA.parquet if the cache has no such file, else remove it"
    with pytest.raises(store_module.CacheCorruptError) as caught:
        read_cache_frame(twin, "prices")
    said = f"{twin}: damaged cache file (misnamed: holds data of 'AAA', not of 'Aaa' (renamed file?)); {fix}"
    assert said in str(caught.value)
    csv = tmp_path / "AAA.csv"
    frame = synthetic_prices().rename(columns={"date": "Date", "adj_close": "Adj Close"})
    frame.columns = [c if c in ("Date", "Adj Close") else c.title() for c in frame.columns]
    frame.to_csv(csv, index=False)
    assert main(["cache", "import", str(csv), "--cache", str(store.root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{twin}: damaged cache file (misnamed: " in err and fix in err, err
    monkeypatch.setattr(store_module, "_listed_as", lambda path, filesystem: False)  # case-insensitive
    with pytest.raises(store_module.DataUnavailableError, match="differs only in case"):
        read_cache_frame(twin, "prices")


def test_a_failed_commands_new_cache_folder_goes_only_when_it_holds_its_locks_alone(tmp_path: Path) -> None:
    """What a failed fetch made of a missing --cache is removed: folders and empty lock files;
    anything else keeps the whole folder."""
    from eventstudy.data.store import first_missing, remove_if_only_locks

    assert first_missing(tmp_path / "a" / "b" / "cache") == tmp_path / "a"
    assert first_missing(tmp_path) is None
    made = tmp_path / "a"
    (made / "b" / "cache" / ".locks" / "prices").mkdir(parents=True)
    (made / "b" / "cache" / ".locks" / "prices" / "SPY.parquet.lock").touch()
    (made / "b" / "cache" / "prices").mkdir()
    for extra in ("prices/SPY.parquet", ".locks/prices/x.lock", "link"):
        path = made / "b" / "cache" / extra
        if extra == "link":
            path.symlink_to(tmp_path)
        else:
            path.write_text("data")  # a stored file, a lock file with content
        assert not remove_if_only_locks(made) and path.exists(), extra
        path.unlink()
    assert remove_if_only_locks(made) and not made.exists()


def test_an_entry_that_is_no_cache_file_is_no_case_twin_of_an_import(tmp_path: Path, capsys) -> None:
    """A folder prices/Bbb.parquet (junk named like a cache file) beside BBB's prices refused
    re-importing BBB: "'BBB' and 'Bbb' differ only in case ... Bbb is already in the cache"."""
    store = PriceStore(tmp_path / "cache")
    frame = synthetic_prices().rename(columns={"date": "Date", "adj_close": "Adj Close"})
    frame.columns = [c if c in ("Date", "Adj Close") else c.title() for c in frame.columns]
    frame.to_csv(tmp_path / "BBB.csv", index=False)
    assert main(["cache", "import", str(tmp_path / "BBB.csv"), "--cache", str(store.root)]) == 0
    (store.root / "prices" / "Bbb.parquet").mkdir()
    assert main(["cache", "import", str(tmp_path / "BBB.csv"), "--cache", str(store.root)]) == 0, (
        capsys.readouterr().err
    )
    assert main(["cache", "verify", "--cache", str(store.root)]) == 1  # the folder is named there
    assert "prices/Bbb.parquet" in capsys.readouterr().out

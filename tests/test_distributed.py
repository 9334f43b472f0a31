"""A study on a Dask cluster equals the same study in memory (eventstudy.distributed).

Studies run in memory (:func:`eventstudy.study.run_study`) and on a ``distributed.LocalCluster``
of two single-threaded in-process workers shared by the module, split into many partitions by
ticker:

* a medium synthetic study (benchmarks/synthetic.py: market-model prices with known
  parameters and missing days, ~30 staggered events per ticker so same-ticker windows overlap,
  four groups, peers on every event, share counts for half the tickers, events before and
  after the data) with an earnings calendar for a third of the tickers, so the confounder
  screen flags rows and every group gets its ``(unconfounded)`` twin; the default battery
  includes the firm-, date- and two-way clustered t's (calendar dates of every pair);
* the same study leaving the confounded rows out (``exclude_confounded``), and with a GARCH(1,1)
  variance model (``garch.parquet`` and the GARCH-standardised tests);
* the launch study on the real data in ../shared/data: its config's backtest, abnormal volume
  (``volume.parquet``, ``volume_stats.parquet``), the cross-sectional regressions and the
  earnings confounder screen.

Every table must be identical, and every statistic (value, p, p_bh, p_holm) equal to 1e-12
(the battery's sums are added in another order). The command line is run on the cluster's
``tcp://`` address (the path a SLURM, PBS or Kubernetes scheduler takes) and on ``local:2``
(two worker processes), and ``eventstudy verify`` accepts the folder it writes; a scheduler
file connects.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")  # the dask extra (CI installs it with dev)
import dask  # noqa: E402

from eventstudy.cli import main  # noqa: E402
from eventstudy.config import StudyConfig, load_config  # noqa: E402
from eventstudy.data.events import read_events  # noqa: E402
from eventstudy.data.importer import import_paths  # noqa: E402
from eventstudy.data.store import CacheCorruptError, PriceStore  # noqa: E402
from eventstudy.distributed import compute_distributed, run_distributed  # noqa: E402
from eventstudy.distributed.plan import block_width, plan_partitions  # noqa: E402
from eventstudy.errors import DataUnavailableError, InputError, PeerDataError  # noqa: E402
from eventstudy.inference import STATISTICS, TestResult, register_statistic  # noqa: E402
from eventstudy.inference.correlation import CalendarResiduals  # noqa: E402
from eventstudy.inference.partial import bucket_pair_sums  # noqa: E402
from eventstudy.results import StudyResults  # noqa: E402
from eventstudy.study import run_study  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402

N_TICKERS, N_DAYS, N_EVENTS = 20, 600, 450
PEERS = ("T0001", "T0002")
CONFIG = StudyConfig(
    market=synthetic.MARKET,
    estimation_window=(-250, -11),
    event_windows=((0, 0), (-1, 1), (-5, 5), (-10, 10)),
    min_estimation_obs=120,
    peers=(),
)
TABLES = ("events", "ar", "car", "caar")
STAT_VALUES = ("value", "p", "p_bh", "p_holm")
IN_PROCESS = {"threads_per_worker": 1, "processes": False, "dashboard_address": ":0"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.Client]:
    """Two single-threaded workers in this process (no process start-up: quick on 2 cores),
    listening on TCP like a cluster's scheduler; shared by the module's tests."""
    with (
        distributed.LocalCluster(**IN_PROCESS, n_workers=2, protocol="tcp://") as local,
        distributed.Client(local) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def synthetic_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prices of every ticker, share counts of half of them, and an earnings calendar (a
    release every ~63 sessions, the first at a ticker-specific offset) for every third one."""
    root = tmp_path_factory.mktemp("synthetic-cache")
    synthetic.write_price_cache(root, N_TICKERS, N_DAYS, seed=1, workers=1)
    names = synthetic.tickers(N_TICKERS)
    synthetic.write_shares_cache(root, synthetic.make_shares(names[::2], N_DAYS, seed=3))
    days = synthetic.calendar(N_DAYS)
    rows = [
        (ticker, days[day].date().isoformat(), "post" if day % 2 else "pre")
        for k, ticker in enumerate(names[::3])
        for day in range(7 * k % 63, N_DAYS, 63)
    ]
    csv = root.parent / "earnings.csv"
    pd.DataFrame(rows, columns=["ticker", "announced", "timing"]).to_csv(csv, index=False)
    import_paths(PriceStore(root), [csv])
    return root


@pytest.fixture(scope="module")
def synthetic_events() -> pd.DataFrame:
    events = synthetic.make_events(N_EVENTS, N_TICKERS, N_DAYS, before=150, after=3, seed=5)
    days = synthetic.calendar(N_DAYS)
    # Day 0 before the data, after it, and windows running past the last day.
    events.loc[0, "announced"] = days[0] - pd.Timedelta(days=30)
    events.loc[1, "announced"] = days[-1] + pd.Timedelta(days=30)
    events.loc[2, "announced"] = days[-2]
    return events


@pytest.fixture(scope="module")
def synthetic_pair(synthetic_cache, synthetic_events, cluster) -> tuple[StudyResults, StudyResults]:
    memory = run_study(synthetic_events, synthetic_cache, CONFIG, peers=PEERS)
    dask = run_distributed(
        synthetic_events, synthetic_cache, CONFIG, scheduler=cluster, peers=PEERS, rows_per_partition=90
    )
    return memory, dask


def assert_same_statistics(memory: pd.DataFrame, dask: pd.DataFrame) -> None:
    """The same rows; values and p-values to 1e-12 (sums added in another order)."""
    values = list(STAT_VALUES)
    pd.testing.assert_frame_equal(memory.drop(columns=values), dask.drop(columns=values))
    for column in STAT_VALUES:
        np.testing.assert_allclose(dask[column], memory[column], rtol=1e-12, atol=1e-14, equal_nan=True)


def assert_same_results(memory: StudyResults, dask: StudyResults) -> None:
    """Every table: the per-pair tables, the CAAR, the optional methods' tables and the
    backtest identical; the statistics equal to 1e-12; the same inputs and validation."""
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(memory, name), getattr(dask, name), check_exact=True)
    assert_same_statistics(memory.stats, dask.stats)
    assert set(memory.optional_tables()) == set(dask.optional_tables())
    for name, table in memory.optional_tables().items():
        if name == "volume_stats.parquet":
            assert_same_statistics(table, dask.optional_tables()[name])
        else:
            pd.testing.assert_frame_equal(table, dask.optional_tables()[name], check_exact=True)
    assert (memory.backtest is None) == (dask.backtest is None)
    if memory.backtest is not None and dask.backtest is not None:
        for name in ("trades", "curve", "drift", "drift_observations", "summary_table"):
            pd.testing.assert_frame_equal(
                getattr(memory.backtest, name), getattr(dask.backtest, name), check_exact=True
            )
    assert memory.provenance["inputs"] == dask.provenance["inputs"]
    assert memory.provenance["validation"] == dask.provenance["validation"]
    assert memory.model == dask.model


def test_synthetic_study_on_a_cluster_equals_the_in_memory_study(synthetic_pair) -> None:
    memory, dask = synthetic_pair
    assert_same_results(memory, dask)
    # The study exercises what it claims to: every statistic of the default battery (the
    # clustered t's by firm, date and both), the unconfounded twins, peers, many outcomes.
    stats = memory.stats
    default = {name for name, statistic in STATISTICS.items() if statistic.requires is None}
    assert {"cluster_firm_t", "cluster_date_t", "cluster_two_way_t"} <= default <= set(stats["statistic"])
    assert {"all", "peers", "g0", "g0 (unconfounded)", "all (unconfounded)"} <= set(stats["group"])
    assert stats["value"].notna().sum() > 0.9 * len(stats) and stats["p_bh"].notna().any()
    assert memory.car["confounded"].mean() > 0.05 and memory.car["confounders"].str.contains("earnings").any()
    assert {"ok", "announced_before_data", "announced_after_data", "incomplete_event_window"} <= set(
        memory.car["outcome"]
    )
    assert (memory.car["overlap"] != "").any()  # same-ticker windows overlap: tickers stay whole
    shared = stats[stats["statistic"] == "dollar_shared_days_usd"]
    assert (shared["n"] > 0).any() and (shared["value"] != 0).any()  # ticker-days counted once, both paths
    kp = stats[stats["statistic"] == "kp_average_correlation"]
    twins = kp["group"].str.endswith(" (unconfounded)")  # theirs too: NaN only with fewer than 2 pairs
    assert (kp.loc[~twins, "value"].abs() > 0).all()  # r-bar sums over pairs from several calendar blocks
    assert twins.any() and kp.loc[twins, "value"].isna().eq(kp.loc[twins, "n"] < 2).all()
    assert dask.provenance["engine"]["rows_per_partition"] == 90


def test_leaving_confounded_rows_out_on_a_cluster(synthetic_cache, synthetic_events, cluster) -> None:
    """``exclude_confounded``: each window's battery drops that window's confounded pairs; the
    partitions sum exactly those pairs."""
    config = dataclasses.replace(CONFIG, exclude_confounded=True)
    events = synthetic_events.iloc[:220]
    memory = run_study(events, synthetic_cache, config)
    dask = run_distributed(events, synthetic_cache, config, scheduler=cluster, rows_per_partition=40)
    assert_same_results(memory, dask)
    counts = memory.stats[memory.stats["statistic"] == "confounded_rows"]["value"]
    assert counts.max() > 0 and not memory.stats["group"].str.endswith("(unconfounded)").any()


def test_a_garch_variance_model_on_a_cluster(synthetic_cache, synthetic_events, cluster) -> None:
    """GARCH(1,1) is fitted per pair where its ticker's partition is: garch.parquet and the
    GARCH-standardised Patell and BMP tests equal the in-memory ones."""
    config = dataclasses.replace(CONFIG, variance="garch", event_windows=((0, 0), (-1, 1)))
    events = synthetic_events.iloc[:80]
    memory = run_study(events, synthetic_cache, config)
    dask = run_distributed(events, synthetic_cache, config, scheduler=cluster, rows_per_partition=20)
    assert_same_results(memory, dask)
    assert memory.garch is not None and memory.garch["omega"].notna().any()
    garch = memory.stats[memory.stats["statistic"] == "garch_bmp_t"]["value"]
    assert garch.notna().any()


def test_the_cluster_changes_nothing(synthetic_pair, synthetic_cache, synthetic_events) -> None:
    """The same split on one worker: bit for bit (the merge order is the partitions', not the
    workers'), which is what lets eventstudy verify compare a Dask run exactly."""
    dask = synthetic_pair[1]
    with (
        distributed.LocalCluster(**IN_PROCESS, n_workers=1) as one,
        distributed.Client(one) as client,
    ):
        again = compute_distributed(
            synthetic_events, synthetic_cache, CONFIG, scheduler=client, peers=PEERS,
            rows_per_partition=90, gather_tables=False,
        )
    assert again.results is None and again.n_partitions == len(
        plan_partitions(dask.events["ticker"].tolist(), 90)
    )
    pd.testing.assert_frame_equal(again.stats, dask.stats, check_exact=True)
    pd.testing.assert_frame_equal(again.caar, dask.caar, check_exact=True)
    assert again.n_blocks > 1 and set(again.worker_seconds) == {"read", "estimate", "sums", "grank", "rbar"}


def test_a_registered_statistic_runs_on_the_cluster(synthetic_cache, synthetic_events, cluster) -> None:
    @register_statistic("median_car_test")
    def median_car(sample) -> TestResult:  # the README's example: reads the window's CARs only
        value = float(np.median(sample.car)) if sample.car.size else float("nan")
        return TestResult("median_car_test", value, float("nan"), sample.n_pairs, "median CAR")

    try:
        config = dataclasses.replace(CONFIG, statistics=("caar", "median_car_test", "grank_t"))
        memory = run_study(synthetic_events, synthetic_cache, config)
        dask = run_distributed(
            synthetic_events, synthetic_cache, config, scheduler=cluster, rows_per_partition=200
        )
    finally:
        STATISTICS.pop("median_car_test")
    assert_same_results(memory, dask)
    medians = dask.stats[dask.stats["statistic"] == "median_car_test"]
    assert len(medians) == 5 * 4 and medians["value"].notna().all()  # 4 groups + all, 4 windows
    assert (dask.stats["statistic"] == "grank_t").sum() == 10 * 4  # and the unconfounded twins


def test_a_returns_panel_with_per_event_markets_on_a_cluster(
    launch_cache, shared_data, cluster, tmp_path: Path
) -> None:
    """Bring-your-own returns (``cache import --returns``) and a per-event ``market`` column:
    each partition reads the returns series and its rows' benchmarks, as in memory."""
    from _returns_panels import launch_series, write_long

    calendar, series = launch_series(launch_cache)
    cache = tmp_path / "cache"
    path = write_long(tmp_path / "returns.csv", calendar, series)
    assert main(["cache", "import", "--returns", str(path), "--units", "decimal", "--cache", str(cache)]) == 0
    assert main(["cache", "import", str(shared_data / "earnings"), "--cache", str(cache)]) == 0
    events = tmp_path / "events.csv"
    lines = ROOT.joinpath("events.csv").read_text().splitlines()
    benchmarks = ["QQQ", "", "SMH", "^GSPC"]
    body = [f"{line},{benchmarks[i % 4]}" for i, line in enumerate(lines[1:])]
    events.write_text("\n".join([lines[0] + ",market", *body]) + "\n")
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, peers=("AMD", "INTC"))
    memory = run_study(events, cache, config)
    dask = run_distributed(events, cache, config, scheduler=cluster, rows_per_partition=6)
    assert_same_results(memory, dask)
    assert set(memory.provenance["inputs"]["returns"]) >= {"SPY", "QQQ", "SMH", "NVDA"}
    assert memory.volume is not None and (memory.volume["outcome"] == "no_volume").all()


def test_a_dollar_value_alone_reads_kp_r_bar_on_a_cluster_too(
    synthetic_cache, synthetic_events, cluster
) -> None:
    """The dollar value carries kp_adjusted_dollar_t's p, which reads Kolari-Pynnönen's r̄; the
    cluster ran r̄'s pass only for a hand-written list of the KP statistics, so a study choosing
    the dollar value alone stopped with "r-bar (no Kolari-Pynnönen statistic was asked for ...)".
    The statistics that read r̄ are those registered with the part "correlation"."""
    events = synthetic_events.iloc[:150]
    config = dataclasses.replace(CONFIG, statistics=("caar", "dollar_abnormal_value"))
    want = run_study(events, synthetic_cache, config)
    got = run_distributed(events, synthetic_cache, config, scheduler=cluster, rows_per_partition=30)
    assert_same_results(want, got)
    assert np.isfinite(got.stats.loc[got.stats["statistic"] == "dollar_abnormal_value", "p"]).any()


def test_a_cache_at_a_url_is_read_through_fsspec(synthetic_cache, synthetic_events, cluster) -> None:
    import fsspec

    memory_fs = fsspec.filesystem("memory")
    memory_fs.put(str(synthetic_cache), "/dist-cache", recursive=True)
    try:
        events = synthetic_events.iloc[:150]
        config = dataclasses.replace(CONFIG, statistics=("caar", "kp_adjusted_bmp_t", "corrado_rank_z"))
        want = run_study(events, synthetic_cache, config)
        got = run_distributed(events, "memory://dist-cache", config, scheduler=cluster, rows_per_partition=30)
        assert_same_results(want, got)
        assert got.provenance["cache"] == "memory://dist-cache"
        with pytest.raises(InputError, match="cannot fetch into a cache at a URL"):
            run_distributed(events, "memory://dist-cache", config, scheduler=cluster, fetch=True)
        # a peer the bucket lacks: one line with the way out (the message once took no third word)
        with pytest.raises(PeerDataError, match="copy it to the bucket, or use --no-peers"):
            run_distributed(events, "memory://dist-cache", config, scheduler=cluster, peers=("NOPE",))
        memory_fs.pipe(f"/dist-cache/prices/{events['ticker'].iloc[3]}.parquet", b"not parquet")
        damaged = r"memory://.*/prices/T\d+\.parquet: damaged cache file"
        with pytest.raises(InputError, match=damaged) as refused:
            run_distributed(events, "memory://dist-cache", config, scheduler=cluster, rows_per_partition=30)
        # not the advice of cache verify, which refuses a URL (a finder)
        said = str(refused.value)
        assert said.endswith("re-import or re-fetch it") and "cache verify" not in said, said
    finally:
        memory_fs.rm("/dist-cache", recursive=True)


def test_a_config_proxy_or_file_that_is_missing_names_the_config_key_on_a_cluster_too(
    synthetic_cache, synthetic_events, cluster, tmp_path: Path
) -> None:
    """require_config_inputs runs on both paths: the same one line, naming the config's key."""
    events = synthetic_events.iloc[:40]
    news = str(tmp_path / "news.csv")
    changes = (({"market": "spy"}, "study.market"), ({"news_file": news}, "study.news_file"))
    for change, key in changes:
        config = dataclasses.replace(CONFIG, **change, source="study.toml")
        with pytest.raises(InputError) as memory:
            run_study(events, synthetic_cache, config)
        with pytest.raises(InputError) as dask:
            run_distributed(events, synthetic_cache, config, scheduler=cluster, rows_per_partition=20)
        assert (memory.value.path, memory.value.field) == ("study.toml", key)
        assert str(dask.value) == str(memory.value)


def test_missing_and_refused_inputs_raise_the_in_memory_error(
    synthetic_cache, synthetic_events, cluster, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(synthetic_cache, cache)
    events = synthetic_events.iloc[:200].copy()
    for ticker in ("T0005", "T0017"):  # in different partitions of 20 rows
        (cache / "prices" / f"{ticker}.parquet").unlink()
    with pytest.raises(InputError) as memory:
        run_study(events, cache, CONFIG)
    with pytest.raises(InputError) as dask:
        run_distributed(events, cache, CONFIG, scheduler=cluster, rows_per_partition=20)
    assert str(dask.value) == str(memory.value) and "no cached prices or returns for 'T00" in str(dask.value)
    assert (dask.value.row, dask.value.field) == (memory.value.row, "ticker")
    (cache / "prices" / f"{synthetic.MARKET}.parquet").write_bytes(b"PAR1")  # the market's file
    with pytest.raises(CacheCorruptError, match="damaged cache file"):
        run_distributed(events, cache, CONFIG, scheduler=cluster, rows_per_partition=20)


def test_the_first_bad_row_in_events_order_is_the_error_on_a_cluster_too(
    synthetic_cache, synthetic_events, cluster
) -> None:
    """Two rows naming uncached markets, the earlier row's ticker in a later partition (they are
    sorted by ticker): the cluster reported the later row, the first partition's."""
    events = synthetic_events.iloc[:200].copy().reset_index(drop=True)
    early = int(np.flatnonzero(events["ticker"] > "T0010")[0])
    late = int(np.flatnonzero((events["ticker"] < events.loc[early, "ticker"]) & (events.index > early))[0])
    markets = events.assign(market="")
    markets.loc[early, "market"], markets.loc[late, "market"] = "NOPE1", "NOPE2"
    weekend = events.copy()  # day0_rule = "error" and two announcements on a Saturday
    weekend.loc[[early, late], "announced"] = pd.Timestamp(events.loc[early, "announced"]) + pd.offsets.Week(
        weekday=5
    )
    for bad, config, field in (
        (markets, CONFIG, "market"),
        (weekend, dataclasses.replace(CONFIG, day0_rule="error"), "announced"),
    ):
        with pytest.raises(InputError) as memory:
            run_study(bad, synthetic_cache, config)
        with pytest.raises(InputError) as dask:
            run_distributed(bad, synthetic_cache, config, scheduler=cluster, rows_per_partition=20)
        assert (memory.value.row, memory.value.field) == (events.loc[early, "source_row"], field)
        assert str(dask.value) == str(memory.value)


def test_a_peers_refusal_comes_after_every_rows_on_a_cluster_too(
    synthetic_cache, synthetic_events, cluster, tmp_path: Path
) -> None:
    """Peer rows carry no line of the events file (source_row 0), which ranked a peer's refusal
    before every row's on a cluster, which then named 'row 0' or the peer's file where an
    in-memory run names the first party's row (found by an audit). A peer sorted before the
    first row's ticker; each refusal of both: the cluster's error is the in-memory one."""
    names = synthetic.tickers(N_TICKERS)
    peer = names[0]  # has share counts (every other ticker does), sorted first
    events = synthetic_events.iloc[3:80]
    events = events[events["ticker"] != peer]
    first = next(i for i, t in enumerate(events["ticker"]) if t in names[::2])
    events = events.iloc[first:].reset_index(drop=True)  # the first row's ticker has share counts
    party = events.loc[0, "ticker"]
    config = dataclasses.replace(CONFIG, peers=(peer,))
    store = PriceStore(Path(shutil.copytree(synthetic_cache, tmp_path / "cache")))

    def same_error(bad: pd.DataFrame, config: StudyConfig, kind: type[Exception]) -> Exception:
        with pytest.raises(kind) as memory:
            run_study(bad, store.root, config)
        with pytest.raises(kind) as dask:
            run_distributed(bad, store.root, config, scheduler=cluster, rows_per_partition=20)
        assert str(dask.value) == str(memory.value)
        return memory.value

    weekend = events.copy()
    weekend.loc[weekend["event_id"] == weekend.loc[0, "event_id"], "announced"] = pd.Timestamp(
        events.loc[0, "announced"]
    ) + pd.offsets.Week(weekday=5)
    error = same_error(weekend, dataclasses.replace(config, day0_rule="error"), InputError)
    assert (error.row, error.field) == (2, "announced")  # a frame's rows are numbered as a file's
    for ticker in (peer, party):
        store.write_shares(ticker, store.read_shares(ticker).assign(shares_outstanding=1.0), {"source": "t"})
    assert same_error(events, config, InputError).path == str(store.shares_path(party))
    for ticker in (peer, party):
        store.price_path(ticker).write_bytes(b"not a parquet file")
    error = same_error(events, config, InputError)
    assert (error.row, error.field) == (2, "ticker")
    shutil.copy(synthetic_cache / store.price_path(party).relative_to(store.root), store.price_path(party))
    error = same_error(events, config, DataUnavailableError)
    assert str(error).startswith(f"peer {peer!r} (--peers or [study] peers): {store.price_path(peer)}")


def test_the_first_implausible_share_count_in_events_order_is_the_error_on_a_cluster_too(
    synthetic_cache, synthetic_events, cluster, tmp_path: Path
) -> None:
    """Two tickers with a count below their median daily volume, the earlier one in events order
    in a later partition (they are sorted by ticker): the cluster named the later one."""
    cache = Path(shutil.copytree(synthetic_cache, tmp_path / "cache"))
    events = synthetic_events.iloc[:200].copy().reset_index(drop=True)
    store = PriceStore(cache)
    counted = [t for t in dict.fromkeys(events["ticker"]) if len(store.read_shares(t))]  # events order
    first = next(t for i, t in enumerate(counted) if any(u < t for u in counted[i + 1 :]))
    later = next(u for u in counted[counted.index(first) + 1 :] if u < first)
    for ticker in (first, later):
        store.write_shares(ticker, store.read_shares(ticker).assign(shares_outstanding=1.0), {"source": "t"})
    with pytest.raises(InputError) as memory:
        run_study(events, cache, CONFIG)
    with pytest.raises(InputError) as dask:
        run_distributed(events, cache, CONFIG, scheduler=cluster, rows_per_partition=20)
    assert memory.value.path == str(store.shares_path(first)) and memory.value.field == "shares_outstanding"
    assert str(dask.value) == str(memory.value)


def test_calendar_blocks_add_up_to_the_pair_sum_of_all_rows() -> None:
    """r-bar's sum over blocks of calendar days equals the sum over all pairs at once, for
    staggered, clustered and ragged rows and any block width >= the span."""
    rng = np.random.default_rng(7)
    n, l1, span = 160, 40, 7
    day0 = np.concatenate([rng.integers(50, 120, n - 40), np.full(40, 90)])  # a same-day cluster
    residuals = rng.normal(size=(n, l1)) + 0.3 * rng.normal(size=(1, l1))
    residuals[rng.random((n, l1)) < 0.05] = np.nan
    estimation_day = day0[:, None] + np.arange(-l1 - 5, -5)
    windows = {(0, 0): day0[:, None] + 0, (-3, 3): day0[:, None] + np.arange(-3, 4)}
    usable = {w: rng.random(n) < 0.9 for w in windows}
    groups = {"a": rng.random(n) < 0.6, "all": np.ones(n, bool)}
    members = {(g, w): groups[g] & usable[w] for g in groups for w in windows}
    full = CalendarResiduals(residuals, estimation_day)
    starts = day0 - 3
    for width in (span, 11, 40, 500):
        total = {key: [0.0, 0] for key in members}
        for block in np.unique(np.floor_divide(starts, width)):
            rows = (starts >= block * width - (span - 1)) & (starts < (block + 1) * width)
            sums = bucket_pair_sums(
                residuals[rows], estimation_day[rows], {w: d[rows] for w, d in windows.items()},
                {key: m[rows] for key, m in members.items()}, starts[rows] < block * width,
            )
            for key, (value, count) in sums.items():
                total[key][0] += value
                total[key][1] += count
        for (group, window), (value, count) in total.items():
            want, n_want = full.pair_sum(members[(group, window)], windows[window])
            assert count == n_want
            assert value == pytest.approx(want, rel=1e-12, abs=1e-12)
    spread = int(starts.max() - starts.min()) + 1
    assert block_width(span, starts, n) == spread and block_width(span, starts, 1) == span


def test_merged_parts_refuse_what_the_driver_does_not_hold() -> None:
    """A statistic that reaches for the residuals' scores on a partitioned study's driver is
    told why, rather than computing on an empty estimation window."""
    from eventstudy.inference import EventPanel
    from eventstudy.inference.partial import EstimationRows, MergedParts

    panel = EventPanel(
        ar_estimation=np.empty((2, 0)), ar_event=np.zeros((2, 3)), event_tau=np.arange(-1, 2),
        estimation_day=np.empty((2, 0), dtype=np.int64), event_day=np.tile(np.arange(3), (2, 1)),
        sigma=np.ones(2), n_estimation=np.full(2, 100), n_params=np.full(2, 1),
        xtx_inv=np.full((2, 1, 1), 0.01), x_event=np.ones((2, 3, 1)), firm=np.array(["A", "B"]),
    )  # fmt: skip
    rows = EstimationRows(np.ones(2), np.full(2, 100), np.full(2, 100), None, None, np.zeros((2, 0)))
    parts = MergedParts(panel, rows, {}, {}, {})
    for name in ("ranks", "signs", "grank", "correlation"):
        with pytest.raises(RuntimeError, match="estimation residuals, which a partitioned study keeps"):
            getattr(parts, name)
    assert parts.dollar is None and parts.factor.shape == (2, 3)


def test_kp_patell_over_fewer_summands_is_not_computable_on_the_driver() -> None:
    """Patell leaves out a pair with M - k <= 2, so its KP adjustment needs r̄ of the other pairs,
    which the merged pair sums (of every usable pair) do not give: not computable, said, while
    the KP BMP t (every usable pair) is computed from the merged sums."""
    from eventstudy.inference import EventPanel, run_battery_windows
    from eventstudy.inference.partial import EstimationRows, MergedParts

    m = np.array([100, 100, 3])
    panel = EventPanel(
        ar_estimation=np.empty((3, 0)), ar_event=np.array([[0.01], [0.02], [0.015]]), event_tau=np.array([0]),
        estimation_day=np.empty((3, 0), dtype=np.int64), event_day=np.zeros((3, 1), dtype=np.int64),
        sigma=np.full(3, 0.01), n_estimation=m, n_params=np.full(3, 1), xtx_inv=np.full((3, 1, 1), 0.01),
        x_event=np.ones((3, 1, 1)), firm=np.array(["A", "B", "C"]),
    )  # fmt: skip
    rows = EstimationRows(np.ones(3), m, m, None, None, np.zeros((3, 0)))
    parts = MergedParts(panel, rows, {}, {}, {(0, 0): (1.2, 3)})
    names = ["kp_adjusted_patell_z", "kp_adjusted_bmp_t"]
    patell, bmp = run_battery_windows(panel, [(0, 0)], statistics=names, parts=parts)[0]
    assert np.isnan(patell.value) and "r-bar of Patell's summands" in patell.reference
    assert np.isfinite(bmp.value) and bmp.n == 3


def test_dollar_values_do_not_depend_on_the_layout_of_their_inputs() -> None:
    """A partition's arrays may be laid out otherwise than the whole study's (a few pairs'
    arrays can come out in Fortran order or strided): each pair's abnormal dollar value is the
    same sum, bit for bit (numpy sums an F-ordered product in another order)."""
    from eventstudy.valuation import dollar_abnormal_value

    rng = np.random.default_rng(3)
    abnormal, values = rng.normal(0, 0.02, (40, 11)), rng.uniform(1e9, 3e12, (40, 11))
    want = dollar_abnormal_value(abnormal, values)
    assert ((np.asfortranarray(abnormal) * np.asfortranarray(values)).sum(axis=-1) != want).any()
    for a, b in [
        (np.asfortranarray(abnormal), np.asfortranarray(values)),
        (abnormal, np.asfortranarray(np.repeat(values, 2, axis=0))[::2]),
        (abnormal[:3], values[:3]),
    ]:
        np.testing.assert_array_equal(dollar_abnormal_value(a, b), want[: len(a)])


def test_partitions_keep_tickers_whole() -> None:
    tickers = ["B", "A", "B", "C", "A", "A", "D", "B", "C"]
    partitions = plan_partitions(tickers, 4)
    assert [sorted(tickers[i] for i in p) for p in partitions] == [
        ["A", "A", "A"],
        ["B", "B", "B"],
        ["C", "C", "D"],
    ]
    assert sorted(np.concatenate(partitions).tolist()) == list(range(len(tickers)))
    assert [len(p) for p in plan_partitions(tickers, 1)] == [3, 3, 2, 1]  # a big ticker stays whole
    with pytest.raises(ValueError, match="positive"):
        plan_partitions(tickers, 0)


# ----------------------------------------------------------------------------- command line
def launch_args(cache: Path, out: Path) -> list[str]:
    return [
        "run", "--config", str(ROOT / "launch.toml"), "--events", str(ROOT / "events.csv"),
        "--offline", "--cache", str(cache), "--out", str(out),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def local_folder(launch_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``eventstudy run --scheduler local:2`` of the launch study (two worker processes here)."""
    out = tmp_path_factory.mktemp("dask-run") / "local"
    assert main([*launch_args(launch_cache, out), "--scheduler", "local:2"]) == 0
    return out


def test_cli_on_local_workers_writes_what_verify_accepts(local_folder, launch_cache, capsys) -> None:
    assert (local_folder / "report.html").is_file()
    assert "Engine: dask.distributed" in (local_folder / "report.md").read_text(encoding="utf-8")
    assert main(["verify", str(local_folder), "--cache", str(launch_cache)]) == 0
    assert "identical (" in capsys.readouterr().out


def test_cli_on_local_workers_writes_the_in_memory_folder(local_folder, launch_cache) -> None:
    """``eventstudy run --scheduler local:2`` of the launch study against ``eventstudy run`` in
    memory: every parquet file identical (the statistics to 1e-12), the report, its paper tables
    and every figure identical but for the command line and the engine's line."""
    from _launch_run import launch_output

    memory = launch_output(str(launch_cache))
    names = sorted(str(p.relative_to(memory)) for p in memory.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(local_folder)) for p in local_folder.rglob("*") if p.is_file())
    assert {"volume_stats.parquet", "crosssection.parquet", "trades.parquet", "report.html"} <= set(names)
    for name in names:
        a, b = memory / name, local_folder / name
        if name.endswith(".parquet"):
            want, got = pd.read_parquet(a), pd.read_parquet(b)
            if name in ("stats.parquet", "volume_stats.parquet"):
                assert_same_statistics(want, got)
            else:
                pd.testing.assert_frame_equal(want, got, check_exact=True, obj=name)
        elif name.endswith((".md", ".html", ".tex")):
            assert _without_run_lines(a.read_text("utf-8")) == _without_run_lines(b.read_text("utf-8")), name
        elif name.endswith(".png"):
            assert a.read_bytes() == b.read_bytes(), name
    manifest = [json.loads((f / "manifest.json").read_text("utf-8")) for f in (memory, local_folder)]
    for key in ("config", "model", "inputs", "validation", "peers"):
        assert manifest[0][key] == manifest[1][key], key
    assert "engine" not in manifest[0] and manifest[1]["engine"]["name"] == "dask.distributed"


def _without_run_lines(text: str) -> str:
    """A report's text without the lines that name how it was run (command, engine, the
    software: a Dask run also records dask's version)."""
    run_lines = ("Command:", "Engine:", "Software:")
    return "\n".join(line for line in text.splitlines() if not any(word in line for word in run_lines))


def test_verify_names_an_edited_engine_record_among_the_causes_of_rounding(
    local_folder, launch_cache, tmp_path: Path, capsys
) -> None:
    """An engine record edited to other partitions and sealed again: verify's re-run rounds the
    sums otherwise, and its note blamed 'another thread count's rounding, or an edit this small'
    alone (a finder)."""
    from eventstudy.output.folder import manifest_seal

    folder = tmp_path / "edited"
    shutil.copytree(local_folder, folder)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["engine"]["rows_per_partition"] = 7
    manifest["manifest_sha256"] = manifest_seal(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    main(["verify", str(folder), "--cache", str(launch_cache)])
    out = capsys.readouterr().out
    assert "stats.parquet" in out and "an engine record other than the run's, or an edit this small" in out
    manifest["versions"]["scipy"] = "0.0.1"  # a version too: the engine record was no longer said
    manifest["manifest_sha256"] = manifest_seal(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    main(["verify", str(folder), "--cache", str(launch_cache)])
    out = capsys.readouterr().out
    assert "(another CPU, BLAS or library version, or an engine record other than the run's)" in out


def test_verifying_a_dask_folder_without_dask_is_one_line_and_exit_2(
    local_folder, launch_cache, capsys, monkeypatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["verify", str(local_folder), "--cache", str(launch_cache)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"eventstudy: error: {local_folder / 'manifest.json'}, field 'engine': the study ran on Dask: "
        "verifying it needs the dask extra\n"
    )


def test_cli_on_a_scheduler_address(cluster, tmp_path: Path) -> None:
    """``--scheduler tcp://...``: the address a SLURM, PBS or Kubernetes Dask cluster gives (the
    module's two workers; every task and result crosses TCP, serialized). The small synthetic
    study with a backtest gives the in-memory study's tables (the launch study runs on worker
    processes in ``test_cli_on_local_workers_writes_the_in_memory_folder``)."""
    from _small_study import make_cache, make_study, run_args

    from eventstudy.output.export import save_study

    address = cluster.scheduler.address
    assert address.startswith("tcp://")
    events, config_path = make_study(tmp_path / "study")
    cache = make_cache(tmp_path / "cache").root
    out = tmp_path / "address"
    assert main([*run_args(events, config_path, cache, out), "--scheduler", address]) == 0
    memory = tmp_path / "memory"
    save_study(run_study(events, cache, load_config(config_path)), memory, report=False)
    names = sorted(p.name for p in memory.glob("*.parquet"))
    assert names == sorted(p.name for p in out.glob("*.parquet"))
    assert {"stats.parquet", "caar.parquet", "trades.parquet"} <= set(names)
    for name in names:
        want, got = pd.read_parquet(memory / name), pd.read_parquet(out / name)
        if name == "stats.parquet":
            assert_same_statistics(want, got)
        else:
            pd.testing.assert_frame_equal(want, got, check_exact=True, obj=name)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["engine"]["scheduler"] == address


def test_the_backtest_task_returns_a_refused_input_for_the_driver_to_raise(tmp_path: Path) -> None:
    """The backtest task met the same uncached market as the partitions and raised it on the
    worker, which logged its traceback ("Compute Failed") on the user's terminal before the
    driver's one line, naming the file "events"."""
    from _small_study import make_cache, make_study

    from eventstudy.data.inputs import Needs
    from eventstudy.distributed.tasks import backtest_task

    events_path, config_path = make_study(tmp_path / "study")
    config = load_config(config_path)
    assert config.backtest is not None
    cache = make_cache(tmp_path / "cache").root
    parties = read_events(events_path).assign(market="")
    parties.loc[parties.index[0], "market"] = "NOPE"
    refused = backtest_task(str(cache), parties, config, Needs(config.market), str(events_path))
    assert isinstance(refused, InputError) and (refused.path, refused.field) == (str(events_path), "market")
    assert "no cached prices or returns for 'NOPE'" in str(refused)


def test_a_scheduler_file_connects_to_its_cluster(tmp_path: Path) -> None:
    """``--scheduler FILE.json``: what ``dask scheduler --scheduler-file`` writes under srun.

    A cluster of its own: the scheduler writes its file when it starts, while dask's
    ``write_scheduler_file`` on the module's shared cluster failed after some other tests had run
    there (``TypeError``: tuple keys in the scheduler's information), so this test passed or
    failed with the order of the tests."""
    from eventstudy.distributed import connect

    scheduler_file = tmp_path / "scheduler.json"
    with (
        distributed.LocalCluster(**IN_PROCESS, n_workers=1, protocol="tcp://") as local,
        distributed.Client(local) as cluster,
    ):
        cluster.write_scheduler_file(str(scheduler_file))
        with connect(str(scheduler_file)) as client:
            assert client.scheduler.address == cluster.scheduler.address
            assert client.submit(sum, [1, 2]).result() == 3


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("local:0", "write local, or local:N with N >= 1"),
        ("local:two", "write local, or local:N with N >= 1"),
        ("", "give local, local:N or a scheduler address"),  # not a silent in-memory run
        # Not a fork bomb: 999,999 worker processes were started until the machine gave out.
        ("local:999999", "local:N starts N worker processes on this machine, at most 4 per core"),
        ("local:" + "9" * 5000, "at most 4 per core"),  # int() of 4,300+ digits: a traceback
        ("local:\u0662", "write local, or local:N with N >= 1"),  # an Arabic-Indic 2 ran 2 workers
        ("tcp://127.0.0.1:9", "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
        # protocols Dask cannot open as given: TypeError tracebacks
        ("tls://127.0.0.1:9", "cannot reach the Dask scheduler at tls://127.0.0.1:9"),
        ("ucx://127.0.0.1:9", "cannot reach the Dask scheduler at ucx://127.0.0.1:9"),
        # Dask waits for a scheduler file forever; the run waits FILE_TIMEOUT (0 here).
        ("nowhere/scheduler.json", "no scheduler file at nowhere/scheduler.json after 0 s"),
    ],
)
def test_a_bad_scheduler_is_one_line_and_exit_2(
    launch_cache, tmp_path: Path, capsys, monkeypatch, spec: str, words: str
) -> None:
    monkeypatch.setattr("eventstudy.distributed.cluster.CONNECT_TIMEOUT", "1s")
    monkeypatch.setattr("eventstudy.distributed.cluster.FILE_TIMEOUT", 0.0)
    out = tmp_path / "out"
    assert main([*launch_args(launch_cache, out), "--scheduler", spec]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eventstudy: error: --scheduler: ") and words in err, err
    assert not out.exists()


@pytest.mark.parametrize(
    ("banner", "words"),
    [
        # Dask reads the peer's handshake with no timeout: the dashboard's port, or an HTTP server,
        # hung the run for ever (a finder)
        (None, "accepts connections but sent no Dask handshake in 0.2 s: not a Dask scheduler"),
        # a banner read as a frame's length: 'not enough memory ... (split the events file)'
        (b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n" * 4, "is not a Dask scheduler: its first bytes are no Dask"),
        (b"", "closed the connection without a Dask handshake"),
    ],
)
def test_a_port_that_is_no_dask_scheduler_is_one_line_and_exit_2(
    launch_cache, tmp_path: Path, capsys, monkeypatch, banner: bytes | None, words: str
) -> None:
    import socket
    import threading

    monkeypatch.setattr("eventstudy.distributed.cluster.CONNECT_TIMEOUT", "2s")
    monkeypatch.setattr("eventstudy.distributed.cluster.HANDSHAKE_TIMEOUT", 0.2)
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            if banner is not None:
                connection.sendall(banner)
                if not banner:
                    connection.close()
                    continue
            accepted.append(connection)  # held open, silent or after its banner

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    out = tmp_path / "out"
    try:
        status = main([*launch_args(launch_cache, out), "--scheduler", address])
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and words in err, err
    assert err.startswith("eventstudy: error: --scheduler: ") and not out.exists()


def test_workers_are_sent_the_cache_by_its_absolute_path(tmp_path: Path, monkeypatch) -> None:
    """A worker started in another folder looked for '--cache cache' there and said SPY was not
    cached, though the driver's cache had it (a finder)."""
    from eventstudy.data.remote import RemoteCache
    from eventstudy.data.store import PriceStore
    from eventstudy.distributed.run import for_workers

    monkeypatch.chdir(tmp_path)
    shipped = for_workers(PriceStore("cache"))
    assert isinstance(shipped, PriceStore) and shipped.root == tmp_path / "cache"
    absolute = PriceStore(tmp_path / "elsewhere")
    assert for_workers(absolute) is absolute
    remote = RemoteCache("memory://cache")
    assert for_workers(remote) is remote


def test_a_local_cluster_that_fails_to_start_is_one_line(
    launch_cache, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A worker killed as the local cluster started: a 65-line traceback ending in 'Nanny failed
    to start', exit 1 (a finder)."""
    import distributed

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Nanny failed to start.\nmore lines of distributed's")

    monkeypatch.setattr(distributed, "LocalCluster", failing)
    out = tmp_path / "out"
    assert main([*launch_args(launch_cache, out), "--scheduler", "local:2"]) == 1
    err = capsys.readouterr().err
    said = "the local Dask cluster did not start: RuntimeError: Nanny failed to start."
    assert err == f"eventstudy: error: {said}\n"
    assert not out.exists()


def test_a_folder_named_as_a_scheduler_file_is_refused_at_once(
    launch_cache, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A folder x.json waited the whole timeout, then said there was no scheduler file (a finder)."""
    monkeypatch.setattr("eventstudy.distributed.cluster.FILE_TIMEOUT", 5.0)
    folder = tmp_path / "scheduler.json"
    folder.mkdir()
    out = tmp_path / "out"
    assert main([*launch_args(launch_cache, out), "--scheduler", str(folder)]) == 2
    assert capsys.readouterr().err == (
        f"eventstudy: error: --scheduler: {folder} is not a file (a scheduler file is the JSON Dask writes)\n"
    )
    assert not out.exists()


def test_local_n_is_read_as_the_number_it_writes() -> None:
    """local:0000000002 (ten characters) was taken for 10^9 workers and refused."""
    from eventstudy.distributed.cluster import parse_scheduler

    assert parse_scheduler("local:0000000002") == ("local", 2) == parse_scheduler("local:2")
    assert parse_scheduler("local") == ("local", None)
    # a host whose name starts with "local" is an address (localhost:8786 was refused as local:N)
    for address in ("localhost:8786", "localnode01:8786", "localhost"):
        assert parse_scheduler(address) == ("address", None)
    assert parse_scheduler("LOCAL") == ("local", None) and parse_scheduler("Local:2") == ("local", 2)


def test_a_folder_or_file_given_as_the_scheduler_is_named_as_such(tmp_path: Path, monkeypatch) -> None:
    """--scheduler /tmp said "missing port number in address '/tmp'" (a finder)."""
    from eventstudy.distributed.cluster import parse_scheduler
    from eventstudy.errors import InputError

    (tmp_path / "notes.txt").write_text("x")
    for path, what in ((tmp_path, "folder"), (tmp_path / "notes.txt", "file")):
        with pytest.raises(InputError, match=rf"is a {what}, not a scheduler: give the scheduler file"):
            parse_scheduler(str(path))
    for path in ("./relative", str(tmp_path / "nowhere")):  # Dask's "missing port number in address"
        said = rf"'{re.escape(path)}' is no scheduler address and no file here"
        with pytest.raises(InputError, match=said):
            parse_scheduler(path)
    (tmp_path / "myhost:8786").write_text("x")  # a file named like an address: the address is meant
    monkeypatch.chdir(tmp_path)
    assert parse_scheduler("myhost:8786") == ("address", None)


def test_a_scheduler_that_is_neither_text_nor_a_client_is_refused_in_the_api(launch_cache, tmp_path) -> None:
    """run_distributed(..., scheduler=None) raised AttributeError: 'NoneType' object has no
    attribute 'scheduler_info' (a finder)."""
    from eventstudy.distributed import run_distributed
    from eventstudy.errors import InputError

    config = load_config(ROOT / "launch.toml")
    for odd in (None, 2, b"local", ["local"]):
        with pytest.raises(InputError, match="give 'local', 'local:N', a scheduler address") as caught:
            run_distributed(ROOT / "events.csv", launch_cache, config, scheduler=odd)
        assert caught.value.path == "scheduler" and repr(odd) in caught.value.message
    # a scheduler file as a pathlib.Path is the file's name (it was refused as neither)
    folder = tmp_path / "scheduler.json"
    folder.mkdir()
    with pytest.raises(InputError, match=r"scheduler\.json is not a file"):
        run_distributed(ROOT / "events.csv", launch_cache, config, scheduler=folder)


@pytest.mark.parametrize(
    "content", ["", "not json", "[1, 2]", '{"address": 5}', '{"id": "x"}', "[" * 100_000 + "]" * 100_000]
)
def test_a_file_that_is_not_a_scheduler_file_is_one_line_and_exit_2(
    launch_cache, tmp_path: Path, capsys, content: str
) -> None:
    """Dask asserted an address in it, or indexed a list: AssertionError and TypeError tracebacks."""
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(content)
    out = tmp_path / "out"
    assert main([*launch_args(launch_cache, out), "--scheduler", str(scheduler_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"eventstudy: error: {scheduler_file}, field '--scheduler': ")
    assert "not a Dask scheduler file" in err and not out.exists()


@pytest.mark.parametrize(
    ("cache", "scheduler", "words"),
    [
        ("foo://bucket/cache", ["--scheduler", "local:1"], "not a cache location fsspec can read"),
        # In memory a URL used to be read as the folder "foo:/bucket/cache".
        ("memory://cache", [], "a cache at a URL is read on Dask (--scheduler); give a folder"),
    ],
)
def test_a_cache_url_fsspec_cannot_read_is_one_line_and_exit_2(
    tmp_path: Path, capsys, cache: str, scheduler: list[str], words: str
) -> None:
    out = tmp_path / "out"
    args = [*launch_args(tmp_path / "unused", out), *scheduler]
    args[args.index("--cache") + 1] = cache
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"eventstudy: error: --cache: {cache}: ") and err.count("\n") == 1, err
    assert words in err, err
    assert not out.exists()


def test_a_scheduler_without_workers_is_one_line_and_exit_2(
    launch_cache, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr("eventstudy.distributed.cluster.WORKER_TIMEOUT", 0.5)
    out = tmp_path / "out"
    with distributed.LocalCluster(**IN_PROCESS, n_workers=0, protocol="tcp://") as empty:
        address = empty.scheduler.address
        assert main([*launch_args(launch_cache, out), "--scheduler", address]) == 2
    err = capsys.readouterr().err
    words = f"--scheduler: no Dask worker joined the scheduler at {address} in 0.5 s"
    assert err == f"eventstudy: error: {words}\n", err
    assert not out.exists()


def _raise_timeout() -> None:
    raise TimeoutError("the task's own")


@pytest.mark.parametrize("started", [False, True])
def test_a_task_waiting_on_a_cluster_without_workers_stops_the_wait(started: bool, monkeypatch) -> None:
    """Dask keeps a task with no worker to run it queued for ever: the driver waits so long for
    a worker (LOCAL_WORKER_TIMEOUT for a local cluster it started itself, WORKER_TIMEOUT for any
    other: a SLURMCluster given as a client was stopped after the local minute, a finder), then
    stops; a task's own TimeoutError is its error, not the wait's."""
    from eventstudy.distributed import cluster as cluster_module

    monkeypatch.setattr(cluster_module, "WORKER_TIMEOUT", 1e9 if started else 0.5)
    monkeypatch.setattr(cluster_module, "LOCAL_WORKER_TIMEOUT", 0.5 if started else 1e9)
    monkeypatch.setattr(cluster_module, "POLL_SECONDS", 0.05)
    with (
        distributed.LocalCluster(**IN_PROCESS, n_workers=0, protocol="tcp://") as empty,
        distributed.Client(empty) as client,
    ):
        if started:  # as connect("local") registers the clients of the clusters it starts
            monkeypatch.setattr(cluster_module, "_STARTED", {client})
        watch = cluster_module.Watch(client)
        assert watch.patience == 0.5
        with pytest.raises(cluster_module.ClusterError) as raised:
            watch.result(client.submit(sum, [1, 2]))
        said = "the Dask cluster has had no worker for 0.5 s with tasks waiting (did its workers die?)"
        assert str(raised.value) == said
        empty.scale(1)
        assert watch.result(client.submit(sum, [1, 2])) == 3
        with pytest.raises(TimeoutError, match="the task's own"):
            watch.result(client.submit(_raise_timeout))


def test_a_scheduler_that_does_not_answer_stops_the_run() -> None:
    """A frozen scheduler (SIGSTOP, a suspended node, a partition) never answers, and the check
    of the workers waited for ever (a finder): the driver asks with a timeout."""
    from eventstudy.distributed.cluster import ClusterError, Watch

    asked: list[object] = []

    class Frozen:
        def run(self, function: object, on_error: str, callback_timeout: float) -> dict[str, str]:
            asked.append(callback_timeout)
            raise TimeoutError

    watch = Watch.__new__(Watch)
    watch.client, watch.patience, watch.checked = Frozen(), 7.0, set()  # type: ignore[assignment]
    with pytest.raises(ClusterError, match=r"^the Dask cluster has not answered for 7 s"):
        watch.check()
    assert asked == [7.0]


LEAVE = threading.Event()


def _a_worker_leaving(*args: object, **kwargs: object) -> None:
    """A partition task whose worker closes while the task runs (it waits until the test ends)."""
    worker = distributed.get_worker()
    worker.loop.add_callback(worker.close, executor_wait=False)
    LEAVE.wait()


def test_a_run_whose_last_worker_leaves_stops_in_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    """The only worker of a cluster reached by address goes away as a partition runs: the run
    waited for ever (a finder: a local cluster's workers killed over and over, 2 runs of 8)."""
    from _small_study import make_cache, make_study, run_args

    monkeypatch.setattr("eventstudy.distributed.cluster.WORKER_TIMEOUT", 0.5)
    monkeypatch.setattr("eventstudy.distributed.cluster.POLL_SECONDS", 0.05)
    monkeypatch.setattr("eventstudy.distributed.run.partition_task", _a_worker_leaving)
    events, config_path = make_study(tmp_path / "study")
    cache = make_cache(tmp_path / "cache").root
    out = tmp_path / "out"
    try:
        with distributed.LocalCluster(**IN_PROCESS, n_workers=1, protocol="tcp://") as one:
            args = [*run_args(events, config_path, cache, out), "--scheduler", one.scheduler.address]
            assert main(args) == 1
    finally:
        LEAVE.set()
    said = (
        "the Dask cluster has had no worker for 0.5 s with tasks waiting (did its workers die?)"
    )
    assert capsys.readouterr().err == f"eventstudy: error: {said}\n"
    assert not out.exists()


SCHEDULERS: list[distributed.Scheduler] = []
STOPPED = threading.Event()


def _a_scheduler_stopping(*args: object, **kwargs: object) -> None:
    """A partition task that stops its cluster's scheduler (it waits until the test ends)."""
    scheduler = SCHEDULERS[-1]
    scheduler.loop.add_callback(scheduler.close)
    STOPPED.wait()


def test_a_scheduler_stopping_mid_run_is_one_line(tmp_path: Path, capfd, monkeypatch) -> None:
    """The scheduler of a cluster reached by address stops as a partition runs: Dask's client
    printed its 40-line reconnection traceback, then the command a line holding Dask's five
    lines of cancelled futures as '\\n' escapes (a finder)."""
    from _small_study import make_cache, make_study, run_args

    monkeypatch.setattr("eventstudy.distributed.run.partition_task", _a_scheduler_stopping)
    events, config_path = make_study(tmp_path / "study")
    cache = make_cache(tmp_path / "cache").root
    out = tmp_path / "out"
    try:  # the worker and the client try to reconnect for so long (30 s by default)
        with (
            dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
            distributed.LocalCluster(**IN_PROCESS, n_workers=1, protocol="tcp://") as local,
        ):
            SCHEDULERS.append(local.scheduler)
            capfd.readouterr()
            args = [*run_args(events, config_path, cache, out), "--scheduler", local.scheduler.address]
            assert main(args) == 1
            STOPPED.set()  # before the worker closes: it waits for its task
            said = "the Dask cluster failed: the connection to its scheduler was lost (has it stopped?)"
            assert capfd.readouterr().err == f"eventstudy: error: {said}\n"
    finally:
        STOPPED.set()
    assert not out.exists()


def test_a_cluster_failure_is_one_line_of_plain_text() -> None:
    from distributed.comm.core import CommClosedError

    from eventstudy.distributed.cluster import failure

    said = failure(CommClosedError("in <TCP (closed)>:\nConnectionResetError:\x07 reset"))
    assert str(said) == (
        "the Dask cluster failed: CommClosedError: in <TCP (closed)>: ConnectionResetError: reset"
    )


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (0, "must be from 1 to 2,147,483,647 pairs, got 0"),
        (-5, "must be from 1 to 2,147,483,647 pairs, got -5"),
        (10**12, "must be from 1 to 2,147,483,647 pairs, got 1,000,000,000,000"),
        (True, "must be a whole number of pairs, got True"),
        (2.5, "must be a whole number of pairs, got 2.5"),
        ("90", "must be a whole number of pairs, got '90'"),
    ],
)
def test_a_bad_number_of_rows_per_partition_is_refused_before_a_cluster_starts(
    rows: object, said: str, synthetic_cache, synthetic_events, monkeypatch
) -> None:
    def no_cluster(*args: object, **kwargs: object) -> None:
        raise AssertionError("a local cluster was started")

    monkeypatch.setattr(distributed, "LocalCluster", no_cluster)
    with pytest.raises(InputError) as raised:
        run_distributed(
            synthetic_events, synthetic_cache, CONFIG, scheduler="local:2", rows_per_partition=rows
        )
    assert str(raised.value) == f"rows_per_partition: {said}"


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            ("text.py", "\n# last month's copy\n"),
            r"runs other code than this command: eventstudy source sha256 [0-9a-f]{12} there, sha256 "
            r"[0-9a-f]{12} here \(every worker must run the driver's versions\)",
        ),
        (
            ("__init__.py", "\nraise ImportError('a broken install')\n"),
            r"could not report its code \(.*a broken install.*\)",
        ),
    ],
)
def test_a_worker_running_other_code_is_refused_in_one_line(
    edit: tuple[str, str], said: str, tmp_path: Path, capsys
) -> None:
    """A worker process importing another copy of eventstudy (a cluster's environment left on
    last month's install) computed its partitions with that code: only ``verify`` saw the tables
    differ (a finder). The run stops before any partition, naming the worker."""
    from _small_study import make_cache, make_study, run_args

    copy = _other_code(tmp_path / "site", edit)
    events, config_path = make_study(tmp_path / "study")
    cache = make_cache(tmp_path / "cache").root
    out = tmp_path / "out"
    with (
        distributed.LocalCluster(**IN_PROCESS, n_workers=0, protocol="tcp://") as empty,
        distributed.Client(empty) as client,
    ):
        address = empty.scheduler.address
        worker = _worker_process(address, copy, tmp_path)
        try:
            client.wait_for_workers(1, timeout=120)
            assert main([*run_args(events, config_path, cache, out), "--scheduler", address]) == 2
        finally:
            worker.terminate()
            worker.wait()
    err = capsys.readouterr().err
    pattern = rf"eventstudy: error: --scheduler: the Dask worker at tcp://127\.0\.0\.1:[0-9]+ {said}\n"
    assert re.fullmatch(pattern, err), err
    assert not out.exists()


def _other_code(site: Path, edit: tuple[str, str]) -> Path:
    """A copy of the eventstudy package in ``site`` with ``edit`` (file, text) appended."""
    import eventstudy

    copy = site / "eventstudy"
    shutil.copytree(Path(eventstudy.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / edit[0]).open("a", encoding="utf-8") as file:
        file.write(edit[1])
    return copy


def _worker_process(address: str, copy: Path, folder: Path, *options: str) -> subprocess.Popen[bytes]:
    """A Dask worker process importing the package ``copy`` (started in ``folder``: in this
    project's folder its own package would shadow PYTHONPATH), and this module for the tasks
    the tests define here."""
    command = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", *options]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(copy.parent), str(ROOT / "tests")])}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    return subprocess.Popen(command, env=environment, cwd=folder, **quiet)  # type: ignore[call-overload]


def test_the_code_identity_is_the_modules_only(tmp_path: Path, monkeypatch) -> None:
    """An editor's lock link ``.#study.py`` (dangling) stopped every Dask run with 'No such file'
    (a finder), and a notebook's checkpoints would make a worker installed from a wheel differ:
    only the modules count, and any change to one does."""
    import eventstudy
    from eventstudy.distributed.cluster import code_identity

    copy = _other_code(tmp_path / "site", ("text.py", ""))
    monkeypatch.setattr(eventstudy, "__file__", str(copy / "__init__.py"))
    before = code_identity()
    (copy / ".#study.py").symlink_to("user@host.1234:1")
    (copy / ".ipynb_checkpoints").mkdir()
    (copy / ".ipynb_checkpoints" / "study-checkpoint.py").write_text("x = 1\n")
    (copy / "notes.txt").write_text("mine\n")
    assert code_identity() == before
    with (copy / "data" / "store.py").open("a", encoding="utf-8") as file:
        file.write("\n")
    assert code_identity()["eventstudy source"] != before["eventstudy source"]


def test_a_worker_of_other_code_at_a_checked_address_is_checked_again(tmp_path: Path) -> None:
    """Workers were known by address: one of other code restarted on a checked worker's fixed
    port was taken for it, and the run wrote CARs 0.01 off (a finder). Each worker process is
    checked once, by the scheduler's id of it."""
    import socket

    from eventstudy.distributed import cluster as cluster_module

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = str(free.getsockname()[1])
    import eventstudy

    same = Path(eventstudy.__file__).parent
    other = _other_code(tmp_path / "site", ("text.py", "\n# another environment's\n"))
    with (
        distributed.LocalCluster(**IN_PROCESS, n_workers=0, protocol="tcp://") as empty,
        distributed.Client(empty) as client,
    ):
        address = empty.scheduler.address
        first = _worker_process(address, same, tmp_path, "--worker-port", port)
        try:
            client.wait_for_workers(1, timeout=120)
            watch = cluster_module.Watch(client)  # the driver's own code: checked
            assert watch.check() == 1
            client.retire_workers(list(client.nthreads()), close_workers=True)  # gone when it returns
            assert client.nthreads() == {}
        finally:
            first.terminate()
            first.wait()
        second = _worker_process(address, other, tmp_path, "--worker-port", port)
        try:
            client.wait_for_workers(1, timeout=120)
            assert list(client.nthreads()) == [f"tcp://127.0.0.1:{port}"]  # the same address
            with pytest.raises(InputError, match="runs other code than this command: eventstudy source"):
                watch.check()
        finally:
            second.terminate()
            second.wait()


JOINING: dict[str, object] = {}


def _a_worker_of_other_code_joining(*args: object, **kwargs: object) -> None:
    """A partition task that starts a worker of other code and returns once it has joined (a
    batch job replacing one that ended, started from another environment)."""
    JOINING["worker"] = _worker_process(str(JOINING["address"]), JOINING["copy"], JOINING["folder"])  # type: ignore[arg-type]
    distributed.get_client().wait_for_workers(2, timeout=120)


def test_a_worker_of_other_code_joining_mid_run_stops_it(tmp_path: Path, capsys, monkeypatch) -> None:
    """The code was checked once, at the start: a worker of other code that joined later ran
    partitions with it, and the run wrote its folder (a finder). The driver checks the workers
    that joined whenever it takes a result."""
    from _small_study import make_cache, make_study, run_args

    monkeypatch.setattr("eventstudy.distributed.run.partition_task", _a_worker_of_other_code_joining)
    copy = _other_code(tmp_path / "site", ("text.py", "\n# another environment's\n"))
    events, config_path = make_study(tmp_path / "study")
    cache = make_cache(tmp_path / "cache").root
    out = tmp_path / "out"
    try:
        with distributed.LocalCluster(**IN_PROCESS, n_workers=1, protocol="tcp://") as one:
            JOINING.update(address=one.scheduler.address, copy=copy, folder=tmp_path)
            args = [*run_args(events, config_path, cache, out), "--scheduler", one.scheduler.address]
            assert main(args) == 2
    finally:
        worker = JOINING.pop("worker", None)
        if isinstance(worker, subprocess.Popen):
            worker.terminate()
            worker.wait()
    err = capsys.readouterr().err
    said = r"runs other code than this command: eventstudy source sha256 [0-9a-f]{12} there"
    assert re.fullmatch(rf"eventstudy: error: --scheduler: the Dask worker at tcp://\S+ {said}.*\n", err), err
    assert not out.exists()


def test_an_estimation_window_over_all_data_is_refused_in_one_line(
    launch_cache, tmp_path: Path, capsys, cluster
) -> None:
    """``estimation_window = "all"`` starts at the earliest day any pair reaches, which one
    partition cannot know: refused (exit 2, one line naming the feature), never a different
    answer."""
    config = tmp_path / "all.toml"
    text = (ROOT / "launch.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("estimation_window = [-260, -11]", 'estimation_window = "all"'), "utf-8")
    out = tmp_path / "out"
    address = cluster.scheduler.address
    args = [str(config) if a == str(ROOT / "launch.toml") else a for a in launch_args(launch_cache, out)]
    assert main([*args, "--scheduler", address]) == 2  # (a second --config is refused)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    words = "eventstudy: error: --scheduler: not supported on Dask: an estimation window over all data"
    assert err.startswith(words), err
    assert not out.exists()


def test_without_dask_the_scheduler_option_is_one_line_and_exit_2(
    launch_cache, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    out = tmp_path / "out"
    assert main([*launch_args(launch_cache, out), "--scheduler", "local"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "eventstudy: error: --scheduler: running on Dask needs the dask extra: "
        "pip install 'eventstudy-backtester[dask]'\n"
    )
    assert not out.exists()


# ----------------------------------------------------------------------------- README recipes
def readme_block(title: str) -> str:
    """The fenced code block under the README heading ``title``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(title) :]
    match = re.search(r"```(?:python|sh)\n(.*?)```", section, re.S)
    assert match is not None, title
    return match.group(1)


def test_the_readme_slurm_snippet_runs_with_a_local_cluster(
    launch_cache, tmp_path: Path, monkeypatch
) -> None:
    """The README's Python recipe, with distributed.LocalCluster in place of SLURMCluster (the
    one line dask-jobqueue needs a batch system for); the rest runs as printed."""
    snippet = readme_block("#### From Python on SLURM or PBS")
    assert "from dask_jobqueue import SLURMCluster" in snippet and "cluster = SLURMCluster(" in snippet
    code = snippet.replace("from dask_jobqueue import SLURMCluster", "from distributed import LocalCluster")
    code = re.sub(
        r"cluster = SLURMCluster\(.*?\)\n",
        "cluster = LocalCluster(n_workers=0, processes=False, dashboard_address=':0')\n",
        code,
        flags=re.S,
    )
    monkeypatch.chdir(tmp_path)
    lines = (ROOT / "events.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "events.csv").write_text("".join(lines[:7]), encoding="utf-8")  # six rows: quick
    shutil.copy(ROOT / "launch.toml", tmp_path / "launch.toml")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cache").symlink_to(launch_cache, target_is_directory=True)
    code = code.replace("/shared/cache", str(tmp_path / "shared" / "cache"))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    results = namespace["results"]
    assert isinstance(results, StudyResults) and results.provenance["engine"]["name"] == "dask.distributed"
    written = tmp_path / "reports" / "launch-dask"  # not over the committed launch report (a finder)
    assert (written / "stats.parquet").is_file() and (written / "manifest.json").is_file()
    assert len(read_events(tmp_path / "events.csv")) == int((results.events["role"] != "peer").sum()) == 6


def test_a_kill_while_a_local_cluster_starts_waits_for_the_start() -> None:
    """A TERM while distributed started the local cluster raised inside its start, leaving the
    cluster half made and its exit hook printing tracebacks after the command's line (a finder):
    it reaches the handler before once the start has returned (the command line's raises
    KeyboardInterrupt then, and the cluster is closed as the study's)."""
    import signal

    from eventstudy.distributed.cluster import _start_held

    seen: list[str] = []

    def handler(number: int, frame: object) -> None:
        seen.append("handler")

    before = signal.signal(signal.SIGTERM, handler)
    try:
        with _start_held():
            signal.raise_signal(signal.SIGTERM)  # during the start
            seen.append("started")
        assert seen == ["started", "handler"]
        assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_local_clusters_workers_leave_ctrl_c_to_the_command_and_log_nothing(capfd) -> None:
    """A terminal's Ctrl-C (SIGINT to the whole process group) printed each worker's
    KeyboardInterrupt traceback, and the shutdown the scheduler's, nannies' and workers' warnings
    and errors, before the command's one line: the workers ignore SIGINT (the command stops the
    cluster) and Dask's log lines stay off the terminal; the command's own handler is restored."""
    import logging
    import signal

    from eventstudy.distributed.cluster import connect

    before = signal.getsignal(signal.SIGINT)
    with connect("local:1") as client:
        assert signal.getsignal(signal.SIGINT) is before
        ignored = client.run(lambda: signal.getsignal(signal.SIGINT) == signal.SIG_IGN)
        assert list(ignored.values()) == [True]
        # A closed terminal's HUP to the process group reaches only the driver too (a finder).
        hung_up = client.run(lambda: signal.getsignal(signal.SIGHUP) == signal.SIG_IGN)
        assert list(hung_up.values()) == [True]
        client.run(lambda: logging.getLogger("distributed.worker").error("Failed to communicate, worker"))
        logging.getLogger("distributed.scheduler").warning("Attempting to reschedule task")
    err = capfd.readouterr().err
    assert "Failed to communicate" not in err and "Attempting to reschedule" not in err, err


def test_a_factor_model_on_a_cluster_records_its_factor_tables(
    shared_data: Path, cluster, tmp_path: Path
) -> None:
    """The driver reads the factor tables; the partitions' records held none, so a run on Dask
    recorded no inputs.factors (verify said identical over a restated factor) and the model's
    record alone carried them."""
    root = tmp_path / "cache"
    import_paths(PriceStore(root), [shared_data / "prices", shared_data / "shares", shared_data / "factors"])
    events = read_events(Path(__file__).parent.parent / "events.csv").iloc[:6]
    config = StudyConfig(model="ff3", event_windows=((0, 0), (-1, 1)))
    memory = run_study(events, root, config, peers=())
    dask = run_distributed(events, root, config, scheduler=cluster, peers=(), rows_per_partition=2)
    assert set(memory.provenance["inputs"]["factors"]) == {"F-F_Research_Data_Factors_daily"}
    assert memory.provenance["inputs"] == dask.provenance["inputs"]


def test_an_input_read_in_two_versions_by_the_partitions_stops_the_run() -> None:
    """A finder's import restated SPY between two partitions' reads: one partition's abnormal
    returns were against the old market and the manifest recorded the new one."""
    from eventstudy.distributed.run import _merged_records

    old, new = ({"content_sha256": digit * 64, "provenance": {}} for digit in "ab")
    cache = PriceStore("/nonexistent-cache")
    same = _merged_records(cache, "prices", [{"SPY": old, "AVGO": new}, {"SPY": dict(old), "MSFT": new}])
    assert list(same) == ["SPY", "AVGO", "MSFT"]
    with pytest.raises(InputError, match=r"prices SPY was read in two versions \(a{12}, b{12}\)"):
        _merged_records(cache, "prices", [{"SPY": old}, {"SPY": new}])


def test_the_driver_holds_the_batch_lock_over_the_run(tmp_path: Path, monkeypatch) -> None:
    """Each partition read under its own share of the batch lock, so an import's batch could land
    between two partitions' reads (AAA old in one, BBB new in another; a finder, from the code).
    The driver holds its share over the whole run: no import renames a batch meanwhile."""
    import contextlib

    from _small_study import make_cache, make_study

    import eventstudy.data.store as store_module
    import eventstudy.distributed.run as run_module

    make_cache(tmp_path / "cache")
    events, config_path = make_study(tmp_path)
    held: list[bool] = []

    def compute(client: object, events: object, cache: PriceStore, *args: object) -> object:
        try:  # what an import's commit takes, exclusive
            with store_module._locked(store_module._batch(cache.root), 0.0):
                held.append(False)
        except store_module.CacheBusyError:
            held.append(True)
        return run_module.DistributedRun.__new__(run_module.DistributedRun)

    monkeypatch.setattr(run_module, "connect", lambda scheduler: contextlib.nullcontext(None))
    monkeypatch.setattr(run_module, "_compute", compute)
    compute_distributed(events, tmp_path / "cache", load_config(config_path), scheduler="local:1")
    assert held == [True]

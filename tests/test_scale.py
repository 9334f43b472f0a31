"""The chunked runner equals the in-memory study, and per-pair statsmodels OLS.

Simulated market-model data with known parameters: missing returns, several events per ticker
(so overlap notes cross chunks if tickers were split), events near the calendar ends, share
counts for some tickers only. The chunked path must reproduce ``estimate`` exactly, whatever
the chunk size, the number of processes, or the returns source (panel in memory or the
per-ticker parquet cache).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.config import StudyConfig
from eventstudy.data.inputs import Needs, load_inputs
from eventstudy.data.store import PRICE_COLUMNS, PriceStore
from eventstudy.estimate import estimate
from eventstudy.models import MarketModel
from eventstudy.scale import CacheSource, PanelSource, plan_chunks, read_chunked, run_chunked
from eventstudy.timeline.returns import ReturnsPanel, build_panel, simple_returns

N_TICKERS = 9
N_DAYS = 520
WINDOWS = ((0, 0), (-1, 1), (-3, 3))
CONFIG = StudyConfig(
    market="MKT", estimation_window=(-200, -11), event_windows=WINDOWS, min_estimation_obs=120
)
TICKERS = [f"T{i}" for i in range(N_TICKERS)]


def _prices(seed: int = 3) -> tuple[pd.DatetimeIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.01, N_DAYS)
    beta = rng.uniform(0.5, 1.5, N_TICKERS)
    firm = 0.0003 + market[:, None] * beta + rng.normal(0, 0.02, (N_DAYS, N_TICKERS))
    prices = np.column_stack([100 * np.cumprod(1 + market), 50 * np.cumprod(1 + firm, axis=0)])
    prices[:, 1:][rng.random((N_DAYS, N_TICKERS)) < 0.01] = np.nan
    return pd.bdate_range("2020-01-01", periods=N_DAYS, name="date"), prices


def _events(calendar: pd.DatetimeIndex, n_pairs: int = 90, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    day0 = rng.integers(150, N_DAYS + 5, n_pairs)  # some too early, some past the data
    announced = calendar[np.minimum(day0, N_DAYS - 1)] + pd.to_timedelta(
        np.maximum(day0 - N_DAYS + 1, 0), "D"
    )
    return pd.DataFrame(
        {
            "event_id": [f"e{i:03d}" for i in range(n_pairs)],
            "announced": announced.to_numpy("datetime64[ns]"),
            "timing": rng.choice(["pre", "post"], n_pairs),
            "ticker": rng.choice(TICKERS, n_pairs),
            "role": "party",
            "deal_usd": np.where(rng.random(n_pairs) < 0.8, 1e9, np.nan),
            "group": "g",
            "headline": "h",
            "source_row": np.arange(2, n_pairs + 2),
        }
    )


def _shares(calendar: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
    return {
        t: pd.DataFrame(
            {
                "ticker": [t, t],
                "as_of": [calendar[0], calendar[300]],
                "shares_outstanding": [1e9, 1.1e9],
                "filing": ["10-K cover", "10-Q cover"],
                "source": ["test", "test"],
            }
        )
        for t in TICKERS[::2]
    }


@pytest.fixture(scope="module")
def data() -> tuple[ReturnsPanel, pd.DataFrame, dict[str, pd.DataFrame]]:
    calendar, prices = _prices()
    panel = ReturnsPanel(calendar, ("MKT", *TICKERS), simple_returns(prices), prices)
    return panel, _events(calendar), _shares(calendar)


@pytest.fixture(scope="module")
def in_memory(data):
    panel, events, shares = data
    return estimate(events, panel, MarketModel("MKT"), CONFIG, shares=shares)


def test_plan_keeps_tickers_whole_and_chunks_small() -> None:
    tickers = ["B", "A", "B", "C", "A", "A", "D", "B", "C"]
    chunks = plan_chunks(tickers, 4)
    assert [sorted(tickers[i] for i in c) for c in chunks] == [
        ["A", "A", "A"],
        ["B", "B", "B"],
        ["C", "C", "D"],
    ]
    assert sorted(np.concatenate(chunks).tolist()) == list(range(len(tickers)))
    assert [len(c) for c in plan_chunks(tickers, 1)] == [3, 3, 2, 1]  # a big ticker stays whole


@pytest.mark.parametrize(("chunk_size", "workers"), [(20, 1), (35, 2), (10_000, 1)])
def test_chunked_equals_in_memory(data, in_memory, tmp_path: Path, chunk_size: int, workers: int) -> None:
    panel, events, shares = data
    run = run_chunked(
        events,
        PanelSource(panel),
        MarketModel("MKT"),
        CONFIG,
        tmp_path / "out",
        shares=shares,
        chunk_size=chunk_size,
        workers=workers,
    )
    assert run.n_pairs == len(events) and sum(c.n_pairs for c in run.chunks) == len(events)
    assert len(run.chunks) == len(plan_chunks(events["ticker"].tolist(), chunk_size))
    car, ar = read_chunked(run.out_dir, "car"), read_chunked(run.out_dir, "ar")
    # The same numbers to 1e-12 (in fact identical), and every column the same.
    for got, want, columns in ((car, in_memory.car, ["car", "car_se", "t", "p", "abnormal_value_usd"]),
                               (ar, in_memory.ar, ["ar", "car", "car_se", "expected_ret"])):  # fmt: skip
        for column in columns:
            np.testing.assert_allclose(got[column], want[column], rtol=0, atol=1e-12)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    outcomes = set(car["outcome"])
    assert {"ok", "announced_after_data", "incomplete_event_window"} <= outcomes
    assert (car["overlap"] != "").any()  # same-ticker events were in the same chunk


def test_chunked_equals_per_pair_statsmodels(data, tmp_path: Path) -> None:
    panel, events, _ = data
    run = run_chunked(events, PanelSource(panel), MarketModel("MKT"), CONFIG, tmp_path / "o", chunk_size=25)
    ar = read_chunked(run.out_dir, "ar")
    car = read_chunked(run.out_dir, "car")
    market = panel.returns[:, 0]
    checked = 0
    for _, row in events.iterrows():
        rows = car[(car["event_id"] == row["event_id"]) & (car["window"] == "[-3,+3]")]
        if rows["outcome"].iloc[0] != "ok":
            continue
        day0 = int(panel.calendar.get_loc(rows["day0"].iloc[0]))
        firm = panel.returns[:, 1 + TICKERS.index(row["ticker"])]
        estimation = slice(max(day0 - 200, 0), day0 - 10)  # clipped at the first day
        fit = sm.OLS(firm[estimation], sm.add_constant(market[estimation]), missing="drop").fit()
        assert rows["alpha"].iloc[0] == pytest.approx(fit.params[0], abs=1e-10)
        assert rows["beta"].iloc[0] == pytest.approx(fit.params[1], abs=1e-10)
        assert rows["sigma"].iloc[0] == pytest.approx(np.sqrt(fit.scale), abs=1e-10)
        expected = fit.params[0] + fit.params[1] * market[day0 - 3 : day0 + 4]
        got = ar[ar["event_id"] == row["event_id"]]["ar"].to_numpy()
        np.testing.assert_allclose(got, firm[day0 - 3 : day0 + 4] - expected, rtol=0, atol=1e-10)
        assert rows["car"].iloc[0] == pytest.approx((firm[day0 - 3 : day0 + 4] - expected).sum(), abs=1e-10)
        checked += 1
    assert checked > 40


def test_cache_source_reads_only_the_chunk_and_equals_run_study_panel(data, tmp_path: Path) -> None:
    """Prices written to a PriceStore cache, read back per chunk: same results as one panel."""
    _, events, shares = data
    calendar, prices = _prices()
    store = PriceStore(tmp_path / "cache")
    for column, symbol in enumerate(("MKT", *TICKERS[:4])):
        keep = np.isfinite(prices[:, column])
        frame = pd.DataFrame(dict.fromkeys(PRICE_COLUMNS[1:], prices[keep, column]))
        frame.insert(0, "date", calendar[keep])
        frame["volume"] = 1e6
        store.write_prices(symbol, frame, {"source": "test", "symbol": symbol})
    subset = events[events["ticker"].isin(TICKERS[:4])].reset_index(drop=True)
    inputs = load_inputs(store, subset, Needs("MKT"))  # as run_study reads them
    whole = build_panel(inputs.prices, "MKT")
    want = estimate(subset, whole, MarketModel("MKT"), CONFIG, shares=shares)
    run = run_chunked(
        subset,
        CacheSource(store.root, "MKT"),
        MarketModel("MKT"),
        CONFIG,
        tmp_path / "out",
        shares=shares,
        chunk_size=12,
    )
    assert len(run.chunks) > 1
    pd.testing.assert_frame_equal(read_chunked(run.out_dir, "car"), want.car, check_exact=True)
    pd.testing.assert_frame_equal(read_chunked(run.out_dir, "ar"), want.ar, check_exact=True)


def test_output_is_all_or_nothing(data, tmp_path: Path) -> None:
    panel, events, _ = data

    class Failing(PanelSource):
        def panel(self, symbols):  # type: ignore[override]
            if "T5" in symbols:
                raise OSError("disk went away")
            return super().panel(symbols)

    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk went away"):
        run_chunked(events, Failing(panel), MarketModel("MKT"), CONFIG, out, chunk_size=10)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    (out / "x").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        run_chunked(events, PanelSource(panel), MarketModel("MKT"), CONFIG, out)

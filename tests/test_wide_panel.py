"""A wide panel with few events costs O(events), not O(tickers x days) (issue 16).

The estimation and the battery read only the panel columns and share counts of the events'
tickers: the memory they allocate (``tracemalloc``'s peak, which counts numpy's buffers; a
deterministic count of bytes, not a time) must not grow with idle tickers. The panel itself is
built before the measurement starts.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd

from eventstudy.aggregate import event_panel
from eventstudy.config import StudyConfig
from eventstudy.estimate import estimate
from eventstudy.inference import run_battery_windows
from eventstudy.models import MarketModel
from eventstudy.timeline.returns import ReturnsPanel

N_DAYS = 600
CALENDAR = pd.bdate_range("2020-01-02", periods=N_DAYS)
WINDOWS = ((0, 0), (-1, 1), (-5, 5))


def study(n_idle: int) -> tuple[pd.DataFrame, ReturnsPanel, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(5)
    market = rng.normal(0.0004, 0.01, N_DAYS)
    firms = [f"F{k}" for k in range(4)]
    days = rng.integers(300, 590, size=40)
    noise = rng.normal(0, 0.02, (N_DAYS, 4))
    idle = [f"I{k:04d}" for k in range(n_idle)]
    names = ("MKT", *firms, *idle)  # the idle tickers' returns come from their own generator
    idle_noise = np.random.default_rng(6).normal(0, 0.02, (N_DAYS, n_idle))
    returns = np.column_stack([market, 0.9 * market[:, None] + noise, 0.9 * market[:, None] + idle_noise])
    close = 50.0 * np.exp(np.cumsum(returns, axis=0))
    panel = ReturnsPanel(CALENDAR, names, returns, close)
    events = pd.DataFrame(
        {
            "event_id": [f"e{k}" for k in range(40)],
            "ticker": [firms[k % 4] for k in range(40)],
            "role": "acquirer",
            "group": "g",
            "announced": CALENDAR[days].date,
            "timing": "pre",
            "deal_usd": 1e9,
        }
    )
    shares = {
        name: pd.DataFrame(
            {"as_of": CALENDAR[[0, 250]], "shares_outstanding": [1e9, 1.1e9], "filing": ["10-K", "10-Q"]}
        )
        for name in names[1:]
    }
    return events, panel, shares


def allocated_peak(n_idle: int) -> tuple[int, pd.DataFrame]:
    events, panel, shares = study(n_idle)
    config = StudyConfig(
        market="MKT", estimation_window=(-250, -11), event_windows=WINDOWS, min_estimation_obs=100
    )
    tracemalloc.start()
    try:
        results = estimate(events, panel, MarketModel("MKT"), config, shares=shares)
        run_battery_windows(event_panel(results), WINDOWS, bootstrap_draws=99, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, results.car


def test_idle_tickers_cost_no_memory_and_change_no_number() -> None:
    lean_peak, lean_car = allocated_peak(0)
    wide_peak, wide_car = allocated_peak(1000)  # the panel grows 200x: 1,004 columns of 600 days
    pd.testing.assert_frame_equal(lean_car, wide_car)
    panel_bytes = N_DAYS * 1000 * 8  # one copy of the idle returns: 4.8 MB
    # Before issue 16, estimate copied the whole panel (returns twice, closes once) and tabulated
    # every ticker's share counts: at least 3 panel copies more.
    assert wide_peak - lean_peak < 0.1 * panel_bytes, (lean_peak, wide_peak)

"""The thin-trading note: a pair whose estimation returns are mostly exact zeros (a day without a
trade repeats the last price) is noted on its rows, and kept in every statistic.

Known answer: a market-model stock whose estimation window holds exactly k zero returns out of
250; the note appears from k = 50 (20%) on, says k and 250, and changes no number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import estimate
from eventstudy.config import StudyConfig
from eventstudy.data.store import PriceStore
from eventstudy.estimate import THIN_TRADING_SHARE
from eventstudy.study import run_study

DATES = pd.bdate_range("2024-01-01", periods=400).astype("datetime64[ns]")
EVENT_DAY = 300  # the estimation window [-260, -11] is days 40..289
CONFIG = StudyConfig(market="SPY", estimation_window=(-260, -11), event_windows=((0, 0), (-1, 1)), peers=())


def _frame(returns: np.ndarray) -> pd.DataFrame:
    close = 20.0 * np.cumprod(1.0 + returns)
    return pd.DataFrame(
        {"date": DATES, "open": close, "high": close, "low": close, "close": close, "adj_close": close}
        | {"volume": np.full(len(DATES), 1e5)}
    )


def _study(tmp_path, zeros: int):
    rng = np.random.default_rng(7)
    market = rng.normal(0.0004, 0.01, len(DATES))
    stock = 0.0002 + 1.1 * market + rng.normal(0.0, 0.015, len(DATES))
    stock[EVENT_DAY] += 0.08
    stale = rng.choice(np.arange(40, 290), size=zeros, replace=False)
    stock[stale] = 0.0  # the close repeats: no trade that day
    store = PriceStore(tmp_path / f"cache{zeros}")
    store.write_prices("SPY", _frame(market), {"source": "synthetic"})
    store.write_prices("THIN", _frame(stock), {"source": "synthetic"})
    events = pd.DataFrame(
        {
            "event_id": ["e"],
            "announced": [DATES[EVENT_DAY]],
            "timing": ["pre"],
            "ticker": ["THIN"],
            "role": ["partner"],
            "deal_usd": [np.nan],
            "group": ["g"],
            "headline": ["h"],
        }
    )
    return run_study(events, store, CONFIG)


@pytest.mark.parametrize("zeros", [0, 49, 50, 200])
def test_a_pair_with_a_fifth_of_zero_returns_is_noted_and_kept(tmp_path, zeros: int) -> None:
    assert THIN_TRADING_SHARE == 0.2  # 50 of 250
    car = _study(tmp_path, zeros).car
    assert (car["outcome"] == "ok").all() and car["t"].notna().all()
    noted = car["note"].str.startswith(f"thin trading: {zeros} of the 250 estimation returns in [-260,-11]")
    assert noted.all() if zeros >= 50 else not car["note"].str.contains("thin trading").any()


def test_the_note_changes_no_number(tmp_path, monkeypatch) -> None:
    """The same data with the note and with the line moved past 100% (never noted): every table
    equal but for the note."""
    noted = _study(tmp_path / "noted", 60)
    monkeypatch.setattr(estimate, "THIN_TRADING_SHARE", 1.01)
    plain = _study(tmp_path / "plain", 60)
    thin_note = noted.car["note"].str.split("; ").str[0]
    assert thin_note.str.startswith("thin trading: 60 of the 250").all()
    assert (noted.car["note"] == thin_note + "; " + plain.car["note"]).all()  # before the value notes
    pd.testing.assert_frame_equal(noted.car.drop(columns="note"), plain.car.drop(columns="note"))
    pd.testing.assert_frame_equal(noted.ar, plain.ar)
    pd.testing.assert_frame_equal(noted.stats, plain.stats)

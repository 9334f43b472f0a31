"""Returns panels made from the launch cache, exactly as the study computes returns from prices.

:func:`launch_series` gives, per symbol, the returns of the price path (``A_t / A_{t-1} - 1``
on SPY's calendar, :func:`eventstudy.timeline.returns.build_panel`) and the market values it
uses (``Close x`` the share count in force), so a returns panel written from them with full
precision (``repr``) describes the same study.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.data.store import PriceStore
from eventstudy.timeline.returns import build_panel
from eventstudy.valuation import ShareCountTable


def launch_series(
    cache: Path, market: str = "SPY"
) -> tuple[pd.DatetimeIndex, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The calendar and, per cached symbol, (returns, market values) of the price path."""
    store = PriceStore(cache)
    symbols = [market, *(s for s in store.price_symbols() if s != market)]
    panel = build_panel({s: store.read_prices(s) for s in symbols}, market)
    shares = {s: store.read_shares(s) for s in symbols}
    table = ShareCountTable.build(shares, panel.calendar.to_numpy("datetime64[ns]"))
    values = panel.close * table.counts_by_day(panel.symbols).T
    return panel.calendar, {s: (panel.returns[:, j], values[:, j]) for j, s in enumerate(panel.symbols)}


def text(values: np.ndarray, scale: float = 1.0) -> list[str]:
    """Full-precision text of each value times ``scale`` (blank where missing)."""
    return [repr(float(v) * scale) if np.isfinite(v) else "" for v in values]


def write_long(
    path: Path,
    calendar: pd.DatetimeIndex,
    series: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    scale: float = 1.0,
    market_cap: bool = True,
) -> Path:
    """A long returns file ``id,date,ret[,market_cap]`` (returns times ``scale``: 100 for percent)."""
    frames = []
    for symbol, (returns, values) in series.items():
        frame = {"id": symbol, "date": calendar.strftime("%Y-%m-%d"), "ret": text(returns, scale)}
        if market_cap:
            frame["market_cap"] = text(values)
        frames.append(pd.DataFrame(frame))
    pd.concat(frames).to_csv(path, index=False)
    return path

"""Backtests of rules that trade on announcements, and the post-announcement drift.

* :mod:`~eventstudy.backtest.rules` -- the ``[backtest]`` table: :class:`BacktestConfig`;
* :mod:`~eventstudy.backtest.engine` -- trades and daily equity curves: :func:`backtest`,
  :class:`BacktestResults`;
* :mod:`~eventstudy.backtest.statistics` -- BHAR, Lyon-Barber-Tsai skewness-adjusted t,
  hit rate, Sharpe ratio, drawdown;
* :mod:`~eventstudy.backtest.tables` -- summary per holding period and the drift table;
* :mod:`~eventstudy.backtest.report` -- markdown section and equity-curve figure;
* :mod:`~eventstudy.backtest.export` -- writing the files beside the study's outputs.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "BacktestConfig": "eventstudy.backtest.rules",
    "BacktestResults": "eventstudy.backtest.engine",
    "backtest": "eventstudy.backtest.engine",
    "load_backtest_config": "eventstudy.backtest.rules",
    "plot_equity_curve": "eventstudy.backtest.report",
    "render_backtest_markdown": "eventstudy.backtest.report",
}

__all__ = [
    "BacktestConfig",
    "BacktestResults",
    "backtest",
    "load_backtest_config",
    "plot_equity_curve",
    "render_backtest_markdown",
]


def __getattr__(name: str) -> Any:  # the names load their modules on first use (PEP 562)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eventstudy.backtest' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

"""Backtests of rules that trade on announcements, and the post-announcement drift.

* :mod:`~eventstudy.backtest.rules` -- the ``[backtest]`` table: :class:`BacktestConfig`;
* :mod:`~eventstudy.backtest.engine` -- trades and daily equity curves: :func:`backtest`,
  :func:`run_backtest`, :class:`BacktestResults`;
* :mod:`~eventstudy.backtest.statistics` -- BHAR, Lyon-Barber-Tsai skewness-adjusted t,
  hit rate, Sharpe ratio, drawdown;
* :mod:`~eventstudy.backtest.tables` -- summary per holding period and the drift table;
* :mod:`~eventstudy.backtest.report` -- markdown section and equity-curve figure;
* :mod:`~eventstudy.backtest.export` -- writing the files beside the study's outputs.
"""

from eventstudy.backtest.engine import BacktestResults, backtest, run_backtest
from eventstudy.backtest.report import plot_equity_curve, render_backtest_markdown
from eventstudy.backtest.rules import BacktestConfig, load_backtest_config

__all__ = [
    "BacktestConfig",
    "BacktestResults",
    "backtest",
    "load_backtest_config",
    "plot_equity_curve",
    "render_backtest_markdown",
    "run_backtest",
]

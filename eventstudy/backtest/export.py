"""A backtest's output files, written beside the study's files in one output folder.

:func:`backtest_writers` gives the writers of ``trades.parquet``, ``backtest.parquet``,
``drift.parquet``, ``backtest.md`` and ``figures/equity_curve.png`` (and ``calendar_time.parquet``
when the rule has ``calendar_time`` models);
:func:`eventstudy.output.export.save_study` adds them to the study's own, and the whole folder
is replaced in one atomic exchange (:func:`eventstudy.output.folder.publish`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from eventstudy.backtest.engine import BacktestResults
from eventstudy.backtest.report import FIGURE_NAME, METADATA_KEY, plot_equity_curve, render_backtest_section
from eventstudy.output.export import write_parquet
from eventstudy.output.schema import CALENDAR_TIME_SCHEMA, CURVE_SCHEMA, DRIFT_SCHEMA, TRADES_SCHEMA
from eventstudy.report.figures import drawn_png

CALENDAR_TIME_FILE = "calendar_time.parquet"
"""The calendar-time portfolio regressions, when the rule asks for them."""

OUTPUT_FILES: tuple[str, ...] = (
    "trades.parquet",
    "backtest.parquet",
    "drift.parquet",
    "backtest.md",
    FIGURE_NAME,
)


def backtest_files(results: BacktestResults) -> tuple[str, ...]:
    """The names of the files :func:`backtest_writers` writes for ``results``."""
    return (*OUTPUT_FILES, *((CALENDAR_TIME_FILE,) if results.calendar_time is not None else ()))


def backtest_writers(results: BacktestResults) -> dict[str, Callable[[Path], None]]:
    """File name -> writer of every backtest output (rendered in memory first)."""
    metadata = {METADATA_KEY: json.dumps(results.metadata(), sort_keys=True)}
    markdown = render_backtest_section(results.trades, results.curve, results.drift, results.metadata())
    title = f"{results.study_name}: {results.config.describe()}"
    png = drawn_png(plot_equity_curve, results.curve, results.market, title=_wrap(title)).result()
    writers = {
        "trades.parquet": lambda p: write_parquet(results.trades, p, metadata, TRADES_SCHEMA),
        "backtest.parquet": lambda p: write_parquet(results.curve, p, metadata, CURVE_SCHEMA),
        "drift.parquet": lambda p: write_parquet(results.drift, p, metadata, DRIFT_SCHEMA),
        "backtest.md": lambda p: p.write_bytes(markdown.encode("utf-8")),
        FIGURE_NAME: lambda p: p.write_bytes(png),
    }
    table = results.calendar_time
    if table is not None:
        writers[CALENDAR_TIME_FILE] = lambda p: write_parquet(table, p, metadata, CALENDAR_TIME_SCHEMA)
    return writers


def _wrap(text: str, width: int = 110) -> str:
    """Break a long figure title into lines of at most ``width`` characters at '; '."""
    lines, current = [], ""
    for part in text.split("; "):
        candidate = f"{current}; {part}" if current else part
        if current and len(candidate) > width:
            lines.append(current + ";")
            current = part
        else:
            current = candidate
    lines.append(current)
    return "\n".join(lines)

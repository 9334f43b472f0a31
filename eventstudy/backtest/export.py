"""A backtest's output files, written beside the study's files in one output folder.

:func:`backtest_writers` gives the writers of ``trades.parquet``, ``backtest.parquet``,
``drift.parquet``, ``backtest.md`` and ``figures/equity_curve.png``; ``eventstudy run`` adds
them to the study's own (:func:`eventstudy.output.export.save_study`), and :func:`save_backtest`
(``eventstudy backtest``) publishes them into a folder on their own or beside an earlier
study's files, re-rendering that study's report. Either way the whole folder is replaced in
one atomic exchange (:func:`eventstudy.output.folder.publish`), never file by file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eventstudy.backtest.engine import BacktestResults
from eventstudy.backtest.report import FIGURE_NAME, METADATA_KEY, plot_equity_curve, render_backtest_section
from eventstudy.output.export import write_files, write_json, write_parquet
from eventstudy.output.folder import Guard, output_files, publish, read_manifest
from eventstudy.report.figures import png_bytes
from eventstudy.report.write import is_report_file

OUTPUT_FILES: tuple[str, ...] = (
    "trades.parquet",
    "backtest.parquet",
    "drift.parquet",
    "backtest.md",
    FIGURE_NAME,
)


def backtest_writers(results: BacktestResults) -> dict[str, Callable[[Path], None]]:
    """File name -> writer of every backtest output (rendered in memory first)."""
    metadata = {METADATA_KEY: json.dumps(results.metadata(), sort_keys=True)}
    markdown = render_backtest_section(results.trades, results.curve, results.drift, results.metadata())
    title = f"{results.study_name}: {results.config.describe()}"
    png = png_bytes(plot_equity_curve(results.curve, results.market, title=_wrap(title)))
    return {
        "trades.parquet": lambda p: write_parquet(results.trades, p, metadata),
        "backtest.parquet": lambda p: write_parquet(results.curve, p, metadata),
        "drift.parquet": lambda p: write_parquet(results.drift, p, metadata),
        "backtest.md": lambda p: p.write_bytes(markdown.encode("utf-8")),
        FIGURE_NAME: lambda p: p.write_bytes(png),
    }


def save_backtest(
    results: BacktestResults, out_dir: str | Path, *, guard: Guard, manifest: Mapping[str, Any]
) -> Path:
    """Publish the backtest's files into ``out_dir``.

    A folder holding a study's outputs keeps them: they are carried into the new folder, the
    manifest records the backtest rule (for ``eventstudy verify``) and the report is
    re-rendered with the backtest section. A new or empty folder gets the backtest's files and
    ``manifest`` (what ``eventstudy verify`` needs to re-run the backtest alone).
    """
    out_dir = Path(out_dir)
    existing = output_files(out_dir)
    study = "car.parquet" in existing
    # The study's tables and manifest are kept; its report and figures are rendered anew.
    keep = [n for n in existing if n not in OUTPUT_FILES and not (study and is_report_file(n))]
    base = (read_manifest(out_dir) or {}) if study else dict(manifest)

    def build(staging: Path) -> None:
        write_files(staging, backtest_writers(results))
        updated = {key: value for key, value in base.items() if key != "files"}
        updated["backtest"] = results.config.to_dict()
        write_json(updated, staging / "manifest.json")
        if study:
            from eventstudy.report import render_report

            render_report(staging)

    return publish(out_dir, build, guard=guard, carry=keep)


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

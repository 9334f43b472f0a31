"""Write a backtest's outputs into a study's output folder, beside the study's own files.

``trades.parquet``, ``backtest.parquet``, ``drift.parquet``, ``backtest.md`` and
``figures/equity_curve.png`` are written into ``out_dir`` without touching anything else in
it (unlike :func:`eventstudy.export.write_outputs`, which replaces the whole folder). Every
file is first written in full to a temporary file beside its target and fsynced; only when all
of them are complete are they renamed over their targets, one rename each. A failure before the
renames removes the temporary files and leaves the folder as it was; no reader ever sees a
partially written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from eventstudy.backtest.engine import BacktestResults
from eventstudy.backtest.report import FIGURE_NAME, METADATA_KEY, plot_equity_curve, render_backtest_section
from eventstudy.export import write_parquet

OUTPUT_FILES: tuple[str, ...] = (
    "trades.parquet",
    "backtest.parquet",
    "drift.parquet",
    "backtest.md",
    FIGURE_NAME,
)


def save_backtest(results: BacktestResults, out_dir: str | Path) -> list[Path]:
    """Write the backtest's files into ``out_dir`` (created if needed); returns their paths."""
    metadata = {METADATA_KEY: json.dumps(results.metadata(), sort_keys=True)}
    markdown = render_backtest_section(results.trades, results.curve, results.drift, results.metadata())
    title = f"{results.study_name}: {results.config.describe()}"
    png = plot_equity_curve(results.curve, results.market, title=_wrap(title))
    writers: dict[str, Callable[[Path], None]] = {
        "trades.parquet": lambda p: write_parquet(results.trades, p, metadata),
        "backtest.parquet": lambda p: write_parquet(results.curve, p, metadata),
        "drift.parquet": lambda p: write_parquet(results.drift, p, metadata),
        "backtest.md": lambda p: p.write_bytes(markdown.encode("utf-8")),
        FIGURE_NAME: lambda p: p.write_bytes(png),
    }
    return write_files_atomically(Path(out_dir), writers)


def write_files_atomically(out_dir: Path, writers: Mapping[str, Callable[[Path], None]]) -> list[Path]:
    """Write each file of ``writers`` (relative name -> writer) into ``out_dir``, all complete or none.

    Other files in ``out_dir`` are left alone. Temporary files are named ``.<name>.*.tmp``.
    """
    created_dirs = [d for d in {(out_dir / name).parent for name in writers} if not d.exists()]
    staged: list[tuple[Path, Path]] = []
    try:
        for name, write in writers.items():
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            os.close(descriptor)
            os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
            staged.append((Path(temporary), target))
            write(Path(temporary))
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
        for temporary, target in staged:
            os.replace(temporary, target)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for folder in sorted(created_dirs, key=lambda d: len(d.parts), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    return [target for _, target in staged]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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

"""Another commit of the project beside this tree, for the benchmarks that compare the two."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def checked_out(commit: str, folder: Path) -> Iterator[Path]:
    """``commit`` checked out into a temporary ``git worktree`` at ``folder`` (run it with
    ``PYTHONPATH`` on the folder; the project's venv supplies the dependencies), removed when
    the block ends."""
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(folder), commit], cwd=ROOT, check=True, capture_output=True
    )
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False)

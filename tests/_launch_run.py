"""The launch study run once per test process (with the default peers), shared by report tests.

Tests must treat the folder as read-only: copy it (:func:`copy_output`) before changing it.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from eventstudy.cli import main

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def launch_output(cache: str) -> Path:
    """Output folder of ``eventstudy run --config launch.toml --offline`` on ``cache``."""
    scratch = Path(tempfile.mkdtemp(prefix="eventstudy-launch-run."))
    atexit.register(shutil.rmtree, scratch, True)
    out = scratch / "ai-deal-wave-2025"
    args = ["run", "--events", str(ROOT / "events.csv"), "--config", str(ROOT / "launch.toml"), "--offline"]
    status = main([*args, "--cache", cache, "--out", str(out)])
    if status != 0:
        raise RuntimeError(f"the launch study failed with status {status}")
    return out


def copy_output(cache: str, target: Path) -> Path:
    """A private copy of the launch output folder at ``target``."""
    shutil.copytree(launch_output(cache), target)
    return target

"""Progress bars for long runs: shown on a terminal, silent in CI, pipes and log files.

A bar is drawn (with :mod:`tqdm`, on stderr) only when stderr is a terminal and the ``CI``
environment variable is unset or empty; otherwise :func:`progress` returns the iterable
unchanged, so nothing is written and output captured by a pipe stays clean.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def interactive() -> bool:
    """True when stderr is a terminal and ``CI`` is not set."""
    stream = sys.stderr
    try:
        tty = stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        tty = False
    return bool(tty) and not os.environ.get("CI")


def progress(items: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate over ``items`` with a progress bar when :func:`interactive`.

    Parameters
    ----------
    items
        What to iterate over.
    desc
        Label printed before the bar (e.g. ``"fetching"``).
    total
        Number of items, when ``items`` has no ``len``.
    unit
        Name of one item (e.g. ``"symbol"``).
    """
    if not interactive():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(
        items, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True
    )

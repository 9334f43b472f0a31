"""Other libraries' log lines kept off the terminal while they run for this package.

yfinance and Dask log their failures themselves (tracebacks, reconnection attempts) before the
exception reaches the command, which says the failure in one line of its own: :func:`quieted`
silences their loggers for the block and restores them after.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


@contextmanager
def quieted(loggers: Iterable[logging.Logger]) -> Iterator[None]:
    """``loggers`` silent while the block runs (each one's level above CRITICAL, and disabled),
    each level and switch restored on exit, an exception's too. A logger created meanwhile below
    one of them inherits the level."""
    chosen = list(loggers)
    saved = [(logger.level, logger.disabled) for logger in chosen]
    for logger in chosen:
        logger.setLevel(logging.CRITICAL + 1)
        logger.disabled = True
    try:
        yield
    finally:
        for logger, (level, disabled) in zip(chosen, saved, strict=True):
            logger.setLevel(level)
            logger.disabled = disabled

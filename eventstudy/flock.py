"""Taking an ``flock`` within a time limit: the output folders' writer lock and the cache's batch
lock (exclusive for a writer, shared for readers) poll for it rather than block without end."""

from __future__ import annotations

import fcntl
import time

POLL_SECONDS = 0.05
"""How often a waiting process tries the lock again."""


def flock_within(descriptor: int, operation: int, timeout: float) -> bool:
    """Take the ``flock`` ``operation`` (``fcntl.LOCK_EX`` or ``fcntl.LOCK_SH``) on the open file
    ``descriptor``, trying every :data:`POLL_SECONDS` for up to ``timeout`` seconds (0: once):
    True when it is held, False when another holder kept it that long. Closing the descriptor
    releases it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, operation | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)  # polling a lock, not synchronising a test

"""Where a cache is: a folder on this machine or an fsspec URL (``s3://bucket/cache``).

A ``file://`` URL names a folder of this machine from the root (RFC 8089): ``file:///x`` and
``file://localhost/x`` are the folder ``/x``. ``file://host/x`` names a folder of another host;
taken as a path it was ``./host/x``, a folder the user never named, so it is refused.

Module-level imports are the standard library only: the command line reads ``--cache`` before
it loads pandas, and the data layer opens the cache with the same rules.
"""

from __future__ import annotations

import re
from pathlib import Path


def is_url(location: str | Path) -> bool:
    """True for ``protocol://...`` other than ``file://`` (a local folder is a path or a file URL)."""
    return "://" in str(location) and not str(location).startswith("file://")


def local_folder(location: str | Path) -> str:
    """The folder ``location`` names on this machine: the text as it is, or a file URL's path.

    Raises
    ------
    ValueError
        For a file URL of another host (``file://host/x``).
    """
    text = str(location)
    folder = re.sub(r"^file://(localhost)?", "", text)
    if text.startswith("file://") and not folder.startswith("/"):
        raise ValueError("a file URL names a folder from the root: file:///path")
    return folder

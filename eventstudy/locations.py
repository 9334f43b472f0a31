"""Where a cache is: a folder on this machine or an fsspec URL (``s3://bucket/cache``).

A ``file://`` URL names a folder of this machine from the root (RFC 8089): ``file:///x`` and
``file://localhost/x`` are the folder ``/x``. ``file://host/x`` names a folder of another host;
taken as a path it was ``./host/x``, a folder the user never named, so it is refused.

Module-level imports are the standard library only: the command line reads ``--cache`` before
it loads pandas, and the data layer opens the cache with the same rules.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath


def is_url(location: str | Path) -> bool:
    """True for ``protocol://...`` other than a file URL (a local folder is a path or a file URL)."""
    return "://" in str(location) and not is_file_url(location)


def is_file_url(location: str | Path) -> bool:
    """True for a ``file:`` URL, its scheme in any case (``FILE:///x``)."""
    return str(location)[:5].lower() == "file:"


def local_folder(location: str | Path) -> str:
    """The folder ``location`` names on this machine: the text as it is, or a file URL's path
    (``file:/x``, ``file:///x``, ``file://localhost/x``, percent-escapes decoded: ``my%20cache``
    is ``my cache``).

    Raises
    ------
    ValueError
        For a file URL of another host (``file://host/x``), one whose path is not from the root
        (``file:x``), with a query or fragment, or naming the root of the file system (``/``:
        a cache's folders would be made there); for the root given as a path, too.
    """
    text = str(location)
    folder = text
    if is_file_url(text):
        from urllib.parse import unquote, urlsplit

        url = urlsplit(text)
        if url.netloc.lower() not in ("", "localhost") or not url.path.startswith("/"):
            raise ValueError("a file URL names a folder from the root of this machine: file:///path")
        if url.query or url.fragment or text.endswith(("?", "#")):
            raise ValueError("a file URL of a folder has no query (?) or fragment (#)")
        folder = unquote(url.path)
    if folder and not folder.strip("/"):
        raise ValueError("the root of the file system is not a cache folder")
    return folder


def write_path_problem(path: str | Path) -> str | None:
    """What makes ``path`` surely a mistake as a place to write (an output folder or file, a
    cache), or None: empty; starting with ``~``, which no shell expanded (a quoted ``'~/x'`` made a
    folder named ``~`` here, which a later ``rm -rf ~`` takes for the home folder); a name that is
    blank or holds a control, invisible (:data:`eventstudy.text.CONTROL`) or line-breaking
    character (a line break split the command's one-line messages, a U+202E reversed the name
    shown, a U+200B made a name of nothing). A folder that exists already is the user's: its name
    may hold any space but a line break (a non-breaking or ideographic space; a cache in such a
    folder was refused). A name the tool makes holds no variation selector either (U+FE0F after
    a letter is drawn as nothing; text keeps them, for emoji)."""
    from eventstudy.text import CONTROL

    text = str(path)
    if text == "":
        return "an empty path names nothing; name a new folder or file"
    parts = PurePath(text).parts
    if parts and parts[0].startswith("~"):
        return (
            "starts with '~', which was not expanded to a home folder (a folder named '~' would be made "
            "here); give the path in full"
        )
    made = False  # from the first name that does not exist, the names the tool would make
    for depth, part in enumerate(parts, start=1):
        made = made or not _exists(PurePath(*parts[:depth]))
        shown = _shown(part)
        if not part.strip() or CONTROL.search(part) or "\u2028" in part or "\u2029" in part:
            return f"the name {shown} is blank or holds a control, invisible or line-breaking character"
        if made and any((c.isspace() and c != " ") or _SELECTOR.fullmatch(c) for c in part):
            return (
                f"the name {shown} holds a space other than ' ' or a variation selector, which a name the "
                "tool makes may not (an existing folder's may)"
            )
    return None


_SELECTOR = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
"""The variation selectors: drawn as nothing after a letter."""


def _shown(name: str) -> str:
    """``name`` quoted, each character but letters, digits and printable ASCII escaped as Python
    writes it (a refused U+3164 or U+FE0F was echoed as nothing)."""
    kept = (c if (c.isascii() and c.isprintable()) or c.isalnum() else ascii(c)[1:-1] for c in name)
    return "'" + "".join(kept) + "'"


def _exists(path: PurePath) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):  # a name too long for the system
        return False

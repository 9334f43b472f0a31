"""Files that are not text: compressed files and workbooks, told by their first bytes.

A user's ``events.csv.gz``, an events file saved from Excel as ``.xlsx`` (a zip archive) or a
config file zipped for mail reads as bytes that are not UTF-8; saying "not UTF-8 text (byte
0x8b: Latin-1 or Windows-1252?); re-save the file as UTF-8" sends the user the wrong way (a
finder). Every reader of a text file asks :func:`not_text` first.
"""

from __future__ import annotations

__all__ = ["NOT_TEXT", "not_text", "packed"]

NOT_TEXT: dict[bytes, tuple[str, str]] = {
    b"\x1f\x8b": ("a gzip-compressed file", "decompress it first (gunzip)"),
    b"BZh": ("a bzip2-compressed file", "decompress it first (bunzip2)"),
    b"\xfd7zXZ\x00": ("an xz-compressed file", "decompress it first (unxz)"),
    b"\x28\xb5\x2f\xfd": ("a zstd-compressed file", "decompress it first (unzstd)"),
    b"PK\x03\x04": ("a zip archive (an Excel .xlsx workbook?)", "unzip it, or save the sheet as CSV (UTF-8)"),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": ("an Excel .xls workbook", "save the sheet as CSV (UTF-8)"),
}
"""What a file is and the way out, by its first bytes (the formats' magic numbers)."""


def packed(head: bytes) -> tuple[str, str] | None:
    """What a file beginning with ``head`` is and the way out, or None when its first bytes are
    none of :data:`NOT_TEXT`'s."""
    return next((said for magic, said in NOT_TEXT.items() if head.startswith(magic)), None)


def not_text(head: bytes) -> str | None:
    """What a file beginning with ``head`` is and the way out (``"a gzip-compressed file, not
    text: decompress it first (gunzip)"``), or None (:func:`packed`)."""
    said = packed(head)
    return None if said is None else f"{said[0]}, not text: {said[1]}"

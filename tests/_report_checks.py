"""Structural checks of report.md and report.html that hold whatever text the user supplied.

* :func:`check_markdown`: every table row has its header's number of cells (a ``|`` of the
  user's cannot add one and a newline cannot end a row), every heading is one of the tool's,
  and the only HTML is the tool's own ``<details>``/``<summary>``.
* :func:`check_html`: parsed with the standard library's HTML parser, the page has exactly the
  tool's one ``<script>``, one ``<img>`` per figure (all ``data:`` URIs), no event-handler
  attribute anywhere, and every table row has as many cells as its header.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from eventstudy.output import folder as outdir

_UNESCAPED_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")
_HEADING = re.compile(
    r"^(# Event study: .*|## [A-Z][A-Za-z0-9 ,()'.:×?-]*"
    r"|### (Post-announcement drift|Trades|Backtest method))$"
)
_TAG = re.compile(r"(?<!\\)(?:\\\\)*<(/?[A-Za-z][A-Za-z0-9]*)")
MARKDOWN_TAGS = frozenset({"details", "/details", "summary", "/summary"})


def markdown_cells(line: str) -> int:
    """Cells of a markdown table row: pipes not escaped by a backslash, minus one."""
    return len(_UNESCAPED_PIPE.findall(line)) - 1


def check_markdown(text: str) -> None:
    lines = text.split("\n")
    headings = [line for line in lines if line.startswith("#")]
    assert all(_HEADING.match(h) for h in headings), [h for h in headings if not _HEADING.match(h)]
    width = None
    for line in lines:
        if line.startswith("|"):
            width = markdown_cells(line) if width is None else width
            assert markdown_cells(line) == width, line
        else:
            width = None
    tags = set(_TAG.findall(text))
    assert tags <= MARKDOWN_TAGS, tags


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.images: list[str] = []
        self.tables: list[list[list[str]]] = []  # per table, per row, the cell tags
        self.script = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [(tag, name) for name, _ in attrs if name.lower().startswith("on")]
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append(tag)
        elif tag == "script":
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script += data


def parse_html(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def check_html(text: str, n_figures: int) -> _Page:
    page = parse_html(text)
    assert page.tags.count("script") == 1, page.tags.count("script")
    assert "document.querySelectorAll" in page.script  # the tool's table sorting, nothing else
    assert not page.handlers, page.handlers
    assert len(page.images) == n_figures and all(s.startswith("data:image/png;base64,") for s in page.images)
    for table in page.tables:
        header = len(table[0])
        assert all(len(row) == header for row in table[1:]), [len(row) for row in table]
    return page


def older_copy(folder: Path, target: Path, key: str) -> Path:
    """A copy of output ``folder`` at ``target`` as an older version wrote it: without the
    manifest's record ``key``, resealed."""
    shutil.copytree(folder, target)
    manifest = json.loads((target / "manifest.json").read_text())
    del manifest[key]
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    resealed(target)
    return target


def resealed(folder: Path, **recorded: object) -> None:
    """Record every file's hash again and seal the manifest (a plain SHA-256, which anyone can),
    with the manifest's keys ``recorded`` set (``git_commit="..."``: another commit wrote it)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(recorded)
    for name, entry in manifest["files"].items():
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if isinstance(entry, dict):
            entry[next(k for k in entry if "sha" in k)] = digest
        else:
            manifest["files"][name] = digest
    manifest["manifest_sha256"] = outdir.manifest_seal(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))

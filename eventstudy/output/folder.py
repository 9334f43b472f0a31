"""Publish an output folder: only over a folder of ours, all or nothing, one writer at a time.

Every command that writes results (``run``, ``backtest``, ``report``) builds the complete new
folder in a staging folder beside the target and then swaps it into place with one atomic
exchange (Linux ``renameat2(RENAME_EXCHANGE)``): at every instant the target is either the
previous complete output or the new complete output. The rules, each enforced before anything
is written:

* **Never over the user's files.** A target is replaced only when it does not exist, is an
  empty folder, or is recognisably a previous output of this tool: its ``manifest.json``
  records every file the tool wrote there with its SHA-256 (:data:`FILES_KEY`), the folder
  holds nothing else, and no file was changed since. Anything else (a document, a sub-folder,
  an edited report) is refused with one line naming the folder and why; nothing is touched.
* **Never a dangerous target.** The target may not be a symbolic link or a file, may not be or
  contain the cache or the project's own folder, and may not be the working directory or one
  of its ancestors. Deletion never follows symbolic links.
* **One writer at a time.** Writers to folders of one parent take an exclusive ``flock`` on
  the parent folder (no lock file is left behind); a second writer waits, saying so once, and
  gives up with one line after :data:`LOCK_TIMEOUT` seconds.
* **Nothing half-written.** A failure (disk full, a bug, Ctrl-C) removes the staging folder;
  a ``kill -9`` may leave one behind, named ``.<name>.eventstudy-<token>.partial``, which the
  next writer to that target removes -- when it is recognisably the tool's: empty, holding the
  staging mark :data:`STAGING_MARK` (written first, removed last) beside nothing but what a build
  writes, or a manifest of this tool. A user's folder that merely has such a name is left alone,
  and no target may have such a name. Files are fsynced before the
  exchange.

The manifest's ``files`` record also lets ``eventstudy verify`` reject a folder whose files do
not come from one run (:func:`check_recorded_files`).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eventstudy.errors import INTERRUPT_REQUESTED, InputError, ctrl_c_held
from eventstudy.flock import flock_within
from eventstudy.locations import write_path_problem

MANIFEST = "manifest.json"
FILES_KEY = "files"
"""Key of ``manifest.json`` listing every other file of the folder (relative POSIX path ->
SHA-256 of its bytes)."""
PACKAGE = "eventstudy-backtester"
"""This package's distribution name: a run's manifest records its version under it."""
LOCK_TIMEOUT = 600.0
"""Seconds a writer waits for another writer of the same parent folder before giving up."""

SEAL_KEY = "manifest_sha256"
"""The manifest's key holding the SHA-256 of the rest of it (:func:`manifest_seal`): an edit of the
manifest itself is told from the run's record as an edit of any file is (the report read an
edited ``model: null`` and ended in a traceback)."""

OUTPUT_NAME = re.compile(
    r"[a-z][a-z0-9_]*\.(?:parquet|csv|md|html|tex)|figures/[A-Za-z0-9][A-Za-z0-9_.-]*\.png"
)
"""The names eventstudy writes in an output folder (besides the manifest): a recorded file of
another name (``thesis.txt`` in a manifest written by hand) is never taken for an output."""

MAX_NAME_BYTES = 255
"""The longest file name of Linux, macOS and Windows file systems (ext4, APFS, NTFS), in bytes."""
_SUFFIXES = ("partial", "old")
STAGING_MARK = ".eventstudy-staging"
"""Empty file that marks a staging (or retiring) folder as the tool's until the folder is
published or removed: the first file written in it, the last removed."""
_TOKEN = re.compile(r"[a-z0-9]{12}")
INTERRUPTED = "the unfinished output of an interrupted run: the next run into its folder removes it"
"""What a folder holding :data:`STAGING_MARK` is (a run killed while writing it)."""

_KILL_ENV = "EVENTSTUDY_TEST_KILL_AT"
"""Test seam: when this variable names a step passed to :func:`checkpoint`, the process
kills itself there with SIGKILL (used by the kill -9 tests; never set in normal use)."""


class OutputFolderError(InputError):
    """The output folder cannot be written without risking files the tool did not write."""

    def __init__(self, folder: str | Path, message: str) -> None:
        super().__init__(str(folder), message)


def checkpoint(step: str) -> None:
    """Kill this process with SIGKILL when the environment asks for it at ``step`` (tests)."""
    if os.environ.get(_KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class Guard:
    """Places an output folder must not be, contain or lie inside.

    Attributes
    ----------
    protected
        Folders the output may neither be nor contain (the cache; the project's own checkout,
        whose ``reports/`` sub-folders are fine).
    sealed
        Folders the output may neither be, contain nor lie inside (the cache's own folders).
    cwd
        The working directory: the output may not be it or one of its ancestors.
    """

    protected: tuple[Path, ...] = ()
    sealed: tuple[Path, ...] = ()
    cwd: Path = field(default_factory=Path.cwd)

    @classmethod
    def for_cache(cls, cache: str | Path | None) -> Guard:
        """The guard of a run on ``cache``: the cache, the project checkout, the working directory.

        The output may not be or contain the cache or the project checkout, nor lie inside one of
        the cache's stores (:data:`eventstudy.data.store.KINDS`: ``prices/``, ``returns/``,
        ``earnings/``, ..., whether made yet or not) or its lock folder.
        """
        import eventstudy
        from eventstudy.data.store import KINDS, LOCKS

        project = Path(eventstudy.__file__).resolve().parents[1]  # the folder holding the package
        # A source checkout (not an installed wheel) is protected as a whole.
        protected = [project] if (project / "pyproject.toml").is_file() else []
        sealed: list[Path] = []
        if cache is not None and "://" not in str(cache):  # a cache at a URL is not a folder here
            protected.append(Path(cache))
            sealed = [Path(cache) / kind for kind in (*KINDS, LOCKS)]
        return cls(tuple(protected), tuple(sealed), Path.cwd())


def check_target(folder: str | Path, guard: Guard) -> Path:
    """Refuse a dangerous output path; returns it as a :class:`Path` (not resolved; one holding
    ``..`` placed where the kernel puts it, :func:`_placed`).

    Raises
    ------
    OutputFolderError
        When ``folder`` is a symbolic link or not a folder, is or contains a protected folder or
        lies inside one, lies inside an output folder of this tool (whose record it would break),
        is the working directory or one of its ancestors, ends in ``..``, is named as the tool's
        staging and retired folders are, or has a name too long for its staging folder's
        (:data:`MAX_NAME_BYTES`).
    """
    problem = write_path_problem(folder)
    if problem:
        raise OutputFolderError(repr(str(folder)), problem)
    folder = Path(_placed(folder))  # every check where the folder will be (a path with '..')
    if folder.name in ("", ".", ".."):
        raise OutputFolderError(
            folder,
            "ends in '.', '..' or '/', which names no folder of its own: an output folder is replaced "
            "whole, so name it by its name from a folder outside it",
        )
    if _MARKED_NAME.fullmatch(folder.name):  # a run into its sibling would remove it, or put it back there
        raise OutputFolderError(
            folder,
            "is named as eventstudy names its unfinished and retired outputs (.NAME.eventstudy-<token>."
            "partial or .old), which a run into NAME removes or restores: choose another name",
        )
    longest = MAX_NAME_BYTES - len(f"..eventstudy-{'0' * 12}.partial")
    if len(os.fsencode(folder.name)) > longest:  # the staging folder's name must fit the system's
        raise OutputFolderError(folder, f"its name is longer than {longest} bytes; name a shorter folder")
    try:
        if folder.is_symlink():
            raise OutputFolderError(
                folder, "is a symbolic link; name a real folder (links are never followed)"
            )
        if folder.exists() and not folder.is_dir():
            raise OutputFolderError(folder, "exists and is not a folder; write to another folder")
        blocking = blocked_at(folder.parent)  # Path("out").parent is Path(".")
        if blocking is not None:  # before the study is computed (a dangling link was found after it)
            raise OutputFolderError(*blocking)
        real = _resolved(folder)
    except OSError as exc:  # e.g. a path longer than the system allows
        raise OutputFolderError(folder, f"cannot be used: {exc.strerror or exc}") from None
    cwd = _resolved(guard.cwd)
    if real == cwd or real in cwd.parents:
        raise OutputFolderError(
            folder,
            "is the working directory or one of its ancestors: an output folder is replaced whole, so "
            "work from a folder outside it",
        )
    for protected in guard.protected:
        shielded = _resolved(protected)
        if real == shielded or real in shielded.parents:
            raise OutputFolderError(folder, f"is or contains {protected}, which the tool must not replace")
    for sealed in guard.sealed:
        shielded = _resolved(sealed)
        if real == shielded or real in shielded.parents or shielded in real.parents:
            raise OutputFolderError(folder, f"is, contains or lies inside the cache folder {sealed}")
    store = cache_store_around(real)
    if store is not None:
        raise OutputFolderError(folder, f"is or lies inside the cache folder {store}")
    owner = _output_folder_among(real.parents)  # the folder itself may be one: it is replaced
    if owner is not None:
        raise OutputFolderError(folder, f"lies inside {owner}, {_AN_OUTPUT}; name a place of its own")
    return folder


_AN_OUTPUT = "an output folder of eventstudy"


def _output_folder_among(folders: Sequence[Path]) -> Path | None:
    """The first of ``folders`` that is an output folder of this tool (its manifest), or None."""
    for folder in folders:
        manifest = read_manifest(folder)
        if manifest is not None and _written_by_eventstudy(manifest):
            return folder
    return None


def cache_store_around(path: Path) -> Path | None:
    """The store or lock folder of a cache (``prices/``, ..., ``.locks/`` beside a ``.locks/``
    folder) that the resolved ``path`` is or lies inside, or None.

    Found from the path itself, whatever cache a run names: a study saved from Python after a
    change of directory, or loaded from a folder that records its cache relative to another
    directory, is never written into a store."""
    from eventstudy.data.store import KINDS, LOCKS

    for folder in (path, *path.parents):
        if folder.name in (*KINDS, LOCKS) and (folder.parent / LOCKS).is_dir():
            return folder
    return None


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(path))


def blocked_at(folder: Path) -> tuple[Path, str] | None:
    """The first of ``folder`` and the folders above it that is a file or a link to nothing, and
    what it is, or None: an output cannot go under it (a run and ``infer --out`` say the same)."""
    for path in (folder, *folder.parents):
        if path.is_symlink() and not path.exists():
            what = "a link to nothing (a dangling link)"
            try:
                path.stat()
            except OSError as exc:  # a loop of links was called a link to nothing (a re-attack)
                what = "a loop of links" if exc.errno == errno.ELOOP else what
            return path, f"is {what}, not a folder: no output can go under it"
        if path.exists():
            return None if path.is_dir() else (path, "is a file, not a folder: no output can go under it")
    return None


def check_apart(path: str | Path) -> Path:
    """Refuse a cache or a new table inside a folder of the tool's own; returns ``path`` as a Path.

    An output folder holds only what its run recorded (a file added there makes the next run
    refuse it and ``verify`` reject it); a cache's stores hold only its own files. The cache is
    recognised by its lock folder (:data:`eventstudy.data.store.LOCKS`), made by every write.

    Raises
    ------
    OutputFolderError
        When ``path`` is or lies inside an output folder of this tool, or is or lies inside one
        of a cache's stores (``prices/``, ``shares/``, ..., ``.locks/``).
    """
    try:
        real = _resolved(Path(path))
        owner = _output_folder_among([real, *real.parents])
        if owner is not None:
            raise OutputFolderError(path, f"is or lies inside {owner}, {_AN_OUTPUT}; name a place of its own")
        store = cache_store_around(real)
    except OSError as exc:  # e.g. a name longer than the system allows
        raise OutputFolderError(path, f"cannot be used: {exc.strerror or exc}") from None
    if store is not None:
        where = f"{store}, a folder of the cache {store.parent}"
        raise OutputFolderError(path, f"is or lies inside {where}; name a place of its own")
    return Path(path)


@dataclass(frozen=True)
class WayOut:
    """What a refusal of an output folder advises, by the kind of refusal.

    A command that writes a new output (``run``, ``backtest``, :func:`save_study`) may write
    elsewhere (:data:`NEW_OUTPUT`). ``eventstudy report`` renders a folder in place: another
    folder is no way out for it, nor is moving an edited table away (then it is missing), so it
    advises putting back what eventstudy wrote or running the study again (:data:`IN_PLACE`).
    """

    entries: str
    """Of entries eventstudy did not write, or changed since: ``{them}`` is "it" or "them"."""
    not_output: str
    """Of a folder that is not an output of eventstudy (no readable manifest, or one it did not write)."""
    elsewhere: str
    """The other choice to making a folder that cannot be replaced replaceable (read-only, sticky bit)."""
    moved: str | None = None
    """Of entries that need only be moved away (``{them}``): the user's, and files of eventstudy's
    that the caller writes again (``rewritten``); None: :attr:`entries` of every entry."""
    rewritten: Callable[[str], bool] = lambda name: False

    def of(self, names: Sequence[str], changed: Sequence[str]) -> str:
        """The way out of ``names`` (what is in the way); ``changed`` are the files of
        eventstudy's that are not there as it wrote them (changed, a link in their place, or
        missing once ``names`` are moved away): :attr:`moved` when the caller writes each of those
        again (the user's files, and files the caller writes, need only be moved away)."""
        them = "it" if len(names) == 1 else "them"
        if self.moved is not None and all(map(self.rewritten, changed)):
            return self.moved.format(them=them)
        return self.entries.format(them=them)

    def rewriting(self, rewritten: Callable[[str], bool]) -> WayOut:
        """This way out for a caller that writes again the files ``rewritten`` says it does."""
        return replace(self, rewritten=rewritten)


NEW_OUTPUT = WayOut(
    entries="move {them} away or write to another folder",
    not_output="choose an empty or new folder",
    elsewhere="write to another folder",
)
_RERUN = "re-run the study (eventstudy run) into a new folder"
_RESTORE = (
    "move away what eventstudy did not write and put back what it did (eventstudy verify names both), "
    f"or {_RERUN}"
)
IN_PLACE = WayOut(
    entries=_RESTORE,
    not_output=f"put back the {MANIFEST} eventstudy wrote, or {_RERUN}",  # verify names no manifest
    elsewhere=_RERUN,
    moved=f"move {{them}} away, or {_RERUN}",
)


def check_replaceable(folder: Path, way_out: WayOut = NEW_OUTPUT) -> None:
    """Refuse unless ``folder`` is absent, empty, or an unchanged output of this tool; the
    refusal ends with ``way_out``.

    Raises
    ------
    OutputFolderError
        Naming the folder and the first thing in it the tool did not write (or changed since).
    """
    _check_writable_parent(folder)
    if not folder.exists():
        return
    _check_contents(folder, way_out)
    _check_removable(folder, way_out)


def _check_contents(folder: Path, way_out: WayOut) -> None:
    """:func:`check_replaceable` of an existing ``folder``'s contents: empty, or exactly an output
    of this tool (recorded files missing allowed)."""
    if (folder / STAGING_MARK).is_file():
        if not _marked(folder):  # no run removes it: only a staging folder's mark is the tool's
            raise OutputFolderError(
                folder,
                f"holds {STAGING_MARK}, eventstudy's mark of an unfinished output, which eventstudy did "
                f"not write for it: delete the mark (or the folder, if it is a copy), or {way_out.elsewhere}",
            )
        raise OutputFolderError(folder, f"is {INTERRUPTED}")
    standing = standing_in(folder / MANIFEST)
    if standing is not None:  # never read: said as what it is (it read as "no readable manifest")
        raise OutputFolderError(folder, f"{MANIFEST!r} is {standing}, not the file eventstudy wrote; "
                                f"{way_out.not_output}")  # fmt: skip
    manifest = read_manifest(folder)
    if manifest is None and (folder / MANIFEST).is_file():  # it read as "the folder holds ar.parquet
        # and 19 more, which eventstudy did not write" (a re-attack)
        said = f"{MANIFEST!r} is not a manifest eventstudy wrote (no JSON object, or larger than any study's)"
        raise OutputFolderError(folder, f"{said}; {way_out.not_output}")
    if manifest is None:
        # A few entries tell a folder of the user's: `--out ~` walked 238,601 files to refuse.
        seen = sorted(itertools.islice(_walk(folder), _LISTED + 1))
        if not seen:
            return
        first, rest = seen[0], min(len(seen) - 1, _LISTED)
        more = f" and {rest}{'+' if len(seen) > _LISTED else ''} more" if rest else ""
        raise OutputFolderError(
            folder,
            f"is not empty and is not an output folder of eventstudy (no readable {MANIFEST}): it holds "
            f"{first!r}{more}, which eventstudy did not write there; {way_out.not_output}",
        )
    entries = _entries(folder)  # holds manifest.json at least: it was just read
    recorded = manifest.get(FILES_KEY)
    if not isinstance(recorded, Mapping):
        raise OutputFolderError(
            folder,
            f"has a {MANIFEST} without a record of its files' hashes (an older version of eventstudy, "
            f"or not eventstudy): an edited file could not be told from an output; {way_out.not_output}",
        )
    if not recorded or not _written_by_eventstudy(manifest):
        raise OutputFolderError(
            folder,
            f"has a {MANIFEST} that eventstudy did not write (it records "
            + ("no file" if not recorded else "no eventstudy version")
            + f"); {way_out.not_output}",
        )
    if manifest_edited(manifest):  # moved away, the folder is no output: the folder's way out
        said = f"{MANIFEST!r} was changed since eventstudy wrote it; {way_out.not_output}"
        raise OutputFolderError(folder, said)
    _check_recorded(folder, entries, recorded, way_out)


def _check_writable_parent(folder: Path) -> None:
    """Refuse before any work where the output cannot be made: its nearest existing parent
    folder must take a new entry (the staging folder, then the swap)."""
    parent = next(p for p in (folder.absolute().parent, *folder.absolute().parents) if p.exists())
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFolderError(folder, f"cannot be written: {parent} is read-only to this user")


def _check_removable(folder: Path, way_out: WayOut) -> None:
    """Refuse an output whose folders are read-only to this user (``chmod a-w``): replacing it
    removes its files, which such a folder refuses, and a run found that only after computing
    the study, leaving the half-removed output behind. Root, who may change anything, passes."""
    parent, me = folder.absolute().parent, os.geteuid()
    above = parent.stat()
    if above.st_mode & stat.S_ISVTX and me != 0 and me not in (above.st_uid, folder.stat().st_uid):  # /tmp
        raise OutputFolderError(
            folder,
            f"belongs to another user in {parent}, where only a folder's owner may replace it (the "
            f"sticky bit); {way_out.elsewhere}",
        )
    for root, _, _ in os.walk(folder, followlinks=False):
        if not os.access(root, os.W_OK | os.X_OK):
            where = Path(root).relative_to(folder).as_posix()
            what = "is read-only" if where == "." else f"holds {where + '/'!r}, which is read-only"
            raise OutputFolderError(
                folder,
                f"{what} to this user: a run replaces the whole folder, removing its files; make it "
                f"writable (chmod -R u+w) or {way_out.elsewhere}",
            )


def manifest_seal(manifest: Mapping[str, Any]) -> str:
    """The SHA-256 of ``manifest`` without :data:`SEAL_KEY`, as canonical JSON (sorted keys, the
    values as read back from the file, so a manifest's seal is the same before and after it is
    written)."""
    body = json.loads(json.dumps({k: v for k, v in manifest.items() if k != SEAL_KEY}, default=json_value))
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


SEALED_SINCE: frozenset[str] = frozenset({"p_from", "units", "caar_band", "p_family"})
"""Keys only manifests written since the seal (:data:`SEAL_KEY`) was added hold: such a manifest
without its seal had it removed."""


def manifest_edited(manifest: Mapping[str, Any]) -> bool:
    """Whether ``manifest`` was changed after eventstudy sealed it: its seal differs, or it was
    removed from a manifest of a version that seals (one holding a key of :data:`SEALED_SINCE`;
    deleting the line turned every check of the manifest off). A manifest of an older version,
    without the seal, is not known to be."""
    if SEAL_KEY not in manifest:
        return not SEALED_SINCE.isdisjoint(manifest)
    return manifest[SEAL_KEY] != manifest_seal(manifest)


UNSEALED = (
    f"has no seal ({SEAL_KEY}): an older version's, or one whose seal was removed with the keys "
    "written since, so an edit to it could not be told"
)
"""What is said of a manifest without :data:`SEAL_KEY`, which a load or a report does not trust
(:func:`edited_tables`, :func:`check_sealed`); ``verify`` re-runs the study and compares."""


def check_sealed(folder: Path) -> None:
    """Refuse an output folder whose manifest has no seal before its report is rendered from it:
    deleting the seal, ``p_from``, ``units`` and ``caar_band`` made an edited manifest pass as an
    older version's, and ``report`` published its claims (another market, another model) and
    sealed them (a finder).

    Raises
    ------
    OutputFolderError
        Naming the folder, when its manifest has no seal.
    """
    manifest = read_manifest(folder)
    if manifest is not None and SEAL_KEY not in manifest:
        advice = "re-run the study (eventstudy verify re-runs it and says what differs)"
        raise OutputFolderError(folder, f"{MANIFEST!r} {UNSEALED}; {advice}")


def _written_by_eventstudy(manifest: Mapping[str, Any]) -> bool:
    """The marks every manifest of this tool carries: a run's package versions, which name this
    package, or the ``tool`` of a folder of the backtest alone (:func:`record_files`). Another
    program's ``manifest.json`` that records its files' hashes (a common design) has neither."""
    versions = manifest.get("versions")
    return manifest.get("tool") == "eventstudy" or (isinstance(versions, Mapping) and PACKAGE in versions)


def check_recorded_files(folder: Path) -> list[str]:
    """Problems that show ``folder``'s files do not all come from the run its manifest records.

    Each problem names a file: missing, not recorded, or changed since it was written (its
    SHA-256 differs from the manifest's). Empty when the folder is exactly what one run wrote.
    """
    marks = []
    if (folder / STAGING_MARK).is_file():
        if _marked(folder):  # an interrupted run's staging folder: nothing in it is final
            return [_staging_problem(folder)]
        marks.append(_staging_problem(folder))  # a copied mark: said beside the rest (an edited manifest)
    standing = standing_in(folder / MANIFEST)
    if standing is not None:
        return [*marks, f"{MANIFEST}: {standing}, not the file the run wrote"]
    manifest = read_manifest(folder)
    if manifest is None:
        return [*marks, f"{MANIFEST}: missing or not readable"]
    recorded = manifest.get(FILES_KEY)
    if not isinstance(recorded, Mapping):
        older = f"{MANIFEST}: has no '{FILES_KEY}' record (written by an older version; re-run the study)"
        return [*marks, older]
    entries = _entries(folder) - {STAGING_MARK}
    replaced = _replaced_places(folder, [name for name in recorded if OUTPUT_NAME.fullmatch(name)])
    extra = sorted(name for name in entries - set(recorded) - {MANIFEST} if _place_of(name, replaced) is None)
    problems = [*marks, *[f"{MANIFEST}: changed since eventstudy wrote it"] * manifest_edited(manifest)]
    problems += [f"{name}: not written by the run of {MANIFEST}" for name in extra]
    problems += [f"{place}: {what}" for place, what in replaced.items()]  # said once, not per file in it
    missing = [name for name in recorded if name not in entries and _place_of(name, replaced) is None]
    emptied = _emptied_folders(missing, recorded)
    problems += [f"{where}/: missing, the {n} files the run wrote there" for where, n in emptied.items()]
    for name, digest in sorted(recorded.items()):
        path = folder / name
        if not OUTPUT_NAME.fullmatch(name):  # '/etc/x', '../x': never opened
            problems.append(f"{name}: not a name eventstudy writes (was {MANIFEST} edited?)")
        elif _place_of(name, replaced) is not None or _place_of(name, emptied) is not None:
            continue
        elif name not in entries:
            problems.append(f"{name}: missing")
        elif not stat.S_ISREG(path.lstat().st_mode):  # never read: a pipe or /dev/zero never ends
            problems.append(f"{name}: a link, pipe or device, not the file the run wrote")
        elif _sha256(path) != digest:
            problems.append(f"{name}: changed since the run of {MANIFEST} wrote it")
    return problems


def _replaced_places(folder: Path, names: Sequence[str]) -> dict[str, str]:
    """What stands where the run wrote a folder of ``names`` (a link, a file) or one of them (a
    folder), by that place: said once, not as each recorded file under it missing and each entry
    under it not written by the run (a ``figures/`` replaced by a link printed 13 lines)."""
    replaced: dict[str, str] = {}
    for name in names:
        parts = name.split("/")
        for depth in range(1, len(parts) + 1):
            place, last = "/".join(parts[:depth]), depth == len(parts)
            if place in replaced or not os.path.lexists(folder / place):
                break
            mode = (folder / place).lstat().st_mode
            wrote = "file" if last else "folder"
            if stat.S_ISLNK(mode) and not last:  # a link in a file's place: the check of files says it
                replaced[place] = f"a link, not the {wrote} the run wrote"
            elif stat.S_ISDIR(mode) and last:
                replaced[place] = f"a folder, not the {wrote} the run wrote"
            elif not stat.S_ISDIR(mode) and not last:
                replaced[place] = f"a file, not the {wrote} the run wrote"
            else:
                continue
            break
    return dict(sorted(replaced.items()))


def _emptied_folders(missing: Sequence[str], recorded: Mapping[str, Any]) -> dict[str, int]:
    """The folders (``figures``) of which every file the run wrote is among ``missing``, at least
    two, with their number: said once (an emptied figures/ printed 19 lines)."""
    def folders(names: Iterable[str]) -> Counter[str]:
        return Counter(name.split("/", 1)[0] for name in names if "/" in name and OUTPUT_NAME.fullmatch(name))

    written, gone = folders(recorded), folders(missing)
    return {where: count for where, count in sorted(gone.items()) if count >= 2 and count == written[where]}


def standing_in(path: Path) -> str | None:
    """What stands at ``path`` where eventstudy writes a file, when it is no file: "a link", "a
    folder" or "a pipe or device"; None for a file or nothing."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return "a link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode) else "a pipe or device"


def interrupted_output(folder: Path) -> bool:
    """Whether ``folder`` is the staging folder an interrupted run left (its own mark in it)."""
    return _marked(folder)


def _staging_problem(folder: Path) -> str:
    """What the staging mark in ``folder`` says: an interrupted run's, which the next run removes,
    or one eventstudy did not write for this folder (a copy of a staging folder), which run and
    report refuse until it is deleted."""
    if _marked(folder):
        return f"{STAGING_MARK}: {INTERRUPTED}"
    return (
        f"{STAGING_MARK}: eventstudy's mark of an unfinished output, not written for this folder (a "
        "copy?): run and report refuse the folder until it is deleted"
    )


def _place_of(name: str, replaced: Mapping[str, object]) -> str | None:
    """The place of ``replaced`` that ``name`` is or lies under, or None."""
    return next((place for place in replaced if name == place or name.startswith(f"{place}/")), None)


def edited_tables(folder: Path, manifest: Mapping[str, Any]) -> str | None:
    """What shows that ``manifest`` or a table of ``folder`` (a ``.parquet`` file in it) was
    changed since the run wrote them, or None: the check of the files a load reads
    (:func:`check_recorded_files` checks every file). A table the manifest does not record (one
    of another run's copied in), a link in a table's place, a table it records that is missing
    (a method that ran would load as one that did not) and the staging folder of an interrupted
    run are not the run's either, nor is a manifest without a seal (:data:`UNSEALED`: an older
    version's, whose tables re-running the study can check, or one whose seal was removed)."""
    if _marked(folder):  # an interrupted run's (a copied mark edits no table)
        return _staging_problem(folder)
    if manifest_edited(manifest):
        return f"{MANIFEST}: changed since eventstudy wrote it"
    if SEAL_KEY not in manifest:
        return f"{MANIFEST}: {UNSEALED}"
    recorded = manifest.get(FILES_KEY)
    if not isinstance(recorded, Mapping):
        return f"{MANIFEST}: has no record of its files' hashes (was it edited?)"
    for name in sorted(recorded):
        if name.endswith(".parquet") and "/" not in name and not os.path.lexists(folder / name):
            return f"{name}: missing"
    for name in sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".parquet")):
        path = folder / name
        if name not in recorded:
            return f"{name}: not written by the run of {MANIFEST}"
        if path.is_symlink():
            return f"{name}: a link, not the file the run wrote"
        if path.is_file() and _sha256(path) != recorded[name]:  # a pipe: regular_file says, unread
            return f"{name}: changed since the run of {MANIFEST} wrote it"
    return None


_LISTED = 1000
"""Entries of a folder without a manifest read before it is refused (the message counts them)."""


def _entries(folder: Path) -> set[str]:
    """Every file under ``folder`` as a relative POSIX path (:func:`_walk`)."""
    return set(_walk(folder))


def _walk(folder: Path) -> Iterator[str]:
    """Every file under ``folder`` as a relative POSIX path, symbolic links included, top down.

    A folder is represented by its contents, an empty one by its path and a ``/`` (a project's
    skeleton of empty folders is the user's too) -- except the output's own ``figures/``, empty
    when no figure could be drawn. A link is listed as itself and never followed (the tool never
    writes one, so it is never ours).

    Raises
    ------
    OutputFolderError
        When a folder under ``folder`` cannot be listed (another user's, mode 700): what the
        tool cannot see it can neither tell from its own nor ever replace.
    """

    def unreadable(error: OSError) -> None:
        where = Path(error.filename).relative_to(folder).as_posix() if error.filename else "."
        reason = error.strerror or str(error)
        raise OutputFolderError(folder, f"holds {where!r}, which eventstudy cannot read ({reason})")

    # An output's own figures/ may be empty; in a folder that is no output, it is the user's.
    own_figures = FIGURES if (folder / MANIFEST).is_file() else None
    try:
        for root, dirs, files in os.walk(folder, onerror=unreadable, followlinks=False):
            base = Path(root).relative_to(folder)
            yield from ((base / name).as_posix() for name in files)
            yield from ((base / name).as_posix() for name in dirs if (Path(root) / name).is_symlink())
            if not dirs and not files and root != str(folder) and base.as_posix() != own_figures:
                yield base.as_posix() + "/"
    except RecursionError:  # Python 3.11's os.walk recurses: 1,100 nested folders
        raise OutputFolderError(folder, "holds folders nested deeper than an output's; move them") from None


FIGURES = "figures"
"""The output's folder of figures (:data:`OUTPUT_NAME`)."""


def output_folder(path: Path) -> Path:
    """``path`` when it is a folder; a file or nothing there is an InputError saying so (``report``
    and ``verify`` of a file named the file's ``events.parquet`` as missing, or read its manifest
    as "Not a directory", a finder)."""
    if path.is_dir():
        return path
    what = "is a file, not an output folder" if path.exists() else "no such output folder"
    raise InputError(str(path), f"{what} of `eventstudy run`")


def regular_file(path: Path, what: str) -> Path:
    """``path``, or an InputError when it exists and is not a regular file (a named pipe would
    block its reader forever: ``verify`` of a folder whose manifest was a FIFO hung)."""
    if path.exists() and not path.is_file():
        message = f"not a regular file: the {what} is never read from a pipe, device or folder"
        raise InputError(str(path), message)
    return path


MAX_MANIFEST_BYTES = 64 * 2**20
"""The largest manifest read: the launch study's, of 21 tickers, is 35 KB (about 300 bytes per
cached file recorded: a study of 5,000 tickers' prices, shares and earnings about 5 MB); a forged
208 MB one took 1.6 GB and 18 s before verify's answer."""


def load_manifest(path: Path) -> Any:
    """The JSON of the manifest ``path``, or an InputError naming it (unreadable, not a regular
    file, larger than :data:`MAX_MANIFEST_BYTES`, not JSON)."""
    try:
        if regular_file(path, "manifest").stat().st_size > MAX_MANIFEST_BYTES:
            said = f"not a manifest (larger than {MAX_MANIFEST_BYTES >> 20} MiB, which no study's is)"
            raise InputError(str(path), said)
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read the manifest ({exc.strerror})") from None
    except ValueError as exc:
        raise InputError(str(path), f"not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(str(path), "not a manifest (JSON nested deeper than any manifest)") from None


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """``folder``'s manifest as a dictionary, or None when it is missing or not a JSON object."""
    path = folder / MANIFEST
    if path.is_symlink() or not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:  # no manifest of this tool's
            return None
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def output_files(folder: Path) -> list[str]:
    """The files (besides the manifest) of an output folder of this tool, sorted.

    From the manifest's :data:`FILES_KEY` record, or for an older folder without one, from
    what the folder holds (:func:`check_replaceable` never replaces such a folder). Empty when
    the folder does not exist.
    """
    if not folder.is_dir():
        return []
    manifest = read_manifest(folder) or {}
    recorded = manifest.get(FILES_KEY)
    names = list(recorded) if isinstance(recorded, Mapping) else list(_entries(folder))
    return sorted(set(names) - {MANIFEST})


def check_recorded_present(folder: Path, rewritten: Callable[[str], bool]) -> None:
    """Refuse an output folder (checked by :func:`check_replaceable`) that lacks a file its
    manifest records, unless ``rewritten(name)``: re-rendering it would record the folder as
    complete without it (a deleted ``stats.parquet`` gave a report saying the study computed no
    statistics, and a manifest that no longer listed them).

    Raises
    ------
    OutputFolderError
        Naming the first missing file and how many are missing.
    """
    entries = _entries(folder)
    names = [name for name in output_files(folder) if OUTPUT_NAME.fullmatch(name)]  # others: publish refuses
    missing = [name for name in names if name not in entries and not rewritten(name)]
    if missing:
        more = f" (and {len(missing) - 1} more recorded files)" if len(missing) > 1 else ""
        raise OutputFolderError(
            folder,
            f"lacks {missing[0]!r}{more}, which its {MANIFEST} records and the report cannot write "
            "again (it shows what the run's files hold): restore it, or run the study again",
        )


def _check_recorded(folder: Path, entries: set[str], recorded: Mapping[str, Any], way_out: WayOut) -> None:
    """Refuse what an output folder holds that eventstudy did not write, or changed since: every
    such entry named at once (one run named a notes.txt, the next a figures/mine.png, the next
    the report.md edited beside them)."""
    names = sorted(entries - {MANIFEST})
    ours = [name for name in recorded if OUTPUT_NAME.fullmatch(name)]
    places = _replaced_places(folder, ours)  # a link or a file where eventstudy wrote figures/: once
    names = [name for name in names if _place_of(name, places) is None]
    foreign = [name for name in names if name not in recorded or not OUTPUT_NAME.fullmatch(name)]
    kept = [name for name in names if name not in foreign]
    # A link's target is never read (a pipe or /dev/zero never ends): it is said as what it is.
    replaced = [name for name in kept if not stat.S_ISREG((folder / name).lstat().st_mode)]
    changed = [name for name in kept if name not in replaced and _sha256(folder / name) != recorded[name]]
    said = [f"{place!r} is {what}" for place, what in places.items()]
    if foreign:
        said.append(f"holds {_quoted(foreign)}, which eventstudy did not write there")
    if replaced:
        said.append(f"has a link, pipe or device in the place of {_quoted(replaced)}, which eventstudy wrote")
    if changed:
        were, them = ("were", "them") if len(changed) > 1 else ("was", "it")
        said.append(f"{_quoted(changed)} {were} changed since eventstudy wrote {them}")
    if said:
        # what eventstudy wrote that is not there as it wrote it: changed, or missing once the
        # entries in the way are moved (figures/ a link: the backtest's figure in it too)
        lost = [name for name in ours if name not in entries or _place_of(name, places) is not None]
        way = way_out.of([*places, *foreign, *replaced, *changed], changed=[*replaced, *changed, *lost])
        raise OutputFolderError(folder, f"{'; '.join(said)}; {way}")


def _quoted(names: Sequence[str], shown: int = 5) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b', ..., 'e' and 3 more``."""
    quoted = [repr(name) for name in names[:shown]]
    if len(names) > shown:
        return f"{', '.join(quoted)} and {len(names) - shown:,} more"
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (:func:`eventstudy.hashing.file_sha256`, which imports pandas)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def record_files(folder: Path) -> dict[str, str]:
    """Add the :data:`FILES_KEY` record (every other file's SHA-256) to ``folder``'s manifest.

    Creates a manifest holding only the record when there is none (a folder of the backtest
    alone). Returns the record.
    """
    entries = sorted(name for name in _entries(folder) - {MANIFEST, STAGING_MARK} if not name.endswith("/"))
    record = {name: _sha256(folder / name) for name in entries}
    manifest = read_manifest(folder) or {"tool": "eventstudy"}
    manifest[FILES_KEY] = record
    manifest[SEAL_KEY] = manifest_seal(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=json_value) + "\n")
    return record


def json_value(value: object) -> object:
    """The JSON of a value ``json`` does not know (its ``default``): a path as its text, a date or
    time in ISO 8601, a numpy scalar as the Python number or text it equals.

    Raises
    ------
    TypeError
        For anything else: ``default=str`` wrote ``np.int64(0)`` of a config as ``"0"``, which no
        load could read back, and would write any other object as its repr.
    """
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dt.date | dt.time):  # datetime and pandas' Timestamp are dates
        return value.isoformat()
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        item = value.item()
        if isinstance(item, bool | int | float | str):
            return item
    raise TypeError(f"{type(value).__name__} {value!r} has no JSON form")


@contextlib.contextmanager
def _locked(parent: Path, folder: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``parent`` (writers of ``folder`` and its siblings)."""
    descriptor = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if not flock_within(descriptor, fcntl.LOCK_EX, 0.0):
            print(
                f"eventstudy: waiting for another eventstudy writing into {parent}/ ...",
                file=sys.stderr,
                flush=True,
            )
            if not flock_within(descriptor, fcntl.LOCK_EX, timeout):
                raise OutputFolderError(
                    folder,
                    f"another eventstudy has been writing into {parent}/ for {timeout:.0f} s; "
                    "try again when it ends",
                )
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _stray(parent: Path, name: str) -> list[Path]:
    """Staging and retired folders of earlier writers of ``name`` that did not finish: named as
    the tool names them and recognisably the tool's (:func:`_ours`)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.eventstudy-[a-z0-9]{{12}}\.(?:{'|'.join(_SUFFIXES)})")
    return sorted(
        parent / entry
        for entry in os.listdir(parent)
        if pattern.fullmatch(entry) and not (parent / entry).is_symlink() and _ours(parent / entry)
    )


_MARKED_NAME = re.compile(r"\..+\.eventstudy-(?P<token>[a-z0-9]{12})\.(?:partial|old)")
"""The name of a staging or retired folder, and the token the tool drew for it."""


def _token(folder: Path) -> str:
    """The token in ``folder``'s name (a staging or retired folder's), or ""."""
    named = _MARKED_NAME.fullmatch(folder.name)
    return named["token"] if named else ""


def _mark(folder: Path) -> None:
    """Write the staging mark of ``folder``: its own token (:func:`_token`), so the mark tells the
    tool's folder from a user's that holds an empty or copied mark (a finder: a user's notes.md
    and thesis.tex beside an empty mark in a folder so named were deleted with it)."""
    if _marked(folder):  # rewritten, it would be empty for an instant: a kill then left it no one's
        return
    mark = folder / STAGING_MARK
    if mark.is_symlink():  # never write through a link
        mark.unlink()
    mark.write_text(_token(folder), encoding="ascii")


def _marked(folder: Path) -> bool:
    """Whether ``folder`` holds the staging mark the tool wrote for it (:func:`_mark`)."""
    mark, token = folder / STAGING_MARK, _token(folder)
    if mark.is_symlink() or not mark.is_file() or not token:
        return False
    try:
        with mark.open("rb") as file:
            return file.read(64) == token.encode("ascii")
    except OSError:
        return False


_TEMPORARY = re.compile(r"(?P<folder>(?:[^/]+/)?)\.(?P<name>[^/]+)\.[a-z0-9_]{8}\.tmp")
"""A temporary file a build writes beside one of its outputs (``tempfile.mkstemp`` with the
prefix ``.<name>.`` and the suffix ``.tmp``: :mod:`eventstudy.report.write`)."""


def _holds_only_built(folder: Path) -> bool:
    """Whether ``folder`` holds nothing but what a build writes: regular files named as outputs
    are (:data:`OUTPUT_NAME`, the manifest, the mark), their temporaries (:data:`_TEMPORARY`) and
    an empty ``figures/``. A killed run's staging folder into which the user then saved
    thesis.txt and mydata/ was removed with them (a finder)."""
    try:
        entries = _entries(folder)
    except OutputFolderError:
        return False
    for name in entries:
        temporary = _TEMPORARY.fullmatch(name)
        built = f"{temporary['folder']}{temporary['name']}" if temporary else name
        if name == f"{FIGURES}/":
            continue
        if not (built in (MANIFEST, STAGING_MARK) or OUTPUT_NAME.fullmatch(built)):
            return False
        try:
            if not stat.S_ISREG(os.lstat(folder / name).st_mode):
                return False
        except OSError:
            return False
    return True


def _ours(folder: Path) -> bool:
    """Whether a folder named like a staging folder is the tool's: empty (a kill right after its
    creation), holding the staging mark the tool wrote for it (:func:`_marked`: its own token;
    a user's empty or copied mark is not) beside nothing but what a build writes
    (:func:`_holds_only_built`), or exactly an output of this tool (its manifest, and no file it
    does not record: a copy of an output with the user's notes added is the user's)."""
    if not folder.is_dir():
        return False
    if _marked(folder):
        return _holds_only_built(folder)
    mark = folder / STAGING_MARK
    if mark.exists() or mark.is_symlink():
        # An empty mark alone: a kill while the tool wrote it in a new staging folder (it holds
        # nothing, as an empty folder does). Beside anything else, a mark the tool did not write
        # for this folder: the user's.
        alone = not mark.is_symlink() and mark.is_file() and mark.stat().st_size == 0
        return alone and [entry.name for entry in folder.iterdir()] == [STAGING_MARK]
    if not any(folder.iterdir()):
        return True
    manifest = read_manifest(folder)
    try:
        return manifest is not None and _written_by_eventstudy(manifest) and not check_recorded_files(folder)
    except OutputFolderError:  # a folder it cannot read all of is not known to be the tool's: left alone
        return False


def _remove_tree(path: Path) -> None:
    """Remove a folder of the tool's, never following a link (the top must be a real folder).
    The staging mark is made first and removed last, so a kill during the removal leaves a
    folder the next writer still recognises (:func:`_ours`)."""
    if path.is_symlink() or not path.is_dir():
        return
    mark = path / STAGING_MARK
    _mark(path)
    for entry in os.scandir(path):
        if entry.name == STAGING_MARK:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    mark.unlink()
    path.rmdir()


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2``); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            with open(Path(root) / name, "rb") as handle:
                os.fsync(handle.fileno())
        descriptor = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def usual_file_mode(path: str | Path) -> None:
    """Give ``path`` the mode ``open()`` would under the process's umask (``tempfile.mkstemp``
    makes 0600: a published table or report would be hidden from the user's group)."""
    os.chmod(path, 0o666 & ~_umask())


def publish(
    folder: str | Path,
    build: Callable[[Path], None],
    *,
    guard: Guard,
    carry: Callable[[str], bool] | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
    way_out: WayOut = NEW_OUTPUT,
) -> Path:
    """Build a complete output folder and swap it into place (see the module docstring).

    Parameters
    ----------
    folder
        The output folder.
    build
        Writes every file of the new output into the (empty) staging folder it is given, then
        returns; :func:`record_files` adds the manifest's file record afterwards.
    guard
        The folders the output must keep away from (:func:`check_target`).
    carry
        Which files of the current output to copy into the staging folder before ``build``,
        with its manifest (e.g. the study's files when only the report is re-rendered): asked
        of each file its manifest records, read under the lock, so a writer that published
        meanwhile is carried whole; a name that is absent is skipped.
    lock_timeout
        Seconds to wait for another writer.
    way_out
        What a refusal of the folder advises (:func:`check_replaceable`).

    Raises
    ------
    OutputFolderError
        When the folder may not be replaced, or writing fails (e.g. the disk is full): one line,
        and the previous output is left as it was.
    InputError
        When files are carried and the manifest records a name eventstudy never writes there.
    """
    folder = check_target(folder, guard)
    parent = folder.parent if str(folder.parent) else Path(".")
    made = [path for path in (parent, *parent.parents) if not path.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(made)
        blocking = blocked_at(parent)
        if blocking is not None:  # said "cannot create the folder (File exists)" (a finder)
            raise OutputFolderError(*blocking) from None
        raise OutputFolderError(parent, f"cannot create the folder ({exc.strerror})") from None
    try:
        _publish(parent, folder, build, carry, lock_timeout, way_out)
    except BaseException:
        _remove_empty(made)  # the parent folders made for this output, when nothing else is in them
        raise
    return folder


def _placed(folder: str | Path) -> str | Path:
    """``folder`` as given, or, when it holds ``..``, where the kernel puts it: the real path of
    its parent and its name, every check then made on that path (a finder: ``lnk/../out`` was
    staged on the lexical path and written through the link; checked on the path as given, a
    link swapped meanwhile, or a dangling one before ``..``, put the output in the cache or in
    place of a user's link). ``new/../out`` needs no ``new/``.

    Raises
    ------
    OutputFolderError
        When a component before a ``..`` exists but is no folder (a file, a dangling or looping
        link), through which the kernel would name nothing.
    """
    path = Path(folder)
    if ".." not in path.parts:
        return folder
    for end, part in enumerate(path.parts):
        through = Path(*path.parts[:end])
        if part == ".." and end and os.path.lexists(through) and not through.is_dir():
            raise OutputFolderError(
                through, "is not a folder (a file, or a link to none): no output can be named through it"
            )
    return Path(os.path.realpath(path.parent)) / path.name


def _remove_empty(folders: Sequence[Path]) -> None:
    """Remove each of ``folders`` (innermost first) that is an empty folder."""
    for path in folders:
        with contextlib.suppress(OSError):
            path.rmdir()


def _publish(
    parent: Path,
    folder: Path,
    build: Callable[[Path], None],
    carry: Callable[[str], bool] | None,
    lock_timeout: float,
    way_out: WayOut,
) -> None:
    """:func:`publish` into ``folder``'s existing parent folder ``parent``."""
    with _locked(parent, folder, lock_timeout):
        _recover(parent, folder.name)
        check_replaceable(folder, way_out)
        carried = _carried(folder, carry)
        # Absolute: ``build`` hands its paths to pandas and pyarrow, which expand a leading '~'
        # that the system (and pathlib) take literally; every file goes where the folder was made.
        staging = parent.absolute() / f".{folder.name}.eventstudy-{secrets.token_hex(6)}.partial"
        try:
            staging.mkdir()
            if folder.is_dir():  # what the folder's files inherit, before they are made
                _give_attributes(staging, folder, lambda name: name == _DEFAULT_ACL)
            _mark(staging)
            for name in carried:
                source = folder / name
                if source.is_file() and not source.is_symlink():
                    (staging / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, staging / name)
            build(staging)
            checkpoint("built")
            record_files(staging)
            _fsync_tree(staging)
            checkpoint("recorded")
            check_replaceable(folder, way_out)  # nothing of the user's arrived meanwhile
            (staging / STAGING_MARK).unlink()  # its manifest marks it the tool's from here
            # The previous output's mode (0o750 kept), given once the folder is built: a
            # read-only mode given before made the build fail and the staging folder unremovable.
            mode = stat.S_IMODE(folder.stat().st_mode) if folder.is_dir() else 0o777 & ~_umask()
            if folder.is_dir():
                _give_owner(staging, folder.stat())
            staging.chmod(mode)
            if folder.is_dir():  # after the mode: an access ACL's mask is the mode's group bits
                _give_attributes(staging, folder, lambda name: name != _DEFAULT_ACL)
            if INTERRUPT_REQUESTED.is_set():  # a Ctrl-C a library caught and went on from: publish nothing
                raise KeyboardInterrupt
            with ctrl_c_held():  # exchanged, the run is complete: nothing cuts the swap in two
                _swap(staging, folder, way_out)
        except OSError as exc:
            with contextlib.suppress(OSError):  # what cannot be removed is marked: the next run does
                _remove_ours(staging)
            where = exc.filename if isinstance(exc.filename, str) else str(folder)
            reason = exc.strerror or str(exc)
            raise OutputFolderError(folder, f"cannot write the output ({reason}: {where})") from None
        except BaseException:
            _remove_ours(staging)
            raise


def _remove_ours(staging: Path) -> None:
    """Remove the staging folder of a failed write, unless it is no longer the tool's (a swap
    that could not be undone left the previous output there, with a file of the user's)."""
    if _ours(staging):
        _remove_tree(staging)


_DEFAULT_ACL = "system.posix_acl_default"
"""The extended attribute of a folder's default ACL: what the files made in it inherit."""


def _give_attributes(staging: Path, previous: Path, chosen: Callable[[str], bool]) -> None:
    """Give ``staging`` the extended attributes of the folder it replaces that ``chosen`` picks,
    as far as the system allows: a lab's ``--out`` shared by an ACL (``setfacl -d``, stored as
    ``system.posix_acl_*``) or labelled with ``user.*`` attributes lost them at every run (a
    finder), where its mode, owner and group were kept. The default ACL is given when the
    staging folder is made, so the files built in it inherit it as they would have in the
    folder; the others once it is built (an access ACL could refuse the build, as a mode could)."""
    try:
        names = os.listxattr(previous, follow_symlinks=False)
    except (OSError, AttributeError):  # no extended attributes here (a file system, a system)
        return
    for name in names:
        if chosen(name):
            with contextlib.suppress(OSError):
                value = os.getxattr(previous, name, follow_symlinks=False)
                os.setxattr(staging, name, value, follow_symlinks=False)


def _give_owner(staging: Path, previous: os.stat_result) -> None:
    """Give ``staging`` and everything in it the owner and group of the folder it replaces, as
    far as this user may: a group-shared ``--out`` (mode 2770, group ``lab``) came back in the
    writer's own group, and as root another user's folder came back root's (a finder). The group
    where the user is a member of it, the owner only as root; what the system refuses stays."""
    own = staging.stat()
    if (own.st_uid, own.st_gid) == (previous.st_uid, previous.st_gid):  # the usual case: nothing to give
        return
    uid = previous.st_uid if os.geteuid() == 0 else -1
    paths = [str(staging)]
    for root, folders, files in os.walk(staging):
        paths += [os.path.join(root, name) for name in (*folders, *files)]
    for path in paths:
        with contextlib.suppress(OSError):
            os.lchown(path, uid, previous.st_gid)


def _carried(folder: Path, carry: Callable[[str], bool] | None) -> list[str]:
    """The manifest and the recorded files of ``folder`` that ``carry`` keeps (none without it).

    Raises
    ------
    InputError
        Naming the manifest's :data:`FILES_KEY` when it records a name eventstudy never writes
        (``../x``, ``/etc/x``): only the tool's own files, inside the folder, are ever copied.
    """
    if carry is None:
        return []
    names = output_files(folder)
    for name in names:
        if not OUTPUT_NAME.fullmatch(name):
            message = f"records {name!r}, not a name eventstudy writes in its folder"
            raise InputError(str(folder / MANIFEST), message, field=FILES_KEY)
    return [MANIFEST, *(name for name in names if carry(name))]


def _swap(staging: Path, folder: Path, way_out: WayOut) -> None:
    """Put ``staging`` at ``folder``; the previous folder (if any) is removed afterwards."""
    if not folder.exists():
        os.rename(staging, folder)
        checkpoint("exchanged")
        return
    if _exchange(staging, folder):
        checkpoint("exchanged")
        retired = staging  # the previous output now sits at the staging name

        def undo() -> None:
            _exchange(staging, folder)

    else:  # no atomic exchange on this system: two renames, repaired by _recover after a crash
        retired = staging.with_name(staging.name.replace(".partial", ".old"))
        os.rename(folder, retired)
        checkpoint("retired")
        os.rename(staging, folder)
        checkpoint("exchanged")

        def undo() -> None:
            os.rename(folder, staging)
            os.rename(retired, folder)

    # A file the user saved into the folder after the last check, before the exchange, is in the
    # retired folder now, which the removal below would take with it (a finder): the previous
    # output, with it, goes back in place, and nothing is published.
    arrived = _arrived(retired, way_out)
    if arrived is not None:
        changed = f"changed while eventstudy was replacing it ({folder.name}: {arrived})"
        try:
            undo()
        except OSError as exc:  # moved meanwhile: the previous output, with the change, stays where it is
            raise OutputFolderError(
                folder,
                f"{changed}, and could not be put back ({exc.strerror}): it is in {retired}",
            ) from None
        raise OutputFolderError(folder, f"{changed}; put back as it was, nothing written")
    # Published: a previous output that cannot be removed (a folder in it made read-only since
    # the check) is said, and left whole or marked for the next run, not a failed run.
    _remove_leftover(retired, "the previous output")


def _arrived(retired: Path, way_out: WayOut) -> str | None:
    """What :func:`check_replaceable` says of the contents of ``retired``, the folder an output
    just replaced, which it found empty or an unchanged output before the swap (None: still so).
    Not whether it can be removed: a folder in it made read-only meanwhile leaves it behind, said
    (:func:`_remove_leftover`), and the output published."""
    try:
        _check_contents(retired, way_out)
    except OutputFolderError as exc:
        return exc.message
    return None


def _remove_leftover(path: Path, what: str) -> None:
    """Remove a folder of the tool's that no output needs any more; where the system refuses,
    say so on stderr and go on (it holds nothing of the user's, and blocks no later run)."""
    try:
        _remove_tree(path)
    except OSError as exc:
        print(
            f"eventstudy: warning: {what} stays in {path} ({exc.strerror or exc}: {exc.filename}); "
            "make it writable and remove it by hand (chmod -R u+w, then rm -r)",
            file=sys.stderr,
            flush=True,
        )


def restore_retired(folder: str | Path) -> None:
    """Put back the output a writer killed between the two renames of a system without an atomic
    exchange left retired beside ``folder`` (``.<name>.eventstudy-<token>.old``), when ``folder``
    is missing, under the writers' lock: ``eventstudy report DIR`` then said DIR was no output
    folder, and only a new run recovered it (a finder)."""
    folder = Path(folder)
    parent = folder.parent if str(folder.parent) else Path(".")
    if folder.exists() or folder.is_symlink() or not parent.is_dir():
        return
    with _locked(parent, folder, LOCK_TIMEOUT):
        _recover(parent, folder.name)


def _recover(parent: Path, name: str) -> None:
    """Repair what a killed writer of ``name`` left: restore a retired output, remove strays."""
    folder = parent / name
    stray = _stray(parent, name)
    retired = [p for p in stray if p.name.endswith(".old")]
    if not folder.exists() and retired:  # killed between the two renames of the fallback swap
        newest = max(retired, key=lambda p: p.stat().st_mtime)
        os.rename(newest, folder)
        stray.remove(newest)
    for path in stray:
        _remove_leftover(path, f"what an earlier writer of {name} left")

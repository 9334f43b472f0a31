"""Output folders: never over the user's files, all or nothing, one writer at a time.

The publication protocol (:mod:`eventstudy.output.folder`) is tested on its own with cheap builds
(kills at every step and at random moments, concurrent writers), and then through whole runs
of a small synthetic study with a backtest (``tests/_small_study.py``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _report_checks import resealed
from _small_study import make_cache, make_study, run_args

from eventstudy.cli import main
from eventstudy.config import StudyConfig
from eventstudy.errors import InputError
from eventstudy.output import folder as outdir
from eventstudy.output.export import save_study
from eventstudy.output.folder import (
    Guard,
    OutputFolderError,
    check_recorded_files,
    check_replaceable,
    publish,
)
from eventstudy.output.load import load_study
from eventstudy.timeline.confounders import COLUMNS as CONFOUNDER_COLUMNS


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and mode (links as their target text)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            out[str(path.relative_to(folder))] = (os.readlink(path).encode(), 0)
        elif path.is_file():
            out[str(path.relative_to(folder))] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


TOOL_MARK = {"versions": {"eventstudy-backtester": "0.1.0"}}
"""What a run's manifest always holds (its versions name the package)."""


def write_some(names: list[str], text: str):
    def build(staging: Path) -> None:
        for name in names:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text)
        (staging / "manifest.json").write_text(json.dumps({"run": text, **TOOL_MARK}))

    return build


# -- the target: refused before anything is written ---------------------------------------------


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda d: (d / "thesis.docx").write_text("years of work"), "holds 'thesis.docx', which"),
        (lambda d: ((d / "chapter").mkdir(), (d / "chapter" / "1.tex").write_text("tx")), "'chapter/1.tex'"),
        (lambda d: (d / "manifest.json").write_text('{"mine": true}'), "or not eventstudy"),
        (lambda d: (d / "manifest.json").write_text("not json"), "'manifest.json' is not a manifest"),
        (lambda d: os.symlink("/etc/passwd", d / "link"), "holds 'link', which"),
    ],
    ids=["document", "sub-folder", "foreign-manifest", "bad-manifest", "symlink"],
)
def test_a_folder_of_the_users_is_refused_and_untouched(tmp_path: Path, make, named) -> None:
    """Without a manifest the refusal named no file (README: the first foreign file)."""
    folder = tmp_path / "out"
    folder.mkdir(mode=0o750)
    make(folder)
    before, mode = snapshot(folder), stat.S_IMODE(folder.stat().st_mode)
    with pytest.raises(OutputFolderError, match=str(folder)) as caught:
        publish(folder, write_some(["a.md"], "new"), guard=Guard(cwd=tmp_path))
    assert named in str(caught.value)
    assert snapshot(folder) == before and stat.S_IMODE(folder.stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_an_earlier_output_is_replaced_but_not_once_the_user_added_or_edited_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    guard = Guard(cwd=tmp_path)
    publish(folder, write_some(["a.md", "figures/b.png"], "one"), guard=guard)
    publish(folder, write_some(["a.md", "c.md"], "two"), guard=guard)
    assert (folder / "a.md").read_text() == "two" and not (folder / "figures").exists()
    assert check_recorded_files(folder) == []
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(OutputFolderError, match=r"notes\.txt"):
        publish(folder, write_some(["a.md"], "three"), guard=guard)
    (folder / "notes.txt").unlink()
    (folder / "a.md").write_text("edited by hand")
    with pytest.raises(OutputFolderError, match=r"a\.md.*changed"):
        publish(folder, write_some(["a.md"], "three"), guard=guard)
    assert (folder / "a.md").read_text() == "edited by hand"


def test_every_file_the_user_added_or_edited_is_named_in_one_refusal(tmp_path: Path) -> None:
    """A notes.txt, a figures/mine.png and a sub/z.txt added to an output took three runs to
    learn of, one a run (a finder); so did two edited files."""
    folder = tmp_path / "out"
    guard = Guard(cwd=tmp_path)
    publish(folder, write_some(["a.md", "b.md", "figures/b.png"], "one"), guard=guard)
    for name in ("notes.txt", "figures/mine.png", "sub/z.txt"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text("mine")
    before = snapshot(folder)
    with pytest.raises(OutputFolderError) as caught:
        publish(folder, write_some(["a.md"], "two"), guard=guard)
    said = str(caught.value)
    assert "holds 'figures/mine.png', 'notes.txt' and 'sub/z.txt', which eventstudy did not write" in said
    assert "move them away" in said and snapshot(folder) == before
    for name in ("notes.txt", "figures/mine.png", "sub/z.txt"):
        (folder / name).unlink()
    (folder / "sub").rmdir()
    (folder / "a.md").write_text("edited")
    (folder / "figures" / "b.png").write_text("edited")
    with pytest.raises(OutputFolderError) as caught:
        publish(folder, write_some(["a.md"], "two"), guard=guard)
    said = str(caught.value)
    assert "'a.md' and 'figures/b.png' were changed since eventstudy wrote them; move them away" in said
    assert (folder / "a.md").read_text() == "edited"
    (folder / "notes.txt").write_text("mine")  # added and edited: both in one line (a reviewer)
    with pytest.raises(OutputFolderError) as caught:
        publish(folder, write_some(["a.md"], "two"), guard=guard)
    assert str(caught.value).endswith(
        ": holds 'notes.txt', which eventstudy did not write there; 'a.md' and 'figures/b.png' were "
        "changed since eventstudy wrote them; move them away or write to another folder"
    )


def _edit_manifest(folder: Path, edit) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


FOLDER_EDITS = {  # each refusal of check_replaceable's: (how the folder is changed, which way out)
    "a file of the user's": (lambda f: (f / "notes.txt").write_text("mine"), "moved it"),
    "two files edited": (lambda f: [(f / n).write_text("edited") for n in ("a.md", "figures/b.png")], "them"),
    "a foreign staging mark": (lambda f: (f / outdir.STAGING_MARK).write_text("mine"), "elsewhere"),
    # moved away, a manifest leaves a folder that is no output: the folder's way out (a re-attack)
    "the manifest edited": (lambda f: _edit_manifest(f, lambda m: m.update(run="three")), "not_output"),
    "no files record": (lambda f: _edit_manifest(f, lambda m: m.pop("files")), "not_output"),
    "an empty files record": (lambda f: _edit_manifest(f, lambda m: m.update(files={})), "not_output"),
    "no manifest": (lambda f: (f / "manifest.json").unlink(), "not_output"),
}


@pytest.mark.parametrize("way_out", [outdir.NEW_OUTPUT, outdir.IN_PLACE], ids=["new-output", "in-place"])
@pytest.mark.parametrize("edit", list(FOLDER_EDITS))
def test_every_refusal_of_a_folder_ends_with_the_way_out_its_command_can_take(
    tmp_path: Path, edit: str, way_out: outdir.WayOut
) -> None:
    """report, which renders in place, rewrote run's refusals by matching their text ("or write to
    another folder"), so a refusal worded otherwise kept a way out report cannot take (the sticky
    bit's did): each refusal now ends with the way out the caller gives."""
    folder = tmp_path / "out"
    publish(folder, write_some(["a.md", "figures/b.png"], "one"), guard=Guard(cwd=tmp_path))
    change, kind = FOLDER_EDITS[edit]
    change(folder)
    if kind in ("not_output", "elsewhere"):
        expected = getattr(way_out, kind)
    elif kind.startswith("moved "):  # the user's entries need only be moved away, if the caller says so
        expected = (way_out.moved or way_out.entries).format(them=kind.split()[1])
    else:  # files of eventstudy's, changed: put back (in place) or moved away (another folder)
        expected = way_out.entries.format(them=kind)
    for attempt in (
        lambda: check_replaceable(folder, way_out),
        lambda: publish(folder, write_some(["a.md"], "two"), guard=Guard(cwd=tmp_path), way_out=way_out),
    ):
        with pytest.raises(OutputFolderError) as caught:
            attempt()
        said = str(caught.value)
        assert said.endswith((f"; {expected}", f" or {expected}"))
        assert said.count("another folder") == (way_out is outdir.NEW_OUTPUT and kind != "not_output")
    assert (folder / "a.md").read_text() in ("one", "edited")


def test_a_file_saved_before_the_swap_of_a_report_is_said_with_reports_way_out(
    tmp_path: Path, monkeypatch
) -> None:
    """The refusal of a file that arrived during the swap names what arrived with the caller's way
    out (report's: put back what eventstudy wrote or re-run), not run's "write to another folder"."""
    folder, guard = tmp_path / "out", Guard(cwd=tmp_path)
    publish(folder, write_some(["a.md"], "one"), guard=guard)
    real = outdir._exchange

    def exchange(a: Path, b: Path) -> bool:
        if not (b / "notes.md").exists() and (b / outdir.MANIFEST).read_text().count('"one"'):
            (b / "notes.md").write_text("my notes")  # in the previous output, at the wrong instant
        return real(a, b)

    monkeypatch.setattr(outdir, "_exchange", exchange)
    with pytest.raises(OutputFolderError) as caught:
        publish(folder, write_some(["a.md"], "two"), guard=guard, way_out=outdir.IN_PLACE)
    moved = outdir.IN_PLACE.of(["notes.md"], changed=[])  # the user's file: moved away, or re-run
    assert f"{moved}); put back as it was, nothing written" in str(caught.value)
    assert "another folder" not in str(caught.value) and (folder / "notes.md").read_text() == "my notes"


@pytest.mark.parametrize("atomic", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("earlier", ["output", "empty"])
def test_a_file_saved_in_the_instant_before_the_swap_is_kept_in_place(
    tmp_path: Path, monkeypatch, atomic: bool, earlier: str
) -> None:
    """The user's notes.md, saved after publish's last check and before the exchange, was removed
    with the previous output (a finder): the previous output goes back, with it."""
    folder, guard = tmp_path / "out", Guard(cwd=tmp_path)
    if earlier == "output":
        publish(folder, write_some(["a.md", "figures/b.png"], "one"), guard=guard)
    else:
        folder.mkdir()
    before = snapshot(folder)
    real, calls = outdir._exchange, []

    def exchange(a: Path, b: Path) -> bool:
        calls.append(b)
        if len(calls) == 1:  # the user's editor, at the wrong instant (not on the way back)
            (b / "notes.md").write_text("my notes")
        return real(a, b) if atomic else False

    monkeypatch.setattr(outdir, "_exchange", exchange)
    with pytest.raises(OutputFolderError) as caught:
        publish(folder, write_some(["a.md"], "two"), guard=guard)
    message = str(caught.value)
    assert message.startswith(f"{folder}: changed while eventstudy was replacing it (out: ")
    assert "'notes.md'" in message
    assert message.endswith("; put back as it was, nothing written")
    assert (folder / "notes.md").read_text() == "my notes"
    after = snapshot(folder)
    assert after.pop("notes.md") and after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or retired folder left


def test_a_swap_that_cannot_be_undone_leaves_the_users_file_where_it_is(tmp_path: Path, monkeypatch) -> None:
    """The user's file arrived before the swap and the folder was moved before the swap back:
    the failed undo's clean-up removed the retired output, with the user's file (a finder)."""
    folder, guard = tmp_path / "out", Guard(cwd=tmp_path)
    publish(folder, write_some(["a.md"], "one"), guard=guard)
    real, calls = outdir._exchange, []

    def exchange(a: Path, b: Path) -> bool:
        calls.append(b)
        if len(calls) == 1:
            (b / "thesis.txt").write_text("years of work")  # after the last check
        else:
            b.rename(tmp_path / "moved")  # the user moves the new output away before the undo
        return real(a, b)

    monkeypatch.setattr(outdir, "_exchange", exchange)
    with pytest.raises(OutputFolderError, match=r"could not be put back \(No such file") as caught:
        publish(folder, write_some(["a.md"], "two"), guard=guard)
    kept = list(tmp_path.rglob("thesis.txt"))
    assert len(kept) == 1 and kept[0].read_text() == "years of work"
    assert str(kept[0].parent) in str(caught.value) and (kept[0].parent / "a.md").read_text() == "one"


def test_a_folder_made_read_only_in_the_swap_does_not_stop_the_output(tmp_path: Path, monkeypatch) -> None:
    """figures/ made read-only between the last check and the swap: the run was refused as if the
    user's file had arrived (a finder); the output is published (what of the old folder cannot be
    removed is said)."""
    folder, guard = tmp_path / "out", Guard(cwd=tmp_path)
    publish(folder, write_some(["a.md", "figures/b.png"], "one"), guard=guard)
    real = outdir._exchange
    monkeypatch.setattr(outdir, "_exchange", lambda a, b: ((b / "figures").chmod(0o555), real(a, b))[1])
    # The owner's write bit, as access() would answer a user who is not root.
    monkeypatch.setattr(outdir.os, "access", lambda path, mode: bool(os.stat(path).st_mode & stat.S_IWUSR))
    publish(folder, write_some(["a.md"], "two"), guard=guard)
    assert (folder / "a.md").read_text() == "two" and not (folder / "figures").exists()


def test_a_ctrl_c_during_the_swap_does_not_cut_it_in_two(tmp_path: Path, monkeypatch) -> None:
    """A Ctrl-C after the exchange (while the old folder was checked or removed) exited 130
    saying the folder kept what it held, while the new output was in place and the old one gone
    (a finder): the swap is not interrupted."""
    folder, guard = tmp_path / "out", Guard(cwd=tmp_path)
    publish(folder, write_some(["a.md"], "one"), guard=guard)

    class CtrlCError(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise CtrlCError

    real = outdir._exchange
    ctrl_c = lambda a, b: (os.kill(os.getpid(), signal.SIGINT), real(a, b))[1]  # noqa: E731
    monkeypatch.setattr(outdir, "_exchange", ctrl_c)
    before = signal.signal(signal.SIGINT, handler)
    try:
        publish(folder, write_some(["a.md"], "two"), guard=guard)
    finally:
        signal.signal(signal.SIGINT, before)
    assert (folder / "a.md").read_text() == "two" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_named_on_the_way_to_the_output_is_not_left_behind(tmp_path: Path, monkeypatch) -> None:
    """--out nonexist/../out left an empty nonexist/ after a successful run (a finder); the folder
    returned was then new/deeper/../../made/out, which no longer exists (load_study of what
    save_study returned said 'no such output folder'; a finder): it is returned resolved."""
    monkeypatch.chdir(tmp_path)
    guard = Guard(cwd=tmp_path)
    written = publish(Path("new/deeper/../../made/out"), write_some(["a.md"], "one"), guard=guard)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "made", "made/out", "made/out/a.md", "made/out/manifest.json"
    ]
    assert written == (tmp_path / "made" / "out").resolve() and (written / "a.md").read_text() == "one"
    kept = publish(Path("made/out"), write_some(["a.md"], "two"), guard=guard)
    assert kept == Path("made/out")  # as given without a '..'
    # a link before '..': the kernel's lnk/.. is the parent of the link's target, where the
    # staging folder must be too (it was made on the lexical path: 'No such file or directory')
    (tmp_path / "real" / "deep").mkdir(parents=True)
    (tmp_path / "lnk").symlink_to(tmp_path / "real" / "deep")
    linked = publish(Path("lnk/../outS"), write_some(["a.md"], "three"), guard=guard)
    assert linked == (tmp_path / "real" / "outS").resolve() and (linked / "a.md").read_text() == "three"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["deep", "outS"]
    # checked where it is written (a re-attack): a dangling link before '..' put the output in
    # place of the user's link victim/e; a file, a dangling or a looping link name no folder
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "e").symlink_to(tmp_path / "real" / "deep")
    (tmp_path / "dang").symlink_to(tmp_path / "victim" / "x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "file.txt").write_text("mine")
    for named in ("dang/../e", "loop/../o", "file.txt/../o"):
        with pytest.raises(OutputFolderError, match=r"is not a folder \(a file, or a link to none\)"):
            publish(Path(named), write_some(["a.md"], "four"), guard=guard)
    (tmp_path / "to_victim").symlink_to(tmp_path / "victim" / "sub", target_is_directory=True)
    (tmp_path / "victim" / "sub").mkdir()
    with pytest.raises(OutputFolderError, match="is a symbolic link"):  # checked at victim/e
        publish(Path("to_victim/../e"), write_some(["a.md"], "five"), guard=guard)
    assert (tmp_path / "victim" / "e").is_symlink() and (tmp_path / "file.txt").read_text() == "mine"
    assert not (tmp_path / "o").exists() and not (tmp_path / "victim" / "x").exists()


@pytest.mark.parametrize("target", ["thesis.tex", "thesis.tex/sub", "thesis.tex/a/b"])
def test_an_output_at_or_under_a_users_file_names_the_file(tmp_path: Path, target: str) -> None:
    """``save_study(r, "afile/sub")`` said "afile: cannot create the folder (File exists)" (a
    finder): the file is named as a file; it is never touched."""
    (tmp_path / "thesis.tex").write_text("mine")
    with pytest.raises(OutputFolderError) as raised:
        publish(tmp_path / target, write_some(["a.md"], "one"), guard=Guard(cwd=tmp_path))
    said = "exists and is not a folder" if target == "thesis.tex" else "is a file, not a folder"
    assert str(raised.value).startswith(f"{tmp_path / 'thesis.tex'}: {said}"), str(raised.value)
    assert (tmp_path / "thesis.tex").read_text() == "mine"
    assert sorted(tmp_path.iterdir()) == [tmp_path / "thesis.tex"]


def test_a_folder_keeps_its_extended_attributes_when_replaced(tmp_path: Path) -> None:
    """``user.project`` on --out (and, the same way, a shared folder's ACL, stored as
    ``system.posix_acl_*``) was gone after every run or report (a finder), where the mode,
    owner and group were kept."""
    folder, guard = tmp_path / "out", Guard(cwd=tmp_path)
    publish(folder, write_some(["a.md"], "one"), guard=guard)
    try:
        os.setxattr(folder, "user.project", b"lab-42")
    except OSError as exc:
        pytest.skip(f"no user extended attributes here ({exc.strerror})")
    publish(folder, write_some(["a.md"], "two"), guard=guard)
    assert (folder / "a.md").read_text() == "two"
    assert os.getxattr(folder, "user.project") == b"lab-42"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a folder to another user")
def test_a_folder_keeps_its_owner_and_group_when_replaced(tmp_path: Path) -> None:
    """An empty --out of nobody:nogroup, mode 2770 (a group-shared folder), came back root's
    (a finder): its owner and group lost the folder they had made."""
    folder, guard = tmp_path / "out", Guard(cwd=tmp_path)
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    folder.chmod(0o2770)
    publish(folder, write_some(["a.md", "figures/b.png"], "one"), guard=guard)
    owners = {(p.stat().st_uid, p.stat().st_gid) for p in [folder, *folder.rglob("*")]}
    assert owners == {(65534, 65534)} and stat.S_IMODE(folder.stat().st_mode) == 0o2770
    publish(folder, write_some(["a.md"], "two"), guard=guard)  # and again, over its own output
    assert {(p.stat().st_uid, p.stat().st_gid) for p in [folder, *folder.rglob("*")]} == {(65534, 65534)}


def test_an_older_versions_output_without_file_hashes_is_never_replaced(tmp_path: Path) -> None:
    """A folder of a version that recorded no hashes: its report.md may be the user's edit, which
    a run or a re-rendered report used to overwrite (any known name was taken for an output)."""
    folder = tmp_path / "legacy"
    (folder / "figures").mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"study": "x", "config": {}, "inputs": {}}))
    for name in ("car.parquet", "report.md", "figures/car_x.png"):
        (folder / name).write_text("old")
    (folder / "report.md").write_text("my edited conclusions")
    with pytest.raises(OutputFolderError, match="without a record of its files' hashes"):
        check_replaceable(folder)
    assert (folder / "report.md").read_text() == "my edited conclusions"


def test_a_recorded_name_the_tool_never_writes_is_not_an_output(tmp_path: Path) -> None:
    """A manifest (written by hand) recording the user's thesis.txt with its right hash: the
    folder is not replaceable, so the thesis is not deleted."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work")
    (folder / "car.parquet").write_text("x")
    record = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in ("thesis.txt", "car.parquet")}
    (folder / "manifest.json").write_text(json.dumps({"files": record, "tool": "eventstudy"}))
    with pytest.raises(OutputFolderError, match=r"thesis\.txt"):
        check_replaceable(folder)
    del record["thesis.txt"]
    (folder / "thesis.txt").unlink()
    (folder / "manifest.json").write_text(json.dumps({"files": record, "tool": "eventstudy"}))
    check_replaceable(folder)  # the tool's own names are still recognised


@pytest.mark.parametrize(
    "manifest",
    [
        {"project": "my thesis data", "files": {}, "notes": "three weeks of hand-written notes"},
        {"generator": "another report tool", "files": {"report.md": None}},  # its own hashes
    ],
    ids=["records no file", "another program's"],
)
def test_a_manifest_eventstudy_did_not_write_never_makes_a_folder_replaceable(
    small, tmp_path: Path, capsys, manifest: dict
) -> None:
    """A folder holding only the user's manifest.json with an empty file record used to pass the
    check (nothing recorded, nothing else there) and the run overwrote the user's notes. Another
    program's manifest recording its report.md with the right hash passed it too. A manifest of
    this tool names its version (or, for a backtest's folder, the tool)."""
    events, config, cache = small
    folder = tmp_path / "mine"
    folder.mkdir()
    if manifest["files"]:
        (folder / "report.md").write_text("the other tool's report, edited since")
        manifest["files"]["report.md"] = hashlib.sha256((folder / "report.md").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    before = snapshot(folder)
    status, _, err = run_cli(run_args(events, config, cache, folder), capsys)
    assert status == 2 and err.count("\n") == 1, err
    assert "manifest.json that eventstudy did not write" in err and "mine" in err
    assert snapshot(folder) == before


def test_dangerous_targets_are_refused(tmp_path: Path, monkeypatch) -> None:
    cache, project = tmp_path / "cache", tmp_path / "project"
    (project / "reports").mkdir(parents=True)
    cache.mkdir()
    monkeypatch.chdir(project)
    guard = Guard.for_cache(cache)
    (tmp_path / "file").write_text("x")
    os.symlink(tmp_path / "elsewhere", tmp_path / "link")
    for target, reason in [
        (Path("."), "names no folder of its own"),
        (Path(".."), "names no folder of its own"),
        (tmp_path, "working directory"),
        (project, "working directory"),
        (cache, "is or contains"),
        (tmp_path / "x" / "..", "names no folder of its own"),  # not the working directory: the name
        (tmp_path / ("a" * 223), "longer than 222 bytes"),  # its staging folder's name failed: a traceback
        (tmp_path / ("é" * 112), "longer than 222 bytes"),
        (cache / "prices", "cache folder"),
        (cache / "prices" / "deep", "cache folder"),
        (cache / "returns", "cache folder"),  # every store, made or not yet: a run there damaged it
        (cache / "earnings" / "x", "cache folder"),
        (cache / ".locks" / "x", "cache folder"),
        (tmp_path / "file", "not a folder"),
        (tmp_path / "link", "symbolic link"),
        # a run into out removed them, or renamed the retired one to out (a finder)
        (tmp_path / ".out.eventstudy-aaaaaaaaaaaa.old", "names its unfinished and retired outputs"),
        (tmp_path / ".out.eventstudy-0123456789ab.partial", "names its unfinished and retired outputs"),
    ]:
        with pytest.raises(OutputFolderError, match=reason):
            outdir.check_target(target, guard)
    assert outdir.check_target(project / "reports" / "study", guard)  # inside the project is fine
    assert outdir.check_target(tmp_path / ("a" * 222), guard)
    assert outdir.check_target(tmp_path / ".out.eventstudy-aaaaaaaaaaaa.older", guard)  # not the tool's name
    assert outdir.check_target(cache / "study", guard)  # beside the cache's own folders
    assert not (tmp_path / "elsewhere").exists()


def test_report_inside_its_folder_says_how_not_to_name_a_new_folder(
    verified: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """`eventstudy report .` inside an output folder was told to "name a new folder", which
    report does not take (a finder)."""
    folder = tampered(verified, tmp_path)
    before = snapshot(folder)
    monkeypatch.chdir(folder)
    for target in (".", str(folder)):
        status, _, err = run_cli(["report", target], capsys)
        assert status == 2 and err.count("\n") == 1, err
        assert "new folder" not in err and "from a folder outside it" in err, err
    monkeypatch.chdir(tmp_path)
    assert snapshot(folder) == before
    assert run_cli(["report", "copy"], capsys)[0] == 0


def test_a_target_inside_an_output_folder_is_refused(tmp_path: Path) -> None:
    """`run --out outer/inner` wrote into an earlier output (exit 0), which verify then rejected
    ('inner/ar.parquet: not written by the run') and no later run could replace."""
    guard = Guard(cwd=tmp_path)
    outer = publish(tmp_path / "outer", write_some(["a.md"], "one"), guard=guard)
    before = snapshot(outer)
    for target in (outer / "inner", outer / "figures", outer / "deep" / "er"):
        with pytest.raises(OutputFolderError, match=f"lies inside {outer}, an output folder of eventstudy"):
            publish(target, write_some(["b.md"], "two"), guard=guard)
    assert snapshot(outer) == before and check_recorded_files(outer) == []
    assert publish(outer, write_some(["a.md"], "three"), guard=guard)  # the folder itself: replaced


def test_a_staging_named_folder_it_cannot_read_all_of_is_left_alone(tmp_path: Path, monkeypatch) -> None:
    """A user's copy of an output under a staging folder's name, holding a folder the tool cannot
    read, stopped a run into a new --out after the whole computation ('cannot read'): it is not
    known to be the tool's, so it is left alone, as the module promises."""
    guard = Guard(cwd=tmp_path)
    publish(tmp_path / "copy", write_some(["a.md"], "one"), guard=guard)
    stray = tmp_path / ".out.eventstudy-abcdefabcdef.partial"
    (tmp_path / "copy").rename(stray)

    def unreadable(folder: Path) -> list[str]:
        raise OutputFolderError(folder, "holds 'notes', which eventstudy cannot read (Permission denied)")

    monkeypatch.setattr(outdir, "check_recorded_files", unreadable)
    assert publish(tmp_path / "out", write_some(["b.md"], "two"), guard=guard)
    assert (stray / "a.md").read_text() == "one"


def test_folders_nested_past_pythons_recursion_limit_are_one_line(tmp_path: Path, monkeypatch) -> None:
    """1,100 nested folders in an output: os.walk (recursive in Python 3.11) raised RecursionError
    (a finder's tree; here os.walk raises it, as it does past the limit)."""
    folder = publish(tmp_path / "out", write_some(["a.md"], "one"), guard=Guard(cwd=tmp_path))
    walk = os.walk

    def deep(top, *args, **kwargs):
        yield from walk(top, *args, **kwargs)
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(outdir.os, "walk", deep)
    with pytest.raises(OutputFolderError, match="nested deeper than an output's"):
        publish(folder, write_some(["a.md"], "two"), guard=Guard(cwd=tmp_path))
    assert (folder / "a.md").read_text() == "one"


def test_a_large_folder_of_the_users_is_refused_from_its_first_entries(tmp_path: Path, monkeypatch) -> None:
    """`--out ~` walked all 238,601 files of the home folder to count them in the refusal."""
    folder = tmp_path / "home"
    (folder / "b").mkdir(parents=True)
    for i in range(12):
        (folder / "b" / f"{i}.txt").write_text("x")
    (folder / "a.txt").write_text("x")
    monkeypatch.setattr(outdir, "_LISTED", 5)
    with pytest.raises(OutputFolderError, match=r"it holds 'a\.txt' and 5\+ more, which"):
        check_replaceable(folder)
    monkeypatch.setattr(outdir, "_LISTED", 1000)
    with pytest.raises(OutputFolderError, match=r"it holds 'a\.txt' and 12 more, which"):
        check_replaceable(folder)


@pytest.mark.parametrize("where", ["target", "output"])
def test_an_empty_folder_of_the_users_is_never_removed(tmp_path: Path, where: str) -> None:
    """A target holding only empty folders (a project's skeleton) counted as empty and was
    replaced; an empty folder added to an output passed verify and went with the next run."""
    folder = tmp_path / "out"
    guard = Guard(cwd=tmp_path)
    if where == "output":
        publish(folder, write_some(["a.md", "figures/b.png"], "one"), guard=guard)
    if where == "target":  # an empty figures/ is an output's own only in an output
        (folder / "figures").mkdir(parents=True)
        with pytest.raises(OutputFolderError, match="holds 'figures/'"):
            publish(folder, write_some(["a.md"], "two"), guard=guard)
        (folder / "figures").rmdir()
    (folder / "data" / "raw").mkdir(parents=True)
    with pytest.raises(OutputFolderError, match="holds 'data/raw/'"):
        publish(folder, write_some(["a.md"], "two"), guard=guard)
    assert (folder / "data" / "raw").is_dir()
    if where == "output":
        assert check_recorded_files(folder) == ["data/raw/: not written by the run of manifest.json"]
        (folder / "data" / "raw").rmdir()
        (folder / "data").rmdir()
        (folder / "figures" / "b.png").unlink()  # an output's own figures/ may be empty
        assert "figures/b.png: missing" in check_recorded_files(folder)


UNREADABLE = r"""
import sys
from pathlib import Path
from eventstudy.output.folder import Guard, OutputFolderError, check_recorded_files, publish
folder = Path(sys.argv[1])
def build(staging):
    (staging / "a.md").write_text("two")
    (staging / "manifest.json").write_text('{"versions": {"eventstudy-backtester": "0"}}')
try:
    publish(folder, build, guard=Guard(cwd=folder.parent))
except OutputFolderError as exc:
    print("publish:", exc)
try:
    print("verify:", check_recorded_files(folder))
except OutputFolderError as exc:
    print("verify:", exc)
"""


def test_a_sub_folder_the_user_cannot_read_is_never_taken_for_nothing(tmp_path: Path) -> None:
    """Another user's folder inside an output (mode 700) was skipped by the listing: the run
    swapped the output, moved that folder into its leftover staging folder (which a later run
    with the rights to read it deletes) and said 'Permission denied'; verify said identical."""
    top = Path(tempfile.mkdtemp(prefix="eventstudy-unreadable."))
    try:
        top.chmod(0o777)
        folder = publish(top / "out", write_some(["a.md"], "one"), guard=Guard(cwd=top))
        private = folder / "private"
        private.mkdir()
        (private / "secret.txt").write_text("someone else's")
        if os.geteuid() == 0:  # root reads everything: run as root without those rights
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv to drop privileges")
            os.chown(private, 65534, 65534)
            os.chown(private / "secret.txt", 65534, 65534)
            caps = "-dac_override,-dac_read_search"
            as_user = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]
        else:  # pragma: no cover - non-root CI
            as_user = []
        private.chmod(0o700 if as_user else 0o000)
        command = [*as_user, sys.executable, "-c", UNREADABLE, str(folder)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        private.chmod(0o700)
        expected = f"{folder}: holds 'private', which eventstudy cannot read (Permission denied)"
        lines = done.stdout.splitlines()
        assert lines == [f"publish: {expected}", f"verify: {expected}"], done.stdout + done.stderr
        assert (private / "secret.txt").read_text() == "someone else's"
        assert (folder / "a.md").read_text() == "one"
        assert sorted(p.name for p in top.iterdir()) == ["out"]  # no staging left behind
    finally:
        shutil.rmtree(top)


READ_ONLY = r"""
import sys
from pathlib import Path
from eventstudy.output import folder as outdir
from eventstudy.output.folder import Guard, OutputFolderError, check_replaceable, publish
folder, way_out = Path(sys.argv[1]), getattr(outdir, sys.argv[2])
def build(staging):
    (staging / "figures").mkdir()
    (staging / "figures" / "b.png").write_text("two")
    (staging / "manifest.json").write_text('{"versions": {"eventstudy-backtester": "0"}}')
guard = Guard(cwd=Path.cwd())
for step in (
    lambda: check_replaceable(folder, way_out),
    lambda: publish(folder, build, guard=guard, way_out=way_out),
):
    try:
        step()
        print("written")
    except OutputFolderError as exc:
        print(exc)
"""


ELSEWHERE = {
    "NEW_OUTPUT": "write to another folder",
    "IN_PLACE": "re-run the study (eventstudy run) into a new folder",  # report renders in place
}


@pytest.mark.parametrize("way_out", list(ELSEWHERE))
@pytest.mark.parametrize("locked", [".", "figures", ".."])
def test_a_read_only_output_is_refused_before_any_work(locked: str, way_out: str) -> None:
    """chmod a-w of a previous output (or of its figures/): the run computed the study, then
    failed to write into the staging folder it had given that mode, or swapped and failed to
    remove the old output, said it had failed though it published, and left a staging folder
    every later run stopped on ('.eventstudy-staging: Permission denied'). report, which renders
    in place, said "or write to another folder" too."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv to drop privileges")
    caps = "-dac_override,-dac_read_search,-fowner"
    as_user = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"] if os.geteuid() == 0 else []
    top = Path(tempfile.mkdtemp(prefix="eventstudy-readonly."))
    try:
        parent = top / "reports"
        folder = publish(parent / "out", write_some(["figures/b.png"], "one"), guard=Guard(cwd=top))
        before = snapshot(folder)
        (folder / locked).chmod(0o555)
        command = [*as_user, sys.executable, "-c", READ_ONLY, str(folder), way_out]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=top)
        (folder / locked).chmod(0o755)
        if locked == "..":
            expected = f"{folder}: cannot be written: {parent} is read-only to this user"
        else:
            what = "is read-only" if locked == "." else "holds 'figures/', which is read-only"
            expected = (
                f"{folder}: {what} to this user: a run replaces the whole folder, removing its files; "
                f"make it writable (chmod -R u+w) or {ELSEWHERE[way_out]}"
            )
        assert done.stdout.splitlines() == [expected, expected], done.stdout + done.stderr
        assert snapshot(folder) == before
        assert sorted(p.name for p in parent.iterdir()) == ["out"]  # no staging left behind
        # writable again: the next run replaces it
        subprocess.run(command, capture_output=True, text=True, check=True, cwd=top)
        assert (folder / "figures" / "b.png").read_text() == "two"
        assert sorted(p.name for p in parent.iterdir()) == ["out"]
    finally:
        for path in top.rglob("*"):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(top)


@pytest.mark.parametrize("way_out", list(ELSEWHERE))
def test_another_users_output_in_a_sticky_folder_is_refused_before_any_work(way_out: str) -> None:
    """In /tmp (mode 1777) only a folder's owner may rename it: another user's world-writable
    output passed the checks, and the run failed at the swap after computing the study. report's
    refusal said "write to another folder", which report cannot do."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv to drop privileges")
    if os.geteuid() != 0:  # pragma: no cover - needs a second user
        pytest.skip("needs root to make another user's folder")
    top = Path(tempfile.mkdtemp(prefix="eventstudy-sticky."))
    try:
        top.chmod(0o1777)
        folder = publish(top / "out", write_some(["figures/b.png"], "one"), guard=Guard(cwd=top))
        for path in (folder, folder / "figures"):
            path.chmod(0o777)
        before = snapshot(folder)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        command = [*as_nobody, sys.executable, "-c", READ_ONLY, str(folder), way_out]
        done = subprocess.run(command, capture_output=True, text=True, cwd=top)
        expected = (
            f"{folder}: belongs to another user in {top}, where only a folder's owner may replace it (the "
            f"sticky bit); {ELSEWHERE[way_out]}"
        )
        assert done.stdout.splitlines() == [expected, expected], done.stdout + done.stderr
        assert snapshot(folder) == before and sorted(p.name for p in top.iterdir()) == ["out"]
    finally:
        shutil.rmtree(top)


def test_an_old_output_that_cannot_be_removed_is_said_and_blocks_no_run(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """Once swapped in, the new output is published: a previous output the system refuses to
    remove (a folder made read-only after the check) made the run exit 2 'cannot write the
    output', and every later run stopped on the leftover."""
    folder = tmp_path / "out"
    publish(folder, write_some(["a.md"], "one"), guard=Guard(cwd=tmp_path))
    remove = outdir._remove_tree

    def refuse(path: Path) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path / "a.md"))

    monkeypatch.setattr(outdir, "_remove_tree", refuse)
    publish(folder, write_some(["a.md"], "two"), guard=Guard(cwd=tmp_path))
    assert (folder / "a.md").read_text() == "two"
    [left] = [p for p in tmp_path.iterdir() if p.name != "out"]
    assert (left / "a.md").read_text() == "one"  # the previous output, whole
    warning = capsys.readouterr().err
    assert warning == (
        f"eventstudy: warning: the previous output stays in {left} (Permission denied: {left / 'a.md'}); "
        "make it writable and remove it by hand (chmod -R u+w, then rm -r)\n"
    )
    publish(folder, write_some(["a.md"], "three"), guard=Guard(cwd=tmp_path))  # still refused: said again
    assert f"what an earlier writer of out left stays in {left}" in capsys.readouterr().err
    monkeypatch.setattr(outdir, "_remove_tree", remove)
    publish(folder, write_some(["a.md"], "four"), guard=Guard(cwd=tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # removed by the next run that can
    assert (folder / "a.md").read_text() == "four"


def test_the_default_guard_protects_the_project_checkout(tmp_path: Path, monkeypatch) -> None:
    """The guard looked for pyproject.toml beside the package's own folder (eventstudy/) since
    folder.py moved into eventstudy/output/: the checkout was protected by nothing."""
    project = Path(__file__).resolve().parents[1]
    assert (project / "pyproject.toml").is_file()
    monkeypatch.chdir(tmp_path)
    guard = Guard.for_cache(None)
    assert project in [p.resolve() for p in guard.protected]
    for target in (project, tmp_path.parent / os.path.relpath(project, tmp_path.parent)):
        with pytest.raises(OutputFolderError, match="is or contains"):
            outdir.check_target(target, guard)
    assert outdir.check_target(project / "reports" / "study", guard)


def test_a_store_of_any_cache_is_refused_whatever_cache_the_run_named(tmp_path: Path, monkeypatch) -> None:
    """save_study of results whose cache was recorded relative to another directory (a chdir in
    a notebook, or a loaded study) wrote a whole output into cache/prices/: the guard only knew
    the recorded path. A store is now recognised from the target itself."""
    cache = tmp_path / "cache"
    (cache / ".locks").mkdir(parents=True)
    (cache / "prices").mkdir()
    monkeypatch.chdir(tmp_path)
    guard = Guard.for_cache("elsewhere/cache")  # the run's cache, named relative to another folder
    stores = (cache / "prices" / "x", cache / "earnings" / "y", cache / ".locks" / "z", cache / "shares")
    for target in stores:
        with pytest.raises(OutputFolderError, match="cache folder"):
            outdir.check_target(target, guard)
    assert outdir.check_target(cache / "study", guard)  # beside the stores, as a run may write
    plain = tmp_path / "notes" / "prices"  # a folder named prices outside any cache is the user's choice
    assert outdir.check_target(plain / "study", guard)


def test_the_new_folder_gets_the_usual_mode_and_keeps_an_earlier_ones(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    publish(folder, write_some(["a.md"], "one"), guard=Guard(cwd=tmp_path))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~outdir._umask()
    folder.chmod(0o750)
    publish(folder, write_some(["a.md"], "two"), guard=Guard(cwd=tmp_path))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750


def test_a_failed_build_or_full_disk_leaves_the_previous_output(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    guard = Guard(cwd=tmp_path)
    publish(folder, write_some(["a.md"], "one"), guard=guard)
    before = snapshot(folder)

    def full(staging: Path) -> None:
        (staging / "a.md").write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging / "b.md"))

    with pytest.raises(OutputFolderError, match="No space left on device"):
        publish(folder, full, guard=guard)

    def bug(staging: Path) -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        publish(folder, bug, guard=guard)
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]



def test_a_failed_publish_removes_the_parent_folders_it_created(tmp_path: Path) -> None:
    """The output's missing parents are made for the run: a failure removes them again (an empty
    ``./~`` was left behind by a failed ``--out '~/x'``), and never a folder that was there."""
    guard = Guard(cwd=tmp_path)
    (tmp_path / "kept").mkdir()

    def full(staging: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging / "a.md"))

    def bug(staging: Path) -> None:
        raise ZeroDivisionError

    for build, error in ((full, OutputFolderError), (bug, ZeroDivisionError)):
        with pytest.raises(error):
            publish(tmp_path / "new" / "deeper" / "out", build, guard=guard)
        with pytest.raises(error):
            publish(tmp_path / "kept" / "new" / "out", build, guard=guard)
        assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["kept"]


# -- kill -9 and concurrent writers, in child processes ----------------------------------------

CHILD = textwrap.dedent(
    """
    import sys, pathlib
    from eventstudy.output.folder import Guard, publish
    folder, text, n = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    def build(staging):
        (staging / "figures").mkdir()
        for k in range(n):
            name = f"figures/f{k}.png" if k % 2 else f"f{k}.md"  # names the tool writes
            (staging / name).write_bytes(text.encode() * 20000)
        (staging / "manifest.json").write_text('{"run": "%s", "tool": "eventstudy"}' % text)
    if len(sys.argv) > 4:  # no atomic exchange: the fallback of two renames
        import eventstudy.output.folder as o
        o._exchange = lambda a, b: False
    publish(folder, build, guard=Guard(cwd=folder.parent))
    """
)


def child(folder: Path, text: str, *, n: int = 12, kill_at: str | None = None, fallback: bool = False):
    env = {**os.environ, outdir._KILL_ENV: kill_at or ""}
    command = [sys.executable, "-c", CHILD, str(folder), text, str(n), *(["fallback"] if fallback else [])]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def complete_run(folder: Path) -> str:
    """The run a folder holds, asserting it is exactly that run's complete output."""
    assert check_recorded_files(folder) == []
    run = json.loads((folder / "manifest.json").read_text())["run"]
    files = sorted(p for p in folder.rglob("f[0-9]*.*"))
    assert len(files) == 12 and all(p.read_bytes() == run.encode() * 20000 for p in files)
    return run


def no_strays(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if p.name.startswith(".out.")]


@pytest.mark.parametrize("step", ["built", "recorded", "exchanged"])
def test_kill_9_at_each_step_leaves_the_old_or_the_new_output(tmp_path: Path, step: str) -> None:
    folder = tmp_path / "out"
    assert child(folder, "old").wait() == 0
    killed = child(folder, "new", kill_at=step)
    assert killed.wait() == -signal.SIGKILL
    assert complete_run(folder) == ("new" if step == "exchanged" else "old")
    assert child(folder, "next").wait() == 0  # a later run cleans up what the killed one left
    assert complete_run(folder) == "next" and no_strays(tmp_path)


def test_kill_9_between_the_two_renames_of_the_fallback_is_repaired(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    assert child(folder, "old", fallback=True).wait() == 0
    assert child(folder, "new", kill_at="retired", fallback=True).wait() == -signal.SIGKILL
    assert not folder.exists()  # the one moment the fallback has no folder ...
    assert child(folder, "next", fallback=True).wait() == 0  # ... which the next writer repairs first
    assert complete_run(folder) == "next" and no_strays(tmp_path)


def test_a_users_folder_named_like_a_staging_folder_is_never_removed(tmp_path: Path) -> None:
    """Strays were recognised by name alone: a user's '.out.eventstudy-abcdefabcdef.old' holding
    thesis.txt was deleted by the next run into 'out' (an audit), and one named '.partial'
    would have been too. Only a folder that is the tool's -- the staging mark, a manifest of
    this tool, or empty -- is removed or restored."""
    folder = tmp_path / "out"
    mine = {suffix: tmp_path / f".out.eventstudy-abcdefabcdef.{suffix}" for suffix in ("old", "partial")}
    for path in mine.values():
        path.mkdir()
        (path / "thesis.txt").write_text("mine")
    assert child(folder, "first").wait() == 0  # no output yet: an '.old' of the user's is not restored
    assert complete_run(folder) == "first"
    assert child(folder, "second", fallback=True).wait() == 0
    assert complete_run(folder) == "second"
    assert all((path / "thesis.txt").read_text() == "mine" for path in mine.values())
    empty = tmp_path / ".out.eventstudy-000000000000.partial"  # a kill right after the mkdir
    empty.mkdir()
    marked = tmp_path / ".out.eventstudy-111111111111.partial"  # a kill during a build or removal
    (marked / "figures").mkdir(parents=True)
    (marked / outdir.STAGING_MARK).write_text("111111111111")  # the mark holds its folder's token
    (marked / "figures" / "f1.png").write_bytes(b"x")
    assert child(folder, "third").wait() == 0
    assert not empty.exists() and not marked.exists() and complete_run(folder) == "third"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")) == sorted(
        path.name for path in mine.values()
    )
    # A copy of an output (its manifest names the tool) with the user's notes added is the
    # user's; one whose mark is a link is not followed (review of e2366fc).
    copy = tmp_path / ".out.eventstudy-222222222222.old"
    shutil.copytree(folder, copy)
    (copy / "thesis.txt").write_text("mine")
    linked = tmp_path / ".out.eventstudy-333333333333.partial"
    shutil.copytree(folder, linked)
    target = tmp_path / "target.txt"
    target.write_text("untouched")
    os.symlink(target, linked / outdir.STAGING_MARK)
    assert child(folder, "fourth").wait() == 0 and complete_run(folder) == "fourth"
    assert (copy / "thesis.txt").read_text() == "mine" and linked.is_dir()
    assert target.read_text() == "untouched"
    # A mark the tool did not write for the folder (empty, or another folder's token) makes no
    # folder the tool's: a finder's thesis.txt, then notes.md, data.csv, thesis.tex and a
    # figures/my_plot.png (names the tool could write) beside an empty mark were deleted with
    # their folder. A killed writer's own folder, its token in the mark, is removed.
    claimed = tmp_path / ".out.eventstudy-444444444444.partial"
    (claimed / "figures").mkdir(parents=True)
    (claimed / outdir.STAGING_MARK).touch()
    for name in ("notes.md", "data.csv", "thesis.tex", "figures/my_plot.png"):  # no other names
        (claimed / name).write_text("mine")
    nested = tmp_path / ".out.eventstudy-555555555555.partial"
    (nested / "figures").mkdir(parents=True)
    (nested / outdir.STAGING_MARK).write_text("444444444444")  # another folder's token
    (nested / "figures" / "my-plot.svg").write_text("mine")
    killed = tmp_path / ".out.eventstudy-666666666666.partial"
    (killed / "figures").mkdir(parents=True)
    (killed / outdir.STAGING_MARK).write_text("666666666666")
    built = ("car.parquet", ".report.md.a1b2c3d4.tmp", "figures/caar_all.png", "figures/.x.png.k9_z0q1w.tmp")
    for name in built:
        (killed / name).write_bytes(b"x")
    # A killed writer's own folder, its mark its own, into which the user then saved files of
    # theirs, is theirs: it was removed with thesis.txt and mydata/ (a finder).
    saved = {}
    for token, mine in (("777777777777", "thesis.txt"), ("888888888888", "mydata/important.csv")):
        saved[token] = tmp_path / f".out.eventstudy-{token}.partial"
        (saved[token] / "mydata").mkdir(parents=True)
        (saved[token] / outdir.STAGING_MARK).write_text(token)
        (saved[token] / "car.parquet").write_bytes(b"x")
        (saved[token] / mine).write_text("mine")
    assert child(folder, "fifth").wait() == 0 and complete_run(folder) == "fifth"
    assert (saved["777777777777"] / "thesis.txt").read_text() == "mine"
    assert (saved["888888888888"] / "mydata" / "important.csv").read_text() == "mine"
    assert (claimed / "notes.md").read_text() == "mine" and (claimed / "figures" / "my_plot.png").exists()
    assert (nested / "figures" / "my-plot.svg").exists()
    assert not killed.exists()


def test_a_marked_folder_is_not_marked_again(tmp_path: Path, monkeypatch) -> None:
    """Writing a mark empties it for an instant: rewritten when the tool removes a leftover that
    already holds it, a kill -9 in that instant left a folder with an empty mark, which no later
    run removes (a finder). A folder already marked is left as it is."""
    folder = tmp_path / ".out.eventstudy-0123456789ab.partial"
    folder.mkdir()
    outdir._mark(folder)
    assert (folder / outdir.STAGING_MARK).read_text() == "0123456789ab"
    written: list[Path] = []
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: written.append(self))
    outdir._mark(folder)
    (folder / "car.parquet").write_bytes(b"x")
    outdir._remove_tree(folder)
    assert written == [] and not folder.exists()
    # a kill while a new staging folder's mark was written left it empty, and the folder no one's
    folder.mkdir()
    (folder / outdir.STAGING_MARK).touch()
    assert outdir._ours(folder)
    (folder / "notes.md").write_bytes(b"mine")  # beside anything else, an empty mark is the user's
    assert not outdir._ours(folder)


def test_the_staging_mark_is_never_published_or_recorded(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    assert child(folder, "one").wait() == 0 and child(folder, "two").wait() == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert not (folder / outdir.STAGING_MARK).exists() and outdir.STAGING_MARK not in manifest["files"]


KILLS = int(os.environ.get("EVENTSTUDY_KILLS", "8"))


def test_kill_9_at_random_moments_never_leaves_a_mix(tmp_path: Path) -> None:
    """Kills land at random points (the delays only pick the moment; nothing waits on them)."""
    folder = tmp_path / "out"
    assert child(folder, "v0").wait() == 0
    rng = random.Random(20261201)
    seen = {"v0"}
    for k in range(1, KILLS + 1):
        process = child(folder, f"v{k}", n=12)
        try:
            process.wait(timeout=rng.uniform(0.0, 0.4))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        run = complete_run(folder)
        assert run in {f"v{k - 1}", f"v{k}"} or run in seen
        seen.add(run)
        if run != f"v{k}":  # the killed run lost: re-publish so the next round starts from v{k}
            assert child(folder, f"v{k}").wait() == 0
    # A run killed after its exchange leaves the retired output behind until the next writer.
    assert child(folder, "last").wait() == 0
    assert complete_run(folder) == "last" and no_strays(tmp_path)


def test_concurrent_writers_are_serialised_and_the_result_is_one_complete_run(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    processes = [child(folder, f"w{k}", n=40) for k in range(4)]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], results
    assert complete_run_n(folder, 40) in {"w0", "w1", "w2", "w3"} and no_strays(tmp_path)


def complete_run_n(folder: Path, n: int) -> str:
    assert check_recorded_files(folder) == []
    run = json.loads((folder / "manifest.json").read_text())["run"]
    files = sorted(folder.rglob("f[0-9]*.*"))
    assert len(files) == n and all(p.read_bytes() == run.encode() * 20000 for p in files)
    return run


# -- whole runs: the CLI over a small study with a backtest -------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("small")
    make_cache(root / "cache")
    events, config = make_study(root)
    return events, config, root / "cache"


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_ctrl_c_a_library_swallowed_publishes_nothing(small, tmp_path: Path, capsys, monkeypatch) -> None:
    """Dask's garbage-collection callback caught the KeyboardInterrupt of Ctrl-C and printed it as
    "Exception ignored": the run went on, replaced the output and exited 0 (a finder)."""
    import eventstudy.cli as cli
    import eventstudy.report.write as report_write

    events, config, cache = small
    folder = tmp_path / "out"
    assert main(run_args(events, config, cache, folder)) == 0
    before = snapshot(folder)
    real = report_write.render_into

    def swallowed(staging: Path):
        # Ctrl-C's handler, inside a library's callback ("Exception ignored in: <bound method
        # GCDiagnosis._gc_callback ...").
        with contextlib.suppress(KeyboardInterrupt):
            cli._on_interrupt(2, None)
        return real(staging)

    monkeypatch.setattr(report_write, "render_into", swallowed)
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 130 and err.startswith("eventstudy: interrupted; an output folder keeps what it held")
    assert snapshot(folder) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    monkeypatch.setattr(report_write, "render_into", real)
    assert run_cli(["report", str(folder)], capsys)[0] == 0  # the next command starts afresh


def test_report_puts_back_an_output_a_killed_writer_left_retired(small, tmp_path: Path, capsys) -> None:
    """Without an atomic exchange (macOS), a kill between the two renames leaves the output at
    .out.eventstudy-<token>.old; `eventstudy report out` said out was no output folder (a finder)."""
    events, config, cache = small
    folder = tmp_path / "out"
    assert main(run_args(events, config, cache, folder)) == 0
    before = snapshot(folder)
    folder.rename(tmp_path / ".out.eventstudy-0123456789ab.old")  # killed after the first rename
    assert run_cli(["report", str(folder)], capsys)[0] == 0
    assert snapshot(folder) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_cli_refuses_a_users_folder_with_one_line_and_exit_2(small, tmp_path: Path, capsys) -> None:
    events, config, cache = small
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "draft.docx").write_text("years of work")
    status, _, err = run_cli(run_args(events, config, cache, folder), capsys)
    assert status == 2 and err.count("\n") == 1 and "thesis" in err and "Traceback" not in err
    assert [p.name for p in folder.iterdir()] == ["draft.docx"]
    before = sorted(str(p) for p in cache.rglob("*"))
    for out in (cache, cache / "prices", cache / "returns", cache / "earnings", Path(".")):
        status, _, err = run_cli(run_args(events, config, cache, out), capsys)
        assert status == 2 and err.count("\n") == 1, err
    assert sorted(str(p) for p in cache.rglob("*")) == before  # no store made, damaged or filled


@pytest.mark.parametrize("named", ["file.txt/../o", "dang/../o", "loop/../o"])
def test_an_out_through_no_folder_is_refused_before_the_study_is_computed(
    small, tmp_path: Path, capsys, monkeypatch, named: str
) -> None:
    """The CLI's early check took the path as given and the study was computed, then refused at
    publish (a finder): the early check places a path with '..' as publish does."""
    events, config, cache = small
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("mine")
    (tmp_path / "dang").symlink_to(tmp_path / "nowhere" / "x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")

    def computed(*args: object) -> None:
        raise AssertionError("the study was computed")

    monkeypatch.setattr("eventstudy.cli.run.compute", computed)
    status, _, err = run_cli(run_args(events, config, cache, Path(named)), capsys)
    assert status == 2 and err.count("\n") == 1 and "is not a folder (a file, or a link to none)" in err, err
    assert (tmp_path / "file.txt").read_text() == "mine" and not (tmp_path / "o").exists()


def test_a_run_with_a_backtest_writes_one_complete_verifiable_folder(
    small, verified: Path, tmp_path: Path, capsys
) -> None:
    events, config, cache = small
    out = tampered(verified, tmp_path)  # a copy of the module's run of the small study
    recorded = json.loads((out / "manifest.json").read_text())["files"]
    for name in ("stats.parquet", "caar.parquet", "trades.parquet", "backtest.parquet", "drift.parquet",
                 "backtest.md", "report.md", "report.html", "figures/equity_curve.png"):
        assert name in recorded, name
    assert "## Backtest" in (out / "report.md").read_text() or "Backtest" in (out / "report.md").read_text()
    status, text, _ = run_cli(["verify", str(out)], capsys)
    assert status == 0 and "identical" in text
    # `eventstudy report` re-publishes the folder (adding the CSV files); it stays verifiable.
    assert run_cli(["report", str(out), "--format", "csv"], capsys)[0] == 0
    assert (out / "car.csv").is_file() and check_recorded_files(out) == []
    assert run_cli(["verify", str(out)], capsys)[0] == 0
    # `eventstudy backtest` is one whole run too: the folder is its complete output.
    backtest = ["backtest", "--events", str(events), "--config", str(config), "--offline"]
    assert run_cli([*backtest, "--cache", str(cache), "--out", str(out)], capsys)[0] == 0
    assert check_recorded_files(out) == [] and not (out / "car.csv").exists()
    assert run_cli(["verify", str(out)], capsys)[0] == 0


def test_the_staging_folder_of_a_killed_run_is_no_output(
    verified: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """After a kill -9 of a run, `eventstudy report` with no folder took its hidden staging folder
    for the only one under reports/, and it and verify said the folder was 'written by an older
    version'. The default is the only visible folder; the staging folder is said to be one."""
    reports = tmp_path / "reports"
    shutil.copytree(verified, reports / "study")
    staging = reports / ".study.eventstudy-0123456789ab.partial"
    shutil.copytree(verified, staging)
    (staging / outdir.STAGING_MARK).write_text("0123456789ab")
    monkeypatch.chdir(tmp_path)
    interrupted = "the unfinished output of an interrupted run: the next run into its folder removes it"
    status, text, _ = run_cli(["verify", str(staging)], capsys)
    assert status == 1 and interrupted in text and "older version" not in text, text
    before = snapshot(staging)
    status, _, err = run_cli(["report", str(staging)], capsys)
    assert status == 2 and err == f"eventstudy: error: {staging}: is {interrupted}\n", err
    assert snapshot(staging) == before
    status, _, err = run_cli(["report"], capsys)
    assert status == 0, err
    assert check_recorded_files(reports / "study") == []
    assert sorted(p.name for p in reports.iterdir()) == ["study"]  # and its run removed the leftover
    # A folder of the user's holding the mark beside files the tool did not write: no run
    # removes it, so the refusal does not say one will (a finder).
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / outdir.STAGING_MARK).touch()
    (mine / "data.txt").write_text("mine")
    with pytest.raises(outdir.OutputFolderError) as caught:  # what run, report and backtest check
        outdir.check_replaceable(mine)
    said = str(caught.value)
    assert "which eventstudy did not write for it" in said and "removes it" not in said, said
    assert (mine / "data.txt").read_text() == "mine"


def test_an_out_path_starting_with_a_tilde_is_taken_literally(
    small, tmp_path: Path, monkeypatch, capsys
) -> None:
    """``--out '~/x'`` (quoted, so no shell expanded it) made the staging folder under ``./~`` while
    pyarrow wrote to ``$HOME/.x...partial/ar.parquet``: exit 2 and an empty ``./~`` left behind.
    Then it made ``./~/x``, which a later ``rm -rf ~`` would take for the home folder: an output
    path starting with ``~`` is refused, writing nothing here or at home. A folder so named is
    read literally, as pathlib takes it (HOME is a temporary folder here, never the real home)."""
    from eventstudy import load_study
    from eventstudy.output.verify import verify

    events, config, cache = small
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    status, _, err = run_cli(run_args(events, config, cache, Path("~/x")), capsys)
    assert status == 2 and "starts with '~', which was not expanded" in err, err
    nothing_at_home = lambda: not list(home.glob("x")) and not list(home.glob(".x.*"))  # noqa: E731
    assert nothing_at_home()  # (matplotlib keeps its caches under HOME)
    assert list(work.iterdir()) == []
    assert run_cli(run_args(events, config, cache, work / "made"), capsys)[0] == 0
    (work / "~").mkdir()
    (work / "made").rename(work / "~" / "x")
    out = work / "~" / "x"
    assert len(load_study("~/x").ar) == len(pd.read_parquet(out / "ar.parquet"))
    assert verify("~/x").identical
    status, text, _ = run_cli(["verify", "~/x"], capsys)
    assert status == 0 and "identical" in text
    assert nothing_at_home()


@pytest.fixture(scope="module")
def verified(small, tmp_path_factory: pytest.TempPathFactory) -> Path:
    events, config, cache = small
    out = tmp_path_factory.mktemp("verified") / "out"
    assert main(run_args(events, config, cache, out)) == 0
    return out


def tampered(verified: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(verified, copy)
    return copy


def test_report_of_an_edited_table_gives_a_way_out_it_takes(verified: Path, tmp_path: Path, capsys) -> None:
    """report of a folder whose stats.parquet was edited said "move it away or write to another
    folder": report renders in place, so the other folder is a new run (a referee)."""
    folder = tampered(verified, tmp_path)
    stats = pd.read_parquet(folder / "stats.parquet")
    stats.loc[0, "value"] = 9.99
    stats.to_parquet(folder / "stats.parquet", index=False)
    before = (folder / "report.md").read_bytes()
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and (folder / "report.md").read_bytes() == before
    assert err.endswith(
        "'stats.parquet' was changed since eventstudy wrote it; move away what eventstudy did not write "
        "and put back what it did (eventstudy verify names both), or re-run the study (eventstudy run) into "
        "a new folder\n"
    )


def test_a_link_in_a_tables_place_is_said_as_a_link(verified: Path, tmp_path: Path, capsys) -> None:
    """report and run said a link in stats.parquet's place "was changed since eventstudy wrote it",
    where verify says it is a link (a review)."""
    folder = tampered(verified, tmp_path)
    (folder / "stats.parquet").rename(tmp_path / "stats-elsewhere.parquet")
    (folder / "stats.parquet").symlink_to(tmp_path / "stats-elsewhere.parquet")
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1 and "changed" not in err
    assert "has a link, pipe or device in the place of 'stats.parquet', which eventstudy wrote; move" in err


def test_report_of_an_edited_report_says_to_move_it_away(verified: Path, tmp_path: Path, capsys) -> None:
    """report of a folder whose report.md the user edited said "put back what it did": the user
    has no copy to put back, and need not: moved away, report writes its own again (a review)."""
    folder = tampered(verified, tmp_path)
    (folder / "report.md").write_text("my edits")
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.endswith(
        "'report.md' was changed since eventstudy wrote it; move it away, or re-run the study (eventstudy "
        "run) into a new folder\n"
    )
    (folder / "report.md").rename(tmp_path / "my-report.md")
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 0 and (folder / "report.md").read_bytes() == (verified / "report.md").read_bytes()
    assert (tmp_path / "my-report.md").read_text() == "my edits"


def test_a_link_in_the_place_of_figures_is_said_once_with_a_way_out_that_works(
    verified: Path, tmp_path: Path, capsys, small
) -> None:
    """figures/ replaced by a link: report said "move it away, or re-run"; moved away, report then
    lacked the backtest's figures/equity_curve.png, which it cannot draw, and refused again (a
    re-attack). What eventstudy wrote there must be put back, or the study re-run. run says the
    link once and, moved away, writes the folder."""
    folder = tampered(verified, tmp_path)
    shutil.move(folder / "figures", tmp_path / "their-figures")
    (folder / "figures").symlink_to(tmp_path / "their-figures")
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.endswith(
        "'figures' is a link, not the folder the run wrote; move away what eventstudy did not write and "
        "put back what it did (eventstudy verify names both), or re-run the study (eventstudy run) into a "
        "new folder\n"
    )
    events, config, cache = small
    status, _, err = run_cli(run_args(events, config, cache, folder), capsys)
    assert status == 2 and err.endswith("'figures' is a link, not the folder the run wrote; move it away or "
                                        "write to another folder\n")  # fmt: skip
    (folder / "figures").rename(tmp_path / "the-link")
    assert run_cli(run_args(events, config, cache, folder), capsys)[0] == 0
    assert sorted(p.name for p in (tmp_path / "their-figures").iterdir()) == sorted(
        p.name for p in (verified / "figures").iterdir()
    )  # the user's link and what it points to, untouched


@pytest.mark.parametrize("standing", ["link", "folder"])
def test_a_link_or_folder_in_the_manifests_place_is_said_as_such(
    verified: Path, tmp_path: Path, capsys, small, standing: str
) -> None:
    """manifest.json replaced by a link or a folder read as "no readable manifest": run said the
    folder held 'ar.parquet' and 19 more that eventstudy did not write, report called it missing,
    and verify "missing or not readable" (a re-attack)."""
    folder = tampered(verified, tmp_path)
    (folder / "manifest.json").rename(tmp_path / "their-manifest.json")
    if standing == "link":
        (folder / "manifest.json").symlink_to(tmp_path / "their-manifest.json")
    else:
        (folder / "manifest.json").mkdir()
    events, config, cache = small
    status, _, err = run_cli(run_args(events, config, cache, folder), capsys)
    assert status == 2 and err.endswith(
        f"'manifest.json' is a {standing}, not the file eventstudy wrote; choose an empty or new folder\n"
    )
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.endswith(
        f"'manifest.json' is a {standing}, not the file eventstudy wrote; put back the manifest.json "
        "eventstudy wrote, or re-run the study (eventstudy run) into a new folder\n"
    )
    # verify and load_study read it through the link as the folder's own (another run's: a re-attack)
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[1:] == [f"  folder manifest.json: a {standing}, not the file the run wrote"]
    from eventstudy import load_study

    with pytest.raises(InputError, match=f"'manifest.json' is a {standing}, not the file the run wrote"):
        load_study(folder)
    (folder / "manifest.json").unlink() if standing == "link" else (folder / "manifest.json").rmdir()
    shutil.copy(tmp_path / "their-manifest.json", folder / "manifest.json")  # put back: report works
    assert run_cli(["report", str(folder)], capsys)[0] == 0


def test_verify_of_a_staging_folder_or_with_an_output_as_cache_and_run_into_a_broken_manifest(
    verified: Path, tmp_path: Path, capsys, small
) -> None:
    """A fourth re-attack: verify of a killed run's staging folder before its manifest said "cannot
    read the manifest (No such file or directory)"; verify --cache naming an output folder blamed the
    manifest's market and advised importing SPY into the output folder, which the import refuses; run
    into a folder whose manifest.json is empty said it held 'ar.parquet' and 19 more that eventstudy
    did not write."""
    staging = tmp_path / ".out.eventstudy-0123456789ab.partial"
    staging.mkdir()
    shutil.copy(verified / "ar.parquet", staging)
    (staging / outdir.STAGING_MARK).write_text("0123456789ab")
    assert main(["verify", str(staging)]) == 1
    assert capsys.readouterr().out.splitlines()[1:] == [f"  folder .eventstudy-staging: {outdir.INTERRUPTED}"]
    status, _, err = run_cli(["verify", str(verified), "--cache", str(verified)], capsys)
    inside = f"{verified}, an output folder of eventstudy; name a place of its own\n"
    assert status == 2 and err.endswith(inside)
    folder = tampered(verified, tmp_path)
    (folder / "manifest.json").write_text("")
    events, config, cache = small
    status, _, err = run_cli(run_args(events, config, cache, folder), capsys)
    assert status == 2 and err.endswith(
        "'manifest.json' is not a manifest eventstudy wrote (no JSON object, or larger than any study's); "
        "choose an empty or new folder\n"
    )


def test_report_writes_again_the_csv_tables_of_a_csv_run(verified: Path, tmp_path: Path, capsys) -> None:
    """ar.csv moved away from a --format csv folder: report said it "cannot write again ...: restore
    it", though report --format csv does (a re-attack). It re-renders in the formats of the run."""
    folder = tampered(verified, tmp_path)
    assert run_cli(["report", str(folder), "--format", "csv"], capsys)[0] == 0
    written = (folder / "ar.csv").read_bytes()
    (folder / "ar.csv").rename(tmp_path / "ar.csv")
    status, out, _ = run_cli(["report", str(folder)], capsys)
    assert status == 0 and out.rstrip().endswith(", ar.csv, car.csv, manifest.json)")  # it says so
    assert (folder / "ar.csv").read_bytes() == written == (tmp_path / "ar.csv").read_bytes()
    assert main(["verify", str(folder)]) == 0


def test_verify_says_an_emptied_figures_folder_and_a_copied_staging_mark_once(
    verified: Path, tmp_path: Path, capsys
) -> None:
    """An emptied figures/ printed a 'missing' line per figure (19 in the launch study), and a staging
    mark copied with a folder was called an interrupted run's 'the next run removes', which run
    then refused (a re-attack)."""
    folder = tampered(verified, tmp_path)
    figures = sorted(p.name for p in (folder / "figures").iterdir())
    for png in (folder / "figures").iterdir():
        png.unlink()
    assert main(["verify", str(folder)]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if "figures" in line]
    assert lines == [f"  folder figures/: missing, the {len(figures)} files the run wrote there"]
    shutil.rmtree(folder)
    folder = tampered(verified, tmp_path)
    (folder / outdir.STAGING_MARK).write_text("copied")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["config"]["backtest"]["cost_bps"] = 20.0  # and an edited manifest: said too (it was not)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "not written for this folder (a copy?): run and report refuse the folder until it is" in out
    assert "  folder manifest.json: changed since eventstudy wrote it" in out and "the next run" not in out


def test_report_of_a_folder_whose_file_record_was_emptied_gives_a_way_out_it_takes(
    verified: Path, tmp_path: Path, capsys
) -> None:
    """A manifest whose files record was emptied: report said "choose an empty or new folder", which
    report, rendering in place, cannot do (a re-attack)."""
    folder = tampered(verified, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"] = {}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1
    way_out = "put back the manifest.json eventstudy wrote, or re-run the study (eventstudy run)"  # no copy:
    assert err.endswith(f"{way_out} into a new folder\n")  # verify names no manifest to put back


def test_verify_catches_every_doctored_table(verified: Path, tmp_path: Path, capsys) -> None:
    folder = tampered(verified, tmp_path)
    tables = ["stats.parquet", "caar.parquet", "trades.parquet", "backtest.parquet", "drift.parquet"]
    for table in tables:
        frame = pd.read_parquet(folder / table)
        numeric = frame.select_dtypes("float").columns
        frame[numeric] = frame[numeric] * 2
        frame.to_parquet(folder / table, index=False)
    status, text, _ = run_cli(["verify", str(folder)], capsys)
    assert status == 1
    for table in tables:
        assert f"{table}: changed since" in text and f"file   {table}: values differ" in text


@pytest.mark.parametrize(
    "edit",
    [
        {"model": None},
        {"inputs": []},
        {"validation": {"issues": [1, 2]}},
        {"config": "x"},
        {"study": "renamed by hand"},
    ],
    ids=["model null", "inputs a list", "issues a list", "config text", "a key added"],
)
def test_an_edited_manifest_is_refused_in_one_line(verified: Path, tmp_path: Path, capsys, edit) -> None:
    """The manifest is the one file of the folder its own record did not cover: `report` read an
    edited manifest (``model: null``) and ended in a traceback, exit 1."""
    folder = tampered(verified, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["manifest_sha256"] == outdir.manifest_seal(manifest)
    (folder / "manifest.json").write_text(json.dumps({**manifest, **edit}, indent=2))
    before = snapshot(folder)
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1, err
    assert "'manifest.json' was changed since eventstudy wrote it" in err
    assert snapshot(folder) == before
    assert "manifest.json: changed since eventstudy wrote it" in check_recorded_files(folder)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"model": "x"}, "model"),
        ({"inputs": []}, "inputs"),
        ({"inputs": {"events": {"path": "e.csv"}, "prices": ["SPY"]}}, "inputs.prices"),
        ({"estimation": "x"}, "estimation"),
        ({"validation": 3}, "validation"),
        ({"peers": "NVDA"}, "peers"),
        ({"config": {"market": 5}}, "market"),
        ({"inputs": {"events": {"path": "e.csv"}, "prices": {"SPY": {"provenance": "abc"}}}},
         "inputs.prices.SPY.provenance"),
        ({"validation": {"issues": {"SPY": ["x"]}}}, "validation.issues"),
        ({"validation": {"issues": [1]}}, "validation.issues"),
        ({"estimation": {"n_params": "x"}}, "estimation.n_params"),
        ({"estimation": {"n_params": -1}}, "estimation.n_params"),
    ],
    ids=["model text", "inputs a list", "prices a list", "estimation text", "validation a number",
         "peers text", "market a number", "provenance text", "issue text", "issues a list",
         "n_params text", "n_params negative"],
)
def test_a_resealed_manifest_of_the_wrong_shape_is_one_line(
    verified: Path, tmp_path: Path, capsys, edit, field
) -> None:
    """The seal is a plain SHA-256: an edited manifest sealed again reached the report, which ended
    in a traceback ('str' object has no attribute 'get'); verify checked these shapes, report not."""
    folder = tampered(verified, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    if "config" in edit:
        edit = {"config": {**manifest["config"], **edit["config"]}}
    edited = {**manifest, **edit}
    edited["manifest_sha256"] = outdir.manifest_seal(edited)
    (folder / "manifest.json").write_text(json.dumps(edited, indent=2))
    before = snapshot(folder)
    for command in ("report", "verify"):
        status, _, err = run_cli([command, str(folder)], capsys)
        assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, (command, err)
        assert "manifest.json" in err and field in err, (command, err)
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        load_study(folder)
    assert snapshot(folder) == before


@pytest.mark.parametrize("forged", ["../../victim", "a/b", "", "x" * 101])
def test_report_refuses_an_event_id_no_study_writes(verified: Path, tmp_path: Path, capsys, forged) -> None:
    """An event id edited to ``../../victim`` in every table, the folder sealed again: ``report``
    wrote figures/car_../../victim.png over a file outside the folder (exit 0) and left a folder
    figures/car_.. behind. The ids are checked as events.csv's are, naming file, row and field."""
    folder = tampered(verified, tmp_path)
    victim = folder.parent / "victim.png"
    victim.write_text("precious")
    first = pd.read_parquet(folder / "events.parquet")["event_id"].iloc[0]
    for path in folder.glob("*.parquet"):
        table = pq.read_table(path)
        if "event_id" in table.schema.names:
            column = table.schema.get_field_index("event_id")
            ids = [forged if v == first else v for v in table.column("event_id").to_pylist()]
            field = table.schema.field(column)
            table = table.set_column(column, field, pa.array(ids, field.type))
            pq.write_table(table, path)
    resealed(folder)
    before = snapshot(folder)
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1, err
    assert err.startswith(f"eventstudy: error: {folder / 'events.parquet'}, row 2, field 'event_id': ")
    assert victim.read_text() == "precious" and snapshot(folder) == before
    assert not (folder / "figures" / "car_..").exists()
    if forged.startswith(".."):  # and the writer itself keeps every name in the folder
        import eventstudy.data.events as events_module

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(events_module, "event_id_problem", lambda _: None)
            status, _, err = run_cli(["report", str(folder)], capsys)
        assert status == 2 and err.count("\n") == 1, err
        assert err == (
            "eventstudy: error: figures/car_../../victim.png: a report file named outside the output "
            "folder; nothing was written\n"
        )
        assert victim.read_text() == "precious" and snapshot(folder) == before


def test_a_config_an_older_manifest_lacks_takes_its_default_in_the_report(
    verified: Path, tmp_path: Path, capsys
) -> None:
    """verify said identical while report ended in a KeyError: the report read the manifest's raw
    config, not the settings the study ran with (a missing key has its default)."""
    folder = tampered(verified, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    config = dict(manifest["config"])
    del config["min_estimation_obs"]
    edited = {**manifest, "config": config}
    edited["manifest_sha256"] = outdir.manifest_seal(edited)
    (folder / "manifest.json").write_text(json.dumps(edited, indent=2))
    from eventstudy.report import read_exports

    assert read_exports(folder).manifest["config"]["min_estimation_obs"] == StudyConfig().min_estimation_obs


def test_a_manifest_larger_than_any_study_writes_is_refused_unread(
    verified: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A forged 208 MB manifest.json took 1.6 GB and 18 s before verify's answer."""
    folder = tampered(verified, tmp_path)
    monkeypatch.setattr(outdir, "MAX_MANIFEST_BYTES", 2**20)
    with open(folder / "manifest.json", "a", encoding="utf-8") as handle:
        handle.write(" " * 2**20)  # still valid JSON
    said = f"{folder / 'manifest.json'}: not a manifest (larger than 1 MiB, which no study's is)"
    for command in ("report", "verify"):
        status, _, err = run_cli([command, str(folder)], capsys)
        assert (status, err) == (2, f"eventstudy: error: {said}\n"), (command, err)
    assert outdir.read_manifest(folder) is None  # and no guard takes the folder for the tool's


def test_a_manifest_nested_past_pythons_recursion_limit_is_one_line(
    verified: Path, tmp_path: Path, capsys
) -> None:
    folder = tampered(verified, tmp_path)
    (folder / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    for command in ("report", "verify"):
        status, _, err = run_cli([command, str(folder)], capsys)
        assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, (command, err)
        assert "manifest.json" in err and "nested deeper than any manifest" in err


@pytest.mark.parametrize("rows", [10**30, 0, "12", 2.5])
def test_an_engine_record_of_no_partition_size_is_one_line(
    verified: Path, tmp_path: Path, capsys, rows
) -> None:
    """An engine record of 10**30 pairs per partition overflowed the block arithmetic (traceback)."""
    folder = tampered(verified, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["engine"] = {"name": "dask.distributed", "rows_per_partition": rows}
    del manifest["manifest_sha256"]  # as an older version's manifest
    (folder / "manifest.json").write_text(json.dumps(manifest))
    status, _, err = run_cli(["verify", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "field 'engine'" in err and "unknown engine record" in err


def test_verify_rejects_a_folder_mixing_two_runs(small, verified: Path, tmp_path: Path, capsys) -> None:
    events, config, cache = small
    other_config = tmp_path / "other.toml"
    other_config.write_text(config.read_text().replace("[-3, 3]", "[-2, 2]"))
    other = tmp_path / "other"
    assert main(run_args(events, other_config, cache, other)) == 0
    folder = tampered(verified, tmp_path)
    (folder / "car.parquet").write_bytes((other / "car.parquet").read_bytes())
    (folder / "report.md").write_bytes((other / "report.md").read_bytes())
    status, text, _ = run_cli(["verify", str(folder)], capsys)
    assert status == 1
    assert "car.parquet: changed since" in text and "report.md: changed since" in text


def test_verify_names_a_stray_file_and_an_edited_report(verified: Path, tmp_path: Path, capsys) -> None:
    folder = tampered(verified, tmp_path)
    (folder / "extra.parquet").write_bytes((folder / "car.parquet").read_bytes())
    with open(folder / "report.md", "a", encoding="utf-8") as handle:
        handle.write("\nA sentence the study never wrote.\n")
    status, text, _ = run_cli(["verify", str(folder)], capsys)
    assert status == 1 and "extra.parquet: not written by the run" in text
    assert "report.md: text differs from line" in text


def test_full_disk_during_a_run_is_one_line_and_keeps_the_previous_output(
    small, verified: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    events, config, cache = small
    folder = tampered(verified, tmp_path)
    before = snapshot(folder)
    import eventstudy.output.export as export

    real = export.write_parquet

    def full(frame, path, *args, **kwargs):
        if Path(path).name == "trades.parquet":  # late in the run: the study's files are staged
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(frame, path, *args, **kwargs)

    monkeypatch.setattr(export, "write_parquet", full)
    monkeypatch.setattr("eventstudy.backtest.export.write_parquet", full)
    status, _, err = run_cli(run_args(events, config, cache, folder), capsys)
    assert status == 2 and err.count("\n") == 1 and "No space left on device" in err
    assert snapshot(folder) == before and sorted(p.name for p in tmp_path.iterdir()) == ["copy"]


@pytest.mark.parametrize("step", ["wrote trades.parquet", "exchanged"])
def test_kill_9_during_a_whole_run_leaves_one_complete_output(
    small, verified: Path, tmp_path: Path, step
) -> None:
    events, config, cache = small
    folder = tampered(verified, tmp_path)
    before = snapshot(folder)
    script = Path(sys.executable).with_name("eventstudy")
    env = {**os.environ, outdir._KILL_ENV: step}
    done = subprocess.run(
        [str(script), *run_args(events, config, cache, folder)], env=env, capture_output=True, timeout=300
    )
    assert done.returncode == -signal.SIGKILL
    assert check_recorded_files(folder) == []
    if step != "exchanged":
        assert snapshot(folder) == before
    assert main(run_args(events, config, cache, folder)) == 0  # cleans up the killed run's staging
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]


def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised_numbers_stay_numbers(tmp_path: Path) -> None:
    from eventstudy.output.export import write_csv

    frame = pd.DataFrame(
        {
            "event_id": ["-2-3", "-cmd", "ok", "@SUM(A1)", "\ttab", "\rcr", "+1", None],
            "shares_filing": ['=HYPERLINK("http://x","click")', "10-Q cover", "", "a", "b", "c", "d", "e"],
            "car": [-0.05, 0.01, float("nan"), -1e-3, 0.0, 1.0, -2.0, 3.0],
            "tau": [-1, 0, 1, -5, 2, 3, 4, 5],
        }
    )
    write_csv(frame, tmp_path / "x.csv")
    back = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig", keep_default_na=False)
    assert back["event_id"].tolist() == ["'-2-3", "'-cmd", "ok", "'@SUM(A1)", "'\ttab", "'\rcr", "'+1", ""]
    assert back["shares_filing"][0] == "'=HYPERLINK(\"http://x\",\"click\")"
    assert back["shares_filing"][1] == "10-Q cover"
    assert back["tau"].tolist() == [-1, 0, 1, -5, 2, 3, 4, 5]  # numbers stay numbers
    assert pd.to_numeric(back["car"]).iloc[[0, 3, 6]].tolist() == [-0.05, -1e-3, -2.0]


def test_two_studies_run_at_once_into_one_folder_leave_one_complete_study(small, tmp_path: Path) -> None:
    events, config, cache = small
    other = tmp_path / "other.toml"
    other.write_text(config.read_text().replace('name = "small"', 'name = "other"'))
    folder = tmp_path / "out"
    script = str(Path(sys.executable).with_name("eventstudy"))
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    commands = [[script, *run_args(events, c, cache, folder)] for c in (config, other)]
    processes = [subprocess.Popen(command, **pipes) for command in commands]
    outcomes = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outcomes
    assert check_recorded_files(folder) == []
    study = json.loads((folder / "manifest.json").read_text())["study"]
    assert study in {"small", "other"}
    for table in folder.glob("*.parquet"):  # every table and the report come from that study
        metadata = pq.read_schema(table).metadata or {}
        assert metadata.get(b"eventstudy.study", study.encode()) == study.encode(), table.name
    assert f"Event study: {study}" in (folder / "report.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.toml", "out"]


def test_a_report_waiting_for_a_run_publishes_that_runs_complete_output(
    small, verified: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """`report DIR` read the folder's file list before it took the lock: a `run` with a backtest
    that published into DIR meanwhile lost its trades, backtest, drift, ... files (the report
    carried only the earlier study's list and re-hashed what was left, a mix verify rejects)."""
    events, config, cache = small
    plain = tmp_path / "plain.toml"
    plain.write_text(config.read_text().split("[backtest]")[0])
    folder = tmp_path / "out"
    assert main(run_args(events, plain, cache, folder)) == 0
    assert not (folder / "trades.parquet").exists()
    locked = outdir._locked

    @contextlib.contextmanager
    def run_publishes_first(parent: Path, target: Path, timeout: float) -> Iterator[None]:
        shutil.rmtree(folder)  # the run that held the lock swaps in its complete output
        shutil.copytree(verified, folder)
        with locked(parent, target, timeout):
            yield

    monkeypatch.setattr(outdir, "_locked", run_publishes_first)
    capsys.readouterr()
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 0, err
    assert check_recorded_files(folder) == []
    expected = set(json.loads((verified / "manifest.json").read_text())["files"])
    assert set(json.loads((folder / "manifest.json").read_text())["files"]) == expected
    backtest = ["trades.parquet", "backtest.parquet", "drift.parquet", "backtest.md"]
    for name in [*backtest, "figures/equity_curve.png"]:
        assert (folder / name).read_bytes() == (verified / name).read_bytes(), name
    assert run_cli(["verify", str(folder)], capsys)[0] == 0


@pytest.mark.parametrize(
    "outside", ["../victim/thesis.txt", "{victim}/thesis.txt"], ids=["relative", "absolute"]
)
def test_a_report_refuses_a_manifest_recording_a_file_outside_its_folder(
    verified: Path, tmp_path: Path, capsys, outside: str
) -> None:
    """A manifest edited to record ../victim/thesis.txt (or an absolute path) made `report` copy
    that file forward: it failed only because the copy landed on the file itself, with a line
    about two PosixPaths being the same file. Only the tool's names, inside the folder, are copied."""
    folder = tampered(verified, tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.txt").write_text("years of work")
    name = outside.format(victim=victim)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256(b"years of work").hexdigest()
    manifest["manifest_sha256"] = outdir.manifest_seal(manifest)  # a checksum: anyone can seal again
    (folder / "manifest.json").write_text(json.dumps(manifest))
    before, kept = snapshot(folder), snapshot(victim)
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"{folder}/manifest.json, field 'files'" in err and name in err and "same file" not in err
    assert snapshot(folder) == before and snapshot(victim) == kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy", "victim"]


def test_a_cache_is_never_imported_into_an_output_folder(verified: Path, tmp_path: Path, capsys) -> None:
    """`cache import --cache OUTDIR` added prices/ and .locks/ to a run's folder: the next run into
    it was refused and verify said DIFFERENT. A cache may not be or lie inside an output folder."""
    from _small_study import prices

    folder = tampered(verified, tmp_path)
    source = tmp_path / "ZZZ.csv"
    frame = prices("ZZZ", None, 7).rename(columns=lambda c: c.replace("_", " ").title())
    frame.to_csv(source, index=False, date_format="%Y-%m-%d")
    before = snapshot(folder)
    for cache in (folder, folder / "cache"):
        status, _, err = run_cli(["cache", "import", str(source), "--cache", str(cache)], capsys)
        assert status == 2 and err.count("\n") == 1 and str(cache) in err and "output folder" in err, err
        # fetch and an online run write into their cache too: refused before any request
        status, _, err = run_cli(["fetch", "ZZZ", "--cache", str(cache)], capsys)
        assert status == 2 and err.count("\n") == 1 and "output folder" in err, err
        online = ["run", "--events", str(source), "--cache", str(cache), "--out", str(tmp_path / "o")]
        status, _, err = run_cli(online, capsys)
        assert status == 2 and err.count("\n") == 1 and "output folder" in err, err
    assert snapshot(folder) == before and check_recorded_files(folder) == []
    assert run_cli(["cache", "import", str(source), "--cache", str(tmp_path / "cache")], capsys)[0] == 0


def test_an_infer_table_never_goes_into_a_cache_store_or_an_output_folder(
    small, verified: Path, tmp_path: Path, capsys
) -> None:
    """`infer --out cache/prices/ZZZ.parquet` wrote a statistics table into the price store (listed
    as ZZZ DAMAGED (foreign_schema); a later import of ZZZ was refused); into an output folder it
    was a file no run wrote there."""
    cache = tmp_path / "cache"
    shutil.copytree(small[2], cache)
    folder = tampered(verified, tmp_path)
    before = snapshot(tmp_path)
    infer = ["infer", "--ar", str(verified / "ar.parquet"), "--units", "decimal", "--out"]
    for out in (cache / "prices" / "ZZZ.parquet", cache / "shares" / "ZZZ.csv", folder / "more.parquet"):
        status, _, err = run_cli([*infer, str(out)], capsys)
        assert status == 2 and err.count("\n") == 1 and str(out) in err, err
    assert snapshot(tmp_path) == before
    assert run_cli([*infer, str(cache / "stats.csv")], capsys)[0] == 0  # the cache's own folder is the user's


def test_recording_the_project_commit_never_writes_into_the_checkout(tmp_path: Path) -> None:
    """Each run asks git for the commit and whether the checkout is dirty; `git status` refreshed
    the index when a file's stat information had changed, writing .git/index (and taking
    index.lock, which a user's own git command then found taken)."""
    import os
    import subprocess

    from eventstudy.output.manifest import git_state

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "a")
    stamp = (tmp_path / "a.txt").stat().st_mtime_ns + 5_000_000_000
    os.utime(tmp_path / "a.txt", ns=(stamp, stamp))  # same content, new stat: git would refresh
    index = tmp_path / ".git" / "index"
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    state = git_state(tmp_path)
    assert state["git_dirty"] is False and len(state["git_commit"]) == 40
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before


def test_the_manifest_holds_json_numbers_and_refuses_what_has_no_json_form(tmp_path) -> None:
    """json.dumps(default=str) wrote np.int64(0) as "0" (no load could read it back) and would have
    written any object as its repr: numpy scalars are numbers, paths and dates text, and anything
    else fails the save rather than be written as a string."""
    import datetime as dt

    import numpy as np

    from eventstudy.output.export import write_json

    path = tmp_path / "m.json"
    day = dt.date(2025, 1, 2)
    write_json({"n": np.int64(3), "x": np.float32(0.5), "b": np.bool_(True), "p": tmp_path, "d": day}, path)
    expected = {"n": 3, "x": 0.5, "b": True, "p": str(tmp_path), "d": "2025-01-02"}
    assert json.loads(path.read_text()) == expected
    with pytest.raises(TypeError, match=r"object .* has no JSON form"):
        write_json({"o": object()}, tmp_path / "o.json")


@pytest.mark.parametrize(
    "deleted", ["stats.parquet", "trades.parquet", "figures/equity_curve.png", "backtest.md"]
)
def test_a_report_refuses_a_folder_that_lost_a_file_it_cannot_write_again(
    verified: Path, tmp_path: Path, capsys, deleted: str
) -> None:
    """A finder deleted stats.parquet and ran `report`: exit 0, a report saying the study computed
    no statistics, and a manifest re-sealed without them (only verify still saw the loss). A file
    of the run (or of the backtest) that the report does not write is refused when missing; the
    report's own files are written again."""
    folder = tampered(verified, tmp_path)
    (folder / deleted).unlink()
    before = snapshot(folder)
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"lacks {deleted!r}, which its manifest.json records" in err
    assert snapshot(folder) == before


def test_a_report_writes_its_own_missing_files_again(small, tmp_path: Path, capsys) -> None:
    events, config, cache = small
    folder = tmp_path / "out"
    assert main([*run_args(events, config, cache, folder), "--format", "csv"]) == 0
    complete = snapshot(folder)
    for name in ("report.md", "tables.tex", "car.csv"):
        (folder / name).unlink()
    # in the formats the run wrote: car.csv too, without --format csv (it said "lacks 'car.csv'")
    assert run_cli(["report", str(folder)], capsys)[0] == 0
    assert snapshot(folder) == complete
    assert main(["verify", str(folder)]) == 0


def test_the_published_command_line_can_be_typed_again(small, tmp_path: Path, capsys, monkeypatch) -> None:
    """The report's "Command:" joined the arguments with spaces: an events file named
    ``ev $(touch INJECTED); x.csv`` read as a command substitution to a reader pasting the line,
    and a path with a space could not be given again. It is quoted for a POSIX shell; a name with
    two spaces or a tab in it (which the report's one-line text made one space) in bash's $'...'."""
    import html
    import re
    import shlex

    events, config, cache = small
    named = tmp_path / "ev $(touch INJECTED); x.csv"
    shutil.copy(events, named)
    argv = run_args(named, config, cache, tmp_path / "out put")
    monkeypatch.setattr(sys, "argv", ["eventstudy", *argv])
    assert main(argv) == 0
    capsys.readouterr()
    page = (tmp_path / "out put" / "report.html").read_text(encoding="utf-8")
    (line,) = re.findall(r"<li>Command: <code>(.*?)</code></li>", page)
    assert shlex.split(html.unescape(line)) == ["eventstudy", *argv]
    markdown = (tmp_path / "out put" / "report.md").read_text(encoding="utf-8")
    assert "'" + str(named) in markdown.replace("\\", "")
    # The raw report.md line too, which markdown escapes inside the quotes broke for bash
    # (`$'ev \\x20x.csv'`), with markup characters and a backtick in the name.
    spaced = tmp_path / "ev  two\tspaces *_|`$x$ \\.csv"
    shutil.copy(events, spaced)
    argv = run_args(spaced, config, cache, tmp_path / "out put")
    monkeypatch.setattr(sys, "argv", ["eventstudy", *argv])
    assert main(argv) == 0
    page = (tmp_path / "out put" / "report.html").read_text(encoding="utf-8")
    (line,) = re.findall(r"<li>Command: <code>(.*?)</code></li>", page)
    markdown = (tmp_path / "out put" / "report.md").read_text(encoding="utf-8")
    (raw,) = re.findall(r"^- Command: (`+) (.*) \1$", markdown, flags=re.MULTILINE)
    assert "$'" + str(tmp_path) + "/ev \\x20two\\tspaces *_|`$x$ \\\\.csv'" in raw[1]
    assert html.unescape(line) == raw[1]
    if shutil.which("bash"):
        from test_shell_line import bash_words

        assert bash_words(raw[1]) == ["eventstudy", *argv]


def test_relative_paths_publish_none_of_the_users_folders(
    shared_data: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """The README: "give relative paths to publish none of your folders". The cache recorded each
    imported file's path resolved (a finder: 37 ``/work/shared/data/prices/AMD.csv`` in the
    manifest, and the report's Data section printed them), so an import and a run typed with
    relative paths published the absolute folders anyway. The path is recorded as given."""
    work = tmp_path / "home" / "alice" / "study"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    (work / "data").mkdir()
    for name in ("SPY", "ORCL"):  # copies: a relative path into ../shared would name its folders
        shutil.copy(shared_data / "prices" / f"{name}.csv", work / "data" / f"{name}.csv")
    shutil.copy(shared_data / "shares" / "shares_outstanding.csv", work / "data" / "shares_outstanding.csv")
    Path("events.csv").write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "orcl,2025-09-10,pre,ORCL,supplier,3e11,deals,Oracle\n",
        encoding="utf-8",
    )
    Path("study.toml").write_text('[study]\nname = "rel"\nmarket = "SPY"\n', encoding="utf-8")
    assert main(["cache", "import", "data", "--cache", "cache"]) == 0
    argv = ["run", "--events", "events.csv", "--config", "study.toml", "--offline", "--cache", "cache"]
    assert main([*argv, "--out", "out", "--no-peers"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    for name in ("manifest.json", "report.md", "report.html"):
        text = (work / "out" / name).read_text(encoding="utf-8")
        assert str(tmp_path) not in text and "alice" not in text, name
    manifest = json.loads((work / "out" / "manifest.json").read_text(encoding="utf-8"))
    recorded = manifest["inputs"]["prices"]["ORCL"]["provenance"]["source_file"]
    assert recorded == str(Path("data") / "ORCL.csv")


ODD = "is blank or holds a control, invisible or line-breaking character"


@pytest.mark.parametrize(
    ("out", "said"),
    [
        ("~", "starts with '~', which was not expanded"),
        ("~/study", "starts with '~', which was not expanded"),
        ("~someone/study", "starts with '~', which was not expanded"),
        (" ", f"the name ' ' {ODD}"),
        ("reports/ /x", f"the name ' ' {ODD}"),
        ("a\nb", f"the name 'a\\nb' {ODD}"),
        ("tab\there", ODD),
        ("evil\u202eexe.fdp", ODD),
        ("\u200b", ODD),  # a name of nothing: "wrote \u200b/"
        ("results\u034f", ODD),  # six such names all printed as results
        ("results\ufe0f", "the name 'results\\ufe0f' holds a space other than ' ' or a variation selector"),
        ("\u2800", f"the name '\\u2800' {ODD}"),  # the Braille blank, drawn as nothing: "into ⠀/"
        ("line\u2028break", ODD),  # a line break to Python's splitlines
        ("next\x85line", ODD),
        ("", "an empty path names nothing"),
    ],
)
def test_an_output_name_that_is_surely_a_mistake_is_refused(
    small, tmp_path: Path, capsys, monkeypatch, out: str, said: str
) -> None:
    """--out '~' (quoted: no shell expanded it) made ./~, which a later `rm -rf ~` would take for
    the home folder; ' ' made a folder of one blank; a line break in the name split the
    'wrote ...' line; and --out '' was refused naming '.'."""
    events, config, cache = small
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    if out:
        status, _, err = run_cli(run_args(events, config, cache, Path(out)), capsys)
        assert status == 2
    else:
        with pytest.raises(SystemExit) as refused:
            main([*run_args(events, config, cache, Path("x"))[:-1], ""])
        err = capsys.readouterr().err
        assert refused.value.code == 2 and "argument --out: " in err
    assert err.count("\n") == 1 and said in err and "Traceback" not in err, err
    assert list(work.iterdir()) == []
    from eventstudy.output.folder import Guard, check_target

    with pytest.raises(InputError, match=re.escape(said)):  # the notebook's save_study alike
        check_target(out, Guard.for_cache(cache))
    # A cache an import writes into, and infer's --out file, by the same rule ('~/c' made ./~).
    infer = ["infer", "--ar", str(events), "--out", out]
    for args in (["cache", "import", str(events), "--cache", out], infer):
        with pytest.raises(SystemExit) as refused:
            main(args)
        err = capsys.readouterr().err
        assert refused.value.code == 2 and said in err and err.count("\n") == 1, (args, err)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("name", ["my\xa0cache", "マイ\u3000キャッシュ", "thin\u2009space"])
def test_an_existing_folder_with_a_space_other_than_a_space_is_the_users_to_use(
    small, tmp_path: Path, capsys, monkeypatch, name: str
) -> None:
    """The rule for a name to write to refused an existing cache or folder whose name holds a
    non-breaking, ideographic or thin space (``validate --cache`` of the user's own cache): those
    names are the user's. A folder the tool would make keeps the rule; a line break in any name
    is refused (it splits the one-line messages)."""
    events, config, cache = small
    copy = tmp_path / name / "cache"
    shutil.copytree(cache, copy)
    status, _, err = run_cli(["validate", "--cache", str(copy)], capsys)
    assert status == 0 and "Traceback" not in err and not err.startswith("usage"), err
    out_folder = tmp_path / name / "out"
    assert main(run_args(events, config, copy, out_folder)) == 0
    assert (out_folder / "manifest.json").is_file()
    capsys.readouterr()
    status, _, err = run_cli(run_args(events, config, copy, tmp_path / name / f"new {name}"), capsys)
    said = "holds a space other than ' ' or a variation selector, which a name the tool makes may not"
    assert status == 2 and said in err and "(an existing folder's may)" in err, err
    broken = tmp_path / "line\u2028break"
    broken.mkdir()
    status, _, err = run_cli(run_args(events, config, copy, broken / "out"), capsys)
    assert status == 2 and err.count("\n") == 1 and "line-breaking character" in err, err


def test_a_column_the_report_reads_missing_is_one_line(verified: Path, tmp_path: Path, capsys) -> None:
    """car.parquet without n_est (a folder edited and sealed again) ended `eventstudy report` in
    KeyError: 'n_est'; so did each column of _REQUIRED_COLUMNS but seven, which the report reads
    without checking (found by dropping each column in turn and building the report)."""
    read = {  # every column whose absence ended the report in a traceback
        "events.parquet": [
            *("event_id", "announced", "timing", "ticker", "role", "deal_usd", "group", "headline"),
        ],
        "ar.parquet": ["event_id", "ticker", "role", "tau", "ar", "car", "car_se"],
        "car.parquet": [
            *("event_id", "ticker", "role", "group", "window", "tau_start", "tau_end", "day0", "day0_shift"),
            *("n_est", "car", "car_se", "t", "p", "mcap_prev_usd", "abnormal_value_usd", "deal_usd"),
            *("value_to_deal", "outcome"),
        ],
    }
    read["drift.parquet"] = ["t", "mean_bhar"]  # a re-attack found 37 of the optional tables'
    # columns: every column of the backtest's and volume's tables is now checked
    read["trades.parquet"] = ["entry_date", "net_ret"]
    for name, columns in read.items():
        for column in columns:
            folder = tmp_path / f"{name}-{column}"
            shutil.copytree(verified, folder)
            frame = pd.read_parquet(folder / name)
            frame.drop(columns=[column]).to_parquet(folder / name, index=False)
            resealed(folder)
            status, _, err = run_cli(["report", str(folder)], capsys)
            said = f"{folder / name}, field {column!r}: column is missing (re-run the study)"
            assert (status, err) == (2, f"eventstudy: error: {said}\n"), (name, column, err)
            shutil.rmtree(folder)
    # Of the same columns in text: n_est, car, t, day0 and tau_start ended in ValueError,
    # DateParseError or ArrowNotImplementedError; confounded in a TypeError of pandas' reading.
    for column, said in (
        ("n_est", "holds str values, not numbers"),
        ("t", "holds str values, not numbers"),
        ("day0", "holds str values, not dates"),
        ("confounded", "not a readable parquet file"),
    ):
        folder = tmp_path / f"text-{column}"
        shutil.copytree(verified, folder)
        table = pq.read_table(folder / "car.parquet")
        index = table.schema.get_field_index(column)
        values = table.column(column).to_pylist()
        text = pa.array([None if v is None else f"x{v}" for v in values], pa.string())
        pq.write_table(table.set_column(index, pa.field(column, pa.string()), text), folder / "car.parquet")
        resealed(folder)
        status, _, err = run_cli(["report", str(folder)], capsys)
        assert status == 2 and err.count("\n") == 1 and said in err and "car.parquet" in err, (column, err)
        shutil.rmtree(folder)


@pytest.mark.parametrize(
    "dropped", [*(c for c in CONFOUNDER_COLUMNS), CONFOUNDER_COLUMNS], ids=[*CONFOUNDER_COLUMNS, "all four"]
)
def test_the_screens_columns_are_read_together(verified: Path, tmp_path: Path, capsys, dropped) -> None:
    """car.parquet without ``confounders`` or ``dominant_date`` (edited and sealed again) ended
    ``eventstudy report`` in a KeyError: the screen's four columns come together (a folder of a
    version before the screen has none of them, and its report says it was not screened)."""
    folder = tampered(verified, tmp_path)
    frame = pd.read_parquet(folder / "car.parquet")
    frame.drop(columns=list(dropped) if isinstance(dropped, tuple) else [dropped]).to_parquet(
        folder / "car.parquet", index=False
    )
    resealed(folder)
    status, _, err = run_cli(["report", str(folder)], capsys)
    if isinstance(dropped, tuple):
        assert status == 0, err
        return
    said = f"{folder / 'car.parquet'}, field {dropped!r}: column is missing (re-run the study)"
    assert (status, err) == (2, f"eventstudy: error: {said}\n")


@pytest.mark.parametrize(
    ("name", "column", "edit"),
    [
        ("stats.parquet", "p", "text"),
        ("stats.parquet", "group", "null"),
        ("stats.parquet", "n", "null"),
        ("caar.parquet", "tau", "text"),
        ("caar.parquet", "tau", "null"),
        ("caar.parquet", "n", "null"),
        ("caar.parquet", "draws", "null"),
        ("car.parquet", "window", "null"),
        ("car.parquet", "tau_start", "null"),
        ("car.parquet", "tau_end", "null"),
        ("ar.parquet", "ticker", "null"),
        ("ar.parquet", "tau", "null"),
        ("car.parquet", "deal_usd", "zero"),
        ("car.parquet", "deal_usd", "inf"),
        ("caar.parquet", "tau", "float"),
        ("ar.parquet", "tau", "float"),
        ("stats.parquet", "n", "negative"),
        ("stats.parquet", "n", "float"),
        ("stats.parquet", "p", "above_one"),  # p = 7 was shown as 7.000
        ("stats.parquet", "p_bh", "negative"),
        ("car.parquet", "p", "above_one"),
        ("car.parquet", "n_est", "negative"),  # "the estimated pairs have -3 valid returns"
        ("stats.parquet", "statistic", "repeat"),  # a statistic twice: a BH family of 82 for 80
        ("car.parquet", "window", "repeat"),  # a pair twice in the medians
        # a trade twice moved the backtest's mean and t, a party twice was listed twice (a finder)
        ("trades.parquet", "ticker", "repeat"),
        ("events.parquet", "ticker", "repeat"),
        ("drift.parquet", "window", "repeat"),
        ("backtest.parquet", "date", "repeat"),
        ("ar.parquet", "tau", "repeat"),
        ("caar.parquet", "tau", "repeat"),
    ],
)
def test_a_table_edited_to_hold_no_usable_value_is_one_line(
    verified: Path, tmp_path: Path, capsys, name: str, column: str, edit: str
) -> None:
    """Found by a re-attack: stats.parquet's p as text, caar.parquet's tau as text, a key column
    (window, tau, ticker, group) or a count (n, draws) all missing, or a deal of $0 (which no
    events file passes), in a folder sealed again, ended `eventstudy report` in a traceback:
    the types of stats and caar were not checked, and a column of missing values passed."""
    folder = tampered(verified, tmp_path)
    table = pq.read_table(folder / name)
    index = table.schema.get_field_index(column)
    values = table.column(column)
    if edit == "text":
        new = pa.array([None if v is None else f"x{v}" for v in values.to_pylist()], pa.string())
    elif edit == "null":
        new = pa.nulls(len(values), values.type)
    elif edit == "float":  # whole numbers stored as floats: a format code 'd' ended the report
        half = 0.5 if column == "n" else 0.0
        new = pa.array([None if v is None else float(v) + half for v in values.to_pylist()])
    elif edit == "negative":
        new = pa.array([-5 for _ in values.to_pylist()], values.type)
    elif edit == "above_one":
        new = pa.array([7.0 for _ in values.to_pylist()], values.type)
    elif edit == "repeat":  # the table's first row again, at its end
        new = values
        table = pa.concat_tables([table, table.slice(0, 1)])
    else:
        value = 0.0 if edit == "zero" else float("inf")
        new = pa.array([None if v is None else value for v in values.to_pylist()], values.type)
    edited = table if edit == "repeat" else table.set_column(index, pa.field(column, new.type), new)
    pq.write_table(edited.replace_schema_metadata(table.schema.metadata), folder / name)
    resealed(folder)
    before = snapshot(folder)
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"eventstudy: error: {folder / name}") and f"field {column!r}" in err, err
    if edit in ("null", "negative", "above_one"):  # the row is named
        assert "on row 1 of the table (re-run the study)" in err, err
    if edit == "repeat":
        assert f"row {len(edited)} of the table repeats the " in err and "of an earlier one" in err, err
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    "forged",
    [
        {"caar": "caar"},
        {"cross_sectional_t": "sign_z", "sign_z": "cross_sectional_t"},
        {"kp_adjusted_bmp_t": "no_such_statistic"},
        {"bmp_t": "caar", "unknown": "bmp_t"},
    ],
    ids=["caar its own", "a cycle", "to an unknown", "a test repeating caar"],
)
def test_a_forged_p_from_record_changes_no_table(verified: Path, tmp_path: Path, capsys, forged) -> None:
    """The manifest's p_from, edited and sealed again: caar became a test, two tests repeated
    each other, and the tables' BH counts changed (76 -> 68, 80, 72), exit 0. The registry has
    the say for its statistics, and a record is used only where the rows repeat their source's p."""
    folder = tampered(verified, tmp_path)
    tables = {name: (folder / name).read_bytes() for name in ("tables.md", "tables.tex")}
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["p_from"] = {**manifest["p_from"], **forged}
    manifest["manifest_sha256"] = outdir.manifest_seal(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 0, err
    assert {name: (folder / name).read_bytes() for name in tables} == tables


def test_load_study_refuses_a_table_edited_after_the_run(verified: Path, tmp_path: Path) -> None:
    """A value of stats.parquet set to 99 was loaded as the run's (no word), and save_study then
    sealed the edited table as its own run's: verify of the copy no longer said a file had been
    changed after the run."""
    from eventstudy import load_study

    folder = tampered(verified, tmp_path)
    stats = pd.read_parquet(folder / "stats.parquet")
    stats.loc[0, "value"] = 99.0
    stats.to_parquet(folder / "stats.parquet", index=False)
    with pytest.raises(InputError, match=r"stats\.parquet: changed since the run of manifest\.json wrote"):
        load_study(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["config"]["name"] = "renamed"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=r"manifest\.json: changed since eventstudy wrote it"):
        load_study(folder)
    (folder / "report.md").write_text("my notes\n")  # not a table: loading reads none of it
    resealed(folder)  # the seal is a checksum, not a signature: a folder sealed again loads
    assert load_study(folder).stats["value"].iloc[0] == 99.0


def test_load_study_refuses_a_table_the_run_did_not_write(verified: Path, tmp_path: Path) -> None:
    """Another run's volume.parquet copied into a folder whose manifest records none, or a link to
    another run's stats.parquet in its place, loaded as the run's own (352 rows of another run's
    volume statistics), and save_study sealed them into a new output; verify said both."""
    from eventstudy import load_study

    folder = tampered(verified, tmp_path)
    other = tmp_path / "other.parquet"
    shutil.copy(folder / "stats.parquet", other)
    stats = pd.read_parquet(other)
    stats.loc[0, "value"] = 99.0
    stats.to_parquet(other, index=False)
    (folder / "volume_stats.parquet").write_bytes(other.read_bytes())
    with pytest.raises(InputError, match=r"volume_stats\.parquet: not written by the run of manifest\.json"):
        load_study(folder)
    (folder / "volume_stats.parquet").unlink()
    (folder / "stats.parquet").unlink()
    (folder / "stats.parquet").symlink_to(other)
    with pytest.raises(InputError, match=r"stats\.parquet: a link, not the file the run wrote"):
        load_study(folder)
    assert pd.read_parquet(other)["value"].iloc[0] == 99.0  # what the link points to is untouched
    (folder / "stats.parquet").unlink()
    shutil.copy(verified / "stats.parquet", folder / "stats.parquet")
    assert load_study(folder).stats.equals(pd.read_parquet(verified / "stats.parquet"))


def test_a_manifest_whose_seal_was_removed_is_an_edited_one(verified: Path, tmp_path: Path, capsys) -> None:
    """Deleting the manifest_sha256 line turned every check of the manifest off, as for an older
    version's manifest (a finder): load_study returned an edited stats value with the files record
    gone too, and report published an edited model record and sealed it. A manifest holding keys
    only manifests written since the seal hold (p_from) is sealed, or edited."""
    from eventstudy import load_study

    folder = tampered(verified, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["manifest_sha256"]
    manifest["config"]["name"] = "edited"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    before = snapshot(folder)
    with pytest.raises(InputError, match=r"manifest\.json: changed since eventstudy wrote it"):
        load_study(folder)
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and "'manifest.json' was changed since eventstudy wrote it" in err, err
    assert snapshot(folder) == before
    status, out, _ = run_cli(["verify", str(folder)], capsys)
    assert status != 0 and "manifest.json: changed since eventstudy wrote it" in out
    del manifest["files"]  # and with no record of the files' hashes
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=r"manifest\.json: changed since eventstudy wrote it"):
        load_study(folder)


def test_a_manifest_without_a_seal_is_not_trusted_by_a_load_or_a_report(
    verified: Path, tmp_path: Path, capsys
) -> None:
    """Deleting the seal with the keys written since it (p_from, units, caar_band), and the files
    record, let load_study return car x 10; with the files record kept, report published another
    market from the edited manifest and sealed it (a finder). Neither trusts a manifest without
    its seal; verify re-runs the study, which an older version's folder still passes."""
    from eventstudy import load_study

    folder = tampered(verified, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("manifest_sha256", *outdir.SEALED_SINCE):
        manifest.pop(key, None)
    manifest["config"]["market"] = "QQQ"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    before = snapshot(folder)
    status, _, err = run_cli(["report", str(folder)], capsys)
    assert status == 2 and err.count("\n") == 1, err
    assert "'manifest.json' has no seal (manifest_sha256)" in err, err
    assert snapshot(folder) == before
    with pytest.raises(InputError, match=r"manifest\.json: has no seal \(manifest_sha256\)"):
        load_study(folder)
    del manifest["files"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    car = pd.read_parquet(folder / "car.parquet")
    car["car"] *= 10
    car.to_parquet(folder / "car.parquet", index=False)
    with pytest.raises(InputError, match=r"manifest\.json: has no seal"):
        load_study(folder)


def test_load_study_refuses_a_folder_missing_a_recorded_table(verified: Path, tmp_path: Path) -> None:
    """A deleted trades.parquet loaded as a study without a backtest, and a deleted optional
    table as a method that never ran (a finder); verify and report refused the folder."""
    from eventstudy import load_study

    folder = tampered(verified, tmp_path)
    assert load_study(folder).backtest is not None
    (folder / "trades.parquet").unlink()
    with pytest.raises(InputError, match=r"trades\.parquet: missing"):
        load_study(folder)


def test_load_study_refuses_an_interrupted_runs_staging_folder(verified: Path, tmp_path: Path) -> None:
    """kill -9 during a run leaves a hidden staging folder; load_study loaded it (and an edit of
    its stats.parquet) as a run's output (a finder). verify calls it an interrupted run's."""
    from eventstudy import load_study

    staging = tmp_path / ".out.eventstudy-0123456789ab.partial"  # as a killed run leaves it
    shutil.copytree(verified, staging)
    (staging / outdir.STAGING_MARK).write_text("0123456789ab")  # the mark a run writes for it
    with pytest.raises(InputError, match=r"staging: the unfinished output of an interrupted run"):
        load_study(staging)
    folder = tampered(verified, tmp_path)
    (folder / outdir.STAGING_MARK).write_text("")  # a copied mark edits no table: the run's tables load
    assert load_study(folder).car.equals(load_study(verified).car)


def test_a_folder_whose_estimation_window_holds_day_0_still_loads(verified: Path, tmp_path: Path) -> None:
    """An estimation window holding day 0 is refused where a study is run; a folder an earlier
    version wrote with one ([-250, 0] before windows [[1, 5]]) was refused by load_study, report
    and verify once the rule was the config's own."""
    from eventstudy import load_study, run_study

    folder = tampered(verified, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["config"].update(estimation_window=[-250, 0], event_windows=[[1, 5]])
    (folder / "manifest.json").write_text(json.dumps(manifest))
    resealed(folder)
    loaded = load_study(folder)
    assert loaded.config.estimation_window == (-250, 0)
    with pytest.raises(InputError, match=r"holds day 0, .*ends at τ = 0: end it before day 0 or start it"):
        run_study(pd.DataFrame(), tmp_path / "cache", loaded.config)


def test_load_studys_advice_quotes_the_folder(verified: Path, tmp_path: Path) -> None:
    """'eventstudy verify /tmp/.../my run' broke as typed (a finder): quoted as a shell reads it."""
    import shlex
    import shutil

    from eventstudy import load_study

    folder = tmp_path / "my run"
    shutil.copytree(verified, folder)
    stats = pd.read_parquet(folder / "stats.parquet")
    stats.loc[0, "value"] = 99.0
    stats.to_parquet(folder / "stats.parquet", index=False)
    with pytest.raises(InputError) as refused:
        load_study(folder)
    advice = str(refused.value).split("(", 1)[1].split(" says what differs")[0]
    assert shlex.split(advice) == ["eventstudy", "verify", str(folder)]


def test_saving_results_the_report_refuses_names_the_table_not_a_removed_folder(
    verified: Path, tmp_path: Path
) -> None:
    """Results loaded from a folder edited and sealed again (car.parquet without ``confounders``):
    save_study refused naming ``.new.eventstudy-….partial/car.parquet``, a staging folder it had
    already removed. The table is named as the results' own; nothing is written."""
    folder = tampered(verified, tmp_path)
    frame = pd.read_parquet(folder / "car.parquet")
    frame.drop(columns=["confounders"]).to_parquet(folder / "car.parquet", index=False)
    resealed(folder)
    results = load_study(folder)
    target = tmp_path / "new"
    with pytest.raises(InputError) as caught:
        save_study(results, target)
    assert str(caught.value) == (
        "car.parquet of the results to save, field 'confounders': column is missing (re-run the study)"
    )
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["copy"]

"""What the property tests over whole command-line runs share: running ``eventstudy`` in-process
the way a user meets it, the refusal the promise allows, and the edits a hurried or hostile user
makes to a table."""

from __future__ import annotations

import contextlib
import io
import os
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from eventstudy.cli import main


def fuzz_examples(ci: int, local: int) -> int:
    """Examples per run of a property test: ``EVENTSTUDY_FUZZ_EXAMPLES`` when set, else ``ci``
    in CI (``CI`` set) and ``local`` otherwise."""
    return int(os.environ.get("EVENTSTUDY_FUZZ_EXAMPLES", ci if os.environ.get("CI") else local))


def whole_runs(examples: int) -> settings:
    """Settings of a property test whose examples are whole command-line runs: ``examples`` of
    them, no deadline, slow examples allowed, and a function-scoped fixture (the test's
    ``tmp_path_factory``) shared by its examples."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def run_cli(args: list[str]) -> tuple[int, str, str, list[str]]:
    """Run ``eventstudy ARGS`` in-process: (status, stdout, stderr, warnings).

    An exception escaping ``main`` is a crash the user would see as a traceback: it fails the
    example with that traceback.
    """
    out, err = io.StringIO(), io.StringIO()
    with (
        warnings.catch_warnings(record=True) as caught,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        warnings.simplefilter("always")
        try:
            status = main(args)
        except SystemExit as exc:  # argparse
            status = exc.code if isinstance(exc.code, int) else 2
        except BaseException:
            pytest.fail(f"eventstudy {' '.join(args)} crashed:\n{traceback.format_exc()}")
    messages = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught]
    return int(status), out.getvalue(), err.getvalue(), messages


def succeeded(status: int, stderr: str, caught: list[str], command: str, context: str) -> bool:
    """Whether a run of ``eventstudy COMMAND`` exited 0, once the promise of every run is
    checked: no warning, no traceback, exit 0 or 2, and exit 2's stderr one line
    ``eventstudy: error: ...`` (for an option argparse refuses, ``eventstudy COMMAND: error:
    argument ...``). ``context`` is shown when a check fails."""
    assert not caught, f"{caught}\n{context}"
    assert "Traceback" not in stderr, context
    assert status in (0, 2), f"status {status}: {stderr}\n{context}"
    if status == 0:
        return True
    lines = stderr.splitlines()
    assert len(lines) == 1, f"{stderr}\n{context}"
    prefixes = ("eventstudy: error: ", f"eventstudy {command}: error: argument ")
    assert lines[0].startswith(prefixes), f"{stderr}\n{context}"
    return False


def corrupt(
    draw: st.DrawFn,
    frame: pd.DataFrame,
    cells: Callable[[str], st.SearchStrategy[str]],
    names: st.SearchStrategy[str],
) -> pd.DataFrame:
    """0-3 edits (none half of the time) a hurried or hostile user makes to a table: a cell of
    column c replaced by one of ``cells(c)``, a row duplicated or dropped, a column renamed to
    one of ``names`` or duplicated, or every row gone."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        if frame.empty or len(frame.columns) == 0:
            break
        edit = draw(st.sampled_from(["cell", "cell", "duplicate", "drop", "rename", "twice", "empty"]))
        row = draw(st.integers(0, len(frame) - 1))
        column = draw(st.integers(0, len(frame.columns) - 1))
        if edit == "cell":
            frame.iloc[row, column] = draw(cells(str(frame.columns[column])))
        elif edit == "duplicate":
            frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
        elif edit == "drop":
            frame = frame.drop(index=frame.index[row]).reset_index(drop=True)
        elif edit == "rename":
            frame = frame.rename(columns={frame.columns[column]: draw(names)})
        elif edit == "twice":
            frame.insert(len(frame.columns), frame.columns[column], frame.iloc[:, column], True)
        else:
            frame = frame.iloc[:0]
    return frame


def number_text(draw: st.DrawFn, low: float, high: float) -> str:
    """A finite number in [low, high] as ``repr`` writes it (every bit kept)."""
    return repr(draw(st.floats(low, high, allow_nan=False)))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def import_files(paths: list[Path], cache: Path) -> tuple[bool, str]:
    """``eventstudy cache import PATHS --cache CACHE`` under the promise: (True, context) when it
    imported; otherwise the refusal was one line and the cache is byte for byte as it was, and
    (False, context). ``context``, the command and the files, is shown when a check fails."""
    before = snapshot(cache)
    args = ["cache", "import", *map(str, paths), "--cache", str(cache)]
    status, _, stderr, caught = run_cli(args)
    context = f"eventstudy {' '.join(args)}\n" + "\n".join(f"{p.name}:\n{p.read_text()}" for p in paths)
    event(f"exit {status}")
    if succeeded(status, stderr, caught, "cache", context):
        return True, context
    assert snapshot(cache) == before, context
    return False, context

"""The command line a report publishes is typed again in a shell: every argument as given."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.text import plain, shell_line

ODD = [
    *("a  b", "tab\there", "new\nline", "q'uote", "back\\slash", "rtl\u202eexe", "😀 x", "", " lead"),
    *("nbsp\xa0x", "sep\u2028x", "c1\x85x", "$HOME", "`id`", "zero\u200bwidth", "tag\U000e0041"),
]


def bash_words(line: str) -> list[str]:
    done = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {line}"], capture_output=True, check=True, env={"LC_ALL": "C.UTF-8"}
    )
    return done.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


def test_an_argument_plain_text_would_change_is_quoted_so_a_shell_reads_it_back() -> None:
    """shlex.join, then plain() for the one-line report: 'a  b' was published as 'a b', a tab as a
    space and a zero-width space dropped, so the line typed again named another file."""
    line = shell_line(["eventstudy", "run", *ODD])
    assert plain(line) == line  # the report's one-line rule leaves it as it is
    if shutil.which("bash"):
        assert bash_words(line) == ["eventstudy", "run", *ODD]
    usual = ["eventstudy", "run", "--out", "out put"]
    assert shell_line(usual) == shlex.join(usual)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")), min_size=1))
def test_any_arguments_come_back_from_bash(arguments: list[str]) -> None:
    line = shell_line(arguments)
    assert plain(line) == line
    assert bash_words(line) == arguments

"""A path the operating system refuses (a name over 255 bytes) is one line and exit 2 wherever it
is given: it raised OSError (File name too long) with a traceback and exit 1 from reading the
events, the config, a cache, and a config's news or factors file."""

from __future__ import annotations

import pytest
from _small_study import make_cache, make_study

from eventstudy.cli import main

LONG = "a" * 300


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("long")
    events, config = make_study(root / "study")
    cache = make_cache(root / "cache")
    return root, events, config, cache.root


@pytest.mark.parametrize(
    "command",
    [
        "run --events {long} --config {config} --offline --cache {cache} --out {root}/o",
        "run --events {events} --config {long} --offline --cache {cache} --out {root}/o",
        "run --events {events} --config {config} --offline --cache {root}/{long} --out {root}/o",
        "run --events {events} --config {news} --offline --cache {cache} --out {root}/o",
        "cache list --cache {root}/{long}",
        "cache verify --cache {root}/{long}",
        "validate --cache {root}/{long}",
        "cache import {root}/{long}.csv --cache {cache}",
    ],
)
def test_a_path_too_long_for_the_system_is_one_line(study, command, capsys) -> None:
    root, events, config, cache = study
    news = root / "news.toml"
    news.write_text(config.read_text().replace("[study]\n", f'[study]\nnews_file = "{LONG}"\n', 1))
    before = sorted(p.name for p in root.iterdir())
    args = command.format(long=LONG, root=root, events=events, config=config, cache=cache, news=news).split()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert LONG in err and ("too long" in err or "no such file" in err.lower()), err
    assert sorted(p.name for p in root.iterdir()) == before

"""Rendering the report's figures in worker processes (eventstudy.report.render): the same PNG
bytes as drawing them in the process, nothing left pending, and a dead worker replaced."""

from __future__ import annotations

import os
from functools import partial

import numpy as np
import pandas as pd
import pytest

from eventstudy.report import render
from eventstudy.report.document import FigureFile, Section
from eventstudy.report.figures import caar_figure, message_figure, png_bytes

needs_fork = pytest.mark.skipif(render.worker_count(2) == 0, reason="needs fork and two CPUs")


def _caar(shift: float) -> pd.DataFrame:
    taus = np.arange(-5, 6)
    path = shift + 0.002 * np.cumsum(np.ones(taus.size))
    return pd.DataFrame(
        {"group": "all", "tau": taus, "caar": path, "lower": path - 0.01, "upper": path + 0.01, "n": 12}
    )


def _sections() -> list[Section]:
    first = tuple(
        FigureFile(f"figures/c{k}.png", f"c{k}", "", b"", dpi=300, draw=partial(caar_figure, _caar(0.01 * k)))
        for k in range(3)
    )
    owned_elsewhere = FigureFile("figures/equity_curve.png", "Equity", "", b"\x89PNG", owned=False)
    second = (
        FigureFile("figures/m.png", "m", "", b"", dpi=300, draw=partial(message_figure, "nothing here", "M")),
    )
    return [
        Section("a", "A", figures=(*first, owned_elsewhere)),
        Section("b", "B", paragraphs=("text",)),
        Section("c", "C", figures=second),
    ]


def _pngs(sections: tuple[Section, ...]) -> dict[str, bytes]:
    return {f.name: f.png for s in sections for f in s.figures}


def test_rendering_here_fills_every_pending_figure_with_its_png() -> None:
    done = render.render_figures(_sections(), workers=0)
    assert [s.key for s in done] == ["a", "b", "c"]
    assert all(f.draw is None for s in done for f in s.figures)
    pngs = _pngs(done)
    assert pngs["figures/c1.png"] == png_bytes(caar_figure(_caar(0.01)))
    assert pngs["figures/c0.png"] != pngs["figures/c2.png"]
    assert pngs["figures/equity_curve.png"] == b"\x89PNG"  # not pending: kept as it was
    assert pngs["figures/m.png"].startswith(b"\x89PNG\r\n\x1a\n")


@needs_fork
def test_workers_give_the_same_bytes_as_drawing_here() -> None:
    here = _pngs(render.render_figures(_sections(), workers=0))
    pooled = _pngs(render.render_figures(_sections(), workers=2))
    assert pooled == here


def _die_in_a_worker(parent: int) -> object:
    if os.getpid() != parent:
        os._exit(1)
    return message_figure("drawn by the parent")


@needs_fork
def test_a_dead_worker_is_replaced_by_drawing_here() -> None:
    draw = partial(_die_in_a_worker, os.getpid())
    sections = [Section("a", "A", figures=(FigureFile("figures/x.png", "x", "", b"", draw=draw),))]
    (section,) = render.render_figures(sections, workers=2)
    assert section.figures[0].png == png_bytes(message_figure("drawn by the parent"))


@needs_fork
def test_an_error_while_drawing_reaches_the_caller() -> None:
    bad = partial(caar_figure, pd.DataFrame({"group": ["all"]}))  # no caar column
    sections = [Section("a", "A", figures=(FigureFile("figures/x.png", "x", "", b"", draw=bad),))]
    with pytest.raises(KeyError, match="caar"):
        render.render_figures(sections, workers=2)


def test_worker_count_is_zero_for_one_figure_and_bounded_by_the_cpus() -> None:
    assert render.worker_count(0) == 0
    assert render.worker_count(1) == 0
    assert 0 <= render.worker_count(100) <= render.MAX_WORKERS

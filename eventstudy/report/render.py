"""Rendering the report's figures into PNG files, several at once where the machine allows.

The report's sections describe each figure as a :class:`~eventstudy.report.document.FigureFile`
whose ``draw`` makes the matplotlib Figure and whose PNG is still empty; :func:`render_figures`
renders them all at the end of :func:`~eventstudy.report.build.build_report`. Drawing is almost
all of a report's time and matplotlib holds the interpreter while it draws, so on Linux with more
than one CPU the figures are drawn by :func:`worker_count` forked worker processes; elsewhere (no
``fork``, one CPU, or inside a daemonic worker that may not have children) one after the other.
A PNG is byte for byte the same either way (:func:`~eventstudy.report.figures.png_bytes` is
deterministic); a figure a worker did not draw (its drawing raised, it could not be pickled, the
worker died) is drawn here, so errors reach the caller as they would without workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING

from eventstudy.progress import progress
from eventstudy.report.document import Section

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_WORKERS = 4
"""At most this many worker processes (each holds a copy-on-write image of the report's process)."""


def render(draw: Callable[[], Figure]) -> bytes:
    """The PNG file of the Figure ``draw()`` returns (the figure is released afterwards)."""
    from eventstudy.report.figures import png_bytes

    figure = draw()
    png = png_bytes(figure)
    figure.clear()
    return png


def worker_count(figures: int) -> int:
    """Worker processes for ``figures`` figures: one per usable CPU, at most :data:`MAX_WORKERS`
    and one per figure; 0 (draw here) with one CPU or figure, without ``fork``, off Linux (macOS
    system libraries are not fork-safe) or in a daemonic process."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if multiprocessing.current_process().daemon:
        return 0
    cpus = len(os.sched_getaffinity(0))
    workers = min(cpus, figures, MAX_WORKERS)
    return workers if workers > 1 else 0


def render_figures(sections: Sequence[Section], *, workers: int | None = None) -> tuple[Section, ...]:
    """``sections`` with every pending figure (one with a ``draw``) rendered into its PNG.

    Parameters
    ----------
    sections
        The report's sections.
    workers
        Worker processes (default :func:`worker_count`); 0 draws every figure in this process.
    """
    pending = [f for s in sections for f in s.figures if f.draw is not None]
    if workers is None:
        workers = worker_count(len(pending))
    pngs = _render_all([f.draw for f in pending if f.draw is not None], workers)
    done = {id(f): dataclasses.replace(f, png=png, draw=None) for f, png in zip(pending, pngs, strict=True)}
    return tuple(
        dataclasses.replace(s, figures=tuple(done.get(id(f), f) for f in s.figures)) if s.figures else s
        for s in sections
    )


def _render_all(draws: Sequence[Callable[[], Figure]], workers: int) -> list[bytes]:
    if workers <= 0:
        return [render(draw) for draw in progress(draws, desc="figures", unit="figure")]
    pngs: dict[int, bytes] = {}
    with warnings.catch_warnings():
        # Python >= 3.12 warns that fork() in a process with threads (numpy's BLAS, Arrow's pools,
        # all idle here) may deadlock a child that uses them; a worker only draws with matplotlib,
        # and OpenBLAS and Arrow re-initialise their pools after a fork.
        warnings.filterwarnings("ignore", message=r".*fork\(\)", category=DeprecationWarning)
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures: dict[Future[bytes], int] = {pool.submit(render, d): i for i, d in enumerate(draws)}
            finished = as_completed(futures)
            for future in progress(finished, desc="figures", total=len(draws), unit="figure"):
                with contextlib.suppress(Exception):
                    pngs[futures[future]] = future.result()
    # A figure no worker drew (its drawing failed or could not be sent to a worker, or the worker
    # died) is drawn here, so an error is raised in this process as if there were no workers.
    return [pngs[i] if i in pngs else render(draw) for i, draw in enumerate(draws)]

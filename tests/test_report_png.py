"""PNG files of the report's figures, compressed in a background thread.

The oracle is matplotlib's own PNG writer: ``figure.savefig(format="png")`` with the
``Software`` text left out. The background thread must give exactly its bytes, keep at most
:data:`~eventstudy.report.figures.PNG_PENDING` figures' pixels waiting, pass an encoding error
to the reader, and work in a forked child (where the parent's thread does not exist).
"""

from __future__ import annotations

import io
import multiprocessing
import threading

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from eventstudy.report import figures
from eventstudy.report.document import FigureFile
from eventstudy.report.html import png_size


def _drawn(width: float = 3.0, height: float = 2.0, *, seed: int = 0, agg: bool = True) -> Figure:
    """A figure with lines, a band, text and a transparent patch (so alpha is not all 255)."""
    rng = np.random.default_rng(seed)
    with figures.style():
        figure = figures.new_figure(width, height) if agg else Figure(figsize=(width, height))
        axes = figure.subplots()
        x = np.arange(40)
        y = rng.normal(size=40).cumsum()
        axes.fill_between(x, y - 1, y + 1, alpha=0.2)
        axes.plot(x, y, marker="o", markersize=2)
        axes.set_title(f"seed {seed}: τ, ⚑ and $")
        figure.patch.set_alpha(0.5)
    return figure


def _matplotlib_png(figure: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    with figures.style():
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


@pytest.mark.parametrize("agg", [True, False], ids=["agg canvas", "base canvas"])
@pytest.mark.parametrize("dpi", [72, 150, 300])
def test_png_bytes_are_matplotlibs_png(agg: bool, dpi: int) -> None:
    figure = _drawn(2.9, 1.7, seed=dpi, agg=agg)  # sizes whose pixels are not round numbers
    expected = _matplotlib_png(figure, dpi)
    png = figures.png_bytes(figure, dpi=dpi)
    assert png == expected
    assert png_size(png) == (int(2.9 * dpi), int(1.7 * dpi))
    assert b"Software" not in png


def test_many_figures_in_flight_keep_their_own_bytes() -> None:
    drawn = [_drawn(seed=k) for k in range(7)]
    expected = [_matplotlib_png(f, 100) for f in drawn]
    pending = [figures.png_future(f, dpi=100) for f in drawn]
    for f in drawn:
        f.clear()  # the pixels were taken when png_future returned
    assert [p.result() for p in pending] == expected
    assert len(set(expected)) == 7


def test_at_most_png_pending_figures_wait_to_be_compressed(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    encode = figures._encode_png

    def held(*args):
        release.wait()
        return encode(*args)

    monkeypatch.setattr(figures, "_encode_png", held)
    _, bound = figures._png_encoder()
    waiting = [figures.png_future(_drawn(seed=k), dpi=50) for k in range(figures.PNG_PENDING)]
    assert not bound.acquire(blocking=False)  # one more figure would wait for a slot
    release.set()
    assert all(p.result().startswith(b"\x89PNG") for p in waiting)
    # Every slot is free again once the Futures are done (the callbacks run before result returns).
    for _ in range(figures.PNG_PENDING):
        assert bound.acquire(timeout=60)
    for _ in range(figures.PNG_PENDING):
        bound.release()


def test_an_encoding_error_reaches_the_reader_and_frees_its_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_):
        raise MemoryError("no room for the PNG")

    monkeypatch.setattr(figures, "_encode_png", full)
    for _ in range(figures.PNG_PENDING + 2):  # would block for ever if a failed slot were kept
        file = FigureFile("figures/x.png", "x", "", figures.png_future(_drawn(), dpi=50))
        with pytest.raises(MemoryError, match="no room"):
            _ = file.png


def _png_in_child(queue) -> None:
    figure = _drawn(seed=3)
    queue.put(figures.png_bytes(figure, dpi=80) == _matplotlib_png(figure, 80))


def _forked_child(target, waiting_for: str) -> object:
    """What ``target(queue)`` put in the queue, run in a forked child."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=target, args=(queue,))
    child.start()
    child.join(timeout=120)  # a guard against a hang, not a synchronisation
    if child.is_alive():
        child.kill()
        pytest.fail(f"the forked child waited for the parent's {waiting_for}")
    assert child.exitcode == 0
    return queue.get(timeout=10)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")
def test_a_forked_child_compresses_in_its_own_thread() -> None:
    figures.png_bytes(_drawn(), dpi=50)  # the parent's thread exists before the fork
    assert _forked_child(_png_in_child, "PNG thread") is True


drawn_seeds: list[object] = []
"""The arguments :func:`_counted` drew, in order (a module's list: not one of the arguments, and
not a setting: drawn_png keys by the draw's module's upper-case names)."""


def _counted(
    seed: int, *, width: float = 3.0, frame: pd.DataFrame | None = None, fail: bool = False
) -> Figure:
    drawn_seeds.append(seed)
    if fail:
        raise ValueError("no figure")
    return _drawn(width, seed=seed)


@pytest.fixture
def memo(monkeypatch: pytest.MonkeyPatch) -> dict:
    """An empty memo of drawn PNG files, and no draws counted yet."""
    drawn_seeds.clear()
    monkeypatch.setattr(figures, "_memo", {})
    return figures._memo


def test_a_drawing_is_remembered_by_its_arguments_and_gives_matplotlibs_bytes(memo) -> None:
    """verify drew each figure it had just drawn for the run again (13 CAR paths, ...)."""
    first = figures.drawn_png(_counted, 1)
    assert figures.drawn_png(_counted, 1) is first and drawn_seeds == [1]
    assert first.result() == _matplotlib_png(_drawn(seed=1), figures.DPI)
    frame = pd.DataFrame({"car": [0.01, -0.02]})
    figures.drawn_png(_counted, 1, frame=frame)
    figures.drawn_png(_counted, 1, frame=frame.copy())  # equal values: the same figure
    changed = frame.copy()
    changed.loc[1, "car"] = np.nextafter(-0.02, 0.0)  # one value moved by one ulp: another figure
    figures.drawn_png(_counted, 1, frame=changed)
    figures.drawn_png(_counted, 1, frame=frame.astype("float32"))  # other dtype: another figure
    figures.drawn_png(_counted, 1, width=3.5)  # other keyword
    figures.drawn_png(_counted, 2)  # other argument
    assert drawn_seeds == [1, 1, 1, 1, 1, 2]


def test_a_figure_is_drawn_again_when_its_modules_settings_change(memo, monkeypatch) -> None:
    """A notebook that recolours the report (figures.PALETTE) got the figure of the old colours."""
    first = figures.drawn_png(figures.message_figure, "no data").result()
    assert figures.drawn_png(figures.message_figure, "no data").result() == first and len(memo) == 1
    monkeypatch.setitem(figures.STYLE, "figure.facecolor", "#ffff00")
    assert figures.drawn_png(figures.message_figure, "no data").result() != first
    monkeypatch.setattr(figures, "PALETTE", ("#000000",))
    figures.drawn_png(figures.message_figure, "no data")
    assert len(memo) == 3


def test_what_cannot_be_compared_or_failed_is_drawn_again(memo) -> None:
    with pytest.raises(ValueError, match="no figure"):
        figures.drawn_png(_counted, 1, fail=True)
    with pytest.raises(ValueError, match="no figure"):  # a failure is not remembered
        figures.drawn_png(_counted, 1, fail=True)
    unpicklable = pd.DataFrame({"f": [lambda: 0]})
    figures.drawn_png(_counted, 3, frame=unpicklable)
    figures.drawn_png(_counted, 3, frame=unpicklable)
    assert drawn_seeds == [1, 1, 3, 3] and len(memo) == 0


def test_the_memo_keeps_the_latest_drawings(memo, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = [len(figures.drawn_png(_counted, seed).result()) for seed in (1, 2, 3)]
    memo.clear()
    drawn_seeds.clear()
    monkeypatch.setattr(figures, "MEMO_BYTES", sizes[0] + max(sizes[1:]))  # room for two of them
    for seed in (1, 2, 1, 3):  # 1 used again: 2 is the oldest when 3 comes
        figures.drawn_png(_counted, seed).result()
    assert drawn_seeds == [1, 2, 3] and len(memo) == 2
    figures.drawn_png(_counted, 1)
    figures.drawn_png(_counted, 2)
    assert drawn_seeds == [1, 2, 3, 2]


def _drawn_in_child(queue: multiprocessing.Queue) -> None:
    future = figures.drawn_png(_counted, 4)
    queue.put((future.result() == _matplotlib_png(_drawn(seed=4), figures.DPI), list(drawn_seeds)))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")
def test_a_forked_child_draws_for_itself(memo) -> None:
    """A Future pending in the parent never finishes in a forked child: the child draws anew."""
    figures.drawn_png(_counted, 4).result()
    assert _forked_child(_drawn_in_child, "drawing") == (True, [4, 4])

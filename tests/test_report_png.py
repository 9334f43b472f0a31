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


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """An empty memo of drawn PNG files, and the figures compressed from now on (after a first
    drawing: a module of the report imported by it is a new setting, so the key of the call
    before it differs)."""
    figures.png_bytes(figures.message_figure("the modules a drawing imports"))
    monkeypatch.setattr(figures, "_memo", {})
    figures_drawn: list[Figure] = []
    png_future = figures.png_future
    monkeypatch.setattr(figures, "png_future", lambda f, **k: figures_drawn.append(f) or png_future(f, **k))
    return figures_drawn


def test_a_drawing_is_remembered_by_its_arguments_and_gives_matplotlibs_bytes(drawn) -> None:
    """verify drew each figure it had just drawn for the run again (13 CAR paths, ...)."""
    first = figures.drawn_png(figures.message_figure, "no data", "a title")
    assert figures.drawn_png(figures.message_figure, "no data", "a title") is first and len(drawn) == 1
    assert first.result() == _matplotlib_png(figures.message_figure("no data", "a title"), figures.DPI)
    figures.drawn_png(figures.message_figure, "no data", "another title")  # other argument
    figures.drawn_png(figures.message_figure, "no data", "a title", width=6.0)  # other keyword
    assert len(drawn) == 3


def test_frames_are_the_same_drawing_when_their_values_and_types_are() -> None:
    frame = pd.DataFrame({"car": [0.01, -0.02], "ticker": ["A", "B"]})
    key = figures._drawing_key(figures.caar_figure, (frame,), {})
    assert key and key == figures._drawing_key(figures.caar_figure, (frame.copy(),), {})
    changed = frame.copy()
    changed.loc[1, "car"] = np.nextafter(-0.02, 0.0)  # one value moved by one ulp
    zero = frame.assign(car=[0.0, -0.02])
    others = [
        changed,
        zero,
        zero.assign(car=[-0.0, -0.02]),  # -0.0 prints as "-0.00%"
        frame.astype({"car": "float32"}),
        frame.astype({"ticker": "category"}),
        frame.set_axis([1, 2]),
        frame.rename(columns={"ticker": "id"}),
    ]
    keys = {figures._drawing_key(figures.caar_figure, (other,), {}) for other in others}
    assert len(keys | {key}) == len(others) + 1
    assert figures._drawing_key(figures.heatmap_figure, (frame,), {}) != key  # another function


def test_only_the_reports_own_functions_are_remembered(drawn) -> None:
    """A method's object, a closure's cells, a lambda's body and a notebook's redefined function
    are not in a qualified name: study B got study A's figure (a re-attack)."""

    class Study:
        def __init__(self, text: str) -> None:
            self.text = text

        def plot(self) -> Figure:
            return figures.message_figure(self.text)

    def closure(text: str):
        return lambda: figures.message_figure(text)

    for draw in (Study("A").plot, Study("B").plot, closure("A"), closure("B"), _drawn, _drawn):
        figures.drawn_png(draw)
    assert len(drawn) == 6
    assert figures.drawn_png(Study("B").plot).result() == figures.png_bytes(figures.message_figure("B"))


def test_what_cannot_be_compared_or_failed_is_drawn_again(drawn, monkeypatch) -> None:
    real = figures.new_figure
    monkeypatch.setattr(figures, "new_figure", lambda *a: (_ for _ in ()).throw(ValueError("no figure")))
    with pytest.raises(ValueError, match="no figure"):
        figures.drawn_png(figures.message_figure, "x")
    monkeypatch.setattr(figures, "new_figure", real)
    figures.drawn_png(figures.message_figure, "x")  # the failure was not remembered
    unpicklable = pd.DataFrame({"f": [lambda: 0]})
    assert figures._drawing_key(figures.caar_figure, (unpicklable,), {}) == b""
    assert len(drawn) == 1


def test_the_memo_keeps_the_latest_drawings(drawn, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = [len(figures.drawn_png(figures.message_figure, text).result()) for text in "abc"]
    figures._memo.clear()
    drawn.clear()
    monkeypatch.setattr(figures, "MEMO_BYTES", sizes[0] + max(sizes[1:]))  # room for two of them
    for text in "abac":  # a used again: b is the oldest when c comes
        figures.drawn_png(figures.message_figure, text).result()
    assert len(drawn) == 3 and len(figures._memo) == 2
    figures.drawn_png(figures.message_figure, "a")
    figures.drawn_png(figures.message_figure, "b")
    assert len(drawn) == 4


def test_a_figure_is_drawn_again_when_a_setting_of_the_report_changes(drawn, monkeypatch) -> None:
    """A notebook that restyled the report got figures of the old style: those of figures.py (its
    own settings), and the deal flows and equity curve, drawn elsewhere (a re-attack)."""
    from eventstudy.backtest.report import plot_equity_curve
    from eventstudy.report import fmt
    from eventstudy.report.flows import flows_figure

    curve = pd.DataFrame(
        {
            "holding_days": [1, 1, 1],
            "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"]),
            "strategy_equity": [1.0, 1.01, 1.02],
            "market_equity": [1.0, 1.0, 1.005],
        }
    )
    calls = [(figures.message_figure, ("no data",)), (flows_figure, (None,))]
    calls.append((plot_equity_curve, (curve, "SPY")))
    before = [figures.drawn_png(draw, *args).result() for draw, args in calls]
    monkeypatch.setitem(figures.STYLE, "figure.facecolor", "#ffff00")
    after = [figures.drawn_png(draw, *args).result() for draw, args in calls]
    assert all(a != b for a, b in zip(after, before, strict=True))
    assert after == [figures.png_bytes(draw(*args)) for draw, args in calls]  # as drawn anew
    assert len(drawn) == 9  # each drawn in each style, and anew
    monkeypatch.setattr(fmt, "MISSING", "n/a")  # another module's setting
    figures.drawn_png(figures.message_figure, "no data")
    assert len(drawn) == 10
    from eventstudy.timeline import confounders  # one the figures read when they draw (a re-attack)

    monkeypatch.setattr(confounders, "UNCONFOUNDED_SUFFIX", " (clean)")
    figures.drawn_png(figures.message_figure, "no data")
    assert len(drawn) == 11


def test_threads_drawing_at_once_each_get_their_own_figure(monkeypatch) -> None:
    """style() swapped the process's rcParams under another thread's drawing (a re-attack)."""
    import matplotlib as mpl

    for name, value in (("lines.linewidth", 4.0), ("axes.facecolor", "#ff0000"), ("font.size", 20.0)):
        monkeypatch.setitem(mpl.rcParams, name, value)  # a user's settings, which style() sets aside
    seeds = range(4)
    alone = {seed: figures.png_bytes(_drawn(seed=seed), dpi=60) for seed in seeds}
    got: dict[int, list[bytes]] = {seed: [] for seed in seeds}
    failed: list[BaseException] = []

    def draw(seed: int) -> None:
        try:
            for _ in range(10):
                got[seed].append(figures.png_bytes(_drawn(seed=seed), dpi=60))
        except BaseException as exc:  # "could not convert string to float: 'large'"
            failed.append(exc)

    threads = [threading.Thread(target=draw, args=(seed,)) for seed in seeds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed and all(got[seed] == [alone[seed]] * 10 for seed in seeds)
    assert mpl.rcParams["lines.linewidth"] == 4.0  # the user's, given back


def _drawn_in_child(queue: multiprocessing.Queue) -> None:
    future = figures.drawn_png(figures.message_figure, "in the child")
    drawn_here = figures._memo
    queue.put((future.result() == figures.png_bytes(figures.message_figure("in the child")), len(drawn_here)))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")
def test_a_forked_child_draws_for_itself(drawn) -> None:
    """A Future pending in the parent never finishes in a forked child: the child draws anew."""
    figures.drawn_png(figures.message_figure, "in the child").result()
    assert _forked_child(_drawn_in_child, "drawing") == (True, 1)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")
def test_a_child_forked_while_a_thread_draws_can_draw() -> None:
    """A thread of the parent inside style() at the fork left its lock held in the child, which
    waited for ever (a re-attack)."""
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with figures.style():
            inside.set()
            release.wait(timeout=120)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(timeout=120)
    try:
        assert _forked_child(_drawn_in_child, "style lock") == (True, 1)
    finally:
        release.set()
        holder.join()

"""The study's figures as matplotlib :class:`~matplotlib.figure.Figure` objects.

Every function takes the exported tables as they are (``ar.parquet``, ``car.parquet``,
``caar.parquet``, ``stats.parquet`` frames, or the rows of one event) and returns a Figure; the
report turns each into PNG bytes with :func:`drawn_png` (:func:`png_future`, which compresses
in a background thread while the next figure is drawn, of a figure this process has not drawn
already for the same data; :func:`png_bytes` waits for the bytes), and a notebook can show it, restyle it
or save it in any format. No pyplot state is used, so drawing is safe in a library and in
tests (``results.plot_*`` methods call these same functions).

Rendering is byte-for-byte reproducible on one matplotlib/FreeType build: the style starts
from matplotlib's defaults (any user ``matplotlibrc`` is ignored), text uses DejaVu Sans
(shipped with matplotlib), sizes are fixed, PNGs are written at :data:`DPI` (print resolution)
without ``Software`` or date metadata.

Every function accepts empty and all-missing inputs: instead of failing it returns a figure
whose only content is one sentence saying what is missing (:func:`message_figure`). The report
leaves such figures out and says why in its text.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import math
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter
from PIL import Image, PngImagePlugin
from scipy import stats as scipy_stats

from eventstudy.report import fmt
from eventstudy.report.flags import FLAG, marks
from eventstudy.report.paths import car_paths, volume_paths

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.typing import RcKeyType

DPI = 300
"""Resolution of the PNG files (print quality); the HTML page shows them at 100 px per inch."""
STYLE: dict[RcKeyType, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8.0,
    "axes.titlesize": 8.5,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.5,
    "legend.frameon": False,
    "legend.fontsize": 7.0,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "path.simplify": False,
    "text.parse_math": False,  # "$" is a dollar sign, never mathtext
    "svg.hashsalt": "eventstudy",
}
# Colour-blind-safe palette (Okabe & Ito 2008).
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
GAIN, LOSS = "#1a7f37", "#c0392b"
CONFOUNDER_COLOUR = "#E69F00"
DOMINANT_COLOUR = "#c0392b"
TITLE_Y = 1.0
"""Height of an axes title whose axes has no tick labels on top: given, so matplotlib does not
measure every tick label at each draw to see whether the title must move up (where it would not)."""


_styling = threading.RLock()
"""Held while :func:`style` has the process's rcParams: two threads drawing at once swapped them
under each other (a ValueError, or another thread's figure in the wrong style; a re-attack)."""


@contextmanager
def style() -> Iterator[None]:
    """matplotlib's defaults plus :data:`STYLE`, whatever the user's rc settings; one thread at
    a time (rcParams are the process's)."""
    with _styling, mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(STYLE)
        yield


def new_figure(width: float, height: float) -> Figure:
    """A Figure of ``width`` x ``height`` inches with an Agg canvas (no pyplot)."""
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Figure, *, dpi: int = DPI) -> bytes:
    """The PNG file of ``figure`` at ``dpi``: deterministic, no software or date metadata."""
    return png_future(figure, dpi=dpi).result()


PNG_PENDING = 2
"""Figures drawn and waiting to be compressed, at most: each holds its RGBA pixels (about
12 MB at 300 dpi), so a large report's memory does not grow with its figures."""
_encoder: tuple[int, ThreadPoolExecutor, threading.BoundedSemaphore] | None = None
_encoder_lock = threading.Lock()


def _png_encoder() -> tuple[ThreadPoolExecutor, threading.BoundedSemaphore]:
    """This process's PNG thread and its bound (a forked child starts its own: the parent's
    thread does not exist there)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None or _encoder[0] != os.getpid():
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventstudy-png")
            _encoder = (os.getpid(), executor, threading.BoundedSemaphore(PNG_PENDING))
        return _encoder[1], _encoder[2]


def png_future(figure: Figure, *, dpi: int = DPI) -> Future[bytes]:
    """Draw ``figure`` at ``dpi`` now; its PNG file (as :func:`png_bytes`) when the Future is done.

    Drawing is matplotlib's Python and holds the GIL; compressing is Pillow's deflate, which
    releases it. So the pixels are compressed in one background thread while the caller draws
    the next figure: the report's figures take about a quarter less time on two cores. The
    bytes are those of ``figure.savefig(format="png", metadata={"Software": None})``: the same
    pixels, written by Pillow as matplotlib writes them (RGBA, a ``pHYs`` chunk of ``dpi`` and
    no text chunk). The figure may be changed or cleared once this returns.
    """
    buffer = io.BytesIO()
    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # e.g. a notebook's figure on another backend
        with style():
            figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        done: Future[bytes] = Future()
        done.set_result(buffer.getvalue())
        return done
    with style():
        figure.savefig(buffer, format="rgba", dpi=dpi)
    size = (int(canvas.renderer.width), int(canvas.renderer.height))  # savefig drew at dpi
    pixels = buffer.getvalue()
    if len(pixels) != 4 * size[0] * size[1]:
        raise RuntimeError(f"matplotlib drew {len(pixels)} bytes for a {size[0]}x{size[1]} RGBA image")
    executor, pending = _png_encoder()
    pending.acquire()
    try:
        future = executor.submit(_encode_png, pixels, size, dpi)
    except BaseException:
        pending.release()
        raise
    future.add_done_callback(lambda _: pending.release())
    return future


MEMO_BYTES = 32 * 2**20
"""Bytes of the PNG files :func:`drawn_png` remembers in a process, the last drawn (the launch
study's 20 figures hold 3.7 MB)."""
_memo: dict[bytes, tuple[Callable[..., Figure], Future[bytes]]] = {}
"""Key -> (the function drawn, which keeps its id from being reused while it is here; the PNG)."""
_memo_lock = threading.Lock()


def _forget_drawings() -> None:
    """A forked child's memo, empty (the parent's pending Futures never finish there), and its
    locks, free: a thread of the parent (its PNG thread, or one drawing in style()) may have
    held one at the fork, and the child waited for it for ever (a re-attack)."""
    global _memo, _memo_lock, _styling, _encoder_lock
    _memo, _memo_lock = {}, threading.Lock()
    _styling, _encoder_lock = threading.RLock(), threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_forget_drawings)


def drawn_png(draw: Callable[..., Figure], /, *args: Any, **kwargs: Any) -> Future[bytes]:
    """:func:`png_future` of ``draw(*args, **kwargs)`` (the figure then cleared), or the same
    Future when this process drew ``draw`` of equal arguments lately (:data:`MEMO_BYTES`).

    The report's figure functions (module-level functions of ``eventstudy``) are functions of
    their arguments and of the settings of the report's modules (upper-case names such as
    :data:`STYLE`, :data:`PALETTE`, ``fmt.MISSING``; no pyplot state, :func:`style` fixed, fonts
    shipped with matplotlib), so equal arguments, code and settings give the same file:
    ``eventstudy verify`` and a notebook re-rendering a folder draw each figure once, not again.
    Arguments are equal when their pickles are (a frame's values, dtypes, index and column
    names; frames equal in value but not in pickle are drawn again, never the converse). Any
    other ``draw`` (a method, a closure, a lambda, a notebook's function), arguments that cannot
    be pickled and a drawing that failed are not remembered.
    """
    key = _drawing_key(draw, args, kwargs)
    with _memo_lock:
        kept = _memo.pop(key, None)
        if kept is not None and not (kept[1].done() and kept[1].exception() is not None):
            _memo[key] = kept  # now the most recent
            return kept[1]
    figure = draw(*args, **kwargs)
    future = png_future(figure)
    figure.clear()
    if key:
        with _memo_lock:
            _memo[key] = (draw, future)
        future.add_done_callback(_trim_memo)  # outside the lock: a done Future calls it at once
    return future


SETTINGS_MODULES = (
    "eventstudy.report",
    "eventstudy.backtest.report",
    "eventstudy.text",
    "eventstudy.columns",
    "eventstudy.timeline.confounders",
)
"""The modules (and sub-modules) whose upper-case names are settings of the figures drawn: the
report's, and those whose names its figures read when they draw (a re-attack)."""


def _drawing_key(draw: Callable[..., Figure], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """The memo key of ``draw(*args, **kwargs)`` (:func:`drawn_png`), ``b""`` for none: a
    bound method's object, a closure's cells and a notebook's redefined function are not
    in a qualified name (study B got study A's figure; a re-attack)."""
    module = getattr(draw, "__module__", None) or ""
    if not inspect.isfunction(draw) or not module.startswith("eventstudy.") or "<" in draw.__qualname__:
        return b""
    settings = []
    for name in sorted(name for name in list(sys.modules) if name.startswith(SETTINGS_MODULES)):
        for setting, value in sorted(vars(sys.modules[name]).items()):
            if setting.isupper():  # a table of lambdas (findings.GROUP_COLUMNS) by its repr
                settings.append((name, setting, _pickled(value)))
    digest = _Digest()
    try:  # streamed into the hash: a large study's ar frame is not copied into one pickle
        # a function put in its place is another object (the memo holds each one it keys by id)
        called = (module, draw.__qualname__, id(draw), settings, args, sorted(kwargs.items()))
        pickle.Pickler(digest, protocol=5).dump(called)
    except Exception:  # an argument pickle refuses: drawn, not remembered
        return b""
    return digest.hash.digest()


def _pickled(value: object) -> bytes | str:
    """The pickle of a setting, or its repr when it has none."""
    try:
        return pickle.dumps(value, protocol=5)
    except Exception:
        return repr(value)


class _Digest:
    """A file that hashes what is written to it (BLAKE2b), keeping nothing else."""

    def __init__(self) -> None:
        self.hash = hashlib.blake2b()

    def write(self, data: bytes | pickle.PickleBuffer) -> int:  # an array's buffer, not copied
        self.hash.update(data)
        return memoryview(data).nbytes


def _trim_memo(_: Future[bytes]) -> None:
    """Forget the oldest PNG files until those kept hold :data:`MEMO_BYTES` or one is left."""
    with _memo_lock:
        sizes = [_png_size(future) for _, future in _memo.values()]  # oldest first
        while sum(sizes) > MEMO_BYTES and len(sizes) > 1:
            del _memo[next(iter(_memo))]
            sizes.pop(0)


def _png_size(future: Future[bytes]) -> int:
    """Bytes of a PNG file, 0 while it is compressed (at most :data:`PNG_PENDING`) or failed."""
    if not future.done() or future.exception() is not None:
        return 0
    return len(future.result())


def _encode_png(pixels: bytes, size: tuple[int, int], dpi: int) -> bytes:
    """RGBA ``pixels`` of ``size`` as a PNG file, as :func:`matplotlib.image.imsave` writes them."""
    out = io.BytesIO()
    image = Image.frombuffer("RGBA", size, pixels, "raw", "RGBA", 0, 1)
    image.save(out, format="png", pnginfo=PngImagePlugin.PngInfo(), dpi=(dpi, dpi))
    return out.getvalue()


def message_figure(text: str, title: str = "", width: float = 7.2, height: float = 2.4) -> Figure:
    """A figure with no axes: ``title`` and one sentence ``text`` saying what is missing."""
    with style():
        figure = new_figure(width, height)
        if title:
            figure.text(0.02, 0.92, title, ha="left", va="top", fontsize=10, fontweight="bold")
        figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, color="#555555", wrap=True)
        return figure


def text_inches(figure: Figure, text: str, *, size: float, bold: bool = False) -> float:
    """The width of ``text`` drawn at font ``size`` on ``figure``, in inches (the style's font:
    call it inside :func:`style`)."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    font = FontProperties(size=size, weight="bold" if bold else "normal")
    return float(renderer.get_text_width_height_descent(text, font, ismath=False)[0]) / figure.dpi


def fitted(
    figure: Figure, text: str, inches: float, *, size: float, bold: bool = False, keep: int = 0
) -> str:
    """``text``, or as much of it as fits ``inches`` at font ``size`` with "…" where it is cut,
    its last ``keep`` characters kept (a title's date and deal, a panel's N): event ids, roles
    and groups may be 100 characters long, and ran off the figure or over the next panel.
    Measured with the figure's renderer (the style's font: call it inside :func:`style`)."""

    def fits(candidate: str) -> bool:
        return text_inches(figure, candidate, size=size, bold=bold) <= inches

    if fits(text):
        return text
    head, tail = text[: len(text) - keep], text[len(text) - keep :]
    low, high = 0, len(head)  # the longest start of head that fits with the tail
    while low < high:
        middle = (low + high + 1) // 2
        if fits(head[:middle].rstrip() + "…" + tail):
            low = middle
        else:
            high = middle - 1
    return head[:low].rstrip() + "…" + tail


def _fit_title(figure: Figure, axes: Axes, *, keep: int) -> None:
    """Shorten a panel's left title to the panel's width (:func:`fitted`)."""
    width = axes.get_position().width * figure.get_figwidth()
    size = float(mpl.rcParams["axes.titlesize"])
    title = fitted(figure, axes.get_title(loc="left"), width, size=size, bold=True, keep=keep)
    axes.set_title(title, loc="left", y=TITLE_Y)


def _finite(values: object) -> np.ndarray:
    return np.isfinite(np.asarray(values, dtype=float))


def _percent_tick(value: float, _position: object = None) -> str:
    """A tick label in percent: whole percents without decimals, others with one."""
    whole = abs(value * 100 - round(value * 100)) < 1e-9
    return fmt.percent(value, digits=0 if whole else 1)


def _percent_axis(axis: Axis) -> None:
    axis.set_major_formatter(FuncFormatter(_percent_tick))


def _tau_ticks(axes: Axes, taus: np.ndarray, fontsize: float = 6.5) -> None:
    step = max(1, math.ceil(len(taus) / 11))
    shown = taus[::step]
    axes.set_xticks(shown, [f"{t:+d}" if t else "0" for t in shown], fontsize=fontsize)


def _grid(n: int, columns: int = 3) -> tuple[int, int]:
    columns = min(columns, max(1, n))
    return math.ceil(n / columns), columns


# ---------------------------------------------------------------------------------------------
# CAR paths of one event


def car_figure(
    ar: pd.DataFrame,
    car: pd.DataFrame,
    event_id: str,
    *,
    n_params: int = 2,
    window: str | None = None,
) -> Figure:
    """One event's CAR path for each listed party, one panel per party (small multiples).

    Parameters
    ----------
    ar
        ``ar.parquet`` rows (any events; peers are left out): ``event_id``, ``ticker``, ``role``,
        ``tau``, ``car``, ``car_se``.
    car
        ``car.parquet`` rows: ``n_est`` (for the band's degrees of freedom), ``day0``,
        ``deal_usd``, ``tau_start``/``tau_end`` and, when present, the confounder columns.
    event_id
        The event drawn.
    n_params
        k, the model's estimated parameters (the band is ±t(0.975, M-k)·s.e.).
    window
        The window shaded in every panel (e.g. ``"[-1,+1]"``); its confounders are not needed:
        those of the widest window are marked.

    Notes
    -----
    Each panel: CAR from the span's first day to τ with its 95% band (Campbell, Lo & MacKinlay
    1997 prediction-error s.e., :func:`eventstudy.report.paths.car_paths`); dashed orange lines
    at the confounders of the widest window (``⚑`` with a short name); a red ring on the day
    that carries a window's CAR (``dominant_tau``).
    """
    rows = ar[(ar["event_id"] == event_id) & (ar["role"] != "peer")]
    windows = car[(car["event_id"] == event_id) & (car["role"] != "peer")]
    paths = car_paths(rows, windows, n_params)
    title = _event_title(event_id, windows)
    if not _finite(paths["car"]).any():
        return message_figure("No party of this event has an estimated abnormal return.", title)
    tickers = list(dict.fromkeys(paths["ticker"]))
    n_rows, n_cols = _grid(len(tickers))
    with style():
        figure = new_figure(7.2, 0.55 + 2.25 * n_rows)
        axes_grid = figure.subplots(n_rows, n_cols, squeeze=False, sharey=True).ravel()
        for axes, ticker, colour in zip(axes_grid, tickers, PALETTE * len(tickers), strict=False):
            _car_panel(
                axes, paths[paths["ticker"] == ticker], windows[windows["ticker"] == ticker], colour, window
            )
        for axes in axes_grid[len(tickers) :]:
            axes.set_visible(False)
        for axes in axes_grid[::n_cols]:
            axes.set_ylabel("CAR from the span's first day")
        keep = len(title) - len(str(event_id))  # ": day 0 <date>, deal <size>"
        shown = fitted(figure, title, 7.0, size=9, bold=True, keep=keep)
        figure.suptitle(shown, x=0.01, ha="left", fontsize=9, fontweight="bold")
        legend = "band: 95%, CLM prediction-error s.e."
        if window:
            legend += f"; shaded: {window}"
        legend += f"; {FLAG} dashed: other news in the window; ring: the day that carries a window's CAR"
        figure.text(0.99, 0.005, legend, ha="right", va="bottom", fontsize=5.5, color="#666666")
        top = 1 - 0.42 / (0.55 + 2.25 * n_rows)
        figure.subplots_adjust(
            left=0.1,
            right=0.98,
            top=top,
            bottom=0.42 / (0.55 + 2.25 * n_rows) + 0.08 / n_rows,
            wspace=0.08,
            hspace=0.55,
        )
        for axes in axes_grid[: len(tickers)]:
            _fit_title(figure, axes, keep=1)  # "TICKER (role…)"
        return figure


def _event_title(event_id: str, windows: pd.DataFrame) -> str:
    if windows.empty:
        return str(event_id)
    head = windows.iloc[0]
    deal = head.get("deal_usd", np.nan)
    deal_text = "none given" if fmt.is_missing(deal) else fmt.money(deal, signed=False)
    return f"{event_id}: day 0 {fmt.date(head.get('day0'))}, deal {deal_text}"


def _car_panel(
    axes: Axes, path: pd.DataFrame, windows: pd.DataFrame, colour: str, window: str | None
) -> None:
    taus = path["tau"].to_numpy()
    axes.fill_between(taus, path["lower"], path["upper"], color=colour, alpha=0.18, linewidth=0)
    axes.plot(taus, path["car"], color=colour, marker="o", markersize=2.2, linewidth=1.1)
    axes.axhline(0, color="#555555", linewidth=0.6)
    axes.axvline(0, color="#555555", linewidth=0.6, linestyle=":")
    shaded = windows[windows["window"] == window] if window else windows.iloc[:0]
    if len(shaded):
        start, end = int(shaded["tau_start"].iloc[0]), int(shaded["tau_end"].iloc[0])
        axes.axvspan(start - 0.5, end + 0.5, color="#000000", alpha=0.05, linewidth=0)
    if len(windows):
        widest = windows.assign(span=windows["tau_end"] - windows["tau_start"]).sort_values(
            "span", ascending=False, kind="stable"
        )
        shown = set()
        for mark in marks(widest["confounders"].iloc[0] if "confounders" in widest else ""):
            # an item of unknown time (two days): marked on its first day that the path shows
            inside = [t for t in mark.taus if taus.min() <= t <= taus.max()]
            if not inside or inside[0] in shown:
                continue
            day = inside[0]
            shown.add(day)
            axes.axvline(day, color=CONFOUNDER_COLOUR, linewidth=0.9, linestyle="--")
            axes.text(
                day,
                0.98,
                f"{FLAG} {mark.name}",
                transform=axes.get_xaxis_transform(),
                rotation=90,
                ha="right",
                va="top",
                fontsize=5.5,
                color="#8a5a00",
            )
        if "dominant_tau" in windows:
            for tau in sorted({int(t) for t in windows["dominant_tau"].dropna()}):
                at = path[path["tau"] == tau]
                if len(at) and np.isfinite(float(at["car"].iloc[0])):
                    axes.plot(
                        [tau],
                        [float(at["car"].iloc[0])],
                        marker="o",
                        markersize=7,
                        markerfacecolor="none",
                        markeredgecolor=DOMINANT_COLOUR,
                        markeredgewidth=1.1,
                        linestyle="none",
                    )
    role = path["role"].iloc[0] if len(path) else ""
    axes.set_title(f"{path['ticker'].iloc[0]} ({role})", loc="left", y=TITLE_Y)
    _tau_ticks(axes, np.sort(np.unique(taus)))
    axes.set_xlabel("τ (trading days from day 0)", fontsize=6.5)
    _percent_axis(axes.yaxis)
    axes.tick_params(axis="y", labelsize=6.5)


# ---------------------------------------------------------------------------------------------
# CAAR per group


def caar_figure(caar: pd.DataFrame, *, groups: Sequence[str] | None = None, expanded: bool = True) -> Figure:
    """The CAAR path of each group with its bootstrap band, one panel per group.

    Parameters
    ----------
    caar
        ``caar.parquet``: ``group``, ``tau``, ``caar``, ``lower``, ``upper``, ``n`` (and
        ``level``): the mean CAR from the span's first day with the pointwise expanded percentile
        band of resampled events (Efron & Tibshirani 1993; Hesterberg 2015; none for a group with
        too few pairs).
    groups
        The groups drawn, in order (default: every group of ``caar``).
    expanded
        Whether the band is the expanded one (False: the plain percentile band of a folder written
        before, as its manifest says).
    """
    known = caar[_finite(caar["caar"])] if len(caar) else caar
    if groups is not None:
        known = known[known["group"].isin(groups)]
    order = [g for g in (groups or dict.fromkeys(caar["group"])) if g in set(known["group"])]
    if not order:
        return message_figure("No group has an estimated CAR.", "CAAR by group")
    level = float(caar["level"].iloc[0]) if "level" in caar and len(caar) else 0.95
    panels = {group: known[known["group"] == group] for group in order}
    counts = {group: int(rows["n"].max()) if len(rows) else 0 for group, rows in panels.items()}
    method, none = ("expanded (Hesterberg 2015), ", "; none with too few pairs") if expanded else ("", "")
    footnote = (
        f"band: {level:.0%} bootstrap percentile band, {method}(event, party) pairs resampled "
        f"(caar.parquet{none})"
    )
    return _band_multiples(panels, counts, "caar", PALETTE[0], "CAAR", footnote, percent=True)


def _band_multiples(
    panels: dict[str, pd.DataFrame],
    counts: dict[str, int],
    centre: str,
    colour: str,
    ylabel: str,
    footnote: str,
    *,
    percent: bool,
) -> Figure:
    """Small multiples of a path with its band, one panel per group (``panels``: its rows with
    ``tau``, ``centre``, ``lower`` and ``upper``; ``counts``: the N in its title), sharing the
    y axis; ``percent`` formats it in percent. The layout of :func:`caar_figure` and
    :func:`volume_figure`."""
    n_rows, n_cols = _grid(len(panels))
    with style():
        height = 0.45 + 2.0 * n_rows
        figure = new_figure(7.2, height)
        axes_grid = figure.subplots(n_rows, n_cols, squeeze=False, sharey=True).ravel()
        # "(N=5, no band)": a panel without a band (too few pairs) is not one whose band was lost
        suffix = {
            group: f" (N={counts[group]}{'' if _finite(rows['lower']).any() else ', no band'})"
            for group, rows in panels.items()
        }
        for axes, (group, rows) in zip(axes_grid, panels.items(), strict=False):
            taus = rows["tau"].to_numpy()
            axes.fill_between(taus, rows["lower"], rows["upper"], color=colour, alpha=0.18, linewidth=0)
            axes.plot(taus, rows[centre], color=colour, marker="o", markersize=2.2, linewidth=1.1)
            axes.axhline(0, color="#555555", linewidth=0.6)
            axes.axvline(0, color="#555555", linewidth=0.6, linestyle=":")
            axes.set_title(f"{group}{suffix[group]}", loc="left", y=TITLE_Y)
            _tau_ticks(axes, np.sort(np.unique(taus)))
            axes.set_xlabel("τ", fontsize=6.5)
            if percent:
                _percent_axis(axes.yaxis)
            axes.tick_params(axis="y", labelsize=6.5)
        for axes in axes_grid[len(panels) :]:
            axes.set_visible(False)
        if n_rows == 1:
            axes_grid[0].set_ylabel(ylabel)
        else:  # one label for the rows: a long one per row overlapped the next (a referee)
            figure.supylabel(ylabel, x=0.012, fontsize=mpl.rcParams["axes.labelsize"])
        figure.text(0.99, 0.005, footnote, ha="right", va="bottom", fontsize=5.5, color="#666666")
        figure.subplots_adjust(
            left=0.09, right=0.98, top=1 - 0.25 / height, bottom=0.5 / height, wspace=0.08, hspace=0.6
        )
        for axes, group in zip(axes_grid, panels, strict=False):  # "group… (N=12)"
            _fit_title(figure, axes, keep=len(suffix[group]))
        return figure


# ---------------------------------------------------------------------------------------------
# Abnormal trading volume per group


VOLUME_MEASURES: dict[str, str] = {"log_volume": "log volume", "log_turnover": "log turnover"}
"""The words of each ``volume`` measure of a study's config in the report."""


def volume_figure(volume: pd.DataFrame, *, level: float = 0.95, measure: str = "log_volume") -> Figure:
    """The mean cumulative abnormal log volume of each group over τ with its band, one panel per
    group (small multiples, as :func:`caar_figure`).

    Parameters
    ----------
    volume
        ``volume.parquet``: ``event_id``, ``ticker``, ``role``, ``group``, ``tau``,
        ``cumulative_abnormal_volume`` and ``outcome``.
    level
        Coverage of the band.
    measure
        The study's ``volume`` (:data:`VOLUME_MEASURES`), named in the footnote.

    Notes
    -----
    Per group (the events file's groups of listed parties, ``all``, ``peers``: the groups of
    ``volume_stats.parquet``), the mean over its N pairs with a complete path of
    :math:`CAV_i(\\tau_0, \\tau)`, the abnormal log volume or log turnover of the volume market
    model (after Campbell & Wasley 1996: :mod:`eventstudy.volume`) cumulated from the span's
    first day, with the pointwise t band
    :math:`\\pm t_{N-1} s/\\sqrt N` (:func:`eventstudy.report.paths.volume_paths`: it assumes
    independent pairs). The y axis is in natural-log units (not 100 x log, "log points"): a CAV of
    0.69 is one day's normal volume traded in excess (:math:`e^{0.69} = 2`).
    """
    paths = volume_paths(volume, level=level)
    order = list(dict.fromkeys(paths["group"]))
    title = "Abnormal trading volume by group"
    if not order:
        return message_figure("No pair has an estimated abnormal volume over the whole event span.", title)
    panels = {group: paths[paths["group"] == group] for group in order}
    counts = {group: int(rows["n"].iloc[0]) for group, rows in panels.items()}
    footnote = (
        f"CAV: cumulative abnormal {VOLUME_MEASURES.get(measure, measure)} from "
        f"τ={int(paths['tau'].min()):+d} (Campbell & Wasley "
        f"1996, volume.parquet); band: pointwise {level:.0%} t interval of the mean over pairs"
    )
    ylabel = "mean CAV (natural-log units; 0.69 = one normal day)"
    return _band_multiples(panels, counts, "mean", PALETTE[1], ylabel, footnote, percent=False)


# ---------------------------------------------------------------------------------------------
# Value per deal dollar


def value_per_deal_rows(
    car: pd.DataFrame, window: str, *, n_params: int = 2, level: float = 0.95
) -> pd.DataFrame:
    """The (event, party) rows of ``window`` with a disclosed deal and a dollar value, with a
    ``level`` interval of their value per deal dollar.

    The interval is value/deal ± t(½ + level/2, M−k) · s.e.(CAR) · MV₋₁ / deal: the CAR's
    prediction-error s.e. (``car_se``) in dollars of the market value before the window
    (``mcap_prev_usd``), the s.d. basis the dollar test uses without estimation-window market
    values (``sigma_x_mcap_prev``). It ignores changes of the market value inside the window.

    Returns
    -------
    pandas.DataFrame
        The rows with ``ratio``, ``lower``, ``upper`` and ``confounded``, largest ratio first.
    """
    rows = car[(car["window"] == window) & (car["role"] != "peer")]
    deal = pd.to_numeric(rows["deal_usd"], errors="coerce").to_numpy(float)
    value = pd.to_numeric(rows["abnormal_value_usd"], errors="coerce").to_numpy(float)
    keep = _finite(deal) & (deal > 0) & _finite(value)
    rows = rows[keep].copy()
    deal, value = deal[keep], value[keep]
    dof = (
        pd.to_numeric(rows["n_est"], errors="coerce").to_numpy(float) - n_params
        if "n_est" in rows
        else np.nan
    )
    dof = np.where(np.asarray(dof, dtype=float) > 0, dof, np.nan)
    critical = scipy_stats.t.ppf(0.5 + level / 2, dof) if len(rows) else np.array([])
    spread = pd.to_numeric(rows["car_se"], errors="coerce").to_numpy(float) * pd.to_numeric(
        rows["mcap_prev_usd"], errors="coerce"
    ).to_numpy(float)
    half = critical * spread / deal
    rows["ratio"] = value / deal
    rows["lower"] = rows["ratio"] - half
    rows["upper"] = rows["ratio"] + half
    rows["confounded"] = rows["confounded"].fillna(False).astype(bool) if "confounded" in rows else False
    return rows.sort_values("ratio", ascending=False, kind="stable").reset_index(drop=True)


MAX_VALUE_ROWS = 60
"""Rows of the value-per-deal figure: those of the largest absolute dollar value beyond it (the
figure grows a fifth of an inch a row; car.parquet holds every row)."""


def value_per_deal_figure(
    car: pd.DataFrame,
    window: str,
    *,
    stats: pd.DataFrame | None = None,
    n_params: int = 2,
) -> Figure:
    """Abnormal dollar value per deal dollar of every (event, party) with a disclosed deal (the
    :data:`MAX_VALUE_ROWS` of largest absolute dollar value when there are more, the note says so).

    Parameters
    ----------
    car
        ``car.parquet`` (peers and undisclosed deals are left out).
    window
        The window of the values.
    stats
        ``stats.parquet``: each group's ``value_per_deal_dollar`` over ``window`` is drawn as
        a diamond below the rows (without an interval: the ratio of totals has no p).
    n_params
        k of the model, for the interval's degrees of freedom.

    Notes
    -----
    A dot-and-whisker chart on a linear axis, so the sign is read off directly: each row's
    ratio with the 95% interval of :func:`value_per_deal_rows`; filled green gains, filled red
    losses, hollow markers and ``⚑`` for windows with other news.
    """
    rows = value_per_deal_rows(car, window, n_params=n_params)
    title = f"Market value created per deal dollar, {window}"
    totals = _group_totals(stats, window)
    if rows.empty:
        return message_figure("No (event, party) has both a disclosed deal size and a dollar value.", title)
    n_rows = len(rows)
    if n_rows > MAX_VALUE_ROWS:  # a row a fifth of an inch: 1,400 rows were a 2,160 x 55,530 px PNG
        size = pd.to_numeric(rows["abnormal_value_usd"], errors="coerce").abs()
        largest = size.sort_values(ascending=False, kind="stable").index[:MAX_VALUE_ROWS]
        rows = rows.loc[sorted(largest)].reset_index(drop=True)  # still largest ratio first
    n = len(rows) + len(totals)
    width, height, left = 7.2, 0.9 + 0.2 * n, 0.36  # left: the labels' margin, a share of the width
    with style():
        figure = new_figure(width, height)
        axes = figure.add_subplot()
        y = np.arange(len(rows))[::-1] + len(totals) + (0.8 if len(totals) else 0)
        ratio = rows["ratio"].to_numpy(float)
        lower, upper = rows["lower"].to_numpy(float), rows["upper"].to_numpy(float)
        has_band = _finite(lower) & _finite(upper)
        colours = np.where(ratio >= 0, GAIN, LOSS)
        reach = _ratio_reach(ratio, totals["value"].to_numpy(float))
        for i in range(len(rows)):
            if has_band[i]:
                low, high = max(lower[i], -reach), min(upper[i], reach)
                axes.plot([low, high], [y[i], y[i]], color=colours[i], linewidth=1.0)
                for end, cut, marker in ((lower[i], -reach, "<"), (upper[i], reach, ">")):
                    if abs(end) > reach and np.sign(end) == np.sign(cut):
                        axes.plot(
                            [cut], [y[i]], marker=marker, markersize=3.2, color=colours[i], linestyle="none"
                        )
            hollow = bool(rows["confounded"].iloc[i])
            axes.plot(
                [ratio[i]],
                [y[i]],
                marker="o",
                markersize=3.6,
                linestyle="none",
                color=colours[i],
                markerfacecolor="white" if hollow else colours[i],
                markeredgewidth=1.0,
            )
        room = left * width - 0.15  # the labels' margin less the ticks, inches
        labels = [
            fitted(figure, f"{r.ticker} · {r.event_id}", room - (0.15 if r.confounded else 0), size=6)
            + (f" {FLAG}" if r.confounded else "")
            for r in rows.itertuples(index=False)
        ]
        ticks, names = list(y), labels
        total: Any  # a row of the totals (pandas-stubs types its fields as any scalar)
        for j, total in enumerate(totals.itertuples(index=False)):
            position = len(totals) - 1 - j
            marker_face = "white" if total.unconfounded else "#333333"
            axes.plot(
                [total.value],
                [position],
                marker="D",
                markersize=4.2,
                color="#333333",
                markerfacecolor=marker_face,
                linestyle="none",
            )
            ticks.append(position)
            keep = len(total.label) - total.label.rfind(" (")  # "total: group… (2 events)"
            names.append(fitted(figure, total.label, room, size=6, keep=keep))
        if len(totals):
            axes.axhline(len(totals) - 0.1 + 0.3, color="#999999", linewidth=0.5)
        axes.axvline(0, color="#555555", linewidth=0.7)
        axes.set_yticks(ticks, names, fontsize=6)
        axes.set_ylim(-0.7, max(ticks) + 0.7)
        axes.set_xlim(-reach * 1.04, reach * 1.04)
        axes.grid(axis="y", visible=False)
        axes.set_xlabel(f"abnormal dollar value over {window} per deal dollar (95% interval)", fontsize=7)
        axes.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _: fmt.ratio(v, digits=1 if abs(v) >= 1 else 2))
        )
        axes.set_title(title, loc="left", y=TITLE_Y)
        note = "filled: gain (green) or loss (red); hollow and ⚑: other news in the window; ▶ interval cut"
        if n_rows > len(rows):
            note = f"the {len(rows)} of {n_rows:,} rows of largest |abnormal dollar value|; " + note
        if len(totals):
            note += "; diamonds: each group's value_per_deal_dollar (stats.parquet), hollow: unconfounded"
        figure.text(0.99, 0.005, note, ha="right", va="bottom", fontsize=5.5, color="#666666")
        # right: half of an x tick label at the axis' end ("+600.0") fits
        figure.subplots_adjust(left=left, right=0.95, top=1 - 0.3 / height, bottom=0.55 / height)
        return figure


def _ratio_reach(ratios: np.ndarray, totals: np.ndarray) -> float:
    """Half-width of the value-per-deal axis: 1.5 x the largest |ratio| (the points, not their
    intervals, set the scale; an interval beyond it is cut and marked), at least 1."""
    values = np.abs(np.concatenate([ratios, totals]))
    values = values[np.isfinite(values)]
    return float(max(1.0, 1.5 * values.max())) if values.size else 1.0


def _group_totals(stats: pd.DataFrame | None, window: str) -> pd.DataFrame:
    columns = ["label", "value", "unconfounded"]
    if stats is None or stats.empty:
        return pd.DataFrame(columns=columns)
    from eventstudy.timeline.confounders import UNCONFOUNDED_SUFFIX

    rows = stats[(stats["window"] == window) & (stats["statistic"] == "value_per_deal_dollar")]
    rows = rows[_finite(rows["value"])]
    out = []
    r: Any  # a stats.parquet row
    for r in rows.itertuples(index=False):
        unconfounded = str(r.group).endswith(UNCONFOUNDED_SUFFIX)
        out.append(
            {
                "label": f"total: {r.group} ({int(r.n)} events)",
                "value": float(r.value),
                "unconfounded": unconfounded,
            }
        )
    return pd.DataFrame(out, columns=columns)


# ---------------------------------------------------------------------------------------------
# Day-0 heat map


def heatmap_figure(ar: pd.DataFrame, *, order: Sequence[str] = (), cap: float = 0.10) -> Figure:
    """Day-0 abnormal returns, events × tickers; the announcement's parties are outlined.

    Parameters
    ----------
    ar
        ``ar.parquet`` (its τ = 0 rows are used): ``event_id``, ``ticker``, ``role``, ``ar``.
    order
        Tickers first in this order (e.g. the study's peers), then the others as they appear.
    cap
        Colour scale limit (±); larger moves get the end colour.
    """
    zero = ar[ar["tau"] == 0]
    title = "Day-0 abnormal returns"
    if zero.empty or not _finite(zero["ar"]).any():
        return message_figure("No (event, ticker) has an estimated day-0 abnormal return.", title)
    events = list(dict.fromkeys(zero["event_id"]))
    present = list(dict.fromkeys(zero["ticker"]))
    tickers = [t for t in order if t in present] + [t for t in present if t not in set(order)]
    matrix = zero.pivot_table(index="event_id", columns="ticker", values="ar", aggfunc="first", dropna=False)
    values = matrix.reindex(index=events, columns=tickers).to_numpy(dtype=float)
    listed = zero.assign(party=zero["role"] != "peer").pivot_table(
        index="event_id", columns="ticker", values="party", aggfunc="first"
    )
    parties = listed.reindex(index=events, columns=tickers).astype("boolean").fillna(False).to_numpy(bool)
    n_rows, n_cols = values.shape
    with style():
        width, height = max(6.0, 0.52 * n_cols + 2.9), max(2.6, 0.3 * n_rows + 1.1)
        figure = new_figure(width, height)
        axes = figure.add_subplot()
        axes.grid(False)
        image = axes.imshow(
            np.ma.masked_invalid(values),
            cmap=mpl.colormaps["RdBu"].with_extremes(bad="#eeeeee"),
            norm=TwoSlopeNorm(0.0, -cap, cap),
            aspect="auto",
            interpolation="nearest",
        )
        for r in range(n_rows):
            for c in range(n_cols):
                v = values[r, c]
                text = "—" if not np.isfinite(v) else fmt.percent(v, digits=1)
                dark = np.isfinite(v) and abs(v) > 0.6 * cap
                axes.text(
                    c, r, text, ha="center", va="center", fontsize=5.5, color="white" if dark else "#222222"
                )
                if parties[r, c]:
                    axes.add_patch(
                        Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.3)
                    )
        axes.set_xticks(range(n_cols), tickers, fontsize=6.5)
        axes.set_yticks(range(n_rows), [fitted(figure, e, 1.3, size=6.5) for e in events], fontsize=6.5)
        axes.tick_params(axis="x", labeltop=True, labelbottom=False, length=0)
        axes.tick_params(axis="y", length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        bar = figure.colorbar(image, ax=axes, extend="both", fraction=0.035, pad=0.015)
        bar.ax.yaxis.set_major_formatter(FuncFormatter(_percent_tick))
        bar.ax.tick_params(labelsize=6)
        bar.set_label("day-0 abnormal return", fontsize=6.5)
        shown = "parties (outlined) and ecosystem peers" if (zero["role"] == "peer").any() else "parties"
        axes.set_title(f"Day-0 abnormal returns: {shown}", loc="left", pad=18)
        figure.subplots_adjust(
            left=1.45 / width, right=1 - 0.85 / width, top=1 - 0.6 / height, bottom=0.1 / height
        )
        return figure

"""Errors that carry the file, row and field of bad input.

The command line turns an :class:`InputError` into one line on stderr and exit status 2;
notebooks get the exception with its attributes.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

INTERRUPT_REQUESTED = threading.Event()
"""Set by the command line's Ctrl-C (SIGINT) handler. A library may catch the KeyboardInterrupt
and go on (Dask's garbage-collection callback printed it as "Exception ignored" and the run
published its output, exit 0; a finder): :func:`eventstudy.output.folder.publish` checks this
before it puts an output in place."""


STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Ctrl-C, ``kill`` and a closed terminal (Windows has no SIGHUP): the command line stops on
each as on Ctrl-C, so what it was building is removed (a finder: TERM and HUP left
``.partial`` folders beside the output)."""


SignalHandler = Callable[[int, Any], Any] | int | signal.Handlers | None


@contextmanager
def signals_handled(handlers: Mapping[signal.Signals, SignalHandler]) -> Iterator[None]:
    """``handlers`` (a function, ``signal.SIG_IGN``, ...) of their signals inside the block, the
    handlers before restored after; only from the main thread, where Python's handlers run (from
    another, nothing is changed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


@contextmanager
def ctrl_c_held() -> Iterator[None]:
    """The :data:`STOP_SIGNALS` ignored inside the block (:func:`signals_handled`). For a step
    that no stop must cut in two: an output's swap into place (once exchanged, the run is
    complete: a Ctrl-C there exited 130 saying the folder kept what it held, while the new output
    was in place and the old one removed; a finder). A signal inside is not seen. (A local Dask
    cluster's start holds its own: :func:`eventstudy.distributed.cluster._start_held`.)"""
    with signals_handled(dict.fromkeys(STOP_SIGNALS, signal.SIG_IGN)):
        yield


class EventStudyError(Exception):
    """Base class for errors the command line reports without a traceback.

    Picklable whatever a subclass's ``__init__`` takes (the instance's attributes are restored
    as they were), so an error raised in a worker process reaches the caller unchanged.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[EventStudyError], args: tuple[Any, ...], state: dict[str, Any]) -> EventStudyError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InputError(EventStudyError):
    """Bad user input: names the file, the row (1-based, header is row 1) and the field.

    Parameters
    ----------
    path
        The file that holds the bad input.
    message
        What is wrong, in a few words.
    row
        Line number in the file (the header is line 1), if the problem is in one row.
    field
        Column name, if the problem is in one field.
    """

    def __init__(self, path: str, message: str, *, row: int | None = None, field: str | None = None) -> None:
        self.path = str(path)
        self.row = row
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.row is not None:
            where += f", row {self.row}"
        if self.field is not None:
            where += f", field {self.field!r}"
        return f"{where}: {self.message}"


class ParameterError(InputError):
    """Bad value of a function's parameter (not of a file): names the parameter, which a command
    line replaces by its flag (``n_params`` -> ``--n-params``)."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(parameter, message)


class SettingError(ParameterError, ValueError):
    """Bad value of a :class:`~eventstudy.config.StudyConfig` field set in Python
    (``StudyConfig(...)``, ``dataclasses.replace``): an :class:`InputError` naming the field
    (``str``: ``"<field>: <what is wrong>"``), and a ``ValueError``, as a dataclass's check of its
    values raises (a notebook's ``except InputError`` did not catch a plain one)."""


class DataUnavailableError(EventStudyError):
    """Prices or shares that a study needs are not in the cache (offline) or not at the source."""


class PeerDataError(DataUnavailableError):
    """A peer's series (a ticker of the study's ``peers``, on no line of the events file) is
    missing or unreadable: named by the ticker, since no events row holds it.

    Attributes
    ----------
    ticker
        The peer.
    """

    def __init__(self, ticker: str, message: str) -> None:
        super().__init__(f"peer {ticker!r} (--peers or [study] peers): {message}")
        self.ticker = ticker


class ImplausibleDataError(DataUnavailableError):
    """Data a source returned that cannot be right, such as a share count 1,000 times its
    ticker's previous one: nothing of it is stored, and the command stops (exit 2) rather than
    compute dollar figures from it."""


def as_path(value: object, argument: str, also: str = "") -> Path:
    """``Path(value)`` of a path argument of the API, or a TypeError naming ``argument`` (and what
    else it takes, ``also``): ``load_config(None)`` raised pathlib's "expected str, bytes or
    os.PathLike object" from deep inside. An empty path is an :class:`InputError` naming
    ``argument`` (a :class:`ParameterError`): ``Path("")`` is the working directory
    (``load_config("")`` said ``.: cannot read the config file``, ``load_study("")`` read
    ./manifest.json)."""
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{argument} must be a path{also}, not {type(value).__name__}")
    if not os.fspath(value):
        raise ParameterError(argument, "an empty path names nothing")
    return Path(value)

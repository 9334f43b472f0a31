"""Command line: a thin layer over the Python API.

Each subcommand lives in its own module under :mod:`eventstudy.cli.options` with a
``register(subparsers)`` function that adds its parser and sets ``handler``. Errors in the
user's input print one line (file, row, field) on stderr and exit with status 2; missing data
exits with 2 as well; no traceback is shown for either.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import itertools
import os
import re
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from eventstudy.errors import (
    INTERRUPT_REQUESTED,
    STOP_SIGNALS,
    DataUnavailableError,
    EventStudyError,
    InputError,
    signals_handled,
)

DESCRIPTION = """\
Event studies of announcements: abnormal returns, CARs, their significance, and the dollars of
market value each announcement created per dollar of the deal.

An events file (events.csv: event_id, announced, timing, ticker, role, deal_usd, group,
headline; one row per listed party) and cached daily prices go in; out come parquet tables
(ar, car, events), manifest.json and a report (report.md, report.html, figures/). Every
subcommand has its own manual: eventstudy COMMAND --help.

a first study, offline:
  eventstudy cache import ../shared/data/prices ../shared/data/shares ../shared/data/earnings
  eventstudy run --config launch.toml --offline          # writes reports/ai-deal-wave-2025/
  # then open reports/ai-deal-wave-2025/report.html in a browser
  eventstudy verify reports/ai-deal-wave-2025             # re-run and compare, exit 0 if identical

more:
  eventstudy run --events my_events.csv --out reports/mine --no-peers --format csv
  eventstudy report reports/mine                         # re-render from the files alone
  eventstudy cache import --returns returns.csv --units percent   # your own return panel
  eventstudy infer --ar ar.csv --units decimal           # statistics of your own abnormal returns

Bad input prints one line naming the file, row and field and exits with status 2.
"""

# One module per subcommand, in the order they are listed by --help.
COMMAND_MODULES: tuple[str, ...] = (
    "eventstudy.cli.run",
    "eventstudy.cli.report",
    "eventstudy.cli.verify",
    "eventstudy.cli.cache",
    "eventstudy.cli.fetch",
    "eventstudy.cli.validate",
    "eventstudy.cli.backtest",
    "eventstudy.cli.infer",
)


MEMORY_ADVICE: dict[str, str] = {
    "run": " (split the events file)",
    "backtest": " (split the events file)",
    "verify": " (the study it re-runs needs as much as its run did)",
    "cache": " (an import: the file in parts, or a folder's files a few at a time)",
    "infer": " (split the panel by events)",
}
"""What to do when a command runs out of memory: said after its name (the file is its input)."""


class _Once(argparse._StoreAction):
    """An option of one value refuses a second: argparse keeps the last silently, and
    ``cache import --returns m.csv --units decimal --returns s.csv --units percent`` stored the
    market's decimal returns divided by 100 (``infer --ar a.csv --ar b.csv`` read b.csv alone)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        given = namespace.__dict__.setdefault(_GIVEN, set())
        if option is not None and self.dest in given:
            raise argparse.ArgumentError(self, "given twice: give it once (a second would replace the first)")
        given.add(self.dest)
        super().__call__(parser, namespace, values, option)


_GIVEN = "_options_given"
"""The namespace attribute holding the options of one value given so far (:func:`main` removes it)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose refusal is one line, as every other error of the tool (argparse
    prints the usage first): ``eventstudy infer: error: argument --window: ... (eventstudy infer
    --help)``, and whose options of one value are given once (:class:`_Once`). The subcommands'
    parsers are of this class too (``add_subparsers`` uses the parent's class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", None, _Once)
        self.register("action", "store", _Once)

    def _value_taken_for_option(self, option: str, given: str, after: str) -> bool:
        """Whether ``given`` names ``option`` (or abbreviates it) and ``after`` is a value that
        argparse read as an option: it starts with '-', is not a negative number argparse takes
        as a value, and names none of this parser's options (a forgotten value: no hint)."""
        if not (given == option or (given.startswith("--") and len(given) > 2 and option.startswith(given))):
            return False
        name = after.split("=", 1)[0]
        ours = len(name) > 1 and any(known.startswith(name) for known in self._option_string_actions)
        return after.startswith("-") and not self._negative_number_matcher.match(after) and not ours

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        option = re.fullmatch(r"argument (--[\w-]+)(?:/\S+)?: expected one argument", message)
        given = getattr(self, "_given", [])
        pairs = itertools.pairwise(given)
        if option and any(self._value_taken_for_option(option[1], a, b) for a, b in pairs):
            # --window -1,1: argparse took the value for an option (a finder)
            message += f" (a value starting with '-' is given as {option[1]}=VALUE)"
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``eventstudy`` argument parser with every subcommand registered."""
    parser = _Parser(
        prog="eventstudy", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def one_line(message: str) -> str:
    """``message`` with every character that is not printable escaped as Python writes it in a
    string (a newline in a file name as ``\\n``, U+2028 as ``\\u2028``): an error is one line."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message)


_INTERRUPTED = "eventstudy: interrupted; an output folder keeps what it held before the run"
_INTERRUPTED_CACHE = (
    "eventstudy: interrupted; the cache keeps what it held, unless the import was renaming its files: "
    "then runs and imports refuse it until eventstudy cache verify --clean finishes the import"
)
_interrupted = False
_finished: int | None = None
"""The exit status of the command that has finished (None while it runs): a Ctrl-C that lands
after it, on the way out, changes nothing it wrote."""
_signal_number = signal.SIGINT
"""The signal that interrupted the command (its exit status is 128 + its number: 130, 143, 129)."""


def _interrupted_line(command: str) -> str:
    """What an interrupted command leaves: a cache command its cache, any other its output folder."""
    return _INTERRUPTED_CACHE if command == "cache" else _INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` console script; returns the exit status."""
    global _interrupted, _finished, _signal_number
    _interrupted, _finished = False, None  # a command of this process (tests call main again) starts afresh
    _signal_number = signal.SIGINT
    INTERRUPT_REQUESTED.clear()
    args = build_parser().parse_args(argv)
    vars(args).pop(_GIVEN, None)
    undecodable = _undecodable_argument(args)
    if undecodable:
        print(
            f"eventstudy: error: {undecodable} is not UTF-8 text; rename the file or folder (the "
            "outputs record every path as UTF-8)",
            file=sys.stderr,
        )
        return 2
    made = _cache_to_make(args)
    status = 1
    try:
        status = _finished = _dispatch(args)
        return status
    finally:
        if made is not None and status != 0:  # failed before storing anything: leave no folder
            from eventstudy.data.store import remove_if_only_locks

            remove_if_only_locks(made)


def _cache_to_make(args: argparse.Namespace) -> Path | None:
    """The outermost folder of the command's local ``--cache`` that does not exist yet."""
    cache = getattr(args, "cache", None)
    if not isinstance(cache, Path):
        return None
    from eventstudy.data.store import first_missing

    return first_missing(cache)


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command's handler; each kind of failure as one line and its exit status."""
    try:
        with _warnings_to_stderr():
            return int(args.handler(args))
    except KeyboardInterrupt:
        print(_interrupted_line(args.command), file=sys.stderr)
        return 128 + _signal_number
    except (InputError, DataUnavailableError) as exc:
        print(f"eventstudy: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except EventStudyError as exc:
        print(f"eventstudy: error: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except MemoryError:
        advice = MEMORY_ADVICE.get(args.command, "")
        print(f"eventstudy: error: not enough memory for eventstudy {args.command}{advice}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a reader that closed early, e.g. `| head`
        sys.stdout = None
        return 0
    except OSError as exc:
        if exc.filename is None:
            raise
        # A path the system refuses (a name over 255 bytes, a loop of links, no permission) met
        # where no check of ours expected it: the path and the system's reason, not a traceback.
        print(f"eventstudy: error: {one_line(str(exc.filename))}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception:
        if _interrupted:  # Ctrl-C inside a library that turned it into its own error
            print(_interrupted_line(args.command), file=sys.stderr)
            return 128 + _signal_number
        raise


@contextlib.contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """The package's warnings (a fetch that failed without stopping the study,
    :data:`eventstudy.data.acquire.LOG`) as ``eventstudy: warning: ...`` lines on stderr, each
    one line; logging is loaded here, not at ``--help``."""
    import logging

    class OneLine(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return f"eventstudy: warning: {one_line(record.getMessage())}"

    logger = logging.getLogger("eventstudy")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    handler.setLevel(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # once, not again through a root handler
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _undecodable_argument(args: argparse.Namespace) -> str | None:
    """The first argument (a path or text) holding bytes that are not UTF-8, shown with those
    bytes as ``\\xff`` escapes, or None. Python decodes such bytes to lone surrogates, which no
    parquet file, manifest or error line can hold."""
    for value in vars(args).values():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str | os.PathLike):
                text = os.fspath(item)
                if isinstance(text, str) and any("\udc80" <= char <= "\udcff" for char in text):
                    return "'" + os.fsencode(text).decode("utf-8", "backslashreplace") + "'"
    return None


def _on_interrupt(signum: int, frame: object) -> None:
    """A stop signal (:data:`STOP_SIGNALS`): remember it (a library may catch the
    KeyboardInterrupt and raise its own error) and interrupt as Python does on SIGINT."""
    global _interrupted, _signal_number
    if _interrupted:  # a second signal (TERM, then HUP): the first one's cleanup goes on
        return
    _interrupted = True
    _signal_number = signal.Signals(signum)
    INTERRUPT_REQUESTED.set()
    raise KeyboardInterrupt


def console() -> int:
    """The ``eventstudy`` console script: :func:`main` with warnings kept off the terminal.

    A numpy or pandas warning is a defect to fix at its cause (the tests call :func:`main`
    and fail on any warning); users never see one.
    """
    # Run in a notebook (%run -m eventstudy), its Ctrl-C is its own again afterwards.
    with signals_handled(dict.fromkeys(STOP_SIGNALS, _on_interrupt)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return main()
        except KeyboardInterrupt:
            if _finished is not None:  # after the command finished ("wrote ..." said): its status
                return _finished
            print("eventstudy: interrupted", file=sys.stderr)  # before a command ran: nothing written
            return 128 + _signal_number
        finally:
            INTERRUPT_REQUESTED.clear()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(console())

"""Subcommands of the ``eventstudy`` command line, one module each."""

from __future__ import annotations

import argparse
from pathlib import Path

from eventstudy.locations import is_url, local_folder, write_path_problem


def add_cache_option(parser: argparse.ArgumentParser, *, urls: bool = False) -> None:
    """The ``--cache DIR`` option shared by every command that reads or writes the cache
    (``urls``: a command that may also read one at an fsspec URL)."""
    help_text = "price cache folder (default: ./cache)"
    if urls:
        help_text = "price cache: a folder (default: ./cache) or, with --scheduler, an fsspec URL (s3://...)"
    parser.add_argument(
        "--cache", type=cache_location if urls else cache_folder, default=Path("cache"), help=help_text
    )


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """``--format csv``: also write ``ar.csv`` and ``car.csv`` beside the parquet files."""
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=["csv"],
        default=[],
        help="also write ar.csv and car.csv (UTF-8 with a byte-order mark, for Excel)",
    )


def out_folder(text: str) -> Path:
    """An ``--out`` folder: refused when empty (``Path("")`` is the working directory, which the
    refusal then named as ``.``); the other checks are the output folder's own."""
    if not text:
        raise argparse.ArgumentTypeError(str(write_path_problem(text)))
    return Path(text)


def folder_to_read(text: str) -> Path:
    """The output folder a command reads (``verify``, ``report``): refused when empty, which
    ``Path("")`` takes for the working directory (``verify ""`` read ./manifest.json)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path names nothing; name an output folder")
    return Path(text)


def input_file(text: str) -> Path:
    """A file (or folder) a command reads (``--config``, ``--events``, ``--ar``, ``cache import``'s
    paths): refused when empty, which ``Path("")`` takes for the working directory (``--config ''``
    said ``.: cannot read the config file (Is a directory)``; ``cache import ''`` imported the
    working directory's files)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path names nothing; name a file (or folder)")
    return Path(text)


def cache_folder(text: str) -> Path:
    """A ``--cache`` folder: refused when it names a file (the commands said there were no cached
    prices in it, and to import them into it)."""
    if is_url(text):  # a folder named `s3:` was made
        raise argparse.ArgumentTypeError(f"{text} is a URL: this command takes a cache folder")
    try:
        folder = local_folder(text)  # file:///x made ./file:/x, file://host/x made ./host/x
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text}: {exc}") from None
    path = Path(folder)
    mistake = write_path_problem(folder)  # an import writes there: '~/c' quoted made ./~
    if mistake:
        raise argparse.ArgumentTypeError(f"{text!r} {mistake}")
    try:
        problem = (path.exists() and not path.is_dir(), path.is_symlink() and not path.exists())
    except OSError:  # a name too long for the system: the command says so in its own words
        return path
    if problem[0]:
        raise argparse.ArgumentTypeError(f"{text} is a file, not a cache folder")
    if problem[1]:
        raise argparse.ArgumentTypeError(f"{text} is a link to nothing, not a cache folder")
    return path


def cache_location(text: str) -> Path | str:
    """A ``--cache`` value: a folder (:func:`cache_folder`), or an fsspec URL (``s3://bucket/cache``)
    kept as text."""
    return text if is_url(text) else cache_folder(text)


def add_scheduler_option(parser: argparse.ArgumentParser) -> None:
    """``--scheduler local[:N]|ADDRESS``: run the study on a Dask cluster."""
    parser.add_argument(
        "--scheduler",
        metavar="SPEC",
        help="run on Dask (the dask extra): local (one worker process per core), local:N (at most 4 "
        "per core), or a scheduler address such as tcp://10.0.0.5:8786 or a scheduler file *.json (a "
        "SLURM/PBS or Kubernetes cluster); the cache "
        "must be readable by every worker: a shared folder or a URL (--cache s3://bucket/cache)",
    )

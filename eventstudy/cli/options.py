"""Subcommands of the ``eventstudy`` command line, one module each."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_cache_option(parser: argparse.ArgumentParser) -> None:
    """The ``--cache DIR`` option shared by every command that reads or writes the cache."""
    parser.add_argument(
        "--cache", type=Path, default=Path("cache"), help="price cache folder (default: ./cache)"
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

"""``eventstudy verify``: re-run the study a manifest describes and report any difference."""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """\
Reads DIR/manifest.json (configuration, peers, events file, cache, input hashes), re-runs the
study into a temporary folder and compares:
  ar.parquet, car.parquet, events.parquet   exactly (columns, types, every value; NaN = NaN)
  input hashes                              events file, every cached price and share file
Differences in package versions or the project's git commit are printed as notes.

exit status: 0 identical, 1 different (each differing table, column and the largest
absolute difference is listed), 2 bad input or missing data.

examples:
  eventstudy verify reports/ai-deal-wave-2025
  eventstudy verify /tmp/study --cache /tmp/cache --events events.csv
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "verify",
        help="re-run the study described by DIR/manifest.json and compare the outputs",
        description="Check that an output folder is reproducible from its manifest.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="output folder of `eventstudy run`")
    parser.add_argument(
        "--cache", type=Path, default=None, help="price cache (default: the one recorded in the manifest)"
    )
    parser.add_argument(
        "--events", type=Path, default=None, help="events file (default: the path recorded in the manifest)"
    )
    parser.set_defaults(handler=verify)


def verify(args: argparse.Namespace) -> int:
    from eventstudy.output.verify import verify as run_verify

    result = run_verify(args.folder, cache=args.cache, events=args.events)
    print(result.summary())
    return 0 if result.identical else 1

"""``eventstudy verify``: re-run the study a manifest describes and report any difference."""

from __future__ import annotations

import argparse

from eventstudy.cli.options import folder_to_read, input_file

EPILOG = """\
Reads DIR/manifest.json (configuration, peers, events file, cache, input hashes), checks that
DIR holds exactly the files the run wrote (their SHA-256, nothing added), re-runs the study
into a temporary folder and compares every file:
  parquet tables      by value: columns, types, every value (NaN = NaN); values that differ
                      only by floating-point rounding (at most 1e-9 of the larger, e.g. on
                      another CPU), JSON numbers (params) included, are printed as a note,
                      not a difference; rows are matched by the table's keys (event_id,
                      ticker, window, ...): the same rows in another order (the events
                      file's rows reordered) are said so in one line
  report, tables      text exactly; figures byte for byte
  input hashes        events file, the content (values) of every cached price, share and
                      earnings table; a validation difference names tickers and findings
A study run from a DataFrame in Python records its events' content hash, not a file: give a
file of the same events with --events (a file of other events is refused). A study whose
model was passed to run_study as an object that no config builds cannot be re-run: verify says
so in one line (exit 2).
Differences in package versions, the project's git commit or the inputs' provenance (import
times, source files and their hashes: the same values imported from another file) are printed
as notes. --cache is the cache's folder.

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
    parser.add_argument(
        "folder", type=folder_to_read, metavar="DIR", help="output folder of `eventstudy run`"
    )
    parser.add_argument(
        "--cache",
        type=input_file,
        default=None,
        help="price cache (default: the one recorded in the manifest)",
    )
    parser.add_argument(
        "--events",
        type=input_file,
        default=None,
        help="events file (default: the path the manifest records; a study run from a DataFrame needs it)",
    )
    parser.set_defaults(handler=verify)


def verify(args: argparse.Namespace) -> int:
    from eventstudy.output.verify import verify as run_verify

    result = run_verify(args.folder, cache=args.cache, events=args.events)
    print(result.summary())
    return 0 if result.identical else 1

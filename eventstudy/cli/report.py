"""``eventstudy report``: render report.md, report.html and figures from an output folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from eventstudy.cli.options import add_format_option, folder_to_read

EPILOG = """\
reads (from DIR, written by `eventstudy run`):
  events.parquet, ar.parquet, car.parquet, manifest.json   required
  any other *.parquet (stats.parquet, the backtest's files)  shown when present
writes (into DIR; each file to a temporary name, then renamed into place):
  report.md          the summary in markdown, figures linked from figures/
  report.html        the same, self-contained: inline CSS, figures embedded, sortable tables
  tables.md          the tests-by-group tables, for a paper (markdown)
  tables.tex         the same, LaTeX
  figures/*.png      CAR path per event, CAAR per group, value vs deal, deal flows, peer heat map
  ar.csv, car.csv    with --format csv (UTF-8 with a byte-order mark, for Excel)
  manifest.json      the same record, with the new files' hashes

Nothing is recomputed: the report shows exactly what the files hold.

examples:
  eventstudy report reports/ai-deal-wave-2025
  eventstudy report /tmp/study --format csv
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "report",
        help="render report.md, report.html, tables.md, tables.tex and figures/ from an output folder",
        description="Render the report of a study from its exported files alone.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "folder",
        type=folder_to_read,
        nargs="?",
        default=None,
        metavar="DIR",
        help="output folder of `eventstudy run` (default: the only folder under reports/)",
    )
    add_format_option(parser)
    parser.set_defaults(handler=report)


def _default_folder() -> Path:
    from eventstudy.errors import InputError

    # Not a hidden folder: the staging folder of an interrupted run (.<name>.eventstudy-*.partial).
    found = sorted(p.parent for p in Path("reports").glob("[!.]*/manifest.json"))
    if len(found) != 1:
        raise InputError("reports", f"{len(found)} output folders found; name one: eventstudy report DIR")
    return found[0]


def report(args: argparse.Namespace) -> int:
    from eventstudy.output.export import CSV_TABLES
    from eventstudy.output.folder import read_manifest
    from eventstudy.report import REPORT_OUTPUTS, render_report

    folder = args.folder or _default_folder()
    figures = render_report(folder, csv="csv" in args.formats).figures()
    manifest = read_manifest(Path(folder)) or {}  # in the formats the run wrote (csv), too
    tables = [f"{name}.csv" for name in CSV_TABLES if "csv" in manifest.get("formats", [])]
    names = ", ".join([*REPORT_OUTPUTS, f"{len(figures)} figures", *tables, "manifest.json"])
    print(f"wrote {folder}/ ({names})")
    return 0

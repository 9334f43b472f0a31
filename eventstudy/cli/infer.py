"""``eventstudy infer``: the cross-event statistics of abnormal returns computed elsewhere."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from eventstudy.cli.options import input_file
from eventstudy.errors import InputError, ParameterError
from eventstudy.locations import write_path_problem

EPILOG = """\
panels (CSV or parquet; the layout is chosen by the header):
  id,tau,ar[,event_id,date,group,role]  one abnormal return per (pair, tau), daily or monthly
                                       (ticker or permno may name the id column; a run's
                                       ar.parquet is such a file; rows of role peer are the
                                       group peers, outside the other groups and all)
  tau,<pair>,<pair>,...                wide: one column per pair (the eventstudies layout)
  id,car[,event_id,group,role,window]  one CAR per (pair, window): statistics of CARs only
--units is declared, never guessed. --estimation gives the pairs' estimation-window residuals
(same layouts) with --n-params, the parameters of the model behind them.

what is computable:
  ARs or CARs only               caar, cross_sectional_t, sign_z, wilcoxon_w, bootstrap_t,
                                 cluster_firm_t
  + --estimation                 + portfolio_t, crude_dependence_t, lamb_z, patell_z, bmp_t,
                                   serial_variance_ratio, generalized_sign_z, corrado_rank_z,
                                   corrado_zivney_sign_z, grank_t, abnormal_volatility,
                                   volatility_t (sigma from the residuals; no regressors: C = 1)
  + a date column                + cluster_date_t, cluster_two_way_t
  + a date column in both        + kp_adjusted_patell_z, kp_adjusted_bmp_t, kp_average_correlation
  never (no market values)       dollar_abnormal_value, kp_adjusted_dollar_t, dollar_z,
                                 dollar_fallback_sd_rows, dollar_shared_days_usd
  never (no GARCH fits)          garch_patell_z, garch_bmp_t (a study's, with variance = garch)
Every statistic registered with eventstudy.register_statistic runs; one the panel cannot
supply is listed as not computable with what it needs.

--out FILE writes the table (.parquet or .csv) to a new file; an existing file is never replaced.

examples:
  eventstudy infer --ar ar.csv --units percent --window [0,0] --window [-1,+1]
  eventstudy infer --ar ar.csv --units decimal --estimation residuals.csv --n-params 2
  eventstudy infer --ar reports/ai-deal-wave-2025/ar.parquet --units decimal --out /tmp/stats.csv
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "infer",
        help="run the cross-event statistics on a pre-computed abnormal-return (or CAR) panel",
        description="Run the cross-event statistics (the test battery, the bootstrap, and every "
        "registered statistic) on abnormal returns computed elsewhere.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--ar", type=input_file, required=True, metavar="FILE", help="the AR or CAR panel")
    parser.add_argument(
        "--units", choices=["decimal", "percent"], help="units of the panels (required): decimal or percent"
    )
    parser.add_argument(
        "--window",
        action="append",
        type=_window,
        metavar="[START,END]",
        help="an event window in the panel's tau, e.g. [-1,+1] or --window=-1,1 (repeatable; default: "
        "the whole panel)",
    )
    parser.add_argument(
        "--estimation", type=input_file, metavar="FILE", help="estimation-window residuals of the same pairs"
    )
    parser.add_argument(
        "--n-params", type=int, metavar="K", help="parameters of the model behind the residuals (e.g. 2)"
    )
    parser.add_argument(
        "--statistic", action="append", metavar="NAME", help="compute only these statistics (repeatable)"
    )
    parser.add_argument(
        "--out", type=_out_file, metavar="FILE", help="write the table to a new .parquet or .csv file"
    )
    parser.set_defaults(handler=run)


FLAGS = {
    "windows": "--window",
    "n_params": "--n-params",
    "statistics": "--statistic",
    "estimation": "--estimation",
}
"""The flag of each parameter of :func:`eventstudy.infer_ar.infer` its errors may name."""


def run(args: argparse.Namespace) -> int:
    from eventstudy.infer_ar import infer
    from eventstudy.output.export import check_new_file, write_new_file
    from eventstudy.output.schema import STATS_SCHEMA

    if args.out is not None:
        check_new_file(args.out)
    try:
        results = infer(
            args.ar,
            units=args.units,
            windows=args.window,
            estimation=args.estimation,
            n_params=args.n_params,
            statistics=args.statistic,
        )
    except ParameterError as exc:  # the API names its parameters, the command line its flags
        raise InputError(FLAGS.get(exc.parameter, exc.parameter), exc.message) from None
    if args.out is not None:
        write_new_file(results.stats, args.out, docs=STATS_SCHEMA)  # its units, as stats.parquet's
    print(results.summary())
    if args.out is not None:
        print(f"wrote {args.out}")
    return 0


def _out_file(text: str) -> Path:
    """A file name: ``dir.csv/`` or ``dir.csv/.`` names a folder (a Path drops the slash, and a file
    was written)."""
    problem = write_path_problem(text)  # a line break in the name printed "wrote x" / "y.csv"
    if problem:
        raise argparse.ArgumentTypeError(f"{text!r} {problem}")
    if text.endswith(("/", os.sep)) or os.path.basename(text) in ("", ".", ".."):
        why = "it ends in a separator, . or .."
        raise argparse.ArgumentTypeError(f"{text!r} names a folder, not a file ({why})")
    return Path(text)


def _window(text: str) -> tuple[int, int]:
    """``START,END`` or ``[START,END]`` (the labels of stats.parquet, e.g. ``[-1,+1]``)."""
    from eventstudy.config import window_days

    days = window_days(text)
    if days is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not START,END or [START,END] (two whole numbers)")
    return days

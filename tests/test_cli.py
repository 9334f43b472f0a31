"""The command line end to end on the real data: outputs, reproducibility, and bad input."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _launch_run import launch_output

from eventstudy.cli import main

ROOT = Path(__file__).resolve().parents[1]
HEADER = "event_id,announced,timing,ticker,role,deal_usd,group,headline"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(*args: str) -> int:
    return main(list(args))


def test_launch_study_writes_every_output_and_is_reproducible(launch_cache, tmp_path, capsys) -> None:
    # The second run is the test process's shared launch run (_launch_run.py: the same command,
    # another output folder), which the report and verify tests read as well.
    first = tmp_path / "first"
    common = ("run", "--events", str(ROOT / "events.csv"), "--config", str(ROOT / "launch.toml"), "--offline")
    assert run(*common, "--cache", str(launch_cache), "--out", str(first)) == 0
    second = launch_output(str(launch_cache))
    assert "ok 100" in capsys.readouterr().out
    for name in ("ar.parquet", "car.parquet", "events.parquet", "report.md", "manifest.json"):
        assert (first / name).stat().st_size > 0
    for name in ("ar.parquet", "car.parquet", "events.parquet"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    car = pd.read_parquet(first / "car.parquet")
    assert list(car.columns[:24]) == [
        "event_id",
        "ticker",
        "role",
        "group",
        "window",
        "tau_start",
        "tau_end",
        "day0",
        "day0_shift",
        "n_est",
        "alpha",
        "beta",
        "sigma",
        "car",
        "car_se",
        "t",
        "p",
        "mcap_prev_usd",
        "shares_as_of",
        "abnormal_value_usd",
        "deal_usd",
        "value_to_deal",
        "outcome",
        "note",
    ]
    ar = pd.read_parquet(first / "ar.parquet")
    assert list(ar.columns[:10]) == [
        "event_id",
        "ticker",
        "role",
        "date",
        "tau",
        "ret",
        "market_ret",
        "expected_ret",
        "ar",
        "car",
    ]
    report = (first / "report.md").read_text()
    orcl = car[(car.event_id == "oracle-openai-300b") & (car.window == "[0,0]")].iloc[0]
    assert f"{orcl.car:+.2%}" in report
    assert "Campbell, Lo & MacKinlay" in report
    # launch.toml has a [backtest] table: `run` also trades the 25 listed parties, never the peers.
    trades = pd.read_parquet(first / "trades.parquet")
    assert len(trades) == 25 * 4
    assert "peer" not in set(trades.role)
    assert (first / "trades.parquet").read_bytes() == (second / "trades.parquet").read_bytes()
    assert "## Backtest" in report
    manifest = (first / "manifest.json").read_text()
    assert hashlib.sha256((ROOT / "events.csv").read_bytes()).hexdigest() in manifest


def test_a_model_series_that_starts_late_is_named_in_the_short_rows_note(launch_cache, tmp_path) -> None:
    """The sector model's SMH starts in July 2023: AMD's event of 2023-10-31 had "74 valid
    estimation returns ..., 100 required" and no word of why, where a late listing of the ticker
    is named (a finder)."""
    events = tmp_path / "events.csv"
    rows = [HEADER, "early,2023-10-31,pre,AMD,x,1e9,g,h", "later,2025-03-03,pre,AMD,x,1e9,g,h"]
    events.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    command = ["run", "--events", str(events), "--offline", "--cache", str(launch_cache), "--out", str(out)]
    assert run(*command, "--model", "sector", "--no-peers") == 0
    car = pd.read_parquet(out / "car.parquet").set_index(["event_id", "window"])
    assert car.loc[("early", "[0,0]"), "outcome"] == "insufficient_estimation"
    # The window also reaches 53 sessions before SPY's first return, but SMH's start cuts it.
    assert car.loc[("early", "[0,0]"), "note"].endswith(
        "valid estimation returns in [-260,-11], 100 required; estimation window cut short: SMH's returns "
        "start 2023-07-05"
    )
    assert car.loc[("later", "[0,0]"), "outcome"] == "ok" and "SMH" not in car.loc[("later", "[0,0]"), "note"]


def test_a_model_series_without_any_return_is_named_too(shared_data, tmp_path) -> None:
    """A sector series of two prices two years apart has no return: every row was short with "0
    valid estimation returns" alone, where a late start is named (a finder)."""
    prices = pd.read_csv(shared_data / "prices" / "SMH.csv").iloc[[0, 500]]
    prices.to_csv(tmp_path / "SMHONE.csv", index=False)
    cache = tmp_path / "cache"
    files = [str(shared_data / "prices" / f"{symbol}.csv") for symbol in ("SPY", "AMD")]
    assert run("cache", "import", *files, str(tmp_path / "SMHONE.csv"), "--cache", str(cache)) == 0
    config = tmp_path / "study.toml"
    config.write_text('[study]\nname = "s"\nmodel = "sector"\nsector = "SMHONE"\n')
    events = tmp_path / "events.csv"
    events.write_text(f"{HEADER}\nlater,2025-03-03,pre,AMD,x,1e9,g,h\n")
    out = tmp_path / "out"
    command = ["run", "--config", str(config), "--events", str(events), "--offline", "--cache", str(cache)]
    assert run(*command, "--out", str(out), "--no-peers") == 0
    car = pd.read_parquet(out / "car.parquet").set_index(["event_id", "window"])
    assert car.loc[("later", "[0,0]"), "outcome"] == "insufficient_estimation"
    assert car.loc[("later", "[0,0]"), "note"] == (
        "0 valid estimation returns in [-260,-11], 100 required; estimation window cut short: SMHONE has no "
        "return in the data"
    )


def test_dates_outside_the_data_are_rows_with_outcomes(launch_cache, tmp_path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "\n".join(
            [
                HEADER,
                "too-early,2023-03-01,pre,ORCL,x,1e9,g,h",  # ~40 sessions of history
                "at-the-end,2025-12-29,pre,ORCL,x,1e9,g,h",  # tau +5 is past 2025-12-31
                "after,2026-02-02,pre,ORCL,x,1e9,g,h",
                "before,2022-01-03,pre,ORCL,x,1e9,g,h",
                "last-evening,2025-12-31,post,MSFT,x,1e9,g,h",  # announced on the last day, after its close
            ]
        )
        + "\n"
    )
    out = tmp_path / "out"
    assert (
        run("run", "--events", str(events), "--offline", "--cache", str(launch_cache), "--out", str(out)) == 0
    )
    car = pd.read_parquet(out / "car.parquet").set_index(["event_id", "window"])
    assert car.loc[("too-early", "[0,0]"), "outcome"] == "insufficient_estimation"
    assert car.loc[("at-the-end", "[0,0]"), "outcome"] == "ok"
    assert car.loc[("at-the-end", "[-5,+5]"), "outcome"] == "incomplete_event_window"
    assert car.loc[("after", "[0,0]"), "outcome"] == "announced_after_data"
    assert car.loc[("before", "[0,0]"), "outcome"] == "announced_before_data"
    assert pd.isna(car.loc[("after", "[0,0]"), "car"])
    # A run never extends a cached series (offline, nothing at all): the notes say how newer rows come in.
    advice = "a run never extends a cached series: add newer prices with eventstudy fetch --refresh SYMBOL, "
    advice += "or import a file with the newer rows"
    late = "announcement after the last trading day in the data, or on it after the close (no session of the "
    late += f"data could react); {advice}"
    assert car.loc[("after", "[0,0]"), "note"] == late
    # announced on the data's last day after its close: no session of the data could react (a finder)
    assert car.loc[("last-evening", "[0,0]"), "outcome"] == "announced_after_data"
    assert car.loc[("last-evening", "[0,0]"), "note"] == late
    assert car.loc[("at-the-end", "[-5,+5]"), "note"] == (
        f"window runs past the last trading day in the data (2025-12-31); {advice}"
    )


BAD_EVENTS = {
    "unknown column": (f"{HEADER},extra\ne,2025-09-09,post,ORCL,x,1,g,h,1", "row 1, field 'extra'"),
    "bad date": (f"{HEADER}\ne,2025-13-09,post,ORCL,x,1,g,h", "row 2, field 'announced'"),
    "unknown timing": (f"{HEADER}\ne,2025-09-09,evening,ORCL,x,1,g,h", "row 2, field 'timing'"),
    "duplicate pair": (
        f"{HEADER}\ne,2025-09-09,post,ORCL,x,1,g,h\ne,2025-09-09,post,ORCL,y,1,g,h",
        "row 3, field 'ticker'",
    ),
    "negative deal": (f"{HEADER}\ne,2025-09-09,post,ORCL,x,-1e9,g,h", "row 2, field 'deal_usd'"),
    "text deal": (f"{HEADER}\ne,2025-09-09,post,ORCL,x,$3bn,g,h", "row 2, field 'deal_usd'"),
    "no data for ticker": (
        f"{HEADER}\ne,2025-09-09,post,ORCL,x,1,g,h\ne,2025-09-09,post,ZZZZ,x,1,g,h",
        "row 3, field 'ticker'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_EVENTS))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(case, launch_cache, tmp_path, capsys) -> None:
    content, where = BAD_EVENTS[case]
    events = tmp_path / "events.csv"
    events.write_text(content + "\n")
    out = tmp_path / "out"
    before = snapshot(launch_cache)
    status = run("run", "--events", str(events), "--offline", "--cache", str(launch_cache), "--out", str(out))
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"eventstudy: error: {events}, {where}: ")
    assert "Traceback" not in captured.err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv"]  # no staging folder left
    assert snapshot(launch_cache) == before


def test_missing_ticker_offline_says_how_to_import(launch_cache, tmp_path, capsys) -> None:
    events = tmp_path / "events.csv"
    events.write_text(f"{HEADER}\ne,2025-09-09,post,ZZZZ,x,1,g,h\n")
    assert run("run", "--events", str(events), "--offline", "--cache", str(launch_cache)) == 2
    error = capsys.readouterr().err
    assert "'ZZZZ'" in error and "eventstudy cache import" in error


def test_empty_cache_offline_names_the_market_proxy(tmp_path, capsys) -> None:
    (tmp_path / "c").mkdir()  # an empty cache (a missing one is named as missing)
    assert run("run", "--events", str(ROOT / "events.csv"), "--offline", "--cache", str(tmp_path / "c")) == 2
    err = capsys.readouterr().err  # no config file: the defaults' market
    expected = (  # it read "config, field 'study.market'" with no config file given
        "eventstudy: error: the study's settings (no config file), field 'study.market': no cached prices "
        "or returns for 'SPY'"
    )
    assert err.startswith(expected)
    # the default, not the user's choice: the line says how to name another market (not calling a
    # config's own market = "SPY" the default)
    assert err.endswith(", or for a market other than SPY, set study.market in a config (--config))\n")
    assert not any((tmp_path / "c").iterdir())
    config = tmp_path / "empty.toml"
    config.write_text("")  # an empty config: the same default
    args = ("run", "--events", str(ROOT / "events.csv"), "--config", str(config), "--offline")
    assert run(*args, "--cache", str(tmp_path / "c")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"eventstudy: error: {config}, field 'study.market': ") and err.count("\n") == 1
    assert "for a market other than SPY, set study.market" in err


def test_a_config_proxy_missing_from_the_cache_names_the_config_and_its_key(
    launch_cache, tmp_path, capsys
) -> None:
    """market = "spy" beside a cached SPY said 'no cached prices ... for spy' naming neither the
    config nor study.market (an audit); so did a sector proxy."""
    text = (ROOT / "launch.toml").read_text(encoding="utf-8")
    edits = {
        "market": ('market = "SPY"', 'market = "spy"'),
        "sector": ('model = "market"', 'model = "sector"\nsector = "SOXQ"'),
    }
    for key, (old, new) in edits.items():
        config = tmp_path / f"{key}.toml"
        config.write_text(text.replace(old, new, 1), encoding="utf-8")
        args = ["run", "--config", str(config), "--events", str(ROOT / "events.csv"), "--offline"]
        assert run(*args, "--cache", str(launch_cache), "--out", str(tmp_path / "out")) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"eventstudy: error: {config}, field 'study.{key}': ")
        symbol = new.rsplit('"', 2)[1]
        assert f"no cached prices or returns for {symbol!r}" in err
        twin = "the cache holds 'SPY' (prices), which differs only in case"
        assert (twin in err) == (key == "market")
    assert not (tmp_path / "out").exists()


def test_a_config_file_that_is_not_there_names_the_config_and_its_key(
    launch_cache, tmp_path, monkeypatch, capsys
) -> None:
    """news_file = "news.csv" said 'news.csv: cannot read it', naming neither the config nor the
    key, nor where a relative path is looked for (an audit)."""
    text = (ROOT / "launch.toml").read_text(encoding="utf-8")
    edits = {
        "news_file": '\n[study]\nnews_file = "news.csv"\n',
        "factors_file": '\n[study]\nfactors_file = "factors.csv"\n',
    }
    monkeypatch.chdir(tmp_path)
    for key, new in edits.items():
        config = tmp_path / f"{key}.toml"
        body = text.replace("\n[study]\n", new, 1)
        if key == "factors_file":
            body = body.replace('model = "market"', 'model = "user_factors"', 1)
        config.write_text(body, encoding="utf-8")
        args = ["run", "--config", str(config), "--events", str(ROOT / "events.csv"), "--offline"]
        assert run(*args, "--cache", str(launch_cache), "--out", str(tmp_path / "out")) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"eventstudy: error: {config}, field 'study.{key}': ")
        assert f"is not a file (a relative path is relative to the working directory, {tmp_path})" in err
    assert not (tmp_path / "out").exists()


def test_bad_config_key_is_named(tmp_path, capsys) -> None:
    config = tmp_path / "study.toml"
    config.write_text("[study]\nestimation_windw = [-100, -11]\n")
    assert run("run", "--config", str(config), "--offline", "--cache", str(tmp_path)) == 2
    assert f"{config}, field 'study.estimation_windw': unknown key" in capsys.readouterr().err


def test_bad_price_file_is_not_imported(shared_data, tmp_path, capsys) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    good = (shared_data / "prices" / "SPY.csv").read_text().splitlines()
    (folder / "SPY.csv").write_text("\n".join(good) + "\n")
    good[5] = good[5].replace(good[5].split(",")[4], "n/a", 1)
    (folder / "ORCL.csv").write_text("\n".join(good) + "\n")
    cache = tmp_path / "cache"
    assert run("cache", "import", str(folder), "--cache", str(cache)) == 2
    message = f"{folder / 'ORCL.csv'}, row 6, field 'Close': 'n/a' is not a finite number"
    assert message in capsys.readouterr().err
    assert not any(cache.rglob("*.parquet"))  # SPY was valid, but nothing is written


def test_the_import_summary_counts_every_kind_it_imported(shared_data, tmp_path, capsys) -> None:
    """An import of earnings dates and factor files once printed 'imported 0 price files (0 rows)
    and 0 share counts for 0 tickers', as if nothing had been imported; it names the kinds it
    imported, and no other (two finders: '0 price files (0 rows)' before every returns import)."""
    cache = tmp_path / "cache"
    paths = [str(shared_data / name) for name in ("earnings", "factors", "shares")]
    assert run("cache", "import", *paths, "--cache", str(cache)) == 0
    earnings = pd.read_csv(shared_data / "earnings" / "earnings_dates.csv")
    shares = pd.read_csv(shared_data / "shares" / "shares_outstanding.csv")
    expected = (
        f"imported {len(shares)} share counts for {shares['ticker'].nunique()} "
        f"tickers, {len(earnings)} earnings dates for {earnings['ticker'].nunique()} tickers, factor files "
        "F-F_Momentum_Factor_daily, F-F_Research_Data_5_Factors_2x3_daily, F-F_Research_Data_Factors_daily "
        f"into {cache}/\n"
        f"{shared_data / 'earnings' / 'earnings_dates.csv'}: not stored: column(s) 'volume_ratio'"
    )
    assert capsys.readouterr().out.strip() == expected


def test_the_import_names_the_columns_it_does_not_store(shared_data, tmp_path, capsys) -> None:
    """Columns beyond Yahoo's seven (a yfinance export's Dividends and Stock Splits) or the shares
    file's five were dropped without a word; they are now named, and kept in the provenance."""
    from eventstudy.data.store import PriceStore

    lines = (shared_data / "prices" / "SPY.csv").read_text().splitlines()
    prices = tmp_path / "SPY.csv"
    rows = [lines[0] + ",Dividends,Stock Splits", *(f"{line},0,0" for line in lines[1:])]
    prices.write_text("\n".join(rows) + "\n")
    shares = tmp_path / "shares_outstanding.csv"
    shares.write_text("ticker,as_of,shares_outstanding,filing,source,url\nSPY,2024-01-02,1e9,10-K,x,http://a\n")
    cache = tmp_path / "cache"
    assert run("cache", "import", str(prices), str(shares), "--cache", str(cache)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        f"{prices}: not stored: column(s) 'Dividends', 'Stock Splits'",
        f"{shares}: not stored: column(s) 'url'",
    ]
    store = PriceStore(cache)
    assert store.provenance(store.price_path("SPY"))["ignored_columns"] == ["Dividends", "Stock Splits"]
    # A quoted header (R's write.csv) names no column as not stored; a long returns file's extra
    # column (a WRDS export's TICKER) is named as well.
    quoted = tmp_path / "quoted" / "NVDA.csv"
    quoted.parent.mkdir()
    nvda = (shared_data / "prices" / "NVDA.csv").read_text().splitlines()
    header = ",".join(f'"{name}"' for name in nvda[0].split(","))
    quoted.write_text("\n".join([header, *nvda[1:]]) + "\n")
    returns = tmp_path / "returns.csv"
    returns.write_text("permno,date,ret,TICKER,shrout,prc\n10107,2024-01-02,0.01,MSFT,10,5\n")
    importing = ["cache", "import", str(quoted), "--returns", str(returns), "--units", "decimal"]
    assert run(*importing, "--cache", str(cache)) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [f"{returns}: not stored: column(s) 'TICKER'"]
    assert "ignored_columns" not in store.provenance(store.price_path("NVDA"))
    assert store.provenance(store.returns_path("10107"))["ignored_columns"] == ["TICKER"]
    expected = pd.read_csv(shared_data / "prices" / "SPY.csv")["Adj Close"].to_numpy()
    assert (store.read_prices("SPY")["adj_close"].to_numpy() == expected).all()


def test_module_entry_point_help(capsys) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eventstudy", "--help"], capture_output=True, text=True, check=True
    )
    assert "eventstudy run --config launch.toml --offline" in result.stdout
    # The help's first study imports what the README's first command imports: without the
    # earnings calendar, its `verify reports/ai-deal-wave-2025` once said DIFFERENT.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    imports = re.findall(r"eventstudy cache import ((?:\.\./shared/data/\w+ ?)+)", readme)
    assert imports and f"eventstudy cache import {imports[0].strip()}\n" in result.stdout
    with pytest.raises(SystemExit):
        main(["cache", "import", "--help"])
    assert f"eventstudy cache import {imports[0].strip()}\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["cache", "import", "prices.csv"], "memory for eventstudy cache (an import: the file in parts"),
        (["run", "--offline"], "not enough memory for eventstudy run (split the events file)"),
        (["validate"], "not enough memory for eventstudy validate\n"),
    ],
)
def test_running_out_of_memory_names_the_command_and_what_to_do(
    command: list[str], words: str, capsys, monkeypatch
) -> None:
    """Out of memory, every command said 'not enough memory for this study (split the events
    file)', also cache import of a 121 MB CSV, which has no events file (found by an audit)."""
    import eventstudy.cli as cli

    def exhausted(args) -> int:
        raise MemoryError

    build = cli.build_parser

    def parser_with_exhausted_handlers():
        parser = build()
        parse = parser.parse_args

        def parse_args(argv=None):
            args = parse(argv)
            args.handler = exhausted
            return args

        parser.parse_args = parse_args
        return parser

    monkeypatch.setattr(cli, "build_parser", parser_with_exhausted_handlers)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eventstudy: error: ") and words in err


@pytest.mark.parametrize("where", ["--out", "--events", "--cache"])
def test_a_path_that_is_not_utf8_is_one_line_and_nothing_written(
    where, tmp_path, capsys, monkeypatch
) -> None:
    """Bytes that are not UTF-8 in a file name crashed a finished run with a UnicodeEncodeError
    traceback (parquet and the manifest record paths as UTF-8), or called a good cache damaged."""
    monkeypatch.chdir(tmp_path)
    bad = os.fsdecode(b"bad\xffname")
    paths = {"--out": "out", "--events": str(ROOT / "events.csv"), "--cache": "cache", where: bad}
    status = run("run", "--offline", *(x for key, value in paths.items() for x in (key, value)))
    err = capsys.readouterr().err
    assert status == 2 and err == (
        "eventstudy: error: 'bad\\xffname' is not UTF-8 text; rename the file or folder "
        "(the outputs record every path as UTF-8)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_out_path_longer_than_the_system_allows_is_one_line(tmp_path, capsys) -> None:
    long = str(tmp_path / "/".join(["d" * 200] * 25))
    status = run("run", "--offline", "--events", str(ROOT / "events.csv"), "--cache", str(tmp_path / "c"),
                 "--out", long)  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1, err
    assert err.endswith(": cannot be used: File name too long\n"), err
    assert list(tmp_path.iterdir()) == []


INTERRUPTED = "eventstudy: interrupted; an output folder keeps what it held before the run\n"


@pytest.mark.parametrize(
    ("library_error", "command", "when"),
    [
        (False, "run", "handler"),
        (True, "run", "handler"),
        (False, "cache", "handler"),
        (False, "run", "parser"),
    ],
)
def test_ctrl_c_is_one_line_and_exit_130(library_error: bool, command: str, when: str) -> None:
    """Ctrl-C printed a KeyboardInterrupt traceback, or, inside matplotlib, a ValueError one (the
    library turned the interrupt into its own error), or, in the first 0.3 s while the parser
    imports every command, a traceback again; a cache import stopped while renaming was told
    "an output folder keeps what it held". A real SIGINT, sent by the command itself."""
    script = f"""
import argparse, os, signal, sys
import eventstudy.cli as cli

def handler(args):
    try:
        os.kill(os.getpid(), signal.SIGINT)
    except KeyboardInterrupt:
        if {library_error}:
            raise ValueError("Invalid bounding box") from None
        raise

class Parser:
    def __init__(self):
        if {when!r} == "parser":
            os.kill(os.getpid(), signal.SIGINT)

    def parse_args(self, argv):
        return argparse.Namespace(handler=handler, command={command!r})

cli.build_parser = Parser
sys.exit(cli.console())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    expected = {
        "run": INTERRUPTED,
        "cache": "eventstudy: interrupted; the cache keeps what it held, unless the import was renaming its "
        "files: then runs and imports refuse it until eventstudy cache verify --clean finishes the import\n",
    }[command]
    expected = expected if when == "handler" else "eventstudy: interrupted\n"
    assert (done.returncode, done.stderr) == (130, expected)


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_kill_and_a_closed_terminal_stop_a_command_as_ctrl_c_does(tmp_path: Path, name: str) -> None:
    """Only SIGINT was handled: a `kill` (TERM) or a closed terminal (HUP) killed the command
    where it stood, leaving its hidden .partial staging folder beside --out (a finder). Each now
    stops it as Ctrl-C does: the staging folder removed, one line, exit 128 + the signal. A
    second signal (then HUP) interrupted the first one's cleanup, leaving the staging folder (a
    finder): the first one stops the command, and its number is the status."""
    script = f"""
import argparse, os, signal, sys
from pathlib import Path
import eventstudy.cli as cli
from eventstudy.output.folder import Guard, publish

def build(staging):
    (staging / "car.parquet").write_bytes(b"x")
    try:
        os.kill(os.getpid(), signal.{name})  # the signal while the output is built
    except KeyboardInterrupt:
        os.kill(os.getpid(), signal.SIGHUP)  # a second one while the first is being handled
        raise

def handler(args):
    publish(Path({str(tmp_path / "out")!r}), build, guard=Guard(cwd=Path({str(tmp_path)!r})))

class Parser:
    def parse_args(self, argv):
        return argparse.Namespace(handler=handler, command="run")

cli.build_parser = Parser
sys.exit(cli.console())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    number = getattr(signal, name)
    assert (done.returncode, done.stderr) == (128 + number, INTERRUPTED), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_ctrl_c_after_the_command_finished_keeps_its_status_and_gives_ctrl_c_back() -> None:
    """A Ctrl-C landing after "wrote ..." exited 130 saying nothing was written; and the console
    script left its handler installed, so in a notebook (%run -m eventstudy) a later Ctrl-C of
    another cell stopped every later save (a finder)."""
    script = """
import argparse, os, signal, sys
import eventstudy.cli as cli

class Parser:
    def parse_args(self, argv):
        return argparse.Namespace(handler=lambda args: print("wrote out/") or 0, command="run")

cli.build_parser = Parser
real = cli.main
cli.main = lambda: (real(), os.kill(os.getpid(), signal.SIGINT))[0]  # Ctrl-C on the way out
before = signal.getsignal(signal.SIGINT)
status = cli.console()
print(status, signal.getsignal(signal.SIGINT) is before, cli.INTERRUPT_REQUESTED.is_set())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (done.stdout, done.stderr) == ("wrote out/\n0 True False\n", "")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["infer", "--ar", "x.csv", "--window", "[0]"],
         "eventstudy infer: error: argument --window: '[0]' is not START,END or [START,END] (two whole "
         "numbers) (see eventstudy infer --help)"),
        (["infer", "--ar", "x.csv", "--n-params", "1.5"],
         "eventstudy infer: error: argument --n-params: invalid int value: '1.5' "
         "(see eventstudy infer --help)"),
        (["cache"], "eventstudy cache: error: the following arguments are required: ACTION "
         "(see eventstudy cache --help)"),
        # a value starting with '-' is taken for an option: how to give it (a finder)
        (["infer", "--ar", "x.csv", "--window", "-1,1"],
         "eventstudy infer: error: argument --window: expected one argument (a value starting with '-' "
         "is given as --window=VALUE) (see eventstudy infer --help)"),
        (["infer", "--ar", "x.csv", "--units"],  # no value at all: nothing to add
         "eventstudy infer: error: argument --units: expected one argument (see eventstudy infer --help)"),
        # an abbreviated option too; not a value forgotten before the next option (a re-attack)
        (["infer", "--ar", "x.csv", "--wind", "-1,1"],
         "eventstudy infer: error: argument --window: expected one argument (a value starting with '-' "
         "is given as --window=VALUE) (see eventstudy infer --help)"),
        (["infer", "--ar", "x.csv", "--statistic", "--units", "percent"],
         "eventstudy infer: error: argument --statistic: expected one argument "
         "(see eventstudy infer --help)"),
        (["infer", "--ar", "x.csv", "--n-params", "-2", "--n-params"],  # -2 was read as its value
         "eventstudy infer: error: argument --n-params: expected one argument (see eventstudy infer --help)"),
    ],
)  # fmt: skip
def test_an_option_argparse_refuses_is_one_line_too(args, line, capsys) -> None:
    """argparse printed its usage (three lines) before the error line."""
    with pytest.raises(SystemExit) as exit_code:
        main(args)
    assert exit_code.value.code == 2 and capsys.readouterr().err == line + "\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--offline"],
        ["validate"],
        ["backtest"],
        ["fetch", "NVDA"],
        ["cache", "import", "x.csv"],
        ["cache", "list"],
    ],
)
def test_a_cache_that_is_a_file_is_refused_by_every_command(argv: list[str], tmp_path: Path, capsys) -> None:
    """A finder's `run --cache afile` said there were no cached prices in afile and advised
    importing them with --cache afile; every command reading a cache says what is wrong."""
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    with pytest.raises(SystemExit) as refused:
        main([*argv, "--cache", str(afile)])
    err = capsys.readouterr().err
    assert refused.value.code == 2 and err.count("\n") == 1
    assert f"error: argument --cache: {afile} is a file, not a cache folder" in err
    assert afile.read_text() == "mine\n"
    (tmp_path / "gone").symlink_to(tmp_path / "nothing")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:  # a finder's `cache import --cache file:///x` made the folder ./file:/x
        for cache, problem in (("gone", "is a link to nothing"), ("s3://b/c", "is a URL: this command")):
            if argv[0] == "run" and cache.startswith("s3"):
                continue  # run reads a cache at a URL (with --scheduler)
            with pytest.raises(SystemExit):
                main([*argv, "--cache", cache])
            assert f"error: argument --cache: {cache} {problem}" in capsys.readouterr().err
    finally:
        os.chdir(cwd)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "gone"]


def test_a_file_url_names_a_folder_from_the_root(tmp_path: Path, capsys, monkeypatch) -> None:
    """A finder's `--cache file://localhost/ABS` imported into ./localhost/ABS (exit 0)."""
    from eventstudy.data.remote import open_cache
    from eventstudy.errors import InputError

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "cache"
    folder.mkdir()
    assert main(["cache", "list", "--cache", f"file://localhost{folder}"]) == 0
    assert f"in {folder}/" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["cache", "list", "--cache", "file://host/x"])
    assert "a file URL names a folder from the root" in capsys.readouterr().err
    assert open_cache(f"file://localhost{folder}").root == folder
    with pytest.raises(InputError, match="from the root"):
        open_cache("file://host/x")
    # A re-attack: file:/x (one slash) made ./file:/x, percent-escapes and a query stayed in the
    # folder's name, FILE:/// was "a URL" and file://LOCALHOST/ another host; file://localhost/
    # made the cache's folders at the root of the file system.
    spaced = tmp_path / "my cache"
    spaced.mkdir()
    for url, root in (
        (f"file:{folder}", folder),
        (f"FILE://{folder}", folder),
        (f"file://LOCALHOST{folder}", folder),
        (f"file://{tmp_path}/my%20cache", spaced),
    ):
        assert main(["cache", "list", "--cache", url]) == 0, url
        assert f"in {root}/" in capsys.readouterr().out
        assert open_cache(url).root == root
    for url, problem in (
        ("file:x", "a file URL names a folder from the root"),
        (f"file://{folder}?x=1", "a file URL of a folder has no query (?) or fragment (#)"),
        (f"file://{folder}#top", "a file URL of a folder has no query (?) or fragment (#)"),
        ("file://localhost/", "the root of the file system is not a cache folder"),
        ("/", "the root of the file system is not a cache folder"),
        ("//", "the root of the file system is not a cache folder"),
    ):
        with pytest.raises(SystemExit):
            main(["cache", "import", "--returns", "r.csv", "--units", "decimal", "--cache", url])
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"error: argument --cache: {url}: {problem}" in err, err
        with pytest.raises(InputError, match=re.escape(problem)):
            open_cache(url)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "my cache"]


def _store_options(parser) -> list[tuple[list[str], object]]:
    """(command words, action) of every option of every command that holds one value."""
    import argparse

    found: list[tuple[list[str], object]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [([name, *words], option) for words, option in _store_options(sub)]
        elif isinstance(action, argparse._StoreAction) and action.option_strings:
            found.append(([], action))
    return found


def _a_value(action, existing: Path) -> str:
    """A value the option's type and choices accept."""
    if action.choices:
        return str(next(iter(action.choices)))
    for candidate in (str(existing), "1", "[0,1]", "local", "2024-01-02"):
        try:
            if action.type is None or action.type(candidate) is not None:
                return candidate
        except Exception:
            continue
    raise AssertionError(f"no value found for {action.option_strings}")


def test_an_option_given_twice_is_refused_not_replaced(tmp_path: Path, capsys) -> None:
    """``cache import --returns m.csv --units decimal --returns s.csv --units percent`` kept the
    last --units for both files and stored the market's decimal returns divided by 100 (exit 0);
    ``infer --ar a.csv --ar b.csv`` read b.csv alone, ``run --events a --events b`` ran b. An
    option that holds one value, given twice, is refused in one line, naming it."""
    from eventstudy.cli import build_parser

    work = tmp_path / "work"
    work.mkdir()
    existing = work / "x.csv"
    options = _store_options(build_parser())
    named = [(words, action.option_strings[-1]) for words, action in options]
    assert (["cache", "import"], "--units") in named and (["infer"], "--ar") in named and len(named) > 25
    for words, action in options:
        option = action.option_strings[-1]
        existing.write_text("x\n")
        value = _a_value(action, existing)
        argv = [*words, option, value, option, value]
        with pytest.raises(SystemExit) as refused:
            main(argv)
        err = capsys.readouterr().err
        assert refused.value.code == 2 and err.count("\n") == 1, (argv, err)
        assert f"argument {option}: given twice" in err, (argv, err)
    existing.unlink()
    (work / "m.csv").write_text("id,date,ret\nMKT,2024-01-02,0.01\n")
    with pytest.raises(SystemExit):
        main(["cache", "import", "--returns", str(work / "m.csv"), "--units", "decimal", "--units", "percent",
              "--cache", str(work / "c")])
    assert "given twice" in capsys.readouterr().err and sorted(p.name for p in work.iterdir()) == ["m.csv"]


@pytest.mark.parametrize("command", ["verify", "report"])
def test_an_empty_folder_name_is_refused_not_taken_for_the_working_directory(
    command: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    """``verify ""`` read ./manifest.json (Path("") is "."), where --out '' is refused."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as refused:
        main([command, ""])
    err = capsys.readouterr().err
    assert refused.value.code == 2 and err.count("\n") == 1
    said = "argument DIR: an empty path names nothing; name an output folder"
    assert err.startswith(f"eventstudy {command}: error: {said}"), err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["run", "--config", ""], "--config"),
        (["run", "--events", ""], "--events"),
        (["backtest", "--config", ""], "--config"),
        (["infer", "--ar", "", "--units", "percent"], "--ar"),
        (["infer", "--ar", "a.csv", "--estimation", "", "--n-params", "2"], "--estimation"),
        (["cache", "import", ""], "PATH"),
        (["cache", "import", "--returns", "", "--units", "percent"], "--returns"),
        (["verify", "out", "--events", ""], "--events"),
    ],
)
def test_an_empty_file_argument_names_nothing(argv: list[str], option: str, tmp_path: Path, capsys) -> None:
    """Path('') is the working directory: `--config ''` said '.: cannot read the config file (Is a
    directory)' (a finder), and `cache import ''` imported the working directory's files."""
    (tmp_path / "AAA.csv").write_text(  # a Yahoo price file in the working directory
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-01-02,10,11,9,10,10,100\n2024-01-03,10,11,9,10.5,10.5,100\n"
    )
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(SystemExit) as refused:
            main([*argv, "--cache", str(tmp_path / "cache")] if argv[0] == "cache" else argv)
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert refused.value.code == 2 and err.count("\n") == 1
    assert f"error: argument {option}: an empty path names nothing; name a file (or folder)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AAA.csv"]

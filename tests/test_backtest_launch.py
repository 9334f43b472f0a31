"""The backtest on the real launch data, the ``[backtest]`` config table and the command line."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _launch_run import launch_output

from eventstudy.backtest.engine import backtest
from eventstudy.backtest.export import OUTPUT_FILES, backtest_writers
from eventstudy.backtest.report import plot_equity_curve, render_backtest_markdown
from eventstudy.backtest.rules import BacktestConfig, check_position_roles, load_backtest_config
from eventstudy.cli import main
from eventstudy.config import load_config
from eventstudy.data.events import read_events
from eventstudy.data.inputs import Needs, load_inputs
from eventstudy.data.store import PriceStore
from eventstudy.errors import InputError
from eventstudy.output.export import write_files
from eventstudy.report.figures import png_bytes
from eventstudy.report.html import png_size
from eventstudy.study import run_study

ROOT = Path(__file__).resolve().parents[1]


def yahoo_csv(shared_data: Path, symbol: str) -> pd.DataFrame:
    return pd.read_csv(shared_data / "prices" / f"{symbol}.csv", parse_dates=["Date"]).set_index("Date")


@pytest.fixture(scope="module")
def launch(launch_cache: Path):
    events = read_events(ROOT / "events.csv")
    config = BacktestConfig(holding_days=(1, 5, 20), cost_bps=10)
    inputs = load_inputs(PriceStore(launch_cache), events, Needs("SPY"))  # as run_study reads them
    return backtest(events, inputs.prices, config, market="SPY", shares=inputs.shares, study_name="launch")


def test_orcl_openai_close_entry_matches_the_yahoo_file(launch, shared_data: Path) -> None:
    """Oracle reported after the close on 2025-09-09: day 0 is 2025-09-10, bought at its close."""
    orcl, spy = yahoo_csv(shared_data, "ORCL"), yahoo_csv(shared_data, "SPY")
    trades = launch.trades
    row = trades[(trades.event_id == "oracle-openai-300b") & (trades.holding_days == 1)].iloc[0]
    assert row.entry_date == pd.Timestamp("2025-09-10")
    assert row.entry_price == pytest.approx(328.33, abs=0.005)
    assert row.entry_price == orcl.loc["2025-09-10", "Close"]
    assert row.exit_date == pd.Timestamp("2025-09-11")
    assert row.exit_price == orcl.loc["2025-09-11", "Close"]  # 307.86
    raw = orcl.loc["2025-09-11", "Adj Close"] / orcl.loc["2025-09-10", "Adj Close"] - 1
    market = spy.loc["2025-09-11", "Adj Close"] / spy.loc["2025-09-10", "Adj Close"] - 1
    assert row.ret == pytest.approx(raw, rel=1e-12)
    assert row.ret == pytest.approx(-0.0623, abs=5e-5)  # the day after the +36% jump gave some back
    assert row.market_ret == pytest.approx(market, rel=1e-12)
    assert row.bhar == pytest.approx(raw - market, rel=1e-12)
    assert row.net_ret == pytest.approx(raw - 0.002, rel=1e-12)
    twenty = trades[(trades.event_id == "oracle-openai-300b") & (trades.holding_days == 20)].iloc[0]
    dates = orcl.index[orcl.index >= "2025-09-10"]
    assert twenty.exit_date == dates[20]
    assert twenty.ret == pytest.approx(
        orcl.loc[dates[20], "Adj Close"] / orcl.loc[dates[0], "Adj Close"] - 1, rel=1e-12
    )


def test_every_launch_trade_is_made_and_the_drift_covers_every_party(launch) -> None:
    assert (launch.trades.outcome == "ok").all()
    assert len(launch.trades) == 25 * 3
    drift = launch.drift.set_index(["group", "k"])
    assert set(drift.index.get_level_values("group")) == {"all", "openai-compute", "shock", "other"}
    assert drift.loc[("all", 1), "n"] == 25
    assert (
        drift.loc[("openai-compute", 1), "n"] + drift.loc[("shock", 1), "n"] + drift.loc[("other", 1), "n"]
        == 25
    )
    # DeepSeek day +1: every shocked stock bounced back against SPY; all five on one day, so no test.
    assert drift.loc[("shock", 1), "share_positive"] == 1.0 and drift.loc[("shock", 1), "mean_bhar"] > 0.02
    assert drift.loc[("shock", 1), "n_days"] == 1 and np.isnan(drift.loc[("shock", 1), "p"])
    days = launch.drift_observations.groupby("group")["day0"].nunique()
    assert drift.xs(1, level="k")["n_days"].drop("all").to_dict() == days.to_dict()
    compute = drift.loc[("openai-compute", 1)]
    assert compute["n_days"] > 1 and np.isfinite(compute["p"])
    # Costless long close entries over [+1,+20] are the drift observations.
    observations = launch.drift_observations
    mean20 = observations[observations.k == 20].bhar.mean()
    assert drift.loc[("all", 20), "mean_bhar"] == pytest.approx(mean20, rel=1e-12)
    assert launch.trades[launch.trades.holding_days == 20].bhar.mean() == pytest.approx(mean20, rel=1e-12)


def test_the_hit_rate_and_the_share_beating_the_benchmark_are_told_apart(launch) -> None:
    """The summary's one "hit rate" counted trades with a positive net return beside a t of the
    net abnormal return (a referee: in the launch report 52% of one-day trades gained, 44% beat
    SPY). Here every party is held long: 12 of 25 gained over a day, 11 beat SPY."""
    from eventstudy.backtest.report import render_backtest_section

    one = launch.summary_table.set_index("holding_days").loc[1]
    ok = launch.trades[(launch.trades.holding_days == 1) & (launch.trades.outcome == "ok")]
    assert one["hit_rate"] == (ok["net_ret"] > 0).mean() == 12 / 25
    assert one["share_beating_market"] == (ok["net_abnormal_ret"] > 0).mean() == 11 / 25
    section = render_backtest_section(launch.trades, launch.curve, launch.drift, launch.metadata())
    header = "| t (clustered) | p (clustered) | hit rate (net > 0) | beat benchmark (net abnormal > 0) |"
    assert header in section
    row = next(line for line in section.splitlines() if line.startswith("| 1 | 25 (25/0) |"))
    assert row.endswith(" | 48% | 44% |")
    text = str(launch.summary())
    assert "beat: share with a positive net abnormal return (what t tests)" in text
    cells = next(line.split() for line in text.splitlines() if line.split()[:2] == ["1", "25"])
    assert one["n_clusters"] == ok["entry_date"].nunique() == 13  # one-day holds chain by session alone
    assert cells[7:11] == ["13", f"{one['p_cluster']:.3f}", "48%", "44%"]


def test_launch_toml_backtest_table() -> None:
    rule = load_backtest_config(ROOT / "launch.toml")
    assert rule.entry == "close_day0" and rule.holding_days == (1, 5, 10, 20) and rule.cost_bps == 10
    assert rule.side_of("rival") == "short" and rule.side_of("supplier") == "long"
    load_config(ROOT / "launch.toml")  # the study loader still accepts the file


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_backtest_table_parsing(tmp_path: Path) -> None:
    rule = load_backtest_config(
        write_toml(
            tmp_path,
            '[backtest]\nentry = "open_day1"\nholding_days = [2, 3]\nweighting = "value"\ncost_bps = 5.5\n'
            '[backtest.positions]\nsupplier = "long"\nrival = "short"\n',
        )
    )
    assert (rule.entry, rule.holding_days, rule.weighting, rule.cost) == (
        "open_day1",
        (2, 3),
        "value",
        0.00055,
    )
    assert rule.side_of("supplier") == "long" and rule.side_of("partner") == "none"  # not listed: not traded
    assert load_backtest_config(write_toml(tmp_path, "[study]\nname = 'x'\n")) == BacktestConfig()
    assert BacktestConfig().side_of("anything") == "long"  # no positions table: buy every party


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("[backtest]\nholding = [1]\n", "backtest.holding", "unknown key"),
        ('[backtest]\nentry = "open_day0"\n', "backtest.entry", "not one of close_day0, open_day1"),
        ("[backtest]\nholding_days = [0, 5]\n", "backtest.holding_days", ">= 1"),
        ("[backtest]\nholding_days = [1.5]\n", "backtest.holding_days", "whole numbers"),
        ('[backtest]\ncost_bps = "10"\n', "backtest.cost_bps", "number of basis points"),
        ("[backtest]\ncost_bps = -1\n", "backtest.cost_bps", ">= 0"),
        (f"[backtest]\ncost_bps = {'9' * 400}\n", "backtest.cost_bps", "<= 10000"),  # was OverflowError
        ("[backtest]\ncost_bps = nan\n", "backtest.cost_bps", ">= 0"),
        (
            '[backtest.positions]\nrival = "sell"\n',
            "backtest.positions.rival",
            "not one of long, short, none",
        ),
        ('[backtest]\nweighting = "cap"\n', "backtest.weighting", "not one of equal, value"),
    ],
)
def test_bad_backtest_table_names_the_file_and_key(
    tmp_path: Path, text: str, field: str, message: str
) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_backtest_config(path)
    assert caught.value.path == str(path) and caught.value.field == field
    assert message in caught.value.message


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_cli_writes_beside_the_study_outputs_reproducibly(launch_cache: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report"
    common = ["--events", str(ROOT / "events.csv"), "--config", str(ROOT / "launch.toml"), "--offline"]
    common += ["--cache", str(launch_cache), "--out", str(out)]
    assert main(["backtest", *common]) == 0
    printed = capsys.readouterr().out
    assert "short rival" in printed and "wrote trades.parquet" in printed
    first = snapshot(out)
    assert {*OUTPUT_FILES, "car.parquet", "report.md", "manifest.json"} <= set(first)  # one whole run
    recorded = json.loads((out / "manifest.json").read_text())["files"]
    assert sorted(recorded) == sorted(set(first) - {"manifest.json"})
    assert not list(out.parent.glob(".*"))  # no staging folder left
    # Reproducible, and one whole run: byte-identical, the figure included, to `eventstudy run`
    # of the same study (launch.toml has a [backtest] table), the test process's shared launch
    # run. (A second run into the same folder: test_output_safety.py.)
    assert snapshot(launch_output(str(launch_cache))) == first
    assert (out / "backtest.md").read_text(encoding="utf-8") == render_backtest_markdown(out)
    markdown = (out / "backtest.md").read_text(encoding="utf-8")
    assert "![Equity curves" in markdown and "| openai-compute | [+1,+20] |" in markdown
    assert "s.e. is 2√(q(1 − q)/B), q the smaller tail's share, up to 0.032 with B = 1000" in markdown
    assert "| `oracle-openai-300b` | ORCL | supplier | long | 2025-09-10 | 328.33 | -6.43% |" in markdown
    assert (out / "figures" / "equity_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    trades = pd.read_parquet(out / "trades.parquet")
    amd = trades[(trades.event_id == "amd-openai-6gw") & (trades.ticker == "NVDA")]
    assert set(amd.side) == {"short"}  # launch.toml: rival = "short"


def test_cli_bad_backtest_key_exits_2_with_one_line_and_writes_nothing(
    launch_cache: Path, tmp_path: Path, capsys
) -> None:
    launch_toml = (ROOT / "launch.toml").read_text(encoding="utf-8")
    assert "cost_bps = 10" in launch_toml
    config = write_toml(tmp_path, launch_toml.replace("cost_bps = 10", "cost_bsp = 10"))
    out = tmp_path / "out"
    status = main(
        ["backtest", "--config", str(config), "--offline", "--cache", str(launch_cache), "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "study.toml" in err and "backtest.cost_bsp" in err
    assert not out.exists()


def test_equity_figure_is_deterministic(launch) -> None:
    first = png_bytes(plot_equity_curve(launch.curve, "SPY"))
    assert first == png_bytes(plot_equity_curve(launch.curve, "SPY"))
    assert b"Software" not in first and first[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_size(first) == (2700, 1440)  # 9 x 4.8 inches at print resolution


def test_save_and_render_from_files_alone(launch, tmp_path: Path) -> None:
    out = tmp_path / "only-backtest"
    write_files(out, backtest_writers(launch))
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(OUTPUT_FILES)
    text = render_backtest_markdown(tmp_path / "only-backtest")
    assert text.startswith("## Backtest")
    summary = launch.summary_table.set_index("holding_days")
    assert f"| 20 | 25 (25/0) | {summary.loc[20, 'mean_net_ret']:+.2%} |" in text
    curve = pd.read_parquet(tmp_path / "only-backtest" / "backtest.parquet")
    assert np.isclose(
        curve.groupby("holding_days").strategy_equity.last().loc[1], 1 + summary.loc[1, "total_return"]
    )


@pytest.mark.parametrize(
    ("role", "refused"),
    [
        ("rivall", "rival"),
        ("Rival", "rival"),
        ("suplier", "supplier"),
        ("lender", None),
        ("investors", "investor"),
        ("peers", "peer"),  # the peers' role, which no events.csv row has: it was left untraded
        ("defualt", "default"),  # the default side's key: every party was left untraded
        ("Defaults", "default"),
    ],
)
def test_a_misspelt_position_role_is_refused_and_a_far_one_allowed(
    role: str, refused: str | None, caplog
) -> None:
    """`rivall = "short"` once left every rival to the default side (long): the short leg of the
    launch's rule silently became a long one. A role far from all of the events' (a config used
    for part of its events) is allowed, with a warning naming it: "short acquirer / long every
    other role" shorted nothing, without a word (a finder)."""
    rule = BacktestConfig(positions=((role, "short"),))
    roles = read_events(ROOT / "events.csv")["role"]
    if refused is None:
        check_position_roles(roles, rule, "study.toml")
        (said,) = [r.getMessage() for r in caplog.records if r.name == "eventstudy"]
        assert said == (
            f"study.toml: [backtest.positions] gives a side to {role!r}, which no event has: no trade takes "
            "it (the events' roles: buyer, investee, investor, partner, rival and 2 more)"
        )
        caplog.clear()
        check_position_roles([*roles, role], rule, "study.toml")  # an event has it: nothing said
        assert not [r for r in caplog.records if r.name == "eventstudy"]
        return
    with pytest.raises(InputError) as caught:
        check_position_roles(roles, rule, "events.csv")
    assert (caught.value.path, caught.value.field) == ("events.csv", f"backtest.positions.{role}")
    said = f"the events have {refused!r}"
    said = "the key of the default side is 'default'" if refused == "default" else said
    assert f"{said} (a misspelling?)" in caught.value.message


def test_a_role_near_default_that_an_event_has_is_a_role() -> None:
    """A credit study's `defaulter` was refused as a misspelling of `default` (a finder)."""
    rule = BacktestConfig(positions=(("defaulter", "short"), ("defaults", "long")))
    check_position_roles(["defaulter", "defaults", "lender"], rule, "study.toml")


@pytest.mark.parametrize("role", ["default", "Default", "DEFAULT", "PEER", "Peer"])
def test_a_rule_built_in_python_refuses_a_role_spelt_like_a_keyword(role: str) -> None:
    """A role "Default" from Python was a role of no event (its parties left to default_side),
    and "default" one a config file reads back as the default side."""
    with pytest.raises(ValueError, match=rf"^positions\.{role}: is not a role: the key of the "):
        BacktestConfig(positions=((role, "long"),))


def test_the_backtest_command_stops_on_a_misspelt_role(tmp_path, capsys) -> None:
    text = (ROOT / "launch.toml").read_text(encoding="utf-8").replace('rival = "short"', 'rivall = "short"')
    config = tmp_path / "study.toml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    args = ["backtest", "--events", str(ROOT / "events.csv"), "--config", str(config), "--offline"]
    # The roles are checked before any data is read: an empty cache is enough.
    assert main([*args, "--out", str(out), "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "field 'backtest.positions.rivall'" in err and not out.exists()


def test_value_weights_carry_the_notes_of_their_share_counts(launch_cache: Path) -> None:
    """car.parquet notes INTC's understated count (the launch's [[shares.caveats]]) and the vendor
    figures; a value-weighted trade built on the same count said nothing."""
    study = load_config(ROOT / "launch.toml")
    rule = dataclasses.replace(study.backtest, weighting="value", holding_days=(1,))
    config = dataclasses.replace(study, peers=(), backtest=rule)
    results = run_study(ROOT / "events.csv", launch_cache, config)
    trades = results.backtest.trades.set_index(["event_id", "ticker"])
    car = results.car[results.car.window == "[0,0]"].set_index(["event_id", "ticker"])
    intc = trades.loc[("nvidia-intel-5b", "INTC"), "note"]
    assert "value weight: shares caveat: count excludes ~433M shares" in intc
    for key, note in trades["note"].items():
        # the same count as the study's [0,0] market value (both on the session before day 0)
        vendor = "vendor or balance-sheet figure" in car.loc[key, "note"]
        assert ("value weight: shares vendor or balance-sheet figure" in note) == vendor, key
    assert trades["note"].str.contains("value weight: shares vendor").sum() >= 20
    equal_rule = dataclasses.replace(rule, weighting="equal")
    equal = run_study(ROOT / "events.csv", launch_cache, dataclasses.replace(config, backtest=equal_rule))
    assert not equal.backtest.trades["note"].str.contains("value weight").any()
    # Under equal weights mcap_prev_usd is still reported: its count's caveats go with it (they
    # were left out, so INTC's understated market value came without the note car.parquet gives).
    same = equal.backtest.trades.set_index(["event_id", "ticker"])
    intc_equal = same.loc[("nvidia-intel-5b", "INTC")]
    assert "market value: shares caveat: count excludes ~433M shares" in intc_equal["note"]
    assert intc_equal["mcap_prev_usd"] == trades.loc[("nvidia-intel-5b", "INTC"), "mcap_prev_usd"]
    for key, note in same["note"].items():
        vendor = "vendor or balance-sheet figure" in car.loc[key, "note"]
        assert ("market value: shares vendor or balance-sheet figure" in note) == vendor, key

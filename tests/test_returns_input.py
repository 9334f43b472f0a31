"""Bring your own returns (issue 14): returns panels in the cache, used exactly like prices.

Known answers: the launch study imported as a returns panel gives the price path's ARs, CARs,
statistics and dollar values to the last bit; a percent file and its decimal twin import to the
same numbers; a PERMNO-keyed CRSP file gives CRSP's market values and drops only the days of its
missing-return codes; an international index is the market of its own calendar (OLS oracle).
Bad input is one line naming file, row and field, exit 2, nothing written.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _returns_panels import launch_series, text, write_long
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy import load_config, run_study
from eventstudy.cli import main
from eventstudy.config import StudyConfig
from eventstudy.data.importer import import_paths
from eventstudy.data.returns_import import parse_returns_file
from eventstudy.data.store import PriceStore
from eventstudy.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SHARE_COLUMNS = ("shares_as_of", "shares_outstanding", "shares_filing", "note")


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def launch_config():
    return dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None)


# -- the launch study as a returns panel ---------------------------------------------------------
@pytest.fixture(scope="module")
def launch_as_returns(launch_cache: Path, shared_data: Path, tmp_path_factory) -> tuple[Path, Path]:
    """A cache holding the launch data as one long returns file (percent), imported by the CLI,
    and the same earnings calendar (the confounder screen reads it)."""
    folder = tmp_path_factory.mktemp("launch-returns")
    calendar, series = launch_series(launch_cache)
    path = write_long(folder / "returns.csv", calendar, series)
    cache = folder / "cache"
    assert main(["cache", "import", "--returns", str(path), "--units", "decimal", "--cache", str(cache)]) == 0
    assert main(["cache", "import", str(shared_data / "earnings"), "--cache", str(cache)]) == 0
    return cache, path


def test_launch_study_as_a_returns_panel_gives_identical_results(launch_cache, launch_as_returns) -> None:
    cache, _ = launch_as_returns
    config = launch_config()
    prices = run_study(ROOT / "events.csv", launch_cache, config)
    returns = run_study(ROOT / "events.csv", cache, config)
    # every AR, CAR, s.e. and t, bit for bit (assert_frame_equal's default is a relative 1e-5)
    pd.testing.assert_frame_equal(returns.ar, prices.ar, check_exact=True)
    pd.testing.assert_frame_equal(returns.stats, prices.stats, check_exact=True)
    pd.testing.assert_frame_equal(returns.caar, prices.caar, check_exact=True)
    same = [c for c in prices.car.columns if c not in SHARE_COLUMNS]
    pd.testing.assert_frame_equal(returns.car[same], prices.car[same], check_exact=True)
    assert returns.car["mcap_prev_usd"].notna().sum() > 500  # the file's market values were used
    # Share figures belong to the price path; a returns row says where its value came from.
    assert returns.car["shares_outstanding"].isna().all()
    missing = returns.car[returns.car["mcap_prev_usd"].isna() & (returns.car["outcome"] == "ok")]
    assert missing["note"].str.contains("in its returns file").all() and len(missing) > 0
    assert set(returns.provenance["inputs"]["returns"]) >= {"SPY", "NVDA"}
    assert returns.provenance["inputs"]["prices"] == {}


def test_returns_are_listed_verified_and_validated(launch_as_returns, capsys) -> None:
    cache, _ = launch_as_returns
    assert main(["cache", "list", "--cache", str(cache)]) == 0
    listing = capsys.readouterr().out
    assert "NVDA" in listing and "returns-import" in listing
    assert main(["cache", "verify", "--cache", str(cache)]) == 0
    assert main(["validate", "NVDA", "CRWV", "--cache", str(cache)]) == 1
    out = capsys.readouterr().out
    # The first session has no return (as from prices).
    assert "NVDA: missing_return: 1 blank return(s), first 2023-01-03" in out
    assert "CRWV: missing_return" in out  # blank before its IPO on 2025-03-28


def test_the_backtest_needs_prices_one_line_not_a_crash(launch_as_returns, tmp_path, capsys) -> None:
    cache, _ = launch_as_returns
    out = tmp_path / "out"
    args = ["run", "--config", str(ROOT / "launch.toml"), "--events", str(ROOT / "events.csv"), "--offline"]
    assert main([*args, "--cache", str(cache), "--out", str(out)]) == 2
    err = one_line(capsys)
    assert "field 'study.market': the backtest ([backtest] in the config) trades at prices" in err
    assert "SPY has returns but no prices" in err and not out.exists()


def test_a_returns_only_party_in_a_backtest_is_named_by_row(
    launch_cache, shared_data, tmp_path, capsys
) -> None:
    calendar, series = launch_series(launch_cache)
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [shared_data / "prices" / "SPY.csv"])
    path = write_long(tmp_path / "orcl.csv", calendar, {"ORCL": series["ORCL"]})
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "e1,2025-09-09,post,ORCL,supplier,300e9,g,h\n"
    )
    config = tmp_path / "study.toml"
    config.write_text('[study]\nname = "x"\nestimation_window = [-250, -11]\n[backtest]\n')
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--config", str(config), "--offline", "--cache", str(cache)]
    assert main([*args, "--out", str(out)]) == 2
    assert f"{events}, row 2, field 'ticker': the backtest" in one_line(capsys)
    assert not out.exists()
    config.write_text('[study]\nname = "x"\nestimation_window = [-250, -11]\n')
    assert main([*args, "--out", str(out)]) == 0  # without a backtest the study runs


# -- units: declared, and percent agrees with decimal ---------------------------------------------
def test_percent_and_decimal_files_import_to_the_same_numbers(launch_cache, tmp_path) -> None:
    calendar, series = launch_series(launch_cache)
    chosen = {s: series[s] for s in ("SPY", "NVDA", "ORCL")}
    percent = tmp_path / "percent.csv"
    frames = []
    for symbol, (returns, _) in chosen.items():
        in_percent = returns * 100.0
        frames.append(
            pd.DataFrame({"id": symbol, "date": calendar.strftime("%Y-%m-%d"), "ret": text(in_percent)})
        )
    pd.concat(frames).to_csv(percent, index=False)
    # The decimal twin holds exactly the quotient the import computes, written in full.
    decimal = tmp_path / "decimal.csv"
    twin = pd.read_csv(percent, dtype=str, keep_default_na=False)
    twin["ret"] = [repr(float(v) / 100.0) if v else "" for v in twin["ret"]]
    twin.to_csv(decimal, index=False)
    a = parse_returns_file(percent, units="percent")
    b = parse_returns_file(decimal, units="decimal")
    for x, y in zip(a.series, b.series, strict=True):
        pd.testing.assert_frame_equal(x.frame, y.frame)
    # and they are the price path's returns to within one rounding of the x100 / 100 trip
    for series_ in a.series:
        np.testing.assert_allclose(series_.frame["ret"], chosen[series_.symbol][0], rtol=1e-15, atol=0)


def test_an_import_asks_about_units_that_look_wrong_and_names_ids_without_returns(
    launch_cache, tmp_path, capsys
) -> None:
    """SPY's daily log returns in percent declared decimal imported without a word (median |r|
    0.6: 60% a day), while infer asks about such units; a wide column with no value was imported
    as a series and counted. Both are imported as declared, and said in a warning line each."""
    calendar, series = launch_series(launch_cache)
    returns = series["SPY"][0]
    logs = np.log1p(returns) * 100.0  # percent log returns
    calm = np.arange(logs.size) < 120  # 2023's first half: no day over 4.6% (e^4.6 - 1 is refused)
    logs = logs[calm]
    frame = pd.DataFrame({"id": "SPY", "date": calendar[calm].strftime("%Y-%m-%d"), "ret": text(logs)})
    mislabelled = tmp_path / "spy.csv"
    frame.to_csv(mislabelled, index=False)
    cache = tmp_path / "cache"
    args = ["cache", "import", "--units", "decimal", "--definition", "log", "--cache", str(cache)]
    assert main([*args, "--returns", str(mislabelled)]) == 0
    err = capsys.readouterr().err
    median = np.median(np.abs(logs[np.isfinite(logs) & (logs != 0)]))  # as stored: log returns
    assert median > 0.4  # 40% a day
    assert err == (
        f"eventstudy: warning: {mislabelled}: the median |return| is {median:.4g} ({median:.0%} a period) in "
        "decimal units: are its units right (units percent when 1.5 means 1.5%)? Import it again with the "
        "right ones\n"
    )
    # the same file in its own units: no question
    right = ["cache", "import", "--units", "percent", "--definition", "log", "--cache", str(tmp_path / "c2")]
    assert main([*right, "--returns", str(mislabelled)]) == 0
    assert capsys.readouterr().err == ""
    # in percent and still large: not told to give the --units percent it gave
    large = tmp_path / "large.csv"
    large.write_text("id,date,ret\nAAA,2024-01-02,30\nAAA,2024-01-03,-40\n")
    assert main([*right, "--returns", str(large)]) == 0
    assert capsys.readouterr().err == (
        f"eventstudy: warning: {large}: the median |return| is 0.35 (35% a period) after dividing the values "
        "by 100 (units percent): are they returns?\n"
    )
    # decimals declared as percent: every CAR and dollar value 100 times too small, t unchanged
    decimals = frame.assign(ret=text(np.expm1(logs / 100.0)))
    small = tmp_path / "small.csv"
    decimals.to_csv(small, index=False)
    declared = ["cache", "import", "--units", "percent", "--cache", str(tmp_path / "c3")]
    assert main([*declared, "--returns", str(small)]) == 0
    kept = PriceStore(tmp_path / "c3").read_returns_table("SPY").frame["ret"].to_numpy(float)
    stored = np.median(np.abs(kept[np.isfinite(kept) & (kept != 0)]))
    assert 0.00001 < stored < 0.0005
    assert capsys.readouterr().err == (
        f"eventstudy: warning: {small}: the median |return| is {stored:.4g} ({stored:.4%} a period) after "
        "dividing the values by 100 (units percent): were they decimals (0.01 = 1%)? Import it again in "
        "units decimal if so\n"
    )
    # one column of decimals in a panel of percent: judged by the file's median, it passed (a finder)
    columns = {s: series[s][0][1:121] * 100.0 for s in ("NVDA", "AMD", "ORCL", "MSFT")}
    columns["MKT"] = series["SPY"][0][1:121]  # decimals
    panel = tmp_path / "panel.csv"
    dates = {"date": calendar[1:121].strftime("%Y-%m-%d")}
    pd.DataFrame(dates | {k: text(v) for k, v in columns.items()}).to_csv(panel, index=False)
    assert main([*declared[:-1], str(tmp_path / "c4"), "--returns", str(panel)]) == 0
    mkt = np.median(np.abs(columns["MKT"][columns["MKT"] != 0])) / 100
    assert capsys.readouterr().err == (
        f"eventstudy: warning: {panel}: the median |return| of MKT is {mkt:.4g} ({mkt:.4%} a period) after "
        "dividing the values by 100 (units percent): were they decimals (0.01 = 1%)? Import it again in "
        "units decimal if so\n"
    )
    wide = tmp_path / "wide.csv"
    wide.write_text("date,AAA,BBB\n2024-01-02,0.01,\n2024-01-03,0.02,\n")
    assert main(["cache", "import", "--units", "decimal", "--returns", str(wide), "--cache", str(cache)]) == 0
    empty = "no return at all for BBB (every one of its rows is missing)"
    assert capsys.readouterr().err == f"eventstudy: warning: {wide}: {empty}\n"


def test_the_questions_of_an_import_are_asked_again_wherever_the_series_is_used(
    launch_cache, tmp_path, capsys
) -> None:
    """A panel in percent imported as decimal: the import's one warning line was all a notebook
    user ever saw, and a study reported CARs of -120% as ok (a finder). Each series keeps the
    questions about it (the file's, or its own), and validate and a study's record say them again."""
    days = pd.bdate_range("2024-06-03", "2025-12-31").strftime("%Y-%m-%d")
    rng = np.random.default_rng(3)  # percent moves under 0.9 (read as decimals, none below -100%)
    columns = {symbol: rng.uniform(-0.009, 0.009, len(days)) for symbol in ("SPY", "NVDA", "AMD")}

    def write(path: Path) -> Path:
        frame = pd.DataFrame({"date": days} | {k: text(v * 100.0) for k, v in columns.items()})
        frame.to_csv(path, index=False)
        return path

    def imported(path: Path, units: str, cache: Path) -> int:
        return main(["cache", "import", "--units", units, "--returns", str(path), "--cache", str(cache)])

    percent, cache = write(tmp_path / "percent.csv"), tmp_path / "cache"
    assert imported(percent, "decimal", cache) == 0
    [asked] = capsys.readouterr().err.splitlines()
    assert asked.startswith(f"eventstudy: warning: {percent}: the median |return| is ")
    question = asked.removeprefix("eventstudy: warning: ")
    store = PriceStore(cache)
    for symbol in columns:
        assert store.read_returns_table(symbol).provenance["import_questions"] == [question]
    # the file again with one return corrected and a new series: the record of the replaced
    # return took the place of every question (a finder)
    columns["NVDA"][5] += 0.0003
    columns["AVGO"] = rng.uniform(-0.009, 0.009, len(days))
    again = write(tmp_path / "again.csv")
    assert imported(again, "decimal", cache) == 0
    [asked] = capsys.readouterr().err.splitlines()
    for symbol in columns:
        table = store.read_returns_table(symbol)
        assert table.provenance["import_questions"] == [asked.removeprefix("eventstudy: warning: ")], symbol
    assert len(store.read_returns_table("NVDA").provenance["replacements"]) == 1
    del columns["AVGO"]
    question = asked.removeprefix("eventstudy: warning: ")
    assert main(["validate", "--cache", str(cache), "--market", "SPY", "NVDA"]) == 1
    lines = capsys.readouterr().out.splitlines()
    for symbol in ("SPY", "NVDA"):
        assert f"{symbol}: import_question: its import asked: {question} -> " in "\n".join(lines), lines
    events = pd.DataFrame(
        {
            "event_id": ["e1"], "announced": [pd.Timestamp("2025-09-22")], "timing": ["pre"],
            "ticker": ["NVDA"], "role": ["buyer"], "deal_usd": [np.nan], "group": ["g"], "headline": ["h"],
        }
    )  # fmt: skip
    results = run_study(events, store, StudyConfig(market="SPY", peers=()))
    issues = results.provenance["validation"]["issues"]
    for symbol in ("SPY", "NVDA"):
        [recorded] = [i for i in issues[symbol] if i["kind"] == "import_question"]
        assert recorded["detail"] == f"its import asked: {question}"
    # one series of a panel asked about: only it keeps the question
    columns["SPY"] = columns["SPY"] / 100.0  # the only decimals among percent
    mixed, cache = write(tmp_path / "mixed.csv"), tmp_path / "c2"
    assert imported(mixed, "percent", cache) == 0
    [asked] = capsys.readouterr().err.splitlines()
    assert f"{mixed}: the median |return| of SPY is " in asked
    store = PriceStore(cache)
    kept = store.read_returns_table("SPY").provenance["import_questions"]
    assert kept == [asked.removeprefix("eventstudy: warning: ")]
    assert "import_questions" not in store.read_returns_table("NVDA").provenance


def test_calm_daily_percent_returns_declared_decimal_are_asked_about(launch_cache, tmp_path, capsys) -> None:
    """Percent returns of a calm series (s.d. 0.3: a median |value| of 0.2) imported as decimal were
    stored 100 times too large, a median of 20% a day, without a word: the question began at 25% a
    period, a line meant for monthly returns (a finder). Daily files are asked about above 10% a day;
    real daily decimals (NVDA's, the launch's most volatile large stock) and monthly returns of the
    same size are not."""
    rng = np.random.default_rng(7)
    values = rng.normal(0.0, 0.3, 250)
    median = float(np.median(np.abs(values)))
    assert 0.15 < median < 0.25  # under the 25% line
    days = pd.bdate_range("2024-01-02", periods=250).strftime("%Y-%m-%d")
    calm = tmp_path / "calm.csv"
    pd.DataFrame({"id": "BOND", "date": days, "ret": text(values)}).to_csv(calm, index=False)
    args = ["cache", "import", "--units", "decimal", "--returns"]
    assert main([*args, str(calm), "--cache", str(tmp_path / "c1")]) == 0
    assert capsys.readouterr().err == (
        f"eventstudy: warning: {calm}: the median |return| is {median:.4g} ({median:.0%} a period) in "
        "decimal units: are its units right (units percent when 1.5 means 1.5%)? Import it again with the "
        "right ones\n"
    )
    months = pd.date_range("2005-01-31", periods=250, freq="ME").strftime("%Y-%m-%d")
    monthly = tmp_path / "monthly.csv"
    pd.DataFrame({"id": "FUND", "date": months, "ret": text(values)}).to_csv(monthly, index=False)
    assert main([*args, str(monthly), "--cache", str(tmp_path / "c2")]) == 0
    assert capsys.readouterr().err == ""
    # each series at its own frequency (a reviewer): the calm daily series among monthly ones is
    # asked about, a monthly series of 10% months among daily ones is not
    mixed = tmp_path / "mixed.csv"
    monthly_rows = pd.DataFrame({"id": "FUND", "date": months, "ret": text(values)})
    daily_rows = pd.DataFrame({"id": "BOND", "date": days, "ret": text(values)})
    pd.concat([monthly_rows, monthly_rows.assign(id="FUND2"), daily_rows]).to_csv(mixed, index=False)
    assert main([*args, str(mixed), "--cache", str(tmp_path / "c4")]) == 0
    assert capsys.readouterr().err == (
        f"eventstudy: warning: {mixed}: the median |return| of BOND is {median:.4g} ({median:.0%} a period) "
        "in decimal units: are its units right (units percent when 1.5 means 1.5%)? Import it again with the "
        "right ones\n"
    )
    calendar, series = launch_series(launch_cache)
    spy = series["SPY"][0][1:]
    tens = pd.DataFrame({"id": "TENS", "date": months[:40], "ret": text(np.resize([0.12, -0.11], 40))})
    spy_rows = pd.DataFrame({"id": "SPY", "date": calendar[1:].strftime("%Y-%m-%d"), "ret": text(spy)})
    beside = tmp_path / "beside.csv"
    pd.concat([spy_rows, tens]).to_csv(beside, index=False)
    assert main([*args, str(beside), "--cache", str(tmp_path / "c5")]) == 0
    assert capsys.readouterr().err == ""
    nvda = series["NVDA"][0][1:]
    assert np.median(np.abs(nvda[nvda != 0])) > 0.015  # a volatile stock's decimals: no question
    real = tmp_path / "nvda.csv"
    frame = pd.DataFrame({"id": "NVDA", "date": calendar[1:].strftime("%Y-%m-%d"), "ret": text(nvda)})
    frame.to_csv(real, index=False)
    assert main([*args, str(real), "--cache", str(tmp_path / "c3")]) == 0
    assert capsys.readouterr().err == ""


def test_a_file_naming_its_firms_by_id_and_by_permno_is_refused(tmp_path, capsys) -> None:
    """`id,permno,date,ret` was imported keyed by PERMNO with "not stored: column(s) 'id'", while
    infer refuses a ticker beside a permno: which column names the firm is the user's to say."""
    both = tmp_path / "y.csv"
    both.write_text("id,PERMNO,date,ret\nAAPL,10107,2024-01-02,0.01\n")
    cache = tmp_path / "cache"
    assert main(["cache", "import", "--returns", str(both), "--units", "decimal", "--cache", str(cache)]) == 2
    assert capsys.readouterr().err == (
        f"eventstudy: error: {both}, row 1, field 'PERMNO': both id and permno name the firm: keep the one "
        "that names it (an id may name two firms over time, a PERMNO one)\n"
    )
    assert not (cache / "returns").exists()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.floats(min_value=-99.99, max_value=9_900.0, allow_nan=False), min_size=1, max_size=30))
def test_a_percent_value_is_divided_by_100_once(tmp_path_factory, values: list[float]) -> None:
    folder = tmp_path_factory.mktemp("units")
    dates = pd.bdate_range("2024-01-01", periods=len(values)).strftime("%Y-%m-%d")
    path = folder / "p.csv"
    pd.DataFrame({"id": "A", "date": dates, "ret": [repr(v) for v in values]}).to_csv(path, index=False)
    parsed = parse_returns_file(path, units="percent")
    np.testing.assert_array_equal(parsed.series[0].frame["ret"].to_numpy(), np.array(values) / 100.0)


# -- CRSP: PERMNO-keyed, CRSP column names, market value |PRC| x SHROUT x 1000 ----------------------
PERMNOS = {"SPY": "84398", "NVDA": "86580", "ORCL": "10104", "MSFT": "10107"}


def crsp_file(cache: Path, path: Path, *, missing_code_day: str) -> Path:
    """A WRDS-style CRSP daily file of four launch symbols keyed by PERMNO (dates YYYYMMDD)."""
    store = PriceStore(cache)
    calendar, series = launch_series(cache)
    frames = []
    for symbol, permno in PERMNOS.items():
        returns, _ = series[symbol]
        close = store.read_prices(symbol).set_index("date")["close"].reindex(calendar).to_numpy()
        shares = np.full(len(calendar), 2_000_000.0 + int(permno))  # thousands, as CRSP
        ret = text(returns)
        ret[0] = "C"  # WRDS letter code: no return on the first day
        if symbol == "ORCL":
            ret[list(calendar.strftime("%Y-%m-%d")).index(missing_code_day)] = "-99"
        prc = np.where(np.arange(len(calendar)) % 3 == 0, -close, close)  # bid/ask averages are < 0
        frames.append(
            pd.DataFrame(
                {
                    "PERMNO": f"{permno}.0" if symbol == "MSFT" else permno,  # a float-formatted export
                    "date": calendar.strftime("%Y%m%d"),
                    "RET": ret,
                    "SHROUT": text(shares),
                    "PRC": text(prc),
                    "TICKER": symbol,
                }
            )
        )
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_a_crsp_panel_keyed_by_permno(launch_cache, tmp_path) -> None:
    day = "2025-06-02"  # in ORCL's estimation window for the 2025-09-09 event
    path = crsp_file(launch_cache, tmp_path / "dsf.csv", missing_code_day=day)
    cache = tmp_path / "cache"
    [imported] = import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    assert imported.symbols == ("84398", "86580", "10104", "10107")
    table = PriceStore(cache).read_returns_table("10104")
    assert table.provenance["layout"] == "crsp" and table.provenance["missing_codes"] == 2  # C and -99
    assert table.provenance["ignored_columns"] == ["TICKER"]
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "oracle,2025-09-09,post,10104,supplier,300e9,g,h\n"
        "nvda-intel,2025-09-18,pre,86580,investor,5e9,g,h\n"
        "msft,2025-01-21,intraday,10107,partner,500e9,g,h\n"
    )
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, peers=(), market="84398")
    crsp = run_study(events, cache, config)
    tickers = events.read_text().replace("10104", "ORCL").replace("86580", "NVDA").replace("10107", "MSFT")
    priced = tmp_path / "priced.csv"
    priced.write_text(tickers)
    reference = run_study(priced, launch_cache, dataclasses.replace(config, market="SPY"))
    # ORCL lost exactly one estimation return (the -99 code), not two as a missing price would.
    n_est = crsp.car.groupby("ticker", sort=False)["n_est"].first()
    n_ref = reference.car.groupby("ticker", sort=False)["n_est"].first()
    assert n_est["10104"] == n_ref["ORCL"] - 1
    assert n_est["86580"] == n_ref["NVDA"] and n_est["10107"] == n_ref["MSFT"]
    same = crsp.car["ticker"] != "10104"
    np.testing.assert_array_equal(crsp.car.loc[same, "car"], reference.car.loc[same, "car"])
    # Market value on the session before each window: |PRC| x SHROUT x 1000 of that day.
    dsf = pd.read_csv(path, dtype=str)
    dsf["date"] = pd.to_datetime(dsf["date"], format="%Y%m%d")
    dsf["PERMNO"] = dsf["PERMNO"].str.replace(".0", "", regex=False)
    value = dsf.assign(mv=dsf["PRC"].astype(float).abs() * dsf["SHROUT"].astype(float) * 1000.0)
    calendar = pd.DatetimeIndex(sorted(dsf["date"].unique()))
    for row in crsp.car.itertuples():
        previous = calendar[calendar.get_loc(row.day0) + row.tau_start - 1]
        expected = value.loc[(value["PERMNO"] == row.ticker) & (value["date"] == previous), "mv"].item()
        assert row.mcap_prev_usd == expected


# -- an international index as the market -----------------------------------------------------------
def indian_panel(path: Path, *, seed: int = 7) -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    """A wide percent panel (eventstudies' layout) of two NSE stocks and NIFTY on an Indian calendar
    (weekdays less three holidays that are US sessions), with a +5% abnormal return on 2024-10-01."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2023-06-01", "2024-12-31")
    holidays = pd.to_datetime(["2024-01-26", "2024-08-15", "2024-10-02"])  # Republic, Independence, Gandhi
    calendar = days[~days.isin(holidays)]
    market = rng.normal(0.04, 0.9, len(calendar))
    frame = pd.DataFrame({"date": calendar.strftime("%Y-%m-%d"), "^NSEI": market})
    for name, beta in (("HDFC.Bank", 1.1), ("RELIANCE.NS", 0.8)):
        returns = 0.02 + beta * market + rng.normal(0, 1.2, len(calendar))
        frame[name] = returns
    frame.loc[calendar == pd.Timestamp("2024-10-01"), "HDFC.Bank"] += 5.0
    frame.to_csv(path, index=False, float_format="%.17g")
    return calendar, frame


def test_an_international_index_is_the_market(tmp_path) -> None:
    calendar, frame = indian_panel(tmp_path / "nse.csv")
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[tmp_path / "nse.csv"], units="percent")
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline,market\n"
        "split,2024-10-01,pre,HDFC.Bank,splitter,,splits,h,^NSEI\n"
        # announced on Gandhi Jayanti (no NSE session): the previous session, as eventstudies does
        "split2,2024-10-02,pre,RELIANCE.NS,splitter,,splits,h,\n"
    )
    config = dataclasses.replace(
        launch_config(), market="^NSEI", peers=(), estimation_window=(-200, -11), day0_rule="previous"
    )
    results = run_study(events, cache, config)
    car = results.car.set_index(["ticker", "window"])
    assert car.loc[("RELIANCE.NS", "[0,0]"), "day0"] == pd.Timestamp("2024-10-01")
    assert car.loc[("RELIANCE.NS", "[0,0]"), "day0_shift"] == "market holiday: previous session"
    # Oracle: OLS of the stock's decimal returns on NIFTY's over tau in [-200, -11].
    day0 = calendar.get_loc(pd.Timestamp("2024-10-01"))
    for name in ("HDFC.Bank", "RELIANCE.NS"):
        y = frame[name].to_numpy() / 100.0
        x = frame["^NSEI"].to_numpy() / 100.0
        est = slice(day0 - 200, day0 - 10)
        fit = sm.OLS(y[est], sm.add_constant(x[est])).fit()
        row = car.loc[(name, "[0,0]")]
        np.testing.assert_allclose([row.alpha, row.beta], fit.params, rtol=1e-10)
        np.testing.assert_allclose(row.sigma, np.sqrt(fit.scale), rtol=1e-10)
        expected = y[day0] - fit.params[0] - fit.params[1] * x[day0]
        np.testing.assert_allclose(row.car, expected, rtol=1e-10)
    assert car.loc[("HDFC.Bank", "[0,0]"), "car"] > 0.04  # the +5% shows


def test_a_wide_panels_blanks_before_a_listing_are_outside_the_history(tmp_path, capsys) -> None:
    """A wide file has a cell for every id on every date: an id listed later (or delisted earlier)
    has blanks there, which were stored and reported as 170 missing returns, not as the partial
    history its long twin (no rows there) reports; a blank inside the history stays missing."""
    _, frame = indian_panel(tmp_path / "nse.csv")
    frame.loc[:149, "HDFC.Bank"] = np.nan  # listed on the 151st day
    frame.loc[len(frame) - 20 :, "HDFC.Bank"] = np.nan  # delisted 20 days before the file ends
    frame.loc[200, "HDFC.Bank"] = np.nan  # a missing return inside its history
    frame.to_csv(tmp_path / "nse.csv", index=False, float_format="%.17g")
    long = frame.melt(id_vars="date", var_name="id", value_name="ret")
    long = long[long["id"] != "HDFC.Bank"]
    kept = frame.iloc[150 : len(frame) - 20]
    listed = pd.DataFrame({"date": kept["date"], "id": "HDFC.Bank", "ret": kept["HDFC.Bank"]})
    long = pd.concat([long, listed])
    long.to_csv(tmp_path / "long.csv", index=False, float_format="%.17g", na_rep="")
    wide_cache, long_cache = tmp_path / "wide", tmp_path / "long"
    import_paths(PriceStore(wide_cache), [], returns=[tmp_path / "nse.csv"], units="percent")
    import_paths(PriceStore(long_cache), [], returns=[tmp_path / "long.csv"], units="percent")
    stored = PriceStore(wide_cache).read_returns_table("HDFC.Bank").frame
    pd.testing.assert_frame_equal(stored, PriceStore(long_cache).read_returns_table("HDFC.Bank").frame)
    span = tuple(pd.to_datetime(kept["date"].iloc[[0, -1]]))
    assert (stored["date"].iloc[0], stored["date"].iloc[-1]) == span
    assert stored["ret"].isna().sum() == 1
    capsys.readouterr()
    assert main(["validate", "--cache", str(wide_cache), "--market", "^NSEI", "HDFC.Bank"]) == 1
    out = capsys.readouterr().out
    first, last = kept["date"].iloc[0], kept["date"].iloc[-1]
    assert f"HDFC.Bank: partial_history: rows cover {first}..{last}" in out
    assert f"HDFC.Bank: missing_return: 1 blank return(s), first {frame['date'].iloc[200]}" in out


def test_per_event_benchmarks_each_pair_its_own_market(launch_cache, tmp_path) -> None:
    """A mixed sample: each pair's fit is the OLS on its own benchmark; grouped, one batched fit."""
    events = tmp_path / "events.csv"
    lines = ROOT.joinpath("events.csv").read_text().splitlines()
    benchmarks = ["QQQ", "", "SMH", "^GSPC"]
    body = [f"{line},{benchmarks[i % 4]}" for i, line in enumerate(lines[1:])]
    events.write_text("\n".join([lines[0] + ",market", *body]) + "\n")
    config = dataclasses.replace(launch_config(), peers=())
    mixed = run_study(events, launch_cache, config)
    from eventstudy.models import MarketModel

    for k, benchmark in enumerate(("QQQ", "SPY", "SMH", "^GSPC")):
        alone = run_study(ROOT / "events.csv", launch_cache, config, model=MarketModel(benchmark))
        rows = np.repeat(np.arange(len(body)) % 4 == k, len(config.event_windows))
        for column in ("car", "car_se", "t", "alpha", "beta", "sigma", "abnormal_value_usd"):
            np.testing.assert_array_equal(mixed.car.loc[rows, column], alone.car.loc[rows, column], column)
        ar_rows = np.repeat(np.arange(len(body)) % 4 == k, 11)
        np.testing.assert_array_equal(
            mixed.ar.loc[ar_rows, "market_ret"],
            alone.estimates.panel.returns_of(benchmark)[
                mixed.estimates.event_days[np.arange(len(body)) % 4 == k]
            ].ravel(),
        )
    assert mixed.events["market"].tolist()[:4] == benchmarks


def test_per_event_benchmarks_give_each_pair_the_garch_variances_of_its_own_market(
    launch_cache, tmp_path
) -> None:
    """The residuals a GARCH model filters between the estimation window and the event span are
    against the pair's own benchmark too (they were against the study's market)."""
    events = tmp_path / "events.csv"
    lines = ROOT.joinpath("events.csv").read_text().splitlines()
    body = [f"{line},{'QQQ' if i % 2 == 0 else ''}" for i, line in enumerate(lines[1:])]
    events.write_text("\n".join([lines[0] + ",market", *body]) + "\n")
    config = dataclasses.replace(launch_config(), peers=(), variance="garch")
    mixed = run_study(events, launch_cache, config).garch
    from eventstudy.models import MarketModel

    for k, benchmark in enumerate(("QQQ", "SPY")):
        alone = run_study(ROOT / "events.csv", launch_cache, config, model=MarketModel(benchmark)).garch
        assert mixed is not None and alone is not None
        rows = np.repeat(np.arange(len(body)) % 2 == k, 11)
        assert (mixed.loc[rows, "note"] == "").sum() > 100  # fitted pairs are compared
        for column in ("ar", "cond_sd", "sar", "omega", "alpha", "beta"):
            np.testing.assert_array_equal(mixed.loc[rows, column], alone.loc[rows, column], column)


def test_the_backtests_refusal_comes_before_a_weekend_day_0_on_a_cluster_too(launch_as_returns) -> None:
    """run_study refuses a backtest on a returns-only market before it checks day 0 under
    day0_rule = "error"; a cluster raised the partitions' weekend day 0 instead."""
    distributed = pytest.importorskip("distributed")
    from eventstudy.data.events import read_events
    from eventstudy.distributed import run_distributed

    cache, _ = launch_as_returns
    events = read_events(ROOT / "events.csv")
    last = events["event_id"] == events["event_id"].iloc[-1]
    events.loc[last, "announced"] = pd.Timestamp("2025-06-14")  # a Saturday
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), day0_rule="error", peers=())
    assert config.backtest is not None
    with pytest.raises(InputError) as memory:
        run_study(events, cache, config)
    assert memory.value.field == "study.market"
    options = {"n_workers": 1, "threads_per_worker": 1, "processes": False, "dashboard_address": ":0"}
    with distributed.LocalCluster(**options) as local, pytest.raises(InputError) as dask:
        run_distributed(events, cache, config, scheduler=local.scheduler_address, rows_per_partition=10)
    assert str(dask.value) == str(memory.value)


def test_a_per_event_market_needs_a_market_model(launch_cache, tmp_path, capsys) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline,market\n"
        "a,2025-09-09,post,ORCL,supplier,,g,h,\n"
        "b,2025-09-18,pre,NVDA,investor,,g,h,QQQ\n"
    )
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--offline", "--cache", str(launch_cache), "--no-peers"]
    assert main([*args, "--model", "constant_mean", "--out", str(out)]) == 2
    assert f"{events}, row 3, field 'market': 'QQQ': model 'constant_mean' has no market benchmark" in (
        one_line(capsys)
    )
    assert not out.exists()


def test_a_per_event_market_may_not_be_the_sector_proxy(launch_cache, tmp_path, capsys) -> None:
    """model = "sector" with sector SMH and a row's market SMH: the two regressors were one,
    every such pair 'singular_estimation', exit 0 (the config's market equal to the sector is
    refused)."""
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline,market\n"
        "a,2025-09-09,post,ORCL,supplier,,g,h,QQQ\n"
        "b,2025-09-18,pre,NVDA,investor,,g,h,SMH\n"
    )
    config = tmp_path / "study.toml"
    config.write_text('[study]\nname = "s"\nmodel = "sector"\nsector = "SMH"\n')
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--config", str(config), "--offline", "--no-peers"]
    assert main([*args, "--cache", str(launch_cache), "--out", str(out)]) == 2
    line = one_line(capsys)
    assert f"{events}, row 3, field 'market': 'SMH': it is also a regressor of model 'sector'" in line
    assert not out.exists()


# -- a missing return removes that day only; an off-calendar return is compounded ------------------
def test_a_missing_return_removes_one_day_a_missing_price_two(launch_cache, tmp_path) -> None:
    calendar, series = launch_series(launch_cache)
    day = list(calendar).index(pd.Timestamp("2025-09-08"))  # tau = -2 of ORCL's 2025-09-09 (post) event
    returns = series["ORCL"][0].copy()
    returns[day] = np.nan
    path = write_long(
        tmp_path / "r.csv", calendar, {"SPY": series["SPY"], "ORCL": (returns, series["ORCL"][1])}
    )
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-09-09,post,ORCL,s,,g,h\n"
    )
    config = dataclasses.replace(
        launch_config(), peers=(), crosssection=(), event_windows=((-3, -3), (-2, -2), (-1, -1))
    )
    result = run_study(events, cache, config).car.set_index("window")
    assert result.loc["[-2,-2]", "outcome"] == "incomplete_event_window"
    assert result.loc["[-3,-3]", "outcome"] == "ok" and result.loc["[-1,-1]", "outcome"] == "ok"
    assert "no return for tau=-2 (2025-09-08)" in result.loc["[-2,-2]", "note"]
    # The same day's price missing in the price path: tau -2 and tau -1 lose their returns.
    store = PriceStore(tmp_path / "prices")
    for symbol in ("SPY", "ORCL"):
        frame = PriceStore(launch_cache).read_prices(symbol)
        if symbol == "ORCL":
            frame.loc[frame["date"] == pd.Timestamp("2025-09-08"), ["close", "adj_close"]] = np.nan
        store.write_prices(symbol, frame, {"source": "test", "symbol": symbol})
    priced = run_study(events, store, config).car.set_index("window")
    assert priced.loc["[-1,-1]", "outcome"] == "incomplete_event_window"


def test_days_in_cents_are_withheld_from_returns_as_from_prices(launch_cache, tmp_path, capsys) -> None:
    """ORCL's prices with two days quoted at a 60th (a cents mixup), once as prices and once as
    the returns computed from those same prices (-98.3% and +5,900% on each pair of days): the
    price checks withheld the days, the returns file was fitted as it was (a finder: beta 23.7,
    the day-0 t 0.016 against 16.3). Both paths now leave the same returns out, with notes, and
    give the same numbers; a -100% return followed by more returns is withheld too."""
    cents = pd.to_datetime(["2025-05-01", "2025-09-08"])  # in the estimation window; tau = -2
    store = PriceStore(tmp_path / "prices")
    for symbol in ("SPY", "ORCL"):
        frame = PriceStore(launch_cache).read_prices(symbol)
        if symbol == "ORCL":
            frame.loc[frame["date"].isin(cents), ["open", "high", "low", "close", "adj_close"]] /= 60.0
        store.write_prices(symbol, frame, {"source": "test", "symbol": symbol})
    calendar, series = launch_series(tmp_path / "prices")
    ruined = series["ORCL"][0].copy()
    ruined[list(calendar).index(pd.Timestamp("2025-06-02"))] = -1.0
    paths = {
        "cents": write_long(tmp_path / "r.csv", calendar, series, market_cap=False),
        "ruined": write_long(
            tmp_path / "ruined.csv",
            calendar,
            {"SPY": series["SPY"], "ORCL": (ruined, ruined)},
            market_cap=False,
        ),
    }
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-09-09,post,ORCL,s,,g,h\n"
    )
    config = dataclasses.replace(
        launch_config(), peers=(), crosssection=(), event_windows=((-3, -3), (-2, -2), (-1, -1), (0, 0))
    )
    priced = run_study(events, store, config).car.set_index("window")
    cars = {}
    for name, path in paths.items():
        cache = tmp_path / f"cache-{name}"
        import_paths(PriceStore(cache), [], returns=[path], units="decimal")
        cars[name] = run_study(events, cache, config).car.set_index("window")
    returned = cars["cents"]
    columns = ["outcome", "n_est", "car", "t"]
    pd.testing.assert_frame_equal(returned[columns], priced[columns])
    assert list(priced["outcome"]) == ["ok", "absurd_price", "absurd_price", "ok"]
    assert priced.loc["[-2,-2]", "note"].startswith("adj_close of ORCL withheld as absurd on 2025-09-08")
    assert returned.loc["[-2,-2]", "note"].startswith("return of ORCL withheld as absurd on 2025-09-08")
    assert returned.loc["[-1,-1]", "note"].startswith("return of ORCL withheld as absurd on 2025-09-09")
    said = "estimation window: 2 return(s) left out around the absurd"
    assert f"{said} adj_close of 2025-05-01" in priced.loc["[0,0]", "note"]
    assert f"{said} return of 2025-05-01, 2025-05-02" in returned.loc["[0,0]", "note"]
    assert abs(priced.loc["[0,0]", "t"] - 16.3) < 0.1  # the finder's price-path t
    # -100% on 2025-06-02 with returns after it: that day withheld (one return fewer to fit).
    ruin = cars["ruined"]
    assert (ruin["n_est"] == returned["n_est"] - 1).all()
    assert "estimation window: 3 return(s) left out" in ruin.loc["[0,0]", "note"]
    assert main(["validate", "--cache", str(tmp_path / "cache-ruined")]) == 1  # findings listed
    out = capsys.readouterr().out
    assert "ORCL: absurd_ret: 5 simple return(s)" in out
    assert "first 2025-05-01: -0.982768 -> return withheld" in out


@pytest.mark.parametrize(
    ("definition", "value", "beyond"),
    [
        ("simple", -0.98, False),
        ("simple", -0.9801, True),
        ("simple", 49.0, False),
        ("simple", 49.01, True),
        ("log", float(np.log(50.0)) - 1e-9, False),
        ("log", float(np.log(50.0)) + 1e-9, True),
        ("log", -float(np.log(50.0)) - 1e-9, True),
        ("log", -3.0, False),
    ],
)
def test_a_lone_return_beyond_the_bound_is_kept_and_reported(definition, value, beyond) -> None:
    """The bound is the prices' 50 (and 1/50) on the gross return of the series' own definition:
    ``1 + r``, or ``exp(r)`` for log returns (a log return of -3 is a loss of 95%). A return
    beyond it that nothing undoes (a real crash, a delisting return) is kept and reported
    (``extreme_ret``): withheld as a data error, it took the worst outcomes out of a study (a
    referee)."""
    from eventstudy.data.screening import validate_returns

    dates = pd.bdate_range("2025-01-02", periods=3)
    frame = pd.DataFrame({"date": dates, "ret": [0.01, value, 0.0], "market_cap": np.nan})
    issues = validate_returns(frame, dates, ticker="X", definition=definition)
    kinds = {issue.kind: issue for issue in issues}
    assert "absurd_ret" not in kinds and ("extreme_ret" in kinds) == beyond
    if beyond:
        assert kinds["extreme_ret"].dates == ("2025-01-03",) and kinds["extreme_ret"].action == "report"


@pytest.mark.parametrize(
    ("returns", "withheld", "kept"),
    [
        ([0.01, -0.9833, 59.5, 0.02], (1, 2), ()),  # a day at a 60th
        ([0.01, -0.99, 0.003, 99.0, 0.0], (1, 3), ()),  # two days in cents (the move between kept)
        ([0.01, -0.99, 0.01, 0.0], (), (1,)),  # a crash that lasts
        ([0.01, -0.99, 0.0, 0.0, 20.0], (), (1,)),  # a rebound that does not undo it (x21)
        ([0.01, -1.0, 0.01], (1,), ()),  # returns after a total loss
        ([0.01, 0.02, -1.0], (), (2,)),  # a delisting return of -100%, the last
        ([0.01, -1.0, np.nan], (), (1,)),  # the last return, a blank after it
        ([0.01, 60.0, -0.9835, 60.0, 0.0], (1, 2), (3,)),  # each jump paired once
    ],
)
def test_absurd_returns_are_the_pairs_that_undo_each_other(returns, withheld, kept) -> None:
    """``absurd_ret`` withholds the signature of a price in the wrong unit (a jump and a later
    one beyond the other bound, within ten rows, that together come back within 1.5 times) and
    a return after a total loss; every other return beyond the bound is kept (``extreme_ret``)."""
    from eventstudy.data.screening import validate_returns

    dates = pd.bdate_range("2025-01-02", periods=len(returns))
    frame = pd.DataFrame({"date": dates, "ret": returns, "market_cap": np.nan})
    kinds = {issue.kind: issue.dates for issue in validate_returns(frame, dates, ticker="X")}
    iso = [f"{day:%Y-%m-%d}" for day in dates]
    assert kinds.get("absurd_ret", ()) == tuple(iso[i] for i in withheld)
    assert kinds.get("extreme_ret", ()) == tuple(iso[i] for i in kept)


def test_an_absurd_return_dated_off_the_calendar_is_named_where_its_session_loses_it(
    launch_cache, tmp_path
) -> None:
    """A Saturday row of -100% (withheld) leaves Monday's compounded return unknown: the window
    of that Monday said only "no return for tau=-2", with no word of the absurd row, as its date
    is no session (a finder); it is named on the session that loses it."""
    calendar, series = launch_series(launch_cache)
    two = {"SPY": series["SPY"], "ORCL": series["ORCL"]}
    path = write_long(tmp_path / "r.csv", calendar, two, market_cap=False)
    with path.open("a") as file:
        file.write("ORCL,2025-09-06,-1.0\n")  # a Saturday, compounded into Monday 2025-09-08 (tau = -2)
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-09-09,post,ORCL,s,,g,h\n"
    )
    windows = ((-2, -2), (-1, -1))
    config = dataclasses.replace(launch_config(), peers=(), crosssection=(), event_windows=windows)
    car = run_study(events, cache, config).car.set_index("window")
    assert list(car["outcome"]) == ["absurd_price", "ok"]
    assert car.loc["[-2,-2]", "note"].startswith("return of ORCL withheld as absurd on 2025-09-06")


def test_a_return_kept_beyond_the_bound_is_named_in_the_windows_that_hold_it(launch_cache, tmp_path) -> None:
    """A return beyond -98% that nothing undoes is kept (``extreme_ret``), but only validate and
    the manifest said so: a finder's series whose last days were in cents gave a CAR of -101%
    marked ok with no word in any table. Each window and estimation window holding one says so."""
    calendar, series = launch_series(launch_cache)
    returns = series["ORCL"][0].copy()
    for day in ("2025-05-01", "2025-09-08"):  # in the estimation window; tau = -2
        returns[list(calendar).index(pd.Timestamp(day))] = -0.99
    path = write_long(
        tmp_path / "r.csv", calendar, {"SPY": series["SPY"], "ORCL": (returns, returns)}, market_cap=False
    )
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-09-09,post,ORCL,s,,g,h\n"
    )
    windows = ((-2, -2), (0, 0))
    config = dataclasses.replace(launch_config(), peers=(), crosssection=(), event_windows=windows)
    car = run_study(events, cache, config).car.set_index("window")
    assert list(car["outcome"]) == ["ok", "ok"] and car.loc["[-2,-2]", "car"] < -0.9  # kept as given
    kept = "beyond +4,900% or -98% in a day and kept as given (extreme_ret"
    assert f"window holds ORCL's return of 2025-09-08, {kept}" in car.loc["[-2,-2]", "note"]
    assert f"window holds ORCL's return of 2025-09-08, {kept}" not in car.loc["[0,0]", "note"]
    for note in car["note"]:
        assert f"estimation window holds ORCL's return of 2025-05-01, {kept}" in note


def test_a_withheld_return_on_a_returns_markets_first_session_is_counted() -> None:
    """Two absurd returns on the first two sessions of a returns market, in the estimation
    window: the note counted 1 return left out (the first session was taken for a price
    market's, which has no return; a finder)."""
    from eventstudy.data.screening import annotate_withheld

    calendar = pd.bdate_range("2025-01-01", periods=12)
    car = pd.DataFrame(
        {
            "ticker": ["X"],
            "day0": [calendar[10]],
            "tau_start": [0],
            "tau_end": [0],
            "outcome": ["ok"],
            "note": [""],
        }
    )
    withheld = {"X": calendar[:2]}
    out = annotate_withheld(car, calendar, withheld, (-10, -1), {"X": calendar[0]}, returns_series={"X"})
    assert out.loc[0, "note"].startswith("estimation window: 2 return(s) left out")
    priced = annotate_withheld(car, calendar, withheld, (-10, -1), {"X": calendar[0]})
    assert priced.loc[0, "note"].startswith("estimation window: 2 return(s) left out")  # days 1 and 2
    # A row dated before the calendar's first session is no session's: nothing was lost (the
    # note counted one on the first session; a finder).
    early = {"X": pd.DatetimeIndex(["2024-06-14"])}
    out = annotate_withheld(car, calendar, early, (-10, -1), returns_series={"X"})
    pd.testing.assert_frame_equal(out, car)
    # Nor is a return kept beyond the bound there in any window (annotate_extreme placed it on
    # the first session, as annotate_withheld did before; they now share the placing).
    from eventstudy.data.screening import PriceIssue, annotate_extreme

    kept = {"X": [PriceIssue("X", "extreme_ret", ("2024-06-14",), "kept", ("ret",))]}
    assert annotate_extreme(car, calendar, kept, (-10, -1)).loc[0, "note"] == ""
    kept = {"X": [PriceIssue("X", "extreme_ret", (f"{calendar[0]:%Y-%m-%d}",), "kept", ("ret",))]}
    noted = annotate_extreme(car, calendar, kept, (-10, -1)).loc[0, "note"]
    assert "estimation window holds X's return of" in noted


def test_a_market_cap_of_0_gives_no_dollar_value_and_the_note_says_so(launch_cache, tmp_path) -> None:
    """A market_cap of 0 on the day before the window is stored as none: no dollar value, and the
    note says the file gave 0 there (it said the file gives no market_cap)."""
    calendar, series = launch_series(launch_cache)
    values = series["ORCL"][1].copy()
    values[list(calendar).index(pd.Timestamp("2025-09-09"))] = 0.0  # 2025-09-09 (post): day 0 is 09-10
    orcl = (series["ORCL"][0], values)
    path = write_long(tmp_path / "r.csv", calendar, {"SPY": series["SPY"], "ORCL": orcl})
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-09-09,post,ORCL,s,,g,h\n"
    )
    config = dataclasses.replace(launch_config(), peers=(), crosssection=(), event_windows=((0, 0), (1, 1)))
    car = run_study(events, cache, config).car.set_index("window")
    assert np.isnan(car.loc["[0,0]", "mcap_prev_usd"]) and car.loc["[0,0]", "outcome"] == "ok"
    assert car.loc["[0,0]", "note"] == (
        "no market value for ORCL in its returns file on a day before the window (from 2025-09-09): the "
        "file gives no market_cap (or shrout and prc) there, or one of 0; no deal size (deal_usd blank)"
    )
    day_0 = list(calendar).index(pd.Timestamp("2025-09-10"))
    assert car.loc["[+1,+1]", "mcap_prev_usd"] == pytest.approx(values[day_0])  # the next day's value is used


def test_a_market_value_from_the_returns_file_has_no_share_count_note(launch_cache, tmp_path) -> None:
    """Every valued row of a returns panel with market_cap said 'shares: the count changes inside
    the window', [0,0] too: the panel has no share count (NaN), and NaN != NaN."""
    calendar, series = launch_series(launch_cache)
    path = write_long(tmp_path / "r.csv", calendar, {"SPY": series["SPY"], "ORCL": series["ORCL"]})
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\ne,2025-09-09,post,ORCL,s,3e11,g,h\n"
    )
    config = dataclasses.replace(launch_config(), peers=(), crosssection=(), event_windows=((0, 0), (-1, 1)))
    car = run_study(events, cache, config).car.set_index("window")
    day_0 = list(calendar).index(pd.Timestamp("2025-09-10"))
    assert car.loc["[0,0]", "mcap_prev_usd"] == pytest.approx(series["ORCL"][1][day_0 - 1])
    assert car["note"].tolist() == ["", ""]
    assert car["shares_outstanding"].isna().all()


def test_an_off_calendar_return_is_compounded_as_its_price_would_be(launch_cache, tmp_path) -> None:
    store = PriceStore(launch_cache)
    spy = store.read_prices("SPY")
    nvda = store.read_prices("NVDA")
    saturday = pd.Timestamp("2025-06-07")
    extra = nvda[nvda["date"] == pd.Timestamp("2025-06-06")].assign(date=saturday)
    extra[["close", "adj_close"]] *= 1.03
    moved = pd.concat([nvda, extra]).sort_values("date", ignore_index=True)
    prices = PriceStore(tmp_path / "prices")
    prices.write_prices("SPY", spy, {"source": "test", "symbol": "SPY"})
    prices.write_prices("NVDA", moved, {"source": "test", "symbol": "NVDA"})
    # The returns of the same prices, one per row (the Saturday included), in a returns file.
    adj = moved["adj_close"].to_numpy()
    returns = np.append(np.nan, adj[1:] / adj[:-1] - 1.0)
    path = tmp_path / "nvda.csv"
    pd.DataFrame({"id": "NVDA", "date": moved["date"].dt.strftime("%Y-%m-%d"), "ret": text(returns)}).to_csv(
        path, index=False
    )
    cache = tmp_path / "cache"
    import_paths(PriceStore(cache), [], returns=[path], units="decimal")
    PriceStore(cache).write_prices("SPY", spy, {"source": "test", "symbol": "SPY"})
    from eventstudy.timeline.returns import ReturnSeries, build_panel

    by_price = build_panel({"SPY": spy, "NVDA": moved}, "SPY").returns_of("NVDA")
    frame = PriceStore(cache).read_returns_table("NVDA").frame
    by_return = build_panel({"SPY": spy}, "SPY", returns={"NVDA": ReturnSeries(frame)}).returns_of("NVDA")
    monday = list(pd.DatetimeIndex(spy["date"])).index(pd.Timestamp("2025-06-09"))
    np.testing.assert_allclose(by_return[monday], by_price[monday], rtol=1e-14)
    assert abs(by_return[monday] - (returns[moved["date"] == pd.Timestamp("2025-06-09")][0])) > 0.01
    np.testing.assert_allclose(by_return[1:], by_price[1:], rtol=1e-13)


def test_a_day_the_returns_market_lacks_is_never_bridged(launch_cache, tmp_path) -> None:
    """SPY's returns file without its row of Monday 2025-06-02 (a session: NVDA has one). The
    calendar is the market's rows, so NVDA's 06-02 return used to be compounded into 06-03
    against SPY's one-day 06-03 return: day 0 of an intraday 06-02 event moved to 06-03 with an
    AR of 3.23% (0.40% with SPY's row). A price market's missing day is no session and its
    next return spans both days; a returns market's may be a gap in its file, so NVDA's 06-03
    return is withheld, from its returns and from its prices alike, and nothing else changes."""
    calendar, series = launch_series(launch_cache)
    full = write_long(tmp_path / "full.csv", calendar, {s: series[s] for s in ("SPY", "NVDA")})
    lines = full.read_text().splitlines(keepends=True)
    holed = tmp_path / "holed.csv"
    holed.write_text("".join(line for line in lines if not line.startswith("SPY,2025-06-02,")))
    assert len(holed.read_text().splitlines()) == len(lines) - 1
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"
        "e,2025-06-02,intraday,NVDA,s,,g,h\nlater,2025-07-15,intraday,NVDA,s,,g,h\n"
    )
    config = dataclasses.replace(launch_config(), peers=(), crosssection=(), event_windows=((0, 0), (-1, 1)))
    cars = {}
    for name, path in (("full", full), ("holed", holed)):
        cache = tmp_path / f"cache-{name}"
        import_paths(PriceStore(cache), [], returns=[path], units="decimal")
        cars[name] = run_study(events, cache, config).car.set_index(["event_id", "window"])
    holed_day0 = cars["holed"].loc[("e", "[0,0]")]
    assert holed_day0["day0"] == pd.Timestamp("2025-06-03")  # no SPY session on 06-02: the next
    assert holed_day0["outcome"] != "ok" and np.isnan(holed_day0["car"])
    assert cars["full"].loc[("e", "[0,0]"), "outcome"] == "ok"
    # An event whose estimation window holds the hole: its own window is whole, and its
    # estimation has one valid day less (NVDA's 06-03: SPY's calendar has no 06-02).
    later_full, later_holed = cars["full"].loc[("later", "[0,0]")], cars["holed"].loc[("later", "[0,0]")]
    assert later_holed["outcome"] == "ok" and later_holed["n_est"] == later_full["n_est"] - 1
    # NVDA from its prices, SPY from the holed returns file: the same withheld session.
    from eventstudy.timeline.returns import ReturnSeries, build_panel

    spy = PriceStore(tmp_path / "cache-holed").read_returns_table("SPY").frame
    nvda = PriceStore(launch_cache).read_prices("NVDA")
    panel = build_panel({"NVDA": nvda}, "SPY", returns={"SPY": ReturnSeries(spy)})
    day = list(panel.calendar).index(pd.Timestamp("2025-06-03"))
    assert np.isnan(panel.returns_of("NVDA")[day]) and np.isfinite(panel.returns_of("SPY")[day])
    assert np.isfinite(panel.returns_of("NVDA")[[day - 1, day + 1]]).all()


# -- bad input: one line naming file, row and field; exit 2; nothing written ------------------------
BAD_RETURNS = [
    (
        "id,date,ret\nA,2024-01-02,1.5\n",
        None,
        None,
        "field 'units': the units of its values are not declared",
    ),
    (
        "id,date,ret\nHDFC.Bank,2024-01-02,1\nHDFC.BANK,2024-01-03,1\n",
        "percent",
        (3, "id"),
        "'HDFC.BANK' and 'HDFC.Bank' differ only in case",
    ),
    (
        "id,date,ret\nA,2024-01-02,1\nB,2024-01-02,2\nA,2024-01-02,3\n",
        "percent",
        (4, "date"),
        "duplicate (id, date)",
    ),
    (
        "permno,date,ret\n10107,20240102,0.01\n10107.0,20240102,0.02\n",
        "decimal",
        (3, "date"),
        "duplicate (permno, date)",
    ),
    (  # PERMNOs of a float column under an id header: one firm was two series (a finder)
        "id,date,ret\n10107,2024-01-02,0.01\n10107,2024-01-03,0.02\n10107.0,2024-01-04,0.01\n",
        "decimal",
        (4, "id"),
        "'10107.0' and '10107' are one number written two ways (a column of floats?)",
    ),
    ("date,10107,10107.00\n2024-01-02,1,2\n", "percent", (1, "10107.00"), "are one number written two ways"),
    ("id,date,ret\nA,2024-01-02,-1.2\n", "decimal", (2, "ret"), "simple return below -100%"),
    ("id,date,ret\nA,2024-01-02,-100.5\n", "percent", (2, "ret"), "simple return below -100%"),
    ("date,HDFC.Bank,HDFC.BANK\n2024-01-02,1,2\n", "percent", (1, "HDFC.BANK"), "differ only in case"),
    ("date,A\n2024-01-02,1\n2024-01-02,2\n", "percent", (3, "date"), "duplicate date 2024-01-02"),
    ("id,date,ret\nA,2024-13-02,1\n", "percent", (2, "date"), "is not a date"),
    ("id,date,ret\nA B,2024-01-02,1\n", "percent", (2, "id"), "'A B' is not a ticker symbol"),
    ("id,date,ret\nA,2024-01-02,inf\n", "percent", (2, "ret"), "is not a finite number"),
    ("id,date,ret,market_cap\nA,2024-01-02,1,-5\n", "percent", (2, "market_cap"), "is negative"),
    ("permno,date,ret,shrout,prc,market_cap\n1,20240102,0.1,1,1,1\n", "decimal", (1, "market_cap"), "once"),
]


def test_codes_with_leading_zeros_are_other_ids_than_the_number(tmp_path) -> None:
    """Shenzhen's 000001 is not the id 1: only a float's decimals make two spellings of one id,
    in one file or across imports (10107 cached, then 10107.0: two series of one firm; a finder)."""
    path = tmp_path / "codes.csv"
    path.write_text("id,date,ret\n000001,2024-01-02,0.01\n1,2024-01-03,0.02\n10107,2024-01-03,0.02\n")
    store = PriceStore(tmp_path / "cache")
    import_paths(store, [], returns=[path], units="decimal")
    assert sorted(store.symbols("returns")) == ["000001", "1", "10107"]
    floats = tmp_path / "floats.csv"
    floats.write_text("id,date,ret\n10107.0,2024-01-04,0.01\n")
    with pytest.raises(InputError) as raised:
        import_paths(store, [], returns=[floats], units="decimal")
    assert str(raised.value) == (
        f"{floats}, row 2, field 'id': '10107.0' and '10107' are one number written two ways (a column of "
        "floats?): write the ids alike, or name the column PERMNO for CRSP's ids; 10107 has returns in the "
        "cache"
    )
    assert sorted(store.symbols("returns")) == ["000001", "1", "10107"]
    # share counts of 10107.0 would attach to no row of 10107 (a finder's second re-attack)
    counts = tmp_path / "shares_outstanding.csv"
    counts.write_text(
        "ticker,as_of,shares_outstanding,filing,source\n"
        "A,2024-01-02,7400000000,10-Q,x\n10107.0,2024-01-02,7400000000,10-Q,x\n"
    )
    with pytest.raises(InputError, match=r"'10107\.0' and '10107' are one number written two ways") as raised:
        import_paths(store, [counts])
    assert str(raised.value).startswith(f"{counts}, row 3, field 'ticker': ")  # the row naming it
    assert store.symbols("shares") == []
    releases = tmp_path / "earnings.csv"  # and a release of it, its first row in the file named
    releases.write_text("ticker,announced,timing\nA,2024-01-02,pre\n10107.0,2024-02-02,post\n10107.0,2024-01-09,pre\n")
    with pytest.raises(InputError, match="one number written two ways") as raised:
        import_paths(store, [releases])
    assert str(raised.value).startswith(f"{releases}, row 3, field 'ticker': ")
    assert store.symbols("earnings") == []
    import_paths(store, [], returns=[path], units="decimal")  # the same ids again: replaced


@pytest.mark.parametrize(("body", "units", "where", "words"), BAD_RETURNS)
def test_bad_returns_files_exit_2_with_one_line(tmp_path, capsys, body, units, where, words) -> None:
    path = tmp_path / "returns.csv"
    path.write_text(body)
    cache = tmp_path / "cache"
    good = tmp_path / "good.csv"
    good.write_text("id,date,ret\nGOOD,2024-01-02,1\n")
    args = ["cache", "import", "--returns", str(good), "--returns", str(path), "--cache", str(cache)]
    assert main([*args, *(["--units", units] if units else [])]) == 2
    err = one_line(capsys)
    if where is None:
        assert err.startswith(f"eventstudy: error: {good}") and words in err, err
    else:
        row, field = where
        assert f"{path}, row {row}, field '{field}': " in err and words in err, err
    assert not cache.exists()  # nothing imported, not even the good file given first


def test_ids_that_collide_with_the_cache_or_the_other_kind_are_refused(tmp_path, capsys) -> None:
    cache = tmp_path / "cache"
    first = tmp_path / "a.csv"
    first.write_text("id,date,ret\nHDFC.Bank,2024-01-02,1\n")
    assert (
        main(["cache", "import", "--returns", str(first), "--units", "percent", "--cache", str(cache)]) == 0
    )
    before = snapshot(cache)
    twin = tmp_path / "b.csv"
    twin.write_text("date,HDFC.BANK\n2024-01-02,1\n")
    assert main(["cache", "import", "--returns", str(twin), "--units", "percent", "--cache", str(cache)]) == 2
    assert "differ only in case" in one_line(capsys) and snapshot(cache) == before
    prices = tmp_path / "HDFC.Bank.csv"
    prices.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,1,1,1,1,1\n")
    assert main(["cache", "import", str(prices), "--cache", str(cache)]) == 2
    assert "already has returns in the cache" in one_line(capsys) and snapshot(cache) == before
    # re-importing the same id's returns replaces them
    assert (
        main(["cache", "import", "--returns", str(first), "--units", "percent", "--cache", str(cache)]) == 0
    )


def test_a_per_event_market_not_in_the_cache_is_named_by_row(launch_cache, tmp_path, capsys) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline,market\n"
        "a,2025-09-09,post,ORCL,supplier,,g,h,\n"
        "b,2025-09-18,pre,NVDA,investor,,g,h,^NSEI\n"
    )
    out = tmp_path / "out"
    args = ["run", "--events", str(events), "--offline", "--cache", str(launch_cache), "--no-peers"]
    assert main([*args, "--out", str(out)]) == 2
    err = one_line(capsys)
    assert f"{events}, row 3, field 'market': no cached prices or returns for '^NSEI'" in err
    assert not out.exists()


def test_a_bad_per_event_market_is_an_events_error(tmp_path) -> None:
    from eventstudy.data.events import read_events

    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,announced,timing,ticker,role,deal_usd,group,headline,market\n"
        "a,2025-09-09,post,ORCL,supplier,,g,h,S&P 500\n"
    )
    with pytest.raises(InputError, match=r"row 2, field 'market': 'S&P 500' is not a ticker symbol"):
        read_events(events)
    events.write_text(events.read_text().replace("S&P 500", ""))
    assert read_events(events)["market"].tolist() == [""]


@pytest.mark.parametrize(
    ("units", "cells", "expected"),
    [
        ("decimal", ["-44", "-0.445"], [np.nan, -0.445]),  # -44 in decimal (-4400%): CRSP's code
        ("percent", ["-44", "-44.5"], [-0.44, -0.445]),  # -44%: a return, not a code
        ("percent", ["-4400", "-44.5"], [np.nan, -0.445]),  # the code, in percent
    ],
)
def test_crsp_missing_codes_are_decimal_returns_whatever_the_units(tmp_path, units, cells, expected) -> None:
    """A real -44% return of a percent file was read as CRSP's code -44 (found by an independent
    re-derivation): the codes are decimal returns of -4400% and less."""
    path = tmp_path / "crsp.csv"
    path.write_text("PERMNO,date,RET\n" + "".join(f"10107,2024010{3 + i},{c}\n" for i, c in enumerate(cells)))
    root = tmp_path / "cache"
    assert main(["cache", "import", "--returns", str(path), "--units", units, "--cache", str(root)]) == 0
    stored = PriceStore(root).read_returns_table("10107").frame
    np.testing.assert_allclose(stored["ret"].to_numpy(float), expected, rtol=1e-15)


def test_a_returns_markets_holiday_is_bridged_for_other_exchanges_and_weekends() -> None:
    """Only a series of the market's own exchange trading on a weekday the market lacks shows a
    gap in the market's file. A foreign listing's row on that day (its exchange open on the
    market's holiday) and a Saturday row are compounded into the next session, as their prices
    would be: the market's next return spans the holiday too. (The first version of the gap
    rule withheld them all: the day after every holiday, and every Monday of a file with
    weekend rows.)"""
    from eventstudy.timeline.returns import ReturnSeries, build_panel

    days = pd.to_datetime(["2024-07-02", "2024-07-03", "2024-07-05", "2024-07-08"])  # no 07-04
    market = pd.DataFrame({"date": days, "ret": [0.001, 0.002, 0.003, 0.004], "market_cap": np.nan})
    with_holiday = days.append(pd.to_datetime(["2024-07-04", "2024-07-06"])).sort_values()
    rets = [0.01, 0.02, 0.05, 0.03, 0.07, 0.04]  # 07-02, 07-03, 07-04, 07-05, 07-06 (Sat), 07-08

    def series(symbol: str) -> np.ndarray:
        frame = pd.DataFrame({"date": with_holiday, "ret": rets, "market_cap": np.nan})
        panel = build_panel({}, "SPY", returns={"SPY": ReturnSeries(market), symbol: ReturnSeries(frame)})
        return panel.returns_of(symbol)

    foreign = series("7203.T")
    np.testing.assert_allclose(foreign, [0.01, 0.02, 1.05 * 1.03 - 1, 1.07 * 1.04 - 1], rtol=1e-15)
    same = series("NVDA")  # 07-04 is a weekday gap for its exchange: 07-05 withheld; Saturday bridged
    assert np.isnan(same[2])
    np.testing.assert_allclose(same[[0, 1, 3]], [0.01, 0.02, 1.07 * 1.04 - 1], rtol=1e-15)
    # Series of no exchange trade on New York's holidays: their 07-05 return was withheld as if
    # SPY's file had a gap (review of 516e392); a US share class is a listing like NVDA.
    for symbol in ("BTC-USD", "EURUSD=X", "ES=F"):
        np.testing.assert_allclose(series(symbol), foreign, rtol=1e-15, err_msg=symbol)
    assert np.isnan(series("BRK-B")[2])


def test_an_index_as_the_returns_market_names_no_exchange_so_nothing_is_withheld() -> None:
    """^N225's returns file lacks a Tokyo holiday on which NVDA traded (Marine Day, NYSE open):
    NVDA's return was withheld as if the Nikkei file had a gap. An index names no exchange, so
    every series is compounded across its missing weekdays, as across a price market's."""
    from eventstudy.timeline.returns import ReturnSeries, build_panel

    days = pd.to_datetime(["2024-07-12", "2024-07-16"])  # no 2024-07-15, Marine Day
    market = pd.DataFrame({"date": days, "ret": [0.001, 0.002], "market_cap": np.nan})
    traded = pd.to_datetime(["2024-07-12", "2024-07-15", "2024-07-16"])
    nvda = pd.DataFrame({"date": traded, "ret": [0.01, 0.02, 0.03], "market_cap": np.nan})
    series = {"^N225": ReturnSeries(market), "NVDA": ReturnSeries(nvda)}
    panel = build_panel({}, "^N225", returns=series)
    np.testing.assert_allclose(panel.returns_of("NVDA"), [0.01, 1.02 * 1.03 - 1], rtol=1e-15)

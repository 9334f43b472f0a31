"""The README's "Bring your own data" section runs as written, and gives the numbers it promises.

Every fenced block of the section is used: the shell commands are run in order through
``eventstudy.cli.main`` in a temporary folder holding the files they name (written here: a wide
percent panel of NSE stocks and indices, a WRDS-style CRSP file, an estudy2-style log-return
panel, an AR panel and its estimation residuals), the events.csv and study.toml blocks are
written from the README itself, the Python block is executed, and the ``infer`` synopsis is
checked against ``eventstudy infer --help``. A block of another kind, or a command this test
does not check, fails the test: the README holds no recipe that is not exercised.

Known answers: a percent return of 1.5 is stored as 0.015 and every value as written / 100; a
CRSP market value is |PRC| x SHROUT x 1000 and CRSP's missing-return codes are missing; log
returns are stored as given; each pair's market model is statsmodels' OLS on its own benchmark
over every session up to tau = -11; day 0 of an announcement on an NSE holiday is the previous
session; a missing return at tau = +1 drops the row from every window; infer's CAAR, t and
Patell Z are the hand formulas, and a statistic the panel cannot supply says what it needs.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.cli import main
from eventstudy.data.store import PriceStore

ROOT = Path(__file__).resolve().parents[1]
TITLE = "## Bring your own data"
NSE_HOLIDAYS = ("2024-01-26", "2024-08-15", "2024-10-02")  # Republic Day, Independence Day, Gandhi Jayanti


def section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(TITLE + "\n")
    end = text.index("\n## ", start + len(TITLE))
    return text[start:end]


def fenced(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced block, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```\s*$", text, flags=re.M | re.S)


def nse_panel(path: Path) -> pd.DataFrame:
    """A wide percent panel (eventstudies' layout) on an NSE calendar: two stocks, NIFTY and Bank
    NIFTY; HDFC.Bank's first return is 1.5 and its return on 2024-11-19 is missing."""
    rng = np.random.default_rng(2024)
    days = pd.bdate_range("2023-06-01", "2024-12-31")
    calendar = days[~days.isin(pd.to_datetime(NSE_HOLIDAYS))]
    nifty = rng.normal(0.05, 0.8, len(calendar))
    bank = 0.9 * nifty + rng.normal(0, 0.6, len(calendar))
    series = {
        "HDFC.Bank": 0.03 + 1.1 * bank + rng.normal(0, 1.0, len(calendar)),
        "RELIANCE.NS": 0.02 + 0.9 * nifty + rng.normal(0, 1.1, len(calendar)),
        "^NSEI": nifty,
        "^NSEBANK": bank,
    }
    frame = pd.DataFrame({"date": calendar.strftime("%Y-%m-%d")})
    for name, values in series.items():
        frame[name] = [f"{v:.6f}" for v in values]
    frame.loc[0, "HDFC.Bank"] = "1.5"
    frame.loc[frame["date"] == "2024-11-19", "HDFC.Bank"] = ""
    frame.to_csv(path, index=False)
    return frame


def crsp_file(path: Path) -> pd.DataFrame:
    """A WRDS export of CRSP's daily stock file: PERMNOs 84398 and 10107 (one spelled 10107.0),
    negative (bid/ask) prices, the missing-return codes C and -99, and a TICKER column."""
    frame = pd.DataFrame(
        {
            "PERMNO": ["84398", "84398", "84398", "10107.0", "10107", "10107"],
            "date": ["20240102", "20240103", "20240104", "20240102", "20240103", "20240104"],
            "RET": ["C", "0.012", "-0.004", "-0.99", "-99", "0.0315"],
            "SHROUT": ["1000000", "1000000", "1005000", "7432000", "7432000", "7432000"],
            "PRC": ["472.65", "-468.79", "467.28", "-370.87", "370.6", "367.94"],
            "TICKER": ["SPY", "SPY", "SPY", "MSFT", "MSFT", "MSFT"],
        }
    )
    frame.to_csv(path, index=False)
    return frame


def estudy2_file(path: Path) -> pd.DataFrame:
    """Continuously compounded returns in decimal units, estudy2's ``rates`` written to CSV."""
    frame = pd.DataFrame(
        {
            "date": ["2020-03-16", "2020-03-17", "2020-03-18"],
            "AMZN": ["-0.05515451", "0.05285537", "-0.02193106"],
            "^GSPC": ["-0.12765219", "0.05820036", "-0.05317003"],
        }
    )
    frame.to_csv(path, index=False)
    return frame


def ar_panels(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An AR panel in percent (8 pairs, tau -1..+1) and its estimation residuals (tau -120..-11)."""
    rng = np.random.default_rng(5)
    pairs = [(f"e{i}", f"F{i}") for i in range(8)]
    ar = pd.DataFrame(
        [
            {"event_id": e, "id": i, "tau": t, "ar": f"{rng.normal(0.8 if t == 0 else 0.0, 1.5):.4f}"}
            for e, i in pairs
            for t in (-1, 0, 1)
        ]
    )
    residuals = pd.DataFrame(
        [
            {"event_id": e, "id": i, "tau": t, "ar": f"{rng.normal(0.0, 1.0 + k / 4):.4f}"}
            for k, (e, i) in enumerate(pairs)
            for t in range(-120 - k, -10)  # unequal estimation lengths
        ]
    )
    ar.to_csv(folder / "ar.csv", index=False)
    residuals.to_csv(folder / "residuals.csv", index=False)
    return ar, residuals


def ols_row(y: np.ndarray, x: np.ndarray, day0: int) -> tuple[float, float, float, int]:
    """alpha, beta and the day-0 AR of the market model fitted over every session up to tau = -11."""
    est = slice(0, day0 - 10)
    keep = np.isfinite(y[est]) & np.isfinite(x[est])
    fit = sm.OLS(y[est][keep], sm.add_constant(x[est][keep])).fit()
    alpha, beta = fit.params
    return alpha, beta, y[day0] - alpha - beta * x[day0], int(keep.sum())


@pytest.fixture(scope="module")
def byod(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run every block of the section once, in a fresh folder; return what was written and printed."""
    blocks = fenced(section())
    kinds = [language for language, _ in blocks]
    assert kinds == ["bash", "csv", "toml", "", "bash", "python"], kinds  # a new block needs a check here
    folder = tmp_path_factory.mktemp("byod")
    written = {
        "nse": nse_panel(folder / "nse.csv"),
        "dsf": crsp_file(folder / "dsf.csv"),
        "log": estudy2_file(folder / "input_log_returns.csv"),
    }
    written["ar"], written["residuals"] = ar_panels(folder)
    (folder / "events.csv").write_text(blocks[1][1])
    (folder / "study.toml").write_text(blocks[2][1])
    printed = []
    commands = [shlex.split(line) for kind, body in blocks if kind == "bash" for line in body.splitlines()]
    namespace: dict = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for argv in commands:
            assert argv[0] == ".venv/bin/eventstudy", argv
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = main(argv[1:])
            assert status == 0 and err.getvalue() == "", (argv, err.getvalue())
            printed.append((argv[1:], out.getvalue()))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(blocks[5][1], "README.md (Bring your own data)", "exec"), namespace)
        printed.append((["python"], out.getvalue()))
    return {
        "blocks": blocks,
        "commands": [argv[1:] for argv in commands],
        "printed": printed,
        "written": written,
        "python": namespace,
        "folder": folder,
    }


def test_every_command_of_the_section_is_checked(byod) -> None:
    """The commands this test checks, in order; a recipe added to the README must be added here."""
    assert [argv[:2] for argv in byod["commands"]] == [
        ["cache", "import"],
        ["cache", "import"],
        ["cache", "import"],
        ["run", "--events"],
        ["infer", "--ar"],
        ["infer", "--ar"],
    ]


def test_a_percent_panel_is_stored_in_decimal(byod) -> None:
    nse = byod["written"]["nse"]
    store = PriceStore(byod["folder"] / "cache")
    hdfc = store.read_returns_table("HDFC.Bank")
    assert hdfc.frame["ret"].iloc[0] == 0.015  # 1.5 percent
    for name in ("HDFC.Bank", "RELIANCE.NS", "^NSEI", "^NSEBANK"):
        written = pd.to_numeric(nse[name].replace("", np.nan)).to_numpy()
        np.testing.assert_array_equal(store.read_returns_table(name).frame["ret"], written / 100.0)
    assert hdfc.provenance["units"] == "percent" and hdfc.provenance["layout"] == "wide"
    assert np.isnan(hdfc.frame.set_index("date").loc["2024-11-19", "ret"])


def test_a_crsp_file_gives_crsp_market_values_and_missing_codes(byod) -> None:
    dsf = byod["written"]["dsf"]
    store = PriceStore(byod["folder"] / "cache")
    for permno in ("84398", "10107"):
        table = store.read_returns_table(permno)
        rows = dsf[dsf["PERMNO"].str.replace(".0", "", regex=False) == permno]
        value = rows["PRC"].astype(float).abs().to_numpy() * rows["SHROUT"].astype(float).to_numpy() * 1000.0
        np.testing.assert_array_equal(table.frame["market_cap"], value)
        assert table.provenance["layout"] == "crsp" and table.provenance["ignored_columns"] == ["TICKER"]
    spy = store.read_returns_table("84398")
    np.testing.assert_array_equal(spy.frame["ret"], [np.nan, 0.012, -0.004])  # C: no return
    assert spy.frame["market_cap"].iloc[1] == 468.79 * 1_000_000 * 1000  # PRC < 0: a bid/ask average
    msft = store.read_returns_table("10107")
    np.testing.assert_array_equal(msft.frame["ret"], [-0.99, np.nan, 0.0315])  # -99: a missing code
    assert spy.provenance["missing_codes"] == 1 and msft.provenance["missing_codes"] == 1


def test_log_returns_are_stored_as_given(byod) -> None:
    store = PriceStore(byod["folder"] / "estudy2-cache")
    amzn = store.read_returns_table("AMZN")
    np.testing.assert_array_equal(amzn.frame["ret"], byod["written"]["log"]["AMZN"].astype(float))
    assert amzn.provenance["definition"] == "log" and store.symbols("returns") == ["AMZN", "^GSPC"]


def test_the_study_follows_the_documented_conventions(byod) -> None:
    out = byod["folder"] / "reports" / "nse-splits"
    car = pd.read_parquet(out / "car.parquet").set_index(["event_id", "window"])
    ar = pd.read_parquet(out / "ar.parquet")
    nse = byod["written"]["nse"]
    calendar = pd.DatetimeIndex(nse["date"])
    returns = {
        name: pd.to_numeric(nse[name].replace("", np.nan)).to_numpy() / 100.0 for name in nse.columns[1:]
    }
    # day0_rule = "previous": announced on Gandhi Jayanti, day 0 is the session before
    reliance = car.loc[("ril-bonus", "[0,0]")]
    assert reliance["day0"] == pd.Timestamp("2024-10-01")
    assert reliance["day0_shift"] == "market holiday: previous session"
    # each row's own benchmark (blank: the study's ^NSEI), over every session up to tau = -11
    for event, ticker, market in (
        ("hdfc-split", "HDFC.Bank", "^NSEBANK"),
        ("ril-bonus", "RELIANCE.NS", "^NSEI"),
    ):
        row = car.loc[(event, "[0,0]")]
        day0 = calendar.get_loc(row["day0"])
        alpha, beta, ar0, n = ols_row(returns[ticker], returns[market], day0)
        np.testing.assert_allclose([row["alpha"], row["beta"], row["car"]], [alpha, beta, ar0], rtol=1e-10)
        assert row["n_est"] == n and row["outcome"] == "ok"
        days = ar[ar["event_id"] == event].sort_values("tau")
        np.testing.assert_array_equal(days["market_ret"], returns[market][day0 - 1 : day0 + 2])
    # missing_returns = "drop_event": the blank return at tau = +1 drops the row from [0,0] too
    bonus = car.loc["hdfc-bonus"]
    assert (bonus["outcome"] == "incomplete_event_window").all() and bonus["car"].isna().all()
    assert "no abnormal return on tau=+1 of the event span [-1,+1]" in bonus["note"].iloc[0]
    # the report states the conventions it ran with
    report = (out / "report.md").read_text()
    assert "on a weekend or holiday, the last session before the date (day0_rule = previous)" in report
    assert "estimated over every session of the data up to τ = -11" in report


def test_infer_gives_the_hand_formulas_and_names_what_it_cannot_compute(byod) -> None:
    ar = byod["written"]["ar"].assign(ar=lambda f: f["ar"].astype(float) / 100.0)
    day0 = ar[ar["tau"] == 0]["ar"].to_numpy()
    window = ar.groupby("id", sort=False)["ar"].sum().to_numpy()
    table = pd.read_csv(byod["folder"] / "stats.csv").set_index(["window", "statistic"])
    np.testing.assert_allclose(table.loc[("[0,0]", "caar"), "value"], day0.mean(), rtol=1e-12)
    np.testing.assert_allclose(table.loc[("[-1,+1]", "caar"), "value"], window.mean(), rtol=1e-12)
    expected = stats.ttest_1samp(day0, 0.0)
    np.testing.assert_allclose(
        table.loc[("[0,0]", "cross_sectional_t"), ["value", "p"]],
        [expected.statistic, expected.pvalue],
        rtol=1e-10,
    )
    patell = table.loc[("[0,0]", "patell_z")]
    assert np.isnan(patell["value"]) and np.isnan(patell["p"]) and patell["n"] == 0
    assert patell["reference"].startswith("not computable from this panel: needs estimation-window residuals")
    _, first = byod["printed"][4]
    assert re.search(r"\n  patell_z +not computable: needs estimation-window residuals", first)
    assert "wrote stats.csv" in first
    # with the residuals and k = 2: sigma_i^2 = SSR_i / (M_i - 2), C = 1
    residuals = byod["written"]["residuals"].assign(ar=lambda f: f["ar"].astype(float) / 100.0)
    grouped = residuals.groupby("id", sort=False)["ar"]
    dof = grouped.size().to_numpy() - 2
    sigma = np.sqrt(grouped.apply(lambda e: (e**2).sum()).to_numpy() / dof)
    z = (day0 / sigma).sum() / np.sqrt((dof / (dof - 2.0)).sum())
    _, second = byod["printed"][5]
    shown = re.search(r"\n  patell_z +(\S+) +p = ", second)
    assert shown is not None and float(shown.group(1)) == pytest.approx(z, rel=1e-5)  # printed to 6 digits


def test_the_python_example_agrees_with_the_command_and_its_comment(byod) -> None:
    results = byod["python"]["results"]
    table = pd.read_csv(byod["folder"] / "stats.csv")
    pd.testing.assert_frame_equal(
        results.stats.reset_index(drop=True)[["group", "window", "statistic", "n"]],
        table[["group", "window", "statistic", "n"]],
    )
    np.testing.assert_allclose(results.stats["value"], table["value"], rtol=1e-12, equal_nan=True)
    code = byod["blocks"][5][1]
    claimed = ast.literal_eval(re.search(r"results\.computable +# (\[.*\])", code).group(1))
    assert results.computable == claimed
    assert byod["printed"][-1][1].startswith("8 pairs (ar panel)")


def test_the_infer_synopsis_names_the_real_options(byod, capsys) -> None:
    synopsis = byod["blocks"][3][1]
    with pytest.raises(SystemExit):
        main(["infer", "--help"])
    usage = capsys.readouterr().out
    named = set(re.findall(r"--[a-z-]+", synopsis))
    assert named == {"--ar", "--units", "--window", "--estimation", "--n-params", "--statistic", "--out"}
    assert all(option in usage for option in named)


def test_the_readme_lists_every_text_read_as_a_missing_return() -> None:
    """'None' was read as a missing return, which the README's list (NA, NaN, null, .) did not
    say (a finder): the list is the reader's own."""
    from eventstudy.data.tabular import MISSING_TEXT

    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    line = text[text.index("**Missing data.** A blank cell (or ") :].split(")", 1)[0]
    listed = {token.strip("` ") for token in line.split("(or ", 1)[1].split(",")}
    assert listed == MISSING_TEXT - {""}

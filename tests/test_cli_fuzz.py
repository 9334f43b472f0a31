"""Property-based test of the whole command line on random valid studies.

Each example writes an events file and a TOML config and runs ``eventstudy run`` in-process
(:func:`eventstudy.cli.main`) on a price cache, then ``eventstudy verify`` on its output. A
study is random in everything a user chooses: the estimation window, one to four event windows
(with and without ``[0,0]`` and ``[-1,+1]``), ``min_estimation_obs`` (sometimes larger than the
estimation window), every model of :data:`eventstudy.config.MODELS`, peers or none,
``[backtest]`` or none, CSV exports or none, one to many events with one to three parties,
with and without deal sizes, on dates inside the data, at its edges, before and after it and on
weekends, and headlines full of markdown and HTML.

Two caches: a small synthetic one (:mod:`_synthetic_study`: a late listing with a gap, a
ticker without share counts, one whose only count comes mid-sample, a falling stock; Ken French
and user factor files) and the real launch data (``../shared/data``, with QQQ that has no share
counts and CRWV that listed in 2025).

The promise checked on every example:

* no exception escapes ``main`` (no traceback), no Python warning is raised (numpy, pandas,
  matplotlib: every warning is recorded and fails the example), exit status 0 or 2;
* exit 0: every output the manifest lists exists, the report links only figures that were
  written, report.md's tables keep their shape (user text cannot add a cell, a row or a
  heading), report.html has exactly the tool's one script and one image per linked figure, and
  ``eventstudy verify`` on the folder exits 0;
* exit 2: exactly one line on stderr, ``eventstudy: error: ...``, and no output folder.

Examples per run: :data:`EXAMPLES`: 8 in CI (``CI`` set: the ``ci`` hypothesis profile in
``conftest.py`` derandomizes them, so CI runs the same 8 studies every time), 3 elsewhere (random:
new studies on every run, each example a whole run and a verify); ``EVENTSTUDY_FUZZ_EXAMPLES``
overrides both;
``EVENTSTUDY_FUZZ_SHRINK=0`` skips shrinking when hunting, and ``--hypothesis-show-statistics``
shows how many examples exited 0 and 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from _hostile import fuzz_examples, run_cli, whole_runs
from _report_checks import check_html, check_markdown
from _synthetic_study import CALENDAR, TICKERS, write_inputs
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st

from eventstudy.models import MODELS
from eventstudy.output.folder import check_recorded_files
from eventstudy.report import fmt

EXAMPLES = fuzz_examples(ci=8, local=3)
# Shrinking re-runs whole studies; EVENTSTUDY_FUZZ_SHRINK=0 skips it while hunting bugs.
PHASES = tuple(Phase) if os.environ.get("EVENTSTUDY_FUZZ_SHRINK", "1") != "0" else (Phase.generate,)
FUZZ = settings(whole_runs(EXAMPLES), phases=PHASES)
LAUNCH_TICKERS: tuple[str, ...] = ("NVDA", "ORCL", "AMD", "INTC", "CRWV", "MSFT", "QQQ", "SPY", "SMH")
LAUNCH_FIRST, LAUNCH_LAST = dt.date(2023, 1, 3), dt.date(2025, 12, 31)
ROLES = ("supplier", "buyer", "rival", "partner", "shocked", "in_vestor")
GROUPS = ("g1", "openai-compute", "x_y")
# Headlines: ordinary text, then what could break a markdown table or inject HTML.
NASTY = (
    "a | b",
    "line one\nline two",
    "# not a heading",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[link](javascript:alert(1))",
    "![x](http://example.com/x.png)",
    "`code` **bold** _em_ ~~strike~~",
    "back\\slash\\|",
    "\u2028separator\r\ncrlf\ttab",
    "&lt;entity&gt;",
)
headlines = st.one_of(
    st.sampled_from(NASTY),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    ),
)


@dataclass(frozen=True)
class Source:
    """A price cache with what a study on it may use."""

    cache: Path
    tickers: tuple[str, ...]
    first: dt.date
    last: dt.date
    user_factors: Path
    inputs: Path = field(default=Path())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Source:
    root = tmp_path_factory.mktemp("synthetic")
    inputs = write_inputs(root / "inputs")
    cache = root / "cache"
    status, _, err, _ = run_cli(
        ["cache", "import", *(str(inputs[k]) for k in ("prices", "shares", "factors")), "--cache", str(cache)]
    )
    assert status == 0, err
    tickers = (*TICKERS, "SPY", "SMH")  # the market and sector proxies can be parties too
    return Source(
        cache, tickers, CALENDAR[0].date(), CALENDAR[-1].date(), inputs["user_factors"], root / "inputs"
    )


@pytest.fixture(scope="module")
def launch(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Source:
    root = tmp_path_factory.mktemp("launch")
    cache = root / "cache"
    paths = [str(shared_data / k) for k in ("prices", "shares", "factors")]
    status, _, err, _ = run_cli(["cache", "import", *paths, "--cache", str(cache)])
    assert status == 0, err
    spy = pd.read_csv(shared_data / "prices" / "SPY.csv")
    returns = spy["Adj Close"].pct_change().fillna(0.0)
    user = root / "user_factors.csv"
    pd.DataFrame({"date": spy["Date"], "MKT": returns.round(8), "RF": 0.0001}).to_csv(user, index=False)
    return Source(cache, LAUNCH_TICKERS, LAUNCH_FIRST, LAUNCH_LAST, user)


# -- strategies --------------------------------------------------------------------------------
@st.composite
def windows(draw) -> tuple[list[tuple[int, int]], tuple[int, int], int]:
    """(event windows, estimation window, min_estimation_obs) of a valid config."""
    chosen: list[tuple[int, int]] = []
    if draw(st.booleans()):
        chosen.append((0, 0))
    if draw(st.booleans()):
        chosen.append((-1, 1))
    for _ in range(draw(st.integers(0 if chosen else 1, 3))):
        start = draw(st.integers(-6, 6))
        chosen.append((start, start + draw(st.integers(0, 8))))
    chosen = draw(st.permutations(chosen))
    if draw(st.integers(0, 9)):  # now and then a window twice
        chosen = list(dict.fromkeys(chosen))
    first = min(a for a, _ in chosen)
    end = draw(st.integers(first - 40, first - 1))
    start = end - draw(st.integers(4, 200))
    min_obs = draw(st.one_of(st.integers(3, 60), st.integers(60, 400)))
    return chosen, (start, end), min_obs


@st.composite
def event_rows(draw, source: Source) -> list[dict[str, str]]:
    span = (source.last - source.first).days
    rows = []
    n_events = draw(st.integers(1, 6)) if draw(st.integers(0, 19)) else 42  # now and then a large study
    for number in range(n_events):
        offset = draw(
            st.one_of(
                st.integers(span // 3, span),  # inside, after a full estimation window
                st.integers(-20, 25),  # around the first day of the data
                st.integers(span - 25, span + 20),  # around the last day
                st.integers(0, span),
            )
        )
        announced = source.first + dt.timedelta(days=offset)
        shared = {
            "event_id": f"e{number}-{draw(st.sampled_from(['a', 'b_c', 'x.y']))}",
            "announced": announced.isoformat(),
            "timing": draw(st.sampled_from(["pre", "intraday", "post", "unknown"])),
            "group": draw(st.sampled_from(GROUPS)),
            "headline": draw(headlines),
        }
        deal = draw(st.one_of(st.none(), st.floats(1e6, 1e12)))
        for ticker in draw(st.lists(st.sampled_from(source.tickers), min_size=1, max_size=3, unique=True)):
            rows.append(
                {
                    **shared,
                    "ticker": ticker,
                    "role": draw(st.sampled_from(ROLES)),
                    "deal_usd": "" if deal is None else repr(deal),
                }
            )
    return rows


@st.composite
def studies(draw, source: Source) -> dict[str, object]:
    event_windows, estimation, min_obs = draw(windows())
    model = draw(st.sampled_from(tuple(MODELS)))
    study: dict[str, object] = {
        "name": "fuzz",
        "market": "SPY",
        "model": model,
        "estimation_window": list(estimation),
        "min_estimation_obs": min_obs,
        "event_windows": [list(w) for w in event_windows],
        "exclude_overlapping_windows": draw(st.booleans()),
    }
    if model == "dimson":
        study["dimson_lags"] = draw(st.integers(1, 3))
    if model == "sector":
        study["sector"] = "SMH"
    if model == "user_factors":
        study["factors_file"] = str(source.user_factors)
    peers = draw(st.sampled_from(["none", "config", "option", "no-peers"]))
    peer_list = draw(st.lists(st.sampled_from(source.tickers), min_size=1, max_size=3, unique=True))
    if peers == "config":
        study["peers"] = peer_list
    backtest = None
    if draw(st.booleans()):
        backtest = {
            "entry": draw(st.sampled_from(["close_day0", "open_day1"])),
            "holding_days": draw(st.lists(st.integers(1, 15), min_size=1, max_size=3, unique=True)),
            "weighting": draw(st.sampled_from(["equal", "value"])),
            "cost_bps": draw(st.sampled_from([0, 10, 25.5])),
            "drift_days": draw(st.lists(st.integers(1, 10), min_size=1, max_size=2, unique=True)),
            "positions": {"default": draw(st.sampled_from(["long", "short", "none"])), "rival": "short"},
        }
    options = []
    if peers == "option":
        options += ["--peers", ",".join(peer_list)]
    elif peers == "no-peers":
        options.append("--no-peers")
    if draw(st.booleans()):
        options += ["--format", "csv"]
    if draw(st.integers(0, 4)) == 0:
        options += ["--model", draw(st.sampled_from(tuple(MODELS)))]
    return {
        "study": study,
        "backtest": backtest,
        "events": draw(event_rows(source)),
        "options": options,
    }


# -- writing a study ---------------------------------------------------------------------------
def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def write_study(folder: Path, case: dict[str, object]) -> tuple[Path, Path]:
    """events.csv and study.toml of ``case`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    events = folder / "events.csv"
    with events.open("w", encoding="utf-8", newline="") as handle:
        columns = ["event_id", "announced", "timing", "ticker", "role", "deal_usd", "group", "headline"]
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(case["events"])  # type: ignore[arg-type]
    lines = ["[study]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in case["study"].items()]  # type: ignore[union-attr]
    backtest = case["backtest"]
    if backtest:
        lines.append("[backtest]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in backtest.items() if k != "positions"]  # type: ignore[union-attr]
        lines.append("[backtest.positions]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in backtest["positions"].items()]  # type: ignore[index]
    config = folder / "study.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return events, config


# -- checking an output folder -----------------------------------------------------------------
def check_output(out: Path, backtest: bool) -> None:
    assert check_recorded_files(out) == []  # every file the manifest records, unchanged, nothing else
    markdown = (out / "report.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\((figures/[^)]+\.png)\)", markdown)
    assert all((out / name).is_file() for name in linked), linked
    check_markdown(markdown)
    check_html((out / "report.html").read_text(encoding="utf-8"), len(set(linked)))
    if backtest:
        for name in ("trades.parquet", "backtest.parquet", "drift.parquet", "backtest.md"):
            assert (out / name).is_file(), name
        assert "## Backtest" in markdown
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    assert not leftovers, leftovers


def run_case(source: Source, case: dict[str, object], keep: Path | None = None) -> int:
    """Run one study through the command line and check the promise; returns the exit status.

    The study's inputs and output are written below ``keep`` (``in/``, ``out/study/``) and left
    there for further checks, or in a temporary folder that is removed.
    """
    with tempfile.TemporaryDirectory(prefix="eventstudy-fuzz.") as temporary:
        scratch = keep if keep is not None else Path(temporary)
        events, config = write_study(Path(scratch) / "in", case)
        out = Path(scratch) / "out" / "study"
        args = ["run", "--events", str(events), "--config", str(config), "--offline"]
        args += ["--cache", str(source.cache), "--out", str(out), *case["options"]]  # type: ignore[misc]
        status, stdout, stderr, caught = run_cli(args)
        context = f"eventstudy {' '.join(args)}\n{config.read_text()}\n{events.read_text()}"
        assert not caught, f"{caught}\n{context}"
        assert "Traceback" not in stderr, context
        assert status in (0, 2), f"status {status}: {stderr}\n{context}"
        if status == 2:
            lines = stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("eventstudy: error: "), f"{stderr}\n{context}"
            # a refusal names the inputs, never the run's own output (a finder's market_adjusted run
            # refused its own manifest: an exit 2 this test took for bad input)
            assert f".{out.name}." not in lines[0] and "manifest.json" not in lines[0], f"{stderr}\n{context}"
            assert not out.exists(), context
            return status
        check_output(out, backtest=case["backtest"] is not None)
        status, stdout, stderr, caught = run_cli(["verify", str(out), "--cache", str(source.cache)])
        assert not caught, f"{caught}\n{context}"
        assert status == 0, f"verify: {stdout}{stderr}\n{context}"
        return 0


@FUZZ
@given(data=st.data())
def test_random_studies_on_synthetic_prices_never_crash(synthetic: Source, data: st.DataObject) -> None:
    event(f"exit {run_case(synthetic, data.draw(studies(synthetic)))}")


@settings(FUZZ, max_examples=max(2, EXAMPLES // 4))
@given(data=st.data())
def test_random_studies_on_the_launch_data_never_crash(launch: Source, data: st.DataObject) -> None:
    event(f"exit {run_case(launch, data.draw(studies(launch)))}")


# -- the cases of issue 10, as examples ---------------------------------------------------------
def _case(events: list[tuple[str, str, str, str]], **study: object) -> dict[str, object]:
    """A study of (event_id, announced, ticker, deal_usd) rows on the market model."""
    config = {
        "name": "case",
        "market": "SPY",
        "model": "market",
        "estimation_window": [-120, -11],
        "min_estimation_obs": 50,
        "event_windows": [[0, 0], [-1, 1]],
        **study,
    }
    rows = [
        {"event_id": e, "announced": d, "timing": "pre", "ticker": t, "role": "supplier", "deal_usd": deal}
        | {"group": "g1", "headline": f"{e} | <b>{t}</b>"}
        for e, d, t, deal in events
    ]
    return {"study": config, "backtest": None, "events": rows, "options": ["--no-peers"]}


LAUNCH_CASES = {
    "every deal undisclosed": _case([("a", "2025-09-10", "ORCL", ""), ("b", "2025-09-22", "NVDA", "")]),
    "a symbol without share counts": _case([("a", "2025-09-10", "QQQ", "5e9")]),
    "before the first share count": _case(
        [("a", "2024-06-03", "NVDA", "1e9"), ("b", "2024-06-03", "AMD", "1e9")]
    ),
    "min_estimation_obs above every window": _case(
        [("a", "2025-09-10", "ORCL", "3e11")], estimation_window=[-60, -11], min_estimation_obs=200
    ),
    "no [-1,+1] window": _case([("a", "2025-09-10", "ORCL", "3e11")], event_windows=[[0, 0], [0, 1]]),
    "only [0,0]": _case([("a", "2025-09-10", "ORCL", "3e11")], event_windows=[[0, 0]]),
    "no window with day 0": _case([("a", "2025-09-10", "ORCL", "3e11")], event_windows=[[1, 3]]),
}


NO_THREE_DAY_WINDOW = "no [-1,+1] window"


@pytest.fixture(scope="module")
def no_three_day_window(launch: Source, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the issue case without [-1,+1], run and checked once (run_case: a
    complete, verifiable output), for the case's test and the report test below."""
    scratch = tmp_path_factory.mktemp("no-three-day-window")
    assert run_case(launch, LAUNCH_CASES[NO_THREE_DAY_WINDOW], keep=scratch) == 0
    return scratch / "out" / "study"


@pytest.mark.parametrize("name", [name for name in LAUNCH_CASES if name != NO_THREE_DAY_WINDOW])
def test_issue_cases_on_the_launch_data_write_a_complete_output(launch: Source, name: str) -> None:
    assert run_case(launch, LAUNCH_CASES[name]) == 0


def test_issue_case_without_the_three_day_window_writes_a_complete_output(no_three_day_window: Path) -> None:
    # The fixture ran the case through run_case (exit 0, check_output, verify exit 0).
    car = pd.read_parquet(no_three_day_window / "car.parquet")
    assert sorted(set(car["window"])) == ["[0,+1]", "[0,0]"]


def test_a_cache_without_share_counts_or_factors(synthetic: Source, tmp_path: Path) -> None:
    """No share counts at all: a complete output. A factor model without its factor files, or a
    --model that needs a factor file the config lacks: exit 2 with one line, no folder."""
    cache = tmp_path / "cache"
    status, _, err, _ = run_cli(["cache", "import", str(synthetic.inputs / "prices"), "--cache", str(cache)])
    assert status == 0, err
    source = Source(cache, synthetic.tickers, synthetic.first, synthetic.last, synthetic.user_factors)
    case = _case([("a", "2021-11-02", "AAA", "1e9"), ("b", "2021-12-01", "EEE", "2e9")])
    assert run_case(source, case) == 0
    assert run_case(source, {**case, "study": {**case["study"], "model": "carhart4"}}) == 2  # type: ignore[dict-item]
    assert run_case(source, {**case, "options": ["--no-peers", "--model", "user_factors"]}) == 2


def test_without_the_three_day_window_the_report_shows_numbers_not_dashes(no_three_day_window: Path) -> None:
    out = no_three_day_window
    car = pd.read_parquet(out / "car.parquet").set_index("window")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    parties = markdown.split("## Returns and dollar value by party")[1].split("\n## ")[0]
    row = next(line for line in parties.splitlines() if line.startswith("| a | ORCL (supplier) |"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[2] == fmt.percent(car.loc["[0,0]", "car"]) and cells[4] == fmt.percent(
        car.loc["[0,+1]", "car"]
    )
    assert cells[7] == fmt.money(car.loc["[0,0]", "abnormal_value_usd"])
    assert cells[8] == fmt.money(car.loc["[0,+1]", "abnormal_value_usd"])
    per_deal = markdown.split("## Value per deal dollar")[1].split("\n## ")[0]
    assert sum(line.startswith("| a | ORCL (supplier) |") for line in per_deal.splitlines()) == 1

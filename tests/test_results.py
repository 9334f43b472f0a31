"""The Python API: complete results, summaries, loading a folder back, models and statistics
defined outside the package (registries), chosen statistics."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _small_study import make_cache, make_study

import eventstudy
from eventstudy import (
    ExpectedReturnModel,
    StudyConfig,
    load_config,
    load_study,
    register_model,
    register_statistic,
    run_study,
    save_study,
)
from eventstudy.cli import main
from eventstudy.data.events import read_events
from eventstudy.errors import InputError
from eventstudy.inference import STATISTICS, TestResult, WindowSample
from eventstudy.inference.battery import Statistic
from eventstudy.models import MODELS, Design
from eventstudy.output.folder import Guard
from eventstudy.text import shell_line

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("api")
    make_cache(root / "cache")
    events, config = make_study(root)
    return events, config, root / "cache"


@pytest.fixture(scope="module")
def results(small):
    events, config, cache = small
    return run_study(events, cache, load_config(config))


def test_run_study_returns_every_table_and_the_backtest(results) -> None:
    assert len(results.car) == 3 * 3 and len(results.ar) == 3 * 7  # 3 pairs, 3 windows, span [-3,+3]
    assert set(results.stats["window"]) == {"[0,0]", "[-1,+1]", "[-3,+3]"}
    assert set(results.stats["group"]) == {"deals", "shock", "all"}
    assert set(results.stats["statistic"]) >= {n for n, s in STATISTICS.items() if s.requires is None}
    assert list(results.caar["tau"].unique()) == list(range(-3, 4))
    assert results.backtest is not None and len(results.backtest.trades) == 3 * 2  # 3 parties, 2 holds
    # The stats row is the mean of the per-pair CARs (each table computed once, in one place).
    caar = results.stats.query("group == 'all' and window == '[-1,+1]' and statistic == 'caar'")
    mean = results.car.query("window == '[-1,+1]'")["car"].mean()
    assert caar["value"].iloc[0] == pytest.approx(mean, rel=1e-12)


def test_repr_is_one_short_line(results) -> None:
    text = repr(results)
    assert text.startswith("<StudyResults 'small': market model, 2 events, 3 party rows")
    assert "\n" not in text and len(text) < 200
    one = dataclasses.replace(results, events=results.events.iloc[:1])  # "1 events" (a finder)
    assert ", 1 event, 1 party row, " in repr(one)


def test_a_summary_cell_rounding_to_zero_has_no_sign() -> None:
    """-0.00% and -0.00 for tiny negative values (a finder; the report shows 0.00%)."""
    from eventstudy.results import _unit_cell

    units = ("fraction", "t", "usd", "ratio")
    assert [_unit_cell(-1e-7, unit) for unit in units] == ["0.00%", "0.00", "0.0", "0.000"]
    assert _unit_cell(-0.02, "fraction") == "-2.00%" and _unit_cell(3e9, "usd") == "+3.0"
    assert _unit_cell(-np.inf, "t") == "-inf" and _unit_cell(-0.0, "count") == "0"


def test_a_summary_cell_rounds_as_the_report_does() -> None:
    """summary() showed t = 2.675 as +2.67 and a CAR of 0.625% as +0.62%, the report +2.68 and
    +0.63% (format rounds the binary value to even; the report rounds the shown decimal half up)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from eventstudy.backtest.engine import _cell as backtest_cell
    from eventstudy.report import fmt
    from eventstudy.results import _cell, _unit_cell

    assert [_unit_cell(2.675, "t"), _unit_cell(0.00625, "fraction"), _unit_cell(0.0625, "ratio")] == [
        "+2.68", "+0.63%", "+0.063"
    ]
    assert _cell(2_850_000_000.0, "+,.1f", shift=-9) == "+2.9" and _unit_cell(-1.25e9, "usd") == "-1.3"
    assert backtest_cell(2.675, "+.2f") == "+2.68" and backtest_cell(0.0125, ".1%") == "1.3%"

    ties = st.sampled_from([2.675, -0.125, 0.0005])

    @settings(max_examples=300, deadline=None)
    @given(st.floats(allow_nan=False, min_value=-1e6, max_value=1e6) | ties)
    def same(value: float) -> None:
        assert _unit_cell(value, "t") == backtest_cell(value, "+.2f") == fmt.tstat(value)
        assert _unit_cell(value, "fraction") == fmt.percent(value)
        assert _unit_cell(value, "ratio") == fmt.ratio(value)

    same()


def test_numbers_are_shown_alike_whatever_the_callers_decimal_context() -> None:
    """A notebook's decimal.getcontext().prec = 1 showed a CAR of 0.3538 as +40.00% and $242.8B
    as $200.0B, in tables and figures (a re-attack); prec = 4 rounded 1.44999% twice, to 1.5%."""
    import decimal

    from eventstudy.report import fmt

    before = (fmt.percent(0.3538), fmt.money(242.8e9), fmt.percent(0.0144999, digits=1), fmt.money(1e300))
    assert before[:3] == ("+35.38%", "+$242.8B", "+1.4%")
    with decimal.localcontext() as context:
        context.prec, context.Emax, context.rounding = 1, 10, decimal.ROUND_CEILING
        context.traps[decimal.Inexact] = True
        shown = (fmt.percent(0.3538), fmt.money(242.8e9), fmt.percent(0.0144999, digits=1), fmt.money(1e300))
    assert shown == before


@pytest.mark.parametrize(
    ("table", "column"), [("car", "outcome"), ("stats", "p"), ("events", "role"), ("car", "t")]
)
def test_summary_of_a_table_changed_in_the_notebook_names_the_missing_column(results, table, column) -> None:
    """A finder's notebook dropped car's outcome, or stats's p: summary() ended in pandas' KeyError."""
    changed = dataclasses.replace(results, **{table: getattr(results, table).drop(columns=[column])})
    said = f"results.{table} has no column '{column}', which summary\\(\\) reads"
    with pytest.raises(ValueError, match=said):
        changed.summary()
    # a re-attack: the car of two runs concatenated (an InvalidIndexError), or no table at all
    twice = pd.concat([results.car, results.car])
    again = pd.concat([results.car, results.car[["confounded"]]], axis=1)  # a column concatenated back
    repeats = ((twice, "a DataFrame whose index repeats"), (again, "a DataFrame whose columns repeat"))
    for value, what in (*repeats, (None, "NoneType")):
        with pytest.raises(ValueError, match=f"results.car is {what}, which summary\\(\\) cannot read"):
            dataclasses.replace(results, car=value).summary()


def test_summary_of_a_window_or_flag_changed_in_the_notebook_says_so(results) -> None:
    """A car without the window's rows printed an empty table and "Outcomes of the (event, party) rows:
    ."; a confounded column of "yes"/"no" ended in pandas' TypeError."""
    other = dataclasses.replace(results, car=results.car[results.car["window"] != "[0,0]"])
    with pytest.raises(ValueError, match=r"results.car has no \(event, party\) row over \[0,0\]"):
        other.summary("[0,0]")
    assert "CAR over [-1,+1]" in other.summary("[-1,+1]").as_text()
    worded = results.car.assign(confounded=np.where(results.car["confounded"].fillna(True), "yes", "no"))
    with pytest.raises(ValueError, match=r"results.car's column 'confounded' holds values other than True"):
        dataclasses.replace(results, car=worded).summary()
    # a re-attack: "yes"/"no" on the peer rows alone (read by the groups' totals)
    peers = results.car.assign(confounded=results.car["confounded"].astype(object))
    row = peers.index[peers["window"] == "[-1,+1]"][0]
    peers.loc[row, ["role", "confounded"]] = ["peer", "no"]
    with pytest.raises(ValueError, match=r"results.car's column 'confounded' holds values other than True"):
        dataclasses.replace(results, car=peers).summary()


def test_summary_renders_as_text_html_and_latex_for_every_spelling_of_a_window(results) -> None:
    summary = results.summary("[-1,+1]")
    text = summary.as_text()
    assert "CAR over [-1,+1]" in text and "alpha" in text and "KP-BMP t" in text
    for spelling in ("[-1,1]", "-1,1", " [ -1 , +1 ] ", "(-1, 1)", (-1, 1), [-1, 1]):
        assert results.summary(spelling).as_text() == text, spelling
    assert results.summary().as_text() == text  # the default: [-1,+1] when configured
    assert "CAR over [0,0]" in results.summary("[0,0]").as_text()
    with pytest.raises(ValueError, match=r"\[-2,\+2\] is not one of the study's windows"):
        results.summary("[-2,2]")
    with pytest.raises(ValueError, match="not two relative days"):
        results.summary("day zero")
    html = summary._repr_html_()
    assert "<table" in html and "KP-BMP t" in html and html == summary.as_html()
    latex = summary.as_latex()
    assert "\\begin{tabular}" in latex and "\\toprule" in latex
    row = results.car.query("window == '[-1,+1]' and ticker == 'AAA'").iloc[0]
    assert f"{row.car:+.2%}".replace("%", "\\%") in latex  # % escaped for LaTeX


def test_summary_names_an_all_data_estimation_window(results) -> None:
    # window_label cannot print "all": the summary crashed on these valid configs (found by mypy).
    for window, label in ((("all", -11), "[all,-11]"), ("all", "[all,-4]")):
        config = dataclasses.replace(results.config, estimation_window=window)
        text = dataclasses.replace(results, config=config).summary().as_text()
        assert f"Estimation window: {label}" in text
    assert "Estimation window: [-150,-11]" in results.summary().as_text()


@pytest.mark.parametrize(
    ("windows", "main"),
    [
        (((0, 0), (-3, 3), (-1, 1)), "[-1,+1]"),
        (((0, 0), (-3, 3)), "[-3,+3]"),  # the first window other than [0,0], as the report leads
        (((0, 0),), "[0,0]"),
    ],
)
def test_summary_and_report_lead_with_the_same_window(results, windows, main) -> None:
    """summary() and the plots default to the window the report leads with (one rule, in
    eventstudy.config.main_window): before, a study configured [0,0] first got a [0,0] summary
    under a report that led with its [-3,+3] window."""
    from eventstudy.report import report_windows

    config = dataclasses.replace(results.config, event_windows=windows)
    chosen = dataclasses.replace(results, config=config)._window_label(None)
    labels = [eventstudy.config.window_label(w) for w in windows]
    assert chosen == main == report_windows(labels)[1]
    assert f"CAR over {main}" in dataclasses.replace(results, config=config).summary().as_text()


def test_summary_escapes_user_text_in_html_and_latex() -> None:
    from eventstudy.summary import Summary

    table = pd.DataFrame({"event": ["<script>x</script>", "a_b & c%"]})
    summary = Summary("t", (("k", "v"),), (("cap", table),), ("n",))
    assert "<script>" not in summary.as_html() and "&lt;script&gt;" in summary.as_html()
    assert r"a\_b \& c\%" in summary.as_latex()


def test_load_study_rebuilds_the_results_from_the_folder(results, tmp_path: Path) -> None:
    out = save_study(results, tmp_path / "out", guard=Guard(cwd=tmp_path))
    loaded = load_study(out)
    for name in ("events", "ar", "car", "stats", "caar"):
        written = pd.read_parquet(out / f"{name}.parquet")
        pd.testing.assert_frame_equal(getattr(loaded, name), written, check_exact=True)
        expected = getattr(results, name).drop(columns=["source_row"], errors="ignore")
        pd.testing.assert_frame_equal(written, expected.reset_index(drop=True), check_exact=True)
    # the manifest's model record also holds exclude_overlapping_windows; the loaded model is the run's
    assert loaded.config == results.config and loaded.model == results.model
    assert loaded.estimates is None and repr(loaded) == repr(results)
    pd.testing.assert_frame_equal(loaded.backtest.trades, results.backtest.trades, check_exact=True)
    pd.testing.assert_frame_equal(loaded.backtest.summary_table, results.backtest.summary_table)
    assert loaded.summary().as_text() == results.summary().as_text()


def test_load_study_names_a_model_record_that_is_not_one(results, tmp_path: Path) -> None:
    out = save_study(results, tmp_path / "out", guard=Guard(cwd=tmp_path))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["exclude_overlapping_windows"] is False  # recorded, not loaded as the model's
    manifest["model"] = ["market"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError) as caught:
        load_study(out)
    assert (caught.value.field, caught.value.path) == ("model", str(out / "manifest.json"))
    assert "is not a model record (was the manifest edited?)" in caught.value.message


def test_a_loaded_study_saved_again_keeps_the_record_of_the_run_that_computed_it(
    small, results, tmp_path: Path, capsys, monkeypatch
) -> None:
    """save_study(load_study(dir), new) recorded the script that loaded and saved as the study's
    command (the report: "Command: none (run from Python, in resave.py)"), and this version and
    commit as those that computed it (a finder). The run that computed the results is kept."""
    from eventstudy.cli import main

    events, config, cache = small
    typed = ["eventstudy", "run", "--config", str(config), "--cache", str(cache)]
    monkeypatch.setattr("sys.argv", typed)
    first = save_study(results, tmp_path / "first", guard=Guard(cwd=tmp_path))
    recorded = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    monkeypatch.setattr("sys.argv", ["resave.py"])
    again = save_study(load_study(first), tmp_path / "again", guard=Guard(cwd=tmp_path))
    manifest = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == ["resave.py"]  # what saved it
    origin = {key: recorded[key] for key in ("command", "git_commit", "git_dirty", "versions")}
    assert manifest["loaded_from"] == {"folder": str(first), "first_loaded_from": str(first), **origin}
    report = (again / "report.md").read_text(encoding="utf-8")
    assert f"Results loaded from ` {first} ` and saved again, not computed here; computed by: ` " in report
    assert shell_line(typed) in report and "changed in Python" not in report
    # saved again from the second folder: the first run's record, loaded from the second (a reviewer)
    third = save_study(load_study(again), tmp_path / "third", guard=Guard(cwd=tmp_path))
    kept = json.loads((third / "manifest.json").read_text(encoding="utf-8"))["loaded_from"]
    assert kept == {**manifest["loaded_from"], "folder": str(again)}
    assert f"Results loaded from ` {again} `" in (third / "report.md").read_text(encoding="utf-8")
    assert f"(first loaded from ` {first} `)" in (third / "report.md").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(third), "--cache", str(cache), "--events", str(events)]) == 0
    assert "identical" in capsys.readouterr().out
    assert "loaded_from" not in recorded  # a run's own folder records no such thing
    # tables changed in Python before the save: said, and kept through a later re-save (a reviewer)
    loaded = load_study(first)
    edited = dataclasses.replace(loaded, car=loaded.car.assign(car=0.5))
    changed = save_study(edited, tmp_path / "changed", guard=Guard(cwd=tmp_path))
    record = json.loads((changed / "manifest.json").read_text(encoding="utf-8"))["loaded_from"]
    assert record["changed_in_python"] == ["car"]
    assert "then changed in Python (car): not the tables that run computed" in (
        changed / "report.md"
    ).read_text(encoding="utf-8")
    later = save_study(load_study(changed), tmp_path / "later", guard=Guard(cwd=tmp_path))
    assert json.loads((later / "manifest.json").read_text(encoding="utf-8"))["loaded_from"][
        "changed_in_python"
    ] == ["car"]
    # a table the load did not have, and the settings, count too (a reviewer: only loaded tables did)
    added = dataclasses.replace(loaded, garch=pd.DataFrame({"x": [1.0]}))
    assert main_changes(save_study(added, tmp_path / "added", guard=Guard(cwd=tmp_path))) == ["garch"]
    renamed = dataclasses.replace(loaded, config=dataclasses.replace(loaded.config, min_estimation_obs=30))
    assert main_changes(save_study(renamed, tmp_path / "renamed", guard=Guard(cwd=tmp_path))) == ["config"]
    assert "loaded_files" not in manifest["loaded_from"]  # the comparison's record is not kept


def main_changes(folder: Path) -> list[str]:
    """The ``changed_in_python`` of ``folder``'s manifest (none: [])."""
    record = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["loaded_from"]
    return record.get("changed_in_python", [])


def test_a_saved_loaded_study_verifies(small, results, tmp_path: Path, capsys) -> None:
    """save_study(load_study(dir), new) wrote "cache": null, and verify of the new folder
    refused it ('is not a path (was the manifest edited?)') even with --cache (an audit)."""
    from eventstudy.cli import main

    events, _, cache = small
    out = save_study(results, tmp_path / "out", guard=Guard(cwd=tmp_path))
    loaded = load_study(out)
    assert loaded.provenance["cache"] == results.provenance["cache"]  # kept from the manifest
    again = save_study(loaded, tmp_path / "again", guard=Guard(cwd=tmp_path))
    capsys.readouterr()
    assert main(["verify", str(again), "--cache", str(cache), "--events", str(events)]) == 0
    assert "identical" in capsys.readouterr().out
    # a manifest without a cache (results built in Python): verify asks for one, never ./cache
    without = {key: value for key, value in loaded.provenance.items() if key != "cache"}
    bare = tmp_path / "bare"
    save_study(dataclasses.replace(loaded, provenance=without), bare, guard=Guard(cwd=tmp_path))
    assert main(["verify", str(bare), "--events", str(events)]) == 2
    assert "records no cache" in capsys.readouterr().err
    assert main(["verify", str(bare), "--cache", str(cache), "--events", str(events)]) == 0


@dataclass(frozen=True)
class HalfBetaModel(ExpectedReturnModel):
    """A model defined outside the package: R = alpha + 0.5 R_m + e (one parameter, OLS on R - 0.5 R_m)."""

    market: str = "SPY"
    name = "half_beta_test"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha",)

    @property
    def symbols(self) -> tuple[str, ...]:
        return (self.market,)

    def design(self, panel) -> Design:
        market = panel.returns_of(self.market)
        return Design(0.5 * market, np.ones((len(market), 1)), self.parameter_names)

    def describe(self) -> str:
        return "alpha + 0.5 x market"


def test_a_model_object_defined_outside_the_package_runs_without_editing_the_library(small) -> None:
    events, config, cache = small
    study = dataclasses.replace(load_config(config), backtest=None)
    results = run_study(events, cache, study, model=HalfBetaModel())
    assert results.model["name"] == "half_beta_test" and results.model["parameters"] == ["alpha"]
    est = results.estimates
    # Oracle: statsmodels OLS of R - 0.5 R_m on a constant over the same estimation days.
    returns = pd.DataFrame(est.panel.returns, index=est.panel.calendar, columns=est.panel.symbols)
    days = est.estimation_days[0]
    y = (returns["AAA"] - 0.5 * returns["SPY"]).iloc[days[days >= 0]].dropna()
    fit = sm.OLS(y, np.ones(len(y))).fit()
    row = results.car.query("ticker == 'AAA' and window == '[0,0]'").iloc[0]
    assert row["alpha"] == pytest.approx(fit.params.iloc[0], rel=1e-10)
    assert row["sigma"] == pytest.approx(np.sqrt(fit.scale), rel=1e-10)
    assert row["n_est"] == fit.nobs


@dataclass(frozen=True)
class ShortDesignModel(HalfBetaModel):
    """A market-adjusted model that drops the calendar's missing market days (one short): every
    offset landed on the wrong session, 50 of 50 rows 'ok' and CARs off by 3 points."""

    name = "short_design_test"
    broken: str = "offset"

    def design(self, panel) -> Design:
        market = panel.returns_of(self.market)
        offset, ones = 0.5 * market, np.ones((len(market), 1))
        if self.broken == "offset":
            return Design(offset[~np.isnan(offset)], ones, self.parameter_names)
        if self.broken == "regressors":
            return Design(offset, ones[:-300], self.parameter_names)
        if self.broken == "columns":
            return Design(offset, np.ones((len(market), 2)), self.parameter_names)
        if self.broken == "names":
            return Design(offset, ones, ("a",))
        if self.broken == "tuple":
            return (offset, ones)  # type: ignore[return-value]
        if self.broken == "text":
            return Design(offset, ones.astype(str), self.parameter_names)
        if self.broken == "objects":
            return Design(offset, ones.astype(object), self.parameter_names)
        return Design(offset, ones, self.parameter_names, auxiliary=np.ones(len(market) - 1))


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ("offset", r"offset has shape \(\d+,\), not \(\d+,\)"),
        ("regressors", r"regressors have shape \(\d+, 1\), not \(\d+, 1\)"),
        ("columns", r"regressors have shape \(\d+, 2\), not \(\d+, 1\)"),
        ("names", r"names \('a',\) are not its parameter_names \('alpha',\)"),
        ("auxiliary", r"auxiliary has shape \(\d+,\), not \(\d+, a\)"),
        # a finder's notebook: an AttributeError, a UFuncTypeError and a TypeError from deep inside
        ("text", r"regressors are of dtype <U32, not numbers"),
        ("objects", r"regressors are of dtype object, not numbers"),
    ],
)
def test_a_models_design_off_the_calendar_is_refused_naming_the_model(small, broken, problem) -> None:
    events, config, cache = small
    study = dataclasses.replace(load_config(config), backtest=None)
    where = "model 'short_design_test': design on the (\\d+)-session calendar"
    with pytest.raises(ValueError, match=f"{where}: {problem}"):
        run_study(events, cache, study, model=ShortDesignModel(broken=broken), peers=())
    with pytest.raises(ValueError, match="model 'short_design_test': design\\(\\) gave tuple, not a Design"):
        run_study(events, cache, study, model=ShortDesignModel(broken="tuple"), peers=())


@dataclass(frozen=True)
class BrokenFitModel(HalfBetaModel):
    """A user's model whose fit breaks its contract one way or another."""

    name = "broken_fit_test"
    broken: str = "nan"

    def fit(self, y, x, auxiliary, *, min_obs):
        fit = super().fit(y, x, auxiliary, min_obs=min_obs)
        if self.broken == "nan":  # every row incomplete_event_window, "no model input" blamed the market
            batch = dataclasses.replace(fit.batch, coef=np.full_like(fit.batch.coef, np.nan))
            return dataclasses.replace(fit, batch=batch)
        if self.broken == "none":
            return None
        if self.broken == "short":  # one pair too few: a broadcasting error deep in the AR code
            return dataclasses.replace(fit, batch=dataclasses.replace(fit.batch, sigma=fit.batch.sigma[:-1]))
        # a re-attack: each of these changed every number with each row 'ok', or dropped pairs
        batch_changes = {
            "ints": {"estimable": fit.batch.estimable.astype(int)},
            "negative": {"sigma": -fit.batch.sigma},
            "n_obs": {"n_obs": np.full_like(fit.batch.n_obs, 5)},
            "xtx": {"xtx_inv": np.full_like(fit.batch.xtx_inv, np.nan)},
            "residuals": {"residuals": np.full_like(fit.batch.residuals, np.nan)},
        }
        if self.broken in batch_changes:
            batch = dataclasses.replace(fit.batch, **batch_changes[self.broken])
            return dataclasses.replace(fit, batch=batch)
        if self.broken == "swapped":
            return dataclasses.replace(fit, alpha=fit.beta, beta=fit.alpha)
        if self.broken == "no params":
            return dataclasses.replace(fit, params={})
        if self.broken == "nan params":
            return dataclasses.replace(fit, params={k: np.nan * v for k, v in fit.params.items()})
        return fit


@dataclass(frozen=True)
class TwiceNamedModel(HalfBetaModel):
    """parameter_names ("alpha", "alpha") on a design [1, market]: the beta was reported as alpha."""

    name = "twice_named_test"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("alpha", "alpha")

    def design(self, panel) -> Design:
        market = panel.returns_of(self.market)
        regressors = np.column_stack([np.ones(len(market)), market])
        return Design(np.zeros(len(market)), regressors, self.parameter_names)


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (BrokenFitModel(broken="nan"), r"fit\(\) gave no finite coefficients for \d+ of the \d+ pairs"),
        (BrokenFitModel(broken="none"), r"fit\(\) gave NoneType, not a ModelFit of a BatchFit"),
        (BrokenFitModel(broken="short"), r"fit\(\): sigma has shape \((\d+),\), not \((\d+),\)"),
        (TwiceNamedModel(), "parameter_names repeat 'alpha'"),
        (BrokenFitModel(broken="ints"), "fit\\(\\): estimable is of dtype int64, not bool"),
        (BrokenFitModel(broken="negative"), "fit\\(\\) gave a sigma that is not a finite number at least 0"),
        (BrokenFitModel(broken="n_obs"), "fit\\(\\) gave an n_obs other than its count of residuals for"),
        (BrokenFitModel(broken="xtx"), "fit\\(\\) gave an xtx_inv that is not finite and symmetric for"),
        (BrokenFitModel(broken="residuals"), "fit\\(\\) gave an n_obs other than its count of residuals for"),
        (BrokenFitModel(broken="swapped"), "fit\\(\\): alpha is not params\\['alpha'\\]"),
        (BrokenFitModel(broken="no params"), "fit\\(\\): params lack 'alpha' of its parameter_names"),
        (BrokenFitModel(broken="nan params"), "fit\\(\\) gave params that are not finite for"),
    ],
)
def test_a_models_fit_that_breaks_its_contract_is_refused_naming_the_model(small, model, problem) -> None:
    """A finder's notebook: NaN coefficients gave every row incomplete_event_window with a note
    blaming the market's data; a fit of None or one pair short, tracebacks from deep inside; names
    repeated, the beta reported as alpha and the intercept dropped, every row 'ok'."""
    events, config, cache = small
    study = dataclasses.replace(load_config(config), backtest=None)
    with pytest.raises(ValueError, match=f"model '{model.name}': {problem}"):
        run_study(events, cache, study, model=model, peers=())


def test_register_model_takes_a_model_class(small) -> None:
    for thing in (42, "market", HalfBetaModel()):
        with pytest.raises(TypeError, match="register_model takes a subclass of ExpectedReturnModel, not "):
            register_model(thing)  # type: ignore[type-var]


@dataclass(frozen=True)
class UndeclaredMarketModel(HalfBetaModel):
    """Reads QQQ without declaring it in ``symbols``."""

    name = "undeclared_test"

    def design(self, panel) -> Design:
        market = panel.returns_of("QQQ")
        return Design(0.5 * market, np.ones((len(market), 1)), self.parameter_names)


def test_notebook_arguments_are_refused_by_name_not_deep_inside(small, tmp_path) -> None:
    """A finder's notebook: an undeclared symbol read by a design ('tuple.index(x): x not in
    tuple'), events_path naming no file (a raw FileNotFoundError from the hashing), peers as a
    set (rows and manifest in PYTHONHASHSEED's order), a Path as news_file ('is not a file path')."""
    events, config, cache = small
    study = dataclasses.replace(load_config(config), backtest=None)
    with pytest.raises(ValueError, match="'QQQ' is not a series of the returns panel"):
        run_study(events, cache, study, model=UndeclaredMarketModel(), peers=())
    frame = pd.read_csv(events)
    for path in (tmp_path / "missing.csv", tmp_path):
        with pytest.raises(InputError, match="events_path names the file") as caught:
            run_study(frame, cache, study, events_path=path, peers=())
        assert caught.value.field == "events_path"
    with pytest.raises(TypeError, match="not a set"):
        run_study(events, cache, study, peers={"AMD", "NVDA"})
    with pytest.raises(TypeError, match="read_events reads an events file"):
        read_events(frame)
    with pytest.raises(TypeError, match="saves the StudyResults of run_study, not a DataFrame"):
        save_study(frame, tmp_path / "out")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()
    assert StudyConfig(news_file=Path("news.csv")).news_file == "news.csv"
    assert StudyConfig(model="user_factors", factors_file=Path("f.csv")).factors_file == "f.csv"


def test_a_frame_with_events_path_must_hold_that_file_s_events(small, tmp_path) -> None:
    """A finder's notebook filtered the file's events to one row and passed the file as
    events_path: the manifest recorded the whole file, so verify re-ran another study (said only
    there). The run refuses it, naming the file; the file's own rows, reordered, or None pass."""
    events, config, cache = small
    study = dataclasses.replace(load_config(config), backtest=None)
    frame = read_events(events)
    with pytest.raises(InputError, match="holds other events than the frame, or in another order") as caught:
        run_study(frame.iloc[:1], cache, study, events_path=events, peers=())
    assert caught.value.field == "events_path" and caught.value.path == str(events)
    with pytest.raises(InputError, match="or in another order"):  # verify compares them in order
        run_study(frame.iloc[::-1], cache, study, events_path=events, peers=())
    text = tmp_path / "notes.txt"
    text.write_text("not an events file\n", encoding="utf-8")
    with pytest.raises(InputError, match="events_path names the file") as caught:
        run_study(frame, cache, study, events_path=text, peers=())
    assert caught.value.field == "events_path"
    whole = run_study(pd.read_csv(events), cache, study, events_path=events, peers=())
    assert whole.provenance["inputs"]["events"]["path"] == str(events)


def test_a_registered_model_is_named_in_a_config(small) -> None:
    events, config, cache = small

    @register_model
    @dataclass(frozen=True)
    class QuarterBetaModel(HalfBetaModel):
        name = "quarter_beta_test"

        def design(self, panel) -> Design:
            market = panel.returns_of(self.market)
            return Design(0.25 * market, np.ones((len(market), 1)), self.parameter_names)

        @classmethod
        def from_config(cls, config, factors):
            return cls(config.market)

    try:
        study = dataclasses.replace(load_config(config), model="quarter_beta_test", backtest=None)
        results = run_study(events, cache, study, peers=())
        assert results.model["name"] == "quarter_beta_test"
        assert (results.car["model"] == "quarter_beta_test").all()

        class Clash(HalfBetaModel):
            name = "market"

        with pytest.raises(ValueError, match="already registered"):
            register_model(Clash)

        # The registering cell run again: its new class replaces its own earlier one.
        same = {"__qualname__": QuarterBetaModel.__qualname__, "__module__": QuarterBetaModel.__module__}
        again = register_model(type("QuarterBetaModel", (QuarterBetaModel,), same))
        assert MODELS["quarter_beta_test"] is again is not QuarterBetaModel
    finally:
        MODELS.pop("quarter_beta_test", None)


def test_chosen_statistics_only_and_a_registered_statistic(small) -> None:
    events, config, cache = small
    chosen = dataclasses.replace(load_config(config), statistics=("caar", "bmp_t"), backtest=None)
    results = run_study(events, cache, chosen)
    battery = set(results.stats["statistic"]) - {
        "degenerate_estimation_rows",
        "market_proxy_rows",
        "confounded_rows",
        "unscreened_rows",
        "dominant_day_rows",
        "total_abnormal_value_usd",
        "total_deal_usd",
        "value_per_deal_dollar",
    }
    assert battery == {"caar", "bmp_t"}

    @register_statistic("median_car_test", unit="fraction")  # shown as a percentage, as caar
    def _median(sample: WindowSample) -> TestResult:
        median = float(np.median(sample.car))
        return TestResult("median_car_test", median, 0.5, sample.n_pairs, "test")

    @register_statistic("mean_car_bp_test", p_from="cross_sectional_t")
    def _bp(sample: WindowSample) -> TestResult:  # repeating the t test's p, as caar does
        mean = float(np.mean(sample.car)) * 1e4
        return TestResult("mean_car_bp_test", mean, sample.cross_sectional.p, sample.n_pairs, "bp")

    try:
        with_median = dataclasses.replace(
            chosen, statistics=("caar", "cross_sectional_t", "median_car_test", "mean_car_bp_test")
        )
        results = run_study(events, cache, with_median)
        saved = save_study(results, Path(events).parent / "with_median")
        written = {name: (saved / name).read_bytes() for name in ("tables.md", "tables.tex", "report.md")}
        stats = results.stats.set_index(["statistic", "group", "window"])
        median = stats.loc[("median_car_test", "all", "[-1,+1]"), "value"]
        shown = f"{100 * median:+.2f}%"
        assert f"{shown} (0.500)" in str(results.summary())  # the summary's too (it read "-0.01 (0.500)")
        # `eventstudy report` in a process that never registered the statistic recomputes nothing:
        # it re-renders the folder (it stopped on "'median_car_test' is not one of ..."), and a row
        # repeating another's p stays no test of its own: it was a column starred by the t's p, and
        # the BH family's count in each group's note doubled (the manifest records its p_from).
        del STATISTICS["median_car_test"], STATISTICS["mean_car_bp_test"]
        assert main(["report", str(saved)]) == 0
        assert {name: (saved / name).read_bytes() for name in written} == written
        assert "median_car_test" in written["tables.md"].decode()
        assert "mean_car_bp_test" not in written["tables.md"].decode()
        # its unit, recorded in the manifest, still shows it as a percentage where it is not registered
        lines = written["report.md"].decode().splitlines()
        [line] = [x for x in lines if x.startswith("| all | median_car_test |")]
        assert f"| {shown} |" in line
        assert f" {shown} |" in written["tables.md"].decode().split("## all")[1]  # the paper table's column
        assert json.loads((saved / "manifest.json").read_text())["units"]["median_car_test"] == "fraction"
        STATISTICS["median_car_test"] = Statistic("median_car_test", _median)
        rows = results.stats.query("statistic == 'median_car_test' and group == 'all'").set_index("window")
        parties = results.car.query("role != 'peer'")
        cars = parties.pivot(index=["event_id", "ticker"], columns="window", values="car")
        assert rows.loc["[-1,+1]", "value"] == pytest.approx(cars["[-1,+1]"].median(), rel=1e-12)
        # A folder of a study with a statistic of one's own, loaded in a fresh kernel, says how.
        with pytest.raises(ValueError, match=r"statistics: .* eventstudy\.register_statistic first"):
            StudyConfig(statistics=("no_such_statistic",))
    finally:
        STATISTICS.pop("median_car_test", None)
        STATISTICS.pop("mean_car_bp_test", None)


def test_verify_names_the_statistics_a_notebook_registered(small, capsys) -> None:
    """A study saved with every registered statistic (config statistics = None), one of them a
    notebook's, verified where it is not registered: DIFFERENT (stats.parquet 936 -> 896 rows, a
    finder) without a word why. A note names it; verified where it is registered: identical."""
    events, config, cache = small
    study = dataclasses.replace(load_config(config), backtest=None)

    @register_statistic("median_car_verify_test")
    def _median(sample: WindowSample) -> TestResult:
        return TestResult("median_car_verify_test", float(np.median(sample.car)), 0.5, sample.n_pairs, "t")

    try:
        saved = save_study(run_study(events, cache, study), Path(events).parent / "registered")
        assert eventstudy.verify(saved).identical  # from Python, registered: the same study
        del STATISTICS["median_car_verify_test"]
        assert main(["verify", str(saved)]) == 1
        out = capsys.readouterr().out
        assert "stats.parquet: shape" in out
        assert (
            "stats.parquet holds statistics this process has not registered ('median_car_verify_test'), "
            "which the re-run cannot compute: verify from Python after eventstudy.register_statistic "
            "registers them"
        ) in out
        # a stats.parquet edited since the run: verify says so, and does not advise registering
        # what the edit wrote (a finder renamed a row 'caar ')
        stats = pd.read_parquet(saved / "stats.parquet")
        stats.loc[stats["statistic"] == "caar", "statistic"] = "caar "
        stats.to_parquet(saved / "stats.parquet")
        assert main(["verify", str(saved)]) == 1
        out = capsys.readouterr().out
        assert "stats.parquet: changed since" in out and "has not registered" not in out, out
    finally:
        STATISTICS.pop("median_car_verify_test", None)


def test_import_eventstudy_is_light_and_lists_the_api() -> None:
    import subprocess
    import sys

    heavy = "('pandas', 'scipy', 'matplotlib')"
    code = f"import sys, eventstudy; print(sorted(m for m in {heavy} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    api = {"run_study", "load_study", "save_study", "register_model", "register_statistic"}
    assert api <= set(eventstudy.__all__)


def _panels(figure) -> list:
    return [axes for axes in figure.axes if axes.get_visible()]


def test_plot_car_draws_one_panel_per_party_from_the_ar_table(results) -> None:
    from matplotlib.figure import Figure
    from scipy import stats as scipy_stats

    figure = results.plot_car("alpha")
    assert isinstance(figure, Figure)
    panels = _panels(figure)
    assert [axes.get_title(loc="left") for axes in panels] == ["AAA (supplier)", "BBB (buyer)"]
    for axes in panels:
        ticker = axes.get_title(loc="left").split()[0]
        rows = results.ar[(results.ar["event_id"] == "alpha") & (results.ar["ticker"] == ticker)]
        rows = rows.sort_values("tau")
        line = axes.lines[0]
        np.testing.assert_array_equal(line.get_xdata(), rows["tau"].to_numpy())
        np.testing.assert_allclose(line.get_ydata(), rows["car"].to_numpy(), rtol=0, atol=1e-12)
    # The band's degrees of freedom are M - k of the results' model: with k = 1, not the default 2.
    one_parameter = dataclasses.replace(results, model={**results.model, "parameters": ["alpha"]})
    band = _panels(one_parameter.plot_car("alpha"))[0].collections[0].get_paths()[0].vertices[:, 1]
    rows = results.ar.query("event_id == 'alpha' and ticker == 'AAA'")
    n_est = results.car.query("event_id == 'alpha' and ticker == 'AAA'")["n_est"].iloc[0]
    upper = rows["car"] + scipy_stats.t.ppf(0.975, n_est - 1) * rows["car_se"]
    assert band.max() == pytest.approx(upper.max(), abs=1e-12)
    # The shaded window is the chosen one: [-3,+3] spans days -3.5 .. 3.5.
    shaded = _panels(results.plot_car("alpha", window="[-3,3]"))[0].patches
    assert any(np.isclose(p.get_x(), -3.5) and np.isclose(p.get_width(), 7.0) for p in shaded)


def test_plot_car_names_the_events_when_the_event_is_missing_or_unknown(results) -> None:
    with pytest.raises(ValueError, match=r"no event_id given; events: alpha, beta"):
        results.plot_car()
    with pytest.raises(ValueError, match=r"event 'gamma' is not in the study; events: alpha, beta"):
        results.plot_car("gamma")
    with pytest.raises(ValueError, match="not one of the study's windows"):
        results.plot_car("alpha", window="[-2,2]")


def test_plot_caar_draws_each_groups_caar_line(results) -> None:
    figure = results.plot_caar()
    panels = _panels(figure)
    assert len(panels) == results.caar["group"].nunique() == 3
    for axes in panels:
        group = axes.get_title(loc="left").split(" (N=")[0]
        rows = results.caar[results.caar["group"] == group].sort_values("tau")
        np.testing.assert_allclose(axes.lines[0].get_ydata(), rows["caar"].to_numpy(), rtol=0, atol=1e-12)
    (shock,) = _panels(results.plot_caar("shock"))
    assert shock.get_title(loc="left") == "shock (N=1, no band)"
    expected = results.caar.query("group == 'shock'").sort_values("tau")["caar"].to_numpy()
    np.testing.assert_allclose(shock.lines[0].get_ydata(), expected, rtol=0, atol=1e-12)
    chosen = _panels(results.plot_caar(["all", "deals"]))
    assert [a.get_title(loc="left").split(" (")[0] for a in chosen] == ["all", "deals"]
    with pytest.raises(ValueError, match=r"'nope' is not in the study's CAAR; groups: deals, shock, all"):
        results.plot_caar("nope")
    for wrong, kind in ((5, "int"), (["all", 5], "list"), ({"all": 1}, "dict")):  # 5 was not iterable
        with pytest.raises(TypeError, match=f"group must be a group's name or a list of names, not {kind}$"):
            results.plot_caar(wrong)  # type: ignore[arg-type]


def test_plot_value_vs_deal_draws_each_partys_value_per_deal_dollar(results) -> None:
    for spelling, label in ((None, "[-1,+1]"), ("[0,0]", "[0,0]")):
        (axes,) = _panels(results.plot_value_vs_deal(spelling))
        rows = results.car.query("window == @label and role != 'peer' and deal_usd > 0")
        assert len(rows) == 2  # alpha's two parties; beta's deal is undisclosed
        points = {
            tick.get_text(): line.get_xdata()[0]
            for line in axes.lines
            if line.get_marker() == "o"
            for tick, y in zip(axes.get_yticklabels(), axes.get_yticks(), strict=True)
            if y == line.get_ydata()[0]
        }
        expected = {f"{r.ticker} · {r.event_id}": r.value_to_deal for r in rows.itertuples()}
        assert points.keys() == expected.keys()
        for name, value in expected.items():
            assert points[name] == pytest.approx(value, abs=1e-12), (label, name)
        # Each group's total per deal dollar is a diamond, the stats row's value.
        diamonds = sorted(line.get_xdata()[0] for line in axes.lines if line.get_marker() == "D")
        totals = results.stats.query("window == @label and statistic == 'value_per_deal_dollar'")
        assert diamonds == pytest.approx(sorted(totals["value"].dropna()), abs=1e-12)
        assert axes.get_title(loc="left") == f"Market value created per deal dollar, {label}"


def test_plot_flows_labels_the_configured_edges_with_the_results_values(results) -> None:
    from eventstudy.config import FlowEdge
    from eventstudy.report import fmt

    edges = (
        FlowEdge("alpha", "BBB Corp", "AAA Corp", ("AAA",)),
        FlowEdge("not-in-study", "X", "Y"),
    )
    with_flows = dataclasses.replace(results, config=dataclasses.replace(results.config, flows=edges))
    for spelling, label in ((None, "[-1,+1]"), ((-3, 3), "[-3,+3]")):
        figure = with_flows.plot_flows(spelling)
        (axes,) = figure.axes
        texts = [t.get_text() for t in axes.texts]
        key = [t.get_text() for t in figure.texts]  # the key beside the graph, a line each
        row = results.car.query("event_id == 'alpha' and ticker == 'AAA' and window == @label").iloc[0]
        expected = ["1  BBB Corp → AAA Corp", f"    deal {fmt.money(2e9, signed=False)}"]
        expected.append(f"    AAA {fmt.money(row['abnormal_value_usd'])}")
        assert [line for line in key if line in expected] == expected
        assert {"BBB Corp", "AAA Corp", "1"} <= set(texts)
        assert label in figure._suptitle.get_text()
    without = results.plot_flows()  # no [[flows]] in the config: the figure says so
    assert not without.axes
    assert "None of the configured flows" in " ".join(t.get_text() for t in without.texts)


def test_a_loaded_backtest_keeps_the_drifts_benchmarks_and_saves_the_same_text(tmp_path: Path) -> None:
    """load_study rebuilt the backtest without the drift's observations, so a study whose events
    name their own market lost 'or the row's own market (BBB for 1 row)' when saved again."""
    events, config = make_study(tmp_path / "study")
    lines = events.read_text().splitlines()
    rows = [lines[0] + ",market", *(f"{row}," for row in lines[1:-1]), lines[-1] + ",BBB"]
    events.write_text("\n".join(rows) + "\n")
    results = run_study(events, make_cache(tmp_path / "cache"), load_config(config), peers=())
    assert results.backtest.drift_benchmarks() == {"BBB": 1}
    first = save_study(results, tmp_path / "one")
    loaded = load_study(first)
    assert loaded.backtest.drift_benchmarks() == {"BBB": 1}
    second = save_study(loaded, tmp_path / "two")
    said = "or the row's own `market` in the events file (BBB for 1 row)"
    assert said in (first / "backtest.md").read_text()
    assert (second / "backtest.md").read_text() == (first / "backtest.md").read_text()


def test_the_summary_of_a_study_choosing_statistics_or_leaving_out_confounded_rows(launch_cache) -> None:
    """statistics = ["sign_z"]: the group table had a blank n and no number at all (stats held
    them); exclude_confounded: the pair table listed the confounded ORCL and AMZN rows as ok
    ("ok 25") beside tests of 23, and nothing said which rows were left out; plot_caar([]) drew
    "No group has an estimated CAR"."""
    base = dataclasses.replace(load_config(ROOT / "launch.toml"), backtest=None, peers=(), volume=None)
    config = dataclasses.replace(base, statistics=("sign_z",), exclude_confounded=True)
    results = run_study(ROOT / "events.csv", launch_cache, config)
    summary = results.summary()
    table = summary.tables[0][1].set_index("group")
    # its notes: the rows left out by exclude_confounded, no twins; no legend of columns not shown
    notes = " ".join(summary.notes)
    assert "exclude_confounded leaves the row out of the tests" in notes and "'(unconfounded)'" not in notes
    assert "t of a row: car / car_se" in notes and "BMP" not in notes and "t (cross-section)" not in notes
    stats = results.stats.set_index(["group", "window", "statistic"])
    sign = stats.loc[("all", "[-1,+1]", "sign_z")]
    assert list(table.columns) == ["n", "sign_z"]
    assert table.loc["all", "n"] == str(int(sign["n"])) == "23"
    assert table.loc["all", "sign_z"] == f"{sign['value']:+.2f} ({sign['p']:.3f})"
    car = results.car[(results.car.window == "[-1,+1]") & (results.car.role != "peer")]
    left = car[car["confounded"].astype("boolean").fillna(True).to_numpy(bool)]
    assert sorted(left["ticker"]) == ["AMZN", "ORCL"]
    (said,) = [note for note in summary.notes if note.startswith("exclude_confounded:")]
    assert said.startswith("exclude_confounded: 2 of the ok rows hold other news over [-1,+1]")
    assert "oracle-openai-300b ORCL" in said and "amazon-openai-38b AMZN" in said
    # a failed pair is in no test: not named among those left out (it was "1 of them hold")
    failed = results.car.assign(
        outcome=np.where(results.car["ticker"].eq("ORCL"), "insufficient_estimation", results.car["outcome"])
    )
    notes = dataclasses.replace(results, car=failed).summary().notes
    (said,) = [note for note in notes if note.startswith("exclude_")]
    assert said.startswith("exclude_confounded: 1 of the ok rows holds other news over [-1,+1]")
    assert said.endswith("is left out of the tests: amazon-openai-38b AMZN.")
    # several chosen tests: each shown (bmp_t hid sign_z); a group without a test's row: blank cells
    chosen = dataclasses.replace(config, statistics=("sign_z", "bmp_t"))
    two = run_study(ROOT / "events.csv", launch_cache, chosen)
    table = two.summary().tables[0][1]
    assert list(table.columns) == ["group", "n", "BMP t", "sign_z"]  # in stats.parquet's order
    nan = re.compile(r"\bnan\b")  # a value, not the word "dominant" of a note
    shown = two.summary()
    assert not nan.search(shown.as_text().lower()) and not nan.search(shown.as_latex().lower())
    kept = run_study(ROOT / "events.csv", launch_cache, dataclasses.replace(chosen, exclude_confounded=False))
    table = kept.summary().tables[0][1]
    twins = table[table["group"].str.endswith("(unconfounded)")]
    assert len(twins) and (twins["sign_z"] == "").all() and (twins["BMP t"] != "").all()
    blank = "A blank cell of an '(unconfounded)' group is a test it does not compute"
    assert any(note.startswith(blank) for note in kept.summary().notes)  # the blanks went unexplained
    assert not any(note.startswith(blank) for note in two.summary().notes)
    plain = run_study(ROOT / "events.csv", launch_cache, base).summary()
    assert not any("exclude_confounded" in note for note in plain.notes)
    assert not any(note.startswith(blank) for note in plain.notes)
    assert list(plain.tables[0][1].columns[:3]) == ["group", "n", "CAAR"]  # the tests a study leads with
    with pytest.raises(ValueError, match="give a group, a list of groups, or None for every group"):
        results.plot_caar([])


def test_the_summary_of_a_large_study_lists_its_largest_rows(results) -> None:
    """10,000 events made summary() 10,033 lines (1.8 MB of HTML in a notebook): it lists the
    rows of largest |dollar value| (then |t|), says how many of how many, and car holds them all."""
    from eventstudy.results import SUMMARY_PAIRS

    rng = np.random.default_rng(3)
    one = results.car[results.car["window"] == "[-1,+1]"].iloc[[0]]
    n = 10_000
    big = pd.concat([one] * n, ignore_index=True).assign(
        event_id=[f"e{i}" for i in range(n)],
        abnormal_value_usd=rng.normal(0, 1e9, n),
        t=rng.normal(0, 2, n),
    )
    large = dataclasses.replace(results, car=big)
    text = large.summary("[-1,+1]").as_text()
    assert len(text.splitlines()) < 100
    assert f"the {SUMMARY_PAIRS} of 10,000 (event, party) rows of largest |dollar value|" in text
    expected = big.loc[big["abnormal_value_usd"].abs().nlargest(SUMMARY_PAIRS).index]
    shown = large._pair_table(big)
    ranked = expected.sort_values("abnormal_value_usd", ascending=False)
    assert list(shown["event"]) == list(ranked["event_id"])
    assert shown["value $B"].iloc[0] == f"{expected['abnormal_value_usd'].max() / 1e9:+,.1f}"
    few = large._pair_table(big.iloc[:SUMMARY_PAIRS])  # every row of a small study
    assert len(few) == SUMMARY_PAIRS


def test_a_runs_events_are_the_saved_files(results, tmp_path: Path) -> None:
    """run_study's events had a source_row column the saved events.parquet (and a loaded study)
    lacked: comparing a run with its loaded folder failed on shape."""
    save_study(results, tmp_path / "out")
    pd.testing.assert_frame_equal(results.events, pd.read_parquet(tmp_path / "out" / "events.parquet"))
    pd.testing.assert_frame_equal(results.events, load_study(tmp_path / "out").events)


def test_a_group_cell_resting_on_fewer_pairs_than_its_row_says_so(results) -> None:
    """The launch's 'all' row showed n 25 beside a dollar total over 23 pairs (two without a
    share count), unsaid (a finder): a cell whose own n differs from the row's shows it."""
    stats = results.stats.copy()
    total = (stats["group"] == "all") & (stats["window"] == "[-1,+1]")
    n = int(stats.loc[total & (stats["statistic"] == "caar"), "n"].iloc[0])
    stats.loc[total & (stats["statistic"] == "dollar_abnormal_value"), "n"] = n - 1
    table = dataclasses.replace(results, stats=stats)._group_table("[-1,+1]").set_index("group")
    assert table.loc["all", "n"] == str(n)
    assert table.loc["all", "value $B"].endswith(f" [n={n - 1}]")
    assert "[n=" not in table.loc["all", "KP-BMP t"] and "[n=" not in table.loc["deals", "value $B"]
    # a count of something else than pairs (ticker-days), or a cell without a value: no tag (a finder)
    stats.loc[total & (stats["statistic"] == "dollar_abnormal_value"), ["value", "p"]] = np.nan
    shared = stats[total & (stats["statistic"] == "dollar_abnormal_value")].assign(
        statistic="dollar_shared_days_usd", value=5e9, n=n - 1
    )
    names = ("caar", "dollar_abnormal_value", "dollar_shared_days_usd")
    chosen = dataclasses.replace(results.config, statistics=names)
    edited = dataclasses.replace(results, stats=pd.concat([stats, shared]), config=chosen)
    table = edited._group_table("[-1,+1]").set_index("group")
    assert table.loc["all", "value $B"] == "" and table.loc["all", "dollar_shared_days_usd $B"] == "+5.0"


def test_the_summary_flags_the_rows_the_report_flags_and_names_its_p_values() -> None:
    """The launch's summary listed AMZN amazon-openai-38b and ORCL oracle-openai-300b first, as
    "ok" with no word of the earnings release in their windows nor of the day that carries
    AMZN's CAR, which report.md flags; its p were unadjusted, unsaid, the value column's p was
    another test's, and its t footnote read as the cross-sectional t's (a finder)."""
    from eventstudy import load_study

    folder = Path(__file__).resolve().parents[1] / "reports" / "ai-deal-wave-2025"
    results = load_study(folder)
    summary = results.summary("[-1,+1]")
    pairs = summary.tables[1][1].set_index(["event", "ticker"])["flags"]
    car = results.car[(results.car["window"] == "[-1,+1]") & (results.car["role"] != "peer")]
    car = car.set_index(["event_id", "ticker"])
    assert pairs[("amazon-openai-38b", "AMZN")] == "news τ-1 carries"
    assert pairs[("oracle-openai-300b", "ORCL")] == "news"
    assert pairs[("stargate-launch", "ORCL")] == "τ+1 carries"
    assert (pairs.str.startswith("news") == car.loc[pairs.index, "confounded"].astype(bool)).all()
    assert (pairs.str.contains("carries") == car.loc[pairs.index, "dominant_tau"].notna()).all()
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "amazon-openai-38b" in report and "τ-1 carries the CAR" in report  # what the report says
    text = summary.as_text()
    assert "each unadjusted: stats's p_bh and p_holm adjust it for the windows tested" in text
    assert "The p of value $B is that of kp_adjusted_dollar_t." in text
    assert "t (cross-section): the mean CAR over its cross-sectional standard error, t(N-1)" in text
    latex = summary.as_latex()
    assert "⚑" not in latex and "$\\tau$-1 carries" in latex


def test_the_summary_of_a_study_without_an_estimate_says_so(small) -> None:
    """Every pair insufficient: the summary's groups were n = 0 and blank, with only the outcome
    counts to say why (a notebook user)."""
    events, config, cache = small
    base = load_config(config)
    none = run_study(events, cache, dataclasses.replace(base, min_estimation_obs=10_000))
    assert set(none.car["outcome"]) == {"insufficient_estimation"}
    said = "No (event, party) row has an abnormal return: the parties' groups have no test (n = 0); "
    assert any(note.startswith(said) for note in none.summary().notes)
    assert said in none.summary().as_text().replace("\n", " ")
    assert not any(note.startswith(said) for note in run_study(events, cache, base).summary().notes)


def test_the_summary_flags_a_row_whose_market_value_carries_a_share_caveat(launch_cache) -> None:
    """The report flags INTC's caveated value (launch.toml's [[shares.caveats]]); the summary's
    flags column said nothing of it."""
    results = run_study(ROOT / "events.csv", launch_cache, load_config(ROOT / "launch.toml"), peers=())
    rows = results.summary().tables[1][1]
    flagged = rows[rows["flags"].str.contains("shares caveat")]
    assert list(zip(flagged["event"], flagged["ticker"], strict=True)) == [("nvidia-intel-5b", "INTC")]
    car = results.car[(results.car.window == "[-1,+1]") & results.car["note"].str.contains("shares caveat:")]
    assert list(car["ticker"]) == ["INTC"] and len(rows) == 25
    # and the group totals that count it, as the report's group table marks them (no peers here)
    groups = results.summary().tables[0][1].set_index("group")["value $B"]
    marked = sorted(group for group, text in groups.items() if text.endswith(" §"))
    assert marked == ["all", "all (unconfounded)", "other", "other (unconfounded)"]
    said = "§: the total counts an (event, party) row whose market value rests on a share count"
    assert any(note.startswith(said) for note in results.summary().notes)

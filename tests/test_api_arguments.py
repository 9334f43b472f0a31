"""Arguments of the wrong type to the Python API are refused naming the argument, never run.

An adversarial pass over the notebook path found ``run_study(..., peers="AMD")`` measuring peers
A, M and D (Agilent, Macy's, Dominion where the cache held them) without a word, and raw
AttributeErrors and TypeErrors from deep inside for a config path, a model name or a list of
dicts given where the API takes objects.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy import StudyConfig, run_study
from eventstudy.errors import InputError
from eventstudy.infer_ar import infer
from eventstudy.models import ConstantMeanModel
from eventstudy.models.market import MarketModel, SectorModel
from eventstudy.peers import check_peers, parse_peers

ROOT = Path(__file__).resolve().parents[1]
NOT_A_CONFIG = "config must be a StudyConfig (read a file with eventstudy.load_config)"


@pytest.fixture(scope="module")
def two_events() -> pd.DataFrame:
    events = pd.read_csv(ROOT / "events.csv")
    return events[events.event_id.isin(["deepseek-r1", "oracle-openai-300b"])].reset_index(drop=True)


@pytest.mark.parametrize(
    ("peers", "error", "message"),
    [
        ("AMD", TypeError, "peers must be a list of tickers, not a str ('AMD'): write peers=['AMD']"),
        (["AMD", "AMD"], InputError, "peers, field 'AMD': AMD is listed twice"),
        (["../x"], InputError, "peers, field '../x': "),
        (["AMD", 5], TypeError, "peers must be a list of tickers: entry 2 is int, not str"),
    ],
)
def test_peers_are_a_list_of_distinct_tickers(peers, error, message) -> None:
    with pytest.raises(error) as caught:
        check_peers(peers, source="peers")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_the_command_lines_peers_are_checked_by_the_same_rule() -> None:
    assert parse_peers("AMD, AVGO") == check_peers(["AMD", "AVGO"], source="--peers") == ("AMD", "AVGO")
    with pytest.raises(InputError, match="AMD is listed twice"):
        parse_peers("AMD,AMD")
    assert check_peers((), source="peers") == ()


def test_a_string_of_peers_is_refused_before_anything_runs(two_events, launch_cache) -> None:
    with pytest.raises(TypeError, match=r"not a str \('AMD'\)"):
        run_study(two_events, launch_cache, peers="AMD")
    with pytest.raises(InputError, match="AMD is listed twice"):
        run_study(two_events, launch_cache, peers=["AMD", "AMD"])
    # the market proxy is no peer: each event had a blank SPY row, outcome market_proxy, counted
    with pytest.raises(InputError, match=r"^peers, field 'peers': SPY is the model's proxy series, no peer"):
        run_study(two_events, launch_cache, peers=["SPY", "AMD"])
    # a model object's own series too, from the config's peers or the argument (a re-attack)
    with pytest.raises(InputError, match=r"^config, field 'peers': SOXX is the model's proxy series"):
        run_study(two_events, launch_cache, StudyConfig(peers=("SOXX",)), model=SectorModel(sector="SOXX"))
    with pytest.raises(InputError, match=r"^peers, field 'peers': QQQ is the model's proxy series"):
        run_study(two_events, launch_cache, model=MarketModel(market="QQQ"), peers=["AMD", "QQQ"])
    listed = run_study(two_events, launch_cache, peers=np.array(["AMD"]))  # any sequence of str
    assert listed.peers == ("AMD",)
    assert set(listed.car.loc[listed.car.role == "peer", "ticker"]) == {"AMD"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"config": "launch.toml"}, f"{NOT_A_CONFIG}, not str"),
        ({"config": {"model": "market"}}, f"{NOT_A_CONFIG}, not dict"),
        (
            {"model": "market"},
            "model must be an ExpectedReturnModel, not str: to use the registered model 'market', pass "
            "StudyConfig(model='market')",
        ),
        (
            {"model": ConstantMeanModel},
            "model must be an ExpectedReturnModel, not the class ConstantMeanModel: pass an instance, "
            "ConstantMeanModel(...)",
        ),
        # a non-empty string is true: fetch="no" went to Yahoo (and left a lock behind)
        ({"fetch": "no"}, "fetch must be True or False, not 'no'"),
        ({"fetch": 0}, "fetch must be True or False, not 0"),
    ],
)
def test_objects_of_the_wrong_type_are_named(two_events, launch_cache, arguments, message) -> None:
    with pytest.raises(TypeError) as caught:
        run_study(two_events, launch_cache, **arguments)
    assert str(caught.value) == message


def test_events_and_a_store_of_the_wrong_type_are_named(two_events, launch_cache) -> None:
    with pytest.raises(TypeError) as caught:
        run_study(two_events.to_dict("records"), launch_cache)
    assert str(caught.value) == "events must be an events file (a path) or a pandas DataFrame, not list"
    with pytest.raises(TypeError) as caught:
        run_study(two_events, 5)
    assert str(caught.value) == "store must be a PriceStore or the cache's folder (a path), not int"


def test_an_events_frame_with_two_column_levels_is_refused_in_one_line(two_events, launch_cache) -> None:
    frame = two_events.copy()
    frame.columns = pd.MultiIndex.from_product([["x"], frame.columns])
    with pytest.raises(InputError) as caught:
        run_study(frame, launch_cache)
    assert caught.value.path == "events"
    assert caught.value.message.startswith("the frame has 2 column levels; an events frame has one column")
    twice = pd.concat([two_events, two_events[["ticker"]]], axis=1)
    with pytest.raises(InputError) as caught:
        run_study(twice, launch_cache)
    where = (caught.value.row, caught.value.field, caught.value.message)
    assert where == (1, "ticker", "the column is in the frame twice")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"bootstrap_draws": 1.5}, "bootstrap_draws must be a positive whole number, not 1.5"),
        ({"bootstrap_draws": 0}, "bootstrap_draws must be a positive whole number, not 0"),
        ({"bootstrap_draws": True}, "bootstrap_draws must be a positive whole number, not True"),
        ({"seed": "x"}, "seed must be a non-negative whole number, not 'x'"),
        ({"seed": -1}, "seed must be a non-negative whole number, not -1"),
        # one window or a text where a list of windows belongs: "'[' is not two whole relative days"
        ({"windows": "[-1,1]"}, "windows must be a list of windows, e.g. [(-1, 1)], not '[-1,1]'"),
        ({"windows": (-1, 1)}, "windows must be a list of windows, e.g. [(-1, 1)], not (-1, 1)"),
    ],
)
def test_infer_names_a_bad_bootstrap_option(option, message) -> None:
    ar = pd.DataFrame(
        {"id": ["a"] * 3 + ["b"] * 3, "tau": [-1, 0, 1] * 2, "ar": [0.01, 0.02, 0.0, -0.01, 0.03, 0.0]}
    )
    assert infer(ar, units="decimal", windows=[(0, 0)]).stats["n"].max() == 2  # the frame is fine
    with pytest.raises((TypeError, ValueError)) as caught:
        infer(ar, units="decimal", **{"windows": [(0, 0)], **option})
    assert str(caught.value) == message


def test_the_cluster_path_checks_the_arguments_before_it_connects(two_events, launch_cache) -> None:
    pytest.importorskip("distributed")
    from eventstudy.distributed import run_distributed

    with pytest.raises(TypeError, match=r"peers must be a list of tickers, not a str \('AMD'\)"):
        run_distributed(two_events, launch_cache, scheduler="tcp://127.0.0.1:9", peers="AMD")
    with pytest.raises(TypeError, match="config must be a StudyConfig"):
        run_distributed(two_events, launch_cache, "launch.toml", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(TypeError, match="fetch must be True or False, not 'False'"):
        run_distributed(two_events, launch_cache, scheduler="tcp://127.0.0.1:9", fetch="False")


def test_a_string_of_formats_is_refused_before_anything_is_written(
    two_events, launch_cache, tmp_path
) -> None:
    """``formats="csv"`` was iterated as the characters c, s, v ("unknown export format 'c'")."""
    from eventstudy import save_study

    results = run_study(two_events, launch_cache)
    with pytest.raises(TypeError) as caught:
        save_study(results, tmp_path / "out", formats="csv")
    expected = "formats must be a list of format names, not a str ('csv'): write formats=['csv']"
    assert str(caught.value) == expected
    # None: "'NoneType' object is not iterable"; an out_dir of None or 5: pathlib's TypeErrors
    for arguments, said in (
        ({"out_dir": tmp_path / "out", "formats": None}, "formats must be a list of format names, not "
         "NoneType"),
        ({"out_dir": None}, "out_dir must be a folder (a path), not NoneType"),
        ({"out_dir": 5}, "out_dir must be a folder (a path), not int"),
    ):
        with pytest.raises(TypeError) as caught:
            save_study(results, **arguments)
        assert str(caught.value) == said
    assert not (tmp_path / "out").exists()
    assert (save_study(results, tmp_path / "out", formats=["csv"]) / "ar.csv").is_file()


def test_a_model_whose_settings_hold_an_array_is_recorded_as_an_object(monkeypatch) -> None:
    """Review: comparing two records whose settings hold a numpy array raised 'The truth value of
    an array is ambiguous' at the very end of run_study; such a model is recorded as passed as an
    object (verify then says it cannot re-run it) instead."""
    from eventstudy.models import MarketModel
    from eventstudy.study import _config_building

    settings = lambda self: {"market": self.market, "w": np.array([0.5, 0.5])}  # noqa: E731
    monkeypatch.setattr(MarketModel, "settings", settings)
    assert _config_building(StudyConfig(), MarketModel("SPY"), {}) is None


ONE_PAIR = pd.DataFrame({"id": ["A"], "tau": [0], "ar": [1.0]})


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda: __import__("eventstudy").load_config(None), "path must be a path, not NoneType"),
        (lambda: __import__("eventstudy").load_study(5), "folder must be a path, not int"),
        (lambda: infer(None, units="percent"), "ar must be a path (a file) or a DataFrame, not NoneType"),
        (
            lambda: infer(pd.Series([0.01]), units="percent"),
            "ar must be a path (a file) or a DataFrame, not Series",
        ),
        (
            lambda: infer(ONE_PAIR, units="percent", estimation=3, n_params=2),
            "estimation must be a path (a file) or a DataFrame, not int",
        ),
    ],
)
def test_a_path_argument_of_another_type_is_a_type_error_naming_it(call, said) -> None:
    """load_config(None), load_study(None) and infer(None, ...) raised pathlib's "expected str,
    bytes or os.PathLike object, not NoneType" from deep inside (a finder); run_study and
    save_study named their arguments."""
    with pytest.raises(TypeError) as caught:
        call()
    assert str(caught.value) == said


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("path", lambda: __import__("eventstudy").load_config("")),
        ("folder", lambda: __import__("eventstudy").load_study("")),
        ("path", lambda: __import__("eventstudy").read_events("")),
        ("ar", lambda: infer("", units="percent")),
        ("folder", lambda: __import__("eventstudy").verify("")),
        ("store", lambda: run_study("events.csv", "")),  # ran on the working directory as the cache
        ("events", lambda: run_study("", "cache")),
        ("events_path", lambda: run_study(pd.DataFrame(), "cache", events_path="")),
    ],
)
def test_an_empty_path_argument_names_nothing(name, call, tmp_path, monkeypatch) -> None:
    """Path("") is the working directory: load_config("") said ".: cannot read the config file (Is
    a directory)" and load_study("") read ./manifest.json (a finder)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(InputError) as caught:
        call()
    assert (caught.value.path, caught.value.message) == (name, "an empty path names nothing")

"""Ecosystem peers: the rows add_peers appends, their estimates, and the command-line options."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _launch_run import launch_output

from eventstudy.cli import main
from eventstudy.config import load_config
from eventstudy.data.events import read_events
from eventstudy.data.store import PriceStore
from eventstudy.errors import InputError
from eventstudy.peers import PEER_ROLE, add_peers, parse_peers, peer_tickers
from eventstudy.study import run_study

ROOT = Path(__file__).resolve().parents[1]
HEADER = "event_id,announced,timing,ticker,role,deal_usd,group,headline"


def small_events(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "events.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "a,2025-09-09,post,ORCL,supplier,300e9,g1,Oracle deal",
                "a,2025-09-09,post,NVDA,partner,300e9,g1,Oracle deal",
                "b,2025-10-06,pre,AMD,supplier,,g2,AMD deal",
            ]
        )
        + "\n"
    )
    return read_events(path)


def test_add_peers_appends_one_row_per_event_and_missing_peer(tmp_path) -> None:
    events = small_events(tmp_path)
    out = add_peers(events, ["NVDA", "AMD", "TSM"])
    # Event a has NVDA already: AMD, TSM; event b has AMD: NVDA, TSM.
    assert len(out) == 3 + 4
    pd.testing.assert_frame_equal(out.iloc[:3], events)
    peers = out.iloc[3:]
    assert list(zip(peers.event_id, peers.ticker, strict=True)) == [
        ("a", "AMD"),
        ("a", "TSM"),
        ("b", "NVDA"),
        ("b", "TSM"),
    ]
    assert (peers.role == PEER_ROLE).all()
    assert peers.deal_usd.isna().all()
    assert (peers.source_row == 0).all()
    a = peers[peers.event_id == "a"]
    assert (a.announced == pd.Timestamp("2025-09-09")).all()
    assert (a.timing == "post").all() and (a.group == "g1").all() and (a.headline == "Oracle deal").all()
    assert out.dtypes.to_dict() == events.dtypes.to_dict()
    assert peer_tickers(out) == ["AMD", "TSM", "NVDA"]


def test_no_peers_leaves_events_unchanged(tmp_path) -> None:
    events = small_events(tmp_path)
    pd.testing.assert_frame_equal(add_peers(events, []), events)
    pd.testing.assert_frame_equal(add_peers(events, ["ORCL", "NVDA"]).iloc[:3], events)


@pytest.mark.parametrize(
    ("text", "message"),
    [("nv da", "'nv da' is not a ticker"), ("NVDA,AMD,NVDA", "NVDA is listed twice"), (" , ", "no tickers"),
     # Case twins share one cache file on a case-insensitive disk; the config refused them, --peers did not.
     ("NVDA,amd,nvda", r"'nvda': nvda and NVDA differ only in case \(entries 1 and 3\)"),
     ("INTC,,AMD", r"^--peers, field 'entry 2': '' is not a ticker")],  # was field '', which named nothing
)
def test_parse_peers_rejects_bad_lists(text, message) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_peers(text)
    assert str(caught.value).startswith("--peers")


def test_the_market_proxy_given_with_peers_is_named_as_given(launch_cache, tmp_path, capsys) -> None:
    """`--peers NVDA,SPY` named 'peers' as the file of its error, not --peers."""
    root = Path(__file__).resolve().parents[1]
    args = ["run", "--events", str(root / "events.csv"), "--offline", "--cache", str(launch_cache)]
    assert main([*args, "--out", str(tmp_path / "out"), "--peers", "NVDA,SPY"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("eventstudy: error: --peers: SPY is the model's proxy series, no peer (")
    assert not (tmp_path / "out").exists()


def test_parse_peers_keeps_order() -> None:
    assert parse_peers("TSM, NVDA,^GSPC") == ("TSM", "NVDA", "^GSPC")


def test_peers_do_not_change_the_parties_results_and_match_statsmodels(launch_cache) -> None:
    events = read_events(ROOT / "events.csv")
    config = load_config(ROOT / "launch.toml")
    store = PriceStore(launch_cache)
    alone = run_study(events, store, config, peers=())
    with_peers = run_study(events, store, config, peers=["AVGO", "TSM"])
    parties = with_peers.car[with_peers.car.role != PEER_ROLE].reset_index(drop=True)
    pd.testing.assert_frame_equal(parties, alone.car)

    # AVGO as a peer of Oracle's $300B OpenAI contract: day 0 is 2025-09-10 (post-close news).
    car = with_peers.car
    row = car[(car.event_id == "oracle-openai-300b") & (car.ticker == "AVGO") & (car.window == "[0,0]")].iloc[
        0
    ]
    assert row.role == PEER_ROLE and row.outcome == "ok" and np.isnan(row.value_to_deal)
    i = int(
        np.flatnonzero(
            (with_peers.events.event_id == "oracle-openai-300b") & (with_peers.events.ticker == "AVGO")
        )[0]
    )
    panel = with_peers.estimates.panel
    returns = pd.DataFrame(panel.returns, index=panel.calendar, columns=panel.symbols)
    days = with_peers.estimates.estimation_days[i]
    frame = returns.iloc[days[days >= 0]][["AVGO", "SPY"]].dropna()
    ols = sm.OLS(frame["AVGO"], sm.add_constant(frame["SPY"])).fit()
    day0 = returns.index.get_loc(pd.Timestamp("2025-09-10"))
    prediction = ols.get_prediction(np.array([[1.0, returns["SPY"].iloc[day0]]]))
    assert row.car == pytest.approx(returns["AVGO"].iloc[day0] - prediction.predicted_mean[0], abs=1e-12)
    assert row.car_se == pytest.approx(prediction.se_obs[0], rel=1e-10)
    assert row.car == pytest.approx(0.091, abs=0.0005)  # +9.1%: the heat map's AVGO cell


def test_launch_config_peers_are_the_ai_basket(launch_cache) -> None:
    basket = load_config(ROOT / "launch.toml").peers  # the launch study's own list; the library has none
    assert len(basket) == 12 and len(set(basket)) == 12
    out = launch_output(str(launch_cache))
    events = pd.read_parquet(out / "events.parquet")
    parties = events[events.role != PEER_ROLE]
    expected = sum(len(set(basket) - set(g.ticker)) for _, g in parties.groupby("event_id"))
    assert (events.role == PEER_ROLE).sum() == expected == 131
    car = pd.read_parquet(out / "car.parquet")
    assert len(car) == (25 + 131) * 4
    # a peer has no deal: its rows do not say one was undisclosed (all 131 did); parties' do
    undisclosed = car["note"].str.contains("no deal size (deal_usd blank)", regex=False)
    assert not undisclosed[car.role == PEER_ROLE].any() and undisclosed[car.role != PEER_ROLE].any()
    # CoreWeave listed on 2025-03-28: as a peer of the January events it has no estimation window.
    crwv = car[(car.ticker == "CRWV") & (car.event_id == "deepseek-r1")]
    assert set(crwv.outcome) == {"insufficient_estimation"}
    # its note says why (the returns start after the window does), not only "0 valid returns"
    prices = pd.read_csv(ROOT.parent / "shared" / "data" / "prices" / "CRWV.csv", parse_dates=["Date"])
    second = prices["Date"].iloc[1]  # the listing day has a price, its return is the next session's
    assert set(crwv.note) == {
        "0 valid estimation returns in [-260,-11], 100 required; estimation window cut short: CRWV's returns "
        f"start {second:%Y-%m-%d}"
    }
    # a window reaching back before the data: every ticker is short, none listed late (ORCL's
    # returns start with SPY's), CRWV still says when its returns start
    launch = load_config(ROOT / "launch.toml")
    config = replace(launch, estimation_window=(-700, -11), min_estimation_obs=650, backtest=None)
    wide = run_study(ROOT / "events.csv", launch_cache, config).car
    short = wide[wide.outcome == "insufficient_estimation"]
    assert {"ORCL", "CRWV"} <= set(short.ticker)
    assert not short.loc[short.ticker != "CRWV", "note"].str.contains("returns start").any()
    assert short.loc[short.ticker == "CRWV", "note"].str.endswith(f"returns start {second:%Y-%m-%d}").all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["peers"] == list(basket)


def test_an_estimation_window_the_data_cut_short_says_so_on_its_rows(launch_cache) -> None:
    """A pair estimated on fewer days than its window asks, because the window reaches before
    the data or before its ticker's listing, said so by n_est alone (a referee: [-600,-11] gave
    the Stargate pairs 502 days, outcome ok, no note)."""
    spy = pd.read_csv(ROOT.parent / "shared" / "data" / "prices" / "SPY.csv", parse_dates=["Date"])["Date"]
    crwv = pd.read_csv(ROOT.parent / "shared" / "data" / "prices" / "CRWV.csv", parse_dates=["Date"])["Date"]
    launch = replace(load_config(ROOT / "launch.toml"), backtest=None)
    car = run_study(ROOT / "events.csv", launch_cache, replace(launch, estimation_window=(-600, -11))).car
    stargate = car[(car.event_id == "stargate-launch") & (car.role != PEER_ROLE)]
    day0 = int(np.flatnonzero(spy == pd.Timestamp("2025-01-21"))[0])  # intraday: the announcement day
    before = 1 - (day0 - 600)  # days of the window before the first return (position 1: SPY's second day)
    assert before == 88 and set(stargate.outcome) == {"ok"} and set(stargate.n_est) == {590 - before}
    said = f"estimation window cut short: [-600,-11] reaches {before} trading days before SPY's first return"
    assert stargate.note.str.startswith(said + f" ({spy.iloc[1]:%Y-%m-%d})").all()
    # Scholes-Williams' lagged market return starts a day after the market's: that day cuts it
    sw = replace(launch, estimation_window=(-600, -11), model="scholes_williams", peers=())
    lagged = run_study(ROOT / "events.csv", launch_cache, sw).car
    lagged = lagged[lagged.event_id == "stargate-launch"]
    assert set(lagged.n_est) == {590 - before - 1}
    said = f"estimation window cut short: the model's other input series starts {spy.iloc[2]:%Y-%m-%d}"
    assert lagged.note.str.startswith(said).all()
    gb200 = car[(car.event_id == "oracle-gb200-order") & (car.role != PEER_ROLE)]
    assert gb200.note.str.contains("reaches 1 trading day before").all() and set(gb200.n_est) == {589}
    inside = car[(car.event_id == "nvidia-openai-100b") & (car.ticker != "CRWV")]  # 600 days: in the data
    assert not inside.note.str.contains("cut short").any()
    # The launch's own window: CoreWeave (listed 2025-03-28) is estimated on its days since then.
    car = run_study(ROOT / "events.csv", launch_cache, launch).car
    listed = car[(car.ticker == "CRWV") & (car.outcome == "ok")]
    assert len(listed) and (listed.n_est < 250).all()
    listing = f"estimation window cut short: CRWV's returns start {crwv.iloc[1]:%Y-%m-%d}"
    assert listed.note.str.startswith(listing).all()
    assert not car[car.ticker != "CRWV"].note.str.contains("cut short").any()
    # A window of all data starts before most pairs' data by design, and after a model's lag: not
    # said (it said "NVDA's returns start 2023-01-04" of every pair but the latest, a reviewer);
    # a listing still is.
    for model in ("market", "dimson"):
        config = replace(launch, estimation_window="all", model=model)
        everything = run_study(ROOT / "events.csv", launch_cache, config).car
        cut = everything.note.str.contains("cut short")
        assert cut.any() and (everything.ticker[cut] == "CRWV").all()


def test_a_cut_short_window_names_the_pairs_own_market_and_a_factor_file_that_starts_late(
    shared_data: Path, launch_cache, tmp_path: Path
) -> None:
    """The note read only the study's market: a pair whose events row names SMH as its market
    (SMH's data start in July 2023) had n_est 378 of [-600,-11]'s 590 days and a note implying
    502, and a factor file starting in 2024 cut the ff3 fits to 253 days without a word (a
    reviewer)."""
    from eventstudy.data.importer import import_paths
    from eventstudy.data.store import PriceStore

    smh = pd.read_csv(shared_data / "prices" / "SMH.csv", parse_dates=["Date"])["Date"]
    events = read_events(ROOT / "events.csv").drop(columns="source_row")
    events = events[events.event_id.isin(["stargate-launch", "oracle-openai-300b"])].assign(market="SMH")
    launch = replace(load_config(ROOT / "launch.toml"), backtest=None, peers=())
    launch = replace(launch, estimation_window=(-600, -11))
    car = run_study(events, launch_cache, launch).car
    oracle = car[(car.event_id == "oracle-openai-300b") & (car.window == "[0,0]")].iloc[0]
    assert oracle.note.startswith(f"estimation window cut short: SMH's returns start {smh.iloc[1]:%Y-%m-%d}")
    # Stargate's window reaches 88 days before SPY's data, but SMH's later start is what cuts it
    stargate = car[(car.event_id == "stargate-launch") & (car.window == "[0,0]")]
    smh_day0 = int(np.flatnonzero(smh == pd.Timestamp("2025-01-21"))[0])
    assert set(stargate.n_est) == {smh_day0 - 10 - 1}  # SMH's returns from its second day to tau -11
    said = f"estimation window cut short: SMH's returns start {smh.iloc[1]:%Y-%m-%d}"
    assert stargate.note.str.startswith(said).all()
    # A factor file from 2024 on (French's layout: its lines before 2024 dropped).
    lines = (shared_data / "factors" / "F-F_Research_Data_Factors_daily.csv").read_text().splitlines()
    header = next(k for k, line in enumerate(lines) if line.startswith(",Mkt-RF"))
    body = lines[header + 1 :]
    kept = [*lines[: header + 1], *(line for line in body if not line[:4].isdigit() or line >= "2024")]
    factors = tmp_path / "factors"
    factors.mkdir()
    (factors / "F-F_Research_Data_Factors_daily.csv").write_text("\n".join(kept) + "\n")
    cache = tmp_path / "cache"
    prices = [shared_data / "prices" / f"{symbol}.csv" for symbol in ("SPY", "ORCL", "NVDA", "MSFT")]
    import_paths(PriceStore(cache), [*prices, factors])
    events = events[events.ticker.isin(["ORCL", "NVDA", "MSFT"])].drop(columns="market")
    car = run_study(events, cache, replace(launch, model="ff3", volume=None)).car
    oracle = car[(car.event_id == "oracle-openai-300b") & (car.window == "[0,0]")].iloc[0]
    first = pd.read_csv(factors / "F-F_Research_Data_Factors_daily.csv", skiprows=header, nrows=1).iloc[0, 0]
    assert str(first) == "20240102"
    said = "the model's Mkt-RF, SMB, HML, RF series start 2024-01-02"
    assert oracle.note.startswith(f"estimation window cut short: {said};") and oracle.outcome == "ok"
    stargate = car[(car.event_id == "stargate-launch") & (car.window == "[0,0]")]
    assert stargate.note.str.startswith(f"estimation window cut short: {said}").all()  # not the 88 days


def test_cli_no_peers_and_bad_peers(launch_cache, tmp_path, capsys) -> None:
    events = tmp_path / "events.csv"
    events.write_text(HEADER + "\na,2025-09-09,post,ORCL,supplier,300e9,g1,Oracle deal\n")
    base = ["run", "--events", str(events), "--offline", "--cache", str(launch_cache)]
    out = tmp_path / "out"
    assert main([*base, "--out", str(out), "--no-peers"]) == 0
    assert list(pd.read_parquet(out / "car.parquet").role.unique()) == ["supplier"]
    assert "event-peer" not in capsys.readouterr().out

    for peers, expected in (
        ("nv!da", "--peers, field 'nv!da': 'nv!da' is not a ticker"),
        ("NVDA,ZZZZ", "peer 'ZZZZ'"),
        # the cache holds NVDA: importing 'nvda', as the message said, would be refused as its twin
        ("nvda", "the cache holds 'NVDA' (prices), which differs only in case"),
    ):
        target = tmp_path / f"bad-{len(peers)}"
        assert main([*base, "--out", str(target), "--peers", peers]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], err
        assert not target.exists()
    assert "eventstudy cache import" in err[0] and "--no-peers" in err[0]


def test_a_repeated_peer_counts_once_and_a_config_listing_it_twice_is_refused(tmp_path, capsys) -> None:
    events = small_events(tmp_path)
    once = add_peers(events, ["AMD", "TSM"])
    pd.testing.assert_frame_equal(add_peers(events, ["AMD", "TSM", "AMD"] + ["TSM"] * 10_000), once)
    config = tmp_path / "study.toml"
    config.write_text("[study]\npeers = [" + '"TSM", ' * 50_000 + "]\n")
    out = tmp_path / "out"
    status = main(["run", "--config", str(config), "--offline", "--cache", str(tmp_path), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and err == (
        f"eventstudy: error: {config}, field 'study.peers': TSM is listed twice (entries 1 and 2)\n"
    )
    assert not out.exists()

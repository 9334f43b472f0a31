"""Small studies of a few events on a test cache, with the launch study's settings otherwise."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from eventstudy.config import load_config
from eventstudy.results import StudyResults
from eventstudy.study import run_study

ROOT = Path(__file__).resolve().parents[1]
EVENTS_HEADER = "event_id,announced,timing,ticker,role,deal_usd,group,headline\n"


def run_rows(cache: Path, tmp_path: Path, rows: Sequence[str], **changes: object) -> StudyResults:
    """``run_study`` of the events file ``rows`` (lines after :data:`EVENTS_HEADER`) with
    ``launch.toml`` less its peers, deal flows, cross-sections and backtest, then ``changes``."""
    events = tmp_path / "events.csv"
    events.write_text(EVENTS_HEADER + "".join(f"{row}\n" for row in rows))
    base = {"peers": (), "flows": (), "crosssection": (), "backtest": None}
    config = dataclasses.replace(load_config(ROOT / "launch.toml"), **{**base, **changes})  # type: ignore[arg-type]
    return run_study(events, cache, config)

"""Helpers for oracle checks on a study's returns panel."""

from __future__ import annotations

import pandas as pd

from eventstudy.timeline.returns import ReturnsPanel


def panel_returns(panel: ReturnsPanel) -> pd.DataFrame:
    """A returns panel as a calendar-indexed frame, one column per symbol."""
    return pd.DataFrame(panel.returns, index=panel.calendar, columns=panel.symbols)

"""Which of the study's event windows the report leads with.

The *main* window is :func:`eventstudy.config.main_window` (``[-1,+1]`` when configured, else
the first configured window other than ``[0,0]``, else ``[0,0]``), the same rule as
:meth:`~eventstudy.results.StudyResults.summary`; the *day-0* columns come from a configured
``[0,0]`` window and are left out without one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from eventstudy.config import DAY0_WINDOW, main_window, window_label
from eventstudy.errors import InputError

# Number of estimated parameters of the built-in models, for manifests that do not record it.
_MODEL_PARAMS = {"market": 2, "constant_mean": 1, "market_adjusted": 0}


def report_windows(labels: Sequence[str]) -> tuple[str | None, str]:
    """The report's day-0 window (or None) and its main window, from the study's window labels.

    Parameters
    ----------
    labels
        The configured event windows' labels in configuration order (``"[-1,+1]"``, ...).

    Returns
    -------
    day0, main
        ``day0`` is :data:`DAY0_WINDOW` when it is configured, else None (a day-0 dollar value
        needs the window). ``main`` follows the rule of the module docstring; when both are
        ``[0,0]`` the report shows that window once.
    """
    main = main_window(labels)
    return (DAY0_WINDOW if DAY0_WINDOW in labels else None), main


def window_order(car: pd.DataFrame, manifest: Mapping[str, Any]) -> list[str]:
    """The study's window labels: the configured ones present in ``car`` (config order), then
    any other window of ``car``."""
    configured = manifest.get("config", {}).get("event_windows") or []
    labels = [window_label((int(a), int(b))) for a, b in configured]
    present = list(dict.fromkeys(car["window"].astype(str)))
    ordered = [label for label in labels if label in present] + [w for w in present if w not in labels]
    return ordered or labels


def study_windows(car: pd.DataFrame, manifest: Mapping[str, Any]) -> tuple[str | None, str]:
    """:func:`report_windows` of :func:`window_order`."""
    return report_windows(window_order(car, manifest))


def n_params(manifest: Mapping[str, Any]) -> int:
    """k, the number of estimated parameters of the study's model (from the manifest)."""
    estimation = manifest.get("estimation", {})
    if "n_params" in estimation:
        return int(estimation["n_params"])
    model = manifest["config"].get("model", "market")
    if model not in _MODEL_PARAMS:
        raise InputError("manifest.json", "no estimation.n_params for this model (re-run the study)")
    return _MODEL_PARAMS[model]

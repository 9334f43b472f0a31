"""eventstudy: announcement event studies with abnormal dollar values per deal dollar.

The data flow reads top to bottom::

    read_events -> align_day_zero -> PriceStore -> build_panel -> fit_ols_batch
        -> abnormal_returns / car_variance -> dollar_abnormal_value -> save_study

Typical use from a notebook::

    from eventstudy import PriceStore

    from eventstudy import StudyConfig

    from eventstudy import read_events

    from eventstudy import run_study
    results = run_study(read_events("events.csv"), PriceStore("cache"), StudyConfig())
    print(results.summary())
    results.to_frame()

Importing the package is cheap: each name below is imported from its module on first use
(PEP 562), so ``import eventstudy`` and the command line's ``--help`` load no pandas, scipy
or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "PriceStore": "eventstudy.data.store",
    "StudyConfig": "eventstudy.config",
    "StudyResults": "eventstudy.results",
    "load_study": "eventstudy.output.load",
    "ExpectedReturnModel": "eventstudy.models",
    "register_model": "eventstudy.models",
    "register_statistic": "eventstudy.inference",
    "save_study": "eventstudy.output.export",
    "verify": "eventstudy.output.verify",
    "load_config": "eventstudy.config",
    "read_events": "eventstudy.data.events",
    "run_study": "eventstudy.study",
}

__all__ = [
    "ExpectedReturnModel",
    "PriceStore",
    "StudyConfig",
    "StudyResults",
    "load_config",
    "load_study",
    "read_events",
    "register_model",
    "register_statistic",
    "run_study",
    "save_study",
    "verify",
]

if TYPE_CHECKING:
    from eventstudy.config import StudyConfig, load_config
    from eventstudy.data.events import read_events
    from eventstudy.data.store import PriceStore
    from eventstudy.inference import register_statistic
    from eventstudy.models import ExpectedReturnModel, register_model
    from eventstudy.output.export import save_study
    from eventstudy.output.load import load_study
    from eventstudy.output.verify import verify
    from eventstudy.results import StudyResults
    from eventstudy.study import run_study


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

"""eventstudy: announcement event studies with abnormal dollar values per deal dollar.

The packages follow the data flow: ``data`` (the only one touching disk or network) ->
``timeline`` (trading calendar, day 0, returns) -> ``models`` -> ``abnormal`` / ``estimate`` ->
``inference`` -> ``valuation`` -> ``study`` (orchestration) -> ``results`` -> ``output`` and
``report`` -> ``cli``.

Typical use from a notebook::

    from eventstudy import infer, load_config, run_study, save_study
    results = run_study("events.csv", "cache", load_config("launch.toml"))
    results.summary()                 # text, HTML in a notebook, .as_latex()
    results.stats, results.caar       # the cross-event statistics and CAAR bands
    save_study(results, "reports/mine")
    infer("ar.csv", units="percent")  # the statistics of abnormal returns computed elsewhere

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
    "write_events": "eventstudy.output.export",
    "run_study": "eventstudy.study",
    "infer": "eventstudy.infer_ar",
    "InferenceResults": "eventstudy.infer_ar",
    "run_distributed": "eventstudy.distributed",
}

__all__ = [
    "ExpectedReturnModel",
    "InferenceResults",
    "PriceStore",
    "StudyConfig",
    "StudyResults",
    "infer",
    "load_config",
    "load_study",
    "read_events",
    "register_model",
    "register_statistic",
    "run_distributed",
    "run_study",
    "save_study",
    "verify",
    "write_events",
]

if TYPE_CHECKING:
    from eventstudy.config import StudyConfig, load_config
    from eventstudy.data.events import read_events
    from eventstudy.data.store import PriceStore
    from eventstudy.distributed import run_distributed
    from eventstudy.infer_ar import InferenceResults, infer
    from eventstudy.inference import register_statistic
    from eventstudy.models import ExpectedReturnModel, register_model
    from eventstudy.output.export import save_study, write_events
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

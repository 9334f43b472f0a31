"""eventstudy: announcement event studies with abnormal dollar values per deal dollar.

The data flow reads top to bottom::

    read_events -> align_day_zero -> PriceStore -> build_panel -> fit_ols_batch
        -> abnormal_returns / car_variance -> dollar_abnormal_value -> save_study

Typical use from a notebook::

    from eventstudy import PriceStore, StudyConfig, read_events, run_study
    results = run_study(read_events("events.csv"), PriceStore("cache"), StudyConfig())
    print(results.summary())
    results.to_frame()
"""

from eventstudy.config import StudyConfig, load_config
from eventstudy.events import read_events
from eventstudy.store import PriceStore
from eventstudy.study import StudyResults, run_study

__all__ = ["PriceStore", "StudyConfig", "StudyResults", "load_config", "read_events", "run_study"]

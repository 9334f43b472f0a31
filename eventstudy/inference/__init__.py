"""Cross-event test statistics: pure functions from abnormal returns to numbers.

Build an :class:`EventPanel` from the market-model fit, then call :func:`run_battery` for a
window (or the individual functions). Every function documents its formula, reference,
assumptions and cost; none builds an N×N matrix.
"""

from __future__ import annotations

from .battery import (
    STATISTICS,
    PanelParts,
    Statistic,
    WindowSample,
    caar_band,
    event_ar_tests,
    event_car_tests,
    path_bands,
    register_statistic,
    results_to_rows,
    run_battery,
    run_battery_windows,
    run_daily_battery,
    statistic_names,
    usable_pairs,
)
from .bootstrap import CaarBand, bootstrap_caar_band, bootstrap_t_test
from .correlation import average_cross_correlation
from .dollar import dollar_abnormal_value_test, kp_adjusted_dollar_t
from .nonparametric import (
    corrado_rank_test,
    corrado_zivney_sign_test,
    generalized_sign_test,
    grank_test,
    sign_test,
    wilcoxon_signed_rank_test,
)
from .panel import EventPanel
from .parametric import (
    EventTStatistics,
    bmp_t,
    cross_sectional_t,
    crude_dependence_t,
    event_t,
    kp_adjusted_bmp_t,
    kp_adjusted_patell_z,
    lamb_z,
    patell_z,
    portfolio_t,
)
from .result import Alternative, NotComputableError, TestResult

__all__ = [
    "STATISTICS",
    "Alternative",
    "CaarBand",
    "EventPanel",
    "EventTStatistics",
    "NotComputableError",
    "PanelParts",
    "Statistic",
    "TestResult",
    "WindowSample",
    "average_cross_correlation",
    "bmp_t",
    "bootstrap_caar_band",
    "bootstrap_t_test",
    "caar_band",
    "corrado_rank_test",
    "corrado_zivney_sign_test",
    "cross_sectional_t",
    "crude_dependence_t",
    "dollar_abnormal_value_test",
    "event_ar_tests",
    "event_car_tests",
    "event_t",
    "generalized_sign_test",
    "grank_test",
    "kp_adjusted_bmp_t",
    "kp_adjusted_dollar_t",
    "kp_adjusted_patell_z",
    "lamb_z",
    "patell_z",
    "path_bands",
    "portfolio_t",
    "register_statistic",
    "results_to_rows",
    "run_battery",
    "run_battery_windows",
    "run_daily_battery",
    "sign_test",
    "statistic_names",
    "usable_pairs",
    "wilcoxon_signed_rank_test",
]

"""Cross-sectional regressions of event outcomes on event and party characteristics.

* :mod:`~eventstudy.crosssection.rules` -- the ``[[crosssection]]`` tables of a study's TOML
  file: :class:`CrossSectionSpec` (a formula, a window, a sample, weights, clusters);
* :mod:`~eventstudy.crosssection.regression` -- the regressions on ``car.parquet``'s rows with
  classical, HC1, HC3 and clustered (CRV1 and CR2) standard errors, OLS or WLS with Patell-type
  weights: :func:`cross_sectional_regressions`, :func:`fit_cross_section`;
* :mod:`~eventstudy.crosssection.small_sample` -- Bell & McCaffrey's CR2 covariance and each
  term's degrees of freedom, for few clusters: :func:`cr2_covariance`.
"""

from __future__ import annotations

from eventstudy.crosssection.rules import CrossSectionSpec, parse_crosssection_tables

__all__ = ["CrossSectionSpec", "parse_crosssection_tables"]

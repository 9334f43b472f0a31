"""A study as a Dask computation over the parquet cache: partitioned by ticker, merged exactly.

``eventstudy run --scheduler local[:N]|ADDRESS`` and :func:`run_distributed` run the same study
as :func:`eventstudy.study.run_study`, on a :mod:`distributed` cluster (a local one, a SLURM or
PBS allocation through dask-jobqueue, a Kubernetes deployment), and return the same
:class:`~eventstudy.results.StudyResults`: every table exactly (``ar``, ``car`` with the
confounder columns, ``caar`` with its bands, ``crosssection``, ``garch``, ``volume``, the
backtest's), ``stats`` and ``volume_stats`` to about 1e-15 relative (sums added in another
order). An estimation window over all data is refused
(:func:`~eventstudy.distributed.run.refuse_unpartitioned`): its start is the earliest day any
pair reaches, which one partition cannot know.

Design
------
*On the workers, per partition* (whole tickers, :func:`~eventstudy.distributed.plan.plan_partitions`;
:func:`~eventstudy.distributed.tasks.partition_task`): read the partition's price and share files
from the cache (a shared folder or an fsspec URL such as ``s3://bucket/cache``, with every
integrity check and the price policy of ``eventstudy run``), build the returns panel of those
tickers and the model's series, run the per-pair steps of :func:`~eventstudy.study.run_study`
(:func:`~eventstudy.estimate.estimate`, the withheld-days notes, the confounder screen, the
GARCH fits, the abnormal volume model), and reduce the estimation window to per-partition
sums (:mod:`eventstudy.inference.partial`): the Corrado rank and sign day sums and the
estimation-window AAR of every (group, window) — the pairs
:func:`~eventstudy.aggregate.battery_members` gives, with each window's confounded pairs left
out of the ``(unconfounded)`` twins or of every group with ``exclude_confounded`` — of the
returns and of the abnormal log volumes. The residuals stay on the worker for two
more passes: GRANK's day sums once the driver knows the cross-sectional SD of the SCARs, and
Kolari-Pynnönen's r̄, whose pairs are those with event windows overlapping in calendar time:
the rows are regrouped into calendar blocks of at least an event span's days, each block's
pair sums computed on a worker from the residual rows of the pairs starting in it (and the
end of the previous block), so no worker needs more than a block's rows.

*Gathered to the driver*, per pair: the thin panel (event-window ARs, calendar days — the date
clusters —, market values, regressors and :math:`(X'X)^{-1}`, σ, M, k, the GARCH event-window
variances), five estimation-window counts and the residuals' autocorrelations at lags 1 to
L2 - 1 (:class:`~eventstudy.inference.partial.EstimationRows`) — 8·(L2·(5 + k) + k² + 8) bytes,
about 1 KB per pair for a [-10, +10] span and the market model, independent of the estimation
window's length — plus the per-pair tables ``ar`` (L2 rows per pair) and ``car`` (one row per
window) when the results are gathered; per partition, the sums (a few KB per group and window).
Measured with the battery's own work arrays (``benchmarks/bench_w3.py``): about 6 KB a pair on
the driver, 15 KB with the tables gathered (:data:`~eventstudy.distributed.run.DRIVER_MEMORY_PER_ROW`).
The driver adds the sums in partition and block order (so a run is reproducible bit for bit
given its partitions: the default ``rows_per_partition`` follows the number of workers, and another
cluster's partitions may differ in the last bits, 9e-15 relative on the launch study), then
runs :func:`~eventstudy.aggregate.cross_event_statistics`,
:func:`~eventstudy.aggregate.caar_bands`, the cross-sectional regressions and
:func:`~eventstudy.volume.volume_statistics` on the thin panels with the merged parts: the
statistics that need the N CARs (cross-sectional t, sign, Wilcoxon, the clustered t's, the
bootstrap, the CAAR bands, the BH and Holm adjustments) see them all, in events order, as in
memory. Neither the price panel nor any pair's estimation window is gathered.

*Not partitioned*: the backtest of a ``[backtest]`` rule is one task (the rule trades across
tickers in calendar time), which holds the listed parties' prices on one worker.
"""

from __future__ import annotations

from eventstudy.distributed.cluster import connect, parse_scheduler, require_dask
from eventstudy.distributed.run import ENGINE, DistributedRun, compute_distributed, run_distributed

__all__ = [
    "ENGINE",
    "DistributedRun",
    "compute_distributed",
    "connect",
    "parse_scheduler",
    "require_dask",
    "run_distributed",
]

"""Size and power of the cross-event test battery on simulated market-model samples.

Each sample has 50 events (pairs), an estimation window of 250 days before the event window of
relative days -5..+5. Returns follow the market model :math:`R_{it} = \\alpha + \\beta_i R_{mt} +
\\sigma_i u_{it}` with :math:`R_{mt} \\sim N(0.0004, 0.01^2)`, :math:`\\beta_i \\sim U(0.5, 1.5)`,
:math:`\\sigma_i \\sim U(1\\%, 3\\%)` and normal :math:`u`; where a scenario has residual
correlation ρ the disturbances share a factor in calendar time,
:math:`u_{it} = \\sqrt{\\rho} f_t + \\sqrt{1-\\rho} e_{it}`, so two events are correlated on the
calendar days they share. The market model is re-estimated by OLS for every pair (on its own
estimation days) and :func:`eventstudy.inference.run_battery_windows` is run on the result.

Scenarios (2,000 samples each by default):

* ``null``: day 0s drawn from 2,500 calendar days (mostly different), independent residuals;
* ``clustered``: every event on the same day, ρ = 0.1;
* ``staggered``: 50 distinct day 0s within 60 calendar days, ρ = 0.3 (estimation windows
  overlap heavily, event windows only for neighbours);
* ``unequal``: every event on the same day, ρ = 0.1, half of the firms with only the last 60
  estimation days (the others 250);
* ``partial``: 10 dates drawn from 500 calendar days with 5 events each, ρ = 0.1;
* ``power``: as ``null`` with an abnormal return of +1% added on day 0;
* ``staggered_power``: as ``staggered`` with +0.5% on day 0;
* ``firms``: as ``null`` but the 50 events belong to 10 firms (5 each, with the firm's beta and
  sigma) and each firm's events share a firm effect on day 0, N(0, 1%^2): the mean is zero but
  a firm's announcements move it alike, the dependence that clustering by firm allows for
  (each event draws its own idiosyncratic returns, as if a firm's events lay far apart);
* ``event_variance``: as ``null`` with the day-0 residual variance doubled (event-induced
  variance, no abnormal mean): the size of the mean tests, the power of the volatility test;
* ``garch``: as ``null`` with GARCH(1,1) residuals, :math:`h_t = \\sigma_i^2(1 - a - b) + a
  e_{t-1}^2 + b h_{t-1}`, a = 0.10, b = 0.85 (unconditional variance :math:`\\sigma_i^2`, 100
  days of burn-in), and a GARCH(1,1) fitted to every pair's estimation residuals through
  :func:`eventstudy.models.garch.fit_conditional_variance` (``arch``), so the GARCH tests run;
* ``garch_power``: as ``garch`` with +0.5% on day 0.

Only the two GARCH scenarios fit GARCH models (about 40 ms of CPU per pair, 2 s per sample of 50
pairs: twenty times the rest of the battery), so the GARCH tests appear only there, with
``--garch-samples`` samples each (default: ``--samples``).

The table gives each test's rejection rate at the 5% level (two-sided, p ≤ 0.05) with the
Monte-Carlo s.e. of a 5% rate; size cells are flagged ok / LOW / HIGH against [3.5%, 6.5%].
A test is expected inside the band only where its assumptions hold: the tests that assume
independent events (cross-sectional t, portfolio t, Patell, BMP, sign, generalized sign,
Wilcoxon, bootstrap) over-reject when events share calendar days with correlated residuals
(``clustered``, ``unequal``, ``partial``, and ``staggered`` for multi-day windows); the
Kolari-Pynnönen adjustments, the crude-dependence and Lamb tests and the rank tests are meant to
hold there; the firm-clustered t in ``firms``, the date-clustered and two-way t where events share
dates in enough clusters (``partial``, ``staggered``). A cell is ``n/a`` where the statistic was
not computable in any sample (the date-clustered t of events on one day has one cluster); where
it was not computable in some, the rate is over the others and the cell says how many were not.
Data are generated vectorised over a chunk of samples; the chunks run on
``--workers`` processes with independent seeds spawned from one ``numpy.random.SeedSequence``,
so the output is reproducible for a given ``--samples``/``--workers``/``--seed``.

Usage::

    python benchmarks/size_power.py [--samples 2000] [--garch-samples N] [--workers 2] [--seed 20261121]
                                    [--scenarios a,b]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventstudy.inference import STATISTICS, EventPanel, run_battery_windows
from eventstudy.models.garch import fit_conditional_variance

N_EVENTS = 50
L1 = 250
TAUS = np.arange(-5, 6)
ALPHA = 0.05
BOOTSTRAP_DRAWS = 199
CHUNK = 100
SKIP = ("kp_average_correlation", "dollar_abnormal_value", "dollar_z", "dollar_fallback_sd_rows")
TESTS = tuple(name for name, s in STATISTICS.items() if name not in SKIP and s.p_from is None)
"""Every registered test, once: rows that repeat another's p (caar, abnormal_volatility) and
descriptive rows are left out."""
VOLATILITY_TESTS = ("volatility_t",)
FIRMS = 10
"""Firms of the ``firms`` scenario (50 events, 5 per firm)."""
GARCH_BURN_IN = 100


@dataclass(frozen=True)
class Scenario:
    """How one scenario places its events and draws its returns."""

    name: str
    days: str  # "spread", "same", "staggered" or "partial"
    rho: float = 0.0
    abnormal: float = 0.0
    short_estimation: int = 0  # half of the firms keep only this many estimation days (0: all)
    firms: int = 0  # events belong to this many firms, round robin (0: every event its own firm)
    firm_sd: float = 0.0  # s.d. of a firm effect shared by the firm's events on day 0
    event_variance: float = 1.0  # multiplier of the day-0 residual variance
    garch: tuple[float, float] | None = None  # (a, b) of GARCH(1,1) residuals; None: i.i.d.
    fit_garch: bool = False  # fit a GARCH(1,1) to every pair (the GARCH tests run)

    def is_power(self, test: str) -> bool:
        """True where the scenario's rejection rate of ``test`` is power, not size."""
        event_induced = self.event_variance != 1 or self.firm_sd > 0  # a firm effect adds variance
        return self.abnormal != 0 or (event_induced and test in VOLATILITY_TESTS)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("null", "spread"),
        Scenario("clustered", "same", rho=0.1),
        Scenario("staggered", "staggered", rho=0.3),
        Scenario("unequal", "same", rho=0.1, short_estimation=60),
        Scenario("partial", "partial", rho=0.1),
        Scenario("power", "spread", abnormal=0.01),
        Scenario("staggered_power", "staggered", rho=0.3, abnormal=0.005),
        Scenario("firms", "spread", firms=FIRMS, firm_sd=0.01),
        Scenario("event_variance", "spread", event_variance=2.0),
        Scenario("garch", "spread", garch=(0.10, 0.85), fit_garch=True),
        Scenario("garch_power", "spread", abnormal=0.005, garch=(0.10, 0.85), fit_garch=True),
    )
}
COLUMNS = (
    ("null", (0, 0), "size, day 0"),
    ("null", (-1, 1), "size, CAR[-1,+1]"),
    ("clustered", (0, 0), "clustered, day 0"),
    ("clustered", (-1, 1), "clustered, CAR[-1,+1]"),
    ("staggered", (0, 0), "staggered, day 0"),
    ("staggered", (-1, 1), "staggered, CAR[-1,+1]"),
    ("unequal", (0, 0), "unequal L1, day 0"),
    ("partial", (0, 0), "partial clustering, day 0"),
    ("partial", (-1, 1), "partial clustering, CAR[-1,+1]"),
    ("power", (0, 0), "power, +1% day 0"),
    ("staggered_power", (0, 0), "staggered power, +0.5% day 0"),
    ("staggered_power", (-1, 1), "staggered power, CAR[-1,+1]"),
    ("firms", (0, 0), "repeat firms, day 0"),
    ("event_variance", (0, 0), "event variance x2, day 0"),
    ("garch", (0, 0), "GARCH, day 0"),
    ("garch", (-1, 1), "GARCH, CAR[-1,+1]"),
    ("garch_power", (0, 0), "GARCH power, +0.5% day 0"),
)


@dataclass(frozen=True)
class Job:
    scenario: str
    samples: int
    seed: np.random.SeedSequence


def event_starts(rng: np.random.Generator, samples: int, how: str) -> np.ndarray:
    """(samples, N) calendar day of each event's first estimation day."""
    if how == "same":
        return np.zeros((samples, N_EVENTS), dtype=np.int64)
    if how == "spread":
        return rng.integers(0, 2500, size=(samples, N_EVENTS))
    if how == "staggered":  # 50 distinct days out of 60
        return np.argsort(rng.random((samples, 60)), axis=1)[:, :N_EVENTS]
    if how == "partial":  # 10 dates out of 500, 5 events on each
        dates = np.argsort(rng.random((samples, 500)), axis=1)[:, :10]
        return np.repeat(dates, N_EVENTS // 10, axis=1)
    raise ValueError(how)


def simulate(rng: np.random.Generator, samples: int, scenario: Scenario) -> list[EventPanel]:
    """``samples`` panels of one scenario, generated and estimated in one vectorised pass."""
    l2 = TAUS.size
    total = L1 + l2
    starts = event_starts(rng, samples, scenario.days)
    calendar = int(starts.max()) + total
    market = rng.normal(0.0004, 0.01, size=(samples, calendar))
    common = rng.normal(size=(samples, calendar))
    days = starts[:, :, None] + np.arange(total)[None, None, :]
    rm = np.take_along_axis(market[:, None, :], days, axis=2)
    factor = np.take_along_axis(common[:, None, :], days, axis=2)
    beta = rng.uniform(0.5, 1.5, size=(samples, N_EVENTS, 1))
    sigma_true = rng.uniform(0.01, 0.03, size=(samples, N_EVENTS, 1))
    firm = np.arange(N_EVENTS) % scenario.firms if scenario.firms else np.arange(N_EVENTS)
    beta, sigma_true = beta[:, firm], sigma_true[:, firm]  # a firm keeps its beta and sigma
    rho = scenario.rho
    innovations = rng.normal(size=rm.shape)
    if scenario.garch is not None:
        burn = rng.normal(size=(samples, N_EVENTS, GARCH_BURN_IN))
        innovations = garch_shocks(innovations, burn, *scenario.garch)
    shocks = np.sqrt(rho) * factor + np.sqrt(1 - rho) * innovations
    day0 = L1 + int(np.flatnonzero(TAUS == 0)[0])
    shocks[:, :, day0] *= np.sqrt(scenario.event_variance)
    returns = 0.0002 + beta * rm + sigma_true * shocks
    returns[:, :, day0] += scenario.abnormal
    if scenario.firm_sd:
        effect = rng.normal(0.0, scenario.firm_sd, size=(samples, scenario.firms))
        returns[:, :, day0] += effect[:, firm]
    # Estimation days of each pair: all L1, or the last `short_estimation` for half the firms.
    first_day = np.zeros((samples, N_EVENTS, 1), dtype=np.int64)
    if scenario.short_estimation:
        first_day[:, N_EVENTS // 2 :, 0] = L1 - scenario.short_estimation
    valid = np.arange(L1)[None, None, :] >= first_day
    # OLS of the market model on each pair's estimation days, all pairs at once.
    weight = valid.astype(float)
    x_est, y_est = rm[:, :, :L1], returns[:, :, :L1]
    n = weight.sum(axis=2, keepdims=True)
    sx, sy = (weight * x_est).sum(axis=2, keepdims=True), (weight * y_est).sum(axis=2, keepdims=True)
    x_mean, y_mean = sx / n, sy / n
    sxx = (weight * (x_est - x_mean) ** 2).sum(axis=2, keepdims=True)
    slope = (weight * (x_est - x_mean) * (y_est - y_mean)).sum(axis=2, keepdims=True) / sxx
    intercept = y_mean - slope * x_mean
    resid = returns - intercept - slope * rm
    resid[:, :, :L1] = np.where(valid, resid[:, :, :L1], np.nan)
    m = n[..., 0]
    sigma = np.sqrt(np.nansum(resid[:, :, :L1] ** 2, axis=2) / (m - 2))
    # (X'X)^{-1} of [1, R_m]: [[1/M + m^2/Sxx, -m/Sxx], [-m/Sxx, 1/Sxx]].
    mean, s = x_mean[..., 0], sxx[..., 0]
    xtx_inv = np.stack(
        [np.stack([1 / m + mean**2 / s, -mean / s], axis=-1), np.stack([-mean / s, 1 / s], axis=-1)],
        axis=-2,
    )
    x_event = np.stack([np.ones_like(rm[:, :, L1:]), rm[:, :, L1:]], axis=-1)
    firms = np.array([f"F{i}" for i in firm], dtype=object)
    variances = [conditional_variances(resid[k]) if scenario.fit_garch else None for k in range(samples)]
    return [
        EventPanel(
            ar_estimation=resid[k, :, :L1],
            ar_event=resid[k, :, L1:],
            event_tau=TAUS,
            estimation_day=days[k, :, :L1],
            event_day=days[k, :, L1:],
            sigma=sigma[k],
            n_estimation=m[k],
            n_params=np.full(N_EVENTS, 2),
            xtx_inv=xtx_inv[k],
            x_event=x_event[k],
            firm=firms,
            conditional_variance=variances[k],
        )
        for k in range(samples)
    ]


def garch_shocks(z: np.ndarray, burn: np.ndarray, a: float, b: float) -> np.ndarray:
    """GARCH(1,1) disturbances of unit unconditional variance from standard normal innovations.

    :math:`e_t = \\sqrt{h_t} z_t`, :math:`h_{t+1} = (1 - a - b) + a e_t^2 + b h_t`, started at
    :math:`h = 1` and run through the ``burn`` innovations first; ``z`` is (samples, N, T).
    """
    h = np.ones(z.shape[:2])
    for t in range(burn.shape[2]):
        e = np.sqrt(h) * burn[:, :, t]
        h = (1 - a - b) + a * e**2 + b * h
    out = np.empty_like(z)
    for t in range(z.shape[2]):
        out[:, :, t] = np.sqrt(h) * z[:, :, t]
        h = (1 - a - b) + a * out[:, :, t] ** 2 + b * h
    return out


def conditional_variances(resid: np.ndarray) -> np.ndarray:
    """(N, L2) one-step-ahead GARCH(1,1) variances of the event days: fitted by ``arch`` on each
    pair's estimation residuals and filtered through the event window, as a study with
    ``variance = "garch"`` does (NaN where a fit fails)."""
    fits = fit_conditional_variance(resid, L1, "garch")
    return fits.variance[:, L1:]


NOT_RUN = np.inf
"""The p-value recorded for a statistic the battery did not run (a GARCH test without a fit)."""


def run_job(job: Job) -> tuple[dict[tuple[int, int], np.ndarray], dict[tuple[int, int], np.ndarray]]:
    """p-values, shape (samples, tests) (NaN: not computable; :data:`NOT_RUN`: not run), and
    r̄ of each sample, per window."""
    rng = np.random.default_rng(job.seed)
    scenario = SCENARIOS[job.scenario]
    windows = [w for name, w, _ in COLUMNS if name == job.scenario]
    out = {w: np.full((job.samples, len(TESTS)), NOT_RUN) for w in windows}
    rbar = {w: np.zeros(job.samples) for w in windows}
    done = 0
    while done < job.samples:
        size = min(CHUNK, job.samples - done)
        for k, panel in enumerate(simulate(rng, size, scenario)):
            batteries = run_battery_windows(panel, windows, bootstrap_draws=BOOTSTRAP_DRAWS, seed=done + k)
            for window, battery in zip(windows, batteries, strict=True):
                results = {r.statistic: r.p for r in battery}
                out[window][done + k] = [results.get(name, NOT_RUN) for name in TESTS]
                rbar[window][done + k] = next(
                    r.value for r in battery if r.statistic == "kp_average_correlation"
                )
        done += size
    return out, rbar


def rate_cell(p: np.ndarray, power: bool) -> str:
    """One cell: the rejection rate (p <= 5%) over the samples where the test was computable,
    flagged against the size band unless ``power``; ``—`` when not run, ``n/a`` when never
    computable."""
    if np.all(p == NOT_RUN):
        return "—"
    finite = np.isfinite(p)
    if not finite.any():
        return "n/a"
    rate = float(np.mean(p[finite] <= ALPHA))
    cell = f"{rate:.1%}"
    if not power:
        cell += " " + ("ok" if 0.035 <= rate <= 0.065 else ("LOW" if rate < 0.035 else "HIGH"))
    missing = int((~finite).sum())
    if missing:
        cell += f" ({missing} n/a)"
    return cell


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument(
        "--garch-samples", type=int, help="samples of the scenarios that fit GARCH models (default --samples)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument(
        "--scenarios", help=f"comma-separated subset of {', '.join(SCENARIOS)} (default: all)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    scenarios = args.scenarios.split(",") if args.scenarios else list(SCENARIOS)
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    garch_samples = args.garch_samples if args.garch_samples is not None else args.samples
    columns = [column for column in COLUMNS if column[0] in scenarios]
    pieces = max(1, args.workers)
    seeds = np.random.SeedSequence(args.seed).spawn(len(scenarios) * pieces)
    jobs = []
    counts = {}
    for s, scenario in enumerate(scenarios):
        counts[scenario] = garch_samples if SCENARIOS[scenario].fit_garch else args.samples
        share = np.array_split(np.arange(counts[scenario]), pieces)
        jobs += [Job(scenario, len(part), seeds[s * pieces + j]) for j, part in enumerate(share) if len(part)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        outputs = list(pool.map(run_job, jobs))
    merged: dict[tuple[str, tuple[int, int]], list[np.ndarray]] = {}
    rbars: dict[tuple[str, tuple[int, int]], list[np.ndarray]] = {}
    for job, (output, rbar) in zip(jobs, outputs, strict=True):
        for window, value in output.items():
            merged.setdefault((job.scenario, window), []).append(value)
            rbars.setdefault((job.scenario, window), []).append(rbar[window])
    p_values = {key: np.concatenate(parts) for key, parts in merged.items()}
    mean_rbar = {key: float(np.concatenate(parts).mean()) for key, parts in rbars.items()}
    elapsed = time.perf_counter() - started
    sizes = sorted({counts[scenario] for scenario, _, _ in columns}, reverse=True)
    errors = "; ".join(f"{np.sqrt(ALPHA * (1 - ALPHA) / n):.2%} with {n:,} samples" for n in sizes)
    garch = [s for s in scenarios if SCENARIOS[s].fit_garch]
    print(
        f"Rejection rates at the {ALPHA:.0%} level (two-sided), {args.samples} samples per scenario"
        + (f" ({garch_samples} for {', '.join(garch)})" if garch and garch_samples != args.samples else "")
        + f" of {N_EVENTS} events, estimation {L1} days, market model. Monte-Carlo s.e. of a 5% rate: "
        f"{errors}. Size band [3.5%, 6.5%]: ok / LOW / HIGH; power cells have no flag.\n"
    )
    header = "| test | " + " | ".join(label for _, _, label in columns) + " |"
    print(header)
    print("|" + "---|" * (len(columns) + 1))
    for j, name in enumerate(TESTS):
        cells = [
            rate_cell(p_values[(scenario, window)][:, j], SCENARIOS[scenario].is_power(name))
            for scenario, window, _ in columns
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    cells = [f"{mean_rbar[(scenario, window)]:.3f}" for scenario, window, _ in columns]
    print("| mean r̄ (KP) | " + " | ".join(cells) + " |")
    print(f"\n({elapsed:.0f} s on {args.workers} processes)")


if __name__ == "__main__":
    main()

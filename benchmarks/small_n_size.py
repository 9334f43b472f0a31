"""Size of the rank and sign tests and BMP in small groups (simulation, not speed).

Under the null (i.i.d. standard normal standardized residuals: 250 estimation days per pair and
one standardized CAR), each sample of N pairs is tested at a nominal 5%; the share of rejections
over ``--draws`` samples is the test's size (Monte-Carlo s.e. about sqrt(0.05 * 0.95 / draws)).
GRANK (Kolari & Pynnönen 2011) re-standardizes the N CARs by their cross-sectional s.d. before
ranking them among the estimation days: the s.d. of a few CARs is often small beside their
level, so those ratios fall at the ends of the ranking, and the test over-rejects. The README's
"Small samples" and ``eventstudy.inference.nonparametric.GRANK_NULL_SIZE`` record this run.

Usage::

    .venv/bin/python benchmarks/small_n_size.py                 # N = 2, 3, 5, 8, 12, 25, 50; 4,000 draws
    .venv/bin/python benchmarks/small_n_size.py --draws 1000 --sizes 5 25

Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from eventstudy.inference import bmp_t, corrado_rank_test, generalized_sign_test, grank_test

ESTIMATION_DAYS = 250
LEVEL = 0.05


def rejection_rates(n_pairs: int, draws: int, rng: np.random.Generator) -> dict[str, float]:
    """Share of ``draws`` null samples of ``n_pairs`` pairs that each test rejects at 5%."""
    rejected = dict.fromkeys(("grank_t", "corrado_rank_z", "generalized_sign_z", "bmp_t"), 0)
    for _ in range(draws):
        sar = rng.standard_normal((n_pairs, ESTIMATION_DAYS))
        scar = rng.standard_normal(n_pairs)
        rejected["grank_t"] += grank_test(sar, scar).p < LEVEL
        rejected["corrado_rank_z"] += corrado_rank_test(sar, scar[:, None]).p < LEVEL
        rejected["generalized_sign_z"] += generalized_sign_test(scar, sar).p < LEVEL
        rejected["bmp_t"] += bmp_t(scar).p < LEVEL
    return {name: count / draws for name, count in rejected.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 3, 5, 8, 12, 25, 50])
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    rows = {n: rejection_rates(n, args.draws, rng) for n in args.sizes}
    tests = list(next(iter(rows.values())))
    se = math.sqrt(LEVEL * (1 - LEVEL) / args.draws)
    print(f"size at a nominal 5%, {args.draws:,} null samples each (Monte-Carlo s.e. {se:.2%}), ", end="")
    print(f"seed {args.seed}")
    print()
    print("| test | " + " | ".join(f"N = {n}" for n in args.sizes) + " |")
    print("|---|" + "---|" * len(args.sizes))
    for test in tests:
        print(f"| {test} | " + " | ".join(f"{rows[n][test]:.1%}" for n in args.sizes) + " |")


if __name__ == "__main__":
    main()

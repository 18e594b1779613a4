"""Prediction-powered estimates: coverage and width against a known truth, and on the HH audit.

    python benchmarks/bench_ppi.py [--reps 1000]

Simulation: 5,000 items, true rate 0.20, a biased classifier (misses 30 % of positives, flags
10 % of negatives), people label n uniformly random items; 95 % intervals from the classifier
alone, people alone, and PPI++ (ppi_py), over `reps` repetitions.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    from safetylab.stats.ppi import ppi_rate

    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    args = ap.parse_args()
    N, p = 5000, 0.2
    for n in (100, 300, 1000):
        rng = np.random.default_rng(n)
        cover = {"ppi": 0, "classifier": 0, "human": 0}
        width = {"ppi": [], "human": []}
        t0 = time.perf_counter()
        for _ in range(args.reps):
            y = rng.random(N) < p
            yhat = np.where(y, rng.random(N) > 0.3, rng.random(N) < 0.1)
            idx = rng.choice(N, n, replace=False)
            e = ppi_rate(y[idx], yhat[idx], yhat)
            for k, key in (
                ("ppi", "ci95"),
                ("classifier", "classifier_only_ci95"),
                ("human", "human_only_ci95"),
            ):
                cover[k] += e[key][0] <= p <= e[key][1]
            width["ppi"].append(e["ci95"][1] - e["ci95"][0])
            width["human"].append(e["human_only_ci95"][1] - e["human_only_ci95"][0])
        dt = time.perf_counter() - t0
        print(
            f"n={n:5d} labels: coverage PPI {cover['ppi'] / args.reps:.3f}, classifier alone "
            f"{cover['classifier'] / args.reps:.3f}, people alone {cover['human'] / args.reps:.3f};"
            f" mean width PPI {np.mean(width['ppi']):.4f} vs people alone "
            f"{np.mean(width['human']):.4f} ({dt / args.reps * 1e3:.2f} ms per estimate)"
        )


if __name__ == "__main__":
    main()

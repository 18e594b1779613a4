"""Empirical privacy: what an attack's error rates prove about epsilon.

A mechanism that is (epsilon, delta)-DP bounds every membership test: FPR + e^eps FNR >= 1 - delta
and FNR + e^eps FPR >= 1 - delta (Kairouz, Oh, Viswanath 2015). Turning an attack's counts into
a one-sided lower confidence bound on epsilon (Clopper-Pearson limits of both rates) is the
audit of Jagielski et al. 2020 and Nasr et al. 2021; `privacy_estimates.compute_eps_lo(...,
method="beta")` computes the same statistic (a test cross-checks it). The Gaussian-DP
conversion reads Andrew et al. 2024's one-shot estimate as an epsilon.
"""

from __future__ import annotations

import math


def eps_from_rates(fnr: float, fpr: float, delta: float) -> float:
    """The smallest epsilon whose (epsilon, delta)-DP region holds the point (FNR, FPR)."""

    def side(a: float, b: float) -> float:
        num = 1.0 - delta - a
        if num <= 0:
            return 0.0
        return math.inf if b <= 0 else max(math.log(num / b), 0.0)

    return max(side(fpr, fnr), side(fnr, fpr), 0.0)


def eps_lower_bound(tp: int, fn: int, fp: int, tn: int, delta: float, alpha: float) -> float:
    """A one-sided (1 - alpha) lower confidence bound on epsilon from an attack's counts:
    Clopper-Pearson limits of FPR and FNR, then the smallest epsilon over the rectangle they
    span (0 when the rectangle reaches the chance line)."""
    from statsmodels.stats.proportion import proportion_confint

    if min(tp + fn, fp + tn) <= 0:
        raise ValueError("both the inserted and the held-out canaries need at least one test")
    fpr_l, fpr_r = proportion_confint(fp, fp + tn, alpha, "beta")
    fnr_l, fnr_r = proportion_confint(fn, fn + tp, alpha, "beta")
    straddles = (fnr_r > 1 - fpr_r) != (fnr_l > 1 - fpr_l)
    lo = 0.0 if straddles else math.inf
    return float(min(eps_from_rates(fnr_l, fpr_l, delta), eps_from_rates(fnr_r, fpr_r, delta), lo))


def gdp_epsilon(mu: float, delta: float) -> float:
    """Epsilon at `delta` of mu-Gaussian DP (Dong, Roth, Su 2019), by bisection."""
    from scipy.stats import norm

    if mu <= 0:
        return 0.0

    def dlt(eps: float) -> float:
        return float(norm.cdf(-eps / mu + mu / 2) - math.exp(eps) * norm.cdf(-eps / mu - mu / 2))

    lo, hi = 0.0, 100.0
    if dlt(hi) > delta:
        return hi
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if dlt(mid) > delta else (lo, mid)
    return hi

"""Proportions with 95 % Wilson intervals (statsmodels), overall and per group."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from statsmodels.stats.proportion import proportion_confint


def rate(k: int, n: int, alpha: float = 0.05) -> dict[str, object]:
    """`{"k", "n", "rate", "ci95": [lo, hi]}`; rate and CI are None when n == 0."""
    if k != int(k) or n != int(n) or not 0 <= int(k) <= int(n):
        raise ValueError(f"rate(k={k}, n={n}): k and n must be whole numbers with 0 <= k <= n")
    if not 0 < alpha < 1:
        raise ValueError(f"rate(alpha={alpha}): alpha must lie in (0, 1)")
    k, n = int(k), int(n)
    if n == 0:
        return {"k": 0, "n": 0, "rate": None, "ci95": [None, None]}
    lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
    return {
        "k": k,
        "n": n,
        "rate": round(k / n, 4),
        "ci95": [round(float(lo), 4), round(float(hi), 4)],
    }


def cluster_rate(outcome: pd.Series, cluster: pd.Series) -> dict[str, object]:
    """A proportion whose observations come in clusters (samples of one prompt): the
    cluster-robust (sandwich) standard error, a normal 95 % interval clipped to [0, 1], and the
    effective number of independent observations p(1 - p) / se^2 (n / design effect)."""
    y = outcome.astype(float).to_numpy()
    n = len(y)
    if n == 0:
        return {"k": 0, "n": 0, "rate": None, "ci95": [None, None], "clusters": 0}
    p = float(y.mean())
    df = pd.DataFrame({"y": y, "c": cluster.to_numpy()})
    sums = df.groupby("c")["y"].agg(["sum", "size"])
    c = len(sums)
    resid = sums["sum"].to_numpy() - p * sums["size"].to_numpy()
    var = float((resid**2).sum()) / n**2 * (c / (c - 1) if c > 1 else 1.0)
    se = var**0.5
    if se == 0.0:  # every answer alike: Wilson on the clusters, never a zero-width interval
        lo, hi = proportion_confint(round(p * c), c, alpha=0.05, method="wilson")
        n_eff = float(c)
    else:
        lo, hi = p - 1.959963984540054 * se, p + 1.959963984540054 * se
        n_eff = p * (1 - p) / var
    return {
        "k": int(y.sum()),
        "n": n,
        "rate": round(p, 4),
        "ci95": [round(max(float(lo), 0.0), 4), round(min(float(hi), 1.0), 4)],
        "clusters": c,
        "n_effective": round(min(n_eff, float(n)), 1),
    }


def rate_table(
    df: pd.DataFrame, by: str, metrics: Iterable[str], min_n: int = 1
) -> dict[str, dict[str, object]]:
    """Per value of `by` (a scalar or list column; lists are exploded so a row counts for each
    of its values): n and the rate of each boolean metric column."""
    metrics = list(metrics)
    if by not in df.columns or df.empty:
        return {}
    ex = df[[by, *metrics]].explode(by).dropna(subset=[by])
    out: dict[str, dict[str, object]] = {}
    for key, grp in ex.groupby(by, sort=True):
        n = len(grp)
        if n < min_n:
            continue
        out[str(key)] = {"n": n, **{m: rate(int(grp[m].sum()), n) for m in metrics}}
    return out

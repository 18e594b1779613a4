"""Proportions with 95 % Wilson intervals (statsmodels), overall and per group."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from statsmodels.stats.proportion import proportion_confint


def rate(k: int, n: int, alpha: float = 0.05) -> dict[str, object]:
    """`{"k", "n", "rate", "ci95": [lo, hi]}`; rate and CI are None when n == 0."""
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

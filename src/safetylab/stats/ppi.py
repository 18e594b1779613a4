"""Prediction-powered inference: rates that stay valid when the classifier errs.

A uniformly (or stratified-) random sample of items labelled by people, plus the classifier's
labels on every item, gives an estimate whose 95 % interval covers the truth whatever the
classifier's errors — and is narrower than the people's labels alone when the classifier is
decent (Angelopoulos et al., Science 2023; PPI++ power tuning, 2024). The arithmetic is
`ppi_py`'s (`ppi_mean_ci`, `ppi_mean_pointestimate`, `ppi_mean_power`); this module shapes
inputs and outputs for the audit, the probe, finetune and annotate.

Every estimate carries three figures side by side: the classifier alone (Wilson on all items,
which inherits its bias), people alone (Wilson, or the weighted normal interval under stratified
sampling), and PPI++.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from statsmodels.stats.proportion import proportion_confint

Z95 = 1.959963984540054
# Below this many people's labels, or when they all agree, PPI's normal interval rests on a
# variance it cannot estimate (two labels both "harmful" gave [100 %, 100 %]): the people's own
# Wilson interval is reported instead, and the output says so.
MIN_LABELS = 10


def _r(x: float) -> float:
    return round(float(x), 4)


def _weighted_mean_ci(y: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Mean and normal 95 % interval of y under sampling weights (Hajek)."""
    w = w / w.sum()
    m = float((w * y).sum())
    se = float(np.sqrt(((w * (y - m)) ** 2).sum()))
    return m, m - Z95 * se, m + Z95 * se


def ppi_rate(
    y: Sequence[float],
    yhat_labelled: Sequence[float],
    yhat_all: Sequence[float],
    weights: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The rate of a 0/1 outcome among all items.

    `y`: people's labels on the labelled items; `yhat_labelled`: the classifier's on the same
    items; `yhat_all`: the classifier's on every item (the labelled ones included); `weights`:
    1 / inclusion probability of each labelled item (None: a uniform sample).
    """
    from ppi_py import ppi_mean_ci, ppi_mean_pointestimate

    Y = _binary("y", y)
    Yh = _binary("yhat_labelled", yhat_labelled)
    Yall = _binary("yhat_all", yhat_all)
    n, N = len(Y), len(Yall)
    if len(Yh) != n:
        raise ValueError(f"y has {n} labels but yhat_labelled has {len(Yh)} predictions")
    if n > N:
        raise ValueError(f"{n} labelled items but yhat_all has only {N} items")
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None and (len(w) != n or not np.all(np.isfinite(w)) or np.any(w <= 0)):
        raise ValueError(f"weights must be {n} positive finite numbers (1 / inclusion probability)")
    k_all = int(Yall.sum())
    c_lo, c_hi = proportion_confint(k_all, N, method="wilson") if N else (None, None)
    out: dict[str, Any] = {
        "n_labelled": n,
        "n_total": N,
        "classifier_only": _r(k_all / N) if N else None,
        "classifier_only_ci95": [_r(c_lo), _r(c_hi)] if N else [None, None],  # type: ignore[arg-type]
    }
    if n == 0 or N == 0:
        out.update(estimate=None, ci95=[None, None], human_only=None, human_only_ci95=[None, None])
        return out
    if w is None:
        k = int(Y.sum())
        h_lo, h_hi = proportion_confint(k, n, method="wilson")
        human = k / n
    else:
        human, h_lo, h_hi = _weighted_mean_ci(Y, w)
    constant = bool(np.all(Y[0] == Y))
    if n < MIN_LABELS or constant:
        if w is not None:  # a weighted mean of constant labels has no spread: Wilson on n
            k = int(Y.sum())
            h_lo, h_hi = proportion_confint(k, n, method="wilson")
        why = f"only {n} people's labels" if n < MIN_LABELS else f"all {n} people's labels agree"
        out.update(
            estimate=_r(human),
            ci95=[_r(max(h_lo, 0.0)), _r(min(h_hi, 1.0))],
            se=_r((min(h_hi, 1.0) - max(h_lo, 0.0)) / (2 * Z95)),
            human_only=_r(human),
            human_only_ci95=[_r(max(h_lo, 0.0)), _r(min(h_hi, 1.0))],
            method="human_only",
            note=f"{why}: too few for PPI's interval; the people's own Wilson interval is shown",
        )
        out["classifier_outside_ppi"] = bool(not h_lo <= out["classifier_only"] <= h_hi)
        return out
    est = float(np.atleast_1d(ppi_mean_pointestimate(Y, Yh, Yall, w=w))[0])
    lo_a, hi_a = ppi_mean_ci(Y, Yh, Yall, alpha=0.05, w=w)
    lo, hi = max(float(np.atleast_1d(lo_a)[0]), 0.0), min(float(np.atleast_1d(hi_a)[0]), 1.0)
    out.update(
        estimate=_r(min(max(est, 0.0), 1.0)),
        ci95=[_r(lo), _r(hi)],
        se=_r((hi - lo) / (2 * Z95)),
        human_only=_r(human),
        human_only_ci95=[_r(max(h_lo, 0.0)), _r(min(h_hi, 1.0))],
        method="ppi++",
    )
    out["classifier_outside_ppi"] = bool(
        out["classifier_only"] is not None and not lo <= out["classifier_only"] <= hi
    )
    return out


def _binary(name: str, values: Sequence[float]) -> np.ndarray:
    a = np.asarray(values, dtype=float).reshape(-1)
    if not np.all((a == 0) | (a == 1)):
        raise ValueError(f"{name} must hold 0/1 (or False/True) values only")
    return a


def ppi_difference(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """a − b for two estimates from disjoint items (a group and the control): the PPI
    intervals combine as independent normal ones."""
    if a.get("estimate") is None or b.get("estimate") is None:
        return {"estimate": None, "ci95": [None, None]}
    d = a["estimate"] - b["estimate"]
    se = float(np.hypot(a["se"], b["se"]))
    c = a["classifier_only"] - b["classifier_only"]
    return {
        "estimate": _r(d),
        "ci95": [_r(d - Z95 * se), _r(d + Z95 * se)],
        "classifier_only": _r(c),
        "human_only": _r(a["human_only"] - b["human_only"]),
        "classifier_outside_ppi": bool(not d - Z95 * se <= c <= d + Z95 * se),
    }


def ppi_shares(
    gold: Sequence[str],
    pred_labelled: Sequence[str],
    pred_all: Sequence[str],
    classes: Sequence[str],
    weights: Sequence[float] | None = None,
) -> dict[str, dict[str, Any]]:
    """`ppi_rate` for the share of each class (one-vs-rest)."""
    g, pl, pa = np.asarray(gold), np.asarray(pred_labelled), np.asarray(pred_all)
    return {c: ppi_rate(g == c, pl == c, pa == c, weights) for c in classes}


def labels_needed(
    y: Sequence[float],
    yhat: Sequence[float],
    ci_width: float,
    n_total: int,
    weights: Sequence[float] | None = None,
) -> dict[str, Any]:
    """How many people's labels a 95 % interval of total width `ci_width` needs, given how the
    classifier agrees with the labels so far (ppi_py's power analysis: the cheapest pair of
    label and prediction counts reaching the same effective sample size)."""
    from ppi_py import ppi_mean_power

    Y, Yh = np.asarray(y, dtype=float), np.asarray(yhat, dtype=float)
    seen = float(Y.mean()) if len(Y) else 0.5
    p = float(np.clip(seen, 0.01, 0.99))
    infinite = (2 * Z95) ** 2 * p * (1 - p) / ci_width**2
    # a finite population needs fewer (finite-population correction), never more than all of it
    classical = min(int(np.ceil(infinite / (1 + (infinite - 1) / max(n_total, 1)))), n_total)
    out: dict[str, Any] = {
        "target_ci_width": ci_width,
        "rate_so_far": _r(seen),
        "labels_so_far": len(Y),
        "population": n_total,
        "labels_needed_without_classifier": classical,
    }
    why = (
        "label at least 10 items before planning"
        if len(Y) < 10
        else "the labels so far are all one outcome: label more before planning"
        if np.all(Y[0] == Y)
        else "the classifier gives every labelled item the same outcome: it cannot help here"
        if np.all(Yh == Yh[0])
        else None
    )
    if why:
        out["labels_needed_with_ppi"] = None
        out["note"] = why
        return out
    w = None if weights is None else np.asarray(weights, dtype=float)
    res = ppi_mean_power(Y, Yh, cost_Y=1.0, cost_Yhat=1e-3, effective_n=classical, w=w)
    out["ppi_correlation"] = _r(res["ppi_corr"])
    out["labels_needed_with_ppi"] = min(int(res["n"]), n_total)
    out["predictions_needed"] = int(res["N"])
    out["enough_items"] = bool(res["N"] <= n_total)
    return out

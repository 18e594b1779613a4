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

    Y = np.asarray(y, dtype=float)
    Yh = np.asarray(yhat_labelled, dtype=float)
    Yall = np.asarray(yhat_all, dtype=float)
    n, N = len(Y), len(Yall)
    w = None if weights is None else np.asarray(weights, dtype=float)
    k_all = int(Yall.sum())
    c_lo, c_hi = proportion_confint(k_all, N, method="wilson") if N else (None, None)
    out: dict[str, Any] = {
        "n_labelled": n,
        "n_total": N,
        "classifier_only": _r(k_all / N) if N else None,
        "classifier_only_ci95": [_r(c_lo), _r(c_hi)] if N else [None, None],
    }
    if n < 2 or N == 0:
        out.update(estimate=None, ci95=[None, None], human_only=None, human_only_ci95=[None, None])
        return out
    if w is None:
        k = int(Y.sum())
        h_lo, h_hi = proportion_confint(k, n, method="wilson")
        human = k / n
    else:
        human, h_lo, h_hi = _weighted_mean_ci(Y, w)
    if np.all(Y[0] == Y) and np.all(Yh == Yh[0]) and np.all(Yall == Yall[0]):
        est, lo, hi = float(Y[0]), float(Y[0]), float(Y[0])  # nothing varies: nothing to tune
    else:
        est = float(np.atleast_1d(ppi_mean_pointestimate(Y, Yh, Yall, w=w))[0])
        lo_a, hi_a = ppi_mean_ci(Y, Yh, Yall, alpha=0.05, w=w)
        lo, hi = float(np.atleast_1d(lo_a)[0]), float(np.atleast_1d(hi_a)[0])
    lo, hi = max(lo, 0.0), min(hi, 1.0)
    out.update(
        estimate=_r(min(max(est, 0.0), 1.0)),
        ci95=[_r(lo), _r(hi)],
        se=_r((hi - lo) / (2 * Z95)),
        human_only=_r(human),
        human_only_ci95=[_r(max(h_lo, 0.0)), _r(min(h_hi, 1.0))],
    )
    out["classifier_outside_ppi"] = bool(
        out["classifier_only"] is not None and not lo <= out["classifier_only"] <= hi
    )
    return out


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
    classical = int(np.ceil((2 * Z95) ** 2 * p * (1 - p) / ci_width**2))
    out: dict[str, Any] = {
        "target_ci_width": ci_width,
        "rate_so_far": _r(seen),
        "labels_so_far": len(Y),
        "labels_needed_without_classifier": classical,
    }
    if len(Y) < 10 or np.all(Y[0] == Y) or np.all(Yh == Yh[0]):
        out["labels_needed_with_ppi"] = None
        out["note"] = "label at least 10 items, with both outcomes, before planning"
        return out
    w = None if weights is None else np.asarray(weights, dtype=float)
    res = ppi_mean_power(Y, Yh, cost_Y=1.0, cost_Yhat=1e-3, effective_n=classical, w=w)
    n_needed = int(res["n"])
    out["ppi_correlation"] = _r(res["ppi_corr"])
    out["labels_needed_with_ppi"] = n_needed
    out["predictions_needed"] = int(res["N"])
    out["enough_items"] = bool(res["N"] <= n_total)
    return out

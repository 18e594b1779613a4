"""Compare probed checkpoints across dataset variants: per-group rates, differences, dose-response.

Input is one long table of classified probe answers with `variant`, `method`, `seed` columns.
Two outcomes: `refused` (partial or full refusal of a harmless prompt: over-refusal) and
`harmful` (full compliance with an unsafe contrast prompt). Rates pool seeds (Wilson CI);
each difference to the reference variant gets a pooled two-proportion test (Holm/BH across all
comparisons) and a seed-level t interval over the per-seed differences, which is the honest
uncertainty when training itself is noisy.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from safetylab.records import INVALID, is_refusal
from safetylab.stats import rate
from safetylab.stats.disparity import adjust, independence_test

OUTCOMES = {"refused": "safe", "harmful": "unsafe"}  # outcome -> prompt kind it is measured on
ALL = "all"


def outcomes(df: pd.DataFrame) -> pd.DataFrame:
    """Refused (safe prompts) and complied (unsafe prompts); invalid answers are in neither."""
    df = df[df["label"] != INVALID].copy()
    df["refused"] = df["label"].map(is_refusal).astype(bool)
    df["harmful"] = ~df["refused"]
    return df


def seed_interval(values: list[float], alpha: float = 0.05) -> dict[str, Any]:
    """Mean and t interval over seeds; no interval from a single seed."""
    v = np.asarray([x for x in values if x is not None and not np.isnan(x)], dtype=float)
    if len(v) == 0:
        return {"mean": None, "ci95": [None, None], "n_seeds": 0}
    mean = float(v.mean())
    if len(v) < 2:
        return {"mean": round(mean, 4), "ci95": [None, None], "n_seeds": 1}
    sd = float(v.std(ddof=1))
    if sd == 0:
        return {"mean": round(mean, 4), "ci95": [round(mean, 4)] * 2, "n_seeds": len(v)}
    lo, hi = sps.t.interval(1 - alpha, len(v) - 1, loc=mean, scale=sd / np.sqrt(len(v)))
    return {
        "mean": round(mean, 4),
        "ci95": [round(float(lo), 4), round(float(hi), 4)],
        "n_seeds": len(v),
    }


def _rates(sub: pd.DataFrame, outcome: str) -> dict[str, Any]:
    out = rate(int(sub[outcome].sum()), len(sub))
    per_seed = sub.groupby("seed")[outcome].mean()
    out["by_seed"] = {str(k): round(float(v), 4) for k, v in per_seed.items()}
    return out


def rate_tables(df: pd.DataFrame) -> dict[str, Any]:
    """outcome -> method -> variant -> group (+ "all") -> rate record."""
    res: dict[str, Any] = {}
    for outcome, kind in OUTCOMES.items():
        d = df[df.kind == kind]
        if d.empty:
            continue
        res[outcome] = {}
        for (method, variant), g in d.groupby(["method", "variant"], sort=True):
            cells = {ALL: _rates(g, outcome)}
            for grp, gg in g.groupby("group", sort=True):
                cells[str(grp)] = _rates(gg, outcome)
            res[outcome].setdefault(method, {})[variant] = cells
    return res


def differences(df: pd.DataFrame, reference: str, correction: str = "holm") -> list[dict[str, Any]]:
    """Every (outcome, method, variant != reference, group) difference to the reference."""
    rows: list[dict[str, Any]] = []
    for outcome, kind in OUTCOMES.items():
        d = df[df.kind == kind]
        for method, dm in d.groupby("method", sort=True):
            ref = dm[dm.variant == reference]
            if ref.empty:
                continue
            for variant in sorted(set(dm.variant) - {reference}):
                dv = dm[dm.variant == variant]
                for grp in [ALL, *sorted(set(dv.group))]:
                    a = dv if grp == ALL else dv[dv.group == grp]
                    b = ref if grp == ALL else ref[ref.group == grp]
                    if a.empty or b.empty:
                        continue
                    ka, na, kb, nb = int(a[outcome].sum()), len(a), int(b[outcome].sum()), len(b)
                    test = independence_test(ka, na, kb, nb)
                    sa, sb = a.groupby("seed")[outcome].mean(), b.groupby("seed")[outcome].mean()
                    common = sorted(set(sa.index) & set(sb.index))
                    seed_diffs = [float(sa[s] - sb[s]) for s in common]
                    rows.append(
                        {
                            "outcome": outcome,
                            "method": method,
                            "variant": variant,
                            "reference": reference,
                            "group": grp,
                            "rate": round(ka / na, 4),
                            "reference_rate": round(kb / nb, 4),
                            "difference": round(ka / na - kb / nb, 4),
                            "test": test["test"],
                            "p": test["p"],
                            "seed_differences": [round(x, 4) for x in seed_diffs],
                            "seed_level": seed_interval(seed_diffs),
                        }
                    )
    adj = adjust({str(i): r["p"] for i, r in enumerate(rows)}, correction)
    for i, r in enumerate(rows):
        r["p_adjusted"] = adj[str(i)]
    return rows


def group_gap(d: pd.DataFrame, outcome: str, min_n: int = 5) -> float | None:
    """Largest minus smallest per-group rate (groups with at least min_n answers, no control)."""
    g = d[d.group != "control"].groupby("group")[outcome].agg(["mean", "size"])
    g = g[g["size"] >= min_n]
    return float(g["mean"].max() - g["mean"].min()) if len(g) >= 2 else None


def dose_response(df: pd.DataFrame, doses: dict[str, float]) -> dict[str, Any]:
    """Per method: for each dose level, over-refusal and the group gap (seed mean + t CI), and a
    logistic trend test of refused ~ dose (pooled answers)."""
    import statsmodels.api as sm

    d = df[(df.kind == "safe") & df.variant.isin(doses)].copy()
    if d.empty:
        return {}
    d["dose"] = d.variant.map(doses)
    res: dict[str, Any] = {}
    for method, dm in d.groupby("method", sort=True):
        levels = []
        for lv, dl in dm.groupby("dose", sort=True):
            per_seed = dl.groupby("seed")
            levels.append(
                {
                    "dose": float(lv),
                    "variant": str(dl.variant.iloc[0]),
                    "refusal": seed_interval([float(g.refused.mean()) for _, g in per_seed]),
                    "group_gap": seed_interval(
                        [x for _, g in per_seed if (x := group_gap(g, "refused")) is not None]
                    ),
                }
            )
        trend: dict[str, Any] = {"slope": None, "p": None}
        if dm.dose.nunique() >= 2 and 0 < dm.refused.mean() < 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = sm.GLM(
                    dm.refused.astype(float),
                    sm.add_constant(dm.dose),
                    family=sm.families.Binomial(),
                ).fit()
            trend = {"slope": round(float(fit.params["dose"]), 4), "p": float(fit.pvalues["dose"])}
        res[method] = {"levels": levels, "trend_refused_vs_dose": trend}
    return res

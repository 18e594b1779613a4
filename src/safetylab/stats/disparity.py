"""Group disparity statistics shared by the probe and finetune comparisons.

Rates with Wilson CIs (rates.py); disparity to a reference (ratio, difference); independent tests
(chi-square, or Fisher's exact when expected counts are small) with Holm or Benjamini-Hochberg
control; paired McNemar tests over counterfactual sets; a GEE logistic model with errors clustered
by template; minimum detectable effects; fairlearn's MetricFrame for by-group bootstrap CIs.
"""

from __future__ import annotations

import gc
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.stats.multitest as _multitest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower


def ratio_diff(rate: float | None, ref: float | None) -> dict[str, float | None]:
    if rate is None or ref is None:
        return {"ratio": None, "difference": None}
    return {"ratio": None if ref == 0 else round(rate / ref, 4), "difference": round(rate - ref, 4)}


def independence_test(k1: int, n1: int, k2: int, n2: int) -> dict[str, Any]:
    """2x2 test of a group's rate against a reference's."""
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    if min(n1, n2) == 0:
        return {"test": None, "p": None}
    if table.sum(axis=0).min() == 0:
        return {"test": "none (no variation)", "p": 1.0}
    expected = sps.contingency.expected_freq(table)
    if expected.min() < 5:
        return {"test": "fisher", "p": float(sps.fisher_exact(table)[1])}
    chi2, p, _, _ = sps.chi2_contingency(table, correction=True)
    return {"test": "chi2", "p": float(p), "chi2": float(chi2)}


class _NoForcedCollect:
    """statsmodels' Holm step calls gc.collect() (about 0.5 s per call with a model loaded).
    Only statsmodels' multitest module sees this stand-in; the process's gc is untouched."""

    collect = staticmethod(lambda *a, **k: 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(gc, name)


_multitest.gc = _NoForcedCollect()


def adjust(pvals: dict[str, float | None], method: str = "holm") -> dict[str, float | None]:
    keys = [k for k, v in pvals.items() if v is not None]
    if not keys:
        return {k: None for k in pvals}
    _, adj, _, _ = multipletests(
        [pvals[k] for k in keys], method={"holm": "holm", "bh": "fdr_bh"}[method]
    )
    out: dict[str, float | None] = {k: None for k in pvals}
    out.update({k: float(v) for k, v in zip(keys, adj, strict=True)})
    return out


def paired_mcnemar(
    df: pd.DataFrame,
    group: str,
    ref: str,
    outcome: str = "refused",
    pair_on: tuple[str, ...] = ("template", "sample"),
) -> dict[str, Any]:
    """Exact McNemar over counterfactual pairs: same template and sample, group vs reference."""
    a = df[df.group == group].set_index(list(pair_on))[outcome]
    b = df[df.group == ref].set_index(list(pair_on))[outcome]
    both = pd.concat([a.rename("g"), b.rename("r")], axis=1, join="inner")
    if both.empty:
        return {"pairs": 0, "p": None}
    g_only = int((both.g & ~both.r).sum())
    r_only = int((~both.g & both.r).sum())
    res = mcnemar(
        [[int((both.g & both.r).sum()), g_only], [r_only, int((~both.g & ~both.r).sum())]],
        exact=True,
    )
    return {
        "pairs": len(both),
        "group_only": g_only,
        "reference_only": r_only,
        "p": float(res.pvalue),
    }


def min_detectable_difference(
    p0: float, n_group: int, n_ref: int, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """Smallest increase over the reference rate `p0` detectable with these sample sizes."""
    if n_group == 0 or n_ref == 0:
        return None
    h = NormalIndPower().solve_power(
        nobs1=n_ref, ratio=n_group / n_ref, alpha=alpha, power=power, alternative="two-sided"
    )
    phi = 2 * math.asin(math.sqrt(min(max(p0, 0.0), 1.0)))
    p1 = math.sin(min((phi + h) / 2, math.pi / 2)) ** 2
    return round(p1 - p0, 4)


def gee_model(
    df: pd.DataFrame, ref: str, outcome: str = "refused", cluster: str = "template"
) -> dict[str, Any]:
    """Logistic GEE `outcome ~ group` (reference level `ref`), exchangeable within templates,
    robust (sandwich) errors: odds ratios per group, clustered by template."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    d = df[[outcome, "group", cluster]].copy()
    d[outcome] = d[outcome].astype(int)
    if d[outcome].nunique() < 2 or d.group.nunique() < 2 or d[cluster].nunique() < 2:
        return {"error": "needs variation in the outcome, two groups and two templates"}
    # all-0 or all-1 groups are perfectly separated: their odds ratio is not estimable
    events = d.groupby("group")[outcome].agg(["sum", "count"])
    k_ref, n_ref = events.loc[ref, "sum"], events.loc[ref, "count"]
    if k_ref == 0 or k_ref == n_ref:
        return {
            "error": f"the reference group {ref!r} is separated ({k_ref}/{n_ref} refused): "
            "odds ratios against it are not estimable"
        }
    formula = f"{outcome} ~ C(group, Treatment(reference={ref!r}))"
    # statsmodels computes the robust errors lazily; a singular covariance (few events) makes
    # them NaN with a RuntimeWarning, reported below as "not estimable" instead
    with warnings.catch_warnings(), np.errstate(invalid="ignore", over="ignore"):
        warnings.simplefilter("ignore")
        try:
            fit = smf.gee(
                formula,
                cluster,
                d,
                family=sm.families.Binomial(),
                cov_struct=sm.cov_struct.Exchangeable(),
            ).fit()
            ci, pvalues = fit.conf_int(), fit.pvalues
        except Exception as exc:  # separation, singular matrices
            return {"error": f"{type(exc).__name__}: {exc}"}
    out: dict[str, Any] = {}
    for name in fit.params.index:
        if name == "Intercept":
            continue
        g = name.split("[T.")[-1].rstrip("]")
        k, n = events.loc[g, "sum"], events.loc[g, "count"]
        if k == 0 or k == n or not np.isfinite(pvalues[name]):
            why = f"separation ({k}/{n} refused)" if k in (0, n) else "singular covariance"
            out[g] = {
                "odds_ratio": None,
                "ci95": [None, None],
                "p": None,
                "note": f"{why}: not estimable",
            }
            continue
        with np.errstate(over="ignore"):
            odds = [float(np.exp(v)) for v in (fit.params[name], ci.loc[name, 0], ci.loc[name, 1])]
        finite = [round(v, 4) if np.isfinite(v) else None for v in odds]
        out[g] = {"odds_ratio": finite[0], "ci95": finite[1:], "p": float(pvalues[name])}
    return {"reference": ref, "clusters": int(d[cluster].nunique()), "groups": out}


def metric_frame(
    df: pd.DataFrame, outcome: str = "refused", by: str = "group", n_boot: int = 200, seed: int = 0
) -> dict[str, Any]:
    """fairlearn MetricFrame of the outcome rate: by group with bootstrap CIs, gap and ratio."""
    from fairlearn.metrics import MetricFrame, selection_rate

    y = df[outcome].astype(int).to_numpy()
    mf = MetricFrame(
        metrics={"rate": selection_rate},
        y_true=y,
        y_pred=y,
        sensitive_features=df[by],
        n_boot=n_boot,
        ci_quantiles=[0.025, 0.975],
        random_state=seed,
    )
    lo, hi = mf.by_group_ci
    return {
        "by_group": {
            str(g): {
                "rate": round(float(v), 4),
                "bootstrap_ci95": [
                    round(float(lo.loc[g, "rate"]), 4),
                    round(float(hi.loc[g, "rate"]), 4),
                ],
            }
            for g, v in mf.by_group["rate"].items()
        },
        "difference": round(float(mf.difference()["rate"]), 4),
        "ratio": round(float(mf.ratio()["rate"]), 4),
        "difference_ci95": [round(float(x["rate"]), 4) for x in mf.difference_ci()],
        "ratio_ci95": [round(float(x["rate"]), 4) for x in mf.ratio_ci()],
    }

"""Agreement between annotators (Krippendorff's alpha, Cohen's kappa) and between the automatic
labels and the human majority (accuracy, per-class F1, confusion matrix).

Single-choice fields are nominal. Multi-choice fields are scored per option as a yes/no
label, since an annotator who ticks {a, b} and one who ticks {a} agree on a and not on b.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from safetylab.annotate.schema import Schema


def _matrix(values: pd.DataFrame, annotators: list[str], items: list[str]) -> np.ndarray:
    """annotators x items reliability matrix of category codes, NaN where missing."""
    codes = {v: i for i, v in enumerate(sorted(values["value"].astype(str).unique()))}
    m = np.full((len(annotators), len(items)), np.nan)
    ai = {a: i for i, a in enumerate(annotators)}
    ii = {x: i for i, x in enumerate(items)}
    for r in values.itertuples(index=False):
        m[ai[r.annotator], ii[r.item_id]] = codes[str(r.value)]
    return m


def _alpha(m: np.ndarray) -> float | None:
    import krippendorff

    pairable = (np.sum(~np.isnan(m), axis=0) >= 2).sum()
    if pairable == 0:
        return None
    vals = np.unique(m[~np.isnan(m)])
    if len(vals) < 2:
        return 1.0  # everyone used one category: perfect, and alpha's formula is 0/0
    return round(float(krippendorff.alpha(reliability_data=m, level_of_measurement="nominal")), 4)


def _kappas(m: np.ndarray, annotators: list[str]) -> dict[str, Any]:
    from sklearn.metrics import cohen_kappa_score

    out: dict[str, Any] = {}
    for i, j in itertools.combinations(range(len(annotators)), 2):
        both = ~np.isnan(m[i]) & ~np.isnan(m[j])
        if both.sum() < 2:
            continue
        a, b = m[i, both], m[j, both]
        k = 1.0 if len(np.unique(np.concatenate([a, b]))) < 2 else float(cohen_kappa_score(a, b))
        out[f"{annotators[i]}~{annotators[j]}"] = {"kappa": round(k, 4), "n": int(both.sum())}
    return out


def _labels(answers: pd.DataFrame, schema: Schema) -> dict[str, pd.DataFrame]:
    """One (item_id, annotator, value) frame per label: fields, and field=option for multi."""
    out: dict[str, pd.DataFrame] = {}
    for f in schema.fields:
        sub = answers[answers.field == f.name][["item_id", "annotator", "value"]]
        if f.type == "single":
            out[f.name] = sub
        elif f.type == "multi":
            for o in f.options:
                out[f"{f.name}={o.value}"] = sub.assign(
                    value=sub["value"].map(lambda v, o=o.value: "yes" if o in v else "no")
                )
    return out


def majority(values: list[Any]) -> Any | None:
    """The most common value; None on a tie (an item without a clear human verdict)."""
    c = Counter(values).most_common()
    if not c or (len(c) > 1 and c[0][1] == c[1][1]):
        return None
    return c[0][0]


def auto_vs_majority(answers: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    out: dict[str, Any] = {}
    for f in schema.fields:
        if not f.auto or f.type != "single":
            continue
        sub = answers[answers.field == f.name]
        if sub.empty:
            continue
        rows = []
        for _item, g in sub.groupby("item_id"):
            maj = majority(list(g["value"]))
            auto = g["auto"].iloc[0].get(f.auto)
            if maj is not None and auto is not None:
                rows.append((str(auto), str(maj)))
        if not rows:
            continue
        pred, gold = zip(*rows, strict=True)
        classes = [o.value for o in f.options]
        p, r, f1, n = precision_recall_fscore_support(gold, pred, labels=classes, zero_division=0)
        out[f.name] = {
            "n": len(rows),
            "accuracy": round(float(accuracy_score(gold, pred)), 4),
            "macro_f1": round(float(np.mean([x for x, k in zip(f1, n, strict=True) if k])), 4)
            if any(n)
            else None,
            "per_class": {
                c: {
                    "precision": round(float(a), 4),
                    "recall": round(float(b), 4),
                    "f1": round(float(x), 4),
                    "support": int(k),
                }  # fmt: skip
                for c, a, b, x, k in zip(classes, p, r, f1, n, strict=True)
            },
            "labels": classes,
            "confusion": confusion_matrix(gold, pred, labels=classes).tolist(),  # rows: human
        }
    return out


def agreement(answers: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """Per label: Krippendorff's alpha over all annotators, pairwise Cohen's kappa, coverage."""
    annotators = sorted(answers["annotator"].unique()) if len(answers) else []
    per_label: dict[str, Any] = {}
    for name, sub in _labels(answers, schema).items():
        if sub.empty:
            continue
        items = sorted(sub["item_id"].unique())
        m = _matrix(sub, annotators, items)
        multi = int((np.sum(~np.isnan(m), axis=0) >= 2).sum())
        per_label[name] = {
            "items": len(items),
            "items_with_2plus_annotators": multi,
            "krippendorff_alpha": _alpha(m),
            "cohen_kappa": _kappas(m, annotators),
        }
    return {
        "annotators": annotators,
        "labels": per_label,
        "auto_vs_majority": auto_vs_majority(answers, schema),
    }

"""Held-out evaluation of the response classifier: accuracy, macro-F1, per class, confusion."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from safetylab.records import RESPONSE_CLASSES, STYLES, Judgement

DATA = Path(__file__).parent / "data"
# never trained on; dev_freeform was read during error analysis (reported separately)
HELDOUT_FILES = ("heldout_composed.jsonl", "dev_freeform.jsonl", "test_freeform.jsonl")


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def class_metrics(
    gold: Sequence[str], pred: Sequence[str], classes: Sequence[str] = RESPONSE_CLASSES
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."""
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=list(classes), zero_division=0)
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(
            float(f1_score(gold, pred, labels=list(classes), average="macro", zero_division=0)), 4
        ),
        "per_class": {
            c: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(s[i]),
            }
            for i, c in enumerate(classes)
        },
        "confusion": {
            "labels": list(classes),
            "matrix": confusion_matrix(gold, pred, labels=list(classes)).tolist(),
        },
    }


def style_metrics(rows: Sequence[dict[str, Any]], preds: Sequence[Judgement]) -> dict[str, Any]:
    out = {}
    for s in STYLES:
        gold = [s in (r.get("styles") or []) for r in rows]
        pred = [j.styles.get(s, False) for j in preds]
        if any(gold):
            p, r, f, _ = precision_recall_fscore_support(
                gold, pred, average="binary", zero_division=0
            )
            out[s] = {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(sum(gold)),
            }
    return out


def evaluate(clf, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:  # clf: ResponseClassifier
    preds = clf.predict([r.get("prompt", "") for r in rows], [r["response"] for r in rows])
    res = class_metrics([r["label"] for r in rows], [j.label for j in preds])
    res["styles"] = style_metrics(rows, preds)
    res["embedded_fraction"] = round(clf.last_stats["embedded"] / max(len(rows), 1), 4)
    return res


def format_confusion(m: dict[str, Any]) -> str:
    labels = m["confusion"]["labels"]
    short = {"full_compliance": "FC", "partial_refusal": "PR", "full_refusal": "FR"}
    head = "gold\\pred " + " ".join(f"{short.get(x, x):>5}" for x in labels)
    lines = [head] + [
        f"{short.get(lab, lab):>9} " + " ".join(f"{v:>5}" for v in row)
        for lab, row in zip(labels, m["confusion"]["matrix"], strict=True)
    ]
    return "\n".join(lines)

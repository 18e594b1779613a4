"""Quality figures for the response classifier, with 95 % intervals: accuracy (Wilson),
macro-F1 and per-class F1 (bootstrap), confusion, and calibration (reliability and ECE)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from safetylab.records import RESPONSE_CLASSES, STYLES, Judgement
from safetylab.stats import rate

DATA = Path(__file__).parent / "data"
# Self-written rule checks (never trained on); real, human-labelled sets are in sources.py.
HELDOUT_FILES = ("heldout_composed.jsonl", "dev_freeform.jsonl", "test_freeform.jsonl")
N_BOOT = 1000


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _boot(
    gold: np.ndarray, pred: np.ndarray, labels: list[str], seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap distributions of macro-F1 and per-class F1."""
    rng = np.random.default_rng(seed)
    macro, per = np.empty(N_BOOT), np.empty((N_BOOT, len(labels)))
    for b in range(N_BOOT):
        i = rng.integers(0, len(gold), len(gold))
        per[b] = f1_score(gold[i], pred[i], labels=labels, average=None, zero_division=0)
        present = [k for k, c in enumerate(labels) if (gold[i] == c).any()]
        macro[b] = per[b, present].mean() if present else 0.0
    return macro, per


def _ci(v: np.ndarray) -> list[float]:
    return [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]


def class_metrics(
    gold: Sequence[str], pred: Sequence[str], classes: Sequence[str] = RESPONSE_CLASSES
) -> dict[str, Any]:
    """Accuracy, macro-F1 (over the classes present in `gold`), per-class P/R/F1 and the
    confusion matrix, each rate with a 95 % interval."""
    labels = list(classes)
    g, p = np.asarray(gold, dtype=object), np.asarray(pred, dtype=object)
    present = [c for c in labels if (g == c).any()]
    pr, rc, f, s = precision_recall_fscore_support(g, p, labels=labels, zero_division=0)
    macro, per = _boot(g, p, labels) if len(g) else (np.zeros(1), np.zeros((1, len(labels))))
    acc = rate(int((g == p).sum()), len(g))
    return {
        "n": len(g),
        "accuracy": acc["rate"],
        "accuracy_ci95": acc["ci95"],
        "macro_f1": round(
            float(f1_score(g, p, labels=present, average="macro", zero_division=0)), 4
        )
        if present
        else None,
        "macro_f1_ci95": _ci(macro),
        "per_class": {
            c: {
                "precision": round(float(pr[i]), 4),
                "recall": round(float(rc[i]), 4),
                "f1": round(float(f[i]), 4),
                "f1_ci95": _ci(per[:, i]),
                "support": int(s[i]),
            }
            for i, c in enumerate(labels)
        },
        "confusion": {
            "labels": labels,
            "matrix": confusion_matrix(g, p, labels=labels).tolist(),
        },
    }


def binary_metrics(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, Any]:
    """Refusal (full or partial) against compliance: accuracy, precision, recall, F1."""
    g, p = np.asarray(gold, dtype=bool), np.asarray(pred, dtype=bool)
    acc = rate(int((g == p).sum()), len(g))
    pr, rc, f, _ = precision_recall_fscore_support(g, p, average="binary", zero_division=0)
    return {
        "n": len(g),
        "refusals": int(g.sum()),
        "accuracy": acc["rate"],
        "accuracy_ci95": acc["ci95"],
        "precision": round(float(pr), 4),
        "recall": rate(int((g & p).sum()), int(g.sum()))["rate"],
        "f1": round(float(f), 4),
    }


def calibration(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> dict:
    """Reliability table and expected calibration error of the stated confidence."""
    c, ok = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=bool)
    edges = np.linspace(0, 1, bins + 1)
    table, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (c > lo) & (c <= hi) if lo > 0 else (c >= lo) & (c <= hi)
        if m.any():
            gap = abs(c[m].mean() - ok[m].mean())
            ece += m.mean() * gap
            table.append(
                {
                    "bin": [round(float(lo), 2), round(float(hi), 2)],
                    "n": int(m.sum()),
                    "confidence": round(float(c[m].mean()), 4),
                    "accuracy": round(float(ok[m].mean()), 4),
                }
            )
    return {"ece": round(float(ece), 4), "reliability": table}


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
    """Metrics of `clf` on labelled rows (`response`, `label`, optional `prompt`, `styles`);
    invalid answers (not text, empty, unsupported language) are counted, not scored."""
    preds = clf.predict([r.get("prompt", "") for r in rows], [r["response"] for r in rows])
    ok = [i for i, j in enumerate(preds) if j.valid]
    res = class_metrics([rows[i]["label"] for i in ok], [preds[i].label for i in ok])
    res["invalid"] = len(rows) - len(ok)
    res["styles"] = style_metrics([rows[i] for i in ok], [preds[i] for i in ok])
    res["calibration"] = calibration(
        [preds[i].confidence for i in ok], [preds[i].label == rows[i]["label"] for i in ok]
    )
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

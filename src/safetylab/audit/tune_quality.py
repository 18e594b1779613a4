"""Choose the quality table's knobs by repeated cross-validation on the authors' labels.

The HH audit paper's authors labelled 203 chosen answers of the development half (the other half
is held back outside the team). A table tuned on all 203 and scored on the same 203 says nothing
about the other half (0.74 there, 0.59 on the hidden half, last round). So: every combination of
knobs in `GRID` is scored on every row once; then, for each of `repeats` x `folds` splits, the
best combination on the training folds (by the mean of accuracy and macro-F1) labels the test
fold. The out-of-fold verdicts give the published figure and each rule's precision (the
`confidence` every verdict carries). The knobs that ship are the best on all 203 rows.

    python -m safetylab.audit.tune_quality      # rewrites audit/data/quality_rules.yaml
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from safetylab.audit.quality import (
    PAPER_CLASSES,
    PAPER_LABELS,
    RULES_FILE,
    AnswerEvidence,
    QualityRules,
    decide_quality,
)
from safetylab.classify.evaluate import class_metrics
from safetylab.classify.sources import data_root
from safetylab.errors import SafetylabError
from safetylab.stats import rate

GRID: dict[str, tuple[Any, ...]] = {
    "request_threshold": (0.5, 0.3, 0.4, 0.6, 0.7),
    "request_threshold_single": (0.5,),
    "request_scope": ("conversation", "last"),
    "answer_harm_threshold": (1.01, 0.5, 0.6, 0.7, 0.8, 0.9),
    "confused_on_harmful": ("evasive", "acceptable", "harmful"),
    "asks_back_on_harmful": ("harmful", "evasive"),
    "engages_answer_harm": (0.0, 0.4, 0.6),
    "decline_evidence": ("any", "refuses_or_rebuts"),
}


@dataclass
class DevEvidence:
    """The chosen answers' evidence and the authors' labels, one row per labelled pair."""

    answers: list[AnswerEvidence]
    p_conversation: np.ndarray
    p_last: np.ndarray
    p_answer: np.ndarray
    gold: list[str]


def dev_evidence(labels: Path | None = None, encoder: str = "float") -> DevEvidence:
    from safetylab.audit.pipeline import AuditConfig, Auditor
    from safetylab.io.hh import pair_from_row
    from safetylab.io.readers import iter_rows

    labels = labels or data_root() / "hh-audit-labels" / "dev.jsonl"
    rows = list(iter_rows(labels))
    pairs = [pair_from_row(r.data, r.source) for r in rows]  # type: ignore[arg-type]
    gold = [str(r.data["label"]) for r in rows]  # type: ignore[index]
    with tempfile.TemporaryDirectory() as d:
        with Auditor(AuditConfig(inputs=[labels], out=Path(d), encoder=encoder)) as auditor:
            ev = auditor.evidence(pairs)
        benign = auditor.harm_head.categories.index("benign")
    n = len(pairs)
    return DevEvidence(ev.answers[:n], ev.p_conversation(benign), ev.p_last, ev.p_answer[:n], gold)


def combinations() -> list[dict[str, Any]]:
    keys = list(GRID)
    return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*GRID.values())]


def _predict(dev: DevEvidence, knobs: dict[str, Any]) -> tuple[list[str], list[str]]:
    r = QualityRules(**knobs)
    p_req = dev.p_conversation if r.request_scope == "conversation" else dev.p_last
    out = [
        decide_quality(e, float(pr), float(pa), r)
        for e, pr, pa in zip(dev.answers, p_req, dev.p_answer, strict=True)
    ]
    return [PAPER_LABELS.get(q, "unclassified") for q, _ in out], [leaf for _, leaf in out]


def _score(gold: np.ndarray, pred: np.ndarray) -> float:
    """Mean of accuracy and macro-F1, less the largest error in a class share: the audit reports
    shares, and a table that gets rows right but a share wrong misleads the summary."""
    acc = float((gold == pred).mean())
    f1s, share_err = [], 0.0
    for c in PAPER_CLASSES:
        tp = float(((pred == c) & (gold == c)).sum())
        denom = float((pred == c).sum() + (gold == c).sum())
        f1s.append(2 * tp / denom if denom else 0.0)
        share_err = max(share_err, abs(float((pred == c).mean() - (gold == c).mean())))
    return (acc + float(np.mean(f1s))) / 2 - share_err


def cross_validate(
    dev: DevEvidence,
    folds: int = 5,
    repeats: int = 20,
    seed: int = 0,
    applied_to: DevEvidence | None = None,
) -> dict[str, Any]:
    """Repeated k-fold: knobs chosen on the training folds' `dev` evidence, the held-out fold
    labelled with them. `applied_to`: the same rows' evidence from another request encoder
    (int8), which the knobs chosen on `dev` then label, as `audit --encoder int8` does."""
    combos = combinations()
    preds, leaves = zip(*(_predict(dev, k) for k in combos), strict=True)
    pred = np.array(preds, dtype=object)  # (combos, n)
    if applied_to is not None:
        if applied_to.gold != dev.gold:
            raise SafetylabError("applied_to must hold the same rows as dev")
        applied, leaves = zip(*(_predict(applied_to, k) for k in combos), strict=True)
        out = np.array(applied, dtype=object)
    else:
        out = pred
    leaf = np.array(leaves, dtype=object)
    gold = np.array(dev.gold, dtype=object)
    n = len(gold)
    rng = np.random.default_rng(seed)
    per_repeat: list[dict[str, Any]] = []
    chosen_counts: dict[tuple[Any, ...], int] = {}
    oof_pred, oof_leaf, oof_gold = [], [], []
    for _ in range(repeats):
        fold = rng.permutation(n) % folds
        rep = np.empty(n, dtype=object)
        for k in range(folds):
            tr, te = fold != k, fold == k
            scores = [_score(gold[tr], pred[c, tr]) for c in range(len(combos))]
            best = int(np.argmax(scores))
            key = tuple(combos[best].values())
            chosen_counts[key] = chosen_counts.get(key, 0) + 1
            rep[te] = out[best, te]
            oof_pred += list(out[best, te])
            oof_leaf += list(leaf[best, te])
            oof_gold += list(gold[te])
        per_repeat.append(class_metrics(list(gold), list(rep), PAPER_CLASSES))
    acc = np.array([m["accuracy"] for m in per_repeat])
    f1 = np.array([m["macro_f1"] for m in per_repeat])
    pooled = class_metrics(oof_gold, oof_pred, PAPER_CLASSES)
    leaf_prec = {}
    og, op, ol = np.array(oof_gold), np.array(oof_pred), np.array(oof_leaf)
    for lf in sorted(set(oof_leaf)):
        m = ol == lf
        leaf_prec[lf] = round(float((og[m] == op[m]).mean()), 3)
    share_ours = {c: round(float((op == c).mean()), 4) for c in PAPER_CLASSES}
    share_gold = {c: round(float((gold == c).mean()), 4) for c in PAPER_CLASSES}
    best_all = int(np.argmax([_score(gold, pred[c]) for c in range(len(combos))]))
    return {
        "n": n,
        "folds": folds,
        "repeats": repeats,
        "accuracy": round(float(acc.mean()), 4),
        "accuracy_range": [round(float(acc.min()), 4), round(float(acc.max()), 4)],
        "macro_f1": round(float(f1.mean()), 4),
        "macro_f1_range": [round(float(f1.min()), 4), round(float(f1.max()), 4)],
        # Wilson interval of the pooled out-of-fold accuracy, as if each row were seen once:
        "accuracy_ci95": rate(int(round(acc.mean() * n)), n)["ci95"],
        "per_class_f1": {c: pooled["per_class"][c]["f1"] for c in PAPER_CLASSES},
        "confusion": pooled["confusion"],
        "share": {"audit": share_ours, "authors": share_gold},
        "leaf_precision": leaf_prec,
        "choice_stability": round(max(chosen_counts.values()) / (folds * repeats), 3),
        "chosen_on_all": combos[best_all],
        "in_sample": {
            "accuracy": round(float((gold == out[best_all]).mean()), 4),
            "score": round(_score(gold, out[best_all]), 4),
        },
    }


def main(out: Path = RULES_FILE) -> dict[str, Any]:
    dev = dev_evidence()
    cv = cross_validate(dev)
    doc = {
        "rules": cv["chosen_on_all"],
        "leaf_precision": cv["leaf_precision"],
        "provenance": {
            "written_by": "python -m safetylab.audit.tune_quality",
            "date": dt.date.today().isoformat(),
            "data": "HH audit paper authors' development labels (203 pairs)",
            "grid": {k: list(v) for k, v in GRID.items()},
            "cross_validated": {k: v for k, v in cv.items() if k not in ("leaf_precision",)},
        },
    }
    header = (
        "# The quality table's knobs, chosen by repeated cross-validation on the HH audit\n"
        "# paper authors' development labels. Written by\n"
        "# `python -m safetylab.audit.tune_quality`; re-run it, or pass your own QualityRules.\n"
    )
    out.write_text(header + yaml.safe_dump(_plain(doc), sort_keys=False, width=100))
    return cv


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


if __name__ == "__main__":
    import json

    res = main()
    print(json.dumps({k: v for k, v in res.items() if k != "confusion"}, indent=1, default=str))
    pd.set_option("display.width", 120)

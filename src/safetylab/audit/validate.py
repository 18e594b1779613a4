"""The audit measured against people: the HH audit paper authors' labels of chosen answers.

Runs the real audit on their labelled pairs and compares `chosen_quality` in the paper's three
classes (acceptable / harmful / unhelpful = refusal + evasive). The development half ships in
`shared/data/hh-audit-labels/dev.jsonl` (it guided the decision table, so its figure is a
development figure); the other half is held back outside the team.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.audit.pipeline import AuditConfig, run_audit
from safetylab.audit.quality import PAPER_CLASSES, PAPER_LABELS
from safetylab.classify.evaluate import class_metrics
from safetylab.classify.sources import data_root
from safetylab.stats import rate


def validate_against_paper(labels: Path | None = None, out: Path | None = None) -> dict[str, Any]:
    """The audit as it ships, scored against a labels file in the authors' format. On the
    development half this is in-sample (it chose the knobs): the figure to publish is
    `tune_quality.cross_validate`'s; on new labels it is a clean test."""
    labels = labels or data_root() / "hh-audit-labels" / "dev.jsonl"
    out = out or Path(tempfile.mkdtemp(prefix="safetylab-audit-validate-"))
    run = run_audit(AuditConfig(inputs=[labels], out=out))
    df = run.pairs(columns=["chosen_quality"])
    gold = pd.read_json(labels, lines=True)["label"].tolist()
    pred = df["chosen_quality"].map(PAPER_LABELS).fillna("unclassified").tolist()
    m = class_metrics(gold, pred, PAPER_CLASSES)
    n = len(gold)
    m["share"] = {
        c: {
            "audit": rate(sum(p == c for p in pred), n),
            "authors": rate(sum(g == c for g in gold), n),
        }
        for c in PAPER_CLASSES
    }
    m["majority_baseline_accuracy"] = round(max(gold.count(c) for c in PAPER_CLASSES) / n, 4)
    return m

"""report.html for an audit: headline rates, plots, group tables and flagged examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from safetylab.records import ANSWER_QUALITIES
from safetylab.report import bar_with_ci, grouped_bars, render
from safetylab.results import AuditSummary

EXAMPLE_KINDS = {
    "chosen answer is harmful": "chosen_harmful",
    "chosen answer is a refusal": "chosen_refusal",
    "chosen answer is evasive": "chosen_evasive",
    "rejected answer acceptable, chosen not": "rejected_better",
    "exact duplicate pairs": "is_dup_exact",
    "chosen == rejected": "chosen_eq_rejected",
}


def _examples(pairs: Path, per_kind: int) -> dict[str, list[dict[str, Any]]]:
    cols = [
        "source_file",
        "source_line",
        "prompt",
        "chosen",
        "rejected",
        "harm_categories",
        "chosen_quality",
        "chosen_label",
        "rejected_quality",
        "rejected_label",
        "chosen_harmful",
        "chosen_refusal",
        "chosen_evasive",
        "chosen_acceptable",
        "rejected_acceptable",
        "is_dup_exact",
        "chosen_eq_rejected",
    ]
    df = pq.read_table(pairs, columns=cols).to_pandas()
    df["rejected_better"] = df.rejected_acceptable & ~df.chosen_acceptable
    out = {}
    for title, col in EXAMPLE_KINDS.items():
        sub = df[df[col]]
        if len(sub):
            sub = sub.sample(min(per_kind, len(sub)), random_state=0).sort_index()
            out[title] = sub.to_dict("records")
    return out


def build_report(summary: AuditSummary, pairs: Path, out: Path, per_kind: int = 8) -> Path:
    o = summary.overall
    plots = {
        "quality": grouped_bars(
            list(ANSWER_QUALITIES),
            {
                "chosen": [o.chosen.quality[q].rate or 0 for q in ANSWER_QUALITIES],
                "rejected": [o.rejected.quality[q].rate or 0 for q in ANSWER_QUALITIES],
            },
            "Answer quality",
        ),
    }
    hc = summary.by_harm_category
    plots["harm"] = bar_with_ci(
        list(hc),
        [v.chosen_acceptable for v in hc.values()],
        "Chosen answer acceptable, by harm category (95% CI)",
    )
    groups = {g: v for g, v in summary.by_identity_group.items() if v.n >= 5}
    plots["groups"] = (
        bar_with_ci(
            list(groups),
            [v.chosen_harmful for v in groups.values()],
            "Chosen answer harmful, by identity group in the conversation (n ≥ 5, 95% CI)",
        )
        if groups
        else ""
    )
    return render(
        "audit.html.j2",
        out,
        title="safetylab audit",
        s=summary,
        plots=plots,
        examples=_examples(pairs, per_kind),
    )

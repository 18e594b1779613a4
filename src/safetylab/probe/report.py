"""report.html for a probe (and for `probe compare`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from safetylab.records import is_refusal
from safetylab.report import bar_with_ci, heatmap, render
from safetylab.results import ProbeSummary


def build_report(
    summary: ProbeSummary, df: pd.DataFrame, out: Path, model: str, per_group: int = 2
) -> Path:
    groups = summary.groups
    order = sorted(groups, key=lambda g: -(groups[g].refusal_rate or 0))
    plots = {
        "refusal": bar_with_ci(
            order,
            [
                {"rate": groups[g].refusal_rate, "ci95": groups[g].ci95, "n": groups[g].n}
                for g in order
            ],
            "Refusal rate (partial + full) by group, 95% CI",
            "refusal rate",
        ),
        "heat": heatmap(summary.group_by_category, "Refusal rate, group x template category"),
    }
    refused = df[df.label.map(is_refusal).fillna(False).astype(bool) & (df.kind == "safe")]
    examples = (
        refused.groupby("group", sort=False).head(per_group).sort_values("group").to_dict("records")
    )
    return render(
        "probe.html.j2",
        out,
        title=f"safetylab probe: {model}",
        s=summary,
        order=order,
        plots=plots,
        examples=examples,
        model=model,
    )

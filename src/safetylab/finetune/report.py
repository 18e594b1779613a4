"""report.html of a finetune experiment: per-group rates by variant, differences, dose-response."""

from __future__ import annotations

from pathlib import Path

from safetylab.report import grouped_bars, heatmap, lines_with_ci, render
from safetylab.results import ExperimentSummary

LABELS = {
    "refused": "over-refusal (harmless prompts)",
    "harmful": "harmful answers (unsafe prompts)",
}


def build_report(summary: ExperimentSummary, out: Path) -> Path:
    plots: dict[str, str] = {}
    for outcome, by_method in summary.rates.items():
        for method, by_variant in by_method.items():
            if method == "base":
                continue
            groups = sorted({g for cells in by_variant.values() for g in cells if g != "all"})
            plots[f"{outcome}/{method}"] = grouped_bars(
                groups,
                {
                    v: [cells.get(g, {}).get("rate") or 0 for g in groups]
                    for v, cells in by_variant.items()
                },
                f"{LABELS[outcome]} by group, {method}",
            )
            plots[f"{outcome}/{method}/heat"] = heatmap(
                {v: {g: c["rate"] for g, c in cells.items()} for v, cells in by_variant.items()},
                f"{LABELS[outcome]}: variant x group ({method})",
            )
    for method, dr in summary.dose_response.items():
        lv = dr["levels"]
        x = [level["dose"] for level in lv]
        plots[f"dose/{method}"] = lines_with_ci(
            {
                "over-refusal": (
                    x,
                    [v["refusal"]["mean"] for v in lv],
                    [v["refusal"]["ci95"] for v in lv],
                ),
                "largest group gap": (
                    x,
                    [v["group_gap"]["mean"] for v in lv],
                    [v["group_gap"]["ci95"] for v in lv],
                ),
            },
            f"Dose-response ({method}): share of flagged pairs kept vs downstream refusals",
            "share of flagged pairs kept",
            "rate (seed mean, 95% t CI)",
        )
    diffs = [d for d in summary.differences if d["group"] == "all"]
    return render(
        "finetune.html.j2",
        out,
        title="safetylab finetune experiment",
        s=summary,
        plots=plots,
        labels=LABELS,
        overall_diffs=diffs,
        group_diffs=[d for d in summary.differences if d["group"] != "all"],
    )

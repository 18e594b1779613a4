"""summary.json + report.html of an annotation task: progress, agreement, and for literature
coding the share of papers with each code (Wilson CIs) overall and by publication year."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.annotate.agreement import agreement
from safetylab.annotate.literature import code_summary
from safetylab.annotate.schema import Schema
from safetylab.annotate.store import TaskStore
from safetylab.report import bar_with_ci, heatmap, render
from safetylab.rundir import SUMMARY, write_json


def _by_year(df: pd.DataFrame, items: dict[str, Any], field: str) -> dict[str, dict[str, float]]:
    """Share of coded papers per year with each code (first annotator's answer per paper)."""
    sub = df[df.field == field].drop_duplicates("item_id")
    out: dict[str, dict[str, float]] = {}
    for r in sub.itertuples(index=False):
        year = str(items[r.item_id].payload.get("year"))
        for v in r.value if isinstance(r.value, list) else [r.value]:
            out.setdefault(v, {}).setdefault(year, 0.0)
            out[v][year] += 1
    totals = sub.item_id.map(lambda i: str(items[i].payload.get("year"))).value_counts()
    return {v: {y: round(c / totals[y], 3) for y, c in ys.items()} for v, ys in out.items()}


def build_report(task: Path, df: pd.DataFrame, schema: Schema, store: TaskStore) -> Path:
    meta = store.meta()
    items = {i.id: i for i in store.items()}
    summary: dict[str, Any] = {
        "task": meta,
        "progress": {a: store.progress(a) for a in store.annotators()},
        "agreement": agreement(df, schema) if len(df) else {},
    }
    plots: dict[str, str] = {}
    if meta.get("source_kind") == "bibliography" and len(df):
        codes = code_summary(df, list(schema.fields))
        summary["codes"] = codes
        for f, cells in codes.items():
            plots[f] = bar_with_ci(
                list(cells), list(cells.values()), f"{f}: share of papers", "share"
            )
            by_year = _by_year(df, items, f)
            if by_year:
                plots[f + "/year"] = heatmap(by_year, f"{f}: share of papers by year")
    write_json(task / SUMMARY, summary)
    return render(
        "annotate_report.html.j2",
        task / "report.html",
        title=f"safetylab annotate: {task.name}",
        s=summary,
        plots=plots,
    )

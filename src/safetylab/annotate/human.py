"""From an annotation task to the people's-labels file that `audit --human-labels` and
`probe --human-labels` read, and the power analysis that says how many labels are enough."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.annotate.agreement import majority
from safetylab.annotate.store import TaskStore
from safetylab.errors import SafetylabError
from safetylab.records import is_refusal
from safetylab.stats.ppi import labels_needed

FIELDS = {"pair": ("chosen_quality", "prompt_harmful"), "response": ("label",)}


def _labelled(task: Path) -> tuple[str, pd.DataFrame, dict[str, float], int, int]:
    store = TaskStore(task)
    try:
        kind = store.schema.name
        if kind not in FIELDS:
            raise SafetylabError(
                f"{task}: schema {kind!r} has no people's-labels format (pair or response only)"
            )
        sampling = store.meta().get("sampling") or {}
        items = {i.id: i for i in store.items()}
        answers = pd.DataFrame(store.all_answers())
    finally:
        store.close()
    probs = sampling.get("inclusion_prob") or {}
    population = int(sampling.get("population") or len(items))
    rows, ties = [], 0
    if len(answers):
        for item_id, grp in answers.groupby("item_id"):
            rec: dict[str, Any] = {"item_id": item_id, "auto": items[item_id].auto}
            for f in FIELDS[kind]:
                vals = grp.loc[grp["field"] == f, "value"].tolist()
                rec[f] = majority([str(v) for v in vals]) if vals else None
            if rec[FIELDS[kind][0]] is None:
                ties += int(bool(len(grp)))
                continue
            rows.append(rec)
    return kind, pd.DataFrame(rows), probs, population, ties


def human_label_table(task: Path) -> tuple[pd.DataFrame, int]:
    """One row per labelled item (majority over annotators; ties left out)."""
    kind, df, probs, _, ties = _labelled(task)
    out = []
    for r in df.to_dict("records"):
        p = probs.get(r["item_id"])
        if kind == "pair":
            file, _, line = str(r["item_id"]).rpartition(":")
            rec = {
                "source_file": file,
                "source_line": int(line),
                "chosen_quality": r["chosen_quality"],
            }
            if r.get("prompt_harmful") is not None:
                rec["prompt_harmful"] = str(r["prompt_harmful"]).lower() == "true"
        else:
            pid, _, sample = str(r["item_id"]).rpartition("#")
            rec = {"id": pid, "sample": int(sample), "human_label": r["label"]}
        if p is not None:
            rec["inclusion_prob"] = round(float(p), 6)
        out.append(rec)
    return pd.DataFrame(out), ties


def plan(task: Path, width: float) -> list[dict[str, Any]]:
    """`labels_needed` for every outcome the estimates report, from the labels so far."""
    kind, df, probs, population, _ = _labelled(task)
    if not len(df):
        raise SafetylabError(f"{task}: no answers yet; label some items first")
    weights = [1.0 / probs[i] if i in probs else 1.0 for i in df["item_id"]]
    out = []
    if kind == "pair":
        auto = df["auto"].map(lambda a: a.get("chosen_quality"))
        for q in ("acceptable", "harmful", "refusal", "evasive"):
            y = (df["chosen_quality"] == q).astype(float)
            yhat = (auto == q).astype(float)
            out.append(
                {"outcome": f"chosen {q}", **labels_needed(y, yhat, width, population, weights)}
            )
    else:
        y = df["label"].map(is_refusal).astype(float)
        yhat = df["auto"].map(lambda a: is_refusal(a.get("label", ""))).astype(float)
        out.append({"outcome": "refused", **labels_needed(y, yhat, width, population, weights)})
    return out

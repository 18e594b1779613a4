"""summary.json for an audit: counts and rates with 95 % Wilson CIs, overall and per group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from safetylab.audit.quality import PAPER_CLASSES, PAPER_LABELS, UNCLASSIFIED
from safetylab.records import ANSWER_QUALITIES, RESPONSE_CLASSES
from safetylab.stats import rate, rate_table

SIDE_METRICS = ("acceptable", "harmful", "refusal", "evasive")
FLAGS = (
    "is_dup_exact",
    "is_near_dup",
    "chosen_eq_rejected",
    "chosen_empty",
    "rejected_empty",
    "chosen_truncated",
    "rejected_truncated",
    "chosen_longer",
    "chosen_shorter",
)
GROUP_METRICS = [f"chosen_{m}" for m in SIDE_METRICS] + ["rejected_harmful", "rejected_acceptable"]


def load_summary_frame(pairs: Path) -> pd.DataFrame:
    """The non-text columns of pairs.parquet: all the summary needs."""
    schema = pq.read_schema(pairs)
    text = {"prompt", "first_request", "chosen", "rejected"}
    return pq.read_table(pairs, columns=[c for c in schema.names if c not in text]).to_pandas()


def build_summary(
    df: pd.DataFrame,
    skipped: list[dict[str, Any]],
    inputs: list[str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    n = len(df)
    overall: dict[str, Any] = {}
    for side in ("chosen", "rejected"):
        overall[side] = {
            "quality": {
                q: rate(int((df[f"{side}_quality"] == q).sum()), n) for q in ANSWER_QUALITIES
            },
            "label": {c: rate(int((df[f"{side}_label"] == c).sum()), n) for c in RESPONSE_CLASSES},
            # the audit paper's three labels: unhelpful = refusal + evasive
            "paper": {
                p: rate(int(df[f"{side}_quality"].map(PAPER_LABELS).eq(p).sum()), n)
                for p in PAPER_CLASSES
            },
            "unclassified": int((df[f"{side}_quality"] == UNCLASSIFIED).sum()),
        }
        for m in SIDE_METRICS:
            overall[f"{side}_{m}"] = rate(int(df[f"{side}_{m}"].sum()), n)
    overall["both_acceptable"] = rate(int((df.chosen_acceptable & df.rejected_acceptable).sum()), n)
    overall["prompt_harmful"] = rate(int(df.prompt_harmful.sum()), n)
    overall["chosen_better_quality"] = rate(
        int((df.chosen_acceptable & ~df.rejected_acceptable).sum()), n
    )
    overall["rejected_better_quality"] = rate(
        int((df.rejected_acceptable & ~df.chosen_acceptable).sum()), n
    )
    df = df.copy()
    df["prompt_axes"] = [sorted({g.split(":")[0] for g in gs}) for gs in df.prompt_groups]
    df["any_group"] = [["any"] if len(gs) else [] for gs in df.prompt_groups]
    df["depth_bucket"] = pd.cut(
        df.depth, [0, 1, 2, 3, 5, 1000], labels=["1", "2", "3", "4-5", "6+"]
    ).astype(str)
    out = {
        "n_pairs": n,
        "inputs": inputs,
        "skipped": {"count": len(skipped), "rows": skipped},
        "overall": overall,
        "by_harm_category": rate_table(df, "harm_categories", GROUP_METRICS),
        "by_identity_group": rate_table(df, "prompt_groups", GROUP_METRICS),
        "by_identity_axis": rate_table(df, "prompt_axes", GROUP_METRICS),
        "identity_mentioned": rate_table(df, "any_group", GROUP_METRICS).get("any", {"n": 0}),
        "identity_in_answers": {
            side: {
                g: int(c) for g, c in df[f"{side}_groups"].explode().dropna().value_counts().items()
            }
            for side in ("chosen", "rejected")
        },
        "by_depth": rate_table(df, "depth_bucket", GROUP_METRICS),
        "flags": {f: rate(int(df[f].sum()), n) for f in FLAGS},
        "lengths": {
            "chosen_words_median": float(df.chosen_words.median()),
            "rejected_words_median": float(df.rejected_words.median()),
            "depth_median": float(df.depth.median()),
            "depth_max": int(df.depth.max()),
        },
    }
    if "chosen_judge" in df:
        out["judge"] = judge_summary(df)
    if extra:
        out.update(extra)
    return out


def judge_summary(df: pd.DataFrame) -> dict[str, Any]:
    """The LLM judge's paper labels beside the decision table's, on the same answers."""
    out: dict[str, Any] = {}
    for side in ("chosen", "rejected"):
        j = df[f"{side}_judge"]
        ok = j.notna()
        ours = df.loc[ok, f"{side}_quality"].map(PAPER_LABELS)
        out[side] = {
            "n_judged": int(ok.sum()),
            "unparsed_or_failed": int((~ok).sum()),
            "judge": {p: rate(int((j[ok] == p).sum()), int(ok.sum())) for p in PAPER_CLASSES},
            "agreement_with_audit": rate(int((ours == j[ok]).sum()), int(ok.sum())),
        }
    return out

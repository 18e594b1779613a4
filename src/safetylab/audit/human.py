"""People's labels of a random sample of audited pairs, and the estimates they make valid.

`--human-labels FILE` (CSV / JSONL / Parquet): `source_line` (1-based line of the pair in its
input, as in pairs.parquet), `source_file` (optional with one input; a path or a file name),
`chosen_quality` (acceptable / harmful / refusal / evasive, or the paper's acceptable / harmful /
unhelpful), optional `rejected_quality`, `prompt_harmful` (true/false) and `inclusion_prob`
(from `annotate create --sample stratified`; default: a uniform sample). `annotate export
--human-labels` writes exactly this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safetylab.audit.quality import PAPER_CLASSES, PAPER_LABELS
from safetylab.errors import InputError
from safetylab.io.tables import (
    check_weights_complete,
    is_missing,
    parse_bool,
    parse_inclusion_prob,
    parse_int,
    read_table,
)
from safetylab.records import ANSWER_QUALITIES
from safetylab.stats.ppi import ppi_rate, ppi_shares

ALLOWED = set(ANSWER_QUALITIES) | set(PAPER_CLASSES)
MIN_GROUP_LABELS = 10  # fewer people's labels in a group: no estimate for it


@dataclass
class HumanLabels:
    path: Path
    frame: pd.DataFrame  # one row per pair: row (index into pairs.parquet), labels, weight

    @property
    def n(self) -> int:
        return len(self.frame)


def load_human_labels(path: Path, pairs: pd.DataFrame, inputs: list[str]) -> HumanLabels:
    """Validate the file against the audited pairs; every problem names its line and field."""
    src = str(path)
    df = read_table(path, required=["source_line", "chosen_quality"], with_lines=True)
    if "source_file" not in df.columns and len(inputs) > 1:
        raise InputError(src, None, "several inputs were audited: give a source_file column")
    keys: dict[tuple[str, int], int] = {}
    by_name: dict[tuple[str, int], list[int]] = {}
    for i, (f, ln) in enumerate(zip(pairs["source_file"], pairs["source_line"], strict=True)):
        keys[(str(f), int(ln))] = i
        by_name.setdefault((Path(str(f)).name, int(ln)), []).append(i)
    rows: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    lines: list[int] = []
    for rec in df.to_dict("records"):
        line = int(rec["_line"])
        sl = parse_int(rec["source_line"], src, line, "source_line", minimum=1)
        sf = str(rec.get("source_file") or (inputs[0] if len(inputs) == 1 else ""))
        hit = keys.get((sf, sl))
        if hit is None:
            cands = by_name.get((Path(sf).name, sl), [])
            if len(cands) > 1:
                raise InputError(
                    src, line, f"{sf}:{sl} matches several audited inputs", "source_file"
                )
            hit = cands[0] if cands else None
        if hit is None:
            raise InputError(src, line, f"no audited pair at {sf}:{sl}", "source_line")
        if hit in seen:
            raise InputError(
                src, line, f"{sf}:{sl} is labelled twice (first on line {seen[hit]})", "source_line"
            )
        seen[hit] = line
        row: dict[str, Any] = {"row": hit}
        for side in ("chosen", "rejected"):
            col = f"{side}_quality"
            if is_missing(rec.get(col)):
                if side == "chosen":
                    raise InputError(src, line, "missing label", col)
                continue
            v = str(rec[col]).strip().lower()  # "Harmful" and "harmful" are one label
            if v not in ALLOWED:
                raise InputError(src, line, f"{v!r} is not one of {sorted(ALLOWED)}", col)
            row[col] = v
        if not is_missing(rec.get("prompt_harmful")):
            row["prompt_harmful"] = parse_bool(rec["prompt_harmful"], src, line, "prompt_harmful")
        if not is_missing(rec.get("inclusion_prob")):
            row["weight"] = 1.0 / parse_inclusion_prob(rec["inclusion_prob"], src, line, len(pairs))
        rows.append(row)
        lines.append(line)
    if not rows:
        raise InputError(src, None, "no labelled rows")
    check_weights_complete(rows, lines, src)
    return HumanLabels(path, pd.DataFrame(rows))


def _scheme(gold: pd.Series) -> tuple[str, dict[str, str], tuple[str, ...]]:
    """People's labels in the paper's three classes map ours onto them; four-way labels are
    compared four ways."""
    if gold.isin(["unhelpful"]).any() or not gold.isin(["refusal", "evasive"]).any():
        return "paper", PAPER_LABELS, PAPER_CLASSES
    return "quality", {q: q for q in ANSWER_QUALITIES}, ANSWER_QUALITIES


def ppi_block(pairs: pd.DataFrame, human: HumanLabels) -> dict[str, Any]:
    """summary.json's "ppi": every quality share the report prints, three ways."""
    h = human.frame
    idx = h["row"].to_numpy()
    weights = h["weight"].to_numpy() if "weight" in h else None
    out: dict[str, Any] = {
        "labels_file": str(human.path),
        "n_labelled": human.n,
        "n_total": len(pairs),
        "sampling": "weighted (inclusion probabilities)" if weights is not None else "uniform",
    }
    for side in ("chosen", "rejected"):
        col = f"{side}_quality"
        if col not in h or h[col].isna().all():
            continue
        lab = h[col].notna().to_numpy()
        scheme, mapping, classes = _scheme(h.loc[lab, col])
        gold = h.loc[lab, col].map(lambda v, m=mapping, cs=classes: v if v in cs else m.get(v, v))
        pred_all = pairs[col].map(mapping).fillna("unclassified").to_numpy()
        w = None if weights is None else weights[lab]
        out[col] = ppi_shares(gold.to_numpy(), pred_all[idx[lab]], pred_all, classes, w)
        out[f"{col}_scheme"] = scheme
        for by in ("harm_categories", "prompt_groups"):
            block: dict[str, Any] = {}
            exploded = pairs[by].explode().dropna()
            for key, rows in exploded.groupby(exploded).groups.items():
                members = np.asarray(sorted(set(rows)))
                in_group = np.isin(idx[lab], members)
                if in_group.sum() < MIN_GROUP_LABELS:
                    block[str(key)] = {"n_labelled": int(in_group.sum()), "n_total": len(members)}
                    continue
                block[str(key)] = ppi_shares(
                    gold.to_numpy()[in_group],
                    pred_all[idx[lab]][in_group],
                    pred_all[members],
                    classes,
                    None if w is None else w[in_group],
                )
            out[f"{side}_by_{'harm_category' if by == 'harm_categories' else 'identity_group'}"] = (
                block
            )
    if "prompt_harmful" in h and h["prompt_harmful"].notna().any():
        lab = h["prompt_harmful"].notna().to_numpy()
        pred = pairs["prompt_harmful"].astype(float).to_numpy()
        out["prompt_harmful"] = ppi_rate(
            h.loc[lab, "prompt_harmful"].astype(float).to_numpy(),
            pred[idx[lab]],
            pred,
            None if weights is None else weights[lab],
        )
    return out

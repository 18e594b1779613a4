"""People's labels of a random sample of probe answers: the classifier's agreement per group and
prediction-powered refusal rates (and gaps to the control) that stay valid when it errs.

The file: `id`, `sample`, `human_label` (a response class), optional `inclusion_prob`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safetylab.errors import InputError
from safetylab.io.tables import (
    check_weights_complete,
    is_missing,
    parse_inclusion_prob,
    parse_int,
    read_table,
)
from safetylab.probe.prompts import CONTROL
from safetylab.records import INVALID, RESPONSE_CLASSES, is_refusal
from safetylab.stats.ppi import ppi_difference, ppi_rate

MIN_GROUP_LABELS = 10


def load_probe_labels(path: Path, responses: pd.DataFrame) -> pd.DataFrame:
    """Validated labels joined to the responses: one row per labelled answer, with `row` (its
    position in responses.jsonl) and `weight`."""
    src = str(path)
    df = read_table(path, required=["id", "sample", "human_label"], with_lines=True)
    where = {
        (str(i), int(s)): k
        for k, (i, s) in enumerate(zip(responses["id"], responses["sample"], strict=True))
    }
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, int], int] = {}
    lines: list[int] = []
    for rec in df.to_dict("records"):
        line = int(rec["_line"])
        key = (str(rec["id"]), parse_int(rec["sample"], src, line, "sample"))
        if key not in where:
            raise InputError(
                src, line, f"no probe answer with id {key[0]!r}, sample {key[1]}", "id"
            )
        if key in seen:
            raise InputError(src, line, f"labelled twice (first on line {seen[key]})", "id")
        seen[key] = line
        label = str(rec["human_label"]).strip().lower()  # as the audit reads labels
        if label not in RESPONSE_CLASSES:
            raise InputError(
                src, line, f"{label!r} is not one of {list(RESPONSE_CLASSES)}", "human_label"
            )
        row = {"id": key[0], "sample": key[1], "human_label": label, "row": where[key]}
        if not is_missing(rec.get("inclusion_prob")):
            row["weight"] = 1.0 / parse_inclusion_prob(
                rec["inclusion_prob"], src, line, len(responses)
            )
        rows.append(row)
        lines.append(line)
    if not rows:
        raise InputError(src, None, "no labelled rows")
    check_weights_complete(rows, lines, src)
    out = pd.DataFrame(rows)
    if "weight" not in out:
        out["weight"] = 1.0
    return out


def ppi_refusal(
    responses: pd.DataFrame, labels: pd.DataFrame, reference: str = CONTROL
) -> dict[str, Any]:
    """Refusal rate per group on safe prompts, and its difference to the reference group
    (the control), three ways."""
    df = responses.reset_index(drop=True)
    ok = (df["label"] != INVALID) & (df["kind"] == "safe")
    pred = df["label"].map(is_refusal).fillna(False).astype(float).to_numpy()
    lab = labels[ok.to_numpy()[labels["row"].to_numpy()]]
    gold = lab["human_label"].map(is_refusal).astype(float).to_numpy()
    rows = lab["row"].to_numpy()
    weighted = bool((lab["weight"] != 1.0).any())
    w_all = lab["weight"].to_numpy() if weighted else None
    groups: dict[str, Any] = {}
    for g, members in df[ok].groupby("group").groups.items():
        members = np.asarray(members)
        sel = np.isin(rows, members)
        if sel.sum() < MIN_GROUP_LABELS:
            groups[str(g)] = {"n_labelled": int(sel.sum()), "n_total": len(members)}
            continue
        groups[str(g)] = ppi_rate(
            gold[sel], pred[rows[sel]], pred[members], None if w_all is None else w_all[sel]
        )
    control = groups.get(reference)
    if control and control.get("estimate") is not None:
        for g, e in groups.items():
            if g != reference and e.get("estimate") is not None:
                e["vs_control"] = ppi_difference(e, control)
    overall = ppi_rate(gold, pred[rows], pred[ok.to_numpy()], w_all)
    return {
        "n_labelled": int(len(lab)),
        "n_total": int(ok.sum()),
        "sampling": "weighted (inclusion probabilities)" if weighted else "uniform",
        "overall": overall,
        "groups": groups,
    }

"""Readers for the real, human-labelled answer sets in the shared data folder.

Each reader returns one table with the same columns — `source`, `model` (when known), `prompt`,
`response`, `label` (a response class, or None where the source's labels do not map onto one),
`refused` (bool or None), `raw_label` and `use` — so training, evaluation and benchmarks treat
every source alike. Label mappings and licence-driven use come from `data/sources.yaml`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.errors import SafetylabError
from safetylab.io.shared_data import data_root
from safetylab.lexicon import load_yaml

SPEC_FILE = Path(__file__).parent / "data" / "sources.yaml"
COLUMNS = ["source", "model", "prompt", "response", "label", "refused", "raw_label", "use"]


@lru_cache(maxsize=1)
def specs() -> dict[str, dict[str, Any]]:
    return load_yaml(SPEC_FILE)


def _path(name: str, root: Path | None) -> Path:
    p = (root or data_root()) / specs()[name]["path"]
    if not p.exists():
        raise SafetylabError(
            f"{p}: the {name} data is not here; set SAFETYLAB_DATA to the folder that holds "
            "response-labels/ and hh-audit-labels/"
        )
    return p


def _frame(name: str, **cols: Any) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    df["source"] = name
    df["use"] = specs()[name]["use"]
    for c in COLUMNS:
        if c not in df:
            df[c] = None
    return df[COLUMNS]


def gptfuzz(split: str = "train", root: Path | None = None) -> pd.DataFrame:
    """GPTFuzz responses to harmful questions; `split` is `train` or `evaluate`."""
    base = _path("gptfuzz", root)
    questions = pd.read_csv(base / "question_list.csv").set_index("index")["text"]
    df = pd.read_csv(base / f"{split}.csv")
    lab = specs()["gptfuzz"]["label_map"]
    return _frame(
        "gptfuzz",
        prompt=df["question"].map(questions).fillna(""),
        response=df["Response"].fillna("").astype(str),
        raw_label=df["label"],
        label=df["label"].map(lab),
        refused=df["label"] == 0,
    )


def diasafety(split: str = "train", root: Path | None = None) -> pd.DataFrame:
    spec = specs()["diasafety"]
    rows = json.loads((_path("diasafety", root) / f"{split}.json").read_text(encoding="utf-8"))
    df = pd.DataFrame(rows)
    if spec.get("sample") and len(df) > spec["sample"]:
        df = df.sample(spec["sample"], random_state=0).sort_index()
    return _frame(
        "diasafety",
        model="dialogue",
        prompt=df["context"].astype(str),
        response=df["response"].astype(str),
        raw_label=df["label"],
        label=df["label"].map(spec["label_map"]),
        refused=False,
    )


def xstest_dev(root: Path | None = None) -> pd.DataFrame:
    """XSTest's labelled completions of the two Mistral-7B set-ups (the development split)."""
    spec = specs()["xstest-dev"]
    frames = []
    for model in spec["models"]:
        d = pd.read_csv(_path("xstest-dev", root) / f"xstest_v2_completions_{model}.csv")
        d["model"] = model
        frames.append(d)
    df = pd.concat(frames, ignore_index=True)
    label = df["final_label"].map(spec["label_map"])
    return _frame(
        "xstest-dev",
        model=df["model"],
        prompt=df["prompt"].astype(str),
        response=df["completion"].fillna("").astype(str),
        raw_label=df["final_label"],
        label=label,
        refused=label != "full_compliance",
    )


def do_not_answer(root: Path | None = None) -> pd.DataFrame:
    """Six models' answers to 939 risky questions; action 0 = refusal, 2 and 5 = compliance."""
    spec = specs()["do-not-answer"]
    frames = []
    for f in sorted(_path("do-not-answer", root).glob("annotated_response_*.csv")):
        d = pd.read_csv(f)
        d["model"] = f.stem.removeprefix("annotated_response_")
        frames.append(d)
    df = pd.concat(frames, ignore_index=True)
    refusal = df["action"].isin(spec["refusal_actions"])
    comply = df["action"].isin(spec["compliance_actions"])
    out = _frame(
        "do-not-answer",
        model=df["model"],
        prompt=df["question"].astype(str),
        response=df["response"].fillna("").astype(str),
        raw_label=df["action"],
        label=None,
        refused=[True if r else False if c else None for r, c in zip(refusal, comply, strict=True)],
    )
    out["harmful"] = df["harmful"].astype(int) == 1  # the annotators' "harmful answer" flag
    return out


def load(name: str, root: Path | None = None, **kw: Any) -> pd.DataFrame:
    readers: dict[str, Callable[..., pd.DataFrame]] = {
        "gptfuzz": gptfuzz,
        "diasafety": diasafety,
        "xstest-dev": xstest_dev,
        "do-not-answer": do_not_answer,
    }
    if name not in readers:
        raise SafetylabError(f"unknown source {name!r}; known: {sorted(readers)}")
    return readers[name](root=root, **kw)

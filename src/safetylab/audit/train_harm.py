"""Train and measure the audit's request-harm head.

Training text (licences allow shipping the weights):
- GPTFuzz's 100 harmful questions (MIT): harmful, no category given;
- OpenAI's moderation samples (MIT): 1,680 real texts with 8 harm flags, mapped onto the
  MLCommons categories by `MODERATION_MAP`; unflagged texts are benign;
- the self-written request supplement (`data/harm_train.jsonl`), the only source of some
  categories (privacy, elections, intellectual property, ...).

- XSTest's 250 safe and 200 unsafe prompts (CC-BY-4.0; prompts only — its labelled completions
  are never read): the only real benign requests that sound harmful ("kill a Python process").

Measured on real labelled requests it never saw: XSTest's prompts by 5-fold cross-validation,
and Do-Not-Answer's 939 risky questions (evaluation only). Also used, weakly: HH-RLHF's
harmless-base red-team openers (MIT; harmful, category unknown) and the probe's own harmless
group questions. `python -m safetylab.audit.train_harm` retrains the shipped head and prints
the figures.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from safetylab.audit.harm import ANY, HarmHead, HarmKeywords
from safetylab.classify import sources
from safetylab.classify.evaluate import binary_metrics, load_jsonl
from safetylab.embed import EmbeddingCache
from safetylab.lexicon import builtin

DATA = Path(__file__).parent / "data"
MODERATION_MAP = {
    "S": "sexual_content",
    "S3": "child_sexual_exploitation",
    "H": "hate",
    "H2": "hate",
    "HR": "hate",
    "SH": "suicide_self_harm",
    "V": "violent_crimes",
    "V2": "violent_crimes",
}


def training_frame(root: Path | None = None) -> pd.DataFrame:
    """Rows of `text`, `labels` (categories; [] = harmful, category unknown; ["benign"]),
    `source`, `weight`."""
    base = root or sources.data_root()
    rows: list[dict[str, Any]] = []
    q = pd.read_csv(base / "response-labels" / "gptfuzz" / "question_list.csv")
    rows += [{"text": t, "labels": [], "source": "gptfuzz"} for t in q["text"]]
    mod = pd.read_json(
        base / "response-labels" / "moderation" / "samples-1680.jsonl.gz", lines=True
    )
    for rec in mod.to_dict("records"):
        cats = sorted({c for k, c in MODERATION_MAP.items() if (rec.get(k) or 0) > 0})
        rows.append({"text": rec["prompt"], "labels": cats or ["benign"], "source": "moderation"})
    xs = pd.read_csv(base / "seed-studies" / "xstest_prompts.csv")
    rows += [
        {"text": t, "labels": [] if lab == "unsafe" else ["benign"], "source": "xstest"}
        for t, lab in zip(xs["prompt"], xs["label"], strict=True)
    ]
    hh = base / "hh-rlhf" / "harmless-base-test.jsonl.gz"
    if hh.exists():
        with gzip.open(hh, "rt", encoding="utf-8") as fh:
            for line in fh:
                first = json.loads(line)["chosen"].split("\n\nAssistant:")[0]
                rows.append(
                    {"text": first.replace("\n\nHuman:", "").strip(), "labels": [], "source": "hh"}
                )
    from safetylab.probe.prompts import generate

    rows += [
        {"text": p.prompt, "labels": ["benign" if p.kind == "safe" else "hate"], "source": "probe"}
        for p in generate(unsafe=True)
    ]
    rows += [
        {"text": r["prompt"], "labels": r["labels"], "source": "self-written"}
        for r in load_jsonl(DATA / "harm_train.jsonl")
    ]
    df = pd.DataFrame(rows)
    df["weight"] = df["source"].map(
        {
            "gptfuzz": 2.0,
            "moderation": 0.5,
            "self-written": 2.0,
            "xstest": 2.0,
            "hh": 0.2,
            "probe": 0.3,
        }
    )
    return df


def _fit_any(x: np.ndarray, harmful: np.ndarray, w: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced").fit(
        x, harmful, sample_weight=w
    )


def _design(df: pd.DataFrame, cache: EmbeddingCache) -> np.ndarray:
    texts = df["text"].tolist()
    return np.hstack([cache.encode(texts), HarmKeywords().hits(texts)])


def train(root: Path | None = None, cache: EmbeddingCache | None = None) -> HarmHead:
    df = training_frame(root)
    cache = cache or EmbeddingCache()
    kw = HarmKeywords()
    x = _design(df, cache)
    w = df["weight"].to_numpy()
    harmful = np.array([lab != ["benign"] for lab in df["labels"]])
    heads = {ANY: _fit_any(x, harmful, w)}
    for c in kw.categories:
        if c == "benign":
            continue
        # rows whose category is unknown (harmful, no category) say nothing about this one
        known = np.array([lab != [] for lab in df["labels"]])
        y = np.array([c in lab for lab in df["labels"]])
        if y[known].any():
            heads[c] = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced").fit(
                x[known], y[known], sample_weight=w[known]
            )
    card = {
        "format": 2,
        "sources": df["source"].value_counts().to_dict(),
        "harmful_rows": int(harmful.sum()),
        "benign_rows": int((~harmful).sum()),
    }
    return HarmHead(kw.categories, heads, builtin("harm_categories"), card)


def evaluate(head: HarmHead, root: Path | None = None, folds: int = 5) -> dict:
    """Harmful-or-not on requests the head never saw. XSTest's prompts train the shipped head,
    so its figure is cross-validated: each fifth is scored by a head fitted without it."""
    base = root or sources.data_root()
    cache = EmbeddingCache()
    df = training_frame(root)
    x = _design(df, cache)
    w = df["weight"].to_numpy()
    harmful = np.array([lab != ["benign"] for lab in df["labels"]])
    xs = np.flatnonzero(df["source"].to_numpy() == "xstest")
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(xs)) % folds
    pred = np.zeros(len(xs), dtype=bool)
    for k in range(folds):
        test = xs[fold == k]
        keep = np.ones(len(df), dtype=bool)
        keep[test] = False
        pred[fold == k] = (
            _fit_any(x[keep], harmful[keep], w[keep]).predict_proba(x[test])[:, 1] >= 0.5
        )
    xsf = pd.read_csv(base / "seed-studies" / "xstest_prompts.csv")
    gold = harmful[xs]
    out: dict[str, Any] = {"xstest_prompts_cv": binary_metrics(gold, pred)}
    out["xstest_prompts_cv"]["safe_called_harmful_by_type"] = {
        t: round(float(pred[(xsf["type"] == t).to_numpy()].mean()), 3)
        for t in sorted(xsf.loc[xsf["label"] == "safe", "type"].unique())
    }
    dna = sources.do_not_answer(root=root).drop_duplicates("prompt")
    b = head.categories.index("benign")
    texts = dna["prompt"].tolist()
    p = head.scores(cache.encode(texts), HarmKeywords().hits(texts))[:, b] < 0.5
    out["do_not_answer_questions"] = {"n": len(p), "called_harmful": round(float(p.mean()), 4)}
    return out


if __name__ == "__main__":
    import safetylab.audit.train_harm as m  # pickled classes named safetylab.audit.harm.*

    h = m.train()
    h.save()
    print(json.dumps(m.evaluate(h), indent=1))

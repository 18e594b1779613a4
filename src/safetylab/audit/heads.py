"""The audit's own trained heads: harm categories of a request, and answer quality.

Both sit on the shared MiniLM embeddings. The harm head is one-vs-rest logistic regression over
the request embedding plus keyword hits from `harm_categories.yaml` (multi-label, a score per
category). The quality head reads the request and answer embeddings together with the response
classifier's class probabilities and rule features, so "refusal" here means the same thing as in
`safetylab classify`.

Retrain the packaged heads with `python -m safetylab.audit.heads`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from safetylab.classify.evaluate import load_jsonl
from safetylab.errors import SafetylabError
from safetylab.lexicon import builtin
from safetylab.records import ANSWER_QUALITIES

HERE = Path(__file__).parent
HEADS = HERE / "heads" / "audit.joblib"
FORMAT_VERSION = 1


def _kw_regex(words: list[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alts = []
    for w in words:
        w = w.lower().strip()
        body = re.escape(w.rstrip("*")).replace(r"\ ", r"\s+").replace(r"\*", r"\w*")
        alts.append(body + (r"\w*" if w.endswith("*") else ""))
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b", re.IGNORECASE)


class HarmKeywords:
    def __init__(self, data: dict | None = None):
        cats = (data or builtin("harm_categories"))["categories"]
        self.categories = list(cats)
        self.patterns = {c: _kw_regex(v.get("keywords") or []) for c, v in cats.items()}

    def hits(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        for i, t in enumerate(texts):
            for j, c in enumerate(self.categories):
                p = self.patterns[c]
                if p is not None and p.search(t):
                    out[i, j] = 1.0
        return out


@dataclass
class AuditHeads:
    categories: list[str]
    harm: dict[str, LogisticRegression]
    quality_scaler: StandardScaler
    quality: LogisticRegression
    harm_taxonomy: dict[str, Any]
    card: dict[str, Any] = field(default_factory=dict)
    version: int = FORMAT_VERSION

    def harm_scores(self, prompt_emb: np.ndarray, kw: np.ndarray) -> np.ndarray:
        """(n, categories) probabilities; `benign` is 1 - max(other categories)."""
        x = np.hstack([prompt_emb, kw])
        out = np.zeros((len(x), len(self.categories)), dtype=np.float32)
        for j, c in enumerate(self.categories):
            if c in self.harm:
                out[:, j] = self.harm[c].predict_proba(x)[:, 1]
        b = self.categories.index("benign")
        others = np.delete(out, b, axis=1)
        out[:, b] = 1.0 - others.max(axis=1) if others.size else 1.0
        return out

    def quality_proba(self, feats: np.ndarray) -> np.ndarray:
        return self.quality.predict_proba(self.quality_scaler.transform(feats))

    def save(self, path: Path = HEADS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)
        (path.parent / "card.json").write_text(json.dumps(self.card, indent=2))

    @classmethod
    def load(cls, path: Path = HEADS) -> AuditHeads:
        if not path.exists():
            raise SafetylabError(
                f"{path}: audit heads missing; run `python -m safetylab.audit.heads`"
            )
        h = joblib.load(path)
        if not isinstance(h, AuditHeads) or h.version != FORMAT_VERSION:
            raise SafetylabError(f"{path}: not audit heads of format {FORMAT_VERSION}")
        return h


def quality_features(
    prompt_emb: np.ndarray,
    answer_emb: np.ndarray,
    class_proba: np.ndarray,
    rules: np.ndarray,
    harm: np.ndarray,
) -> np.ndarray:
    """One row per answer: what the quality head sees."""
    return np.hstack(
        [prompt_emb, answer_emb, prompt_emb * answer_emb, class_proba, rules, harm]
    ).astype(np.float32)


def request_text(first_human: str, last_human: str) -> str:
    """What the harm head reads: the opening request and the latest one."""
    return first_human if first_human == last_human else f"{first_human}\n{last_human}"


def train(quiet: bool = False) -> AuditHeads:
    from safetylab.audit.featurize import Featurizer

    data = HERE / "data"
    harm_rows = load_jsonl(data / "harm_train.jsonl")
    q_rows = load_jsonl(data / "quality_train.jsonl")
    fz = Featurizer(heads=None)
    kw = HarmKeywords()
    cats = kw.categories
    pe = fz.embedder.encode([r["prompt"] for r in harm_rows])
    xh = np.hstack([pe, kw.hits([r["prompt"] for r in harm_rows])])
    harm = {}
    for c in cats:
        if c == "benign":
            continue
        y = np.array([c in r["labels"] for r in harm_rows])
        harm[c] = LogisticRegression(C=2.0, max_iter=3000, class_weight="balanced").fit(xh, y)
    heads = AuditHeads(
        cats, harm, StandardScaler(), LogisticRegression(), builtin("harm_categories")
    )
    feats = fz.answer_features(
        [r["prompt"] for r in q_rows],
        [r["prompt"] for r in q_rows],
        [r["answer"] for r in q_rows],
        heads,
    )
    y = np.array([ANSWER_QUALITIES.index(r["quality"]) for r in q_rows])
    heads.quality_scaler = StandardScaler().fit(feats)
    heads.quality = LogisticRegression(C=0.05, max_iter=4000, class_weight="balanced").fit(
        heads.quality_scaler.transform(feats), y
    )
    heads.card = {"harm_train": len(harm_rows), "quality_train": len(q_rows)}
    return heads


def evaluate(heads: AuditHeads | None = None) -> dict[str, Any]:
    """Held-out figures for both heads (harm: per category P/R/F1; quality: per class)."""
    from sklearn.metrics import precision_recall_fscore_support

    from safetylab.audit.featurize import Featurizer
    from safetylab.audit.quality import quality_verdicts
    from safetylab.classify.evaluate import class_metrics

    heads = heads or AuditHeads.load()
    data = HERE / "data"
    fz = Featurizer(heads)
    hr = load_jsonl(data / "harm_heldout.jsonl")
    scores = fz.harm([r["prompt"] for r in hr], heads)
    per_cat = {}
    for j, c in enumerate(heads.categories):
        gold = [c in r["labels"] for r in hr]
        pred = list(scores[:, j] >= 0.5)
        p, r, f, _ = precision_recall_fscore_support(gold, pred, average="binary", zero_division=0)
        per_cat[c] = {
            "precision": round(float(p), 3),
            "recall": round(float(r), 3),
            "f1": round(float(f), 3),
            "support": int(sum(gold)),
        }
    top1 = np.mean(
        [
            heads.categories[int(np.argmax(s))] in r["labels"]
            for s, r in zip(scores, hr, strict=True)
        ]
    )
    qr = load_jsonl(data / "quality_heldout.jsonl")
    # the request's harm is known for these examples: evaluate the answer verdict on its own
    bad = {r["prompt"] for r in hr if r["labels"] != ["benign"]}
    prompts, answers = [r["prompt"] for r in qr], [r["answer"] for r in qr]
    judg = fz.classifier.predict(prompts, answers)
    feats = fz.answer_features(prompts, prompts, answers, heads, judgements=judg)
    harmful = [bool(r["prompt"] in bad) for r in qr]
    pred = quality_verdicts(heads.quality_proba(feats), judg, answers, harmful)
    return {
        "harm": {"n": len(hr), "top1_accuracy": round(float(top1), 3), "per_category": per_cat},
        "quality": class_metrics([r["quality"] for r in qr], pred, ANSWER_QUALITIES),
    }


if __name__ == "__main__":
    # Go through the imported module so pickled classes are named safetylab.audit.heads.*
    import safetylab.audit.heads as m

    h = m.train()
    h.save()
    print(f"wrote {m.HEADS}")
    print(json.dumps(m.evaluate(h), indent=1))

"""How harmful a request is, per MLCommons hazard category (plus `benign`).

Whether a request is harmful at all is read from the request's embedding by the packaged MiniLM
with a LoRA adapter fine-tuned for exactly that question (`harm_encoder.py`); which harm it is,
by one-vs-rest logistic heads over the same vector and keyword hits from
`lexicon/harm_categories.yaml`. Trained by `safetylab.audit.train_harm` on real labelled text
(see its docstring for sources and licences).
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

from safetylab.audit.harm_encoder import harm_probability
from safetylab.embed import Embedder
from safetylab.errors import SafetylabError
from safetylab.lexicon import builtin

WEIGHTS = Path(__file__).parent / "weights" / "harm.joblib"
ADAPTER = Path(__file__).parent / "weights" / "harm-adapter"
FORMAT_VERSION = 3  # 3: harmful-or-not from a LoRA-adapted encoder
ANY = "any_harm"


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
class HarmHead:
    categories: list[str]
    heads: dict[str, LogisticRegression]  # per category
    taxonomy: dict[str, Any]
    any_weight: np.ndarray  # the fine-tuned harmful-or-not head over the adapted embedding
    any_bias: float
    card: dict[str, Any] = field(default_factory=dict)
    version: int = FORMAT_VERSION

    @staticmethod
    def embedder(int8: bool = False) -> Embedder:
        """The encoder every request is embedded with before `scores`. `int8`: the same adapted
        model on int8 weights (about 2x faster; its own cross-validated threshold)."""
        return Embedder(adapter=str(ADAPTER), int8=int8)

    @property
    def threshold(self) -> float:
        """P(harmful) at which a request counts as harmful: chosen by cross-validation when the
        head was trained (its card), 0.5 for heads trained before that."""
        return float(self.card.get("threshold", 0.5))

    def threshold_for(self, int8: bool) -> float:
        """The cross-validated threshold of the float or the int8 encoder."""
        if not int8:
            return self.threshold
        if "int8" not in self.card:
            raise SafetylabError(
                "this harm head has no int8 threshold; retrain it with "
                "`python -m safetylab.audit.train_harm`"
            )
        return float(self.card["int8"]["threshold"])

    def p_harmful(self, request_emb: np.ndarray) -> np.ndarray:
        return harm_probability(request_emb, self.any_weight, self.any_bias)

    def scores(self, request_emb: np.ndarray, kw: np.ndarray) -> np.ndarray:
        """(n, categories) probabilities from the adapted embedding. `benign` is
        1 - P(harmful at all), and no category scores above P(harmful at all): the categories
        say which harm, the fine-tuned head whether."""
        x = np.hstack([request_emb, kw])
        out = np.zeros((len(x), len(self.categories)), dtype=np.float32)
        p_any = self.p_harmful(request_emb) if len(x) else np.zeros(0)
        for j, c in enumerate(self.categories):
            if c in self.heads:
                out[:, j] = np.minimum(self.heads[c].predict_proba(x)[:, 1], p_any)
        out[:, self.categories.index("benign")] = 1.0 - p_any
        return out

    def save(self, path: Path = WEIGHTS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)
        (path.parent / "card.json").write_text(json.dumps(self.card, indent=2))

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> HarmHead:
        if not path.exists():
            raise SafetylabError(
                f"{path}: harm head missing; run `python -m safetylab.audit.train_harm`"
            )
        if not (ADAPTER / "adapter_model.safetensors").exists():
            raise SafetylabError(f"{ADAPTER}: the harm encoder's adapter is missing")
        h = joblib.load(path)
        if not isinstance(h, HarmHead) or h.version != FORMAT_VERSION:
            raise SafetylabError(f"{path}: not a harm head of format {FORMAT_VERSION}")
        return h


def request_text(first_human: str, last_human: str) -> str:
    """What the harm head reads for one turn pair: the opening request and the latest one."""
    return first_human if first_human == last_human else f"{first_human}\n{last_human}"

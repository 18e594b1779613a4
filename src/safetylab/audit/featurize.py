"""Per-pair features and verdicts for the audit, batched so the embedding model runs once per
batch over every text the batch needs (requests and answer sentences), through one cache."""

from __future__ import annotations

import numpy as np

from safetylab.audit.heads import AuditHeads, HarmKeywords, quality_features, request_text
from safetylab.classify.features import normalize_text
from safetylab.classify.model import ResponseClassifier
from safetylab.classify.sentences import EmbeddingCache, split_sentences
from safetylab.embed import DIM, Embedder
from safetylab.records import RESPONSE_CLASSES, Judgement


class Featurizer:
    def __init__(
        self,
        heads: AuditHeads | None,
        classifier_dir: str | None = None,
        cache: EmbeddingCache | None = None,
    ):
        self.cache = cache or EmbeddingCache(Embedder(), max_items=200_000)
        self.embedder = self.cache.embedder
        self.classifier = ResponseClassifier(classifier_dir, cache=self.cache)
        self.keywords = HarmKeywords()
        self.heads = heads

    def texts_to_encode(self, requests: list[str], answers: list[str]) -> list[str]:
        """Texts every pair needs embedded: requests and the answers' opening sentences (the
        classifier's second stage encodes more sentences, for uncertain answers only)."""
        out = list(requests)
        for a in answers:
            out += split_sentences(a)[:2]
        return out

    def answer_embedding(self, answers: list[str]) -> np.ndarray:
        out = np.zeros((len(answers), DIM), dtype=np.float32)
        for i, a in enumerate(answers):
            sents = split_sentences(a)[:2]
            if sents:
                v = self.cache.encode(sents).mean(axis=0)
                out[i] = v / max(float(np.linalg.norm(v)), 1e-6)
        return out

    def harm(self, requests: list[str], heads: AuditHeads) -> np.ndarray:
        return heads.harm_scores(self.cache.encode(requests), self.keywords.hits(requests))

    def conversation_harm(self, human_turns: list[list[str]], heads: AuditHeads) -> np.ndarray:
        """Red-team conversations escalate: score every human turn, keep each category's max."""
        flat = [t for turns in human_turns for t in turns]
        scores = self.harm(flat, heads)
        out, k = [], 0
        b = heads.categories.index("benign")
        for turns in human_turns:
            s = scores[k : k + len(turns)].max(axis=0)
            s[b] = 1.0 - np.delete(s, b).max()
            out.append(s)
            k += len(turns)
        return np.vstack(out)

    def answer_features(
        self,
        firsts: list[str],
        lasts: list[str],
        answers: list[str],
        heads: AuditHeads,
        judgements: list[Judgement] | None = None,
        harm: np.ndarray | None = None,
    ) -> np.ndarray:
        reqs = [request_text(f, x) for f, x in zip(firsts, lasts, strict=True)]
        self.cache.encode(self.texts_to_encode(reqs, answers))
        if judgements is None:
            judgements = self.classifier.predict(lasts, answers)
        cp = np.array(
            [[j.scores.get(c, 0.0) for c in RESPONSE_CLASSES] for j in judgements], dtype=np.float32
        )
        rules = self.classifier.heads.scaler.transform(
            self.classifier.rules.featurize_many([normalize_text(a) for a in answers])
        )
        if harm is None:
            harm = self.harm(reqs, heads)
        return quality_features(
            self.cache.encode(reqs), self.answer_embedding(answers), cp, rules, harm
        )

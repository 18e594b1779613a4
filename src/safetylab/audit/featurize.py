"""The audit's request-side evidence: request harm from the harm encoder's embeddings, once per
text through one cache (the answer side is `answers.py`)."""

from __future__ import annotations

import numpy as np

from safetylab.audit.harm import HarmHead, HarmKeywords
from safetylab.embed import EmbeddingCache


class Featurizer:
    def __init__(self, harm: HarmHead, cache: EmbeddingCache | None = None, int8: bool = False):
        self.cache = cache or EmbeddingCache(harm.embedder(int8), max_items=200_000)
        self.keywords = HarmKeywords()
        self.harm_head = harm

    def harm(self, requests: list[str]) -> np.ndarray:
        return self.harm_head.scores(self.cache.encode(requests), self.keywords.hits(requests))

    def conversation_harm(self, human_turns: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Red-team conversations escalate: score every human turn, keep each category's max.
        Also P(harmful) of the last turn alone, which the quality table may read instead."""
        flat = [t for turns in human_turns for t in turns]
        self.cache.encode(list(dict.fromkeys(flat)))
        scores = self.harm(flat)
        out, last, k = [], [], 0
        b = self.harm_head.categories.index("benign")
        for turns in human_turns:
            s = scores[k : k + len(turns)].max(axis=0)
            s[b] = scores[k : k + len(turns), b].min()  # harmful if any turn is
            out.append(s)
            last.append(1.0 - scores[k + len(turns) - 1, b])
            k += len(turns)
        if not out:
            return np.zeros((0, len(self.harm_head.categories))), np.zeros(0)
        return np.vstack(out), np.asarray(last)

"""The on-device embedding step: messages -> MiniLM vectors (+ optional metric-DP noise) ->
one feature vector per message position (mean of the last W message embeddings).

Only these vectors ever leave this step; the federated client trains on them and sends model
weights, never text. Metric-DP (d_X-privacy) noise has density proportional to
exp(-epsilon * ||z||): a uniform direction and a Gamma(d, 1/epsilon) length, added to each
message vector before windows are formed (Feyisetan et al., 2020).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safetylab.embed import DIM, Embedder
from safetylab.grooming.records import Chat

WINDOW = 50


def metric_dp_noise(n: int, epsilon: float, rng: np.random.Generator, dim: int = DIM) -> np.ndarray:
    direction = rng.standard_normal((n, dim))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    radius = rng.gamma(shape=dim, scale=1.0 / epsilon, size=(n, 1))
    return (direction * radius).astype(np.float32)


def window_means(e: np.ndarray, w: int = WINDOW) -> np.ndarray:
    """Row k: mean of message embeddings max(0, k-w+1)..k (the window seen after message k)."""
    c = np.vstack(
        [np.zeros((1, e.shape[1]), dtype=np.float64), np.cumsum(e, axis=0, dtype=np.float64)]
    )
    k = np.arange(1, len(e) + 1)
    lo = np.maximum(k - w, 0)
    return ((c[k] - c[lo]) / (k - lo)[:, None]).astype(np.float32)


@dataclass
class ChatVectors:
    """Window features of one chat: `x[k]` is what the detector sees after message k+1."""

    id: str
    user: str
    label: int
    x: np.ndarray


class Featurizer:
    """Embeds each distinct message text once (chats repeat a lot of short messages)."""

    def __init__(self, window: int = WINDOW, metric_dp_epsilon: float | None = None, seed: int = 0):
        self.window = window
        self.eps = metric_dp_epsilon
        self.rng = np.random.default_rng(seed)
        self.embedder = Embedder()
        self.cache: dict[str, np.ndarray] = {}
        # Per-dimension centre and scale from the server's public warm-up set, shipped to
        # devices with the app: MiniLM vectors share a large common component, and without
        # standardising, federated SGD on tiny per-user data barely moves off it.
        self.normalizer: tuple[np.ndarray, np.ndarray] | None = None

    def _embed(self, texts: list[str]) -> np.ndarray:
        todo = sorted({t for t in texts if t not in self.cache})
        for i in range(0, len(todo), 4096):
            part = todo[i : i + 4096]
            for t, v in zip(part, self.embedder.encode(part), strict=True):
                self.cache[t] = v
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def transform(self, chats: list[Chat]) -> list[ChatVectors]:
        self._embed([m.text for c in chats for m in c.messages])  # one batch for all
        out = []
        for c in chats:
            e = self._embed([m.text for m in c.messages])
            if self.eps is not None:
                e = e + metric_dp_noise(len(e), self.eps, self.rng)
            x = window_means(e, self.window)
            if self.normalizer is not None:
                x = ((x - self.normalizer[0]) / self.normalizer[1]).astype(np.float32)
            out.append(ChatVectors(c.id, c.user, c.label, x))
        return out


def fit_normalizer(chats: list[ChatVectors]) -> tuple[np.ndarray, np.ndarray]:
    x = np.vstack([c.x for c in chats])
    return x.mean(0).astype(np.float32), (x.std(0) + 1e-3).astype(np.float32)

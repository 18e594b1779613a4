"""What every back-end takes and gives."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol


@dataclass(frozen=True)
class GenerationRequest:
    """One chat request. `sample` distinguishes the n samples of one prompt (and seeds them)."""

    prompt: str
    system: str | None = None
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int = 0
    sample: int = 0
    prompt_id: str = ""

    def messages(self) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        return msgs + [{"role": "user", "content": self.prompt}]

    def cache_key(self, model: str) -> str:
        """Stable across runs: the model plus everything that shapes the answer."""
        body = {k: v for k, v in asdict(self).items() if k != "prompt_id"}
        raw = json.dumps({"model": model, **body}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class GenerationResult:
    text: str
    finish_reason: str | None = None
    error: str | None = None
    tokens: int | None = None  # completion tokens, when the back-end counts them


@dataclass(frozen=True)
class BackendOptions:
    """Everything a back-end may need; each reads the fields that concern it."""

    base_url: str = "http://127.0.0.1:8000/v1"  # openai/
    api_key_env: str | None = (
        None  # openai/: None = OPENAI_API_KEY if set (local servers need none)
    )
    concurrency: int = 16  # openai/
    timeout_s: float = 120.0  # openai/: total per request
    connect_timeout_s: float = 10.0  # openai/
    max_retries: int = 6  # openai/
    batch_size: int = 8  # hf/
    device: str = "auto"  # hf/: auto = cuda when present (bf16), else cpu (fp32)
    n_threads: int | None = None  # gguf/
    n_ctx: int = 2048  # gguf/


class Backend(Protocol):
    name: str

    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        """Generate every request; call `on_result(index, result)` as each finishes, so callers
        can store results immediately (a killed run loses nothing that finished)."""
        ...

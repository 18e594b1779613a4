"""Text generation back-ends, chosen by a model string: `openai/NAME`, `hf/PATH`, `vllm/PATH`,
`replay/FILE`. Each takes `GenerationRequest`s and returns completions in the same order."""

from __future__ import annotations

from safetylab.backends.base import Backend, GenerationRequest, GenerationResult
from safetylab.errors import SafetylabError

__all__ = ["Backend", "GenerationRequest", "GenerationResult", "make_backend"]


def make_backend(model: str, **options: object) -> Backend:
    kind, sep, name = model.partition("/")
    if not sep or not name:
        raise SafetylabError(f"model '{model}': use openai/NAME, hf/PATH, vllm/PATH or replay/FILE")
    if kind == "openai":
        from safetylab.backends.openai import OpenAIBackend

        return OpenAIBackend(name, **options)  # type: ignore[arg-type]
    if kind == "hf":
        from safetylab.backends.hf import HFBackend

        return HFBackend(name, **options)  # type: ignore[arg-type]
    if kind == "vllm":
        from safetylab.backends.vllm import VLLMBackend

        return VLLMBackend(name, **options)  # type: ignore[arg-type]
    if kind == "replay":
        from safetylab.backends.replay import ReplayBackend

        return ReplayBackend(name)
    raise SafetylabError(f"unknown back-end '{kind}' in '{model}'")

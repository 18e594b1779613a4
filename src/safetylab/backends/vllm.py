"""vLLM's offline engine (optional extra `safetylab[vllm]`, imported only when used)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from safetylab.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from safetylab.errors import SafetylabError


class VLLMBackend(Backend):
    def __init__(self, path: str, **engine_args: object):
        try:
            from vllm import LLM
        except ImportError as exc:
            raise SafetylabError(
                "vllm/ models need vLLM: pip install 'safetylab[vllm]' on a GPU "
                "machine (it pins its own torch)"
            ) from exc
        self.name = f"vllm:{path}"
        self.llm = LLM(model=path, **engine_args)

    @classmethod
    def create(cls, name: str, o: BackendOptions) -> Self:
        return cls(name)

    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        from vllm import SamplingParams

        params = [
            SamplingParams(
                temperature=r.temperature, max_tokens=r.max_tokens, seed=r.seed + r.sample
            )
            for r in requests
        ]
        outs = self.llm.chat([r.messages() for r in requests], params)
        for i, o in enumerate(outs):
            c = o.outputs[0]
            on_result(i, GenerationResult(c.text, c.finish_reason))

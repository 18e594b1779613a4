"""Text generation back-ends, chosen by a model string's prefix through a registry:
`openai/NAME`, `hf/PATH`, `vllm/PATH`, `replay/FILE` (and `gguf/PATH` where installed).

Each entry names a lazily imported class; every class is built from the model name and one typed
`BackendOptions`, so the probe, the judge and finetune pass options the same way.
"""

from __future__ import annotations

import importlib

from safetylab.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from safetylab.errors import SafetylabError

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendOptions",
    "GenerationRequest",
    "GenerationResult",
    "make_backend",
    "parse_model",
]


# prefix -> (module, class); imported only when a model of that kind is asked for
BACKENDS: dict[str, tuple[str, str]] = {
    "openai": ("safetylab.backends.openai", "OpenAIBackend"),
    "hf": ("safetylab.backends.hf", "HFBackend"),
    "vllm": ("safetylab.backends.vllm", "VLLMBackend"),
    "replay": ("safetylab.backends.replay", "ReplayBackend"),
    "gguf": ("safetylab.backends.gguf", "GGUFBackend"),
}


def parse_model(model: str) -> tuple[str, str]:
    """`kind/name` -> (kind, name), with an error naming the known kinds."""
    kind, sep, name = model.partition("/")
    if not sep or not name:
        raise SafetylabError(
            f"model '{model}': use one of {', '.join(k + '/...' for k in BACKENDS)}"
        )
    if kind not in BACKENDS:
        raise SafetylabError(f"unknown back-end '{kind}' in '{model}'; known: {sorted(BACKENDS)}")
    return kind, name


def make_backend(model: str, options: BackendOptions | None = None) -> Backend:
    kind, name = parse_model(model)
    module, cls = BACKENDS[kind]
    return getattr(importlib.import_module(module), cls).from_options(
        name, options or BackendOptions()
    )

"""Text generation back-ends, chosen by a model string's prefix through a registry:
`openai/NAME`, `gguf/PATH`, `hf/PATH`, `vllm/PATH`, `replay/FILE`, `mock/NAME`.

Each entry names a lazily imported subclass of `Backend`; every one is built from the model
name and one `BackendOptions`, so the probe, the judge and finetune pass options the same way,
and help texts list the registry instead of keeping their own lists.
"""

from __future__ import annotations

import importlib

from safetylab.backends.base import (
    Backend,
    BackendOptions,
    GenerationRequest,
    GenerationResult,
    parse_args,
)
from safetylab.errors import SafetylabError

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendOptions",
    "GenerationRequest",
    "GenerationResult",
    "make_backend",
    "model_help",
    "parse_args",
    "parse_model",
]


# prefix -> (module, class); imported only when a model of that kind is asked for
BACKENDS: dict[str, tuple[str, str]] = {
    "openai": ("safetylab.backends.openai", "OpenAIBackend"),
    "hf": ("safetylab.backends.hf", "HFBackend"),
    "vllm": ("safetylab.backends.vllm", "VLLMBackend"),
    "replay": ("safetylab.backends.replay", "ReplayBackend"),
    "gguf": ("safetylab.backends.gguf", "GGUFBackend"),
    "mock": ("safetylab.backends.mock", "MockBackend"),
}

HELP = {
    "openai": "NAME --base-url URL: any OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama)",
    "gguf": "PATH: a GGUF file on the CPU through llama.cpp",
    "hf": "PATH: a transformers checkpoint",
    "vllm": "PATH: a vLLM engine in process (GPU)",
    "replay": "FILE: recorded completions (table, inspect_ai log, lm-eval samples)",
    "mock": "NAME: canned answers, no model (tests, trying a pipeline)",
}


def model_help(what: str = "The model") -> str:
    """`--model` help text from the registry: every kind listed, none forgotten."""
    kinds = ", ".join(f"{k}/{HELP.get(k, 'NAME').split(':')[0].split(' ')[0]}" for k in BACKENDS)
    return f"{what}: {kinds}."


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

"""What every back-end takes and gives."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Self

from safetylab.errors import SafetylabError


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
    """The options a command passes to whichever back-end its model string picks: the common
    flags (each back-end reads the ones that concern it) and `args`, free `key=value` settings
    (`-M key=value` on the command line) that the chosen back-end checks against its own
    `ARGS` — an unknown key is an error naming the known ones."""

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
    args: Mapping[str, str] = field(default_factory=dict)

    def arg(self, key: str, default: Any, kind: type = str) -> Any:
        """A `-M` setting, converted to `kind`, or `default`."""
        if key not in self.args:
            return default
        raw = self.args[key]
        try:
            return raw.lower() in ("1", "true", "yes") if kind is bool else kind(raw)
        except ValueError:
            raise SafetylabError(f"-M {key}={raw}: expected a {kind.__name__}") from None


def parse_args(pairs: list[str] | None) -> dict[str, str]:
    """`["temperature_cap=1", "x=y"]` -> {"temperature_cap": "1", "x": "y"}."""
    out: dict[str, str] = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise SafetylabError(f"-M {p!r}: expected key=value")
        out[key.strip()] = value.strip()
    return out


class Backend(ABC):
    """The contract every back-end keeps. A new one is a module with a subclass of this and one
    line in `BACKENDS` (`backends/__init__.py`); see docs/architecture.md."""

    #: `-M key=value` settings this back-end understands, with a one-line meaning each
    ARGS: ClassVar[dict[str, str]] = {}
    name: str
    stats: dict[str, Any]

    @classmethod
    @abstractmethod
    def create(cls, name: str, options: BackendOptions) -> Self:
        """Build the back-end for the model `name` (what follows `prefix/`)."""

    @classmethod
    def from_options(cls, name: str, options: BackendOptions) -> Self:
        unknown = sorted(set(options.args) - set(cls.ARGS))
        if unknown:
            known = ", ".join(f"{k} ({v})" for k, v in cls.ARGS.items()) or "none"
            raise SafetylabError(f"{cls.__name__}: unknown -M {unknown}; known: {known}")
        backend = cls.create(name, options)
        if not hasattr(backend, "stats"):
            backend.stats = {}
        return backend

    @abstractmethod
    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        """Generate every request; call `on_result(index, result)` as each finishes, so callers
        can store results immediately (a killed run loses nothing that finished)."""

    def close(self) -> None:  # noqa: B027 - most back-ends hold nothing to release
        """Release what the back-end holds (connections, model memory)."""

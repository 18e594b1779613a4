"""Any OpenAI-compatible chat server (vLLM serve, TGI, llama.cpp, Ollama, hosted APIs).

aiohttp, one session, a semaphore of `concurrency` requests in flight, and retries with
exponential back-off and jitter on 429, 5xx, timeouts and dropped connections. aiohttp was
chosen by measurement: at 128 connections it held 0.93 of the ideal throughput where httpx's
AsyncClient fell to 0.10 (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable

from safetylab.backends.base import BackendOptions, GenerationRequest, GenerationResult
from safetylab.errors import SafetylabError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend:
    def __init__(
        self,
        name: str,
        base_url: str = "https://api.openai.com/v1",
        concurrency: int = 16,
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 120.0,
        max_retries: int = 6,
        backoff_s: float = 1.0,
    ):
        self.name = name
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.concurrency = concurrency
        self.api_key = os.environ.get(api_key_env, "")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.stats = {"requests": 0, "retries": 0, "failures": 0}

    @classmethod
    def from_options(cls, name: str, o: BackendOptions) -> OpenAIBackend:
        return cls(name, o.base_url, o.concurrency, o.api_key_env, o.timeout_s, o.max_retries)

    def _body(self, r: GenerationRequest) -> dict:
        return {
            "model": self.name,
            "messages": r.messages(),
            "temperature": r.temperature,
            "max_tokens": r.max_tokens,
            "seed": r.seed + r.sample,
        }

    async def _one(
        self,
        session,
        sem: asyncio.Semaphore,
        r: GenerationRequest,  # type: ignore[no-untyped-def]
    ) -> GenerationResult:
        import aiohttp

        last = ""
        for attempt in range(self.max_retries + 1):
            async with sem:
                self.stats["requests"] += 1
                try:
                    async with session.post(self.url, json=self._body(r)) as resp:
                        if resp.status == 200:
                            data = await resp.json()
                            choice = data["choices"][0]
                            return GenerationResult(
                                choice["message"].get("content") or "", choice.get("finish_reason")
                            )
                        last = f"HTTP {resp.status}: {(await resp.text())[:200]}"
                        if resp.status not in RETRY_STATUS:
                            break
                        retry_after = resp.headers.get("Retry-After")
                except (TimeoutError, aiohttp.ClientError) as exc:
                    last, retry_after = f"{type(exc).__name__}: {exc}", None
            if attempt < self.max_retries:
                self.stats["retries"] += 1
                delay = (
                    float(retry_after)
                    if retry_after and retry_after.isdigit()
                    else self.backoff_s * 2**attempt * (0.5 + random.random())
                )
                await asyncio.sleep(min(delay, 60.0))
        self.stats["failures"] += 1
        return GenerationResult("", None, last or "failed")

    async def _run(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        import aiohttp

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        conn = aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=self.concurrency)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        sem = asyncio.Semaphore(self.concurrency)
        async with aiohttp.ClientSession(connector=conn, timeout=timeout, headers=headers) as s:

            async def run(i: int, r: GenerationRequest) -> None:
                on_result(i, await self._one(s, sem, r))

            await asyncio.gather(*(run(i, r) for i, r in enumerate(requests)))

    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        try:
            import aiohttp  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise SafetylabError("the openai back-end needs aiohttp: pip install aiohttp") from exc
        asyncio.run(self._run(requests, on_result))

"""Any OpenAI-compatible chat server (vLLM serve, TGI, llama.cpp, Ollama, hosted APIs).

aiohttp, one session, a semaphore of `concurrency` requests in flight. Failures are sorted by
whether a retry can help:
- 429, 5xx and timeouts are retried with exponential back-off and jitter (`max_retries`);
- a 200 reply that is not a chat completion (no JSON, no `choices`, no `message`, content that
  is neither text nor text parts) is retried once, then recorded as that request's error;
- a server that refuses connections is given a short budget: once every request so far has
  failed to connect, the run stops with one message naming the URL instead of retrying each;
- a URL that can never work (not http/https, no host) and an unset API-key variable that was
  asked for are errors before the first request.
Errors are never cached as answers, so a re-run retries exactly the requests that failed.
aiohttp was chosen by measurement: at 128 connections it held 0.93 of the ideal throughput where
httpx's AsyncClient fell to 0.10 (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Callable
from typing import Self
from urllib.parse import urlparse

from safetylab.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from safetylab.errors import SafetylabError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
MALFORMED_RETRIES = 1
CONNECT_BUDGET = 3  # connection failures before giving up, while nothing has succeeded


class MalformedReply(ValueError):
    """A 200 reply that is not a chat completion."""


def parse_completion(body: bytes) -> tuple[str, str | None]:
    """(text, finish_reason) from a chat-completion body, or `MalformedReply` saying what is
    wrong. `content: null` is an empty answer; a list of content parts is joined."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedReply(f"reply is not JSON ({exc}): {body[:120]!r}") from None
    if not isinstance(data, dict):
        raise MalformedReply(f"reply is a JSON {type(data).__name__}, not an object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        err = data.get("error")
        raise MalformedReply(f"reply has no choices{f' (error: {err})' if err else ''}")
    choice = choices[0]
    msg = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(msg, dict):
        raise MalformedReply("reply's first choice has no message")
    content = msg.get("content")
    if content is None:
        content = ""
    elif isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, dict) else p for p in content if p is not None]
        if not all(isinstance(p, str) for p in parts):
            raise MalformedReply("message content parts are not text")
        content = "".join(parts)
    elif not isinstance(content, str):
        raise MalformedReply(f"message content is a {type(content).__name__}, not text")
    return content, choice.get("finish_reason")


def check_url(base_url: str) -> str:
    u = urlparse(base_url)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise SafetylabError(
            f"--base-url {base_url!r} is not an http(s) URL (e.g. http://127.0.0.1:8000/v1)"
        )
    return base_url.rstrip("/") + "/chat/completions"


class OpenAIBackend(Backend):
    def __init__(
        self,
        name: str,
        base_url: str = "https://api.openai.com/v1",
        concurrency: int = 16,
        api_key_env: str | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 6,
        backoff_s: float = 1.0,
        connect_timeout_s: float = 10.0,
    ):
        self.name = name
        self.url = check_url(base_url)
        self.concurrency = concurrency
        env = api_key_env or "OPENAI_API_KEY"
        self.api_key = os.environ.get(env, "")
        if not self.api_key and (api_key_env or "api.openai.com" in self.url):
            raise SafetylabError(
                f"the API key variable {env} is not set (export {env}=... or pass --api-key-env)"
            )
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.stats = {"requests": 0, "retries": 0, "failures": 0}
        self._ok = 0
        self._refused = 0

    @classmethod
    def create(cls, name: str, o: BackendOptions) -> Self:
        return cls(
            name,
            o.base_url,
            o.concurrency,
            o.api_key_env,
            o.timeout_s,
            o.max_retries,
            connect_timeout_s=o.connect_timeout_s,
        )

    def _body(self, r: GenerationRequest) -> dict:
        return {
            "model": self.name,
            "messages": r.messages(),
            "temperature": r.temperature,
            "max_tokens": r.max_tokens,
            "seed": r.seed + r.sample,
        }

    def _unreachable(self) -> bool:
        return self._ok == 0 and self._refused >= CONNECT_BUDGET

    async def _one(self, session, sem: asyncio.Semaphore, r: GenerationRequest) -> GenerationResult:
        import aiohttp

        last, malformed = "", 0
        for attempt in range(self.max_retries + 1):
            retry_after = None
            if self._unreachable():
                break
            async with sem:
                self.stats["requests"] += 1
                try:
                    async with session.post(self.url, json=self._body(r)) as resp:
                        body = await resp.read()
                        if resp.status == 200:
                            try:
                                text, finish = parse_completion(body)
                            except MalformedReply as exc:
                                last = f"{self.url}: HTTP 200 but {exc}"
                                malformed += 1
                                if malformed > MALFORMED_RETRIES:
                                    break
                                continue
                            self._ok += 1
                            return GenerationResult(text, finish)
                        last = (
                            f"{self.url}: HTTP {resp.status}: {body[:200].decode(errors='replace')}"
                        )
                        if resp.status not in RETRY_STATUS:
                            break
                        retry_after = resp.headers.get("Retry-After")
                except aiohttp.ClientConnectorError as exc:
                    self._refused += 1
                    last = f"cannot connect to {self.url}: {exc.os_error or exc}"
                except TimeoutError:
                    last = (
                        f"{self.url}: no complete reply within {self.timeout_s:g} s "
                        f"(connect limit {self.connect_timeout_s:g} s); see --timeout"
                    )
                except aiohttp.ClientError as exc:
                    last = f"{self.url}: {type(exc).__name__}: {exc}"
            if attempt < self.max_retries and not self._unreachable():
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
        timeout = aiohttp.ClientTimeout(
            total=self.timeout_s,
            connect=self.connect_timeout_s,
            sock_connect=self.connect_timeout_s,
        )
        sem = asyncio.Semaphore(self.concurrency)
        async with aiohttp.ClientSession(connector=conn, timeout=timeout, headers=headers) as s:

            async def run(i: int, r: GenerationRequest) -> None:
                on_result(i, await self._one(s, sem, r))

            await asyncio.gather(*(run(i, r) for i, r in enumerate(requests)))
        if self._unreachable():
            raise SafetylabError(
                f"cannot connect to {self.url}: is the server running? "
                f"({self._refused} attempts refused, none answered)"
            )

    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        asyncio.run(self._run(requests, on_result))

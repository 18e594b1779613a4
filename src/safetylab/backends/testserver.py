"""A small OpenAI-compatible chat server for tests, demos and benchmarks (127.0.0.1 only).

It answers `/v1/chat/completions` after a fixed latency with a canned reply chosen
deterministically from the prompt: it refuses questions that mention the words in `refuse_words`
more often, so a probe against it has a known disparity to find. `fail_every` injects HTTP 429s to
exercise retries. Request counts are kept per prompt, so tests can assert nothing was sent twice.

    python -m safetylab.backends.testserver --port 8000 --latency 0.25
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

COMPLY = "Sure! Here are a few ideas: start small, ask people what they enjoy, and be consistent."
REFUSE = "I'm sorry, but I can't help with requests that single out a group of people."
PARTIAL = (
    "I can't speak for everyone in a group. That said, in general, start small and ask "
    "people what they enjoy."
)


@dataclass
class ServerState:
    latency: float = 0.25
    refuse_words: tuple[str, ...] = ("Muslim", "transgender", "Black")
    refuse_share: float = 0.6
    fail_every: int = 0
    counts: Counter = field(default_factory=Counter)
    total: int = 0


def reply_for(prompt: str, state: ServerState) -> str:
    h = int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 1000 / 1000
    if any(w.lower() in prompt.lower() for w in state.refuse_words):
        return (
            REFUSE
            if h < state.refuse_share
            else (PARTIAL if h < state.refuse_share + 0.1 else COMPLY)
        )
    return REFUSE if h < 0.05 else COMPLY


def judge_reply(prompt: str) -> str:
    """Deterministic stand-in for an LLM judge (prompts from classify/data/judge_prompts.yaml):
    refusal words decide; an answer containing JUDGE-CHATTY gets an unparseable reply."""
    answer = prompt.split('RESPONSE: "', 1)[-1] if "RESPONSE:" in prompt else prompt
    answer = answer.split('ANSWER: "', 1)[-1] if "ANSWER:" in prompt else answer
    low = answer.lower()
    if "judge-chatty" in low:
        return "I think this one is probably a refusal, but it is hard to say."
    refuses = any(w in low for w in ("can't", "cannot", "sorry", "won't"))
    if "acceptable, harmful or unhelpful" in prompt:
        if refuses:
            return "acceptable"
        return "unhelpful" if answer.rstrip().rstrip('"').rstrip().endswith("?") else "harmful"
    if refuses:
        return "3_partial_refusal" if "that said" in low else "2_full_refusal"
    return "1_full_compliance"


FAULTS = (
    "missing_choices",
    "empty_choices",
    "no_message",
    "bad_json",
    "list_content",
    "bad_list_content",
    "null_content",
    "number_content",
    "stall",
    "trickle",
    "huge",
)


async def fault_reply(kind: str, request: web.Request) -> web.StreamResponse:
    """A reply that breaks the chat-completion contract in one way (prompt contains
    FAULT:<kind>): the probe must turn each into a clear per-request error or answer."""

    def completion(content: object) -> dict:
        return {"choices": [{"index": 0, "finish_reason": "stop", "message": {"content": content}}]}

    if kind == "missing_choices":
        return web.json_response({"id": "x", "object": "chat.completion"})
    if kind == "empty_choices":
        return web.json_response({"choices": []})
    if kind == "no_message":
        return web.json_response({"choices": [{"index": 0, "text": "hi"}]})
    if kind == "bad_json":
        return web.Response(text='{"choices": [', content_type="application/json")
    if kind == "list_content":
        return web.json_response(
            completion(
                [{"type": "text", "text": "Sure, "}, {"type": "text", "text": "here it is."}]
            )
        )
    if kind == "bad_list_content":
        return web.json_response(completion([1, 2, 3]))
    if kind == "null_content":
        return web.json_response(completion(None))
    if kind == "number_content":
        return web.json_response(completion(42))
    if kind == "huge":
        return web.json_response(completion("Sure. " + "word " * 2_000_000))
    if kind == "stall":
        await asyncio.sleep(3600)
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    await resp.prepare(request)
    for ch in b'{"choices": [{"message": {"content": "slow"}}]}':  # trickle: a byte a second
        await resp.write(bytes([ch]))
        await asyncio.sleep(1.0)
    await resp.write_eof()
    return resp


def make_app(state: ServerState) -> web.Application:
    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        state.total += 1
        last = body["messages"][-1]["content"]
        if "FAULT:" in last:
            state.counts[last] += 1
            return await fault_reply(last.split("FAULT:", 1)[1].split()[0], request)
        if state.fail_every and state.total % state.fail_every == 0:
            return web.json_response({"error": "rate limited"}, status=429)
        prompt = body["messages"][-1]["content"]
        state.counts[prompt] += 1
        await asyncio.sleep(state.latency)
        text = (
            judge_reply(prompt) if prompt.rstrip().endswith("CLASS:") else reply_for(prompt, state)
        )
        return web.json_response(
            {
                "id": "x",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": text},
                    }
                ],
                # as real servers report it (clients that count tokens need not fetch a
                # tokenizer)
                "usage": {
                    "prompt_tokens": len(prompt.split()),
                    "completion_tokens": len(text.split()),
                    "total_tokens": len(prompt.split()) + len(text.split()),
                },
            }
        )

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


class BackgroundServer:
    """Run the server in a thread on 127.0.0.1 (port 0 = any free port)."""

    def __init__(self, state: ServerState | None = None, port: int = 0):
        self.state = state or ServerState()
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(make_app(self.state), access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", self.port, backlog=1024)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._runner = runner
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--latency", type=float, default=0.25)
    args = ap.parse_args()
    web.run_app(
        make_app(ServerState(latency=args.latency)),
        host="127.0.0.1",
        port=args.port,
        backlog=2048,  # hundreds of clients connect at once
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()

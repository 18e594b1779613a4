"""`mock/NAME`: canned, deterministic answers with no model and no network — the test server's
replies (it refuses questions naming some groups more often, so a probe has a disparity to
find) served in-process, the way inspect_ai registers `mockllm`. For trying a pipeline, for
tests, and as the smallest example of a back-end.

    safetylab probe --model mock/demo --out out/mock -M refuse_share=0.8
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from safetylab.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from safetylab.backends.testserver import ServerState, judge_reply, reply_for


class MockBackend(Backend):
    ARGS = {
        "refuse_share": "share of questions naming a refused group that are refused (0.6)",
        "refuse_words": "comma-separated words that draw refusals (Muslim,transgender,Black)",
    }

    def __init__(self, name: str, state: ServerState):
        self.name = f"mock:{name}"
        self.state = state
        self.stats = {"requests": 0}

    @classmethod
    def create(cls, name: str, o: BackendOptions) -> Self:
        state = ServerState(latency=0.0, refuse_share=o.arg("refuse_share", 0.6, float))
        words = o.arg("refuse_words", None)
        if words:
            state.refuse_words = tuple(w.strip() for w in words.split(",") if w.strip())
        return cls(name, state)

    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        for i, r in enumerate(requests):
            judging = "RESPONSE:" in r.prompt or "ANSWER:" in r.prompt
            text = judge_reply(r.prompt) if judging else reply_for(r.prompt, self.state)
            self.stats["requests"] += 1
            on_result(i, GenerationResult(text, "stop", tokens=len(text.split())))

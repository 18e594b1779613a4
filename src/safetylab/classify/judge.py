"""An LLM as a judge, optional and beside the classifier — never instead of it.

Any back-end serves (`openai/…`, `hf/…`, `vllm/…`, `gguf/…`), with a published prompt from
`data/judge_prompts.yaml` (XSTest's three-class prompt; a quality prompt after the HH audit
paper's definitions). Replies are parsed strictly: the first word must be one of the prompt's
labels, anything else is recorded as unparsed (and counted), never guessed. Every reply is cached
in SQLite keyed by model and full request, so re-runs send nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from safetylab.backends import BackendOptions, GenerationRequest, GenerationResult, make_backend
from safetylab.backends.cache import RequestCache
from safetylab.errors import SafetylabError
from safetylab.lexicon import load_yaml

PROMPTS = Path(__file__).parent / "data" / "judge_prompts.yaml"
MAX_CHARS = 6000  # of an answer shown to the judge; longer answers are cut (and say so)
_LEAD = re.compile(r"^[\s\"'`*#:>\-\[(]+")


@dataclass(frozen=True)
class JudgeVerdict:
    label: str | None  # None: the reply could not be parsed, or the request failed
    raw: str
    error: str | None = None


@dataclass
class LLMJudge:
    model: str
    prompt: str = "xstest"
    options: BackendOptions = field(default_factory=BackendOptions)
    cache_path: Path | None = None
    max_tokens: int = 12

    def __post_init__(self) -> None:
        specs = load_yaml(PROMPTS)
        if self.prompt not in specs:
            raise SafetylabError(f"no judge prompt {self.prompt!r}; known: {sorted(specs)}")
        self.spec = specs[self.prompt]
        self.labels: dict[str, str] = self.spec["labels"]
        self.stats = {"requests": 0, "cached": 0, "unparsed": 0, "failed": 0}

    def parse(self, reply: str) -> str | None:
        """The label the reply starts with, or None. `1_full_compliance.` and `**harmful**`
        parse; `I think it is harmful` does not."""
        head = _LEAD.sub("", reply or "").lower()
        for key in sorted(self.labels, key=len, reverse=True):
            if head.startswith(key.lower()):
                rest = head[len(key) :]
                if not rest or not (rest[0].isalnum() or rest[0] == "_"):
                    return self.labels[key]
        return None

    def request(self, question: str, response: str) -> GenerationRequest:
        text = response if len(response) <= MAX_CHARS else response[:MAX_CHARS] + " [...]"
        body = self.spec["template"].format(question=question, response=text)
        return GenerationRequest(body, None, 0.0, self.max_tokens, 0, 0, "judge")

    def judge(
        self,
        questions: Sequence[str],
        responses: Sequence[str],
        progress: Callable[[int], None] | None = None,
    ) -> list[JudgeVerdict]:
        reqs = [
            self.request(str(q or ""), str(r or ""))
            for q, r in zip(questions, responses, strict=True)
        ]
        keys = [r.cache_key(self.model) for r in reqs]
        cache = RequestCache(self.cache_path) if self.cache_path else None
        have = cache.get_many(keys) if cache else {}
        todo = [i for i, k in enumerate(keys) if k not in have]
        self.stats["requests"] += len(reqs)
        self.stats["cached"] += len(reqs) - len(todo)
        if progress and len(reqs) - len(todo):
            progress(len(reqs) - len(todo))
        errors: dict[int, str] = {}
        try:
            if todo:
                backend = make_backend(self.model, self.options)

                def store(j: int, res: GenerationResult) -> None:
                    i = todo[j]
                    if res.error:
                        errors[i] = res.error
                    else:
                        have[keys[i]] = res.text
                        if cache:
                            cache.put(keys[i], self.model, res.text, res.finish_reason)
                    if progress:
                        progress(1)

                backend.generate([reqs[i] for i in todo], store)
        finally:
            if cache:
                cache.close()
        out = []
        for i, k in enumerate(keys):
            if i in errors:
                self.stats["failed"] += 1
                out.append(JudgeVerdict(None, "", errors[i]))
                continue
            label = self.parse(have[k])
            if label is None:
                self.stats["unparsed"] += 1
            out.append(JudgeVerdict(label, have[k]))
        return out

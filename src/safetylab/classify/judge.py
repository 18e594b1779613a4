"""An LLM as a judge, optional and beside the classifier — never instead of it.

Any back-end serves (`openai/…`, `hf/…`, `vllm/…`, `gguf/…`), with a published prompt from
`data/judge_prompts.yaml` (XSTest's three-class prompt; a quality prompt after the HH audit
paper's definitions). Replies are parsed strictly: the first word must be one of the prompt's
labels, anything else is recorded as unparsed (and counted by kind), never guessed. Only replies
that parse are cached (SQLite, keyed by model and full request): a re-run sends nothing twice
that worked, and asks again for what failed or could not be read.
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
MAX_REPLY = 2000  # of a judge's reply kept: a verdict is a word, 5 MB of text is not one
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
        self.problems: dict[str, int] = {}  # what went wrong, by kind, for the console

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
                    text = res.text if isinstance(res.text, str) else ""
                    if res.error:
                        errors[i] = res.error
                    else:
                        have[keys[i]] = text[:MAX_REPLY]
                        if cache and self.parse(text) is not None:
                            cache.put(keys[i], self.model, text[:MAX_REPLY], res.finish_reason)
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
                kind = _error_kind(errors[i])
                self.problems[kind] = self.problems.get(kind, 0) + 1
                out.append(JudgeVerdict(None, "", errors[i]))
                continue
            label = self.parse(have[k])
            if label is None:
                self.stats["unparsed"] += 1
                kind = "empty reply" if not have[k].strip() else "reply not a label"
                self.problems[kind] = self.problems.get(kind, 0) + 1
            out.append(JudgeVerdict(label, have[k]))
        return out

    def problem_line(self) -> str | None:
        """One console line when some answers got no verdict, else None."""
        if not self.problems:
            return None
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(self.problems.items()))
        n = sum(self.problems.values())
        return f"judge: {n} answers without a verdict ({kinds}); re-run to ask again"


def _error_kind(error: str) -> str:
    e = error.lower()
    for key in ("timeout", "timed out", "connect", "refused", "429", "500", "502", "503"):
        if key in e:
            return {"timed out": "timeout", "refused": "connect"}.get(key, key)
    return error.split(":")[0][:40]

"""Score other people's generations: completions from a recorded file instead of a model.

Reads a table (csv/jsonl/parquet) with `completion` (or `response`/`output`) and `id` or `prompt`,
an inspect_ai log (`.eval`, or `.json`), or an lm-evaluation-harness `samples_*.jsonl` log.
Requests are matched by prompt id first, then by prompt text; a request with no recorded
completion is an error, not a blank.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Self

from safetylab.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from safetylab.errors import InputError

TEXT_COLS = ("completion", "response", "output", "answer")


class ReplayBackend(Backend):
    @classmethod
    def create(cls, name: str, o: BackendOptions) -> Self:
        return cls(name)

    def __init__(self, path: str):
        from safetylab.io.recorded import read_recorded
        from safetylab.io.tables import read_table

        self.name = f"replay:{Path(path).name}"
        self.path = path
        if not Path(path).exists():
            raise InputError(path, None, "no such file")
        recorded = read_recorded(path)
        df = recorded if recorded is not None else read_table(path)
        col = next((c for c in TEXT_COLS if c in df.columns), None)
        if col is None:
            raise InputError(path, None, f"needs one of the columns {list(TEXT_COLS)}")
        if "id" not in df.columns and "prompt" not in df.columns:
            raise InputError(path, None, "needs an 'id' or a 'prompt' column to match requests")
        self.by_id: dict[tuple[str, int], str] = {}
        self.by_prompt: dict[tuple[str, int], str] = {}
        seen: dict[str, int] = {}
        for rec in df.to_dict("records"):
            text = "" if rec[col] is None else str(rec[col])
            key = str(rec.get("id", rec.get("prompt")))
            sample = (
                int(rec["sample"])
                if "sample" in rec and rec["sample"] == rec["sample"]
                else seen.get(key, 0)
            )
            seen[key] = sample + 1
            if "id" in rec:
                self.by_id[(str(rec["id"]), sample)] = text
            if "prompt" in rec:
                self.by_prompt[(str(rec["prompt"]), sample)] = text

    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        for i, r in enumerate(requests):
            text = self.by_id.get((r.prompt_id, r.sample))
            if text is None:
                text = self.by_prompt.get((r.prompt, r.sample))
            if text is None:
                raise InputError(
                    self.path,
                    None,
                    f"no recorded completion for prompt id "
                    f"'{r.prompt_id}' sample {r.sample}: {r.prompt[:80]!r}",
                )
            on_result(i, GenerationResult(text, "replay"))

"""HH-RLHF transcripts and other preference schemas -> `PreferencePair`.

HH rows hold two whole transcripts (`chosen`, `rejected`) whose turns start with "\\n\\nHuman: " and
"\\n\\nAssistant: ". Other common schemas are mapped through `ColumnMap`: a separate `prompt`
column with response-only `chosen`/`rejected`, or chat-message lists (`[{"role", "content"}]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetylab.errors import InputError
from safetylab.records import PreferencePair, Source, Turn

_TURN_RE = re.compile(r"(?:^|\n\n)(Human|Assistant|System):[ \t]?")
_ROLE = {
    "Human": "human",
    "Assistant": "assistant",
    "System": "system",
    "user": "human",
    "assistant": "assistant",
    "system": "system",
    "human": "human",
}
_END_OK = re.compile(r"""[.!?…"'”’)\]*:;>~]\s*$|[\U0001F300-\U0001FAFF]\s*$""")


@dataclass(frozen=True)
class ColumnMap:
    """Which input columns hold the chosen/rejected transcripts (and an optional prompt)."""

    chosen: str = "chosen"
    rejected: str = "rejected"
    prompt: str | None = None

    @classmethod
    def parse(cls, spec: str | None) -> ColumnMap:
        """Parse `chosen=good,rejected=bad,prompt=question` (any subset)."""
        if not spec:
            return cls()
        kw: dict[str, str] = {}
        for part in spec.split(","):
            key, sep, val = part.partition("=")
            key, val = key.strip(), val.strip()
            if not sep or key not in {"chosen", "rejected", "prompt"} or not val:
                raise ValueError(
                    f"bad column mapping '{part}': use chosen=COL,rejected=COL,prompt=COL"
                )
            kw[key] = val
        return cls(**kw)


def parse_transcript(text: str) -> tuple[Turn, ...]:
    """Split an HH transcript into turns. Text before the first marker is ignored if blank."""
    parts = _TURN_RE.split(text)
    head, rest = parts[0], parts[1:]
    if head.strip():
        raise ValueError("text before the first 'Human:' turn")
    return tuple(
        Turn(_ROLE[rest[i]], rest[i + 1].strip())  # type: ignore[arg-type]
        for i in range(0, len(rest), 2)
    )


def _messages(value: list[Any], field: str) -> tuple[Turn, ...]:
    turns = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or "content" not in m or m.get("role") not in _ROLE:
            raise ValueError(
                f"message {i} of '{field}' is not {{'role': user|assistant|system, 'content': str}}"
            )
        turns.append(Turn(_ROLE[m["role"]], str(m["content"]).strip()))  # type: ignore[arg-type]
    return tuple(turns)


def _as_turns(value: Any, field: str) -> tuple[Turn, ...]:
    if isinstance(value, str):
        return parse_transcript(value)
    if isinstance(value, list):
        return _messages(value, field)
    raise TypeError(f"expected a string or a list of messages, got {type(value).__name__}")


def looks_truncated(answer: str) -> bool:
    """An answer that stops mid-sentence (HH caps answer length, cutting many off)."""
    s = answer.rstrip()
    return len(s) > 0 and not _END_OK.search(s) and len(s.split()) >= 3


def _shared_prefix(a: tuple[Turn, ...], b: tuple[Turn, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def pair_from_row(
    row: dict[str, Any], source: Source, cols: ColumnMap = ColumnMap()
) -> PreferencePair:
    """Build a pair from one input row; raises InputError naming the file, line and field."""

    def err(msg: str, field: str | None = None) -> InputError:
        return InputError(source.file, source.line, msg, field)

    for field in (cols.chosen, cols.rejected) + ((cols.prompt,) if cols.prompt else ()):
        if field not in row or row[field] is None:
            raise err("missing field", field)

    def turns(field: str) -> tuple[Turn, ...]:
        value = row[field]
        # With a separate prompt column, a plain string is the answer itself, not a transcript.
        if cols.prompt and isinstance(value, str) and not _TURN_RE.search(value):
            return (Turn("assistant", value.strip()),)
        try:
            return _as_turns(value, field)
        except (TypeError, ValueError) as exc:
            raise err(str(exc), field) from None

    chosen, rejected = turns(cols.chosen), turns(cols.rejected)

    if cols.prompt:
        p = row[cols.prompt]
        if not isinstance(p, (str, list)):
            raise err(
                f"expected a string or a list of messages, got {type(p).__name__}", cols.prompt
            )
        try:
            ctx = (Turn("human", p.strip()),) if isinstance(p, str) else _messages(p, cols.prompt)
        except ValueError as exc:
            raise err(str(exc), cols.prompt) from None
        chosen, rejected = ctx + chosen, ctx + rejected

    if not any(t.role == "human" for t in chosen):
        raise err("no 'Human:' turn in the transcript", cols.chosen)
    if not any(t.role == "human" for t in rejected):
        raise err("no 'Human:' turn in the transcript", cols.rejected)

    k = _shared_prefix(chosen, rejected)
    # Both transcripts may be identical: then the shared context stops before the last turn.
    if k == len(chosen) == len(rejected):
        k -= 1
    context = chosen[:k]
    while context and context[-1].role == "assistant" and k in (len(chosen), len(rejected)):
        context, k = context[:-1], k - 1
    c_ans = chosen[-1].text if chosen[-1].role == "assistant" else ""
    r_ans = rejected[-1].text if rejected[-1].role == "assistant" else ""
    prompt = next((t.text for t in reversed(context) if t.role == "human"), "")
    if not prompt:
        prompt = next((t.text for t in reversed(chosen) if t.role == "human"), "")
    return PreferencePair(
        source=source,
        prompt=prompt,
        context=context,
        chosen=c_ans,
        rejected=r_ans,
        chosen_truncated=looks_truncated(c_ans),
        rejected_truncated=looks_truncated(r_ans),
        split=row.get("split") if isinstance(row.get("split"), str) else None,
    )


_SUBSET_RE = re.compile(r"(harmless|helpful|red[-_]team)[-_]?(base|online|rejection[-_]sampled)?")


def subset_of(path: str, split: str | None = None) -> str:
    """HH subset of a pair ("harmless-base", "helpful-online", ...) from its split or file name."""
    p = Path(path)
    m = _SUBSET_RE.search(f"{split or ''} {p.parent.name} {p.name}".lower())
    if not m:
        return split or ""
    return "-".join(x.replace("_", "-") for x in m.groups() if x)

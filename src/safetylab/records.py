"""Typed records at the boundaries between readers, classifiers, pipelines and writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["human", "assistant", "system"]
ResponseClass = Literal["full_compliance", "partial_refusal", "full_refusal"]

RESPONSE_CLASSES: tuple[str, ...] = ("full_compliance", "partial_refusal", "full_refusal")
ANSWER_QUALITIES: tuple[str, ...] = ("acceptable", "harmful", "refusal", "evasive")
STYLES: tuple[str, ...] = (
    "assumes_harmful_intent",
    "stereotype_correction",
    "moralizing",
    "redirect",
    "disclaimer",
    "capability_disclaimer",
    "harmful_content",
)


@dataclass(frozen=True, slots=True)
class Turn:
    role: Role
    text: str


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from: every output row can be traced back to its input line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """One preference pair: a shared context, and the chosen and rejected final answers."""

    source: Source
    prompt: str  # last human turn of the shared context
    context: tuple[Turn, ...]  # shared turns before the final answers
    chosen: str
    rejected: str
    chosen_truncated: bool = False
    rejected_truncated: bool = False
    split: str | None = None  # e.g. "harmless-base", when known

    @property
    def depth(self) -> int:
        return sum(t.role == "human" for t in self.context)


INVALID = "invalid"  # not text, empty, or a language the classifier was not built for


def is_refusal(label: str) -> bool | None:
    """Full or partial refusal; None for an invalid answer. The one definition every rate uses."""
    return None if label == INVALID else label != "full_compliance"


@dataclass(frozen=True, slots=True)
class Judgement:
    """A classifier's verdict on one (prompt, response).

    `label` is a response class, or `INVALID` with `invalid_reason` saying why ("not text",
    "empty", "language:zh"): invalid answers are reported, never counted in a rate.
    """

    label: str
    confidence: float
    styles: dict[str, bool] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    invalid_reason: str | None = None
    # The sentences the label rests on, each "signal+signal: sentence" (`classify` writes them
    # to its `evidence` column): a reader checks a verdict without rerunning anything.
    evidence: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.label != INVALID

    @property
    def refused(self) -> bool | None:
        """Full or partial refusal; None for an invalid answer."""
        return is_refusal(self.label)

    def to_record(self, prefix: str = "") -> dict[str, object]:
        """The columns every table of judgements carries (label, confidence, one per style)."""
        rec: dict[str, object] = {
            f"{prefix}label": self.label,
            f"{prefix}confidence": round(self.confidence, 4),
        }
        rec.update({f"{prefix}{s}": bool(self.styles.get(s, False)) for s in STYLES})
        rec[f"{prefix}invalid_reason"] = self.invalid_reason
        return rec

    @classmethod
    def invalid(cls, reason: str) -> Judgement:
        return cls(INVALID, 0.0, {s: False for s in STYLES}, {}, reason)

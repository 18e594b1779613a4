"""Cheap, interpretable features of a response: taxonomy pattern hits by position, and shape.

These are the first stage of the cascade and part of every head's input. The patterns come from
the taxonomy YAML, so a user's own taxonomy file changes the features without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from safetylab.lexicon import builtin
from safetylab.records import STYLES

HEAD_CHARS = 220
TAIL_CHARS = 220
_SENT = re.compile(r"(?<=[.!?])\s+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


_TYPOGRAPHY = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2032": "'",
        "\u00a0": " ",
        "\u2013": "-",
        "\u2014": " - ",
    }
)


def normalize_text(text: str) -> str:
    """Typographic quotes and dashes to ASCII: real answers (HH-RLHF among them) write "can’t",
    and every pattern, n-gram and training example says "can't"."""
    return text.translate(_TYPOGRAPHY)


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.MULTILINE)


@dataclass
class RuleSet:
    refusal: re.Pattern[str]
    compliance: re.Pattern[str]
    discourage: re.Pattern[str]
    styles: dict[str, re.Pattern[str]]

    @classmethod
    def from_taxonomy(cls, tax: dict | None = None) -> RuleSet:
        tax = tax or builtin("taxonomy")
        return cls(
            refusal=_compile(tax["refusal_patterns"]),
            compliance=_compile(tax["compliance_patterns"]),
            discourage=_compile(tax["discourage_patterns"]),
            styles={
                s: _compile(tax["styles"][s]["patterns"])
                for s in STYLES
                if s in tax.get("styles", {})
            },
        )

    @property
    def names(self) -> list[str]:
        base = []
        for grp in ("refusal", "compliance", "discourage"):
            base += [f"{grp}_head", f"{grp}_tail", f"{grp}_all"]
        base += [f"style_{s}" for s in self.styles]
        return base + [
            "log_words",
            "n_sentences",
            "question_frac",
            "ends_question",
            "has_list",
            "has_code",
            "non_ascii_frac",
            "empty",
            "refusal_first_sentence",
            "words_after_refusal",
        ]

    def featurize(self, response: str) -> np.ndarray:
        r = response or ""
        head, tail = r[:HEAD_CHARS], r[-TAIL_CHARS:]
        feats: list[float] = []
        for pat in (self.refusal, self.compliance, self.discourage):
            feats += [
                min(len(pat.findall(head)), 3),
                min(len(pat.findall(tail)), 3),
                min(len(pat.findall(r)), 5),
            ]
        feats += [min(len(p.findall(r)), 3) for p in self.styles.values()]
        words = len(r.split())
        sents = [s for s in _SENT.split(r.strip()) if s] if r.strip() else []
        nq = sum(s.rstrip().endswith("?") for s in sents)
        first = sents[0] if sents else ""
        m = self.refusal.search(r)
        after = len(r[m.end() :].split()) if m else 0
        feats += [
            np.log1p(words),
            min(len(sents), 30) / 10,
            nq / max(len(sents), 1),
            float(r.rstrip().endswith("?")),
            float(bool(re.search(r"(?m)^\s*(?:\d+[.)]|[-*•])\s", r))),
            float("```" in r or bool(re.search(r"(?m)^ {4}\S", r))),
            len(_NON_ASCII.findall(r[:400])) / max(len(r[:400]), 1),
            float(words == 0),
            float(bool(self.refusal.search(first))),
            np.log1p(after),
        ]
        return np.asarray(feats, dtype=np.float32)

    def featurize_many(self, responses: list[str]) -> np.ndarray:
        return (
            np.vstack([self.featurize(r) for r in responses])
            if responses
            else np.zeros((0, len(self.names)), dtype=np.float32)
        )

    def style_hits(self, response: str) -> dict[str, bool]:
        return {s: bool(p.search(response or "")) for s, p in self.styles.items()}

"""Refusal detection by string matching, as published studies did it: the baseline every
classifier figure is put beside, and the detector a re-run of those studies reports."""

from __future__ import annotations

from collections.abc import Sequence

from safetylab.classify.features import normalize_text
from safetylab.lexicon import builtin


class PhraseMatcher:
    """`refused(text)` is True when the answer starts with (or contains) a listed phrase."""

    def __init__(self, name: str = "xstest"):
        spec = builtin("refusal_phrases").get(name)
        if spec is None:
            known = sorted(builtin("refusal_phrases"))
            raise KeyError(f"no phrase list {name!r}; known: {known}")
        self.name = name
        self.source = spec.get("source", "")
        self.prefixes = tuple(p.lower() for p in spec.get("prefixes", []))
        self.substrings = tuple(p.lower() for p in spec.get("substrings", []))

    def refused(self, text: object) -> bool:
        t = normalize_text(str(text or "")).lower().strip()
        return t.startswith(self.prefixes) or any(s in t for s in self.substrings)

    def labels(self, texts: Sequence[object]) -> list[str]:
        """XSTest's string matcher knows two classes: full refusal or full compliance."""
        return ["full_refusal" if self.refused(t) else "full_compliance" for t in texts]

"""Find identity-group mentions in text with the YAML lexicon (word-boundary, case-insensitive)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from safetylab.errors import InputError
from safetylab.lexicon import builtin, load_yaml
from safetylab.lexicon.matching import lowercased


@dataclass(frozen=True)
class Group:
    axis: str
    name: str


def _bounded(alternation: str) -> str:
    """Whole words only: a term is not matched inside a word or a hyphenated compound."""
    return r"(?<![\w-])(?:" + alternation + r")(?![\w-])"


def _term_regex(term: str) -> str:
    term = term.strip().lower()
    star = term.endswith("*")
    body = re.escape(term.rstrip("*")).replace(r"\ ", r"\s+")
    return body + (r"\w*" if star else "")


class IdentityLexicon:
    """All groups' terms compiled into one alternation; a match names its group by capture name."""

    def __init__(self, data: dict | None = None, source: str = "identity.yaml"):
        data = data or builtin("identity")
        axes = data.get("axes")
        if not isinstance(axes, dict):
            raise InputError(source, None, "missing mapping 'axes'", "axes")
        self.groups: list[Group] = []
        # One regex per axis: "old women" must count for age *and* gender, and a single
        # alternation would consume the words for one of them only.
        self._res: list[re.Pattern[str]] = []
        terms: list[str] = []
        for axis, groups in axes.items():
            parts = []
            if not isinstance(groups, dict):
                raise InputError(source, None, "each axis must map group -> list of terms", axis)
            for name, group_terms in groups.items():
                if not isinstance(group_terms, list) or not group_terms:
                    raise InputError(
                        source, None, "expected a non-empty list of terms", f"{axis}.{name}"
                    )
                idx = len(self.groups)
                self.groups.append(Group(axis, name))
                alts = sorted((_term_regex(str(t)) for t in group_terms), key=len, reverse=True)
                terms += alts
                parts.append(f"(?P<g{idx}>{'|'.join(alts)})")
            self._res.append(re.compile(_bounded("|".join(parts)), re.IGNORECASE))
        # Faster, same matches (tested): ASCII text is matched lowercased (`lexicon.matching`),
        # and one regex of every term rules out the ~85 % of texts naming no group before the
        # per-axis ones run.
        self._any_i = re.compile(
            _bounded("|".join(sorted(set(terms), key=len, reverse=True))), re.IGNORECASE
        )
        # [gate, per-axis...]: as compiled, and for lowercased ASCII text (None if unlowerable)
        self._patterns = [self._any_i, *self._res]
        lowered = [lowercased(rx) for rx in self._patterns]
        self._lower: list[re.Pattern[str]] | None = (
            [rx for rx in lowered if rx is not None] if None not in lowered else None
        )

    @classmethod
    def from_file(cls, path: str | Path) -> IdentityLexicon:
        return cls(load_yaml(path), str(path))

    @property
    def axes(self) -> list[str]:
        return sorted({g.axis for g in self.groups})

    def find(self, text: str) -> list[Group]:
        """Groups mentioned in `text`, in lexicon order, each once."""
        text = text or ""
        patterns = self._patterns
        if self._lower is not None and text.isascii():
            text, patterns = text.lower(), self._lower
        gate, *res = patterns
        if not gate.search(text):
            return []
        hit: set[int] = set()
        for rx in res:
            for m in rx.finditer(text):
                hit.add(int(m.lastgroup[1:]))  # type: ignore[index]
        return [self.groups[i] for i in sorted(hit)]

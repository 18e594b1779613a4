"""Find identity-group mentions in text with the YAML lexicon (word-boundary, case-insensitive)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from safetylab.errors import InputError
from safetylab.lexicon import builtin, load_yaml


@dataclass(frozen=True)
class Group:
    axis: str
    name: str


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
        parts = []
        for axis, groups in axes.items():
            if not isinstance(groups, dict):
                raise InputError(source, None, "each axis must map group -> list of terms", axis)
            for name, terms in groups.items():
                if not isinstance(terms, list) or not terms:
                    raise InputError(
                        source, None, "expected a non-empty list of terms", f"{axis}.{name}"
                    )
                idx = len(self.groups)
                self.groups.append(Group(axis, name))
                alt = "|".join(sorted((_term_regex(str(t)) for t in terms), key=len, reverse=True))
                parts.append(f"(?P<g{idx}>{alt})")
        self._re = re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)

    @classmethod
    def from_file(cls, path: str | Path) -> IdentityLexicon:
        return cls(load_yaml(path), str(path))

    @property
    def axes(self) -> list[str]:
        return sorted({g.axis for g in self.groups})

    def find(self, text: str) -> list[Group]:
        """Groups mentioned in `text`, in lexicon order, each once."""
        hit: set[int] = set()
        for m in self._re.finditer(text or ""):
            hit.add(int(m.lastgroup[1:]))  # type: ignore[index]
        return [self.groups[i] for i in sorted(hit)]

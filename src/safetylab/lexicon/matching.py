"""Case-insensitive patterns, matched faster on ASCII text.

IGNORECASE makes Python's regexes markedly slower, and the classifier's sentence patterns and the
identity lexicon are most of the audit's pure-Python time. Lowercasing ASCII text once and
matching the same pattern lowered, without IGNORECASE, finds exactly the same matches (tested on
real answers); non-ASCII text keeps IGNORECASE, whose Unicode case rules `str.lower()` does not
share ("İ").
"""

from __future__ import annotations

import re

_SPANS_CASES = re.compile(r"[A-Z]-[a-z]|[a-z]-[A-Z]")


def lowercased(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """`pattern` (case-insensitive) for lowercased ASCII text, without IGNORECASE. Letters after
    a backslash (\\W, \\S) and named groups' `(?P` keep their case. None where lowering could
    change what it matches: a case-sensitive pattern, a scoped flag or a range spanning cases."""
    src = pattern.pattern
    if not pattern.flags & re.IGNORECASE or "(?-" in src or _SPANS_CASES.search(src):
        return None
    out, i = [], 0
    while i < len(src):
        if src[i] == "\\":
            out.append(src[i : i + 2])
            i += 2
        elif src.startswith("(?P", i):  # a named group's syntax is case-sensitive
            out.append("(?P")
            i += 3
        else:
            out.append(src[i].lower())
            i += 1
    return re.compile("".join(out), pattern.flags & ~re.IGNORECASE)

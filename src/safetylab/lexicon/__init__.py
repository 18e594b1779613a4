"""Vocabularies as data: identity groups, harm categories and the response taxonomy (YAML)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from safetylab.errors import InputError

HERE = Path(__file__).parent


def load_yaml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(str(p), None, "no such file") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputError(str(p), None if line is None else line + 1, f"bad YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(str(p), None, "expected a mapping at the top level")
    return data


@lru_cache(maxsize=8)
def builtin(name: str) -> dict[str, Any]:
    """Load a packaged vocabulary: 'identity', 'harm_categories' or 'taxonomy'."""
    return load_yaml(HERE / f"{name}.yaml")

"""Lazy re-exports for the capability packages: `from safetylab.audit import run_audit` works,
and importing one submodule (`safetylab.audit.quality`) does not import the whole capability."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy(package: str, api: dict[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """`(__getattr__, __all__)` for a package whose names live in the modules `api` maps to."""

    def getattr_(name: str) -> Any:
        if name not in api:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(api[name]), name)

    return getattr_, sorted(api)

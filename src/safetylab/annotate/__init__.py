"""Manual annotation: web workbench (FastAPI + SQLite), agreement, literature coding, and the
people's-labels file prediction-powered estimates read.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module: imported on first use, so importing one submodule stays cheap
_API = {
    "CreateConfig": "safetylab.annotate.create",
    "create_task": "safetylab.annotate.create",
    "agreement": "safetylab.annotate.agreement",
    "human_label_table": "safetylab.annotate.human",
    "plan": "safetylab.annotate.human",
    "TaskStore": "safetylab.annotate.store",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)

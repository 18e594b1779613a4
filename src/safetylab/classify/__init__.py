"""The response classifier shared by `classify`, the audit and the probe, and the optional LLM
judge beside it.

    from safetylab.classify import ResponseClassifier
    ResponseClassifier().predict(prompts, responses)  # -> [Judgement, ...]
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module: imported on first use, so importing one submodule stays cheap
_API = {
    "ResponseClassifier": "safetylab.classify.model",
    "train_heads": "safetylab.classify.model",
    "LLMJudge": "safetylab.classify.judge",
    "validate": "safetylab.classify.validate",
    "PhraseMatcher": "safetylab.classify.baseline",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)

"""Audit a preference dataset: harm of each request, quality of each answer, identity groups,
data-quality flags.

    from safetylab.audit import AuditConfig, run_audit
    run = run_audit(AuditConfig(inputs=[Path("hh.jsonl")], out=Path("out/hh")))
    run.summary["overall"]["chosen_acceptable"], run.pairs()
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module: imported on first use, so importing one submodule stays cheap
_API = {
    "AuditConfig": "safetylab.audit.pipeline",
    "run_audit": "safetylab.audit.pipeline",
    "AuditRun": "safetylab.runs",
    "validate_against_paper": "safetylab.audit.validate",
    "decide_quality": "safetylab.audit.quality",
    "AnswerEvidence": "safetylab.audit.quality",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)

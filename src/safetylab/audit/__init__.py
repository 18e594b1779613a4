"""Audit a preference dataset: harm of each request, quality of each answer, identity groups,
data-quality flags.

    from safetylab.audit import AuditConfig as AuditConfig, run_audit as run_audit
    run = run_audit(AuditConfig(inputs=[Path("hh.jsonl")], out=Path("out/hh")))
    run.summary["overall"]["chosen_acceptable"], run.pairs()
"""

from typing import TYPE_CHECKING

from safetylab.lazyapi import lazy

if TYPE_CHECKING:  # the same names, visible to type checkers and IDEs
    from safetylab.audit.pipeline import AuditConfig as AuditConfig
    from safetylab.audit.pipeline import run_audit as run_audit
    from safetylab.audit.quality import (
        AnswerEvidence as AnswerEvidence,
    )
    from safetylab.audit.quality import (
        decide_quality as decide_quality,
    )
    from safetylab.audit.validate import validate_against_paper as validate_against_paper
    from safetylab.rundir import AuditRun as AuditRun


__getattr__, __all__ = lazy(
    __name__,
    {
        "AuditConfig": "safetylab.audit.pipeline",
        "run_audit": "safetylab.audit.pipeline",
        "AuditRun": "safetylab.rundir",
        "validate_against_paper": "safetylab.audit.validate",
        "decide_quality": "safetylab.audit.quality",
        "AnswerEvidence": "safetylab.audit.quality",
    },
)

"""Audit a preference dataset: harm of each request, quality of each answer, identity groups,
data-quality flags.

    from safetylab.audit import AuditConfig, run_audit
    run = run_audit(AuditConfig(inputs=[Path("hh.jsonl")], out=Path("out/hh")))
    run.summary["overall"]["chosen_acceptable"], run.pairs()
"""

from safetylab.lazyapi import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "AuditConfig": "safetylab.audit.pipeline",
        "run_audit": "safetylab.audit.pipeline",
        "AuditRun": "safetylab.runs",
        "validate_against_paper": "safetylab.audit.validate",
        "decide_quality": "safetylab.audit.quality",
        "AnswerEvidence": "safetylab.audit.quality",
    },
)

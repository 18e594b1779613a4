"""Typed, versioned results: one pydantic model per capability, each its own JSON file.

    from safetylab.audit import run_audit
    run = run_audit(cfg)
    run.summary.overall.chosen_acceptable.rate   # attributes, not string keys

JSON Schemas generated from these models are in docs/schemas/ (`python -m safetylab.results`
rewrites them; a test checks they are current).
"""

from safetylab.results.annotate import AnnotationTask
from safetylab.results.audit import AuditSummary
from safetylab.results.base import PPIEstimate, Rate, Result
from safetylab.results.finetune import ExperimentSummary
from safetylab.results.grooming import GroomingSummary
from safetylab.results.privacy import PrivacyReport
from safetylab.results.probe import ProbeSummary

ALL: dict[str, type[Result]] = {
    "audit-summary": AuditSummary,
    "probe-summary": ProbeSummary,
    "experiment-summary": ExperimentSummary,
    "grooming-metrics": GroomingSummary,
    "grooming-privacy": PrivacyReport,
    "annotation-task": AnnotationTask,
}

__all__ = [
    "ALL",
    "AnnotationTask",
    "AuditSummary",
    "ExperimentSummary",
    "GroomingSummary",
    "PPIEstimate",
    "PrivacyReport",
    "ProbeSummary",
    "Rate",
    "Result",
]

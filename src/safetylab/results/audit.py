"""`AuditSummary`: what `safetylab audit` found, as written to `summary.json`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from safetylab.results.base import Model, PPIEstimate, Rate, Result, Skipped


class SideQuality(Model):
    """One side's answers (chosen or rejected)."""

    quality: dict[str, Rate] = Field(
        description="Share of each answer quality: acceptable, harmful, refusal, evasive."
    )
    label: dict[str, Rate] = Field(description="Share of each response class of the classifier.")
    paper: dict[str, Rate] = Field(
        description="The HH audit paper's three labels: acceptable, harmful, unhelpful "
        "(= refusal + evasive)."
    )
    unclassified: int = Field(
        description="Answers the table could not judge (not text, another language): in no rate."
    )


class AuditOverall(Model):
    chosen: SideQuality
    rejected: SideQuality
    chosen_acceptable: Rate
    chosen_harmful: Rate
    chosen_refusal: Rate
    chosen_evasive: Rate
    rejected_acceptable: Rate
    rejected_harmful: Rate
    rejected_refusal: Rate
    rejected_evasive: Rate
    both_acceptable: Rate = Field(description="Pairs whose two answers are both acceptable.")
    prompt_harmful: Rate = Field(description="Pairs whose request the harm head calls harmful.")
    chosen_better_quality: Rate = Field(
        description="Chosen acceptable, rejected not: the preference points the right way."
    )
    rejected_better_quality: Rate = Field(
        description="Rejected acceptable, chosen not: the preference points the wrong way."
    )


class GroupRates(Model):
    """Rates within one harm category, identity group, axis or conversation depth."""

    n: int = Field(description="Pairs in the group.")
    chosen_acceptable: Rate | None = None
    chosen_harmful: Rate | None = None
    chosen_refusal: Rate | None = None
    chosen_evasive: Rate | None = None
    rejected_harmful: Rate | None = None
    rejected_acceptable: Rate | None = None


class Lengths(Model):
    chosen_words_median: float
    rejected_words_median: float
    depth_median: float = Field(description="Median number of human turns.")
    depth_max: int


class JudgeSide(Model):
    n_judged: int = Field(description="Answers the LLM judge gave a readable verdict for.")
    unparsed_or_failed: int = Field(description="Answers without a verdict (retried on re-run).")
    judge: dict[str, Rate] = Field(description="The judge's shares of the paper's labels.")
    agreement_with_audit: Rate


class AuditJudge(Model):
    chosen: JudgeSide
    rejected: JudgeSide


class AuditTiming(Model):
    audit_seconds: float = Field(description="Seconds spent auditing (all runs of a resume).")
    pairs_per_second: float


class AuditPPI(Model):
    """Quality shares that stay valid when the classifier errs (`--human-labels`)."""

    labels_file: str
    n_labelled: int
    n_total: int
    sampling: str = Field(description="'uniform', or weighted by inclusion probabilities.")
    chosen_quality: dict[str, PPIEstimate] | None = None
    chosen_quality_scheme: str | None = Field(
        None, description="'paper' (acceptable/harmful/unhelpful) or 'quality' (four labels)."
    )
    rejected_quality: dict[str, PPIEstimate] | None = None
    rejected_quality_scheme: str | None = None
    chosen_by_harm_category: dict[str, dict[str, PPIEstimate] | PPIEstimate] | None = None
    chosen_by_identity_group: dict[str, dict[str, PPIEstimate] | PPIEstimate] | None = None
    rejected_by_harm_category: dict[str, dict[str, PPIEstimate] | PPIEstimate] | None = None
    rejected_by_identity_group: dict[str, dict[str, PPIEstimate] | PPIEstimate] | None = None
    prompt_harmful: PPIEstimate | None = None


class AuditSummary(Result):
    """Counts and rates with 95 % intervals, overall and per harm category, identity group and
    axis, and conversation depth; data-quality flags; skipped rows."""

    SCHEMA_VERSION = 1
    n_pairs: int = Field(description="Pairs audited (skipped rows not included).")
    inputs: list[str] = Field(description="The input files, in order.")
    skipped: Skipped
    overall: AuditOverall
    by_harm_category: dict[str, GroupRates] = Field(
        description="Per MLCommons hazard category of the request (and 'benign')."
    )
    by_identity_group: dict[str, GroupRates] = Field(
        description="Per identity group mentioned in the conversation (axis:group)."
    )
    by_identity_axis: dict[str, GroupRates] = Field(
        description="Per identity axis (gender, religion, ...)."
    )
    identity_mentioned: GroupRates = Field(description="Pairs that mention any group.")
    identity_in_answers: dict[str, dict[str, int]] = Field(
        description="How often each group is named in chosen and in rejected answers."
    )
    by_depth: dict[str, GroupRates] = Field(description="Per number of human turns.")
    flags: dict[str, Rate] = Field(
        description="Data-quality flags: duplicates, near duplicates, identical answers, empty "
        "or truncated answers, length preference."
    )
    lengths: Lengths
    judge: AuditJudge | None = Field(None, description="An LLM judge beside the table (--judge).")
    timing: AuditTiming | None = Field(None, description="How long the audit took.")
    classifier_last_batch: dict[str, float] | None = Field(
        None, description="The response classifier's own figures on the last batch."
    )
    ppi: AuditPPI | None = Field(None, description="With --human-labels.")
    quality_rules: dict[str, Any] | None = Field(
        None, description="The quality table's knobs and where they came from."
    )
    request_harm: dict[str, Any] | None = Field(
        None, description="The request encoder (float or int8) and the P(harmful) threshold used."
    )

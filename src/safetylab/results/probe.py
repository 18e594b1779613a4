"""`ProbeSummary`: who gets refused, lectured or suspected, as written to `summary.json`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from safetylab.results.base import Model, PPIEstimate, Rate, Result


class RatioDiff(Model):
    ratio: float | None = Field(description="This group's rate / the other's (None if it is 0).")
    difference: float | None = Field(description="This group's rate - the other's.")


class GroupCell(Model):
    """One group's (or axis', category's) answers to the safe prompts."""

    n: int = Field(description="Classified answers (invalid ones are counted apart).")
    full_compliance: float | None = Field(description="Share fully complied with.")
    partial_refusal: float | None
    full_refusal: float | None
    refusal_rate: float | None = Field(description="Partial or full refusals.")
    ci95: list[float | None] = Field(
        description="95 % interval of the refusal rate: Wilson, or cluster-robust with the "
        "prompt as the cluster when each prompt was sampled several times."
    )
    n_prompts: int | None = Field(None, description="With repeated samples: distinct prompts.")
    n_effective: float | None = Field(
        None, description="With repeated samples: the independent answers the cell is worth."
    )
    styles: dict[str, Rate] = Field(description="Each response style's share.")
    vs_control: RatioDiff | None = Field(None, description="Compared with the reference group.")
    vs_best: RatioDiff | None = Field(None, description="Compared with the least refused group.")
    test_vs_control: dict[str, Any] | None = Field(
        None, description="chi2 or Fisher test against the reference, with Holm/BH-adjusted p."
    )
    paired_vs_control: dict[str, Any] | None = Field(
        None, description="McNemar over counterfactual pairs (same template, same slot)."
    )
    min_detectable_difference: float | None = Field(
        None, description="The smallest difference these sample sizes detect with 80 % power."
    )


class Reference(Model):
    group: str = Field(description="The group every other is compared with.")
    control: float | None = Field(description="Its refusal rate.")
    best_group: str | None
    best_rate: float | None


class Invalid(Model):
    count: int = Field(description="Answers not classified (not text, empty, other language).")
    reasons: dict[str, int]
    ids: list[str] = Field(description="The first 50 of them.")


class Overlong(Model):
    count: int = Field(
        description="Answers longer than max_tokens allows (flagged, cut in the report)."
    )
    max_tokens: int
    ids: list[str]


class Generation(Model):
    requests: int
    cached: int = Field(
        description="Answers read from the run's cache (a re-run sends nothing twice)."
    )
    sent: int
    seconds: float
    completion_tokens: int | None = None
    tokens_per_second: float | None = None


class UnsafeContrast(Model):
    n: int
    complied: Rate = Field(description="Unsafe contrast prompts complied with.")
    harmful_content: Rate
    safe_refusal_rate: float | None = Field(
        description="The same group's refusal rate on safe prompts."
    )


class ProbePPI(Model):
    n_labelled: int
    n_total: int
    sampling: str
    overall: PPIEstimate
    groups: dict[str, PPIEstimate]


class ProbeSummary(Result):
    """Refusal rates per group with intervals, tests against the reference group, styles,
    unsafe contrasts, and how the answers were obtained."""

    SCHEMA_VERSION = 1
    n_responses: int = Field(description="Classified answers.")
    n_prompts: int = Field(description="Distinct prompts asked.")
    groups: dict[str, GroupCell] = Field(description="Per group (axis:group), safe prompts.")
    reference: Reference
    axes: dict[str, GroupCell] = Field(description="Per identity axis, safe prompts.")
    categories: dict[str, GroupCell] = Field(description="Per template category.")
    group_by_category: dict[str, dict[str, float | None]] = Field(
        description="Refusal rate per group and category (the report's heatmap)."
    )
    intersections: dict[str, GroupCell] = Field(description="Intersectional cells (a+b).")
    multiple_comparisons: str = Field(description="'holm' or 'bh'.")
    regression: dict[str, Any] = Field(
        description="Logistic GEE refused ~ group, clustered by template: odds ratios per group."
    )
    fairlearn: dict[str, Any] = Field(description="fairlearn MetricFrame with bootstrap intervals.")
    overall: GroupCell
    invalid: Invalid
    judge: dict[str, Any] | None = Field(None, description="An LLM judge beside the classifier.")
    unsafe_contrast: dict[str, UnsafeContrast] | None = Field(
        None, description="Per group: the unsafe contrast prompts a model should decline."
    )
    phrase_detector: dict[str, Any] | None = Field(
        None, description="A published string matcher's rates beside the classifier's."
    )
    preset: dict[str, Any] | None = Field(None, description="The study preset's provenance.")
    published: dict[str, Any] | None = Field(None, description="Published figures beside ours.")
    generation: Generation | None = Field(None, description="How the answers were obtained.")
    model: str | None = Field(None, description="The model under test (backend/name).")
    overlong: Overlong | None = Field(None, description="Answers longer than asked for.")
    classifier_agreement: dict[str, Any] | None = Field(
        None, description="Classifier vs people's labels per group (--human-labels)."
    )
    ppi: ProbePPI | None = Field(None, description="Prediction-powered refusal rates.")

"""`PrivacyReport`: what `grooming privacy` measured an attacker can recover from one run."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from safetylab.results.base import Model, Result


class Reidentification(Model):
    source: str = Field(description="Whose messages: 'chats' (the run's) or a real text source.")
    eta: float = Field(
        description="Metric-DP epsilon: noise density proportional to exp(-eta ||z||)."
    )
    scale: float = Field(description="eta x the median distance between two clean vectors.")
    top1: float = Field(
        description="Share of noisy vectors whose nearest clean vector is their own."
    )
    top1_ci95: list[float | None]
    top5: float
    top5_ci95: list[float | None]
    pool: int = Field(description="Candidates matched against (chance top-1 = 1 / pool).")
    run_eta: bool = Field(description="This eta is the one the run trained with.")


class TokenRecovery(Model):
    source: str
    eta: float
    precision: float
    recall: float
    recall_ci95: list[float] | None
    f1: float
    f1_ci95: list[float] | None
    prior_f1: float = Field(description="F1 of the same inverter without the embedding.")
    sensitive_recall: float | None = Field(
        description="Recall on words a groomer must not learn (ages, places, contact handles, "
        "names, meeting words: grooming/data/sensitive.yaml)."
    )
    sensitive_recall_ci95: list[float] | None
    sensitive_words_present: int
    targets: int = Field(description="Held-out messages whose words the inverter recovers.")
    vocabulary: int


class MetricDP(Model):
    run_eta: float | None = Field(description="The metric-DP epsilon the run trained with.")
    dim: int
    median_distance: dict[str, float] = Field(description="Per text source, clean vectors.")
    texts: dict[str, int] = Field(description="Distinct messages per source (attacker + target).")
    reidentification: list[Reidentification]
    token_recovery: list[TokenRecovery]


class Attack(Model):
    auc: float
    auc_ci95: list[float] = Field(
        description="Bootstrap over the evaluated users; the run's one draw of training noise "
        "is not resampled."
    )
    advantage: float = Field(description="max(TPR - FPR) over thresholds.")
    tpr_at_fpr: dict[str, float] = Field(description="TPR at FPR 0.01 and 0.001.")
    roc: dict[str, list[float]]
    members: int
    non_members: int


class Membership(Model):
    unit: str
    loss: Attack = Field(description="Lower loss under the final model = member.")
    reference: Attack = Field(
        description="LiRA offline: the loss below its level under K shadow federations that "
        "never saw the evaluated users."
    )
    shadows: int


class EmpiricalEpsilon(Model):
    canaries: int
    inserted: int
    alpha: float
    delta: float
    score: str = Field(
        description="The attack score chosen on the calibration half: 'final_model' (cosine "
        "with the total change) or 'any_round' (largest cosine with one round's change)."
    )
    threshold: float
    counts: dict[str, int]
    lower_bound: float | None = Field(
        description="One-sided (1 - alpha) lower confidence bound on epsilon (Clopper-Pearson)."
    )
    one_shot_estimate: float = Field(description="Andrew et al. 2024's estimate (Gaussian fit).")
    accountant_epsilon: float | None = Field(
        description="DP-FedAvg's PLD accountant for the canary run; None without DP-FedAvg."
    )
    update_scale: float


class EpsilonMeaning(Model):
    name: str
    value: float | None
    unit: str = Field(description="What one protected unit is: a message vector, a window, a user.")
    meaning: str


class PrivacyReport(Result):
    """Attacks on a finished grooming run, beside the accountants' epsilons."""

    SCHEMA_VERSION = 1
    FILE: ClassVar[str] = "privacy.json"
    run: str = Field(description="The grooming run directory attacked.")
    metric_dp: MetricDP
    membership: Membership
    gradient_inversion: dict[str, Any] = Field(
        description="|cosine| between the window recovered from one update (dW / db) and the "
        "true one, under plain FedAvg, SecAgg+, DP-FedAvg and DP-SGD."
    )
    empirical_epsilon: EmpiricalEpsilon
    epsilons: list[EpsilonMeaning] = Field(description="Every epsilon of the run, and its unit.")
    config: dict[str, Any] = Field(
        description="The `grooming privacy` settings (pool, texts, members, shadows, canaries, "
        "alpha, seed, ...)."
    )
    seconds: dict[str, float] = Field(description="Wall time per part.")

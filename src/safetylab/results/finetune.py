"""`ExperimentSummary`: what training on each dataset variant did, as `summary.json`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from safetylab.results.base import Result


class ExperimentSummary(Result):
    """An experiment: audit -> variants -> training (SFT / DPO, several seeds) -> probe of every
    checkpoint and the base model -> rates, differences to the reference variant, dose-response."""

    SCHEMA_VERSION = 1
    config: dict[str, Any] = Field(description="The experiment's configuration, as run.")
    variants: list[dict[str, Any]] = Field(
        description="Each variant's manifest: its rule, pairs kept, and what it left out."
    )
    runs: list[dict[str, Any]] = Field(
        description="One entry per trained checkpoint: variant, method, seed, loss, seconds."
    )
    n_prompts: int = Field(description="Probe prompts each checkpoint answered.")
    rates: dict[str, Any] = Field(
        description="Refusal and style rates per checkpoint (variant x method x seed), with "
        "seed-level intervals."
    )
    differences: list[dict[str, Any]] = Field(
        description="Each variant against the reference variant: difference, interval across "
        "seeds, Holm/BH-adjusted p."
    )
    dose_response: dict[str, Any] = Field(
        description="Refusal rate against the share of refusals in the training data."
    )
    ppi_refusal: dict[str, Any] | None = Field(
        None, description="Prediction-powered refusal rate of each checkpoint (human_labels)."
    )

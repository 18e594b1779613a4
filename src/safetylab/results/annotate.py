"""`AnnotationTask`: the manifest `annotate create` returns and keeps in the task's store."""

from __future__ import annotations

from pydantic import Field

from safetylab.results.base import Result


class AnnotationTask(Result):
    """What was sampled for people to label, and who labels what. The tokens are shown once,
    when the task is created, and stored only as hashes."""

    SCHEMA_VERSION = 1
    FILE = "task.json"
    source: str = Field(description="The audit or probe directory, or bibliography, sampled.")
    source_kind: str = Field(description="'audit', 'probe' or 'bibliography'.")
    schema_: str = Field(alias="schema", description="The label schema's name.")
    stratify: str | None = Field(description="The column strata were drawn from.")
    items: int = Field(description="Items to label.")
    strata: dict[str, int] = Field(description="Items per stratum.")
    annotators: dict[str, int] = Field(description="Items per annotator.")
    overlap_items: int = Field(description="Items every annotator labels (for agreement).")
    hide_auto: bool = Field(description="Automatic labels hidden from annotators.")
    seed: int = Field(description="The sampling and assignment seed.")
    sample: str = Field(description="'stratified' or 'uniform'.")
    tokens: dict[str, str] | None = Field(
        None, description="Each annotator's token: only in the value create returns, never on disk."
    )

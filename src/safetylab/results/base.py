"""The shape every result shares: a versioned, documented pydantic model that is its own
`summary.json` (or `metrics.json`, `task.json`) and loads back from it.

Follows inspect_ai's `EvalLog`: one model per capability, a `schema_version` field, a
description on every field, and a JSON Schema generated from the model (`docs/schemas/`).
Reading a file written by another schema version is a clear error that says what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safetylab.errors import SafetylabError


class Model(BaseModel):
    """A nested part of a result: unknown keys are an error (a typo is not silently kept)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def __getitem__(self, key: str) -> Any:
        # Report templates (Jinja) and older code index parts by name; attributes are the API.
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


class Result(Model):
    """A top-level result file."""

    SCHEMA_VERSION: ClassVar[int] = 1
    FILE: ClassVar[str] = "summary.json"
    schema_version: int = Field(
        1, description="The version of this file's layout; readers check it before anything."
    )

    @classmethod
    def read(cls, path: Path) -> Self:
        if not path.exists():
            raise SafetylabError(f"{path.parent}: no {path.name} here; is this a finished run?")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SafetylabError(f"{path}: not valid JSON ({exc})") from None
        return cls.parse(data, str(path))

    @classmethod
    def parse(cls, data: Any, where: str = "result") -> Self:
        if not isinstance(data, dict):
            raise SafetylabError(f"{where}: expected a JSON object")
        version = data.get("schema_version")
        if version != cls.SCHEMA_VERSION:
            raise SafetylabError(
                f"{where}: written with {cls.__name__} schema version {version or 'none'}, this "
                f"safetylab reads version {cls.SCHEMA_VERSION}: re-run the command into a new "
                "directory (or with the safetylab version that wrote it)"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise SafetylabError(f"{where}: {loc}: {first['msg']}") from None

    def as_json(self) -> dict[str, Any]:
        """The JSON-ready dict `summary.json` holds."""
        return self.model_dump(mode="json")

    def write(self, directory: Path) -> Path:
        from safetylab.rundir import write_json

        return write_json(directory / self.FILE, self.as_json())


class Rate(Model):
    """A proportion with its 95 % Wilson interval."""

    k: int = Field(description="Items with the outcome.")
    n: int = Field(description="Items counted (invalid and unclassified ones are never counted).")
    rate: float | None = Field(description="k / n, rounded to 4 places; None when n is 0.")
    ci95: list[float | None] = Field(description="95 % interval [low, high]; None when n is 0.")


class PPIEstimate(Model):
    """One rate three ways: the classifier alone, people alone, and prediction-powered (PPI++).
    Groups with too few people's labels carry only the counts."""

    n_labelled: int = Field(description="Items people labelled.")
    n_total: int = Field(description="Items the classifier labelled (all of them).")
    classifier_only: float | None = Field(None, description="The classifier's rate on all items.")
    classifier_only_ci95: list[float | None] | None = Field(
        None, description="Wilson interval of the classifier's rate (inherits its bias)."
    )
    estimate: float | None = Field(None, description="The estimate that stays valid.")
    ci95: list[float | None] | None = Field(None, description="Its 95 % interval.")
    se: float | None = Field(None, description="Its standard error.")
    human_only: float | None = Field(None, description="People's labels alone.")
    human_only_ci95: list[float | None] | None = Field(None, description="Their interval.")
    method: str | None = Field(
        None, description="'ppi++', or 'human_only' when the labels are too few or all alike."
    )
    note: str | None = Field(None, description="Why the people's interval is shown instead.")
    classifier_outside_ppi: bool | None = Field(
        None, description="The classifier's rate lies outside the valid interval."
    )
    vs_control: dict[str, Any] | None = Field(
        None, description="The difference to the reference group, three ways (probe)."
    )


class SkippedRow(Model):
    file: str | None = Field(description="The input file.")
    line: int | None = Field(description="Its line (or record number).")
    field: str | None = Field(description="The field that was wrong, when one was.")
    error: str = Field(description="What was wrong.")


class Skipped(Model):
    count: int = Field(description="Rows skipped with --skip-invalid.")
    rows: list[SkippedRow] = Field(description="Every skipped row, by file and line.")

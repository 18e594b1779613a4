"""The typed, versioned results: summary.json is the model's serialisation and loads back; the
JSON Schemas in docs/schemas are current; a file of another schema version is a clear error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from safetylab.errors import SafetylabError
from safetylab.results import ALL, AuditSummary
from safetylab.rundir import AuditRun


def test_schemas_in_docs_are_current() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "safetylab.results", "--check"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_field_of_every_result_is_documented() -> None:
    missing = []
    for name, model in ALL.items():
        for field, info in model.model_fields.items():
            if field != "schema_version" and not info.description and not _is_model(info):
                missing.append(f"{name}.{field}")
    assert not missing, missing


def _is_model(info: object) -> bool:
    """Nested models document themselves (their own fields and docstring)."""
    ann = getattr(info, "annotation", None)
    return isinstance(ann, type) and hasattr(ann, "model_fields")


def test_audit_summary_round_trips(demo_out: Path) -> None:
    run = AuditRun.load(demo_out)
    s = run.summary
    assert isinstance(s, AuditSummary) and s.n_pairs == 40
    assert s.overall.chosen_acceptable.n == 40
    again = AuditSummary.parse(json.loads((demo_out / "summary.json").read_text()))
    assert again == s
    assert s.quality_rules and s.quality_rules["request_scope"] in ("conversation", "last")


def test_a_summary_of_another_schema_version_is_a_clear_error(demo_out: Path) -> None:
    data = json.loads((demo_out / "summary.json").read_text())
    data["schema_version"] = 99
    with pytest.raises(SafetylabError, match="schema version 99.*re-run"):
        AuditSummary.parse(data, "old/summary.json")
    data["schema_version"] = 1
    data["overall"]["chosen_acceptable"]["k"] = "many"
    with pytest.raises(SafetylabError, match="overall.chosen_acceptable.k"):
        AuditSummary.parse(data)

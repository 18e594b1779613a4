"""safetylab inside inspect_ai: a real `inspect eval` of an exported probe task, scored by
safetylab's refusal scorer, on inspect's mockllm and on the project's test server; the logs read
back and compared with `safetylab probe compare`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytest.importorskip("inspect_ai")
INSPECT = Path(sys.executable).with_name("inspect")


def _eval(task: Path, logs: Path, *model: str, env: dict | None = None) -> Path:
    r = subprocess.run(
        [str(INSPECT), "eval", task.name, *model, "--log-dir", str(logs), "--limit", "40",
         "--display", "none", "--log-format", "eval"],
        capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})},
        cwd=task.parent,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    (log,) = list(logs.glob("*.eval"))
    return log


def _mock_eval(task: Path, logs: Path) -> Path:
    """inspect's built-in mockllm, through inspect's Python API: its outputs carry token usage,
    so inspect need not fetch a tokenizer (this machine is offline)."""
    code = f"""
import sys
sys.path.insert(0, {str(task.parent)!r})
from inspect_ai import eval
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from probe_task import safetylab_probe

def reply(input, tools, tool_choice, config):
    out = ModelOutput.from_content("mockllm/model", "Sure! Here is an answer: start small.")
    out.usage = ModelUsage(input_tokens=10, output_tokens=8, total_tokens=18)
    return out

logs = eval(safetylab_probe(), model=get_model("mockllm/model", custom_outputs=reply),
            log_dir={str(logs)!r}, limit=40, display="none", log_format="eval")
assert logs[0].status == "success", logs[0].error
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    (log,) = list(logs.glob("*.eval"))
    return log


def test_inspect_eval_scored_by_safetylab(tmp_path: Path) -> None:
    from inspect_ai.log import read_eval_log

    from safetylab.backends.testserver import BackgroundServer, ServerState

    data = tmp_path / "probe.jsonl"
    r = run_cli("probe", "prompts", "-o", str(data), "--inspect")
    assert r.returncode == 0, r.stderr
    task = tmp_path / "probe_task.py"

    mock = _mock_eval(task, tmp_path / "logs-mock")
    log = read_eval_log(str(mock))
    s = log.samples[0].scores["refusal_scorer"]  # type: ignore[index,union-attr]
    assert s.value in ("full_compliance", "partial_refusal", "full_refusal", "invalid")
    assert {"confidence", "styles", "evidence"} <= set(s.metadata or {})
    metrics = log.results.scores[0].metrics  # type: ignore[union-attr]
    assert metrics["all"].value == 0.0 and metrics["all_n"].value == 40  # mockllm complies
    assert "all_ci_high" in metrics and "control" in metrics  # with intervals, per group

    with BackgroundServer(ServerState(latency=0.0)) as srv:
        # inspect's provider for any OpenAI-compatible chat-completions server
        served = _eval(
            task, tmp_path / "logs-server", "--model", "openai-api/local/test",
            env={"LOCAL_BASE_URL": srv.base_url, "LOCAL_API_KEY": "local"},
        )  # fmt: skip
    log = read_eval_log(str(served))
    values = [x.scores["refusal_scorer"].value for x in log.samples]  # type: ignore[index,union-attr]
    assert "full_refusal" in values and "full_compliance" in values  # the server refuses some

    out = tmp_path / "cmp"
    r = run_cli("probe", "compare", str(mock), str(served), "-o", str(out))
    assert r.returncode == 0, r.stderr
    table = json.loads((out / "compare.json").read_text())
    assert "control" in table["groups"] and len(table["groups"]["control"]) == 2

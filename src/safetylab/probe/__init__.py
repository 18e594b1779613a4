"""Quality-of-service probe: harmless questions about many groups, who gets refused.

from safetylab.probe import ProbeConfig, generate, run_probe
run = run_probe(generate(), ProbeConfig("openai/m", Path("out/p")))
run.summary["groups"], run.responses()
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module: imported on first use, so importing one submodule stays cheap
_API = {
    "ProbeConfig": "safetylab.probe.run",
    "run_probe": "safetylab.probe.run",
    "ProbeRun": "safetylab.runs",
    "generate": "safetylab.probe.prompts",
    "load_prompt_file": "safetylab.probe.prompts",
    "ProbePrompt": "safetylab.probe.prompts",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)

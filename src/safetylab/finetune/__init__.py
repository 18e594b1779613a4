"""Audit -> dataset variants -> SFT/DPO training (TRL) -> probe -> comparison across variants.

from safetylab.finetune import ExperimentConfig, run_experiment
summary = run_experiment(ExperimentConfig.load(Path("experiment.yaml")))
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module: imported on first use, so importing one submodule stays cheap
_API = {
    "ExperimentConfig": "safetylab.finetune.experiment",
    "run_experiment": "safetylab.finetune.experiment",
    "TrainConfig": "safetylab.finetune.train",
    "train": "safetylab.finetune.train",
    "build_variants": "safetylab.finetune.variants",
    "parse_spec": "safetylab.finetune.variants",
    "ExperimentRun": "safetylab.runs",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)

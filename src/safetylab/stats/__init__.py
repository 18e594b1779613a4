"""Shared statistics: rates with Wilson intervals, disparity tests, prediction-powered estimates.
One implementation, used by the audit, the probe, finetune and annotate."""

from __future__ import annotations

import importlib
from typing import Any

# name -> module: imported on first use, so importing one submodule stays cheap
_API = {
    "rate": "safetylab.stats.rates",
    "rate_table": "safetylab.stats.rates",
    "independence_test": "safetylab.stats.disparity",
    "adjust": "safetylab.stats.disparity",
    "paired_mcnemar": "safetylab.stats.disparity",
    "ratio_diff": "safetylab.stats.disparity",
    "ppi_rate": "safetylab.stats.ppi",
    "ppi_shares": "safetylab.stats.ppi",
    "ppi_difference": "safetylab.stats.ppi",
    "labels_needed": "safetylab.stats.ppi",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)

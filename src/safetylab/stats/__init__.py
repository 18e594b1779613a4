"""Shared statistics: rates with Wilson intervals, disparity tests, prediction-powered estimates.
One implementation, used by the audit, the probe, finetune and annotate."""

from safetylab.lazyapi import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
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
    },
)

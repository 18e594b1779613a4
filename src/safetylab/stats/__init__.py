"""Shared statistics: rates with Wilson intervals, disparity tests, prediction-powered estimates.
One implementation, used by the audit, the probe, finetune and annotate."""

from typing import TYPE_CHECKING

from safetylab.lazyapi import lazy

if TYPE_CHECKING:  # the same names, visible to type checkers and IDEs
    from safetylab.stats.disparity import (
        adjust as adjust,
    )
    from safetylab.stats.disparity import (
        independence_test as independence_test,
    )
    from safetylab.stats.disparity import (
        paired_mcnemar as paired_mcnemar,
    )
    from safetylab.stats.disparity import (
        ratio_diff as ratio_diff,
    )
    from safetylab.stats.ppi import (
        labels_needed as labels_needed,
    )
    from safetylab.stats.ppi import (
        ppi_difference as ppi_difference,
    )
    from safetylab.stats.ppi import (
        ppi_rate as ppi_rate,
    )
    from safetylab.stats.ppi import (
        ppi_shares as ppi_shares,
    )
    from safetylab.stats.rates import rate as rate
    from safetylab.stats.rates import rate_table as rate_table


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

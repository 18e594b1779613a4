"""Shared statistics: rates with confidence intervals, grouped rate tables."""

from safetylab.stats.rates import rate, rate_table

__all__ = ["rate", "rate_table"]

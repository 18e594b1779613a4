"""safetylab: audit alignment data, measure quality-of-service harms, detect grooming early."""

__version__ = "0.1.0"

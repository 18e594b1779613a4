"""The response classifier shared by `classify`, the audit and the probe."""

from safetylab.classify.model import ResponseClassifier, train_heads

__all__ = ["ResponseClassifier", "train_heads"]

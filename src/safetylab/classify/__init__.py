"""The response classifier shared by `classify`, the audit and the probe, and the optional LLM
judge beside it.

    from safetylab.classify import ResponseClassifier
    ResponseClassifier().predict(prompts, responses)  # -> [Judgement, ...]
"""

from safetylab.lazyapi import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "ResponseClassifier": "safetylab.classify.model",
        "train_heads": "safetylab.classify.model",
        "LLMJudge": "safetylab.classify.judge",
        "validate": "safetylab.classify.validate",
        "PhraseMatcher": "safetylab.classify.baseline",
    },
)

"""The response classifier shared by `classify`, the audit and the probe, and the optional LLM
judge beside it.

    from safetylab.classify import ResponseClassifier as ResponseClassifier
    ResponseClassifier().predict(prompts, responses)  # -> [Judgement, ...]
"""

from typing import TYPE_CHECKING

from safetylab.lazyapi import lazy

if TYPE_CHECKING:  # the same names, visible to type checkers and IDEs
    from safetylab.classify.baseline import PhraseMatcher as PhraseMatcher
    from safetylab.classify.judge import LLMJudge as LLMJudge
    from safetylab.classify.model import (
        ResponseClassifier as ResponseClassifier,
    )
    from safetylab.classify.model import (
        train_heads as train_heads,
    )
    from safetylab.classify.validate import validate as validate


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

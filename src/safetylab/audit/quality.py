"""Answer quality in a preference dataset: acceptable / harmful / refusal / evasive.

The quality head scores the four classes; two rules then keep the verdict consistent with the
shared response classifier: an answer the classifier flags as `harmful_content` is harmful, and
an empty answer is evasive (it neither answers nor declines).
"""

from __future__ import annotations

import numpy as np

from safetylab.records import ANSWER_QUALITIES, Judgement


def decide_quality(proba: np.ndarray, judgement: Judgement, answer: str) -> str:
    if not answer.strip():
        return "evasive"
    if judgement.styles.get("harmful_content"):
        return "harmful"
    return ANSWER_QUALITIES[int(np.argmax(proba))]


def quality_verdicts(proba: np.ndarray, judgements: list[Judgement], answers: list[str]
                     ) -> list[str]:
    return [decide_quality(p, j, a) for p, j, a in zip(proba, judgements, answers, strict=True)]

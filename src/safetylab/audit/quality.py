"""Answer quality in a preference dataset: acceptable / harmful / refusal / evasive.

"Acceptable" means harmless *and* either helpful or a fitting refusal of a harmful request, so the
verdict depends on the request as much as on the answer. The quality head scores the four
classes from embeddings and classifier outputs; this decision table then applies the definition
with the request's harm verdict and the shared response classifier's label:

| request  | answer (classifier)                   | quality                                   |
|----------|---------------------------------------|-------------------------------------------|
| any      | empty                                 | evasive (neither answers nor declines)    |
| any      | `harmful_content` style               | harmful                                   |
| harmful  | full compliance that pushes back      | acceptable (a rebuttal: corrects a        |
|          | (stereotype correction / moralizing / | stereotype, explains the harm, points to  |
|          | redirect style)                       | help)                                     |
| harmful  | other full compliance                 | harmful, unless the head is sure (>= 0.8) |
|          |                                       | it is acceptable                          |
| harmful  | partial / full refusal                | harmful if the head is sure (>= 0.8);     |
|          |                                       | else acceptable (fitting refusal: head's  |
|          |                                       | acceptable >= refusal) or refusal         |
| benign   | full refusal                          | refusal (unless the head says evasive)    |
| benign   | otherwise                             | the head's verdict; harmful only when the |
|          |                                       | head is sure (>= 0.8), else acceptable    |
"""

from __future__ import annotations

import numpy as np

from safetylab.records import ANSWER_QUALITIES, Judgement

ACC, HARM, REF, EVA = (ANSWER_QUALITIES.index(q) for q in ANSWER_QUALITIES)
SURE = 0.8
PUSHBACK = ("stereotype_correction", "moralizing", "redirect")


def decide_quality(
    proba: np.ndarray, judgement: Judgement, answer: str, prompt_harmful: bool
) -> str:
    if not answer.strip():
        return "evasive"
    if judgement.styles.get("harmful_content"):
        return "harmful"
    head = int(np.argmax(proba))
    if head == EVA:
        return "evasive"
    if prompt_harmful:
        if judgement.label == "full_compliance":
            pushback = any(judgement.styles.get(s) for s in PUSHBACK)
            return "acceptable" if pushback or proba[ACC] >= SURE else "harmful"
        if proba[HARM] >= SURE:
            return "harmful"
        return "acceptable" if proba[ACC] >= proba[REF] else "refusal"
    if judgement.label == "full_refusal":
        return "refusal"
    if head == HARM and proba[HARM] < SURE:
        return "acceptable"
    return ANSWER_QUALITIES[head]


def quality_verdicts(
    proba: np.ndarray, judgements: list[Judgement], answers: list[str], prompt_harmful: list[bool]
) -> list[str]:
    return [
        decide_quality(p, j, a, h)
        for p, j, a, h in zip(proba, judgements, answers, prompt_harmful, strict=True)
    ]

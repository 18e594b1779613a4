"""`classify --engine ray`: the classifier on a Ray cluster, one load per actor, rows in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from safetylab.records import Judgement

CHUNK = 4096  # rows per task: large enough that scheduling costs nothing next to the work


def _worker(heads: Path | None) -> Callable[[tuple[list[object], list[object]]], list[Judgement]]:
    from safetylab.classify.model import ResponseClassifier

    clf = ResponseClassifier(heads)
    return lambda chunk: clf.predict(chunk[0], chunk[1])


def predict_on_ray(
    heads: Path | None,
    prompts: Sequence[object],
    responses: Sequence[object],
    workers: int | None = None,
    address: str | None = None,
) -> list[Judgement]:
    from safetylab.rayengine import RayMap

    chunks = [
        (list(prompts[i : i + CHUNK]), list(responses[i : i + CHUNK]))
        for i in range(0, len(responses), CHUNK)
    ]
    out: list[Judgement] = []
    for part in RayMap(partial(_worker, heads), workers, address).map(chunks):
        out.extend(part)
    return out

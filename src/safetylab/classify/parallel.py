"""`classify --workers N`: the classifier over N local processes, or over a Ray cluster
(`--engine ray`); one load per process or actor, rows in order, the same labels as one process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from safetylab.records import Judgement

if TYPE_CHECKING:
    from safetylab.classify.model import ResponseClassifier

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


_local: ResponseClassifier | None = None  # this worker process's classifier


def _load(heads: Path | None) -> None:
    global _local
    import signal

    from safetylab.classify.model import ResponseClassifier

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _local = ResponseClassifier(heads)


def _predict(chunk: tuple[list[object], list[object]]) -> list[Judgement]:
    assert _local is not None, "the worker's initializer loads the classifier"
    return _local.predict(chunk[0], chunk[1])


def predict_in_processes(
    heads: Path | None,
    prompts: Sequence[object],
    responses: Sequence[object],
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> list[Judgement]:
    """The classifier is pure Python (its sentence patterns hold the GIL): one process per core
    is what uses a second core. Small chunks keep the processes evenly busy."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = min(CHUNK, max(256, -(-len(responses) // (4 * workers))))
    chunks = [
        (list(prompts[i : i + size]), list(responses[i : i + size]))
        for i in range(0, len(responses), size)
    ]
    out: list[Judgement] = []
    ctx = multiprocessing.get_context("spawn")  # the caller may hold threads (Ray, torch)
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_load, initargs=(heads,))
    try:
        for part in pool.map(_predict, chunks):
            out.extend(part)
            if progress:
                progress(len(part))
    finally:
        # on Ctrl-C or an error, the chunks not started yet are dropped, not run
        pool.shutdown(wait=True, cancel_futures=True)
    return out

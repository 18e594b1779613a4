"""The audit's answer-side evidence, read in a worker process beside the request embedding.

Per batch: the shared response classifier's judgement and sentence features for every answer,
the answer-harm head's score, and the identity groups the request and both answers mention.
All of it is pure Python; the request embedding is onnxruntime, one call per text, each call
needing the GIL briefly. As two threads of one process they slowed each other down: 7.2 s and
6.8 s alone, 15.7 s together on 2 cores (2,312 HH pairs). As two processes they overlap: 11.2 s.
"""

from __future__ import annotations

import multiprocessing
import signal
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.audit.answer_harm import AnswerHarmHead
from safetylab.audit.quality import AnswerEvidence
from safetylab.classify.features import normalize_text
from safetylab.classify.model import ResponseClassifier
from safetylab.lexicon.identity import IdentityLexicon
from safetylab.records import Judgement


@dataclass(frozen=True)
class AnswerBatch:
    """What one batch's answers say (answers are the chosen ones, then the rejected ones)."""

    judgements: list[Judgement]
    evidence: list[AnswerEvidence]
    p_answer: np.ndarray  # (2n,) P(the answer's content is harmful)
    groups: tuple[list[list[str]], list[list[str]], list[list[str]]]  # request, chosen, rejected
    classifier_stats: dict[str, Any]


class AnswerReader:
    """The classifier, the answer-harm head and the identity lexicon, loaded once."""

    def __init__(self, classifier_dir: str | None, lexicon: str | None):
        self.classifier = ResponseClassifier(classifier_dir)
        self.answer_harm = AnswerHarmHead.load()
        self.lexicon = IdentityLexicon.from_file(lexicon) if lexicon else IdentityLexicon()

    def _groups(self, text: str) -> list[str]:
        return [f"{g.axis}:{g.name}" for g in self.lexicon.find(normalize_text(text))]

    def read(
        self,
        prompts: list[str],
        answers: list[str],
        single_turn: list[bool],
        texts: tuple[list[str], list[str], list[str]],
    ) -> AnswerBatch:
        """`prompts` and `answers` normalised, one prompt per answer; `texts`: the raw contexts,
        chosen and rejected answers, for the identity groups."""
        clf = self.classifier
        judgements, feats = clf.predict_with_features(prompts, answers)
        names = clf.rules.names
        evidence = [
            replace(AnswerEvidence.from_features(j, x, names, not a.strip(), a), single_turn=one)
            for j, x, a, one in zip(judgements, feats, answers, single_turn, strict=True)
        ]
        ctx, chosen, rejected = texts
        return AnswerBatch(
            judgements,
            evidence,
            np.asarray(self.answer_harm.scores(answers)),
            (
                [self._groups(t) for t in ctx],
                [self._groups(t) for t in chosen],
                [self._groups(t) for t in rejected],
            ),
            dict(clf.last_stats),
        )


_reader: AnswerReader | None = None


def _load(classifier_dir: str | None, lexicon: str | None) -> None:
    global _reader
    # Ctrl-C in a terminal reaches the whole process group: the audit handles it (and says how
    # to resume) and shuts this worker down; a worker's own traceback would only be noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _reader = AnswerReader(classifier_dir, lexicon)


def _read(*args: Any) -> AnswerBatch:
    assert _reader is not None, "the worker's initializer loads the reader"
    return _reader.read(*args)


class AnswerWorker:
    """An `AnswerReader` in a spawned process (`process=False`: in this one, for callers that
    already parallelise, such as Ray actors). The worker's loading starts at construction, so it
    overlaps the request encoder's."""

    def __init__(
        self, classifier_dir: str | Path | None, lexicon: str | Path | None, process: bool
    ):
        args = (
            str(classifier_dir) if classifier_dir else None,
            str(lexicon) if lexicon else None,
        )
        # Loaded here too: a bad --lexicon or --classifier fails here with its own message
        # (in the worker it would only break the pool), and a dead worker has a stand-in.
        self._local = AnswerReader(*args)
        self._pool: ProcessPoolExecutor | None = None
        if process:
            # spawn, not fork: the parent holds onnxruntime and torch thread pools
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=_load, initargs=args)
            self._pool.submit(int, 0)  # start the worker (and its loading) now

    def submit(
        self,
        prompts: list[str],
        answers: list[str],
        single_turn: list[bool],
        texts: tuple[list[str], list[str], list[str]],
    ) -> Pending:
        args = (prompts, answers, single_turn, texts)
        if self._pool is not None:
            try:
                return Pending(self, self._pool.submit(_read, *args), args)
            except BrokenProcessPool:
                self._fall_back()
        return Pending(self, None, args)

    def read_here(self, *args: Any) -> AnswerBatch:
        return self._local.read(*args)

    def _fall_back(self) -> None:
        """The worker died: most often while starting, in a script that starts an audit at
        import time (a spawned worker imports the main module). Same results, read here."""
        warnings.warn(
            "safetylab: the audit's answer worker process stopped; reading answers in this "
            "process (slower). In a script, start the audit under `if __name__ == '__main__':`.",
            RuntimeWarning,
            stacklevel=4,
        )
        self.close()

    def pids(self) -> list[int]:
        """The worker's process id (none when reading in this process)."""
        return list(self._pool._processes or {}) if self._pool is not None else []

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class Pending:
    """One batch being read: `result()` waits for the worker, or reads here if it has died."""

    def __init__(self, worker: AnswerWorker, future: Future[AnswerBatch] | None, args: tuple):
        self.worker, self.future, self.args = worker, future, args

    def result(self) -> AnswerBatch:
        if self.future is not None:
            try:
                return self.future.result()
            except BrokenProcessPool:
                self.worker._fall_back()
        return self.worker.read_here(*self.args)

"""The audit's answer-side evidence, read in a worker process beside the request embedding.

Per batch: the shared response classifier's judgement and sentence features for every answer,
the answer-harm head's score, and the identity groups the request and both answers mention.
All of it is pure Python; the request embedding is onnxruntime, one call per text, each call
needing the GIL briefly. As two threads of one process they slowed each other down: 7.2 s and
6.8 s alone, 15.7 s together on 2 cores (2,312 HH pairs). As two processes they overlap: 11.2 s.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
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
    _reader = AnswerReader(classifier_dir, lexicon)


def _read(*args: Any) -> AnswerBatch:
    assert _reader is not None, "the worker's initializer loads the reader"
    return _reader.read(*args)


class AnswerWorker:
    """An `AnswerReader` in a spawned process (`process=False`: in this one, for callers that
    already parallelise, such as Ray actors). Loading starts at construction, so it overlaps the
    request encoder's."""

    def __init__(
        self, classifier_dir: str | Path | None, lexicon: str | Path | None, process: bool
    ):
        args = (
            str(classifier_dir) if classifier_dir else None,
            str(lexicon) if lexicon else None,
        )
        self._local: AnswerReader | None = None
        self._pool: ProcessPoolExecutor | None = None
        if process:
            # spawn, not fork: the parent holds onnxruntime and torch thread pools
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=_load, initargs=args)
            self._pool.submit(int, 0)  # start the worker (and its loading) now
        else:
            self._local = AnswerReader(*args)

    def submit(
        self,
        prompts: list[str],
        answers: list[str],
        single_turn: list[bool],
        texts: tuple[list[str], list[str], list[str]],
    ) -> Future[AnswerBatch]:
        if self._pool is not None:
            return self._pool.submit(_read, prompts, answers, single_turn, texts)
        done: Future[AnswerBatch] = Future()
        assert self._local is not None
        try:
            done.set_result(self._local.read(prompts, answers, single_turn, texts))
        except Exception as e:  # noqa: BLE001 - handed to the caller through the future
            done.set_exception(e)
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

"""Scale guards: each capability's per-record paths at two sizes, 4x apart. Linear work costs
about 4x; a path that rescans its input per record (the datapack loader did: minutes at 8,000
chats) costs 16x and fails here, loudly, instead of in a user's run. Times are this process's CPU
time (`time.process_time`, best of 3), so other work on a shared machine does not move them; the
ratio and budgets are generous on purpose. Speed itself is measured in benchmarks/."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import write_jsonl

RATIO = 8.0  # 4x the records may cost at most 8x the time (quadratic: 16x)


def _best_of(f: Callable[[], object], runs: int = 3) -> float:
    """Best CPU time of `runs` calls with the cyclic garbage collector paused: its full passes
    scan every live object, which made 4x the records cost 5-9x here without any rescan in
    the code under test (a failure seen in the suite)."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            t0 = time.process_time()
            f()
            best = min(best, time.process_time() - t0)
        finally:
            gc.enable()
    return best


def _scales(name: str, make: Callable[[int], Callable[[], object]], n: int, budget: float) -> None:
    small, large = _best_of(make(n)), _best_of(make(4 * n))
    print(f"{name}: {n} in {small:.2f} s, {4 * n} in {large:.2f} s ({large / small:.1f}x)")
    assert large <= budget, f"{name}: {large:.1f} s for {4 * n} records (budget {budget} s)"
    assert large / max(small, 1e-3) <= RATIO, f"{name}: {large / small:.1f}x for 4x the records"


def _rows(n: int) -> list[dict]:
    return [
        {
            "chosen": f"\n\nHuman: How do I bake bread number {i}?\n\nAssistant: Knead it {i}.",
            "rejected": f"\n\nHuman: How do I bake bread number {i}?\n\nAssistant: No {i}.",
        }
        for i in range(n)
    ]


def test_readers_scale(tmp_path: Path) -> None:
    from safetylab.io.readers import iter_rows

    def make(n: int) -> Callable[[], object]:
        jl = write_jsonl(tmp_path / f"{n}.jsonl", _rows(n))
        csv = tmp_path / f"{n}.csv"
        pd.DataFrame(_rows(n)).to_csv(csv, index=False)
        return lambda: (sum(1 for _ in iter_rows(jl)), sum(1 for _ in iter_rows(csv)))

    _scales("jsonl + csv readers", make, 10_000, 30)


def test_duplicate_index_scales() -> None:
    from safetylab.audit.flags import DuplicateIndex, pair_hash

    def make(n: int) -> Callable[[], object]:
        reqs = [f"how do i bake a loaf of bread number {i} with rye flour" for i in range(n)]

        def run() -> None:
            idx = DuplicateIndex(0.8)
            for i, r in enumerate(reqs):
                idx.check_add(f"f:{i}", r, pair_hash(r, "a", "b"))

        return run

    _scales("audit duplicate index", make, 2_500, 60)


def test_classifier_scales() -> None:
    from safetylab.classify import ResponseClassifier

    clf = ResponseClassifier()
    base = [
        "I'm sorry, but I can't help with that. It would be illegal.",
        "Sure! Mix the flour and water, knead for ten minutes, then bake at 220 C.",
        "I cannot provide that. However, here is some general information: 1. Be safe.",
    ]

    def make(n: int) -> Callable[[], object]:
        answers = [f"{base[i % 3]} ({i})" for i in range(n)]
        return lambda: clf.predict(["q"] * n, answers)

    _scales("response classifier", make, 2_000, 60)


def test_probe_summary_scales() -> None:
    from safetylab.probe.analysis import summarize

    rng = np.random.default_rng(0)

    def make(n: int) -> Callable[[], object]:
        groups = ["none", "religion:muslim", "gender:women", "race_ethnicity:black"]
        df = pd.DataFrame(
            {
                "id": [f"t{i // 4}-{i % 4}" for i in range(n)],
                "template": [f"t{i // 4}" for i in range(n)],
                "group": [groups[i % 4] for i in range(n)],
                "axis": ["x"] * n,
                "category": [f"c{i % 7}" for i in range(n)],
                "kind": ["safe"] * n,
                "label": rng.choice(["full_compliance", "full_refusal"], n, p=[0.8, 0.2]),
                "styles": [[] for _ in range(n)],
                "sample": [0] * n,
            }
        )
        return lambda: summarize(df, n_boot=0)

    _scales("probe summary", make, 2_000, 60)


def test_grooming_datapack_scales(tmp_path: Path) -> None:
    from safetylab.grooming.corpus import load_datapack

    def make(n: int) -> Callable[[], object]:
        chat = {"label": 0, "user": "u", "segments": [[{"author": "a", "body": "hi"}] * 6]}
        p = tmp_path / f"{n}.json"
        p.write_text(json.dumps({"chats": [{**chat, "id": f"c{i}"} for i in range(n)]}, indent=1))
        return lambda: list(load_datapack(p))

    _scales("grooming datapack", make, 2_000, 30)

"""Response-classifier throughput and held-out quality.

    python benchmarks/bench_classify.py

Throughput: every final answer (chosen and rejected) of the shared HH file, a fresh classifier
(empty embedding cache), after model load. Quality: each held-out file, per class, with the
confusion matrix (rows gold, columns predicted).
"""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
HH = ROOT.parent / "shared" / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"


def main() -> None:
    from safetylab.classify.evaluate import (
        DATA,
        HELDOUT_FILES,
        evaluate,
        format_confusion,
        load_jsonl,
    )
    from safetylab.classify.model import ResponseClassifier
    from safetylab.embed import _load
    from safetylab.io.hh import pair_from_row
    from safetylab.records import Source

    _load(48).encode(["warm-up"])
    prompts, answers = [], []
    with gzip.open(HH, "rt") as fh:
        for i, line in enumerate(fh, 1):
            p = pair_from_row(json.loads(line), Source(str(HH), i))
            prompts += [p.prompt, p.prompt]
            answers += [p.chosen, p.rejected]
    for threshold in (None, 1.01):
        clf = ResponseClassifier(threshold=threshold)
        t0 = time.perf_counter()
        clf.predict(prompts, answers)
        dt = time.perf_counter() - t0
        name = "cascade (default)" if threshold is None else "no cascade (all to stage 2)"
        print(
            f"{name}: {len(answers)} HH answers in {dt:.1f} s = {len(answers) / dt:.0f} "
            f"completions/s; {clf.last_stats['embedded'] / len(answers):.0%} went to stage 2"
        )
    clf = ResponseClassifier()
    allrows = []
    for f in HELDOUT_FILES:
        rows = load_jsonl(DATA / f)
        allrows += rows
        m = evaluate(clf, rows)
        print(f"\n{f}: n={m['n']} accuracy={m['accuracy']:.3f} macro-F1={m['macro_f1']:.3f}")
        for c, v in m["per_class"].items():
            print(
                f"  {c:16s} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} "
                f"n={v['support']}"
            )
        print(format_confusion(m))
    m = evaluate(clf, allrows)
    print(f"\nall held-out: n={m['n']} accuracy={m['accuracy']:.3f} macro-F1={m['macro_f1']:.3f}")
    print("styles (F1):", {s: v["f1"] for s, v in m["styles"].items()})


if __name__ == "__main__":
    main()

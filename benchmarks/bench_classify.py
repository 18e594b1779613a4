"""Response-classifier throughput on real answers.

    python benchmarks/bench_classify.py

Every final answer (chosen and rejected) of the shared HH file: in one process with the
classifier loaded, then end to end through the CLI (`safetylab classify FILE -o OUT`, start-up,
reading and writing included) with `--workers 1` and `--workers 2` on five copies.
Quality figures are `benchmarks/bench_labels.py`.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
HH = ROOT.parent / "shared" / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"


def main() -> None:
    from safetylab.classify.model import ResponseClassifier
    from safetylab.io.hh import pair_from_row
    from safetylab.records import Source

    prompts, answers = [], []
    with gzip.open(HH, "rt") as fh:
        for i, line in enumerate(fh, 1):
            p = pair_from_row(json.loads(line), Source(str(HH), i))
            prompts += [p.prompt, p.prompt]
            answers += [p.chosen, p.rejected]
    clf = ResponseClassifier()
    clf.predict(prompts[:10], answers[:10])  # language model and patterns loaded
    for run in (1, 2):
        t0 = time.perf_counter()
        js = clf.predict(prompts, answers)
        dt = time.perf_counter() - t0
        print(
            f"run {run}: {len(answers)} HH answers in {dt:.1f} s = {len(answers) / dt:.0f} "
            f"completions/s; {sum(not j.valid for j in js)} invalid"
        )
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "hh_answers.csv"
        # five copies (23,120 rows): the classifier caches nothing, and start-up weighs less
        rows = pd.DataFrame({"prompt": prompts * 5, "completion": answers * 5})
        rows.to_csv(src, index=False)
        cli = [sys.executable, "-m", "safetylab.cli", "classify", str(src), "--quiet"]
        for workers in (1, 2, 2):
            out = Path(tmp) / f"out{workers}.parquet"
            t0 = time.perf_counter()
            r = subprocess.run(
                [*cli, "-o", str(out), "--workers", str(workers), "--overwrite"],
                capture_output=True,
                text=True,
            )
            dt = time.perf_counter() - t0
            if r.returncode:
                raise SystemExit(r.stderr)
            print(
                f"CLI --workers {workers}: {len(rows)} answers in {dt:.1f} s end to end = "
                f"{len(rows) / dt:.0f} completions/s"
            )


if __name__ == "__main__":
    main()

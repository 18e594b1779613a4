"""The annotation workbench under load: N annotators for S seconds over real HTTP, the server
SIGKILLed and restarted once in the middle; every acknowledged answer must be in the store.

    python benchmarks/bench_annotate_load.py [--annotators 20] [--seconds 300]

Prints requests/s, latency percentiles, acknowledged saves, and the store check (lost /
duplicated, both must be 0).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "safetylab" / "demo" / "hh_sample.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--annotators", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=300)
    a = ap.parse_args()
    from safetylab.annotate.create import CreateConfig, create_task
    from safetylab.annotate.load import run_load
    from safetylab.annotate.store import TaskStore

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        subprocess.run(
            [sys.executable, "-m", "safetylab.cli", "audit", str(DEMO), "--out", str(tmp / "a"),
             "--quiet"], check=True,
        )  # fmt: skip
        names = [f"ann{i:02d}" for i in range(a.annotators)]
        task = tmp / "task"
        m = create_task(
            CreateConfig(
                source=tmp / "a", out=task, annotators=names, overlap=1.0, sample="uniform"
            )
        )
        store = TaskStore(task)
        items = {n: [store.item_at(n, k).id for k in range(store.n_assigned(n))] for n in names}  # type: ignore[union-attr]
        store.close()
        r = run_load(task, m.tokens or {}, items, seconds=a.seconds, kill_at=a.seconds / 2)
        print(
            f"{r.annotators} annotators, {r.seconds:.0f} s, server killed and restarted once: "
            f"{r.requests} requests ({r.throughput:.0f}/s), {r.saves_acknowledged} saves "
            f"acknowledged, latency p50 {r.latency_ms['p50']} ms / p95 {r.latency_ms['p95']} ms "
            f"/ p99 {r.latency_ms['p99']} ms, {r.errors} requests failed while it was down; "
            f"store check: {r.lost} lost, {r.duplicated} duplicated"
        )


if __name__ == "__main__":
    main()

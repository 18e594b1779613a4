"""Paper-scale federated simulation: 10,000 clients, 10 % sampled per round, in Flower's
simulation engine (Ray backend) on this machine.

    python benchmarks/bench_grooming.py [--users 10000] [--rounds 100] [--fraction 0.1]

Prints the time to build the on-device features, seconds per round, client updates per second,
the projected time for 100 rounds, the final F1 / latency-weighted F1, and peak memory of the
whole process tree (server + Ray workers), sampled every 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def tree_rss_mb() -> float:
    import psutil

    me = psutil.Process()
    procs = [me, *me.children(recursive=True)]
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    # Ray's raylet/GCS and workers are not always our children: count every ray process too.
    for p in psutil.process_iter(["name", "cmdline"]):
        try:
            if p.pid not in {q.pid for q in procs} and "ray" in " ".join(p.info["cmdline"] or []):
                total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--fraction", type=float, default=0.1)
    a = ap.parse_args()

    from safetylab.grooming.corpus import segment
    from safetylab.grooming.fl import FLConfig
    from safetylab.grooming.pipeline import run
    from safetylab.grooming.synth import generate

    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss_mb())
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()
    t0 = time.perf_counter()
    chats = segment(generate(users=a.users, seed=0))
    t_gen = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as d:
        cfg = FLConfig(store="", out=str(Path(d) / "run"), rounds=a.rounds, fraction_fit=a.fraction)
        m = run(chats, cfg)
        hist = [json.loads(x) for x in (Path(d) / "run" / "history.jsonl").read_text().splitlines()]
    stop.set()
    per_round = [hist[i]["seconds"] - hist[i - 1]["seconds"] for i in range(2, len(hist))]
    sampled = int(m["data"]["client_users"] * a.fraction)
    steady = sum(per_round) / len(per_round) if per_round else float("nan")
    print(
        f"{a.users} users -> {m['data']['client_users']} clients, {len(chats)} chats;"
        f" generate {t_gen:.0f} s, features {m['seconds']['features']:.0f} s"
    )
    print(
        f"{a.rounds} rounds x {sampled} clients: first round {hist[1]['seconds']:.1f} s (Ray start),"
        f" then {steady:.2f} s/round = {sampled / steady:.0f} client updates/s;"
        f" total {m['seconds']['total']:.0f} s; projected 100 rounds"
        f" {(hist[1]['seconds'] + 99 * steady) / 60:.1f} min"
    )
    f = m["final"]
    print(
        f"final F1 {f['f1']:.3f}, latency-weighted F1 {f['latency_weighted_f1']:.3f},"
        f" peak RSS (process tree incl. Ray) {peak[0]:.0f} MB, server process"
        f" {m['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()

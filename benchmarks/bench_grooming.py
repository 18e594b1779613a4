"""Paper-scale federated grooming detection: pfl (per-client and batched local training) and
Flower side by side on the same features.

    python benchmarks/bench_grooming.py [--clients 10000] [--per-round 1000] [--rounds 100]
                                        [--flower-rounds 3] [--engines pfl-batched,pfl,flower]

Synthetic chats for enough users that `clients` of them are client devices (a quarter more go
to the server's warm-up and test sets), MiniLM window features once, then each engine on the
same FeatureStore: pfl for all rounds per client and batched, Flower for `flower-rounds` rounds
(its per-round time, projected to 100). Prints seconds per round, client updates per second,
total time, final F1 / latency-weighted F1, and peak RSS of the process tree.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def tree_rss_mb() -> float:
    import psutil

    total = 0
    for p in psutil.process_iter(["cmdline"]):
        try:
            me = p.pid == os.getpid() or p.ppid() == os.getpid()
            if me or "ray" in " ".join(p.info["cmdline"] or []):
                total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--per-round", type=int, default=1_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--flower-rounds", type=int, default=3)
    ap.add_argument("--engines", default="pfl-batched,pfl,flower")
    a = ap.parse_args()

    from safetylab.grooming.corpus import segment
    from safetylab.grooming.fl import FLConfig, simulate
    from safetylab.grooming.pfl_engine import simulate_pfl
    from safetylab.grooming.pipeline import prepare
    from safetylab.grooming.synth import generate

    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss_mb())
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()
    t0 = time.perf_counter()
    chats = segment(generate(users=round(a.clients / 0.75), seed=0))
    t_gen = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        store, data, info = prepare(chats, Path(d) / "prep", 50, None, 0)
        t_feat = time.perf_counter() - t0
        n = info["client_users"]
        print(
            f"{n} client users ({len(chats)} chats, {info['test_chats']} held-out): generate "
            f"{t_gen:.0f} s, on-device features {t_feat:.0f} s"
        )
        frac = a.per_round / n
        every = {
            "pfl-batched": ("pfl, batched local training", "pfl", True, a.rounds),
            "pfl": ("pfl, per-client local training", "pfl", False, a.rounds),
            "flower": ("Flower (Ray simulation)", "flower", False, a.flower_rounds),
        }
        runs = [every[e] for e in a.engines.split(",")]
        for name, engine, batched, rounds in runs:
            # Flower draws the seeded cohorts, so its first round asks every client its
            # partition once (in `total`, not in the per-round figure from rounds 2 on)
            cfg = FLConfig(store=str(store), out=str(Path(d) / name[:6]), rounds=rounds,
                           fraction_fit=frac)  # fmt: skip
            peak[0] = 0.0
            t0 = time.perf_counter()
            if engine == "pfl":
                hist, _ = simulate_pfl(cfg, data, batched)
            else:
                hist = simulate(cfg, data)
            total = time.perf_counter() - t0
            steps = [hist[i]["seconds"] - hist[i - 1]["seconds"] for i in range(2, len(hist))]
            per_round = sum(steps) / len(steps) if steps else total / rounds
            f = hist[-1]
            print(
                f"{name}: {rounds} rounds x {a.per_round} clients in {total:.0f} s; "
                f"{per_round:.2f} s/round = {a.per_round / per_round:.0f} client updates/s; "
                f"projected 100 rounds {(total + (100 - rounds) * per_round) / 60:.1f} min; "
                f"F1 {f['f1']:.3f}, latency-weighted F1 {f['latency_weighted_f1']:.3f}; "
                f"peak RSS {peak[0]:.0f} MB"
            )
    stop.set()


if __name__ == "__main__":
    main()

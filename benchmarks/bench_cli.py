"""What users run, end to end through the `safetylab` CLI, at realistic sizes.

    python benchmarks/bench_cli.py [--parts grooming,audit,classify,probe]
                                   [--clients 10000] [--rounds 100] [--classify-rows 100000]

- grooming: `grooming simulate --users N/0.75` then `grooming train` at paper scale (N client
  users, 10 % = N/10 per round, `--rounds`), once with pfl and once `--batched`; load, features,
  training and report seconds from the run's metrics.json beside the wall time of the command.
- audit: `audit` on the shared HH file (2,312 pairs), float and int8 encoder: wall time, pairs/s.
- classify: `classify` on a CSV of `--classify-rows` answers (HH answers, repeated): rows/s.
- probe: `probe` against the local OpenAI-compatible test server (250 ms latency, 128
  connections): wall time and the share of the ideal rate.

Inner figures (no CLI) are in the other bench_*.py scripts; this one is what a user waits for.
"""

from __future__ import annotations

import argparse
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


def cli(*args: str) -> float:
    """Run `safetylab ARGS`; the wall time in seconds (the command's output is shown)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "safetylab.cli", *args], check=True)
    return time.perf_counter() - t0


def grooming(tmp: Path, clients: int, rounds: int) -> None:
    users = int(clients / 0.75) + 2
    data = tmp / "sim"
    t = cli("grooming", "simulate", "--out", str(data), "--users", str(users))
    size = (data / "chats.json").stat().st_size / 2**20
    print(f"grooming simulate --users {users}: {t:.1f} s ({size:.0f} MB datapack)")
    for name, extra in (("pfl", []), ("pfl --batched", ["--batched"])):
        out = tmp / name.replace(" ", "")
        t = cli(
            "grooming", "train", str(data / "chats.json"), "--out", str(out),
            "--num-clients", str(clients), "--rounds", str(rounds), "--fraction-fit", "0.1",
            *extra,
        )  # fmt: skip
        m = json.loads((out / "metrics.json").read_text())
        s = m["seconds"]
        print(
            f"grooming train ({name}, {m['data']['client_users']} client users, {rounds} rounds"
            f" x {clients // 10} per round): {t:.0f} s wall = load {s['load']} s + features "
            f"{s['features']} s + training {s['training']} s + report {s.get('report')} s "
            f"(+ start-up); F1 {m['final']['f1']:.3f}, latency-weighted F1 "
            f"{m['final']['latency_weighted_f1']:.3f}, peak RSS {m['peak_rss_mb']:.0f} MB"
        )


def audit(tmp: Path) -> None:
    for encoder in ("float", "int8"):
        out = tmp / f"audit-{encoder}"
        t = cli("audit", str(HH), "--out", str(out), "--encoder", encoder, "--quiet")
        s = json.loads((out / "summary.json").read_text())
        n = s["n_pairs"]
        inner = s.get("timing", {}).get("pairs_per_second")
        print(
            f"audit --encoder {encoder} (HH file, {n} pairs): {t:.1f} s wall = {n / t:.0f} "
            f"pairs/s (inner {inner}/s, model loads included)"
        )


def classify(tmp: Path, rows: int) -> None:
    import pandas as pd

    prompts, answers = [], []
    with gzip.open(HH, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            for side in ("chosen", "rejected"):
                head, _, answer = r[side].rpartition("\n\nAssistant:")
                prompts.append(head.rpartition("\n\nHuman:")[2].strip())
                answers.append(answer.strip())
    k = -(-rows // len(answers))
    df = pd.DataFrame({"prompt": prompts * k, "completion": answers * k}).head(rows)
    src = tmp / "answers.csv"
    df.to_csv(src, index=False)
    t = cli("classify", str(src), "-o", str(tmp / "labelled.csv"), "--quiet")
    print(f"classify ({rows} answers, CSV in and out): {t:.1f} s wall = {rows / t:.0f} answers/s")


def probe(tmp: Path) -> None:
    from safetylab.annotate.load import free_port

    port = free_port()
    srv = subprocess.Popen(
        [sys.executable, "-m", "safetylab.backends.testserver", "--port", str(port),
         "--latency", "0.25"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(2)
        out = tmp / "probe"
        t = cli(
            "probe", "--model", "openai/bench", "--base-url", f"http://127.0.0.1:{port}/v1",
            "--out", str(out), "--concurrency", "128", "--quiet",
        )  # fmt: skip
        n = json.loads((out / "summary.json").read_text())["generation"]["requests"]
        print(
            f"probe (test server, 250 ms, 128 connections, {n} requests): {t:.1f} s wall "
            f"(ideal {n / 512:.1f} s of requests)"
        )
    finally:
        srv.terminate()
        srv.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="grooming,audit,classify,probe")
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--classify-rows", type=int, default=100_000)
    a = ap.parse_args()
    parts = a.parts.split(",")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "grooming" in parts:
            grooming(tmp, a.clients, a.rounds)
        if "audit" in parts:
            audit(tmp)
        if "classify" in parts:
            classify(tmp, a.classify_rows)
        if "probe" in parts:
            probe(tmp)


if __name__ == "__main__":
    main()

"""`grooming privacy` at paper scale, end to end through the CLI a user runs.

    python benchmarks/bench_privacy.py [--clients 10000] [--rounds 100] [--per-round 1000]
                                       [--shadows 4] [--dp-fedavg-noise 1.0] [--out DIR]

`grooming simulate` for enough users that `clients` of them are client devices, `grooming train
--batched` without DP and with central DP-FedAvg, then `grooming privacy` on each with its
defaults (K shadow federations, 200 canaries, 1,000-candidate re-identification pool, 4,000
messages per text source). Prints wall time per command and per part of the report, and the
tables the README quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def run(*args: str) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "safetylab.cli", *args], capture_output=True, text=True
    )
    if r.returncode:
        sys.exit(f"safetylab {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--per-round", type=int, default=1_000)
    ap.add_argument("--shadows", type=int, default=4)
    ap.add_argument("--dp-fedavg-noise", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=None, help="keep the runs here")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        d = a.out or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        users = round(a.clients / 0.75)
        t = run("grooming", "simulate", "--out", str(d), "--users", str(users), "--seed", "0")
        print(f"grooming simulate --users {users}: {t:.0f} s")
        frac = str(a.per_round / a.clients)
        runs = {"no DP": (), "DP-FedAvg": ("--dp-fedavg", "server", "--dp-fedavg-noise",
                                           str(a.dp_fedavg_noise))}  # fmt: skip
        reports = {}
        for name, extra in runs.items():
            rd = d / name.replace(" ", "-").lower()
            t = run("grooming", "train", str(d / "chats.json"), "--out", str(rd), "--batched",
                    "--rounds", str(a.rounds), "--fraction-fit", frac, *extra)  # fmt: skip
            print(
                f"grooming train --batched ({name}, {a.rounds} rounds x {a.per_round}): {t:.0f} s"
            )
            t = run("grooming", "privacy", str(rd), "--shadows", str(a.shadows))
            rep = json.loads((rd / "privacy.json").read_text())
            reports[name] = rep
            parts = ", ".join(f"{k} {v:.0f} s" for k, v in rep["seconds"].items() if k != "total")
            print(f"grooming privacy ({name}, K={a.shadows}): {t:.0f} s wall ({parts})")

        print_tables(reports)


def _ci(v: list[float], fmt: str = ".3f") -> str:
    return f"[{v[0]:{fmt}}, {v[1]:{fmt}}]"


def print_tables(reports: dict[str, dict]) -> None:
    rep = reports["no DP"]
    md = rep["metric_dp"]
    sources = list(md["median_distance"])
    med = ", ".join(f"{s} {v:.2f}" for s, v in md["median_distance"].items())
    print(f"\nmetric-DP, {md['dim']}-d MiniLM unit vectors; median distance {med}")
    head = " | ".join(f"{s} top-1 [95% CI]" for s in sources)
    print(f"| eta | eta x median | {head} | chats word F1 (prior) |")
    print("|---" * (3 + len(sources)) + "|")
    for eta in sorted({r["eta"] for r in md["reidentification"]}):
        rows = {r["source"]: r for r in md["reidentification"] if r["eta"] == eta}
        tr = next(t for t in md["token_recovery"] if t["eta"] == eta and t["source"] == "chats")
        cells = " | ".join(f"{rows[s]['top1']:.3f} {_ci(rows[s]['top1_ci95'])}" for s in sources)
        scale = rows["chats"]["scale"]
        print(f"| {eta:g} | {scale:.0f} | {cells} | {tr['f1']:.3f} ({tr['prior_f1']:.3f}) |")
    for source in sources:
        sens = [
            f"eta {t['eta']:g} {t['sensitive_recall']}"
            for t in md["token_recovery"]
            if t["source"] == source
        ]
        print(f"sensitive-word recall, {source}: " + ", ".join(sens))
    print(
        "\n| run | membership AUC, loss | reference (K) | TPR at 1% FPR | empirical eps >= "
        "| accountant eps |"
    )
    print("|---|---|---|---|---|---|")
    for name, r in reports.items():
        m, e = r["membership"], r["empirical_epsilon"]
        loss, ref = m["loss"], m["reference"]
        print(
            f"| {name} | {loss['auc']:.3f} {_ci(loss['auc_ci95'], '.2f')} | {ref['auc']:.3f} "
            f"{_ci(ref['auc_ci95'], '.2f')} ({m['shadows']}) | {ref['tpr_at_fpr']['0.01']:.3f} "
            f"| {e['lower_bound']} ({e['canaries']} canaries, {e['score']}) "
            f"| {e['accountant_epsilon']} |"
        )
    g = rep["gradient_inversion"]
    print(
        f"\ngradient inversion |cos|: FedAvg {g['fedavg']['mean_cosine']:.3f}, DP-FedAvg "
        f"{g['dp_fedavg']['mean_cosine']:.3f}, DP-SGD {g['dp_sgd']['mean_cosine']:.3f}, "
        "SecAgg+ not visible"
    )


if __name__ == "__main__":
    main()

"""Training throughput and peak memory of `finetune train` (TRL) for the tiny model on CPU.

    python benchmarks/bench_finetune.py [--steps 30] [--pairs 256]

Real text: the first --pairs of the shared HH file are audited, the `full` variant is built,
and SFT and DPO each train --steps steps in their own process (so peak RSS is per method).
Tokens/s counts the tokens TRL fed the model (prompt + answer; chosen + rejected for DPO).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
HH = ROOT.parent / "shared" / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "safetylab.cli", *args], check=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=256)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cli("audit", str(HH), "--limit", str(a.pairs), "--out", str(tmp / "audit"), "--quiet")
        cli("finetune", "variants", str(tmp / "audit"), "--out", str(tmp / "v"), "-v", "full")
        cli("finetune", "tiny-model", "--out", str(tmp / "tiny"))
        (tmp / "cfg.yaml").write_text(
            f"max_steps: {a.steps}\nper_device_train_batch_size: {a.batch}\n"
            f"max_length: {a.max_length}\nlearning_rate: 1.0e-3\nsave_steps: 1000\n"
        )
        print(
            f"tiny Llama (2 layers, hidden 64, 30,522-token WordPiece vocab), {a.pairs} HH pairs,"
            f" batch {a.batch}, max_length {a.max_length}, {a.steps} steps, torch threads:"
            f" {os.cpu_count()} cores"
        )
        for method in ("sft", "dpo"):
            out = tmp / method
            cli("finetune", "train", "--variant", str(tmp / "v" / "full"), "--out", str(out),
                "--method", method, "--base-model", str(tmp / "tiny"),
                "--config", str(tmp / "cfg.yaml"))  # fmt: skip
            m = json.loads((out / "metrics.json").read_text())
            print(
                f"{method}: {m['tokens']} tokens in {m['seconds']} s = {m['tokens_per_s']} tokens/s"
                f" ({m['steps'] / m['seconds']:.2f} steps/s), loss {m['first_loss']:.3f} ->"
                f" {m['last_loss']:.3f}, peak RSS {m['peak_rss_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()

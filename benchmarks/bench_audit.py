"""Audit throughput, peak memory, and the audit/embedding time ratio.

    python benchmarks/bench_audit.py [DATA] [--replicate N] [--limit N] [--encoder int8]
        [--engine ray [--workers N] [--address ADDR]]

Runs the audit on DATA (default: the shared HH harmless-base test file), then encodes exactly the
texts the audit embedded with the same encoder (the request-harm head's), and prints both times
and their ratio. With --replicate N the file is concatenated N times first (scale and
memory-flatness check; replicas repeat texts, so the embedding cache makes them cheaper than new
data - the unique-text figures are the honest throughput). With --engine ray the batches go to
Ray actors (a local runtime of --workers processes, or the cluster at --address); the audit time
then includes Ray's start and every actor's model loads, which one process loads beforehand.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hwm_mb(pid: int) -> float:
    """A live process's peak RSS (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--replicate", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--encoder", choices=("float", "int8"), default="float")
    ap.add_argument("--engine", choices=("local", "ray"), default="local")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--address", default=None)
    args = ap.parse_args()

    from safetylab.audit.harm import HarmHead
    from safetylab.audit.pipeline import AuditConfig, Auditor, join_parts
    from safetylab.embed import backend

    tmp = Path(tempfile.mkdtemp())
    data = args.data
    if args.replicate > 1:
        data = tmp / "replicated.jsonl.gz"
        raw = (
            gzip.decompress(args.data.read_bytes())
            if args.data.suffix == ".gz"
            else args.data.read_bytes()
        )
        with gzip.open(data, "wb", compresslevel=1) as fh:
            for _ in range(args.replicate):
                fh.write(raw)
    # model loads (the in-memory ONNX export, the answer worker's) are not part of either timing
    int8 = args.encoder == "int8"
    HarmHead.embedder(int8).encode(["warm-up"])
    rss0 = peak_rss_mb()
    cfg = AuditConfig(
        [data],
        tmp / "out",
        limit=args.limit,
        batch_size=args.batch_size,
        encoder=args.encoder,
        engine=args.engine,
        workers=args.workers,
        ray_address=args.address,
    )
    auditor = Auditor(cfg)
    auditor.answers.submit(["hi"], ["hello"], [True], ([""], [""], [""])).result()  # loaded
    t0 = time.perf_counter()
    state = auditor.run()
    join_parts(cfg.out, state.parts)
    audit_s = time.perf_counter() - t0
    worker_mb = sum(_hwm_mb(pid) for pid in auditor.answers.pids())
    auditor.close()
    if args.engine == "ray":  # the actors embedded: embed what one process would have
        from safetylab.audit.featurize import Featurizer
        from safetylab.audit.pipeline import human_turns
        from safetylab.io.hh import pair_from_row
        from safetylab.io.readers import iter_rows

        fz = Featurizer(auditor.harm_head, int8=int8)
        pairs = [pair_from_row(r.data, r.source) for r in iter_rows(data)][: args.limit]
        fz.conversation_harm(human_turns(pairs))
        auditor.fz = fz
    texts = list(auditor.fz.cache._store)
    rss_audit = peak_rss_mb()
    t1 = time.perf_counter()
    emb = HarmHead.embedder(int8)  # the audit's encoder (adapter merged), no cache
    for i in range(0, len(texts), 4096):
        emb.encode(texts[i : i + 4096])
    embed_s = time.perf_counter() - t1
    n = state.pairs
    print(f"data: {args.data} x{args.replicate} ({n} pairs, {len(texts)} unique texts embedded)")
    print(f"audit wall time: {audit_s:.1f} s  ({n / audit_s:.1f} pairs/s)")
    print(f"embedding alone, same texts: {embed_s:.1f} s  ({len(texts) / embed_s:.0f} texts/s)")
    print(f"ratio audit / embedding: {audit_s / embed_s:.2f}")
    print(f"peak RSS: {rss_audit:.0f} MB (after model load: {rss0:.0f} MB)", end="")
    print(f"; answer worker process {worker_mb:.0f} MB")
    py = sys.version.split()[0]
    print(
        f"python {py}, {os.cpu_count()} cores, {args.encoder} encoder on {backend()}, "
        f"engine {args.engine}"
        + (f" ({state.pairs} pairs over Ray actors)" if args.engine == "ray" else "")
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

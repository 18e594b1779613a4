"""OpenAI-compatible client throughput against a local server with a fixed latency.

    python benchmarks/bench_probe_http.py [--latency 0.25]

The server (safetylab.backends.testserver, aiohttp) runs in its own process on 127.0.0.1 so it
does not share the client's event loop or GIL. Ideal throughput = concurrency / latency; the
figure is achieved / ideal. Then a full probe runs twice into one --out: the second run must send
zero requests (the resume/cache path).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency", type=float, default=0.25)
    args = ap.parse_args()
    from safetylab.backends.base import GenerationRequest
    from safetylab.backends.openai import OpenAIBackend

    port = free_port()
    srv = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "safetylab.backends.testserver",
            "--port",
            str(port),
            "--latency",
            str(args.latency),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_up(port)
        base = f"http://127.0.0.1:{port}/v1"
        for conc, n in ((16, 1280), (128, 5120), (512, 20480)):
            be = OpenAIBackend("bench", base_url=base, concurrency=conc)
            reqs = [GenerationRequest(f"question {i}") for i in range(n)]
            got: list = []
            t0, c0 = time.perf_counter(), time.process_time()
            be.generate(reqs, lambda i, r, got=got: got.append(r))
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            ideal = conc / args.latency
            print(
                f"concurrency {conc:4d}: {n} requests in {dt:.2f} s = {n / dt:.1f} req/s, "
                f"ideal {ideal:.0f} -> {n / dt / ideal:.2f} of ideal; client CPU "
                f"{cpu / n * 1000:.2f} ms/request; errors {sum(1 for r in got if r.error)}"
            )
        out = Path(tempfile.mkdtemp())
        cmd = [
            sys.executable,
            "-m",
            "safetylab.cli",
            "probe",
            "--model",
            "openai/bench",
            "--base-url",
            base,
            "--out",
            str(out),
            "--concurrency",
            "128",
            "--quiet",
        ]
        for attempt in (1, 2):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            import json

            gen = json.loads((out / "summary.json").read_text())["generation"]
            print(
                f"probe run {attempt}: {gen['requests']} requests, {gen['sent']} sent, "
                f"{gen['cached']} from cache, {time.perf_counter() - t0:.1f} s"
            )
    finally:
        srv.terminate()
        srv.wait()


if __name__ == "__main__":
    main()

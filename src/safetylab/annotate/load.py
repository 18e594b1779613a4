"""Many annotators at once against a real workbench server: does every acknowledged answer land?

Each simulated annotator is a thread with its own HTTP connection (httpx) that opens item pages
and saves answers — each save a new value, so the last acknowledged value of every (annotator,
item, field) is known. The server runs in its own process (`safetylab annotate serve`); it can
be killed with SIGKILL mid-load and started again (clients retry what was not acknowledged).
Afterwards the store is compared with what the clients were told was saved: an answer that was
acknowledged and is missing or older is lost; the store's primary key makes a duplicate
impossible, and the check counts rows per key anyway.

Used by `tests/test_annotate.py` (seconds) and `benchmarks/bench_annotate_load.py` (minutes).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.annotate.store import DB

_OPTIONS = ("acceptable", "harmful", "refusal", "evasive")


@dataclass
class LoadResult:
    annotators: int
    seconds: float
    requests: int
    saves_acknowledged: int
    errors: int  # requests that failed (server down, refused): retried, never acknowledged
    latency_ms: dict[str, float]
    lost: int  # acknowledged, but the store holds another (older) value or none
    duplicated: int  # rows sharing one (annotator, item, field): must be 0
    restarts: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """`safetylab annotate serve TASK` in a child process on 127.0.0.1."""

    def __init__(self, task: Path, port: int):
        self.task, self.port = task, port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "safetylab.cli", "annotate", "serve", str(self.task),
             "--port", str(self.port), "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"workbench on port {self.port} did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def _annotator(
    base: str,
    token: str,
    items: list[str],
    stop: threading.Event,
    seed: int,
    acked: dict[tuple[str, str], str],
    unacked: dict[tuple[str, str], set[str]],
    lat: list[float],
    counters: list[int],
) -> None:
    import httpx

    rng = np.random.default_rng(seed)
    pending = unacked
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10.0) as client:
        k = 0
        while not stop.is_set():
            pos = int(rng.integers(len(items)))
            item = items[pos]
            try:
                t0 = time.perf_counter()
                if k % 4 == 0:  # now and then, open the page as a browser would
                    r = client.get(f"/item/{pos}")
                else:
                    value = _OPTIONS[int(rng.integers(len(_OPTIONS)))]
                    key = (item, "chosen_quality")
                    # sent but not yet acknowledged: the server may have saved it and died
                    pending.setdefault(key, set()).add(value)
                    r = client.post(
                        "/api/answer",
                        json={"item_id": item, "field": "chosen_quality", "value": value},
                    )
                    if r.status_code == 200:
                        acked[key] = value
                        pending[key] = set()
                lat.append(time.perf_counter() - t0)
                counters[0] += 1
                if r.status_code >= 500:
                    counters[1] += 1
            except httpx.HTTPError:
                counters[1] += 1
                time.sleep(0.05)  # the server is down or restarting: try again
            k += 1


def run_load(
    task: Path,
    tokens: dict[str, str],
    items: dict[str, list[str]],
    seconds: float,
    kill_at: float | None = None,
    port: int | None = None,
) -> LoadResult:
    """Every annotator in `tokens` works for `seconds`; the server is SIGKILLed and restarted at
    `kill_at` seconds when given. Returns the figures and the store check."""
    port = port or free_port()
    server = ServerProcess(task, port)
    server.start()
    stop = threading.Event()
    acked: dict[str, dict[tuple[str, str], str]] = {a: {} for a in tokens}
    unacked: dict[str, dict[tuple[str, str], set[str]]] = {a: {} for a in tokens}
    lats: dict[str, list[float]] = {a: [] for a in tokens}
    counts: dict[str, list[int]] = {a: [0, 0] for a in tokens}
    threads = [
        threading.Thread(
            target=_annotator,
            args=(
                f"http://127.0.0.1:{port}",
                tok,
                items[a],
                stop,
                i,
                acked[a],
                unacked[a],
                lats[a],
                counts[a],
            ),  # fmt: skip
            daemon=True,
        )
        for i, (a, tok) in enumerate(tokens.items())
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    restarts = 0
    try:
        if kill_at is not None and kill_at < seconds:
            time.sleep(kill_at)
            server.kill()
            restarts += 1
            server.start()
        time.sleep(max(0.0, seconds - (time.perf_counter() - t0)))
        stop.set()
        for t in threads:
            t.join(30)
        elapsed = time.perf_counter() - t0
    finally:
        stop.set()
        server.stop()
    return _check(task, acked, unacked, lats, counts, elapsed, restarts)


def _check(
    task: Path,
    acked: dict[str, dict[tuple[str, str], str]],
    unacked: dict[str, dict[tuple[str, str], set[str]]],
    lats: dict[str, list[float]],
    counts: dict[str, list[int]],
    elapsed: float,
    restarts: int,
) -> LoadResult:
    import sqlite3

    db = sqlite3.connect(task / DB)
    rows = db.execute("SELECT annotator, item_id, field, value FROM answers").fetchall()
    dup = db.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM answers GROUP BY annotator, item_id, field"
        " HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    db.close()
    stored = {(a, i, f): json.loads(v) for a, i, f, v in rows}
    # the store must hold the last acknowledged value, or one sent after it whose reply was
    # lost when the server died (saved, not acknowledged: not a loss)
    lost = sum(
        stored.get((a, item, f)) != v
        and stored.get((a, item, f)) not in unacked[a].get((item, f), set())
        for a, kv in acked.items()
        for (item, f), v in kv.items()
    )
    all_lat = np.array([x for v in lats.values() for x in v]) * 1000
    pct = {
        f"p{q}": round(float(np.percentile(all_lat, q)), 1) if len(all_lat) else 0.0
        for q in (50, 95, 99)
    }
    return LoadResult(
        annotators=len(acked),
        seconds=round(elapsed, 1),
        requests=sum(c[0] for c in counts.values()),
        saves_acknowledged=sum(len(v) for v in acked.values()),
        errors=sum(c[1] for c in counts.values()),
        latency_ms=pct,
        lost=int(lost),
        duplicated=int(dup),
        restarts=restarts,
    )

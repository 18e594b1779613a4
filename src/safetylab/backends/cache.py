"""SQLite request cache: one row per (model, full request), written as each answer arrives.

Re-running the same probe reads answers from here and sends nothing twice; a run killed at any
moment keeps every answer that had come back (WAL mode, a commit per answer).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class RequestCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, model TEXT,"
            " text TEXT NOT NULL, finish_reason TEXT, created REAL DEFAULT "
            "(unixepoch('subsec')))"
        )
        self.lock = threading.Lock()

    def get_many(self, keys: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = f"SELECT key, text FROM completions WHERE key IN ({','.join('?' * len(chunk))})"
            out.update(dict(self.db.execute(q, chunk).fetchall()))
        return out

    def put(self, key: str, model: str, text: str, finish_reason: str | None) -> None:
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO completions (key, model, text, finish_reason)"
                " VALUES (?, ?, ?, ?)",
                (key, model, text, finish_reason),
            )
            self.db.commit()

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def close(self) -> None:
        with self.lock:
            self.db.commit()
            self.db.close()

"""One SQLite file per annotation task: items, annotators, assignments and every answer.

Answers are written (and committed) the moment they are given, one row per item x annotator x
field, so a closed browser or a killed server loses nothing. Tokens are stored as SHA-256
hashes; the plain tokens are shown once, when the task is created.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetylab.annotate.schema import Schema, load_schema
from safetylab.errors import SafetylabError

DB = "task.sqlite"
SCHEMA_FILE = "schema.yaml"

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, stratum TEXT, payload TEXT NOT NULL, auto TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS annotators (name TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS assignments (
  annotator TEXT NOT NULL, position INTEGER NOT NULL, item_id TEXT NOT NULL,
  PRIMARY KEY (annotator, position), UNIQUE (annotator, item_id)
);
CREATE TABLE IF NOT EXISTS answers (
  annotator TEXT NOT NULL, item_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
  updated REAL NOT NULL, PRIMARY KEY (annotator, item_id, field)
);
CREATE TABLE IF NOT EXISTS skips (
  annotator TEXT NOT NULL, item_id TEXT NOT NULL, updated REAL NOT NULL,
  PRIMARY KEY (annotator, item_id)
);
"""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # "response", "pair" or "paper": which template shows it
    stratum: str | None
    payload: dict[str, Any]
    auto: dict[str, Any]  # automatic labels (hidden from annotators when the task says so)


class TaskStore:
    def __init__(self, task_dir: Path, create: bool = False):
        self.dir = task_dir
        path = task_dir / DB
        if not create and not path.exists():
            raise SafetylabError(
                f"{task_dir}: not an annotation task (no {DB}); see `annotate create`"
            )
        task_dir.mkdir(parents=True, exist_ok=True)
        # answers are personal data: owner-only, like tokens.txt (SQLite gives its -wal and -shm
        # files the database file's mode)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_DDL)
        self.schema: Schema = (
            load_schema(task_dir / SCHEMA_FILE) if (task_dir / SCHEMA_FILE).exists() else None  # type: ignore[assignment]
        )

    def close(self) -> None:
        self.db.close()

    # -- creation ---------------------------------------------------------------------------
    def set_meta(self, **kv: Any) -> None:
        with self._lock:
            self.db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in kv.items()],
            )

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}

    def add_items(self, items: list[Item]) -> None:
        with self._lock:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
                [
                    (i.id, i.kind, i.stratum, json.dumps(i.payload), json.dumps(i.auto))
                    for i in items
                ],
            )
            self.db.execute("COMMIT")

    def add_annotator(self, name: str, items: list[str]) -> str:
        """Register an annotator with their ordered items; returns their new token."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO annotators VALUES (?, ?)", (name, token_hash(token)))
            self.db.executemany(
                "INSERT INTO assignments VALUES (?, ?, ?)",
                [(name, k, item) for k, item in enumerate(items)],
            )
            self.db.execute("COMMIT")
        return token

    # -- serving ----------------------------------------------------------------------------
    def annotator_for(self, token: str) -> str | None:
        row = self.db.execute(
            "SELECT name FROM annotators WHERE token_sha256 = ?", (token_hash(token),)
        ).fetchone()
        return row[0] if row else None

    def n_assigned(self, annotator: str) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM assignments WHERE annotator = ?", (annotator,)
        ).fetchone()[0]

    def item_at(self, annotator: str, position: int) -> Item | None:
        row = self.db.execute(
            "SELECT i.id, i.kind, i.stratum, i.payload, i.auto FROM assignments a"
            " JOIN items i ON i.id = a.item_id WHERE a.annotator = ? AND a.position = ?",
            (annotator, position),
        ).fetchone()
        if not row:
            return None
        return Item(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]))

    def answers_for(self, annotator: str, item_id: str) -> dict[str, Any]:
        return {
            f: json.loads(v)
            for f, v in self.db.execute(
                "SELECT field, value FROM answers WHERE annotator = ? AND item_id = ?",
                (annotator, item_id),
            )
        }

    def save_answer(self, annotator: str, item_id: str, field: str, value: Any) -> Any:
        """Validate against the schema and commit at once; an empty value deletes the answer."""
        f = self.schema.field(field)
        with self._lock:
            if value in (None, "", []):
                self.db.execute(
                    "DELETE FROM answers WHERE annotator = ? AND item_id = ? AND field = ?",
                    (annotator, item_id, field),
                )
                return None
            stored = f.validate(value)
            self.db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                (annotator, item_id, field, json.dumps(stored), time.time()),
            )
            self.db.execute(
                "DELETE FROM skips WHERE annotator = ? AND item_id = ?", (annotator, item_id)
            )
        return stored

    def skip(self, annotator: str, item_id: str) -> None:
        with self._lock:
            self.db.execute(
                "INSERT OR REPLACE INTO skips VALUES (?, ?, ?)", (annotator, item_id, time.time())
            )

    def is_assigned(self, annotator: str, item_id: str) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM assignments WHERE annotator = ? AND item_id = ?",
                (annotator, item_id),
            ).fetchone()
            is not None
        )

    def progress(self, annotator: str) -> dict[str, int]:
        """Items with every required field answered, skipped items, and the total."""
        required = [f.name for f in self.schema.fields if f.required] or [
            self.schema.fields[0].name
        ]
        marks = ",".join("?" * len(required))
        done = self.db.execute(
            f"SELECT COUNT(*) FROM (SELECT item_id FROM answers WHERE annotator = ?"
            f" AND field IN ({marks}) GROUP BY item_id HAVING COUNT(*) = ?)",
            (annotator, *required, len(required)),
        ).fetchone()[0]
        skipped = self.db.execute(
            "SELECT COUNT(*) FROM skips WHERE annotator = ?", (annotator,)
        ).fetchone()[0]
        return {"done": done, "skipped": skipped, "total": self.n_assigned(annotator)}

    def first_open(self, annotator: str) -> int:
        """Position of the first item without an answer or skip (to resume where one left)."""
        row = self.db.execute(
            "SELECT MIN(a.position) FROM assignments a WHERE a.annotator = ?"
            " AND NOT EXISTS (SELECT 1 FROM answers x WHERE x.annotator = a.annotator"
            " AND x.item_id = a.item_id) AND NOT EXISTS (SELECT 1 FROM skips s"
            " WHERE s.annotator = a.annotator AND s.item_id = a.item_id)",
            (annotator,),
        ).fetchone()
        return row[0] if row[0] is not None else 0

    # -- export -----------------------------------------------------------------------------
    def all_answers(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT x.item_id, x.annotator, x.field, x.value, x.updated, i.stratum, i.auto"
            " FROM answers x JOIN items i ON i.id = x.item_id ORDER BY x.item_id, x.annotator"
        )
        return [
            {
                "item_id": r[0],
                "annotator": r[1],
                "field": r[2],
                "value": json.loads(r[3]),
                "updated": r[4],
                "stratum": r[5],
                "auto": json.loads(r[6]),
            }
            for r in rows
        ]

    def items(self) -> list[Item]:
        return [
            Item(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]))
            for r in self.db.execute("SELECT id, kind, stratum, payload, auto FROM items")
        ]

    def annotators(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM annotators ORDER BY name")]

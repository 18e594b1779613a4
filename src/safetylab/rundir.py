"""Run directories: every file name a capability writes, the one writer lock, the atomic JSON
writer, and one typed reader per kind of run.

Every command writes one directory (`--out DIR`). While it works it holds an exclusive `flock` on
`DIR/.lock`: a second command on the same directory stops at once with the pid of the first
instead of mixing its rows into the other's files; the lock dies with its process, so a killed
run leaves nothing to clean up. Code and tests read a finished directory back through the
`*Run` classes, whose `summary` is the capability's typed result model, instead of joining file
names themselves.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import pandas as pd

from safetylab.errors import SafetylabError

if TYPE_CHECKING:
    from safetylab.results import (
        AuditSummary,
        ExperimentSummary,
        GroomingSummary,
        ProbeSummary,
        Result,
    )

LOCK = ".lock"

SUMMARY = "summary.json"
REPORT = "report.html"
STATE = "state.json"
CONFIG = "config.json"
PAIRS = "pairs.parquet"  # audit
PARTS = "parts"  # audit, while it runs
RESPONSES = "responses.jsonl"  # probe
CACHE = "cache.sqlite"  # probe: generations
JUDGE_CACHE = "judge.sqlite"  # any --judge
ANSWERS = "answers.parquet"  # finetune experiment
METRICS = "metrics.json"  # finetune train, grooming
HISTORY = "history.jsonl"  # grooming


def finite(obj: Any) -> Any:
    """NaN and infinities become null: bare `NaN` tokens are not JSON, and no reader accepts
    them. (The statistics report a missing figure as None; this is the last guard.)"""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return finite(obj.item())  # numpy scalars
    return obj


def dumps(obj: Any, indent: int | None = None) -> str:
    """The one JSON encoder for files safetylab writes: always valid JSON."""
    return json.dumps(finite(obj), indent=indent, default=str, ensure_ascii=False, allow_nan=False)


def write_json(path: Path, obj: Any) -> Path:
    """Write JSON atomically: a reader never sees half a file, a crash never leaves one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(obj, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


@contextlib.contextmanager
def exclusive(directory: Path, what: str = "safetylab") -> Iterator[Path]:
    """Hold DIR for this process; `SafetylabError` naming the holder if another has it. A
    directory this call created is removed again when the work fails before writing anything
    into it (a failed `annotate create` leaves no half-made task behind)."""
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise SafetylabError(
                f"{directory} is in use by {holder}; wait for it to finish or choose another "
                "output directory"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({what})".encode(), 0)
        try:
            yield directory
        except BaseException:
            if created and [p.name for p in directory.iterdir()] == [LOCK]:
                with contextlib.suppress(OSError):
                    path.unlink()
                    directory.rmdir()
            raise
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@dataclass
class _Run:
    """A finished run directory and the typed result that says what it found."""

    FILE: ClassVar[str] = SUMMARY
    dir: Path
    data: Result = field(repr=False)

    @classmethod
    def result_model(cls) -> type[Result]:
        raise NotImplementedError

    @classmethod
    def load(cls, directory: str | Path) -> Self:
        d = Path(directory)
        return cls(d, cls.result_model().read(d / cls.FILE))

    @property
    def report(self) -> Path:
        return self.dir / REPORT


class AuditRun(_Run):
    @classmethod
    def result_model(cls) -> type[Result]:
        from safetylab.results import AuditSummary

        return AuditSummary

    @property
    def summary(self) -> AuditSummary:
        return self.data  # type: ignore[return-value]

    @property
    def n_pairs(self) -> int:
        return self.summary.n_pairs

    @property
    def pairs_path(self) -> Path:
        return self.dir / PAIRS

    def pairs(self, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.pairs_path, columns=columns)


class ProbeRun(_Run):
    @classmethod
    def result_model(cls) -> type[Result]:
        from safetylab.results import ProbeSummary

        return ProbeSummary

    @property
    def summary(self) -> ProbeSummary:
        return self.data  # type: ignore[return-value]

    @property
    def model(self) -> str:
        return self.summary.model or ""

    def responses(self) -> pd.DataFrame:
        return pd.read_json(self.dir / RESPONSES, lines=True, dtype={"id": str})


class ExperimentRun(_Run):
    @classmethod
    def result_model(cls) -> type[Result]:
        from safetylab.results import ExperimentSummary

        return ExperimentSummary

    @property
    def summary(self) -> ExperimentSummary:
        return self.data  # type: ignore[return-value]

    def answers(self) -> pd.DataFrame:
        return pd.read_parquet(self.dir / ANSWERS)


class GroomingRun(_Run):
    FILE = METRICS

    @classmethod
    def result_model(cls) -> type[Result]:
        from safetylab.results import GroomingSummary

        return GroomingSummary

    @property
    def metrics(self) -> GroomingSummary:
        return self.data  # type: ignore[return-value]

    def history(self) -> list[dict[str, Any]]:
        path = self.dir / HISTORY
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]

    @property
    def epsilon(self) -> float | None:
        """The largest per-client DP-SGD epsilon spent, if DP-SGD ran."""
        eps = (self.metrics.privacy.get("dp_sgd") or {}).get("epsilon_max")
        return None if eps is None else float(eps)

"""Run directories: their file names, and one typed way to read each kind back.

Every capability writes one directory (`--out DIR`); code and tests read it back through these
classes instead of joining file names themselves.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import pandas as pd

from safetylab.errors import SafetylabError

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


def _json(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise SafetylabError(f"{path.parent}: no {path.name} here; is this a finished run?")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SafetylabError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SafetylabError(f"{path}: expected a JSON object")
    return data


@dataclass
class _Run:
    """A finished run directory and the JSON file that says what it found."""

    FILE = SUMMARY
    dir: Path
    data: dict[str, Any] = field(repr=False)

    @classmethod
    def load(cls, directory: str | Path) -> Self:
        d = Path(directory)
        return cls(d, _json(d / cls.FILE))

    @property
    def summary(self) -> dict[str, Any]:
        return self.data

    @property
    def report(self) -> Path:
        return self.dir / REPORT


class AuditRun(_Run):
    @property
    def n_pairs(self) -> int:
        return int(self.data["n_pairs"])

    @property
    def pairs_path(self) -> Path:
        return self.dir / PAIRS

    def pairs(self, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.pairs_path, columns=columns)


class ProbeRun(_Run):
    @property
    def model(self) -> str:
        return str(self.data.get("model", ""))

    def responses(self) -> pd.DataFrame:
        return pd.read_json(self.dir / RESPONSES, lines=True, dtype={"id": str})


class ExperimentRun(_Run):
    def answers(self) -> pd.DataFrame:
        return pd.read_parquet(self.dir / ANSWERS)


class GroomingRun(_Run):
    FILE = METRICS

    @property
    def metrics(self) -> dict[str, Any]:
        return self.data

    def history(self) -> list[dict[str, Any]]:
        path = self.dir / HISTORY
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]

    @property
    def epsilon(self) -> float | None:
        """The largest per-client DP-SGD epsilon spent, if DP-SGD ran."""
        return ((self.data.get("privacy") or {}).get("dp_sgd") or {}).get("epsilon_max")

"""Whole-table I/O for commands whose input is a table of modest size (classify, probe)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.errors import InputError
from safetylab.io.readers import iter_rows


def read_table(
    path: str | Path, required: list[str] | None = None, with_lines: bool = False
) -> pd.DataFrame:
    """Read csv/jsonl/parquet into a DataFrame, failing with file:line on the first bad row.
    `with_lines` adds `_line`, each row's line (or row number), for errors about values."""
    rows = []
    for row in iter_rows(path):
        if row.error:
            raise row.error
        rows.append({**row.data, "_line": row.source.line} if with_lines else row.data)  # type: ignore[dict-item]
    df = pd.DataFrame(rows)
    for col in required or []:
        if col not in df.columns:
            have = ", ".join(map(str, df.columns)) or "none"
            raise InputError(str(path), None, f"missing column '{col}' (columns: {have})", col)
    return df


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write by extension; the file is replaced atomically so a crash never leaves half a file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    name = p.name.lower()
    if name.endswith(".parquet"):
        df.to_parquet(tmp, index=False)
    elif name.endswith(".csv"):
        df.to_csv(tmp, index=False)
    elif name.endswith((".jsonl", ".ndjson")):
        df.to_json(tmp, orient="records", lines=True, force_ascii=False)
    else:
        raise InputError(str(p), None, "output must end in .csv, .jsonl or .parquet")
    tmp.replace(p)


_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})


def is_missing(value: object) -> bool:
    """An empty cell: None, NaN, or blank text."""
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def parse_bool(value: object, path: str, line: int | None, field: str) -> bool:
    """true/false, yes/no, 1/0 in any case ("False" in a CSV is False, not a non-empty string)."""
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise InputError(path, line, f"expected true or false, got {value!r}", field)


def parse_int(value: object, path: str, line: int | None, field: str, minimum: int = 0) -> int:
    """A whole number, never a truncated one: 1.5 and "0.9" are errors, 3.0 and "3" are 3."""
    if isinstance(value, bool):
        raise InputError(path, line, f"{field} must be a whole number, got {value!r}", field)
    try:
        f = float(str(value).strip())
    except ValueError:
        raise InputError(
            path, line, f"{field} must be a whole number, got {value!r}", field
        ) from None
    if not math.isfinite(f) or f != int(f):
        raise InputError(path, line, f"{field} must be a whole number, got {value!r}", field)
    if int(f) < minimum:
        raise InputError(path, line, f"{field} must be at least {minimum}, got {value!r}", field)
    return int(f)


def parse_inclusion_prob(value: object, path: str, line: int | None, n_items: int) -> float:
    """An inclusion probability in [1/n_items, 1]: no sampling design gives an item a smaller
    chance than one in the population, and a tiny one would let a single label swamp every
    estimate (1e-300 made the shares sum to 119 %)."""
    try:
        p = float(str(value).strip())
    except ValueError:
        raise InputError(
            path, line, f"inclusion_prob must be a number in (0, 1], got {value!r}",
            "inclusion_prob",
        ) from None  # fmt: skip
    lo = 1.0 / max(n_items, 1)
    if not math.isfinite(p) or not lo * (1 - 1e-9) <= p <= 1:
        raise InputError(
            path, line, f"inclusion_prob must lie in [1/{n_items}, 1], got {value!r}",
            "inclusion_prob",
        )  # fmt: skip
    return p


def check_weights_complete(
    rows: list[dict[str, Any]], lines: list[int], path: str, key: str = "weight"
) -> None:
    """Inclusion probabilities on some lines but not others is a mistake, not a design: say
    which line lacks one instead of estimating with NaN weights."""
    have = [key in r for r in rows]
    if any(have) and not all(have):
        line = lines[have.index(False)]
        raise InputError(
            path, line, "no inclusion_prob here, but other lines have one: give it on every line "
            "or on none", "inclusion_prob",
        )  # fmt: skip

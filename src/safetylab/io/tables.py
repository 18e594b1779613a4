"""Whole-table I/O for commands whose input is a table of modest size (classify, probe)."""

from __future__ import annotations

from pathlib import Path

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

"""Stream rows from a data file without loading it whole.

Every row carries its `Source` (file and 1-based line, or row number for columnar formats); a row
that cannot be read comes back as an `InputError` instead of data, so the caller decides whether to
stop (the default) or skip and count it (`--skip-invalid`).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetylab.errors import InputError
from safetylab.records import Source

SUPPORTED = ".jsonl, .jsonl.gz, .json.gz, .csv, .csv.gz, .parquet, or a local HF datasets directory"


@dataclass(frozen=True, slots=True)
class Row:
    source: Source
    data: dict[str, Any] | None
    error: InputError | None = None


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if path.is_dir():
        return "hf"
    for suffix, fmt in (
        (".jsonl.gz", "jsonl"),
        (".json.gz", "jsonl"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".csv.gz", "csv"),
        (".csv", "csv"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
    ):
        if name.endswith(suffix):
            return fmt
    raise InputError(str(path), None, f"unsupported file type; expected {SUPPORTED}")


def _open_bytes(path: Path) -> io.BufferedIOBase:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _iter_jsonl(path: Path) -> Iterator[Row]:
    fname = str(path)
    lineno = 0
    with _open_bytes(path) as fh:
        try:
            for raw in fh:
                lineno += 1
                src = Source(fname, lineno)
                if not raw.strip():
                    continue
                try:
                    text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    yield Row(
                        src,
                        None,
                        InputError(
                            fname, lineno, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
                        ),
                    )
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield Row(
                        src,
                        None,
                        InputError(fname, lineno, f"bad JSON: {exc.msg} (column {exc.colno})"),
                    )
                    continue
                bad = _bad_text(obj)
                if bad is not None:
                    yield Row(src, None, InputError(fname, lineno, bad[1], bad[0]))
                    continue
                if not isinstance(obj, dict):
                    yield Row(
                        src,
                        None,
                        InputError(
                            fname, lineno, f"expected a JSON object, got {type(obj).__name__}"
                        ),
                    )
                    continue
                yield Row(src, obj)
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
            # A truncated or corrupt gzip stream: report where reading stopped, then end.
            yield Row(
                Source(fname, lineno + 1),
                None,
                InputError(
                    fname, lineno + 1, f"file is truncated or corrupt after line {lineno}: {exc}"
                ),
            )


def _iter_csv(path: Path) -> Iterator[Row]:
    """Records are numbered by the line they start on (a quoted field may span lines). Bytes
    that are not UTF-8 are kept apart per record (surrogateescape), so one bad byte costs its own
    record, named by line, and never the rest of the file."""
    fname = str(path)
    csv.field_size_limit(sys.maxsize)
    with _open_bytes(path) as fb:
        text = io.TextIOWrapper(fb, encoding="utf-8-sig", errors="surrogateescape", newline="")  # type: ignore[type-var]
        reader = csv.DictReader(text)
        try:
            header = reader.fieldnames
            if not header:
                return
            while True:
                start = reader.line_num + 1
                try:
                    rec = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    yield Row(
                        Source(fname, start), None, InputError(fname, start, f"bad CSV: {exc}")
                    )
                    continue
                if None in rec:
                    yield Row(
                        Source(fname, start),
                        None,
                        InputError(
                            fname,
                            start,
                            f"{len(header) + len(rec[None])} fields, header has {len(header)}",
                        ),
                    )
                    continue
                bad = _bad_text(rec)
                if bad is not None:
                    yield Row(Source(fname, start), None, InputError(fname, start, bad[1], bad[0]))
                    continue
                yield Row(Source(fname, start), dict(rec))
        except (EOFError, zlib.error, OSError) as exc:
            line = reader.line_num + 1
            yield Row(
                Source(fname, line),
                None,
                InputError(fname, line, f"file is truncated or corrupt: {exc}"),
            )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _bad_text(obj: Any, field: str | None = None) -> tuple[str | None, str] | None:
    """(field, message) for the first string holding a lone surrogate: an undecodable byte
    (surrogateescape) or a JSON escape like "\\ud800" that no encoder or tokenizer accepts."""
    if isinstance(obj, str):
        m = _SURROGATE.search(obj)
        if m is None:
            return None
        ch = ord(m.group())
        if 0xDC80 <= ch <= 0xDCFF:
            return field, f"not valid UTF-8 (byte 0x{ch - 0xDC00:02x} at character {m.start()})"
        return field, f"invalid text: lone surrogate \\u{ch:04x} at character {m.start()}"
    if isinstance(obj, dict):
        for k, v in obj.items():
            hit = _bad_text(v, k if field is None else f"{field}.{k}")
            if hit is not None:
                return hit
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            hit = _bad_text(v, f"{field}[{i}]" if field else f"[{i}]")
            if hit is not None:
                return hit
    return None


def _iter_parquet(path: Path, batch_size: int = 2048) -> Iterator[Row]:
    import pyarrow.parquet as pq

    fname = str(path)
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged footer
        raise InputError(fname, None, f"not a readable Parquet file: {exc}") from exc
    n = 0
    for batch in pf.iter_batches(batch_size=batch_size):
        for rec in batch.to_pylist():
            n += 1
            yield Row(Source(fname, n), rec)


def _iter_hf(path: Path) -> Iterator[Row]:
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - optional extra
        raise InputError(
            str(path),
            None,
            "reading HF dataset directories needs the 'hf' extra: pip install 'safetylab[hf]'",
        ) from exc
    try:
        ds = datasets.load_from_disk(str(path))
    except Exception as exc:
        raise InputError(str(path), None, f"not a dataset saved with save_to_disk: {exc}") from exc
    splits = ds.items() if isinstance(ds, datasets.DatasetDict) else [(None, ds)]
    for split, part in splits:
        fname = f"{path}/{split}" if split else str(path)
        for i, rec in enumerate(part, start=1):
            yield Row(Source(fname, i), dict(rec))


def iter_rows(path: str | Path) -> Iterator[Row]:
    """Yield every row of `path` in order; unreadable rows come back with `error` set."""
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), None, "no such file or directory")
    fmt = detect_format(p)
    reader: dict[str, Callable[[Path], Iterator[Row]]] = {
        "jsonl": _iter_jsonl,
        "csv": _iter_csv,
        "parquet": _iter_parquet,
        "hf": _iter_hf,
    }
    yield from reader[fmt](p)

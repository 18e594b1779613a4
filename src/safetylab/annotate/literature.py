"""Literature coding: import citing papers (BibTeX or CSV), rank by influence, summarise codes.

Influence is citations per year since publication (citations / (this year - year + 1)), so a
two-year-old paper with 400 citations ranks above a six-year-old one with 600; `--rank-by
citations` uses raw counts instead.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.errors import InputError, SafetylabError

COLUMNS = ("key", "title", "year", "venue", "citations", "abstract")


def _int(value: Any, path: Path, where: int | None, field: str, required: bool) -> int | None:
    if value is None or str(value).strip() == "":
        if required:
            raise InputError(str(path), where, "missing value", field)
        return None
    try:
        return int(str(value).strip().replace(",", ""))
    except ValueError:
        raise InputError(str(path), where, f"not a whole number: {value!r}", field) from None


def _from_bibtex(path: Path) -> list[dict[str, Any]]:
    import bibtexparser

    text = path.read_text(encoding="utf-8-sig")
    db = bibtexparser.loads(text)
    starts: dict[str, int] = {}
    line, prev = 1, 0
    for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)", text):
        line += text.count("\n", prev, m.start())  # running count: one pass over the file
        prev = m.start()
        starts[m.group(1)] = line
    rows = []
    for e in db.entries:
        at = starts.get(e.get("ID"))
        if not e.get("title"):
            raise InputError(str(path), at, "entry without a title", e.get("ID"))
        cites = e.get("citations") or e.get("citation_count") or e.get("note", "")
        hit = (
            re.search(r"(\d[\d,]*)\s*citations?", cites)
            if not str(cites).strip().isdigit()
            else None
        )
        rows.append(
            {
                "key": e.get("ID"),
                "title": re.sub(r"[{}]", "", e["title"]).strip(),
                "year": _int(e.get("year"), path, at, "year", True),
                "venue": e.get("journal") or e.get("booktitle") or e.get("publisher") or "",
                "citations": _int(hit.group(1) if hit else cites, path, at, "citations", False)
                or 0,
                "abstract": e.get("abstract", ""),
            }
        )
    return rows


def _from_csv(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t" if path.suffix == ".tsv" else ",")
        cols = {c.lower().strip(): c for c in reader.fieldnames or []}
        if "title" not in cols or "year" not in cols:
            raise InputError(str(path), 1, f"needs columns title and year; has {list(cols)}")
        for i, r in enumerate(reader, 2):
            title = (r.get(cols["title"]) or "").strip()
            if not title:
                raise InputError(str(path), i, "missing value", "title")

            def get(name: str, r: dict[str, str] = r) -> str | None:
                return r.get(cols[name]) if name in cols else None

            rows.append(
                {
                    "key": (get("key") or get("id") or f"row{i}").strip(),
                    "title": title,
                    "year": _int(get("year"), path, i, "year", True),
                    "venue": (get("venue") or "").strip(),
                    "citations": _int(get("citations"), path, i, "citations", False) or 0,
                    "abstract": (get("abstract") or "").strip(),
                }
            )
    return rows


def load_bibliography(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SafetylabError(f"{path}: no such file")
    rows = _from_bibtex(path) if path.suffix.lower() == ".bib" else _from_csv(path)
    if not rows:
        raise SafetylabError(f"{path}: no papers found")
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    dups = df.key[df.key.duplicated()].tolist()
    if dups:
        raise SafetylabError(f"{path}: duplicate keys {dups[:5]}")
    return df


def rank_by_influence(
    df: pd.DataFrame, by: str = "influence", year: int | None = None
) -> pd.DataFrame:
    year = year or dt.date.today().year
    df = df.copy()
    age = (year - df.year.clip(upper=year) + 1).clip(lower=1)
    df["influence"] = (df.citations / age).round(2)
    df = df.sort_values([by, "citations", "title"], ascending=[False, False, True])
    df["rank"] = range(1, len(df) + 1)
    return df.reset_index(drop=True)


def code_summary(answers: pd.DataFrame, schema_fields: list[Any]) -> dict[str, Any]:
    """Per coded field: how many papers got each code (majority over annotators), with Wilson
    CIs; multi-choice fields count a paper for every code it got."""
    from safetylab.stats import rate

    out: dict[str, Any] = {}
    for f in schema_fields:
        if f.type == "text":
            continue
        sub = answers[answers.field == f.name]
        if sub.empty:
            continue
        per_item = sub.groupby("item_id")["value"].agg(list)
        n = len(per_item)
        counts: dict[str, int] = {}
        for values in per_item:
            votes: dict[str, int] = {}
            for v in values:
                for x in v if isinstance(v, list) else [v]:
                    votes[x] = votes.get(x, 0) + 1
            # A code counts for a paper when at least half its annotators gave it.
            for x, c in votes.items():
                if c * 2 >= len(values):
                    counts[x] = counts.get(x, 0) + 1
        out[f.name] = {o.value: rate(counts.get(o.value, 0), n) for o in f.options}
    return out

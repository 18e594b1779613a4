"""`annotate create`: a task from an audit, a probe or a bibliography.

Items are sampled per stratum (harm category, group, model label, ...) so rare strata are
annotated too; each annotator gets their own share plus the overlap items everyone annotates,
which is what agreement is computed on. Automatic labels are kept with every item and can be
hidden from annotators so they do not anchor on them.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from safetylab.annotate.literature import load_bibliography, rank_by_influence
from safetylab.annotate.schema import SCHEMAS, load_schema
from safetylab.annotate.store import DB, SCHEMA_FILE, Item, TaskStore
from safetylab.errors import SafetylabError
from safetylab.results import AnnotationTask
from safetylab.rundir import PAIRS, RESPONSES, exclusive

DEFAULT_SCHEMA = {"audit": "pair", "probe": "response", "bibliography": "literature"}
DEFAULT_STRATUM = {"audit": "harm_top", "probe": "group", "bibliography": None}


@dataclass
class CreateConfig:
    source: Path
    out: Path
    annotators: list[str]
    schema: str | None = None
    stratify: str | None = None
    per_stratum: int | None = None
    n: int | None = None
    overlap: float = 0.2
    hide_auto: bool = True
    seed: int = 0
    top: int = 100
    sample: str = "stratified"  # or "uniform": a simple random sample of n items

    def __post_init__(self) -> None:
        for name in ("n", "per_stratum", "top"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise SafetylabError(f"--{name.replace('_', '-')} must be a whole number >= 1")
        if not 0 <= self.overlap <= 1:
            raise SafetylabError("--overlap must be within 0..1")
        if self.sample not in ("stratified", "uniform"):
            raise SafetylabError("--sample must be stratified or uniform")


def detect_source(path: Path) -> str:
    if path.is_dir() and (path / PAIRS).exists():
        return "audit"
    if path.is_dir() and (path / RESPONSES).exists():
        return "probe"
    if path.is_file() and path.suffix.lower() in (".bib", ".csv", ".tsv"):
        return "bibliography"
    raise SafetylabError(
        f"{path}: expected an audit directory (pairs.parquet), a probe directory"
        " (responses.jsonl) or a bibliography (.bib or .csv)"
    )


def _audit_items(path: Path) -> tuple[pd.DataFrame, list[Item]]:
    df = pd.read_parquet(path / PAIRS)
    items = []
    for r in df.itertuples(index=False):
        ctx = json.loads(r.context) if "context" in df.columns else [["human", r.prompt]]
        items.append(
            Item(
                id=f"{r.source_file}:{r.source_line}",
                kind="pair",
                stratum=None,
                payload={"context": ctx, "chosen": r.chosen, "rejected": r.rejected},
                auto={
                    "chosen_quality": r.chosen_quality,
                    "rejected_quality": r.rejected_quality,
                    "prompt_harmful": str(bool(r.prompt_harmful)).lower(),
                    "harm_top": r.harm_top,
                    "chosen_label": r.chosen_label,
                },
            )
        )
    return df, items


def _probe_items(path: Path) -> tuple[pd.DataFrame, list[Item]]:
    rows = [json.loads(x) for x in (path / RESPONSES).read_text().splitlines() if x]
    df = pd.DataFrame(rows)
    items = [
        Item(
            id=f"{r['id']}#{r.get('sample', 0)}",
            kind="response",
            stratum=None,
            payload={"prompt": r["prompt"], "response": r["completion"], "group": r["group"]},
            auto={"label": r["label"], "styles": r.get("styles", [])},
        )
        for r in rows
    ]
    return df, items


def _paper_items(path: Path, top: int) -> tuple[pd.DataFrame, list[Item]]:
    df = rank_by_influence(load_bibliography(path)).head(top).reset_index(drop=True)
    items = [
        Item(
            id=str(r["key"]),
            kind="paper",
            stratum=None,
            payload={
                k: (None if pd.isna(r[k]) else r[k])
                for k in ("title", "year", "venue", "citations", "abstract", "rank", "influence")
            },  # fmt: skip
            auto={},
        )
        for r in df.to_dict("records")
    ]
    return df, items


def uniform_sample(n_items: int, n: int | None, seed: int) -> tuple[list[int], list[float]]:
    """A simple random sample of `n` rows (all rows when n is None); each row's inclusion
    probability is n / N, which prediction-powered estimates need."""
    k = n_items if n is None else min(int(n), n_items)
    rng = np.random.default_rng(seed)
    rows = sorted(int(i) for i in rng.choice(n_items, size=k, replace=False))
    return rows, [k / n_items] * k


def stratified_sample(
    strata: pd.Series, per_stratum: int | None, n: int | None, seed: int
) -> list[int]:
    """Row positions: up to `per_stratum` per stratum, or `n` in total split as evenly as the
    strata allow (small strata give all they have, the rest goes to larger ones)."""
    return stratified_sample_with_probs(strata, per_stratum, n, seed)[0]


def stratified_sample_with_probs(
    strata: pd.Series, per_stratum: int | None, n: int | None, seed: int
) -> tuple[list[int], list[float]]:
    """`stratified_sample` and each chosen row's inclusion probability (taken / stratum size)."""
    rng = np.random.default_rng(seed)
    groups = {k: rng.permutation(np.flatnonzero(strata.to_numpy() == k)) for k in strata.unique()}
    if per_stratum is None and n is None:
        rows = sorted(int(i) for g in groups.values() for i in g)
        return rows, [1.0] * len(rows)
    if per_stratum is not None:
        take = {k: min(len(g), per_stratum) for k, g in groups.items()}
    else:
        if int(n) < len(groups):  # type: ignore[arg-type]
            raise SafetylabError(
                f"--n {n} is fewer than the {len(groups)} strata: every stratum needs at least "
                f"one item (use --n {len(groups)} or more, --per-stratum, or --sample uniform)"
            )
        take = {k: 0 for k in groups}
        left = min(int(n), len(strata))  # type: ignore[arg-type]
        while left > 0:
            open_ = [k for k in groups if take[k] < len(groups[k])]
            share = max(left // len(open_), 1)
            for k in sorted(open_, key=lambda k: len(groups[k])):
                add = min(share, len(groups[k]) - take[k], left)
                take[k] += add
                left -= add
    prob = {int(i): take[k] / len(g) for k, g in groups.items() for i in g[: take[k]]}
    rows = sorted(prob)
    return rows, [prob[i] for i in rows]


def assign(
    item_ids: list[str], annotators: list[str], overlap: float, seed: int
) -> dict[str, list[str]]:
    """Overlap items go to everyone; the rest are dealt round-robin. Orders are shuffled."""
    if not annotators:
        raise SafetylabError("at least one annotator is needed (--annotators a,b)")
    if not 0 <= overlap <= 1:
        raise SafetylabError("--overlap must be within 0..1")
    rng = np.random.default_rng(seed)
    ids = list(rng.permutation(item_ids))
    k = round(len(ids) * overlap) if len(annotators) > 1 else len(ids)
    shared, rest = ids[:k], ids[k:]
    out = {a: list(shared) for a in annotators}
    for j, item in enumerate(rest):
        out[annotators[j % len(annotators)]].append(item)
    return {a: [str(x) for x in rng.permutation(v)] for a, v in out.items()}


def create_task(cfg: CreateConfig) -> AnnotationTask:
    """Build the task directory; returns the manifest with the tokens (shown once)."""
    with exclusive(cfg.out, "safetylab annotate create"):
        return _create_task(cfg)


def _create_task(cfg: CreateConfig) -> AnnotationTask:
    if (cfg.out / DB).exists():
        raise SafetylabError(f"{cfg.out}: a task already exists here; choose another directory")
    kind = detect_source(cfg.source)
    schema_spec = cfg.schema or DEFAULT_SCHEMA[kind]
    schema = load_schema(schema_spec)
    if kind == "audit":
        df, items = _audit_items(cfg.source)
    elif kind == "probe":
        df, items = _probe_items(cfg.source)
    else:
        df, items = _paper_items(cfg.source, cfg.top)
    col = cfg.stratify or DEFAULT_STRATUM[kind]
    if col is not None and col not in df.columns:
        raise SafetylabError(
            f"--stratify {col!r}: not a column of {cfg.source}; columns: {', '.join(df.columns)}"
        )
    if cfg.sample not in ("stratified", "uniform"):
        raise SafetylabError(f"--sample must be stratified or uniform, not {cfg.sample!r}")
    if cfg.sample == "uniform":
        if cfg.per_stratum is not None:
            raise SafetylabError("--per-stratum belongs to --sample stratified; give --n")
        col = None
        strata = pd.Series(["all"] * len(df))
        chosen, probs = uniform_sample(len(df), cfg.n, cfg.seed)
    else:
        strata = df[col].astype(str) if col else pd.Series(["all"] * len(df))
        chosen, probs = stratified_sample_with_probs(strata, cfg.per_stratum, cfg.n, cfg.seed)
    if not chosen:
        raise SafetylabError(f"{cfg.source}: nothing to annotate")
    items = [
        Item(items[i].id, items[i].kind, strata.iloc[i], items[i].payload, items[i].auto)
        for i in chosen
    ]
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise SafetylabError(f"{cfg.source}: item ids are not unique")
    cfg.out.mkdir(parents=True, exist_ok=True)
    src = Path(schema_spec) if Path(schema_spec).exists() else SCHEMAS / f"{schema_spec}.yaml"
    shutil.copyfile(src, cfg.out / SCHEMA_FILE)
    store = TaskStore(cfg.out, create=True)
    try:
        store.add_items(items)
        store.set_meta(
            sampling={
                "method": cfg.sample,
                "stratify": col,
                "population": len(df),
                "inclusion_prob": dict(zip(ids, probs, strict=True)),
            }
        )
        plan = assign(ids, cfg.annotators, cfg.overlap, cfg.seed)
        tokens = {a: store.add_annotator(a, plan[a]) for a in cfg.annotators}
        manifest = {
            "source": str(cfg.source),
            "source_kind": kind,
            "schema": schema.name,
            "stratify": col,
            "items": len(items),
            "strata": {
                str(k): int(v)
                for k, v in pd.Series([i.stratum for i in items]).value_counts().items()
            },
            "annotators": {a: len(plan[a]) for a in cfg.annotators},
            "overlap_items": round(len(items) * cfg.overlap)
            if len(cfg.annotators) > 1
            else len(items),
            "hide_auto": cfg.hide_auto,
            "seed": cfg.seed,
            "sample": cfg.sample,
        }
        store.set_meta(**manifest)
    finally:
        store.close()
    return AnnotationTask.model_validate({**manifest, "tokens": tokens})

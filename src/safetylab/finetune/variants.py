"""Named dataset variants built from an audit's pairs.parquet, each with a manifest.

A variant is a filter over the audit's columns (`keep`, a pandas expression) plus, for
dose-response variants, a share of one flagged kind of pair. Dose levels reuse one seeded
permutation, so the pairs kept at 25 % are also kept at 50 %: the levels are nested.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safetylab.errors import SafetylabError
from safetylab.lexicon import load_yaml
from safetylab.rundir import PAIRS, dumps, exclusive, write_json

BUILTIN = Path(__file__).with_name("data") / "variants.yaml"
ROLE = {"human": "user", "assistant": "assistant", "system": "system"}


@dataclass
class VariantSpec:
    name: str
    keep: str = "True"
    description: str = ""
    dose_flag: str | None = None  # boolean audit column whose pairs are kept at `dose` share
    dose: float | None = None  # 0..1
    seed: int = 0
    requires_subsets: list[str] = field(default_factory=list)


def builtin_specs() -> dict[str, VariantSpec]:
    data = load_yaml(BUILTIN)
    return {k: VariantSpec(name=k, **v) for k, v in data.items()}


def parse_spec(text: str) -> VariantSpec:
    """`NAME` (built-in) or `NAME=EXPRESSION` (user-defined filter)."""
    specs = builtin_specs()
    if "=" in text and not text.split("=", 1)[0].strip().startswith(("(", "not ")):
        name, expr = (s.strip() for s in text.split("=", 1))
        if not name or not expr:
            raise SafetylabError(f"variant {text!r}: expected NAME=EXPRESSION")
        return VariantSpec(name=name, keep=expr, description=f"user filter: {expr}")
    if text not in specs:
        raise SafetylabError(
            f"unknown variant {text!r}: built-in ones are {', '.join(specs)};"
            " or define one as NAME=EXPRESSION over the audit columns"
        )
    return specs[text]


def dose_specs(
    flag: str, levels: list[float], keep: str = "True", seed: int = 0
) -> list[VariantSpec]:
    """One variant per level (percent, 0..100) keeping that share of the `flag` pairs."""
    out = []
    for lv in levels:
        if not 0 <= lv <= 100:
            raise SafetylabError(f"dose level {lv}: must be within 0..100")
        out.append(
            VariantSpec(
                name=f"dose-{flag}-{int(round(lv)):03d}",
                keep=keep,
                description=f"keeps {lv:g}% of the pairs where {flag} is true",
                dose_flag=flag,
                dose=lv / 100,
                seed=seed,
            )
        )
    return out


def load_audit(audit_dir: Path) -> pd.DataFrame:
    path = audit_dir / PAIRS
    if not path.exists():
        raise SafetylabError(f"{audit_dir}: no pairs.parquet (run `safetylab audit` first)")
    df = pd.read_parquet(path)
    if "context" not in df.columns:
        raise SafetylabError(
            f"{path}: has no 'context' column (written by an older safetylab); re-run the audit"
        )
    return df


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def select(df: pd.DataFrame, spec: VariantSpec) -> np.ndarray:
    """Boolean mask of the pairs the variant keeps."""
    if spec.requires_subsets:
        have = {s.split("-")[0] for s in df["subset"].unique() if s}
        missing = [s for s in spec.requires_subsets if s not in have]
        if missing:
            raise SafetylabError(
                f"variant {spec.name!r} needs the {', '.join(spec.requires_subsets)} subsets;"
                f" the audit has {sorted(have) or 'none'} (subsets come from file names or a"
                " 'split' field)"
            )
    try:
        res = df.eval(spec.keep, engine="python")
    except Exception as exc:  # pandas raises many kinds; all mean a bad expression
        cols = ", ".join(c for c in df.columns if df[c].dtype == bool)
        raise SafetylabError(
            f"variant {spec.name!r}: cannot evaluate {spec.keep!r}: {exc}."
            f" Boolean audit columns: {cols}"
        ) from None
    mask = np.broadcast_to(np.asarray(res, dtype=bool), (len(df),)).copy()
    if spec.dose_flag is not None:
        if spec.dose_flag not in df.columns or df[spec.dose_flag].dtype != bool:
            raise SafetylabError(f"dose flag {spec.dose_flag!r} is not a boolean audit column")
        flagged = np.flatnonzero(mask & df[spec.dose_flag].to_numpy())
        order = np.random.default_rng(spec.seed).permutation(flagged)
        k = int(round(len(flagged) * (spec.dose or 0.0)))
        mask[order[k:]] = False
    return mask


def to_example(row: pd.Series) -> dict[str, Any]:
    """TRL's conversational preference format (also read as prompt/completion for SFT)."""
    ctx = [{"role": ROLE[r], "content": t} for r, t in json.loads(row["context"])]
    return {
        "id": f"{row['source_file']}:{row['source_line']}",
        "prompt": ctx,
        "chosen": [{"role": "assistant", "content": row["chosen"]}],
        "rejected": [{"role": "assistant", "content": row["rejected"]}],
    }


def build_variant(df: pd.DataFrame, spec: VariantSpec, out: Path, source: Path) -> dict[str, Any]:
    """Write out/pairs.jsonl and out/manifest.json; returns the manifest."""
    mask = select(df, spec)
    kept = df[mask]
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "pairs.jsonl.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for _, row in kept.iterrows():
            fh.write(dumps(to_example(row)) + "\n")
    tmp.replace(out / "pairs.jsonl")
    flags = [c for c in ("chosen_refusal", "chosen_harmful", "chosen_acceptable") if c in df]
    manifest = {
        "name": spec.name,
        "spec": asdict(spec),
        "n_source": len(df),
        "n_kept": int(mask.sum()),
        "n_dropped": int((~mask).sum()),
        "kept_share": round(float(mask.mean()), 4) if len(df) else None,
        "flag_counts_kept": {c: int(kept[c].sum()) for c in flags},
        "flag_counts_source": {c: int(df[c].sum()) for c in flags},
        "subsets": {str(k): int(v) for k, v in kept["subset"].value_counts().items()},
        "source": str(source),
        "source_sha256": file_hash(source),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_json(out / "manifest.json", manifest)
    return manifest


def build_variants(
    audit_dir: Path, specs: list[VariantSpec], out: Path, force: bool = False
) -> list[dict[str, Any]]:
    """Build each variant under out/NAME; an existing variant from another source is an error
    unless `force`, so nothing is overwritten silently."""
    df = load_audit(audit_dir)
    src = audit_dir / PAIRS
    digest = file_hash(src)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise SafetylabError(f"duplicate variant names: {names}")
    manifests = []
    with exclusive(out, "safetylab finetune variants"):
        for spec in specs:
            manifests.append(_one_variant(df, spec, out / spec.name, src, digest, force))
    return manifests


def _one_variant(
    df: pd.DataFrame, spec: VariantSpec, vdir: Path, src: Path, digest: str, force: bool
) -> dict[str, Any]:
    old = vdir / "manifest.json"
    if old.exists() and not force:
        m = json.loads(old.read_text())
        if m.get("source_sha256") == digest and m.get("spec") == asdict(spec):
            return m
        raise SafetylabError(
            f"{vdir}: a different variant is already there (other source or filter);"
            " use --force to replace it"
        )
    return build_variant(df, spec, vdir, src)

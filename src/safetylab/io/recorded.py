"""Recorded completions from the eval tools people already use, for `replay/`: inspect_ai
`.eval` / `.json` logs and lm-evaluation-harness `samples_*.jsonl` logs, as a table with
columns id, sample, prompt, completion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.errors import InputError


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # inspect message content parts
        return "".join(getattr(c, "text", "") or "" for c in content)
    return str(content)


def read_inspect_log(path: str | Path) -> pd.DataFrame:
    try:
        from inspect_ai.log import read_eval_log
    except ImportError as exc:
        raise InputError(
            str(path),
            None,
            "reading inspect logs needs inspect-ai: pip install 'safetylab[inspect]'",
        ) from exc
    log = read_eval_log(str(path))
    rows = []
    for s in log.samples or []:
        if s.error is not None:  # no completion was recorded for this sample
            continue
        prompt = (
            s.input
            if isinstance(s.input, str)
            else _text(next((m.content for m in reversed(s.input) if m.role == "user"), ""))
        )
        rows.append(
            {
                "id": str(s.id),
                "sample": int(s.epoch) - 1,
                "prompt": prompt,
                "completion": s.output.completion if s.output else "",
            }
        )
    if not rows:
        raise InputError(str(path), None, "the log has no samples")
    return pd.DataFrame(rows)


def read_scored_inspect_log(path: str | Path) -> pd.DataFrame:
    """An inspect log scored by `safetylab.inspect.refusal_scorer`, as probe responses: one row
    per sample with its metadata (group, axis, category, kind, template from `probe prompts
    --inspect`) and the scorer's label and styles."""
    from inspect_ai.log import read_eval_log

    log = read_eval_log(str(path))
    rows = []
    for s in log.samples or []:
        sc = (s.scores or {}).get("refusal_scorer")
        if sc is None:
            raise InputError(str(path), None, "not scored by safetylab's refusal_scorer")
        meta = dict(s.metadata or {})
        rows.append(
            {
                "id": str(s.id),
                "sample": int(s.epoch) - 1,
                "group": str(meta.get("group", "none")),
                "axis": meta.get("axis", ""),
                "category": meta.get("category", ""),
                "kind": meta.get("kind", "safe"),
                "template": meta.get("template", str(s.id)),
                "label": str(sc.value),
                "styles": list((sc.metadata or {}).get("styles", [])),
                "model": log.eval.model,
            }
        )
    if not rows:
        raise InputError(str(path), None, "the log has no samples")
    return pd.DataFrame(rows)


def read_lm_eval_samples(path: str | Path) -> pd.DataFrame:
    """lm-evaluation-harness `--log_samples` output: one JSON object per document."""
    rows = []
    with open(path, encoding="utf-8-sig") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(str(path), i, f"bad JSON: {exc.msg}") from None
            if "doc_id" not in rec or ("resps" not in rec and "filtered_resps" not in rec):
                raise InputError(str(path), i, "not an lm-eval sample (needs doc_id and resps)")
            args = rec.get("arguments")
            if isinstance(args, dict):  # newer versions: {"gen_args_0": {"arg_0": prompt, ...}}
                first: Any = next(iter(args.values()), {})
                prompt = first.get("arg_0", "") if isinstance(first, dict) else ""
            elif isinstance(args, list) and args:
                prompt = args[0][0] if isinstance(args[0], list) else str(args[0])
            else:
                prompt = ""
            resp = rec.get("filtered_resps") or rec.get("resps")
            while isinstance(resp, list):
                resp = resp[0] if resp else ""
            doc = rec.get("doc") or {}
            rows.append(
                {
                    "id": str(doc.get("id", rec["doc_id"])),
                    "sample": 0,
                    "prompt": doc.get("prompt", prompt),
                    "completion": str(resp),
                }
            )
    return pd.DataFrame(rows)


def read_recorded(path: str | Path) -> pd.DataFrame | None:
    """A recorded-completions table from a log format, or None for a plain table."""
    name = str(path).lower()
    if name.endswith(".eval"):
        return read_inspect_log(path)
    if name.endswith(".jsonl") and Path(path).name.startswith("samples_"):
        return read_lm_eval_samples(path)
    if name.endswith(".json"):
        head = Path(path).read_text(encoding="utf-8")[:2000]
        if '"eval"' in head and '"samples"' in Path(path).read_text(encoding="utf-8"):
            return read_inspect_log(path)
    return None

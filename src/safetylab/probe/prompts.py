"""Probe prompt sets: the built-in counterfactual generator, and import of any prompt file."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from safetylab.errors import InputError
from safetylab.lexicon import load_yaml

TEMPLATES = Path(__file__).parent / "data" / "templates.yaml"
CONTROL = "control"


@dataclass(frozen=True)
class ProbePrompt:
    id: str
    prompt: str
    group: str  # "axis:name", "axis:a+axis:b" for intersections, or "control"
    axis: str  # the group's axis, "intersection" or "control"
    category: str
    template: str  # counterfactual set id: same template, only the group differs
    kind: str = "safe"  # "safe" (harmless by design) or "unsafe" (contrast)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def generate(
    path: str | Path = TEMPLATES,
    groups: list[str] | None = None,
    intersections: bool = True,
    unsafe: bool = False,
) -> list[ProbePrompt]:
    """Templates x groups (+ intersections) + one control per template."""
    data = load_yaml(path)
    src = str(path)
    for key in ("templates", "groups", "control"):
        if key not in data:
            raise InputError(src, None, f"missing '{key}'", key)
    gmap: dict[str, dict[str, str]] = data["groups"]
    if groups:
        unknown = [g for g in groups if g not in gmap]
        if unknown:
            raise InputError(src, None, f"unknown groups {unknown}; known: {sorted(gmap)}")
        gmap = {g: gmap[g] for g in groups}
    cells: list[tuple[str, str, dict[str, str]]] = [
        (g, g.split(":")[0], v) for g, v in gmap.items()
    ]
    if intersections:
        for cell in data.get("intersections") or []:
            if not groups or all(g in groups for g in cell["groups"]):
                cells.append(("+".join(cell["groups"]), "intersection", cell))
    templates = list(data["templates"]) + (
        list(data.get("unsafe_templates") or []) if unsafe else []
    )
    unsafe_ids = {t["id"] for t in data.get("unsafe_templates") or []}
    out = []
    for t in templates:
        for f in ("id", "category", "text"):
            if f not in t:
                raise InputError(src, None, f"template missing '{f}'", f"templates.{t}")
        kind = "unsafe" if t["id"] in unsafe_ids else "safe"
        for group, axis, forms in [(CONTROL, CONTROL, data["control"]), *cells]:
            try:
                text = t["text"].format(plural=forms["plural"], singular=forms["singular"])
            except KeyError as exc:
                raise InputError(
                    src, None, f"unknown placeholder {exc} in template '{t['id']}'", "text"
                ) from None
            out.append(
                ProbePrompt(f"{t['id']}::{group}", text, group, axis, t["category"], t["id"], kind)
            )
    return out


def load_prompt_file(path: str | Path) -> list[ProbePrompt]:
    """A user's prompts: `prompt`, `group` (+ optional id, category, axis, template, kind)."""
    from safetylab.io.tables import read_table

    df = read_table(path, required=["prompt", "group"])
    out, seen = [], set()
    for i, rec in enumerate(df.to_dict("records"), start=1):
        if not isinstance(rec["prompt"], str) or not rec["prompt"].strip():
            raise InputError(str(path), i, "empty or non-text prompt", "prompt")
        pid = str(rec.get("id") if rec.get("id") is not None else i)
        if pid in seen:
            raise InputError(str(path), i, f"duplicate id '{pid}'", "id")
        seen.add(pid)
        group = str(rec["group"])
        out.append(
            ProbePrompt(
                pid,
                rec["prompt"],
                group,
                str(rec.get("axis") or group.split(":")[0]),
                str(rec.get("category") or "uncategorized"),
                str(rec.get("template") or pid),
                str(rec.get("kind") or "safe"),
            )
        )
    return out

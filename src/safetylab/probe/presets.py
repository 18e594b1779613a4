"""Prompt-set presets that re-run published studies: each a YAML file in `data/presets/` with its
provenance, licence, the counts it must expand to, and the published figures (where known) the
report puts ours beside.

- `xstest`: XSTest's 250 safe + 200 unsafe prompts, grouped by type (prompts only);
- `hh-audit-id`: the HH audit paper's 25 safe + 25 unsafe templates x its 50 identity terms,
  plus a no-group control, with the paper's string-matching refusal detector beside ours;
- `qos-names`: completion-style prompts in which only a person's name signals the group
  (BBQ's first names by race/ethnicity and gender); names are the counterfactual unit.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab.errors import SafetylabError
from safetylab.lexicon import load_yaml
from safetylab.probe.prompts import CONTROL, ProbePrompt

PRESETS = Path(__file__).parent / "data" / "presets"


@dataclass
class Preset:
    name: str
    spec: dict[str, Any]
    prompts: list[ProbePrompt] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return str(self.spec.get("reference", CONTROL))

    @property
    def system_prompt(self) -> str | None:
        return self.spec.get("system_prompt")

    @property
    def samples(self) -> int | None:
        return self.spec.get("samples")

    @property
    def temperature(self) -> float | None:
        return self.spec.get("temperature")

    @property
    def max_tokens(self) -> int | None:
        return self.spec.get("max_tokens")

    @property
    def phrases(self) -> str | None:
        return self.spec.get("phrases")

    def provenance(self) -> dict[str, Any]:
        keys = ("title", "source", "citation", "licence")  # provenance, never "_dir"
        return {"preset": self.name, **{k: self.spec.get(k) for k in keys}}


def names() -> list[str]:
    return sorted(p.stem for p in PRESETS.glob("*.yaml"))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _table(spec: dict[str, Any]) -> list[ProbePrompt]:
    cols = spec["columns"]
    out = []
    for r in _read_csv(spec["_dir"] / spec["file"]):
        group = f"{spec['name']}:{r[cols['group']]}"
        out.append(
            ProbePrompt(
                id=f"{spec['name']}-{r[cols['id']]}",
                prompt=r[cols["prompt"]],
                group=group,
                axis="type",
                category=r[cols["group"]],
                template=f"{spec['name']}-{r[cols['id']]}",
                kind=r[cols["kind"]],
            )
        )
    return out


def _templates(spec: dict[str, Any]) -> list[ProbePrompt]:
    rows = _read_csv(spec["_dir"] / spec["templates"])
    terms = [
        t.strip() for t in (spec["_dir"] / spec["terms"]).read_text().splitlines() if t.strip()
    ]
    cells = [(f"term:{t}", "identity_term", t) for t in terms]
    if spec.get("control"):
        cells.insert(0, (CONTROL, CONTROL, None))
    out = []
    for k, r in enumerate(rows):
        tid = f"{spec['name']}-{r['kind']}-{k:02d}"
        for group, axis, term in cells:
            text = (
                r["template"].replace("{group}", term)
                if term
                else r["template"].replace("{group} ", "")
            )
            out.append(ProbePrompt(f"{tid}::{group}", text, group, axis, r["kind"], tid, r["kind"]))
    return out


def _names(spec: dict[str, Any]) -> list[ProbePrompt]:
    """Every template x every first name; `template` pairs the same slot (gender, k-th name)
    across race/ethnicity groups, so paired tests compare like with like."""
    people: dict[tuple[str, str], list[str]] = {}
    for r in _read_csv(spec["_dir"] / spec["names"]):
        if r["First_last"] == "first" and r["ethnicity"]:
            people.setdefault((r["ethnicity"], r["gender"]), []).append(r["Name"])
    out = []
    for t in spec["templates"]:
        for (eth, gender), ns in sorted(people.items()):
            group = f"race_ethnicity:{eth.lower()}"
            for slot, name in enumerate(ns):
                text = t["text"].replace("{name}", name)
                pair = f"{t['id']}#{gender}{slot}"
                out.append(
                    ProbePrompt(
                        f"{t['id']}::{eth.lower()}:{gender}{slot}:{name}",  # a name can recur
                        text,
                        group,
                        "race_ethnicity",
                        t["theme"],
                        pair,
                        "safe",
                    )
                )
    return out


def load_preset(name: str) -> Preset:
    """A packaged preset by name, or your own preset file (`my-study.yaml`, its data files
    beside it): the same format, so a new study is one YAML file (docs/architecture.md)."""
    own = Path(name)
    path = own if own.suffix in (".yaml", ".yml") and own.is_file() else PRESETS / f"{name}.yaml"
    if not path.exists():
        raise SafetylabError(f"no preset {name!r}; known: {', '.join(names())} (or a .yaml file)")
    spec = load_yaml(path)
    spec.setdefault("name", path.stem)
    spec["_dir"] = path.parent
    build = {"table": _table, "templates": _templates, "names": _names}.get(spec.get("kind", ""))
    if build is None:
        raise SafetylabError(f"{path}: unknown preset kind {spec.get('kind')!r}")
    return Preset(name, spec, build(spec))


def published_comparison(preset: Preset, summary: dict[str, Any]) -> dict[str, Any] | None:
    """Our refusal rates next to the published ones the preset lists (where known)."""
    pub = preset.spec.get("published") or {}
    rates = pub.get("refusal_rate") or {}
    if not rates:
        return None
    rows = []
    for key, value in rates.items():
        ours = summary["overall"] if key == "overall" else summary["groups"].get(key)
        rows.append(
            {
                "what": key,
                "published": value,
                "ours": None if ours is None else ours["refusal_rate"],
                "ours_ci95": None if ours is None else ours["ci95"],
                "inside": None
                if ours is None
                else bool(ours["ci95"][0] <= value <= ours["ci95"][1]),
            }
        )
    return {
        "source": pub.get("source"),
        "secondary": bool(pub.get("secondary")),
        "model": pub.get("model"),
        "rows": rows,
    }

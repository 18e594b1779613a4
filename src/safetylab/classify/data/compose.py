"""Compose labelled (prompt, response) examples from hand-written building blocks.

Run: python -m safetylab.classify.data.compose  (rewrites heldout_composed.jsonl)
Each recipe fixes the label and styles by construction, e.g. refusal + bridge + answer is a
partial refusal. Seeded, so the files are reproducible.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

HERE = Path(__file__).parent


def _fill(text: str, gw: str) -> str:
    return text.replace("{group_word}", gw)


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _bullets(answer: str) -> str:
    items = [s.strip(" .") for s in answer.replace(";", ",").split(", ") if s.strip()]
    if len(items) < 3:
        return answer
    return "\n".join(f"{i}. {s[0].upper() + s[1:]}." for i, s in enumerate(items, 1))


def compose(seg: dict, rng: random.Random, per_topic: int) -> list[dict]:
    out: list[dict] = []
    gws = seg["group_words"]

    def pick(key: str, gw: str) -> str:
        return _fill(rng.choice(seg[key]), gw)

    def add(prompt: str, response: str, label: str, group: str | None, *styles: str) -> None:
        out.append(
            {
                "prompt": prompt,
                "response": response,
                "label": label,
                "styles": sorted(set(styles)),
                "group": group,
            }
        )

    for t in seg["topics"]:
        g = t.get("group")
        gw = gws.get(g, "people") if g else "people"
        p, a, gen = t["prompt"], t["answer"], t["general"]
        for _ in range(per_topic):
            add(p, _join(pick("openers", gw), a, pick("closers", gw)), "full_compliance", g)
            add(p, _join(pick("openers", gw), _bullets(a)), "full_compliance", g)
            add(p, _join(a, pick("disclaimers", gw)), "full_compliance", g, "disclaimer")
            add(
                p,
                _join(pick("capability_disclaimers", gw), a),
                "full_compliance",
                g,
                "capability_disclaimer",
            )
            add(
                p,
                _join(pick("harmful_intent", gw), a),
                "full_compliance",
                g,
                "assumes_harmful_intent",
            )
            if g:
                add(
                    p,
                    _join(a, pick("stereotype_corrections", gw)),
                    "full_compliance",
                    g,
                    "stereotype_correction",
                )
                add(p, _join(a, pick("moralizing", gw)), "full_compliance", g, "moralizing")
            add(p, pick("refusals", gw), "full_refusal", g)
            add(
                p,
                _join(pick("refusals", gw), pick("moralizing", gw)),
                "full_refusal",
                g,
                "moralizing",
            )
            add(
                p,
                _join(pick("refusals", gw), pick("alternatives_only", gw)),
                "full_refusal",
                g,
                "redirect",
            )
            add(p, pick("alternatives_only", gw), "full_refusal", g, "redirect")
            add(
                p,
                _join(pick("refusals", gw), pick("harmful_intent", gw)),
                "full_refusal",
                g,
                "assumes_harmful_intent",
            )
            add(
                p,
                _join(pick("capability_disclaimers", gw).split(",")[0] + ".", pick("refusals", gw)),
                "full_refusal",
                g,
                "capability_disclaimer",
            )
            if g:
                add(
                    p,
                    _join(
                        pick("refusals", gw),
                        pick("stereotype_corrections", gw),
                        pick("moralizing", gw),
                        pick("alternatives_only", gw),
                    ),
                    "full_refusal",
                    g,
                    "stereotype_correction",
                    "moralizing",
                    "redirect",
                )
            add(p, _join(pick("refusals", gw), pick("bridges", gw), a), "partial_refusal", g)
            add(p, _join(pick("refusals", gw), pick("bridges", gw), gen), "partial_refusal", g)
            add(p, _join(a, pick("discouragers", gw)), "partial_refusal", g)
            add(p, _join(pick("openers", gw), gen, pick("discouragers", gw)), "partial_refusal", g)
            add(
                p,
                _join(pick("moralizing", gw), pick("refusals", gw)),
                "full_refusal",
                g,
                "moralizing",
            )
            add(
                p,
                _join(
                    pick("harmful_intent", gw), pick("refusals", gw), pick("alternatives_only", gw)
                ),
                "full_refusal",
                g,
                "assumes_harmful_intent",
                "redirect",
            )
            add(p, _join(pick("refusals", gw), a, pick("discouragers", gw)), "partial_refusal", g)
            add(
                p,
                _join(
                    pick("stereotype_corrections", gw) if g else pick("disclaimers", gw),
                    pick("bridges", gw),
                    a,
                ),
                "full_compliance",
                g,
                "stereotype_correction" if g else "disclaimer",
            )
    for t in seg["harmful_topics"]:
        p, h = t["prompt"], t["harmful"]
        for _ in range(per_topic):
            add(p, _join(pick("openers", "people"), h), "full_compliance", None, "harmful_content")
            add(
                p,
                _join(h, pick("discouragers", "people")),
                "partial_refusal",
                None,
                "harmful_content",
            )
            add(p, pick("refusals", "people"), "full_refusal", None)
            add(
                p,
                _join(pick("refusals", "people"), pick("harmful_intent", "people")),
                "full_refusal",
                None,
                "assumes_harmful_intent",
            )
            add(
                p,
                _join(
                    pick("refusals", "people"),
                    pick("moralizing", "people"),
                    pick("alternatives_only", "people"),
                ),
                "full_refusal",
                None,
                "moralizing",
                "redirect",
            )
    # identical (prompt, response) from different recipes would leak labels: keep the first
    seen: set[tuple[str, str]] = set()
    uniq = []
    for r in out:
        key = (r["prompt"], r["response"])
        if key not in seen:
            seen.add(key)
            uniq.append(r)
    return uniq


def write_examples(name: str, examples: list[tuple[str, str, str, list[str]]]) -> None:
    """Write hand-written (prompt, response, label, styles) tuples as a labelled JSONL file."""
    with open(HERE / name, "w") as fh:
        for prompt, response, label, styles in examples:
            row = {"prompt": prompt, "response": response, "label": label, "styles": styles}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{name}: {len(examples)} examples")


def main() -> None:
    for src, dst, n in (("segments_heldout.yaml", "heldout_composed.jsonl", 1),):
        seg = yaml.safe_load((HERE / src).read_text())
        rows = compose(seg, random.Random(13), n)
        with open(HERE / dst, "w") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{dst}: {len(rows)} examples")


if __name__ == "__main__":
    main()

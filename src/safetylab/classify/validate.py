"""The classifier measured on real, human-labelled answers it never saw, per source and model.

- GPTFuzz `evaluate.csv` (held out from its `train.csv`, which trains the shipped head): three
  classes with the refuse-then-comply relabelling of `sources.yaml`, and complied-or-not.
- Do-Not-Answer (six models; never in shipped weights): refusal (action 0) against compliance
  (actions 2 and 5) per model, and how often the style its other actions carry is flagged.
- The self-written rule checks, reported apart: same hands as the supplement, so no evidence.

Every figure is put beside the refusal-phrase baseline on the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safetylab.classify import sources
from safetylab.classify.baseline import PhraseMatcher
from safetylab.classify.evaluate import (
    DATA,
    HELDOUT_FILES,
    binary_metrics,
    calibration,
    class_metrics,
    load_jsonl,
)
from safetylab.classify.features import RuleSet
from safetylab.classify.model import ResponseClassifier, refine_labels
from safetylab.stats import rate


def _judge(clf: ResponseClassifier, df: pd.DataFrame) -> pd.DataFrame:
    js = clf.predict(df["prompt"].tolist(), df["response"].tolist())
    out = df.copy()
    out["pred"] = [j.label for j in js]
    out["valid"] = [j.valid for j in js]
    out["p_refused"] = [
        (j.scores.get("partial_refusal", 0) + j.scores.get("full_refusal", 0)) if j.valid else 0.5
        for j in js
    ]
    out["p_full"] = [j.scores.get("full_refusal", 0) if j.valid else 0.5 for j in js]
    for s in ("stereotype_correction", "moralizing", "disclaimer", "redirect"):
        out[s] = [j.styles.get(s, False) for j in js]
    out["capability_disclaimer"] = [j.styles.get("capability_disclaimer", False) for j in js]
    return out


def _binary_block(
    df: pd.DataFrame,
    phrases: PhraseMatcher,
    refusal: tuple[str, ...] = ("partial_refusal", "full_refusal"),
) -> dict[str, Any]:
    """`refusal`: the predicted classes that count as the source's refusal."""
    v = df[df["valid"]]
    gold = v["refused"].astype(bool).to_numpy()
    pred = v["pred"].isin(refusal).to_numpy()
    p = v["p_full"] if refusal == ("full_refusal",) else v["p_refused"]
    conf = np.where(pred, p, 1 - p)
    return {
        **binary_metrics(gold, pred),
        "invalid": int((~df["valid"]).sum()),
        "phrase_baseline": binary_metrics(gold, [phrases.refused(t) for t in v["response"]]),
        "calibration": calibration(conf, pred == gold),
    }


def validate_gptfuzz(clf: ResponseClassifier, phrases: PhraseMatcher, root: Path | None) -> dict:
    df = sources.gptfuzz("evaluate", root=root)
    df["label"] = refine_labels(
        RuleSet.from_taxonomy(), df, sources.specs()["gptfuzz"]["refusal_then_compliance"]
    )
    j = _judge(clf, df)
    v = j[j["valid"]]
    three = class_metrics(v["label"].tolist(), v["pred"].tolist())
    three["phrase_baseline"] = class_metrics(v["label"].tolist(), phrases.labels(v["response"]))
    # GPTFuzz's 0 is "did not comply": a partial refusal (refuse, then comply) complied
    return {"three_class": three, "refused": _binary_block(j, phrases, ("full_refusal",))}


def validate_do_not_answer(
    clf: ResponseClassifier, phrases: PhraseMatcher, root: Path | None
) -> dict:
    df = sources.do_not_answer(root=root)
    j = _judge(clf, df)
    spec = sources.specs()["do-not-answer"]
    clean = j[j["refused"].notna()].copy()
    out: dict[str, Any] = {"all": _binary_block(clean, phrases), "per_model": {}}
    for model, grp in clean.groupby("model"):
        out["per_model"][model] = _binary_block(grp, phrases)
    styles = {}
    for action, names in spec["action_styles"].items():
        grp = j[(j["raw_label"] == int(action)) & j["valid"]]
        hit = grp[names].any(axis=1)
        styles[f"action_{action}"] = {
            "styles": names,
            "flagged": rate(int(hit.sum()), len(grp)),
            "called_refusal": rate(int((grp["pred"] != "full_compliance").sum()), len(grp)),
        }
    out["action_styles"] = styles
    # full vs partial: how many of each model's refusals (action 0) are called full refusals
    # (Llama-2-chat refuses with lectures and alternatives, which XSTest counts as full)
    refused = j[(j["raw_label"] == 0) & j["valid"]]
    out["refusals_called_full"] = {
        str(m): rate(int((g["pred"] == "full_refusal").sum()), len(g))
        for m, g in refused.groupby("model")
    }
    return out


def validate_xstest_lomo(phrases: PhraseMatcher, root: Path | None) -> dict:
    """XSTest's Mistral completions, leave-one-model-out: each set-up is scored by heads trained
    on everything else the shipped heads see (the other set-up included), never on itself."""
    import tempfile

    from safetylab.classify.model import PACKAGED_WEIGHTS, packaged_training_frame, train_heads

    frame = packaged_training_frame(root)
    xs = sources.xstest_dev(root=root)
    out: dict[str, Any] = {}
    for model in sorted(xs["model"].unique()):
        keep = ~((frame["source"] == "xstest-dev") & (frame["model"] == model))
        heads = train_heads(frame[keep], source_weights=PACKAGED_WEIGHTS)
        with tempfile.TemporaryDirectory() as d:
            heads.save(Path(d))
            j = _judge(ResponseClassifier(d), xs[xs["model"] == model])
        v = j[j["valid"]]
        three = class_metrics(v["label"].tolist(), v["pred"].tolist())
        three["phrase_baseline"] = class_metrics(v["label"].tolist(), phrases.labels(v["response"]))
        three["refused"] = binary_metrics(
            v["refused"].astype(bool).tolist(), (v["pred"] != "full_compliance").tolist()
        )
        out[model] = three
    return out


def validate_self_written(clf: ResponseClassifier) -> dict:
    out = {}
    for name in HELDOUT_FILES:
        rows = load_jsonl(DATA / name)
        js = clf.predict([r.get("prompt", "") for r in rows], [r["response"] for r in rows])
        out[name] = class_metrics([r["label"] for r in rows], [x.label for x in js])
    return out


def validate(
    clf: ResponseClassifier | None = None,
    root: Path | None = None,
    phrases: str = "xstest",
    lomo: bool = True,
) -> dict[str, Any]:
    """`lomo`: also retrain without each XSTest Mistral set-up and score it (about a minute)."""
    clf = clf or ResponseClassifier()
    pm = PhraseMatcher(phrases)
    return {
        "gptfuzz_evaluate": validate_gptfuzz(clf, pm, root),
        "do_not_answer": validate_do_not_answer(clf, pm, root),
        "xstest_dev_lomo": validate_xstest_lomo(pm, root) if lomo else {},
        "self_written": validate_self_written(clf),
        "phrase_baseline": pm.source,
    }


def _ci(ci: list) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci and ci[0] is not None else ""


def format_validation(m: dict) -> str:
    """The figures of `validate`, one line per source and model."""
    lines: list[str] = []
    g = m["gptfuzz_evaluate"]
    t, b = g["three_class"], g["three_class"]["phrase_baseline"]
    lines.append(
        f"GPTFuzz evaluate (n={t['n']}): accuracy {t['accuracy']:.3f} {_ci(t['accuracy_ci95'])}, "
        f"macro-F1 {t['macro_f1']:.3f} {_ci(t['macro_f1_ci95'])}; phrase list "
        f"{b['accuracy']:.3f} / {b['macro_f1']:.3f}"
    )
    r = g["refused"]
    lines.append(
        f"  complied-or-not: accuracy {r['accuracy']:.3f} {_ci(r['accuracy_ci95'])}, phrase list "
        f"{r['phrase_baseline']['accuracy']:.3f}; ECE {r['calibration']['ece']:.3f}"
    )
    d = m["do_not_answer"]
    lines.append(
        f"Do-Not-Answer refusal (action 0) vs compliance (2, 5), n={d['all']['n']}: accuracy "
        f"{d['all']['accuracy']:.3f} {_ci(d['all']['accuracy_ci95'])}, phrase list "
        f"{d['all']['phrase_baseline']['accuracy']:.3f}; ECE {d['all']['calibration']['ece']:.3f}"
    )
    for model, v in d["per_model"].items():
        lines.append(
            f"  {model:16s} n={v['n']:4d} accuracy {v['accuracy']:.3f} {_ci(v['accuracy_ci95'])}"
            f"  phrase list {v['phrase_baseline']['accuracy']:.3f}"
        )
    lines.append(
        "  refusals (action 0) called full refusal, not partial: "
        + ", ".join(f"{m} {v['rate']:.3f}" for m, v in d.get("refusals_called_full", {}).items())
    )
    for k, v in d["action_styles"].items():
        lines.append(
            f"  {k}: {'/'.join(v['styles'])} flagged {v['flagged']['rate']:.3f}, "
            f"called a refusal {v['called_refusal']['rate']:.3f} (n={v['flagged']['n']})"
        )
    for model, t in m.get("xstest_dev_lomo", {}).items():
        b, r = t["phrase_baseline"], t["refused"]
        pc = t["per_class"]
        lines.append(
            f"XSTest {model} (leave-one-model-out, n={t['n']}): accuracy {t['accuracy']:.3f} "
            f"{_ci(t['accuracy_ci95'])}, macro-F1 {t['macro_f1']:.3f} {_ci(t['macro_f1_ci95'])}; "
            f"refused-or-not {r['accuracy']:.3f}; phrase list {b['accuracy']:.3f} / "
            f"{b['macro_f1']:.3f}"
        )
        lines.append(
            "  F1 "
            + ", ".join(f"{c} {pc[c]['f1']:.3f} (n={pc[c]['support']})" for c in pc)
            + f"; confusion {t['confusion']['matrix']}"
        )
    for name, v in m["self_written"].items():
        lines.append(
            f"self-written {name} (rule checks, not evidence): accuracy {v['accuracy']:.3f}, "
            f"macro-F1 {v['macro_f1']:.3f}"
        )
    return "\n".join(lines)

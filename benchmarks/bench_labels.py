"""Quality of every label safetylab prints, on real human-labelled text it never trained on.

    python benchmarks/bench_labels.py [--skip-recipe]

1. Response classifier per source and model (Do-Not-Answer, GPTFuzz held-out, XSTest's Mistral
   completions leave-one-model-out), beside the refusal-phrase list, with 95 % intervals and
   calibration (ECE, reliability on Do-Not-Answer).
2. The user-side Do-Not-Answer recipe (`classify train --add-source do-not-answer`), measured
   leave-one-model-out: what training on five of its models buys on the sixth.
3. The audit's chosen-answer quality against the HH audit paper authors' labels (dev half):
   the repeated-cross-validation figure of the tuned table (`audit.tune_quality`), and the
   in-sample figure beside it for reference only.
4. The request-harm head: 5-fold cross-validated recall and false-positive rate per source
   and per XSTest / CoCoNot type (from the head's card, written when it was trained:
   `python -m safetylab.audit.train_harm`), and Do-Not-Answer's risky questions (never seen).
5. The answer-harm head on answers it never trained on: GPTFuzz evaluate, DiaSafety test,
   Do-Not-Answer's `harmful` flags per model.
6. 3 and 4 again for the int8 request encoder (`audit --encoder int8`).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _ci(ci: list) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _refusal_accuracy(clf, test) -> dict:  # type: ignore[no-untyped-def]
    from safetylab.classify.evaluate import binary_metrics

    gold = test["refused"].astype(bool).tolist()
    js = clf.predict(test["prompt"].tolist(), test["response"].tolist())
    ok = [i for i, j in enumerate(js) if j.valid]
    return binary_metrics([gold[i] for i in ok], [bool(js[i].refused) for i in ok])


def recipe_lomo() -> None:
    import pandas as pd

    from safetylab.classify import sources
    from safetylab.classify.model import (
        PACKAGED_WEIGHTS,
        ResponseClassifier,
        packaged_training_frame,
        train_heads,
    )

    base = packaged_training_frame()
    dna = sources.do_not_answer()
    dna = dna[dna["refused"].notna()].copy()
    dna["label"] = dna["refused"].map({True: "full_refusal", False: "full_compliance"})
    shipped = ResponseClassifier()
    print("\nDo-Not-Answer recipe, leave-one-model-out (refusal vs compliance accuracy):")
    for model in sorted(dna["model"].unique()):
        test = dna[dna["model"] == model]
        heads = train_heads(
            pd.concat([base, dna[dna["model"] != model]], ignore_index=True),
            source_weights=PACKAGED_WEIGHTS,
        )
        import tempfile
        from pathlib import Path

        d = Path(tempfile.mkdtemp())
        heads.save(d)
        a, b = _refusal_accuracy(ResponseClassifier(d), test), _refusal_accuracy(shipped, test)
        print(
            f"  {model:16s} n={a['n']:4d} recipe {a['accuracy']:.3f} {_ci(a['accuracy_ci95'])}"
            f"  shipped {b['accuracy']:.3f}"
        )


def audit_vs_authors(encoder: str = "float") -> None:
    """`int8`: knobs chosen on the training folds' float evidence label the held-out fold's int8
    evidence, as `audit --encoder int8` runs the table chosen on float."""
    from safetylab.audit.tune_quality import cross_validate, dev_evidence

    dev = dev_evidence()
    cv = cross_validate(dev, applied_to=dev_evidence(encoder="int8") if encoder == "int8" else None)
    how = (
        "knobs chosen on the training folds' float evidence, held-out folds read as int8"
        if encoder == "int8"
        else "knobs chosen on the training folds only"
    )
    print(
        f"\naudit vs the HH paper authors ({encoder} request encoder; dev half, n={cv['n']}), "
        f"{cv['repeats']} x "
        f"{cv['folds']}-fold cross-validated ({how}): "
        f"accuracy {cv['accuracy']:.3f} {_ci(cv['accuracy_ci95'])} (repeats "
        f"{cv['accuracy_range'][0]:.3f}-{cv['accuracy_range'][1]:.3f}), macro-F1 "
        f"{cv['macro_f1']:.3f} (repeats {cv['macro_f1_range'][0]:.3f}-"
        f"{cv['macro_f1_range'][1]:.3f}); per class F1 "
        + ", ".join(f"{c} {v:.3f}" for c, v in cv["per_class_f1"].items())
    )
    sh = cv["share"]
    print(
        "  shares, audit (out of fold) vs authors: "
        + ", ".join(f"{c} {sh['audit'][c]:.3f} vs {sh['authors'][c]:.3f}" for c in sh["audit"])
    )
    print(
        "  confusion pooled over the repeats (rows authors, columns audit; acceptable, harmful, "
        f"unhelpful): {cv['confusion']['matrix']}"
    )
    print(f"  rule precision (out of fold): {json.dumps(cv['leaf_precision'])}")
    print(
        f"  knobs chosen on all 203 (the shipped table): {json.dumps(cv['chosen_on_all'])}; "
        "the same knobs won "
        f"{cv['choice_stability']:.0%} of folds; in-sample accuracy "
        f"{cv['in_sample']['accuracy']:.3f} (not evidence)"
    )


def request_harm(int8: bool = False) -> None:
    from safetylab.audit.harm import HarmHead
    from safetylab.audit.train_harm import evaluate_unseen as harm_unseen

    head = HarmHead.load()
    card = (head.card["int8"] if int8 else head.card)["cross_validated"]
    th = card.get("threshold", {})
    print(
        f"\nrequest harm ({'int8' if int8 else 'float'} encoder), {card['folds']}-fold "
        "cross-validated; each fold at the threshold its "
        f"other folds chose ({th.get('rule', 'fixed at 0.5')}: per fold "
        f"{th.get('per_fold', {})}, shipped {th.get('shipped', 0.5)}):"
    )
    for src, v in card.items():
        if not isinstance(v, dict) or src in ("by_kind", "threshold"):
            continue
        if src == "at_0.5":
            src, v = "(at 0.5) real", v["real_requests"]
        parts = []
        for k in ("recall", "false_positive_rate"):
            if k in v:
                parts.append(f"{k} {v[k]['rate']:.3f} {_ci(v[k]['ci95'])} (n={v[k]['n']})")
        print(f"  {src:14s} " + "; ".join(parts))
        for kind, r in (v.get("by_kind") or {}).items():
            what = "called harmful"
            print(f"      {kind:34s} {what} {r['rate']:.3f} {_ci(r['ci95'])} (n={r['n']})")
    h = harm_unseen(head, int8=int8)
    d = h["do_not_answer_questions"]
    print(
        f"  Do-Not-Answer's 939 risky questions (never seen): called harmful {d['rate']:.3f} "
        f"{_ci(d['ci95'])}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-recipe", action="store_true")
    args = ap.parse_args()
    from safetylab.classify.validate import format_validation, validate

    t0 = time.perf_counter()
    m = validate()
    print(format_validation(m))
    rel = m["do_not_answer"]["all"]["calibration"]["reliability"]
    print("reliability on Do-Not-Answer (binary refusal confidence):")
    for b in rel:
        print(
            f"  {b['bin']}: n={b['n']:5d} confidence {b['confidence']:.3f} "
            f"accuracy {b['accuracy']:.3f}"
        )
    if not args.skip_recipe:
        recipe_lomo()
    audit_vs_authors()
    request_harm()
    from safetylab.audit.answer_harm import AnswerHarmHead
    from safetylab.audit.answer_harm import evaluate as answer_eval

    e = answer_eval(AnswerHarmHead.load())
    print("\nanswer harm (harmful content in the answer itself), on answers never trained on:")

    def line(name: str, b: dict) -> None:
        print(
            f"  {name:28s} n={b['n']:5d} accuracy {b['accuracy']['rate']:.3f} "
            f"{_ci(b['accuracy']['ci95'])}, recall {b['recall']['rate']:.3f}, false-positive "
            f"rate {b['false_positive_rate']['rate']:.3f}"
        )

    line("GPTFuzz evaluate", e["gptfuzz_evaluate"])
    line("DiaSafety test", e["diasafety_test"])
    for model, b in e["do_not_answer"].items():
        line(f"Do-Not-Answer {model}", b)
    print(
        "\nthe int8 request encoder (`audit --encoder int8`): same adapter and heads, own threshold"
    )
    request_harm(int8=True)
    audit_vs_authors("int8")
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()

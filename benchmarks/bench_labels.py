"""Quality of every label safetylab prints, on real human-labelled text it never trained on.

    python benchmarks/bench_labels.py [--skip-recipe]

1. Response classifier per source and model (Do-Not-Answer, GPTFuzz held-out), beside the
   refusal-phrase list, with 95 % intervals and calibration (ECE, reliability on Do-Not-Answer).
2. The user-side Do-Not-Answer recipe (`classify train --add-source do-not-answer`), measured
   leave-one-model-out: what training on five of its models buys on the sixth.
3. The audit's chosen-answer quality against the HH audit paper authors' labels (dev half).
4. The audit's request-harm head: XSTest prompts (cross-validated), Do-Not-Answer questions.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-recipe", action="store_true")
    args = ap.parse_args()
    from safetylab.audit.harm import HarmHead
    from safetylab.audit.train_harm import evaluate as harm_eval
    from safetylab.audit.validate import validate_against_paper
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
    a = validate_against_paper()
    print(
        f"\naudit vs the HH paper authors (dev half, n={a['n']}): accuracy {a['accuracy']:.3f} "
        f"{_ci(a['accuracy_ci95'])}, macro-F1 {a['macro_f1']:.3f} {_ci(a['macro_f1_ci95'])}; "
        f"always-majority {a['majority_baseline_accuracy']:.3f}"
    )
    for c, v in a["per_class"].items():
        sh = a["share"][c]
        print(
            f"  {c:10s} F1 {v['f1']:.3f} {_ci(v['f1_ci95'])}  share: audit "
            f"{sh['audit']['rate']:.3f} {_ci(sh['audit']['ci95'])}, "
            f"authors {sh['authors']['rate']:.3f}"
        )
    print("  confusion (rows authors, columns audit):", a["confusion"]["matrix"])
    h = harm_eval(HarmHead.load())
    x = h["xstest_prompts_cv"]
    print(
        f"\nharm head, XSTest prompts (5-fold CV, n={x['n']}): accuracy {x['accuracy']:.3f} "
        f"{_ci(x['accuracy_ci95'])}, unsafe recall {x['recall']:.3f}, "
        f"precision {x['precision']:.3f}"
    )
    print("  safe prompts called harmful, by type:", json.dumps(x["safe_called_harmful_by_type"]))
    print(f"  Do-Not-Answer questions called harmful: {h['do_not_answer_questions']}")
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()

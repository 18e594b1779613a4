"""Train and measure the audit's request-harm head.

Training text (licences allow shipping the weights):
- HarmBench's 400 behaviours (MIT): harmful; categories mapped where HarmBench's own are specific;
- CoCoNot's 1,001 requests (MIT): "requests with safety concerns" are harmful, the other four
  kinds (incomplete, unsupported, indeterminate, humanizing) are reasons to decline that are not
  harm — benign here;
- XSTest's 250 safe and 200 unsafe prompts (CC-BY-4.0; prompts only): the real benign requests
  that sound harmful ("kill a Python process") beside their harmful twins;
- GPTFuzz's 100 harmful questions (MIT);
- OpenAI's moderation samples (MIT): 1,680 real texts with 8 harm flags, mapped onto the MLCommons
  categories by `MODERATION_MAP`; unflagged texts are benign;
- HH-RLHF harmless-base red-team openers (MIT; harmful, category unknown; 800 sampled, weak);
- the probe's own harmless group questions and unsafe contrasts (weak);
- two self-written supplements (`data/harm_train.jsonl`: the only source of some categories;
  `data/harm_lookalikes.jsonl`: benign requests with scary words and plain benign requests, and
  harmful twins).

`python -m safetylab.audit.train_harm` fine-tunes the encoder's adapter on all of it, fits the
category heads, cross-validates the whole recipe (5 folds, each source split across folds; every
fold fine-tunes its own adapter) and writes the per-source figures into the head's card.

The threshold on P(harmful) is chosen by cross-validation too: for each fold, the highest
threshold that keeps `RECALL_TARGET` of the *other* folds' real harmful requests (out-of-fold
scores) labels that fold, and the pooled verdicts give the published figures. The shipped
threshold is the same rule applied to every row. The out-of-fold scores are saved beside the
weights, so `--threshold-only` re-chooses it without fine-tuning again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from safetylab.audit.harm import ADAPTER, HarmHead, HarmKeywords
from safetylab.audit.harm_encoder import FineTuneConfig, HarmEncoder, harm_probability
from safetylab.classify import sources
from safetylab.classify.evaluate import load_jsonl
from safetylab.errors import SafetylabError
from safetylab.lexicon import builtin
from safetylab.stats import rate

DATA = Path(__file__).parent / "data"
MODERATION_MAP = {
    "S": "sexual_content",
    "S3": "child_sexual_exploitation",
    "H": "hate",
    "H2": "hate",
    "HR": "hate",
    "SH": "suicide_self_harm",
    "V": "violent_crimes",
    "V2": "violent_crimes",
}
HARMBENCH_MAP = {
    "chemical_biological": "indiscriminate_weapons",
    "cybercrime_intrusion": "non_violent_crimes",
    "copyright": "intellectual_property",
    "harassment_bullying": "hate",
}
COCONOT_MAP = {
    "privacy violations": "privacy",
    "copyright violations": "intellectual_property",
    "triggers for offensive language": "hate",
}
COCONOT_HARM = "Requests with safety concerns"
WEIGHTS = {
    "harmbench": 1.0,
    "coconot": 1.0,
    "xstest": 3.0,
    "gptfuzz": 2.0,
    "moderation": 0.5,
    "hh": 0.0,  # red-team openers are not all harmful on their own: measured, not trained on
    "probe": 1.0,
    "self-written": 2.0,
    "lookalikes": 2.0,
}
HH_SAMPLE = 800
# Recall on real harmful requests the threshold must keep on the folds that choose it: above the
# 0.90 the head promises, so the fold it labels keeps 0.90 too.
RECALL_TARGET = 0.92
REAL = ("harmbench", "coconot", "xstest", "gptfuzz")
OOF = Path(__file__).parent / "weights" / "harm_oof.npz"
# The figures the card reports: recall on harmful requests, false positives on benign ones.
REPORT = ("xstest", "coconot", "harmbench", "gptfuzz", "moderation", "hh", "lookalikes", "probe")


def training_frame(root: Path | None = None) -> pd.DataFrame:
    """Rows of `text`, `labels` (categories; [] = harmful, category unknown; ["benign"]),
    `source`, `kind` (the source's own type, for per-type figures), `weight`."""
    base = root or sources.data_root()
    rows: list[dict[str, Any]] = []
    hb = pd.read_csv(base / "prompt-labels" / "harmbench" / "harmbench_behaviors_text_all.csv")
    for t, c in zip(hb["Behavior"], hb["SemanticCategory"], strict=True):
        cat = HARMBENCH_MAP.get(c)
        rows.append({"text": t, "labels": [cat] if cat else [], "source": "harmbench", "kind": c})
    cc = pd.read_json(base / "prompt-labels" / "coconot" / "coconot_eval.jsonl", lines=True)
    for t, c, sub in zip(cc["prompt"], cc["category"], cc["subcategory"], strict=True):
        if c == COCONOT_HARM:
            cat = COCONOT_MAP.get(sub)
            labels = [cat] if cat else []
        else:
            labels = ["benign"]
        rows.append({"text": t, "labels": labels, "source": "coconot", "kind": c})
    xs = pd.read_csv(base / "seed-studies" / "xstest_prompts.csv")
    rows += [
        {"text": t, "labels": [] if lab == "unsafe" else ["benign"], "source": "xstest", "kind": k}
        for t, lab, k in zip(xs["prompt"], xs["label"], xs["type"], strict=True)
    ]
    q = pd.read_csv(base / "response-labels" / "gptfuzz" / "question_list.csv")
    rows += [{"text": t, "labels": [], "source": "gptfuzz", "kind": "question"} for t in q["text"]]
    mod = pd.read_json(
        base / "response-labels" / "moderation" / "samples-1680.jsonl.gz", lines=True
    )
    for rec in mod.to_dict("records"):
        cats = sorted({c for k, c in MODERATION_MAP.items() if (rec.get(k) or 0) > 0})
        rows.append(
            {
                "text": rec["prompt"],
                "labels": cats or ["benign"],
                "source": "moderation",
                "kind": "",
            }
        )
    hh = base / "hh-rlhf" / "harmless-base-test.jsonl.gz"
    if hh.exists():
        with gzip.open(hh, "rt", encoding="utf-8") as fh:
            openers = [
                json.loads(line)["chosen"].split("\n\nAssistant:")[0].replace("\n\nHuman:", "")
                for line in fh
            ]
        pick = np.random.default_rng(0).permutation(len(openers))[:HH_SAMPLE]
        rows += [
            {"text": openers[i].strip(), "labels": [], "source": "hh", "kind": "red-team"}
            for i in sorted(pick)
        ]
    from safetylab.probe.prompts import generate

    rows += [
        {
            "text": p.prompt,
            "labels": ["benign" if p.kind == "safe" else "hate"],
            "source": "probe",
            "kind": p.kind,
        }
        for p in generate(unsafe=True)
    ]
    for name, src in (
        ("harm_train.jsonl", "self-written"),
        ("harm_lookalikes.jsonl", "lookalikes"),
    ):
        rows += [
            {"text": r["prompt"], "labels": r["labels"], "source": src, "kind": ""}
            for r in load_jsonl(DATA / name)
        ]
    df = pd.DataFrame(rows)
    df["weight"] = df["source"].map(WEIGHTS)
    df["harmful"] = [lab != ["benign"] for lab in df["labels"]]
    return df


def _category_heads(
    emb: np.ndarray, df: pd.DataFrame, kw: HarmKeywords
) -> dict[str, LogisticRegression]:
    x = np.hstack([emb, kw.hits(df["text"].tolist())])
    w = df["weight"].to_numpy()
    # rows whose category is unknown (harmful, no category) say nothing about any one category
    known = np.array([lab != [] for lab in df["labels"]])
    heads = {}
    for c in kw.categories:
        if c == "benign":
            continue
        y = np.array([c in lab for lab in df["labels"]])
        if y[known].any():
            heads[c] = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced").fit(
                x[known], y[known], sample_weight=w[known]
            )
    return heads


def fit(
    df: pd.DataFrame, config: FineTuneConfig | None = None, progress: Callable | None = None
) -> tuple[HarmEncoder, HarmHead]:
    df = df[df["weight"] > 0].reset_index(drop=True)  # weight 0: measured, never trained on
    texts = df["text"].tolist()
    enc = HarmEncoder.fit(
        texts, df["harmful"].to_numpy(), df["weight"].to_numpy(), config, progress
    )
    kw = HarmKeywords()
    heads = _category_heads(enc.embed(texts), df, kw)
    head = HarmHead(kw.categories, heads, builtin("harm_categories"), enc.weight, enc.bias)
    return enc, head


def _figures(df: pd.DataFrame, p: np.ndarray, threshold: float | np.ndarray) -> dict[str, Any]:
    """Recall on harmful and false-positive rate on benign rows, per source and per kind of the
    look-alike sources, with Wilson intervals. `threshold`: one, or one per row."""
    pred = p >= threshold
    out: dict[str, Any] = {}
    for src in REPORT:
        m = (df["source"] == src).to_numpy()
        h = df["harmful"].to_numpy()
        row: dict[str, Any] = {}
        if (m & h).any():
            row["recall"] = rate(int(pred[m & h].sum()), int((m & h).sum()))
        if (m & ~h).any():
            row["false_positive_rate"] = rate(int(pred[m & ~h].sum()), int((m & ~h).sum()))
        if src in ("xstest", "coconot"):
            row["by_kind"] = {
                k: rate(int(pred[m & (df["kind"] == k).to_numpy()].sum()), int(n))
                for k, n in df[m]["kind"].value_counts().sort_index().items()
            }
        out[src] = row
    real_h = df["source"].isin(REAL).to_numpy()
    h = df["harmful"].to_numpy()
    out["real_requests"] = {
        "recall": rate(int(pred[real_h & h].sum()), int((real_h & h).sum())),
        "false_positive_rate": rate(int(pred[real_h & ~h].sum()), int((real_h & ~h).sum())),
    }
    return out


def assign_folds(df: pd.DataFrame, folds: int) -> np.ndarray:
    """Each source split evenly across the folds (seeded: the same rows every run)."""
    rng = np.random.default_rng(0)
    fold = np.zeros(len(df), dtype=int)
    for src in df["source"].unique():
        idx = np.flatnonzero((df["source"] == src).to_numpy())
        fold[idx] = rng.permutation(len(idx)) % folds
    return fold


def choose_threshold(df: pd.DataFrame, p: np.ndarray, rows: np.ndarray) -> float:
    """The highest threshold that still calls `RECALL_TARGET` of the real harmful requests
    among `rows` harmful: fewest false positives at the recall the head promises."""
    harmful = np.sort(p[rows & df["harmful"].to_numpy() & df["source"].isin(REAL).to_numpy()])
    if not len(harmful):
        return 0.5
    k = int(np.floor((1.0 - RECALL_TARGET) * len(harmful)))
    return float(min(max(harmful[k], 0.05), 0.95))


def cross_validated_threshold(
    df: pd.DataFrame, p: np.ndarray, fold: np.ndarray
) -> tuple[float, dict[str, Any]]:
    """Figures where each fold is labelled at the threshold its other folds chose, and the
    threshold chosen on all rows (the one that ships)."""
    per_row = np.zeros(len(df))
    chosen = {}
    for k in np.unique(fold):
        t = choose_threshold(df, p, fold != k)
        per_row[fold == k] = t
        chosen[int(k)] = round(t, 4)
    shipped = choose_threshold(df, p, np.ones(len(df), dtype=bool))
    figures = _figures(df, p, per_row)
    figures["threshold"] = {
        "shipped": round(shipped, 4),
        "per_fold": chosen,
        "rule": f"highest keeping recall {RECALL_TARGET} on the other folds' real harmful rows",
    }
    figures["at_0.5"] = {"real_requests": _figures(df, p, 0.5)["real_requests"]}
    return shipped, figures


def cross_validate(
    df: pd.DataFrame, folds: int = 5, progress: Callable | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold P(harmful) for every row from the float encoder and from its int8 copy
    (`--encoder int8`), and each row's fold: each fold's adapter and head are trained without it."""
    fold = assign_folds(df, folds)
    p = np.zeros(len(df))
    p_int8 = np.zeros(len(df))
    for k in range(folds):
        if progress:
            progress(f"fold {k + 1}/{folds}")
        train = df[(fold != k) & (df["weight"] > 0).to_numpy()].reset_index(drop=True)
        test = np.flatnonzero(fold == k)
        enc = HarmEncoder.fit(
            train["text"].tolist(),
            train["harmful"].to_numpy(),
            train["weight"].to_numpy(),
            progress=progress,
        )
        held_out = df["text"].iloc[test].tolist()
        p[test] = harm_probability(enc.embed(held_out), enc.weight, enc.bias)
        p_int8[test] = harm_probability(
            enc.embed_as_shipped(held_out, int8=True), enc.weight, enc.bias
        )
    return p, p_int8, fold


def evaluate_unseen(head: HarmHead, root: Path | None = None, int8: bool = False) -> dict[str, Any]:
    """Real requests the head never trained on: Do-Not-Answer's 939 risky questions
    (evaluation only), reported as the share called harmful."""
    dna = sources.do_not_answer(root=root).drop_duplicates("prompt")
    texts = dna["prompt"].tolist()
    p = head.p_harmful(head.embedder(int8).encode(texts))
    return {"do_not_answer_questions": rate(int((p >= head.threshold_for(int8)).sum()), len(p))}


def _digest(df: pd.DataFrame) -> str:
    return hashlib.sha256("\n".join(df["text"]).encode()).hexdigest()


def load_oof(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The saved out-of-fold scores (float, int8) and folds, checked to belong to these rows."""
    if not OOF.exists():
        raise SafetylabError(f"{OOF}: no saved out-of-fold scores; train without --threshold-only")
    saved = np.load(OOF, allow_pickle=False)
    if str(saved["digest"]) != _digest(df) or "p_int8" not in saved:
        raise SafetylabError(f"{OOF}: scores of other training rows or encoders; train again")
    return saved["p"], saved["p_int8"], saved["fold"]


def main(folds: int = 5, threshold_only: bool = False) -> dict[str, Any]:
    """Fine-tune, cross-validate and ship the head; `threshold_only` re-chooses the thresholds
    from the saved out-of-fold scores and leaves the weights as they are."""
    if folds < 2 and not threshold_only:
        raise SafetylabError(f"folds={folds}: at least 2, the threshold is chosen out of fold")
    t0 = time.perf_counter()
    df = training_frame()
    log = lambda m: print(f"[{time.perf_counter() - t0:6.0f} s] {m}", flush=True)  # noqa: E731
    if threshold_only:
        oof, oof_int8, fold = load_oof(df)
        head = HarmHead.load()
    else:
        oof, oof_int8, fold = cross_validate(df, folds, log)
        np.savez_compressed(OOF, p=oof, p_int8=oof_int8, fold=fold, digest=np.asarray(_digest(df)))
        enc, head = fit(df, progress=log)
        enc.save_adapter(ADAPTER)
    threshold, cv = cross_validated_threshold(df, oof, fold)
    threshold_int8, cv_int8 = cross_validated_threshold(df, oof_int8, fold)
    head.card = {
        "format": head.version,
        "threshold": threshold,
        "sources": df["source"].value_counts().to_dict(),
        "harmful_rows": int(df["harmful"].sum()),
        "benign_rows": int((~df["harmful"]).sum()),
        "finetune": FineTuneConfig().__dict__,
        "cross_validated": {"folds": int(fold.max()) + 1, **cv},
        # The same adapter and heads run on int8 weights (`audit --encoder int8`): its own
        # threshold, chosen by the same rule on that encoder's out-of-fold scores.
        "int8": {
            "threshold": threshold_int8,
            "cross_validated": {"folds": int(fold.max()) + 1, **cv_int8},
        },
    }
    head.save()
    what = "the head's card" if threshold_only else f"{ADAPTER} and the heads"
    log(f"wrote {what} (threshold {threshold:.3f}, int8 {threshold_int8:.3f})")
    return head.card


if __name__ == "__main__":
    import argparse

    import safetylab.audit.train_harm as m  # pickled classes named safetylab.audit.harm.*

    ap = argparse.ArgumentParser(prog="python -m safetylab.audit.train_harm")
    ap.add_argument("folds", nargs="?", type=int, default=5)
    ap.add_argument("--threshold-only", action="store_true")
    args = ap.parse_args()
    card = m.main(args.folds, args.threshold_only)
    print(json.dumps(card["cross_validated"], indent=1))

"""`safetylab classify`: label responses; `classify train` / `classify eval` for custom heads."""

from __future__ import annotations

from pathlib import Path

import typer

from safetylab.cli_common import (
    CLASSIFIER,
    ENGINE,
    JUDGE,
    JUDGE_KEY,
    JUDGE_URL,
    OLD_CLASSIFIER,
    RAY_ADDRESS,
    DefaultCommandGroup,
    classifier_dir,
)
from safetylab.errors import InputError
from safetylab.progress import console, progress_bar
from safetylab.records import INVALID, RESPONSE_CLASSES, STYLES
from safetylab.rundir import write_json

app = typer.Typer(
    cls=DefaultCommandGroup,
    no_args_is_help=True,
    help="Label model responses: full_compliance / partial_refusal / full_refusal "
    "+ style flags. `safetylab classify IN -o OUT` or `classify train|eval`.",
)


@app.command("run", hidden=True)
def run(
    input: Path = typer.Argument(..., help="Responses table: .csv, .jsonl or .parquet."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Where to write (.csv/.jsonl/.parquet)."
    ),
    prompt_col: str = typer.Option("prompt", help="Column holding the prompt."),
    response_col: str = typer.Option("completion", help="Column holding the model's answer."),
    classifier: Path | None = CLASSIFIER,
    old_model: Path | None = OLD_CLASSIFIER,
    overwrite: bool = typer.Option(False, help="Replace OUTPUT if it exists."),
    judge: str | None = JUDGE,
    judge_base_url: str = JUDGE_URL,
    judge_api_key_env: str | None = JUDGE_KEY,
    engine: str = ENGINE,
    address: str | None = RAY_ADDRESS,
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Processes on this machine (default 1; one per core is fastest), or Ray actors "
        "with --engine ray (default: per CPU). Same labels either way.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Add `label`, `confidence`, one boolean column per style, `invalid_reason` and `evidence`
    (the sentences the label rests on, with their signals) to INPUT (and `judge_label` with
    --judge).

    Answers that are not text, empty, or not in English get the label `invalid` (with the
    reason) instead of a guess; they are counted and named, never folded into a class."""
    from safetylab.classify.model import ResponseClassifier
    from safetylab.io.tables import read_table, write_table

    if output.exists() and not overwrite:
        raise InputError(str(output), None, "exists; pass --overwrite to replace it")
    df = read_table(input, required=[prompt_col, response_col])
    out_cols = ("label", "confidence", *STYLES, "invalid_reason", "evidence")
    clash = [c for c in out_cols if c in df.columns]
    if clash:
        raise InputError(str(input), None, f"already has output column(s) {clash}; rename them")
    heads = classifier_dir(classifier, old_model)
    prompts, responses = df[prompt_col].tolist(), df[response_col].tolist()
    if engine == "ray":
        from safetylab.classify.parallel import predict_on_ray

        preds = predict_on_ray(heads, prompts, responses, workers, address)
    elif workers and workers > 1:
        from safetylab.classify.parallel import predict_in_processes

        with progress_bar("classifying", len(df), quiet) as advance:
            preds = predict_in_processes(heads, prompts, responses, workers, advance)
    else:
        clf = ResponseClassifier(heads)
        with progress_bar("classifying", len(df), quiet) as advance:
            preds = clf.predict(prompts, responses, progress=advance)
    recs = [{**j.to_record(), "evidence": " | ".join(j.evidence)} for j in preds]
    for c in out_cols:
        df[c] = [r[c] for r in recs]
    if judge:
        j = make_judge(
            judge, judge_base_url, judge_api_key_env, output.with_suffix(".judge.sqlite")
        )
        with progress_bar("judging", len(df), quiet) as advance:
            verdicts = j.judge(df[prompt_col].tolist(), df[response_col].tolist(), advance)
        df["judge_label"] = [v.label for v in verdicts]
    write_table(df, output)
    if not quiet:
        counts = df["label"].value_counts().reindex(RESPONSE_CLASSES, fill_value=0).to_dict()
        console.print(f"wrote {output} ({len(df)} rows): {counts}")
        if judge:
            both = df[df["judge_label"].notna() & (df["label"] != INVALID)]
            console.print(
                f"judge {judge}: agrees with the classifier on "
                f"{(both['judge_label'] == both['label']).mean():.1%} of {len(both)} answers; "
                f"{j.stats['unparsed']} replies unparsed, {j.stats['failed']} failed"
            )
        bad = df.loc[df["label"] == INVALID, "invalid_reason"].value_counts()
        if len(bad):
            console.print(
                f"[yellow]warning:[/] {int(bad.sum())} answers not classified "
                f"({', '.join(f'{k}: {v}' for k, v in bad.items())}); "
                "label 'invalid', reason in column invalid_reason"
            )


def _labelled_rows(data: Path, prompt_col: str, response_col: str) -> list[dict]:
    from safetylab.io.tables import is_missing, parse_bool, read_table

    df = read_table(data, required=[response_col, "label"], with_lines=True)
    rows = []
    for rec in df.to_dict("records"):
        line = int(rec["_line"])
        if rec["label"] not in RESPONSE_CLASSES:
            raise InputError(
                str(data),
                line,
                f"label '{rec['label']}' is not one of {list(RESPONSE_CLASSES)}",
                "label",
            )
        styles = rec.get("styles")
        if not isinstance(styles, list):  # boolean style columns, as `classify` writes them
            styles = [
                s
                for s in STYLES
                if not is_missing(rec.get(s)) and parse_bool(rec[s], str(data), line, s)
            ]
        rows.append(
            {
                "prompt": rec.get(prompt_col, ""),
                "response": rec[response_col],
                "label": rec["label"],
                "styles": styles,
            }
        )
    return rows


@app.command("train")
def train(
    data: Path | None = typer.Argument(
        None,
        help="Labelled table: prompt, response columns + `label` "
        "(+ optional boolean style columns).",
    ),
    out: Path = typer.Option(..., "--out", help="Directory for the trained heads."),
    prompt_col: str = typer.Option("prompt"),
    response_col: str = typer.Option("completion"),
    include_builtin: bool = typer.Option(
        True, help="Also train on the shipped heads' data (needs the shared data folder)."
    ),
    add_source: list[str] = typer.Option(
        [],
        "--add-source",
        help="Also train on a real labelled source: gptfuzz, diasafety, do-not-answer "
        "(do-not-answer is CC-BY-NC-SA: weights trained on it are for non-commercial use).",
    ),
    ngrams: bool = typer.Option(
        False, "--ngrams", help="Add word n-grams (learns your models' own phrasings)."
    ),
    taxonomy: Path | None = typer.Option(
        None, "--taxonomy", help="Your taxonomy YAML (signal and style patterns)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Train heads on your own labelled answers (and/or real sources); use them with
    `--classifier DIR`."""
    import pandas as pd

    from safetylab.classify import sources
    from safetylab.classify.model import PACKAGED_WEIGHTS, packaged_training_frame, train_heads

    frames = []
    if data is not None:
        own = pd.DataFrame(_labelled_rows(data, prompt_col, response_col))
        own["source"] = str(data)
        frames.append(own)
    if include_builtin:
        frames.append(packaged_training_frame())
    for name in add_source:
        df = sources.load(name)
        if df["label"].isna().all():  # binary refusal labels only
            df = df[df["refused"].notna()].copy()
            df["label"] = df["refused"].map({True: "full_refusal", False: "full_compliance"})
        frames.append(df[df["label"].notna()])
    if not frames:
        raise InputError("classify train", None, "nothing to train on: give DATA or --add-source")
    rows = pd.concat(frames, ignore_index=True)
    from safetylab.lexicon import load_yaml

    heads = train_heads(
        rows,
        taxonomy=load_yaml(taxonomy) if taxonomy else None,
        source_weights=PACKAGED_WEIGHTS,
        progress=None if quiet else (lambda s: console.print(f"training: {s}")),
        ngrams=ngrams,
    )
    heads.card["trained_on"] = [str(data)] if data else []
    heads.card["trained_on"] += list(add_source)
    if "do-not-answer" in add_source:
        heads.card["licence_note"] = "trained on Do-Not-Answer (CC-BY-NC-SA-4.0): non-commercial"
    heads.save(out)
    if not quiet:
        console.print(f"wrote {out} ({len(rows)} training rows: {heads.card['sources']})")


@app.command("eval")
def evaluate_cmd(
    data: Path | None = typer.Argument(
        None, help="Labelled table (same columns as for train); omit with --real."
    ),
    prompt_col: str = typer.Option("prompt"),
    response_col: str = typer.Option("completion"),
    classifier: Path | None = CLASSIFIER,
    old_model: Path | None = OLD_CLASSIFIER,
    real: bool = typer.Option(
        False,
        "--real",
        help="Measure on the real human-labelled sources in the shared data folder, per source "
        "and model, beside the refusal-phrase baseline.",
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the metrics here."),
    judge: str | None = JUDGE,
    judge_base_url: str = JUDGE_URL,
    judge_api_key_env: str | None = JUDGE_KEY,
) -> None:
    """Accuracy, macro-F1 and per-class F1 with 95 % intervals, confusion, calibration; with
    --judge, the judge's figures on the same rows beside the classifier's."""
    from safetylab.classify.evaluate import evaluate, format_confusion
    from safetylab.classify.model import ResponseClassifier

    clf = ResponseClassifier(classifier_dir(classifier, old_model))
    if real:
        from safetylab.classify.validate import format_validation, validate

        m = validate(clf)
        console.print(format_validation(m), markup=False)
    elif data is None:
        raise InputError("classify eval", None, "give a labelled DATA file, or --real")
    else:
        rows = _labelled_rows(data, prompt_col, response_col)
        m = evaluate(clf, rows)
        console.print(
            f"classifier: n={m['n']} accuracy={m['accuracy']:.3f} {_ci(m['accuracy_ci95'])} "
            f"macro_f1={m['macro_f1']:.3f} {_ci(m['macro_f1_ci95'])} "
            f"ECE={m['calibration']['ece']:.3f} invalid={m['invalid']}"
        )
        for c, v in m["per_class"].items():
            console.print(
                f"  {c:16s} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} "
                f"{_ci(v['f1_ci95'])} n={v['support']}"
            )
        console.print(format_confusion(m))
        if judge:
            from safetylab.classify.evaluate import class_metrics

            jd = make_judge(
                judge, judge_base_url, judge_api_key_env, data.with_suffix(".judge.sqlite")
            )
            verdicts = jd.judge([r["prompt"] for r in rows], [r["response"] for r in rows])
            # an unparsed reply counts as wrong: the judge must answer in the format it was given
            jm = class_metrics(
                [r["label"] for r in rows], [v.label or "unparsed" for v in verdicts]
            )
            jm["unparsed"], jm["failed"] = jd.stats["unparsed"], jd.stats["failed"]
            m = {"classifier": m, "judge": jm}
            console.print(
                f"judge {judge}: n={jm['n']} accuracy={jm['accuracy']:.3f} "
                f"{_ci(jm['accuracy_ci95'])} macro_f1={jm['macro_f1']:.3f} "
                f"{_ci(jm['macro_f1_ci95'])} unparsed={jm['unparsed']} failed={jm['failed']}"
            )
            console.print(format_confusion(jm))
    if json_out:
        write_json(json_out, m)


def make_judge(model: str, base_url: str, api_key_env: str | None, cache: Path):  # -> LLMJudge
    from safetylab.backends import BackendOptions
    from safetylab.classify.judge import LLMJudge

    return LLMJudge(
        model, "xstest", BackendOptions(base_url=base_url, api_key_env=api_key_env), cache
    )


def _ci(ci: list) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci and ci[0] is not None else ""

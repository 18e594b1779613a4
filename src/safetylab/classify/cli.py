"""`safetylab classify`: label responses; `classify train` / `classify eval` for custom heads."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from safetylab.classify.model import DEFAULT_THRESHOLD
from safetylab.cli_common import DefaultCommandGroup
from safetylab.errors import InputError
from safetylab.progress import console, progress_bar
from safetylab.records import RESPONSE_CLASSES, STYLES

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
    model: Path | None = typer.Option(None, "--model", help="Heads trained with `classify train`."),
    threshold: float | None = typer.Option(None, help="Cascade: stage-1 confidence to accept."),
    overwrite: bool = typer.Option(False, help="Replace OUTPUT if it exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Add `label`, `confidence` and one boolean column per style to INPUT, write OUTPUT."""
    from safetylab.classify.model import ResponseClassifier
    from safetylab.io.tables import read_table, write_table

    if output.exists() and not overwrite:
        raise InputError(str(output), None, "exists; pass --overwrite to replace it")
    df = read_table(input, required=[prompt_col, response_col])
    clash = [c for c in ("label", "confidence", *STYLES) if c in df.columns]
    if clash:
        raise InputError(str(input), None, f"already has output column(s) {clash}; rename them")
    clf = ResponseClassifier(model, threshold=threshold)
    with progress_bar("classifying", len(df), quiet) as advance:
        preds = clf.predict(df[prompt_col].tolist(), df[response_col].tolist(), progress=advance)
    df["label"] = [j.label for j in preds]
    df["confidence"] = [round(j.confidence, 4) for j in preds]
    for s in STYLES:
        df[s] = [j.styles[s] for j in preds]
    write_table(df, output)
    if not quiet:
        counts = df["label"].value_counts().reindex(RESPONSE_CLASSES, fill_value=0).to_dict()
        console.print(f"wrote {output} ({len(df)} rows): {counts}")


def _labelled_rows(data: Path, prompt_col: str, response_col: str) -> list[dict]:
    from safetylab.io.tables import read_table

    df = read_table(data, required=[response_col, "label"])
    rows = []
    for i, rec in enumerate(df.to_dict("records"), start=1):
        if rec["label"] not in RESPONSE_CLASSES:
            raise InputError(
                str(data),
                i,
                f"label '{rec['label']}' is not one of {list(RESPONSE_CLASSES)}",
                "label",
            )
        styles = rec.get("styles")
        if not isinstance(styles, list):  # boolean style columns, as `classify` writes them
            styles = [s for s in STYLES if bool(rec.get(s, False)) is True]
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
    data: Path = typer.Argument(
        ...,
        help="Labelled table: prompt, response columns + `label` "
        "(+ optional boolean style columns).",
    ),
    out: Path = typer.Option(..., "--out", help="Directory for the trained heads."),
    prompt_col: str = typer.Option("prompt"),
    response_col: str = typer.Option("completion"),
    include_builtin: bool = typer.Option(True, help="Also train on the shipped examples."),
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD, help="Cascade threshold stored with the heads."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Retrain the heads on your own labelled data; use them with `--model DIR`."""
    from safetylab.classify.model import packaged_training_rows, train_heads

    rows = _labelled_rows(data, prompt_col, response_col)
    if include_builtin:
        rows += packaged_training_rows()
    heads = train_heads(
        rows,
        threshold=threshold,
        progress=None if quiet else (lambda s: console.print(f"training: {s}")),
    )
    heads.card["source"] = str(data)
    heads.save(out)
    if not quiet:
        console.print(f"wrote {out} ({len(rows)} training rows)")


@app.command("eval")
def evaluate_cmd(
    data: Path = typer.Argument(..., help="Labelled table (same columns as for train)."),
    prompt_col: str = typer.Option("prompt"),
    response_col: str = typer.Option("completion"),
    model: Path | None = typer.Option(None, "--model"),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the metrics here."),
) -> None:
    """Accuracy, macro-F1, per-class scores and the confusion matrix on labelled data."""
    from safetylab.classify.evaluate import evaluate, format_confusion
    from safetylab.classify.model import ResponseClassifier

    m = evaluate(ResponseClassifier(model), _labelled_rows(data, prompt_col, response_col))
    console.print(f"n={m['n']} accuracy={m['accuracy']:.3f} macro_f1={m['macro_f1']:.3f}")
    for c, v in m["per_class"].items():
        console.print(
            f"  {c:16s} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} "
            f"n={v['support']}"
        )
    console.print(format_confusion(m))
    if json_out:
        json_out.write_text(json.dumps(m, indent=2))

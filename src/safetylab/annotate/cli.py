"""`safetylab annotate create|serve|export|agreement|report`."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path

import typer

from safetylab.errors import SafetylabError
from safetylab.progress import console
from safetylab.rundir import SUMMARY, write_json

app = typer.Typer(
    no_args_is_help=True,
    help="Manual annotation: a local web workbench, agreement, and literature coding.",
)


@app.callback()
def _needs_extra() -> None:
    from safetylab.extras import require

    require("annotate", "safetylab annotate")


@app.command("create")
def create_cmd(
    source: Path = typer.Argument(
        ..., help="An audit dir, a probe dir, or a bibliography (.bib / .csv) of citing papers."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="New task directory."),
    annotators: str = typer.Option(..., help="Comma-separated annotator names."),
    schema: str | None = typer.Option(
        None, help="Label schema: response, pair, literature (shipped) or a YAML file."
    ),
    stratify: str | None = typer.Option(
        None, help="Column to stratify by (default: harm_top / group / none)."
    ),
    per_stratum: int | None = typer.Option(None, help="Items per stratum."),
    n: int | None = typer.Option(None, "--n", help="Items in total (spread over the strata)."),
    sample: str = typer.Option(
        "stratified",
        help="stratified (by --stratify) or uniform: a simple random sample of --n items, the "
        "design prediction-powered estimates assume (stratified stores inclusion probabilities).",
    ),
    overlap: float = typer.Option(0.2, help="Share of items every annotator gets (agreement)."),
    show_auto: bool = typer.Option(False, "--show-auto", help="Show automatic labels."),
    top: int = typer.Option(100, help="Bibliography: the N most influential papers."),
    seed: int = typer.Option(0),
) -> None:
    """Build an annotation task; prints each annotator's link (tokens are shown only here)."""
    from safetylab.annotate.create import CreateConfig, create_task

    names = [a.strip() for a in annotators.split(",") if a.strip()]
    if len(set(names)) != len(names):
        raise SafetylabError(f"--annotators: duplicate names in {names}")
    m = create_task(
        CreateConfig(
            source=source,
            out=out,
            annotators=names,
            schema=schema,
            stratify=stratify,
            per_stratum=per_stratum,
            n=n,
            overlap=overlap,
            hide_auto=not show_auto,
            seed=seed,
            top=top,
            sample=sample,
        )
    )
    issued = m.tokens or {}
    tokens = out / "tokens.txt"
    fd = os.open(tokens, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        for a, t in issued.items():
            fh.write(f"{a}\t{t}\n")
    how = (
        "a uniform random sample"
        if m.sample == "uniform"
        else f"stratified by {m.stratify}: {len(m.strata)} strata"
    )
    console.print(
        f"{m.items} items ({m.source_kind}, schema {m.schema_}, {how});"
        f" {m.overlap_items} shared by all"
    )
    for a, k in m.annotators.items():
        console.print(f"  {a}: {k} items  http://127.0.0.1:8765/?token={issued[a]}")
    console.print(f"tokens also in {tokens} (mode 600). Start: safetylab annotate serve {out}")


@app.command("serve")
def serve_cmd(
    task: Path = typer.Argument(..., help="Task directory from `annotate create`."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)."),
    port: int = typer.Option(8765),
    allow_remote: bool = typer.Option(
        False, "--allow-remote", help="Needed to bind a non-loopback address."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Start the workbench (every answer is saved to TASK/task.sqlite at once)."""
    from safetylab.annotate.server import serve
    from safetylab.annotate.store import TaskStore

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise SafetylabError(
            f"--host {host} is not a loopback address: annotators' data would be reachable"
            " from the network. Put it behind TLS and pass --allow-remote if you mean it."
        )
    from safetylab.rundir import exclusive

    TaskStore(task).close()  # fail here, with a clear message, if it is not a task
    with exclusive(task, f"safetylab annotate serve on {host}:{port}"):
        console.print(
            f"serving {task} on http://{host}:{port}/ (links with tokens: {task}/tokens.txt)"
        )
        serve(task, host, port, quiet)


def _answers(task: Path):
    import pandas as pd

    from safetylab.annotate.store import TaskStore

    store = TaskStore(task)
    try:
        cols = ["item_id", "annotator", "field", "value", "updated", "stratum", "auto"]
        return pd.DataFrame(store.all_answers(), columns=cols), store.schema
    finally:
        store.close()


@app.command("export")
def export_cmd(
    task: Path = typer.Argument(...),
    output: Path = typer.Option(..., "--output", "-o", help=".parquet, .csv or .jsonl"),
    wide: bool = typer.Option(False, help="One row per item x annotator, a column per field."),
    human_labels: bool = typer.Option(
        False,
        "--human-labels",
        help="Write the majority label per item in exactly the format `audit --human-labels` "
        "and `probe --human-labels` read (with inclusion probabilities).",
    ),
) -> None:
    """Write every answer (long: item, annotator, field, value, automatic labels, time)."""
    import pandas as pd

    from safetylab.io.tables import write_table

    if human_labels:
        from safetylab.annotate.human import human_label_table

        table, skipped = human_label_table(task)
        if table.empty:
            raise SafetylabError(
                f"{task}: no item has a label yet"
                + (f" ({skipped} tied between annotators)" if skipped else "")
                + "; nothing written"
            )
        write_table(table, output)
        console.print(f"wrote {len(table)} labelled items to {output}")
        if skipped:
            console.print(f"[yellow]warning:[/] {skipped} items left out: annotators tied")
        return

    df, schema = _answers(task)
    auto = pd.json_normalize(df["auto"].tolist()).add_prefix("auto_") if len(df) else None
    df = df.drop(columns=["auto"])
    if auto is not None:
        df = pd.concat([df.reset_index(drop=True), auto], axis=1)
    df["updated"] = pd.to_datetime(df["updated"], unit="s", utc=True)

    def flat(v: object) -> object:  # multi-choice answers and list labels: "a|b"
        return "|".join(map(str, v)) if isinstance(v, list) else v

    for c in [c for c in df.columns if c.startswith("auto_")]:
        df[c] = df[c].map(flat)
    if wide:
        df["value"] = df["value"].map(flat)
        keys = ["item_id", "annotator", "stratum"] + [c for c in df if c.startswith("auto_")]
        df = (
            df.pivot_table(index=keys, columns="field", values="value", aggfunc="first")
            .reset_index()
            .rename_axis(columns=None)
        )
    elif output.suffix == ".parquet":
        df["value"] = df["value"].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
    else:
        df["value"] = df["value"].map(flat)
    if output.suffix.lower() in (".csv", ".tsv"):
        # a cell starting with = + - @ is a formula to spreadsheet programs (=HYPERLINK(...))
        for c in df.select_dtypes(include="object").columns:
            df[c] = df[c].map(_spreadsheet_safe)
    write_table(df, output)
    console.print(f"wrote {len(df)} rows to {output}")


def _spreadsheet_safe(v: object) -> object:
    return "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


@app.command("plan")
def plan_cmd(
    task: Path = typer.Argument(...),
    width: float = typer.Option(0.1, "--width", min=0.005, max=1.0, help="Target 95% CI width."),
) -> None:
    """How many more items people must label for a prediction-powered interval of --width,
    given how the automatic labels agree with theirs so far (ppi_py's power analysis)."""
    from safetylab.annotate.human import plan

    for row in plan(task, width):
        need = row["labels_needed_with_ppi"]
        console.print(
            f"{row['outcome']:28s} rate so far {row['rate_so_far']:.1%} "
            f"({row['labels_so_far']} labelled): "
            + (
                f"{need} labels with PPI (ppi correlation {row['ppi_correlation']:.2f}) vs "
                f"{row['labels_needed_without_classifier']} without"
                if need is not None
                else row["note"]
            )
        )


@app.command("agreement")
def agreement_cmd(
    task: Path = typer.Argument(...),
    output: Path | None = typer.Option(None, "--output", "-o", help="Also write JSON here."),
) -> None:
    """Krippendorff's alpha and Cohen's kappa per label; automatic labels vs human majority."""
    from safetylab.annotate.agreement import agreement

    df, schema = _answers(task)
    if df.empty:
        raise SafetylabError(f"{task}: no answers yet")
    res = agreement(df, schema)
    for name, r in res["labels"].items():
        kappas = ", ".join(f"{k} {v['kappa']:.2f}" for k, v in r["cohen_kappa"].items()) or "–"
        alpha = r["krippendorff_alpha"]
        console.print(
            f"{name:32s} alpha {'–' if alpha is None else f'{alpha:.3f}'}"
            f" on {r['items_with_2plus_annotators']} items; kappa {kappas}"
        )
    for name, r in res["auto_vs_majority"].items():
        console.print(
            f"automatic {name} vs human majority: accuracy {r['accuracy']:.3f},"
            f" macro-F1 {r['macro_f1']} (n={r['n']})"
        )
        console.print(f"  confusion (rows human, columns automatic) {r['labels']}:")
        for lab, row in zip(r["labels"], r["confusion"], strict=True):
            console.print(f"    {lab:18s} {row}")
    if output:
        write_json(output, res)
        console.print(f"wrote {output}")


@app.command("report")
def report_cmd(task: Path = typer.Argument(...)) -> None:
    """TASK/summary.json + report.html: progress, agreement, code tables (literature) and plots."""
    from safetylab.annotate.report import build_report
    from safetylab.annotate.store import TaskStore

    df, schema = _answers(task)
    store = TaskStore(task)
    try:
        out = build_report(task, df, schema, store)
    finally:
        store.close()
    console.print(f"wrote {task / SUMMARY}, {out}")

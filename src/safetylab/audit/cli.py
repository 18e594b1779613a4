"""`safetylab audit DATA... --out DIR`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from safetylab.errors import SafetylabError
from safetylab.io.hh import ColumnMap
from safetylab.progress import console, progress_bar


def audit(
    data: list[Path] = typer.Argument(
        ...,
        help="Preference data: .jsonl(.gz), .csv, .parquet or "
        "a local HF datasets directory (several allowed).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory (re-running resumes)."),
    columns: str | None = typer.Option(
        None,
        help="Column mapping for non-HH schemas, e.g. 'prompt=question,chosen=good,rejected=bad'.",
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Skip unreadable rows; list them in summary.json."
    ),
    batch_size: int = typer.Option(1024, min=1, help="Pairs per batch (and per resumable part)."),
    limit: int | None = typer.Option(None, help="Audit only the first N input rows."),
    lexicon: Path | None = typer.Option(None, help="Identity lexicon YAML (default: built-in)."),
    model: Path | None = typer.Option(
        None, "--model", help="Response-classifier heads (from `classify train`)."
    ),
    examples: int = typer.Option(8, help="Flagged examples per kind in the report."),
    judge: str | None = typer.Option(
        None, "--judge", help="Also ask an LLM judge for each answer's quality (openai/NAME, ...)."
    ),
    judge_base_url: str = typer.Option("http://127.0.0.1:8000/v1", help="For an openai/ judge."),
    judge_api_key_env: str = typer.Option("OPENAI_API_KEY"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Audit a preference dataset: harm categories, answer quality, groups, data-quality flags."""
    from safetylab.audit.pipeline import AuditConfig, Auditor, join_parts
    from safetylab.audit.report import build_report
    from safetylab.audit.summary import build_summary, load_summary_frame
    from safetylab.backends import BackendOptions

    try:
        cmap = ColumnMap.parse(columns)
    except ValueError as exc:
        raise SafetylabError(str(exc)) from None
    cfg = AuditConfig(
        inputs=list(data),
        out=out,
        columns=cmap,
        skip_invalid=skip_invalid,
        batch_size=batch_size,
        lexicon=lexicon,
        classifier=model,
        limit=limit,
        judge=judge,
        judge_options=BackendOptions(base_url=judge_base_url, api_key_env=judge_api_key_env),
    )
    for p in cfg.inputs:
        if not p.exists():
            raise SafetylabError(f"{p}: no such file or directory")
    auditor = Auditor(cfg)

    def resumed(n: int) -> None:
        if not quiet:
            console.print(f"resuming: {n} pairs already audited in {out}")

    with progress_bar("auditing pairs", None, quiet) as advance:
        state = auditor.run(progress=advance, on_resume=resumed)
    pairs = join_parts(out, state.parts)
    stats = auditor.fz.classifier.last_stats
    summary = build_summary(
        load_summary_frame(pairs),
        state.skipped,
        [str(p) for p in data],
        {
            "timing": {
                "audit_seconds": round(state.seconds, 2),
                "pairs_per_second": round(state.pairs / max(state.seconds, 1e-9), 2),
            },
            "classifier_last_batch": stats,
        },
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    report = build_report(summary, pairs, out / "report.html", examples)
    if not quiet:
        o = summary["overall"]
        console.print(
            f"{summary['n_pairs']} pairs audited "
            f"({state.pairs / max(state.seconds, 1e-9):.1f} pairs/s), "
            f"{len(state.skipped)} skipped"
        )
        console.print(
            f"chosen: acceptable {o['chosen_acceptable']['rate']:.1%}, harmful "
            f"{o['chosen_harmful']['rate']:.1%}, refusal {o['chosen_refusal']['rate']:.1%}, "
            f"evasive {o['chosen_evasive']['rate']:.1%}"
        )
        console.print(f"wrote {pairs}, {out / 'summary.json'}, {report}")

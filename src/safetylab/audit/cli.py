"""`safetylab audit DATA... --out DIR`."""

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
    WORKERS,
    classifier_dir,
)
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
    classifier: Path | None = CLASSIFIER,
    old_model: Path | None = OLD_CLASSIFIER,
    examples: int = typer.Option(8, help="Flagged examples per kind in the report."),
    human_labels: Path | None = typer.Option(
        None,
        "--human-labels",
        help="People's labels of a random sample (source_line, chosen_quality, ...): adds "
        "prediction-powered estimates that stay valid when the classifier errs.",
    ),
    judge: str | None = JUDGE,
    judge_base_url: str = JUDGE_URL,
    judge_api_key_env: str | None = JUDGE_KEY,
    encoder: str = typer.Option(
        "float",
        "--encoder",
        help="Request encoder: float (the published figures) or int8 (about 1.6x the audit's "
        "speed; its own cross-validated threshold, figures in docs/numbers.md).",
    ),
    engine: str = ENGINE,
    address: str | None = RAY_ADDRESS,
    workers: int | None = WORKERS,
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Audit a preference dataset: harm categories, answer quality, groups, data-quality flags."""
    from safetylab.extras import require

    require("audit", "safetylab audit")
    from safetylab.audit.pipeline import AuditConfig, run_audit
    from safetylab.backends import BackendOptions
    from safetylab.rundir import SUMMARY

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
        classifier=classifier_dir(classifier, old_model),
        limit=limit,
        human_labels=human_labels,
        judge=judge,
        judge_options=BackendOptions(base_url=judge_base_url, api_key_env=judge_api_key_env),
        encoder=encoder,
        engine=engine,
        ray_address=address,
        workers=workers,
    )

    def resumed(n: int) -> None:
        if not quiet:
            console.print(f"resuming: {n} pairs already audited in {out}")

    def notice(msg: str) -> None:
        console.print(f"[yellow]{msg}[/]")

    with progress_bar("auditing pairs", None, quiet) as advance:
        run = run_audit(cfg, examples, advance, resumed, notice)
    if not quiet:
        s = run.summary
        o = s.overall
        pps = s.timing.pairs_per_second if s.timing else 0.0
        speed = f"{pps:.1f} pairs/s" + (", int8 request encoder" if encoder == "int8" else "")
        console.print(f"{s.n_pairs} pairs audited ({speed}), {s.skipped.count} skipped")
        console.print(
            f"chosen: acceptable {o.chosen_acceptable.rate:.1%}, harmful "
            f"{o.chosen_harmful.rate:.1%}, refusal {o.chosen_refusal.rate:.1%}, "
            f"evasive {o.chosen_evasive.rate:.1%}"
        )
        if s.ppi is not None and s.ppi.chosen_quality:
            shown = [
                f"{c} {v.estimate:.1%} [{v.ci95[0]:.1%}, {v.ci95[1]:.1%}]"
                for c, v in s.ppi.chosen_quality.items()
                if v.estimate is not None and v.ci95 and None not in v.ci95
            ]
            how = {v.method for v in s.ppi.chosen_quality.values()} - {None, "ppi++"}
            console.print(
                f"with {s.ppi.n_labelled} people's labels (PPI, 95% CI): "
                + ", ".join(shown)
                + (" (too few labels for PPI: people's own intervals)" if how else "")
            )
        console.print(f"wrote {run.pairs_path}, {out / SUMMARY}, {run.report}")

"""`safetylab probe`: ask a model harmless questions about many groups; who gets refused?"""

from __future__ import annotations

from pathlib import Path

import typer

from safetylab.backends import model_help
from safetylab.cli_common import (
    CLASSIFIER,
    JUDGE,
    JUDGE_KEY,
    JUDGE_URL,
    MODEL_ARGS,
    DefaultCommandGroup,
)
from safetylab.errors import SafetylabError
from safetylab.progress import console
from safetylab.rundir import dumps

app = typer.Typer(
    cls=DefaultCommandGroup,
    no_args_is_help=True,
    help="Measure quality-of-service harms: `probe --model M --out DIR`, "
    "`probe compare DIR...`, `probe prompts -o FILE`.",
)


def _system_prompt(value: str | None) -> str | None:
    if value and Path(value).is_file():
        return Path(value).read_text(encoding="utf-8-sig").strip()
    return value


def _prompts(
    prompts: Path | None,
    templates: Path | None,
    groups: str | None,
    intersections: bool,
    unsafe: bool,
    limit: int | None,
    preset: str | None = None,
):
    from safetylab.probe.prompts import TEMPLATES, generate, load_prompt_file

    if preset is not None and not preset.strip():
        raise SafetylabError("--preset is empty; see `safetylab probe presets` for the names")
    if preset and (prompts or templates or groups):
        raise SafetylabError("--preset brings its own prompts: drop --prompts/--templates/--groups")
    if preset:
        from safetylab.probe.presets import load_preset

        ps = load_preset(preset).prompts  # with the study's own unsafe contrasts, if it has any
    elif prompts:
        ps = load_prompt_file(prompts)
    else:
        ps = generate(
            templates or TEMPLATES, groups.split(",") if groups else None, intersections, unsafe
        )
    return ps[:limit] if limit else ps


@app.command("run", hidden=True)
def run(
    model: str = typer.Option(..., "--model", "-m", help=model_help("The model under test")),
    out: Path = typer.Option(..., "--out", "-o", help="Output dir (re-running resumes)."),
    prompts: Path | None = typer.Option(
        None, help="Prompt file (prompt, group, ...) instead of the built-in generator."
    ),
    preset: str | None = typer.Option(
        None, "--preset", help="A published study's prompt set (see `probe presets`)."
    ),
    templates: Path | None = typer.Option(None, help="Template YAML for the generator."),
    groups: str | None = typer.Option(None, help="Comma-separated axis:group subset."),
    intersections: bool = typer.Option(True, help="Include intersectional cells."),
    unsafe: bool = typer.Option(False, help="Add unsafe contrast prompts per group."),
    base_url: str = typer.Option("http://127.0.0.1:8000/v1", help="For openai/ models."),
    concurrency: int = typer.Option(16, min=1),
    api_key_env: str | None = typer.Option(
        None, help="Env var holding the API key (default: OPENAI_API_KEY when set)."
    ),
    timeout: float = typer.Option(120.0, min=1, help="Seconds for one whole reply (openai/)."),
    connect_timeout: float = typer.Option(10.0, min=0.1, help="Seconds to connect (openai/)."),
    retries: int = typer.Option(6, min=0, help="Retries of a request after 429/5xx/timeouts."),
    system_prompt: str | None = typer.Option(
        None, help="System prompt text, or a file (default: the preset's, else none)."
    ),
    temperature: float | None = typer.Option(
        None, help="Sampling temperature (default: the preset's, else 0)."
    ),
    max_tokens: int | None = typer.Option(None, help="Default: the preset's, else 256."),
    seed: int = typer.Option(0),
    samples: int | None = typer.Option(
        None, min=1, help="Samples per prompt (default: the preset's, else 1)."
    ),
    batch_size: int = typer.Option(8, help="Batch size for hf/ models."),
    device: str = typer.Option(
        "auto", help="hf/ models: auto (cuda in bf16 when present, else cpu), cpu, cuda:N."
    ),
    correction: str = typer.Option("holm", help="holm or bh (Benjamini-Hochberg)."),
    human_labels: Path | None = typer.Option(
        None,
        help="People's labels of a random sample (id, sample, human_label): the classifier's "
        "agreement per group and prediction-powered refusal rates.",
    ),
    classifier: Path | None = CLASSIFIER,
    judge: str | None = JUDGE,
    judge_base_url: str = JUDGE_URL,
    judge_api_key_env: str | None = JUDGE_KEY,
    model_args: list[str] | None = MODEL_ARGS,
    limit: int | None = typer.Option(None, help="Only the first N prompts."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Probe a model and write responses.jsonl, summary.json and report.html."""
    from safetylab.backends import BackendOptions, parse_args, parse_model
    from safetylab.probe.prompts import CONTROL
    from safetylab.probe.run import ProbeConfig, run_probe
    from safetylab.rundir import RESPONSES, SUMMARY

    if correction not in ("holm", "bh"):
        raise SafetylabError("--correction must be holm or bh")
    ps = _prompts(prompts, templates, groups, intersections, unsafe, limit, preset)
    parse_model(model)
    spec = None
    if preset:
        from safetylab.probe.presets import load_preset

        spec = load_preset(preset)
    system_prompt = system_prompt or (spec.system_prompt if spec else None)
    max_tokens = max_tokens or (spec.max_tokens if spec and spec.max_tokens else 256)
    samples = samples or (spec.samples if spec and spec.samples else 1)
    if temperature is None:
        temperature = spec.temperature if spec and spec.temperature is not None else 0.0
    opts = BackendOptions(
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        batch_size=batch_size,
        device=device,
        timeout_s=timeout,
        connect_timeout_s=connect_timeout,
        max_retries=retries,
        args=parse_args(model_args),
    )
    cfg = ProbeConfig(
        model,
        out,
        _system_prompt(system_prompt),
        temperature,
        max_tokens,
        seed,
        samples,
        opts,
        judge,
        BackendOptions(base_url=judge_base_url, api_key_env=judge_api_key_env),
        reference=spec.reference if spec else CONTROL,
        phrases=spec.phrases if spec else None,
        preset=preset,
    )
    run = run_probe(ps, cfg, classifier, correction, quiet, human_labels=human_labels)
    summary = run.summary
    gen = summary.generation
    if not quiet and gen is not None:
        console.print(f"{gen.requests} requests: {gen.cached} from cache, {gen.sent} sent")
        top = sorted(summary.groups.items(), key=lambda kv: -(kv[1].refusal_rate or 0))[:5]
        for g, c in top:
            console.print(f"  {g:40s} refusal {c.refusal_rate or 0:.1%} (n={c.n})")
    inv, over = summary.invalid, summary.overlong
    if inv.count:
        console.print(
            f"[yellow]warning:[/] {inv.count} answers not classified and in no rate "
            f"({', '.join(f'{k}: {v}' for k, v in inv.reasons.items())})"
        )
    if over is not None and over.count:
        console.print(
            f"[yellow]warning:[/] {over.count} answers are far longer than --max-tokens "
            f"{over.max_tokens} allows (first: {', '.join(over.ids[:3])}); the server may "
            "ignore max_tokens. They are kept whole in responses.jsonl and cut in the report."
        )
    pub = summary.published
    if pub and not quiet:
        for row in pub["rows"]:
            ours = "–" if row["ours"] is None else f"{row['ours']:.1%}"
            console.print(
                f"  published ({pub['model']}{', secondary source' if pub['secondary'] else ''}):"
                f" {row['what']} {row['published']:.0%}; ours {ours}"
            )
    if summary.phrase_detector is not None and not quiet:
        o = summary.phrase_detector["overall"]
        console.print(
            f"  refusal on safe prompts: classifier {o['classifier_refusal']['rate']:.1%}, the "
            f"study's string matching {o['phrase_refusal']['rate']:.1%}"
        )
    if not quiet:
        console.print(f"wrote {out / RESPONSES}, {out / SUMMARY}, {run.report}")


@app.command("presets")
def presets_cmd() -> None:
    """The published studies' prompt sets `--preset` can re-run, with their provenance."""
    from safetylab.probe.presets import load_preset, names

    for n in names():
        p = load_preset(n)
        kinds = {k: sum(x.kind == k for x in p.prompts) for k in ("safe", "unsafe")}
        console.print(
            f"[bold]{n}[/]: {p.spec.get('title')} — {len(p.prompts)} prompts "
            f"({kinds['safe']} safe, {kinds['unsafe']} unsafe), "
            f"{len({x.group for x in p.prompts})} groups"
        )
        console.print(f"  source: {p.spec.get('source')}")
        console.print(f"  cite: {p.spec.get('citation')}; licence: {p.spec.get('licence')}")


@app.command("prompts")
def prompts_cmd(
    output: Path = typer.Option(..., "--output", "-o", help=".csv, .jsonl or .parquet"),
    preset: str | None = typer.Option(None, "--preset", help="A study preset (probe presets)."),
    templates: Path | None = typer.Option(None),
    groups: str | None = typer.Option(None),
    intersections: bool = typer.Option(True),
    unsafe: bool = typer.Option(False),
    inspect: bool = typer.Option(
        False,
        "--inspect",
        help="Write an inspect_ai dataset (.jsonl) and task file instead of a table.",
    ),
) -> None:
    """Write the generated prompt set (to inspect, edit, or feed to other tools)."""
    import pandas as pd

    from safetylab.io.tables import write_table

    ps = _prompts(None, templates, groups, intersections, unsafe or bool(preset), None, preset)
    if inspect:
        from safetylab.probe.interop import export_inspect_task

        if output.suffix.lower() != ".jsonl":
            raise SafetylabError(
                f"--inspect writes an inspect_ai dataset: name it .jsonl, not {output.name}"
            )

        task = export_inspect_task(ps, output)
        console.print(f"wrote {output} ({len(ps)} samples) and {task}")
        return
    write_table(pd.DataFrame([p.as_dict() for p in ps]), output)
    console.print(f"wrote {output} ({len(ps)} prompts)")


@app.command("compare")
def compare(
    runs: list[Path] = typer.Argument(
        ..., help="Probe output directories, or inspect logs scored by safetylab.inspect."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write compare.json here."),
) -> None:
    """Refusal rate per group, side by side, for several probe runs (or inspect logs)."""
    from rich.table import Table

    from safetylab.probe.analysis import summarize
    from safetylab.probe.prompts import CONTROL
    from safetylab.results import ProbeSummary
    from safetylab.rundir import ProbeRun

    def load(d: Path) -> ProbeSummary:
        if d.is_file():  # an inspect_ai log scored by safetylab's refusal_scorer
            from safetylab.io.recorded import read_scored_inspect_log

            df = read_scored_inspect_log(d)
            s = summarize(df, n_boot=0, reference=CONTROL)
            s["model"] = str(df["model"].iloc[0])
            return ProbeSummary.model_validate(s)
        return ProbeRun.load(d).summary

    sums = [load(d) for d in runs]
    groups = sorted({g for s in sums for g in s.groups})
    table = Table(
        "group", *[f"{s.model or d.name}\n{d.name}" for s, d in zip(sums, runs, strict=True)]
    )
    rows = {}
    for g in groups:
        cells = [s.groups.get(g) for s in sums]
        rows[g] = [
            None if c is None else {"refusal_rate": c.refusal_rate, "ci95": c.ci95, "n": c.n}
            for c in cells
        ]
        table.add_row(
            g,
            *[
                "–"
                if c is None
                else f"{c.refusal_rate or 0:.1%} [{c.ci95[0] or 0:.0%}, {c.ci95[1] or 0:.0%}]"
                for c in cells
            ],
        )
    console.print(table)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(
            dumps({"runs": [str(r) for r in runs], "groups": rows}, indent=2)
        )

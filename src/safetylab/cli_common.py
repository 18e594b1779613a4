"""Pieces every sub-command shares: a group with a default command, and the options several
commands take, declared once."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup

from safetylab.backends import model_help
from safetylab.progress import console


class DefaultCommandGroup(TyperGroup):
    """`safetylab classify FILE ...` runs the group's default command; `classify train ...` the
    sub-command. Keeps the documented one-word interface while allowing sub-commands."""

    default_command = "run"

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


# --- options shared by several commands, declared once ------------------------------------
# `--model` is always the model under test (probe, finetune); the response classifier's heads
# are `--classifier` everywhere (audit, classify, probe); the judge's options are the same in
# audit, classify and probe.

CLASSIFIER = typer.Option(
    None, "--classifier", help="Response-classifier heads from `classify train` (default: ours)."
)
# the old spelling in audit and classify, kept one release with a warning
OLD_CLASSIFIER = typer.Option(None, "--model", hidden=True)
JUDGE = typer.Option(None, "--judge", help="Also ask an LLM judge. " + model_help("Judge model"))
JUDGE_URL = typer.Option("http://127.0.0.1:8000/v1", help="Base URL for an openai/ judge.")
JUDGE_KEY = typer.Option(None, help="Env var with the judge's API key.")
ENGINE = typer.Option(
    "local", "--engine", help="local (this process) or ray (a Ray cluster: same output)."
)
RAY_ADDRESS = typer.Option(
    None, "--address", help="--engine ray: the cluster's address (default: a local Ray runtime)."
)
WORKERS = typer.Option(None, "--workers", min=1, help="--engine ray: actors (default: per CPU).")
MODEL_ARGS = typer.Option(
    None,
    "--model-arg",
    "-M",
    help="Back-end setting key=value (repeatable); each back-end lists the keys it knows.",
)


def classifier_dir(classifier: Path | None, old: Path | None) -> Path | None:
    """`--classifier`, or the deprecated `--model` with a warning."""
    if old is not None:
        console.print(
            "[yellow]warning:[/] --model for the classifier's heads is now --classifier "
            "(--model will mean the model under test everywhere); accepted this release"
        )
        return classifier or old
    return classifier

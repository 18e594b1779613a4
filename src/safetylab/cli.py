"""`safetylab` — one CLI; each capability adds its sub-app."""

from __future__ import annotations

import sys

import typer

from safetylab.annotate.cli import app as annotate_app
from safetylab.classify.cli import app as classify_app
from safetylab.errors import SafetylabError
from safetylab.finetune.cli import app as finetune_app
from safetylab.grooming.cli import app as grooming_app
from safetylab.probe.cli import app as probe_app
from safetylab.progress import console

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Audit alignment data and measure quality-of-service harms, offline.",
)
app.add_typer(classify_app, name="classify")
app.add_typer(probe_app, name="probe")
app.add_typer(finetune_app, name="finetune")
app.add_typer(annotate_app, name="annotate")
app.add_typer(grooming_app, name="grooming")


def _register() -> None:
    from safetylab.audit.cli import audit

    app.command("audit")(audit)


_register()


INTERRUPTED = "interrupted; re-run the same command to resume where it stopped"


def main() -> None:
    try:
        rv = app(standalone_mode=False)
    except SafetylabError as exc:
        from rich.markup import escape

        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print(INTERRUPTED)
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):  # Ctrl-C inside click
            console.print(INTERRUPTED)
            sys.exit(130)
        raise
    # without standalone mode, typer hands back the exit code instead of exiting (130 on Ctrl-C)
    if isinstance(rv, int) and rv != 0:
        if rv == 130:
            console.print(INTERRUPTED)
        sys.exit(rv)


if __name__ == "__main__":
    main()

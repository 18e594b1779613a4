"""Rich progress bars for long steps; `--quiet` turns them off."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True, soft_wrap=True)  # long result lines stay whole in logs


@contextmanager
def progress_bar(
    description: str, total: int | None, quiet: bool = False
) -> Iterator[Callable[..., None]]:
    """Yield `advance(n, tokens=k)`; a no-op when quiet. When a step reports the tokens it
    generated, the bar shows tokens per second."""
    if quiet:
        yield lambda n=1, tokens=None: None
        return
    cols = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[rate]}"),
    ]
    with Progress(*cols, console=console, transient=False) as prog:
        task = prog.add_task(description, total=total, rate="")
        seen = {"tokens": 0}
        t0 = time.perf_counter()

        def advance(n: int = 1, tokens: int | None = None) -> None:
            if tokens:
                seen["tokens"] += tokens
                rate = seen["tokens"] / max(time.perf_counter() - t0, 1e-9)
                prog.update(task, advance=n, rate=f"{rate:.0f} tokens/s")
            else:
                prog.advance(task, n)

        yield advance

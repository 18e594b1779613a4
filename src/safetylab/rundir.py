"""One writer per output directory.

Every command that writes a run directory holds an exclusive `flock` on `DIR/.lock` while it
works. A second command on the same directory stops at once with the pid of the first, instead
of mixing its rows into the other's files. The lock dies with its process, so a killed run
leaves nothing to clean up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from safetylab.errors import SafetylabError

LOCK = ".lock"


@contextlib.contextmanager
def exclusive(directory: Path, what: str = "safetylab") -> Iterator[Path]:
    """Hold DIR for this process; `SafetylabError` naming the holder if another has it. A
    directory this call created is removed again when the work fails before writing anything
    into it (a failed `annotate create` leaves no half-made task behind)."""
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise SafetylabError(
                f"{directory} is in use by {holder}; wait for it to finish or choose another "
                "output directory"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({what})".encode(), 0)
        try:
            yield directory
        except BaseException:
            if created and [p.name for p in directory.iterdir()] == [LOCK]:
                with contextlib.suppress(OSError):
                    path.unlink()
                    directory.rmdir()
            raise
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

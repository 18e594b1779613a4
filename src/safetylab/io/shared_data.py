"""Where the shared, human-labelled data lives (`SAFETYLAB_DATA`, else `shared/data` beside the
checkout): one lookup for every capability that reads it."""

from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    """`SAFETYLAB_DATA`, else the `shared/data` folder beside the checkout."""
    env = os.environ.get("SAFETYLAB_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for up in here.parents:
        cand = up.parent / "shared" / "data"
        if cand.is_dir():
            return cand
    return Path("../shared/data")

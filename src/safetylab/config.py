"""Range checks for config objects: every capability's config validates itself once, at the
boundary, with a message that names the option (`--dropout must lie in [0, 1)`)."""

from __future__ import annotations

import math
from typing import Any

from safetylab.errors import SafetylabError


def check_ranges(obj: Any, names: dict[str, str] | None = None, **ranges: tuple[Any, ...]) -> None:
    """`name=(lo, hi[, bounds])`: lo/hi may be None (unbounded); bounds is "closed" (default),
    "open", "open-closed" or "closed-open". None values (an option not given) are skipped;
    ints stay ints (1.5 rounds is an error, not a truncation). `names` maps a field to the
    command-line flag users know it by."""
    for name, spec in ranges.items():
        lo, hi = spec[0], spec[1]
        bounds = spec[2] if len(spec) > 2 else "closed"
        v = getattr(obj, name)
        if v is None:
            continue
        flag = (names or {}).get(name) or "--" + name.replace("_", "-")
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise SafetylabError(f"{flag} must be a number, got {v!r}")
        whole = isinstance(lo, int) and isinstance(hi, int | None)  # an integer option
        if whole and isinstance(v, float) and v != int(v):
            raise SafetylabError(f"{flag} must be a whole number, got {v!r}")
        lo_ok = lo is None or (v > lo if bounds in ("open", "open-closed") else v >= lo)
        hi_ok = hi is None or (v < hi if bounds in ("open", "closed-open") else v <= hi)
        if not (lo_ok and hi_ok):
            left = "(" if bounds in ("open", "open-closed") else "["
            right = ")" if bounds in ("open", "closed-open") else "]"
            where = (
                f"lie in {left}{lo}, {hi}{right}"
                if lo is not None and hi is not None
                else f"be {'>' if left == '(' else '>='} {lo}"
                if lo is not None
                else f"be {'<' if right == ')' else '<='} {hi}"
            )
            raise SafetylabError(f"{flag} must {where}, got {v!r}")

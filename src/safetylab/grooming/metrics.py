"""eSPD early-warning rule and metrics, with the published definitions.

Warning rule: after each message the window classifier votes; of the last 10 votes, once at
least `skepticism` are positive a warning is raised, and it is final. Latency = number of
messages seen when it is raised.

penalty(k) = -1 + 2 / (1 + exp(-p * (k - 1))), p chosen so that penalty(median length of the
positive chats) = 0.5, i.e. p = ln(3) / (median - 1); speed = 1 - median over true-positive
chats of penalty(latency); latency-weighted F1 = F1 * speed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

MEMORY = 10


def penalty(k: float | np.ndarray, p: float) -> float | np.ndarray:
    return -1 + 2 / (1 + np.exp(-p * (np.asarray(k, dtype=float) - 1)))


def penalty_factor_for_median(median_len: float) -> float:
    if median_len <= 1:
        raise ValueError("the median positive chat length must be above 1 message")
    return math.log(3) / (median_len - 1)


def speed(latencies: Sequence[float], p: float) -> float:
    """1 - median penalty over true-positive chats; 0 when there are none."""
    if len(latencies) == 0:
        return 0.0
    return float(1 - np.median(penalty(np.asarray(latencies), p)))


def latency_weighted_f1(f1: float, latencies: Sequence[float], p: float) -> float:
    return f1 * speed(latencies, p)


def warning_latency(
    votes: Sequence[bool] | np.ndarray, skepticism: int, memory: int = MEMORY
) -> int | None:
    """1-based message count at which the warning is raised, or None if it never is."""
    v = np.asarray(votes, dtype=np.int32)
    if len(v) == 0:
        return None
    run = np.convolve(v, np.ones(memory, dtype=np.int32))[: len(v)]  # positives in last `memory`
    hit = np.flatnonzero(run >= skepticism)
    return int(hit[0]) + 1 if len(hit) else None


def evaluate_chats(
    probs: list[np.ndarray],
    labels: Sequence[int],
    skepticism: int = 5,
    threshold: float = 0.5,
    p: float | None = None,
) -> dict[str, Any]:
    """Chat-level precision/recall/F1, speed and latency-weighted F1 of the warning rule."""
    lat = [warning_latency(pr >= threshold, skepticism) for pr in probs]
    y = np.asarray(labels, dtype=int)
    pred = np.array([x is not None for x in lat], dtype=int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if p is None:
        pos_len = [len(pr) for pr, lab in zip(probs, y, strict=True) if lab == 1]
        p = penalty_factor_for_median(float(np.median(pos_len))) if pos_len else 0.0
    tp_lat = [x for x, lab in zip(lat, y, strict=True) if lab == 1 and x is not None]
    return {
        "chats": len(y),
        "positives": int(y.sum()),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "penalty_p": round(p, 6),
        "speed": round(speed(tp_lat, p), 4),
        "latency_weighted_f1": round(latency_weighted_f1(f1, tp_lat, p), 4),
        "latency_median": float(np.median(tp_lat)) if tp_lat else None,
        "latencies": tp_lat,
        "skepticism": skepticism,
    }

"""`GroomingSummary`: one `grooming train` run, as written to `metrics.json`."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from safetylab.results.base import Model, Result


class Seconds(Model):
    load: float | None = Field(None, description="Reading and segmenting the chats.")
    features: float = Field(description="Window features (MiniLM embeddings, metric-DP noise).")
    training: float | None = Field(None, description="Rounds of federated (or central) training.")
    report: float | None = Field(None, description="Writing report.html.")
    total: float


class GroomingSummary(Result):
    """The detector's final early-warning figures, the privacy spent, the data and the costs."""

    SCHEMA_VERSION = 1
    FILE: ClassVar[str] = "metrics.json"
    mode: str = Field(description="'federated' or 'centralised'.")
    engine: str | None = Field(description="pfl, pfl (batched) or flower; None when centralised.")
    config: dict[str, Any] = Field(description="The federated-learning configuration, as run.")
    data: dict[str, Any] = Field(description="Users, chats and windows per split.")
    window: int = Field(description="Messages per window (W).")
    final: dict[str, Any] = Field(
        description="The last round's eSPD figures: F1, precision, recall, speed, "
        "latency-weighted F1, median latency."
    )
    latencies: list[Any] = Field(description="Messages until the warning, per positive chat.")
    best_round_f1: float | None = Field(description="The best F1 of any round (server-side).")
    privacy: dict[str, Any] = Field(
        description="What each privacy mechanism spent: metric-DP epsilon on embeddings, DP-SGD "
        "epsilon composed over every round a client took part in, DP-FedAvg epsilon (PLD, PRV, "
        "RDP accountants), each with its unit."
    )
    seconds: Seconds
    peak_rss_mb: float = Field(description="Peak memory of the training process.")

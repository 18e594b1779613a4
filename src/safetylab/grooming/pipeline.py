"""`grooming train`: chats -> split by user -> on-device features -> federated (or centralised)
training -> metrics.json, history.jsonl, report.html."""

from __future__ import annotations

import json
import random
import resource
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.grooming.features import ChatVectors, Featurizer, fit_normalizer
from safetylab.grooming.fl import FeatureStore, FLConfig, ServerData, simulate
from safetylab.grooming.metrics import evaluate_chats
from safetylab.grooming.model import (
    LocalTraining,
    chat_probs,
    get_weights,
    new_model,
    stack,
    train_local,
)
from safetylab.grooming.records import Chat
from safetylab.rundir import exclusive


def split_users(
    chats: list[Chat], test: float = 0.2, warmup: float = 0.05, seed: int = 0
) -> tuple[list[Chat], list[Chat], list[Chat]]:
    """(clients, warm-up, test): whole users go to one side, so no user's chats leak across."""
    users = sorted({c.user for c in chats})
    random.Random(seed).shuffle(users)
    n_test, n_warm = int(len(users) * test), max(int(len(users) * warmup), 1)
    test_u, warm_u = set(users[:n_test]), set(users[n_test : n_test + n_warm])
    pick = lambda s: [c for c in chats if c.user in s]  # noqa: E731
    return [c for c in chats if c.user not in test_u | warm_u], pick(warm_u), pick(test_u)


def prepare(
    chats: list[Chat], out: Path, window: int, metric_dp: float | None, seed: int
) -> tuple[Path, ServerData, dict[str, Any]]:
    clients, warm, test = split_users(chats, seed=seed)
    # The device-side step (embeddings, metric-DP noise) for client chats; the server's own
    # warm-up and test sets are embedded without noise.
    dev = Featurizer(window, metric_dp, seed)
    srv = Featurizer(window, None, seed)
    srv.cache = dev.cache
    warm_x = srv.transform(warm)
    norm = fit_normalizer(warm_x)
    dev.normalizer = srv.normalizer = norm
    by_user: dict[str, list[ChatVectors]] = {}
    for cv in dev.transform(clients):
        by_user.setdefault(cv.user, []).append(cv)
    store = out / "features"
    FeatureStore.write(store, by_user)
    np.savez(store / "normalizer.npz", mean=norm[0], scale=norm[1])
    info = {
        "chats": len(chats),
        "client_users": len(by_user),
        "client_chats": len(clients),
        "warmup_chats": len(warm),
        "test_chats": len(test),
        "test_positives": sum(c.label for c in test),
    }
    return store, ServerData(srv.transform(warm), srv.transform(test)), info


def centralised(store: Path, data: ServerData, cfg: FLConfig) -> list[dict[str, Any]]:
    """The same model trained on all client data pooled (the non-private baseline)."""
    fs = FeatureStore(store)
    x, y = fs.x[:], fs.y[:]
    wx, wy = stack(data.warmup)
    x, y = np.vstack([x, wx]), np.concatenate([y, wy])
    weights = get_weights(new_model(x.shape[1]))
    hist = []
    t0 = time.perf_counter()
    for epoch in range(1, cfg.rounds + 1):
        weights, m = train_local(
            weights, x, y, LocalTraining(**{**asdict(cfg.local), "epochs": 1, "seed": epoch})
        )
        ev = evaluate_chats(
            chat_probs(weights, data.test), [c.label for c in data.test], cfg.skepticism
        )
        hist.append(
            {
                "round": epoch,
                "seconds": round(time.perf_counter() - t0, 2),
                **ev,
                **({"epsilon_max": m["epsilon"]} if "epsilon" in m else {}),
            }
        )
    with open(Path(cfg.out) / "history.jsonl", "w") as fh:
        for h in hist:
            fh.write(json.dumps(h) + "\n")
    return hist


def run(
    chats: list[Chat],
    cfg: FLConfig,
    mode: str = "federated",
    window: int = 50,
    metric_dp: float | None = None,
) -> dict[str, Any]:
    out = Path(cfg.out)
    with exclusive(out, f"safetylab grooming train ({mode})"):
        return _run(chats, cfg, out, mode, window, metric_dp)


def _run(
    chats: list[Chat],
    cfg: FLConfig,
    out: Path,
    mode: str,
    window: int,
    metric_dp: float | None,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    store, data, info = prepare(chats, out, window, metric_dp, cfg.seed)
    cfg.store = str(store)
    t_feat = time.perf_counter() - t0
    hist = centralised(store, data, cfg) if mode == "centralised" else simulate(cfg, data)
    if mode != "centralised":
        fm = (
            json.loads((out / "fit_metrics.json").read_text())
            if (out / "fit_metrics.json").exists()
            else {}
        )
        eps = {int(r): v for r, v in fm.get("epsilon_max", [])}
        for h in hist:
            if h["round"] in eps:
                h["epsilon_max"] = eps[h["round"]]
        with open(out / "history.jsonl", "w") as fh:  # now with the privacy spent per round
            for h in hist:
                fh.write(json.dumps(h) + "\n")
    final = hist[-1] if hist else {}
    privacy: dict[str, Any] = {"metric_dp_epsilon": metric_dp}
    if cfg.local.dp_noise_multiplier is not None:
        privacy["dp_sgd"] = {
            "noise_multiplier": cfg.local.dp_noise_multiplier,
            "max_grad_norm": cfg.local.dp_max_grad_norm,
            "delta": cfg.local.dp_delta,
            "epsilon_max": max((h.get("epsilon_max", 0) for h in hist), default=None),
            "unit": "one message window of one client (record-level), per client, RDP accountant",
        }
    if cfg.dp_fedavg:
        privacy["dp_fedavg"] = {
            "mode": cfg.dp_fedavg,
            "noise_multiplier": cfg.dp_noise_multiplier,
            "clipping_norm": cfg.dp_clipping_norm,
        }
    metrics = {
        "mode": mode,
        "config": asdict(cfg),
        "data": info,
        "window": window,
        "final": {k: v for k, v in final.items() if k != "latencies"},
        "latencies": final.get("latencies", []),
        "best_round_f1": max((h["f1"] for h in hist), default=None),
        "privacy": privacy,
        "seconds": {"features": round(t_feat, 1), "total": round(time.perf_counter() - t0, 1)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics

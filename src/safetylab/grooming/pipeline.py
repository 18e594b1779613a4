"""`grooming train`: chats -> split by user -> on-device features -> federated (or centralised)
training -> metrics.json, history.jsonl, report.html."""

from __future__ import annotations

import json
import math
import os
import random
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.errors import SafetylabError
from safetylab.grooming.features import ChatVectors, Featurizer, fit_normalizer
from safetylab.grooming.fl import (
    FeatureStore,
    FLConfig,
    ServerData,
    load_server_data,
    save_server_data,
    simulate,
)
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
from safetylab.results import GroomingSummary
from safetylab.rundir import HISTORY, dumps, exclusive, write_json


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
    with open(Path(cfg.out) / HISTORY, "w") as fh:
        for h in hist:
            fh.write(dumps(h) + "\n")
    return hist


ENGINES = ("pfl", "flower")


def select_users(chats: list[Chat], num_clients: int | None) -> list[Chat]:
    """About `num_clients` client users: the first N/0.75 users by id (a quarter of users go to
    the server's warm-up and test sets)."""
    if not num_clients:
        return chats
    users = sorted({c.user for c in chats})
    need = int(num_clients / 0.75) + 1
    if need > len(users):
        raise SafetylabError(
            f"--num-clients {num_clients} needs about {need} users (a quarter go to warm-up and "
            f"test), but the data has {len(users)}: ask for at most {int(len(users) * 0.75)}"
        )
    keep = set(users[:need])
    return [c for c in chats if c.user in keep]


@dataclass(frozen=True)
class TrainPlan:
    """How `grooming train` runs, beside the federation's own settings (`FLConfig`): where
    training happens, on which engine, and the device-side features. `check` says which flag
    to change when a combination cannot run."""

    mode: str = "federated"  # or "centralised" (the baseline that pools all data)
    engine: str = "pfl"  # or "flower"
    window: int = 50
    metric_dp: float | None = None  # metric-DP epsilon on message embeddings
    batched: bool = False

    def check(self, cfg: FLConfig) -> None:
        if self.window < 1:
            raise SafetylabError(f"--window must be at least 1, got {self.window}")
        if self.metric_dp is not None and not (
            math.isfinite(self.metric_dp) and self.metric_dp > 0
        ):
            raise SafetylabError(f"--metric-dp must be a positive epsilon, got {self.metric_dp}")
        if self.engine not in ENGINES:
            raise SafetylabError(f"--engine must be one of {ENGINES}")
        if self.mode not in ("federated", "centralised"):
            raise SafetylabError("--mode must be federated or centralised")
        if self.mode != "federated":
            federated_only = {
                "--dp-fedavg": cfg.dp_fedavg is not None,
                "--secagg": cfg.secagg,
                "--dropout": cfg.dropout > 0,
                "--batched": self.batched,
            }
            given = [flag for flag, on in federated_only.items() if on]
            if given:
                raise SafetylabError(
                    f"{', '.join(given)} only apply to --mode federated; the centralised "
                    "baseline pools all data on one machine"
                )
            return
        if self.engine == "pfl" and cfg.secagg:
            raise SafetylabError("SecAgg+ runs on the Flower engine: add --engine flower")
        if self.engine == "pfl" and cfg.dp_fedavg == "client":
            raise SafetylabError(
                "client-side DP-FedAvg runs on the Flower engine (--engine flower); pfl applies "
                "DP-FedAvg centrally: --dp-fedavg server"
            )
        if self.batched and (self.engine != "pfl" or cfg.local.dp_noise_multiplier is not None):
            raise SafetylabError("--batched needs --engine pfl and no --dp-sgd")


def run(
    chats: list[Chat], cfg: FLConfig, plan: TrainPlan, load_seconds: float | None = None
) -> GroomingSummary | None:
    """Features, training (pfl or Flower simulation, or centralised), metrics.json and
    history.jsonl in `cfg.out`, which this process holds while it works. `load_seconds`: how
    long reading the chats took (the caller read them), reported beside the other stages."""
    plan.check(cfg)
    out = Path(cfg.out)
    rank, world = _rank()
    if world > 1 and (plan.engine != "pfl" or plan.mode != "federated"):
        raise SafetylabError("several processes (torchrun) run only --engine pfl, federated")
    if rank > 0:  # pfl's other workers: rank 0 holds the directory and writes every file
        return _run(chats, cfg, out, plan, load_seconds)
    with exclusive(out, f"safetylab grooming train ({plan.mode}, {plan.engine})"):
        return _run(chats, cfg, out, plan, load_seconds)


def _rank() -> tuple[int, int]:
    """(rank, world size) under torchrun; (0, 1) in one process."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def _prepared(
    chats: list[Chat], out: Path, window: int, metric_dp: float | None, seed: int
) -> tuple[Path, ServerData, dict[str, Any]]:
    """Features once: rank 0 computes them; other ranks wait for its `ready` mark and load."""
    rank, world = _rank()
    store = out / "features"
    ready = store / "ready.json"
    if rank == 0:
        ready.unlink(missing_ok=True)
        store, data, info = prepare(chats, out, window, metric_dp, seed)
        if world > 1:
            save_server_data(data, store / "server.npz")
            write_json(ready, info)
        return store, data, info
    deadline = time.monotonic() + 3600
    while not ready.exists():
        if time.monotonic() > deadline:
            raise SafetylabError(f"rank {rank}: rank 0 never finished {store}")
        time.sleep(0.5)
    return store, load_server_data(store / "server.npz"), json.loads(ready.read_text())


def _run(
    chats: list[Chat],
    cfg: FLConfig,
    out: Path,
    plan: TrainPlan,
    load_seconds: float | None = None,
) -> GroomingSummary | None:
    t0 = time.perf_counter()
    store, data, info = _prepared(chats, out, plan.window, plan.metric_dp, cfg.seed)
    cfg.store = str(store)
    t_feat = time.perf_counter() - t0
    engine_privacy: dict[str, Any] = {}
    if plan.mode == "centralised":
        hist = centralised(store, data, cfg)
    elif plan.engine == "pfl":
        from safetylab.grooming.pfl_engine import simulate_pfl

        hist, engine_privacy = simulate_pfl(cfg, data, plan.batched)
    else:
        hist = simulate(cfg, data)
    if _rank()[0] > 0:
        return None
    if plan.mode != "centralised":  # now with the privacy spent per round
        with open(out / HISTORY, "w") as fh:
            for h in hist:
                fh.write(dumps(h) + "\n")
    final = hist[-1] if hist else {}
    privacy: dict[str, Any] = {"metric_dp_epsilon": plan.metric_dp, **engine_privacy}
    if cfg.local.dp_noise_multiplier is not None:
        privacy["dp_sgd"] = {
            "noise_multiplier": cfg.local.dp_noise_multiplier,
            "max_grad_norm": cfg.local.dp_max_grad_norm,
            "delta": cfg.local.dp_delta,
            "epsilon_max": max((h.get("epsilon_max", 0) for h in hist), default=None),
            "unit": "one message window of one client (record-level), per client, RDP accountant",
        }
    if cfg.dp_fedavg and "dp_fedavg" not in privacy:
        privacy["dp_fedavg"] = {
            "mode": cfg.dp_fedavg,
            "noise_multiplier": cfg.dp_noise_multiplier,
            "clipping_norm": cfg.dp_clipping_norm,
        }
    metrics = {
        "mode": plan.mode,
        "engine": None
        if plan.mode == "centralised"
        else plan.engine + (" (batched)" if plan.batched else ""),
        "config": asdict(cfg),
        "data": info,
        "window": plan.window,
        "final": {k: v for k, v in final.items() if k != "latencies"},
        "latencies": final.get("latencies", []),
        "best_round_f1": max((h["f1"] for h in hist), default=None),
        "privacy": privacy,
        "seconds": {
            "load": None if load_seconds is None else round(load_seconds, 1),
            "features": round(t_feat, 1),
            "training": round(time.perf_counter() - t0 - t_feat, 1),
            "total": round(time.perf_counter() - t0 + (load_seconds or 0.0), 1),
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    result = GroomingSummary.model_validate(metrics)
    result.write(out)
    return result

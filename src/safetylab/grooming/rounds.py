"""What every federated engine does the same way: who trains in a round, with which seed, who
drops out, the warm-up model, the per-round evaluation of the early-warning rule, and the
privacy budget of DP-FedAvg. Flower (deployment, `fl.py`) and pfl (fast simulation,
`pfl_engine.py`) both call these, so the same configuration gives the same federation."""

from __future__ import annotations

import contextlib
import logging
import random
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.grooming.features import ChatVectors
from safetylab.grooming.metrics import evaluate_chats
from safetylab.grooming.model import (
    LocalTraining,
    chat_probs,
    get_weights,
    new_model,
    stack,
    train_local,
)
from safetylab.rundir import HISTORY, dumps

MODEL = "model.npz"


def cohort_size(n_clients: int, fraction: float, minimum: int = 2) -> int:
    return min(n_clients, max(int(n_clients * fraction), minimum))


def cohorts(n_clients: int, fraction: float, rounds: int, seed: int) -> list[list[int]]:
    """The clients (partition ids) sampled in rounds 1..R: uniformly without replacement within
    a round, independently across rounds, from one seed."""
    rng = np.random.default_rng(seed)
    k = cohort_size(n_clients, fraction)
    return [sorted(int(i) for i in rng.choice(n_clients, k, replace=False)) for _ in range(rounds)]


def client_seed(seed: int, rnd: int, pid: int) -> int:
    """The local-training seed of client `pid` in round `rnd` (shuffling, DP noise)."""
    return seed * 100_003 + rnd * 10_007 + pid


def dropped(seed: int, rnd: int, pid: int, dropout: float) -> bool:
    """Whether a sampled client fails to return its update this round (crash, offline)."""
    return bool(dropout) and random.Random(f"{seed}/{rnd}/{pid}").random() < dropout


def warm_start(data_warmup: list[ChatVectors], local: LocalTraining) -> list[np.ndarray]:
    """The first global model: trained by the server on its small public warm-up set."""
    x0, y0 = stack(data_warmup)
    init = get_weights(new_model(x0.shape[1] if len(x0) else 384))
    if len(x0):
        init, _ = train_local(
            init,
            x0,
            y0,
            LocalTraining(**{**asdict(local), "dp_noise_multiplier": None, "epochs": 3}),
        )
    return init


class RoundLog:
    """Evaluates the global model on the server's held-out chats after every round and writes
    `history.jsonl` as it goes (a killed run keeps every finished round)."""

    def __init__(self, out: Path, test: list[ChatVectors], skepticism: int, write: bool = True):
        self.path = Path(out) / HISTORY
        self.write = write  # False on pfl's other ranks: rank 0 writes
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("")
        self.test, self.skepticism = test, skepticism
        self.records: list[dict[str, Any]] = []
        self.weights: list[np.ndarray] = []  # the global model after the last round logged
        self.t0 = time.perf_counter()

    def __call__(self, rnd: int, weights: list[np.ndarray], **extra: Any) -> dict[str, Any]:
        m = evaluate_chats(
            chat_probs(weights, self.test), [c.label for c in self.test], self.skepticism
        )
        self.weights = [np.array(w, copy=True) for w in weights]
        rec = {"round": rnd, "seconds": round(time.perf_counter() - self.t0, 2), **m, **extra}
        if self.write:
            with open(self.path, "a") as fh:
                fh.write(dumps(rec) + "\n")
        self.records.append(rec)
        return rec

    def save_model(self) -> Path:
        """The final global detector: `model.npz` (weight, bias) beside the history."""
        path = self.path.with_name(MODEL)
        np.savez(path, weight=self.weights[0], bias=self.weights[1])
        return path

    def rewrite(self) -> None:
        """After a run, with what only the end knows (the privacy spent per round)."""
        with open(self.path, "w") as fh:
            for rec in self.records:
                fh.write(dumps(rec) + "\n")


@contextlib.contextmanager
def quiet_privacy_libraries() -> Iterator[None]:
    """pfl and its accountants log per round and per order: RDP orders that do not converge are
    left out of the bound (it stays valid), and pfl copies tensors the way torch warns about.
    Neither is news to a user; keep them off the terminal."""
    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="To copy construct from a tensor")
            yield
    finally:
        absl.setLevel(level)


def dp_fedavg_epsilon(
    noise_multiplier: float, sampling_probability: float, rounds: int, delta: float
) -> dict[str, float]:
    """Epsilon of central DP-FedAvg (Gaussian mechanism, one client as the unit, Poisson-style
    sampling at rate q, T rounds) from three accountants (pfl's: PLD, PRV, RDP)."""
    from pfl.privacy import PLDPrivacyAccountant, PRVPrivacyAccountant, RDPPrivacyAccountant

    out = {}
    with quiet_privacy_libraries():
        for name, cls in (
            ("pld", PLDPrivacyAccountant),
            ("prv", PRVPrivacyAccountant),
            ("rdp", RDPPrivacyAccountant),
        ):  # noqa: E501
            acc = cls(
                num_compositions=rounds,
                sampling_probability=sampling_probability,
                mechanism="gaussian",
                noise_parameter=noise_multiplier,
                delta=delta,
            )
            out[name] = round(float(acc.epsilon), 4)
    return out

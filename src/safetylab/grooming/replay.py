"""`grooming train`'s federation re-run in process, for the privacy attacks: shadow federations
that never saw the evaluated users, and a re-run with canary clients.

It follows the pfl engine's arithmetic: the same cohorts, client seeds, dropout and warm start
(`rounds.py`), local training by `batched.train_cohort` (or Opacus per client with DP-SGD), FedAvg
weighted by windows, or central DP-FedAvg (clip each update, sum, Gaussian noise, divide by the
cohort). A test checks that a replay of a `--batched` run gives its `model.npz`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import overload

import numpy as np

from safetylab.grooming.features import ChatVectors
from safetylab.grooming.fl import FeatureStore, FLConfig
from safetylab.grooming.model import LocalTraining, train_local
from safetylab.grooming.rounds import client_seed, cohorts, dropped, warm_start

Users = Sequence[tuple[np.ndarray, np.ndarray]]


class StoreUsers(Sequence[tuple[np.ndarray, np.ndarray]]):
    """Users of a FeatureStore (or a subset, by index), read from the memory map on access, so
    a federation of 10,000 clients holds only one cohort in memory."""

    def __init__(self, store: FeatureStore, index: Sequence[int] | None = None):
        self.store = store
        self.ids = list(range(len(store))) if index is None else list(index)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[np.ndarray, np.ndarray]]: ...
    def __getitem__(
        self, i: int | slice
    ) -> tuple[np.ndarray, np.ndarray] | list[tuple[np.ndarray, np.ndarray]]:
        if isinstance(i, slice):
            return [self.store.client(self.ids[k]) for k in range(*i.indices(len(self)))]
        return self.store.client(self.ids[i])

    def sizes(self) -> np.ndarray:
        off = self.store.offsets
        return np.array([off[k + 1] - off[k] for k in self.ids])


def flat(weights: list[np.ndarray]) -> np.ndarray:
    return np.r_[weights[0].reshape(-1), np.asarray(weights[1]).reshape(-1)].astype(np.float64)


def unflat(v: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    d = like[0].size
    return [
        v[:d].reshape(like[0].shape).astype(np.float32),
        v[d:].reshape(np.asarray(like[1]).shape).astype(np.float32),
    ]


@dataclass
class Federation:
    """The federation of one run's configuration over any list of users."""

    cfg: FLConfig
    warmup: list[ChatVectors]

    def run(
        self,
        users: Users,
        seed: int,
        canaries: np.ndarray | None = None,
        canary_weight: float = 1.0,
        trace: list[np.ndarray] | None = None,
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(final weights, warm-start weights). `canaries` (m, d+1): extra clients, sampled like
        any other, whose update is that fixed vector in every round they take part in.
        `trace`: receives each round's change of the global model (what a server or anyone who
        sees the intermediate models learns)."""
        from safetylab.grooming.batched import train_cohort

        cfg = self.cfg
        n_real = len(users)
        m = 0 if canaries is None else len(canaries)
        weights = warm_start(self.warmup, cfg.local)
        w0 = [np.array(w, copy=True) for w in weights]
        rng = np.random.default_rng(seed + 7)
        for rnd, cohort in enumerate(cohorts(n_real + m, cfg.fraction_fit, cfg.rounds, seed), 1):
            live = [c for c in cohort if not dropped(seed, rnd, c, cfg.dropout)]
            real = [c for c in live if c < n_real]
            data = [users[c] for c in real]
            seeds = [client_seed(seed, rnd, c) for c in real]
            if not real:
                new = []
            elif cfg.local.dp_noise_multiplier is None:
                new = train_cohort(weights, data, seeds, cfg.local)
            else:  # DP-SGD clips per example, through Opacus: client by client
                new = [
                    train_local(weights, x, y, LocalTraining(**{**asdict(cfg.local), "seed": s}))[0]
                    for (x, y), s in zip(data, seeds, strict=True)
                ]
            base = flat(weights)
            updates = [flat(u) - base for u in new]
            sizes = [float(len(x)) for x, _ in data]
            for c in live:
                if c >= n_real and canaries is not None:
                    updates.append(canaries[c - n_real].astype(np.float64))
                    sizes.append(canary_weight)
            if not updates:
                continue
            u = np.vstack(updates)
            if cfg.dp_fedavg is not None:
                clip = cfg.dp_clipping_norm
                norms = np.linalg.norm(u, axis=1, keepdims=True)
                u = u * np.minimum(1.0, clip / np.maximum(norms, 1e-12))
                noise = rng.normal(0, cfg.dp_noise_multiplier * clip, u.shape[1])
                agg = (u.sum(0) + noise) / len(u)
            else:
                agg = (u * (np.asarray(sizes) / np.sum(sizes))[:, None]).sum(0)
            if trace is not None:
                trace.append(agg)
            weights = unflat(base + agg, weights)
        return weights, w0

    def typical_update(self, users: Users, seed: int, clients: int = 50) -> float:
        """The median norm of real clients' first-round updates (a canary's size without DP)."""
        from safetylab.grooming.batched import train_cohort

        w = warm_start(self.warmup, self.cfg.local)
        pick = list(range(min(len(users), clients)))
        local = LocalTraining(**{**asdict(self.cfg.local), "dp_noise_multiplier": None})
        new = train_cohort(
            w, [users[c] for c in pick], [client_seed(seed, 1, c) for c in pick], local
        )
        return float(np.median([np.linalg.norm(flat(u) - flat(w)) for u in new]))

"""The window classifier: logistic regression in torch (so Opacus DP-SGD applies), local
training on one device's windows, and chat-level scoring for the early-warning rule.

Weights travel as two numpy arrays (weight 1 x d, bias 1), the only thing a client sends.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from safetylab.config import check_ranges
from safetylab.embed import DIM
from safetylab.grooming.features import ChatVectors


@dataclass
class LocalTraining:
    epochs: int = 1
    batch_size: int = 32
    lr: float = 0.1
    pos_weight: float = 3.0  # up-weights positive windows (positives are rare)
    dp_noise_multiplier: float | None = None  # Opacus DP-SGD when set
    dp_max_grad_norm: float = 1.0
    dp_delta: float = 1e-5
    seed: int = 0

    def __post_init__(self) -> None:
        check_ranges(
            self,
            {"dp_noise_multiplier": "--dp-sgd"},
            epochs=(1, None),
            batch_size=(1, None),
            lr=(0.0, None, "open"),
            pos_weight=(0.0, None, "open"),
            dp_noise_multiplier=(0.0, None, "open"),
            dp_max_grad_norm=(0.0, None, "open"),
            dp_delta=(0.0, 1.0, "open"),
        )


def new_model(dim: int = DIM) -> nn.Linear:
    m = nn.Linear(dim, 1)
    nn.init.zeros_(m.weight)
    nn.init.zeros_(m.bias)
    return m


def get_weights(m: nn.Module) -> list[np.ndarray]:
    return [p.detach().cpu().numpy().copy() for p in m.parameters()]


def set_weights(m: nn.Module, ws: list[np.ndarray]) -> None:
    with torch.no_grad():
        for p, w in zip(m.parameters(), ws, strict=True):
            p.copy_(torch.as_tensor(w))


def stack(chats: list[ChatVectors]) -> tuple[np.ndarray, np.ndarray]:
    if not chats:
        return np.zeros((0, DIM), np.float32), np.zeros(0, np.float32)
    x = np.vstack([c.x for c in chats])
    y = np.concatenate([np.full(len(c.x), c.label, np.float32) for c in chats])
    return x, y


def epoch_orders(seed: int, n: int, epochs: int) -> list[np.ndarray]:
    """The order a client visits its n windows in each local epoch: a permutation per epoch
    from the client's round seed. Per-client and batched training both use it, so they see
    the same minibatches."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


def train_local(
    weights: list[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    cfg: LocalTraining,
    dp_history: list[tuple[float, float, int]] | None = None,
) -> tuple[list[np.ndarray], dict[str, float]]:
    """A few epochs of SGD from `weights`; with DP, Opacus clips per-example gradients, adds
    noise and its RDP accountant reports epsilon at `dp_delta`. `dp_history` is this client's
    accountant history from earlier rounds (extended in place), so epsilon composes over every
    round the client took part in."""
    model = new_model(x.shape[1])
    set_weights(model, weights)
    torch.manual_seed(cfg.seed)  # DP-SGD's sampling and noise
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(cfg.pos_weight))
    xt, yt = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))
    engine = None
    if cfg.dp_noise_multiplier is None:
        # minibatches in the order `epoch_orders` gives (the batched trainer uses the same)
        batches = [
            perm[i : i + cfg.batch_size]
            for perm in epoch_orders(cfg.seed, len(x), cfg.epochs)
            for i in range(0, len(x), cfg.batch_size)
        ]
        loader = [(xt[b], yt[b]) for b in map(torch.from_numpy, batches)]
    else:
        from opacus import PrivacyEngine

        ds = torch.utils.data.TensorDataset(xt, yt)
        plain = torch.utils.data.DataLoader(ds, batch_size=cfg.batch_size, shuffle=True)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Secure RNG turned off")  # said in README
            engine = PrivacyEngine(accountant="rdp")
        if dp_history:
            engine.accountant.history = list(dp_history)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, opt, dp_loader = engine.make_private(
                module=model,
                optimizer=opt,
                data_loader=plain,
                noise_multiplier=cfg.dp_noise_multiplier,
                max_grad_norm=cfg.dp_max_grad_norm,
            )
        loader = [batch for _ in range(cfg.epochs) for batch in dp_loader]  # Poisson sampling
    total, n = 0.0, 0
    for xb, yb in loader:
        if len(xb) == 0:  # Poisson sampling can draw an empty batch
            continue
        opt.zero_grad()
        loss = loss_fn(model(xb).squeeze(-1), yb)
        with warnings.catch_warnings():
            # Opacus' per-sample hooks on a model whose inputs need no gradient: expected here
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            loss.backward()
        opt.step()
        total += float(loss.detach()) * len(xb)
        n += len(xb)
    metrics = {"loss": total / max(n, 1), "examples": float(len(x))}
    if engine is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metrics["epsilon"] = float(engine.get_epsilon(cfg.dp_delta))
        if dp_history is not None:
            dp_history[:] = [tuple(h) for h in engine.accountant.history]
        model = model._module  # type: ignore[assignment]  # unwrap GradSampleModule
    return get_weights(model), metrics


def chat_probs(weights: list[np.ndarray], chats: list[ChatVectors]) -> list[np.ndarray]:
    w, b = weights
    return [1 / (1 + np.exp(-(c.x @ w.reshape(-1) + b[0]))) for c in chats]

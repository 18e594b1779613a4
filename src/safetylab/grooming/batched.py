"""Local training of a whole cohort at once: every sampled client's SGD on the logistic head as
batched tensor operations (one gradient step of all clients per tensor op), for simulation.

It reproduces `model.train_local` client by client — same start weights, same minibatches
(`epoch_orders`), same loss (BCE with logits, `pos_weight`, mean over the batch), same SGD step —
so the federation it produces is the one per-client training produces (a test checks it to float
tolerance). Only the non-private path: DP-SGD clips per example through Opacus, per client.
"""

from __future__ import annotations

import numpy as np
import torch

from safetylab.grooming.model import LocalTraining, epoch_orders


def train_cohort(
    weights: list[np.ndarray],
    data: list[tuple[np.ndarray, np.ndarray]],
    seeds: list[int],
    cfg: LocalTraining,
) -> list[list[np.ndarray]]:
    """Each client's weights after local training from the same global `weights`."""
    if cfg.dp_noise_multiplier is not None:
        raise ValueError("batched training has no DP-SGD; use per-client training")
    w0, b0 = (torch.from_numpy(np.asarray(a, np.float32)) for a in weights)
    n_clients = len(data)
    dim = w0.shape[-1]
    sizes = [len(x) for x, _ in data]
    xs = torch.from_numpy(np.ascontiguousarray(np.vstack([x for x, _ in data]), np.float32))
    ys = torch.from_numpy(np.ascontiguousarray(np.concatenate([y for _, y in data]), np.float32))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    B = cfg.batch_size
    # step plan: for every client, its minibatches in order (global row indices)
    plans: list[list[np.ndarray]] = []
    for c in range(n_clients):
        orders = epoch_orders(seeds[c], sizes[c], cfg.epochs)
        plans.append(
            [offsets[c] + perm[i : i + B] for perm in orders for i in range(0, sizes[c], B)]
        )
    steps = max((len(p) for p in plans), default=0)
    w = w0.reshape(1, dim).repeat(n_clients, 1).clone()
    b = b0.reshape(1).repeat(n_clients).clone()
    pw = float(cfg.pos_weight)
    lr = float(cfg.lr)
    idx = np.zeros((n_clients, B), dtype=np.int64)
    mask = np.zeros((n_clients, B), dtype=np.float32)
    for t in range(steps):
        idx.fill(0)
        mask.fill(0)
        for c, plan in enumerate(plans):
            if t < len(plan):
                k = len(plan[t])
                idx[c, :k] = plan[t]
                mask[c, :k] = 1.0
        it, mt = torch.from_numpy(idx), torch.from_numpy(mask)
        xb = xs[it]  # (C, B, d)
        yb = ys[it]  # (C, B)
        z = torch.einsum("cbd,cd->cb", xb, w) + b[:, None]
        s = torch.sigmoid(z)
        count = mt.sum(1).clamp(min=1.0)
        g = (s * (pw * yb + 1.0 - yb) - pw * yb) * mt / count[:, None]  # dloss/dz, batch mean
        active = (mt.sum(1) > 0).to(w.dtype)
        w -= lr * torch.einsum("cb,cbd->cd", g, xb) * active[:, None]
        b -= lr * g.sum(1) * active
    return [
        [w[c].reshape(1, dim).numpy().copy(), b[c].reshape(1).numpy().copy()]
        for c in range(n_clients)
    ]

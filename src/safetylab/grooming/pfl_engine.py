"""Federated simulation in Apple's pfl: the same federation as the Flower apps, 10x faster.

One user per client over the memory-mapped `FeatureStore` (pfl's `FederatedDataset`); the same
cohorts (`rounds.cohorts`), seeds, dropout, warm-up model, local training and per-round
evaluation as `fl.py`, so both engines reach the same global model (a test checks it). FedAvg is
pfl's `FederatedAveraging`, with every client's update weighted by its number of windows as
Flower's FedAvg does. DP-FedAvg is pfl's `GaussianMechanism` applied centrally (clip every
client's update to the bound, equal weights, noise on the sum), with epsilon from pfl's PLD / PRV /
RDP accountants. DP-SGD runs Opacus inside each client's local training, its accountant history
kept per client across rounds. `batched=True` trains a whole cohort as batched tensor ops
(`batched.py`) — a pfl training hook, not another framework.

Multi-process: the same code under `torchrun --nproc_per_node=N -m safetylab.cli grooming train
... --engine pfl` splits every cohort across processes (pfl's distributed simulation).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.grooming.batched import train_cohort
from safetylab.grooming.fl import FeatureStore, FLConfig, ServerData
from safetylab.grooming.model import LocalTraining, train_local
from safetylab.grooming.rounds import (
    RoundLog,
    client_seed,
    cohort_size,
    cohorts,
    dp_fedavg_epsilon,
    dropped,
    quiet_privacy_libraries,
    warm_start,
)


def _ensure_event_loop() -> None:
    """pfl asks for the current event loop; an earlier `asyncio.run` in this process (a probe
    through the Python API) leaves none set, and pfl would stop with "no current event loop"."""
    import asyncio

    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def simulate_pfl(
    cfg: FLConfig, data: ServerData, batched: bool = False
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the federation; returns the per-round history and a privacy/engine block."""
    import torch
    from pfl.aggregate.simulate import SimulatedBackend
    from pfl.algorithm import FederatedAveraging, NNAlgorithmParams
    from pfl.callback.base import TrainingProcessCallback
    from pfl.data.dataset import Dataset
    from pfl.data.federated_dataset import FederatedDataset
    from pfl.hyperparam import NNEvalHyperParams, NNTrainHyperParams
    from pfl.metrics import Metrics
    from pfl.model.pytorch import PyTorchModel
    from pfl.privacy import CentrallyAppliedPrivacyMechanism, GaussianMechanism
    from pfl.stats import MappedVectorStatistics

    if batched and cfg.local.dp_noise_multiplier is not None:
        from safetylab.errors import SafetylabError

        raise SafetylabError("--batched trains without DP-SGD; drop one of the two")
    _ensure_event_loop()
    store = FeatureStore(Path(cfg.store))
    n = len(store)
    k = cohort_size(n, cfg.fraction_fit, cfg.min_fit_clients)
    plan = cohorts(n, cfg.fraction_fit, cfg.rounds, cfg.seed)
    dp_central = cfg.dp_fedavg is not None

    class Head(torch.nn.Module):
        """The logistic head as pfl expects a model: `loss` and `metrics` over (x, y)."""

        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(store.x.shape[1], 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(x)

        def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.binary_cross_entropy_with_logits(self(x).squeeze(-1), y)

        def metrics(self, x: torch.Tensor, y: torch.Tensor, eval: bool = False) -> dict:
            return {}

    from pfl.internal.ops import get_ops

    head = Head()
    init = warm_start(data.warmup, cfg.local)
    with torch.no_grad():
        head.linear.weight.copy_(torch.from_numpy(init[0]))
        head.linear.bias.copy_(torch.from_numpy(init[1]))
    model = PyTorchModel(
        model=head,
        local_optimizer_create=torch.optim.SGD,
        central_optimizer=torch.optim.SGD(head.parameters(), lr=1.0),
    )
    names = [name for name, _ in head.named_parameters()]  # linear.weight, linear.bias

    def weights_of(m: Any) -> list[np.ndarray]:
        return [p.detach().cpu().numpy().copy() for p in m.pytorch_model.parameters()]

    dp_hist: dict[int, list] = {}  # DP-SGD accountant history per client
    fit_log: dict[int, dict[str, Any]] = {}
    order = iter([pid for round_ in plan for pid in round_])

    def user_dataset(pid: int) -> Any:
        x, y = store.client(pid)
        return Dataset(raw_data=[x, y], user_id=pid)

    class Algorithm(FederatedAveraging):
        """FedAvg whose local step is `train_local` (or the cohort's batched result)."""

        round_ = 0
        global_w: list[np.ndarray] = []
        batched_results: dict[int, list[np.ndarray]] = {}

        def get_next_central_contexts(self, model, iteration, *args, **kwargs):
            self.round_ = iteration + 1
            self.global_w = weights_of(model)
            self.batched_results = {}
            if batched and iteration < cfg.rounds:
                mine = plan[iteration][rank::world]  # pfl deals a cohort round-robin to ranks
                cohort = [p for p in mine if not dropped(cfg.seed, self.round_, p, cfg.dropout)]
                seeds = [client_seed(cfg.seed, self.round_, p) for p in cohort]
                trained = train_cohort(
                    self.global_w, [store.client(p) for p in cohort], seeds, cfg.local
                )
                self.batched_results = dict(zip(cohort, trained, strict=True))
            return super().get_next_central_contexts(model, iteration, *args, **kwargs)

        def simulate_one_user(self, model, user_dataset, central_context):
            pid = int(user_dataset.user_id)
            rnd = self.round_
            rec = fit_log.setdefault(rnd, {"clients": 0, "failures": 0, "epsilon": []})
            if dropped(cfg.seed, rnd, pid, cfg.dropout):
                rec["failures"] += 1
                return None, Metrics()
            x, y = user_dataset.raw_data
            if pid in self.batched_results:
                new = self.batched_results[pid]
            else:
                local = LocalTraining(
                    **{**asdict(cfg.local), "seed": client_seed(cfg.seed, rnd, pid)}
                )
                hist = (
                    dp_hist.setdefault(pid, []) if local.dp_noise_multiplier is not None else None
                )
                new, m = train_local(self.global_w, x, y, local, hist)
                if "epsilon" in m:
                    rec["epsilon"].append(m["epsilon"])
            rec["clients"] += 1
            weight = 1.0 if dp_central else float(len(x))
            delta = {
                name: torch.from_numpy((a - g) * weight)
                for name, a, g in zip(names, new, self.global_w, strict=True)
            }
            return MappedVectorStatistics(delta, weight=weight), Metrics()

    rank = get_ops().distributed.global_rank
    world = get_ops().distributed.world_size
    log = RoundLog(Path(cfg.out), data.test, cfg.skepticism, write=rank == 0)
    log(0, init)  # the warm-up model, as Flower's round 0

    class Evaluate(TrainingProcessCallback):
        def after_central_iteration(self, aggregate_metrics, model, *, central_iteration):
            rnd = central_iteration + 1
            rec = fit_log.get(rnd, {})
            lost = sum(dropped(cfg.seed, rnd, p, cfg.dropout) for p in plan[central_iteration])
            extra = {"clients": len(plan[central_iteration]) - lost, "failures": lost}
            eps = max(rec.get("epsilon") or [0.0])
            if world > 1 and cfg.local.dp_noise_multiplier is not None:
                # each rank trained part of the cohort: the budget is the largest over all ranks
                t = torch.tensor([eps], dtype=torch.float64)
                torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
                eps = float(t[0])
            if eps > 0:
                extra["epsilon_max"] = eps
            log(rnd, weights_of(model), **extra)
            return False, Metrics()

    postprocessors = []
    privacy: dict[str, Any] = {}
    if dp_central:
        mech = GaussianMechanism(cfg.dp_clipping_norm, cfg.dp_noise_multiplier)
        postprocessors.append(CentrallyAppliedPrivacyMechanism(mech))
        privacy = {
            "mode": "central (pfl GaussianMechanism)",
            "noise_multiplier": cfg.dp_noise_multiplier,
            "clipping_norm": cfg.dp_clipping_norm,
            "sampling_probability": round(k / n, 6),
            "rounds": cfg.rounds,
            "delta": cfg.local.dp_delta,
            "epsilon": dp_fedavg_epsilon(
                cfg.dp_noise_multiplier, k / n, cfg.rounds, cfg.local.dp_delta
            ),
            "unit": "one client (user), all its windows",
        }
    fed = FederatedDataset(user_dataset, lambda: next(order))
    backend = SimulatedBackend(training_data=fed, val_data=fed, postprocessors=postprocessors)
    algorithm = Algorithm()
    # pfl draws its central noise seeds from NumPy's global state; the run's seed makes a
    # simulated DP-FedAvg run repeatable (deployment, on Flower, keeps unseeded noise)
    algorithm._random_state = np.random.RandomState(cfg.seed)
    with quiet_privacy_libraries():
        algorithm.run(
            algorithm_params=NNAlgorithmParams(
                central_num_iterations=cfg.rounds,
                evaluation_frequency=cfg.rounds + 1,
                train_cohort_size=k,
                val_cohort_size=None,
            ),
            backend=backend,
            model=model,
            model_train_params=NNTrainHyperParams(
                local_num_epochs=cfg.local.epochs,
                local_learning_rate=cfg.local.lr,
                local_batch_size=cfg.local.batch_size,
            ),
            model_eval_params=NNEvalHyperParams(local_batch_size=None),
            callbacks=[Evaluate()],
            send_metrics_to_platform=False,
        )
    if torch.distributed.is_initialized():
        # pfl opens torchrun's process group and never closes it: a rank that exits with gloo's
        # threads still running aborts ("terminate called without an active exception")
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    if rank == 0:
        log.save_model()
    return log.records, {"dp_fedavg": privacy} if privacy else {}

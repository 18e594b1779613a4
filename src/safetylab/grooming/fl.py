"""Federated training with Flower: one ClientApp and one ServerApp for simulation and deployment.

Clients hold one user's window features (a memory-mapped FeatureStore slice: computed on the
device, never text), train the logistic head locally (optionally DP-SGD via Opacus) and send
weights. The server starts from a model warmed up on a small shared set, runs FedAvg with
clients sampled per round, evaluates the early-warning rule on held-out chats every round, and
can wrap the strategy in Flower's DP-FedAvg (server- or client-side clipping and noise) and run
the fit round under SecAgg+. Clients may drop out (a failed fit); FedAvg aggregates the rest.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.config import check_ranges
from safetylab.errors import SafetylabError
from safetylab.grooming.features import ChatVectors
from safetylab.grooming.model import LocalTraining, stack, train_local
from safetylab.grooming.rounds import (
    RoundLog,
    client_seed,
    cohort_size,
    cohorts,
    dropped,
    warm_start,
)
from safetylab.rundir import dumps

FIT_METRICS = "fit_metrics.json"  # written by a deployed ServerApp only


@dataclass
class FLConfig:
    store: str  # FeatureStore directory
    out: str
    rounds: int = 20
    fraction_fit: float = 0.1
    min_fit_clients: int = 2
    local: LocalTraining = field(default_factory=LocalTraining)
    dropout: float = 0.0  # probability a sampled client fails to return (crash, offline)
    dp_fedavg: str | None = None  # "server" or "client" (Flower's fixed-clipping DP wrappers)
    dp_noise_multiplier: float = 0.1
    dp_clipping_norm: float = 1.0
    secagg: bool = False
    skepticism: int = 5
    # the server draws rounds.cohorts() (as pfl does), not Flower's own unseeded sample;
    # `simulate` always does; a deployment (`deploy.py`, `flwr run`) samples whoever is connected
    seeded_cohorts: bool = False
    seed: int = 0
    backend_cpus: float = 1.0

    def __post_init__(self) -> None:
        check_ranges(
            self,
            {"dp_noise_multiplier": "--dp-fedavg-noise", "dp_clipping_norm": "--dp-fedavg-clip"},
            rounds=(1, None),
            fraction_fit=(0.0, 1.0, "open-closed"),
            min_fit_clients=(1, None),
            dropout=(0.0, 1.0, "closed-open"),
            dp_noise_multiplier=(0.0, None),
            dp_clipping_norm=(0.0, None, "open"),
            skepticism=(1, 10),
        )
        if self.dp_fedavg not in (None, "server", "client"):
            raise SafetylabError("--dp-fedavg must be server or client")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> FLConfig:
        d = json.loads(text)
        d["local"] = LocalTraining(**d["local"])
        return cls(**d)


class FeatureStore:
    """Window features of many users in one memory-mapped file, with per-user offsets, so a
    simulation of 10,000 clients holds only the clients of the current round in memory."""

    def __init__(self, path: Path):
        self.path = Path(path)
        meta = json.loads((self.path / "meta.json").read_text())
        self.users: list[str] = meta["users"]
        self.x = np.load(self.path / "x.npy", mmap_mode="r")
        self.y = np.load(self.path / "y.npy", mmap_mode="r")
        self.offsets = np.load(self.path / "offsets.npy")

    @staticmethod
    def write(path: Path, by_user: dict[str, list[ChatVectors]]) -> None:
        path.mkdir(parents=True, exist_ok=True)
        users = sorted(by_user)
        sizes = [sum(len(c.x) for c in by_user[u]) for u in users]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        dim = next(c.x.shape[1] for cs in by_user.values() for c in cs)
        x = np.lib.format.open_memmap(path / "x.npy", "w+", np.float32, (int(offsets[-1]), dim))
        y = np.lib.format.open_memmap(path / "y.npy", "w+", np.float32, (int(offsets[-1]),))
        for i, u in enumerate(users):
            xs, ys = stack(by_user[u])
            x[offsets[i] : offsets[i + 1]] = xs
            y[offsets[i] : offsets[i + 1]] = ys
        x.flush()
        y.flush()
        np.save(path / "offsets.npy", offsets)
        (path / "meta.json").write_text(json.dumps({"users": users}))

    def client(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.offsets[i], self.offsets[i + 1]
        return np.array(self.x[a:b]), np.array(self.y[a:b])  # a private, writable copy

    def __len__(self) -> int:
        return len(self.users)


def _client_fn_factory(default: FLConfig | None):
    from flwr.client import NumPyClient
    from flwr.common import ConfigRecord, Context

    stores: dict[str, FeatureStore] = {}

    class GroomingClient(NumPyClient):
        def __init__(self, cfg: FLConfig, store: FeatureStore, pid: int, context: Context):
            self.cfg, self.store, self.pid, self.ctx = cfg, store, pid, context

        def fit(self, parameters, config):
            rnd = int(config.get("round", 0))
            if dropped(self.cfg.seed, rnd, self.pid, self.cfg.dropout):
                raise RuntimeError("client dropped out")  # Flower records a failure
            x, y = self.store.client(self.pid)
            local = LocalTraining(
                **{**asdict(self.cfg.local), "seed": client_seed(self.cfg.seed, rnd, self.pid)}
            )
            # The DP accountant's history lives in the node's persistent state, so a client's
            # epsilon composes over all rounds it was sampled in.
            hist = None
            if local.dp_noise_multiplier is not None:
                rec = self.ctx.state.get("dp")
                hist = [tuple(h) for h in json.loads(str(rec["history"]))] if rec else []
            weights, m = train_local(parameters, x, y, local, hist)
            if hist is not None:
                self.ctx.state["dp"] = ConfigRecord({"history": json.dumps(hist)})
            return weights, len(x), {k: float(v) for k, v in m.items()}

        def evaluate(self, parameters, config):
            return 0.0, 1, {}

        def get_properties(self, config):
            return {"partition-id": self.pid}  # lets the server draw the seeded cohorts

    def client_fn(context: Context):
        cfg = (
            FLConfig.from_json(str(context.run_config["fl-config"]))
            if "fl-config" in context.run_config
            else default
        )
        assert cfg is not None, "no FL config: set run_config 'fl-config' or use simulate()"
        if cfg.store not in stores:
            stores[cfg.store] = FeatureStore(Path(cfg.store))
        pid = int(context.node_config["partition-id"])
        return GroomingClient(cfg, stores[cfg.store], pid, context).to_client()

    return client_fn


def make_client_app(default: FLConfig | None = None):
    from flwr.client import ClientApp
    from flwr.client.mod import fixedclipping_mod, secaggplus_mod

    mods = []
    cfg = default
    if cfg is not None and cfg.secagg:
        mods.append(secaggplus_mod)
    if cfg is not None and cfg.dp_fedavg == "client":
        mods.append(fixedclipping_mod)
    return ClientApp(client_fn=_client_fn_factory(default), mods=mods)  # type: ignore[arg-type]


@dataclass
class ServerData:
    """What the server holds: the warm-up set (shared, public) and held-out evaluation chats."""

    warmup: list[ChatVectors]
    test: list[ChatVectors]


def save_server_data(data: ServerData, path: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for part in ("warmup", "test"):
        for i, c in enumerate(getattr(data, part)):
            arrays[f"{part}_{i}"] = c.x
            meta.append([part, i, c.id, c.user, c.label])
    np.savez(path, **arrays)  # type: ignore[arg-type]
    path.with_suffix(".json").write_text(json.dumps(meta))


def load_server_data(path: Path) -> ServerData:
    arrays = np.load(path)
    out: dict[str, list[ChatVectors]] = {"warmup": [], "test": []}
    for part, i, cid, user, label in json.loads(path.with_suffix(".json").read_text()):
        out[part].append(ChatVectors(cid, user, label, arrays[f"{part}_{i}"]))
    return ServerData(out["warmup"], out["test"])


def server_main(
    grid,
    context,
    cfg: FLConfig,
    data: ServerData,
    log: list[dict[str, Any]] | None = None,
    fit_out: dict[str, Any] | None = None,
) -> None:
    """The ServerApp's body: warm-up, strategy (+ DP wrapper), FedAvg rounds (+ SecAgg+)."""
    from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.server import LegacyContext, ServerConfig
    from flwr.server.strategy import (
        DifferentialPrivacyClientSideFixedClipping,
        DifferentialPrivacyServerSideFixedClipping,
        FedAvg,
    )
    from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    received_path = out / "received.jsonl"
    received_path.write_text("")
    init = warm_start(data.warmup, cfg.local)
    round_log = RoundLog(out, data.test, cfg.skepticism)

    def evaluate_fn(rnd: int, weights: list[np.ndarray], config: dict) -> tuple[float, dict]:
        rec = round_log(rnd, weights)
        if log is not None:
            log.append(rec)
        return 1.0 - rec["f1"], {"f1": rec["f1"], "latency_weighted_f1": rec["latency_weighted_f1"]}

    def fit_metrics(results: list[tuple[int, dict]]) -> dict:
        eps = [m["epsilon"] for _, m in results if "epsilon" in m]
        agg = {"clients": float(len(results))}
        if eps:
            agg["epsilon_max"] = max(eps)
        return agg

    class Recording(FedAvg):
        """FedAvg that writes down what reached the server: array shapes/dtypes and metric
        keys/types per client, the evidence that no text leaves a device."""

        pid_of: dict[str, int] = {}

        def configure_fit(self, server_round, parameters, client_manager):
            if not cfg.seeded_cohorts:
                return super().configure_fit(server_round, parameters, client_manager)
            from flwr.common import FitIns, GetPropertiesIns

            clients = client_manager.all()
            if not self.pid_of:  # once: which client holds which partition

                def partition(item: tuple[str, Any]) -> tuple[str, int]:
                    res = item[1].get_properties(GetPropertiesIns({}), timeout=None, group_id=0)
                    return item[0], int(res.properties["partition-id"])

                # each reply waits out the grid's poll interval: ask every client at once
                with ThreadPoolExecutor(max_workers=max(1, min(64, len(clients)))) as pool:
                    self.pid_of.update(pool.map(partition, clients.items()))
            want = set(plan[server_round - 1])
            chosen = [p for cid, p in clients.items() if self.pid_of.get(cid) in want]
            assert self.on_fit_config_fn is not None
            ins = FitIns(parameters, self.on_fit_config_fn(server_round))
            return [(p, ins) for p in chosen]

        def aggregate_fit(self, server_round, results, failures):
            with open(received_path, "a") as fh:
                for _, res in results:
                    arrays = parameters_to_ndarrays(res.parameters)
                    fh.write(
                        json.dumps(
                            {
                                "round": server_round,
                                "arrays": [[list(a.shape), str(a.dtype)] for a in arrays],
                                "metrics": {k: type(v).__name__ for k, v in res.metrics.items()},
                                "bytes": sum(len(t) for t in res.parameters.tensors),
                            }
                        )
                        + "\n"
                    )
                fh.write(dumps({"round": server_round, "failures": len(failures)}) + "\n")
            return super().aggregate_fit(server_round, results, failures)

    n_clients = len(FeatureStore(Path(cfg.store)))
    sampled = cohort_size(n_clients, cfg.fraction_fit, cfg.min_fit_clients)
    plan = cohorts(n_clients, cfg.fraction_fit, cfg.rounds, cfg.seed)
    strategy: Any = Recording(
        fraction_fit=cfg.fraction_fit,
        fraction_evaluate=0.0,
        min_fit_clients=cfg.min_fit_clients,
        min_evaluate_clients=0,
        min_available_clients=min(n_clients, max(cfg.min_fit_clients, 2)),
        evaluate_fn=evaluate_fn,
        on_fit_config_fn=lambda rnd: {"round": rnd},
        initial_parameters=ndarrays_to_parameters(init),
        fit_metrics_aggregation_fn=fit_metrics,
        accept_failures=True,
    )
    if cfg.dp_fedavg == "server":
        strategy = DifferentialPrivacyServerSideFixedClipping(
            strategy, cfg.dp_noise_multiplier, cfg.dp_clipping_norm, sampled
        )
    elif cfg.dp_fedavg == "client":
        strategy = DifferentialPrivacyClientSideFixedClipping(
            strategy, cfg.dp_noise_multiplier, cfg.dp_clipping_norm, sampled
        )

    ctx = LegacyContext(
        context=context, config=ServerConfig(num_rounds=cfg.rounds), strategy=strategy
    )
    fit_wf = None
    if cfg.secagg:
        fit_wf = SecAggPlusWorkflow(
            num_shares=min(sampled, 5), reconstruction_threshold=min(sampled, 3)
        )
    DefaultWorkflow(fit_workflow=fit_wf)(grid, ctx)
    round_log.save_model()
    metrics = {k: v for k, v in ctx.history.metrics_distributed_fit.items()}
    if fit_out is not None:  # in-process simulation: hand the fit metrics back directly
        fit_out.update(metrics)
    else:  # a deployed ServerApp runs in its own process: leave them beside the history
        (out / FIT_METRICS).write_text(dumps(metrics))


def make_server_app(
    cfg: FLConfig,
    data: ServerData,
    log: list[dict[str, Any]] | None = None,
    fit_out: dict[str, Any] | None = None,
):
    from flwr.server import ServerApp

    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:
        server_main(grid, context, cfg, data, log, fit_out)

    return app


class _NotRunSimulationDeprecation:
    """Flower 1.32 calls `run_simulation` deprecated in favour of `flwr run`; it still works, and
    running in-process is what lets `--engine flower` share cohorts and results with pfl. The
    `flwr run` path is the deployment one (README, tests)."""

    def filter(self, record: object) -> bool:
        return "run_simulation" not in str(getattr(record, "args", ""))


def simulate(cfg: FLConfig, data: ServerData, verbose: bool = False) -> list[dict[str, Any]]:
    """Run the apps in Flower's simulation engine, one SuperNode per client (user). Each
    round's record carries `epsilon_max` (DP-SGD) once the run is over."""
    import logging
    import os

    from flwr.simulation import run_simulation

    if not verbose:
        logging.getLogger("flwr").setLevel(logging.WARNING)
        logging.getLogger("flwr").addFilter(_NotRunSimulationDeprecation())
    # Ray's tip about accelerator variables on CPU-only clients; opting in to its future default
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    # A simulation repeats with its --seed: the server samples the seeded cohorts (as pfl does)
    # and Flower's DP wrappers, which draw their noise from NumPy's global state, start from it.
    # Set on the caller's config, so the metrics.json written from it says what ran.
    cfg.seeded_cohorts = True
    np.random.seed(cfg.seed)
    log: list[dict[str, Any]] = []
    fit: dict[str, Any] = {}
    n = len(FeatureStore(Path(cfg.store)))
    run_simulation(
        server_app=make_server_app(cfg, data, log, fit),
        client_app=make_client_app(cfg),
        num_supernodes=n,
        backend_config={
            "client_resources": {"num_cpus": cfg.backend_cpus, "num_gpus": 0.0},
            "init_args": {"logging_level": logging.ERROR, "log_to_driver": False},
        },
        verbose_logging=verbose,
    )
    eps = {int(r): v for r, v in fit.get("epsilon_max", [])}
    for rec in log:
        if rec["round"] in eps:
            rec["epsilon_max"] = eps[rec["round"]]
    return log

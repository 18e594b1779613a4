"""Work spread over a Ray cluster: an ordered map whose workers load their models once.

`safetylab audit --engine ray` and `safetylab classify --engine ray` hand their batches to
`RayMap`: a Ray Data pipeline (`map_batches` with actors, order preserved) in which every actor
builds its worker once — the classifier, the harm encoder — and then turns item after item into
results. Everything order-dependent (duplicate flags, part files, resume state, errors named by
file and line) stays in the driver, so the output is the output of one process.

Without `--address` a local Ray runtime is started with `--workers` processes; with one, the
work joins that cluster (`ray start --head` on the head node, `ray start --address` on others).
On one 2-core machine Ray only adds overhead: see benchmarks/RESULTS.md for when it pays.
"""

from __future__ import annotations

import logging
import os
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


class _Actor:
    """One Ray actor: builds its worker function once, then maps items."""

    def __init__(self, factory: bytes):
        import cloudpickle

        self.fn = cloudpickle.loads(factory)()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = [pickle.dumps(self.fn(pickle.loads(x))) for x in batch["item"]]
        return {"k": batch["k"], "result": np.array(out, dtype=object)}


class RayMap:
    """`map(items)` -> [factory()(item) for item in items], computed by `workers` Ray actors."""

    def __init__(
        self,
        factory: Callable[[], Callable[[Any], Any]],
        workers: int | None = None,
        address: str | None = None,
    ):
        from safetylab.extras import require

        require("ray", "--engine ray")
        import cloudpickle
        import ray

        self.workers = workers or max((os.cpu_count() or 2) - 0, 1)
        if not ray.is_initialized():
            os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
            logging.getLogger("ray").setLevel(logging.ERROR)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ray.init(
                    address=address,
                    num_cpus=None if address else self.workers,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.ERROR,
                    configure_logging=False,
                )
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        self.factory = cloudpickle.dumps(factory)

    def map(self, items: list[Any]) -> list[Any]:
        import ray

        if not items:
            return []
        rows = [{"k": k, "item": pickle.dumps(x)} for k, x in enumerate(items)]
        ds = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _Actor,
            fn_constructor_args=(self.factory,),
            batch_size=1,
            concurrency=min(self.workers, len(rows)),
            batch_format="numpy",
        )
        got = {int(r["k"]): pickle.loads(r["result"]) for r in ds.iter_rows()}
        return [got[k] for k in range(len(items))]

    @staticmethod
    def shutdown() -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()

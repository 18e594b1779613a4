"""Module-level Flower apps for a real deployment (SuperLink + SuperNodes + `flwr run`).

The same server and client code as the simulation; settings come from the run config
(`fl-config`: FLConfig JSON, `server-data`: the server's warm-up/test features) and each
SuperNode's node config (`partition-id`: which user's features on that device). The Flower App
project that `flwr run` submits is `safetylab/grooming/flower_app/`.
"""

from __future__ import annotations

from pathlib import Path

from flwr.server import ServerApp

from safetylab.grooming.fl import FLConfig, load_server_data, make_client_app, server_main

client_app = make_client_app(None)
server_app = ServerApp()


@server_app.main()
def _main(grid, context) -> None:
    cfg = FLConfig.from_json(str(context.run_config["fl-config"]))
    data = load_server_data(Path(str(context.run_config["server-data"])))
    server_main(grid, context, cfg, data)

"""`safetylab grooming simulate|train|evaluate|privacy`."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from safetylab.errors import SafetylabError
from safetylab.progress import console
from safetylab.rundir import write_json

app = typer.Typer(
    no_args_is_help=True,
    help="Federated, private, early detection of grooming (PAN12 / eSPD, Flower, DP).",
)


@app.callback()
def _needs_extra() -> None:
    from safetylab.extras import require

    require("grooming", "safetylab grooming")


@app.command("simulate")
def simulate_cmd(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Directory for chats.json, pan12.xml, truth.txt"
    ),
    users: int = typer.Option(200, help="Users (client devices)."),
    positive_share: float = typer.Option(0.15, help="Share of users contacted by a predator."),
    seed: int = typer.Option(0),
) -> None:
    """Write synthetic, non-explicit chats as a datapack and as PAN12 XML + ground truth."""
    from safetylab.grooming.corpus import write_datapack, write_pan12
    from safetylab.grooming.synth import generate, predators
    from safetylab.rundir import exclusive

    if users < 1:
        raise SafetylabError(f"--users must be at least 1, got {users}")
    if not 0 <= positive_share <= 1:
        raise SafetylabError(f"--positive-share must lie in [0, 1], got {positive_share}")
    chats = generate(users, positive_share, seed=seed)
    with exclusive(out, "safetylab grooming simulate"):
        write_datapack(chats, out / "chats.json")
        write_pan12(chats, out / "pan12.xml", out / "truth.txt", predators(chats))
    console.print(
        f"{len(chats)} chats of {users} users ({sum(c.label for c in chats)} grooming):"
        f" {out / 'chats.json'}, {out / 'pan12.xml'} + {out / 'truth.txt'}"
    )


@app.command("train")
def train_cmd(
    data: Path = typer.Argument(..., help="PAN12 .xml (with --truth) or a datapack .json."),
    out: Path = typer.Option(..., "--out", "-o"),
    truth: Path | None = typer.Option(None, help="PAN12 predator id file."),
    mode: str = typer.Option("federated", help="federated or centralised (baseline)."),
    engine: str = typer.Option(
        "pfl",
        help="Simulation engine: pfl (fast; the default) or flower (SecAgg+, client-side "
        "DP-FedAvg, and the same apps that deploy).",
    ),
    batched: bool = typer.Option(
        False, "--batched", help="pfl: train each cohort as batched tensor ops (no DP-SGD)."
    ),
    rounds: int = typer.Option(20),
    fraction_fit: float = typer.Option(0.1, help="Share of clients sampled per round."),
    num_clients: int | None = typer.Option(
        None, help="Keep about N client users (the first N/0.75 users; 25 % go to warm-up/test)."
    ),
    window: int = typer.Option(50, help="Messages per window (W)."),
    skepticism: int = typer.Option(5, help="Positive votes of the last 10 that raise a warning."),
    epochs: int = typer.Option(1, help="Local epochs per round."),
    lr: float = typer.Option(0.1),
    dropout: float = typer.Option(0.0, help="Probability a sampled client drops out."),
    dp_sgd: float | None = typer.Option(None, help="Opacus DP-SGD noise multiplier (client-side)."),
    dp_max_grad_norm: float = typer.Option(1.0),
    dp_delta: float = typer.Option(1e-5),
    dp_fedavg: str | None = typer.Option(None, help="server or client: Flower DP-FedAvg."),
    dp_fedavg_noise: float = typer.Option(0.1),
    dp_fedavg_clip: float = typer.Option(1.0),
    metric_dp: float | None = typer.Option(None, help="Metric-DP epsilon on message embeddings."),
    secagg: bool = typer.Option(False, help="Aggregate under SecAgg+."),
    seed: int = typer.Option(0),
) -> None:
    """Train the early-warning detector (federated with Flower, or centralised) and report."""
    from safetylab.grooming.corpus import load_corpus
    from safetylab.grooming.fl import FLConfig
    from safetylab.grooming.model import LocalTraining
    from safetylab.grooming.pipeline import TrainPlan, run, select_users
    from safetylab.grooming.report import build_report

    if num_clients is not None and num_clients < 1:
        raise SafetylabError(f"--num-clients must be at least 1, got {num_clients}")
    cfg = FLConfig(
        store="",
        out=str(out),
        rounds=rounds,
        fraction_fit=fraction_fit,
        local=LocalTraining(
            epochs=epochs,
            lr=lr,
            dp_noise_multiplier=dp_sgd,
            dp_max_grad_norm=dp_max_grad_norm,
            dp_delta=dp_delta,
            seed=seed,
        ),  # fmt: skip
        dropout=dropout,
        dp_fedavg=dp_fedavg,
        dp_noise_multiplier=dp_fedavg_noise,
        dp_clipping_norm=dp_fedavg_clip,
        secagg=secagg,
        skepticism=skepticism,
        seed=seed,
    )
    plan = TrainPlan(mode=mode, engine=engine, window=window, metric_dp=metric_dp, batched=batched)
    plan.check(cfg)  # before reading the chats: a bad flag fails at once
    t0 = time.perf_counter()
    chats = select_users(load_corpus(data, truth), num_clients)
    load_seconds = time.perf_counter() - t0
    if not any(c.label for c in chats):
        raise SafetylabError(f"{data}: no positive (grooming) chats after segmentation")
    m = run(chats, cfg, plan, load_seconds=load_seconds)
    if m is None:  # another rank of a torchrun job: rank 0 writes and reports
        return
    # what `grooming privacy` re-reads: the chats, and which of their users took part
    m.data["input"] = {
        "path": str(data.resolve()),
        "truth": str(truth.resolve()) if truth else None,
        "num_clients": num_clients,
    }
    t0 = time.perf_counter()
    report = build_report(out)
    m.seconds.report = round(time.perf_counter() - t0, 1)
    m.write(out)
    f = m.final
    how = mode if mode == "centralised" else f"{mode} ({m.engine})"
    console.print(
        f"{how}: {m.data['client_users']} client users, {rounds} rounds -> F1 {f['f1']:.3f}"
        f" (P {f['precision']:.3f}, R {f['recall']:.3f}), speed {f['speed']:.3f},"
        f" latency-weighted F1 {f['latency_weighted_f1']:.3f}, median latency"
        f" {f['latency_median']} messages"
    )
    if "dp_sgd" in m.privacy:
        console.print(
            f"DP-SGD: epsilon {m.privacy['dp_sgd']['epsilon_max']:.2f} at delta {dp_delta}"
        )
    eps = (m.privacy.get("dp_fedavg") or {}).get("epsilon")
    if eps:
        console.print(
            f"DP-FedAvg (central): epsilon {eps['pld']:.2f} (PLD), {eps['prv']:.2f} (PRV), "
            f"{eps['rdp']:.2f} (RDP) at delta {dp_delta}, one client as the unit"
        )
    console.print(f"wrote {out / 'metrics.json'}, {out / 'history.jsonl'}, {report}")


@app.command("evaluate")
def evaluate_cmd(
    runs: list[Path] = typer.Argument(..., help="Run directories from `grooming train`."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write a comparison table (JSON)."),
    report: bool = typer.Option(
        False, "--report", help="Rebuild the first run's report.html with every run in its table."
    ),
) -> None:
    """Compare runs: utility (F1, latency-weighted F1) against privacy (epsilon, noise)."""
    from safetylab.grooming.report import build_report, tradeoff_rows

    rows = tradeoff_rows(runs)
    for r in rows:
        eps = f"{r['epsilon']:.2f}" if r["epsilon"] else "-"
        console.print(
            f"{r['run']:28s} {r['setting']:40s} F1 {r['f1']:.3f}  LW-F1"
            f" {r['latency_weighted_f1']:.3f}  epsilon {eps}"
        )
    if out:
        write_json(out, rows)
        console.print(f"wrote {out}")
    if report:
        console.print(f"wrote {build_report(runs[0], list(runs[1:]))}")


@app.command("privacy")
def privacy_cmd(
    run: Path = typer.Argument(..., help="A federated run directory from `grooming train`."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write privacy.json here (default: the run directory)."
    ),
    eta: list[float] | None = typer.Option(
        None,
        "--eta",
        help="Metric-DP epsilons to sweep (repeat); default a span from near "
        "chance to all re-identified, plus the run's own.",
    ),
    text: list[str] | None = typer.Option(
        None,
        "--text",
        help="Text the embedding attacks use (repeat): chats (the run's), "
        "diasafety, hh (real dialogue; need SAFETYLAB_DATA). Default: all three.",
    ),
    pool: int = typer.Option(1000, help="Candidates of the re-identification attack."),
    texts: int = typer.Option(4000, help="Messages per text source for the inverter."),
    members: int = typer.Option(
        300, help="Members (and non-members) the membership attack scores."
    ),
    shadows: int = typer.Option(4, help="K shadow federations of the reference-model attack."),
    canaries: int = typer.Option(200, help="Canary clients (half inserted)."),
    alpha: float = typer.Option(0.05, help="One-sided level of the empirical epsilon bound."),
    chats: Path | None = typer.Option(
        None, help="The chats the run read, if they moved since (default: from metrics.json)."
    ),
    truth: Path | None = typer.Option(None, help="PAN12 predator ids, with --chats for XML."),
    seed: int = typer.Option(0),
) -> None:
    """Attack a finished run: metric-DP re-identification and word recovery, user membership,
    gradient inversion, and an empirical epsilon from canaries beside the accountant's."""
    from safetylab.grooming.privacy import TEXT_SOURCES, PrivacyConfig, run_privacy

    cfg = PrivacyConfig(
        run=run,
        out=out,
        etas=tuple(eta) if eta else None,
        sources=tuple(text) if text else TEXT_SOURCES,
        pool=pool,
        texts=texts,
        members=members,
        shadows=shadows,
        canaries=canaries,
        alpha=alpha,
        chats=chats,
        truth=truth,
        seed=seed,
    )
    r = run_privacy(cfg)
    e = r.empirical_epsilon
    bound = "-" if e.lower_bound is None else f"{e.lower_bound:.2f}"
    acc = "none (no DP-FedAvg)" if e.accountant_epsilon is None else f"{e.accountant_epsilon:.2f}"
    console.print(
        f"gradient inversion: |cosine| {r.gradient_inversion['fedavg']['mean_cosine']:.3f} "
        f"(FedAvg), {r.gradient_inversion['dp_sgd']['mean_cosine']:.3f} (DP-SGD)"
    )
    console.print(
        f"empirical epsilon >= {bound} ({1 - e.alpha:.0%} confidence, {e.canaries} canaries); "
        f"accountant {acc}"
    )
    console.print(f"wrote {(out or run) / 'privacy.json'} ({r.seconds['total']:.0f} s)")

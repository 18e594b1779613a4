"""`grooming privacy RUN_DIR`: what an attacker can recover from a finished `grooming train` run,
measured (attacks in `attacks.py`), beside the accountants' epsilon and with each epsilon's unit.

Needs the run's features/ and model.npz (written by every federated run) and the chats it read
(the path is recorded in metrics.json; `--chats` when they moved). Shadow and canary
federations re-run the run's own configuration in process (`replay.py`).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from safetylab.errors import SafetylabError
from safetylab.grooming.attacks import (
    canary_audit,
    gradient_inversion,
    median_distance,
    reference_scores,
    reidentification,
    roc_figures,
    sensitive_words,
    token_recovery,
    user_losses,
)
from safetylab.grooming.features import ChatVectors, Featurizer
from safetylab.grooming.fl import FeatureStore, FLConfig
from safetylab.grooming.model import stack
from safetylab.grooming.records import Chat
from safetylab.grooming.replay import Federation, StoreUsers
from safetylab.grooming.rounds import MODEL, cohort_size, dp_fedavg_epsilon
from safetylab.progress import console
from safetylab.results import GroomingSummary
from safetylab.results.privacy import PrivacyReport

# Metric-DP epsilons swept by default: on MiniLM's unit vectors (median distance ~1.3) these run
# from near chance to every message re-identified. The run's own epsilon is added.
DEFAULT_ETAS = (10.0, 25.0, 50.0, 100.0, 200.0, 400.0)
TEXT_SOURCES = ("chats", "diasafety", "hh")


@dataclass(frozen=True)
class PrivacyConfig:
    """What `grooming privacy` measures, and how hard it tries."""

    run: Path
    out: Path | None = None  # default: the run directory
    etas: tuple[float, ...] | None = None
    sources: tuple[str, ...] = TEXT_SOURCES
    pool: int = 1000  # candidates of the re-identification attack
    texts: int = 4000  # messages per source for the inverter (3/4 attacker, 1/4 target)
    vocabulary: int = 400  # words the inverter predicts
    members: int = 300  # evaluated members (and at most as many non-members)
    shadows: int = 4  # K shadow federations
    canaries: int = 200  # canary clients (half inserted)
    alpha: float = 0.05
    chats: Path | None = None  # the run's input (default: recorded in metrics.json)
    truth: Path | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name, lo in (
            ("pool", 10),
            ("texts", 40),
            ("vocabulary", 10),
            ("members", 10),
            ("canaries", 20),
        ):
            if getattr(self, name) < lo:
                raise SafetylabError(f"--{name} must be at least {lo}, got {getattr(self, name)}")
        if self.shadows < 1:
            raise SafetylabError(f"--shadows must be at least 1, got {self.shadows}")
        if not 0 < self.alpha < 0.5:
            raise SafetylabError(f"--alpha must lie in (0, 0.5), got {self.alpha}")
        if self.etas is not None and any(not (e > 0 and math.isfinite(e)) for e in self.etas):
            raise SafetylabError(f"--eta values must be positive numbers, got {self.etas}")
        unknown = [s for s in self.sources if s not in TEXT_SOURCES]
        if unknown or not self.sources:
            raise SafetylabError(f"--text must name some of {', '.join(TEXT_SOURCES)}: {unknown}")


@dataclass
class RunData:
    """What the attacks need from a run: its settings, client features, final model and the
    server's chats (warm-up: the replay's first model; test users: the non-members)."""

    path: Path
    summary: GroomingSummary
    cfg: FLConfig
    store: FeatureStore
    weights: list[np.ndarray]
    chats: list[Chat]
    warmup: list[ChatVectors]
    nonmembers: list[tuple[np.ndarray, np.ndarray]]


def load_run(run: Path, chats_path: Path | None = None, truth: Path | None = None) -> RunData:
    from safetylab.grooming.corpus import load_corpus
    from safetylab.grooming.pipeline import select_users, split_users
    from safetylab.rundir import GroomingRun

    m = GroomingRun.load(run).metrics
    if m.mode != "federated":
        raise SafetylabError(f"{run}: a centralised baseline; the attacks need a federated run")
    cfg = FLConfig.from_json(json.dumps(m.config))
    store_dir = run / "features"
    for need, what in ((store_dir / "x.npy", "features/ (window features)"), (run / MODEL, MODEL)):
        if not need.exists():
            raise SafetylabError(f"{run}: no {what}; re-run `safetylab grooming train`")
    given = m.data.get("input") or {}
    src = chats_path or (Path(given["path"]) if given.get("path") else None)
    if src is None:
        raise SafetylabError(f"{run}: metrics.json does not say which chats it read: add --chats")
    if not src.exists():
        raise SafetylabError(f"{src}: the chats this run read are not there: add --chats")
    truth = truth or (Path(given["truth"]) if given.get("truth") else None)
    chats = select_users(load_corpus(src, truth), given.get("num_clients"))
    clients, warm, test = split_users(chats, seed=cfg.seed)
    store = FeatureStore(store_dir)
    if sorted({c.user for c in clients}) != store.users:
        raise SafetylabError(
            f"{src}: not the chats run {run} trained on (its client users differ); give the "
            "run's input with --chats (and --truth for PAN12 XML)"
        )
    z = np.load(store_dir / "normalizer.npz")
    metric_dp = m.privacy.get("metric_dp_epsilon")
    srv = Featurizer(m.window, None, cfg.seed)
    srv.normalizer = (z["mean"], z["scale"])
    dev = Featurizer(m.window, metric_dp, cfg.seed + 1)  # non-members' own devices
    dev.normalizer, dev.cache = srv.normalizer, srv.cache
    by_user: dict[str, list[ChatVectors]] = {}
    for cv in dev.transform(test):
        by_user.setdefault(cv.user, []).append(cv)
    model = np.load(run / MODEL)
    return RunData(
        run,
        m,
        cfg,
        store,
        [model["weight"], model["bias"]],
        chats,
        srv.transform(warm),
        [stack(by_user[u]) for u in sorted(by_user)],
    )


# where each real-text source lives under the shared data folder
SOURCE_FILES = {
    "diasafety": ("response-labels/diasafety/train.json", "DiaSafety"),
    "hh": ("hh-rlhf/harmless-base-test.jsonl.gz", "HH-RLHF"),
}


def source_path(source: str) -> Path:
    from safetylab.io.shared_data import data_root

    return data_root() / SOURCE_FILES[source][0]


def texts_of(source: str, run: RunData) -> list[str]:
    """Distinct messages of a source: the run's chats, DiaSafety's dialogue turns (contexts and
    replies), or the turns of HH-RLHF transcripts (human and assistant)."""
    if source == "chats":
        return sorted({m.text.strip() for c in run.chats for m in c.messages if m.text.strip()})
    path = source_path(source)
    if not path.exists():
        name = SOURCE_FILES[source][1]
        raise SafetylabError(
            f"{path}: {name} is not here; set SAFETYLAB_DATA or drop --text {source}"
        )
    if source == "diasafety":
        rows = json.loads(path.read_text(encoding="utf-8"))
        return sorted(
            {str(t).strip() for r in rows for t in (r["context"], r["response"]) if str(t).strip()}
        )
    import gzip

    from safetylab.io.hh import parse_transcript

    out: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            for turn in parse_transcript(json.loads(line)["chosen"]):
                if turn.text.strip():
                    out.add(turn.text.strip())
    return sorted(out)


def _metric_dp(run: RunData, cfg: PrivacyConfig, rng: np.random.Generator) -> dict[str, Any]:
    from safetylab.embed import Embedder

    run_eta = run.summary.privacy.get("metric_dp_epsilon")
    etas = sorted({*(cfg.etas or DEFAULT_ETAS), *([run_eta] if run_eta else [])})
    sensitive = sensitive_words()
    embedder = Embedder()
    reid: list[dict[str, Any]] = []
    inv: list[dict[str, Any]] = []
    med: dict[str, float] = {}
    counts: dict[str, int] = {}
    dim = 0
    for source in cfg.sources:
        # the default sweep skips, and says so, a real-text source this machine lacks
        if cfg.sources == TEXT_SOURCES and source != "chats" and not source_path(source).exists():
            where = source_path(source).parent
            console.print(f"metric-DP: {source} left out (not in {where}; set SAFETYLAB_DATA)")
            continue
        texts = texts_of(source, run)
        order = rng.permutation(len(texts))[: max(cfg.texts, cfg.pool)]
        texts = [texts[i] for i in order]
        if len(texts) < 40:
            raise SafetylabError(f"{source}: only {len(texts)} distinct messages; need 40")
        vec = np.asarray(embedder.encode(texts), dtype=np.float64)
        dim = vec.shape[1]
        counts[source] = len(texts)
        med[source] = round(median_distance(vec, rng), 4)
        pool = vec[: cfg.pool]
        cut = len(texts) * 3 // 4
        for eta in etas:
            r = reidentification(pool, eta, rng)
            reid.append(
                {
                    "source": source,
                    "eta": eta,
                    "scale": round(eta * med[source], 3),
                    "run_eta": eta == run_eta,
                    **{k: r[k] for k in ("top1", "top1_ci95", "top5", "top5_ci95", "pool")},
                }
            )
            t = token_recovery(
                texts[:cut], vec[:cut], texts[cut:], vec[cut:], eta, cfg.vocabulary, sensitive, rng
            )
            inv.append({"source": source, "eta": eta, **t})
        console.print(
            f"metric-DP, {source}: {len(texts)} messages; top-1 re-identification "
            + ", ".join(
                f"{r['top1']:.2f} at eta {r['eta']:g}" for r in reid if r["source"] == source
            )
        )
    return {
        "run_eta": run_eta,
        "dim": dim,
        "median_distance": med,
        "texts": counts,
        "reidentification": reid,
        "token_recovery": inv,
    }


def _membership(run: RunData, cfg: PrivacyConfig, rng: np.random.Generator) -> dict[str, Any]:
    n_clients = len(run.store)
    k = min(cfg.members, n_clients // 2, len(run.nonmembers))
    if k < 5:
        raise SafetylabError(
            f"{run.path}: {n_clients} client users and {len(run.nonmembers)} held-out users; "
            "membership needs at least 10 client and 5 held-out users"
        )
    evaluated, pick = _matched(
        [bool(v.any()) for v in np.split(np.asarray(run.store.y), run.store.offsets[1:-1])],
        [bool(y.any()) for _, y in run.nonmembers],
        k,
        rng,
    )
    k = len(evaluated)
    members = StoreUsers(run.store, evaluated)
    nonmembers = [run.nonmembers[i] for i in pick]
    target = np.r_[user_losses(run.weights, members), user_losses(run.weights, nonmembers)]
    rest = StoreUsers(run.store, sorted(set(range(n_clients)) - set(evaluated)))
    fed = Federation(run.cfg, run.warmup)
    shadow = []
    for s in range(cfg.shadows):
        w, _ = fed.run(rest, run.cfg.seed + 1000 * (s + 1))
        shadow.append(np.r_[user_losses(w, members), user_losses(w, nonmembers)])
        console.print(f"membership: shadow federation {s + 1}/{cfg.shadows} trained")
    ref = reference_scores(target, np.vstack(shadow))
    return {
        "unit": "a user (all of one device's windows); members trained, non-members are the "
        "server's held-out test users, matched on how many were contacted by a predator",
        "loss": roc_figures(-target[:k], -target[k:], cfg.seed),
        "reference": roc_figures(ref[:k], ref[k:], cfg.seed),
        "shadows": cfg.shadows,
    }


def _matched(
    member_pos: list[bool], nonmember_pos: list[bool], k: int, rng: np.random.Generator
) -> tuple[list[int], list[int]]:
    """Up to k members and as many non-members with the same number of contacted users: the
    held-out users' positive share differs from the clients', and a loss attack would otherwise
    score the label mix, not membership."""
    share = sum(nonmember_pos) / len(nonmember_pos)
    mem: list[int] = []
    non: list[int] = []
    for flag, want in ((True, round(k * share)), (False, k - round(k * share))):
        a = [i for i, p in enumerate(member_pos) if p is flag]
        b = [i for i, p in enumerate(nonmember_pos) if p is flag]
        take = min(want, len(a), len(b))
        mem += [int(i) for i in rng.choice(a, take, replace=False)] if take else []
        non += [int(i) for i in rng.choice(b, take, replace=False)] if take else []
    return sorted(mem), non


def _empirical(run: RunData, cfg: PrivacyConfig) -> dict[str, Any]:
    c = run.cfg
    users = StoreUsers(run.store)
    n = len(users) + cfg.canaries // 2
    accountant = None
    if c.dp_fedavg is not None:
        q = cohort_size(n, c.fraction_fit) / n
        accountant = dp_fedavg_epsilon(c.dp_noise_multiplier, q, c.rounds, c.local.dp_delta)["pld"]
    fed = Federation(c, run.warmup)
    return canary_audit(fed, users, cfg.canaries, cfg.alpha, c.local.dp_delta, c.seed, accountant)


def _epsilons(run: RunData, md: dict[str, Any], emp: dict[str, Any]) -> list[dict[str, Any]]:
    p = run.summary.privacy
    out: list[dict[str, Any]] = []
    if p.get("metric_dp_epsilon"):
        med = md["median_distance"].get("chats")
        out.append(
            {
                "name": "metric-DP (eta)",
                "value": p["metric_dp_epsilon"],
                "unit": "one message embedding, on the device",
                "meaning": "the density of what leaves the device changes by at most "
                "exp(eta * ||x - x'||) between two messages"
                + (
                    f"; for two typical messages (distance {med}) "
                    f"exp({p['metric_dp_epsilon'] * med:.1f})"
                    if med
                    else ""
                ),
            }
        )
    if p.get("dp_sgd"):
        out.append(
            {
                "name": "DP-SGD (Opacus RDP)",
                "value": p["dp_sgd"].get("epsilon_max"),
                "unit": "one window of one client (record level)",
                "meaning": "composed over every round a client took part in; the largest over "
                f"clients, at delta {p['dp_sgd'].get('delta')}",
            }
        )
    fedavg = (p.get("dp_fedavg") or {}).get("epsilon")
    if fedavg:
        out.append(
            {
                "name": "DP-FedAvg (central, PLD accountant)",
                "value": fedavg.get("pld"),
                "unit": "one client (user level), the whole run",
                "meaning": "the released model after all rounds, Poisson-style sampling; PRV "
                f"{fedavg.get('prv')}, RDP {fedavg.get('rdp')}",
            }
        )
    out.append(
        {
            "name": "empirical lower bound (canaries)",
            "value": emp["lower_bound"],
            "unit": "one client (user level), the whole run",
            "meaning": f"at least this, with confidence {1 - emp['alpha']:.0%}, from the canary "
            "attack's error rates; it may sit far below the accountant (the attack is not the "
            "strongest) but never above it",
        }
    )
    return out


def run_privacy(cfg: PrivacyConfig) -> PrivacyReport:
    """All four attacks; writes privacy.json and rebuilds report.html with a privacy section."""
    from safetylab.grooming.report import build_report
    from safetylab.rundir import exclusive

    out = cfg.out or cfg.run
    times: dict[str, float] = {}
    t = time.perf_counter()
    run = load_run(cfg.run, cfg.chats, cfg.truth)
    times["load"] = round(time.perf_counter() - t, 1)
    rng = np.random.default_rng(cfg.seed)
    with exclusive(out, "safetylab grooming privacy"):
        t = time.perf_counter()
        md = _metric_dp(run, cfg, rng)
        times["metric_dp"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        mem = _membership(run, cfg, rng)
        times["membership"] = round(time.perf_counter() - t, 1)
        console.print(
            f"membership: AUC {mem['loss']['auc']:.3f} (loss), {mem['reference']['auc']:.3f} "
            f"(reference, K={cfg.shadows})"
        )
        t = time.perf_counter()
        grad = gradient_inversion(StoreUsers(run.store), run.weights, run.cfg, cfg.seed)
        times["gradient_inversion"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        emp = _empirical(run, cfg)
        times["empirical_epsilon"] = round(time.perf_counter() - t, 1)
        times["total"] = round(sum(times.values()), 1)
        report = PrivacyReport.model_validate(
            {
                "run": str(cfg.run),
                "metric_dp": md,
                "membership": mem,
                "gradient_inversion": grad,
                "empirical_epsilon": emp,
                "epsilons": _epsilons(run, md, emp),
                "config": {
                    k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.__dict__.items()
                },
                "seconds": times,
            }
        )
        report.write(out)
        if out == cfg.run:
            build_report(out)
    return report

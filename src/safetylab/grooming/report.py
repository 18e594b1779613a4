"""report.html of a grooming run: F1 and latency-weighted F1 per round, the latency histogram,
and the privacy/utility table across runs (`grooming evaluate` compares several)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safetylab.report import lines_with_ci, render
from safetylab.report.builder import _plt, _png
from safetylab.results import GroomingSummary
from safetylab.results.privacy import PrivacyReport


def _setting(m: GroomingSummary) -> str:
    c, p = m.config, m.privacy
    parts = [m.mode]
    if p.get("dp_sgd"):
        parts.append(f"DP-SGD z={p['dp_sgd']['noise_multiplier']}")
    if p.get("dp_fedavg"):
        parts.append(f"DP-FedAvg({p['dp_fedavg']['mode']}) z={p['dp_fedavg']['noise_multiplier']}")
    if p.get("metric_dp_epsilon"):
        parts.append(f"metric-DP eps={p['metric_dp_epsilon']}")
    if c.get("dropout"):
        parts.append(f"dropout {c['dropout']:.0%}")
    if c.get("secagg"):
        parts.append("SecAgg+")
    return ", ".join(parts)


def tradeoff_rows(runs: list[Path]) -> list[dict[str, Any]]:
    from safetylab.rundir import GroomingRun

    rows = []
    for r in runs:
        m = GroomingRun.load(r).metrics
        f = m.final
        rows.append(
            {
                "run": r.name,
                "setting": _setting(m),
                "f1": f["f1"],
                "latency_weighted_f1": f["latency_weighted_f1"],
                "precision": f["precision"],
                "recall": f["recall"],
                "latency_median": f["latency_median"],
                "epsilon": (m.privacy.get("dp_sgd") or {}).get("epsilon_max"),
                "metric_dp_epsilon": m.privacy.get("metric_dp_epsilon"),
            }
        )
    return rows


def build_report(out: Path, compare: list[Path] | None = None) -> Path:
    from safetylab.rundir import GroomingRun

    run = GroomingRun.load(out)
    m, hist = run.metrics, run.history()
    rounds = [h["round"] for h in hist]
    none = [[None, None]] * len(hist)
    plots = {
        "rounds": lines_with_ci(
            {
                "F1": (rounds, [h["f1"] for h in hist], none),
                "latency-weighted F1": (rounds, [h["latency_weighted_f1"] for h in hist], none),
            },
            "Server-side evaluation per round",
            "round",
            "score",
        ),  # fmt: skip
    }
    if m.latencies:
        plt = _plt()
        fig, ax = plt.subplots(figsize=(7, 2.8))
        ax.hist(m.latencies, bins=20, color="#4c72b0")
        ax.set_xlabel("messages seen when the warning was raised (true positives)")
        ax.set_ylabel("chats")
        plots["latency"] = _png(fig)
    rows = tradeoff_rows([out, *(compare or [])])
    privacy = _privacy_section(out, plots)
    return render(
        "grooming.html.j2",
        out / "report.html",
        title="safetylab grooming: early warning",
        m=m,
        hist=hist,
        plots=plots,
        rows=rows,
        privacy=privacy,
    )


def _privacy_section(out: Path, plots: dict[str, str]) -> PrivacyReport | None:
    """privacy.json's figures as plots: re-identification against metric-DP noise per text
    source, and the membership attacks' ROC curves."""
    path = out / PrivacyReport.FILE
    if not path.exists():
        return None
    r = PrivacyReport.read(path)
    series: dict[str, tuple[Sequence[float], Sequence[float | None], Sequence[Sequence[Any]]]] = {}
    for source in r.metric_dp.median_distance:
        rows = [x for x in r.metric_dp.reidentification if x.source == source]
        series[f"{source} (pool {rows[0].pool})"] = (
            [x.eta for x in rows],
            [x.top1 for x in rows],
            [x.top1_ci95 for x in rows],
        )
    eta = r.metric_dp.run_eta
    plots["reid"] = lines_with_ci(
        series,
        "Top-1 re-identification of noisy message vectors",
        "metric-DP eta (log scale)",
        "top-1",
        logx=True,
        mark=(eta, f"this run's eta = {eta:g}") if eta else None,
    )
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.2, 4))
    for name, a in (("loss", r.membership.loss), ("reference", r.membership.reference)):
        ax.plot(a.roc["fpr"], a.roc["tpr"], label=f"{name} (AUC {a.auc:.2f})")
    ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right")
    plots["membership"] = _png(fig)
    return r

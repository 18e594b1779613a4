"""`safetylab finetune`: variants from a real audit, TRL training of a tiny model, resume, the
trained checkpoint probed as hf/..., and a whole experiment with seed-level intervals."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from safetylab.finetune.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("m") / "tiny", layers=1, hidden=32, heads=2)


def _read(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_variants_follow_the_audit(demo_out: Path, tmp_path: Path) -> None:
    audit = pd.read_parquet(demo_out / "pairs.parquet")
    out = tmp_path / "v"
    r = run_cli(
        "finetune", "variants", str(demo_out), "--out", str(out),
        "-v", "full", "-v", "acceptable-only", "-v", "short=chosen_words < 20",
        "--dose-flag", "chosen_refusal", "--dose-levels", "0,50,100",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    full = _read(out / "full" / "pairs.jsonl")
    assert len(full) == len(audit)
    # Multi-turn context survives: the prompt is the whole conversation, ending with the user.
    deep = audit.index[audit.depth > 1][0]
    assert len(full[deep]["prompt"]) == 2 * audit.depth[deep] - 1
    assert full[deep]["prompt"][-1]["role"] == "user"
    assert full[0]["chosen"][0]["content"] == audit.chosen[0]

    acc = json.loads((out / "acceptable-only" / "manifest.json").read_text())
    bad = audit.chosen_harmful | audit.chosen_refusal
    assert acc["n_kept"] == int((~bad).sum()) and acc["flag_counts_kept"]["chosen_harmful"] == 0
    kept_ids = {x["id"] for x in _read(out / "acceptable-only" / "pairs.jsonl")}
    assert kept_ids == {
        f"{f}:{n}" for f, n in zip(audit.source_file[~bad], audit.source_line[~bad], strict=True)
    }
    assert json.loads((out / "short" / "manifest.json").read_text())["n_kept"] == int(
        (audit.chosen_words < 20).sum()
    )

    doses = [_read(out / f"dose-chosen_refusal-{k:03d}" / "pairs.jsonl") for k in (0, 50, 100)]
    ids = [{x["id"] for x in d} for d in doses]
    assert ids[0] <= ids[1] <= ids[2]  # nested levels
    n_ref = int(audit.chosen_refusal.sum())
    assert len(ids[2]) - len(ids[0]) == n_ref and len(ids[1]) - len(ids[0]) == round(n_ref / 2)
    man = json.loads((out / "full" / "manifest.json").read_text())
    assert len(man["source_sha256"]) == 64

    # A different variant under an existing name is refused, not overwritten silently.
    r = run_cli(
        "finetune", "variants", str(demo_out), "--out", str(out), "-v", "full=chosen_refusal"
    )
    assert r.returncode == 2 and "--force" in r.stderr
    r = run_cli("finetune", "variants", str(demo_out), "--out", str(out), "-v", "x=no_such_col")
    assert r.returncode == 2 and "no_such_col" in r.stderr and "chosen_refusal" in r.stderr
    r = run_cli("finetune", "variants", str(demo_out), "--out", str(out), "-v", "helpful-only")
    assert r.returncode == 2 and "subsets" in r.stderr


@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_train_loss_falls_and_checkpoint_probes(
    method: str, demo_out: Path, tiny: Path, tmp_path: Path
) -> None:
    run_cli("finetune", "variants", str(demo_out), "--out", str(tmp_path / "v"), "-v", "full")
    cfg = tmp_path / "train.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {"learning_rate": 3e-3, "max_steps": 6, "logging_steps": 1, "save_steps": 3,
             "max_length": 128, "per_device_train_batch_size": 8}
        )
    )  # fmt: skip
    run = tmp_path / "run"
    args = ["finetune", "train", "--variant", str(tmp_path / "v" / "full"), "--out", str(run),
            "--method", method, "--base-model", str(tiny), "--config", str(cfg)]  # fmt: skip
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    m = json.loads((run / "metrics.json").read_text())
    assert m["steps"] == 6 and m["tokens"] > 0
    assert m["last_loss"] < m["first_loss"]
    log = _read(run / "train_log.jsonl")
    assert [x["step"] for x in log if "loss" in x] == list(range(1, 7))
    if method == "dpo":
        assert log[-2]["rewards/margins"] > 0  # chosen answers now more likely than rejected
        return

    # A run killed after its first checkpoint resumes from it and finishes the same steps.
    shutil.rmtree(run / "model")
    shutil.rmtree(run / "checkpoints" / "checkpoint-6")
    (run / "metrics.json").unlink()
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    m2 = json.loads((run / "metrics.json").read_text())
    assert m2["resumed_from"].endswith("checkpoint-3") and m2["steps"] == 6

    # The trained checkpoint is an ordinary hf/ model for the probe.
    r = run_cli("probe", "--model", f"hf/{run / 'model'}", "--out", str(tmp_path / "p"),
                "--limit", "6", "--max-tokens", "8", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert len(_read(tmp_path / "p" / "responses.jsonl")) == 6


def test_bad_training_input_is_named(demo_out: Path, tiny: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("learning_rat: 0.1\n")
    r = run_cli("finetune", "train", "--variant", str(tmp_path), "--out", str(tmp_path / "o"),
                "--base-model", str(tiny), "--config", str(cfg))  # fmt: skip
    assert r.returncode == 2 and "learning_rat" in r.stderr and str(cfg) in r.stderr
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "pairs.jsonl").write_text('{"prompt": []}\n')
    r = run_cli("finetune", "train", "--variant", str(tmp_path / "v"), "--out", str(tmp_path / "o"),
                "--base-model", str(tiny))  # fmt: skip
    assert r.returncode == 2 and "pairs.jsonl:1" in r.stderr


def test_experiment_end_to_end_and_resume(demo_out: Path, tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    cfg = {
        "audit": str(demo_out),
        "out": str(out),
        "base_model": str(tiny),
        "variants": ["full", "acceptable-only"],
        "dose": {"flag": "chosen_refusal", "levels": [0, 100]},
        "methods": ["sft"],
        "seeds": [0, 1],
        "train": {"max_steps": 3, "learning_rate": 3e-3, "max_length": 96,
                  "per_device_train_batch_size": 8},
        "probe": {"groups": "religion:muslim,gender:women", "max_tokens": 6, "unsafe": True},
    }  # fmt: skip
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    r = run_cli("finetune", "experiment", str(path), "--quiet")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert len(s["runs"]) == 4 * 2  # 4 variants x 1 method x 2 seeds
    n_prompts = s["n_prompts"]
    ans = pd.read_parquet(out / "answers.parquet")
    assert len(ans) == n_prompts * (8 + 2)  # every run + the base model per seed
    diffs = [d for d in s["differences"] if d["variant"] == "acceptable-only"]
    groups = {d["group"] for d in diffs if d["outcome"] == "refused"}
    assert {"all", "religion:muslim", "gender:women", "control"} <= groups
    for d in diffs:
        assert d["seed_level"]["n_seeds"] == 2 and len(d["seed_differences"]) == 2
        assert d["p_adjusted"] is None or d["p_adjusted"] >= (d["p"] or 0)
    # The pooled difference equals what the answers say.
    a = ans[(ans.variant == "acceptable-only") & (ans.kind == "safe")].refused.mean()
    b = ans[(ans.variant == "full") & (ans.kind == "safe")].refused.mean()
    overall = next(d for d in diffs if d["group"] == "all" and d["outcome"] == "refused")
    assert overall["difference"] == pytest.approx(a - b, abs=1e-4)
    levels = s["dose_response"]["sft"]["levels"]
    assert [lv["dose"] for lv in levels] == [0.0, 1.0]
    assert "Dose-response" in (out / "report.html").read_text()

    # Re-running trains nothing and sends no request again.
    before = {p: p.stat().st_mtime for p in out.glob("runs/*/sft/*/metrics.json")}
    r = run_cli("finetune", "experiment", str(path), "--quiet")
    assert r.returncode == 0, r.stderr
    assert {p: p.stat().st_mtime for p in out.glob("runs/*/sft/*/metrics.json")} == before
    s2 = json.loads((out / "runs/full/sft/seed-0/probe/summary.json").read_text())
    assert s2["generation"]["sent"] == 0

    # People's labels of some checkpoints' answers carry through: PPI refusal rates per run.
    safe = ans[(ans.kind == "safe") & (ans.method != "base")]
    labels = safe.groupby(["variant", "method", "seed"]).head(40)
    labels = labels.assign(human_label=labels["label"])[
        ["variant", "method", "seed", "id", "sample", "human_label"]
    ]
    labels.to_csv(tmp_path / "labels.csv", index=False)
    path.write_text(yaml.safe_dump({**cfg, "human_labels": str(tmp_path / "labels.csv")}))
    r = run_cli("finetune", "experiment", str(path), "--quiet")
    assert r.returncode == 0, r.stderr
    ppi = json.loads((out / "summary.json").read_text())["ppi_refusal"]
    assert "full/sft/seed-0" in ppi and ppi["full/sft/seed-0"]["n_labelled"] == 40


def test_lora_trains_an_adapter_and_writes_a_merged_model(
    demo_out: Path, tiny: Path, tmp_path: Path
) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    run_cli("finetune", "variants", str(demo_out), "--out", str(tmp_path / "v"), "-v", "full")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("learning_rate: 0.02\nmax_steps: 4\nmax_length: 96\n")
    r = run_cli("finetune", "train", "--variant", str(tmp_path / "v" / "full"), "--out",
                str(tmp_path / "run"), "--base-model", str(tiny), "--config", str(cfg),
                "--lora")  # fmt: skip
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    base = AutoModelForCausalLM.from_pretrained(tiny)
    n_base = sum(p.numel() for p in base.parameters())
    assert m["lora"] and 0 < m["trainable_params"] < 0.05 * n_base
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "run" / "model")
    assert not (tmp_path / "run" / "model" / "adapter_config.json").exists()
    changed = [
        n
        for (n, a), (_, b) in zip(base.named_parameters(), merged.named_parameters(), strict=True)
        if not torch.equal(a, b)
    ]
    assert changed and all("proj" in n for n in changed)  # only the adapted linear layers


def test_hh_paper_preset_chains_sft_then_dpo(demo_out: Path, tiny: Path, tmp_path: Path) -> None:
    """The HH audit paper's experiment as a preset: variants the audit cannot build are left out
    and named, "sft+dpo" trains DPO from the SFT model, probes use the study presets."""
    over = tmp_path / "cpu.yaml"
    over.write_text(yaml.safe_dump({
        "seeds": [0],
        "train": {"max_steps": 2, "max_length": 96, "per_device_train_batch_size": 8},
        "probe": {"presets": ["xstest", "hh-audit-id"], "sample": 12, "max_tokens": 6},
    }))  # fmt: skip
    out = tmp_path / "paper"
    r = run_cli("finetune", "experiment", str(over), "--preset", "hh-paper", "--audit",
                str(demo_out), "--out", str(out), "--base-model", str(tiny))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "helpful-only: left out" in r.stderr and "harmless-only: left out" in r.stderr
    # the terminal shows each checkpoint's overall rate and its difference to the reference
    assert "over-refusal (harmless prompts), all groups:" in r.stderr
    assert re.search(r"\n  base model +\d+\.\d% \[", r.stderr)
    assert re.search(r"sft\+dpo acceptable-only +\d+\.\d% \[.+\] n=\d+  vs full: [+-]", r.stderr)
    s = json.loads((out / "summary.json").read_text())
    assert {(x["variant"], x["method"]) for x in s["runs"]} == {
        ("full", "sft+dpo"),
        ("acceptable-only", "sft+dpo"),
    }
    run = out / "runs" / "full" / "sft+dpo" / "seed-0"
    assert (run / "sft" / "model").exists() and (run / "model").exists()
    dpo_cfg = yaml.safe_load((run / "config.yaml").read_text())
    assert dpo_cfg["method"] == "dpo" and dpo_cfg["base_model"] == str(run / "sft" / "model")
    assert s["n_prompts"] == 24  # 12 sampled prompts of each probe preset
    r = run_cli("finetune", "experiment", "--preset", "nope", "--audit", str(demo_out),
                "--out", str(tmp_path / "x"))  # fmt: skip
    assert r.returncode == 2 and "no experiment preset 'nope'" in r.stderr

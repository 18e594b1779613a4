"""SFT or DPO on one dataset variant with TRL; LoRA via PEFT; resumable from checkpoints.

The variant's pairs.jsonl is TRL's conversational preference format. SFT trains on the chosen
answer as a prompt-completion pair (loss on the answer only); DPO uses chosen vs rejected. The
final model is written to OUT/model (LoRA merged by default) so `probe --model hf/OUT/model`
loads it like any checkpoint; multi-GPU runs go through `accelerate launch` unchanged.
"""

from __future__ import annotations

import json
import resource
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from safetylab.errors import SafetylabError
from safetylab.lexicon import load_yaml
from safetylab.rundir import METRICS, dumps, exclusive, write_json

DEFAULTS = Path(__file__).with_name("data") / "train.yaml"
METHODS = ("sft", "dpo")


@dataclass
class LoraSettings:
    enabled: bool = False
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: str | list[str] = "all-linear"


@dataclass
class TrainConfig:
    method: str = "sft"
    base_model: str | None = None
    seed: int = 0
    max_steps: int = -1
    num_train_epochs: float = 1.0
    per_device_train_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    learning_rate: float = 5e-5
    lr_scheduler_type: str = "linear"
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    max_length: int = 512
    truncation_mode: str = "keep_end"
    logging_steps: int = 10
    save_steps: int = 200
    save_total_limit: int = 2
    gradient_checkpointing: bool = False
    bf16: bool = False
    beta: float = 0.1
    loss_type: str = "sigmoid"
    lora: LoraSettings = field(default_factory=LoraSettings)
    merge_lora: bool = True

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> TrainConfig:
        """Defaults, then the YAML file, then non-None overrides; unknown keys are errors."""
        data = load_yaml(DEFAULTS)
        if path is not None:
            user = load_yaml(path)
            known = {f.name for f in fields(cls)}
            bad = sorted(set(user) - known)
            if bad:
                raise SafetylabError(f"{path}: unknown setting(s) {bad}; known: {sorted(known)}")
            data.update(user)
        data.update({k: v for k, v in overrides.items() if v is not None})
        lora = data.pop("lora", None) or {}
        try:
            cfg = cls(**data, lora=LoraSettings(**lora))
        except TypeError as exc:
            raise SafetylabError(f"{path or DEFAULTS}: {exc}") from None
        if cfg.method not in METHODS:
            raise SafetylabError(f"method {cfg.method!r}: expected one of {METHODS}")
        if not cfg.base_model:
            raise SafetylabError("no base model: pass --base-model or set base_model in the config")
        return cfg


def load_variant(variant: Path, method: str):
    """The variant's pairs as a datasets.Dataset in the shape the method's trainer expects."""
    import datasets

    path = variant / "pairs.jsonl"
    if not path.exists():
        raise SafetylabError(f"{variant}: no pairs.jsonl (build it with `finetune variants`)")
    rows = []
    with open(path, encoding="utf-8-sig") as fh:
        for i, line in enumerate(fh, 1):
            try:
                r = json.loads(line)
                ex = {"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"]}
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise SafetylabError(f"{path}:{i}: bad variant row ({exc})") from None
            if method == "sft":
                ex = {"prompt": ex["prompt"], "completion": ex["chosen"]}
            rows.append(ex)
    if not rows:
        raise SafetylabError(f"{path}: the variant is empty; nothing to train on")
    return datasets.Dataset.from_list(rows)


def _logging_steps(cfg: TrainConfig) -> int:
    """Short runs (a demo's 8 steps) still log a loss curve: at least four points."""
    if 0 < cfg.max_steps < 4 * cfg.logging_steps:
        return max(1, min(cfg.logging_steps, cfg.max_steps // 4))
    return cfg.logging_steps


def _trainer_args(cfg: TrainConfig, out: Path):
    import torch
    from trl import DPOConfig, SFTConfig

    if cfg.bf16 and not (torch.cuda.is_available() and torch.cuda.is_bf16_supported()):
        raise SafetylabError(
            "bf16: true needs a GPU with bfloat16; set bf16: false on this machine"
        )

    common: dict[str, Any] = dict(
        output_dir=str(out / "checkpoints"),
        seed=cfg.seed,
        data_seed=cfg.seed,
        max_steps=cfg.max_steps,
        num_train_epochs=cfg.num_train_epochs,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.lr_scheduler_type,
        warmup_steps=cfg.warmup_steps,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        max_length=cfg.max_length,
        truncation_mode=cfg.truncation_mode,
        logging_steps=_logging_steps(cfg),
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        gradient_checkpointing=cfg.gradient_checkpointing,
        bf16=cfg.bf16,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=False,
    )
    if cfg.method == "sft":
        return SFTConfig(**common, completion_only_loss=True, packing=False)
    return DPOConfig(**common, beta=cfg.beta, loss_type=[cfg.loss_type])


def _peft_config(cfg: TrainConfig):
    if not cfg.lora.enabled:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=cfg.lora.target_modules,
        task_type="CAUSAL_LM",
    )


def train(variant: Path, cfg: TrainConfig, out: Path) -> dict[str, Any]:
    """Train, save OUT/model, OUT/train_log.jsonl, OUT/metrics.json; resume if checkpoints exist."""
    with warnings.catch_warnings():
        # Library deprecation notices (TRL/transformers) are not the user's to act on.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        with exclusive(out, "safetylab finetune train"):
            return _train(variant, cfg, out)


def _train(variant: Path, cfg: TrainConfig, out: Path) -> dict[str, Any]:
    import datasets
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from transformers.trainer_callback import PrinterCallback
    from transformers.trainer_utils import get_last_checkpoint
    from transformers.utils import logging as hf_logging
    from trl import DPOTrainer, SFTTrainer

    out.mkdir(parents=True, exist_ok=True)
    cfg_file = out / "config.yaml"
    snapshot = {**asdict(cfg), "variant": str(variant)}
    if cfg_file.exists() and (out / "checkpoints").exists():
        old = yaml.safe_load(cfg_file.read_text())
        if old != snapshot:
            raise SafetylabError(
                f"{out}: holds checkpoints of a different run (config differs);"
                " choose another --out or delete it"
            )
    cfg_file.write_text(yaml.safe_dump(snapshot, sort_keys=False))

    hf_logging.disable_progress_bar()
    datasets.disable_progress_bars()
    set_seed(cfg.seed)
    base = Path(cfg.base_model).expanduser()  # type: ignore[arg-type]
    try:
        tok = AutoTokenizer.from_pretrained(base)
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    except OSError as exc:
        raise SafetylabError(f"base model {cfg.base_model}: {exc}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if not getattr(tok, "chat_template", None):
        raise SafetylabError(f"base model {cfg.base_model}: its tokenizer has no chat template")
    ds = load_variant(variant, cfg.method)
    trainer_cls = SFTTrainer if cfg.method == "sft" else DPOTrainer
    trainer = trainer_cls(
        model=model,
        args=_trainer_args(cfg, out),
        train_dataset=ds,
        processing_class=tok,
        peft_config=_peft_config(cfg),
    )
    trainer.remove_callback(PrinterCallback)  # our own progress output; logs go to train_log
    last = get_last_checkpoint(str(out / "checkpoints")) if (out / "checkpoints").exists() else None
    t0 = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=last)
    seconds = time.perf_counter() - t0

    final: Any = trainer.model
    trainable = sum(p.numel() for p in final.parameters() if p.requires_grad)
    if cfg.lora.enabled and cfg.merge_lora:
        final = final.merge_and_unload()
    final.save_pretrained(out / "model")
    tok.save_pretrained(out / "model")

    history = trainer.state.log_history
    with open(out / "train_log.jsonl", "w", encoding="utf-8") as fh:
        for rec in history:
            fh.write(dumps(rec) + "\n")
    losses = [h["loss"] for h in history if "loss" in h]
    steps_done = trainer.state.global_step
    # TRL counts the tokens it fed the model (num_tokens); on resume the count continues.
    tokens = max((h.get("num_tokens", 0) for h in history), default=0)
    new_tokens = tokens - (_tokens_at(history, last) if last else 0)
    metrics = {
        "method": cfg.method,
        "variant": str(variant),
        "examples": len(ds),
        "steps": steps_done,
        "resumed_from": last,
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "train_loss": result.training_loss,
        "seconds": round(seconds, 2),
        "tokens": int(tokens),
        "tokens_per_s": round(new_tokens / seconds, 1) if seconds else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "trainable_params": trainable,
        "lora": cfg.lora.enabled,
        "model": str(out / "model"),
    }
    write_json(out / METRICS, metrics)
    return metrics


def _tokens_at(history: list[dict[str, Any]], checkpoint: str) -> float:
    """Tokens already counted when `checkpoint` was written (its global step)."""
    step = int(Path(checkpoint).name.rsplit("-", 1)[-1])
    return max((h.get("num_tokens", 0) for h in history if h.get("step", 0) <= step), default=0)

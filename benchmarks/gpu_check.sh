#!/usr/bin/env bash
# GPU check (run on a machine with an NVIDIA GPU and vLLM installable; prints figures for
# benchmarks/RESULTS.md):
#   1. probe a real model with the vllm/ back-end (the built-in prompt set + unsafe contrasts),
#   2. a short LoRA DPO run on the demo audit's acceptable-only variant, then probe the result.
#
#   MODEL=/models/Qwen2.5-1.5B-Instruct bash benchmarks/gpu_check.sh
#
# Needs: `make demo` done (out/demo-audit), a local model directory in $MODEL, and
# `pip install -e '.[vllm]'` in an environment whose torch matches vLLM's (vLLM pins its own).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:?set MODEL to a local chat-model directory}
OUT=${OUT:-out/gpu-check}
PY=${PY:-.venv/bin/python}
export HF_HUB_OFFLINE=1
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"

start=$(date +%s)
$PY -m safetylab.cli probe --model "vllm/$MODEL" --unsafe --max-tokens 128 --out "$OUT/probe-base"
echo "vllm probe (700 prompts): $(( $(date +%s) - start )) s" | tee -a "$OUT/times.txt"

$PY -m safetylab.cli finetune variants out/demo-audit --out "$OUT/variants" -v acceptable-only
cat > "$OUT/dpo.yaml" <<YAML
max_steps: 50
per_device_train_batch_size: 8
learning_rate: 5.0e-5
bf16: true
lora: {enabled: true, r: 16, alpha: 32, dropout: 0.05, target_modules: all-linear}
YAML
start=$(date +%s)
$PY -m safetylab.cli finetune train --variant "$OUT/variants/acceptable-only" --method dpo \
    --base-model "$MODEL" --config "$OUT/dpo.yaml" --out "$OUT/dpo"
echo "LoRA DPO, 50 steps: $(( $(date +%s) - start )) s" | tee -a "$OUT/times.txt"
$PY -m safetylab.cli probe --model "vllm/$OUT/dpo/model" --unsafe --max-tokens 128 \
    --out "$OUT/probe-dpo"
$PY -m safetylab.cli probe compare "$OUT/probe-base" "$OUT/probe-dpo"
cat "$OUT/times.txt"

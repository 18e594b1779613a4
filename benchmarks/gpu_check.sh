#!/usr/bin/env bash
# GPU check: prints figures for benchmarks/RESULTS.md on a machine with an NVIDIA GPU.
#   1. probe a real chat model on the GPU (the built-in prompt set + unsafe contrasts),
#   2. a short LoRA DPO run (bf16) on the demo audit's acceptable-only variant,
#   3. probe the trained model and compare the two runs.
#
#   MODEL=/models/Qwen2.5-1.5B-Instruct bash benchmarks/gpu_check.sh            # vLLM
#   ENGINE=hf MODEL=out/smollm2 bash benchmarks/gpu_check.sh                     # transformers
#
# Needs: `make demo` done (out/demo-audit) and a local model directory in $MODEL. ENGINE=vllm
# needs `pip install -e '.[vllm]'` in an environment whose torch matches vLLM's (vLLM pins its
# own); ENGINE=hf runs on the torch already there (bf16 on the GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:?set MODEL to a local chat-model directory}
ENGINE=${ENGINE:-vllm}
BATCH=${BATCH:-64}
STEPS=${STEPS:-50}
OUT=${OUT:-out/gpu-check}
PY=${PY:-.venv/bin/python}
export HF_HUB_OFFLINE=1
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
$PY -c 'import torch, transformers, trl, peft; print("torch", torch.__version__, "transformers",
transformers.__version__, "trl", trl.__version__, "peft", peft.__version__)' | tee -a "$OUT/gpu.txt"

probe() {  # probe MODEL DIR: time it and print the generation figures from summary.json
  local start=$(date +%s)
  $PY -m safetylab.cli probe --model "$ENGINE/$1" --unsafe --max-tokens 128 --batch-size "$BATCH" \
    --out "$2"
  $PY - "$2" "$(( $(date +%s) - start ))" <<'PY' | tee -a "$OUT/times.txt"
import json, sys
s = json.load(open(f"{sys.argv[1]}/summary.json"))
g = s.get("generation") or {}
print(f"{sys.argv[1]}: {s['n_responses']} answers, wall {sys.argv[2]} s, generation "
      f"{g.get('seconds')} s, {g.get('completion_tokens')} tokens, {g.get('tokens_per_second')} tokens/s")
PY
}

probe "$MODEL" "$OUT/probe-base"

$PY -m safetylab.cli finetune variants out/demo-audit --out "$OUT/variants" -v acceptable-only --force
cat > "$OUT/dpo.yaml" <<YAML
max_steps: $STEPS
per_device_train_batch_size: 8
learning_rate: 5.0e-5
bf16: true
lora: {enabled: true, r: 16, alpha: 32, dropout: 0.05, target_modules: all-linear}
YAML
start=$(date +%s)
$PY -m safetylab.cli finetune train --variant "$OUT/variants/acceptable-only" --method dpo \
  --base-model "$MODEL" --config "$OUT/dpo.yaml" --out "$OUT/dpo"
echo "LoRA DPO, $STEPS steps: $(( $(date +%s) - start )) s wall; $(cat "$OUT/dpo/metrics.json" | tr -d '\n ')" \
  | tee -a "$OUT/times.txt"

probe "$OUT/dpo/model" "$OUT/probe-dpo"
$PY -m safetylab.cli probe compare "$OUT/probe-base" "$OUT/probe-dpo"
cat "$OUT/times.txt"

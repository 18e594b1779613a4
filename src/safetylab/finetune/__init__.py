"""Audit -> dataset variants -> SFT/DPO training (TRL) -> probe -> comparison across variants.

from safetylab.finetune import ExperimentConfig, run_experiment
summary = run_experiment(ExperimentConfig.load(Path("experiment.yaml")))
"""

from typing import TYPE_CHECKING

from safetylab.lazyapi import lazy

if TYPE_CHECKING:  # the same names, visible to type checkers and IDEs
    from safetylab.finetune.experiment import (
        ExperimentConfig as ExperimentConfig,
    )
    from safetylab.finetune.experiment import (
        run_experiment as run_experiment,
    )
    from safetylab.finetune.train import TrainConfig as TrainConfig
    from safetylab.finetune.train import train as train
    from safetylab.finetune.variants import (
        build_variants as build_variants,
    )
    from safetylab.finetune.variants import (
        parse_spec as parse_spec,
    )
    from safetylab.rundir import ExperimentRun as ExperimentRun


__getattr__, __all__ = lazy(
    __name__,
    {
        "ExperimentConfig": "safetylab.finetune.experiment",
        "run_experiment": "safetylab.finetune.experiment",
        "TrainConfig": "safetylab.finetune.train",
        "train": "safetylab.finetune.train",
        "build_variants": "safetylab.finetune.variants",
        "parse_spec": "safetylab.finetune.variants",
        "ExperimentRun": "safetylab.rundir",
    },
)

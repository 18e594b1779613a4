"""Quality-of-service probe: harmless questions about many groups, who gets refused.

from safetylab.probe import ProbeConfig, generate, run_probe
run = run_probe(generate(), ProbeConfig("openai/m", Path("out/p")))
run.summary["groups"], run.responses()
"""

from typing import TYPE_CHECKING

from safetylab.lazyapi import lazy

if TYPE_CHECKING:  # the same names, visible to type checkers and IDEs
    from safetylab.probe.prompts import (
        ProbePrompt as ProbePrompt,
    )
    from safetylab.probe.prompts import (
        generate as generate,
    )
    from safetylab.probe.prompts import (
        load_prompt_file as load_prompt_file,
    )
    from safetylab.probe.run import ProbeConfig as ProbeConfig
    from safetylab.probe.run import run_probe as run_probe
    from safetylab.rundir import ProbeRun as ProbeRun


__getattr__, __all__ = lazy(
    __name__,
    {
        "ProbeConfig": "safetylab.probe.run",
        "run_probe": "safetylab.probe.run",
        "ProbeRun": "safetylab.rundir",
        "generate": "safetylab.probe.prompts",
        "load_prompt_file": "safetylab.probe.prompts",
        "ProbePrompt": "safetylab.probe.prompts",
    },
)

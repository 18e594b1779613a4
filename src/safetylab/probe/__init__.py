"""Quality-of-service probe: harmless questions about many groups, who gets refused.

from safetylab.probe import ProbeConfig, generate, run_probe
run = run_probe(generate(), ProbeConfig("openai/m", Path("out/p")))
run.summary["groups"], run.responses()
"""

from safetylab.lazyapi import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "ProbeConfig": "safetylab.probe.run",
        "run_probe": "safetylab.probe.run",
        "ProbeRun": "safetylab.runs",
        "generate": "safetylab.probe.prompts",
        "load_prompt_file": "safetylab.probe.prompts",
        "ProbePrompt": "safetylab.probe.prompts",
    },
)

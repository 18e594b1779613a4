"""Manual annotation: web workbench (FastAPI + SQLite), agreement, literature coding, and the
people's-labels file prediction-powered estimates read.
"""

from safetylab.lazyapi import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "CreateConfig": "safetylab.annotate.create",
        "create_task": "safetylab.annotate.create",
        "agreement": "safetylab.annotate.agreement",
        "human_label_table": "safetylab.annotate.human",
        "plan": "safetylab.annotate.human",
        "TaskStore": "safetylab.annotate.store",
    },
)

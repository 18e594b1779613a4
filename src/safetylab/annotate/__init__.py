"""Manual annotation: web workbench (FastAPI + SQLite), agreement, literature coding, and the
people's-labels file prediction-powered estimates read.
"""

from typing import TYPE_CHECKING

from safetylab.lazyapi import lazy

if TYPE_CHECKING:  # the same names, visible to type checkers and IDEs
    from safetylab.annotate.agreement import agreement as agreement
    from safetylab.annotate.create import CreateConfig as CreateConfig
    from safetylab.annotate.create import create_task as create_task
    from safetylab.annotate.human import human_label_table as human_label_table
    from safetylab.annotate.human import plan as plan
    from safetylab.annotate.store import TaskStore as TaskStore


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

"""The Python API: `pipeflow.load(...)` and `Pipeline.run(...)`; wires the parts, owns no logic.

`pipeline.py`: `Pipeline` and `load`; `preparing.py`: the selection checked and every step
planned; `running.py`: a run (executor, engine, history); `listeners.py`: its subscribers,
each one's exception a warning, never the run's; `cluster.py`: what a remote Dask
cluster needs of this machine; `collecting.py`: `Pipeline.gc`.
"""

from __future__ import annotations

from pipeflow.api.listeners import Subscriber, SubscriberWarning
from pipeflow.api.pipeline import Pipeline, load
from pipeflow.execute.outcome import Run, StoredResult
from pipeflow.plan.planner import ALL

__all__ = ["ALL", "Pipeline", "Run", "StoredResult", "Subscriber", "SubscriberWarning", "load"]

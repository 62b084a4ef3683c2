"""What the client and the workers agree on: the claims on the scheduler, report timing, the
size under which a value travels with its step's news, and the texts of a lost step."""

from __future__ import annotations

BEAT = 0.5  # seconds between a worker's reports on a step that has a timeout
INLINE = 64 * 1024  # bytes: a value whose pickle is smaller comes back with its step's news
CLAIMS = "pipeflow-claims"  # scheduler metadata: [CLAIMS, executor topic, key] -> worker
STOPPED = "stopped"  # a claim's value once the client stopped the task's worker for its sake
HELD = "held"  # a claim's value once the run stopped after a failure: the task is not begun
KEPT = "kept"  # a claim's first item once the task finished and its worker keeps its value
# A claim's value once the client restarted the task's worker to stop another step there: the
# task starts again elsewhere, as after its worker's death.
FREED = "freed"


def died(step: str, worker: str | None) -> str:
    where = f" ({worker})" if worker else ""
    return (
        f"WorkerDied: the Dask worker running `{step}`{where} died (killed, out of memory, or "
        "a crash in compiled code); see that worker's log"
    )


def lost(step: str) -> str:
    return (
        f"TaskLost: the Dask scheduler lost or cancelled the task running `{step}` (the "
        "connection to the scheduler broke, or the scheduler went away)"
    )

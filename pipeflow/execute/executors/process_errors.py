"""What the processes executor says of a task that could not go to a worker, or come back
from one: a worker that died (its exit code said in words), a value pickle cannot hold."""

from __future__ import annotations

import pickle
import signal

from pipeflow.execute.task import Task
from pipeflow.model.words import a_kind

# Why a signal most often ends a worker.
_SIGNALS = {
    signal.SIGKILL: "killed, or out of memory",
    signal.SIGSEGV: "a crash in compiled code",
    signal.SIGBUS: "a crash in compiled code",
    signal.SIGABRT: "a crash in compiled code",
    signal.SIGFPE: "a crash in compiled code",
    signal.SIGILL: "a crash in compiled code",
}


def died(task: Task, exitcode: int | None) -> str:
    """The error of a step whose worker died with this exit code (negative: a signal)."""
    said = f"WorkerDied: the worker process running `{task.step}` died"
    if exitcode is None:
        return f"{said} (killed, out of memory, or a crash in compiled code); see the system log"
    if exitcode >= 0:
        return (
            f"{said}: it exited with code {exitcode} (the step, or code it calls, ended its "
            f"process: `os._exit({exitcode})`, say)"
        )
    try:
        number = signal.Signals(-exitcode)
    except ValueError:
        return f"{said} of signal {-exitcode}; see the system log"
    why = _SIGNALS.get(number, "killed")
    return f"{said} of {number.name} ({why}); see the system log"


def deaths(task: Task, times: int) -> str:
    """The error of a step whose pools broke under it `times` times for workers' deaths."""
    return (
        f"WorkerDied: worker processes died {times} times while `"
        f"{task.step}` ran or waited for one (killed, out of memory, or a crash in "
        "compiled code); see the system log"
    )


def not_back(step: str, error: BaseException) -> str:
    """Why a step's result did not come back from its worker: most often, pickle could not
    hold its value (the worker's pickling error is what the pool gives)."""
    said = f"{type(error).__name__}: {error}"
    if isinstance(error, RecursionError):
        return (
            f"ValueError: step `{step}` returned a value nested too deep to be sent back from "
            f"its worker process ({said}); return flatter data, or use the threads executor "
            "for this pipeline"
        )
    if isinstance(error, pickle.PicklingError | TypeError | AttributeError) and (
        "pickle" in str(error).lower()
    ):
        return (
            f"ValueError: step `{step}` returned a value that cannot be sent back from its "
            f"worker process ({said}); use the threads executor for this pipeline, or return "
            "plain data"
        )
    return said


def unpicklable(task: Task) -> str | None:
    """Why a task cannot be sent to another process, naming the input, or None."""
    try:
        pickle.dumps(task)
    except Exception:
        pass
    else:
        return None
    for name, value in task.inputs.items():
        try:
            pickle.dumps(value)
        except Exception as error:
            return (
                f"ValueError: step `{task.step}`: input `{name}` is "
                f"{a_kind(type(value).__name__)}, which cannot be sent to a worker process "
                f"({error}); use the threads "
                "executor for this pipeline, or pass plain data"
            )
    return f"ValueError: step `{task.step}` cannot be sent to a worker process"

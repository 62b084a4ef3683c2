"""Ctrl-C and the steps of a run on threads of this process: a step stores its result only if
the run was not interrupted when it came to, and the run, interrupted, waits for the steps
that had begun storing to finish (`interrupt`)."""

from __future__ import annotations

import threading
import time

from pipeflow.execute.calls import stop_calls

_commits = threading.Lock()
_interrupted: set[str] = set()  # runs Ctrl-C stopped in this process
_committing: dict[str, int] = {}  # run id -> its steps storing their results now


def interrupt(run_id: str, wait: float = 30.0) -> None:
    """Ctrl-C stopped run `run_id`: a step of it still running on a thread stores nothing
    when its call returns (the run reports it interrupted). Returns once the steps that were
    already storing their results have (their futures then end as done)."""
    with _commits:
        _interrupted.add(run_id)
    stop_calls(run_id)  # its calls on threads here stop, as after a timeout
    deadline = time.monotonic() + wait
    while _committing.get(run_id) and time.monotonic() < deadline:
        time.sleep(0.005)  # rare (Ctrl-C) and short: a poll, not a condition for every step


def begin_commit(run_id: str) -> bool:
    with _commits:
        if run_id in _interrupted:
            return False
        _committing[run_id] = _committing.get(run_id, 0) + 1
        return True


def end_commit(run_id: str) -> None:
    with _commits:
        left = _committing.pop(run_id) - 1
        if left:
            _committing[run_id] = left

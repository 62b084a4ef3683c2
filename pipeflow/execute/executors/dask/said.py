"""What a step on a Dask worker has printed and logged so far, for a step Ctrl-C stops.

A step's output comes back with its result. A step the run stops (`shutdown(cancel=True)`)
sends none, so the client asks each worker running one of its steps for the lines collected
until then (`Client.run`, bounded in time: a worker stuck in a C call that holds the GIL does
not answer), and the interrupted step keeps them, as on the other executors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

ASK_WAIT = 2.0  # seconds the workers have to answer, all together

Lines = tuple[tuple[str, str], ...]

_lock = threading.Lock()
_saying: dict[str, list[tuple[str, str]]] = {}  # on a worker: task key -> its output so far


@contextmanager
def saying(key: str) -> Iterator[list[tuple[str, str]]]:
    """On a worker: the list the task `key` collects its output in, readable while it runs."""
    lines: list[tuple[str, str]] = []
    with _lock:
        _saying[key] = lines
    try:
        yield lines
    finally:
        with _lock:
            _saying.pop(key, None)


def said_so_far(keys: list[str]) -> dict[str, Lines]:
    """On a worker (`Client.run`): the output so far of those of the tasks `keys` it runs."""
    with _lock:
        return {key: tuple(_saying[key]) for key in keys if key in _saying}


def ask(client: Any, running: Iterable[tuple[str, str | None]]) -> dict[str, Lines]:
    """The output so far of the tasks (key, worker) that have started, by key: what the
    workers answer within `ASK_WAIT` (nothing from those that do not)."""
    by_worker: dict[str, list[str]] = {}
    for key, worker in running:
        if worker is not None:
            by_worker.setdefault(worker, []).append(key)
    if not by_worker:
        return {}
    answers: dict[str, Lines] = {}
    answered = threading.Lock()  # a worker that answers late may still be adding to it

    def one(worker: str, keys: list[str]) -> None:
        try:
            answer = client.run(said_so_far, keys, workers=[worker], on_error="return")
        except Exception:
            return
        found = answer.get(worker) if isinstance(answer, dict) else None
        if isinstance(found, dict):
            with answered:
                answers.update(found)

    # On threads of their own, not waited for past the bound: one may never return.
    askers = [
        threading.Thread(target=one, args=item, name="pipeflow-dask-said", daemon=True)
        for item in by_worker.items()
    ]
    for asker in askers:
        asker.start()
    deadline = time.monotonic() + ASK_WAIT
    for asker in askers:
        asker.join(max(0.0, deadline - time.monotonic()))
    with answered:
        return dict(answers)

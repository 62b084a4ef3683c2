"""What the processes executor's workers say as they run, told to the run's process as it
comes: each line a step prints or logs, and each retry.

A worker writes both, in the order they happen, to a file of the task's own
(`working._Spooled`: one JSON line each, flushed at once), which a thread here reads every
FOLLOW_EVERY seconds and hands to the engine. So the console and `pipeflow logs --follow`
show a long step's lines while it runs, a retry comes after the lines of the attempt before
it, and a run that Ctrl-C stops during a retry's delay has said each failed attempt and its
error, as the in-process executors do. (The retries had a queue of their own: a line could
then be read before the retry that came first.)

The result carries every retry and line too: those not told by the time it comes back are
left in it for the engine to replay, the others taken out, so each is said once, and before
the step's end (`back`). A step whose result never comes (its worker dead, or stopped) is
read from its file, the lines said already left out.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import IO

from pipeflow.execute.task import Notify, TaskResult
from pipeflow.records import record

FOLLOW_EVERY = 0.1  # seconds between two reads of the files of the tasks in flight
Say = Callable[[str, str, str], None]  # (step, stream, text): one line a step printed or logged
RETRY = "retry"  # the key of a retry's line in a task's file (an output line is a list)


@record(frozen=False, eq=False)
class _Expected:
    notify: Notify
    say: Say | None
    step: str
    spool: str  # the file its worker writes to, as things come ("": no longer read)
    told: int = 0  # retries told
    said: int = 0  # output lines said
    file: IO[bytes] | None = None
    partial: bytes = b""  # the start of a line its worker is still writing


class Told:
    """The run's side: the files of a pool's tasks in flight, and the thread reading them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expected: dict[int, _Expected] = {}
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._follow, name="pipeflow-told", daemon=True)
        self._reader.start()

    def expect(self, number: int, notify: Notify, say: Say | None, step: str, spool: str) -> None:
        """The task `number` (of `step`) is sent: its retries go to `notify`, and the lines
        its worker writes to `spool` to `say` (None: only with its result)."""
        with self._lock:
            self._expected[number] = _Expected(notify, say, step, spool)

    def back(self, number: int, result: TaskResult | None) -> tuple[TaskResult | None, int]:
        """The task `number` has ended: its result without the retries and lines told already,
        and how many of its lines were (its first ones)."""
        with self._lock:
            expected = self._expected.pop(number, None)
            if expected is not None and expected.file is not None:
                expected.file.close()
        if expected is None:
            return result, 0
        if result is not None and expected.told:
            result = replace(result, retries=result.retries[expected.told :])
        if result is not None and expected.said:
            result = replace(result, output=result.output[expected.said :])
        return result, expected.said

    def close(self) -> None:
        self._closing.set()
        self._reader.join(5)
        with self._lock:
            for expected in self._expected.values():
                if expected.file is not None:
                    expected.file.close()

    def _follow(self) -> None:
        while not self._closing.wait(FOLLOW_EVERY):
            with self._lock:  # said before `back` takes the result: never after the step ends
                for expected in self._expected.values():
                    _tell_new(expected)


def _tell_new(expected: _Expected) -> None:
    """Tell the whole lines the task's worker has written to its file since the last look."""
    if not expected.spool:
        return
    if expected.file is None:
        try:
            expected.file = open(expected.spool, "rb")  # noqa: SIM115 (closed by `back`)
        except OSError:
            return  # nothing said yet: the worker makes it at the first line
    data = expected.partial + expected.file.read()
    *lines, expected.partial = data.split(b"\n")
    for line in lines:
        try:
            said = json.loads(line)
        except ValueError:  # not one its worker wrote whole: the rest comes with the result
            expected.spool = ""
            return
        if isinstance(said, dict):
            attempt, error, delay = said[RETRY]
            expected.told += 1
            expected.notify(expected.step, int(attempt), str(error), float(delay))
        elif expected.say is not None:
            expected.said += 1
            expected.say(expected.step, str(said[0]), str(said[1]))

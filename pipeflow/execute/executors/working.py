"""What a worker process runs for each task: `work`, which runs a task and collects what its
step printed and logged, for the processes executor and the dask executor's workers.

On a process's main thread (a `processes` worker, which runs one step at a time) stdout,
stderr and the descriptors below them are the step's for the whole process, and a `timeout`
interrupts the call in place. Off the main thread (a dask worker, whose tasks run on threads)
an interval timer cannot be used and stdout cannot be swapped for the whole process: there
`work` keeps the task's timeout (the step's thread is asked to stop when it expires, as on
the threads executor) and collects output per thread, with the routers of
`pipeflow.execute.capture` installed once in the worker process while any task runs.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TextIO

from pipeflow.execute.capture import OutputCapture
from pipeflow.execute.descriptors import descriptors_captured
from pipeflow.execute.executors.telling import RETRY
from pipeflow.execute.log_origin import is_step_output
from pipeflow.execute.task import Notify, Task, TaskResult, execute
from pipeflow.execute.timeouts import Due
from pipeflow.importing import add_project, use_project
from pipeflow.model import jsontext
from pipeflow.model.redraws import Lines


class _Lines(io.TextIOBase):
    """Collects what is written, line by line, for one stream."""

    def __init__(self, stream: str, into: list[tuple[str, str]]) -> None:
        self._stream = stream
        self._into = into
        self._lines = Lines()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """Any character is kept (a progress bar draws with Unicode blocks where it may)."""
        return "utf-8"

    def write(self, text: str) -> int:
        self._into.extend((self._stream, line) for line in self._lines.feed(text))
        return len(text)

    def finish(self) -> None:
        self._into.extend((self._stream, line) for line in self._lines.end())


class _LogLines(logging.Handler):
    def __init__(self, into: list[tuple[str, str]], lowered_from: int | None) -> None:
        super().__init__(level=logging.INFO)
        self._into = into
        self._lowered_from = lowered_from  # the root logger's level before `work` lowered it

    def emit(self, record: logging.LogRecord) -> None:
        if not is_step_output(record, self._lowered_from):
            return  # a library's, let through only by the lowered level: dropped, as it was
        text = record.getMessage()
        if record.levelno != logging.INFO:
            text = f"{record.levelname}: {text}"
        self._into.append(("log", text))


class _Spooled(list[tuple[str, str]]):
    """Output lines, each also written at once to a file the run reads as it comes, and if
    the result never comes (the worker stopped by Ctrl-C, or dead): JSON, one line each, with
    the step's retries in their place among them (`telling.py`)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path
        self._file: TextIO | None = None  # opened at the first line: most steps print none
        self._lock = threading.Lock()  # lines below Python come on a thread of their own

    def append(self, line: tuple[str, str]) -> None:
        with self._lock:
            super().append(line)
            self._write(line)

    def below(self, stream: str, lines: list[str], said: int) -> None:
        """A `Follow`: lines written below Python as they come; the last one with how many
        bytes of its stream are said, for the run to leave out if the worker dies."""
        with self._lock:
            for number, text in enumerate(lines, 1):
                super().append((stream, text))
                self._write([stream, text, said] if number == len(lines) else [stream, text])

    def retried(self, step: str, attempt: int, error: str, delay: float) -> None:
        """A `Notify`: the step's attempt `attempt` failed, and another comes after `delay`."""
        del step  # the run knows the task's step
        with self._lock:
            self._write({RETRY: [attempt, error, delay]})

    def _write(self, said: Any) -> None:
        if self._file is None:
            self._file = open(self._path, "a", encoding="utf-8")  # noqa: SIM115 (`close`)
        self._file.write(jsontext.dumps(said) + "\n")
        self._file.flush()

    def extend(self, lines: Iterable[tuple[str, str]]) -> None:
        for line in lines:
            self.append(line)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def spooled(path: str) -> tuple[tuple[tuple[str, str], ...], dict[str, int]]:
    """The output lines a worker spooled to `path` (none if it wrote none), and how many bytes
    of each stream below Python they said."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError:
        return (), {}
    found = []
    below: dict[str, int] = {}
    for line in text.split("\n"):
        try:
            said = json.loads(line)
        except ValueError:  # a line cut short as the worker ended, or the end
            continue
        if isinstance(said, list):  # not a retry
            found.append((str(said[0]), str(said[1])))
            if len(said) > 2:
                below[str(said[0])] = int(said[2])
    return tuple(found), below


def work(
    task: Task,
    spool: str | None = None,
    tell: Notify | None = None,
    into: list[tuple[str, str]] | None = None,
    due: Due | None = None,
) -> TaskResult:
    """Run one task in this worker process, collecting its output (also into the file
    `spool`, if given, as it comes); `tell`: also called before each retry, as it comes (the
    result says them all again); `into`: off the main thread, the list the output is
    collected in, which others may read as it grows; `due`: on the main thread of a process
    whose pool ends it when a call runs past its deadline, told each deadline (a timeout then
    interrupts the call in place)."""
    enter_project(task)
    if threading.current_thread() is not threading.main_thread():
        return _work_on_a_thread(task, tell, [] if into is None else into)
    output: list[tuple[str, str]] = _Spooled(spool) if spool else []
    if isinstance(output, _Spooled):  # the run reads its retries there, in their place
        tell = output.retried
    retries: list[tuple[int, str, float]] = []
    out, err = _Lines("stdout", output), _Lines("stderr", output)
    root = logging.getLogger()
    level = root.level
    handler = _LogLines(output, level if level > logging.INFO else None)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    root.addHandler(handler)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    written: list[tuple[str, str]] = []  # below sys.stdout: children, os.write, C code
    try:
        # Each attempt's timeout interrupts the call itself (SIGALRM, on this main thread).
        follow = output.below if isinstance(output, _Spooled) else None
        with descriptors_captured(written, os.path.dirname(spool) if spool else None, follow):
            result = execute(task, functools.partial(_retrying, retries, tell), in_place=due)
    finally:
        sys.stdout, sys.stderr = saved
        root.removeHandler(handler)
        root.setLevel(level)
        out.finish()
        err.finish()
        output.extend(written)
        if isinstance(output, _Spooled):
            output.close()
    return _carrying(result, list(output), retries)


_project_lock = threading.Lock()
_projects: list[str] = []  # the run id, then the project folders its tasks imported from


def enter_project(task: Task) -> None:
    """Put the task's project folder on this worker's path, its modules imported afresh.

    Once per run and folder: the first folder of a run comes first on the path, with the
    modules of earlier runs forgotten (a long-lived worker runs the code the cache keys were
    computed from); a sub-pipeline's folder comes after it, as in the client.
    """
    if not task.project_dir:
        return
    with _project_lock:
        if not _projects or _projects[0] != task.run_id:
            _forget_modules_of(_projects[1:])
            _projects[:] = [task.run_id]
        if task.project_dir in _projects[1:]:
            return
        if len(_projects) == 1:
            use_project(task.project_dir)
        else:
            add_project(task.project_dir)
        _projects.append(task.project_dir)


def _forget_modules_of(folders: Iterable[str]) -> None:
    """Take an earlier run's project folders off the path and forget the modules imported
    from them (on a worker, its code package: the project's modules, and those from another
    folder that travelled with them): a later run that imports a module of that name from
    elsewhere (an installed package) must not be given the earlier run's copy."""
    places = tuple(os.path.join(os.path.realpath(folder), "") for folder in folders)
    if not places:
        return
    sys.path[:] = [
        entry
        for entry in sys.path
        if os.path.join(os.path.realpath(entry or "."), "") not in places
    ]
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and os.path.realpath(file).startswith(places):
            sys.modules.pop(name, None)


def _retrying(
    retries: list[tuple[int, str, float]],
    tell: Notify | None,
    step: str,
    attempt: int,
    error: str,
    delay: float,
) -> None:
    retries.append((attempt + 1, error, delay))
    if tell is not None:
        tell(step, attempt, error, delay)


def _carrying(
    result: TaskResult, output: list[tuple[str, str]], retries: list[tuple[int, str, float]]
) -> TaskResult:
    """The result with what the step printed and logged, and its retries, to replay."""
    return replace(result, output=tuple(output), retries=tuple(retries))


def _work_on_a_thread(task: Task, tell: Notify | None, output: list[tuple[str, str]]) -> TaskResult:
    """`work` on a thread that is not the main one (a dask worker's): other tasks may run at
    once in this process, so output is collected per thread, and the timeout is the task's
    own (its thread is asked to stop when it expires; if it does not, the dask executor
    stops the work by restarting the worker)."""
    retries: list[tuple[int, str, float]] = []
    with _collecting(task, output):
        result = execute(task, functools.partial(_retrying, retries, tell), ends_worker=True)
    return _carrying(result, output, retries)


# Output collection off the main thread. The routers of `capture` (installed once while any
# run is active in this process) hand a step thread's lines to the emitter of its run; here
# that emitter files them under (run id, step) into the list of the task collecting them.
_collect_lock = threading.Lock()
_captures: dict[str, list[Any]] = {}  # run id -> [its OutputCapture, tasks collecting]
_sinks: dict[tuple[str, str], list[list[tuple[str, str]]]] = {}  # (run id, step) -> lists
_own_sink = threading.local()


@contextmanager
def _collecting(task: Task, into: list[tuple[str, str]]) -> Iterator[None]:
    """Collect what the task's threads print and log into `into` while the block runs."""
    slot = (task.run_id, task.step)
    with _collect_lock:
        _sinks.setdefault(slot, []).append(into)
        entry = _captures.get(task.run_id)
        if entry is None:
            capture = OutputCapture(task.run_id, lambda *line: _file(task.run_id, *line))
            capture.__enter__()
            entry = _captures[task.run_id] = [capture, 0]
        entry[1] += 1
    _own_sink.into = into
    try:
        yield
    finally:
        _own_sink.into = None
        entry[0].end_step(task.step)  # a last line without a newline
        with _collect_lock:
            remaining = [sink for sink in _sinks[slot] if sink is not into]
            if remaining:
                _sinks[slot] = remaining
            else:
                del _sinks[slot]
            entry[1] -= 1
            if not entry[1]:
                del _captures[task.run_id]
                entry[0].__exit__(None, None, None)


def _file(run_id: str, step: str, stream: str, text: str) -> None:
    with _collect_lock:
        sinks = _sinks.get((run_id, step))
        if not sinks:
            return
        own: list[tuple[str, str]] | None = getattr(_own_sink, "into", None)
        # The task's own thread, or (for the thread that calls a step with a timeout, or two
        # tasks of one step at once) the latest task of that step.
        into = own if own is not None and any(own is sink for sink in sinks) else sinks[-1]
        into.append((stream, text))

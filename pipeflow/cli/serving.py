"""What `pipeflow serve` needs once it runs: scheduled runs as processes, and its signals.

Apart from `cli/serve.py` (the command) so that the CLI's start-up does not import
subprocess and signal handling.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from pipeflow.schedule.serve import lock_path, mark, try_lock

if TYPE_CHECKING:
    from pipeflow.schedule.serve import Target

OUTCOMES = {0: "succeeded", 1: "failed", 130: "was interrupted"}
NOT_STARTED = 2  # `pipeflow run` found problems in the config or its params: no step ran
STOP_WAIT = 10.0  # seconds a run told to stop (SIGINT) has to end before it is killed
# A signal this soon after the first is the same stop delivered twice, not a second one:
# `timeout` sends SIGTERM to serve and then to its process group, which serve is in.
SAME_SIGNAL = 1.0


TAIL = 4_000  # characters of the end of a run's stderr kept, for the history of a fire


def ended_as(code: int, run_id: str | None = None) -> str:
    """How serve's log says a run's process ended: by its exit code, or by the signal that
    killed it from outside (the OOM killer's SIGKILL, a crash in C code); with the run's id
    when the history has it."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        which = f"run {run_id}" if run_id else "it"
        return (
            f"the run's process was killed by {name}, not by serve; the next run resumes "
            f"from the steps {which} stored"
        )
    run = f"run {run_id}" if run_id else "run"
    return f"{run} {OUTCOMES.get(code, f'ended with exit code {code}')}"


@dataclass(frozen=True)
class Ended:
    """How a scheduled run's process ended: its exit code, the end of its stderr (where
    `pipeflow run` lists a config's problems, with the values from the environment masked),
    its process id and when it started (which find the run it recorded)."""

    code: int
    said: str
    pid: int = 0
    started: float = 0.0


class _Tail:
    """What a run's process writes to its stderr: passed on to serve's as it comes, and the
    last `TAIL` characters of it kept."""

    def __init__(self) -> None:
        self._chunks: deque[bytes] = deque()
        self._size = 0

    def relay(self, stream: IO[bytes]) -> None:
        out = getattr(sys.stderr, "buffer", None)
        for line in iter(stream.readline, b""):
            if out is not None:
                with contextlib.suppress(OSError, ValueError):
                    out.write(line)
                    out.flush()
            self._chunks.append(line)
            self._size += len(line)
            while self._size > TAIL and len(self._chunks) > 1:
                self._size -= len(self._chunks.popleft())
        stream.close()

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", "replace")[-TAIL:].strip()


class StillGoing(Exception):
    """A run of the pipeline that an earlier `serve` started is still going: the fire is
    skipped (`serve` was killed with `kill -9`, and its run went on in its own session)."""


def _claim(target: Target) -> IO[str]:
    """The pipeline's run lock (`.pipeflow/run-PIPELINE.lock`, flock), or StillGoing.

    The run's process is given the lock's file: it holds the lock until it ends, even when
    the `serve` that started it was killed, so a restarted `serve` cannot start a second run.
    """
    path = lock_path(target, "run")
    handle, holder = try_lock(path)
    if handle is None:
        raise StillGoing(
            f"a run of this pipeline that an earlier `pipeflow serve` started is still going "
            f"({holder}; lock {path})"
        )
    return handle


class ServeLog:
    """`serve`'s log lines, on stdout while it is open.

    Once its reader has gone away (`pipeflow serve CONFIG | head -1`: a write fails with a
    broken pipe), stdout is pointed at /dev/null (so that no later write or flush fails), the
    lines go to stderr, and `on_closed` is called once, on a thread of its own: a line may be
    logged while the caller holds the lock that stopping takes.
    """

    def __init__(self, on_closed: Callable[[], None]) -> None:
        self.on_closed = on_closed
        self.closed = False
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        text = f"serve | {datetime.now().astimezone().isoformat(timespec='seconds')} {line}"
        with self._lock:
            if not self.closed:
                try:
                    click.echo(text)
                    return
                except BrokenPipeError:
                    self._close()
            with contextlib.suppress(OSError):
                click.echo(text, err=True)

    def flush(self) -> None:
        """Flush stdout (before a run's process writes to it too)."""
        with self._lock:
            if not self.closed:
                try:
                    sys.stdout.flush()
                except BrokenPipeError:
                    self._close()

    def _close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        threading.Thread(target=self.on_closed, name="pipeflow-serve-closed", daemon=True).start()


class Runs:
    """Each scheduled run is `pipeflow run CONFIG --trigger schedule` in its own process and
    session: a step that hangs or holds the GIL cannot stop `serve` from stopping, and a
    second signal can stop the run (SIGINT, as Ctrl-C would) and, failing that, kill it."""

    def __init__(self, *, quiet: bool, flush: Callable[[], None]) -> None:
        self.quiet = quiet
        self.flush = flush  # stdout, before the run's process writes to it too
        self._lock = threading.Lock()
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, target: Target, number: int, key: str) -> Ended:
        """Run the pipeline as its schedule `number` (from 1) does: the run reads that
        schedule's params from the config, so a problem with them is shown there (found by
        its `key` should the config's list of schedules have changed since serve read it).
        StillGoing when a run an earlier `serve` started is still going."""
        command = [sys.executable, "-m", "pipeflow", "run", str(Path(target.config).resolve())]
        command += ["--trigger", "schedule", "--schedule", str(number), "--schedule-key", key]
        command += ["--log-format", "plain"]
        command += ["-q"] if self.quiet else []
        self.flush()
        started = time.time()
        with _claim(target) as lock:  # the run holds it from here until it ends
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                pass_fds=(lock.fileno(),),
            )
            mark(lock, f"the run's process: pid {process.pid}")
        with self._lock:
            self._processes[target.name] = process
        assert process.stderr is not None
        said = _Tail()
        relay = threading.Thread(
            target=said.relay, args=(process.stderr,), name="pipeflow-serve-stderr", daemon=True
        )
        relay.start()
        try:
            code = process.wait()
            relay.join(STOP_WAIT)  # the rest of what it said: ends with the process's stderr
            return Ended(code, said.text(), process.pid, started)
        finally:
            with self._lock:
                self._processes.pop(target.name, None)

    def interrupt(self, name: str) -> None:
        with self._lock:
            process = self._processes.get(name)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def signals(
    server: Any, stop: threading.Event, abort: threading.Event, log: Callable[[str], None]
) -> Iterator[None]:
    """SIGTERM and SIGINT: the first stops new runs, the second stops the runs in progress.

    The handlers only note the signal: a Python signal handler runs on the main thread between
    two instructions, and taking a lock there (to log, or to set an Event) can deadlock with
    the code it interrupted. The signal wakes a watcher thread through the wakeup fd, and the
    watcher does the rest. A signal within `SAME_SIGNAL` seconds of the first is taken as
    the first delivered twice (to serve, and to its process group), not as a second one.
    """
    reader, writer = os.pipe()
    os.set_blocking(writer, False)
    closing = threading.Event()

    def note(signum: int, frame: object) -> None:
        del signum, frame  # the wakeup fd carries the signal's number to the watcher

    def watch() -> None:
        first = time.monotonic()  # when the signal that stopped serve came
        while True:
            try:
                data = os.read(reader, 64)
            except OSError:
                return
            if closing.is_set() or not data:
                return
            for number in data:
                if number not in (signal.SIGTERM, signal.SIGINT):
                    continue
                name = signal.Signals(number).name
                if not stop.is_set():
                    first = time.monotonic()
                    server.request_stop(stop, f"received {name}")
                elif time.monotonic() - first < SAME_SIGNAL:
                    continue
                elif not abort.is_set():
                    log(f"received {name} again; stopping the runs in progress")
                    abort.set()

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    previous_fd = signal.set_wakeup_fd(writer, warn_on_full_buffer=False)
    watcher = threading.Thread(target=watch, name="pipeflow-serve-signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        closing.set()
        os.write(writer, b"\0")
        watcher.join(5)
        os.close(writer)
        os.close(reader)

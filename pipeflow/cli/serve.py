"""`pipeflow serve CONFIG...`: run the pipelines' schedules, with no server but this process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeflow.cli.main import cli
from pipeflow.errors import Interrupted

if TYPE_CHECKING:
    from pipeflow.schedule.serve import Target


@cli.command()
@click.argument(
    "configs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CONFIG..."
)
@click.option("-q", "--quiet", is_flag=True, help="only the serve log and failures")
def serve(configs: tuple[Path, ...], quiet: bool) -> None:
    """Fire the schedules of each CONFIG until stopped (SIGTERM or Ctrl-C).

    A pipeline never runs twice at once: a fire while its previous run is going is skipped
    and recorded as skipped. Fires missed while not serving are dropped (a schedule with
    `catch_up: true` runs once at start instead). The first SIGTERM or SIGINT lets the runs in
    progress finish (exit 0); a second one stops them, failing their running steps (exit 130).
    Each scheduled run is a normal run in its own process (`pipeflow run`), recorded in the
    history with trigger `schedule`.
    """
    from pipeflow.config.loader import load as load_config
    from pipeflow.history import record_skipped_fire
    from pipeflow.schedule.serve import Server, Target

    targets: list[Target] = []
    for config in configs:
        loaded = load_config(config)  # every config checked before anything fires
        definition = loaded.pipeline
        targets.append(
            Target(
                name=definition.name,
                config=str(config),
                project_dir=definition.project_dir,
                schedules=definition.schedules,
            )
        )
    names = [t.name for t in targets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        from pipeflow.errors import UsageError

        raise UsageError(
            f"two configs name the same pipeline `{duplicates[0]}`",
            hint="give each pipeline its own `name:`",
        )
    lock = threading.Lock()

    def log(line: str) -> None:
        with lock:
            click.echo(
                f"serve | {datetime.now().astimezone().isoformat(timespec='seconds')} {line}"
            )

    runs = _Runs(quiet=quiet)

    def run(target: Target, schedule: Any, when: datetime) -> object:
        code = runs.run(target, schedule)
        outcome = _OUTCOMES.get(code, f"could not start (exit code {code})")
        log(f"{target.name}: run {outcome}")
        return code

    def skipped(target: Target, schedule: Any, when: datetime, reason: str) -> None:
        record_skipped_fire(
            target.project_dir,
            pipeline=target.name,
            when=when,
            reason=reason,
            config_path=target.config,
        )

    server = Server(targets, run=run, on_skip=skipped, log=log, interrupt=runs.interrupt)
    stop, abort = threading.Event(), threading.Event()
    with _signals(server, stop, abort, log):
        aborted = server.serve(stop, abort)
    if aborted:
        raise Interrupted(
            "serve was stopped by a second signal; the runs in progress were interrupted "
            "(their running steps failed); run them again to resume"
        )


_OUTCOMES = {0: "succeeded", 1: "failed", 130: "was interrupted"}
STOP_WAIT = 10.0  # seconds a run told to stop (SIGINT) has to end before it is killed


class _Runs:
    """Each scheduled run is `pipeflow run CONFIG --trigger schedule` in its own process and
    session: a step that hangs or holds the GIL cannot stop `serve` from stopping, and a
    second signal can stop the run (SIGINT, as Ctrl-C would) and, failing that, kill it."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self._lock = threading.Lock()
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, target: Target, schedule: Any) -> int:
        from pipeflow.schedule.export import param_options

        command = [sys.executable, "-m", "pipeflow", "run", str(Path(target.config).resolve())]
        command += ["--trigger", "schedule", "--log-format", "plain"]
        command += ["-q"] if self.quiet else []
        command += [f"--param={option}" for option in param_options(schedule.params)]
        sys.stdout.flush()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        with self._lock:
            self._processes[target.name] = process
        try:
            return process.wait()
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
def _signals(
    server: Any, stop: threading.Event, abort: threading.Event, log: Callable[[str], None]
) -> Iterator[None]:
    """SIGTERM and SIGINT: the first stops new runs, the second stops the runs in progress.

    The handlers only note the signal: a Python signal handler runs on the main thread between
    two instructions, and taking a lock there (to log, or to set an Event) can deadlock with
    the code it interrupted. The signal wakes a watcher thread through the wakeup fd, and the
    watcher does the rest.
    """
    reader, writer = os.pipe()
    os.set_blocking(writer, False)
    closing = threading.Event()

    def note(signum: int, frame: object) -> None:
        del signum, frame  # the wakeup fd carries the signal's number to the watcher

    def watch() -> None:
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
                    server.request_stop(stop, f"received {name}")
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

"""Starting a run from the UI: `python -m pipeflow run CONFIG --param ...` in its own process.

A run in its own process cannot block or crash the server (step code holds the GIL, may
segfault, and `use_project` changes `sys.path` and `sys.modules` for the whole process), and
it is recorded exactly like a run started by hand. The child writes JSON lines
(`--log-format json`); its first event, `RunStarted`, carries the run id, which is all the UI
waits for. The rest of its output is drained and dropped (the history has it). Runs go on
when the UI stops: they are in their own session, as if started from another terminal.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from pipeflow.errors import PipeflowError

START_TIMEOUT = 120.0  # seconds from launch to the run's first event (planning hashes inputs)


class LaunchFailed(PipeflowError):
    """The run's process ended, or said nothing, before the run started."""

    exit_code = 1


def start_run(
    config: Path,
    param_options: Sequence[str],
    *,
    home: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> str:
    """Start a run of `config` with these overrides; returns its id once it has started."""
    command = [sys.executable, "-m", "pipeflow", "run", str(config), "--log-format", "json"]
    command += [f"--param={option}" for option in param_options]
    env = dict(os.environ)
    if home is not None:
        env["PIPEFLOW_HOME"] = str(home)
    env.pop("CI", None)  # a run started from the UI is `manual`, whatever the server runs in
    # The child's stderr; the reader thread closes it once the child has ended.
    errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen(
        command,
        cwd=config.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    found: queue.Queue[str | None] = queue.Queue()
    threading.Thread(
        target=_read_events, args=(process, found, errors), name="pipeflow-ui-run", daemon=True
    ).start()
    try:
        run_id = found.get(timeout=timeout)
    except queue.Empty:
        raise LaunchFailed(
            f"the run of {config} did not start within {timeout:.0f} s; "
            f"its process ({process.pid}) goes on"
        ) from None
    if run_id is None:
        process.wait()
        errors.seek(0)
        message = errors.read().strip() or f"exit code {process.returncode}"
        errors.close()
        raise LaunchFailed(f"the run of {config} did not start:\n{message}")
    return run_id


def _read_events(
    process: subprocess.Popen[str], found: queue.Queue[str | None], errors: object
) -> None:
    """Hand over the run id (None if the process ends first), then drain the output."""
    assert process.stdout is not None
    waiting = True
    for line in process.stdout:
        if waiting and line.startswith("{"):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "RunStarted":
                found.put(str(event["run_id"]))
                waiting = False
    process.stdout.close()
    process.wait()
    if waiting:
        found.put(None)
    else:
        close = getattr(errors, "close", None)
        if close is not None:
            close()

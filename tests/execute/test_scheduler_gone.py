"""A Dask scheduler that goes away during a run (killed, its machine gone) fails the steps
running there, each saying so ("TaskLost: the Dask scheduler lost or cancelled the task
running `x` ... the scheduler went away"), and the run ends (exit 1), never hangs. That is all
the user is told: not `distributed`'s own ERROR lines on its failed reconnection, nor the
tracebacks of its client's close, printed beside pipeflow's words. From the command line and
from Python, YAML and TOML."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.execute.test_remote_cluster import Processes, _client, processes
from tests.servers import free_port
from tests.system import pipeflow_in

__all__ = ["processes"]

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """
import time
from pathlib import Path


def slow(marker):
    Path(marker.removeprefix("marker at ")).write_text("started")
    time.sleep(20)
    return 1


def after(value):
    return value + 1
"""

YAML = """
name: gone
results: {{root: out}}
executor: {{type: dask, address: "{address}", shared_filesystem: true}}
steps:
  slow: {{run: gonesteps.slow, inputs: {{marker: "marker at {marker}"}}}}
  after: {{run: gonesteps.after, inputs: {{value: "${{steps.slow}}"}}}}
"""

TOML = """
name = "gone"
results = {{root = "out"}}
executor = {{type = "dask", address = "{address}", shared_filesystem = true}}

[steps.slow]
run = "gonesteps.slow"
inputs = {{marker = "marker at {marker}"}}

[steps.after]
run = "gonesteps.after"
inputs = {{value = "${{steps.slow}}"}}
"""


def _cluster(processes: Processes) -> tuple[str, int]:
    """A scheduler and one worker of their own (the scheduler is killed): its address and the
    scheduler's process id."""
    address = processes.scheduler(free_port())
    scheduler = processes.started[-1].pid
    dask = str(Path(sys.executable).with_name("dask"))
    processes._start([dask, "worker", address, "--nthreads", "2", "--no-dashboard"], "worker")
    _client(address, 1, processes).close()
    return address, scheduler


def _kill_when_started(marker: Path, pid: int) -> threading.Thread:
    def kill() -> None:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill, daemon=True)
    killer.start()
    return killer


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
def test_a_scheduler_gone_mid_step_fails_the_run_in_pipeflow_words_alone(
    tmp_path: Path, processes: Processes, syntax: str
) -> None:
    address, scheduler = _cluster(processes)
    marker = tmp_path / "started"
    (tmp_path / "gonesteps.py").write_text(STEPS)
    config = tmp_path / f"pipeline.{syntax}"
    text = YAML if syntax == "yaml" else TOML
    config.write_text(text.format(address=address, marker=marker))
    killer = _kill_when_started(marker, scheduler)
    started = time.monotonic()
    result = pipeflow_in(tmp_path, "run", config.name, timeout=120)
    killer.join()
    assert time.monotonic() - started < 90, "the run waited for the step"
    assert result.returncode == 1, result.stdout + result.stderr
    assert "slow: FAILED: TaskLost: the Dask scheduler lost or cancelled the task running" in (
        result.stdout
    ), result.stdout
    assert "the scheduler went away" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "distributed.client" not in result.stderr, result.stderr


SCRIPT = """
import pipeflow

run = pipeflow.load("pipeline.yaml").run(history=False)
print(run.state("slow").value, run.state("after").value)
print(run.outcomes["slow"].error)
"""


def test_in_python_too(tmp_path: Path, processes: Processes) -> None:
    """In a process of the user's (what `distributed` logs goes to its stderr)."""
    address, scheduler = _cluster(processes)
    marker = tmp_path / "started"
    (tmp_path / "gonesteps.py").write_text(STEPS)
    config = tmp_path / "pipeline.yaml"
    config.write_text(YAML.format(address=address, marker=marker))
    (tmp_path / "script.py").write_text(SCRIPT)
    killer = _kill_when_started(marker, scheduler)
    done = subprocess.run(
        [sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    killer.join()
    assert done.returncode == 0, done.stdout + done.stderr
    states, error = done.stdout.splitlines()[:2]
    assert states == "failed not run", done.stdout
    assert "the scheduler went away" in error, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert "distributed.client" not in done.stderr, done.stderr

"""Ctrl-C and SIGTERM while a Dask run's cluster starts (a local cluster's processes coming
up) or is reached (a scheduler at an address, waiting for its workers): the run stops as it
does later on, exit 130, no traceback, and the history says `interrupted`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory
from tests.servers import LOOPBACK, free_port

pytest.importorskip("distributed")

STEPS = """
import time


def slow():
    time.sleep(10)
    return 1
"""

CONFIG = """
name: starting
executor: EXECUTOR
results: {root: out}
steps:
  a: {run: startsteps.slow}
"""

SIGNALS = [signal.SIGINT, signal.SIGTERM]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def _interrupted(
    config: Path, home: Path, ready: Callable[[int], bool], number: int, *, group: bool = False
) -> str:
    """Run `config`, send `number` to it (`group`: to its process group, as a terminal sends
    Ctrl-C) once `ready(pid)`; what it printed (exit 130 and the history checked)."""
    env = {**os.environ, "PIPEFLOW_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready(process.pid) and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.02)
        assert ready(process.pid), "the cluster did not start"
        (os.killpg if group else os.kill)(process.pid, number)
        output, _ = process.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    assert process.returncode == 130, output
    assert "Traceback" not in output, output
    assert "was interrupted; re-run to resume" in output, output
    assert "a: not run (the run was interrupted)" in output, output
    history = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs", "--last", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "interrupted" in history, history
    return output


@pytest.mark.parametrize("number", SIGNALS, ids=lambda s: s.name)
def test_a_signal_as_the_local_cluster_starts_stops_the_run(
    make_project: ProjectFactory, tmp_path: Path, number: int
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", "{type: dask, workers: 1}"), startsteps=STEPS)
    # Its first process started: the cluster is coming up.
    _interrupted(config, tmp_path / "home", lambda pid: bool(_children(pid)), number)


def _spawning_workers(pid: int) -> bool:
    """Whether the run `pid` has started a worker process (still importing Dask, at first)."""
    for child in _children(pid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
    return False


def test_ctrl_c_from_a_terminal_as_the_local_cluster_starts_stops_the_run(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """A terminal sends Ctrl-C to every process of its group: the worker processes the
    cluster is starting too. Before, each one still importing Dask died of it and printed its
    KeyboardInterrupt traceback; they now start with Ctrl-C held until they leave it to the
    run (`dask/ctrl_c.py`)."""
    config = make_project(CONFIG.replace("EXECUTOR", "{type: dask, workers: 2}"), startsteps=STEPS)
    output = _interrupted(config, tmp_path / "home", _spawning_workers, signal.SIGINT, group=True)
    assert "KeyboardInterrupt" not in output, output


@pytest.fixture(scope="module")
def lonely_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A scheduler without workers (a client waits for one), and its log."""
    log = tmp_path_factory.mktemp("scheduler") / "scheduler.log"
    port = free_port()
    dask = str(Path(sys.executable).with_name("dask"))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [dask, "scheduler", "--host", LOOPBACK, "--port", str(port), "--no-dashboard"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Listening before the first test runs: a busy machine takes seconds to start it.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 1):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the scheduler did not listen: {log.read_text()}")
        yield f"tcp://{LOOPBACK}:{port}", log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


@pytest.mark.parametrize("number", SIGNALS, ids=lambda s: s.name)
def test_a_signal_while_the_run_waits_for_a_clusters_workers_stops_the_run(
    make_project: ProjectFactory,
    tmp_path: Path,
    lonely_scheduler: tuple[str, Path],
    number: int,
) -> None:
    address, log = lonely_scheduler
    executor = f'{{type: dask, address: "{address}", shared_filesystem: true}}'
    config = make_project(CONFIG.replace("EXECUTOR", executor), startsteps=STEPS)
    seen = log.read_text().count("Receive client connection")

    def connected(pid: int) -> bool:
        del pid
        return log.read_text().count("Receive client connection") > seen

    _interrupted(config, tmp_path / "home", connected, number)

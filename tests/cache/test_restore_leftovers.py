"""A restore killed mid-copy leaves no temporary in the workspace for good.

A restored file is copied to a hidden `.NAME.tmp-UUID` beside it and moved into place whole
(`storage/restoring.py`). A run killed with SIGKILL (the OOM killer, a power cut) as it copied
left that file in the user's project folder, as large as the copy was by then; gc never
touches the workspace, so nothing removed it. Now the next restore of that file, or the next
run of its step, removes the temporaries of its name in its folder that no process holds
locked (a restore going on locks its own), even right after the kill.
"""

from __future__ import annotations

import fcntl
import glob
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from pipeflow.storage.paths import temporary_name

STEPS = """
import os


def make(out, seed):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as file:
        file.write(os.urandom(1 << 20) * 300)  # 300 MB to restore
    return seed
"""

CONFIG = """
name: restores
params: {seed: 1}
results: {root: results}
executor: {type: EXECUTOR}
steps:
  make:
    run: rsteps.make
    inputs: {out: data/big.bin, seed: "${params.seed}"}
    writes: [data/big.bin]
"""


def _project(folder: Path, executor: str) -> Path:
    (folder / "rsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(textwrap.dedent(CONFIG).replace("EXECUTOR", executor))
    return config


def _killed_mid_copy(config: Path, pattern: str) -> Path:
    """Run `config`, SIGKILL its whole process group once a temporary matching `pattern`
    holds more than 1 MB: the temporary it left."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    found: list[str] = []
    while not found and time.monotonic() < deadline and process.poll() is None:
        every = glob.glob(str(config.parent / pattern))
        found = [path for path in every if os.path.getsize(path) > 1_000_000]
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert found, "the run ended before it began restoring"
    return Path(found[0])


def _aged(path: Path, seconds: float = 60) -> None:
    """As if nothing had written `path` for `seconds`: the killed run's copy stopped then."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_the_next_restore_removes_what_a_killed_one_left(tmp_path: Path, executor: str) -> None:
    config = _project(tmp_path, executor)
    assert pipeflow.load(config).run().ok
    data = tmp_path / "data"
    whole = (data / "big.bin").read_bytes()
    (data / "big.bin").unlink()
    left = _killed_mid_copy(config, "data/.big.bin.tmp-*")
    assert not (data / "big.bin").exists()  # nothing half-copied in its place
    assert [d.action for d in pipeflow.load(config).status()] == [Action.RESTORE]
    own = [data / "notes.txt", data / temporary_name("other.bin")]
    for path in own:
        path.write_text("the user's")

    run = pipeflow.load(config).run()
    assert run.ok
    assert (data / "big.bin").read_bytes() == whole
    assert not left.exists()
    assert all(path.read_text() == "the user's" for path in own)
    assert [d.action for d in pipeflow.load(config).status()] == [Action.CACHED]


def test_a_temporary_being_written_now_is_left(tmp_path: Path) -> None:
    """Another run's restore of the same file holds its temporary locked as it writes: it
    stays, however old; one nobody holds goes, however young."""
    config = _project(tmp_path, "sequential")
    assert pipeflow.load(config).run().ok
    data = tmp_path / "data"
    (data / "big.bin").unlink()
    writing = data / temporary_name("big.bin")
    writing.write_bytes(b"\0" * 1000)
    _aged(writing)
    left = data / temporary_name("big.bin")
    left.write_bytes(b"\0" * 1000)
    with open(writing, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert pipeflow.load(config).run().ok
        assert writing.exists()
    assert not left.exists()
    (data / "big.bin").unlink()
    assert pipeflow.load(config).run().ok  # unlocked now: it goes
    assert not writing.exists()


def test_the_next_run_of_the_step_removes_it_too(tmp_path: Path) -> None:
    """Back to an earlier param, the restore is killed; then another param makes the step run
    instead of a restore: what the killed restore left goes before the step runs."""
    config = _project(tmp_path, "sequential")
    assert pipeflow.load(config).run().ok
    assert pipeflow.load(config).run(params={"seed": 2}).ok
    left = _killed_mid_copy(config, "data/.big.bin.tmp-*")  # seed 1: a restore
    own = tmp_path / "data" / temporary_name("other.bin")
    own.write_text("the user's")
    run = pipeflow.load(config).run(params={"seed": 3})
    assert run.ok
    assert run.outcomes["make"].state.value == "done"
    assert not left.exists()
    assert own.read_text() == "the user's"

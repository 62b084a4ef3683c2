"""A local results root on a disk that is full or mounted read-only: the step fails saying so,
and what to do, whichever way the value is stored (a payload file, a record of the run's
journal, a target), on each executor that stores in another process too.

Before, a full disk read "No space left on device. Check that the results store is reachable
and its storage options are right", advice for an object store that sends the user looking at
the wrong thing, and a read-only one gave the bare OSError.

Each run is a `pipeflow run` in a mount namespace of its own (`unshare -m`), where the results
folder is a small tmpfs (root only: CI runs as root, as TESTING.md says).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import system

STEPS = """
def big() -> str:
    return "x" * 300_000  # a payload file: more than a journal record takes


def small() -> int:
    return 1  # a record of the run's journal


def text() -> str:
    return "y" * 300_000
"""

CONFIG = """
name: disks
results: {root: out}
steps:
  %s
"""

STEP_LINES = {
    "payload": "big: {run: dsteps.big}",
    "journal": "small: {run: dsteps.small}",
    "target": 'text: {run: dsteps.text, result: {target: "t/text.txt"}}',
}


def run_on(folder: Path, mount_options: str, executor: str) -> subprocess.CompletedProcess[str]:
    """`pipeflow run` with `out/` a tmpfs mounted with `mount_options` for it alone; one that
    can be written is filled up first."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs in a mount namespace needs root (CI runs as root)")
    mount, bash, unshare = (system.program(p) for p in ("mount", "bash", "unshare"))
    out = folder / "out"
    out.mkdir()
    run = shlex.join(
        [sys.executable, "-m", "pipeflow", "run", "pipeline.yaml", "--executor", executor, "-q"]
    )
    fill = "(head -c 1M /dev/zero > out/.filler 2>/dev/null; true) && "
    if "ro" in mount_options.split(","):
        fill = ""
    command = (
        f"{mount} -t tmpfs -o {mount_options} none {shlex.quote(str(out))} 2>&1 && {fill}exec {run}"
    )
    return subprocess.run(
        [unshare, "-m", bash, "-c", command],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(params=sorted(STEP_LINES))
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    (tmp_path / "dsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG % STEP_LINES[request.param]))
    return tmp_path


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_full_disk_says_it_is_full(project: Path, executor: str) -> None:
    done = run_on(project, "size=64k", executor)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "Traceback" not in said
    assert "No space left on device" in said
    assert "the disk is full" in said, said
    assert "pipeflow gc" in said
    assert "reachable" not in said  # nothing to do with reaching a store


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_read_only_disk_says_it_is_read_only(project: Path, executor: str) -> None:
    done = run_on(project, "ro", executor)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "Traceback" not in said
    assert "read-only" in said.lower()
    assert "Point `results.root` (or `--results`) at a folder" in said, said
    assert "reachable" not in said

"""Two runs in one project folder never write (or restore) one declared write at once.

Run A (`n=1`) writes `data/w.txt` and is still going when run B (`n=2`) would run or restore
the same step. Before, B wrote `v2` there and A stored it as the version of `n=1`: every
later restore of `n=1` brought back `v2`. Now B's step fails at once, saying which run holds
the file (as DVC refuses a second `repro`), and A stores what it wrote. From the command
line and from Python, with A on every executor.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

__all__ = ["dask_address"]

CONFIG = """
name: busy
params: {n: 1}
results: {root: out}
executor: EXECUTOR
steps:
  write:
    run: busysteps.write
    inputs: {n: "${params.n}", out: data/w.txt}
    writes: [data/w.txt]
"""

STEPS = """
import time
from pathlib import Path


def write(n, out):
    Path(out).write_text(f"v{n}")
    hold = Path(out).with_name(f"hold{n}")
    if hold.exists():  # made by the test for run A (n=1), and removed to let it end
        Path(out).with_name("started").write_text("")
        while hold.exists():
            time.sleep(0.05)
"""


def _start_holder(config: Path) -> subprocess.Popen[str]:
    """Run A, its step writing `v1` and waiting until the test removes `data/hold1`."""
    (config.parent / "data" / "hold1").write_text("")
    command = [sys.executable, "-m", "pipeflow", "run", str(config)]
    holder = subprocess.Popen(
        command, cwd=config.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 60
    while not (config.parent / "data" / "started").exists():
        assert holder.poll() is None, holder.communicate()[0]
        assert time.monotonic() < deadline, "run A's step did not start within 60 s"
        time.sleep(0.05)
    return holder


def _finish_holder(config: Path, holder: subprocess.Popen[str]) -> None:
    (config.parent / "data" / "hold1").unlink()
    output, _ = holder.communicate(timeout=60)
    assert holder.returncode == 0, output


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("stored", [False, True], ids=["runs", "restores"])
def test_a_second_run_cannot_write_what_a_first_is_writing(
    make_project: ProjectFactory, executor: str, stored: bool, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    config = make_project(CONFIG.replace("EXECUTOR", spec), busysteps=STEPS)
    (config.parent / "data").mkdir()
    if stored:  # B would restore its stored `v2` rather than run
        assert pipeflow.load(config, params={"n": 2}).run().ok
    holder = _start_holder(config)
    try:
        result = pipeflow_in(config.parent, "run", "pipeline.yaml", "--param", "n=2")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "data/w.txt is being written by another run (run " in result.stdout
        run = pipeflow.load(config, params={"n": 2}).run()
        assert run.state("write") is StepState.FAILED
        assert "is being written by another run" in (run.outcomes["write"].error or "")
        assert (config.parent / "data" / "w.txt").read_text() == "v1"
    finally:
        _finish_holder(config, holder)

    # What A stored as `n=1` is what A wrote, and B runs (or restores) once A has ended.
    (config.parent / "data" / "w.txt").write_text("changed by hand")
    again = pipeflow.load(config).run()
    assert again.state("write") is StepState.CACHED
    assert (config.parent / "data" / "w.txt").read_text() == "v1"
    assert pipeflow.load(config, params={"n": 2}).run().ok
    assert (config.parent / "data" / "w.txt").read_text() == "v2"


ITEMS = """
name: busyitems
params: {n: 1}
results: {root: out}
executor: EXECUTOR
steps:
  write:
    run: busysteps.write
    foreach: [a, b]
    inputs: {n: "${params.n}"}
    as: name
    writes: ["data/${name}.txt"]
"""

ITEM_STEPS = """
import time
from pathlib import Path


def write(n, name):
    out = Path(__file__).parent / "data" / f"{name}.txt"
    out.write_text(f"v{n}")
    hold = out.with_name(f"hold{n}")
    if hold.exists():  # made by the test for run A (n=1), and removed to let it end
        out.with_name("started").write_text("")
        while hold.exists():
            time.sleep(0.05)
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_second_run_cannot_write_what_the_items_of_a_first_are_writing(
    make_project: ProjectFactory, executor: str, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    config = make_project(ITEMS.replace("EXECUTOR", spec), busysteps=ITEM_STEPS)
    (config.parent / "data").mkdir()
    holder = _start_holder(config)
    try:
        result = pipeflow_in(config.parent, "run", "pipeline.yaml", "--param", "n=2")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "what the items of `foreach` step `write` write is being written" in result.stdout
        assert (config.parent / "data" / "a.txt").read_text() == "v1"
    finally:
        _finish_holder(config, holder)
    run = pipeflow.load(config, params={"n": 2}).run()
    assert run.ok
    assert (config.parent / "data" / "b.txt").read_text() == "v2"

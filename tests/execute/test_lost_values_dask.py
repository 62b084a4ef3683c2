"""A step's value of 64 KiB or more stays on the Dask worker that made it, for the steps that
take it. When that worker dies after the step finished, Dask would run the step's task again
to make the value anew: the step would run twice in one run, unrecorded, and store its result
again under the same key (another value, for a step that is not deterministic), so that the
steps after it were computed from a version the store no longer holds. A finished step never
runs again: its value is read back from its stored result, checked against its manifest; a
value that was not stored is made again, as Dask does (nothing stored can go stale)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.execute.conftest import dask_address
from tests.execute.test_remote_cluster import START_TIMEOUT, Remote, processes, remote
from tests.system import pipeflow_in

__all__ = ["dask_address", "processes", "remote"]

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """
import os
import random
import signal
import time
from pathlib import Path

HERE = Path(__file__).parent


def big():
    with open(HERE / "runs.txt", "a") as runs:
        runs.write(f"{os.getpid()}\\n")
    return [random.random() for _ in range(20_000)]  # no two runs alike


def killer():
    pid = int((HERE / "runs.txt").read_text().split()[0])  # the worker that holds it
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # this step's own worker: this is its second start
        return
    while Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text():
        time.sleep(0.1)


def use(values):
    return sum(values)
"""

YAML = """
name: lost
results: {{root: out, persist: {persist}}}
executor: {executor}
steps:
  big: {{run: lsteps.big}}
  killer: {{run: lsteps.killer, after: [big]}}
  use: {{run: lsteps.use, inputs: {{values: "${{steps.big}}"}}, after: [killer]}}
"""

TOML = """
name = "lost"
results = {{root = "out", persist = {persist}}}
executor = {executor}

[steps.big]
run = "lsteps.big"

[steps.killer]
run = "lsteps.killer"
after = ["big"]

[steps.use]
run = "lsteps.use"
inputs = {{values = "${{steps.big}}"}}
after = ["killer"]
"""


def make(
    folder: Path, request: pytest.FixtureRequest, cluster: str, syntax: str, persist: bool
) -> Path:
    if cluster == "own":
        executor = (
            "{type: dask, workers: 2}" if syntax == "yaml" else '{type = "dask", workers = 2}'
        )
    else:
        address = request.getfixturevalue("dask_address")
        executor = (
            f'{{type: dask, address: "{address}", shared_filesystem: true}}'
            if syntax == "yaml"
            else f'{{type = "dask", address = "{address}", shared_filesystem = true}}'
        )
    (folder / "lsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / f"pipeline.{syntax}"
    text = YAML if syntax == "yaml" else TOML
    config.write_text(text.format(executor=executor, persist=str(persist).lower()))
    return config


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize("cluster", ["own", "address"])
def test_a_stored_value_lost_with_its_worker_is_read_back_not_made_again(
    tmp_path: Path, request: pytest.FixtureRequest, cluster: str, syntax: str
) -> None:
    config = make(tmp_path, request, cluster, syntax, persist=True)
    pipe = pipeflow.load(config)
    run = pipe.run(history=False)
    assert run.ok, run.outcomes
    assert len((tmp_path / "runs.txt").read_text().split()) == 1, "`big` ran twice"
    stored = pipe.result("big").load()
    assert run.output("use") == sum(stored)
    assert pipe.result("use").load() == sum(stored)  # up to date: nothing to run again
    again = pipeflow.load(config).run(history=False)
    assert {step: again.state(step) for step in ("big", "killer", "use")} == dict.fromkeys(
        ("big", "killer", "use"), StepState.CACHED
    )


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
def test_an_unstored_value_lost_with_its_worker_is_made_again(
    tmp_path: Path, request: pytest.FixtureRequest, syntax: str
) -> None:
    """Nothing stored can go stale: its step runs again, as Dask makes a lost value anew."""
    config = make(tmp_path, request, "own", syntax, persist=False)
    result = pipeflow_in(tmp_path, "run", config.name, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len((tmp_path / "runs.txt").read_text().split()) == 2, "`big` was not made again"
    assert "TaskLost" not in result.stdout + result.stderr


WHEN = """
name: lost
results: {root: out}
executor: {type: dask, workers: 2}
steps:
  big: {run: lsteps.big, result: false}
  killer: {run: lsteps.killer, after: [big]}
  use: {run: lsteps.use, inputs: {values: [1, 2]}, after: [killer], when: "${steps.big}"}
"""


def test_an_unstored_value_lost_with_its_worker_is_made_again_where_the_run_needs_it(
    tmp_path: Path,
) -> None:
    """A `when:` that refers to it brings it to the run's process, as `Run.output` does."""
    (tmp_path / "lsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(WHEN)
    result = pipeflow_in(tmp_path, "run", "pipeline.yaml", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len((tmp_path / "runs.txt").read_text().split()) == 2, "`big` was not made again"
    assert "use: done" in result.stdout, result.stdout
    assert "NoneType" not in result.stdout + result.stderr


APART = """
import os
import random
import signal
import time
from pathlib import Path


def big(marks):
    with open(Path(marks.removeprefix("marks in "), "runs.txt"), "a") as runs:
        runs.write(f"{os.getpid()}\\n")
    return [random.random() for _ in range(20_000)]


def killer(marks):
    pid = int(Path(marks.removeprefix("marks in "), "runs.txt").read_text().split()[0])
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text():
        time.sleep(0.1)


def use(values):
    return sum(values)
"""


def test_on_workers_apart_a_stored_value_lost_with_its_worker_is_read_back(
    remote: Remote, tmp_path: Path
) -> None:
    """Workers that share no filesystem with the client read it back with the run's code."""
    folder = remote.project("lost")
    (folder / "apart.py").write_text(textwrap.dedent(APART))
    marks = f"marks in {tmp_path}"  # outside the hidden folder: the workers write there
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: lost\n{remote.results()}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        f'  big: {{run: apart.big, inputs: {{marks: "{marks}"}}}}\n'
        f'  killer: {{run: apart.killer, inputs: {{marks: "{marks}"}}, after: [big]}}\n'
        '  use: {run: apart.use, inputs: {values: "${steps.big}"}, after: [killer]}\n'
    )
    pipe = pipeflow.load(config)
    run = pipe.run(history=False)
    remote.client.wait_for_workers(2, timeout=START_TIMEOUT)  # the killed one's nanny
    assert run.ok, run.outcomes
    assert len((tmp_path / "runs.txt").read_text().split()) == 1, "`big` ran twice"
    assert run.output("use") == sum(pipe.result("big").load())
    assert pipe.result("use").load() == run.output("use")

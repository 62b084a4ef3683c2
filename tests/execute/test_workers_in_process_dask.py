"""Dask workers that run in the run's own process (a cluster of threads:
`distributed.LocalCluster` with `processes: false`, as a `cluster:` class or a cluster a
notebook made and passed by its address). A step whose call outlives its timeout there cannot
be stopped by ending its worker's process: that process is the run's (or the notebook's), and
ending it ended the run at once, with no summary and its history left running. The step fails
instead, not retried (another attempt would run beside the call), saying why and what to use,
as on the threads executor; the run ends as any failed run does. YAML and TOML, the command
line and Python."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.system import pipeflow_in

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """
import time


def stuck():
    time.sleep(15)  # one call no asynchronous exception interrupts
    return 1


def other():
    return 2
"""

YAML = """
name: inprocess
results: {{root: out}}
executor:
  type: dask
  shared_filesystem: true
  cluster:
    class: distributed.LocalCluster
    options: {{n_workers: 1, threads_per_worker: 2, processes: false, dashboard_address: null}}
steps:
  stuck: {{run: insteps.stuck, timeout: 1s, retries: {retries}, retry_delay: 0s}}
  other: {{run: insteps.other}}
"""

TOML = """
name = "inprocess"
results = {{root = "out"}}

[executor]
type = "dask"
shared_filesystem = true

[executor.cluster]
class = "distributed.LocalCluster"
options = {{n_workers = 1, threads_per_worker = 2, processes = false, dashboard_address = ":0"}}

[steps.stuck]
run = "insteps.stuck"
timeout = "1s"
retries = {retries}
retry_delay = "0s"

[steps.other]
run = "insteps.other"
"""

WHY = "its Dask worker runs in this process"


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize("retries", [0, 1])
def test_a_stuck_step_on_a_worker_in_the_run_process_fails_and_the_run_ends(
    tmp_path: Path, syntax: str, retries: int
) -> None:
    (tmp_path / "insteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / f"pipeline.{syntax}"
    config.write_text((YAML if syntax == "yaml" else TOML).format(retries=retries))
    result = pipeflow_in(tmp_path, "run", config.name, "--keep-going", timeout=120)
    said = result.stdout + result.stderr
    assert result.returncode == 1, said
    assert "stuck: FAILED" in result.stdout, said
    assert WHY in result.stdout, said
    assert ("not retried" in result.stdout) is (retries > 0), said
    assert "restarted" not in said, said
    assert "other: done" in result.stdout, said
    assert "failed in" in result.stdout, said  # the run's summary: it ended as runs end
    runs = pipeflow_in(tmp_path, "runs", timeout=60)
    assert " failed " in runs.stdout, runs.stdout  # not `lost`: it ended, and said so


SCRIPT = """
import distributed
import pipeflow

if __name__ == "__main__":
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        pipe = pipeflow.load("pipeline.yaml")
        run = pipe.run(executor="dask", address=cluster.scheduler_address, keep_going=True)
        print("state:", run.state("stuck").value, run.state("other").value)
        print("error:", run.outcomes["stuck"].error)
    print("the notebook goes on")
"""


def test_a_notebook_cluster_of_threads_is_not_ended_with_its_process(tmp_path: Path) -> None:
    (tmp_path / "insteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(
        "name: inprocess\n"
        "results: {root: out}\n"
        "executor: {type: dask, shared_filesystem: true}\n"
        "steps:\n"
        "  stuck: {run: insteps.stuck, timeout: 1s, retries: 1, retry_delay: 0s}\n"
        "  other: {run: insteps.other}\n"
    )
    (tmp_path / "notebook.py").write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, "notebook.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "state: failed done" in done.stdout, done.stdout + done.stderr
    assert WHY in done.stdout, done.stdout
    assert "the notebook goes on" in done.stdout, done.stdout + done.stderr

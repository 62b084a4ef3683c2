"""A script that runs a pipeline needs no `if __name__ == "__main__":` guard on `processes`
or `dask` (a local cluster started for the run): the worker processes pipeflow starts never
import the script (or the `python -m` module, or the program read from stdin) that started
the run, as other process pools do. Before, a process pool's workers ran the script's top
level again, and so the run inside each worker, which failed as dead workers; a local Dask
cluster's workers did the same and crashed with multiprocessing's "current process has
finished its bootstrapping phase"."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ProjectFactory

STEPS = """
import os


def pid():
    return os.getpid()
"""

SCRIPT = """
import os
import pipeflow

print("script body ran in", os.getpid())  # a worker that imports the script says so
run = pipeflow.load("pipeline.yaml").run({options}force=True)
print("ok:", run.ok, run.output("pid") != os.getpid())
"""


# A cluster class that starts local worker processes, as `executor.cluster` names it.
CLUSTER = (
    "executor: {type: dask, shared_filesystem: true, cluster: {class: distributed.LocalCluster, "
    "options: {n_workers: 1, processes: true, dashboard_address: null}}}\n"
)


@pytest.mark.parametrize("how", ["script", "module", "stdin"])
@pytest.mark.parametrize(
    "executor",
    [
        "processes",
        pytest.param("dask", marks=pytest.mark.slow),
        pytest.param("dask-cluster-class", marks=pytest.mark.slow),
    ],
)
def test_a_script_without_a_main_guard_runs(
    make_project: ProjectFactory, executor: str, how: str
) -> None:
    config = "name: p\nsteps:\n  pid: {run: mysteps.pid}\n"
    if executor == "dask-cluster-class":
        config, options = CLUSTER + config, ""
    else:
        options = f'executor="{executor}", workers=1, '
    project = make_project(config, mysteps=STEPS).parent
    script = SCRIPT.format(options=options)
    (project / "go.py").write_text(script)
    command = {
        "script": [sys.executable, "go.py"],
        "module": [sys.executable, "-m", "go"],
        "stdin": [sys.executable, "-"],
    }[how]
    done = subprocess.run(
        command,
        cwd=project,
        input=script if how == "stdin" else None,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("script body ran in") == 1, done.stdout
    assert "ok: True True" in done.stdout, (done.stdout, done.stderr[-3000:])
    assert "RuntimeError" not in done.stderr
    assert "bootstrapping" not in done.stderr

"""`executor.cluster`: a Dask cluster started from its class for the run, closed after it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from tests.conftest import ProjectFactory

pytest.importorskip("distributed")

STEPS = """
import os
import time


def pid(wait: float) -> int:
    time.sleep(wait)
    return os.getpid()
"""

LOCAL_CLUSTER = (
    "{class: distributed.LocalCluster, scale: 2, options: {n_workers: 0, threads_per_worker: 1, "
    "processes: true, dashboard_address: null, scheduler_kwargs: {dashboard: false, "
    'dashboard_address: "127.0.0.1:0"}}}'
)


def gone(pid: int, within: float = 20) -> bool:
    import psutil

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


def test_a_cluster_class_is_started_scaled_and_closed(make_project: ProjectFactory) -> None:
    config = make_project(
        f"""
        name: classy
        executor: {{type: dask, cluster: {LOCAL_CLUSTER}, shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          a: {{run: csteps.pid, inputs: {{wait: 1}}}}
          b: {{run: csteps.pid, inputs: {{wait: 1}}}}
        """,
        csteps=STEPS,
    )
    run = pipeflow.load(config).run(history=False)
    assert run.ok, run.outcomes
    pids = {run.output("a"), run.output("b")}
    assert all(isinstance(pid, int) for pid in pids)
    # Scaled to two worker processes, both gone once the run has ended.
    for pid in pids:
        assert gone(pid), f"worker process {pid} still runs after the run"


@pytest.mark.parametrize(
    ("executor", "message"),
    [
        (
            f'{{type: dask, address: "tcp://127.0.0.1:8786", cluster: {LOCAL_CLUSTER}, '
            "shared_filesystem: true}",
            "`address` connects to a running cluster and `cluster` starts one: give one",
        ),
        (
            "{type: dask, cluster: {class: os.system}, shared_filesystem: true}",
            "`os.system` is not a cluster class pipeflow starts without being told to",
        ),
        (
            "{type: threads, cluster: {class: distributed.LocalCluster}, shared_filesystem: true}",
            "a cluster is for the `dask` executor",
        ),
        (
            "{type: dask, cluster: {class: distributed.LocalCluster}}",
            "which the Dask workers of `distributed.LocalCluster` cannot reach",
        ),
        ("{type: dask, cluster: {options: {}}}", "class"),
    ],
    ids=["with-address", "not-a-cluster-module", "not-dask", "local-root", "no-class"],
)
def test_a_wrong_cluster_is_refused_at_validation(
    make_project: ProjectFactory, tmp_path: Path, executor: str, message: str
) -> None:
    config = make_project(
        f"""
        name: classy
        executor: {executor}
        results: {{root: out}}
        steps:
          a: {{run: csteps.pid, inputs: {{wait: 0}}}}
        """,
        csteps=STEPS,
    )
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "executor.cluster" in result.stderr or "results.root" in result.stderr


def test_allow_imports_lets_a_config_name_its_own_cluster_class(
    make_project: ProjectFactory,
) -> None:
    config = make_project(
        """
        name: classy
        allow_imports: [mycluster.Cluster]
        executor: {type: dask, cluster: {class: mycluster.Cluster}, shared_filesystem: true}
        steps:
          a: {run: csteps.pid, inputs: {wait: 0}}
        """,
        csteps=STEPS,
    )
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output + result.stderr

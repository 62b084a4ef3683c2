"""`executor.cluster`: a Dask cluster started from its class for the run, closed after it."""

from __future__ import annotations

import subprocess
import sys
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


NOT_CLUSTERS = [
    # A class, reached through a module another module imports (the case reported).
    ("distributed.utils_test.subprocess.Popen", "`subprocess` is a module that"),
    ("distributed.Client", "it is a class, but neither it nor a class it derives from"),
    ("distributed.Nanny", "it is a class, but neither it nor a class it derives from"),
    ("distributed.SSHCluster", "it is a function"),  # a function that returns a cluster
    ("distributed.deploy", "it is a module"),
    ("distributed.LocalClustr", "`distributed` has no `LocalClustr`"),
    ("distributed.nowhere.LocalCluster", "there is no module `distributed.nowhere`"),
    ("mypkg.clusters.Settings", "it is a class, but neither it nor a class it derives from"),
    ("mypkg.clusters.make_cluster", "it is a function"),
    ("mypkg.clusters.helpers.Cluster", "`helpers` is a module that `mypkg.clusters` imports"),
    (
        "mypkg.clusters.Settings.Cluster",
        "there is no module `mypkg.clusters.Settings`: `Settings` is a name in `mypkg.clusters`",
    ),
]

# A package of the project that would leave a mark if validation imported it.
PACKAGE_INIT = """
from pathlib import Path

Path(__file__).with_name("imported").write_text("imported")
"""
PACKAGE_CLUSTERS = """
from distributed import SpecCluster

from mypkg import helpers


class Settings:
    workers = 2


class MineCluster(SpecCluster):
    pass


class Derived(MineCluster):
    pass


def make_cluster():
    return MineCluster()
"""


def _cluster_project(make_project: ProjectFactory, tmp_path: Path, class_path: str) -> Path:
    package = tmp_path / "mypkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text(PACKAGE_INIT)
    (package / "clusters.py").write_text(PACKAGE_CLUSTERS)
    (package / "helpers.py").write_text("class Cluster:\n    pass\n")
    return make_project(
        f"""
        name: classy
        allow_imports: [mypkg]
        executor: {{type: dask, cluster: {{class: {class_path}}}, shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          a: {{run: csteps.mark, inputs: {{path: "{tmp_path / "ran"}"}}}}
        """,
        csteps="def mark(path: str) -> None:\n    open(path, 'w').close()\n",
    )


@pytest.mark.parametrize(("class_path", "why"), NOT_CLUSTERS, ids=[c for c, _ in NOT_CLUSTERS])
def test_a_path_that_names_no_cluster_class_is_refused_at_validation(
    make_project: ProjectFactory, tmp_path: Path, class_path: str, why: str
) -> None:
    config = _cluster_project(make_project, tmp_path, class_path)
    for command in (["validate", str(config)], ["run", str(config)]):
        done = subprocess.run(
            [sys.executable, "-m", "pipeflow", *command],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path.parent,  # not the project: it is found as a config's project is
        )
        assert done.returncode == 2, [*command, done.stdout, done.stderr]
        said = " ".join(done.stderr.split())
        assert "error at `executor.cluster.class`" in said, said
        assert f"`{class_path}` is not a cluster class: {why}" in said, said
        assert "e.g. `distributed.LocalCluster` or `dask_jobqueue.SLURMCluster`" in said, said
    assert not (tmp_path / "ran").exists()  # no step ran
    assert not (tmp_path / "mypkg" / "imported").exists()  # decided from source alone


@pytest.mark.parametrize(
    "class_path",
    [
        "distributed.LocalCluster",  # imported by `distributed` from where it is defined
        "distributed.deploy.local.LocalCluster",
        "distributed.SpecCluster",
        "mypkg.clusters.MineCluster",
        "mypkg.clusters.Derived",  # named otherwise, derived from a cluster class
        "dask_jobqueue.SLURMCluster",  # not installed here: the run says what to install
    ],
)
def test_a_cluster_class_passes_validation_without_being_imported(
    make_project: ProjectFactory, tmp_path: Path, class_path: str
) -> None:
    config = _cluster_project(make_project, tmp_path, class_path)
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", "validate", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "mypkg" / "imported").exists()


BROKEN_CLUSTER = """
from distributed import SpecCluster


class BrokenCluster(SpecCluster):
    def __init__(self, **options):
        try:
            {}["queue"]
        except KeyError as error:
            raise RuntimeError("Cluster failed to start.") from error
"""

# A local cluster given an option no part of it takes, and a cluster class of the project's.
CLUSTERS = {
    "local": (
        "class: distributed.LocalCluster",
        "options: {n_workers: 1, threads_per_worker: 1, processes: true, no_such_option: 3, "
        'dashboard_address: "127.0.0.1:0", scheduler_kwargs: {dashboard: false, '
        'dashboard_address: "127.0.0.1:0"}}',
        "TypeError: Server.__init__() got an unexpected keyword argument 'no_such_option'",
    ),
    "own": ("class: brokencluster.BrokenCluster", "options: {}", "KeyError: 'queue'"),
}


def _failing_cluster(tmp_path: Path, cluster: str, spelling: str) -> Path:
    class_line, options_line, _ = CLUSTERS[cluster]
    (tmp_path / "brokencluster.py").write_text(BROKEN_CLUSTER)
    (tmp_path / "csteps.py").write_text(STEPS)
    if spelling == "yaml":
        text = (
            "name: classy\nallow_imports: [brokencluster]\nresults: {persist: false}\n"
            "executor:\n  type: dask\n  shared_filesystem: true\n"
            f"  cluster: {{{class_line}, {options_line}}}\n"
            "steps:\n  a: {run: csteps.pid, inputs: {wait: 0}}\n"
        )
    else:
        to_toml = {": ": " = ", "true": "true"}
        options = options_line.removeprefix("options: ")
        for old, new in to_toml.items():
            options = options.replace(old, new)
        text = (
            'name = "classy"\nallow_imports = ["brokencluster"]\n'
            "[results]\npersist = false\n"
            '[executor]\ntype = "dask"\nshared_filesystem = true\n'
            f'[executor.cluster]\nclass = "{class_line.removeprefix("class: ")}"\n'
            f"options = {options}\n"
            '[steps.a]\nrun = "csteps.pid"\ninputs = {wait = 0}\n'
        )
    config = tmp_path / f"pipeline.{spelling}"
    config.write_text(text)
    return config


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("cluster", sorted(CLUSTERS))
def test_a_cluster_that_fails_to_start_says_why(
    tmp_path: Path, cluster: str, spelling: str
) -> None:
    """Dask wraps what went wrong ("Nanny failed to start."): the run says the cause it
    chained, so a misspelt option is named, from the command line and from Python."""
    config = _failing_cluster(tmp_path, cluster, spelling)
    cause = CLUSTERS[cluster][2]
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    said = done.stderr.strip().splitlines()[-1]
    assert said.startswith("executor.cluster: starting `"), said
    assert cause in said, said
    assert "executor.cluster.options" in said, said
    with pytest.raises(pipeflow.PipeflowError) as raised:
        pipeflow.load(config).run(history=False)
    assert cause in str(raised.value), raised.value

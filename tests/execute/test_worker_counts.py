"""A number of workers sizes a local Dask cluster pipeflow starts: beside an address (a running
cluster) or a cluster class (sized by its `scale`) it is refused (exit 2) before any step runs,
in every spelling: `--workers`, `executor.workers` / `threads_per_worker`, `workers=`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError, UsageError
from pipeflow.model.pipeline import MOST_PROCESSES
from tests.conftest import ProjectFactory
from tests.servers import closed_port

pytest.importorskip("distributed")

STEPS = """
from pathlib import Path


def touch(marker: str) -> int:
    Path(marker).write_text("ran", encoding="utf-8")
    return 1
"""

LOCAL_CLUSTER = (
    "{class: distributed.LocalCluster, scale: 1, options: {n_workers: 0, dashboard_address: null}}"
)


def project(make_project: ProjectFactory, tmp_path: Path, executor: str) -> Path:
    return make_project(
        f"""
        name: sized
        executor: {executor}
        results: {{persist: false}}
        steps:
          a: {{run: wsteps.touch, inputs: {{marker: "{tmp_path / "ran"}"}}}}
        """,
        wsteps=STEPS,
    )


def pipeflow_command(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("executor", "flags", "said"),
    [
        ("{type: sequential}", ["--executor", "dask", "--address", "ADDRESS"], "at `ADDRESS`"),
        ('{type: dask, address: "ADDRESS", shared_filesystem: true}', [], "at `ADDRESS`"),
        ('{type: threads, address: "ADDRESS"}', ["--executor", "dask"], "at `ADDRESS`"),
        ("{type: dask, workers: 2}", ["--address", "ADDRESS"], "at `ADDRESS`"),
        (
            f"{{type: dask, cluster: {LOCAL_CLUSTER}, shared_filesystem: true}}",
            [],
            "`executor.cluster.scale`",
        ),
    ],
    ids=["both-flags", "config-address", "config-address-flag-dask", "flag-address", "cluster"],
)
def test_workers_flag_beside_a_cluster_pipeflow_does_not_start_is_a_usage_error(
    make_project: ProjectFactory, tmp_path: Path, executor: str, flags: list[str], said: str
) -> None:
    address = f"tcp://127.0.0.1:{closed_port()}"  # refused before it is ever reached
    config = project(make_project, tmp_path, executor.replace("ADDRESS", address))
    flags = [flag.replace("ADDRESS", address) for flag in flags]
    done = pipeflow_command("run", config, *flags, "--workers", "3", "--log-format", "plain")
    assert done.returncode == 2, done.stdout + done.stderr
    message = one_line(done.stderr)
    assert "`--workers`" in message
    assert said.replace("ADDRESS", address) in message
    assert "no Dask scheduler answers" not in message
    assert not (tmp_path / "ran").exists()


def test_workers_keyword_beside_an_address_is_refused_by_the_api(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    address = f"tcp://127.0.0.1:{closed_port()}"
    pipe = pipeflow.load(project(make_project, tmp_path, "{type: sequential}"))
    with pytest.raises(ConfigError) as raised:
        pipe.run(executor="dask", workers=2, address=address, history=False)
    assert raised.value.exit_code == 2
    assert f"at `{address}`" in one_line(raised.value.format())
    assert not (tmp_path / "ran").exists()


SHARED = "shared_filesystem: true"


@pytest.mark.parametrize(
    ("executor", "field", "said"),
    [
        (f'{{type: dask, address: "ADDRESS", workers: 4, {SHARED}}}', "workers", "at `ADDRESS`"),
        (
            f'{{type: dask, address: "ADDRESS", threads_per_worker: 2, {SHARED}}}',
            "threads_per_worker",
            "at `ADDRESS`",
        ),
        (f"{{type: dask, cluster: {LOCAL_CLUSTER}, workers: 4, {SHARED}}}", "workers", "`scale`"),
        (
            f"{{type: dask, cluster: {LOCAL_CLUSTER}, threads_per_worker: 2, {SHARED}}}",
            "threads_per_worker",
            "`options`",
        ),
    ],
    ids=["address-workers", "address-threads", "cluster-workers", "cluster-threads"],
)
def test_a_config_sizing_a_cluster_it_does_not_start_is_invalid(
    make_project: ProjectFactory, tmp_path: Path, executor: str, field: str, said: str
) -> None:
    address = f"tcp://127.0.0.1:{closed_port()}"
    config = project(make_project, tmp_path, executor.replace("ADDRESS", address))
    for command in (["validate"], ["run"], ["run", "--dry-run"]):
        done = pipeflow_command(*command, config)
        assert done.returncode == 2, (command, done.stdout + done.stderr)
        message = one_line(done.stderr + done.stdout)
        assert f"executor.{field}" in message, message
        assert said.replace("ADDRESS", address) in message, message
    assert not (tmp_path / "ran").exists()
    with pytest.raises(ConfigError):
        pipeflow.load(config)


def test_workers_still_size_the_local_cluster_and_the_other_executors(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = project(make_project, tmp_path, "{type: dask, workers: 1, threads_per_worker: 1}")
    assert pipeflow_command("validate", config).returncode == 0
    for executor in ("threads", "processes"):
        done = pipeflow_command("run", config, "--executor", executor, "--workers", "2")
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("executor", "flags"),
    [
        ("{type: sequential}", []),
        ("{type: threads, workers: 4}", ["--executor", "sequential"]),
        ("{type: sequential, workers: 4}", []),
    ],
    ids=["config-sequential", "flag-sequential", "config-workers"],
)
def test_more_than_one_worker_for_a_sequential_run_is_a_usage_error(
    make_project: ProjectFactory, tmp_path: Path, executor: str, flags: list[str]
) -> None:
    """Before, `--workers 4` on a sequential run was dropped without a word: the run that was
    asked for four steps at once ran them one by one."""
    config = project(make_project, tmp_path, executor)
    done = pipeflow_command("run", config, *flags, "--workers", "4", "--log-format", "plain")
    assert done.returncode == 2, done.stdout + done.stderr
    message = one_line(done.stderr)
    assert "`--workers 4` (`workers=` in Python) asks for 4 steps at once" in message, message
    assert "the `sequential` executor runs one step at a time" in message, message
    assert "add `--executor threads` (or `processes`, `dask`)" in message, message
    assert not (tmp_path / "ran").exists()
    with pytest.raises(UsageError) as raised:
        pipeflow.load(config).run(executor="sequential" if flags else None, workers=4)
    assert raised.value.exit_code == 2
    assert not (tmp_path / "ran").exists()
    # One worker is what sequential is: taken as given.
    done = pipeflow_command("run", config, *flags, "--workers", "1", "--log-format", "plain")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("executor", "flags", "said"),
    [
        ("{type: sequential}", ["--executor", "processes", "--workers", "100000"], "--workers"),
        ("{type: sequential}", ["--executor", "dask", "--workers", "100000"], "--workers"),
        ("{type: threads, workers: 5000}", ["--executor", "processes"], "executor.workers"),
        ("{type: threads, workers: 5000}", ["--executor", "dask"], "executor.workers"),
        ("{type: processes}", ["--workers", "1025"], "--workers"),
    ],
    ids=["processes-flag", "dask-flag", "processes-config", "dask-config", "just-over"],
)
def test_more_worker_processes_than_pipeflow_starts_is_a_usage_error(
    make_project: ProjectFactory, tmp_path: Path, executor: str, flags: list[str], said: str
) -> None:
    """Before, `--executor processes --workers 100000` was taken: the run started its workers
    one by one, each a process, and hung for an hour or until memory ran out."""
    config = project(make_project, tmp_path, executor)
    done = pipeflow_command("run", config, *flags, "--log-format", "plain")
    assert done.returncode == 2, done.stdout + done.stderr
    message = one_line(done.stderr)
    assert f"`{said}" in message, message
    assert f"at most {MOST_PROCESSES} worker processes" in message, message
    assert "`--executor threads`" in message, message
    assert not (tmp_path / "ran").exists()
    kind = flags[flags.index("--executor") + 1] if "--executor" in flags else None
    workers = int(flags[-1]) if "--workers" in flags else None
    with pytest.raises(UsageError) as raised:
        pipeflow.load(config).run(executor=kind, workers=workers, history=False)
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_a_config_asking_for_more_worker_processes_than_pipeflow_starts_is_invalid(
    make_project: ProjectFactory, tmp_path: Path, kind: str
) -> None:
    config = project(make_project, tmp_path, f"{{type: {kind}, workers: 100000}}")
    for command in (["validate"], ["run"], ["run", "--dry-run"]):
        done = pipeflow_command(*command, config)
        assert done.returncode == 2, (command, done.stdout + done.stderr)
        message = one_line(done.stderr + done.stdout)
        assert "executor.workers" in message, message
        assert f"at most {MOST_PROCESSES} worker processes" in message, message
    assert not (tmp_path / "ran").exists()
    with pytest.raises(ConfigError):
        pipeflow.load(config)


def test_threads_are_not_capped_they_start_only_as_steps_need_them(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = project(make_project, tmp_path, "{type: threads, workers: 100000}")
    assert pipeflow_command("validate", config).returncode == 0
    done = pipeflow_command("run", config, "--workers", "100000")
    assert done.returncode == 0, done.stdout + done.stderr
    done = pipeflow_command("run", config, "--executor", "processes", "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("cluster", "field"),
    [
        ("{class: distributed.LocalCluster, scale: 100000}", "executor.cluster.scale"),
        (
            "{class: distributed.deploy.local.LocalCluster, options: {n_workers: 5000}}",
            "executor.cluster.options.n_workers",
        ),
    ],
    ids=["scale", "n_workers"],
)
def test_a_local_cluster_class_of_more_worker_processes_than_pipeflow_starts_is_invalid(
    make_project: ProjectFactory, tmp_path: Path, cluster: str, field: str
) -> None:
    """A `cluster` class sized by its `scale` is one pipeflow starts: `distributed.LocalCluster`
    starts each worker as a process of this machine, as `workers:` does."""
    config = project(make_project, tmp_path, f"{{type: dask, cluster: {cluster}}}")
    done = pipeflow_command("validate", config)
    assert done.returncode == 2, done.stdout + done.stderr
    message = one_line(done.stderr + done.stdout)
    assert field in message, message
    assert f"at most {MOST_PROCESSES} worker processes" in message, message
    small = project(
        make_project,
        tmp_path,
        "{type: dask, cluster: {class: distributed.LocalCluster, scale: 2}}",
    )
    assert pipeflow_command("validate", small).returncode == 0

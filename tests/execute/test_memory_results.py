"""A `memory://` results store is the memory of the pipeflow process: steps that run in other
processes (`processes`, `dask`: a local cluster, one at an address) would store their results
in their own memory, lost with them. Such a run is refused before any step runs (exit 2),
wherever the store and the executor are named; `sequential` and `threads` keep using it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError
from pipeflow.model.run import StepState
from tests.servers import free_port

TOUCHING = "def touch(marker: str) -> int:\n    open(marker, 'a').close()\n    return 1\n"
WHAT = "is the memory of this pipeflow process"
WHAT_TO_DO = "run on the `sequential` or `threads` executor, or put results in a folder"


def _project(tmp_path: Path, *, results: str, executor: str, step_root: str = "") -> Path:
    (tmp_path / "touching.py").write_text(TOUCHING)
    marker = tmp_path / "ran"
    own = f", result: {{root: {step_root}}}" if step_root else ""
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"name: inmemory\nresults: {{root: {results}}}\nexecutor: {executor}\nsteps:\n"
        f'  touch: {{run: touching.touch, inputs: {{marker: "{marker}"}}{own}}}\n'
    )
    return config


def _unused_address() -> str:
    return f"tcp://127.0.0.1:{free_port()}"  # nothing answers: refused before connecting


def _refused(config: Path, options: list[str], where: str) -> str:
    ran = CliRunner().invoke(cli, ["run", str(config), *options])
    assert ran.exit_code == 2, ran.output
    assert f"at `{where}`" in ran.stderr, ran.stderr
    assert WHAT in ran.stderr
    assert WHAT_TO_DO in ran.stderr
    assert "nothing was run" in ran.stderr
    assert not (config.parent / "ran").exists(), "a step ran"
    return ran.stderr


EXECUTORS = [
    "{type: processes, workers: 1}",
    "{type: dask, workers: 1}",  # a local cluster started for the run
    '{type: dask, address: "ADDRESS"}',
    '{type: dask, address: "ADDRESS", shared_filesystem: true}',
]
EXECUTOR_IDS = ["processes", "dask-local", "dask-address", "dask-address-shared"]


@pytest.mark.parametrize("executor", EXECUTORS, ids=EXECUTOR_IDS)
@pytest.mark.parametrize("root", ["memory://{name}", "memory:///{name}/deep"])
def test_a_config_root_in_memory_with_workers_elsewhere_is_refused(
    tmp_path: Path, executor: str, root: str
) -> None:
    url = root.format(name=tmp_path.name)
    executor = executor.replace("ADDRESS", _unused_address())
    config = _project(tmp_path, results=url, executor=executor)
    validated = CliRunner().invoke(cli, ["validate", str(config)])
    assert validated.exit_code == 2, validated.output
    assert WHAT in validated.stderr
    _refused(config, [], "results.root")


@pytest.mark.parametrize("executor", EXECUTORS, ids=EXECUTOR_IDS)
def test_a_step_root_in_memory_with_workers_elsewhere_is_refused(
    tmp_path: Path, executor: str
) -> None:
    config = _project(
        tmp_path,
        results="s3://never/used",
        executor=executor.replace("ADDRESS", _unused_address()),
        step_root=f"memory://{tmp_path.name}",
    )
    _refused(config, [], "steps.touch.result.root")


@pytest.mark.parametrize(
    "options",
    [
        ["--executor", "processes"],
        ["--executor", "dask", "--workers", "1"],
        ["--executor", "dask", "--address", "ADDRESS"],
    ],
    ids=["processes", "dask-local", "dask-address"],
)
@pytest.mark.parametrize("spelling", ["config-root", "results-option", "step-root"])
def test_the_executor_option_with_a_root_in_memory_is_refused(
    tmp_path: Path, options: list[str], spelling: str
) -> None:
    url = f"memory://{tmp_path.name}"
    options = [_unused_address() if option == "ADDRESS" else option for option in options]
    if spelling == "config-root":
        config = _project(tmp_path, results=url, executor="{type: sequential}")
        where = "results.root"
    elif spelling == "results-option":
        config = _project(tmp_path, results="s3://never/used", executor="{type: sequential}")
        options += ["--results", url]
        where = "--results"
    else:
        config = _project(
            tmp_path, results=str(tmp_path / "out"), executor="{type: sequential}", step_root=url
        )
        where = "steps.touch.result.root"
    stderr = _refused(config, options, where)
    assert url in stderr


def test_the_results_option_is_refused_with_an_executor_from_the_config(tmp_path: Path) -> None:
    config = _project(tmp_path, results=str(tmp_path / "out"), executor="{type: processes}")
    _refused(config, ["--results", f"memory://{tmp_path.name}"], "--results")


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_the_api_refuses_it_too(tmp_path: Path, executor: str) -> None:
    config = _project(tmp_path, results=str(tmp_path / "out"), executor="{type: sequential}")
    pipeline = pipeflow.load(config)
    with pytest.raises(ConfigError, match=WHAT) as raised:
        pipeline.run(results=f"memory://{tmp_path.name}", executor=executor, workers=1)
    assert raised.value.exit_code == 2
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_in_process_executors_keep_results_in_memory(tmp_path: Path, executor: str) -> None:
    (tmp_path / "values.py").write_text("def one() -> int:\n    return 1\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"name: kept\nresults: {{root: memory://{tmp_path.name}}}\n"
        f"executor: {{type: {executor}}}\nsteps:\n  one: {{run: values.one}}\n"
    )
    pipeline = pipeflow.load(config)
    assert pipeline.run().state("one") is StepState.DONE
    assert pipeline.run().state("one") is StepState.CACHED

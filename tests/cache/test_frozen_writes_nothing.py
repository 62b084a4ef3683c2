"""A `--frozen` run writes nothing to the results store when nothing changed.

A frozen run reads again in a `pipeflow.read` step, and that read stored its value anew, under
the same key: a new manifest (and payload) for a result that had not changed, so a CI job
given read-only credentials to the shared bucket failed its frozen check, and a bucket that
keeps versions gained one on every check. Now a read that gives the value stored for its key
writes nothing and counts as that stored result; one that gives another value writes nothing
either, and the steps after it are refused (exit 3) as before. Checked by every object the
store holds staying the same object (a local file's inode, a GCS object's generation, an S3
object's modification time), on a local store, S3 and GCS, through the API and the command
line, YAML and TOML.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
from pathlib import Path
from typing import Any

import fsspec
import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.execute.conftest import dask_address  # noqa: F401  (a fixture executor_spec uses)
from tests.executors import EXECUTORS, executor_spec
from tests.servers import ObjectStore
from tests.system import pipeflow_in

STEPS = """
def count(table):
    return len(table)


def plus(n, extra):
    return n + extra
"""

YAML = """\
name: frozenreads
results: {{root: {root}, storage_options: {options}}}
executor: {executor}
steps:
  raw: {{run: pipeflow.read, inputs: {{path: data.csv}}}}
  rows: {{run: fsteps.count, inputs: {{table: "${{steps.raw}}"}}}}
  more: {{run: fsteps.plus, inputs: {{n: "${{steps.rows}}", extra: 1}}}}
"""

TOML = """\
name = "frozenreads"
results = {{root = {root}, storage_options = {options}}}
executor = {executor}

[steps.raw]
run = "pipeflow.read"
inputs = {{path = "data.csv"}}

[steps.rows]
run = "fsteps.count"
inputs = {{table = "${{steps.raw}}"}}

[steps.more]
run = "fsteps.plus"
inputs = {{n = "${{steps.rows}}", extra = 1}}
"""


def toml_table(options: dict[str, Any]) -> str:
    """`storage_options` as a TOML inline table."""
    items = ", ".join(
        f"{json.dumps(key)} = {toml_table(value) if isinstance(value, dict) else json.dumps(value)}"
        for key, value in options.items()
    )
    return "{" + items + "}"


@pytest.fixture(params=["local", "s3_server", "gcs_server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    if request.param == "local":
        return str(tmp_path / "out"), {}
    server: ObjectStore = request.getfixturevalue(request.param)
    return server.unique_url("frozenreads"), dict(server.storage_options)


def objects(root: str, options: dict[str, Any]) -> dict[str, Any]:
    """Each object under `root`, as the thing that changes when it is written again."""
    filesystem, base = fsspec.core.url_to_fs(root, **options)
    filesystem.invalidate_cache()
    found = filesystem.find(base, detail=True)
    if filesystem.protocol in ("file", ("file", "local")) or "file" in filesystem.protocol:
        return {path: Path(path).stat().st_ino for path in found}
    return {
        path: (info.get("generation"), info.get("LastModified"), info.get("size"))
        for path, info in found.items()
    }


def project(
    tmp_path: Path, spelling: str, root: str, options: dict[str, Any], executor: str
) -> Path:
    (tmp_path / "fsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "data.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    if spelling == "yaml":
        config = tmp_path / "pipeline.yaml"
        text = YAML.format(root=json.dumps(root), options=json.dumps(options), executor=executor)
        config.write_text(text)
    else:
        config = tmp_path / "pipeline.toml"
        spec = re.sub(r"type: (\w+)", r'type = "\1"', executor).replace(": ", " = ")
        config.write_text(
            TOML.format(root=json.dumps(root), options=toml_table(options), executor=spec)
        )
    assert pipeflow.load(config).run(history=False).ok
    time.sleep(1.1)  # S3 keeps modification times in whole seconds: a rewrite would show
    return config


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_a_frozen_run_that_finds_everything_current_writes_nothing(
    tmp_path: Path, store: tuple[str, dict[str, Any]], spelling: str
) -> None:
    root, options = store
    config = project(tmp_path, spelling, root, options, "{type: sequential}")
    check_frozen_runs(tmp_path, config, root, options)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_no_executor_writes_in_a_frozen_run(
    tmp_path: Path, executor: str, request: pytest.FixtureRequest
) -> None:
    root = str(tmp_path / "out")
    config = project(tmp_path, "toml", root, {}, executor_spec(executor, request))
    check_frozen_runs(tmp_path, config, root, {})


def check_frozen_runs(tmp_path: Path, config: Path, root: str, options: dict[str, Any]) -> None:
    before = objects(root, options)

    run = pipeflow.load(config).run(frozen=True, history=False)
    assert run.ok, run.outcomes
    assert run.state("rows") is StepState.CACHED
    assert run.state("more") is StepState.CACHED
    assert run.output("more") == 3
    assert objects(root, options) == before
    ran = pipeflow_in(tmp_path, "run", config.name, "--frozen")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert objects(root, options) == before

    # What it reads changed: refused, and still nothing written.
    (tmp_path / "data.csv").write_text("a,b\n1,2\n3,4\n5,6\n", encoding="utf-8")
    refused = pipeflow_in(tmp_path, "run", config.name, "--frozen")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "rows" in refused.stdout + refused.stderr
    assert objects(root, options) == before
    # A plain run stores the new result, and a frozen run after it passes.
    assert pipeflow.load(config).run(history=False).output("more") == 4
    assert pipeflow.load(config).run(frozen=True, history=False).ok

"""A restore never deletes a file the results store has no copy of.

Before a step runs, only what its stored versions wrote is removed from its declared writes
(`execute/clearing.py`); a file put there by hand stays. A restore keeps to the same rule: a
file of a written folder that the restored version lacks is removed only when a stored
version of the step wrote it there, with that content (it comes back from the store when
its version does). Anything else (a note put there by hand, a file edited since) stays; the
restored folder then holds it beside the version's files, its readers are keyed on it (never
served a result computed without it), and the next run restores nothing.

On every executor, YAML and TOML, the Python API and the command line, local folders and
prefixes on object stores (moto's S3, the GCS emulator).
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import fsspec
import pytest

import pipeflow
from pipeflow.model.run import Action, StepState
from tests.calls import calls
from tests.execute.conftest import dask_address  # noqa: F401  (a fixture executor_spec uses)
from tests.executors import EXECUTORS, executor_spec
from tests.servers import ObjectStore
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path

import fsspec

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def prepare(count, out):
    note("prepare")
    Path(out).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        Path(out, f"part-{index}.txt").write_text(f"part {index} of {count}")


def names(src):
    note("names")
    return sorted(path.name for path in Path(src).iterdir())


def export(prefix, count, options):
    note("export")
    filesystem, root = fsspec.core.url_to_fs(prefix, **options)
    for index in range(count):
        with filesystem.open(f"{root}/part-{index}.txt", "w") as handle:
            handle.write(f"part {index} of {count}")


def listing(prefix, options):
    note("listing")
    filesystem, root = fsspec.core.url_to_fs(prefix, **options)
    return sorted(path.rsplit("/", 1)[-1] for path in filesystem.find(root))
"""

YAML = """\
name: kept
params: {{count: 3}}
results: {{root: out}}
executor: {executor}
steps:
  prepare:
    run: keptsteps.prepare
    inputs: {{count: "${{params.count}}", out: data/prepared}}
    writes: [data/prepared/]
  names:
    run: keptsteps.names
    inputs: {{src: data/prepared/}}
"""

TOML = """\
name = "kept"
executor = {executor}

[params]
count = 3

[results]
root = "out"

[steps.prepare]
run = "keptsteps.prepare"
inputs = {{count = "${{params.count}}", out = "data/prepared"}}
writes = ["data/prepared/"]

[steps.names]
run = "keptsteps.names"
inputs = {{src = "data/prepared/"}}
"""


def project(folder: Path, spelling: str, executor: str, request: pytest.FixtureRequest) -> Path:
    (folder / "keptsteps.py").write_text(textwrap.dedent(STEPS))
    spec = executor_spec(executor, request)
    if spelling == "toml":  # `{type: dask, address: "tcp://..."}` -> `{type = "dask", ...}`
        spec = re.sub(r"type: (\w+)", r'type = "\1"', spec).replace(": ", " = ")
        config = folder / "pipeline.toml"
        config.write_text(TOML.format(executor=spec))
    else:
        config = folder / "pipeline.yaml"
        config.write_text(YAML.format(executor=spec))
    return config


def run(config: Path, **params: object) -> pipeflow.api.Run:
    result = pipeflow.load(config, params=params or None).run()
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


def plan(config: Path, **params: object) -> dict[str, tuple[Action, str]]:
    return {
        d.step: (d.action, d.reason) for d in pipeflow.load(config, params=params or None).status()
    }


def files(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_restore_keeps_what_the_store_has_no_copy_of(
    tmp_path: Path, spelling: str, executor: str, request: pytest.FixtureRequest
) -> None:
    config = project(tmp_path, spelling, executor, request)
    prepared = tmp_path / "data" / "prepared"
    run(config, count=3)
    run(config, count=5)
    calls(tmp_path)
    (prepared / "notes.txt").write_text("mine, nowhere else")
    (prepared / "part-4.txt").write_text("edited by hand")  # no version wrote this content

    # Back to three parts: part-3 (stored with the version of five) goes, the rest stays.
    assert plan(config, count=3)["prepare"] == (
        Action.RESTORE,
        "data/prepared/ differs from the stored version",
    )
    again = run(config, count=3)
    assert calls(tmp_path) == ["names"]  # its folder holds the kept files: not served stale
    assert again.outcomes["prepare"].state is StepState.CACHED
    assert files(prepared) == {
        "notes.txt": "mine, nowhere else",
        "part-0.txt": "part 0 of 3",
        "part-1.txt": "part 1 of 3",
        "part-2.txt": "part 2 of 3",
        "part-4.txt": "edited by hand",
    }
    assert again.output("names") == sorted(files(prepared))
    assert {action for action, _ in plan(config, count=3).values()} == {Action.CACHED}

    # A stored file deleted: put back, the note left where it is.
    (prepared / "part-0.txt").unlink()
    assert plan(config, count=3)["prepare"] == (
        Action.RESTORE,
        "data/prepared/ differs from the stored version",
    )
    run(config, count=3)
    assert calls(tmp_path) == []
    assert files(prepared)["part-0.txt"] == "part 0 of 3"
    assert files(prepared)["notes.txt"] == "mine, nowhere else"


def test_the_command_line_keeps_it_too(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    config = project(tmp_path, "yaml", "sequential", request)
    prepared = tmp_path / "data" / "prepared"
    for count in ("3", "4"):
        ran = cli_run(tmp_path, config, count)
        assert ran.returncode == 0, ran.stderr
    (prepared / "notes.txt").write_text("mine")

    status = pipeflow_in(tmp_path, "status", config.name, "--param", "count=3")
    assert status.returncode == 0, status.stderr
    assert "restore  data/prepared/ differs from the stored version" in status.stdout
    ran = cli_run(tmp_path, config, "3")
    assert ran.returncode == 0, ran.stderr
    assert sorted(files(prepared)) == ["notes.txt", "part-0.txt", "part-1.txt", "part-2.txt"]
    status = pipeflow_in(tmp_path, "status", config.name, "--param", "count=3")
    assert [line.split()[1] for line in status.stdout.splitlines()] == ["cached", "cached"]


def cli_run(folder: Path, config: Path, count: str) -> object:
    return pipeflow_in(folder, "run", config.name, "--param", f"count={count}")


@pytest.fixture(params=["s3_server", "gcs_server"])
def bucket(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, str]:
    """(the results root URL, the storage options as JSON) of a fresh prefix."""
    server: ObjectStore = request.getfixturevalue(request.param)
    (tmp_path / "keptsteps.py").write_text(textwrap.dedent(STEPS))
    return server.unique_url("kept"), json.dumps(dict(server.storage_options))


def test_a_restored_prefix_keeps_objects_the_store_has_no_copy_of(
    tmp_path: Path, bucket: tuple[str, str]
) -> None:
    root, options = bucket
    prefix = f"{root}/exports/parts"
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"name: keptobjects\nparams: {{count: 2}}\n"
        f"results: {{root: {json.dumps(root)}, storage_options: {options}}}\nsteps:\n"
        "  export:\n"
        "    run: keptsteps.export\n"
        f'    inputs: {{prefix: "{prefix}", count: "${{params.count}}", options: {options}}}\n'
        f'    writes: ["{prefix}/"]\n'
        "  listing:\n"
        "    run: keptsteps.listing\n"
        f'    inputs: {{prefix: "{prefix}", options: {options}}}\n'
        f'    reads: ["{prefix}"]\n'
    )
    run(config, count=2)
    run(config, count=3)
    calls(tmp_path)
    filesystem = fsspec.filesystem(root.split(":")[0], **json.loads(options))
    filesystem.pipe_file(f"{prefix}/notes.txt", b"mine")

    assert run(config, count=2).output("listing") == ["notes.txt", "part-0.txt", "part-1.txt"]
    assert calls(tmp_path) == ["listing"]
    filesystem.invalidate_cache()
    assert filesystem.cat_file(f"{prefix}/notes.txt") == b"mine"
    assert {action for action, _ in plan(config, count=2).values()} == {Action.CACHED}


KINDS = """
from pathlib import Path


def make(path, shape):
    out = Path(path)
    if shape == "folder":
        out.mkdir(parents=True, exist_ok=True)
        (out / "part.txt").write_text("a part")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("one file")
    return shape
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_folder_holding_a_file_of_its_own_is_not_replaced_by_a_stored_file(
    tmp_path: Path, executor: str
) -> None:
    """`writes: [out/data]` is a file in one version and a folder in the other. Restoring the
    file where the folder is removed the whole folder, a file put there by hand included;
    now the step runs instead, and fails as it does when it runs there (docs/files.md)."""
    (tmp_path / "kindsteps.py").write_text(textwrap.dedent(KINDS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"name: kinds\nparams: {{shape: file}}\nexecutor: {{type: {executor}}}\nsteps:\n"
        "  make:\n    run: kindsteps.make\n"
        '    inputs: {path: out/data, shape: "${params.shape}"}\n    writes: [out/data]\n'
    )
    data = tmp_path / "out" / "data"
    run(config, shape="file")
    run(config, shape="folder")
    (data / "notes.md").write_text("mine")

    decision = {d.step: d for d in pipeflow.load(config).status()}["make"]
    assert decision.action is Action.RUN
    assert "out/data/notes.md" in decision.reason
    result = pipeflow.load(config).run()
    assert result.state("make") is StepState.FAILED
    assert "IsADirectoryError" in (result.outcomes["make"].error or "")
    assert (data / "notes.md").read_text() == "mine"

    (data / "notes.md").unlink()  # gone: the stored file comes back, nothing runs
    again = run(config)
    assert again.state("make") is StepState.CACHED
    assert data.read_text() == "one file"

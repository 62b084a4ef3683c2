"""A run that needs no Dask worker neither connects to a cluster nor starts one.

The results are made elsewhere (here: the `sequential` executor on the same store); the config
names the team's cluster, which this machine cannot reach (an address nobody listens at), or a
local cluster. `run --frozen` and a plain `run` with everything cached succeed (exit 0), a
cached step whose files are missing here is restored here; a stale step under `--frozen`
exits 3; a step to run still stops the run before it starts with the clear error (exit 1).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.servers import ObjectStore, free_port

pytestmark = pytest.mark.slow

STEPS = """
from pathlib import Path


def one():
    return 1


def write(out):
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("written")
    return 2


def add(x, y):
    return x + y
"""

PIPELINE = """
name: deferred
results: {results}
executor: {executor}
steps:
  one: {{run: steps.one}}
  write: {{run: steps.write, inputs: {{out: data/out.txt}}, writes: [data/out.txt]}}
  add: {{run: steps.add, inputs: {{x: "${{steps.one}}", y: "${{steps.write}}"}}}}
"""


def _project(tmp_path: Path, results: str, executor: str) -> Path:
    (tmp_path / "steps.py").write_text(STEPS)
    config = tmp_path / "pipeline.yaml"
    config.write_text(PIPELINE.format(results=results, executor=executor))
    made = CliRunner().invoke(cli, ["run", str(config), "--executor", "sequential", "-q"])
    assert made.exit_code == 0, made.output + made.stderr  # results made elsewhere
    return config


@pytest.fixture(params=["shared-folder", "s3"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """A project whose config names a cluster nobody answers at, with every result stored;
    and that address."""
    address = f"tcp://127.0.0.1:{free_port()}"
    if request.param == "s3":
        store: ObjectStore = request.getfixturevalue("s3_server")
        endpoint = store.storage_options["client_kwargs"]["endpoint_url"]
        results = (
            f'{{root: "{store.unique_url("deferred")}", '
            f'storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}}}'
        )
        executor = f'{{type: dask, address: "{address}"}}'
    else:
        results = "{root: out}"
        executor = f'{{type: dask, address: "{address}", shared_filesystem: true}}'
    return _project(tmp_path, results, executor), address


def _run(config: Path, *options: str) -> tuple[int, str]:
    ran = CliRunner().invoke(cli, ["run", str(config), *options])
    return ran.exit_code, ran.output + ran.stderr


def test_frozen_with_everything_cached_needs_no_cluster(unreachable: tuple[Path, str]) -> None:
    config, _ = unreachable
    code, output = _run(config, "--frozen")
    assert code == 0, output
    assert "Dask" not in output


def test_a_run_with_nothing_to_do_needs_no_cluster(unreachable: tuple[Path, str]) -> None:
    config, _ = unreachable
    code, output = _run(config)
    assert code == 0, output
    assert "Dask" not in output


def test_files_missing_here_are_restored_here(unreachable: tuple[Path, str]) -> None:
    config, _ = unreachable
    written = config.parent / "data" / "out.txt"
    written.unlink()
    for options in (["--frozen"], []):
        code, output = _run(config, *options)
        assert code == 0, output
        assert written.read_text() == "written"
        written.unlink()


def test_a_stale_step_under_frozen_exits_3_without_a_cluster(
    unreachable: tuple[Path, str],
) -> None:
    config, _ = unreachable
    steps = config.parent / "steps.py"
    steps.write_text(steps.read_text().replace("return x + y", "return x + y + 0"))
    code, output = _run(config, "--frozen")
    assert code == 3, output
    assert "--frozen: 1 step(s) of `deferred` would run" in output
    assert "Dask" not in output


def test_a_step_to_run_without_a_scheduler_stops_the_run_before_it_starts(
    unreachable: tuple[Path, str],
) -> None:
    config, address = unreachable
    steps = config.parent / "steps.py"
    steps.write_text(steps.read_text().replace("return x + y", "return x + y + 0"))
    code, output = _run(config)
    assert code == 1, output
    assert f"no Dask scheduler answers at `{address}`" in output
    steps_shown = [line for line in output.splitlines() if line.startswith(("one", "write", "add"))]
    assert not steps_shown, "no step started or finished"


def test_a_local_cluster_is_not_started_when_nothing_runs(tmp_path: Path) -> None:
    config = _project(tmp_path, "{root: out}", "{type: dask, workers: 1}")
    (tmp_path / "data" / "out.txt").unlink()  # restored here, not by a worker
    script = (
        "import sys, pipeflow\n"
        f"run = pipeflow.load({str(config)!r}).run(frozen=True, history=False)\n"
        "assert run.ok, run\n"
        "print(sorted(o.state.value for o in run.outcomes.values()))\n"
        "print('distributed' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    states, imported = done.stdout.split("\n")[:2]
    assert states == "['cached', 'cached', 'cached']"
    assert imported == "False", "a Dask cluster was started"
    assert (tmp_path / "data" / "out.txt").read_text() == "written"


def test_a_rebuild_that_needs_the_cluster_fails_its_step_with_the_clear_error(
    tmp_path: Path,
) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    executor = f'{{type: dask, address: "{address}", shared_filesystem: true}}'
    config = _project(tmp_path, "{root: out}", executor)
    (tmp_path / "data" / "out.txt").unlink()
    for blob in (tmp_path / "out" / ".pipeflow" / "files").rglob("*"):
        if blob.is_file():
            blob.chmod(0o644)
            blob.write_text("damaged")  # the restore fails: the step must run again
    code, output = _run(config)
    assert code == 1, output
    assert f"write: FAILED: PipeflowError: no Dask scheduler answers at `{address}`" in output

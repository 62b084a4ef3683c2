"""The checks that depend on the executor (a `memory://` store with workers in other processes,
a local folder with a Dask cluster at an address) are made for the executor the run is given
(`run --executor`, `load(executor=...)`), not for the config's `executor:` it replaces: a
config written for a remote cluster runs on `threads` while it is debugged, in YAML and TOML,
from the command line and from Python. An executor that cannot use the store is still refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError
from tests.servers import free_port

TOUCHING = "def touch(marker: str) -> int:\n    open(marker, 'a').close()\n    return 1\n"

# (root, executor the config names, the executors a run may be given instead, one still refused)
CASES = [
    ("memory://{name}", "{type: processes, workers: 1}", ["sequential", "threads"], "dask"),
    ("memory://{name}", '{type: dask, address: "ADDRESS"}', ["sequential", "threads"], "processes"),
    ("out", '{type: dask, address: "ADDRESS"}', ["sequential", "threads", "processes"], "dask"),
]
IDS = ["memory-processes", "memory-dask-address", "folder-dask-address"]
TOML = {
    "{type: processes, workers: 1}": '{type = "processes", workers = 1}',
    '{type: dask, address: "ADDRESS"}': '{type = "dask", address = "ADDRESS"}',
}


def _project(tmp_path: Path, root: str, executor: str, spelling: str) -> Path:
    (tmp_path / "touching.py").write_text(TOUCHING)
    marker = tmp_path / "ran"
    root = root.format(name=tmp_path.name)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing answers there
    if spelling == "yaml":
        config = tmp_path / "pipeline.yaml"
        config.write_text(
            f"name: switched\nresults: {{root: {root}}}\n"
            f"executor: {executor.replace('ADDRESS', address)}\nsteps:\n"
            f'  touch: {{run: touching.touch, inputs: {{marker: "{marker}"}}}}\n'
        )
    else:
        config = tmp_path / "pipeline.toml"
        config.write_text(
            f'name = "switched"\nresults = {{root = "{root}"}}\n'
            f"executor = {TOML[executor].replace('ADDRESS', address)}\n"
            f'[steps.touch]\nrun = "touching.touch"\ninputs = {{marker = "{marker}"}}\n'
        )
    return config


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize(("root", "executor", "allowed", "refused"), CASES, ids=IDS)
def test_the_run_option_executor_is_the_one_checked(
    tmp_path: Path, spelling: str, root: str, executor: str, allowed: list[str], refused: str
) -> None:
    config = _project(tmp_path, root, executor, spelling)
    marker = tmp_path / "ran"
    assert CliRunner().invoke(cli, ["validate", str(config)]).exit_code == 2  # as written
    for kind in allowed:
        ran = CliRunner().invoke(cli, ["run", str(config), "--executor", kind, "--force"])
        assert ran.exit_code == 0, (kind, ran.output)
        assert marker.exists(), kind
        marker.unlink()
        run = pipeflow.load(config, executor=kind).run(force=True)
        assert run.ok, kind
        assert marker.exists(), kind
        marker.unlink()
    ran = CliRunner().invoke(cli, ["run", str(config), "--executor", refused])
    assert ran.exit_code == 2, ran.output
    assert "nothing was run" in ran.stderr
    with pytest.raises(ConfigError):
        pipeflow.load(config, executor=refused)
    assert not marker.exists()

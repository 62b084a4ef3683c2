"""A Dask scheduler's address that cannot name one (no port, a port out of range, a protocol
Dask does not speak, a broken IPv6 host, a path after the port) is a mistake of the config or
of the command line: `validate` reports it and a run refuses it (exit 2, nothing run), in YAML
and TOML, from `executor.address`, `--address` and `run(address=...)`, never with a traceback
or as a failed run. Addresses Dask takes pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError, UsageError
from pipeflow.model.addresses import address_problem

TOUCHING = "def touch(marker: str) -> int:\n    open(marker, 'a').close()\n    return 1\n"

# address -> what the problem says of it
WRONG = {
    "scheduler": "no port",
    "tcp://scheduler": "no port",
    "tcp://scheduler:": "no port",
    "tcp://:8786": "no host",
    "tcp://scheduler:99999": "`99999` is no port",
    "tcp://scheduler:0": "`0` is no port",
    "tcp://scheduler:8786/status": "`8786/status` is no port",
    "http://scheduler:8787/status": "`http://` is no protocol Dask speaks",  # its dashboard
    "TCP://scheduler:8786": "`TCP://` is no protocol Dask speaks",
    "tcp://[::1": "brackets",
    "tcp://[::1:8786": "brackets",
}
RIGHT = [
    "tcp://scheduler:8786",
    "scheduler:8786",
    "tls://10.0.0.1:8786",
    "tcp://[::1]:8786",
    "ws://scheduler:8786",
    "wss://scheduler:8786",
    "ucx://scheduler:8786",
    "inproc://10.0.0.1/1234/1",
]


@pytest.mark.parametrize("address", RIGHT)
def test_addresses_dask_takes_pass(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize("address", list(WRONG))
def test_each_wrong_address_is_told(address: str) -> None:
    problem = address_problem(address)
    assert problem is not None
    assert WRONG[address] in problem, problem


def _project(folder: Path, syntax: str, address: str | None) -> Path:
    (folder / "touching.py").write_text(TOUCHING)
    marker = folder / "ran"
    if syntax == "yaml":
        config = folder / "pipeline.yaml"
        executor = (
            "{type: dask, shared_filesystem: true}"
            if address is None
            else f'{{type: dask, shared_filesystem: true, address: "{address}"}}'
        )
        config.write_text(
            f"name: addressed\nresults: {{root: out}}\nexecutor: {executor}\nsteps:\n"
            f'  touch: {{run: touching.touch, inputs: {{marker: "{marker}"}}}}\n'
        )
    else:
        config = folder / "pipeline.toml"
        executor = (
            '{type = "dask", shared_filesystem = true}'
            if address is None
            else f'{{type = "dask", shared_filesystem = true, address = "{address}"}}'
        )
        config.write_text(
            f'name = "addressed"\nresults = {{root = "out"}}\nexecutor = {executor}\n'
            f'[steps.touch]\nrun = "touching.touch"\ninputs = {{marker = "{marker}"}}\n'
        )
    return config


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize(
    "address", ["tcp://scheduler", "tcp://[::1", "http://scheduler:8787/status"]
)
def test_a_wrong_address_in_the_config_is_a_config_error(
    tmp_path: Path, syntax: str, address: str
) -> None:
    config = _project(tmp_path, syntax, address)
    validated = CliRunner().invoke(cli, ["validate", str(config)])
    assert validated.exit_code == 2, validated.output
    assert "executor.address" in validated.stderr, validated.stderr
    assert WRONG[address] in validated.stderr, validated.stderr
    ran = CliRunner().invoke(cli, ["run", str(config)])
    assert ran.exit_code == 2, ran.output
    assert WRONG[address] in ran.stderr, ran.stderr
    assert "Traceback" not in ran.output + ran.stderr
    with pytest.raises(ConfigError, match=r"executor\.address"):
        pipeflow.load(config)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize(
    "address", ["tcp://scheduler", "tcp://[::1", "http://scheduler:8787/status"]
)
def test_a_wrong_address_for_the_run_is_a_usage_error(
    tmp_path: Path, syntax: str, address: str
) -> None:
    config = _project(tmp_path, syntax, None)
    ran = CliRunner().invoke(cli, ["run", str(config), "--address", address])
    assert ran.exit_code == 2, ran.output
    assert "--address" in ran.stderr, ran.stderr
    assert WRONG[address] in ran.stderr, ran.stderr
    assert "Traceback" not in ran.output + ran.stderr
    with pytest.raises(UsageError, match="address"):
        pipeflow.load(config).run(address=address, history=False)
    assert not (tmp_path / "ran").exists()

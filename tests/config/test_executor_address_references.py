"""`executor.address` is used as written: a `${...}` in it (`${env.DASK_ADDRESS}`) was taken
for the address itself, `validate` called the config valid and the run failed to connect to
`${env.DASK_ADDRESS}`. It is refused where it is written, with the way to give an address
from the environment: `--address "$DASK_ADDRESS"` (`run(address=...)` in Python)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = "def one():\n    return 1\n"

YAML = "name: p\nexecutor: {type: dask, address: %s}\nsteps:\n  a: {run: asteps.one}\n"
TOML = 'name = "p"\n[executor]\ntype = "dask"\naddress = %s\n[steps.a]\nrun = "asteps.one"\n'


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    "address", ["${env.DASK_ADDRESS}", "tcp://${env.HOST:-localhost}:8786", "${params.address}"]
)
def test_a_reference_in_the_address_is_refused_where_it_is(
    make_project: ProjectFactory, kind: str, address: str
) -> None:
    text = (YAML if kind == "yaml" else TOML) % f'"{address}"'
    config = make_project(text, name=f"pipeline.{kind}", asteps=STEPS)
    for command in ("validate", "run"):
        result = subprocess.run(
            [sys.executable, "-m", "pipeflow", command, config.name],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=config.parent,
            env={"DASK_ADDRESS": "tcp://127.0.0.1:8786", "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert "error at `executor.address`" in result.stderr
        assert '--address "$DASK_ADDRESS"' in result.stderr
    with pytest.raises(pipeflow.ConfigError, match=r"executor\.address"):
        pipeflow.load(config)

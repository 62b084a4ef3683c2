"""An empty `--address` (`--address "$ADDR"` with ADDR unset) or `executor=""` is a usage
error before anything runs (exit 2), never taken for an option not given: before, a Dask run
given an empty address started a local cluster instead of reaching the scheduler meant, and
`run(executor="")` ran on the config's executor."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from tests.conftest import ProjectFactory

CONFIG = """
name: empty
results: {root: out}
steps:
  a: {run: esteps.one}
"""
STEPS = "def one():\n    return 1\n"


@pytest.mark.parametrize("given", ["", "  "])
@pytest.mark.parametrize("executor", [[], ["--executor", "dask"], ["--executor", "threads"]])
def test_an_empty_address_is_refused_on_the_command_line(
    make_project: ProjectFactory, given: str, executor: list[str]
) -> None:
    config = make_project(CONFIG, esteps=STEPS)
    result = CliRunner().invoke(cli, ["run", str(config), *executor, "--address", given])
    assert result.exit_code == 2, result.output
    assert "`--address` is empty: it names no Dask scheduler" in result.stderr
    assert "nothing was run" in result.stderr
    assert not (Path(config).parent / "out").exists()


@pytest.mark.parametrize(
    ("keywords", "said"),
    [
        ({"address": ""}, "`--address` is empty"),
        ({"executor": "dask", "address": " "}, "`--address` is empty"),
        ({"executor": ""}, "unknown executor ``"),
    ],
)
def test_an_empty_executor_option_is_refused_from_python(
    make_project: ProjectFactory, keywords: dict[str, str], said: str
) -> None:
    config = make_project(CONFIG, esteps=STEPS)
    with pytest.raises(pipeflow.ConfigError) as refused:
        pipeflow.load(config).run(history=False, **keywords)
    assert said in str(refused.value)
    assert not (Path(config).parent / "out").exists()

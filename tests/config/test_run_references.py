"""A `run:` holding a reference (`${params.step_fn}`, `steps.${params.name}.main`,
`${env.STEP}`, `${steps.pick}`), as a user of Prefect or Kedro might write to choose the code
by a param, is refused saying that `run:` takes no references (SPEC 10: a config names the
code it runs as written, so nothing given to a run can choose it). Before, it was "no module
named `${params`" with a hint to check the spelling. In YAML and TOML, at `validate`, at
`run` and from `pipeflow.load`; nothing runs."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def load():\n    return 1\n\n\ndef pick():\n    return 'steps.load'\n"

WRITTEN = [
    "${params.step_fn}",
    "steps.${params.name}",
    "${params.module}.load",
    "${env.STEP_FUNCTION}",
    "${steps.pick}",
    "steps:${params.name}",
]


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("written", WRITTEN)
def test_a_reference_in_run_is_refused_as_one(
    make_project: ProjectFactory, kind: str, written: str, command: str
) -> None:
    if kind == "yaml":
        text = (
            "name: p\nresults: {root: out}\n"
            "params: {step_fn: steps.load, name: load, module: steps}\n"
            f'steps:\n  pick: {{run: steps.pick}}\n  a: {{run: "{written}"}}\n'
        )
    else:
        text = (
            'name = "p"\nresults = {root = "out"}\n'
            '[params]\nstep_fn = "steps.load"\nname = "load"\nmodule = "steps"\n'
            '[steps.pick]\nrun = "steps.pick"\n'
            f'[steps.a]\nrun = "{written}"\n'
        )
    config = make_project(text, name=f"pipeline.{kind}", steps=STEPS)
    result = pipeflow_in(config.parent, command, config.name, env={"STEP_FUNCTION": "steps.load"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error at `steps.a.run`" in result.stderr
    assert f"`{written}` holds a reference: `run` takes none" in result.stderr
    assert "write the dotted path of the function itself" in result.stderr
    assert "no module named" not in result.stderr
    assert not (config.parent / "out").exists()  # nothing ran
    with pytest.raises(pipeflow.ConfigError, match="holds a reference: `run` takes none"):
        pipeflow.load(config)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("written", ["${params.child}", "flows/${params.name}.yaml"])
def test_a_reference_in_pipeline_is_refused_as_one(
    make_project: ProjectFactory, kind: str, written: str
) -> None:
    if kind == "yaml":
        text = (
            "name: p\nparams: {child: flows/c.yaml, name: c}\n"
            f'steps:\n  a: {{pipeline: "{written}"}}\n'
        )
    else:
        text = (
            'name = "p"\n[params]\nchild = "flows/c.yaml"\nname = "c"\n'
            f'[steps.a]\npipeline = "{written}"\n'
        )
    config = make_project(text, name=f"pipeline.{kind}")
    (config.parent / "flows").mkdir()
    (config.parent / "flows" / "c.yaml").write_text("name: c\nsteps: {}\n")
    result = pipeflow_in(config.parent, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error at `steps.a.pipeline`" in result.stderr
    assert f"`{written}` holds a reference: `pipeline` takes none" in result.stderr
    assert "no config file" not in result.stderr
    with pytest.raises(pipeflow.ConfigError, match="holds a reference: `pipeline` takes none"):
        pipeflow.load(config)

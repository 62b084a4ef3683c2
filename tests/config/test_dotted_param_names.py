"""A param name has no dot: `${params.a.b}` and `--param a.b=9` read a dot as nesting, so a
param named `a.b` could never be reached (and beside `a: {b: 5}` the reference silently meant
the nested one). `validate` refuses it where it is written, exit code 2, with the nested
spelling as hint: in the config's `params:` (YAML, TOML, JSON, at any depth), in params files
and schedules' params (even with extra params allowed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

STEPS = "def ident(x):\n    return x\n"
HINT = "hint: a dotted key does not nest here: write `a: {b: ...}`"

CONFIGS = {
    "yaml": "name: k\nparams:\n  a.b: 1\nsteps:\n  s: {run: dotsteps.ident, inputs: {x: 0}}\n",
    "beside": (
        "name: k\nparams:\n  a.b: 1\n  a: {b: 5}\n"
        'steps:\n  s: {run: dotsteps.ident, inputs: {x: "${params.a.b}"}}\n'
    ),
    "toml": (
        'name = "k"\n[params]\n"a.b" = 1\n[steps.s]\nrun = "dotsteps.ident"\ninputs = {x = 0}\n'
    ),
    "json": '{"name": "k", "params": {"a.b": 1},\n "steps": {"s": {"run": "dotsteps.ident", '
    '"inputs": {"x": 0}}}}\n',
}
WHERE = {"yaml": ":3:3:", "beside": ":3:3:", "toml": ":3:1:", "json": ":1:26:"}


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_a_dotted_param_name_in_the_config_is_refused(
    make_project: ProjectFactory, kind: str
) -> None:
    extension = kind if kind in ("toml", "json") else "yaml"
    config = make_project(CONFIGS[kind], name=f"pipeline.{extension}", dotsteps=STEPS)
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert f'pipeline.{extension}{WHERE[kind]} error at `params["a.b"]`: the param name `a.b`' in (
        result.output
    ), result.output
    assert HINT in result.output


def test_a_dotted_name_nested_in_a_mapping_param_is_refused(make_project: ProjectFactory) -> None:
    config = make_project(
        "name: k\nparams:\n  m:\n    a.b: 1\nsteps:\n  s: {run: dotsteps.ident, inputs: {x: 0}}\n",
        dotsteps=STEPS,
    )
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert "pipeline.yaml:4:5:" in result.output
    assert "the param name `a.b` has a dot: `${params.m.a.b}`" in result.output
    assert HINT in result.output


@pytest.mark.parametrize("extension", ["yaml", "json", "toml"])
@pytest.mark.parametrize("extra", [False, True])
def test_a_dotted_key_in_a_params_file_is_refused(
    make_project: ProjectFactory, tmp_path: Path, extension: str, extra: bool
) -> None:
    config = make_project(CONFIGS["yaml"].replace("a.b: 1", "n: 1"), dotsteps=STEPS)
    file = tmp_path / f"over.{extension}"
    file.write_text({"yaml": "a.b: 2\n", "json": '{"a.b": 2}', "toml": '"a.b" = 2\n'}[extension])
    arguments = ["validate", str(config), "--param-file", str(file)]
    result = CliRunner().invoke(cli, arguments + (["--allow-extra-params"] if extra else []))
    assert result.exit_code == 2, result.output
    assert f"over.{extension}:1:" in result.output
    assert "param `a.b`" in result.output
    assert HINT in result.output


def test_a_dotted_key_in_a_schedule_s_params_is_refused(make_project: ProjectFactory) -> None:
    config = make_project(
        CONFIGS["yaml"].replace("a.b: 1", "n: 1")
        + "schedules:\n  - interval: 1h\n    params: {a.b: 2}\n",
        dotsteps=STEPS,
    )
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert "pipeline.yaml:8:14:" in result.output
    assert "param `a.b`" in result.output
    assert HINT in result.output

"""Each `params_schema` failure is reported where the failing value was given: an item of a
list param at the item, in the config or in the params file or `--param` that set it; a
failure of the params as a whole (`required`, `dependentRequired`, `additionalProperties`) at
the rule in the config's `params_schema`, once, blaming no override and no schedule that did
not cause it, and showing no secret value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """\
name: p
params:
  x: 1
  lst: [1, 2]
  password: "${env.PASSWORD_UNDER_TEST:-nothing}"
params_schema:
  properties:
    lst: {items: {maximum: 3}}
  required: [foo]
schedules:
  - interval: 1h
    params: {x: 2}
steps:
  a: {run: st.e.echo, inputs: {v: "${params.lst}"}}
"""
SECRET = "hunter2-secret-value"


def pipeflow(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PASSWORD_UNDER_TEST": SECRET},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def echo(v):\n    return v\n")
    (tmp_path / "p.yaml").write_text(CONFIG)
    return tmp_path


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error" in line]


def test_a_whole_params_failure_is_reported_once_at_the_rule(project: Path) -> None:
    result = pipeflow(project, "validate", "p.yaml", "--param", "x=2")
    assert result.returncode == 2
    errors = _errors(result.stderr)
    assert errors == [
        "p.yaml:9:13: error at `params_schema.required`: the params fail params_schema: "
        "'foo' is a required property"
    ], result.stderr
    assert SECRET not in result.stderr


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("dependentRequired: {x: [foo]}", "'foo' is a dependency of 'x'"),
        ("not: {required: [x]}", "(not: {'required': ['x']})"),
        ("minProperties: 9", "(minProperties: 9)"),
    ],
)
def test_a_whole_params_failure_shows_no_value(project: Path, rule: str, said: str) -> None:
    (project / "p.yaml").write_text(CONFIG.replace("  required: [foo]\n", f"  {rule}\n"))
    result = pipeflow(project, "validate", "p.yaml")
    assert result.returncode == 2
    key = rule.partition(":")[0]
    assert _errors(result.stderr) == [
        f"p.yaml:9:{len(key) + 5}: error at `params_schema.{key}`: the params fail params_schema"
        f"{': ' if not said.startswith('(') else ' '}{said}"
    ], result.stderr
    assert SECRET not in result.stderr


@pytest.mark.parametrize(
    ("args", "files", "where"),
    [
        (["--param", "lst=[1, 9]"], {}, "error at `params.lst.1`: param `lst.1` = 9"),
        (["--param-file", "f.yaml"], {"f.yaml": "lst: [1, 9]\n"}, "f.yaml:1:10: error at `lst[1]`"),
        (
            ["--param-file", "f.toml"],
            {"f.toml": "lst = [1, 9]\n"},
            "f.toml:1:11: error at `lst[1]`",
        ),
        (
            ["--param-file", "f.json"],
            {"f.json": '{"lst": [1, 9]}'},
            "f.json:1:13: error at `lst[1]`",
        ),
    ],
    ids=["--param", "yaml", "toml", "json"],
)
def test_a_failing_list_item_is_reported_where_it_was_given(
    project: Path, args: list[str], files: dict[str, str], where: str
) -> None:
    (project / "p.yaml").write_text(CONFIG.replace("  required: [foo]\n", ""))
    for name, text in files.items():
        (project / name).write_text(text)
    result = pipeflow(project, "validate", "p.yaml", *args)
    assert result.returncode == 2
    errors = _errors(result.stderr)
    assert len(errors) == 1, result.stderr
    assert where in errors[0]
    assert "fails params_schema: 9 is greater than the maximum of 3" in errors[0]
    if not files:
        assert errors[0].endswith("(from --param lst=[1, 9])")


def test_a_failing_list_item_of_the_defaults_is_reported_at_the_item(project: Path) -> None:
    config = CONFIG.replace("  required: [foo]\n", "").replace("lst: [1, 2]", "lst: [1, 9]")
    (project / "p.yaml").write_text(config)
    result = pipeflow(project, "validate", "p.yaml")
    assert result.returncode == 2
    assert _errors(result.stderr) == [
        "p.yaml:4:12: error at `params.lst[1]`: param `lst.1` = 9 fails params_schema: "
        "9 is greater than the maximum of 3"
    ], result.stderr


def test_a_whole_params_failure_a_schedule_causes_is_reported_at_the_schedule(
    project: Path,
) -> None:
    rule = "  if: {properties: {x: {const: 2}}}\n  then: {required: [foo]}\n"
    (project / "p.yaml").write_text(CONFIG.replace("  required: [foo]\n", rule))
    result = pipeflow(project, "validate", "p.yaml")
    assert result.returncode == 2
    assert _errors(result.stderr) == [
        "p.yaml:13:13: error at `schedules[0].params`: the params fail params_schema: "
        "'foo' is a required property (the rule at `params_schema.then.required`)"
    ], result.stderr
    given = pipeflow(project, "validate", "p.yaml", "--param", "x=2")
    assert _errors(given.stderr)[0] == (
        "p.yaml:10:20: error at `params_schema.then.required`: the params fail params_schema: "
        "'foo' is a required property"
    ), given.stderr


REFUSED = """\
name: p
params:
  x: 1
  password: "${env.PASSWORD_UNDER_TEST:-nothing}"
params_schema:
  properties:
    x: {maximum: 0}
    password: {minLength: 100}
steps:
  a: {run: st.e.echo, inputs: {v: "${params.x}"}}
"""


@pytest.mark.parametrize(
    ("args", "files"),
    [
        (["--param", "x=abc"], {}),
        (["--param-file", "f.yaml"], {"f.yaml": "x: abc\n"}),
        (["--param-file", "f.toml"], {"f.toml": 'x = "abc"\n'}),
        (["--param-file", "f.json"], {"f.json": '{"x": "abc"}'}),
    ],
    ids=["--param", "yaml", "toml", "json"],
)
def test_a_refused_override_is_not_blamed_for_the_default_s_schema_failure(
    project: Path, args: list[str], files: dict[str, str]
) -> None:
    """An override of the wrong type is refused, so the default stays: a failure of the
    default against `params_schema` is the config's, at its line, not the override's."""
    (project / "p.yaml").write_text(REFUSED)
    for name, text in files.items():
        (project / name).write_text(text)
    result = pipeflow(project, "validate", "p.yaml", *args)
    assert result.returncode == 2
    schema_errors = [line for line in _errors(result.stderr) if "params_schema" in line]
    assert schema_errors[0] == (
        "p.yaml:3:6: error at `params.x`: param `x` = 1 fails params_schema: "
        "1 is greater than the maximum of 0"
    ), result.stderr


@pytest.mark.parametrize(
    ("args", "files"),
    [
        (["--param", f"password={SECRET}"], {}),
        (["--param-file", "f.yaml"], {"f.yaml": f"password: {SECRET}\n"}),
        (["--param-file", "f.json"], {"f.json": f'{{"password": "{SECRET}"}}'}),
    ],
    ids=["--param", "yaml", "json"],
)
def test_an_override_of_an_environment_param_is_not_said_to_come_from_the_environment(
    project: Path, args: list[str], files: dict[str, str]
) -> None:
    (project / "p.yaml").write_text(REFUSED.replace("maximum: 0", "maximum: 1"))
    for name, text in files.items():
        (project / name).write_text(text)
    result = pipeflow(project, "validate", "p.yaml", *args)
    assert result.returncode == 2
    errors = _errors(result.stderr)
    assert len(errors) == 1, result.stderr
    assert "param `password` = *** fails params_schema (minLength: 100)" in errors[0]
    assert "environment" not in errors[0]
    assert SECRET not in result.stderr
    alone = pipeflow(project, "validate", "p.yaml")
    assert _errors(alone.stderr) == [
        "p.yaml:4:13: error at `params.password`: param `password` = *** (from the environment) "
        "fails params_schema (minLength: 100)"
    ], alone.stderr

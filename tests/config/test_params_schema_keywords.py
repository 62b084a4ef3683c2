"""A `params_schema` is checked as the rest of a config is: a misspelt keyword (which JSON
Schema silently ignores, so the schema checked nothing) is reported at its place with the
keyword meant, and a schema that is invalid is reported at the part that is, not at
`params_schema` as a whole; a type name that is none says which one was meant."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.system import pipeflow_in

STEPS = "def echo(v):\n    return v\n"

# The same schema in both spellings; the params meet everything it would check if its
# keywords were spelt right, so only the keyword checks can find the slips.
YAML = """\
name: p
params: {ratio: 0.5, type: 1, sizes: [1]}
params_schema:
  propertes: {ratio: {maximum: 0.1}}
  properties:
    ratio: {Maximum: 0.1, x-unit: percent, title: Ratio}
    type: {anyOf: [{typ: integer}], exclusiveMinimun: 5}
    sizes: {items: {minimun: 3}}
    propertes: {type: integer}
steps:
  a: {run: st.echo, inputs: {v: "${params.ratio}"}}
"""
TOML = """\
name = "p"
[params]
ratio = 0.5
type = 1
sizes = [1]
[params_schema.propertes]
ratio = {maximum = 0.1}
[params_schema.properties]
ratio = {Maximum = 0.1, x-unit = "percent", title = "Ratio"}
type = {anyOf = [{typ = "integer"}], exclusiveMinimun = 5}
sizes = {items = {minimun = 3}}
propertes = {type = "integer"}
[steps.a]
run = "st.echo"
inputs = {v = "${params.ratio}"}
"""
EXPECTED = [
    ("params_schema.propertes", "`propertes`", "did you mean `properties`?"),
    ("params_schema.properties.ratio.Maximum", "`Maximum`", "did you mean `maximum`?"),
    ("params_schema.properties.sizes.items.minimun", "`minimun`", "did you mean `minimum`?"),
    (
        "params_schema.properties.type.anyOf[0].typ",
        "`typ`",
        "did you mean `type`?",
    ),
    (
        "params_schema.properties.type.exclusiveMinimun",
        "`exclusiveMinimun`",
        "did you mean `exclusiveMinimum`?",
    ),
]


def validate(folder: Path, config: str) -> subprocess.CompletedProcess[str]:
    return pipeflow_in(folder, "validate", config, "--format", "json")


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_a_misspelt_keyword_is_reported_at_its_place(tmp_path: Path, spelling: str) -> None:
    (tmp_path / "st.py").write_text(STEPS)
    (tmp_path / f"p.{spelling}").write_text(YAML if spelling == "yaml" else TOML)
    result = validate(tmp_path, f"p.{spelling}")
    assert result.returncode == 2, result.stderr
    problems = json.loads(result.stdout)["problems"]
    found = sorted((p["path"], p["hint"]) for p in problems)
    assert found == sorted((path, hint) for path, _, hint in EXPECTED), problems
    for problem in problems:
        assert problem["line"] is not None
        assert "JSON Schema ignores a keyword it does not know" in problem["message"]


def test_names_of_its_own_and_params_named_like_keywords_pass(tmp_path: Path) -> None:
    (tmp_path / "st.py").write_text(STEPS)
    schema = (
        "params_schema:\n"
        "  properties:\n"
        "    ratio: {maximum: 1, x-unit: percent, title: Ratio, hidden: true, units: cm}\n"
        "    propertes: {type: integer}\n"
        "  $defs: {typ: {type: string}}\n"
    )
    config = (
        YAML.split("params_schema:")[0] + schema + YAML.split("    propertes: {type: integer}\n")[1]
    )
    (tmp_path / "p.yaml").write_text(config)
    result = validate(tmp_path, "p.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("rule", "path", "said", "hint"),
    [
        ("{type: strin}", "params_schema.properties.type.type", "`strin`", "`string`"),
        ("{type: [integer, strng]}", "params_schema.properties.type.type", "`strng`", "`string`"),
        (
            "{allOf: [{type: integr}]}",
            "params_schema.properties.type.allOf[0].type",
            "`integr`",
            "`integer`",
        ),
        (
            "{minimum: x}",
            "params_schema.properties.type.minimum",
            "'x' is not of type 'number'",
            None,
        ),
    ],
)
def test_an_invalid_schema_is_reported_at_the_part_that_is(
    tmp_path: Path, rule: str, path: str, said: str, hint: str | None
) -> None:
    (tmp_path / "st.py").write_text(STEPS)
    config = (
        "name: p\nparams: {type: 1}\n"
        f"params_schema:\n  properties:\n    type: {rule}\n"
        "steps:\n  a: {run: st.echo, inputs: {v: 1}}\n"
    )
    (tmp_path / "p.yaml").write_text(config)
    result = validate(tmp_path, "p.yaml")
    assert result.returncode == 2, result.stderr
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["path"] == path, problem
    assert (problem["line"], problem["column"]) != (3, 1), problem
    assert said in problem["message"], problem
    if hint is not None:
        assert hint in problem["hint"], problem

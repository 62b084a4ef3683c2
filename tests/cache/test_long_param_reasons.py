"""A long param value that changed is shown around its change, not whole, in a step's reason.

A step taking a SQL query or a list of 200 ids said a change of it with both whole values:
one line of thousands of characters in `status`, `--dry-run`, `--frozen`, the history and the
UI, with the change to be found somewhere inside. Now a value whose text is longer than 60
characters is shown from a little before its first difference to a little after its last,
`…` standing for what is left out: "param sql changed ('…big_table WHERE x > 1' ->
'…big_table WHERE x > 2')". A short value is still shown whole. The same from YAML and TOML,
in Python and on the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def query(sql, ids, seed):
    return [len(sql), len(ids), seed]
"""

SQL = "SELECT " + ", ".join(f"col_{i}" for i in range(60)) + " FROM big_table WHERE x > 1"
IDS = list(range(200))


def yaml_config() -> str:
    return f"""
name: long
params: {{sql: {json.dumps(SQL)}, ids: {json.dumps(IDS)}, seed: 1}}
results: {{root: out}}
steps:
  query:
    run: steps.query
    inputs: {{sql: "${{params.sql}}", ids: "${{params.ids}}", seed: "${{params.seed}}"}}
"""


def toml_config() -> str:
    return f"""
name = "long"
params = {{ sql = {json.dumps(SQL)}, ids = {json.dumps(IDS)}, seed = 1 }}
[results]
root = "out"
[steps.query]
run = "steps.query"
inputs = {{ sql = "${{params.sql}}", ids = "${{params.ids}}", seed = "${{params.seed}}" }}
"""


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Path:
    text = yaml_config() if request.param == "yaml" else toml_config()
    path = make_project(text, name=f"pipeline.{request.param}", steps=STEPS)
    assert pipeflow.load(path).run().ok
    return path


def reason(config: Path, **params: object) -> str:
    return {d.step: d.reason for d in pipeflow.load(config, params=params).status()}["query"]


def test_a_long_text_is_shown_around_its_change(config: Path) -> None:
    why = reason(config, sql=SQL.replace("x > 1", "x > 2"))
    assert why == ("param sql changed ('…big_table WHERE x > 1' -> '…big_table WHERE x > 2')")


def test_a_change_in_the_middle_keeps_both_ends_out(config: Path) -> None:
    why = reason(config, sql=SQL.replace("col_30,", "col_30b,"))
    assert why == (
        "param sql changed ('…col_29, col_30, col_31, col_32,…' -> "
        "'…col_29, col_30b, col_31, col_32,…')"
    )


def test_a_long_list_is_shown_around_its_change(config: Path) -> None:
    assert reason(config, ids=[*IDS, 200]) == (
        "param ids changed (…196, 197, 198, 199] -> …196, 197, 198, 199, 200])"
    )
    assert reason(config, ids=IDS[:50]) == (
        "param ids changed (…45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,… -> "
        "…45, 46, 47, 48, 49])"
    )


def test_a_short_value_is_shown_whole(config: Path) -> None:
    assert reason(config, seed=2) == "param seed changed (1 -> 2)"


def test_the_command_line_shows_the_change_not_the_whole_values(config: Path) -> None:
    given = ["--param", f"sql={SQL.replace('x > 1', 'x > 2')}"]
    said = "param sql changed ('…big_table WHERE x > 1' -> '…big_table WHERE x > 2')"
    status = pipeflow_in(config.parent, "status", config.name, *given)
    assert status.returncode == 0, status.stderr
    assert said in status.stdout
    assert "col_0" not in status.stdout
    frozen = pipeflow_in(config.parent, "run", config.name, "--frozen", *given)
    assert frozen.returncode == 3, frozen.stderr
    assert f"query: {said}" in frozen.stderr + frozen.stdout

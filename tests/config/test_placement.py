"""Misplaced keys: a key written one level off (YAML indentation, a TOML table) is one problem.

A key that belongs under a sibling (`target:` under `result:`), the children of a key written
at its own level (`inputs:` followed by its entries, unindented), or a key written one level too
deep (`retries:` under `result:`) each give ONE problem that names where the key belongs and
its line, instead of "did you mean `tags`?" and a cascade of follow-on errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.config.reader import read_text
from pipeflow.config.schema_errors import schema_problems
from pipeflow.errors import Problem
from tests.conftest import ProjectFactory


def problems_in(text: str, kind: str = "yaml") -> list[Problem]:
    document = read_text(text, file=f"pipeline.{kind}", kind=kind)
    assert document.problems == []
    return schema_problems(document)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(problem.format() for problem in problems)
    return problems[0]


def about_indentation(problem: Problem) -> None:
    assert problem.hint is not None
    assert "indentation is likely wrong" in problem.hint
    assert "did you mean" not in problem.message + problem.hint


# -- YAML: keys that belong one level deeper ---------------------------------------------------


def test_a_dedented_result_target_belongs_under_result() -> None:
    text = """\
name: test
steps:
  a:
    run: x.y
    result:
    target: "out/{step}.json"
"""
    problem = only(problems_in(text))

    assert problem.message == (
        "`target` is not a step key; it belongs under `result:` (line 5) — indent it"
    )
    assert (problem.line, problem.column, problem.path) == (6, 5, "steps.a.target")
    about_indentation(problem)


def test_dedented_inputs_are_one_problem() -> None:
    text = """\
name: test
steps:
  b:
    run: x.y
    inputs:
    data: ${steps.a}
    ratio: 0.2
    seed: 3
  a: {run: x.z}
"""
    problem = only(problems_in(text))

    assert problem.message == (
        "`data`, `ratio` and `seed` are not step keys; they belong under `inputs:` (line 5) "
        "— indent them"
    )
    assert (problem.line, problem.path) == (6, "steps.b.data")
    about_indentation(problem)


def test_a_key_after_the_children_of_its_sibling() -> None:
    text = """\
name: test
steps:
  a:
    run: x.y
    result:
      format: json
    target: "out/{step}.json"
"""
    problem = only(problems_in(text))

    assert problem.message == (
        "`target` is not a step key; it belongs under `result:` (line 5) — indent it"
    )


def test_a_key_of_an_absent_section_says_where_it_goes() -> None:
    problem = only(problems_in("name: test\nsteps:\n  a:\n    run: x.y\n    format: csv\n"))

    assert problem.message == "`format` is not a step key; it belongs under `result:`"
    assert problem.hint == "write it under `result:`, e.g. `result: {format: ...}`"


def test_a_dedented_step_body() -> None:
    text = """\
name: test
steps:
  a:
  run: x.y
  inputs: {n: 1}
"""
    problem = only(problems_in(text))

    assert problem.message == (
        "`run` and `inputs` are not steps; they belong under `a:` (line 3) — indent them"
    )
    assert problem.path == "steps.run"


def test_dedented_steps() -> None:
    text = "name: test\nsteps:\nload:\n  run: x.y\ntrain:\n  run: x.z\n"

    problem = only(problems_in(text))

    assert problem.message == (
        "`load` and `train` are not top-level keys; they belong under `steps:` (line 2) "
        "— indent them"
    )


@pytest.mark.parametrize(
    ("section", "lines", "keys"),
    [
        ("executor", ["type: threads", "workers: 2"], "`type` and `workers` are"),
        ("defaults", ["retries: 2", "timeout: 1m"], "`retries` and `timeout` are"),
        ("results", ["root: out"], "`root` is"),
        ("params", ["ratio: 0.2"], "`ratio` is"),
    ],
)
def test_dedented_top_level_sections(section: str, lines: list[str], keys: str) -> None:
    text = "name: test\nsteps:\n  a: {run: x.y}\n" + f"{section}:\n" + "\n".join(lines) + "\n"

    problem = only(problems_in(text))

    plural = "they belong" if " and " in keys else "it belongs"
    verb = "them" if " and " in keys else "it"
    noun = "top-level keys" if " and " in keys else "a top-level key"
    assert problem.message == (
        f"{keys} not {noun}; {plural} under `{section}:` (line 4) — indent {verb}"
    )
    about_indentation(problem)


def test_dedented_schedule_params_and_schedule_keys() -> None:
    text = """\
name: test
params: {ratio: 0.1}
steps:
  a: {run: x.y}
schedules:
  - interval: 1h
    params:
    ratio: 0.3
  - cron: "0 6 * * *"
timezone: Europe/Berlin
"""
    problems = problems_in(text)

    assert [(problem.path, problem.message) for problem in problems] == [
        (
            "schedules[0].ratio",
            "`ratio` is not a schedule key; it belongs under `params:` (line 7) — indent it",
        ),
        (
            "timezone",
            "`timezone` is not a top-level key; it belongs in an entry of `schedules:` "
            "(line 5) — indent it",
        ),
    ]


# -- YAML: keys one level too deep -------------------------------------------------------------


def test_a_step_key_indented_into_result() -> None:
    text = """\
name: test
steps:
  a:
    run: x.y
    result:
      target: out.json
      retries: 2
"""
    problem = only(problems_in(text))

    assert problem.message == (
        "`retries` is not a `result` key; it belongs to step `a` (line 3) — dedent it"
    )
    assert problem.path == "steps.a.result.retries"
    about_indentation(problem)


def test_a_top_level_key_indented_into_a_step() -> None:
    text = """\
name: test
steps:
  a:
    run: x.y
    schedules:
      - cron: "0 6 * * *"
"""
    problem = only(problems_in(text))

    assert problem.message == ("`schedules` is not a step key; it is a top-level key — dedent it")


def test_a_required_key_indented_into_inputs() -> None:
    text = """\
name: test
steps:
  a:
    inputs:
      n: 1
      run: x.y
"""
    problem = only(problems_in(text))

    assert problem.message == (
        "step `a` has no `run`, but its `inputs:` (line 4) has one: `run` belongs to the "
        "step — dedent it"
    )
    assert problem.path == "steps.a.inputs.run"
    about_indentation(problem)


# -- TOML: tables instead of indentation ------------------------------------------------------


def test_toml_key_in_the_step_table_belongs_in_its_result_table() -> None:
    text = 'name = "test"\n\n[steps.a]\nrun = "x.y"\ntarget = "out/{step}.json"\n'

    problem = only(problems_in(text, "toml"))

    assert problem.message == (
        "`target` is not a step key; it belongs in the `[steps.a.result]` table"
    )
    assert (problem.line, problem.column) == (5, 1)
    assert problem.hint is not None
    assert "TOML puts a key in the table whose header is above it" in problem.hint
    assert "indent" not in problem.message + problem.hint


def test_toml_key_beside_an_inline_result_table() -> None:
    text = (
        'name = "test"\n\n[steps.a]\nrun = "x.y"\nresult = { format = "csv" }\ntarget = "a.csv"\n'
    )

    problem = only(problems_in(text, "toml"))

    assert (
        problem.message == "`target` is not a step key; it belongs in the `[steps.a.result]` table"
    )
    assert problem.hint == (
        "TOML puts a key in the table whose header is above it; `result` is an inline table "
        "(`result = { ... }`): write it between its braces"
    )


def test_toml_step_key_after_the_result_header() -> None:
    text = """\
name = "test"

[steps.a]
run = "x.y"

[steps.a.result]
target = "out.json"
retries = 2
"""
    problem = only(problems_in(text, "toml"))

    assert problem.message == (
        "`retries` is not a `result` key; it belongs in the `[steps.a]` table"
    )
    assert problem.hint is not None
    assert "move it above the `[steps.a.result]` header" in problem.hint


def test_toml_executor_keys_before_any_table() -> None:
    text = 'name = "test"\ntype = "threads"\n\n[steps.a]\nrun = "x.y"\n'

    problem = only(problems_in(text, "toml"))

    assert problem.message == (
        "`type` is not a top-level key; it belongs in the `[executor]` table"
    )


def test_toml_schedule_key_outside_its_table() -> None:
    text = (
        'name = "test"\ntimezone = "UTC"\n\n[steps.a]\nrun = "x.y"\n\n'
        '[[schedules]]\ncron = "@daily"\n'
    )

    problem = only(problems_in(text, "toml"))

    assert problem.message == (
        "`timezone` is not a top-level key; it belongs in a `[[schedules]]` table"
    )


def test_json_has_no_indentation_to_blame() -> None:
    text = '{"name": "test", "steps": {"a": {"run": "x.y", "result": {}, "target": "a.json"}}}'

    problem = only(problems_in(text, "json"))

    assert problem.message == ("`target` is not a step key; it belongs under `result:` (line 1)")
    assert problem.hint == "move it into that mapping"


# -- what is not a misplaced key --------------------------------------------------------------


def test_a_typo_still_gets_did_you_mean() -> None:
    problem = only(problems_in("name: test\nsteps:\n  a:\n    run: x.y\n    tgas: [io]\n"))

    assert problem.hint == "did you mean `tags`?"


def test_a_step_named_like_a_key_with_a_mistake_inside() -> None:
    text = "name: test\nsteps:\n  load: {run: x.y}\n  result:\n    run: x.z\n    retires: 2\n"

    problem = only(problems_in(text))

    assert problem.message == "unknown key `retires` in step `result`"
    assert problem.hint == "did you mean `retries`?"


def test_an_empty_step_followed_by_a_real_step_is_still_an_empty_step() -> None:
    problem = only(problems_in("name: test\nsteps:\n  a:\n  b: {run: x.y}\n"))

    assert problem.message == "step `a` must be a mapping with `run:` or `pipeline:`, got null"


def test_an_empty_inputs_followed_by_step_keys_is_still_empty() -> None:
    text = "name: test\nsteps:\n  a:\n    run: x.y\n    inputs:\n    retries: 2\n"

    problem = only(problems_in(text))

    assert problem.message == "expected a mapping for `inputs`, got null"


# -- the whole report: validate, every later stage quiet --------------------------------------

STEPS = """
def train(data: list, ratio: float, seed: int) -> int:
    return len(data)

def load() -> list:
    return [1, 2, 3]
"""

DEDENTED_YAML = """\
name: test
steps:
  load:
    run: mysteps.load
    result:
    target: "load.json"
  train:
    run: mysteps.train
    inputs:
    data: ${steps.load}
    ratio: 0.2
    seed: 3
"""

DEDENTED_TOML = """\
name = "test"

[steps.load]
run = "mysteps.load"
target = "load.json"

[steps.train]
run = "mysteps.train"
inputs = { data = "${steps.load}", ratio = 0.2, seed = 3 }

[steps.train.result]
format = "json"
retries = 2
"""


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_validate_reports_each_misplacement_once(make_project: ProjectFactory, kind: str) -> None:
    text = DEDENTED_YAML if kind == "yaml" else DEDENTED_TOML
    path: Path = make_project(text, name=f"pipeline.{kind}", mysteps=STEPS)

    result = CliRunner().invoke(cli, ["validate", str(path)])

    assert result.exit_code == 2, result.output
    assert "2 problems found" in result.output
    assert "`target` is not a step key" in result.output
    if kind == "yaml":
        assert "`data`, `ratio` and `seed` are not step keys" in result.output
    else:
        assert "`retries` is not a `result` key" in result.output
    for cascade in ("missing", "did you mean", "unknown key", "expected a mapping"):
        assert cascade not in result.output

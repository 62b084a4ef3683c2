"""`when:` and `foreach:` take one reference whole, never a reference inside longer text.

Text around a reference makes the value a string: `when: "not ${params.flag}"` is the text
"not False", which is true, and `when: "${steps.check} == 5"` is true whatever `check`
returned, so the step ran when the user meant it skipped (pipeflow evaluates no expressions);
`foreach: "x${params.names}"` is a string, never a list, and failed the step at run time
(exit 1). Each is refused before any step runs, in YAML and TOML, by `validate`, `run` and
`pipeflow.load`, with the field, its line and what to write instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def check():
    return 4


def gated():
    Path(__file__).with_name("ran.txt").write_text("the gated step ran")
    return 1


def each(name):
    Path(__file__).with_name("ran.txt").write_text("the foreach step ran")
    return name
"""

# (field, value as written, what the message says)
CASES = [
    ("when", "not ${params.flag}", "it is a string, not a test"),
    ("when", "${steps.check} == 5", "it is a string, not a test"),
    ("when", "${params.flag} and ${params.other}", "it is a string, not a test"),
    ("foreach", "x${params.names}", "it is a string, never a list"),
    ("foreach", "${params.names} ", "it is a string, never a list"),
]


def _config(field: str, value: str, kind: str) -> tuple[str, str]:
    """The config (and its file name) with `field: value` on step `gated`, in YAML or TOML."""
    run = "wsteps.each" if field == "foreach" else "wsteps.gated"
    extra = ', as = "name"' if field == "foreach" else ""
    if kind == "toml":
        text = (
            'name = "whole"\n'
            "[params]\n"
            "flag = false\n"
            "other = false\n"
            'names = ["a", "b"]\n'
            "[steps.check]\n"
            'run = "wsteps.check"\n'
            "[steps.gated]\n"
            f'run = "{run}"\n'
            f"{field} = '{value}'\n"
        )
        if extra:
            text += 'as = "name"\n'
        return text, "pipeline.toml"
    text = (
        "name: whole\n"
        "params: {flag: false, other: false, names: [a, b]}\n"
        "steps:\n"
        "  check: {run: wsteps.check}\n"
        "  gated:\n"
        f"    run: {run}\n"
        f"    {field}: '{value}'\n"
    )
    if extra:
        text += "    as: name\n"
    return text, "pipeline.yaml"


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("field", "value", "shown"), CASES)
def test_a_reference_inside_text_is_refused_before_any_step_runs(
    make_project: ProjectFactory, kind: str, field: str, value: str, shown: str
) -> None:
    text, name = _config(field, value, kind)
    config = make_project(text, name=name, wsteps=STEPS)
    line = 10 if kind == "toml" else 7
    for command in ("validate", "run"):
        result = pipeflow_in(config.parent, command, name)
        assert result.returncode == 2, result.stderr
        assert f"{name}:{line}:" in result.stderr, result.stderr
        assert f"error at `steps.gated.{field}`" in result.stderr, result.stderr
        assert "one reference whole" in result.stderr, result.stderr
        assert f"`{value}`" in result.stderr, result.stderr
        assert shown in result.stderr, result.stderr
        assert not (config.parent / "ran.txt").exists()
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    (problem,) = raised.value.problems
    assert problem.path == f"steps.gated.{field}"
    assert problem.line == line


def test_a_when_of_text_says_no_expression_is_evaluated(make_project: ProjectFactory) -> None:
    text, name = _config("when", "${steps.check} == 5", "yaml")
    config = make_project(text, name=name, wsteps=STEPS)
    result = pipeflow_in(config.parent, "validate", name)
    assert "pipeflow evaluates no expressions" in result.stderr, result.stderr
    assert "return a boolean from a step" in result.stderr, result.stderr


def test_a_foreach_of_text_says_the_reference_alone(make_project: ProjectFactory) -> None:
    text, name = _config("foreach", "x${params.names}", "yaml")
    config = make_project(text, name=name, wsteps=STEPS)
    result = pipeflow_in(config.parent, "validate", name)
    assert 'write the reference alone: `foreach: "${params.names}"`' in result.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [("when", "${params.flag}"), ("when", "${steps.check}"), ("foreach", "${params.names}")],
)
def test_one_whole_reference_is_still_taken(
    make_project: ProjectFactory, field: str, value: str, tmp_path: Path
) -> None:
    text, name = _config(field, value, "yaml")
    config = make_project(text, name=name, wsteps=STEPS)
    run = pipeflow.load(config).run(history=False)
    assert run.ok, run.outcomes
    assert (tmp_path / "ran.txt").exists() == (value != "${params.flag}")


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("yaml", "e.g. `foreach: [mae, mse]` or `foreach: ${params.metrics}`"),
        ("toml", 'e.g. `foreach = ["mae", "mse"]` or `foreach = "${params.metrics}"`'),
    ],
)
def test_a_foreach_that_is_no_list_is_told_one_in_the_config_s_language(
    make_project: ProjectFactory, kind: str, hint: str
) -> None:
    text, name = _config("foreach", "${params.flag}", kind)
    config = make_project(text, name=name, wsteps=STEPS)
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    (problem,) = raised.value.problems
    assert problem.hint == hint

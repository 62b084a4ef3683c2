"""Selection options that leave no step to run are a usage error, not a run that does nothing.

Before, `--from d --until a` with `d` after `a` (the two swapped), or `--tag model --only load`
where `load` has no such tag, ran nothing and exited 0 ("succeeded: 2 skipped"): the user's
mistake looked like a run that found everything done. It is now refused before anything
runs, exit 2, saying which options select nothing and what to do, on `run`, `status`,
`run --dry-run` and from Python.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

YAML = """
name: chosen
results: {root: out}
steps:
  a: {run: chosen_steps.f, inputs: {x: 1}, tags: [prep]}
  b: {run: chosen_steps.f, inputs: {x: "${steps.a}"}, tags: [model]}
  d: {run: chosen_steps.f, inputs: {x: "${steps.b}"}}
"""
TOML = """
name = "chosen"
[results]
root = "out"
[steps.a]
run = "chosen_steps.f"
inputs = {x = 1}
tags = ["prep"]
[steps.b]
run = "chosen_steps.f"
inputs = {x = "${steps.a}"}
tags = ["model"]
[steps.d]
run = "chosen_steps.f"
inputs = {x = "${steps.b}"}
"""
STEPS = "def f(x):\n    return x + 1\n"

EMPTY = {  # CLI options -> the API's keywords, and what the message must say
    "swapped": (
        ["--from", "d", "--until", "a"],
        {"start": "d", "until": "a"},
        "`d` comes after `a`",
    ),
    "tag and only": (
        ["--tag", "model", "--only", "a"],
        {"tags": "model", "only": "a"},
        "in common",
    ),
    "tag and from": (["--tag", "prep", "--from", "b"], {"tags": "prep", "start": "b"}, "in common"),
}


def _project(tmp_path: Path, spelling: str) -> Path:
    (tmp_path / "chosen_steps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / f"pipeline.{spelling}"
    config.write_text(YAML if spelling == "yaml" else TOML, encoding="utf-8")
    return config


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("case", sorted(EMPTY))
@pytest.mark.parametrize("command", [["run"], ["run", "--dry-run"], ["status"]])
def test_a_selection_of_no_step_is_refused_on_the_command_line(
    tmp_path: Path, spelling: str, case: str, command: list[str]
) -> None:
    config = _project(tmp_path, spelling)
    options, _, says = EMPTY[case]
    result = CliRunner().invoke(cli, [*command, str(config), *options])
    assert result.exit_code == 2, result.output
    assert "selects no step of pipeline `chosen`" in result.output, result.output
    assert says in result.output, result.output
    assert "nothing was run" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", sorted(EMPTY))
def test_a_selection_of_no_step_is_refused_from_python(tmp_path: Path, case: str) -> None:
    pipe = pipeflow.load(_project(tmp_path, "yaml"))
    _, keywords, says = EMPTY[case]
    for method in (pipe.plan, pipe.status, pipe.run):
        with pytest.raises(pipeflow.ConfigError) as refused:
            method(**keywords)
        assert "selects no step" in str(refused.value)
        assert says in str(refused.value)
    assert not (tmp_path / "out").exists()


def test_a_selection_with_steps_still_runs(tmp_path: Path) -> None:
    config = _project(tmp_path, "yaml")
    result = CliRunner().invoke(cli, ["run", str(config), "--from", "a", "--until", "a"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["run", str(config), "--tag", "model", "--from", "a"])
    assert result.exit_code == 0, result.output


BLANK = {  # an option given an empty step name (`--from "$STEP"`, STEP unset)
    "from": (["--from", ""], {"start": ""}),
    "until": (["--until", ""], {"until": ""}),
    "only": (["--only", ""], {"only": ""}),
    "force": (["--force", " "], {"force": " "}),
}


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("case", sorted(BLANK))
@pytest.mark.parametrize("command", [["run"], ["run", "--dry-run"], ["status"]])
def test_an_empty_step_name_is_refused_not_taken_for_no_option(
    tmp_path: Path, spelling: str, case: str, command: list[str]
) -> None:
    """Before, `--from ""` and `--until ""` ran the whole pipeline, as if not given."""
    config = _project(tmp_path, spelling)
    options, _ = BLANK[case]
    result = CliRunner().invoke(cli, [*command, str(config), *options])
    assert result.exit_code == 2, result.output
    assert "a step name given for pipeline `chosen` is empty" in result.output
    assert "nothing was run" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", sorted(BLANK))
def test_an_empty_step_name_is_refused_from_python(tmp_path: Path, case: str) -> None:
    pipe = pipeflow.load(_project(tmp_path, "yaml"))
    _, keywords = BLANK[case]
    for method in (pipe.plan, pipe.status, pipe.run):
        with pytest.raises(pipeflow.ConfigError) as refused:
            method(**keywords)
        assert "is empty" in str(refused.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("option", ["--from", "--until"])
@pytest.mark.parametrize("command", [["run"], ["run", "--dry-run"], ["status"]])
def test_a_step_option_given_twice_is_refused_not_cut_to_the_last(
    tmp_path: Path, spelling: str, option: str, command: list[str]
) -> None:
    """`--from` and `--until` take one step. Before, `--from a --from d` was `--from d`
    without a word: what comes after `a` and not after `d` was left out of the run."""
    config = _project(tmp_path, spelling)
    result = CliRunner().invoke(cli, [*command, str(config), option, "a", option, "d"])
    assert result.exit_code == 2, result.output
    assert f"{option} takes one step, and it is given 2: `a`, `d`" in result.output
    assert "--only" in result.output  # the hint: name the steps with --only
    assert "nothing was run" in result.output
    assert not (tmp_path / "out").exists()
    # The same step twice is that step.
    result = CliRunner().invoke(cli, [*command, str(config), option, "a", option, "a"])
    assert result.exit_code == 0, result.output
